"""Wall time of the benchmark job, of each stage, and of one trial, from a cold start (no cached fit or data).

    python benchmarks/benchmark_job.py                      # the default job: ml-100k, 8,000 users
    python benchmarks/benchmark_job.py --users 2000 8000    # any run_benchmark.py flags

Output and datasets go to a temporary folder, so nothing is reused. The per-trial table splits a trial's cost
into what does not depend on the model (the fixed cost: preparing the data, i.e. RecBole's config, dataset, split
and dataloaders, plus Ray's scheduling of the trial and its result) and training and evaluating; Ray's share is
the trials stage's CPU-seconds not spent inside any trial.
"""
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from tabulate import tabulate

import recbole_ganrs  # noqa: F401
from recbole_ganrs.benchmark.run import BenchmarkRun
from recbole_ganrs.benchmark.options import parse_options
from recbole_ganrs.limits import cores


def per_trial(timings_csv, trials_seconds, cpus):
    """Rows (cost, mean seconds per trial) from a run's timings.csv and its trials stage's wall time."""
    frame = pd.read_csv(timings_csv)
    inside = frame[["prepare", "train", "evaluate"]].sum(axis=1)
    ray_share = max(trials_seconds * cpus - inside.sum(), 0.0) / len(frame)
    fixed = frame["prepare"].mean() + ray_share
    return [["trials", len(frame)], ["prepare the data (config, dataset, split, dataloaders)", frame["prepare"].mean()],
            ["Ray (scheduling, starting, reporting), per trial", ray_share], ["fixed cost", fixed],
            ["train", frame["train"].mean()], ["evaluate", frame["evaluate"].mean()],
            ["trial, all told (CPU-seconds)", fixed + frame["train"].mean() + frame["evaluate"].mean()]]


def main(argv):
    with tempfile.TemporaryDirectory() as tmp:
        opts = parse_options([*argv, "--output", f"{tmp}/out", "--data-dir", f"{tmp}/data", "--no-progress"])
        start = time.perf_counter()
        outcome = BenchmarkRun.prepare(opts).execute()
        failed, timings = outcome.failed, outcome.timings
        wall = time.perf_counter() - start
        trials = sum(v for k, v in timings.items() if k.startswith("trials"))
        timings_csv = Path(opts.output_dir) / "timings.csv"
        trial_rows = per_trial(timings_csv, trials, opts.cpus or cores()) if timings_csv.is_file() else []
    print()
    print(tabulate([[k, f"{v:.1f}"] for k, v in timings.items()] + [["process wall time", f"{wall:.1f}"]],
                   headers=["stage", "seconds"], tablefmt="github"))
    if trial_rows:
        print()
        print(tabulate([[k, v if isinstance(v, int) else f"{v:.2f}"] for k, v in trial_rows],
                       headers=["one trial", "seconds (mean)"], tablefmt="github"))
    print(f"job: {' '.join(argv) or '(defaults)'}; failed trials: {len(failed)}")


if __name__ == "__main__":
    main(sys.argv[1:])
