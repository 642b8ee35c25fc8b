"""Whole users: per-user measures of GANRS datasets against their source, over fit seeds.

    python benchmarks/whole_users.py generate --out /tmp/wu-after          # sample every cell, save the frames
    python benchmarks/whole_users.py measure /tmp/wu-after                 # one table per source and size
    python benchmarks/whole_users.py measure /tmp/wu-after --before /tmp/wu-before   # cells "before -> after"

A cell is (source, users, fit seed): ml-100k at Table IV's sizes (2,000 x 4,000 at 353,269 ratings, 8,000 x 4,000
at 509,193) and FilmTrust (``--duplicates first --min-user-ratings 2``, as the CLI converts it) at 2,000 x 2,000 at
50,000 ratings and 8,000 x 2,000 at 200,000 (its own 23.5 ratings a user); fit seed S fits and samples (seed S).
``generate`` only uses ``GANRS(...).fit`` and ``sample``, so the same file run with an older checkout's package
first on PYTHONPATH makes the "before" frames, and ``measure`` (this checkout's measures) reads both.

Printed per (source, size): each measure of the source, then mean [min, max] over the fits; the targets of the
whole-users issue beside them.
"""
import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from tabulate import tabulate

import recbole_ganrs  # noqa: F401
from recbole_ganrs.data import load_ratings
from recbole_ganrs.data.prepare import filter_counts
from recbole_ganrs.data.sources import drop_duplicates
from recbole_ganrs.generator import GANRS

FILMTRUST = Path(__file__).resolve().parents[2] / "shared" / "data" / "filmtrust" / "ratings.txt"
CELLS = {"ml-100k": [(2000, 4000, 353_269), (8000, 4000, 509_193)],
         "filmtrust": [(2000, 2000, 50_000), (8000, 2000, 200_000)]}


def source_frame(name):
    if name == "ml-100k":
        return load_ratings("ml-100k")
    return filter_counts(drop_duplicates(load_ratings(FILMTRUST), "first"), 2, 1)


def generate(args):
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name in args.sources:
        source = source_frame(name)
        for fit in args.fits:
            start = time.perf_counter()
            gen = GANRS(seed=fit, progress=False).fit(source)
            fit_s = time.perf_counter() - start
            for users, items, ratings in CELLS[name]:
                if users not in args.users:
                    continue
                start = time.perf_counter()
                frame = gen.sample(users, items, ratings=ratings, seed=fit)
                seconds = time.perf_counter() - start
                frame[["user_id", "item_id", "rating"]].to_pickle(out / f"{name}-{users}-fit{fit}.pkl")
                print(f"{name} {users} users fit {fit}: fit {fit_s:.1f} s, sample {seconds:.1f} s, {len(frame)} ratings",
                      flush=True)


def measures(frame, source):
    from recbole_ganrs.stats.detection import detection_auc
    from recbole_ganrs.stats.fidelity import fidelity
    from recbole_ganrs.stats.structure import structure_row

    row = {**structure_row("", frame), **fidelity("", frame, source)}
    if frame is not source:
        row["detection AUC"] = detection_auc(frame, source)
    qs = [k for k in row if k.startswith("user share >=")]
    keep = ["detection AUC", "activity-rating r", *qs, *[k for k in row if k.startswith("share >=")],
            "within-user std", "user-mean std", "item-mean std", "MF RMSE", "activity KS", "popularity KS",
            "rating TVD"]
    return {k: row[k] for k in keep if k in row}


def spread(values):
    values = np.asarray(values, np.float64)
    return f"{values.mean():.3f} [{values.min():.3f}, {values.max():.3f}]"


def cells(folder, name, users):
    return sorted(Path(folder).glob(f"{name}-{users}-fit*.pkl"))


def measure(args):
    for name in CELLS:
        source = source_frame(name)
        base = measures(source, source)
        for users, _, _ in CELLS[name]:
            after = [measures(pd.read_pickle(p), source) for p in cells(args.folder, name, users)]
            if not after:
                continue
            before = [measures(pd.read_pickle(p), source) for p in cells(args.before, name, users)] if args.before else []
            rows = []
            for key in after[0]:
                row = {"measure": key, "source": f"{base[key]:.3f}" if key in base else ""}
                if before:
                    row[f"before ({len(before)} fits)"] = spread([b[key] for b in before])
                row[f"after ({len(after)} fits)"] = spread([a[key] for a in after])
                rows.append(row)
            print(f"\n{name}, {users} users")
            print(tabulate(rows, headers="keys", tablefmt="github"), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate")
    gen.add_argument("--out", required=True)
    gen.add_argument("--sources", nargs="+", default=list(CELLS), choices=list(CELLS))
    gen.add_argument("--users", nargs="+", type=int, default=[2000, 8000])
    gen.add_argument("--fits", nargs="+", type=int, default=[0, 1, 2])
    mes = sub.add_parser("measure")
    mes.add_argument("folder")
    mes.add_argument("--before")
    args = parser.parse_args()
    generate(args) if args.command == "generate" else measure(args)


if __name__ == "__main__":
    main()
