"""The top-N protocols and metrics against cases worked out by hand."""
import math
from types import SimpleNamespace

import numpy as np
import pytest

from recbole_ganrs.evaluation import (
    TopLists, default_thresholds, evaluate_lists, get_protocol, preference, tie_keys, top_k_columns, within_user_rank,
)
from recbole_ganrs.evaluation.protocols import _test_ranking

# user 1: items scored 4.8 (rated 5), 4.5 (3), 4.1 (4), 2.0 (5)   -> 3 relevant at q=4
# user 2: items scored 3.9 (4), 3.0 (2)                           -> 1 relevant
# user 3: items scored 4.2 (2), 4.0 (1)                           -> no relevant item
USERS = np.array([1, 1, 1, 1, 2, 2, 3, 3])
ITEMS = np.array([10, 11, 12, 13, 10, 14, 11, 15])
SCORES = np.array([4.8, 4.5, 4.1, 2.0, 3.9, 3.0, 4.2, 4.0])
RATINGS = np.array([5, 3, 4, 5, 4, 2, 2, 1])


def pred(scores=SCORES, users=USERS, items=ITEMS, tie_break=None):
    return SimpleNamespace(users=users, items=items, scores=np.asarray(scores, float), tie_break=tie_break)


def evaluate(protocol, ns, q=4, scores=SCORES, users=USERS, items=ITEMS, ratings=RATINGS, ties="random",
             tie_break=None, threshold=None):
    p = pred(scores, users, items, tie_break)
    rank = within_user_rank(p.users, p.scores, tie_break, preference(ties, p.users, p.items, 0))
    ranking = _test_ranking(p.users, p.items, p.scores, rank, max(ns))
    allowed = None if threshold is None else p.scores >= threshold
    rows, per_user = evaluate_lists(ranking.lists(ratings >= q, allowed), ns, get_protocol(protocol).precision_over_all)
    return {r["N"]: r for r in rows}, per_user


def test_paper_protocol_precision_and_recall_by_hand():
    rows, _ = evaluate("paper", [1, 2, 3, 10])
    # N=1: u1 {4.8 hit} P=1 R=1/3; u2 {3.9 hit} P=1 R=1 (no threshold on the prediction); u3 {4.2 miss} P=0
    # precision over all 3 test users, recall over the 2 with a relevant item
    assert rows[1]["precision"] == pytest.approx(2 / 3) and rows[1]["recall"] == pytest.approx(2 / 3)
    # N=2: u1 {hit, miss} P=1/2; u2 {hit, miss} P=1/2; u3 P=0 -> P=1/3; R=(1/3+1)/2
    assert rows[2]["precision"] == pytest.approx(1 / 3) and rows[2]["recall"] == pytest.approx(2 / 3)
    # N=3: u1 2 hits of 3; u2 has only 2 test items: 1 of 2; u3 0 -> P=(2/3+1/2)/3, R=(2/3+1)/2
    assert rows[3]["precision"] == pytest.approx(7 / 18) and rows[3]["recall"] == pytest.approx(5 / 6)
    # N=10: u1 recommends all 4 (3 hits), 2.0 included: no threshold
    assert rows[10]["precision"] == pytest.approx(5 / 12) and rows[10]["recall"] == pytest.approx(1.0)
    assert all(r["test_users"] == 3 and r["relevant_users"] == 2 for r in rows.values())


