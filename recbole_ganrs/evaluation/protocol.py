"""Top-N recommendation protocols over each user's test items, vectorised over all users.

``paper`` is the protocol of Bobadilla & Gutierrez as their library CF4J computes
it (classes ``Precision``, ``Recall``, ``Search.findTopN``): for each test user the
recommended set is the top N of that user's *test* items by prediction, with no
threshold on the prediction (fewer than N when the user has fewer test items); an
item is relevant when its real test rating >= q. Per user, precision = hits /
|recommended| and recall = hits / |relevant test items|; precision is averaged
over all test users, recall over the users with at least one relevant test item
(CF4J skips the others' NaN); F1 = 2PR / (P + R) from those averages.

``threshold`` recommends only the top-N items whose prediction reaches a
threshold (q for a rating model, 0.5 for the binary one): "recommend only what
the model predicts relevant". Precision is 0 for a user with nothing
recommended, and both averages run over the users with a relevant test item.
It is a protocol of its own, not the paper's.

Ties are broken by what the model knows, never by row order: by a secondary
score when the model has one (a classifier's probability of its vote), then by a
seeded pseudo-random key per (user, item), the same for every model of a trial.
"""
import numpy as np

#: protocols of the benchmark; ``recbole`` is RecBole's own full-sort metrics (see benchmark/trial.py)
PROTOCOLS = ("paper", "threshold", "recbole")
RANKED_PROTOCOLS = ("paper", "threshold")


def default_thresholds(rating_values):
    """q values of the paper for a rating scale: the top two values ({4, 5} on 1..5, {9, 10} on 1..10)."""
    values = sorted(set(float(v) for v in rating_values))
    return values[-2:]


def tie_keys(users, items, seed):
    """A pseudo-random key per (user, item) pair and seed (splitmix64): ties between equal predictions
    are broken the same way for every model trained with this seed, whatever the row order."""
    with np.errstate(over="ignore"):
        x = (np.asarray(users).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
             ^ np.asarray(items).astype(np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F)
             ^ np.uint64(seed & 0xFFFFFFFFFFFFFFFF))
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def within_user_rank(users, scores, tie_break=None, tie_keys=None):
    """0-based rank of each row among its user's rows: best score first, then the higher ``tie_break``,
    then the higher ``tie_keys`` (then row order, only when neither is given)."""
    keys = [np.arange(len(users))]
    if tie_keys is not None:
        keys.append(-np.asarray(tie_keys, dtype=np.float64))
    if tie_break is not None:
        keys.append(-np.asarray(tie_break, dtype=np.float64))
    order = np.lexsort((*keys, -np.asarray(scores, dtype=np.float64), users))
    sorted_users = np.asarray(users)[order]
    starts = np.r_[0, np.flatnonzero(sorted_users[1:] != sorted_users[:-1]) + 1]
    group_start = np.repeat(starts, np.diff(np.r_[starts, len(users)]))
    rank = np.empty(len(users), dtype=np.int64)
    rank[order] = np.arange(len(users)) - group_start
    return rank


def per_user_metrics(users, rank, relevant, ns, recommendable=None):
    """Per-user precision and recall at each N, over every test user.

    users: test-interaction user ids; rank: each row's rank within its user
    (:func:`within_user_rank`); relevant: bool (real rating >= q); recommendable:
    bool mask of the rows that may be recommended (``threshold`` protocol), None
    for all. Yields ``(N, user ids, precision, recall)``; recall is NaN for a
    user without a relevant test item, precision 0 for one with nothing recommended.
    """
    relevant = np.asarray(relevant, bool)
    user_ids, uid = np.unique(users, return_inverse=True)
    n_users = len(user_ids)
    n_relevant = np.bincount(uid, weights=relevant, minlength=n_users)
    allowed = np.ones(len(uid), bool) if recommendable is None else np.asarray(recommendable, bool)
    for n in ns:
        recommended = allowed & (rank < n)
        n_rec = np.bincount(uid, weights=recommended, minlength=n_users)
        hits = np.bincount(uid, weights=recommended & relevant, minlength=n_users)
        precision = np.divide(hits, n_rec, out=np.zeros(n_users), where=n_rec > 0)
        recall = np.divide(hits, n_relevant, out=np.full(n_users, np.nan), where=n_relevant > 0)
        yield int(n), user_ids, precision, recall


def f1_score(p, r):
    """2PR / (P + R), 0 where both are 0 (numpy arrays or floats)."""
    p, r = np.asarray(p, dtype=np.float64), np.asarray(r, dtype=np.float64)
    return np.divide(2 * p * r, p + r, out=np.zeros(np.broadcast(p, r).shape), where=(p + r) > 0)


def averages(precision, recall, protocol="paper"):
    """(P, R) of one N from per-user values: see the module docstring for who is averaged."""
    counted = ~np.isnan(recall)
    r = float(recall[counted].mean()) if counted.any() else 0.0
    if protocol == "paper":
        return (float(precision.mean()) if len(precision) else 0.0), r
    if protocol == "threshold":
        return (float(precision[counted].mean()) if counted.any() else 0.0), r
    raise ValueError(f"protocol must be one of {RANKED_PROTOCOLS}, not '{protocol}'")


def ranked_metrics(users, scores, relevant, ns, protocol="paper", threshold=None, tie_break=None,
                   tie_keys=None, rank=None):
    """Precision, recall and F1 at each N for one q, and each relevant user's F1 at the largest N.

    threshold: what a prediction must reach to be recommended (``threshold``
    protocol only). ``rank`` may be given when it was computed before (it does not
    depend on q). Returns ``(rows, (user ids, F1))``; rows are
    ``{"N", "precision", "recall", "f1", "test_users", "relevant_users"}``, the
    per-user F1 covers the users with a relevant test item (the others score 0
    for every model).
    """
    users, scores = np.asarray(users), np.asarray(scores, dtype=np.float64)
    if rank is None:
        rank = within_user_rank(users, scores, tie_break, tie_keys)
    recommendable = None
    if protocol == "threshold" and threshold is not None:
        recommendable = scores >= threshold
    elif protocol not in RANKED_PROTOCOLS:
        raise ValueError(f"protocol must be one of {RANKED_PROTOCOLS}, not '{protocol}'")
    rows, per_user, n_max = [], None, max(ns)
    for n, user_ids, precision, recall in per_user_metrics(users, rank, relevant, ns, recommendable):
        counted = ~np.isnan(recall)
        p, r = averages(precision, recall, protocol)
        rows.append({"N": n, "precision": p, "recall": r, "f1": float(f1_score(p, r)),
                     "test_users": len(user_ids), "relevant_users": int(counted.sum())})
        if n == n_max:
            per_user = (user_ids[counted], f1_score(precision[counted], recall[counted]))
    return rows, per_user


def test_items_share(users, n):
    """Share of test users with at least ``n`` test items (N beyond a user's test items changes nothing)."""
    counts = np.unique(np.asarray(users), return_counts=True)[1]
    return float((counts >= n).mean()) if len(counts) else 0.0
