"""The plugin models' training path against RecBole's, trial by trial: what a trial costs, and whether it learns
the same (issue 44).

    python benchmarks/trial_paths.py                                   # ml-100k and FilmTrust, six models, ten seeds
    python benchmarks/trial_paths.py --sources ml-100k --seeds 0 1 --models NCF --out /tmp/paths.csv

Each (source, model, seed) is trained twice in this process, one path after the other (so both see the machine as
it is then): the plugin's path (trainer.LeanTrainer: lean epochs, models.base.Dropout, fused Adam) and RecBole's
(its DataLoader, ``nn.Dropout``'s mask, RecBole's Adam; the code before issue 44, restored by patching those three
back for the trial). A trial is the benchmark's, in one thread: the paper protocol, q at the source's top two
values. Prints the CPU-seconds of a trial per model and path, and for each (source, model) the paired difference
in F1@10 and NDCG@10 at the higher q over the seeds (mean, 95% t-interval, paired t-test and Wilcoxon p) beside
the seed spread of RecBole's path. The lean epochs alone give identical numbers (tests/test_batches.py); the
dropout mask and fused Adam give other numbers from the same distribution, which is what the paired test is for.
"""
import argparse
import contextlib
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from scipy import stats
from tabulate import tabulate

import recbole_ganrs  # noqa: F401
from recbole.trainer import Trainer

from recbole_ganrs import batches
from recbole_ganrs.benchmark.trial import run_trial
from recbole_ganrs.benchmark.trial_key import TrialSpec
from recbole_ganrs.data import load_ratings
from recbole_ganrs.data.prepare import prepare_source
from recbole_ganrs.data.sources import resolve_source
from recbole_ganrs.models.base import Dropout
from recbole_ganrs.models import PAPER_MODELS
from recbole_ganrs.stats.structure import relevance_levels
from recbole_ganrs.trainer import LeanTrainer

FILMTRUST = Path(__file__).resolve().parents[2] / "shared" / "data" / "filmtrust" / "ratings.txt"
PATHS = ("recbole", "plugin")


@contextlib.contextmanager
def recbole_path():
    """The training path before issue 44, for the trials inside: RecBole's DataLoader, ``nn.Dropout``'s
    ``bernoulli_`` mask, RecBole's (unfused) Adam."""
    saved = batches.lean_applies, Dropout.forward, LeanTrainer._build_optimizer
    batches.lean_applies = lambda loader: False
    Dropout.forward = lambda self, x: torch.nn.functional.dropout(x, self.p, self.training)
    LeanTrainer._build_optimizer = Trainer._build_optimizer
    try:
        yield
    finally:
        batches.lean_applies, Dropout.forward, LeanTrainer._build_optimizer = saved


def source_config(name, data_dir, filmtrust=FILMTRUST):
    """(RecBole dataset settings, the q values) of a source: ml-100k as bundled, FilmTrust as the CLI converts it
    (``--duplicates first --min-user-ratings 2``), or an atomic folder."""
    if name == "filmtrust":
        src = resolve_source(prepare_source(str(filmtrust), data_dir, "first", 2, 1, log=lambda _: None))
    else:
        src = resolve_source(name)
    return src.recbole_config(), relevance_levels(load_ratings(src))


def one_trial(source, config, qs, model, seed, path):
    spec = TrialSpec.of(dataset=Path(source).name, dataset_config=config, model=model, seed=seed, protocol="paper",
                        ties="random", qs=qs)
    context = recbole_path() if path == "recbole" else contextlib.nullcontext()
    with context:
        cpu, wall = time.process_time(), time.perf_counter()
        rows, _, seconds = run_trial(spec)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    frame = pd.DataFrame(rows)
    at = frame[(frame["N"] == 10) & (frame["grouping"] == "all") & (frame["q"] == max(qs))].iloc[0]
    return {"source": source, "model": model, "seed": seed, "path": path, "cpu_s": cpu, "wall_s": wall,
            "train_s": seconds["train"], "epochs": int(at["epochs_run"]), "f1": at["f1"], "ndcg": at["ndcg"]}


