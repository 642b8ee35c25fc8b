"""Calibrated ratings: p(rating | user embedding, item embedding), learnt on the real ratings.

The GAN's rating column follows the position of a draw in embedding space so closely
that a synthetic user's ratings barely vary (measured on ml-100k: within-user std 0.5
against the source's 1.0), which makes every model look good. Instead, a small softmax
head is trained on the DeepMF embeddings of the real ratings (cross-entropy over the
source's rating values), and each synthetic (user, item) pair draws its rating from
that conditional distribution at the pair's cluster centres, seeded by the sample's
seed. The draws at the papers' noise std (2.5) spread much wider than the real
embeddings, and the head would rate such extreme points near-deterministically, so
the synthetic users' (items') centres are first moment-matched to the real users'
(items') embeddings: same mean and covariance (whiten, then recolour). A synthetic
user's pairs come from one region of the draws, so its items are alike and its mean
rating strays further than a real user's: each user's logits get an exponential tilt
(logits + t_u * rating values) that scales the spread of the users' expected mean
ratings to the source's (its observed user-mean variance less the part its finite
ratings per user add). Per-class offsets on the logits, fitted by iterative scaling,
make the expected rating shares equal the source's; tilt and offsets are alternated a few
rounds, since each moves what the other set, and the offsets come last, before the draw.
"""
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from recbole_ganrs.seeds import stream, torch_generator

HIDDEN, EPOCHS, BATCH, LR = 32, 8, 1024, 0.01
SHARE_STEPS = 50
TILT_STEPS = 30
MATCH_ROUNDS = 3  # tilt, then shares, alternated
HEAD_CHUNK = 1 << 20  # pairs through the head at a time
SHARE_ROWS = 1 << 20  # pairs the share offsets are fitted on
TOLERANCE = 1e-4  # Newton and scaling steps stop when no step moves more


def user_mean_spread(user_idx, ratings):
    """The std of the users' true mean ratings in real data: the variance of their observed means less the
    sampling part (within-user variance / ratings per user), averaged over users."""
    counts = np.bincount(user_idx)
    sums = np.bincount(user_idx, weights=ratings)
    means = sums / counts
    within = np.bincount(user_idx, weights=(ratings - means[user_idx]) ** 2) / np.maximum(counts - 1, 1)
    return float(np.sqrt(max(means.var() - np.mean(within / counts), 0.0)))


def user_expectations(logits, users, values, tilt=None):
    """Each user's mean expected rating and mean rating variance under softmax(logits + tilt_u * values)."""
    n_users = int(users.max()) + 1
    counts = torch.bincount(users, minlength=n_users).clamp_min(1).to(logits.dtype)
    p = torch.softmax(logits if tilt is None else logits + tilt[users, None] * values, dim=1)
    mean = p @ values
    var = p @ values**2 - mean**2
    per_user = lambda x: torch.bincount(users, weights=x, minlength=n_users) / counts  # noqa: E731
    return per_user(mean), per_user(var)


def spread_target(logits, users, values, spread):
    """(centre, scale) of the users' expected mean ratings: each user's mean is moved to centre + scale x (its
    mean - centre), which makes their std the source's ``spread`` (the scale at most 1: never wider)."""
    values, users = torch.as_tensor(values, dtype=logits.dtype), torch.as_tensor(users, dtype=torch.long)
    start = user_expectations(logits, users, values)[0]
    return float(start.mean()), float((spread / start.std().clamp_min(1e-9)).clamp(max=1.0))


def tilt_user_means(logits, users, values, centre, scale, steps=TILT_STEPS):
    """Logits with a per-user tilt t_u * values that moves each user's expected mean rating to
    centre + scale x (its mean - centre) (Newton steps on every t_u at once)."""
    values = torch.as_tensor(values, dtype=logits.dtype)
    users = torch.as_tensor(users, dtype=torch.long)
    start = user_expectations(logits, users, values)[0]
    target = centre + scale * (start - centre)
    tilt = torch.zeros(int(users.max()) + 1, dtype=logits.dtype)
    for _ in range(steps):
        mean, var = user_expectations(logits, users, values, tilt)
        step = ((target - mean) / var.clamp_min(1e-3)).clamp(-1.0, 1.0)  # damped Newton
        tilt += step
        if step.abs().max() < TOLERANCE:
            break
    return logits + tilt[users, None] * values


class RatingHead(nn.Module):
    def __init__(self, embedding_size, n_classes, hidden=HIDDEN):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2 * embedding_size, hidden), nn.ReLU(), nn.Linear(hidden, n_classes))

    def forward(self, users, items):
        return self.net(torch.cat([users, items], dim=-1))


