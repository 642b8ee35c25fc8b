"""``recbole-ganrs benchmark`` (and ``run_benchmark.py``): fit the generators, generate, train and
evaluate the models as Ray Tune trials, print and write the tables and plots. Re-running with the
same output resumes it."""
import dataclasses
import functools

from recbole_ganrs.data.users import Condition
import re
import sys
import time

import numpy as np
import pandas as pd
from tabulate import tabulate

from recbole_ganrs.benchmark.analysis import q_label, q_levels
from recbole_ganrs.datasets.prepare import check_plan, prepare_datasets, size_series
from recbole_ganrs.benchmark.group_report import group_report
from recbole_ganrs.benchmark.report import build_report, plot_curves, plot_model_curves, plot_scatter
from recbole_ganrs.benchmark.section import Section, write_sections
from recbole_ganrs.benchmark.verdict import build_verdict
from recbole_ganrs.benchmark.runner import check_address, run_trials, trial_specs
from recbole_ganrs.benchmark.tuning import run_searches, tuned_specs, tuning_n
from recbole_ganrs.benchmark.tuning_report import tuning_report
from recbole_ganrs.benchmark.scenario_report import scenario_report
from recbole_ganrs.benchmark.store import ResultStore, keys_of
from recbole_ganrs.config import benchmark_split
from recbole_ganrs.data import load_ratings
from recbole_ganrs.files import exclusive_use
from recbole_ganrs.errors import GanrsError
from recbole_ganrs.limits import cores
from recbole_ganrs.evaluation import LABELS, default_thresholds, get_protocol
from recbole_ganrs.evaluation.splits import check_cold_keep, parse_split
from recbole_ganrs.registry import get_model


def check_models(models, protocol):
    """Every model known (UnknownModelError names it), and each one evaluable under ``protocol``."""
    from recbole_ganrs.benchmark.trial import learns_relevance

    for model in models:
        if learns_relevance(get_model(model)) and not get_protocol(protocol).uses_q:
            raise GanrsError(f"{model} learns relevance at a q and the {protocol} protocol has no q: drop it from "
                             "--models, or use --protocol full (full sort with relevance q)")


def thresholds(opts):
    """q values: given, or the top two values of the source's rating scale."""
    if not get_protocol(opts.protocol).uses_q:
        return []
    values = np.unique(load_ratings(opts.source)["rating"])
    if opts.qs:
        unreachable = [q for q in opts.qs if not values[0] < q <= values[-1]]
        if unreachable:
            raise GanrsError(f"q {', '.join(f'{q:g}' for q in unreachable)} cannot split the source's scale "
                             f"{values[0]:g}..{values[-1]:g} into relevant and not relevant")
        return [float(q) for q in opts.qs]
    return default_thresholds(values)


def report_groups(datasets):
    """{group: [synthetic dataset names]} in plan order."""
    groups = {}
    for d in datasets:
        for g in d.groups:
            groups.setdefault(g, []).append(d.name)
    return groups


def replicate_summary(datasets, *row_lists):
    """Per table of rows (fidelity, structure): each replicate group's mean ± std over its dataset seeds, for
    the groups with more than one replicate."""
    label_of = {d.name: d.replicate_label for d in datasets if d.kind == "synthetic"}
    tables = []
    for rows in row_lists:
        frame = pd.DataFrame([r for r in rows if r.get("dataset") in label_of])
        if frame.empty:
            continue
        frame["generator"] = frame["dataset"].map(label_of)
        numeric = [c for c in frame.columns if c not in ("dataset", "generator") and
                   pd.api.types.is_numeric_dtype(frame[c])]
        grouped = frame.groupby("generator", sort=False)
        if grouped.size().max() < 2:
            continue
        mean, std = grouped[numeric].mean(), grouped[numeric].std()
        cells = [[g, int(grouped.size()[g])] + ["-" if pd.isna(mean.loc[g, c]) else
                                                f"{mean.loc[g, c]:.3g}±{std.loc[g, c]:.2g}" for c in numeric]
                 for g in mean.index]
        tables.append("Over the dataset replicates (mean ± std over dataset seeds):\n"
                      + tabulate(cells, headers=["generator", "replicates", *numeric], tablefmt="github"))
    return tables


