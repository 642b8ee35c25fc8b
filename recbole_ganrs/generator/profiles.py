"""Whole users: each synthetic user's profile (activity, and its ratings' histogram: level, spread and share of
relevant ratings) taken with its place in embedding space, as the source's users hold them together.

A real user's profile holds together (``../shared/DESIGN.md``, "Whole users"): heavier users rate lower
(ml-100k r -0.08, FilmTrust -0.20), and light users hold a larger share of relevant ratings than the pooled
share. Drawn apart (activity from the draws' counts, the level from a per-user tilt, the shares from pooled
offsets), the synthetic users matched every pooled statistic and reversed these (r +0.07..+0.43), and a
classifier told them from real ones at AUC 0.75-0.97.

Here the profile is learnt as a conditional p(profile | embedding), non-parametrically: each synthetic user
(item), once its centre is matched onto the real embeddings, takes the profile of a donor drawn among its
``DONORS`` nearest real users (items) of its group, nearer ones likelier, every real one about equally often.
The donor's activity orders the users for the source's
activity shape (the counts stay the shape's: only who gets which count is the donor's), the donor's histogram,
scaled to the user's count, is the exact histogram of the user's ratings (the rating head says which items get
which rating: ``rerank``), and an item donor's ratings count orders the items for the popularity shape. The
histograms are then moved, a few ratings between neighbouring values, so that the pooled shares are the
source's exactly (``match_pooled``): the donors' draw would otherwise move them by its own noise.

What is copied from a donor is a count and a histogram, never its items or ratings; a donor gives its
profile to (synthetic users / real users) users on average, to each at the count of the user's rank.
Tried and replaced: a donor drawn uniformly among the 5 nearest (the edges' users rarely donated: ``donors``).
"""
import numpy as np
from sklearn.neighbors import NearestNeighbors

DONORS = 32  # nearest real users (items) a synthetic one's donor is drawn from (weighted: ``donors``)
BALANCE_STEPS = 30  # Sinkhorn steps that even out how often each real user donates
BALANCE_CAP = 5.0  # at most e^5 the weight of a real user no synthetic one is near


def class_counts(user, rating_class, n_users, n_classes):
    """Each real user's histogram [n_users, n_classes] (int32): its profile's ratings."""
    flat = np.bincount(np.asarray(user, np.int64) * n_classes + rating_class, minlength=n_users * n_classes)
    return flat.reshape(n_users, n_classes).astype(np.int32)


def donors(points, reference, draw, k=DONORS, steps=BALANCE_STEPS, count=None):
    """For each row of ``points``, the index of a row of ``reference`` (``count`` of them, distinct, when given:
    [points, count]) drawn among its ``k`` nearest, with
    weights exp(-distance^2 / bandwidth) scaled (Sinkhorn, on those k only) so that every reference row is
    drawn about equally often: the nearest alone left the real users at the edges of the embedding space (the
    extreme raters) out (ml-100k, 2,000 users, 5 nearest: 618 of 943 real users donated, their means' std
    0.397 against the source's 0.445)."""
    k = min(k, len(reference))
    distance, near = NearestNeighbors(n_neighbors=k).fit(reference).kneighbors(points)
    bandwidth = max(float(np.median(distance[:, -1] ** 2)), 1e-12)  # the k-th neighbour's typical distance
    logw = -(distance**2) / bandwidth
    column = np.zeros(len(reference))
    target = np.log(len(points) / len(reference))
    for _ in range(steps):  # rows sum to 1; each reference row's draws toward len(points) / len(reference)
        w = logw + column[near]
        w -= np.logaddexp.reduce(w, axis=1, keepdims=True)
        got = np.bincount(near.ravel(), weights=np.exp(w).ravel(), minlength=len(reference))
        column += np.where(got > 0, target - np.log(np.maximum(got, 1e-300)), 0.0)
        column = np.minimum(column, BALANCE_CAP)
    w = logw + column[near]
    keys = w - np.log(-np.log(draw.random(w.shape)))  # Gumbel keys: the largest is one weighted draw a row
    if count is None:
        return near[np.arange(len(points)), np.argmax(keys, axis=1)]
    # the ``count`` largest keys: ``count`` distinct donors drawn without replacement (Gumbel-top-k), the first
    # of them the one draw above (the same random numbers: a mix of one is the single donor)
    choice = np.argsort(-keys, axis=1, kind="stable")[:, :count]
    return near[np.arange(len(points))[:, None], choice]


def order_key(values, draw):
    """``values`` (counts) with ties broken at random: the order the shapes' counts are given out in."""
    return np.asarray(values, np.float64) + draw.random(len(values))


def histogram_targets(shares, counts):
    """Whole-number histograms [users, classes] with row sums ``counts`` and rows about ``counts`` x ``shares``
    (each row's cumulative shares rounded: a user with the donor's count gets the donor's histogram)."""
    cum = np.rint(np.cumsum(shares, axis=1) * np.asarray(counts, np.float64)[:, None]).astype(np.int64)
    cum[:, -1] = counts
    return np.diff(cum, axis=1, prepend=0)


def match_pooled(histograms, shares, draw):
    """``histograms`` with column sums at the pooled ``shares`` (largest remainders), moving single ratings
    between neighbouring classes, of users drawn in proportion to their ratings of the class (hypergeometric):
    row sums are kept, and each user's histogram moves by few ratings."""
    h = np.array(histograms, np.int64)
    total = h.sum()
    want = np.floor(np.asarray(shares, np.float64) * total).astype(np.int64)
    short = int(total - want.sum())
    if short:
        want[np.argsort(want - np.asarray(shares) * total, kind="stable")[:short]] += 1
    # the flow through each boundary between class c and c + 1 (1-D transport: neighbours only)
    flow = np.cumsum(h.sum(0) - want)[:-1]
    for c, moving in enumerate(flow):
        source, target = (c, c + 1) if moving > 0 else (c + 1, c)
        moving = min(abs(int(moving)), int(h[:, source].sum()))
        if moving:
            taken = draw.multivariate_hypergeometric(h[:, source], moving, method="marginals")
            h[:, source] -= taken
            h[:, target] += taken
    return h


def rerank(classes, user, targets, ties):
    """Each user's ``classes`` (drawn by the rating head) replaced by its target histogram in their order: the
    items the head rated highest get the highest of the target's ratings, equal draws ordered by ``ties`` (the
    head's expected rating: ties broken at random lost an eighth of the items' mean spread). ``user`` holds
    every pair of each of its users; ``targets`` [max user + 1, classes]."""
    classes = np.asarray(classes)
    order = np.lexsort((ties, classes, user))
    ids = np.flatnonzero(np.bincount(user))  # the users present, ascending: lexsort's order
    per_class = targets[ids]
    sequence = np.repeat(np.tile(np.arange(targets.shape[1], dtype=np.uint8), len(ids)), per_class.ravel())
    out = np.empty(len(classes), dtype=np.uint8)
    out[order] = sequence
    return out
