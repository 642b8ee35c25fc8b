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
- probabilities P_ui = min(1, exp(affinity_ui + a_u + b_i)), a_u and b_i scaled (Sinkhorn
  iterations, capped at 1) so that P's row and column sums are those counts;
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


def plan_blocks(targets, counts, n_items):
    """The users with a count, in blocks of at most BLOCK_CANDIDATES candidates, consecutive in the order of
    their counts (a block's lists have about one length). The plan depends on the request only."""
    order = np.argsort(-counts, kind="stable")
    order = order[counts[order] > 0]
    widths = candidate_width(counts, n_items)
    blocks, start = [], 0
    while start < len(order):
        width = int(widths[order[start]])
        users = order[start : start + max(1, BLOCK_CANDIDATES // width)]
        blocks.append(BlockSpec(len(blocks), users, targets[users], counts[users], width))
        start += len(users)
    return blocks


class CandidateBlock:
    """A block's candidates (their items and affinities, -inf past a user's own list), its row log-scaling
    ``a`` and, once drawn, its pairs. Every step is single-threaded torch (``workers.py``): bit-for-bit the same
    on any worker."""

    def __init__(self, spec, affinity, prior, seed):
        self.spec = spec
        width, n_items = spec.width, len(affinity.centres)
        self.n_items = n_items
        self.logk = torch.empty(len(spec.users), width)
        self.items = torch.empty(len(spec.users), width, dtype=torch.int32)
        prior = torch.tensor(prior, dtype=torch.float32)
        gumbel = torch_generator(seed, "sample", "candidates", spec.index)
        step = max(1, CHUNK_CELLS // n_items)
        for start in range(0, len(spec.users), step):
            full = affinity.rows(spec.users[start : start + step])
            u = torch.rand(full.shape, generator=gumbel).clamp_min_(1e-12)
            # top-k of log-weight + Gumbel noise: k items drawn without replacement, each by its weight
            top = torch.topk(full + prior - torch.log(-torch.log(u)), width, dim=1).indices  # a user's own first
            self.logk[start : start + step] = full.gather(1, top)
            self.items[start : start + step] = top.int()
        own = torch.tensor(candidate_width(spec.counts, n_items))
        self.logk.masked_fill_(torch.arange(width)[None, :] >= own[:, None], -torch.inf)
        self.targets = torch.tensor(spec.targets, dtype=torch.float64).clamp_min(1e-6)
        start = self.logk + prior.index_select(0, self.items.view(-1)).view_as(self.logk)
        self.a = (torch.log(self.targets) - torch.logsumexp(start.double(), 1)).float()
        self.user = self.item = None

    def probabilities(self, b):
        """P of the candidates under the column log-scaling ``b`` (float32 numpy [I])."""
        b = torch.tensor(b, dtype=torch.float32)  # a copy: Ray hands arrays over read-only
        gathered = b.index_select(0, self.items.view(-1)).view_as(self.logk)
        return torch.exp(self.logk + self.a[:, None] + gathered).clamp_(max=1.0)

    def column_sums(self, b):
        """The block's P column sums as fixed-point int64 [I]."""
        p = self.probabilities(b)
        sums = torch.bincount(self.items.view(-1), weights=p.view(-1).double(), minlength=self.n_items)
        return (sums * FIXED_POINT).round().long().numpy()

    def step(self, b):
        """Rescale the rows to their targets under ``b``, then the column sums (one Sinkhorn step's block part)."""
        row = self.probabilities(b).sum(1, dtype=torch.float64)
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
        del self.logk, self.items  # the candidates are done with
        return self.user, self.item

    def rate(self, rater, seed):
        """The block's pairs' rating classes (rating_head.Rater), from the block's own stream."""
        return rater.rate(self.user, self.item, seed, self.spec.index)


def draw_shape_pairs(affinity, rows, cols, total, seed, workers, stages):
    """``total`` (user, item) pairs with row counts ``rows`` and column counts ``cols`` (fractional targets) on
    ``workers``, which keep the blocks (their pairs are rated there next). The pilot and the column steps run
    here; each block's candidates, row steps and draw run on the workers."""
    counts = whole_counts(rows, total, cap=len(affinity.centres))
    specs = plan_blocks(rows, counts, len(affinity.centres))
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