def replicate_groups(datasets):
    """{generator label: [its synthetic datasets' names, one per dataset seed]} in plan order."""
    groups = {}
    for d in datasets:
        if d.kind == "synthetic":
            groups.setdefault(d.replicate_label, []).append(d.name)
    return groups


def standin_report(opts, datasets, tests, scores_of):
    """The stand-in :class:`Section` (standin.py's tables and standin.csv) and its frame, when the run has a
    synthetic dataset."""
    from recbole_ganrs.benchmark.analysis import significant_agreement
    from recbole_ganrs.benchmark.standin import standin_frames

    synthetic = [d for d in datasets if d.kind == "synthetic"]
    halves = {(d.split, d.half): d.name for d in datasets if d.kind == "half"}
    ceiling = [(halves[(s, "a")], halves[(s, "b")]) for s in sorted({s for s, _ in halves})]
    if not synthetic:
        return Section(), pd.DataFrame()
    groups = replicate_groups(datasets)
    kept = significant_agreement(tests, datasets[0].name, [d.name for d in synthetic])
    pairs_kept = {} if kept.empty else {(t["dataset"], t["q"]): t["share same"] for t in kept.to_dict("records")}
    qs = q_levels(scores_of(datasets[0].name))
    frame, verdicts = standin_frames(scores_of, datasets[0].name, groups, ceiling, list(opts.models), qs, pairs_kept)
    if frame.empty:
        return Section(), frame
    label = LABELS[opts.metric_column]
    tables = []
    for q, part in frame.groupby("q", sort=False, dropna=False):
        shown = part.drop(columns=["q", "low", "high"]).assign(**{"share of ceiling": [
            "-" if pd.isna(v) else f"{v:.0%}" for v in part["share of ceiling"]]})
        title = (f"Stand-in: does each generator's data rank the models as the source does? {label}@{max(opts.ns)}, "
                 f"{q_label(q)}; mean over replicates, 95% bootstrap interval "
                 "(replicates and users), and the split-half ceiling (two halves of the source's users). "
                 + " ".join(v for v in verdicts if v.startswith(f"q={q:g}:")))
        tables.append((title, tabulate(shown.values.tolist(), headers=list(shown.columns), tablefmt="github",
                                       floatfmt=".2f")))
    return Section(tuple(tables), (("standin.csv", frame),)), frame


@dataclasses.dataclass(frozen=True)
class DatasetStats:
    """The statistics of a run's datasets (stats/report.py): Table IV, fidelity and structure rows, and the tables
    as text (Table IV first)."""
    table: list
    fidelity: list
    structure: list
    text: list


