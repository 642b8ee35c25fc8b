"""Benchmark options: command-line flags, optionally from a YAML file (flags win).

A YAML file uses the flag names with underscores, e.g.::

    source: ml-100k
    users: [2000, 8000]
    models: [DeepMF, NCF, BPR]
    seeds: [0, 1, 2]
    recbole: {learning_rate: 0.005}   # passed to every RecBole config

List options make a grid: one synthetic dataset per generator x users x samples x
std (x gan x embedding size for GANRS), which is how the ablations run, e.g.
``--gan gan wgan --embedding-size 5 8 --std 1.5 2.5``. ``--paper SOURCE`` runs the
paper's plan instead (see ``plan.py``).
"""
import argparse
import dataclasses
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import yaml

from recbole_ganrs.data.atomic import check_output_folder
from recbole_ganrs.errors import GanrsError
from recbole_ganrs.evaluation import PROTOCOLS
from recbole_ganrs.generator import GENERATORS

PAPER_MODELS = ["DeepMF", "VDeepMF", "NCF", "NCFClassification", "NCFImprovedClassification", "BinaryRegression"]
PAPER_SEEDS = [0, 1, 2]  # --paper: three seeds, so that model differences can be told from noise
GENERATOR_KINDS = tuple(GENERATORS)


@dataclass
class BenchmarkOptions:
    source: str = "ml-100k"
    users: list = field(default_factory=lambda: [8000])
    items: int = 4000
    samples: list = field(default_factory=lambda: [800_000])
    std: list = field(default_factory=lambda: [2.5])
    generators: list = field(default_factory=lambda: ["ganrs"])
    gan: list = field(default_factory=lambda: ["gan"])
    embedding_size: list = field(default_factory=lambda: [5])
    gan_steps: Optional[int] = None  # None: each generator's default (GANRS 20000, CFGAN-style 5000)
    paper: Optional[str] = None  # a source: run the paper's plan on it
    models: list = field(default_factory=lambda: list(PAPER_MODELS))
    seeds: list = field(default_factory=lambda: [0])
    ns: list = field(default_factory=lambda: [2, 4, 6, 8, 10])
    qs: Optional[list] = None  # None: the top two values of the source's scale
    epochs: Optional[int] = None  # None: each model's YAML default
    protocol: str = "paper"
    output: Optional[str] = None  # None: results/<run name>
    data_dir: str = "dataset_atomic"
    address: Optional[str] = None
    cpus: Optional[int] = None
    cpus_per_trial: int = 1
    quick: bool = False
    progress: bool = True
    recbole: dict = field(default_factory=dict)

    def run_name(self):
        source = Path(self.source).name if self.source != "ml-100k" else "ml-100k"
        users = "paper" if self.paper else ("-".join(f"u{u}" for u in self.users) or "source-only")
        return f"{source}-{users}" + ("-quick" if self.quick else "")

    @property
    def output_dir(self):
        return Path(self.output) if self.output else Path("results") / self.run_name()


def apply_quick(opts, explicit):
    """--quick: fewer epochs, draws and GAN steps, unless set explicitly."""
    if not opts.quick:
        return opts
    defaults = {"epochs": 2, "samples": [100_000], "gan_steps": 2000}
    if opts.paper:  # the paper plan's sizes stay; it only trains less
        defaults.pop("samples")
    return dataclasses.replace(opts, **{k: v for k, v in defaults.items() if k not in explicit})


