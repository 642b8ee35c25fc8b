"""Benchmark options: command-line flags, optionally from a YAML file (flags win).

A YAML file uses the flag names with underscores, e.g.::

    source: ml-100k
    users: [2000, 8000]
    models: [DeepMF, NCF, BPR]
    seeds: [0, 1, 2]
    recbole: {learning_rate: 0.005}   # passed to every RecBole config

The synthetic datasets' options are shared with ``generate`` (``recbole_ganrs/options.py``);
list options make a grid, e.g. ``--gan gan wgan --embedding-size 5 8 --std 1.5 2.5``.
``--paper SOURCE`` runs the paper's plan instead (see ``datasets/plan.py``).
"""
import argparse
import dataclasses
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from recbole_ganrs.benchmark.scenario import SETTINGS, parse_scenario
from recbole_ganrs.data import BUNDLED
from recbole_ganrs.errors import GanrsError
from recbole_ganrs.evaluation import LABELS, PROTOCOLS, TIES
from recbole_ganrs.evaluation.splits import check_saved_splits, parse_split
from recbole_ganrs.files import check_output_folder
from recbole_ganrs.limits import check_seed, cores
from recbole_ganrs.generator import GENERATORS
from recbole_ganrs.models import MODEL_SETS, PAPER_MODELS, expand_models
from recbole_ganrs.options import (
    GeneratorOptions, add_flags, add_generator_arguments, declared_flags, explicit_values, flag, grid_settings,
    read_yaml, resolved_options, validate_generator_options,
)

PAPER_SEEDS = [0, 1, 2]  # --paper: three seeds, so that model differences can be told from noise
PAPER_DATASET_SEEDS = [0, 1, 2]  # --paper: three independent synthetic datasets of each kind
PAPER_CEILING_SPLITS = 3  # --paper: three halvings of the source's users
#: a run with synthetic datasets: two halvings, the fewest whose bootstrap interval holds the variation between
#: halvings (one halving's interval resamples users only; docs/verdict.md has the measurement)
CEILING_SPLITS = 2
MAX_EPOCHS = 10_000
MAX_TUNE = 1_000  # --tune: candidates per (dataset, model)
#: --f1: CF4J's mean of per-user F1, or the F1 of the averaged precision and recall
F1_KINDS = ("cf4j", "of-means")
#: --metric: any metric of results.csv but the F1 of means, which --f1 of-means selects
HEADLINE_METRICS = tuple(m for m in LABELS if m != "f1_of_means")
MODEL_SET_HELP = ", ".join(f"{name} ({' '.join(models)})" for name, models in MODEL_SETS.items())
QUICK = {"epochs": 2, "samples": [100_000], "gan_steps": 500}  # --quick: a smoke run


def bench(help, **kwargs):
    """A benchmark flag's declaration (options.flag in the benchmark's own section)."""
    return flag(help, section="benchmark", **kwargs)


