"""Dataset sources (ml-100k bundled with RecBole, or any atomic folder) and the atomic-file writer."""
from recbole_ganrs.data.atomic import write_atomic
from recbole_ganrs.data.sources import BUNDLED, Source, load_ratings, resolve_source

__all__ = ["BUNDLED", "Source", "load_ratings", "resolve_source", "write_atomic"]