def test_a_ranking_within_some_test_rows_ranks_them_alone_in_the_same_order():
    # the items 11, 12, 13 and 15 (say, one genre): u1 keeps 4.5 (3), 4.1 (4), 2.0 (5); u2 has none; u3 4.2 (2), 4.0 (1)
    p = pred()
    rank = within_user_rank(p.users, p.scores, None, preference("random", p.users, p.items, 0))
    genre = np.isin(ITEMS, [11, 12, 13, 15])
    part = _test_ranking(p.users, p.items, p.scores, rank, 3).within(genre, 3)
    assert part.users.tolist() == [1, 3]
    assert part.top_items.tolist() == [[11, 12, 13], [11, 15, -1]]
    rows = {r["N"]: r for r in evaluate_lists(part.lists((RATINGS >= 4)[genre]), [1, 2])[0]}
    # N=1: u1 {4.5: rated 3, miss} of 2 relevant; u3 {miss}, nothing relevant -> P=0, R over u1 alone = 0
    assert rows[1]["precision"] == 0 and rows[1]["recall"] == 0 and rows[1]["relevant_users"] == 1
    # N=2: u1 {miss, hit} P=1/2 R=1/2; u3 P=0 -> P=1/4, R=1/2
    assert rows[2]["precision"] == pytest.approx(0.25) and rows[2]["recall"] == pytest.approx(0.5)


def test_cf4j_f1_is_the_mean_of_per_user_f1_over_users_with_a_hit():
    rows, per_user = evaluate("paper", [2, 3, 10])
    # N=2: u1 P=1/2 R=1/3 -> F1=0.4; u2 P=1/2 R=1 -> 2/3; u3 has no relevant item: undefined, skipped
    assert rows[2]["f1"] == pytest.approx((0.4 + 2 / 3) / 2)
    assert rows[2]["f1_of_means"] == pytest.approx(2 * (1 / 3) * (2 / 3) / (1 / 3 + 2 / 3))  # 4/9, not CF4J's
    # N=3: u2 has 2 test items (fewer than N): P=1/2 R=1 -> 2/3; u1 P=2/3 R=2/3 -> 2/3
    assert rows[3]["f1"] == pytest.approx(2 / 3)
    # per-user values at the largest N for the users with a relevant item: u1 P=3/4 R=1; u2 P=1/2 R=1
    assert per_user["user"].tolist() == [1, 2]
    assert per_user["f1"] == pytest.approx([2 * 0.75 / 1.75, 2 * 0.5 / 1.5])
    # a user with relevant items and no hit: 0/0, skipped by CF4J's average (v2.2.7), not -Infinity
    users, scores, ratings = np.array([1, 1, 2, 2]), np.array([0.9, 0.1, 0.9, 0.1]), np.array([5, 1, 1, 5])
    rows, per_user = evaluate("paper", [1], users=users, items=np.array([1, 2, 1, 2]), scores=scores, ratings=ratings)
    assert rows[1]["f1"] == pytest.approx(1.0)  # u1 F1=1; u2 (no hit) skipped
    assert rows[1]["f1_of_means"] == pytest.approx(2 * 0.5 * 0.5 / 1.0)
    assert per_user["f1"].tolist() == [1.0, 0.0] and math.isfinite(rows[1]["f1"])


def test_ndcg_mrr_hit_map_by_hand():
    rows, _ = evaluate("paper", [2, 3])
    # u1 ranked: 4.8 rel, 4.5 not, 4.1 rel, 2.0 rel (3 relevant); u2: 3.9 rel, 3.0 not (1 relevant); u3: none
    # N=3, binary gains, discount 1/log2(k+1):
    #   u1 DCG = 1 + 1/log2(4) = 1.5; IDCG (3 relevant) = 1 + 1/log2(3) + 1/2; u2 DCG = 1 = IDCG
    idcg1 = 1 + 1 / np.log2(3) + 0.5
    assert rows[3]["ndcg"] == pytest.approx((1.5 / idcg1 + 1.0) / 2)
    assert rows[3]["mrr"] == pytest.approx(1.0) and rows[3]["hit"] == pytest.approx(1.0)
    # MAP@3: u1 (P@1 x 1 + P@3 x 1) / min(3, 3) = (1 + 2/3) / 3; u2 1 / min(3, 1) = 1
    assert rows[3]["map"] == pytest.approx(((1 + 2 / 3) / 3 + 1) / 2)
    # N=2: u1 DCG 1, IDCG 1 + 1/log2(3); MAP@2 u1 = 1 / min(2, 3)
    assert rows[2]["ndcg"] == pytest.approx((1 / (1 + 1 / np.log2(3)) + 1) / 2)
    assert rows[2]["map"] == pytest.approx((0.5 + 1) / 2)
    # MRR: the first relevant item at rank 2 counts 1/2; none within N counts 0
    lists = TopLists(np.array([1, 2]), np.ones((2, 2), bool), np.array([[False, True], [False, False]]),
                     np.array([1, 1]))
    (row,), _ = evaluate_lists(lists, [2])
    assert row["mrr"] == pytest.approx(0.25) and row["hit"] == pytest.approx(0.5)


