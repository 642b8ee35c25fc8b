"""Writing RecBole atomic files: typed header, tab-separated, all-or-nothing; reading a source's side files
(its users' and items' attributes).

Every dataset the plugin writes goes through :func:`write_atomic`: rows go to a
temporary file beside the target, which is renamed over it only once complete,
so a crash or a bad row never leaves a half-written ``.inter``.
"""
from pathlib import Path

import numpy as np
import pandas as pd

from recbole_ganrs.errors import SourceError
from recbole_ganrs.files import replaced_on_success

#: RecBole field types of the columns the plugin writes
DEFAULT_FIELD_TYPES = {"user_id": "token", "item_id": "token", "rating": "float", "timestamp": "float"}


def header(columns, field_types=None):
    """RecBole's typed header line, e.g. ``user_id:token\\titem_id:token\\trating:float``."""
    types = {**DEFAULT_FIELD_TYPES, **(field_types or {})}
    missing = [c for c in columns if c not in types]
    if missing:
        raise ValueError(f"no RecBole type given for column(s) {missing}")
    return "\t".join(f"{c}:{types[c]}" for c in columns)


def write_atomic(path, frames, field_types=None):
    """Write one DataFrame, or an iterable of DataFrame chunks with the same columns,
    as a RecBole atomic file at ``path``. Returns the number of rows written."""
    if isinstance(frames, pd.DataFrame):
        frames = [frames]
    rows, columns = 0, None
    with replaced_on_success(path) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as out:
        for frame in frames:
            if columns is None:
                columns = list(frame.columns)
                out.write(header(columns, field_types) + "\n")
            elif list(frame.columns) != columns:
                raise ValueError(f"chunk columns {list(frame.columns)} differ from {columns}")
            frame.to_csv(out, sep="\t", header=False, index=False, float_format="%g", lineterminator="\n")
            rows += len(frame)
        if columns is None:
            raise ValueError("nothing to write: no rows given")
    return rows


def as_measured(ratings):
    """A (user_id, item_id, rating) frame as the stats measure the file :func:`write_atomic` writes from it: each
    id replaced by its rank among the file's tokens in string order (int32), each rating parsed from its ``%g``
    text. The measures only count, group and order a dataset's ids (in string order, as read from the file) and
    never match a synthetic id with a source's, so they give what reading the file gives; a 100M-rating dataset
    just written is measured from memory, not from 5 GB of its ids read back as strings."""
    rating = ratings["rating"].to_numpy()
    parsed = np.empty(len(rating), dtype=np.float64)
    for value in pd.unique(rating):  # a scale's few values, each parsed from its text (no index array per rating)
        parsed[rating == value] = float(f"{value:g}")
    return pd.DataFrame({"user_id": _token_ranks(ratings["user_id"]), "item_id": _token_ranks(ratings["item_id"]),
                         "rating": parsed}, copy=False)


def read_written(inter_path):
    """A ratings file this package wrote (integer ids, ``user_id item_id rating``) as the frame it was written from
    (integer ids, float ratings); None for any other file (read it with ``load_ratings``)."""
    with open(inter_path, encoding="utf-8") as f:
        if f.readline().rstrip("\r\n") != header(["user_id", "item_id", "rating"]):
            return None
    try:
        return pd.read_csv(inter_path, sep="\t", skiprows=1, header=None, names=["user_id", "item_id", "rating"],
                           dtype={"user_id": np.int64, "item_id": np.int64, "rating": np.float64},
                           float_precision="round_trip")  # each rating as Python parses its text
    except (ValueError, pd.errors.ParserError):  # ids that are not integers
        return None


def read_measured(inter_path):
    """:func:`read_written`'s frame as :func:`as_measured` gives it, or None. 100M ratings: ~1.6 GB, not ~5.5 GB
    of string ids."""
    frame = read_written(inter_path)
    return None if frame is None else as_measured(frame)


def _token_ranks(ids):
    """Each id's rank among the column's distinct ids written as text, in string order ("10" before "9")."""
    ids = ids.to_numpy()
    uniques = pd.unique(ids)
    rank = np.empty(len(uniques), dtype=np.int32)
    rank[np.argsort(uniques.astype(str), kind="stable")] = np.arange(len(uniques), dtype=np.int32)
    if ids.dtype.kind in "iu" and uniques.min() >= 0 and uniques.max() < 4 * len(uniques) + 1024:
        table = np.empty(int(uniques.max()) + 1, dtype=np.int32)  # write_dataset's ids 1..n: a lookup, no hash
        table[uniques] = rank
        return table[ids]
    return rank[pd.factorize(ids)[0]]


def side_file_of(inter_path, kind):
    """The ``kind`` ('user', 'item') attribute file beside a ratings file, or None: ``<stem>.<kind>`` (atomic) or
    ``<stem>.<kind>s.csv`` (a CSV whose first column is the id)."""
    inter_path = Path(inter_path)
    for candidate in (inter_path.with_suffix(f".{kind}"), inter_path.parent / f"{inter_path.stem}.{kind}s.csv"):
        if candidate.is_file() and candidate != inter_path:
            return candidate
    return None


def read_side_file(path, kind):
    """A ``kind`` attribute file as (a frame of str values indexed by its first column, {column: RecBole type}):
    a header name's ``:type`` is its type (a CSV's may have none: token). Refuses in one line an unreadable
    file, one without an attribute column or rows, and an id given twice."""
    path = Path(path)
    sep = "\t" if path.suffix == f".{kind}" else ","
    try:
        frame = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise SourceError(f"{path} is not a readable {kind} file ({str(exc).splitlines()[0] if str(exc) else exc})")
    heads = [str(c).split(":", 1) for c in frame.columns]
    frame.columns = [h[0].strip() for h in heads]
    if frame.empty or len(frame.columns) < 2:
        raise SourceError(f"{path} needs a {kind} id column and at least one attribute column, with rows")
    table = frame.set_index(frame.columns[0])
    if table.index.duplicated().any():
        raise SourceError(f"{path}: {kind} {table.index[table.index.duplicated()][0]!r} appears twice")
    kinds = {h[0].strip(): (h[1].strip() if len(h) > 1 else "token") for h in heads}
    return table, {c: kinds[c] for c in table.columns}
