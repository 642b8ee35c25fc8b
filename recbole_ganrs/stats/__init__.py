"""Dataset statistics (paper Table IV) and fidelity of synthetic data to its source."""
from recbole_ganrs.stats.fidelity import FIDELITY_COLUMNS, fidelity, gini
from recbole_ganrs.stats.report import stats_rows, stats_tables
from recbole_ganrs.stats.table import TABLE_COLUMNS, dataset_row

__all__ = ["FIDELITY_COLUMNS", "TABLE_COLUMNS", "dataset_row", "fidelity", "gini", "stats_rows", "stats_tables"]
