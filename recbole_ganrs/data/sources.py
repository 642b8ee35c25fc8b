"""Dataset sources: the bundled MovieLens-100k or any RecBole atomic folder.

A source is what GANRS learns and what the benchmark trains on. ``ml-100k``
resolves to the copy RecBole ships in ``recbole/dataset_example`` (nothing is
downloaded); any other value is a folder holding ``<folder-name>.inter`` (or a
path to an ``.inter`` file) with token ``user_id``, token ``item_id`` and float
``rating`` columns.
"""
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from recbole_ganrs.errors import SourceError

BUNDLED = "ml-100k"
ID_COLUMNS = ("user_id", "item_id")
RATING = "rating"
EXPECTED_TYPES = {"user_id": "token", "item_id": "token", RATING: "float"}
MAX_RATING_VALUES = 20
OUTLIER_GAP = 5  # a gap between rating values this many times their median gap marks outliers


@dataclass(frozen=True)
class Source:
    """Where a dataset lives, in RecBole's terms: ``data_path/name/name.inter``."""

    name: str
    inter_path: Path

    @property
    def data_path(self):
        """The folder RecBole's ``data_path`` must point to (parent of the dataset folder)."""
        return self.inter_path.parent.parent

    def recbole_config(self):
        """Config entries that make RecBole load this source (``ml-100k`` is found by name)."""
        if self.name == BUNDLED and self.inter_path == bundled_inter_path():
            return {"dataset": self.name}
        return {"dataset": self.name, "data_path": str(self.data_path)}


def bundled_inter_path():
    import recbole

    return Path(recbole.__file__).resolve().parent / "dataset_example" / BUNDLED / f"{BUNDLED}.inter"


def resolve_source(source):
    """The :class:`Source` for ``ml-100k``, a dataset folder or an ``.inter`` file."""
    if isinstance(source, Source):
        return source
    if str(source) == BUNDLED and not Path(source).exists():
        return Source(BUNDLED, bundled_inter_path())
    path = Path(source).expanduser()
    try:
        path = path.resolve(strict=True)
    except FileNotFoundError:
        raise SourceError(f"source '{source}' does not exist (expected 'ml-100k' or a RecBole atomic folder)") from None
    except (RuntimeError, OSError) as exc:  # symlink loop (RuntimeError before Python 3.13)
        raise SourceError(f"source '{source}' cannot be resolved: {exc}") from None
    if path.is_file():
        if path.suffix != ".inter":
            raise SourceError(f"source '{source}' is a file but not an .inter file")
        if path.stem != path.parent.name:
            raise SourceError(f"RecBole needs the file to be <folder>/<folder>.inter, got '{path}'")
        return Source(path.stem, path)
    inter = path / f"{path.name}.inter"
    if not inter.is_file():
        raise SourceError(f"source folder '{source}' has no {path.name}.inter file")
    return Source(path.name, inter)


def read_header(inter_path):
    """Field names and RecBole types of an atomic file's header line."""
    with open(inter_path, encoding="utf-8") as f:
        line = f.readline().rstrip("\r\n")
    if not line:
        raise SourceError(f"{inter_path} is empty")
    fields = {}
    for column in line.split("\t"):
        name, sep, ftype = column.partition(":")
        if not sep:
            raise SourceError(f"{inter_path}: header column '{column}' has no ':type' (RecBole atomic header)")
        fields[name] = ftype
    return fields


