"""``recbole-ganrs <command>`` (or ``python -m recbole_ganrs``): benchmark, generate, stats, train.

Input errors end with one ``error: ...`` line on stderr and exit status 2.
"""
import argparse
import contextlib
import dataclasses
import errno
import signal
import sys
import warnings
from pathlib import Path

from recbole_ganrs.errors import GanrsError, Interrupted
from recbole_ganrs.files import exclusive_use


def dataset_config(dataset):
    """Config entries for ``--dataset``: a RecBole name (found under data_path) or a folder path."""
    from recbole_ganrs.data import BUNDLED, prepare_source, resolve_source
    from recbole_ganrs.data.sidecar import check_trusted
    from recbole_ganrs.options import GeneratorOptions

    if dataset == BUNDLED or Path(dataset).exists() or "/" in dataset:
        if resolve_source(dataset).not_atomic():  # a CSV / TSV: converted as generate would
            dataset = prepare_source(dataset, GeneratorOptions.data_dir)
        src = resolve_source(dataset)
        if dataset != BUNDLED:
            check_trusted(src.inter_path.parent)  # a synthetic folder is the one its sidecar describes
        return src.recbole_config()
    return {"dataset": dataset}


def cmd_train(args, extra):
    """Train and evaluate one model with RecBole's flow; prints valid and test results."""
    from recbole_ganrs.quick_start import run

    config_dict = dataset_config(args.dataset) if args.dataset else {}
    if args.epochs is not None:
        config_dict["epochs"] = args.epochs
    result = run(args.model, config_dict.pop("dataset", None), args.config_files, config_dict, cmd_args=extra)
    print(f"best valid: {dict(result['best_valid_result'])}")
    print(f"test result: {dict(result['test_result'])}")
    return 0


def cmd_benchmark(args, extra):
    from recbole_ganrs.benchmark.main import benchmark
    from recbole_ganrs.benchmark.options import options_from_args

    return benchmark(options_from_args(args))


def generate_options(args):
    """GeneratorOptions from the ``generate`` flags (the shared group, plus ``--seed``)."""
    from recbole_ganrs.options import GeneratorOptions, explicit_values, resolved_options, validate_generator_options

    values = explicit_values(args)
    for key in ("fit", "plots"):
        values.pop(key, None)
    values["seeds"] = [values.pop("seed", 0)]
    opts = GeneratorOptions(**values)
    validate_generator_options(opts, set(values))
    if not opts.users:
        raise GanrsError("--users needs at least one value")
    return resolved_options(opts)


def saved_fit(path, opts):
    """(options following the fit's kind and settings, the fit as prepare_datasets takes it)."""
    from recbole_ganrs.data import load_ratings
    from recbole_ganrs.generator import SyntheticGenerator
    from recbole_ganrs.generator.base import check_fitted_on
    from recbole_ganrs.options import grid_settings

    generator = SyntheticGenerator.load(path, progress=opts.progress).to(opts.device)
    check_fitted_on(generator, load_ratings(opts.source), opts.source)
    grid_point, follow = (), {"generators": [generator.kind]}
    if generator.kind == "ganrs":
        grid = sorted(grid_settings())
        follow.update({name: [getattr(generator, name)] for name in grid})
        follow["condition"] = generator.condition  # fit settings: the fit's, whatever the flags say
        follow["item_attributes"] = generator.item_attributes
        grid_point = tuple((name, getattr(generator, name)) for name in grid)
    return dataclasses.replace(opts, **follow), {(generator.kind, grid_point): generator}


def cmd_generate(args, extra):
    """Fit a generator on a source (or reuse a cached or saved fit) and write one synthetic dataset per
    grid point; an up-to-date dataset is reused, as the benchmark does."""
    from recbole_ganrs.datasets.card import CARD, card_tables
    from recbole_ganrs.datasets.prepare import check_plan, prepare_datasets
    from recbole_ganrs.data import load_ratings

    from recbole_ganrs.benchmark.runner import check_address

    opts = generate_options(args)  # checks the output folder with the other options
    if opts.address and (opts.generators != ["ganrs"] or opts.pairing != "shapes"):
        raise GanrsError("--address generates the ganrs shapes pairing's blocks of users on a Ray cluster; "
                         f"--generators {' '.join(opts.generators)} --pairing {opts.pairing} would run here: "
                         "drop --address")
    check_address(opts.address)
    if args.plots and (opts.generators != ["ganrs"]):
        raise GanrsError("--plots draws GANRS embeddings: it needs --generator ganrs")
    if args.plots and opts.dp_epsilon is not None:
        raise GanrsError("--plots compares the draws with real rows, which a private fit (--dp-epsilon) does not keep")
    opts = dataclasses.replace(opts, source=opts.prepare_source())
    opts, fitted = saved_fit(args.fit, opts) if args.fit else (opts, None)
    plans = check_plan(opts)
    with exclusive_use(opts.data_dir, "data folder", "--out"):  # two runs making one dataset at once: one is refused
        datasets, written = prepare_datasets(opts, fitted=fitted, plans=plans, keep_frames=args.plots)
    if args.plots:
        from recbole_ganrs.generator.diagnostics import write_diagnostics

        source = load_ratings(opts.source)
        for d in datasets[1:]:
            if d.name in written:
                generator, ratings = written[d.name]
                for png in write_diagnostics(generator, source, ratings, Path(d.data_path) / d.name, d.request):
                    print(f"wrote {png}")
    for d in datasets[1:]:  # each dataset's tables as its card holds them: measured once, not again here
        folder = Path(d.data_path) / d.name
        print(f"{d.name}: beside its source (from its card, {folder / CARD})\n\n{card_tables(folder)}\n")
    return 0


