"""Stages 6-7 of GANRS: from generated rating values to ratings on the source's scale.

- ``match="distribution"`` (default): the generated values keep their order, and
  are cut at the source's rating quantiles, so the output has the source's rating
  shares (the reference matches only the mean, and its shares drift).
- ``match="mean"``: the reference rule: shift to the source mean, clip, round to
  the nearest rating value of the source.
"""
import numpy as np

MATCHES = ("distribution", "mean")


def _reduce(keys, sums, counts):
    """Sum ``sums`` and ``counts`` over equal ``keys``; returns sorted unique keys."""
    unique, inverse = np.unique(keys, return_inverse=True)
    return unique, np.bincount(inverse, weights=sums), np.bincount(inverse, weights=counts)


class PairAccumulator:
    """Running sum and count of the generated values of each (user, item) pair.

    Chunks are reduced on arrival and merged into the running totals once the
    pending ones are as large as the totals (amortised n log n), so memory stays
    within about twice the output, whatever the number of draws.
    """

    def __init__(self, n_items):
        self.n_items = n_items
        self.keys, self.sums, self.counts = np.empty(0, np.int64), np.empty(0), np.empty(0)
        self.pending, self.pending_rows = [], 0

    def add(self, user, item, value):
        key = user.astype(np.int64) * self.n_items + item
        self.pending.append(_reduce(key, value.astype(np.float64), np.ones(len(key))))
        self.pending_rows += len(self.pending[-1][0])
        if self.pending_rows >= max(len(self.keys), 1 << 20):
            self._merge()

    def _merge(self):
        if self.pending:
            parts = [(self.keys, self.sums, self.counts), *self.pending]
            self.keys, self.sums, self.counts = _reduce(*(np.concatenate(p) for p in zip(*parts)))
            self.pending, self.pending_rows = [], 0

    def result(self):
        """(user, item, mean value) of every distinct pair, sorted by user then item."""
        self._merge()
        return self.keys // self.n_items, self.keys % self.n_items, self.sums / self.counts


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
