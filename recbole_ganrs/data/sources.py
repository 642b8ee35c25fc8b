"""Dataset sources: the bundled MovieLens-100k, any RecBole atomic folder, or a plain ratings file.

A source is what GANRS learns and what the benchmark trains on. ``ml-100k``
resolves to the copy RecBole ships in ``recbole/dataset_example`` (nothing is
downloaded); a folder holds ``<folder-name>.inter`` with token ``user_id``, token
``item_id`` and float ``rating`` columns; a file may also be a plain CSV / TSV of
user, item, rating (header or not, separator sniffed, UTF-8 BOM allowed).
RecBole reads only clean atomic files: ``prepare.py`` writes a converted copy of
anything else (and of a source whose repeated pairs ``--duplicates`` resolves).
"""
import csv
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
RATINGS_SUFFIXES = (".inter", ".csv", ".tsv", ".txt", ".dat")
SEPARATORS = "\t,;| "
BOM = b"\xef\xbb\xbf"
#: byte order marks of encodings other than UTF-8, which no ratings reader here decodes
WIDE_BOMS = {b"\xff\xfe": "UTF-16 (little-endian)", b"\xfe\xff": "UTF-16 (big-endian)"}
#: header names a plain ratings file may use for each column (case-insensitive, RecBole ``:type`` stripped)
COLUMN_NAMES = {"user_id": ("user_id", "user", "userid", "uid", "user id"),
                "item_id": ("item_id", "item", "itemid", "iid", "movie_id", "movieid", "movie", "item id"),
                RATING: ("rating", "ratings", "score", "stars")}
DUPLICATE_POLICIES = ("error", "first", "last", "mean")


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
        problem = self.not_atomic()
        if problem:
            raise SourceError(f"RecBole cannot read {self.inter_path} ({problem}): give it to `generate` or the "
                              "benchmark, which convert it, or save it as a tab-separated atomic file")
        if self.name == BUNDLED and self.inter_path == bundled_inter_path():
            return {"dataset": self.name}
        return {"dataset": self.name, "data_path": str(self.data_path)}

    def not_atomic(self):
        """Why RecBole could not read this file as it is (None when it can)."""
        if self.inter_path.suffix != ".inter":
            return "a plain ratings file, not <folder>/<folder>.inter"
        if self.inter_path.stem != self.inter_path.parent.name:
            return "not <folder>/<folder>.inter"
        with open(self.inter_path, "rb") as f:
            first = f.readline()
        if first.startswith(BOM):
            return "it starts with a UTF-8 byte order mark"
        if b"\t" not in first or b":" not in first:
            return "its header is not tab-separated name:type columns"
        return None


def bundled_inter_path():
    import recbole

    return Path(recbole.__file__).resolve().parent / "dataset_example" / BUNDLED / f"{BUNDLED}.inter"


def resolve_source(source):
    """The :class:`Source` for ``ml-100k``, a dataset folder, an ``.inter`` file or a plain ratings file."""
    if isinstance(source, Source):
        return source
    if str(source) == BUNDLED and not Path(source).exists():
        return Source(BUNDLED, bundled_inter_path())
    path = Path(source).expanduser()
    try:
        path = path.resolve(strict=True)
    except FileNotFoundError:
        raise SourceError(f"source '{source}' does not exist (expected 'ml-100k', a RecBole atomic folder "
                          "or a ratings file)") from None
    except (RuntimeError, OSError) as exc:  # symlink loop (RuntimeError before Python 3.13)
        raise SourceError(f"source '{source}' cannot be resolved: {exc}") from None
    if path.is_file():
        if path.suffix.lower() not in RATINGS_SUFFIXES:
            raise SourceError(f"source '{source}' is a file but not a ratings file ({', '.join(RATINGS_SUFFIXES)})")
        return Source(path.stem, path)
    inter = path / f"{path.name}.inter"
    if not inter.is_file():
        raise SourceError(f"source folder '{source}' has no {path.name}.inter file")
    return Source(path.name, inter)


