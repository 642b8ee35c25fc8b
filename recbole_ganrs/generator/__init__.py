"""The GANRS synthetic-dataset generator (fit a real dataset, sample synthetic ones)."""
from recbole_ganrs.generator.ganrs import GANRS, SourceSummary

__all__ = ["GANRS", "SourceSummary"]
