"""Cold-start splits, user groups and group gaps, checked by hand on tiny data."""
import numpy as np
import pandas as pd
import pytest

from recbole_ganrs.benchmark.trial_key import TrialSpec
from recbole_ganrs.errors import GanrsError
from recbole_ganrs.evaluation.groups import activity_quartiles, gap_test, read_user_file, user_groups
from recbole_ganrs.evaluation.splits import Split, benchmark_ratios, parse_split, warm_parts
from tests.conftest import make_ratings, write_dataset


def test_cold_user_split_keeps_k_training_ratings_and_tests_the_rest():
    ratings = make_ratings(n_users=20, n_items=30, per_user=10)
    split = parse_split("cold-users:0.3:2")
    part, cold = split.assign(ratings, seed=0)
    assert len(cold) == 6  # 30% of 20 users
    per_user = ratings.assign(part=part).groupby(["user_id", "part"]).size().unstack(fill_value=0)
    assert (per_user.loc[cold] == [2, 0, 8]).all().all()  # K in training, none in validation, the rest tested
    warm = per_user.drop(index=cold)
    assert (warm == [6, 1, 3]).all().all()  # RecBole's 60 / 10 / 30 of 10 ratings
    again, cold_again = split.assign(ratings, seed=0)
    assert (again == part).all() and cold_again == cold
    assert split.assign(ratings, seed=1)[1] != cold  # the trial seed draws the cold users


def test_cold_item_split_and_recbole_rounding():
    ratings = make_ratings(n_users=20, n_items=30, per_user=10)
    part, cold = Split("cold-items", 0.2, 1).assign(ratings, seed=0)
    per_item = ratings.assign(part=part).groupby(["item_id", "part"]).size().unstack(fill_value=0)
    assert len(cold) == 6 and (per_item.loc[cold, 0] <= 1).all() and (per_item.loc[cold, 1] == 0).all()
    # RecBole's _calcu_split_ids: 5 ratings -> 3 / 1 / 1, 3 -> 1 / 1 / 1, 2 -> 1 / 0 / 1
    assert benchmark_ratios() == (0.6, 0.1, 0.3)  # properties/rating.yaml's split
    assert [np.bincount(warm_parts(np.arange(n), np.full(n, n), benchmark_ratios()), minlength=3).tolist()
            for n in (5, 3, 2)] == \
        [[3, 1, 1], [1, 1, 1], [1, 0, 1]]


@pytest.mark.parametrize("text", ["cold-users", "cold-users:1.5:3", "cold-users:0.3", "warm:0.3:5", "cold-items:0.3:x"])
def test_bad_splits_are_refused_in_one_line(text):
    with pytest.raises(GanrsError, match="--split must be random, cold-users:F:K, cold-items:F:K"):
        parse_split(text)


def test_groups_by_hand(tmp_path):
    assert activity_quartiles([8, 1, 4, 2, 6, 3, 7, 5]).tolist() == ["Q4", "Q1", "Q2", "Q1", "Q3", "Q2", "Q4", "Q3"]
    users = pd.DataFrame({"user_id:token": [str(u) for u in range(40)],
                          "age:token": [str(10 + u) for u in range(40)],  # 40 values: four bands of ten
                          "gender:token": ["F", "M"] * 20,
                          "zip:token": [f"{u:05d}" for u in range(40)]})  # 40 values: left out
    users.to_csv(tmp_path / "x.user", sep="\t", index=False)
    attributes = read_user_file(tmp_path / "x.user")
    assert list(attributes.columns) == ["age", "gender"]
    assert attributes.loc["0", "age"] == "10-19" and attributes.loc["39", "age"] == "40-49"
    groups = user_groups(["0", "1", "99"], [3, 9, 5], attributes, cold=np.array([True, False, False]))
    assert groups["gender"].tolist() == ["F", "M", "unknown"] and groups["cold-start"].tolist() == ["cold", "warm",
                                                                                                    "warm"]
    assert read_user_file(tmp_path / "none.user") is None


def test_gap_test_finds_a_real_gap_and_not_a_null_one():
    rng = np.random.default_rng(0)
    values, labels = rng.random(300), np.repeat(["a", "b", "c"], 100)
    gap, p = gap_test(values, labels)
    means = [values[labels == g].mean() for g in "abc"]
    assert gap == pytest.approx(max(means) - min(means)) and p > 0.2
    gap, p = gap_test(values + 0.3 * (labels == "a"), labels)
    assert gap > 0.25 and p < 0.01
    assert np.isnan(gap_test(values, np.full(300, "a"))[0])


def test_trial_on_a_cold_user_split_reports_cold_warm_activity_and_attribute_groups(tmp_path):
    from recbole_ganrs.benchmark.trial import run_trial

    ratings = make_ratings(n_users=60, n_items=40, per_user=15)
    folder = write_dataset(tmp_path, "ml-100k", ratings)  # the name RecBole pins to its bundled copy
    pd.DataFrame({"user_id:token": [str(u) for u in range(60)], "gender:token": ["F", "M", "M"] * 20}).to_csv(
        folder / "ml-100k.user", sep="\t", index=False)
    spec = {"dataset": "ml-100k", "dataset_config": {"dataset": "ml-100k", "data_path": str(tmp_path)},
            "model": "DeepMF", "seed": 0, "protocol": "full", "ties": "random", "split": "cold-users:0.3:3",
            "ns": [2, 5], "qs": [4.0], "epochs": 2, "user_file": str(folder / "ml-100k.user")}
    rows, per_user, _ = run_trial(TrialSpec.of(**spec))
    frame = pd.DataFrame(rows)
    at5 = frame[frame["N"] == 5].set_index(["grouping", "subset"])
    assert at5.loc[("cold-start", "cold"), "test_users"] == 18  # 30% of 60, each with 12 test items
    assert at5.loc[("cold-start", "warm"), "test_users"] == 42
    assert at5.loc[("gender", "F"), "test_users"] == 20 and at5.loc[("gender", "M"), "test_users"] == 40
    assert sorted(at5.loc["activity"].index) == ["Q1", "Q2", "Q3", "Q4"]
    assert set(frame["split"]) == {"cold-users:0.3:3"}
    scored = per_user["4.0"]
    assert len(scored["user"]) == len(scored["group:cold-start"]) == len(scored["group:gender"])
    cold_scored = {u for u, g in zip(scored["user"], scored["group:cold-start"]) if g == "cold"}
    assert cold_scored and all(isinstance(u, str) for u in cold_scored)