def read_header(inter_path):
    """Field names and RecBole types of an atomic file's header line."""
    with open(inter_path, "rb") as f:
        check_encoding(inter_path, f.read(1 << 12))
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
    """The source's ratings as a DataFrame: ``user_id`` and ``item_id`` (str), ``rating`` (float);
    ``frame.attrs["first_line"]`` is the file line of the first rating (for messages).

    Raises :class:`SourceError` with a one-line reason for anything RecBole could
    not learn ratings from. ``strict`` (for a source to learn from) also refuses
    repeated (user, item) pairs and users with a single rating.
    """
    src = resolve_source(source)
    frame = read_atomic(src.inter_path) if src.not_atomic() is None else read_plain(src.inter_path)
    if frame.empty:
        raise SourceError(f"{src.inter_path} has a header but no ratings")
    ratings = pd.to_numeric(frame[RATING], errors="coerce")
    bad = ratings.isna() | ~np.isfinite(ratings)
    if bad.any():
        row = int(np.argmax(bad.to_numpy()))
        raise SourceError(f"{src.inter_path}: non-numeric rating '{frame[RATING].iloc[row]}' on "
                          f"{_line(frame, row)}")
    if (frame["user_id"] == "").any() or (frame["item_id"] == "").any():
        raise SourceError(f"{src.inter_path}: empty user_id or item_id")
    frame[RATING] = ratings.astype(np.float64)
    check_scale(frame, src.inter_path)
    if strict:
        check_pairs(frame, src.inter_path)
    return frame


def read_atomic(inter_path):
    """A RecBole atomic file: typed, tab-separated header (the fast path, and RecBole's own rules)."""
    fields = read_header(inter_path)
    missing = [c for c in (*ID_COLUMNS, RATING) if c not in fields]
    if missing:
        raise SourceError(f"{inter_path}: missing column(s) {', '.join(missing)} in header")
    wrong = [f"{c}:{fields[c]}" for c, t in EXPECTED_TYPES.items() if fields[c] != t]
    if wrong:
        raise SourceError(f"{inter_path}: header has {', '.join(wrong)}; expected "
                          + ", ".join(f"{c}:{t}" for c, t in EXPECTED_TYPES.items()))
    frame = _read_csv(inter_path, sep="\t", skiprows=1, names=list(fields), usecols=[*ID_COLUMNS, RATING])
    frame.attrs["first_line"] = 2
    return frame


def check_encoding(path, head):
    """Refuse a file in an encoding the readers cannot decode (UTF-16, or any with NUL bytes), naming it."""
    wide = next((name for bom, name in WIDE_BOMS.items() if head.startswith(bom)), None)
    if wide or b"\x00" in head:
        raise SourceError(f"{path} is {wide or 'not text (it holds NUL bytes: UTF-16 or binary?)'}: save it as UTF-8 "
                          "(e.g. iconv -f UTF-16 -t UTF-8)")


def read_plain(path):
    """A CSV / TSV ratings file (or an atomic file with a BOM or commas): user, item, rating columns named by
    a header (see COLUMN_NAMES) or, without one, the first three columns."""
    with open(path, "rb") as f:
        head = f.read(1 << 16)
    check_encoding(path, head)
    encoding = "utf-8-sig" if head.startswith(BOM) else "utf-8"
    lines = [line for line in head.decode(encoding, errors="ignore").splitlines()[:50] if line.strip()]
    if not lines:
        raise SourceError(f"{path} is empty")
    sep = "::" if "::" in lines[0] else _sniff(lines, path)
    first = [cell.strip().strip('"') for cell in (lines[0].split(sep) if sep != " " else lines[0].split())]
    if len(first) < 3:
        raise SourceError(f"{path}: {len(first)} column(s) separated by {sep!r}; a ratings file needs user, item "
                          "and rating columns")
    has_header = not _is_number(first[2]) or any(":" in cell for cell in first)
    if has_header:
        names = [cell.partition(":")[0].strip().lower() for cell in first]
        usecols = {}
        for column, aliases in COLUMN_NAMES.items():
            found = [i for i, name in enumerate(names) if name in aliases]
            if not found:
                raise SourceError(f"{path}: no {column} column in its header {first} (names taken: "
                                  f"{', '.join(aliases)})")
            usecols[found[0]] = column
    else:
        usecols = {0: "user_id", 1: "item_id", 2: RATING}
    frame = _read_csv(path, sep=r"\s+" if sep == " " else sep, skiprows=1 if has_header else 0, names=None,
                      usecols=sorted(usecols), encoding=encoding, engine="python" if sep in ("::", " ") else "c")
    frame.columns = [usecols[c] for c in sorted(usecols)]
    frame = frame[[*ID_COLUMNS, RATING]]
    for column in frame.columns:
        frame[column] = frame[column].str.strip().str.strip('"')
    frame.attrs["first_line"] = 2 if has_header else 1
    return frame