@dataclass
class BenchmarkOptions(GeneratorOptions):
    """The benchmark's options: the synthetic datasets' (GeneratorOptions) and its own, each flag declared once
    here (its help, choices, metavar); argparse, the YAML keys and the choices' checks are made from them."""
    seeds: list[int] = field(default_factory=lambda: [0], metadata=bench(
        "one trial per model x dataset x seed; datasets are made with the first (default {default}; with --paper "
        f"{' '.join(map(str, PAPER_SEEDS))})"))
    paper: Optional[str] = field(default=None, metadata=bench(
        "the paper's experiments on SOURCE (ml-100k or an atomic folder): Table IV, Experiment 3 (2000 and 8000 "
        "users), the samples sweep of Experiment 2, and the comparison generators", metavar="SOURCE"))
    models: list[str] = field(default_factory=lambda: list(PAPER_MODELS), metadata=bench(
        "plugin models (default: the paper's six) or RecBole models, e.g. BPR, or sets joined with +: "
        f"{MODEL_SET_HELP}, e.g. paper+baselines"))
    ns: list[int] = field(default_factory=lambda: [2, 4, 6, 8, 10], metadata=bench(
        "numbers of recommendations N (default {default})"))
    qs: Optional[list[float]] = field(default=None, metadata=bench(  # None: the top two values of the scale
        "relevance thresholds (default: top two rating values)"))
    epochs: Optional[int] = field(default=None, metadata=bench(  # None: each model's YAML default
        "training epochs of every model (default: each model's YAML)"))
    protocol: str = field(default=next(iter(PROTOCOLS)), metadata=bench(
        "; ".join(f"{name}{' (default)' if i == 0 else ''}: {p.description}" for i, (name, p) in
                  enumerate(PROTOCOLS.items())), choices=list(PROTOCOLS)))
    ties: str = field(default=TIES[0], metadata=bench(
        "order of equal predictions: random (default; seeded by the trial seed, the same for every model) or cf4j "
        "(CF4J's: first appearance in the test set)", choices=list(TIES)))
    split: str = field(default="random", metadata=bench(
        "random (default: RecBole's 60/10/30 of each user's ratings), cold-users:F:K (a share F of the users keep "
        "K ratings in training, their others are their test items; the warm users are split at random) or "
        "cold-items:F:K (the same for items), seeded by the trial seed; files:DIR reads the splits a --save-splits "
        "run wrote under DIR", metavar="SPLIT"))
    metric: str = field(default="f1", metadata=bench(
        "metric of the tables, plots, ranking agreement and claims (default {default}); results.csv has them all",
        choices=list(HEADLINE_METRICS)))
    f1: str = field(default=F1_KINDS[0], metadata=bench(
        "cf4j (default): mean of each user's F1, as CF4J computes it; of-means: 2PR/(P+R) of the averaged "
        "precision and recall", choices=list(F1_KINDS)))
    dataset_seeds: Optional[list[int]] = field(default=None, metadata=bench(
        "one independent synthetic dataset per seed (its fit and sample seeded by it; the trial seeds are --seeds): "
        "fidelity and agreement are reported over these replicates (default: the first --seeds value; with --paper "
        f"{' '.join(map(str, PAPER_DATASET_SEEDS))})", metavar="S"))
    ceiling_splits: Optional[int] = field(default=None, metadata=bench(  # None: decided by options_from_args
        "split the source's users into random halves K times and train on each half: the agreement of two real "
        f"halves is the ceiling beside every synthetic dataset's (default {CEILING_SPLITS} when the run has "
        f"synthetic datasets, else 0; with --paper {PAPER_CEILING_SPLITS})", metavar="K"))
    save_predictions: bool = field(default=False, metadata=bench(
        "write each trial's ranked test predictions to <output>/predictions/<dataset>-<sha1>/"))
    save_splits: bool = field(default=False, metadata=bench(
        "write each dataset's train / valid / test split of each trial seed as RecBole pre-split files "
        "(<output>/splits/seed<S>/<dataset>/<dataset>.train.inter ..., loadable with benchmark_filename) and as "
        "CSV; --split files:<output>/splits re-runs trials from them with the same metrics"))
    output: Optional[str] = field(default=None, metadata=bench(  # fixed by options_from_args
        "results folder (default results/<run name>); re-running resumes it"))
    cpus: Optional[int] = field(default=None, metadata=bench("CPUs of the local Ray (default: all cores)"))
    cpus_per_trial: int = field(default=1, metadata=bench("CPUs (torch threads) per trial (default {default})"))
    scenario: Optional[list] = field(default=None, metadata=bench(  # as given; parsed by scenario_grid
        f"a grid over one scenario setting, one synthetic dataset per value: {', '.join(SETTINGS)}, e.g. --scenario "
        "cold-users 0 0.3 0.6; the report adds F1 against it", metavar="SETTING V"))
    tune: int = field(default=0, metadata=bench(
        "tune every model on every dataset before the trials: its defaults and N configurations drawn from the "
        "search_space of properties/model/<Model>.yaml (the same N for every dataset), trained on the first seed's "
        "training part, scored by --metric at the smallest N on its validation part (never the test part), ASHA "
        "stopping the weak ones early; the trials then run with both the default and the chosen configuration, "
        "and the report sets them side by side (default 0: no tuning)", metavar="N"))
    verbose: bool = field(default=False, metadata=bench(
        "print every table (default: the verdict, Table IV and the fidelity summary; all are in tables.md)"))
    quick: bool = field(default=False, metadata=bench(
        f"smoke run: {QUICK['epochs']} epochs, {QUICK['samples'][0]} draws, {QUICK['gan_steps']} GAN steps"))
    recbole: dict = field(default_factory=dict)  # YAML only: passed to every RecBole config

    def run_name(self):
        """The default output folder's name: the source as given (a folder's name, a file's stem), the sizes."""
        path = Path(self.source)
        source = BUNDLED if self.source == BUNDLED else (path.stem if path.is_file() else path.name)
        users = "paper" if self.paper else ("-".join(f"u{u}" for u in self.users) or "source-only")
        scenario = f"-{self.scenario_grid.name}" if self.scenario_grid else ""
        return f"{source}-{users}{scenario}" + ("-quick" if self.quick else "")

    @property
    def scenario_grid(self):
        """The --scenario grid as a :class:`Scenario` (None without one); checked by :func:`validate`."""
        return None if self.scenario is None else parse_scenario(self.scenario)

    @property
    def metric_column(self):
        """The results.csv column the report is about: --metric, with --f1 choosing which F1."""
        return "f1_of_means" if self.metric == "f1" and self.f1 == "of-means" else self.metric

    @property
    def predictions_dir(self):
        return self.output_dir / "predictions"

    @property
    def output_dir(self):
        return Path(self.output) if self.output else Path("results") / self.run_name()


