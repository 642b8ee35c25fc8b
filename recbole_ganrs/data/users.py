"""User attributes of a source (its ``.user`` file), the condition a conditional generator learns, and group shares.

- The file: ``<folder>/<name>.user`` beside an atomic ``.inter`` (RecBole's own, typed header), or, beside a plain
  ratings file ``ratings.csv``, ``ratings.user`` (atomic) or ``ratings.users.csv`` (a CSV with a header whose first
  column is the user id).
- A :class:`Condition` names one attribute: categorical (``gender``, ``occupation``: each value a group), or numeric
  cut into bands at the edges given (``age:18,25,35,50``: groups ``<18``, ``18-24``, ``25-34``, ``35-49``, ``50+``).
- Group shares: ``F:0.3`` names some groups' shares of the synthetic users; the groups not named share what is left in
  the proportions the source has (two groups: ``F:0.3`` is ``F:0.3,M:0.7``). Shares that name every group sum to 1.
"""
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd

from recbole_ganrs.data.atomic import read_side_file, side_file_of
from recbole_ganrs.errors import GanrsError

#: the fewest source users a group needs for a conditional generator to learn it
MIN_GROUP_USERS = 10
MAX_GROUPS = 25  # a categorical attribute with more values needs bands
RESERVED = ("user_id", "item_id", "rating", "timestamp")  # attribute names the ratings frame already uses


@dataclass(frozen=True)
class Condition:
    """One user attribute a generator is conditioned on; ``bands`` the edges of a numeric one (None: categorical)."""

    attribute: str
    bands: Optional[tuple] = None

    @classmethod
    def parse(cls, text):
        """``gender`` or ``age:18,25,35,50`` (edges increasing)."""
        name, sep, edges = str(text).partition(":")
        name = name.strip()
        if not name or name in RESERVED:
            raise GanrsError(f"--condition needs a user attribute name (not {', '.join(RESERVED)}), got {text!r}")
        if not sep:
            return cls(name)
        try:
            bands = tuple(float(e) for e in edges.split(","))
        except ValueError:
            raise GanrsError(f"--condition {text}: band edges must be numbers, e.g. age:18,25,35,50") from None
        if not bands or any(not math.isfinite(b) for b in bands) or any(b >= c for b, c in zip(bands, bands[1:])):
            raise GanrsError(f"--condition {text}: band edges must be finite and increasing, e.g. age:18,25,35,50")
        return cls(name, bands)

    def __str__(self):
        return self.attribute + (":" + ",".join(f"{b:g}" for b in self.bands) if self.bands else "")

    def band_labels(self):
        """The groups of a numeric condition, in order: ``<18``, ``18-24``, ..., ``50+`` (whole edges), or
        ``[a,b)`` intervals."""
        edges = self.bands
        whole = all(float(e).is_integer() for e in edges)
        inner = [f"{a:g}-{b - 1:g}" if whole else f"[{a:g},{b:g})" for a, b in zip(edges, edges[1:])]
        return [f"<{edges[0]:g}", *inner, f"{edges[-1]:g}+"]

    def labels_of(self, values, where):
        """Each raw attribute value's group label (str)."""
        if self.bands is None:
            labels = values.astype(str)
            if labels.nunique() > MAX_GROUPS:
                raise GanrsError(f"{where}: {self.attribute} has {labels.nunique()} values; a condition takes at most "
                                 f"{MAX_GROUPS}: give bands, e.g. --condition {self.attribute}:18,25,35")
            return labels
        numeric = pd.to_numeric(values, errors="coerce")
        if numeric.isna().any():
            bad = values[numeric.isna()].iloc[0]
            raise GanrsError(f"{where}: {self.attribute} value {bad!r} is not a number: bands need a numeric attribute")
        index = np.searchsorted(np.asarray(self.bands), numeric.to_numpy(np.float64), side="right")
        return pd.Series(np.asarray(self.band_labels(), dtype=object)[index], index=values.index)


def user_file_of(inter_path):
    """The user-attribute file beside a ratings file, or None."""
    return side_file_of(inter_path, "user")


def read_users(path):
    """A user-attribute file as a frame of str values indexed by user token (RecBole's ``:type`` stripped)."""
    return read_side_file(path, "user")[0]