def test_group_means_follow_each_seeds_labels():
    from recbole_ganrs.benchmark.group_report import group_frame

    # user u1 is cold under seed 0 and warm under seed 1 (a cold split draws its users per trial seed)
    scores = pd.DataFrame({"model": "M", "seed": [0, 0, 1, 1], "q": 4.0, "user": ["u1", "u2", "u1", "u2"],
                           "value": [0.2, 0.6, 0.4, 0.8], "group:cold-start": ["cold", "warm", "warm", "cold"]})
    (row,) = group_frame(scores, "d", ["M"], [4.0])
    assert row["groups"]["cold"] == (pytest.approx(0.5), 2)  # u1 at seed 0 (0.2), u2 at seed 1 (0.8)
    assert row["groups"]["warm"] == (pytest.approx(0.5), 2)  # u2 at seed 0 (0.6), u1 at seed 1 (0.4)
    assert row["gap"] == pytest.approx(0.0)


def test_a_banded_condition_bands_the_sources_attribute_as_the_synthetic_users_are(tmp_path):
    path = tmp_path / "x.user"
    pd.DataFrame({"user_id:token": ["1", "2", "3", "4"], "age:token": ["17", "30", "52", "25-34"]}).to_csv(
        path, sep="\t", index=False)
    assert read_user_file(path, "age:18,25,35,50")["age"].tolist() == ["<18", "25-34", "50+", "25-34"]
    assert read_user_file(path, "gender")["age"].tolist() == ["17", "30", "52", "25-34"]  # 4 values: as they are


def test_a_saved_split_loads_in_recbole_and_a_trial_from_it_gives_the_same_metrics(tmp_path):
    from recbole.config import Config
    from recbole.data import create_dataset

    from recbole_ganrs.benchmark.trial import run_trial

    folder = write_dataset(tmp_path, "tiny", make_ratings(n_users=60, n_items=40, per_user=15))
    spec = {"dataset": "tiny", "dataset_config": {"dataset": "tiny", "data_path": str(tmp_path)}, "model": "DeepMF",
            "seed": 3, "protocol": "paper", "ties": "random", "ns": [2, 5], "qs": [4.0], "epochs": 2,
            "save_split": str(tmp_path / "splits")}
    rows, _, _ = run_trial(TrialSpec.of(**spec))
    saved = tmp_path / "splits" / "seed3" / "tiny"
    assert sorted(p.name for p in saved.iterdir()) == sorted([f"tiny.{p}.{e}" for p in ("train", "valid", "test")
                                                             for e in ("inter", "csv")] + ["croissant.json"])
    config = Config(model="BPR", dataset="tiny", config_dict={  # RecBole's own reader of pre-split files
        "data_path": str(saved.parent), "benchmark_filename": ["train", "valid", "test"], "state": "ERROR",
        "checkpoint_dir": str(tmp_path / "saved")})
    assert len(create_dataset(config).inter_feat) == len(pd.read_csv(folder / "tiny.inter", sep="\t"))
    again, _, _ = run_trial(TrialSpec.of(**{**spec, "save_split": None, "split": f"files:{tmp_path / 'splits'}"}))
    metrics = ["precision", "recall", "f1", "ndcg"]
    first, second = pd.DataFrame(rows), pd.DataFrame(again)
    assert set(second["split"]) == {f"files:{(tmp_path / 'splits').resolve()}"}
    pd.testing.assert_frame_equal(first[metrics + ["test_users"]], second[metrics + ["test_users"]])
    with pytest.raises(GanrsError, match="files:DIR"):
        parse_split(f"files:{tmp_path / 'nowhere'}")
    test_file = saved / "tiny.test.inter"  # the trial really reads the files: a row less is refused
    test_file.write_text("".join(test_file.read_text().splitlines(keepends=True)[:-1]))
    with pytest.raises(GanrsError, match="saved from another dataset"):
        run_trial(TrialSpec.of(**{**spec, "save_split": None, "split": f"files:{tmp_path / 'splits'}"}))


def test_gap_kept_pairs_the_rows_of_a_protocol_without_q():
    from recbole_ganrs.benchmark.group_report import gap_kept

    def row(f_mean, p):  # the recbole protocol has no q: NaN in every row, each its own NaN object
        return {"q": float("nan"), "grouping": "gender", "model": "A", "groups": {"F": (f_mean, 5), "M": (0.1, 5)},
                "p_holm": p}

    (kept,) = gap_kept([row(0.2, 0.5)], [row(0.3, 0.01)], "syn")
    assert kept["direction"] == "F - M" and kept["same direction"] and not kept["same significance"]
