import pandas as pd
import pytest

from recbole_ganrs.stats import dataset_row, fidelity, gini


def frame(pairs, ratings):
    return pd.DataFrame({"user_id": [p[0] for p in pairs], "item_id": [p[1] for p in pairs], "rating": ratings})


def test_table_iv_row():
    row = dataset_row("d", frame([("a", "x"), ("a", "y"), ("b", "x")], [1.0, 5.0, 3.0]))
    assert row == {"dataset": "d", "#users": 2, "#items": 2, "#ratings": 3, "scores": "1..5", "sparsity %": 25.0}


def test_gini_of_equal_and_concentrated_counts():
    assert gini([5, 5, 5, 5]) == pytest.approx(0.0)
    assert gini([0, 0, 0, 10]) == pytest.approx(0.75)


def test_fidelity_is_zero_for_a_copy_and_sees_differences():
    a = frame([("a", "x"), ("a", "y"), ("b", "x"), ("c", "z")], [1.0, 2.0, 2.0, 4.0])
    same = fidelity("a", a, a)
    assert same["rating TVD"] == 0 and same["activity KS"] == 0 and same["popularity KS"] == 0
    b = a.assign(rating=[4.0, 4.0, 4.0, 4.0])
    assert fidelity("b", b, a)["rating TVD"] == pytest.approx(0.75)
