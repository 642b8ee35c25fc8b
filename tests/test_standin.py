"""The stand-in measurement: gap profile, split-half ceiling, replicates and the stand-in table."""
import numpy as np
import pandas as pd
import pytest

from recbole_ganrs.benchmark.analysis import gap_profile
from recbole_ganrs.datasets.halves import split_users
from recbole_ganrs.benchmark.options import parse_options
from recbole_ganrs.datasets.plan import dataset_plan
from recbole_ganrs.benchmark.report import summarise
from recbole_ganrs.benchmark.standin import measures, standin_frames


def test_gap_measures_by_hand():
    source = np.array([0.50, 0.52, 0.60])  # centred: -0.04, -0.02, +0.06
    half_gaps = np.array([0.48, 0.49, 0.53])  # centred: -0.02, -0.01, +0.03: same shape, half the spread
    m = measures(source, half_gaps)
    assert m["gap r"] == pytest.approx(1.0) and m["gap spread"] == pytest.approx(0.5)
    assert m["Kendall tau"] == pytest.approx(1.0)
    assert m["gap concordance"] == pytest.approx(2 * 0.5 / (1 + 0.25))  # same shape, half the size: 0.8
    # every model tied but for noise a hundred times smaller: r can still be high, concordance is ~0
    tiny = measures(source, 0.5 + (source - source.mean()) / 100)
    assert tiny["gap r"] == pytest.approx(1.0) and tiny["gap concordance"] < 0.03
    # a near-tie swapped: tau drops by a third, the gap profile hardly moves
    m = measures(source, np.array([0.521, 0.52, 0.60]))
    assert m["Kendall tau"] == pytest.approx(1 / 3) and m["gap r"] > 0.95


def test_gap_profile_over_every_n():
    rows = []
    for dataset, gaps in (("real", (0.0, 0.1)), ("syn", (0.0, 0.05)), ("flat", (0.05, 0.0))):
        for n, base in ((2, 0.3), (10, 0.6)):
            for model, gap in zip("AB", gaps):
                rows.append({"dataset": dataset, "model": model, "seed": 0, "protocol": "paper", "ties": "random",
                             "q": 4.0, "N": n, "precision": 0, "recall": 0, "f1": base + gap})
    profile = gap_profile(summarise(pd.DataFrame(rows)), "real", ["syn", "flat"]).set_index("dataset")
    assert profile.loc["syn", "gap_r"] == pytest.approx(1.0) and profile.loc["syn", "gap_spread"] == pytest.approx(0.5)
    assert profile.loc["flat", "gap_r"] == pytest.approx(-1.0)


def test_halves_are_disjoint_cover_the_users_and_differ_by_split():
    users = np.repeat(np.arange(101), 3)
    a, b = split_users(users, 0)
    assert not a & b and a | b == set(range(101)) and abs(len(a) - len(b)) <= 1
    assert split_users(users, 0) == (a, b) and split_users(users, 1)[0] != a


def test_dataset_seeds_make_independent_replicates():
    opts = parse_options(["--users", "100", "--generators", "ganrs", "statistical", "--dataset-seeds", "0", "4"])
    plans = dataset_plan(opts)
    assert sorted((p.generator, p.request.seed, dict(p.settings).get("seed")) for p in plans) == [
        ("ganrs", 0, None), ("ganrs", 4, 4), ("statistical", 0, None), ("statistical", 4, 4)]
    paper = parse_options(["--paper", "ml-100k"])
    assert paper.dataset_seeds == [0, 1, 2] and paper.ceiling_splits == 3


def test_standin_table_ranks_a_faithful_generator_above_a_flat_one():
    rng = np.random.default_rng(0)
    models, users = ["A", "B", "C", "D"], 300
    effect = np.array([0.0, 0.02, 0.05, 0.1])

    def frame(gaps):
        values = 0.5 + gaps[None, :] + rng.normal(0, 0.05, (users, len(models)))
        return pd.DataFrame([{"model": m, "seed": 0, "q": 4.0, "user": u, "value": values[u, j]}
                             for u in range(users) for j, m in enumerate(models)])

    data = {"real": frame(effect), "ha": frame(effect), "hb": frame(effect), "good0": frame(0.8 * effect),
            "good1": frame(0.8 * effect), "flat0": frame(effect[::-1] * 0.1), "flat1": frame(effect[::-1] * 0.1)}
    rows, verdicts = standin_frames(data.get, "real", {"good": ["good0", "good1"], "flat": ["flat0", "flat1"]},
                                    [("ha", "hb")], models, [4.0])
    table = rows.set_index(["generator", "measure"])
    assert table.loc[("good", "gap r"), "mean"] > 0.95 > 0 > table.loc[("flat", "gap r"), "mean"]
    assert table.loc[("good", "gap concordance"), "mean"] > 0.9
    assert table.loc[("good", "gap spread"), "mean"] == pytest.approx(0.8, abs=0.1)
    assert 0.9 < table.loc[("good", "gap r"), "share of ceiling"] < 1.1
    lo, hi = (float(x) for x in table.loc[("good", "gap concordance"), "interval"].strip("[]").split(", "))
    assert lo <= table.loc[("good", "gap concordance"), "mean"] <= hi
    assert verdicts[0].startswith("q=4: good agrees best with the source") and "beats flat in 100%" in verdicts[0]


def test_the_cli_prints_a_stand_in_table_with_replicates_and_a_ceiling(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    from recbole_ganrs.data import load_ratings
    from tests.conftest import write_dataset

    ratings = load_ratings("ml-100k")
    source = write_dataset(tmp_path, "ml-slice", ratings[ratings["user_id"].isin(
        sorted(ratings["user_id"].unique(), key=int)[:120])])
    out = tmp_path / "out"
    cmd = [sys.executable, str(Path(__file__).resolve().parent.parent / "run_benchmark.py"), "--source", str(source),
           "--users", "80", "--items", "150", "--ratings", "3000", "--generators", "statistical",
           "--dataset-seeds", "0", "1", "--ceiling-splits", "1", "--models", "DeepMF", "Pop", "--epochs", "1",
           "--output", str(out), "--data-dir", str(tmp_path / "data"), "--cpus", "2", "--no-progress"]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "statistical u80 i150 r3000 std2.5 (2 replicates):" in done.stdout  # the verdict pools them
    tables = (out / "tables.md").read_text()
    assert "Stand-in: does each generator's data rank the models as the source does?" in tables
    assert "Over the dataset replicates (mean ± std over dataset seeds)" in tables
    standin = pd.read_csv(out / "standin.csv")
    assert set(standin["generator"]) >= {"split-half ceiling", "statistical u80 i150 r3000 std2.5"}
    assert set(standin.loc[standin["generator"] != "split-half ceiling", "replicates"]) == {2}
    results = pd.read_csv(out / "results.csv")
    assert {"ml-slice-half0a", "ml-slice-half0b"} <= set(results["dataset"])  # the halves are trained
    assert "ml-slice-half0a" not in (out / "tables.md").read_text().split("Stand-in")[0]  # but not tabled