def load_ratings(source, strict=False):
    """The source's ratings as a DataFrame: ``user_id`` and ``item_id`` (str), ``rating`` (float).

    Raises :class:`SourceError` with a one-line reason for anything RecBole could
    not learn ratings from. ``strict`` (for a source to learn from) also refuses
    repeated (user, item) pairs and users with a single rating.
    """
    src = resolve_source(source)
    fields = read_header(src.inter_path)
    missing = [c for c in (*ID_COLUMNS, RATING) if c not in fields]
    if missing:
        raise SourceError(f"{src.inter_path}: missing column(s) {', '.join(missing)} in header")
    wrong = [f"{c}:{fields[c]}" for c, t in EXPECTED_TYPES.items() if fields[c] != t]
    if wrong:
        raise SourceError(f"{src.inter_path}: header has {', '.join(wrong)}; expected "
                          + ", ".join(f"{c}:{t}" for c, t in EXPECTED_TYPES.items()))
    names = list(fields)
    try:
        frame = pd.read_csv(
            src.inter_path, sep="\t", skiprows=1, header=None, names=names,
            usecols=[*ID_COLUMNS, RATING], dtype={"user_id": str, "item_id": str, RATING: str},
            keep_default_na=False, engine="c",
        )
    except (pd.errors.ParserError, ValueError, UnicodeDecodeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SourceError(f"{src.inter_path}: not a tab-separated atomic file ({first})") from None
    if frame.empty:
        raise SourceError(f"{src.inter_path} has a header but no ratings")
    ratings = pd.to_numeric(frame[RATING], errors="coerce")
    bad = ratings.isna() | ~np.isfinite(ratings)
    if bad.any():
        row = int(np.argmax(bad.to_numpy()))
        raise SourceError(
            f"{src.inter_path}: non-numeric rating '{frame[RATING].iloc[row]}' on data line {row + 1}"
        )
    if (frame["user_id"] == "").any() or (frame["item_id"] == "").any():
        raise SourceError(f"{src.inter_path}: empty user_id or item_id")
    frame[RATING] = ratings.astype(np.float64)
    check_scale(frame, src.inter_path)
    if strict:
        check_pairs(frame, src.inter_path)
    return frame


def _line(index):
    return int(index) + 1  # data line number (the header is line 0)


def check_scale(frame, path):
    """Ratings must be on a discrete, non-negative scale (the classification models learn its values)."""
    negative = frame[RATING] < 0
    if negative.any():
        row = int(np.argmax(negative.to_numpy()))
        raise SourceError(f"{path}: rating {frame[RATING].iloc[row]:g} on data line {_line(row)} is below 0")
    n_values = frame[RATING].nunique()
    if n_values > MAX_RATING_VALUES:
        raise SourceError(f"{path}: {n_values} distinct ratings; a rating scale has at most "
                          f"{MAX_RATING_VALUES} values (e.g. 1..5 or 1..10)")
    check_outliers(frame, path)


def check_outliers(frame, path):
    """A value far off the scale (e.g. 999 among 1..5) would silently move the default q: a gap between
    consecutive rating values over OUTLIER_GAP times their median gap cuts the rarer side off as outliers."""
    values, counts = np.unique(frame[RATING].to_numpy(), return_counts=True)
    if len(values) < 3:
        return
    gaps = np.diff(values)
    cut = int(np.argmax(gaps))
    if gaps[cut] <= OUTLIER_GAP * np.median(gaps):
        return
    low, high = counts[: cut + 1].sum(), counts[cut + 1 :].sum()
    outliers = values[cut + 1 :] if high <= low else values[: cut + 1]
    row = int(np.argmax(frame[RATING].isin(outliers).to_numpy()))
    raise SourceError(f"{path}: rating {frame[RATING].iloc[row]:g} on data line {_line(row)} is far off the scale "
                      f"{values[0] if high <= low else values[cut + 1]:g}..{values[cut] if high <= low else values[-1]:g} "
                      f"({min(low, high)} such rating(s)); fix or drop it")


def check_pairs(frame, path):
    """A source to learn from: each (user, item) once, each user with at least two ratings."""
    repeated = frame.duplicated(list(ID_COLUMNS), keep=False)
    if repeated.any():
        first, second = np.flatnonzero(repeated.to_numpy())[:2]
        user, item = frame["user_id"].iloc[first], frame["item_id"].iloc[first]
        raise SourceError(f"{path}: pair (user {user}, item {item}) is rated more than once "
                          f"(data lines {_line(first)} and {_line(second)}); keep one rating per pair")
    counts = frame["user_id"].value_counts()
    if (counts < 2).any():
        lonely = counts.index[counts < 2]
        raise SourceError(f"{path}: {len(lonely)} user(s) with a single rating (e.g. user {lonely[0]}); "
                          "keep users with at least 2 ratings")
