"""User groups the metrics are also reported for, and whether two groups' metric differs.

Groupings of a trial's ranked users (each a label per user):
- ``activity``: quartile of the user's training ratings, Q1 the lightest (ties broken by user order, so
  the four groups are equal in size);
- ``cold-start``: cold / warm, under a cold split (``--split cold-users:F:K``) or a cold-start
  scenario's users (at most K training ratings);
- each attribute of the dataset's ``.user`` file (ml-100k: age, gender, occupation): a numeric one with
  more than ``MAX_LEVELS`` values in quartile bands of the file's users (``age 7-25``...), a token one
  with at most ``MAX_GROUPS`` values as it is; others (zip codes: numbers with a leading zero are codes)
  are left out.

``gap_test``: the largest minus the smallest group mean, and a permutation test of whether it is non-zero
(the users' group labels permuted; scipy.stats.permutation_test).
"""
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from recbole_ganrs import seeds
from recbole_ganrs.data.users import Condition, read_users

MAX_LEVELS = 8  # a numeric attribute with more values is banded
MAX_GROUPS = 25  # a token attribute with more values is left out
BANDS = 4
PERMUTATIONS = 2000
MIN_USERS = 2  # a group with fewer users is shown but left out of the gap and its test


def activity_quartiles(counts):
    """Q1..Q4 of each user's training-rating count (equal-sized groups; Q1 the lightest)."""
    counts = pd.Series(np.asarray(counts))
    if len(counts) < BANDS:
        return np.full(len(counts), "Q1", dtype=object)
    return pd.qcut(counts.rank(method="first"), BANDS, labels=[f"Q{i + 1}" for i in range(BANDS)]).astype(str).to_numpy()


def read_user_file(path, condition=None):
    """The attributes of an atomic ``.user`` file: a frame indexed by user token, one column per kept
    attribute, each value its group label (None when there is no file). ``condition`` (the run's --condition,
    e.g. ``age:18,25,35``): that attribute is cut at its bands, as the conditioned synthetic datasets' users
    are labelled, so that the source's groups are the same groups (a value that is already a band stays)."""
    path = Path(path)
    if not path.is_file():
        return None
    users = read_users(path)
    banded = Condition.parse(condition) if condition else None
    groups = {}
    for name, values in users.items():
        if banded is not None and banded.bands and name == banded.attribute:
            numeric = pd.to_numeric(values, errors="coerce").notna()
            groups[name] = values.where(~numeric, banded.labels_of(values[numeric], path.name)).to_numpy()
            continue
        numeric = pd.to_numeric(values, errors="coerce")
        code = values.str.match(r"0\d").any()  # a leading zero: a code (a zip code), not a number
        if numeric.notna().all() and not code and numeric.nunique() > MAX_LEVELS:
            bands = pd.qcut(numeric, BANDS, duplicates="drop")  # (left, right]: whole values left + 1..right
            whole = (numeric == numeric.round()).all()
            groups[name] = [f"{int(np.floor(b.left)) + 1}-{int(b.right)}" if whole else f"({b.left:g}, {b.right:g}]"
                            for b in bands]
        elif values.nunique() <= MAX_GROUPS:
            groups[name] = values.to_numpy()
    return pd.DataFrame(groups, index=users.index)


def user_groups(tokens, train_counts, user_file=None, cold=None):
    """{grouping: label per user} for users ``tokens`` (the dataset's own ids) with their training-rating
    counts; ``cold`` a bool per user (a cold split or scenario) or None."""
    groups = {"activity": activity_quartiles(train_counts)}
    if cold is not None:
        groups["cold-start"] = np.where(cold, "cold", "warm").astype(object)
    if user_file is not None:
        known = user_file.reindex(pd.Index(tokens, dtype=str))
        for name in user_file.columns:
            groups[name] = known[name].fillna("unknown").to_numpy(dtype=object)
    return groups


def gap_test(values, labels, seed=0, permutations=PERMUTATIONS):
    """(gap, p): the largest minus the smallest group mean of ``values`` and the permutation p-value of
    "every group has the same mean" (labels permuted over users, two-sided by construction: the gap is
    never negative), over the groups of at least ``MIN_USERS`` users. NaN for fewer than two such groups."""
    values, labels = np.asarray(values, np.float64), np.asarray(labels)
    samples = [values[labels == level] for level in np.unique(labels)]
    samples = [s for s in samples if len(s) >= MIN_USERS]
    if len(samples) < 2:
        return float("nan"), float("nan")

    def gap(*groups, axis=-1):
        means = np.stack([np.mean(g, axis=axis) for g in groups])
        return means.max(0) - means.min(0)

    result = stats.permutation_test(samples, gap, permutation_type="independent", n_resamples=permutations,
                                    vectorized=True, alternative="greater",
                                    rng=seeds.rng(seed, "bootstrap", "permutations"))
    return float(result.statistic), float(result.pvalue)
