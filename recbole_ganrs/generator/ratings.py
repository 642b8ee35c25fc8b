"""Stages 6-7 of GANRS: from generated rating values to ratings on the source's scale.

- ``match="distribution"`` (default): the generated values keep their order, and
  are cut at the source's rating quantiles, so the output has the source's rating
  shares (the reference matches only the mean, and its shares drift).
- ``match="mean"``: the reference rule: shift to the source mean, clip, round to
  the nearest rating value of the source.
"""
import numpy as np

MATCHES = ("distribution", "mean")


def resolve_pairs(user, item, value, n_items):
    """One value per distinct (user, item) pair: the mean of that pair's draws.

    Returns (user, item, value) of the distinct pairs. This is the method's
    clean-up rule: duplicate <u, i, r> are dropped and conflicting ratings of a
    pair are merged, so the output has no duplicate pair.
    """
    key = user.astype(np.int64) * n_items + item
    pairs, inverse = np.unique(key, return_inverse=True)
    counts = np.bincount(inverse)
    mean = np.bincount(inverse, weights=value) / counts
    return pairs // n_items, pairs % n_items, mean


def to_scale(value, rating_values, rating_shares, rating_mean, match="distribution"):
    """Map generated rating values (already de-normalised) onto the source's rating values."""
    rating_values = np.asarray(rating_values, dtype=np.float64)
    if match == "distribution":
        order = np.argsort(value, kind="stable")
        bounds = np.round(np.cumsum(rating_shares) * len(value)).astype(np.int64)
        position = np.empty(len(value), dtype=np.int64)
        position[order] = np.arange(len(value))
        return rating_values[np.searchsorted(bounds, position, side="right").clip(max=len(rating_values) - 1)]
    if match == "mean":
        shifted = np.clip(value - value.mean() + rating_mean, rating_values[0], rating_values[-1])
        nearest = np.abs(shifted[:, None] - rating_values[None, :]).argmin(axis=1)
        return rating_values[nearest]
    raise ValueError(f"rating match must be one of {MATCHES}, not '{match}'")