def user_labels(inter_path, ratings, condition, min_users=MIN_GROUP_USERS):
    """The group label (str) of each user of ``ratings`` under ``condition``, from the user file beside
    ``inter_path``: a Series indexed by user token. Refuses in one line a missing file or attribute, users
    without a value, and a group with fewer than ``min_users`` users."""
    path = user_file_of(inter_path)
    if path is None:
        raise GanrsError(f"--condition {condition}: the source has no user file ({Path(inter_path).stem}.user "
                         f"beside {Path(inter_path).name})")
    return group_labels(read_users(path), ratings, condition, path.name, min_users)


def group_labels(users, ratings, condition, where, min_users=MIN_GROUP_USERS):
    """:func:`user_labels` from a frame of user attributes (indexed by user token; ``where`` names it in the
    refusals): the group label of each user of ``ratings``."""
    users = users.set_axis(users.index.astype(str))
    if condition.attribute not in users.columns:
        raise GanrsError(f"--condition {condition}: {where} has no attribute {condition.attribute!r} "
                         f"(it has {', '.join(map(str, users.columns))})")
    tokens = pd.Index(pd.unique(ratings["user_id"].astype(str)))
    values = users[condition.attribute].reindex(tokens)
    missing = values.isna() | (values == "")
    if missing.any():
        raise GanrsError(f"--condition {condition}: {int(missing.sum())} of the source's {len(tokens)} users have no "
                         f"{condition.attribute} in {where} (e.g. user {tokens[missing.to_numpy()][0]})")
    labels = condition.labels_of(values.astype(str), where)
    counts = labels.value_counts()
    small = counts[counts < min_users]
    if len(small):
        listed = ", ".join(f"{k} ({v} users)" for k, v in small.items())
        raise GanrsError(f"--condition {condition}: group(s) {listed} have fewer than {min_users} users to learn "
                         f"from: merge them with bands or another attribute")
    if len(counts) < 2:
        raise GanrsError(f"--condition {condition}: every user is in group {counts.index[0]}: nothing to condition on")
    return labels


def parse_shares(text):
    """``F:0.3,M:0.7`` (or ``F:0.3``) as ((value, share), ...), checked for form; the values against a source
    by :func:`resolve_shares`."""
    pairs = []
    for part in str(text).split(","):
        value, sep, share = part.strip().rpartition(":")
        try:
            number = float(share)
        except ValueError:
            number = float("nan")
        if not sep or not value or not math.isfinite(number) or not 0 <= number <= 1:
            raise GanrsError(f"group shares must be VALUE:SHARE,... with shares in 0..1, e.g. F:0.3, got {text!r}")
        pairs.append((value, number))
    if len({v for v, _ in pairs}) < len(pairs):
        raise GanrsError(f"group shares name a value twice: {text!r}")
    return tuple(pairs)


def shares_label(shares):
    """``F0.3`` for ((F, 0.3),): what a dataset name says of its group shares (letters and digits only)."""
    return "".join("".join(ch for ch in str(v) if ch.isalnum()) + f"{s:g}" for v, s in shares)


def resolve_shares(named, source_shares, condition="the condition"):
    """{group: share} summing to 1: ``named`` ((value, share) pairs, or None for the source's shares), the other
    groups filling the rest in the source's proportions. Refuses unknown values and shares that cannot sum to 1."""
    source_shares = {str(k): float(v) for k, v in source_shares.items()}
    if not named:
        return source_shares
    named = dict(named)
    unknown = sorted(set(named) - set(source_shares))
    if unknown:
        raise GanrsError(f"group shares name {', '.join(unknown)}, not a group of {condition} "
                         f"(its groups: {', '.join(sorted(source_shares))})")
    given = sum(named.values())
    rest = [g for g in source_shares if g not in named]
    if given > 1 + 1e-9 or (not rest and abs(given - 1) > 1e-6):
        raise GanrsError(f"group shares sum to {given:g}: shares naming every group must sum to 1, "
                         "and those naming some to at most 1")
    left = sum(source_shares[g] for g in rest)
    out = {g: named[g] if g in named else (1 - given) * source_shares[g] / left for g in source_shares}
    return out


def group_sizes(shares, total):
    """Whole numbers of users per group (largest remainders) summing to ``total``; {group: count}."""
    groups = list(shares)
    exact = np.array([shares[g] * total for g in groups])
    whole = np.floor(exact).astype(np.int64)
    whole[np.argsort(whole - exact, kind="stable")[: int(total - whole.sum())]] += 1
    return dict(zip(groups, whole.tolist()))
