"""Writing RecBole atomic files: typed header, tab-separated, all-or-nothing.

Every dataset the plugin writes goes through :func:`write_atomic`: rows go to a
temporary file beside the target, which is renamed over it only once complete,
so a crash or a bad row never leaves a half-written ``.inter``.
"""
import pandas as pd

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