def test_threshold_protocol_by_hand():
    rows, _ = evaluate("threshold", [1, 2, 3, 10], threshold=4)
    # N=1: u1 {4.8 hit} P=1 R=1/3; u2: 3.9 does not reach 4 -> P=0 R=0; u3 not counted
    assert rows[1]["precision"] == pytest.approx(0.5) and rows[1]["recall"] == pytest.approx(1 / 6)
    assert rows[2]["precision"] == pytest.approx(0.25) and rows[2]["recall"] == pytest.approx(1 / 6)
    for n in (3, 10):  # u1 {4.8, 4.5, 4.1}: 2 hits of 3; 2.0 never reaches q
        assert rows[n]["precision"] == pytest.approx(1 / 3) and rows[n]["recall"] == pytest.approx(1 / 3)
    probabilities = np.array([0.9, 0.2, 0.6, 0.1, 0.55, 0.3, 0.7, 0.8])
    rows, _ = evaluate("threshold", [10], scores=probabilities, threshold=0.5)
    # a binary model's own threshold: u1 {0.9 hit, 0.6 hit} P=1 R=2/3; u2 {0.55 hit} P=1 R=1
    assert rows[10]["precision"] == pytest.approx(1.0) and rows[10]["recall"] == pytest.approx(5 / 6)


def test_a_classifier_ranks_equal_votes_by_their_probability():
    users, items = np.array([7, 7, 7]), np.array([1, 2, 3])
    votes, ratings = np.array([4.0, 4.0, 3.0]), np.array([1, 5, 5])
    surer_second = np.array([0.6, 0.9, 0.99])  # the relevant item's vote 4 is the surer one
    rows, _ = evaluate("paper", [1], users=users, items=items, scores=votes, ratings=ratings, tie_break=surer_second)
    assert rows[1]["precision"] == 1.0  # by row order it would recommend the first item, a miss
    rows, _ = evaluate("paper", [1], users=users, items=items, scores=votes, ratings=ratings,
                       tie_break=surer_second[[1, 0, 2]])
    assert rows[1]["precision"] == 0.0  # the vote outranks the probability: 3.0 (p=0.99) never comes first


def test_random_ties_are_broken_by_seed_not_row_order():
    rng = np.random.default_rng(0)
    users, items = np.repeat(np.arange(50), 6), np.tile(np.arange(6), 50)
    scores = np.ones(len(users))  # every prediction equal: a real tie
    ranks = {}
    for seed in (0, 1):
        rank = within_user_rank(users, scores, tie_keys=tie_keys(users, items, seed))
        perm = rng.permutation(len(users))
        shuffled = within_user_rank(users[perm], scores[perm], tie_keys=tie_keys(users[perm], items[perm], seed))
        assert (shuffled == rank[perm]).all()  # the same items come first whatever the row order
        ranks[seed] = rank
    assert (ranks[0] != ranks[1]).any()
    top = items[ranks[0] == 0]
    assert len(set(top.tolist())) > 1  # not always the first item of each user