def fit_rating_head(user_emb, item_emb, rating_class, n_classes, seed=0):
    """Train the head on real (user embedding, item embedding, rating class) rows; returns its state dict."""
    torch.manual_seed(stream(seed, "fit", "rating_head_init"))
    gen = torch_generator(seed, "fit", "rating_head")
    u = torch.as_tensor(user_emb, dtype=torch.float32)
    i = torch.as_tensor(item_emb, dtype=torch.float32)
    y = torch.as_tensor(rating_class, dtype=torch.long)
    head = RatingHead(u.shape[1], n_classes)
    opt = torch.optim.Adam(head.parameters(), lr=LR)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(EPOCHS):
        perm = torch.randperm(len(y), generator=gen)
        for start in range(0, len(y), BATCH):
            b = perm[start : start + BATCH]
            loss = loss_fn(head(u[b], i[b]), y[b])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return head.state_dict()


def moment_match(points, reference):
    """``points`` affinely mapped to the mean and covariance of ``reference`` (rows are vectors)."""
    points, reference = np.asarray(points, np.float64), np.asarray(reference, np.float64)
    if len(points) < 2:
        return points
    eye = 1e-9 * np.eye(points.shape[1])
    source = np.linalg.cholesky(np.cov(points, rowvar=False) + eye)
    target = np.linalg.cholesky(np.cov(reference, rowvar=False) + eye)
    white = np.linalg.solve(source, (points - points.mean(0)).T)
    return (target @ white).T + reference.mean(0)


def quantile_match(points, reference):
    """``points`` moment-matched to ``reference``, then, along each principal axis of ``reference``, each
    coordinate replaced by the reference's quantile at the point's rank on that axis: the marginals of the
    reference's whole distribution, not just its two moments (the rank order on every axis is kept)."""
    matched, reference = moment_match(points, reference), np.asarray(reference, np.float64)
    if len(matched) < 2:
        return matched
    mean = reference.mean(0)
    axes = np.linalg.svd(reference - mean, full_matrices=False)[2]  # rows: principal axes
    coords, real = (matched - mean) @ axes.T, (reference - mean) @ axes.T
    ranks = (np.argsort(np.argsort(coords, axis=0, kind="stable"), axis=0) + 0.5) / len(coords)
    mapped = np.column_stack([np.quantile(real[:, d], ranks[:, d]) for d in range(real.shape[1])])
    return mapped @ axes + mean


#: how the synthetic centres are mapped onto the real embeddings before the head rates them
CENTRE_MATCHINGS = {"quantiles": quantile_match, "moments": moment_match}


def share_offsets(logits, shares, steps=SHARE_STEPS):
    """Per-class offsets b such that the mean of softmax(logits + b) over rows equals ``shares`` (fitted on
    at most SHARE_ROWS rows drawn at random: a handful of numbers needs no more)."""
    if len(logits) > SHARE_ROWS:
        logits = logits[torch.randperm(len(logits), generator=torch.Generator().manual_seed(0))[:SHARE_ROWS]]
    target = torch.as_tensor(np.asarray(shares), dtype=logits.dtype).clamp_min(1e-12)
    offsets = torch.zeros(logits.shape[1], dtype=logits.dtype)
    for _ in range(steps):
        current = torch.softmax(logits + offsets, dim=1).mean(0).clamp_min(1e-12)
        step = torch.log(target / current)
        offsets += step
        if step.abs().max() < TOLERANCE:
            break
    return offsets


@torch.no_grad()
def head_logits(state, user_centres, item_centres, user, item):
    """float32 logits [pairs, classes] of the head at each pair's (user_centres[user], item_centres[item]),
    computed in chunks: its hidden layer for every pair at once would hold 32 floats a pair."""
    users = torch.tensor(np.asarray(user_centres), dtype=torch.float32)
    items = torch.tensor(np.asarray(item_centres), dtype=torch.float32)
    user, item = torch.as_tensor(user, dtype=torch.long), torch.as_tensor(item, dtype=torch.long)
    head = RatingHead(users.shape[1], state["net.2.bias"].numel())
    head.load_state_dict(state)
    head.eval()
    logits = torch.empty(len(user), head.net[2].out_features)
    for start in range(0, len(user), HEAD_CHUNK):
        rows = slice(start, start + HEAD_CHUNK)
        logits[rows] = head(users[user[rows]], items[item[rows]])
    return logits