def print_stats(datasets):
    from recbole_ganrs.config import benchmark_split
    from recbole_ganrs.stats import stats_tables

    for table in stats_tables(datasets, split=benchmark_split()["split"]["RS"]):
        print(table)
        print()


def cmd_stats(args, extra):
    print_stats(args.datasets)
    return 0


def build_parser(prog=None):
    from recbole_ganrs.benchmark.options import add_benchmark_arguments
    from recbole_ganrs.options import add_generator_arguments

    parser = argparse.ArgumentParser(prog=prog or "recbole-ganrs", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    bench = sub.add_parser("benchmark", help="the main job: models on a source and its synthetic datasets "
                                             "(Ray Tune), with tables and plots")
    add_benchmark_arguments(bench).set_defaults(func=cmd_benchmark)

    gen = sub.add_parser("generate", help="learn a source with GANRS (or a comparison generator) and write "
                                          "synthetic atomic datasets")
    add_generator_arguments(gen)
    gen.add_argument("--seed", type=int, help="seeds the fit and the sampling (default 0)")
    gen.add_argument("--fit", help="a saved fit (save()) to sample from instead of fitting")
    gen.add_argument("--plots", action="store_true", default=None,
                     help="write embeddings.png and ratings.png beside each dataset written")
    gen.set_defaults(func=cmd_generate)

    stats = sub.add_parser("stats", help="Table IV statistics, and fidelity of synthetic datasets to their source")
    stats.add_argument("datasets", nargs="+", help="ml-100k, atomic folders or .inter files")
    stats.set_defaults(func=cmd_stats)

    train = sub.add_parser("train", help="train and evaluate a model (plugin or RecBole built-in)",
                           epilog="Other RecBole settings: --key=value, e.g. --learning_rate=0.01")
    train.add_argument("--model", help="DeepMF, VDeepMF, NCF, ..., or a RecBole model (BPR, NeuMF...)")
    train.add_argument("--dataset", help="ml-100k, a RecBole dataset name under data_path, or a folder")
    train.add_argument("--config_files", nargs="*", default=None, help="RecBole YAML files")
    train.add_argument("--epochs", type=int, default=None)
    train.set_defaults(func=cmd_train)
    return parser


#: numpy's floating-point notices (an empty mean, 0/0): the tool's figures handle them as NaN, and a
#: user who sees them cannot act on them
NUMPY_NOTICES = r"(Mean of empty slice|invalid value encountered|divide by zero encountered|Degrees of freedom)"


def quiet_warnings():
    """Warnings as one ``warning: ...`` line, numpy's floating-point notices not at all."""
    warnings.formatwarning = lambda message, category, *args, **kwargs: f"warning: {message}\n"
    warnings.filterwarnings("ignore", message=NUMPY_NOTICES, category=RuntimeWarning)


class Stopped(KeyboardInterrupt):
    """SIGTERM, raised where the command is, as Ctrl-C raises KeyboardInterrupt."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


#: the SIGTERM that stopped the command, if one did: code between the handler and main (Ray's ray.get) may turn
#: the Stopped it raised into a plain KeyboardInterrupt, which would read as Ctrl-C
RECEIVED = []


def raise_stopped(signum, frame):
    RECEIVED.append(signum)
    raise Stopped(signum)


@contextlib.contextmanager
def stopped_by_signals():
    """SIGTERM ends a command the way Ctrl-C does (Ray, imported with RecBole, would otherwise exit with no word:
    its handler is ``sys.exit``); the trials stage puts a handler of its own over this one while Tune runs."""
    previous = signal.signal(signal.SIGTERM, raise_stopped)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def stopped_message(command, signum):
    return (f"stopped by {signal.Signals(signum).name} during {command}: every file is written whole or not at all, "
            "so none is half-written; re-run the same command to resume (finished fits, datasets and trials are "
            "reused)")


def main(argv=None, prog=None):
    """Run one command; the one place errors become an ``error:`` line and exit status 2, and a signal one line
    and exit status 128 + its number."""
    parser = build_parser(prog)
    args, extra = parser.parse_known_args(argv)
    unknown = [a for a in extra if not (args.command == "train" and a.startswith("--") and "=" in a)]
    if unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    quiet_warnings()
    try:
        with stopped_by_signals():
            return args.func(args, extra)
    except Interrupted as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM outside the trials stage (which says more itself)
        return stopped(args.command, exc)
    except RuntimeError as exc:
        # a signal that lands in a lazy import (torch imports torch._dynamo on its first optimizer steps) can reach
        # here wrapped: Python 3.11 turns an exception raised inside a class body's __set_name__ into
        # "RuntimeError: Error calling __set_name__", the Stopped its cause
        interrupt = interrupt_in(exc)
        if interrupt is None:
            raise
        return stopped(args.command, interrupt)
    except GanrsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        message = os_error_message(exc)
        if message is None:
            raise
        print(f"error: {message}", file=sys.stderr)
        return 2


def stopped(command, exc):
    """The one line and exit status of a command stopped by Ctrl-C or a signal (``exc`` the KeyboardInterrupt)."""
    signum = exc.signum if isinstance(exc, Stopped) else (RECEIVED[0] if RECEIVED else signal.SIGINT)
    print(f"error: {stopped_message(command, signum)}", file=sys.stderr)
    return 128 + signum


def interrupt_in(exc):
    """The KeyboardInterrupt among ``exc``'s causes and contexts, if any."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def os_error_message(exc):
    """One line for the OS errors a user can fix (a full disk, a folder without permission), else None."""
    where = f" writing {exc.filename}" if exc.filename else ""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"disk full{where}: free some space (or point --data-dir / --output elsewhere) and run again"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"permission denied{where}: {exc.strerror}"
    return None