def cost_table(frame):
    """CPU-seconds of a trial (mean over sources and seeds) per model and path."""
    cost = frame.pivot_table(index="model", columns="path", values="cpu_s", aggfunc="mean")
    cost.loc["mean of the models"] = cost.mean()
    cost["plugin / recbole"] = cost["plugin"] / cost["recbole"]
    return cost


def paired(frame, metric):
    """Per (source, model): the plugin's path minus RecBole's in ``metric``, paired by seed."""
    out = []
    for (source, model), part in frame.groupby(["source", "model"], sort=False):
        wide = part.pivot(index="seed", columns="path", values=metric).dropna()
        diff = wide["plugin"] - wide["recbole"]
        low, high = stats.t.interval(0.95, len(diff) - 1, diff.mean(), stats.sem(diff)) if len(diff) > 1 else (
            np.nan, np.nan)
        wilcoxon = stats.wilcoxon(diff).pvalue if len(diff) > 5 and diff.any() else np.nan
        out.append({"source": source, "model": model, "seeds": len(diff), f"recbole {metric}": wide["recbole"].mean(),
                    f"plugin {metric}": wide["plugin"].mean(), "difference": diff.mean(), "95% CI low": low,
                    "95% CI high": high, "seed sd (recbole)": wide["recbole"].std(ddof=1),
                    "t-test p": stats.ttest_rel(wide["plugin"], wide["recbole"]).pvalue if len(diff) > 1 else np.nan,
                    "Wilcoxon p": wilcoxon})
    return pd.DataFrame(out)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", nargs="+", default=["ml-100k", "filmtrust"],
                        help="ml-100k, filmtrust, or a RecBole atomic folder (a synthetic dataset)")
    parser.add_argument("--models", nargs="+", default=list(PAPER_MODELS))
    parser.add_argument("--seeds", nargs="+", type=int, default=list(range(10)))
    parser.add_argument("--out", default="trial_paths.csv", help="every trial's row (CSV)")
    parser.add_argument("--data-dir", default="dataset_atomic", help="where FilmTrust's converted copy goes")
    parser.add_argument("--filmtrust", default=str(FILMTRUST), help="FilmTrust's ratings.txt")
    parser.add_argument("--tables", help="print the tables of this CSV (a run's --out, or several joined) and stop")
    args = parser.parse_args(argv)
    if args.tables:
        return print_tables(pd.concat([pd.read_csv(p) for p in args.tables.split(",")]))
    torch.set_num_threads(1)
    rows, warm = [], False
    for source in args.sources:
        config, qs = source_config(source, args.data_dir, args.filmtrust)
        if not warm:  # the first trial of a process pays imports (torch._dynamo at the first Adam): not counted
            one_trial(source, config, qs, args.models[0], args.seeds[0], "plugin")
            warm = True
        for model in args.models:
            for seed in args.seeds:
                # the paths take turns going first, so that a drift in the machine's pace falls on both
                for path in PATHS if seed % 2 == 0 else PATHS[::-1]:
                    rows.append(one_trial(source, config, qs, model, seed, path))
                    r = rows[-1]
                    print(f"{source} {model} seed {seed} {path}: {r['cpu_s']:.2f} CPU-s, {r['epochs']} epochs, "
                          f"F1@10 {r['f1']:.4f}, NDCG@10 {r['ndcg']:.4f}", flush=True)
                pd.DataFrame(rows).to_csv(args.out, index=False)
    print_tables(pd.DataFrame(rows))


def print_tables(frame):
    print("\nCPU-seconds of a trial (one thread; mean over sources and seeds)")
    print(tabulate(cost_table(frame).reset_index(), headers="keys", tablefmt="github", floatfmt=".2f",
                   showindex=False))
    for metric in ("f1", "ndcg"):
        print(f"\n{metric}@10 at the higher q: the plugin's path minus RecBole's, paired by seed")
        print(tabulate(paired(frame, metric), headers="keys", tablefmt="github", floatfmt=".4f", showindex=False))


if __name__ == "__main__":
    main(sys.argv[1:])