def apply_quick(opts, explicit):
    """--quick: fewer epochs, draws and GAN steps, unless set explicitly."""
    if not opts.quick:
        return opts
    defaults = dict(QUICK)
    if opts.paper:  # the paper plan's sizes stay; it only trains less
        defaults.pop("samples")
    return dataclasses.replace(opts, **{k: v for k, v in defaults.items() if k not in explicit})


def add_benchmark_arguments(parser):
    """The benchmark's flags: --config, the synthetic datasets' shared group (options.py), then its own, all from
    the fields' declarations."""
    parser.add_argument("--config", help="YAML file of options (flag names with underscores); flags override it")
    add_generator_arguments(parser, users_help=f"synthetic users, one dataset per value (default "
                                               f"{GeneratorOptions().users[0]}); none: the source only")
    add_flags(parser, BenchmarkOptions, benchmark_flags())
    return parser


def benchmark_flags():
    """(field, declaration) of the benchmark's own flags, in declaration order."""
    return [(f, d) for f, d in declared_flags(BenchmarkOptions) if d["section"] == "benchmark"]


def build_parser(prog="recbole-ganrs benchmark"):
    return add_benchmark_arguments(argparse.ArgumentParser(
        prog=prog, description="GANRS benchmark: deep CF models on a real dataset and its synthetic versions "
                               "(Ray Tune)."))


def parse_options(argv=None):
    """BenchmarkOptions from the command line: see :func:`options_from_args`."""
    return options_from_args(build_parser().parse_args(argv))


def options_from_args(args):
    """BenchmarkOptions from defaults < YAML (--config) < flags; checked."""
    flags = explicit_values(args)
    config = flags.pop("config", None)
    values = read_yaml(config, BenchmarkOptions) if config else {}
    values.update(flags)
    explicit = set(values)
    if values.get("paper"):
        scenario_flags = {f.name for f, d in declared_flags() if d["section"] == "scenario"}
        clash = sorted(explicit & ({"source", "users", "items", "samples", "ratings"} | scenario_flags))
        if clash:
            raise GanrsError(f"--paper fixes the datasets: drop --{', --'.join(clash)}")
        values["source"] = values["paper"]
        if "generators" not in explicit:
            values["generators"] = list(GENERATORS)
        if "seeds" not in explicit:
            values["seeds"] = list(PAPER_SEEDS)
        if "dataset_seeds" not in explicit:
            values["dataset_seeds"] = list(PAPER_DATASET_SEEDS)
        if "ceiling_splits" not in explicit:
            values["ceiling_splits"] = PAPER_CEILING_SPLITS
    if "models" in values:
        values["models"] = expand_models(values["models"]) if isinstance(values["models"], list) else values["models"]
    if values.get("ceiling_splits") is None:
        values["ceiling_splits"] = CEILING_SPLITS if values.get("users", GeneratorOptions().users) else 0
    opts = apply_quick(BenchmarkOptions(**values), explicit)
    validate(opts, explicit)
    # a files: split by its absolute path: trials run in Ray workers, in folders of their own; the output folder
    # fixed now, from the source as given (the run reads a converted copy of a plain file under another name)
    return resolved_options(dataclasses.replace(opts, split=parse_split(opts.split).label, output=str(opts.output_dir)))


