"""Dataset sources (ml-100k bundled with RecBole, atomic folders, plain ratings files), their conversion
for RecBole, and the atomic-file writer."""
from recbole_ganrs.data.atomic import write_atomic
from recbole_ganrs.data.prepare import prepare_source
from recbole_ganrs.data.sources import BUNDLED, DUPLICATE_POLICIES, Source, load_ratings, resolve_source

__all__ = ["BUNDLED", "DUPLICATE_POLICIES", "Source", "load_ratings", "prepare_source", "resolve_source",
           "write_atomic"]
