"""--tune: search spaces, seeded candidates, scoring on the validation part only, the CLI end to end."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recbole_ganrs.benchmark.trial_key import TrialKey, TrialSpec
from recbole_ganrs.benchmark.tuning import candidates, choice, model_space
from recbole_ganrs.errors import GanrsError
from recbole_ganrs.models import PAPER_MODELS
from tests.conftest import make_ratings, write_dataset

ROOT = Path(__file__).resolve().parents[1]


def test_every_paper_model_has_a_space_and_its_candidates_are_seeded_and_in_range():
    for model in PAPER_MODELS:
        space = model_space(model)
        assert {"learning_rate", "embedding_size", "weight_decay"} <= set(space)
    drawn = candidates("NCF", 6, seed=0)
    assert drawn[0] == {} and len(drawn) == 7  # the defaults, then the draws
    assert drawn == candidates("NCF", 6, seed=0) and drawn != candidates("NCF", 6, seed=1)
    assert candidates("NCF", 3, seed=0) == drawn[:4]  # --tune 3 tries the first three of --tune 6
    for params in drawn[1:]:
        assert 0.0003 <= params["learning_rate"] <= 0.01 and params["embedding_size"] in (5, 10, 20, 40)
        assert params["mlp_hidden_size"] in ([70, 30], [128, 64], [32, 16])
    assert len({json.dumps(p, sort_keys=True) for p in drawn}) == 7
    json.dumps(drawn)  # plain Python values: they go to tuning.csv and results.csv as JSON


@pytest.mark.parametrize("entry, message", [({"loguniform": [0, 1]}, "low > 0"), ({"normal": [0, 1]}, "one of"),
                                            ({"choice": []}, "takes a list"), ({"uniform": [2, 1]}, "low < high")])
def test_a_malformed_search_space_is_refused_naming_the_setting(monkeypatch, entry, message):
    monkeypatch.setattr("recbole_ganrs.benchmark.tuning.search_space", lambda model: {"learning_rate": entry})
    with pytest.raises(GanrsError, match=f"search_space.learning_rate.*{message}"):
        model_space("DeepMF")


@pytest.mark.parametrize("key, entry, message", [
    ("learning_rate", {"uniform": [0, float("inf")]}, "finite numeric bounds"),
    ("embedding_size", {"randint": [1.5, 3]}, "randint takes integer bounds"),
    ("embedding_size", {"choice": [0, -3]}, "takes values > 0"),
    ("embedding_size", {"uniform": [4, 8]}, "takes integers"),
    ("learning_rate", {"choice": ["fast"]}, "takes numbers"),
    ("learnin_rate", {"loguniform": [0.001, 0.01]}, "learnin_rate is not a setting of RecBole or the plugin"),
])
def test_a_search_space_is_checked_against_each_setting(monkeypatch, key, entry, message):
    monkeypatch.setattr("recbole_ganrs.benchmark.tuning.search_space", lambda model: {key: entry})
    with pytest.raises(GanrsError, match=message):
        model_space("DeepMF")


def test_tune_refuses_a_model_without_a_space():
    from recbole_ganrs.benchmark.options import parse_options

    with pytest.raises(GanrsError, match="BPR has no search_space"):
        parse_options(["--models", "DeepMF", "BPR", "--tune", "2"])
    with pytest.raises(GanrsError, match="--tune must be in"):
        parse_options(["--tune", "-1"])


def test_the_choice_is_the_best_completed_candidate():
    records = pd.DataFrame({"candidate": [0, 1, 2, 3], "status": ["completed", "stopped", "completed", "completed"],
                            "score": [0.5, 0.9, 0.6, 0.6]})
    assert choice(records, 3)["candidate"] == 2  # a stopped one never wins; a tie goes to the earlier
    assert choice(records, 1)["candidate"] == 0  # --tune 1 looks at candidates 0 and 1 only


class NeverRead:
    """Stands in for a split part that must not be read: any use of it fails the test."""

    def __getattr__(self, name):
        raise AssertionError(f"the test part was read ({name})")

    def __len__(self):
        raise AssertionError("the test part was read (len)")

    def __iter__(self):
        raise AssertionError("the test part was read (iter)")


@pytest.mark.parametrize("model, protocol", [("DeepMF", "paper"), ("BinaryRegression", "paper"), ("NCF", "full")])
def test_a_search_never_reads_the_test_part(tmp_path, monkeypatch, model, protocol):
    from recbole_ganrs import quick_start
    from recbole_ganrs.benchmark.trial import tune_candidate

    write_dataset(tmp_path, "tiny", make_ratings(n_users=50, n_items=30, per_user=12))
    prepare = quick_start.data_preparation
    poisoned = {"part": 2}

    def without_a_part(config, dataset):
        parts = list(prepare(config, dataset))
        parts[poisoned["part"]] = NeverRead()
        return tuple(parts)

    monkeypatch.setattr(quick_start, "data_preparation", without_a_part)
    spec = {"dataset": "tiny", "dataset_config": {"dataset": "tiny", "data_path": str(tmp_path)}, "model": model,
            "seed": 0, "protocol": protocol, "ties": "random", "ns": [2, 5], "qs": [4.0], "epochs": 3,
            "tune_q": 4.0, "tune_n": 2, "metric": "f1"}
    for params in candidates(model, 2, seed=0):  # --tune 2: the defaults and two draws
        scores = []
        tune_candidate(TrialSpec.of(**spec, params=params), lambda score, final=False: scores.append((score, final)))
        assert len(scores) == 4 and scores[-1][1] and all(0 <= s <= 1 for s, _ in scores)
    poisoned["part"] = 1  # the same search without the validation part cannot run: the check can fail
    with pytest.raises(AssertionError, match="was read"):
        tune_candidate(TrialSpec.of(**spec, params={}), lambda score, final=False: None)


def test_tune_end_to_end_chooses_runs_both_configurations_and_resumes(tmp_path):
    ratings = make_ratings(n_users=70, n_items=40, per_user=14)
    source = write_dataset(tmp_path, "tiny", ratings)
    out = tmp_path / "out"
    cmd = [sys.executable, str(ROOT / "run_benchmark.py"), "--source", str(source), "--users", "60", "--items", "40",
           "--samples", "3000", "--gan-steps", "200", "--quick", "--epochs", "4", "--models", "DeepMF", "NCF",
           "--seeds", "0", "1", "--tune", "2", "--ceiling-splits", "0", "--output", str(out),
           "--data-dir", str(tmp_path / "atomic"), "--cpus", "2", "--no-progress"]  # no ceiling: its halves are tuned too
    first = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert first.returncode == 0, first.stderr[-2000:]
    tuning = pd.read_csv(out / "tuning.csv", dtype={"params": str}, keep_default_na=False)
    assert len(tuning) == 2 * 2 * 3 and set(tuning["candidate"]) == {0, 1, 2}  # 2 datasets x 2 models x 3
    assert set(tuning["status"]) <= {"completed", "stopped"} and (tuning["seed"] == 0).all()
    assert (tuning["n"] == 2).all()  # scored at the smallest N (tuning.tuning_n)
    for _, search in tuning.groupby(["dataset", "model"]):  # the same candidates on every dataset
        assert search.sort_values("candidate")["params"].tolist() == \
            tuning[tuning["model"] == search["model"].iloc[0]].drop_duplicates("candidate").sort_values(
                "candidate")["params"].tolist()
    results = pd.read_csv(out / "results.csv", dtype={"params": str}, keep_default_na=False)
    assert set(results["config"]) == {"default", "tuned"}
    tuned = results[results["config"] == "tuned"]
    assert set(tuned["seed"]) == {0, 1} and len(tuned) == len(results) / 2
    for (dataset, model), part in tuned.groupby(["dataset", "model"]):
        search = tuning[(tuning["dataset"] == dataset) & (tuning["model"] == model)]
        best = search[search["status"] == "completed"].sort_values(["score", "candidate"],
                                                                   ascending=[False, True]).iloc[0]
        assert part["params"].unique().tolist() == [json.dumps(json.loads(best["params"]), sort_keys=True)
                                                    if best["params"] != "{}" else ""]
    tables = (out / "tables.md").read_text()
    assert "Tuning: the configuration chosen" in tables and "default / tuned configuration" in tables
    assert "default vs tuned configurations" in tables
    agreement = pd.read_csv(out / "tuning_agreement.csv")
    assert set(agreement["configurations"]) == {"default", "tuned"}

    again = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "0 run, 16 already done" in again.stdout
    pd.testing.assert_frame_equal(pd.read_csv(out / "tuning.csv", dtype={"params": str}, keep_default_na=False),
                                  tuning)
    assert np.isfinite(tuning["score"]).all()


def test_a_kept_split_gives_the_numbers_of_a_split_built_anew(tmp_path, monkeypatch):
    from recbole_ganrs import quick_start
    from recbole_ganrs.benchmark.trial import run_trial

    write_dataset(tmp_path, "tiny", make_ratings(n_users=50, n_items=30, per_user=12))
    built = []
    create = quick_start.create_dataset
    monkeypatch.setattr(quick_start, "create_dataset", lambda config: built.append(1) or create(config))
    base = {"dataset": "tiny", "dataset_config": {"dataset": "tiny", "data_path": str(tmp_path)}, "protocol": "paper",
            "ties": "random", "ns": [2, 5], "qs": [4.0], "epochs": 2}
    specs = [TrialSpec.of(**base, model=m, seed=s) for s in (0, 1) for m in ("DeepMF", "NCF", "BinaryRegression")]
    quick_start.BUILT.clear()
    kept = [pd.DataFrame(run_trial(spec)[0]) for spec in specs]
    assert len(built) == 4  # per seed: one split for both rating models, one for the binary model's labels
    for spec, frame in zip(specs, kept):
        quick_start.BUILT.clear()
        pd.testing.assert_frame_equal(frame, pd.DataFrame(run_trial(spec)[0]))
    assert len(built) == 4 + len(specs)


def test_a_resumed_search_replays_its_finished_candidates_into_asha():
    from types import SimpleNamespace

    from ray.tune.schedulers import TrialScheduler

    from recbole_ganrs.benchmark.tuning import search_scheduler

    finished_before = [[0.70, 0.72, 0.74, 0.75], [0.60, 0.62, 0.64]]  # two candidates of search "a" ran to epoch 3
    scheduler = search_scheduler({"a": finished_before})

    def third_epoch(search, score, name):
        trial = SimpleNamespace(trial_id=name, config={"search": search})
        scheduler.on_trial_add(None, trial)
        decision = None
        for iteration, value in enumerate([score] * 3, start=1):
            decision = scheduler.on_trial_result(None, trial, {"training_iteration": iteration, "score": value})
        return decision

    assert third_epoch("a", 0.50, "weak") == TrialScheduler.STOP  # below the replayed candidates at epoch 3
    assert third_epoch("a", 0.80, "strong") == TrialScheduler.CONTINUE
    assert third_epoch("b", 0.10, "other search") == TrialScheduler.CONTINUE  # nothing to compare with in "b"


def test_a_candidate_ended_by_an_interrupt_is_not_recorded_so_a_rerun_trains_it(tmp_path):
    from types import SimpleNamespace

    from recbole_ganrs.benchmark.tuning import Search, TuningStore, finished, recording_callback, search_records

    search = Search(TrialSpec(TrialKey("d", "DeepMF", 0, "paper", "random")),
                    ("d", "", "DeepMF", "paper", "random", "random", "f1", 2, 4.0, 0, "abc"))
    store = TuningStore(tmp_path)
    callback = recording_callback(store, {search.name: search}, 3, False, SimpleNamespace(stopped={"asha"}))
    for name, results in (("done", [0.5, 0.6, (0.6, True)]), ("asha", [0.2, 0.3]), ("interrupted", [0.7])):
        trial = SimpleNamespace(trial_id=name, config={"search": search.name, "candidate": ["done", "asha",
                                                                                              "interrupted"].index(name),
                                                       "params": {}})
        for result in results:
            score, final = result if isinstance(result, tuple) else (result, False)
            callback.on_trial_result(0, [], trial, {"score": score, "final": final})
        callback.on_trial_complete(0, [], trial)
    records = finished(search_records(store.records(), search))
    assert sorted(records) == [0, 1]  # candidate 2 (the interrupted one) is trained again by a re-run
    assert records[0]["status"] == "completed" and records[0]["score"] == 0.6 and records[0]["epochs"] == 2
    assert records[1]["status"] == "stopped" and json.loads(records[1]["curve"]) == [0.2, 0.3]


def test_a_new_choice_replaces_the_rows_of_the_superseded_one(tmp_path):
    """--tune 2 on a --tune 1 output: the tuned rows of the old choice go, the defaults and the new choice stay."""
    from recbole_ganrs.benchmark.store import ResultStore
    from recbole_ganrs.benchmark.trial import params_text

    store = ResultStore(tmp_path)
    base = TrialKey("d", "DeepMF", 0, "paper", "random", "random", "abc")
    old, new = base.tuned({"learning_rate": 0.01}), base.tuned({"learning_rate": 0.002})
    for key in (base, old, new):
        store.add_rows(key, [key.row(N=2, f1=0.5)])
    assert store.drop_superseded([new]) == 1
    kept = store.results()
    assert sorted(kept["params"].astype(str)) == sorted([params_text(None), new.params])
    assert store.drop_superseded([new]) == 0
