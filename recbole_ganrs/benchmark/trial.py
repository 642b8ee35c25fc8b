"""One benchmark trial: train one model on one dataset with one seed, evaluate, return rows.

Rows are ``{dataset, model, seed, protocol, q, N, precision, recall, f1}`` plus
what explains them (test and relevant users, the share of test users with at
least max(N) test items, epochs run and the best epoch). Under the paper and
threshold protocols (evaluation/protocol.py) a trial also returns each relevant
test user's F1 at the largest N for every q (``{q: {"user": [...], "f1": [...]}}``),
which the report pairs between models for its significance tests. A rating model
trains once and is evaluated at every q; the binary model learns relevance at a
given q, so it trains once per q. Every model, a RecBole implicit one (BPR,
MultiVAE...) too, is ranked the same way; under the threshold protocol a model
without a rating scale has no threshold to apply.
"""
import json
import math
import os
import shutil
import tempfile

import numpy as np
import torch

from recbole_ganrs.config import benchmark_split
from recbole_ganrs.evaluation import ranked_metrics, test_items_share, test_predictions, tie_keys, within_user_rank
from recbole_ganrs.models.base import RatingRecommender
from recbole_ganrs.quick_start import run
from recbole_ganrs.registry import get_model


def learns_relevance(model_class):
    return getattr(model_class, "target_field", None) == "LABEL_FIELD"


def base_config(spec, workdir):
    config = {**spec["dataset_config"], **spec.get("recbole", {}), "seed": spec["seed"], "reproducibility": True,
              "checkpoint_dir": str(workdir), "state": "WARNING", "show_progress": False}
    if spec.get("epochs"):
        config["epochs"] = spec["epochs"]
    if spec.get("device") == "cuda":  # RecBole sets CUDA_VISIBLE_DEVICES to gpu_id: keep the GPU Ray gave this trial
        config.update(use_gpu=True, gpu_id=os.environ.get("CUDA_VISIBLE_DEVICES") or "0")
    return config


def model_config(model_class, spec, config):
    """Settings that make every model see the same split (properties/rating.yaml) with the test ratings kept."""
    split = benchmark_split()
    if spec["protocol"] == "recbole":
        return {**config, "eval_args": {**split, "mode": "full"}, "metrics": ["Precision", "Recall"],
                "topk": spec["ns"], "valid_metric": f"recall@{max(spec['ns'])}"}
    config = {**config, "eval_args": split}
    if not issubclass(model_class, RatingRecommender):  # RecBole implicit model: keep ratings for the protocol
        config.update({"load_col": {"inter": ["user_id", "item_id", "rating"]}, "metrics": ["Recall"],
                       "normalize_all": False, "normalize_field": None, "threshold": None,
                       "valid_metric": "recall@10", "eval_args": {**split, "mode": "full"}})
    return config


def row(spec, q, metric, extra, subset="all"):
    return {"dataset": spec["dataset"], "model": spec["model"], "seed": spec["seed"], "protocol": spec["protocol"],
            "q": q, "N": metric["N"], "precision": metric["precision"], "recall": metric["recall"], "f1": metric["f1"],
            "test_users": metric["test_users"], "relevant_users": metric["relevant_users"],
            "dataset_sha1": spec.get("dataset_sha1"), "subset": subset, **extra}


def cold_rows(result, pred, rank, relevant, spec, q, threshold, extra):
    """Rows of the paper protocol over the cold test users alone: those with at most ``spec["cold_k"]``
    training ratings (a cold-start scenario's users)."""
    train = result["train_data"].dataset
    counts = np.bincount(train.inter_feat[train.uid_field].numpy(), minlength=int(pred.users.max()) + 1)
    cold = counts[pred.users] <= spec["cold_k"]
    if not cold.any():
        return []
    metrics, _ = ranked_metrics(pred.users[cold], pred.scores[cold], relevant[cold], spec["ns"], spec["protocol"],
                                threshold=threshold, rank=rank[cold])
    return [row(spec, q, m, extra, subset="cold") for m in metrics]