@dataclass(frozen=True)
class Calibration:
    """What matching a pilot's logits to the source set: per round the share offsets and the users' mean target
    (centre, scale), then the last offsets. Applied to any block of users' logits, each user's own tilt is solved
    there: the blocks of a sample need only this, not each other."""

    rounds: tuple = ()
    offsets: torch.Tensor = None

    @classmethod
    def fit(cls, logits, user, rating_values, rating_shares, spread=None):
        """Matched to the source's shares (and, given the source's ``spread``, to its user-mean spread): the
        share offsets narrow the spread the tilt set, and the tilt the shares, so they alternate."""
        rounds = []
        if spread is not None and len(logits):
            for _ in range(MATCH_ROUNDS):
                offsets = share_offsets(logits, rating_shares)
                centre, scale = spread_target(logits + offsets, user, rating_values, spread)
                rounds.append((offsets, centre, scale))
                logits = tilt_user_means(logits + offsets, user, rating_values, centre, scale)
        return cls(tuple(rounds), share_offsets(logits, rating_shares))

    def apply(self, logits, user, rating_values):
        """``logits`` of the users ``user`` (0..n-1, every rating of each) matched as the pilot's were."""
        for offsets, centre, scale in self.rounds:
            logits = tilt_user_means(logits + offsets, user, rating_values, centre, scale)
        return logits + self.offsets


def pilot_rows(user, limit=SHARE_ROWS):
    """The pairs of an even subsample of the users (every s-th) holding at most about ``limit`` pairs: all of
    them for a small sample; ``user`` must hold every pair of each user."""
    ids = np.flatnonzero(np.bincount(user))  # np.unique's values without sorting 100M pairs
    if not len(ids):
        return ids
    chosen = np.zeros(ids[-1] + 1, dtype=bool)
    chosen[ids[:: max(1, int(np.ceil(len(user) / limit)))]] = True
    return np.flatnonzero(chosen[user])


@dataclass(frozen=True)
class Rater:
    """Rates (user, item) pairs at their centres with the head, calibrated per user group (one group when
    unconditioned): what a block of users needs to rate its pairs."""

    head: dict
    user_centres: np.ndarray
    item_centres: np.ndarray
    rating_values: tuple
    calibrations: tuple  # one Calibration per group
    user_group: np.ndarray = None  # each user's group; None: every user in group 0

    @classmethod
    def fit(cls, head, user_centres, item_centres, user, item, rating_values, rating_shares, spread,
            user_group=None):
        """Calibrations fitted on pilot users' pairs, per group. ``user``, ``item``: every pair of the sample;
        ``rating_shares`` and ``spread`` one per group (lists) when ``user_group`` is given."""
        groups = None if user_group is None else np.asarray(user_group)
        shares = [rating_shares] if user_group is None else rating_shares
        spreads = [spread] if user_group is None else spread
        rater = cls(head, np.asarray(user_centres), np.asarray(item_centres), tuple(rating_values), ())
        calibrations = []
        for g, (share, group_spread) in enumerate(zip(shares, spreads)):
            if groups is None:  # every pair: no copy of 100M indices
                rows = pilot_rows(user)
            else:
                rows = np.flatnonzero(groups[user] == g)
                rows = rows[pilot_rows(user[rows])] if len(rows) else rows
            logits = rater.logits(user[rows], item[rows])
            local = np.unique(user[rows], return_inverse=True)[1]
            calibrations.append(Calibration.fit(logits, local, rating_values, share, group_spread)
                                if len(rows) else Calibration())
        return cls(rater.head, rater.user_centres, rater.item_centres, rater.rating_values, tuple(calibrations),
                   groups)

    def logits(self, user, item):
        return head_logits(self.head, self.user_centres, self.item_centres, user, item)

    @torch.no_grad()
    def rate(self, user, item, seed, index=0):
        """A rating class (index into the rating values, uint8) per pair; ``user`` holds every pair of each of
        its users; drawn from stream ``index`` (a block's number) of the sample's ratings."""
        logits = self.logits(user, item)
        local = np.unique(user, return_inverse=True)[1]
        if self.user_group is None:
            logits = self.calibrations[0].apply(logits, local, self.rating_values)
        else:
            groups = self.user_group[user]
            for g, calibration in enumerate(self.calibrations):
                rows = torch.as_tensor(np.flatnonzero(groups == g))
                if len(rows):
                    logits[rows] = calibration.apply(logits[rows], np.unique(local[rows], return_inverse=True)[1],
                                                     self.rating_values)
        probs = torch.softmax(logits, dim=1)
        gen = torch_generator(seed, "sample", "ratings", index)
        return torch.multinomial(probs, 1, generator=gen).squeeze(1).numpy().astype(np.uint8)
