"""The benchmark's top-N protocols, one object each: its RecBole settings, its candidates, its relevance and
its averages. A trial asks its protocol to rank a trained model once (:meth:`Protocol.rank`) and then for
the top lists at each relevance level (:meth:`Ranking.lists`), which evaluation/metrics.py scores.

- ``paper``: the protocol of Bobadilla & Gutierrez as their library CF4J computes it (``Precision``,
  ``Recall``, ``F1``, ``Search.findTopN``): the candidates of a test user are its *test* items, the top N by
  prediction are recommended with no threshold on the prediction (fewer than N when the user has fewer test
  items); relevant = real test rating >= q; precision averaged over all test users, the other metrics over
  the users with a relevant test item.
- ``threshold``: as ``paper``, but only the top-N items whose prediction reaches the model's threshold at q
  (q, or 0.5 for the binary model) are recommended, and precision is averaged over the users with a
  relevant item: "recommend only what the model predicts relevant", a protocol of its own.
- ``full``: every item the user has not rated in training or validation is a candidate (RecBole's full
  sort, which masks both); relevant = test rating >= q; averaged as ``paper``.
- ``recbole``: RecBole's own convention: full sort, every test interaction relevant whatever its rating
  (no q), models validated on RecBole's recall@N as RecBole's full-sort evaluation does.
"""
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from recbole_ganrs.evaluation.metrics import TopLists
from recbole_ganrs.evaluation.predict import full_scores, test_predictions
from recbole_ganrs.evaluation.ranking import preference, recommendable, tie_keys, top_k_columns, within_user_rank


@dataclass(frozen=True)
class Ranking:
    """What a protocol ranked for one trained model: each test user's best ``K`` slots and every test row.

    ``top_rows[u, k]``: the test row in slot k (-1: an item that is not a test item of the user, or none);
    ``top_items`` / ``top_scores``: the slot's item and prediction; ``filled``: the slot holds a recommendable
    item. ``test_*``: one entry per test row (internal ids, prediction, rank among the user's test rows)."""

    users: np.ndarray
    top_rows: np.ndarray
    top_items: np.ndarray
    top_scores: np.ndarray
    filled: np.ndarray
    test_users: np.ndarray
    test_items: np.ndarray
    test_scores: np.ndarray
    test_rank: np.ndarray

    def lists(self, relevant_rows, allowed_rows=None):
        """:class:`TopLists` for one relevance (a bool per test row); ``allowed_rows``: test rows that may be
        recommended (a threshold; every slot of such a protocol holds a test row)."""
        relevant_rows = np.asarray(relevant_rows, bool)
        is_test = self.top_rows >= 0
        row = np.where(is_test, self.top_rows, 0)
        filled = self.filled if allowed_rows is None else self.filled & is_test & np.asarray(allowed_rows, bool)[row]
        relevant = filled & is_test & relevant_rows[row]
        uid = np.searchsorted(self.users, self.test_users)
        n_relevant = np.bincount(uid, weights=relevant_rows, minlength=len(self.users)).astype(np.int64)
        return TopLists(self.users, filled, relevant, n_relevant)

    def written_rows(self):
        """(user, item, test row or -1, prediction) of what ``--save-predictions`` writes, in the protocol's
        order within each user: the filled top slots, then the user's other test rows."""
        k = self.top_rows.shape[1]
        u, slot = np.nonzero(self.filled | (self.top_rows >= 0))
        rows = self.top_rows[u, slot]
        others = np.setdiff1d(np.arange(len(self.test_users)), rows[rows >= 0])
        users = np.r_[self.users[u], self.test_users[others]]
        position = np.r_[slot, k + self.test_rank[others]]
        order = np.lexsort((position, users))
        return (users[order], np.r_[self.top_items[u, slot], self.test_items[others]][order],
                np.r_[rows, others][order], np.r_[self.top_scores[u, slot], self.test_scores[others]][order])


    def within(self, rows, k):
        """The test-row ranking of the test rows ``rows`` alone (a bool per test row; e.g. the items of one
        genre): each user's selected rows in their order here, the best ``k`` of them in the top slots. Its test
        rows are the selected ones, in their order here."""
        rows = np.flatnonzero(np.asarray(rows, bool))
        users, order = self.test_users[rows], np.lexsort((self.test_rank[rows], self.test_users[rows]))
        rank = np.empty(len(rows), np.int64)
        starts = np.r_[0, np.flatnonzero(np.diff(users[order])) + 1]
        rank[order] = np.arange(len(rows)) - np.repeat(starts, np.diff(np.r_[starts, len(rows)]))
        return _test_ranking(users, self.test_items[rows], self.test_scores[rows], rank, k)


def _test_ranking(test_users, test_items, test_scores, rank, k):
    """A :class:`Ranking` whose candidates are the test rows, from each row's rank within its user."""
    users, uid = np.unique(test_users, return_inverse=True)
    uid = uid.reshape(-1)
    top_rows = np.full((len(users), k), -1, dtype=np.int64)
    top = rank < k
    top_rows[uid[top], rank[top]] = np.flatnonzero(top)
    is_test = top_rows >= 0
    row = np.where(is_test, top_rows, 0)
    top_scores = np.where(is_test, test_scores[row], -np.inf)
    return Ranking(users, top_rows, np.where(is_test, test_items[row], -1), top_scores,
                   is_test & recommendable(top_scores), test_users, test_items, test_scores, rank)


def model_tie_break(ties, tie_break):
    """The model's own tie-break (a classifier's reliability of its vote) under ``ties``: kept under
    ``random``, the paper's <reliability, vote> ranking; dropped under ``cf4j``, whose ``findTopN`` sees one
    prediction per item, so that its numbers are CF4J's exactly."""
    return None if ties == "cf4j" else tie_break