def write_report(opts, datasets, stats, output, keys, chosen=None, tried=None):
    """The verdict, tables (tables.md, tables.tex), report.html, analysis CSVs and plots from the results on
    disk of the trials ``keys`` (the run's :class:`TrialKey` s: rows of any other trial, e.g. of an earlier
    content of a dataset or another protocol in the same folder, are left out); the terminal gets the verdict,
    Table IV and the fidelity summary (every table with --verbose). ``stats``: the datasets'
    :class:`DatasetStats`; ``chosen``, ``tried``: --tune's choice per (dataset, model) and the candidates it
    tried, whose trials get tables of their own beside the defaults'."""
    store = ResultStore(output)
    everything, datasets = datasets, [d for d in datasets if d.kind != "half"]  # halves: the stand-in table only
    names = [d.name for d in datasets]
    results = run_rows(store, keys, names)
    both = results[results["grouping"] == "all"]  # default and tuned configurations: the --tune tables
    results = results[results["config"] == "default"]
    cold = (results["grouping"] == "cold-start") & (results["subset"] == "cold")
    conditioned = results["grouping"] == (Condition.parse(opts.condition).attribute if opts.condition else None)
    subsets = results[(results["grouping"] == "all") | cold | conditioned]  # the scenario table: all, cold, groups
    results = results[results["grouping"] == "all"]  # the other group rows: results.csv and the group tables
    per_user = {row["dataset"]: row["#ratings"] / row["#users"] for row in stats.table if row["#users"]}
    groups = report_groups(datasets)

    def keys_of_dataset(d, config="default"):
        mine = [k for k in keys if k.dataset == d and k.config == config]
        return sorted(mine, key=lambda k: (opts.models.index(k.model), opts.seeds.index(k.seed)))

    @functools.cache  # read once: the tests, the stand-in table and the group report all read every dataset
    def scores_of(d):
        return store.user_scores(keys_of_dataset(d), opts.metric_column)

    metrics, summary, tests = build_report(
        results, store.failed(), names, opts.models, names[0], groups=groups,
        size_series=size_series(datasets, per_user), scores_of=scores_of, metric=opts.metric_column)
    standin, standin_frame = standin_report(opts, everything, tests, scores_of)
    sections = [Section((("Datasets (Table IV) and fidelity", "\n\n".join(stats.text)),)), metrics, standin,
                group_report(scores_of, names[0], names[1:], opts.models, q_levels(results), opts.metric_column,
                             output)]
    if opts.scenario_grid:
        sections.append(scenario_report(subsets, datasets, opts.scenario_grid, opts.models, max(opts.ns), output,
                                        opts.metric_column))
    if chosen:
        def tuned_scores_of(d, tuned):
            return store.user_scores(keys_of_dataset(d, "tuned"), opts.metric_column) if tuned else scores_of(d)

        sections.append(tuning_report(both, chosen, tried, tuned_scores_of, names, list(opts.models),
                                      opts.metric_column, opts.tune, tuning_n(opts.ns)))
    verdict = None
    if replicate_groups(datasets) and summary is not None:
        verdict = build_verdict(source=names[0], groups=replicate_groups(datasets), standin=standin_frame,
                                tests=tests, summary=summary, claims_models=list(opts.models),
                                fidelity_rows=stats.fidelity, structure_rows=stats.structure, qs=q_levels(summary),
                                metric=opts.metric_column, n=max(opts.ns), protocol=opts.protocol)
        sections.insert(0, verdict_section(verdict))
    sections.append(figures_section(opts, summary, names, groups, output))
    header = f"source {opts.source}; models {', '.join(opts.models)}; seeds {', '.join(map(str, opts.seeds))}; " \
             f"protocol {opts.protocol}; ties {opts.ties}; split {opts.split}; metric {LABELS[opts.metric_column]}"
    written = write_sections(sections, output, f"Benchmark {output.name}", header)
    print_summary(opts, verdict, stats, [t for s in sections for t in s.tables], [*written[:2], store.results_path,
                                                                                  *written[2:]])


def run_rows(store, keys, names):
    """The results.csv rows of the trials ``keys`` on the datasets ``names``; one line and no tables when none of
    them has results."""
    planned = set(keys)
    results = store.results()
    if len(results):
        results = results[[k in planned and k.dataset in names for k in keys_of(results)]]
    if results.empty:  # every trial failed (a bad saved split, a model that cannot train on these data...)
        failed = store.failed()
        first = f": the first ends with '{str(failed['error'].iloc[0]).strip().splitlines()[-1]}'" if len(failed) else ""
        raise GanrsError(f"no trial of this run has results ({len(failed)} failed, see {store.failed_path}{first}); "
                         "no tables were written")
    return results


def verdict_section(verdict):
    """The verdict and the fidelity summary, first in every report, and verdict.csv."""
    title, rows, headers = verdict.fidelity_table()
    return Section((("Verdict", verdict.text()), (title, tabulate(rows, headers=headers, tablefmt="github"))),
                   (("verdict.csv", verdict.frame()),))


def figures_section(opts, summary, names, groups, output):
    """The comparison figures (real vs synthetic scatter, each model's curves), then the paper's Figures 4-7."""
    if summary is None:
        return Section()
    figures = []
    present = set(summary["dataset"])
    models = [m for m in opts.models if m in set(summary["model"])]
    if len(present) > 1:
        figures.append(plot_scatter(summary, names[0], [n for n in names if n in present and n != names[0]],
                                    models, output / f"{opts.metric_column}_scatter.png", opts.metric_column))
    figures.append(plot_model_curves(summary, names[0], [n for n in names if n in present], models,
                                     output / f"{opts.metric_column}_real_vs_synthetic.png", opts.metric_column))
    for group, members in (groups or {"": []}).items():
        rows = [n for n in [names[0], *members] if n in present]
        slug = re.sub(r"[^a-z0-9]+", "-", group.lower()).strip("-")
        figures.append(plot_curves(summary, rows, models, output / (f"curves-{slug}.png" if slug else "curves.png"),
                                   opts.metric_column))
    return Section(figures=tuple(figures))


