"""One benchmark run as an object (the shape of Cornac's ``Experiment`` and LensKit's analysis objects): its
options resolved once, its source read once, the plan of synthetic datasets and the evaluation setting checked
before any work; :meth:`BenchmarkRun.execute` makes the datasets, measures them, trains the trials (tuning them
first with --tune) and writes the report, each stage timed. ``recbole-ganrs benchmark`` and ``run_benchmark.py``
are :func:`benchmark`."""
import sys
import time
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from tabulate import tabulate

from recbole_ganrs.benchmark.options import BenchmarkOptions
from recbole_ganrs.benchmark.run_report import write_report
from recbole_ganrs.benchmark.runner import check_address, run_trials, trial_specs
from recbole_ganrs.benchmark.store import ResultStore
from recbole_ganrs.benchmark.tuning import run_searches, tuned_specs
from recbole_ganrs.config import benchmark_split
from recbole_ganrs.datasets.prepare import check_plan, prepare_datasets
from recbole_ganrs.errors import GanrsError
from recbole_ganrs.evaluation import default_thresholds, get_protocol
from recbole_ganrs.evaluation.splits import check_cold_keep, parse_split
from recbole_ganrs.files import exclusive_use
from recbole_ganrs.limits import cores
from recbole_ganrs.registry import get_model, is_context_model, reads_item_content


@dataclass(frozen=True)
class DatasetStats:
    """The statistics of a run's datasets (stats/report.py): Table IV, fidelity and structure rows, and the tables
    as text (Table IV first)."""
    table: list
    fidelity: list
    structure: list
    text: list


@dataclass(frozen=True)
class RunOutcome:
    """What a run ended with: the trials that failed ([(trial, error)]) and each stage's seconds."""
    failed: list
    timings: dict