def _sniff(lines, path):
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=SEPARATORS).delimiter
    except csv.Error:
        raise SourceError(f"{path}: cannot tell its column separator (tried tab, comma, semicolon, | and space)") \
            from None


def _is_number(text):
    try:
        float(text)
        return True
    except ValueError:
        return False


def _read_csv(path, sep, skiprows, names, usecols, encoding="utf-8", engine="c"):
    try:
        return pd.read_csv(path, sep=sep, skiprows=skiprows, header=None, names=names, usecols=usecols,
                           dtype=str, keep_default_na=False, engine=engine, encoding=encoding)
    except pd.errors.EmptyDataError:  # pandas says "No columns to parse from file"
        raise SourceError(f"{path}: no ratings{' after its header line' if skiprows else ''}: the file is empty") \
            from None
    except (pd.errors.ParserError, ValueError, UnicodeDecodeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SourceError(f"{path}: cannot be read as {sep!r}-separated ratings ({first})") from None


def _line(frame, row):
    """'line N': the file line of the frame's row ``row`` (header lines counted, as an editor shows them)."""
    return f"line {int(row) + frame.attrs.get('first_line', 1)}"


def check_scale(frame, path):
    """Ratings must be on a discrete, non-negative scale (the classification models learn its values)."""
    negative = frame[RATING] < 0
    if negative.any():
        row = int(np.argmax(negative.to_numpy()))
        raise SourceError(f"{path}: rating {frame[RATING].iloc[row]:g} on {_line(frame, row)} is below 0")
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
    raise SourceError(f"{path}: rating {frame[RATING].iloc[row]:g} on {_line(frame, row)} is far off the scale "
                      f"{values[0] if high <= low else values[cut + 1]:g}..{values[cut] if high <= low else values[-1]:g} "
                      f"({min(low, high)} such rating(s)); fix or drop it")


def check_pairs(frame, path):
    """A source to learn from: each (user, item) once, each user with at least two ratings."""
    repeated = frame.duplicated(list(ID_COLUMNS), keep=False)
    if repeated.any():
        first = int(np.flatnonzero(repeated.to_numpy())[0])
        user, item = frame["user_id"].iloc[first], frame["item_id"].iloc[first]
        same = np.flatnonzero(((frame["user_id"] == user) & (frame["item_id"] == item)).to_numpy())
        pairs = len(frame.loc[repeated, list(ID_COLUMNS)].drop_duplicates())
        raise SourceError(f"{path}: {pairs} (user, item) pair(s) rated more than once, e.g. user {user}, item {item} "
                          f"on {_line(frame, same[0])} and {_line(frame, same[1])}; choose one rating per pair "
                          "with --duplicates first|last|mean")
    counts = frame["user_id"].value_counts()
    if (counts < 2).any():
        lonely = counts.index[counts < 2]
        raise SourceError(f"{path}: {len(lonely)} user(s) with a single rating (e.g. user {lonely[0]}); "
                          "keep users with at least 2 ratings (--min-user-ratings 2)")


def drop_duplicates(frame, policy):
    """One rating per (user, item) pair, RecBole's ``rm_dup_inter`` way: the ``first`` or ``last`` in file
    order, or the ``mean`` rounded to the nearest value of the scale (the classifiers learn the scale's
    values, so a mean of 4 and 5 must not become a new value 4.5). ``error`` leaves it to check_pairs."""
    if policy not in DUPLICATE_POLICIES:
        raise SourceError(f"--duplicates must be one of {', '.join(DUPLICATE_POLICIES)}, not {policy!r}")
    if policy == "error" or not frame.duplicated(list(ID_COLUMNS)).any():
        return frame
    if policy in ("first", "last"):
        return frame.drop_duplicates(list(ID_COLUMNS), keep=policy).reset_index(drop=True)
    scale = np.unique(frame[RATING].to_numpy())
    mean = frame.groupby(list(ID_COLUMNS), sort=False)[RATING].mean()
    nearest = scale[np.abs(mean.to_numpy()[:, None] - scale[None, :]).argmin(axis=1)]
    return mean.index.to_frame(index=False).assign(**{RATING: nearest})
