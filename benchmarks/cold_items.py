"""Item cold start: models that read item attributes recommending items nobody rated in training, source vs
synthetic.

    python benchmarks/cold_items.py --synthetic dataset_atomic/ganrs-ml-100k-u2000-...   # made with
                                                 # --item-attributes release_year,class
    python benchmarks/cold_items.py --synthetic DIR --models CVAE --seeds 0

Each dataset (RecBole's ml-100k and the synthetic folder) is split ``cold-items:0.3:0`` by each trial seed, as
the benchmark splits it: 30% of the items lose every training rating, and their ratings are test items of
whoever rated them. Each model trains once per seed (FM, which learns rating >= q, once per q) through the
benchmark's trial settings. Then, as the new-item papers evaluate (CVAE, LARA): every user with a cold test item
gets all the cold items ranked by the model's scores; relevant are the user's cold test items rated >= q;
NDCG, precision and recall at N, averaged over the users with a relevant one. Chance: the same lists in a
random order (seeded); a model that cannot read attributes (Pop, ItemKNN, BPR, the six) sees every cold item
the same way (no count, no similarity, an untrained embedding) and is at chance, which is why the benchmark
refuses them under this split. Printed: mean +- std over the seeds per dataset, model and q.
"""
import argparse
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from recbole.data.interaction import Interaction
from tabulate import tabulate

import recbole_ganrs  # noqa: F401
from recbole_ganrs.benchmark.trial import learns_relevance, trial_config
from recbole_ganrs.benchmark.trial_key import TrialSpec
from recbole_ganrs.data import resolve_source
from recbole_ganrs.evaluation.item_groups import item_file
from recbole_ganrs.quick_start import run
from recbole_ganrs.registry import get_model
from recbole_ganrs.seeds import rng

FIELDS = ["release_year", "class"]
QS = [4.0, 5.0]


def datasets(synthetic):
    """(name, RecBole data_path) of the source and the synthetic folder."""
    source = resolve_source("ml-100k").inter_path.parent
    folder = Path(synthetic).resolve()
    return [("ml-100k", str(source.parent)), (folder.name, str(folder.parent))]


def trained(name, data_path, model, seed, q, workdir):
    """(the run's result, the cold items' internal ids) of ``model`` trained on the trial seed's cold split."""
    spec = TrialSpec.of(dataset=name, dataset_config={"dataset": name, "data_path": data_path}, model=model,
                        seed=seed, ties="random", split="cold-items:0.3:0", ns=[10], qs=QS, protocol="paper",
                        item_file=item_file(data_path, name), item_fields=FIELDS)
    spec, config = trial_config(spec, get_model(model), workdir)
    if learns_relevance(get_model(model)):
        config = {**config, "threshold": {"rating": q}}
    result = run(model, config_dict={**config, "checkpoint_dir": str(Path(workdir) / f"{model}-q{q:g}")},
                 verbose=False, test=False)
    dataset = result["test_data"]._dataset
    known = [t for t in spec.cold_item_ids if t in dataset.field2token_id[dataset.iid_field]]
    return result, np.asarray(dataset.token2id(dataset.iid_field, known), dtype=np.int64)


@torch.no_grad()
def cold_scores(result, users, cold):
    """[len(users), len(cold)] scores of every (user, cold item) pair (item features joined, as RecBole's loaders
    join them for a context-aware model)."""
    model, dataset = result["model"].eval(), result["test_data"]._dataset
    uid, iid = dataset.uid_field, dataset.iid_field
    rows = []
    for user in users:
        pairs = Interaction({uid: torch.full((len(cold),), int(user)), iid: torch.from_numpy(cold)})
        rows.append(model.predict(dataset.join(pairs).to(model.device)).float().cpu().numpy())
    return np.stack(rows)


def list_metrics(order, relevant, n):
    """(NDCG, precision, recall) at n of one user's ranked cold items (``order``: their positions by score)."""
    hits = relevant[order[:n]]
    ideal = np.sort(relevant)[::-1][:n]
    discounts = 1.0 / np.log2(np.arange(2, n + 2))
    return (hits @ discounts[: len(hits)]) / (ideal @ discounts[: len(ideal)]), hits.sum() / n, hits.sum() / relevant.sum()


def evaluate(result, cold, q, n, seed):
    """{model: (NDCG, precision, recall), chance: ...} at n, q over the users with a relevant cold test item."""
    dataset = result["test_data"]._dataset
    users_t = dataset.inter_feat[dataset.uid_field].numpy()
    items_t = dataset.inter_feat[dataset.iid_field].numpy()
    fields = dataset.inter_feat.interaction
    # a model trained on the label RecBole derives at q (FM) has the label in place of the rating
    liked = fields["rating"].numpy() >= q if "rating" in fields else fields["label"].numpy() > 0.5
    position = {item: k for k, item in enumerate(cold)}
    keep = np.isin(items_t, cold) & liked
    users = np.unique(users_t[keep])
    scores = cold_scores(result, users, cold)
    random = rng(seed, "trial", "ties")
    found, chance = [], []
    for row, user in enumerate(users):
        relevant = np.zeros(len(cold))
        relevant[[position[i] for i in items_t[keep & (users_t == user)]]] = 1.0
        found.append(list_metrics(np.argsort(-scores[row], kind="stable"), relevant, n))
        chance.append(list_metrics(random.permutation(len(cold)), relevant, n))
    return np.mean(found, axis=0), np.mean(chance, axis=0), len(users)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--synthetic", required=True, help="a GANRS folder made with --item-attributes "
                                                           "release_year,class")
    parser.add_argument("--models", nargs="+", default=["CVAE", "LARA", "FM"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--n", type=int, default=10)
    parser.add_argument("--on", nargs="+", choices=["source", "synthetic"], default=["source", "synthetic"],
                        help="which datasets (default both)")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="ganrs-cold-")
    rows = []
    try:
        for (name, data_path), which in zip(datasets(args.synthetic), ["source", "synthetic"]):
            if which not in args.on:
                continue
            for model in args.models:
                for seed in args.seeds:
                    result = None
                    for q in QS:
                        if result is None or learns_relevance(get_model(model)):
                            result, cold = trained(name, data_path, model, seed, q, workdir)
                        found, chance, users = evaluate(result, cold, q, args.n, seed)
                        for label, values in ((model, found), ("chance", chance)):
                            rows.append({"dataset": name, "model": label, "seed": seed, "q": q, "users": users,
                                         "cold items": len(cold), **dict(zip(["ndcg", "precision", "recall"],
                                                                             values))})
                        print(f"{name} {model} seed {seed} q={q:g}: NDCG@{args.n} {found[0]:.3f} "
                              f"(chance {chance[0]:.3f}), {users} users, {len(cold)} cold items", flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    frame = pd.DataFrame(rows).drop_duplicates(["dataset", "model", "seed", "q"])  # chance once per seed
    table = (frame.groupby(["dataset", "model", "q"], sort=False)[["ndcg", "precision", "recall"]]
             .agg(lambda s: f"{s.mean():.3f} +- {s.std(ddof=1) if len(s) > 1 else 0:.3f}").reset_index())
    print(f"\nevery cold item ranked for each user with a relevant one; mean +- std over seeds {args.seeds}")
    print(tabulate(table, headers=["dataset", "model", "q", f"NDCG@{args.n}", f"precision@{args.n}",
                                   f"recall@{args.n}"], tablefmt="github", showindex=False))


if __name__ == "__main__":
    main()