@dataclass(frozen=True)
class BenchmarkRun:
    """A checked run: ``opts`` (the source in it is the one the run reads: a converted copy of a plain file),
    ``ratings`` (the source's, read once), ``qs`` (the relevance thresholds) and ``plans`` (the synthetic datasets
    to make or reuse, each request checked)."""
    opts: BenchmarkOptions
    ratings: pd.DataFrame = field(repr=False)
    qs: list
    plans: list

    @classmethod
    def prepare(cls, opts):
        """Check everything the run needs before any work (one :class:`GanrsError` line for the first problem)."""
        check_models(opts)
        check_address(opts.address)
        source, ratings = opts.prepared_source()
        opts = replace(opts, source=source, cpus=opts.cpus or (None if opts.address else cores()))
        plans = check_plan(opts)  # a bad request or impossible sizes
        check_cold_keep(parse_split(opts.split), ratings)
        return cls(opts, ratings, thresholds(opts, ratings), plans)

    @property
    def output(self):
        return self.opts.output_dir

    def execute(self):
        """Make the datasets, measure them, train (and tune) the trials, write the report: a :class:`RunOutcome`."""
        timings, start = {}, time.perf_counter()
        self.output.mkdir(parents=True, exist_ok=True)
        datasets, _ = prepare_datasets(self.opts, plans=self.plans)
        timings["datasets (fit + generate)"] = time.perf_counter() - start
        stats = self.measure(datasets)
        specs, chosen, tried = trial_specs(self.opts, datasets, self.qs), {}, {}
        if self.opts.tune:
            t = time.perf_counter()
            chosen, tried = run_searches(self.opts, specs, self.output)
            timings[f"tuning ({self.opts.tune} draws + the defaults per dataset and model)"] = time.perf_counter() - t
            specs += tuned_specs(specs, chosen)
            dropped = ResultStore(self.output).drop_superseded([s.key for s in specs if s.key.config == "tuned"])
            if dropped:
                print(f"removed {dropped} result rows of tuned trials an earlier --tune chose differently")
        t = time.perf_counter()
        ran, skipped, failed = run_trials(self.opts, specs, self.output)
        timings[f"trials ({ran} run, {skipped} already done)"] = time.perf_counter() - t
        t = time.perf_counter()
        write_report(self.opts, datasets, stats, self.output, [s.key for s in specs], chosen, tried)
        timings["report"] = time.perf_counter() - t
        timings["total"] = time.perf_counter() - start
        print("wall time: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
        return RunOutcome(failed, timings)

    def measure(self, datasets):
        """Table IV, fidelity and structure of the source and the synthetic datasets (the halves are only
        trained): a :class:`DatasetStats`."""
        from recbole_ganrs.stats import format_stats, stats_rows
        from recbole_ganrs.stats.report import group_fidelity

        paths = [f"{d.data_path}/{d.name}" if d.kind == "synthetic" else self.opts.source for d in datasets
                 if d.kind != "half"]
        table_rows, fidelity_rows, structure_rows = stats_rows(paths, benchmark_split()["split"]["RS"],
                                                               loaded={self.opts.source: self.ratings})
        group_rows, gap_rows = group_fidelity(paths)
        text = format_stats(table_rows, fidelity_rows, structure_rows, group_rows, gap_rows)
        text += replicate_summary(datasets, fidelity_rows, structure_rows)
        print(f"{len(paths)} datasets ready and measured; training the models (the verdict and tables follow)")
        return DatasetStats(table_rows, fidelity_rows, structure_rows, text)


def benchmark(opts):
    """Check everything a run needs before any work, run it; returns the exit status."""
    run = BenchmarkRun.prepare(opts)
    with exclusive_use(run.output):
        outcome = run.execute()
    if outcome.failed:
        print(f"{len(outcome.failed)} trial(s) failed: see failed.csv; re-run the same command to retry them",
              file=sys.stderr)
        return 1
    return 0


def check_models(opts):
    """Every model known (UnknownModelError names it), each one evaluable under the run's protocol, and, under a
    cold-items split that leaves the cold items no training rating, each one able to score them."""
    from recbole_ganrs.benchmark.trial import learns_relevance

    protocol = get_protocol(opts.protocol)
    for model in opts.models:
        model_class = get_model(model)
        if learns_relevance(model_class) and not protocol.uses_q:
            raise GanrsError(f"{model} learns relevance at a q and the {opts.protocol} protocol has no q: drop it from "
                             "--models, or use --protocol full (full sort with relevance q)")
        if is_context_model(model_class) and not protocol.test_candidates:
            raise GanrsError(f"{model} is a context-aware model: it scores the pairs it is given, not every item "
                             f"(no full sort here): use --protocol paper or threshold, or drop it from --models")
        if reads_item_content(model_class):
            check_item_content(opts, model)
    check_unseen_items(opts)


def check_item_content(opts, model):
    """A model that reads item attributes (CVAE, LARA) needs ``--item-attributes`` and datasets whose items carry
    them (the source and GANRS's)."""
    needs_item_attributes(opts, f"{model} reads item attributes", f"or drop {model} from --models")


def needs_item_attributes(opts, why, otherwise):
    """``--item-attributes`` given and every generator's items carrying them (GANRS's only), or one line saying
    ``why`` they are needed and the way out (``otherwise``)."""
    if not getattr(opts, "item_attributes", None):
        raise GanrsError(f"{why}: give --item-attributes FIELD,... (the source's .item fields the models read, e.g. "
                         f"release_year,class on ml-100k), {otherwise}")
    others = [g for g in opts.generators if g != "ganrs"]
    if others:
        raise GanrsError(f"{why}, and the {', '.join(others)} datasets' items carry no attributes: drop "
                         f"{', '.join(others)} from --generators, {otherwise}")


def check_unseen_items(opts):
    """``--split cold-items:F:0``: the cold items have no training rating, so only a model that reads item
    features (CVAE, LARA, a context-aware one, with ``--item-attributes``) can score them, and only on datasets
    whose items carry them (the source and GANRS's)."""
    split = parse_split(opts.split)
    if split.kind != "cold-items" or split.keep > 0:
        return
    blind = [m for m in opts.models if not (is_context_model(get_model(m)) or reads_item_content(get_model(m)))]
    if blind:
        raise GanrsError(f"--split {split.label} leaves the cold items no training rating, and {', '.join(blind)} "
                         "cannot score an item it never saw (no item features): use a model that reads item "
                         "attributes (CVAE, LARA, or RecBole's context-aware FM, DeepFM, WideDeep...) with "
                         "--item-attributes, or keep K >= 1")
    needs_item_attributes(opts, f"--split {split.label}: the cold items have no training rating, only features",
                          "or use another --split")


def thresholds(opts, ratings):
    """q values: given, or the top two values of the source's rating scale (``ratings``: the source's)."""
    if not get_protocol(opts.protocol).uses_q:
        return []
    values = np.unique(ratings["rating"])
    if opts.qs:
        unreachable = [q for q in opts.qs if not values[0] < q <= values[-1]]
        if unreachable:
            raise GanrsError(f"q {', '.join(f'{q:g}' for q in unreachable)} cannot split the source's scale "
                             f"{values[0]:g}..{values[-1]:g} into relevant and not relevant")
        return [float(q) for q in opts.qs]
    return default_thresholds(values)


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