def ranked_rows(result, spec, q_values):
    """(rows, per-user F1 at the largest N) of the paper or threshold protocol for a trained model, at each q."""
    model = result["model"]
    rating_field = result["config"]["RATING_FIELD"]
    label_field = result["config"]["LABEL_FIELD"]
    pred = test_predictions(model, result["test_data"], [rating_field, label_field])
    rank = within_user_rank(pred.users, pred.scores, pred.tie_break, tie_keys(pred.users, pred.items, spec["seed"]))
    curve = result.get("valid_curve") or []
    extra = {"share_full_n": test_items_share(pred.users, max(spec["ns"])), "epochs_run": len(curve),
             "best_epoch": best_epoch(curve, result["valid_score_bigger"])}
    rows, per_user = [], {}
    for q in q_values:
        relevant = pred.fields[label_field] > 0.5 if rating_field not in pred.fields else pred.fields[rating_field] >= q
        threshold = model.prediction_threshold(q) if isinstance(model, RatingRecommender) else -math.inf
        metrics, (user_ids, f1) = ranked_metrics(pred.users, pred.scores, relevant, spec["ns"], spec["protocol"],
                                                 threshold=threshold, rank=rank)
        rows += [row(spec, q, m, extra) for m in metrics]
        if spec.get("cold_k"):
            rows += cold_rows(result, pred, rank, relevant, spec, q, threshold, extra)
        per_user[str(q)] = {"user": user_ids.tolist(), "f1": np.round(f1, 5).tolist()}
    return rows, per_user


def best_epoch(curve, bigger):
    """1-based epoch of the best validation score (0 when nothing was validated)."""
    if not curve:
        return 0
    return int((np.argmax(curve) if bigger else np.argmin(curve)) + 1)


def recbole_rows(result, spec):
    """Rows from RecBole's own full-sort precision@N / recall@N (every test item counts as relevant)."""
    test = result["test_result"]
    rows = []
    for n in spec["ns"]:
        p, r = float(test[f"precision@{n}"]), float(test[f"recall@{n}"])
        f1 = 2 * p * r / (p + r) if p + r > 0 else 0.0
        rows.append(row(spec, math.nan, {"N": n, "precision": p, "recall": r, "f1": f1, "test_users": math.nan,
                                         "relevant_users": math.nan}, {}))
    return rows


def run_trial(spec):
    """Train and evaluate ``spec['model']`` on ``spec['dataset']``; returns (rows, per-user F1)."""
    torch.set_num_threads(spec.get("threads", 1))
    model_class = get_model(spec["model"])
    workdir = tempfile.mkdtemp(prefix="ganrs-trial-")
    try:
        config = model_config(model_class, spec, base_config(spec, workdir))
        if spec["protocol"] == "recbole":
            return recbole_rows(run(spec["model"], config_dict=config, verbose=False), spec), {}
        if learns_relevance(model_class):
            rows, per_user = [], {}
            for q in spec["qs"]:
                result = run(spec["model"], config_dict={**config, "threshold": {"rating": q}}, verbose=False,
                             test=False)
                q_rows, q_users = ranked_rows(result, spec, [q])
                rows, per_user = rows + q_rows, {**per_user, **q_users}
            return rows, per_user
        return ranked_rows(run(spec["model"], config_dict=config, verbose=False, test=False), spec, spec["qs"])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def tune_trainable(config):
    """Ray Tune function trainable: runs the trial and reports its rows."""
    import recbole_ganrs  # noqa: F401  (compat patches inside the Ray worker)
    from ray.air import session

    try:
        rows, per_user = run_trial(config["spec"])
    except Exception as exc:
        # the driver's callback gets the reason now; raising marks the trial failed in Tune
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        session.report({"rows": "[]", "error": f"{type(exc).__name__}: {message}"[:500]})
        raise
    session.report({"rows": json.dumps(rows), "n_rows": len(rows), "per_user": json.dumps(per_user)})