def read_yaml(path):
    """Options from a YAML file: unknown keys warn, wrong types are errors."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise GanrsError(f"config file {path} not found") from None
    except yaml.YAMLError as exc:
        raise GanrsError(f"config file {path} is not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise GanrsError(f"config file {path} must hold a mapping of option: value")
    known = {f.name: f for f in dataclasses.fields(BenchmarkOptions)}
    out = {}
    for key, value in data.items():
        if key not in known:
            warnings.warn(f"{path}: unknown option '{key}' ignored", stacklevel=2)
            continue
        out[key] = check_type(key, value, BenchmarkOptions.__dataclass_fields__[key])
    return out


def check_type(key, value, spec):
    default = spec.default_factory() if spec.default_factory is not dataclasses.MISSING else spec.default
    if value is None or default is None:
        return value
    if isinstance(default, list):
        value = value if isinstance(value, list) else [value]
        kind = type(default[0]) if default else object
        if not all(isinstance(v, kind) or (kind is float and isinstance(v, int)) for v in value):
            raise GanrsError(f"option '{key}' must be a list of {kind.__name__}, got {value!r}")
        return [float(v) for v in value] if kind is float else value
    if isinstance(default, bool) or isinstance(value, bool):
        if not isinstance(value, bool) or not isinstance(default, bool):
            raise GanrsError(f"option '{key}' must be {type(default).__name__}, got {value!r}")
        return value
    if isinstance(default, float) and isinstance(value, int):
        return float(value)
    if not isinstance(value, type(default)):
        raise GanrsError(f"option '{key}' must be {type(default).__name__}, got {value!r}")
    return value


def build_parser():
    parser = argparse.ArgumentParser(
        prog="run_benchmark.py",
        description="GANRS benchmark: deep CF models on a real dataset and its synthetic versions (Ray Tune).")
    add = parser.add_argument
    add("--config", help="YAML file of options (flag names with underscores); flags override it")
    add("--source", help="ml-100k (bundled, default) or a RecBole atomic folder")
    add("--users", type=int, nargs="*", help="synthetic dataset sizes (default 8000); none: source only")
    add("--items", type=int, help="synthetic items (default 4000)")
    add("--samples", type=int, nargs="+", help="generator draws (default 800000)")
    add("--std", type=float, nargs="+", help="generator noise std (default 2.5)")
    add("--generators", nargs="+", choices=GENERATOR_KINDS,
        help="ganrs (default), cfgan (GAN on raw rating vectors), statistical (the source's marginals)")
    add("--gan", nargs="+", choices=["gan", "wgan"], help="GANRS ablation: GAN (default) and/or WGAN-GP")
    add("--embedding-size", type=int, nargs="+", help="GANRS ablation: DeepMF embedding size (default 5)")
    add("--gan-steps", type=int, help="GAN training steps (default: GANRS 20000, CFGAN-style 5000)")
    add("--paper", metavar="SOURCE",
        help="the paper's experiments on SOURCE (ml-100k or an atomic folder): Table IV, Experiment 3 "
             "(2000 and 8000 users), the samples sweep of Experiment 2, and the comparison generators")
    add("--models", nargs="+", help="plugin models (default: the paper's six) or RecBole models, e.g. BPR")
    add("--seeds", type=int, nargs="+", help="one trial per model x dataset x seed (default 0; with --paper "
                                              f"{' '.join(map(str, PAPER_SEEDS))})")
    add("--ns", type=int, nargs="+", help="numbers of recommendations N (default 2 4 6 8 10)")
    add("--qs", type=float, nargs="+", help="relevance thresholds (default: top two rating values)")
    add("--epochs", type=int, help="training epochs of every model (default: each model's YAML)")
    add("--protocol", choices=PROTOCOLS,
        help="paper (default): the CF4J protocol, top N of each user's test items by prediction, relevant = "
             "rating >= q; threshold: only the top-N items whose prediction reaches q (0.5 for BinaryRegression); "
             "recbole: RecBole's full-sort top-N metrics, every test item relevant")
    add("--output", help="results folder (default results/<run name>); re-running resumes it")
    add("--data-dir", help="where synthetic datasets and fits are kept (default dataset_atomic)")
    add("--address", help="an existing Ray cluster (default: a local Ray with --cpus)")
    add("--cpus", type=int, help="CPUs of the local Ray (default: all cores)")
    add("--cpus-per-trial", type=int, help="CPUs (torch threads) per trial (default 1)")
    add("--quick", action="store_true", default=None, help="smoke run: 2 epochs, 100K draws, 2000 GAN steps")
    add("--no-progress", dest="progress", action="store_false", default=None, help="no progress bars")
    return parser


def parse_options(argv=None):
    """BenchmarkOptions from defaults < YAML (--config) < flags; checked."""
    args = vars(build_parser().parse_args(argv))
    values = read_yaml(args.pop("config")) if args.get("config") else {}
    explicit = set(values)
    for key, value in args.items():
        if value is not None:
            values[key] = value
            explicit.add(key)
    if values.get("paper"):
        clash = sorted(explicit & {"source", "users", "items", "samples"})
        if clash:
            raise GanrsError(f"--paper fixes the datasets: drop --{', --'.join(clash)}")
        values["source"] = values["paper"]
        if "generators" not in explicit:
            values["generators"] = list(GENERATOR_KINDS)
        if "seeds" not in explicit:
            values["seeds"] = list(PAPER_SEEDS)
    opts = apply_quick(BenchmarkOptions(**values), explicit)
    validate(opts)
    return opts


def validate(opts):
    if opts.protocol not in PROTOCOLS:
        raise GanrsError(f"protocol must be one of {PROTOCOLS}, not '{opts.protocol}'")
    for key in ("seeds", "ns", "models", "samples", "std", "generators", "gan", "embedding_size"):
        if not getattr(opts, key):
            raise GanrsError(f"--{key.replace('_', '-')} needs at least one value")
    unknown = sorted(set(opts.generators) - set(GENERATOR_KINDS))
    if unknown:
        raise GanrsError(f"unknown generator(s) {unknown} (choose from {', '.join(GENERATOR_KINDS)})")
    if set(opts.gan) - {"gan", "wgan"} or any(e < 1 for e in opts.embedding_size):
        raise GanrsError(f"gan must be gan or wgan and embedding sizes >= 1, got {opts.gan} {opts.embedding_size}")
    if any(n < 1 for n in opts.ns):
        raise GanrsError(f"every N must be >= 1, got {opts.ns}")
    if opts.epochs is not None and opts.epochs < 1:
        raise GanrsError(f"epochs must be >= 1, got {opts.epochs}")
    if opts.cpus_per_trial < 1 or (opts.cpus is not None and opts.cpus < 1):
        raise GanrsError("cpus and cpus-per-trial must be >= 1")
    check_output_folder(opts.output_dir)
    if not isinstance(opts.recbole, dict):
        raise GanrsError("option 'recbole' must be a mapping of RecBole settings")


def default_cpus():
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
