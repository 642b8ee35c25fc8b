"""Which (user, item) pairs a GANRS dataset rates: the ``shapes`` pairing (the default).

The reference rates the (user cluster, item cluster) pair of every draw. The GAN couples a
draw's user and item parts tightly, so one synthetic user's draws land on a few hundred
items however many draws it gets: at Table IV's density (353,269 ratings, 2,000 users,
ml-100k) a heavy user's 16,000 draws held 207 distinct items, and the activity and
popularity shapes went flat (KS 0.27 / 0.26, item Gini 0.39 against the source's 0.63).
Here the draws say where a user's items lie, and the source says how many each has:

- affinity: a Gaussian over the item parts of each user's draws (their mean and
  covariance, shrunk toward all draws' for users with few draws, widened by the item
  clusters' own spread), as a log density at every item centre;
- counts: the ratings of each user (item) follow the target shape (the source's activity
  and popularity, or a scenario's), the largest going to the users (items) with the most draws;
- popularity bins: the items cut, in order of their counts, into bins holding set shares of
  the ratings (``POPULARITY_MASS``), and each user's count spread over them as its donor's
  ratings are (``popularity_targets``): a niche user rates the tail, a mainstream one the head;
- probabilities P_ui = min(1, exp(affinity_ui + a_u,bin(i) + b_i)), a and b scaled (Sinkhorn
  iterations, capped at 1) so that P's sums over each user's bins and each item are those counts;
- the pairs: each user's count (rounded, summing to the total) of items of smallest
  U_ui / P_ui (U uniform, seeded; sequential Poisson sampling): about a Bernoulli(P_ui)
  draw each, with exactly the user's count.

P is held only on each user's candidates, so memory and time follow the ratings, not
users x items (8 bytes a candidate): CANDIDATES_PER_RATING x its count (at least
MIN_CANDIDATES) items drawn without replacement with weights exp(affinity_ui + b0_i)
(Gumbel top-k, seeded), b0 the column scaling of a pilot (the same scaling, dense, on an
even subsample of the users), so that an item many users rate is a candidate of users who
are not its nearest. Drawn, not the top-k: at 100,000 x 20,000 x 10M ratings the top-k
lists left the items far from every user's mean in too few lists to reach their counts
(popularity KS 0.104 against 0.045 drawn; the same within the fit-seed noise at Table
IV's sizes, where the lists cover most items: benchmarks/README.md). The affinities are
swept once, in row chunks, to choose the candidates. Users are split into blocks (consecutive in the
order of their counts, so a block's candidate lists have about one length); a block holds
its candidates and row scaling, draws its pairs from its own stream, and its column sums
are added as fixed-point integers: whichever worker holds which block (``workers.py``),
the sums, the scaling and the pairs are the same bits.
"""
import dataclasses
from dataclasses import dataclass
from typing import Optional

import numpy as np
import pandas as pd
import torch

from recbole_ganrs.generator.clustering import ordered_shares
from recbole_ganrs.seeds import torch_generator

PAIRINGS = ("shapes", "draws")
SHRINK = 10.0  # draws' worth of the overall moments added to each user's: few draws, broad affinity
SCALING_STEPS = 40  # capped Sinkhorn steps (shapes reach KS < 0.05 on ml-100k by then)
CANDIDATES_PER_RATING = 4  # a user's candidate items: this many times its count...
MIN_CANDIDATES = 32  # ...and at least this many (at most every item)
BLOCK_CANDIDATES = 1 << 21  # candidates a block holds (its users x its longest list)
CHUNK_CELLS = 1 << 22  # users x items affinities computed at a time
PILOT_CELLS = 1 << 22  # users x items of the pilot's dense scaling (more moved no measure beyond the sample noise)
TEMPER_CELLS = 1 << 20  # users x items of the affinity weight's pilot
TEMPER_STEPS, TEMPER_SCALING_STEPS = 7, 20  # bisection steps (the weight to 1/256), scaling steps of each
POPULARITY_MASS = (0.25, 0.5, 0.75, 0.875, 0.9375, 0.97)  # popularity bins' edges: cumulative rating shares
POPULARITY_BINS = len(POPULARITY_MASS) + 1
BIN_STEPS = 50  # proportional fitting steps of the users' bin targets
BIN_FLOOR = 1e-3  # added to a donor's bin shares: a user can rate the bins its donor did not, a little
FIXED_POINT = 2.0**32  # a block's column sums are added as integers of this scale: exact in any grouping


