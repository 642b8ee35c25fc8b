"""Scenario settings of a sample request: the paper's future work as data, for any generator.

- ``activity`` / ``popularity``: the shape the synthetic users' ratings counts (items' ratings counts)
  follow: ``source`` (the learnt source's), ``uniform``, or ``zipf:A`` (the k-th largest is
  proportional to k^-A: imbalance). GANRS and the statistical generator take them as the target
  cluster sizes / sampling weights; CFGAN has no such control and refuses them.
- ``cold_users`` / ``cold_items``: (F, K): a share F of the users (items), drawn at random, keep at most
  K of their ratings (drawn at random): user (item) cold start.
- ``binary``: Q: like / dislike output, rating >= Q -> 1, else 0.

Cold start and binary are applied to the sample a generator returns (``apply_scenario``); what they
changed goes into the dataset's sidecar.
"""
import numpy as np

from recbole_ganrs import seeds
from recbole_ganrs.errors import GanrsError

SOURCE_SHAPE = "source"


#: the steepest Zipf law a shape may ask for: at A = 10 the second-largest count is 1/1024 of the first
MAX_ZIPF = 10.0


def _number(text):
    try:
        return float(text)
    except ValueError:
        return float("nan")


def check_shape(shape, label):
    """``shape`` as given, if it is source, uniform or zipf:A with 0 < A <= MAX_ZIPF."""
    if shape in (SOURCE_SHAPE, "uniform"):
        return shape
    kind, _, exponent = str(shape).partition(":")
    try:
        ok = kind == "zipf" and 0 < float(exponent) <= MAX_ZIPF
    except ValueError:
        ok = False
    if not ok:
        raise GanrsError(f"{label} must be source, uniform or zipf:A with 0 < A <= {MAX_ZIPF:g}, got {shape!r}"
                         + (" (beyond it the first user or item would hold nearly every rating)"
                            if kind == "zipf" and _number(exponent) > MAX_ZIPF else ""))
    return shape


def shape_sizes(shape, source_shape):
    """Relative sizes (ascending) of the clusters or weights ``shape`` asks for, with as many values as
    ``source_shape`` (the source's counts, sorted), from which a generator draws or takes quantiles."""
    n = len(source_shape)
    if shape == SOURCE_SHAPE:
        return np.asarray(source_shape, np.float64)
    if shape == "uniform":
        return np.ones(n)
    exponent = float(shape.partition(":")[2])
    return np.sort(np.arange(1, n + 1, dtype=np.float64) ** -exponent)


def check_cold(cold, label):
    """``cold`` = (F, K): 0 <= F <= 1 and an integer K >= 1."""
    if cold is None:
        return None
    try:
        share, k = cold
        ok = 0 <= float(share) <= 1 and float(k) == int(k) and int(k) >= 1
    except (TypeError, ValueError, OverflowError):  # int(inf) overflows
        ok = False
    if not ok:
        raise GanrsError(f"{label} must be F:K with 0 <= F <= 1 and an integer K >= 1, got {cold!r}")
    return float(share), int(k)


def parse_cold(text):
    """``F:K`` from the command line (``--cold-users 0.3:5``) as (F, K)."""
    share, sep, k = str(text).partition(":")
    try:
        if not sep:
            raise ValueError
        return check_cold((float(share), float(k)), "cold start")
    except ValueError:
        raise GanrsError(f"cold start must be F:K, e.g. 0.3:5, got {text!r}") from None


def check_binary(q, rating_values):
    """Refuse a like / dislike threshold that puts every rating of the scale on one side."""
    if not rating_values[0] < q <= rating_values[-1]:
        raise GanrsError(f"binary q {q:g} cannot split the source's scale {rating_values[0]:g}..{rating_values[-1]:g} "
                         "into likes and dislikes")


def cold_start(ratings, column, share, k, rng):
    """``ratings`` with a share ``share`` of the ``column`` values (users or items) cut to at most ``k``
    ratings each (random ones); returns (ratings, number of cold ids)."""
    ids = ratings[column].unique()
    cold = rng.choice(ids, int(round(share * len(ids))), replace=False)
    order = rng.permutation(len(ratings))  # a random k of each cold id's ratings survive
    shuffled = ratings.iloc[order]
    rank = shuffled.groupby(column, sort=False).cumcount().to_numpy()
    keep = ~shuffled[column].isin(cold).to_numpy() | (rank < k)
    return shuffled[keep].sort_index(), len(cold)


def apply_scenario(ratings, request):
    """The cold-start and binary settings of ``request`` applied to a generator's sample; returns
    (ratings, {what was changed}, for the sidecar) — ({} when the request has none)."""
    measured, rng = {}, seeds.rng(request.seed, "sample", "scenario")
    for column, cold, label in (("user_id", request.cold_users, "cold_users"),
                                ("item_id", request.cold_items, "cold_items")):
        if cold is not None and cold[0] > 0:
            before = len(ratings)
            ratings, n_cold = cold_start(ratings, column, *cold, rng)
            measured[label] = {"ids": n_cold, "max_ratings": cold[1], "ratings_removed": before - len(ratings)}
    if request.binary is not None:
        ratings = ratings.assign(rating=(ratings["rating"] >= request.binary).astype(np.float64))
        measured["binary"] = {"q": request.binary, "likes": float(ratings["rating"].mean())}
    if not measured:  # nothing changed: no copy (reset_index copies every column: 1.6 GB at 100M ratings)
        return ratings, {}
    return ratings.reset_index(drop=True), {"scenario": measured}