def validate(opts, explicit=()):
    for f, d in benchmark_flags():  # a YAML value is checked as a flag's is
        if d["choices"] and getattr(opts, f.name) not in d["choices"]:
            raise GanrsError(f"{f.name} must be one of {', '.join(d['choices'])}, not '{getattr(opts, f.name)}'")
    validate_generator_options(opts, explicit)
    split = parse_split(opts.split)
    if split.kind == "files":
        check_saved_splits(split, opts.seeds)
    for key in ("ns", "models"):
        if not getattr(opts, key):
            raise GanrsError(f"--{key} needs at least one value")
    for seed in opts.dataset_seeds or []:
        check_seed(seed, "dataset seed")
    if opts.dataset_seeds is not None and len(set(opts.dataset_seeds)) != len(opts.dataset_seeds):
        raise GanrsError(f"--dataset-seeds repeats a seed: {opts.dataset_seeds}")
    if opts.ceiling_splits is not None and not 0 <= opts.ceiling_splits <= 100:
        raise GanrsError(f"--ceiling-splits must be in 0..100, got {opts.ceiling_splits}")
    if any(n < 1 for n in opts.ns):
        raise GanrsError(f"every N must be >= 1, got {opts.ns}")
    if opts.epochs is not None and opts.epochs < 1:
        raise GanrsError(f"epochs must be >= 1, got {opts.epochs}")
    if opts.cpus_per_trial < 1 or (opts.cpus is not None and opts.cpus < 1):
        raise GanrsError("cpus and cpus-per-trial must be >= 1")
    if opts.address is None and opts.cpus_per_trial > (opts.cpus or cores()):
        raise GanrsError(f"--cpus-per-trial {opts.cpus_per_trial} is more than the {opts.cpus or cores()} "
                         "CPUs of the local Ray: no trial could ever start")
    if not 0 <= opts.tune <= MAX_TUNE:
        raise GanrsError(f"--tune must be in 0..{MAX_TUNE}, got {opts.tune}")
    if opts.tune:
        from recbole_ganrs.benchmark.tuning import model_space

        for model in opts.models:
            model_space(model)  # refuses a model without a search space, or a malformed one, in one line
    if opts.epochs is not None and opts.epochs > MAX_EPOCHS:
        raise GanrsError(f"epochs must be at most {MAX_EPOCHS}, got {opts.epochs}")
    check_recbole_settings(opts.recbole)
    if opts.scenario is not None:
        if opts.paper:
            raise GanrsError("--scenario and --paper are separate plans: give one")
        grid = opts.scenario_grid
        overridden = sorted(set(explicit) & ({"ratings", "samples"} if grid.field == "ratings" else {grid.field}))
        if overridden:
            raise GanrsError(f"--scenario {grid.name} sets {grid.field} itself: drop "
                             f"--{', --'.join(k.replace('_', '-') for k in overridden)}")
        if grid.field == "group_shares" and opts.condition is None:
            raise GanrsError("--scenario group-share needs --condition ATTR (the user attribute whose groups it "
                             "shares)")
        axes = {"users": opts.users, "generators": opts.generators, "std": opts.std, "samples": opts.samples,
                "ratings": opts.ratings or [None], **{name: getattr(opts, name) for name in grid_settings()}}
        wide = [f"--{k.replace('_', '-')}" for k, v in axes.items() if len(v) != 1]
        if wide:
            raise GanrsError(f"--scenario varies one setting: give one value of {', '.join(wide)}")
    check_output_folder(opts.output_dir)


def check_recbole_settings(settings):
    """Each ``recbole:`` value of the type of RecBole's (or the plugin's) default for that key, so that a wrong
    one is named now rather than failing every trial; keys RecBole does not define pass as they are."""
    from recbole_ganrs.config import recbole_defaults, recbole_setting_names

    if not isinstance(settings, dict):
        raise GanrsError("option 'recbole' must be a mapping of RecBole settings")
    defaults = recbole_defaults()
    known = recbole_setting_names() if settings else set()
    for key in settings:
        if key not in known:
            warnings.warn(f"recbole setting '{key}' is not a setting of RecBole or of any model: passed on as it "
                          "is (a typo?)", stacklevel=2)
    for key, value in settings.items():
        default = defaults.get(key)
        if default is None or value is None:
            continue
        kinds = (int, float) if isinstance(default, float) else type(default)
        if isinstance(value, bool) != isinstance(default, bool) or not isinstance(value, kinds):
            raise GanrsError(f"recbole setting '{key}' must be {type(default).__name__} like RecBole's default "
                             f"{default!r}, got {value!r}")

