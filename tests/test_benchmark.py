"""The benchmark: options, result store, report, and one end-to-end run of the real CLI."""
import re
import signal
from dataclasses import replace
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recbole_ganrs.benchmark.options import parse_options
from recbole_ganrs.benchmark.analysis import ranking_agreement
from recbole_ganrs.benchmark.report import build_report, summarise
from recbole_ganrs.benchmark.store import ResultStore
from recbole_ganrs.benchmark.trial_key import TrialKey, TrialSpec
from recbole_ganrs.data import load_ratings
from recbole_ganrs.errors import GanrsError
from tests.browser import render
from tests.conftest import write_dataset

ROOT = Path(__file__).resolve().parent.parent


def rows(dataset, model, f1s, seed=0, q=4.0):
    return [{"dataset": dataset, "model": model, "seed": seed, "protocol": "paper", "ties": "random", "q": q,
             "N": n, "precision": f, "recall": f, "f1": f} for n, f in zip((2, 10), f1s)]


def test_options_from_yaml_with_flags_winning(tmp_path):
    cfg = tmp_path / "b.yaml"
    cfg.write_text("users: [100, 200]\nmodels: [DeepMF]\nstd: 2\nepochs: 3\n")
    opts = parse_options(["--config", str(cfg), "--epochs", "5", "--quick"])
    assert opts.users == [100, 200] and opts.models == ["DeepMF"] and opts.std == [2.0]
    assert opts.epochs == 5 and opts.samples == [100_000]  # --quick lowers draws, not the explicit epochs


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
    spec = TrialKey("d", "M", 0, "paper", "random")
    store.add_failure(spec, "boom")
    assert store.failed()["error"].tolist() == ["boom"]
    store.add_rows(spec, rows("d", "M", [0.1, 0.2]))
    store.add_rows(spec, rows("d", "M", [0.3, 0.4]))
    assert store.results()["f1"].tolist() == [0.3, 0.4] and store.failed().empty
    assert store.done() == {TrialKey("d", "M", 0, "paper", "random", "random", "", "default", "")}  # no content hash
    other = replace(spec, model="N")
    store.add_rows(other, rows("d", "N", [0.5, 0.6]))
    assert not store.results_path.exists()  # each trial its own part file until the run merges them
    store.consolidate()
    assert store.results_path.exists() and not list(store.parts_dir.glob("*.csv"))
    store.add_rows(spec, rows("d", "M", [0.7, 0.8]))  # a part replaces its trial's merged rows
    assert sorted(store.results()["f1"].tolist()) == [0.5, 0.6, 0.7, 0.8]


def test_kendall_tau_of_model_rankings():
    frame = pd.DataFrame(rows("real", "A", [0.1, 0.3]) + rows("real", "B", [0.2, 0.2]) + rows("real", "C", [0.3, 0.1])
                         + rows("syn", "A", [0.1, 0.1]) + rows("syn", "B", [0.2, 0.2]) + rows("syn", "C", [0.3, 0.3]))
    tau = ranking_agreement(summarise(frame), "real", ["syn"]).set_index("N")["kendall_tau"]
    assert tau[2] == pytest.approx(1.0) and tau[10] == pytest.approx(-1.0)


def test_report_shows_mean_and_std_over_seeds():
    frame = pd.DataFrame(rows("real", "A", [0.1, 0.3], seed=0) + rows("real", "A", [0.3, 0.5], seed=1))
    section, summary, _ = build_report(frame, pd.DataFrame(), ["real"], ["A"], "real")
    tables = section.tables
    assert summary["f1_mean"].tolist() == [0.2, 0.4]
    assert "0.200±0.141" in tables[0][1]


