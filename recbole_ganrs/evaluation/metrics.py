"""Top-N metrics of ranked lists, per user and averaged: precision, recall, F1 (CF4J's and of means),
NDCG, MRR, Hit and MAP at each N.

Every protocol reduces to :class:`TopLists`: per test user, its best ``K = max(N)``
slots (whether each holds a recommended item, and whether that item is relevant,
i.e. a test item rated >= q) and its number of relevant test items. Per user at N:

- precision = hits / recommended items (0 when nothing is recommended);
- recall = hits / relevant test items;
- f1 = 2 p r / (p + r), CF4J's ``F1`` per user (CF4J v2.2.7): undefined (0/0) for a
  user with no hit, and such users are skipped by the average, as CF4J's
  ``QualityMeasure`` skips NaN. CF4J v2.3.0 returns -Infinity instead and its
  average becomes -Infinity; that regression is not followed;
- ndcg: binary gains (1 for a relevant item, 0 otherwise), DCG = sum rel_k / log2(k + 1)
  over ranks k = 1..N, over the ideal DCG of min(N, relevant) relevant items;
- mrr: 1 / rank of the first relevant item within N (0 when none);
- hit: 1 when a relevant item is within N;
- map: sum over k <= N of precision@k x rel_k, over min(N, relevant) (RecBole's MAP).

Averages: recall, f1, ndcg, mrr, hit and map over the users with a relevant test
item (the others' values are undefined, NaN here); precision over every test user
(CF4J) or, under the thresholded protocol, over those with a relevant item.
``f1_of_means`` = 2 P R / (P + R) of the averaged P and R: the number this project
reported before, which CF4J never computes.
"""
from dataclasses import dataclass

import numpy as np

#: every metric of a results row; f1 is CF4J's, f1_of_means the F1 of the averages
METRICS = ("precision", "recall", "f1", "f1_of_means", "ndcg", "mrr", "hit", "map")
#: the per-user value that paired tests compare for each metric (F1 of means has no per-user value: its
#: users' own F1, with a user without a hit scored 0)
PER_USER = {"precision": "precision", "recall": "recall", "f1": "f1", "f1_of_means": "f1", "ndcg": "ndcg",
            "mrr": "mrr", "hit": "hit", "map": "map"}
LABELS = {"precision": "precision", "recall": "recall", "f1": "F1", "f1_of_means": "F1 of means",
          "ndcg": "NDCG", "mrr": "MRR", "hit": "Hit", "map": "MAP"}


@dataclass(frozen=True)
class TopLists:
    """The best ``K`` slots of each test user. ``filled[u, k]``: slot k holds a recommended item (a prefix of
    the row); ``relevant[u, k]``: that item is relevant; ``n_relevant[u]``: the user's relevant test items."""

    users: np.ndarray
    filled: np.ndarray
    relevant: np.ndarray
    n_relevant: np.ndarray

    def select(self, mask):
        """The lists of the users in ``mask`` (a bool array over :attr:`users`)."""
        return TopLists(self.users[mask], self.filled[mask], self.relevant[mask], self.n_relevant[mask])


def per_user(lists, n):
    """{metric: per-user values at N} over ``lists.users`` (NaN where a metric is undefined for a user)."""
    filled, gains = lists.filled[:, :n], lists.relevant[:, :n] & lists.filled[:, :n]
    n_rel = lists.n_relevant.astype(np.float64)
    has_rel = n_rel > 0
    undefined = np.where(has_rel, 0.0, np.nan)
    hits = gains.sum(1).astype(np.float64)
    n_rec = filled.sum(1)
    precision = np.divide(hits, n_rec, out=np.zeros(len(hits)), where=n_rec > 0)
    recall = np.divide(hits, n_rel, out=np.full(len(hits), np.nan), where=has_rel)
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = 2 * precision * recall / (precision + recall)  # 0/0 (no hit) and NaN recall stay NaN
    discount = 1.0 / np.log2(np.arange(2, gains.shape[1] + 2))
    ideal = np.concatenate([[0.0], np.cumsum(discount)])[np.minimum(n_rel, gains.shape[1]).astype(int)]
    ndcg = np.divide(gains @ discount, ideal, out=np.full(len(hits), np.nan), where=ideal > 0)
    first = np.where(gains.any(1), gains.argmax(1) + 1, np.inf)
    mrr = 1.0 / first + undefined
    hit = (hits > 0).astype(np.float64) + undefined
    precision_at = np.cumsum(gains, 1) / np.arange(1, gains.shape[1] + 1)
    map_ = np.divide((precision_at * gains).sum(1), np.minimum(n_rel, gains.shape[1]),
                     out=np.full(len(hits), np.nan), where=has_rel)
    return {"precision": precision, "recall": recall, "f1": f1, "ndcg": ndcg, "mrr": mrr, "hit": hit,
            "map": map_}


def _mean(values):
    values = values[~np.isnan(values)]
    return float(values.mean()) if len(values) else 0.0


def averages(values, has_relevant, precision_over_all=True):
    """Averaged metrics of one N from :func:`per_user` values (see the module docstring for who counts)."""
    precision = values["precision"] if precision_over_all else values["precision"][has_relevant]
    out = {"precision": float(precision.mean()) if len(precision) else 0.0}
    out.update({m: _mean(values[m]) for m in ("recall", "f1", "ndcg", "mrr", "hit", "map")})
    p, r = out["precision"], out["recall"]
    out["f1_of_means"] = 2 * p * r / (p + r) if p + r > 0 else 0.0
    return out


def evaluate_lists(lists, ns, precision_over_all=True):
    """(rows, per-user values at the largest N): one row per N with every metric of :data:`METRICS`,
    ``test_users`` and ``relevant_users``; the per-user values cover the users with a relevant test item
    (the others score the same for every model), F1 0 for a user without a hit (as the paired tests use)."""
    has_relevant = lists.n_relevant > 0
    rows, users_at_max = [], None
    for n in sorted(ns):
        values = per_user(lists, n)
        rows.append({"N": int(n), **averages(values, has_relevant, precision_over_all),
                     "test_users": len(lists.users), "relevant_users": int(has_relevant.sum())})
        if n == max(ns):
            users_at_max = {"user": lists.users[has_relevant],
                            **{m: np.nan_to_num(v[has_relevant], nan=0.0) for m, v in values.items()}}
    return rows, users_at_max


def test_items_share(users, n):
    """Share of test users with at least ``n`` test items (N beyond a user's test items changes nothing)."""
    counts = np.unique(np.asarray(users), return_counts=True)[1]
    return float((counts >= n).mean()) if len(counts) else 0.0
