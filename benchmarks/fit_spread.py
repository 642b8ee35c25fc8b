"""Fit-seed spread of GANRS's data: the structure measures over several fit seeds, per centre matching.

    python benchmarks/fit_spread.py                                   # ml-100k, 2,000 x 4,000, 353,269 ratings
    python benchmarks/fit_spread.py --source ../shared/data/filmtrust/ratings.txt --duplicates mean \
        --min-user-ratings 2 --size 2000x2000xr50000

Each fit seed S fits one GANRS (``GANRS(seed=S)``) and samples it at sample seed S (a dataset seed's
replicate, as the benchmark makes it), or at each of ``--sample-seeds`` (to tell the fit's part of the
spread from the sample's), once per ``--matchings`` value (a sampling setting: the same fit serves every
matching). Prints one row per (fit seed, sample seed, matching), then per matching the min / max / std
of each measure and its range as a share of the source's.
"""
import argparse
import time

import numpy as np
import pandas as pd
from tabulate import tabulate

import recbole_ganrs  # noqa: F401
from recbole_ganrs.data import load_ratings
from recbole_ganrs.data.prepare import prepare_source
from recbole_ganrs.generator import GANRS
from recbole_ganrs.generator.rating_head import CENTRE_MATCHINGS
from recbole_ganrs.stats.structure import structure_row

MEASURES = ("within-user std", "user-mean std", "item-mean std", "bias RMSE", "MF RMSE")


def parse_size(text):
    users, items, ratings = text.lower().split("x")
    return int(users), int(items), int(ratings.lstrip("r"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default="ml-100k")
    parser.add_argument("--duplicates", default="error", help="as run_benchmark.py's")
    parser.add_argument("--min-user-ratings", type=int, default=1)
    parser.add_argument("--data-dir", default="dataset_atomic", help="where a converted source is written")
    parser.add_argument("--size", type=parse_size, default=(2000, 4000, 353_269), help="USERSxITEMSxrRATINGS")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--sample-seeds", nargs="+", type=int, default=None,
                        help="sample every fit at these seeds (default: each fit at its own seed)")
    parser.add_argument("--matchings", nargs="+", default=list(CENTRE_MATCHINGS), choices=CENTRE_MATCHINGS)
    args = parser.parse_args()

    source = load_ratings(prepare_source(args.source, args.data_dir, args.duplicates, args.min_user_ratings))
    real = structure_row("source", source)
    users, items, ratings = args.size
    rows = []
    for seed in args.seeds:
        start = time.perf_counter()
        generator = GANRS(seed=seed, progress=False).fit(source)
        fit_s = time.perf_counter() - start
        for sample_seed in args.sample_seeds or [seed]:
            for matching in args.matchings:
                out = generator.sample(users, items, seed=sample_seed, ratings=ratings, centre_matching=matching)
                rows.append({"fit seed": seed, "sample seed": sample_seed, "matching": matching,
                             "fit s": round(fit_s, 1), **{m: structure_row("x", out)[m] for m in MEASURES}})
                print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    print(f"\n{args.source}: {len(source):,} ratings; synthetic {users:,} x {items:,}, {ratings:,} ratings")
    print(tabulate([{"dataset": "source", **{m: real[m] for m in MEASURES}}], headers="keys", tablefmt="github"))
    print()
    print(tabulate(table, headers="keys", tablefmt="github", showindex=False))
    summary = []
    for matching, group in table.groupby("matching", sort=False):
        for m in MEASURES:
            share = group[m].to_numpy() / real[m] - 1
            summary.append({"matching": matching, "measure": m, "min": group[m].min(), "max": group[m].max(),
                            "vs source": f"{100 * share.min():+.0f}% .. {100 * share.max():+.0f}%",
                            "std over seeds": round(float(np.std(group[m], ddof=1)), 3)})
    print()
    print(tabulate(summary, headers="keys", tablefmt="github", showindex=False))


if __name__ == "__main__":
    main()
