"""Item attributes of a source (its ``.item`` file) that synthetic items can carry.

- The file: ``<folder>/<name>.item`` beside an atomic ``.inter`` (RecBole's typed header, e.g. ml-100k's
  ``item_id:token  movie_title:token_seq  release_year:token  class:token_seq``), or, beside a plain ratings file
  ``ratings.csv``, ``ratings.item`` (atomic) or ``ratings.items.csv`` (a CSV whose first column is the item id;
  a header name may carry a RecBole type, ``class:token_seq``, else the field is a token).
- The fields a synthetic dataset gets: ``--item-attributes release_year,class``. A ``token`` field is one value
  per item (a category, a year), a ``token_seq`` field a space-separated set (genres), a ``float`` field a number.
  Free text (a title) would copy a real item's name onto a synthetic one: refused.
"""
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from recbole_ganrs.data.atomic import read_side_file, side_file_of
from recbole_ganrs.errors import GanrsError

KINDS = ("token", "token_seq", "float")  # RecBole field types a synthetic item can carry
NAMES = ("movie_title", "title", "name")  # free text: a real item's own name, never copied


def item_file_of(inter_path):
    """The item-attribute file beside a ratings file, or None."""
    return side_file_of(inter_path, "item")


def parse_fields(text):
    """``release_year,class`` as a tuple of field names (refusing an empty one)."""
    names = tuple(n.strip() for n in str(text).split(","))
    if not all(names) or len(set(names)) < len(names):
        raise GanrsError(f"--item-attributes takes FIELD,FIELD,... (each once), got {text!r}")
    return names


@dataclass(frozen=True)
class ItemTable:
    """Chosen attributes of a source's items: ``names`` and their RecBole ``kinds``, and per item (in the order
    of ``tokens``) each field's value as text (a token_seq: space-separated)."""

    names: tuple
    kinds: tuple
    tokens: tuple
    values: tuple  # one tuple per field, aligned with tokens

    def frame(self, rows=None):
        """The values as a frame (one column per field) of the items at ``rows`` (every item when None)."""
        rows = np.arange(len(self.tokens)) if rows is None else np.asarray(rows)
        return pd.DataFrame({n: np.asarray(v, dtype=object)[rows] for n, v in zip(self.names, self.values)})

    def to_saved(self):
        return {"names": list(self.names), "kinds": list(self.kinds), "tokens": list(self.tokens),
                "values": [list(v) for v in self.values]}

    @classmethod
    def from_saved(cls, saved):
        return cls(tuple(saved["names"]), tuple(saved["kinds"]), tuple(saved["tokens"]),
                   tuple(tuple(v) for v in saved["values"]))


def read_items(path):
    """An item-attribute file as (a frame of str values indexed by item token, {field: RecBole type})."""
    return read_side_file(path, "item")


def item_table(inter_path, ratings, fields):
    """The ``fields`` (names) of every item of ``ratings`` from the item file beside ``inter_path``, as an
    :class:`ItemTable` in the order of first appearance in ``ratings`` (the fit's item order, pd.factorize).
    Refuses in one line a missing file or field, a field of another type or of free text, and items without a
    row."""
    path = item_file_of(inter_path)
    if path is None:
        raise GanrsError(f"--item-attributes: the source has no item file ({Path(inter_path).stem}.item beside "
                         f"{Path(inter_path).name})")
    items, kinds = read_items(path)
    return table_of(items, kinds, ratings, fields, path.name)


def table_of(items, kinds, ratings, fields, where):
    """:func:`item_table` from a frame of item attributes (indexed by item token) and their kinds."""
    for name in fields:
        if name not in items.columns:
            raise GanrsError(f"--item-attributes: {where} has no field {name!r} (it has "
                             f"{', '.join(map(str, items.columns))})")
        if name in NAMES or kinds[name] not in KINDS:
            raise GanrsError(f"--item-attributes: {name} is {'free text' if name in NAMES else kinds[name]}; a "
                             f"synthetic item carries {', '.join(KINDS)} fields (a category, a year, genres)")
        if kinds[name] == "float" and pd.to_numeric(items[name], errors="coerce").isna().any():
            raise GanrsError(f"--item-attributes: {name} is a float field with values that are not numbers")
    tokens = pd.unique(ratings["item_id"].astype(str))
    present = items.set_axis(items.index.astype(str)).reindex(tokens)
    missing = present[list(fields)].isna().any(axis=1)
    if missing.any():
        raise GanrsError(f"--item-attributes: {int(missing.sum())} of the source's {len(tokens)} items have no row "
                         f"in {where} (e.g. item {tokens[missing.to_numpy()][0]})")
    return ItemTable(tuple(fields), tuple(kinds[n] for n in fields), tuple(map(str, tokens)),
                     tuple(tuple(present[n].astype(str)) for n in fields))
