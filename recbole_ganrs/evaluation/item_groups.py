"""Item groups the metrics are also reported for: each attribute the run's items carry (``--item-attributes``).

A grouping is one field of the datasets' ``.item`` files:
- a label set (``token_seq``, ml-100k's genres): one group per label; an item is in every group of its labels,
  so the groups overlap;
- a number (a float, or a token whose values are numbers, e.g. a release year): bands at the *source's*
  quartiles (every dataset of a run is cut at the same edges, so the source's "1922-1986" is the synthetic
  dataset's too); a value that is not a number is "unknown";
- any other token: its values as they are (at most ``MAX_GROUPS``; a field with more is left out).

Under ``--split cold-items:F:K`` the items are also grouped ``cold-start``: cold (the held-out items) and warm.

A user's metric on a group ranks the user's test items of that group alone by the model's predictions (the
paper protocol's candidates restricted to the group): how well the model orders what a user rated of the group
(of the cold items: how well it knows items it saw K ratings of, or none).
"""
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd

from recbole_ganrs.data.items import item_file_of, read_items
from recbole_ganrs.stats.items import labels, numeric

BANDS = 4
MAX_GROUPS = 25
PREFIX = "item:"  # results.csv's grouping of an item grouping: item:class, item:release_year
COLD_ITEMS = f"{PREFIX}cold-start"  # under --split cold-items: the cold items (and the warm ones) ranked alone


@dataclass(frozen=True)
class ItemGrouping:
    """One field's groups: ``edges`` the source's band edges of a number (None: labels as they are); ``sets``:
    a label set (token_seq) field."""

    field: str
    sets: bool = False
    edges: Optional[tuple] = None

    @property
    def name(self):
        return f"{PREFIX}{self.field}"

    def to_plain(self):
        """Plain values (Ray Tune rebuilds a trial's config and a dataclass does not survive it)."""
        return [self.field, self.sets, None if self.edges is None else list(self.edges)]

    @classmethod
    def from_plain(cls, values):
        field, sets, edges = values
        return cls(field, bool(sets), None if edges is None else tuple(edges))

    def labels(self, values):
        """Each item's group labels (a frozenset) from its field values (text)."""
        values = pd.Series(values, dtype=object).astype(str)
        if self.sets:
            return labels(values)
        if self.edges is None:
            return [frozenset([v]) for v in values]
        numbers = pd.to_numeric(values.str.strip(), errors="coerce")
        return [frozenset(["unknown"]) if pd.isna(x) else frozenset([band_label(self.edges, x)]) for x in numbers]


def band_label(edges, x):
    """The band of ``x`` among ``edges`` (lo, e1, ..., hi): "lo-e1" for the first, "(e1+1)-e2" after for whole
    numbers (quartile bands, (left, right] as pandas cuts them, the first closed); out of range: the nearest."""
    i = int(np.clip(np.searchsorted(edges, x, side="left") - 1, 0, len(edges) - 2))
    lo, hi = edges[i], edges[i + 1]
    whole = all(float(e).is_integer() for e in edges)
    if whole:
        return f"{int(lo) if i == 0 else int(lo) + 1}-{int(hi)}"
    return f"[{lo:g}, {hi:g}]" if i == 0 else f"({lo:g}, {hi:g}]"


def item_groupings(source_inter, fields):
    """The groupings of ``fields`` from the source's item file beside ``source_inter`` (none when the source
    has no such file: a run without item attributes is unchanged)."""
    path = item_file_of(source_inter) if fields else None
    if path is None:
        return []
    items, kinds = read_items(path)
    out = []
    for name in fields:
        if name not in items.columns:
            continue
        numbers = numeric(items[name])  # the values that are numbers, when the field is one (stats/items.py)
        if kinds[name] == "token_seq":
            out.append(ItemGrouping(name, sets=True))
        elif numbers is not None and len(np.unique(numbers)) > BANDS:
            edges = np.quantile(numbers, np.linspace(0, 1, BANDS + 1))
            edges = np.unique(np.floor(edges) if (numbers == np.round(numbers)).all() else edges)  # years stay years
            out.append(ItemGrouping(name, edges=tuple(float(e) for e in edges)))
        elif items[name].astype(str).str.strip().nunique() <= MAX_GROUPS:
            out.append(ItemGrouping(name))
    return out


def item_file(data_path, name):
    """A dataset's atomic item file (``<data_path>/<name>/<name>.item``, the one RecBole reads), or None."""
    path = Path(data_path) / name / f"{name}.item"
    return str(path.resolve()) if path.is_file() else None


def item_memberships(path, groupings, tokens):
    """{grouping name: {label: bool per item of ``tokens``}}: the items of ``tokens`` (the dataset's own ids)
    in each group; an item without a row in the file is in none."""
    items, _ = read_items(path)
    items = items.set_axis(items.index.astype(str))
    known = items.reindex(pd.Index(np.asarray(tokens, dtype=str)))
    out = {}
    for grouping in groupings:
        if grouping.field not in known.columns:
            continue
        present = known[grouping.field].notna().to_numpy()
        sets = grouping.labels(known[grouping.field].fillna(""))
        sets = [s if ok else frozenset() for s, ok in zip(sets, present)]
        names = sorted(set().union(*sets) - {""})
        out[grouping.name] = {label: np.array([label in s for s in sets]) for label in names}
    return out
