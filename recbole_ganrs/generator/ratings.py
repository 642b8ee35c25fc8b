"""Stages 6-7 of GANRS: from generated rating values to ratings on the source's scale
(the ``distribution`` and ``mean`` rating models; ``calibrated`` is in rating_head.py).

- ``match="distribution"`` (default): the generated values keep their order, and
  are cut at the source's rating quantiles, so the output has the source's rating
  shares (the reference matches only the mean, and its shares drift).
- ``match="mean"``: the reference rule: shift to the source mean, clip, round to
  the nearest rating value of the source.
"""
import numpy as np

from recbole_ganrs.errors import GanrsError

MATCHES = ("distribution", "mean")
#: how GANRS rates its synthetic pairs: drawn from p(rating | embeddings) (rating_head.py), or the GAN's
#: rating column mapped by one of the rules above
RATING_MODELS = ("calibrated", *MATCHES)


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

    def _key(self, user, item):
        return user.astype(np.int64) * self.n_items + item

    def add(self, user, item, value):
        key = self._key(user, item)
        self.pending.append(_reduce(key, value.astype(np.float64), np.ones(len(key))))
        self.pending_rows += len(self.pending[-1][0])
        if self.pending_rows >= max(len(self.keys), 1 << 20):
            self._merge()

    def __len__(self):
        """Distinct pairs so far."""
        self._merge()
        return len(self.keys)

    def add_until(self, user, item, value, target):
        """Add the draws in order until ``target`` distinct pairs are reached (the rest of the chunk is
        dropped); returns True when reached. Streams like :meth:`add`; the check merges each chunk."""
        need = target - len(self)
        if need <= 0:
            return True
        key = self._key(user, item)
        known = np.searchsorted(self.keys, key).clip(max=max(len(self.keys) - 1, 0))
        new = np.flatnonzero(self.keys[known] != key) if len(self.keys) else np.arange(len(key))
        _, first = np.unique(key[new], return_index=True)
        if len(first) >= need:
            cut = np.sort(new[first])[need - 1] + 1
            self.add(user[:cut], item[:cut], value[:cut])
            return True
        self.add(user, item, value)
        return False

    def _merge(self):
        if self.pending:
            parts = [(self.keys, self.sums, self.counts), *self.pending]
            self.keys, self.sums, self.counts = _reduce(*(np.concatenate(p) for p in zip(*parts)))
            self.pending, self.pending_rows = [], 0

    def result(self):
        """(user, item, mean value) of every distinct pair, sorted by user then item."""
        self._merge()
        return self.keys // self.n_items, self.keys % self.n_items, self.sums / self.counts


#: a chunk of draws adding fewer new pairs than this share of its draws means the stream has stalled
STALL_SHARE = 0.003


def draw_chunks(samples, chunk):
    """Sizes of the chunks of draws: ``samples`` in all, or endless when ``samples`` is None."""
    done = 0
    while samples is None or done < samples:
        n = chunk if samples is None else min(chunk, samples - done)
        done += n
        yield n


def collect_pairs(chunks, request, n_items, kind):
    """Merge ``(user, item, value)`` chunks of draws into distinct pairs: every draw (``request.samples``),
    or the draws until ``request.ratings`` distinct pairs, refusing in one line a stream that stalls.
    Returns (user, item, mean value) of the pairs."""
    pairs, draws = PairAccumulator(n_items), 0
    for user, item, value in chunks:
        draws += len(user)
        if request.ratings is None:
            pairs.add(user, item, value)
            continue
        before = len(pairs)
        if pairs.add_until(user, item, value, request.ratings):
            return pairs.result()
        added = len(pairs) - before
        if added < STALL_SHARE * len(user):
            raise GanrsError(
                f"{kind}: reached {len(pairs):,} distinct ratings of the {request.ratings:,} asked after {draws:,} "
                f"draws (the last {len(user):,} added {added:,}): draws keep landing on pairs already rated; ask "
                "fewer --ratings, or more users or items, or (ganrs) a larger --std")
    if request.ratings is not None:
        raise GanrsError(f"{kind}: reached {len(pairs):,} distinct ratings of the {request.ratings:,} asked: "
                         "the generator has no more to give; ask fewer --ratings or more users")
    return pairs.result()


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
