"""Calibrated ratings: p(rating | user embedding, item embedding), learnt on the real ratings.

The GAN's rating column follows the position of a draw in embedding space so closely
that a synthetic user's ratings barely vary (measured on ml-100k: within-user std 0.5
against the source's 1.0), which makes every model look good. Instead, a small softmax
head is trained on the DeepMF embeddings of the real ratings (cross-entropy over the
source's rating values), and each synthetic (user, item) pair draws its rating from
that conditional distribution at the pair's cluster centres, seeded by the sample's
seed. The draws at the papers' noise std (2.5) spread much wider than the real
embeddings, and the head would rate such extreme points near-deterministically, so
the synthetic users' (items') centres are first matched to the real users' (items')
embeddings (``CENTRE_MATCHINGS``). How many of each rating a user gives is its profile's
(profiles.py: its donor's histogram at its count): the head's logits are tilted per user
(logits + t_u * rating values) to the histogram's mean, drawn from, and the draws re-ranked
onto the histogram, so the head decides which of the user's items rate high. (Before whole
users, the tilt scaled the spread of the users' means to the source's and per-class offsets
set the pooled shares: every pooled figure matched while the users' levels, activity and
relevant shares were drawn apart.)
"""
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from recbole_ganrs.generator.profiles import rerank
from recbole_ganrs.seeds import stream, torch_generator

HIDDEN, EPOCHS, BATCH, LR = 32, 8, 1024, 0.01
TILT_STEPS = 30
HEAD_CHUNK = 1 << 20  # pairs through the head at a time
TOLERANCE = 1e-4  # Newton steps stop when no step moves more


def user_expectations(logits, users, values, tilt=None):
    """Each user's mean expected rating and mean rating variance under softmax(logits + tilt_u * values)."""
    n_users = int(users.max()) + 1
    counts = torch.bincount(users, minlength=n_users).clamp_min(1).to(logits.dtype)
    p = torch.softmax(logits if tilt is None else logits + tilt[users, None] * values, dim=1)
    mean = p @ values
    var = p @ values**2 - mean**2
    per_user = lambda x: torch.bincount(users, weights=x, minlength=n_users) / counts  # noqa: E731
    return per_user(mean), per_user(var)


def tilt_user_means(logits, users, values, target, steps=TILT_STEPS):
    """Logits with a per-user tilt t_u * values that moves each user's expected mean rating to ``target`` (one
    value per user; Newton steps on every t_u at once)."""
    values = torch.as_tensor(values, dtype=logits.dtype)
    users = torch.as_tensor(users, dtype=torch.long)
    target = torch.as_tensor(target, dtype=logits.dtype)
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
class Rater:
    """Rates (user, item) pairs at their centres with the head, to each user's target histogram (profiles.py):
    what a block of users needs to rate its pairs."""

    head: dict
    user_centres: np.ndarray
    item_centres: np.ndarray
    rating_values: tuple
    targets: np.ndarray  # [users, classes]: each user's histogram, summing to its number of pairs

    def logits(self, user, item):
        return head_logits(self.head, self.user_centres, self.item_centres, user, item)

    @torch.no_grad()
    def rate(self, user, item, seed, index=0):
        """A rating class (index into the rating values, uint8) per pair; ``user`` holds every pair of each of
        its users; drawn from stream ``index`` (a block's number) of the sample's ratings. The head's logits,
        tilted to each user's target mean, are drawn from, then each user's draws are replaced by its target
        histogram in their order (``rerank``): the head decides which items rate high, the profile how many."""
        values = np.asarray(self.rating_values, np.float64)
        ids, local = np.unique(user, return_inverse=True)
        targets = self.targets[ids]
        means = targets @ values / targets.sum(1)
        logits = tilt_user_means(self.logits(user, item).double(), local, values, means)
        gen = torch_generator(seed, "sample", "ratings", index)
        p = torch.softmax(logits, dim=1)
        drawn = torch.multinomial(p, 1, generator=gen).squeeze(1).numpy()
        return rerank(drawn, local, targets, (p @ torch.as_tensor(values)).numpy())