def _history(datasets, n_users, n_items):
    """(users x items) bool sparse matrix of the pairs in ``datasets`` (train and validation)."""
    parts = [(d.inter_feat[d.uid_field].numpy(), d.inter_feat[d.iid_field].numpy()) for d in datasets]
    users, items = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    return sp.csr_matrix((np.ones(len(users), bool), (users, items)), shape=(n_users, n_items))


def default_thresholds(rating_values):
    """q values of the paper for a rating scale: the top two values ({4, 5} on 1..5, {9, 10} on 1..10)."""
    values = sorted(set(float(v) for v in rating_values))
    return values[-2:]


class Protocol:
    """A top-N protocol: ``name`` (results.csv, --protocol), ``description`` (--help, tables), whether it has
    relevance levels q (``uses_q``), and who its precision is averaged over (``precision_over_all``)."""

    name = ""
    description = ""
    uses_q = True
    precision_over_all = True
    test_candidates = True  # a user's candidates are its test items (item groups rank those of each group)

    def levels(self, qs):
        """The relevance levels a trial evaluates: the run's q values, or ``[None]`` (every test item)."""
        return list(qs) if self.uses_q else [None]

    def recbole_config(self, config, split, ns, rating_model):
        """RecBole settings of a trial (``config`` the trial's own) under this protocol's split."""
        config = {**config, "eval_args": split}
        if not rating_model:  # a RecBole implicit model: keep the ratings for relevance, validate full-sort
            config.update({"load_col": {"inter": ["user_id", "item_id", "rating"]}, "metrics": ["Recall"],
                           "normalize_all": False, "normalize_field": None, "threshold": None,
                           "topk": list(ns), "valid_metric": f"recall@{max(ns)}",
                           "eval_args": {**split, "mode": "full"}})
        return config

    def rank(self, result, fields, ties, seed, k, part="test"):
        """(:class:`Ranking`, predictions) of a trained model (RecBole's ``run`` result) on its ``part`` of the
        split: ``test``, or ``valid`` to tune on (the test part is then never read)."""
        pred = test_predictions(result["model"], result[f"{part}_data"], fields)
        keys = preference(ties, pred.users, pred.items, seed)
        rank = within_user_rank(pred.users, pred.scores, model_tie_break(ties, pred.tie_break), keys)
        return _test_ranking(pred.users, pred.items, pred.scores, rank, k), pred

    def allowed(self, model, pred, q):
        """Test rows that may be recommended at ``q`` (None: every recommendable prediction)."""
        return None


class PaperProtocol(Protocol):
    name = "paper"
    description = ("the CF4J protocol: top N of each user's test items by prediction, relevant = rating >= q")


class ThresholdProtocol(Protocol):
    name = "threshold"
    description = "only the top-N test items whose prediction reaches q (0.5 for BinaryRegression)"
    precision_over_all = False

    def allowed(self, model, pred, q):
        threshold = model.prediction_threshold(q) if callable(getattr(model, "prediction_threshold", None)) else None
        return None if threshold is None else pred.scores >= threshold


class FullProtocol(Protocol):
    name = "full"
    description = "every item not rated in training or validation is a candidate (full sort), relevant = rating >= q"
    test_candidates = False

    def rank(self, result, fields, ties, seed, k, part="test"):
        model = result["model"]
        pred = test_predictions(model, result[f"{part}_data"], fields)
        seen = [result["train_data"].dataset] + ([result["valid_data"]._dataset] if part == "test" else [])
        history = _history(seen, model.n_users, model.n_items)
        test_pos = sp.csr_matrix((np.arange(1, len(pred.users) + 1), (pred.users, pred.items)),
                                 shape=history.shape)
        users = np.unique(pred.users)
        parts = []
        for chunk, scores, tie_break in full_scores(model, users):
            scores[:, 0] = -np.inf  # RecBole's padding item
            scores[history[chunk].toarray()] = -np.inf
            items = np.arange(model.n_items)
            keys = (tie_keys(chunk[:, None], items[None, :], seed).astype(np.float64) if ties == "random"
                    else np.broadcast_to(-items.astype(np.float64), scores.shape))
            cols = top_k_columns(scores, k, model_tie_break(ties, tie_break), keys)
            parts.append((cols, np.take_along_axis(scores, cols, 1),
                          np.take_along_axis(test_pos[chunk].toarray(), cols, 1) - 1))
        top_items = np.concatenate([p[0] for p in parts])
        top_scores = np.concatenate([p[1] for p in parts])
        keys = preference(ties, pred.users, pred.items, seed, first_seen=pred.items)  # the data's item order
        rank = within_user_rank(pred.users, pred.scores, model_tie_break(ties, pred.tie_break), keys)
        ranking = Ranking(users, np.concatenate([p[2] for p in parts]), top_items, top_scores,
                          recommendable(top_scores), pred.users, pred.items, pred.scores, rank)
        return ranking, pred


class RecBoleProtocol(FullProtocol):
    name = "recbole"
    description = "RecBole's convention: full sort, every test interaction relevant whatever its rating (no q)"
    uses_q = False

    def recbole_config(self, config, split, ns, rating_model):
        return {**super().recbole_config(config, split, ns, rating_model), "eval_args": {**split, "mode": "full"},
                "metrics": ["Precision", "Recall"], "topk": list(ns), "valid_metric": f"recall@{max(ns)}"}


#: every protocol by name, the default first
PROTOCOLS = {p.name: p for p in (PaperProtocol(), ThresholdProtocol(), FullProtocol(), RecBoleProtocol())}


def get_protocol(name):
    if name not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {', '.join(PROTOCOLS)}, not '{name}'")
    return PROTOCOLS[name]