def print_summary(opts, verdict, stats, tables, written):
    """The terminal: the verdict, Table IV and the fidelity summary, and where the rest went (all of it with
    --verbose)."""
    if opts.verbose:
        for title, table in tables:
            print(f"{title}\n{table}\n")
    else:
        for title, table in tables[:2] if verdict is not None else []:
            print(f"{table}\n" if title == "Verdict" else f"{title}\n{table}\n")
        print(f"Datasets (Table IV)\n{stats.text[0]}\n")
        print(f"{len(tables)} tables (claims, every metric, rankings, stand-in, groups...) are in "
              f"{opts.output_dir / 'tables.md'} and report.html; --verbose prints them all")
    print("wrote " + ", ".join(str(p) for p in written))


def run_benchmark(opts, qs=None, plans=None):
    """The whole job (``qs``, ``plans``: the checked thresholds and dataset plans, when the caller has them);
    returns (failed trials, {stage: seconds})."""
    timings, start = {}, time.perf_counter()
    qs = thresholds(opts) if qs is None else qs
    output = opts.output_dir
    output.mkdir(parents=True, exist_ok=True)
    opts = dataclasses.replace(opts, cpus=opts.cpus or (None if opts.address else cores()))
    datasets, _ = prepare_datasets(opts, plans=plans)
    timings["datasets (fit + generate)"] = time.perf_counter() - start

    from recbole_ganrs.stats import format_stats, stats_rows
    from recbole_ganrs.stats.report import group_fidelity

    paths = [f"{d.data_path}/{d.name}" if d.kind == "synthetic" else opts.source for d in datasets
             if d.kind != "half"]
    table_rows, fidelity_rows, structure_rows = stats_rows(paths, benchmark_split()["split"]["RS"])
    group_rows, gap_rows = group_fidelity(paths)
    stats_text = format_stats(table_rows, fidelity_rows, structure_rows, group_rows, gap_rows)
    stats_text += replicate_summary(datasets, fidelity_rows, structure_rows)
    stats = DatasetStats(table_rows, fidelity_rows, structure_rows, stats_text)
    print(f"{len(paths)} datasets ready and measured; training the models (the verdict and tables follow)")

    specs, chosen, tried = trial_specs(opts, datasets, qs), {}, {}
    if opts.tune:
        t = time.perf_counter()
        chosen, tried = run_searches(opts, specs, output)
        timings[f"tuning ({opts.tune} draws + the defaults per dataset and model)"] = time.perf_counter() - t
        specs += tuned_specs(specs, chosen)
        dropped = ResultStore(output).drop_superseded([s.key for s in specs if s.key.config == "tuned"])
        if dropped:
            print(f"removed {dropped} result rows of tuned trials an earlier --tune chose differently")
    t = time.perf_counter()
    ran, skipped, failed = run_trials(opts, specs, output)
    timings[f"trials ({ran} run, {skipped} already done)"] = time.perf_counter() - t

    t = time.perf_counter()
    write_report(opts, datasets, stats, output, [s.key for s in specs], chosen, tried)
    timings["report"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - start
    print("wall time: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
    return failed, timings


def benchmark(opts):
    """Check everything a run needs before any work, run it; returns the exit status."""
    check_models(opts.models, opts.protocol)
    check_address(opts.address)
    opts = dataclasses.replace(opts, source=opts.prepare_source())
    plans = check_plan(opts)  # refuse a bad source or impossible sizes before any work
    check_cold_keep(parse_split(opts.split), opts.source)
    with exclusive_use(opts.output_dir):
        failed, _ = run_benchmark(opts, thresholds(opts), plans)
    if failed:
        print(f"{len(failed)} trial(s) failed: see failed.csv; re-run the same command to retry them",
              file=sys.stderr)
        return 1
    return 0