def candidate_width(counts, n_items):
    """Each user's number of candidate items."""
    return np.minimum(n_items, np.maximum(MIN_CANDIDATES, CANDIDATES_PER_RATING * np.asarray(counts, np.int64)))


def user_moments(user, points, n_users, shrink=SHRINK):
    """Mean [U, k] and covariance [U, k, k] of each user's ``points``, shrunk toward all points'."""
    points = np.asarray(points, np.float64)
    k = points.shape[1]
    count = np.bincount(user, minlength=n_users).astype(np.float64)[:, None]
    sums = np.stack([np.bincount(user, weights=points[:, d], minlength=n_users) for d in range(k)], 1)
    products = np.stack([np.bincount(user, weights=points[:, a] * points[:, b], minlength=n_users)
                         for a in range(k) for b in range(k)], 1).reshape(n_users, k, k)
    overall_mean, overall_second = points.mean(0), points.T @ points / len(points)
    mean = (sums + shrink * overall_mean) / (count + shrink)
    second = (products + shrink * overall_second) / (count[:, :, None] + shrink)
    return mean, second - mean[:, :, None] * mean[:, None, :]


@dataclass(frozen=True)
class Affinity:
    """Each user's affinity Gaussian over the item centres: its mean [U, k], precision [U, k, k] and the log
    determinant of the precision [U] (float64), and the item centres [I, k]."""

    mean: np.ndarray
    precision: np.ndarray
    logdet: np.ndarray
    centres: np.ndarray
    temper: float = 1.0  # the log densities' weight: below 1, users' choices lean on the items' counts
    item_bin: Optional[np.ndarray] = None  # each item's popularity bin (``popularity_bins``; None: one bin)

    @classmethod
    def of(cls, mean, cov, centres, widen):
        """log N(centre_i; mean_u, cov_u + widen I)."""
        precision = np.linalg.inv(cov + widen * np.eye(mean.shape[1]))
        return cls(np.asarray(mean, np.float64), precision, np.linalg.slogdet(precision)[1],
                   np.asarray(centres, np.float64))

    def rows(self, users):
        """The affinities of ``users`` (an index array) to every item, float32 torch [len(users), I]."""
        k = self.mean.shape[1]
        c = torch.tensor(self.centres)
        outer = (c[:, :, None] * c[:, None, :]).reshape(len(c), k * k)  # c c^T, flattened
        p, m = torch.as_tensor(self.precision[users]), torch.as_tensor(self.mean[users])
        pm = torch.einsum("uab,ub->ua", p, m)
        # -(c - m)^T P (c - m) / 2 = -(c^T P c - 2 c^T P m + m^T P m) / 2, one matrix product a term
        quad = p.reshape(len(p), k * k) @ outer.T - 2 * pm @ c.T + (pm * m).sum(1, keepdim=True)
        return (0.5 * self.temper * (torch.tensor(self.logdet[users])[:, None] - quad)).float()

    def dense(self, users=None):
        """float32 numpy [users, I] affinities, swept in row chunks (the pilot, small requests, tests)."""
        users = np.arange(len(self.mean)) if users is None else np.asarray(users)
        out = np.empty((len(users), len(self.centres)), dtype=np.float32)
        step = max(1, CHUNK_CELLS // len(self.centres))
        for start in range(0, len(users), step):
            out[start : start + step] = self.rows(users[start : start + step]).numpy()
        return out


def target_counts(sizes, total, order_by, cap):
    """Counts summing to ``total`` that follow the shape ``sizes`` (at most ``cap`` each), the largest going
    to the rows with the largest ``order_by``."""
    counts = ordered_shares(sizes, order_by) * total
    for _ in range(50):  # give what the cap cuts off to the rows below it
        over = counts > cap
        if not over.any():
            break
        free = ~over
        counts[free] += (counts[over] - cap).sum() * counts[free] / counts[free].sum()
        counts[over] = cap
    return counts


def whole_counts(counts, total, cap=None):
    """``counts`` rounded to integers that sum to ``total`` (largest remainders), none above ``cap``: a user
    cannot rate more items than there are (target_counts' capping can leave a count a little above its cap when
    nearly every cell is asked for, e.g. 4,999 ratings of 50 x 100; its rounding up then asked for 101 items)."""
    whole = np.floor(counts).astype(np.int64)
    if cap is not None:
        whole = np.minimum(whole, int(cap))
    while (short := int(total - whole.sum())) > 0:
        order = np.argsort(whole - counts, kind="stable")  # the largest remainders first
        if cap is not None:
            order = order[whole[order] < cap]
        if not len(order):
            break  # more than every row's cap: the request's checks refuse that before
        whole[order[:short]] += 1
    return whole


def _row_chunks(n_rows, n_cols):
    rows = max(1, CHUNK_CELLS // n_cols)
    return [slice(s, min(s + rows, n_rows)) for s in range(0, n_rows, rows)]


def _probabilities(logk, a, b, rows):
    return torch.exp(torch.as_tensor(logk[rows]) + a[rows, None] + b[None, :]).clamp_(max=1.0)


def fit_scaling(logk, row_counts, col_counts, steps=SCALING_STEPS):
    """Row and column log-scalings a, b with min(1, exp(logk + a + b)) summing to the counts (capped Sinkhorn),
    on a dense [rows, items] ``logk``: the pilot's."""
    rows_t = torch.as_tensor(row_counts, dtype=torch.float32).clamp_min(1e-6)
    cols_t = torch.as_tensor(col_counts, dtype=torch.float32).clamp_min(1e-6)
    chunks = _row_chunks(*logk.shape)
    a = torch.log(rows_t) - torch.cat([torch.logsumexp(torch.as_tensor(logk[r]), 1) for r in chunks])
    b = torch.zeros(logk.shape[1])
    for _ in range(steps):
        col = sum(_probabilities(logk, a, b, r).sum(0) for r in chunks)
        b += torch.log(cols_t / col.clamp_min(1e-12))
        row = torch.cat([_probabilities(logk, a, b, r).sum(1) for r in chunks])
        a += torch.log(rows_t / row.clamp_min(1e-12))
    return a, b


def pilot_users(counts, cells_per_user, cells=PILOT_CELLS):
    """An even subsample of the users with a count (every s-th in the order of the counts), at most ``cells``
    cells: all of them for a small request."""
    order = np.argsort(-np.asarray(counts), kind="stable")
    order = order[np.asarray(counts)[order] > 0]
    n = max(1, min(len(order), cells // cells_per_user))
    return np.unique(order[np.linspace(0, len(order) - 1, n).round().astype(np.int64)])


def mainstream_spread(user, item):
    """The std over users of the mean popularity percentile of the items each rated (the source's: how much its
    users differ in how mainstream their items are; detection.py's "mean popularity" feature)."""
    percentile = pd.Series(np.bincount(item)).rank(pct=True).to_numpy()
    return float((np.bincount(user, weights=percentile[item]) / np.bincount(user)).std())


def popularity_bins(counts):
    """Each item's popularity bin (int64): the items in order of their counts (most rated first), cut where the
    cumulative share of the ratings passes ``POPULARITY_MASS``. The bins hold the same shares of the ratings in
    any dataset of the same popularity shape, whatever its size; they are finer toward the tail, where the
    users that rate niche items differ (FilmTrust: the 5% least mainstream users' mean item percentile 0.77,
    the median user's 0.99)."""
    counts = np.asarray(counts, np.float64)
    order = np.argsort(-counts, kind="stable")
    cum = np.cumsum(counts[order])
    middle = (cum - counts[order] / 2) / max(cum[-1], 1e-12)  # the share of the ratings before the item's middle
    out = np.empty(len(counts), np.int64)
    out[order] = np.searchsorted(POPULARITY_MASS, middle, side="right")
    return out


def bin_targets(rows, shares, bin_totals, bin_items, steps=BIN_STEPS):
    """Each user's fractional count in each popularity bin [users, bins]: its row count at its donor's bin
    ``shares``, scaled (iterative proportional fitting) so that the bins' totals are ``bin_totals`` (the
    items' counts in them) and each user's total its row count, at most the bin's ``bin_items`` (a user rates
    an item once: FilmTrust's top bin holds 10 items, which a heavy user's donor share would overfill); what
    a capped bin cannot hold goes to the user's other bins."""
    rows = np.asarray(rows, np.float64)
    bin_totals, cap = np.asarray(bin_totals, np.float64), np.asarray(bin_items, np.float64)[None, :]
    shares = np.asarray(shares, np.float64) + BIN_FLOOR  # every bin can take a capped bin's overflow
    t = rows[:, None] * shares / shares.sum(1, keepdims=True)
    for _ in range(steps):
        t = np.minimum(t * (bin_totals / np.maximum(t.sum(0), 1e-12)), cap)
        full = t >= cap
        room = rows - np.where(full, cap, 0.0).sum(1)
        free = np.where(full, 0.0, t)
        t = np.minimum(np.where(full, cap, free * (room / np.maximum(free.sum(1), 1e-12))[:, None]), cap)
    return t


def popularity_targets(rows, cols, donor_bins):
    """(each item's popularity bin, each user's targets in each bin [users, bins]) for the row and column counts
    ``rows`` and ``cols``: a user's ratings spread over the bins as its donor's ``donor_bins`` histogram (the
    real user's ratings in each bin of the source's items), then fitted to the bins' totals and sizes."""
    item_bin = popularity_bins(cols)
    donor_bins = np.asarray(donor_bins, np.float64)
    shares = donor_bins / np.maximum(donor_bins.sum(1, keepdims=True), 1.0)
    totals = np.bincount(item_bin, weights=cols, minlength=POPULARITY_BINS)
    return item_bin, bin_targets(rows, shares, totals, np.bincount(item_bin, minlength=POPULARITY_BINS))


def rated_percentile(cols):
    """Each item's popularity percentile among the items that will be rated at all (the measure ranks only
    those): its rank among every item, less the about sum(exp(-count)) items a Poisson draw leaves unrated."""
    cols = np.asarray(cols, np.float64)
    unrated = float(np.exp(-cols).sum())
    rank = pd.Series(cols).rank().to_numpy()
    return np.clip((rank - unrated) / max(len(cols) - unrated, 1.0), 0.0, 1.0)


def expected_spread(logk, a, b, rows, percentile):
    """The users' spread of mean item percentile that P = min(1, exp(logk + a + b)) gives: the spread of their
    expected means, with the part each user's finite count adds."""
    p = _probabilities(logk, a, b, slice(None)).double()
    weight = p / p.sum(1, keepdim=True).clamp_min(1e-12)
    pct = torch.as_tensor(percentile, dtype=torch.float64)
    mean = weight @ pct
    noise = (weight @ pct**2 - mean**2).clamp_min(0) / torch.as_tensor(rows, dtype=torch.float64).clamp_min(1)
    return float(torch.sqrt(mean.var(unbiased=False) + noise.mean()))


def fit_temper(affinity, rows, cols, target, steps=TEMPER_STEPS):
    """The weight of the affinities (0..1) at which the users' mean item popularity percentile spreads as the
    source's ``target`` (mainstream_spread) under P, bisected on pilot users: at full weight each user's items
    come from its own region of the draws, and the synthetic users differed far more than real ones in how
    mainstream their items were (ml-100k: 0.081 against 0.057, the detection classifier's strongest feature).
    P's expectation is what is matched; the drawn pairs spread more (ml-100k: 0.067 at the weight that gives
    0.056 under P), as the candidate lists concentrate the rarer items on the users that hold them. Bisecting
    on a pilot's drawn pairs instead overshot (0.046: a few hundred pilot users concentrate them more than
    every user does) at 6 s a sample."""
    pilot = pilot_users(rows, len(affinity.centres), TEMPER_CELLS)
    share = rows[pilot].sum() / rows.sum()
    dense = torch.as_tensor(dataclasses.replace(affinity, temper=1.0).dense(pilot))
    percentile = rated_percentile(cols)

    def spread(temper):
        logk = dense * temper
        a, b = fit_scaling(logk, rows[pilot], cols * share, steps=TEMPER_SCALING_STEPS)
        return expected_spread(logk, a, b, rows[pilot], percentile)

    low, high = 0.0, 1.0
    if spread(high) <= target:
        return high
    if spread(low) >= target:
        return low
    for _ in range(steps):
        middle = (low + high) / 2
        low, high = (middle, high) if spread(middle) < target else (low, middle)
    return (low + high) / 2


def pilot_columns(affinity, rows, cols):
    """b0: the column log-scaling of the capped scaling on the pilot users, their column targets the items'
    counts cut to the pilot's share of the ratings (float64 [I])."""
    pilot = pilot_users(rows, len(affinity.centres))
    share = rows[pilot].sum() / rows.sum()
    return fit_scaling(affinity.dense(pilot), rows[pilot], cols * share)[1].numpy().astype(np.float64)


@dataclass(frozen=True)
class BlockSpec:
    """One block of users: its number (its random stream), the users (rows of the request's users), their
    fractional target counts (the scaling's) and whole counts (the draw's), and the candidate list length."""

    index: int
    users: np.ndarray
    targets: np.ndarray
    counts: np.ndarray
    width: int
    bin_targets: Optional[np.ndarray] = None  # [users, bins]: their targets in each popularity bin (None: one bin)


def plan_blocks(targets, counts, n_items, bins=None):
    """The users with a count, in blocks of at most BLOCK_CANDIDATES candidates, consecutive in the order of
    their counts (a block's lists have about one length). The plan depends on the request only."""
    order = np.argsort(-counts, kind="stable")
    order = order[counts[order] > 0]
    widths = candidate_width(counts, n_items) + (0 if bins is None else min(POPULARITY_BINS, n_items))
    blocks, start = [], 0
    while start < len(order):
        width = int(widths[order[start]])
        users = order[start : start + max(1, BLOCK_CANDIDATES // width)]
        blocks.append(BlockSpec(len(blocks), users, targets[users], counts[users], width,
                                None if bins is None else bins[users]))
        start += len(users)
    return blocks


def bin_widths(targets, width, bin_items):
    """How many of each user's ``width`` candidates come from each popularity bin [users, bins]: its share of
    its targets there (rounded up: a list is up to a bin per user longer), at most the bin's items."""
    share = targets / targets.sum(1, keepdims=True)
    return np.minimum(np.ceil(share * np.asarray(width)[:, None]).astype(np.int64), np.asarray(bin_items)[None, :])


def binned_top(keys, members, widths, width):
    """Each row's ``widths[:, b]`` largest ``keys`` among the items ``members[b]`` of each bin b, its own
    candidates first, then other bins' next items up to ``width``: the items [rows, width] and whether each is
    the row's own (bool)."""
    items, own = [torch.zeros(len(keys), width, dtype=torch.long)], [torch.zeros(len(keys), width, dtype=torch.bool)]
    for b, member in enumerate(members):
        k = int(widths[:, b].max())
        if k == 0:
            continue
        top = torch.topk(keys.index_select(1, member), k, dim=1).indices
        items.append(member[top])
        own.append(torch.arange(k)[None, :] < torch.as_tensor(widths[:, b])[:, None])
    items, own = torch.cat(items[1:] + items[:1], 1), torch.cat(own[1:] + own[:1], 1)  # padding last
    order = torch.sort((~own).to(torch.uint8), dim=1, stable=True).indices[:, :width]  # a row's own first
    return items.gather(1, order), own.gather(1, order)


class CandidateBlock:
    """A block's candidates (their items and affinities, -inf past a user's own list), its row log-scaling
    ``a`` (one per user and popularity bin) and, once drawn, its pairs. Every step is single-threaded torch
    (``workers.py``): bit-for-bit the same on any worker."""

    def __init__(self, spec, affinity, prior, seed):
        self.spec = spec
        width, n_items = spec.width, len(affinity.centres)
        self.n_items = n_items
        self.logk = torch.empty(len(spec.users), width)
        self.items = torch.empty(len(spec.users), width, dtype=torch.int32)
        prior = torch.tensor(prior, dtype=torch.float32)
        gumbel = torch_generator(seed, "sample", "candidates", spec.index)
        binned = spec.bin_targets is not None and affinity.item_bin is not None
        targets = spec.bin_targets if binned else np.asarray(spec.targets)[:, None]
        self.targets = torch.tensor(targets, dtype=torch.float64).clamp_min(1e-6)
        own_width = candidate_width(spec.counts, n_items)
        if binned:  # each bin's items drawn apart, as many as the user's share there: its targets are reachable
            members = [torch.as_tensor(np.flatnonzero(affinity.item_bin == b)) for b in range(POPULARITY_BINS)]
            widths = bin_widths(self.targets.numpy(), own_width, [len(m) for m in members])
            own_width = widths.sum(1)
        own = torch.zeros(len(spec.users), width, dtype=torch.bool)
        step = max(1, CHUNK_CELLS // n_items)
        for start in range(0, len(spec.users), step):
            rows = slice(start, start + step)
            full = affinity.rows(spec.users[rows])
            u = torch.rand(full.shape, generator=gumbel).clamp_min_(1e-12)
            # top-k of log-weight + Gumbel noise: k items drawn without replacement, each by its weight
            keys = full + prior - torch.log(-torch.log(u))
            if binned:
                top, own[rows] = binned_top(keys, members, widths[rows], width)
            else:
                top = torch.topk(keys, width, dim=1).indices  # a user's own first
                own[rows] = torch.arange(width)[None, :] < torch.as_tensor(own_width[rows])[:, None]
            self.logk[rows] = full.gather(1, top)
            self.items[rows] = top.int()
        self.logk.masked_fill_(~own, -torch.inf)
        # each candidate's bin, one byte a candidate: looked up again at every step it cost as much as the rest
        self.bins = torch.tensor(affinity.item_bin, dtype=torch.uint8)[self.items.long()] if binned else None
        start = (self.logk + prior.index_select(0, self.items.view(-1)).view_as(self.logk)).double()
        self.a = (torch.log(self.targets) - self._log_bin_sums(start)).float()
        self.user = self.item = None

    def _candidate_bins(self):
        return self.bins.long()

    def _log_bin_sums(self, x):
        """log of each user's sums of exp(``x``) [users, width] over the candidates of each bin [users, bins]."""
        if self.bins is None:
            return torch.logsumexp(x, 1, keepdim=True)
        top = x.max(1, keepdim=True).values.clamp_min(-1e30)
        sums = torch.zeros(self.targets.shape, dtype=x.dtype).scatter_add_(1, self._candidate_bins(), torch.exp(x - top))
        return torch.log(sums.clamp_min(1e-300)) + top  # a bin without candidates: a finite, unused scaling

    def _bin_sums(self, p):
        """Each user's sums of ``p`` [users, width] over its candidates of each bin, float64 [users, bins]."""
        if self.bins is None:
            return p.sum(1, dtype=torch.float64)[:, None]
        return torch.zeros(self.targets.shape).scatter_add_(1, self._candidate_bins(), p).double()

    def probabilities(self, b):
        """P of the candidates under the column log-scaling ``b`` (float32 numpy [I])."""
        b = torch.tensor(b, dtype=torch.float32)  # a copy: Ray hands arrays over read-only
        gathered = b.index_select(0, self.items.view(-1)).view_as(self.logk)
        rows = self.a if self.bins is None else self.a.gather(1, self._candidate_bins())
        return torch.exp(self.logk + rows + gathered).clamp_(max=1.0)

    def column_sums(self, b):
        """The block's P column sums as fixed-point int64 [I]."""
        p = self.probabilities(b)
        sums = torch.bincount(self.items.view(-1), weights=p.view(-1).double(), minlength=self.n_items)
        return (sums * FIXED_POINT).round().long().numpy()

    def step(self, b):
        """Rescale the rows to their targets under ``b``, then the column sums (one Sinkhorn step's block part)."""
        row = self._bin_sums(self.probabilities(b))
        self.a += torch.log(self.targets / row.clamp_min(1e-12)).float()
        return self.column_sums(b)

    def draw(self, b, seed):
        """Each user's count of distinct items of smallest U / P (sequential Poisson sampling), U from the
        block's own stream; returns them (users, items: int32), which the block keeps to rate them."""
        p = self.probabilities(b)
        key = torch.rand(p.shape, generator=torch_generator(seed, "sample", "pairing", self.spec.index)) / p
        key = key.nan_to_num_(posinf=torch.finfo(torch.float32).max)  # P underflowed: last, but a candidate...
        key.masked_fill_(torch.isneginf(self.logk), torch.inf)  # ...never a position past the user's list
        counts = torch.tensor(self.spec.counts)
        chosen = torch.topk(key, int(counts.max()), dim=1, largest=False).indices
        keep = torch.arange(chosen.shape[1])[None, :] < counts[:, None]
        item = torch.where(keep, self.items.gather(1, chosen), self.n_items).sort(1).values  # own items first
        self.item = item[keep].numpy()
        self.user = np.repeat(self.spec.users, self.spec.counts).astype(np.int32)
        del self.logk, self.items, self.bins  # the candidates are done with
        return self.user, self.item

    def rate(self, rater, seed):
        """The block's pairs' rating classes (rating_head.Rater), from the block's own stream."""
        return rater.rate(self.user, self.item, seed, self.spec.index)


def draw_shape_pairs(affinity, rows, cols, total, seed, workers, stages, bins=None):
    """``total`` (user, item) pairs with row counts ``rows`` and column counts ``cols`` (fractional targets) on
    ``workers``, which keep the blocks (their pairs are rated there next). The pilot and the column steps run
    here; each block's candidates, row steps and draw run on the workers."""
    counts = whole_counts(rows, total, cap=len(affinity.centres))
    specs = plan_blocks(rows, counts, len(affinity.centres), bins)
    with stages("pairing: candidates", total=len(specs), unit="block"):
        b = pilot_columns(affinity, rows, cols)
        workers.build(specs, affinity, b.astype(np.float32), seed)
    target = np.maximum(np.asarray(cols, np.float64), 1e-6)
    with stages("pairing: scaling", total=SCALING_STEPS, unit="step") as bar:
        col = workers.total("column_sums", b.astype(np.float32))
        for _ in range(SCALING_STEPS):
            b += np.log(target / np.maximum(col / FIXED_POINT, 1e-12))
            col = workers.total("step", b.astype(np.float32))
            bar.update()
    with stages("pairing: draw", total=len(specs), unit="block"):
        parts = workers.collect("draw", b.astype(np.float32), seed)
    return np.concatenate([u for u, _ in parts]), np.concatenate([i for _, i in parts])  # int32: 4 bytes a pair
