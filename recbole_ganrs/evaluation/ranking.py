"""Who comes first among a user's candidates: the prediction, then the model's own tie-break, then a tie order.

Two tie orders (``--ties``):

- ``random`` (default): a pseudo-random key per (user, item) pair and trial seed
  (splitmix64), the same for every model of a trial and whatever the row order;
- ``cf4j``: CF4J's ``Search.findTopN`` keeps the first of equal predictions in the
  user's test list, which CF4J orders by each item's first appearance in the test
  set. Here: the item's first appearance among the test rows as RecBole's test split
  holds them (the order ``--save-predictions`` writes them in, so CF4J fed with that
  file breaks ties the same way); under a full-ranking protocol, where most
  candidates are not test items, the data's own item order (RecBole's internal ids,
  which follow each item's first appearance in the .inter file).

Under ``random`` a classifier's tie-break (the probability of its vote) comes first: the
paper's <reliability, vote> tuples. ``cf4j`` drops it: CF4J's ``findTopN`` sees one
prediction per item, so a classifier's equal votes go by the test-list order, and the
numbers are CF4J's exactly (evaluation/protocols.py, ``model_tie_break``). NaN and -Infinity predictions are never
recommended (CF4J skips them): :func:`recommendable`.
"""
import numpy as np

TIES = ("random", "cf4j")


def recommendable(scores):
    """Rows a protocol may recommend: a prediction that is a number above -Infinity."""
    scores = np.asarray(scores, dtype=np.float64)
    return ~np.isnan(scores) & (scores > -np.inf)


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


def first_appearance(items):
    """Each row's position of its item's first appearance among ``items`` (CF4J's test-list order)."""
    _, first, inverse = np.unique(np.asarray(items), return_index=True, return_inverse=True)
    return first[inverse.reshape(-1)]


def preference(ties, users, items, seed, first_seen=None):
    """A key per row, higher first, that orders equal predictions under ``ties``; ``first_seen``: each row's
    CF4J list position (default: :func:`first_appearance` of ``items``)."""
    if ties == "random":
        return tie_keys(users, items, seed).astype(np.float64)
    if ties == "cf4j":
        return -np.asarray(first_appearance(items) if first_seen is None else first_seen, dtype=np.float64)
    raise ValueError(f"ties must be one of {TIES}, not '{ties}'")


def within_user_rank(users, scores, tie_break=None, tie_keys=None):
    """0-based rank of each row among its user's rows: best score first (NaN and -Infinity last), then the
    higher ``tie_break``, then the higher ``tie_keys`` (then row order, only when neither is given)."""
    scores = np.asarray(scores, dtype=np.float64)
    keys = [np.arange(len(users))]
    if tie_keys is not None:
        keys.append(-np.asarray(tie_keys, dtype=np.float64))
    if tie_break is not None:
        keys.append(-np.nan_to_num(np.asarray(tie_break, dtype=np.float64), nan=-np.inf))
    order = np.lexsort((*keys, -np.where(recommendable(scores), scores, -np.inf), users))
    sorted_users = np.asarray(users)[order]
    starts = np.r_[0, np.flatnonzero(sorted_users[1:] != sorted_users[:-1]) + 1]
    group_start = np.repeat(starts, np.diff(np.r_[starts, len(users)]))
    rank = np.empty(len(users), dtype=np.int64)
    rank[order] = np.arange(len(users)) - group_start
    return rank


def top_k_columns(scores, k, tie_break=None, tie_keys=None):
    """Per row of a (users x items) score matrix, the column indices of its ``k`` best items (best first,
    the same order as :func:`within_user_rank`); non-recommendable scores sort last."""
    scores = np.where(recommendable(scores), scores, -np.inf)
    keys = [np.broadcast_to(np.arange(scores.shape[1]), scores.shape)]
    if tie_keys is not None:
        keys.append(-np.asarray(tie_keys, dtype=np.float64))
    if tie_break is not None:
        keys.append(-np.nan_to_num(np.asarray(tie_break, dtype=np.float64), nan=-np.inf))
    return np.lexsort((*keys, -scores), axis=-1)[:, :k]
