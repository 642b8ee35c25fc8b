"""Scenario settings (generator/scenario.py) on small generated datasets, and the benchmark's --scenario grid."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recbole_ganrs.cli import main
from recbole_ganrs.errors import GanrsError
from recbole_ganrs.generator import GANRS, SampleRequest, make_generator
from recbole_ganrs.stats.fidelity import gini
from tests.conftest import make_ratings, write_dataset

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def source():
    return make_ratings(n_users=80, n_items=60, per_user=20, seed=1)


@pytest.fixture(scope="module")
def statistical(source):
    return make_generator("statistical", progress=False).fit(source)


def sample(generator, ratings=6000, **scenario):
    out = generator.sample_request(SampleRequest(200, 150, None, 2.5, 0, ratings, **scenario))
    return out.ratings, out.record


def test_cold_users_and_items_keep_at_most_k_ratings_for_a_share_f(statistical):
    for column, field, count in (("user_id", "cold_users", 200), ("item_id", "cold_items", 150)):
        ratings, measured = sample(statistical, **{field: (0.3, 4)})
        per_id = ratings[column].value_counts()
        cold = measured["scenario"][field]["ids"]
        assert abs(cold / per_id.size - 0.3) < 0.01  # a share F of the ids present
        assert (per_id <= 4).sum() >= cold and (per_id <= 4).mean() < 0.3 + 0.05
        assert len(ratings) == 6000 - measured["scenario"][field]["ratings_removed"]


def test_binary_ratings_are_likes_at_q(statistical):
    plain, _ = sample(statistical)
    binary, measured = sample(statistical, binary=4.0)
    assert set(binary["rating"].unique()) == {0.0, 1.0}
    assert binary["rating"].mean() == pytest.approx((plain["rating"] >= 4).mean())
    assert measured["scenario"]["binary"]["q"] == 4.0


@pytest.mark.parametrize("kind", ["statistical", "ganrs"])
def test_activity_and_popularity_shapes_change_the_imbalance(kind, source, statistical):
    generator = statistical if kind == "statistical" else GANRS(gan_steps=200, embedding_epochs=3, progress=False).fit(source)
    ginis = {}
    for shape in ("uniform", "zipf:0.8"):
        ratings, _ = sample(generator, ratings=2000, activity=shape, popularity=shape)
        ginis[shape] = (gini(ratings["user_id"].value_counts().to_numpy()),
                        gini(ratings["item_id"].value_counts().to_numpy()))
    assert ginis["uniform"][0] + 0.1 < ginis["zipf:0.8"][0] and ginis["uniform"][1] + 0.1 < ginis["zipf:0.8"][1]


@pytest.mark.parametrize("scenario, message", [
    ({"cold_users": (0.5, 100)}, "cold users 0.5:100 would hold"),
    ({"cold_items": (1.5, 3)}, "cold items must be F:K"),
    ({"activity": "zipf:-1"}, "activity must be source, uniform or zipf:A"),
    ({"binary": 9.0}, "binary q 9 cannot split the source's scale 1..5"),
])
def test_contradictory_or_out_of_range_settings_are_refused(scenario, message, statistical):
    with pytest.raises(GanrsError, match=message):
        sample(statistical, **scenario)


def test_cfgan_refuses_shapes_and_cli_refuses_before_fitting(source, tmp_path, capsys):
    cfgan = make_generator("cfgan", gan_steps=20, progress=False).fit(source)
    with pytest.raises(GanrsError, match="cannot follow --activity"):
        sample(cfgan, activity="uniform")
    folder = write_dataset(tmp_path, "src", source)
    for bad, message in ((["--binary", "7"], "binary q 7 cannot split"), (["--cold-users", "0.3"], "must be F:K"),
                         (["--device", "cuda"] if not __import__("torch").cuda.is_available() else ["--binary", "0"],
                          "torch sees no CUDA GPU" if not __import__("torch").cuda.is_available() else "cannot split")):
        assert main(["generate", "--source", str(folder), "--users", "20", "--out", str(tmp_path / "o"),
                     "--quiet", *bad]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and message in err and err.count("\n") == 1
    assert not (tmp_path / "o" / ".fits").exists()


def test_scenario_settings_are_in_the_name_and_the_sidecar(source, tmp_path):
    folder = write_dataset(tmp_path, "src", source)
    assert main(["generate", "--source", str(folder), "--generator", "statistical", "--users", "50", "--items", "40",
                 "--ratings", "900", "--cold-users", "0.2:3", "--binary", "4", "--out", str(tmp_path / "o"),
                 "--quiet"]) == 0
    (made,) = (tmp_path / "o").glob("statistical-src-*")
    assert made.name.endswith("-cu0.2k3-bin4")
    meta = json.loads((made / "ganrs.json").read_text())
    assert meta["request"]["cold_users"] == [0.2, 3] and meta["request"]["binary"] == 4.0
    assert meta["scenario"]["cold_users"]["ids"] == 10


def test_benchmark_scenario_grid_writes_the_scenario_table_and_plot(tmp_path):
    source = write_dataset(tmp_path, "src", make_ratings(n_users=60, n_items=40, per_user=15, seed=3))
    out = tmp_path / "out"
    cmd = [sys.executable, str(ROOT / "run_benchmark.py"), "--source", str(source), "--generators", "statistical",
           "--users", "60", "--items", "40", "--ratings", "1200", "--models", "DeepMF", "BinaryRegression",
           "--epochs", "1", "--seeds", "0", "1", "--scenario", "cold-users", "0", "0.5", "--output", str(out),
           "--data-dir", str(tmp_path / "data"), "--quiet"]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    frame = pd.read_csv(out / "scenario.csv", dtype={"value": str})
    assert set(frame["value"]) == {"0", "0.5"} and set(frame["subset"]) == {"all", "cold"}
    assert (frame["seeds"] == 2).all() and np.isfinite(frame["mean"]).all()
    cold = frame[frame["subset"] == "cold"]
    assert set(cold["value"]) == {"0.5"}  # only the cold-start dataset has cold users
    assert (out / "scenario.png").stat().st_size > 0
    tables = (out / "tables.md").read_text()
    assert "Scenario cold-users: F1@10 against cold-users" in tables and "cold test users only" in tables
    results = pd.read_csv(out / "results.csv")
    groups = results.groupby("grouping")["subset"].agg(set).to_dict()
    assert groups == {"all": {"all"}, "cold-start": {"cold", "warm"}, "activity": {"Q1", "Q2", "Q3", "Q4"}}
    assert (out / "groups.csv").is_file() and "F1 per activity group" in tables
