"""The paper's protocol against a case worked out by hand."""
import numpy as np
import pytest

from recbole_ganrs.evaluation import default_thresholds, paper_metrics

# user 1: items scored 4.8 (rated 5), 4.5 (3), 4.1 (4), 2.0 (5)
# user 2: items scored 3.9 (4), 3.0 (2)             -> nothing reaches q=4: precision 0
# user 3: items scored 4.2 (2), 4.0 (1)             -> no relevant item: not counted
USERS = np.array([1, 1, 1, 1, 2, 2, 3, 3])
SCORES = np.array([4.8, 4.5, 4.1, 2.0, 3.9, 3.0, 4.2, 4.0])
RATINGS = np.array([5, 3, 4, 5, 4, 2, 2, 1])


def test_hand_computed_precision_recall_f1_at_q4():
    rows = {r["N"]: r for r in paper_metrics(USERS, SCORES, RATINGS >= 4, [1, 2, 3, 10], score_threshold=4)}
    # N=1: user1 recommends {4.8: hit} -> P=1, R=1/3; user2 nothing -> P=0, R=0
    assert rows[1]["precision"] == pytest.approx(0.5)
    assert rows[1]["recall"] == pytest.approx(1 / 6)
    assert rows[1]["f1"] == pytest.approx(2 * 0.5 * (1 / 6) / (0.5 + 1 / 6))
    # N=2: user1 {4.8 hit, 4.5 miss} -> P=1/2, R=1/3
    assert rows[2]["precision"] == pytest.approx(0.25) and rows[2]["recall"] == pytest.approx(1 / 6)
    # N=3 and N=10: user1 {4.8, 4.5, 4.1} -> 2 hits of 3 recommended; 2.0 never reaches q
    for n in (3, 10):
        assert rows[n]["precision"] == pytest.approx(1 / 3) and rows[n]["recall"] == pytest.approx(1 / 3)
    assert all(r["users"] == 2 for r in rows.values())


def test_the_threshold_of_a_binary_model_is_its_own():
    probabilities = np.array([0.9, 0.2, 0.6, 0.1, 0.55, 0.3, 0.7, 0.8])
    (row,) = paper_metrics(USERS, probabilities, RATINGS >= 4, [10], score_threshold=0.5)
    # user1 recommends {0.9 hit, 0.6 hit} -> P=1, R=2/3; user2 {0.55 hit} -> P=1, R=1
    assert row["precision"] == pytest.approx(1.0) and row["recall"] == pytest.approx(5 / 6)


def test_thresholds_follow_the_scale():
    assert default_thresholds([1, 2, 3, 4, 5]) == [4.0, 5.0]
    assert default_thresholds(range(1, 11)) == [9.0, 10.0]
