"""``python -m recbole_ganrs <command>``: train (more commands join as they are built).

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


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m recbole_ganrs", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser("train", help="train and evaluate a model (plugin or RecBole built-in)",
                           epilog="Other RecBole settings: --key=value, e.g. --learning_rate=0.01")
    train.add_argument("--model", help="DeepMF, VDeepMF, NCF, ..., or a RecBole model (BPR, NeuMF...)")
    train.add_argument("--dataset", help="ml-100k, a RecBole dataset name under data_path, or a folder")
    train.add_argument("--config_files", nargs="*", default=None, help="RecBole YAML files")
    train.add_argument("--epochs", type=int, default=None)
    train.set_defaults(func=cmd_train)
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
