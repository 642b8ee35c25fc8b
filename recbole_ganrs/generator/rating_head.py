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


def tilt_user_means(logits, users, values, spread, steps=TILT_STEPS):
    """Logits with a per-user tilt t_u * values so that the std of the users' expected mean ratings is
    ``spread`` (each user's mean moves toward the overall mean; Newton steps on every t_u at once)."""
    values = torch.as_tensor(values, dtype=logits.dtype)
    users = torch.as_tensor(users, dtype=torch.long)
    n_users = int(users.max()) + 1
    counts = torch.bincount(users, minlength=n_users).clamp_min(1).to(logits.dtype)

    def user_means(tilt):
        p = torch.softmax(logits + tilt[users, None] * values, dim=1)
        mean = p @ values
        var = p @ values**2 - mean**2
        per_user = lambda x: torch.bincount(users, weights=x, minlength=n_users) / counts  # noqa: E731
        return per_user(mean), per_user(var)

    start, _ = user_means(torch.zeros(n_users, dtype=logits.dtype))
    centre = start.mean()
    scale = spread / start.std().clamp_min(1e-9)
    target = centre + scale.clamp(max=1.0) * (start - centre)
    tilt = torch.zeros(n_users, dtype=logits.dtype)
    for _ in range(steps):
        mean, var = user_means(tilt)
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
    users = torch.as_tensor(np.asarray(user_centres), dtype=torch.float32)
    items = torch.as_tensor(np.asarray(item_centres), dtype=torch.float32)
    user, item = torch.as_tensor(user, dtype=torch.long), torch.as_tensor(item, dtype=torch.long)
    head = RatingHead(users.shape[1], state["net.2.bias"].numel())
    head.load_state_dict(state)
    head.eval()
    logits = torch.empty(len(user), head.net[2].out_features)
    for start in range(0, len(user), HEAD_CHUNK):
        rows = slice(start, start + HEAD_CHUNK)
        logits[rows] = head(users[user[rows]], items[item[rows]])
    return logits


def calibrated(logits, user, rating_values, rating_shares, spread=None):
    """``logits`` matched to the source's shares (and, given the source's ``spread``, to its user-mean spread)."""
    if spread is not None and len(logits):
        for _ in range(MATCH_ROUNDS):  # the share offsets narrow the spread the tilt set, and the tilt the shares
            logits = tilt_user_means(logits + share_offsets(logits, rating_shares), user, rating_values, spread)
    return logits + share_offsets(logits, rating_shares)


@torch.no_grad()
def draw_ratings(state, user_centres, item_centres, user, item, rating_values, rating_shares, seed=0,
                 spread=None, groups=None):
    """One rating per pair (user_centres[user[k]], item_centres[item[k]]), drawn from the head matched to the
    source's shares (and, given the source's ``spread``, to its user-mean spread). ``groups``: a user group per
    pair, with ``rating_shares`` and ``spread`` then lists with one entry per group: each group is matched to
    its own shares and spread (a conditional dataset's groups keep their own ratings)."""
    logits = head_logits(state, user_centres, item_centres, user, item)
    if groups is None:
        logits = calibrated(logits, user, rating_values, rating_shares, spread)
    else:
        for g, (shares, group_spread) in enumerate(zip(rating_shares, spread)):
            rows = torch.as_tensor(np.flatnonzero(groups == g))
            if len(rows):
                logits[rows] = calibrated(logits[rows], np.unique(user[rows.numpy()], return_inverse=True)[1],
                                          rating_values, shares, group_spread)
    probs = torch.softmax(logits, dim=1)
    drawn = torch.multinomial(probs, 1, generator=torch_generator(seed, "sample", "ratings")).squeeze(1).numpy()
    return np.asarray(rating_values, dtype=np.float64)[drawn]
