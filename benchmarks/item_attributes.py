"""Synthetic items with attributes: the item side of GANRS datasets against their source, over fit seeds.

    python benchmarks/item_attributes.py                      # ml-100k, release_year and class, fits 0-2
    python benchmarks/item_attributes.py --fits 0 --users 2000

Each cell is (users, fit seed): a GANRS fit with ``item_attributes`` (seed S) sampled at 4,000 items and Table
IV's ratings (2,000 users at 353,269, 8,000 at 509,193), its items' attributes measured against the source's
(stats/items.py). Printed first the reference: the item detection AUC of two random halves of the source's users (the same items,
rated by other users: what sampling alone gives); then one row per cell, then mean [min, max] over the fits per
size, beside the targets of the item-attributes issue.
"""
import argparse

import numpy as np
import pandas as pd
from tabulate import tabulate

import recbole_ganrs  # noqa: F401
from recbole_ganrs.data import load_ratings, resolve_source
from recbole_ganrs.data.items import item_file_of, read_items
from recbole_ganrs.generator import GANRS, SampleRequest
from recbole_ganrs.datasets.halves import split_users
from recbole_ganrs.stats.items import item_detection_auc, item_fidelity

SIZES = {2000: 353_269, 8000: 509_193}
TARGETS = {"class share TVD": "<= 0.03", "class pairs r": ">= 0.9", "class mean rating r": ">= 0.8",
           "class popularity r": ">= 0.8", "release_year KS": "<= 0.08", "item detection AUC": "<= 0.7"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fields", default="release_year,class")
    parser.add_argument("--users", nargs="+", type=int, default=list(SIZES), choices=list(SIZES))
    parser.add_argument("--fits", nargs="+", type=int, default=[0, 1, 2])
    args = parser.parse_args()
    source = load_ratings("ml-100k")
    real, kinds = read_items(item_file_of(resolve_source("ml-100k").inter_path))
    kinds = {f: kinds[f] for f in args.fields.split(",")}
    src = source.assign(item_id=source["item_id"].astype(str))
    items = real.set_axis(real.index.astype(str))
    halves = []
    for split in range(3):
        a, _ = split_users(src["user_id"].to_numpy(), split)
        mine = src["user_id"].isin(a)
        halves.append(item_detection_auc(src[mine], items, src[~mine], items, kinds))
    print(f"reference: item detection AUC of two halves of the source's users, 3 splits: {halves}", flush=True)
    rows = []
    for fit in args.fits:
        gen = GANRS(item_attributes=args.fields, seed=fit, progress=False).fit("ml-100k")
        for users in args.users:
            sample = gen.sample_request(SampleRequest(users, 4000, ratings=SIZES[users], seed=fit))
            items = sample.items.astype({"item_id": str}).set_index("item_id")
            ratings = sample.ratings.assign(item_id=sample.ratings["item_id"].astype(str))
            row = item_fidelity(f"u{users} fit{fit}", ratings, items, src, real.set_axis(real.index.astype(str)),
                                kinds)
            rows.append({"users": users, **row})
            print(tabulate([row], headers="keys", tablefmt="github"), flush=True)
    frame = pd.DataFrame(rows)
    summary = []
    for measure, target in TARGETS.items():
        if measure not in frame:
            continue
        line = {"measure": measure, "target": target}
        for users, part in frame.groupby("users"):
            v = part[measure].to_numpy(np.float64)
            line[f"{users} users ({len(v)} fits)"] = f"{v.mean():.3f} [{v.min():.3f}, {v.max():.3f}]"
        summary.append(line)
    print("\n" + tabulate(summary, headers="keys", tablefmt="github"))


if __name__ == "__main__":
    main()
