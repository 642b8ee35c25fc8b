"""The report of a run: the rows and per-user values of its trials, assembled into sections (the verdict first,
then Table IV, metrics, stand-in, groups, scenario, tuning, figures), written by section.py's loop, and the
terminal's summary."""
import functools
import re
from pathlib import Path

import pandas as pd
from tabulate import tabulate

from recbole_ganrs.benchmark.analysis import q_label, q_levels
from recbole_ganrs.benchmark.group_report import group_report
from recbole_ganrs.benchmark.item_group_report import item_group_report
from recbole_ganrs.benchmark.report import build_report, plot_curves, plot_model_curves, plot_scatter
from recbole_ganrs.benchmark.scenario_report import scenario_report
from recbole_ganrs.benchmark.section import Section, write_sections
from recbole_ganrs.benchmark.store import ResultStore, keys_of
from recbole_ganrs.benchmark.tuning import tuning_n
from recbole_ganrs.benchmark.tuning_report import tuning_report
from recbole_ganrs.benchmark.verdict import build_verdict
from recbole_ganrs.data.sidecar import read_sidecar
from recbole_ganrs.data.users import Condition
from recbole_ganrs.datasets.card import privacy_guarantee
from recbole_ganrs.datasets.prepare import size_series
from recbole_ganrs.errors import GanrsError
from recbole_ganrs.evaluation import LABELS
from recbole_ganrs.evaluation.item_groups import PREFIX as ITEM_PREFIX


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
    items = results[results["grouping"].astype(str).str.startswith(ITEM_PREFIX)]  # the item-group tables
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
                             output),
                item_group_report(items, names[0], names[1:], opts.models, opts.metric_column, max(opts.ns),
                                  output)]
    if opts.scenario_grid:
        sections.append(scenario_report(subsets, datasets, opts.scenario_grid, opts.models, max(opts.ns), output,
                                        opts.metric_column))
    if chosen:
        def tuned_scores_of(d, tuned):
            return store.user_scores(keys_of_dataset(d, "tuned"), opts.metric_column) if tuned else scores_of(d)

        sections.append(tuning_report(both, chosen, tried, tuned_scores_of, names, list(opts.models),
                                      opts.metric_column, opts.tune, tuning_n(opts.ns)))
    verdict, generators = None, replicate_groups(datasets)
    if generators and summary is not None:
        verdict = build_verdict(source=names[0], groups=generators, standin=standin_frame,
                                tests=tests, summary=summary, claims_models=list(opts.models),
                                fidelity_rows=stats.fidelity, structure_rows=stats.structure, qs=q_levels(summary),
                                metric=opts.metric_column, n=max(opts.ns), protocol=opts.protocol,
                                table_rows=stats.table, guarantees=guarantees(datasets))
        sections.insert(0, verdict_section(verdict))
    # the comparison figures before the groups' (a section with no tables: the tables' order is unchanged)
    sections.insert(1 if verdict is not None else 0, figures_section(opts, summary, names, groups, output))
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



def report_groups(datasets):
    """{group: [synthetic dataset names]} in plan order."""
    groups = {}
    for d in datasets:
        for g in d.groups:
            groups.setdefault(g, []).append(d.name)
    return groups


def guarantees(datasets):
    """{generator label: the differential-privacy guarantee its datasets' sidecars record}, for private fits."""
    found = {}
    for d in datasets:
        if d.kind == "synthetic" and d.replicate_label not in found:
            found[d.replicate_label] = privacy_guarantee(read_sidecar(Path(d.data_path) / d.name))
    return {label: text for label, text in found.items() if text}


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
