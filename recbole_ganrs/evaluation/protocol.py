"""The recommendation protocol of Bobadilla & Gutierrez, vectorised over all users.

For each test user, that user's test items are ranked by prediction; the
recommended set is the top N whose prediction reaches the threshold (q for a
rating model, 0.5 for the binary model); an item is relevant when its real
rating >= q. Per user: precision = hits / |recommended| (0 when nothing is
recommended), recall = hits / |relevant|. Both are averaged over the users with
at least one relevant test item, and F1 = 2PR / (P + R) from those averages.
"""
import numpy as np


def default_thresholds(rating_values):
    """q values of the paper for a rating scale: the top two values ({4, 5} on 1..5, {9, 10} on 1..10)."""
    values = sorted(set(float(v) for v in rating_values))
    return values[-2:]


def within_user_rank(users, scores):
    """0-based rank of each row among its user's rows, best score first (ties: first row first)."""
    order = np.lexsort((np.arange(len(users)), -scores, users))
    sorted_users = users[order]
    starts = np.r_[0, np.flatnonzero(sorted_users[1:] != sorted_users[:-1]) + 1]
    group_start = np.repeat(starts, np.diff(np.r_[starts, len(users)]))
    rank = np.empty(len(users), dtype=np.int64)
    rank[order] = np.arange(len(users)) - group_start
    return rank


def per_user_metrics(users, scores, relevant, ns, score_threshold):
    """Per-user precision and recall at each N for one q.

    users: test-interaction user ids; scores: predictions; relevant: bool array
    (real rating >= q); score_threshold: what a prediction must reach to be
    recommended. Yields ``(N, user ids, precision, recall)`` over the users with
    at least one relevant test item.
    """
    users, scores, relevant = np.asarray(users), np.asarray(scores, dtype=np.float64), np.asarray(relevant, bool)
    user_ids, uid = np.unique(users, return_inverse=True)
    n_users = len(user_ids)
    rank = within_user_rank(uid, scores)
    passes = scores >= score_threshold
    n_relevant = np.bincount(uid, weights=relevant, minlength=n_users)
    counted = n_relevant > 0
    for n in ns:
        recommended = passes & (rank < n)
        n_rec = np.bincount(uid, weights=recommended, minlength=n_users)
        hits = np.bincount(uid, weights=recommended & relevant, minlength=n_users)
        precision = np.divide(hits, n_rec, out=np.zeros(n_users), where=n_rec > 0)
        recall = np.divide(hits, n_relevant, out=np.zeros(n_users), where=counted)
        yield int(n), user_ids[counted], precision[counted], recall[counted]


def f1_score(p, r):
    """2PR / (P + R), 0 where both are 0 (numpy arrays or floats)."""
    p, r = np.asarray(p, dtype=np.float64), np.asarray(r, dtype=np.float64)
    return np.divide(2 * p * r, p + r, out=np.zeros(np.broadcast(p, r).shape), where=(p + r) > 0)


def paper_metrics(users, scores, relevant, ns, score_threshold):
    """Precision, recall and F1 at each N for one q (see :func:`per_user_metrics` for the arguments):
    precision and recall averaged over users, F1 from those averages.
    Returns ``[{"N", "precision", "recall", "f1", "users"}]``."""
    rows = []
    for n, user_ids, precision, recall in per_user_metrics(users, scores, relevant, ns, score_threshold):
        p = float(precision.mean()) if len(user_ids) else 0.0
        r = float(recall.mean()) if len(user_ids) else 0.0
        rows.append({"N": n, "precision": p, "recall": r, "f1": float(f1_score(p, r)), "users": len(user_ids)})
    return rows