def test_cf4j_ties_keep_the_item_seen_first_in_the_test_set():
    # test rows in the split's order: item 30 first appears (for user 2) before item 20 does (for user 1)
    users, items = np.array([2, 2, 1, 1, 1]), np.array([30, 40, 20, 30, 50])
    scores, ratings = np.array([3.0, 3.0, 4.0, 4.0, 1.0]), np.array([5, 1, 1, 5, 1])
    rows, _ = evaluate("paper", [1], users=users, items=items, scores=scores, ratings=ratings, ties="cf4j")
    # user 1's tie 20 / 30 at 4.0: 30 was seen first in the test set (row 0) -> recommended, a hit;
    # user 2's tie 30 / 40 at 3.0: 30 first -> a hit
    assert rows[1]["precision"] == 1.0
    keys = preference("cf4j", users, items, 0)
    assert keys.tolist() == [0, -1, -2, 0, -4]  # minus each item's first row: higher comes first
    # a classifier's equal votes: CF4J sees only the vote, so the test-list order decides, not the probability
    from recbole_ganrs.evaluation.protocols import model_tie_break

    probability = np.array([0.2, 0.9, 0.9, 0.2, 0.5])  # user 2's 40 and user 1's 20 are the surer votes
    rows, _ = evaluate("paper", [1], users=users, items=items, scores=scores, ratings=ratings, ties="cf4j",
                       tie_break=model_tie_break("cf4j", probability))
    assert rows[1]["precision"] == 1.0  # the first-seen item 30 of both users, both hits
    rows, _ = evaluate("paper", [1], users=users, items=items, scores=scores, ratings=ratings, ties="cf4j",
                       tie_break=model_tie_break("random", probability))
    assert rows[1]["precision"] == 0.0  # <reliability, vote>: the surer 40 and 20, both misses


def test_nan_and_minus_infinity_are_never_recommended():
    users, items = np.array([1, 1, 1]), np.array([1, 2, 3])
    scores, ratings = np.array([np.nan, -np.inf, 2.0]), np.array([5, 5, 1])
    rows, _ = evaluate("paper", [1, 3], users=users, items=items, scores=scores, ratings=ratings)
    # only item 3 may be recommended: at N=3 one recommended item, a miss; both relevant items still count
    assert rows[3]["precision"] == 0.0 and rows[3]["recall"] == 0.0 and rows[1]["precision"] == 0.0
    cols = top_k_columns(np.array([[np.nan, 1.0, -np.inf, 1.0]]), 2, tie_keys=np.array([[0, 0, 0, 5.0]]))
    assert cols.tolist() == [[3, 1]]  # the tie at 1.0 by the higher key; NaN never ahead of a number


def test_top_k_columns_match_within_user_rank():
    rng = np.random.default_rng(1)
    scores = rng.integers(0, 4, (5, 9)).astype(float)
    keys = tie_keys(np.repeat(np.arange(5), 9), np.tile(np.arange(9), 5), 3).astype(float).reshape(5, 9)
    cols = top_k_columns(scores, 4, tie_keys=keys)
    rank = within_user_rank(np.repeat(np.arange(5), 9), scores.ravel(), tie_keys=keys.ravel()).reshape(5, 9)
    assert (np.argsort(rank, axis=1)[:, :4] == cols).all()


def test_protocols_are_objects_with_their_own_settings():
    paper, full, recbole = get_protocol("paper"), get_protocol("full"), get_protocol("recbole")
    assert paper.levels([4.0, 5.0]) == [4.0, 5.0] and recbole.levels([4.0]) == [None]
    split = {"split": {"RS": [0.6, 0.1, 0.3]}, "mode": "labeled"}
    assert recbole.recbole_config({}, split, [2, 10], True)["valid_metric"] == "recall@10"
    assert full.recbole_config({}, split, [2, 10], True)["eval_args"]["mode"] == "labeled"  # validated as paper
    assert not get_protocol("threshold").precision_over_all and paper.precision_over_all
    with pytest.raises(ValueError, match="protocol must be one of"):
        get_protocol("nope")


def test_thresholds_follow_the_scale():
    assert default_thresholds([1, 2, 3, 4, 5]) == [4.0, 5.0]
    assert default_thresholds(range(1, 11)) == [9.0, 10.0]
