"""Item cold start: models that read item attributes on items nobody rated in training, source vs synthetic.

    python benchmarks/cold_items.py --synthetic dataset_atomic/ganrs-ml-100k-u2000-...   # made with
                                                 # --item-attributes release_year,class
    python benchmarks/cold_items.py --synthetic DIR --models CVAE --seeds 0

Each dataset (RecBole's ml-100k and the synthetic folder) is split ``cold-items:0.3:0`` by each trial seed: 30%
of the items lose every training rating, their ratings are test items of whoever rated them. Each model trains
once per seed (FM once per q), and each user's cold test items are ranked alone (results grouping
``item:cold-start``, as the benchmark reports them), under the paper protocol (a user's test items, relevant =
rating >= q). The chance line is RecBole's Pop: a cold item has no training count, so every cold item ties at 0
and the trial's seeded random order ranks them (ItemKNN's similarities are 0 as well, BPR's cold embeddings its
random initialisation: chance too; the benchmark refuses them under this split rather than report chance).
Printed: NDCG@10 and precision@10 at each q, mean +- std over the seeds, per dataset and model.
"""
import argparse
from pathlib import Path

import pandas as pd
from tabulate import tabulate

import recbole_ganrs  # noqa: F401
from recbole_ganrs.benchmark.trial import run_trial
from recbole_ganrs.benchmark.trial_key import TrialSpec
from recbole_ganrs.data import resolve_source
from recbole_ganrs.evaluation.item_groups import item_file

FIELDS = ["release_year", "class"]


def datasets(synthetic):
    """(name, RecBole data_path) of the source and the synthetic folder."""
    source = resolve_source("ml-100k").inter_path.parent
    folder = Path(synthetic).resolve()
    return [("ml-100k", str(source.parent)), (folder.name, str(folder.parent))]


def cold_rows(name, data_path, model, seed, n):
    spec = TrialSpec.of(dataset=name, dataset_config={"dataset": name, "data_path": data_path}, model=model,
                        seed=seed, ties="random", split="cold-items:0.3:0", ns=[n], qs=[4.0, 5.0],
                        protocol="paper", item_file=item_file(data_path, name), item_fields=FIELDS)
    frame = pd.DataFrame(run_trial(spec)[0])
    return frame[(frame["grouping"] == "item:cold-start") & (frame["subset"] == "cold")]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--synthetic", required=True, help="a GANRS folder made with --item-attributes "
                                                           "release_year,class")
    parser.add_argument("--models", nargs="+", default=["Pop", "CVAE", "LARA", "FM"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--n", type=int, default=10)
    args = parser.parse_args()
    rows = []
    for name, data_path in datasets(args.synthetic):
        for model in args.models:
            for seed in args.seeds:
                part = cold_rows(name, data_path, model, seed, args.n)
                for r in part.itertuples():
                    rows.append({"dataset": name, "model": model, "seed": seed, "q": r.q, "ndcg": r.ndcg,
                                 "precision": r.precision})
                print(f"{name} {model} seed {seed}: " + ", ".join(
                    f"q={r.q:g} NDCG@{args.n} {r.ndcg:.3f}" for r in part.itertuples()), flush=True)
    frame = pd.DataFrame(rows)
    table = (frame.groupby(["dataset", "model", "q"], sort=False)[["ndcg", "precision"]]
             .agg(lambda s: f"{s.mean():.3f} +- {s.std(ddof=1) if len(s) > 1 else 0:.3f}").reset_index())
    print(f"\neach user's cold test items ranked alone, {args.n} at most; mean +- std over seeds {args.seeds}")
    print(tabulate(table, headers=["dataset", "model", "q", f"NDCG@{args.n}", f"precision@{args.n}"],
                   tablefmt="github", showindex=False))


if __name__ == "__main__":
    main()