def assert_listed_in_outputs_doc(out):
    """Every file and folder the run wrote at the top of its output folder is in docs/outputs.md (names with
    <placeholders> match any text there)."""
    doc = (ROOT / "docs" / "outputs.md").read_text()
    listed = [re.sub(r"<[^>]+>", ".+", re.escape(name).replace(r"\<", "<").replace(r"\>", ">")).split("/")[0]
              for name in re.findall(r"^\| `([^`]+)`", doc, flags=re.M)]
    patterns = [re.compile(p) for p in listed]
    unlisted = [p.name for p in out.iterdir() if not any(pattern.fullmatch(p.name) for pattern in patterns)]
    assert unlisted == [], f"written but not in docs/outputs.md: {unlisted}"


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
    assert "6 trial(s) failed" in first.stderr  # on the source, the synthetic dataset and the ceiling's 4 halves
    results = pd.read_csv(out / "results.csv")
    assert set(results["model"]) == {"DeepMF", "BinaryRegression"}
    halves = {d for d in results["dataset"] if "-half" in d}
    assert halves == {"ml-slice-half0a", "ml-slice-half0b", "ml-slice-half1a", "ml-slice-half1b"}  # the default ceiling
    synthetic = set(results["dataset"]) - {"ml-slice"} - halves
    assert len(synthetic) == 1 and next(iter(synthetic)).startswith("ganrs-ml-slice-u80-i150-s8000-std2.5-seed0-")
    # the terminal: the verdict first, Table IV and the fidelity summary; the other tables only in the files
    shown = first.stdout[first.stdout.index("VERDICT"):]
    assert shown.index("VERDICT") < shown.index("Fidelity summary") < shown.index("Datasets (Table IV)")
    assert "Kendall tau / Spearman rho" not in first.stdout and "--verbose prints them all" in first.stdout
    assert re.search(r"q=4: (STANDS IN|PARTLY|DOES NOT|CANNOT TELL)", shown)
    assert set(results["q"]) == {4.0, 5.0} and set(results["N"]) == {2, 4, 6, 8, 10}
    metrics = ["precision", "recall", "f1", "f1_of_means", "ndcg", "mrr", "hit", "map"]
    assert results[metrics].apply(lambda c: c.between(0, 1)).all().all() and set(results["ties"]) == {"random"}
    assert set(pd.read_csv(out / "failed.csv")["model"]) == {"SASRec"}
    tables = (out / "tables.md").read_text()
    assert tables.index("## Verdict") < tables.index("## Fidelity summary") < tables.index("## Datasets (Table IV)")
    assert "Kendall tau / Spearman rho" in tables and "Failed trials" in tables and "rating TVD" in tables
    assert "Paper claims" in tables and "paired Wilcoxon" in tables and "paper protocol" in tables
    latex = (out / "tables.tex").read_text()  # the same tables as booktabs LaTeX
    assert latex.count("\\begin{table}") == sum(line.startswith("|-") for line in tables.splitlines())
    assert "\\toprule" in latex and "detection AUC" in latex
    assert set(results["protocol"]) == {"paper"} and results["test_users"].gt(0).all()
    assert results["share_full_n"].between(0, 1).all() and results["epochs_run"].ge(1).all()
    assert (out / "curves-synthetic-datasets.png").stat().st_size > 0
    assert (out / "f1_real_vs_synthetic.png").stat().st_size > 0
    tests = pd.read_csv(out / "significance.csv")
    assert set(tests["model_a"]) | set(tests["model_b"]) == {"DeepMF", "BinaryRegression"}
    assert tests["p_wilcoxon"].between(0, 1).all() and (tests["users"] > 0).all()
    assert (tests["p_holm"] >= tests["p_wilcoxon"]).all()
    # report.html in a real browser: the verdict first, every table of tables.md, every image, no error
    page = render(out / "report.html")
    assert page.headings[:3] == ["Verdict", next(h for h in page.headings if h.startswith("Fidelity summary")),
                                 "Figures"]
    assert page.tables == sum(line.startswith("|-") for line in tables.splitlines())
    pngs = sorted(out.glob("*.png"))
    assert len(page.images) == len(pngs) >= 4 and all(w > 0 for w in page.images)
    assert page.errors == [] and page.requests == []
    assert_listed_in_outputs_doc(out)

    second = subprocess.run(cmd[:cmd.index("SASRec")] + cmd[cmd.index("SASRec") + 1:],
                            capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert second.returncode == 0, second.stderr[-2000:]
    assert "0 run, 12 already done" in second.stdout and "reusing" in second.stdout
    pd.testing.assert_frame_equal(pd.read_csv(out / "results.csv"), results)

    # the source edited in place: new synthetic data and new results, never the old ones
    inter = ml100k_slice / "ml-slice.inter"
    lines = inter.read_text().splitlines()
    user, item, rating = lines[1].split("\t")
    inter.write_text("\n".join([lines[0], f"{user}\t{item}\t{6 - float(rating):g}", *lines[2:]]) + "\n")
    third = subprocess.run(cmd[:cmd.index("SASRec")] + cmd[cmd.index("SASRec") + 1:],
                           capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert third.returncode == 0, third.stderr[-2000:]
    # the edited user is in one half of each split: the other half of each is unchanged and not trained again
    assert "8 run, 4 already done" in third.stdout and "reusing" not in third.stdout
    rerun = pd.read_csv(out / "results.csv")
    assert rerun["dataset_sha1"].nunique() == 10  # old and new content of the four changed datasets, kept apart


@pytest.mark.slow
def test_a_run_whose_trials_all_fail_ends_with_one_line(ml100k_slice, tmp_path):
    out = tmp_path / "out"
    cmd = [sys.executable, str(ROOT / "run_benchmark.py"), "--source", str(ml100k_slice), "--users", "80",
           "--items", "150", "--samples", "8000", "--gan-steps", "300", "--epochs", "1", "--quick", "--models", "SASRec",
           "--seeds", "0", "--output", str(out), "--data-dir", str(tmp_path / "atomic"), "--cpus", "2", "--no-progress"]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert done.returncode == 2, done.stderr[-2000:]  # (Tune logs each failed trial's traceback from its worker)
    # the source, the synthetic dataset and the ceiling's four halves
    assert done.stderr.splitlines()[-1].startswith("error: no trial of this run has results (6 failed, see ")
    assert "KeyError" not in done.stderr and "ValueError: train_neg_sample_args" in done.stderr.splitlines()[-1]
    assert set(pd.read_csv(out / "failed.csv")["model"]) == {"SASRec"} and not (out / "tables.md").exists()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_run_exits_non_zero_and_writes_no_tables(ml100k_slice, tmp_path, signum):
    out = tmp_path / "out"
    cmd = [sys.executable, str(ROOT / "run_benchmark.py"), "--source", str(ml100k_slice), "--users", "80",
           "--items", "150", "--samples", "8000", "--gan-steps", "300", "--epochs", "2", "--models", "DeepMF", "NCF",
           "--seeds", *map(str, range(8)), "--cpus", "1", "--output", str(out), "--data-dir", str(tmp_path / "d"),
           "--no-progress"]
    run = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    deadline = time.time() + 300
    while time.time() < deadline and not list((out / "results.d").glob("*.csv")):  # a first trial's rows
        time.sleep(0.5)
    run.send_signal(signum)
    _, stderr = run.communicate(timeout=300)
    assert run.returncode == 128 + signum, stderr[-2000:]
    assert f"stopped by {signal.Signals(signum).name}" in stderr and "re-run the same command to resume" in stderr
    assert not (out / "tables.md").exists()
    finished = pd.read_csv(out / "results.csv")  # what finished is merged even when stopped
    assert 0 < finished.groupby(["dataset", "model", "seed"]).ngroups < 32


def test_bad_benchmark_input_exits_2_with_one_line(tmp_path):
    cmd = [sys.executable, str(ROOT / "run_benchmark.py"), "--output", str(tmp_path / "o")]
    for extra, message in ((["--models", "Nope"], "unknown model 'Nope'"),
                           (["--users", "0"], "users must be a positive integer"),
                           (["--source", str(tmp_path / "missing")], "does not exist"),
                           (["--protocol", "recbole", "--models", "BinaryRegression"],
                            "BinaryRegression learns relevance at a q and the recbole protocol has no q")):
        done = subprocess.run(cmd + extra, capture_output=True, text=True, cwd=tmp_path, timeout=120)
        assert done.returncode == 2 and done.stderr.startswith("error: ") and message in done.stderr
        assert done.stderr.count("\n") == 1
    assert not (tmp_path / "o").exists()


def test_a_trial_process_that_dies_is_recorded_as_failed(tmp_path):
    from recbole_ganrs.benchmark.runner import make_callback

    spec = TrialSpec(TrialKey("d", "M", 0, "paper", "random"))
    store = ResultStore(tmp_path)
    callback = make_callback(store, [spec], progress=False)

    class DeadTrial:  # a worker killed before it reported anything: no error file either
        error_file = None

        def __str__(self):
            return "M-d-seed0"

    callback.on_trial_error(0, [], DeadTrial())
    assert store.failed()["error"].tolist() == ["trial process failed (killed or crashed before reporting)"]
    assert callback.failed == [("M-d-seed0", "trial process failed (killed or crashed before reporting)")]


def test_paper_plan_shares_datasets_between_experiments():
    from recbole_ganrs.datasets.plan import GROUP_GENERATORS, GROUP_SAMPLES, GROUP_USERS, dataset_plan

    opts = parse_options(["--paper", "ml-100k"])
    assert opts.seeds == [0, 1, 2] and opts.dataset_seeds == [0, 1, 2]
    plans = dataset_plan(opts)
    assert len(plans) == 30  # three replicates of each below
    plans = [p for p in plans if p.request.seed == 0]
    by = {(p.generator, p.request.users, p.request.samples or p.request.ratings): p.groups for p in plans}
    assert len(plans) == 10  # Table IV's 2 rating counts + 4 draws (GANRS), 2 sizes x 2 comparison generators
    assert set(by[("ganrs", 2000, 353_269)]) == {GROUP_USERS, GROUP_GENERATORS}
    assert by[("ganrs", 2000, 800_000)] == (GROUP_SAMPLES,) and by[("cfgan", 8000, 509_193)] == (GROUP_GENERATORS,)
    with pytest.raises(GanrsError, match="--paper fixes the datasets: drop --users"):
        parse_options(["--paper", "ml-100k", "--users", "10"])


def test_grid_plan_runs_the_ablations():
    from recbole_ganrs.datasets.plan import dataset_plan

    opts = parse_options(["--users", "100", "--gan", "gan", "wgan", "--embedding-size", "5", "8", "--std", "1", "2.5",
                          "--generators", "ganrs", "statistical"])
    plans = dataset_plan(opts)
    assert len(plans) == 2 * 2 * 2 + 2  # GANRS: gan x embedding x std; statistical: std only
    assert {dict(p.settings).get("embedding_size") for p in plans} == {5, 8, None}


def line(dataset, model, precision, recall, q=4.0, ns=(2, 10)):
    return [{"dataset": dataset, "model": model, "seed": 0, "protocol": "paper", "q": q, "N": n,
             "precision": p, "recall": r, "f1": 2 * p * r / (p + r)} for n, p, r in zip(ns, precision, recall)]


def test_claims_with_n_and_q_by_hand():
    from recbole_ganrs.benchmark.claims import claims_table

    frame = pd.DataFrame(line("real", "A", (0.5, 0.4), (0.2, 0.6)) + line("real", "B", (0.3, 0.2), (0.1, 0.3))
                         + line("real", "A", (0.3, 0.2), (0.3, 0.7), q=5.0)
                         + line("real", "B", (0.35, 0.1), (0.2, 0.4), q=5.0)
                         + line("syn", "A", (0.6, 0.5), (0.3, 0.7)) + line("syn", "B", (0.2, 0.3), (0.1, 0.4)))
    claims = claims_table(summarise(frame), pd.DataFrame(), ["real", "syn"], ["A", "B"]).set_index("dataset")
    assert claims.loc["real", "precision falls with N"] == "holds (4/4)"
    assert claims.loc["real", "recall rises with N"] == "holds (4/4)"
    # B at N=2: precision 0.30 at q=4 < 0.35 at q=5; everything else as the paper says
    assert claims.loc["real", "precision higher at lower q"] == "fails (3/4)"
    assert claims.loc["real", "recall higher at higher q"] == "holds (4/4)"
    assert claims.loc["syn", "precision falls with N"] == "fails (1/2)"  # B's precision rises
    assert claims.loc["syn", "precision higher at lower q"] == "-"  # one q only


def test_model_order_claim_counts_significance():
    from recbole_ganrs.benchmark.claims import claims_table, expected_pairs

    assert expected_pairs(["DeepMF", "NCF", "BinaryRegression"]) == [
        ("DeepMF", "BinaryRegression"), ("NCF", "DeepMF"), ("NCF", "BinaryRegression")]
    frame = pd.DataFrame(line("real", "NCF", (0.5, 0.5), (0.5, 0.5)) + line("real", "DeepMF", (0.4, 0.4), (0.4, 0.4))
                         + line("real", "BinaryRegression", (0.45, 0.45), (0.45, 0.45)))
    tests = pd.DataFrame([
        {"dataset": "real", "q": 4.0, "model_a": "DeepMF", "model_b": "NCF", "mean_diff": -0.1, "p_holm": 0.001},
        {"dataset": "real", "q": 4.0, "model_a": "BinaryRegression", "model_b": "DeepMF", "mean_diff": 0.05,
         "p_holm": 0.01},
        {"dataset": "real", "q": 4.0, "model_a": "BinaryRegression", "model_b": "NCF", "mean_diff": -0.05,
         "p_holm": 0.2}])
    claims = claims_table(summarise(frame), tests, ["real"], ["NCF", "DeepMF", "BinaryRegression"])
    # NCF > DeepMF (significant), NCF > BinaryRegression (not significant), DeepMF < BinaryRegression (significant)
    assert claims["paper's model order (F1)"].tolist() == ["fails (2/3); 1 significant, 1 significantly reversed"]


def test_size_claims_follow_ratings_per_user_from_the_datasets_fields():
    from recbole_ganrs.benchmark.claims import size_claims_table
    from recbole_ganrs.datasets.prepare import BenchmarkDataset, size_series
    from recbole_ganrs.generator import SampleRequest

    def synthetic(name, users, samples):
        return BenchmarkDataset(name, "x", "synthetic", (), "ganrs", (), SampleRequest(users, 5, samples))

    datasets = [BenchmarkDataset("real", "x", "source"), synthetic("big", 20, 100), synthetic("small", 10, 100),
                synthetic("more-draws", 10, 300)]
    series = size_series(datasets, {"real": 100, "big": 2.5, "small": 4.0, "more-draws": 9.0})
    assert [(label, names) for label, names, _ in series] == [("users", ["big", "small"]),
                                                              ("draws", ["small", "more-draws"])]
    frame = pd.DataFrame(line("big", "A", (0.5, 0.4), (0.3, 0.7)) + line("small", "A", (0.6, 0.5), (0.2, 0.6)))
    sizes = size_claims_table(summarise(frame), series)
    assert sizes["series (ratings per user)"].tolist() == ["users: big (2.5) < small (4.0)"]
    assert sizes["precision rises with ratings per user"].tolist() == ["holds (2/2)"]
    assert sizes["recall falls with ratings per user"].tolist() == ["holds (2/2)"]


def test_significant_pair_agreement_and_holm():
    from recbole_ganrs.benchmark.analysis import holm, significant_agreement

    assert holm([0.01, 0.04, np.nan, 0.03]) == pytest.approx([0.03, 0.06, np.nan, 0.06], nan_ok=True)
    def test(dataset, a, b, diff, p):
        return {"dataset": dataset, "q": 4.0, "model_a": a, "model_b": b, "mean_diff": diff, "p_holm": p}

    tests = pd.DataFrame([test("real", "A", "B", 0.1, 0.001), test("real", "A", "C", 0.1, 0.01),
                          test("real", "B", "C", 0.01, 0.5),
                          test("syn", "A", "B", 0.2, 0.001), test("syn", "A", "C", -0.1, 0.001),
                          test("syn", "B", "C", -0.3, 0.001)])
    (row,) = significant_agreement(tests, "real", ["syn"]).to_dict("records")
    # two pairs significant on the source: A>B kept, A>C significantly reversed; B-C was noise there
    assert row["significant on source"] == 2 and row["same order"] == 1 and row["significantly reversed"] == 1


def test_paired_wilcoxon_ranks_models_by_per_user_f1(tmp_path):
    from recbole_ganrs.benchmark.analysis import ranking_with_tests, significance

    rng = np.random.default_rng(0)
    store = ResultStore(tmp_path)
    base = rng.uniform(0.2, 0.6, 200)
    for model, shift in (("A", 0.1), ("B", 0.0), ("C", 0.001)):
        f1 = (base + shift + rng.normal(0, 0.01, 200)).round(5)
        spec = TrialKey("d", model, 0, "paper", "random")
        store.add_user_scores(spec, {"4.0": {"user": list(range(200)), "f1": f1.tolist()}})
        store.add_rows(spec, rows("d", model, [f1.mean(), f1.mean()]))
    summary = summarise(store.results())
    keys = [TrialKey("d", m, 0, "paper", "random") for m in ("A", "B", "C")]
    tests = significance(lambda d: store.user_scores(keys, "f1"), ["d"])
    p = tests.set_index(["model_a", "model_b"])["p_wilcoxon"]
    assert p[("A", "B")] < 1e-6 and p[("B", "C")] > 0.05
    ranked = ranking_with_tests(summary, tests)
    assert ranked["model"].tolist() == ["A", "C", "B"]
    assert ranked["vs next"].iloc[0].startswith("beats C") and ranked["vs next"].iloc[1].startswith("not shown")


def test_one_entry_point_for_the_benchmark():
    helps = [subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=120).stdout for cmd in (
        [sys.executable, "-m", "recbole_ganrs", "benchmark", "--help"], [sys.executable, "run_benchmark.py", "--help"])]
    options = [sorted(set(re.findall(r"--[a-z][a-z-]+", h))) for h in helps]
    assert options[0] == options[1] and "--paper" in options[0] and "--pairing" in options[0]


def test_q_the_scale_cannot_reach_and_too_many_cpus_per_trial_are_refused(tmp_path):
    cmd = [sys.executable, str(ROOT / "run_benchmark.py"), "--output", str(tmp_path / "o"), "--users"]
    for extra, message in ((["--qs", "6"], "q 6 cannot split the source's scale 1..5"),
                           (["--cpus", "2", "--cpus-per-trial", "3"], "--cpus-per-trial 3 is more than the 2 CPUs")):
        done = subprocess.run(cmd + extra, capture_output=True, text=True, cwd=tmp_path, timeout=120)
        assert done.returncode == 2 and done.stderr.startswith("error: ") and message in done.stderr


def test_the_report_follows_the_chosen_metric():
    opts = parse_options(["--f1", "of-means"])
    assert opts.metric_column == "f1_of_means" and parse_options(["--metric", "ndcg"]).metric_column == "ndcg"
    frame = pd.DataFrame([{**r, "ndcg": 1 - r["f1"]} for r in
                          rows("real", "A", [0.1, 0.3]) + rows("real", "B", [0.2, 0.2])
                          + rows("syn", "A", [0.1, 0.3]) + rows("syn", "B", [0.2, 0.2])])
    section, summary, _ = build_report(frame, pd.DataFrame(), ["real", "syn"], ["A", "B"], "real", metric="ndcg")
    titles = " ".join(title for title, _ in section.tables)
    agreement = dict(section.frames)["ranking_agreement.csv"]
    assert "NDCG@10" in titles and "NDCG ranking" in titles and "every metric at N=10" in titles
    # NDCG ranks B over A at N=10 on both datasets: full agreement
    assert agreement.set_index("N").loc[10, "kendall_tau"] == pytest.approx(1.0)


def test_a_ranking_of_tied_models_says_so_instead_of_nan():
    from recbole_ganrs.benchmark.report import ranking_table

    agreement = pd.DataFrame({"dataset": ["syn", "syn"], "q": [4.0, 4.0], "N": [2, 10],
                              "kendall_tau": [0.5, np.nan], "spearman_rho": [0.6, np.nan]})
    ((title, table),) = ranking_table(agreement, pd.DataFrame(), "f1")
    assert "nan" not in table and "tied" in table and "0.50 / 0.60" in table
    assert "every model scores the same on one side at that N" in title


def test_a_full_disk_under_tunes_errors_is_found_for_its_one_line():
    """Tune raises TuneError(traceback) from its except blocks, twice over, when the driver cannot write (a full
    disk, replayed on a 2 MB tmpfs: a 120-line traceback and exit 1 before); the OSError is in the chain."""
    import errno

    from ray.tune import TuneError

    from recbole_ganrs.benchmark.runner import os_error_under
    from recbole_ganrs.cli import os_error_message

    try:
        try:
            try:
                raise OSError(errno.ENOSPC, "No space left on device")
            except OSError:
                raise TuneError("Traceback (most recent call last): ...")
        except TuneError:
            raise TuneError("The Ray Tune run failed.")
    except TuneError as exc:
        found = os_error_under(exc)
    assert isinstance(found, OSError) and os_error_message(found).startswith("disk full")
    assert os_error_under(TuneError("a trial's own error")) is None
