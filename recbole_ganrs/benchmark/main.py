"""``run_benchmark.py``: fit GANRS, generate, train and evaluate the models as Ray Tune trials,
print and write the tables and plots. Re-running with the same output resumes it."""
import sys
import time

import numpy as np

from recbole_ganrs.benchmark.datasets import prepare_datasets, synthetic_requests
from recbole_ganrs.benchmark.options import default_cpus, parse_options
from recbole_ganrs.benchmark.report import build_report, plot_curves, write_markdown
from recbole_ganrs.benchmark.runner import run_trials
from recbole_ganrs.benchmark.store import ResultStore
from recbole_ganrs.data import load_ratings
from recbole_ganrs.errors import GanrsError
from recbole_ganrs.evaluation import default_thresholds
from recbole_ganrs.registry import get_model


def check_models(models):
    for model in models:
        get_model(model)  # UnknownModelError names the model


def thresholds(opts):
    """q values: given, or the top two values of the source's rating scale."""
    if opts.protocol == "recbole":
        return []
    if opts.qs:
        return [float(q) for q in opts.qs]
    return default_thresholds(np.unique(load_ratings(opts.source)["rating"]))


def run_benchmark(opts):
    """The whole job; returns (failed trials, {stage: seconds})."""
    timings, start = {}, time.perf_counter()
    qs = thresholds(opts)
    output = opts.output_dir
    output.mkdir(parents=True, exist_ok=True)
    opts.cpus = opts.cpus or (None if opts.address else default_cpus())
    datasets = prepare_datasets(opts)
    timings["datasets (fit + generate)"] = time.perf_counter() - start

    from recbole_ganrs.stats import stats_tables

    stats = stats_tables([f"{d.data_path}/{d.name}" if d.kind == "synthetic" else opts.source for d in datasets])
    for table in stats:
        print(table, end="\n\n")

    t = time.perf_counter()
    ran, skipped, failed = run_trials(opts, datasets, qs, output)
    timings[f"trials ({ran} run, {skipped} already done)"] = time.perf_counter() - t

    t = time.perf_counter()
    store = ResultStore(output)
    names = [d.name for d in datasets]
    results = store.results()
    results = results[results["dataset"].isin(names) & results["model"].isin(opts.models)
                      & results["seed"].isin(opts.seeds) & (results["protocol"] == opts.protocol)]
    tables, summary, agreement = build_report(results, store.failed(), names, opts.models, names[0], stats)
    for title, table in tables[1:]:
        print(f"{title}\n{table}\n")
    write_markdown(tables, output / "tables.md", header=f"# Benchmark {output.name}\n\n")
    print(f"wrote {output / 'results.csv'}, {output / 'tables.md'}")
    if summary is not None:
        png = plot_curves(summary, [n for n in names if n in set(summary["dataset"])],
                          [m for m in opts.models if m in set(summary["model"])], output / "curves.png")
        print(f"wrote {png}")
    timings["report"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - start
    print("wall time: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
    return failed, timings


def main(argv=None):
    try:
        opts = parse_options(argv)
        check_models(opts.models)
        load_ratings(opts.source, strict=True)
        synthetic_requests(opts)  # refuse a bad source or impossible sizes before any work
        failed, _ = run_benchmark(opts)
    except GanrsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if failed:
        print(f"{len(failed)} trial(s) failed: see failed.csv; re-run the same command to retry them",
              file=sys.stderr)
        return 1
    return 0
