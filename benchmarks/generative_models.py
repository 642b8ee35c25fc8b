"""The generative recommenders (CFGAN, the collaborative VAE, LARA, MultiVAE) checked against their papers.

    python benchmarks/generative_models.py                            # every model, seeds 0-2
    python benchmarks/generative_models.py --models CFGAN --seeds 0
    python benchmarks/generative_models.py --models CFGAN --split authors --cfgan-split DIR   # the authors' split
    python benchmarks/generative_models.py --export DIR               # write each seed's split for Cornac

The protocol of CFGAN's paper (and of the ECIR 2022 replication study that records its figures): MovieLens-100K,
every rating an implicit purchase, 80% of the ratings (at random, not per user) to train and 20% to test, no
validation; every item the user did not buy in training is a candidate; precision, recall and NDCG at 5 and 20
(RecBole's definitions are the authors' evaluation.py's). Each model trains its properties file's epochs through
RecBole's trainer and is tested after its last epoch (CFGAN: 250 epochs = 1,000 generator passes, the top of the
authors' 750-1,000). ``--split authors --cfgan-split DIR`` runs CFGAN on the authors' own ML100K.train /
ML100K.test (from their repository, not shipped here; ids as they are) instead.

The collaborative VAE and LARA read the items' release year and genres (``class``). MultiVAE is RecBole's own: the
check is that it runs by name through the plugin with the same figures as RecBole's run_recbole. Printed: one row
per (model, split, seed), then mean and std per model beside the paper's figures.
"""
import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from tabulate import tabulate

import recbole_ganrs  # noqa: F401  (registers the plugin's models with RecBole)
from recbole_ganrs.quick_start import run
from recbole_ganrs.seeds import stream

#: CFGAN's figures on MovieLens-100K as the ECIR 2022 replication study records them (CIKM 2018, Table 3)
PAPER = {"CFGAN": {"precision@5": 0.444, "precision@20": 0.294, "recall@20": 0.360, "ndcg@5": 0.476,
                   "ndcg@20": 0.433}}
METRICS = ["precision@5", "precision@20", "recall@5", "recall@20", "ndcg@5", "ndcg@20"]
CONTENT = {"item": ["item_id", "release_year", "class"]}


def protocol(seed, content):
    """RecBole settings of the papers' protocol: 80/20 at random over all ratings, no validation, full sort."""
    load = {"inter": ["user_id", "item_id", "rating"], **(CONTENT if content else {})}
    return {"load_col": load, "state": "WARNING", "show_progress": False, "seed": stream(seed, "trial", "recbole"),
            "reproducibility": True, "metrics": ["Precision", "Recall", "NDCG"], "topk": [5, 20],
            "valid_metric": "recall@20", "eval_step": 0,  # no validation: train every epoch, test the last
            "eval_args": {"split": {"RS": [0.8, 0.0, 0.2]}, "order": "RO", "group_by": None, "mode": "full"}}


def authors_split(folder, workdir):
    """CFGAN's authors' ML100K.train / .test as RecBole pre-split files (an empty validation part)."""
    out = Path(workdir) / "cfgan-split"
    out.mkdir(parents=True, exist_ok=True)
    header = "user_id:token\titem_id:token\trating:float\n"
    for part, name in (("train", "ML100K.train"), ("test", "ML100K.test")):
        frame = pd.read_csv(Path(folder) / name, sep=" ", header=None, names=["u", "i", "r"])
        with open(out / f"cfgan-split.{part}.inter", "w", encoding="utf-8") as f:
            f.write(header)
            frame.to_csv(f, sep="\t", header=False, index=False)
    (out / "cfgan-split.valid.inter").write_text(header, encoding="utf-8")
    return {"data_path": str(Path(workdir)), "benchmark_filename": ["train", "valid", "test"],
            "load_col": {"inter": ["user_id", "item_id", "rating"]}}


def export_split(result, folder, seed):
    """The seed's train and test parts (RecBole's tokens) and the items' attributes, for Cornac's CVAE."""
    out = Path(folder) / f"seed{seed}"
    out.mkdir(parents=True, exist_ok=True)
    for part, dataset in (("train", result["train_data"].dataset), ("test", result["test_data"]._dataset)):
        users = dataset.id2token(dataset.uid_field, dataset.inter_feat[dataset.uid_field].numpy())
        items = dataset.id2token(dataset.iid_field, dataset.inter_feat[dataset.iid_field].numpy())
        pd.DataFrame({"user_id": users, "item_id": items}).to_csv(out / f"{part}.csv", index=False)


