"""Dataset statistics (paper Table IV) and fidelity of synthetic data to its source."""
from recbole_ganrs.stats.fidelity import fidelity, gini
from recbole_ganrs.stats.report import format_stats, stats_rows, stats_tables
from recbole_ganrs.stats.table import dataset_row

__all__ = ["dataset_row", "fidelity", "format_stats", "gini", "stats_rows", "stats_tables"]
