"""GANRS fit settings side by side: the reference's GAN schedule (20,000 steps of 32) against the default
(2,500 steps of 256, learning rates scaled by the batch), same source and seed.

    python benchmarks/fit.py                          # fit time, fidelity and structure at 2,000 users x 353,269
    python benchmarks/fit.py --trials                 # + the benchmark (paper protocol) on both: ranking agreement

Prints fit seconds and, for each setting, the fidelity and structure measures of the sampled dataset beside the
source's; with ``--trials`` it runs ``run_benchmark.py`` once per setting into one output (the source's trials
are shared) and prints each dataset's Kendall tau and significant-pair agreement with the source.
"""
import argparse
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
from tabulate import tabulate

import recbole_ganrs  # noqa: F401
from recbole_ganrs.data import load_ratings
from recbole_ganrs.generator import GANRS
from recbole_ganrs.stats.fidelity import fidelity
from recbole_ganrs.stats.structure import structure_row

SETTINGS = {"reference 20000 x 32": {"gan_steps": 20000, "gan_batch_size": 32},
            "default 2500 x 256": {}}
ROOT = Path(__file__).resolve().parents[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default="ml-100k")
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--items", type=int, default=4000)
    parser.add_argument("--ratings", type=int, default=353_269)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--trials", action="store_true", help="also run the benchmark on both datasets")
    parser.add_argument("--output", default="results/fit-settings")
    args = parser.parse_args()

    source = load_ratings(args.source)
    rows = [{"setting": "source", **structure_row("source", source)}]
    for label, settings in SETTINGS.items():
        start = time.perf_counter()
        generator = GANRS(seed=args.seed, progress=False, **settings).fit(source)
        fit_s = time.perf_counter() - start
        out = generator.sample(args.users, args.items, ratings=args.ratings, seed=args.seed)
        measures = {**fidelity(label, out, source), **structure_row(label, out)}
        rows.append({"setting": label, "fit s": round(fit_s, 1), **measures})
    frame = pd.DataFrame(rows).drop(columns=["dataset", "Gini source"], errors="ignore")
    print(tabulate(frame, headers="keys", tablefmt="github", floatfmt=".3f", showindex=False))
    if args.trials:
        trials(args)


def trials(args):
    """One benchmark run per setting into one output; each run's ranking agreement with the source."""
    base = [sys.executable, str(ROOT / "run_benchmark.py"), "--source", args.source, "--users", str(args.users),
            "--items", str(args.items), "--ratings", str(args.ratings), "--seeds", str(args.seed), "--quiet"]
    rows = []
    for label, settings in SETTINGS.items():
        flags = [f"--{k.replace('_', '-')}={v}" for k, v in settings.items()]
        output = Path(args.output) / label.split()[0]
        start = time.perf_counter()
        subprocess.run([*base, *flags, "--output", str(output)], check=True, stdout=subprocess.DEVNULL)
        agreement = pd.read_csv(output / "ranking_agreement.csv")
        top = agreement[agreement["N"] == agreement["N"].max()]
        for _, row in top.iterrows():
            rows.append({"setting": label, "q": row["q"], "N": row["N"], "kendall tau": row["kendall_tau"],
                         "run s": round(time.perf_counter() - start)})
    print(tabulate(rows, headers="keys", tablefmt="github", floatfmt=".3f"))


if __name__ == "__main__":
    main()
