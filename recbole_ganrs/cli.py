"""``python -m recbole_ganrs <command>``: generate, stats, train.

Input errors end with one ``error: ...`` line on stderr and exit status 2.
"""
import argparse
import sys
from pathlib import Path

from recbole_ganrs.errors import GanrsError


def dataset_config(dataset):
    """Config entries for ``--dataset``: a RecBole name (found under data_path) or a folder path."""
    from recbole_ganrs.data import resolve_source

    if dataset == "ml-100k" or Path(dataset).exists() or "/" in dataset:
        return resolve_source(dataset).recbole_config()
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


def generator_settings(args):
    """Generator settings given on the command line (a setting the chosen generator lacks is an error)."""
    flags = {"gan": args.gan, "embedding_size": args.embedding_size, "gan_steps": args.gan_steps,
             "rating_match": args.rating_match, "match_shapes": False if args.no_match_shapes else None}
    return {"seed": args.seed, "progress": not args.quiet, **{k: v for k, v in flags.items() if v is not None}}


def cmd_generate(args, extra):
    """Fit a generator on a source (or reuse a cached fit) and write one synthetic dataset per --users."""
    from recbole_ganrs.data.atomic import check_output_folder
    from recbole_ganrs.generator import SyntheticGenerator
    from recbole_ganrs.generator.base import check_request
    from recbole_ganrs.generator.dataset import SampleRequest, fit_or_load, generate_dataset, write_diagnostics

    requests = [SampleRequest(u, args.items, args.samples, args.std, args.seed) for u in args.users]
    for r in requests:
        check_request(r.users, r.items, r.samples, r.std)
    check_output_folder(args.out)
    if args.fit:
        generator = SyntheticGenerator.load(args.fit, progress=not args.quiet)
    else:
        generator = fit_or_load(args.source, Path(args.out) / ".fits", args.generator, **generator_settings(args))
    if args.plots and generator.kind != "ganrs":
        raise GanrsError("--plots draws GANRS embeddings: it needs --generator ganrs")
    for request in requests:
        inter, ratings = generate_dataset(generator, args.source, request, args.out)
        print(f"wrote {inter} ({len(ratings)} ratings)")
        if args.plots:
            for png in write_diagnostics(generator, args.source, ratings, inter.parent, request):
                print(f"wrote {png}")
        print_stats([inter.parent])


def print_stats(datasets):
    from recbole_ganrs.stats import stats_tables

    for table in stats_tables(datasets):
        print(table)
        print()


def cmd_stats(args, extra):
    print_stats(args.datasets)


def build_parser():
    from recbole_ganrs.generator import GENERATORS

    parser = argparse.ArgumentParser(prog="python -m recbole_ganrs", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser("train", help="train and evaluate a model (plugin or RecBole built-in)",
                           epilog="Other RecBole settings: --key=value, e.g. --learning_rate=0.01")
    train.add_argument("--model", help="DeepMF, VDeepMF, NCF, ..., or a RecBole model (BPR, NeuMF...)")
    train.add_argument("--dataset", help="ml-100k, a RecBole dataset name under data_path, or a folder")
    train.add_argument("--config_files", nargs="*", default=None, help="RecBole YAML files")
    train.add_argument("--epochs", type=int, default=None)
    train.set_defaults(func=cmd_train)

    gen = sub.add_parser("generate", help="learn a source with GANRS (or a comparison generator) and write "
                                          "synthetic atomic datasets")
    gen.add_argument("--source", default="ml-100k", help="ml-100k (bundled) or a RecBole atomic folder")
    gen.add_argument("--generator", choices=list(GENERATORS), default="ganrs",
                     help="ganrs (default); cfgan: a GAN on raw rating vectors; statistical: the source's marginals")
    gen.add_argument("--users", type=int, nargs="+", default=[2000], help="one dataset per value")
    gen.add_argument("--items", type=int, default=4000)
    gen.add_argument("--samples", type=int, default=800_000, help="generator draws (ratings kept are fewer)")
    gen.add_argument("--std", type=float, default=2.5, help="std of the generator's input noise")
    gen.add_argument("--seed", type=int, default=0, help="seeds the fit and the sampling")
    gen.add_argument("--out", default="dataset_atomic", help="data_path to write <name>/<name>.inter under")
    gen.add_argument("--gan", choices=["gan", "wgan"], help="ganrs: GAN (default) or WGAN-GP")
    gen.add_argument("--embedding-size", type=int, help="ganrs: DeepMF embedding size (default 5)")
    gen.add_argument("--gan-steps", type=int, help="GAN training steps (default: ganrs 20000, cfgan 5000)")
    gen.add_argument("--rating-match", choices=["distribution", "mean"],
                     help="ganrs: match the source's rating shares (default), or only its mean (the reference)")
    gen.add_argument("--no-match-shapes", action="store_true",
                     help="ganrs: plain k-means ids (the reference) instead of the source's activity/popularity shapes")
    gen.add_argument("--fit", help="a saved fit (save()) to sample from instead of fitting")
    gen.add_argument("--plots", action="store_true", help="write embeddings.png and ratings.png beside the data")
    gen.add_argument("--quiet", action="store_true", help="no progress bars")
    gen.set_defaults(func=cmd_generate)

    stats = sub.add_parser("stats", help="Table IV statistics, and fidelity of synthetic datasets to their source")
    stats.add_argument("datasets", nargs="+", help="ml-100k, atomic folders or .inter files")
    stats.set_defaults(func=cmd_stats)
    return parser


def main(argv=None):
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    unknown = [a for a in extra if not (a.startswith("--") and "=" in a)]
    if unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    try:
        args.func(args, extra)
    except GanrsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
