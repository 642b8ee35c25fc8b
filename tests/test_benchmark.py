"""The benchmark: options, result store, report, and one end-to-end run of the real CLI."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recbole_ganrs.benchmark.options import parse_options
from recbole_ganrs.benchmark.report import build_report, ranking_agreement, summarise
from recbole_ganrs.benchmark.store import ResultStore
from recbole_ganrs.data import load_ratings
from recbole_ganrs.errors import GanrsError
from tests.conftest import write_dataset

ROOT = Path(__file__).resolve().parent.parent


def rows(dataset, model, f1s, seed=0, q=4.0):
    return [{"dataset": dataset, "model": model, "seed": seed, "protocol": "paper", "q": q, "N": n,
             "precision": f, "recall": f, "f1": f} for n, f in zip((2, 10), f1s)]


def test_options_from_yaml_with_flags_winning(tmp_path):
    cfg = tmp_path / "b.yaml"
    cfg.write_text("users: [100, 200]\nmodels: [DeepMF]\nstd: 2\nepochs: 3\n")
    opts = parse_options(["--config", str(cfg), "--epochs", "5", "--quick"])
    assert opts.users == [100, 200] and opts.models == ["DeepMF"] and opts.std == 2.0
    assert opts.epochs == 5 and opts.samples == 100_000  # --quick lowers draws, not the explicit epochs


def test_yaml_unknown_key_warns_and_wrong_type_fails(tmp_path):
    cfg = tmp_path / "b.yaml"
    cfg.write_text("userz: 3\n")
    with pytest.warns(UserWarning, match="unknown option 'userz'"):
        parse_options(["--config", str(cfg)])
    cfg.write_text("items: many\n")
    with pytest.raises(GanrsError, match="option 'items' must be int"):
        parse_options(["--config", str(cfg)])


def test_store_replaces_a_trial_and_clears_its_failure(tmp_path):
    store = ResultStore(tmp_path)
    spec = {"dataset": "d", "model": "M", "seed": 0, "protocol": "paper"}
    store.add_failure(spec, "boom")
    assert store.failed()["error"].tolist() == ["boom"]
    store.add_rows(spec, rows("d", "M", [0.1, 0.2]))
    store.add_rows(spec, rows("d", "M", [0.3, 0.4]))
    assert store.results()["f1"].tolist() == [0.3, 0.4] and store.failed().empty
    assert store.done() == {("d", "M", 0, "paper")}


def test_kendall_tau_of_model_rankings():
    frame = pd.DataFrame(rows("real", "A", [0.1, 0.3]) + rows("real", "B", [0.2, 0.2]) + rows("real", "C", [0.3, 0.1])
                         + rows("syn", "A", [0.1, 0.1]) + rows("syn", "B", [0.2, 0.2]) + rows("syn", "C", [0.3, 0.3]))
    tau = ranking_agreement(summarise(frame), "real", ["syn"]).set_index("N")["kendall_tau"]
    assert tau[2] == pytest.approx(1.0) and tau[10] == pytest.approx(-1.0)


def test_report_shows_mean_and_std_over_seeds():
    frame = pd.DataFrame(rows("real", "A", [0.1, 0.3], seed=0) + rows("real", "A", [0.3, 0.5], seed=1))
    tables, summary, _ = build_report(frame, pd.DataFrame(), ["real"], ["A"], "real")
    assert summary["f1_mean"].tolist() == [0.2, 0.4]
    assert "0.200±0.141" in tables[0][1]


@pytest.fixture
def ml100k_slice(tmp_path):
    """The first 120 users of the bundled MovieLens-100k, as an atomic folder."""
    ratings = load_ratings("ml-100k")
    keep = ratings["user_id"].isin(sorted(ratings["user_id"].unique(), key=int)[:120])
    return write_dataset(tmp_path, "ml-slice", ratings[keep])


def test_end_to_end_cli_with_a_failing_trial_and_resume(ml100k_slice, tmp_path):
    out, data = tmp_path / "out", tmp_path / "atomic"
    cmd = [sys.executable, str(ROOT / "run_benchmark.py"), "--source", str(ml100k_slice), "--users", "80",
           "--items", "150", "--samples", "8000", "--gan-steps", "300", "--epochs", "1", "--quick",
           "--models", "DeepMF", "BinaryRegression", "SASRec", "--output", str(out), "--data-dir", str(data),
           "--cpus", "2", "--no-progress"]
    first = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert first.returncode == 1, first.stderr[-2000:]  # SASRec (a sequential model) cannot run here
    assert "2 trial(s) failed" in first.stderr
    results = pd.read_csv(out / "results.csv")
    assert set(results["model"]) == {"DeepMF", "BinaryRegression"}
    assert set(results["dataset"]) == {"ml-slice", "ganrs-ml-slice-u80-i150-s8000-std2.5-seed0"}
    assert set(results["q"]) == {4.0, 5.0} and set(results["N"]) == {2, 4, 6, 8, 10}
    assert results[["precision", "recall", "f1"]].apply(lambda c: c.between(0, 1)).all().all()
    assert set(pd.read_csv(out / "failed.csv")["model"]) == {"SASRec"}
    tables = (out / "tables.md").read_text()
    assert "Kendall tau" in tables and "Failed trials" in tables and "rating TVD" in tables
    assert (out / "curves.png").stat().st_size > 0

    second = subprocess.run(cmd[:cmd.index("SASRec")] + cmd[cmd.index("SASRec") + 1:],
                            capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert second.returncode == 0, second.stderr[-2000:]
    assert "0 run, 4 already done" in second.stdout and "reusing" in second.stdout
    pd.testing.assert_frame_equal(pd.read_csv(out / "results.csv"), results)


def test_bad_benchmark_input_exits_2_with_one_line(tmp_path):
    cmd = [sys.executable, str(ROOT / "run_benchmark.py"), "--output", str(tmp_path / "o")]
    for extra, message in ((["--models", "Nope"], "unknown model 'Nope'"),
                           (["--users", "0"], "users must be a positive integer"),
                           (["--source", str(tmp_path / "missing")], "does not exist")):
        done = subprocess.run(cmd + extra, capture_output=True, text=True, cwd=tmp_path, timeout=120)
        assert done.returncode == 2 and done.stderr.startswith("error: ") and message in done.stderr
        assert done.stderr.count("\n") == 1
    assert not (tmp_path / "o").exists()


def test_a_trial_process_that_dies_is_recorded_as_failed(tmp_path):
    from recbole_ganrs.benchmark.runner import make_callback

    spec = {"dataset": "d", "model": "M", "seed": 0, "protocol": "paper"}
    store = ResultStore(tmp_path)
    callback = make_callback(store, [spec], progress=False)

    class DeadTrial:  # a worker killed before it reported anything: no error file either
        error_file = None

        def __str__(self):
            return "M-d-seed0"

    callback.on_trial_error(0, [], DeadTrial())
    assert store.failed()["error"].tolist() == ["trial process failed (killed or crashed before reporting)"]
    assert callback.failed == [("M-d-seed0", "trial process failed (killed or crashed before reporting)")]
