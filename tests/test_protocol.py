"""The top-N protocols against cases worked out by hand."""
import numpy as np
import pytest

from recbole_ganrs.evaluation import default_thresholds, ranked_metrics, tie_keys, within_user_rank

# user 1: items scored 4.8 (rated 5), 4.5 (3), 4.1 (4), 2.0 (5)   -> 3 relevant at q=4
# user 2: items scored 3.9 (4), 3.0 (2)                           -> 1 relevant
# user 3: items scored 4.2 (2), 4.0 (1)                           -> no relevant item
USERS = np.array([1, 1, 1, 1, 2, 2, 3, 3])
SCORES = np.array([4.8, 4.5, 4.1, 2.0, 3.9, 3.0, 4.2, 4.0])
RATINGS = np.array([5, 3, 4, 5, 4, 2, 2, 1])


def by_n(rows):
    return {r["N"]: r for r in rows}


def test_paper_protocol_by_hand():
    rows, (users, f1) = ranked_metrics(USERS, SCORES, RATINGS >= 4, [1, 2, 3, 10], "paper")
    rows = by_n(rows)
    # N=1: u1 {4.8 hit} P=1 R=1/3; u2 {3.9 hit} P=1 R=1 (no threshold on the prediction); u3 {4.2 miss} P=0
    # precision over all 3 test users, recall over the 2 with a relevant item
    assert rows[1]["precision"] == pytest.approx(2 / 3) and rows[1]["recall"] == pytest.approx(2 / 3)
    assert rows[1]["f1"] == pytest.approx(2 / 3)
    # N=2: u1 {hit, miss} P=1/2; u2 {hit, miss} P=1/2; u3 P=0 -> P=1/3; R=(1/3+1)/2
    assert rows[2]["precision"] == pytest.approx(1 / 3) and rows[2]["recall"] == pytest.approx(2 / 3)
    assert rows[2]["f1"] == pytest.approx(4 / 9)
    # N=3: u1 2 hits of 3; u2 has only 2 test items: 1 of 2; u3 0 -> P=(2/3+1/2)/3, R=(2/3+1)/2
    assert rows[3]["precision"] == pytest.approx(7 / 18) and rows[3]["recall"] == pytest.approx(5 / 6)
    # N=10: u1 recommends all 4 (3 hits), 2.0 included: no threshold
    assert rows[10]["precision"] == pytest.approx(5 / 12) and rows[10]["recall"] == pytest.approx(1.0)
    assert all(r["test_users"] == 3 and r["relevant_users"] == 2 for r in rows.values())
    # per-user F1 at the largest N, for the users with a relevant item
    assert users.tolist() == [1, 2]
    assert f1 == pytest.approx([2 * 0.75 / 1.75, 2 * 0.5 / 1.5])


def test_threshold_protocol_by_hand():
    rows = by_n(ranked_metrics(USERS, SCORES, RATINGS >= 4, [1, 2, 3, 10], "threshold", threshold=4)[0])
    # N=1: u1 {4.8 hit} P=1 R=1/3; u2: 3.9 does not reach 4 -> P=0 R=0; u3 not counted
    assert rows[1]["precision"] == pytest.approx(0.5) and rows[1]["recall"] == pytest.approx(1 / 6)
    assert rows[2]["precision"] == pytest.approx(0.25) and rows[2]["recall"] == pytest.approx(1 / 6)
    for n in (3, 10):  # u1 {4.8, 4.5, 4.1}: 2 hits of 3; 2.0 never reaches q
        assert rows[n]["precision"] == pytest.approx(1 / 3) and rows[n]["recall"] == pytest.approx(1 / 3)
    probabilities = np.array([0.9, 0.2, 0.6, 0.1, 0.55, 0.3, 0.7, 0.8])
    (row,) = ranked_metrics(USERS, probabilities, RATINGS >= 4, [10], "threshold", threshold=0.5)[0]
    # a binary model's own threshold: u1 {0.9 hit, 0.6 hit} P=1 R=2/3; u2 {0.55 hit} P=1 R=1
    assert row["precision"] == pytest.approx(1.0) and row["recall"] == pytest.approx(5 / 6)


def test_a_classifier_ranks_equal_votes_by_their_probability():
    users, votes, relevant = np.array([7, 7, 7]), np.array([4.0, 4.0, 3.0]), np.array([False, True, True])
    surer_second = np.array([0.6, 0.9, 0.99])  # the relevant item's vote 4 is the surer one
    (row,) = ranked_metrics(users, votes, relevant, [1], "paper", tie_break=surer_second)[0]
    assert row["precision"] == 1.0  # by row order it would recommend the first item, a miss
    (row,) = ranked_metrics(users, votes, relevant, [1], "paper", tie_break=surer_second[[1, 0, 2]])[0]
    assert row["precision"] == 0.0  # the vote outranks the probability: 3.0 (p=0.99) never comes first


def test_regression_ties_are_broken_by_seed_not_row_order():
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


def test_a_user_with_nothing_relevant_counts_in_precision_only():
    users, scores = np.array([1, 1, 2, 2]), np.array([0.9, 0.1, 0.8, 0.2])
    relevant = np.array([True, False, False, False])
    (row,) = ranked_metrics(users, scores, relevant, [1], "paper")[0]
    assert row["precision"] == pytest.approx(0.5) and row["recall"] == pytest.approx(1.0)
    (row,) = ranked_metrics(users, scores, relevant, [1], "threshold", threshold=0.0)[0]
    assert row["precision"] == pytest.approx(1.0) and row["recall"] == pytest.approx(1.0)


def test_thresholds_follow_the_scale():
    assert default_thresholds([1, 2, 3, 4, 5]) == [4.0, 5.0]
    assert default_thresholds(range(1, 11)) == [9.0, 10.0]