def run_model(model, dataset, config, workdir):
    start = time.perf_counter()
    result = run(model, dataset, config_dict={**config, "checkpoint_dir": str(workdir)}, verbose=False)
    return result, {m: float(result["test_result"][m]) for m in METRICS}, time.perf_counter() - start


def recbole_matches(config, seed, workdir):
    """MultiVAE through RecBole's own run_recbole with the same settings (the plugin's overall defaults given
    explicitly: RecBole's Config does not read them for its own models): its test figures."""
    import yaml
    from recbole.quick_start import run_recbole

    from recbole_ganrs.config import properties_dir

    overall = yaml.safe_load((properties_dir() / "overall.yaml").read_text(encoding="utf-8"))
    out = run_recbole(model="MultiVAE", dataset="ml-100k",
                      config_dict={**overall, **config, "checkpoint_dir": str(workdir)}, saved=False)
    return {m: float(out["test_result"][m]) for m in METRICS}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=["CFGAN", "MultiVAE", "CVAE", "LARA"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--split", choices=["random", "authors"], default="random",
                        help="random 80/20 of RecBole's ml-100k, or CFGAN's authors' own (CFGAN only; --cfgan-split)")
    parser.add_argument("--cfgan-split", help="folder with the CFGAN authors' ML100K.train and ML100K.test")
    parser.add_argument("--export", help="write each seed's split here (for benchmarks/cornac_cvae.py)")
    parser.add_argument("--epochs", type=int, help="override every model's epochs (a quick look)")
    args = parser.parse_args()
    if args.split == "authors" and (args.models != ["CFGAN"] or not args.cfgan_split):
        parser.error("--split authors: CFGAN only (--models CFGAN), with --cfgan-split DIR")
    workdir = tempfile.mkdtemp(prefix="ganrs-generative-")
    rows = []
    try:
        for seed in args.seeds:
            for model in args.models:
                config = protocol(seed, content=model in ("CVAE", "LARA"))
                dataset, label = "ml-100k", "random 80/20"
                if args.split == "authors":
                    config, dataset, label = {**config, **authors_split(args.cfgan_split, workdir)}, "cfgan-split", \
                        "authors' ML100K"
                if args.epochs:
                    config["epochs"] = args.epochs
                result, figures, seconds = run_model(model, dataset, config, workdir)
                rows.append({"model": model, "split": label, "seed": seed, **figures, "seconds": seconds})
                print(tabulate([rows[-1]], headers="keys", floatfmt=".4f"), flush=True)
                if model == "MultiVAE":
                    theirs = recbole_matches(config, seed, workdir)
                    print(f"MultiVAE through RecBole's run_recbole, same settings: largest difference "
                          f"{max(abs(theirs[m] - figures[m]) for m in METRICS):.2g}", flush=True)
                if args.export and model == "CVAE":
                    export_split(result, args.export, seed)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    frame = pd.DataFrame(rows)
    summary = []
    for (model, split), part in frame.groupby(["model", "split"], sort=False):
        cells = {m: f"{part[m].mean():.3f} +- {part[m].std(ddof=1) if len(part) > 1 else 0:.3f}" for m in METRICS}
        summary.append({"model": model, "split": split, "seeds": len(part), **cells,
                        "s / seed": f"{part['seconds'].mean():.0f}"})
        if model in PAPER:
            summary.append({"model": f"{model} (paper)", "split": "", "seeds": "",
                            **{m: PAPER[model].get(m, "") for m in METRICS}, "s / seed": ""})
            summary.append({"model": "  ours / paper", "split": split, "seeds": "",
                            **{m: f"{part[m].mean() / PAPER[model][m]:.2f}" if m in PAPER[model] else ""
                               for m in METRICS}, "s / seed": ""})
    print("\nmean +- std over seeds (RecBole's definitions = the CFGAN authors' evaluation.py)")
    print(tabulate(summary, headers="keys", tablefmt="github"))


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
