"""One benchmark trial: train one model on one dataset with one seed, evaluate it under the run's protocol
(evaluation/protocols.py), return rows.

Rows are ``{dataset, model, seed, protocol, ties, q, N}`` with every metric of
evaluation/metrics.py (precision, recall, f1 = CF4J's, f1_of_means, ndcg, mrr, hit,
map) plus what explains them (test and relevant users, the share of test users with
at least max(N) test items, epochs run and the best epoch). A trial also returns its
relevant test users' per-user metrics at the largest N for every q
(``{q: {"user": [...], "f1": [...], "ndcg": [...], ...}}``), which the report pairs
between models for its significance tests. A rating model trains once and is
evaluated at every q; the binary model learns relevance at a given q, so it trains
once per q. Every model, a RecBole implicit one (BPR, MultiVAE...) too, is ranked the
same way. ``--save-predictions`` writes what each trial ranked (:func:`save_predictions`).
"""
import json
import os
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from recbole_ganrs.benchmark.trial_key import TrialSpec, params_text  # noqa: F401  (params_text: re-exported)
from recbole_ganrs.config import benchmark_split
from recbole_ganrs.datasets.croissant import split_croissant, write_croissant
from recbole_ganrs.evaluation import evaluate_lists, get_protocol, test_items_share
from recbole_ganrs.evaluation.groups import read_user_file, user_groups
from recbole_ganrs.evaluation.item_groups import COLD_ITEMS, ItemGrouping, item_memberships
from recbole_ganrs.evaluation.splits import parse_split, save_split, saved_split_folder
from recbole_ganrs.files import replaced_on_success
from recbole_ganrs.models.base import RatingRecommender
from recbole_ganrs.quick_start import run
from recbole_ganrs.registry import get_model, is_context_model, reads_item_content
from recbole_ganrs.seeds import stream


def learns_relevance(model_class):
    """The model learns the 0/1 relevance at a q (the binary model, RecBole's context-aware models): it trains
    once per q."""
    return getattr(model_class, "target_field", None) == "LABEL_FIELD" or is_context_model(model_class)


def load_columns(spec):
    """RecBole's ``load_col`` of a model that reads item features: the ratings, and the run's item attributes
    (``--item-attributes``) from the dataset's ``.item`` file where it has one."""
    load = {"inter": ["user_id", "item_id", "rating"]}
    if spec.item_fields and spec.item_file:
        load["item"] = ["item_id", *spec.item_fields]
    return load


def context_config(spec):
    """A context-aware model's settings: the label RecBole derives at each q (``threshold``, set per q), its
    validation on AUC as RecBole's context-aware defaults, and the run's item attributes as its item features."""
    return {"LABEL_FIELD": "label", "metrics": ["AUC", "LogLoss"], "valid_metric": "AUC",
            "load_col": load_columns(spec)}


def base_config(spec, workdir):
    config = {**spec.dataset_config, **spec.recbole, "seed": stream(spec.key.seed, "trial", "recbole"),
              "reproducibility": True,
              "checkpoint_dir": str(workdir), "state": "WARNING", "show_progress": False}
    if spec.epochs:
        config["epochs"] = spec.epochs
    config.update(spec.params or {})  # a --tune choice (benchmark/tuning.py) over the model's defaults
    if spec.device == "cuda":  # RecBole sets CUDA_VISIBLE_DEVICES to gpu_id: keep the GPU Ray gave this trial
        config.update(use_gpu=True, gpu_id=os.environ.get("CUDA_VISIBLE_DEVICES") or "0")
    return config


def row(spec, q, metric, extra, grouping="all", subset="all"):
    return spec.key.row(q=q, **metric, grouping=grouping, subset=subset, **extra)


def train_counts(result, users):
    """Training ratings of each of ``users`` (internal ids)."""
    train = result["train_data"].dataset
    return np.bincount(train.inter_feat[train.uid_field].numpy(), minlength=int(users.max()) + 1)[users]


def ranked_groups(result, spec, users):
    """{grouping: label per user of ``users``} (evaluation/groups.py): activity quartiles, cold / warm (a cold
    split's held-out users, or a cold-start scenario's users with at most K training ratings), the dataset's
    ``.user`` attributes."""
    dataset = result["train_data"].dataset
    tokens = dataset.id2token(dataset.uid_field, users).astype(str)
    counts = train_counts(result, users)
    cold = None
    if spec.cold_ids is not None:
        cold = np.isin(tokens, spec.cold_ids)
    elif spec.cold_k:
        cold = counts <= spec.cold_k
    user_file = read_user_file(spec.user_file, spec.condition) if spec.user_file else None
    return tokens, user_groups(tokens, counts, user_file, cold)


def ranked_item_groups(spec, ranking, dataset, protocol):
    """{grouping: {label: bool per test row}} of the item groups (evaluation/item_groups.py): the run's item
    groupings on the dataset's ``.item`` file, and, under a cold-items split, ``item:cold-start`` (cold / warm
    items). Empty where a user's candidates are not its test items (under a full sort the top slots hold any
    item: a group's own full-sort ranking is not built)."""
    if not protocol.test_candidates:
        return {}
    items, row_item = np.unique(ranking.test_items, return_inverse=True)
    row_item = row_item.reshape(-1)
    tokens = dataset.id2token(dataset.iid_field, items).astype(str)
    out = {}
    if spec.item_file and spec.item_groupings:
        groupings = [ItemGrouping.from_plain(g) for g in spec.item_groupings]
        out = {name: {label: members[row_item] for label, members in groups.items()}
               for name, groups in item_memberships(spec.item_file, groupings, tokens).items()}
    if spec.cold_item_ids is not None:
        cold = np.isin(tokens, spec.cold_item_ids)[row_item]
        out[COLD_ITEMS] = {"cold": cold, "warm": ~cold}
    return out


def item_group_rows(spec, ranking, item_groups, relevant, allowed, extra, q, protocol):
    """Rows of each item group (grouping ``item:<field>``, subset the group): each user's test items of the
    group ranked alone (evaluation/item_groups.py)."""
    out = []
    for grouping, groups in item_groups.items():
        for label, rows in groups.items():
            if not rows.any():
                continue
            part = ranking.within(rows, max(spec.ns))
            lists = part.lists(relevant[rows], None if allowed is None else np.asarray(allowed, bool)[rows])
            out += [row(spec, q, m, extra, grouping, label)
                    for m in evaluate_lists(lists, spec.ns, protocol.precision_over_all)[0]]
    return out


def relevance(pred, q, rating_field, label_field):
    """A bool per test row: relevant at ``q`` (None: every test item); the binary model's own 0/1 label."""
    if q is None:
        return np.ones(len(pred.users), bool)
    return pred.fields[label_field] > 0.5 if rating_field not in pred.fields else pred.fields[rating_field] >= q


def evaluate(result, spec, q_values):
    """(rows, per-user metrics at the largest N) of a trained model at each q, under the trial's protocol."""
    protocol = get_protocol(spec.key.protocol)
    rating_field, label_field = result["config"]["RATING_FIELD"], result["config"]["LABEL_FIELD"]
    ranking, pred = protocol.rank(result, [rating_field, label_field], spec.key.ties,
                                  stream(spec.key.seed, "trial", "ties"), max(spec.ns))
    curve = result.get("valid_curve") or []
    extra = {"share_full_n": test_items_share(pred.users, max(spec.ns)), "epochs_run": len(curve),
             "best_epoch": best_epoch(curve, result["valid_score_bigger"])}
    tokens, groups = ranked_groups(result, spec, ranking.users)
    item_groups = ranked_item_groups(spec, ranking, result["train_data"].dataset, protocol)
    rows, per_user = [], {}
    for q in q_values:
        relevant, allowed = relevance(pred, q, rating_field, label_field), protocol.allowed(result["model"], pred, q)
        lists = ranking.lists(relevant, allowed)
        metrics, users = evaluate_lists(lists, spec.ns, protocol.precision_over_all)
        rows += [row(spec, q, m, extra) for m in metrics]
        for grouping, labels in groups.items():
            for label in sorted(set(labels)):
                part = lists.select(labels == label)
                rows += [row(spec, q, m, extra, grouping, label)
                         for m in evaluate_lists(part, spec.ns, protocol.precision_over_all)[0]]
        rows += item_group_rows(spec, ranking, item_groups, relevant, allowed, extra, q, protocol)
        at = np.searchsorted(ranking.users, users["user"])  # ranking.users is sorted: each scored user's row
        per_user[str(q)] = {**{k: np.round(v, 5).tolist() for k, v in users.items() if k != "user"},
                            "user": tokens[at].tolist(),
                            **{f"group:{g}": labels[at].tolist() for g, labels in groups.items()}}
    if spec.predictions_dir:
        save_predictions(result, ranking, pred, rating_field, label_field, spec, q_values)
    return rows, per_user


def predictions_path(spec, q_values):
    """``<predictions_dir>/<Model>-seed<S>.csv``; a model trained per q (the binary one) gets one file per q."""
    suffix = f"-q{q_values[0]:g}" if learns_relevance(get_model(spec.key.model)) and q_values[0] is not None else ""
    return Path(spec.predictions_dir) / f"{spec.key.model}-seed{spec.key.seed}{suffix}.csv"


def save_predictions(result, ranking, pred, rating_field, label_field, spec, q_values):
    """Write ``user_id,item_id,rating,prediction`` (the dataset's own ids; rating empty for a candidate that is
    not a test item; the binary model's 0/1 label, its rating being gone) in the protocol's order within each
    user, so that a stable sort by prediction, descending, gives the recommended lists, ties included."""
    dataset = result["test_data"]._dataset
    users, items, rows, scores = ranking.written_rows()
    field = rating_field if rating_field in pred.fields else label_field
    rating = np.where(rows >= 0, pred.fields[field][np.maximum(rows, 0)], np.nan)
    frame = pd.DataFrame({"user_id": dataset.id2token(dataset.uid_field, users),
                          "item_id": dataset.id2token(dataset.iid_field, items),
                          "rating": rating, "prediction": scores})
    path = predictions_path(spec, q_values)
    path.parent.mkdir(parents=True, exist_ok=True)
    with replaced_on_success(path) as tmp:
        frame.to_csv(tmp, index=False, float_format="%.9g")


def best_epoch(curve, bigger):
    """1-based epoch of the best validation score (0 when nothing was validated)."""
    if not curve:
        return 0
    curve = np.asarray(curve, np.float64)
    curve = np.where(np.isnan(curve), -np.inf if bigger else np.inf, curve)  # an undefined score: the worst
    return int((np.argmax(curve) if bigger else np.argmin(curve)) + 1)


#: the RecBole name of a trial's split copy: not the dataset's own, as RecBole's Config pins the data_path of a
#: dataset named ml-100k to its bundled copy (configurator._set_default_parameters), whatever the config says
SPLIT_NAME = "split"


def write_split(spec, workdir):
    """(spec with the cold users' ids, RecBole config entries) of the trial's ``--split``: a cold split's
    three parts written under ``workdir`` (seeded by the trial seed); nothing for the random split."""
    split = parse_split(spec.key.split)
    if split.kind == "files":  # quick_start.prepare builds the parts from the saved files
        folder = saved_split_folder(split.path, spec.key.seed, spec.key.dataset)
        return spec, {"ganrs_saved_split": [str(folder), spec.key.dataset]}
    if not split.cold:
        return spec, {}
    name, data_path = spec.dataset_config["dataset"], spec.dataset_config["data_path"]
    folder = Path(workdir) / "split"
    cold = split.write(Path(data_path) / name / f"{name}.inter", folder, SPLIT_NAME, spec.key.seed)
    if spec.item_file and spec.item_fields:  # the parts' items keep their features
        shutil.copyfile(spec.item_file, folder / SPLIT_NAME / f"{SPLIT_NAME}.item")
    return (replace(spec, cold_ids=cold if split.kind == "cold-users" else None,
                    cold_item_ids=cold if split.kind == "cold-items" else None),
            split.recbole_config(folder, SPLIT_NAME))


def keep_split(result, spec):
    """--save-splits: the trial's train / valid / test parts as pre-split files (once per dataset and seed: every
    model of a seed gets the same split; a rating model's parts, which keep the ratings)."""
    if not spec.save_split:
        return
    folder = saved_split_folder(spec.save_split, spec.key.seed, spec.key.dataset)
    if not (folder / f"{spec.key.dataset}.test.inter").is_file():
        save_split([result["train_data"].dataset, result["valid_data"]._dataset, result["test_data"]._dataset],
                   folder, spec.key.dataset)
        data_path = spec.dataset_config.get("data_path")  # none for the bundled ml-100k
        origin = Path(data_path) / spec.dataset_config["dataset"] if data_path else None
        write_croissant(folder, split_croissant(folder, spec.key.dataset, spec.key.seed, origin))


def trial_config(spec, model_class, workdir):
    """(spec, RecBole config dict) of a trial: the protocol's settings, the split's files, the tuned ``params``."""
    protocol = get_protocol(spec.key.protocol)
    config = protocol.recbole_config(base_config(spec, workdir), benchmark_split(), spec.ns,
                                     issubclass(model_class, RatingRecommender) or is_context_model(model_class))
    if is_context_model(model_class):
        config.update(context_config(spec))
    elif reads_item_content(model_class):  # an implicit model (the protocol's settings) that reads attributes
        config["load_col"] = load_columns(spec)
    if is_context_model(model_class) or reads_item_content(model_class):
        split = parse_split(spec.key.split)
        fields = ", ".join(spec.item_fields or [])
        if reads_item_content(model_class) and "item" not in config["load_col"]:
            raise ValueError(f"{spec.key.dataset} has no .item file with {fields or 'item attributes'}: "
                             f"{spec.key.model} reads them")
        if split.kind == "cold-items" and split.keep == 0 and "item" not in config["load_col"]:
            raise ValueError(f"{spec.key.dataset} has no .item file with {fields}: its "
                             f"cold items could not be scored under {split.label}")
    spec, split_config = write_split(spec, workdir)
    return spec, {**config, **split_config}


def run_trial(spec):
    """Train and evaluate the :class:`TrialSpec`'s model on its dataset; returns (rows, per-user metrics, seconds
    spent preparing the data, training and evaluating)."""
    torch.set_num_threads(spec.threads)
    protocol = get_protocol(spec.key.protocol)
    model_class = get_model(spec.key.model)
    workdir = tempfile.mkdtemp(prefix="ganrs-trial-")
    seconds = {"prepare": 0.0, "train": 0.0, "evaluate": 0.0}
    try:
        spec, config = trial_config(spec, model_class, workdir)
        levels = protocol.levels(spec.qs)
        if learns_relevance(model_class) and levels == [None]:
            raise ValueError(f"{spec.key.model} learns relevance at a q; the {protocol.name} protocol has none")
        # a rating model trains once for every q; the binary model learns relevance at a q: once per q
        runs = [(None, levels)] if not learns_relevance(model_class) else [(q, [q]) for q in levels]
        rows, per_user = [], {}
        for q, evaluated in runs:
            # a checkpoint folder per q: RecBole names a checkpoint by model and second, so the q=5 run of a fast
            # trial shares the q=4 run's file name, and a run that saved nothing loaded the other's weights
            settings = config if q is None else {**config, "threshold": {"rating": q},
                                                 "checkpoint_dir": str(Path(workdir) / f"q{q:g}")}
            result = run(spec.key.model, config_dict=settings, verbose=False, test=False)
            if q is None:  # the saved split keeps the ratings: a rating model's parts
                keep_split(result, spec)
            start = time.perf_counter()
            q_rows, q_users = evaluate(result, spec, evaluated)
            seconds["evaluate"] += time.perf_counter() - start
            for stage in ("prepare", "train"):
                seconds[stage] += result["seconds"][stage]
            rows, per_user = rows + q_rows, {**per_user, **q_users}
        return rows, per_user, seconds
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def validation_score(result, spec, q):
    """``spec.metric`` at N = ``spec.tune_n`` on the validation part, relevance at ``q``, under the trial's
    protocol (what --tune maximises; the test part is not read)."""
    protocol = get_protocol(spec.key.protocol)
    rating_field, label_field = result["config"]["RATING_FIELD"], result["config"]["LABEL_FIELD"]
    ranking, pred = protocol.rank(result, [rating_field, label_field], spec.key.ties,
                                  stream(spec.key.seed, "trial", "ties"), spec.tune_n, part="valid")
    lists = ranking.lists(relevance(pred, q, rating_field, label_field), protocol.allowed(result["model"], pred, q))
    metrics, _ = evaluate_lists(lists, [spec.tune_n], protocol.precision_over_all)
    return float(metrics[0][spec.metric])


def tune_candidate(spec, report):
    """Train one --tune candidate (``spec.params``) on the training part and score it on the validation part
    at ``spec.tune_q``: ``report(score)`` after every validation epoch, then ``report(score, final=True)`` with
    the checkpoint a trial would keep (the best by the model's own validation metric)."""
    torch.set_num_threads(spec.threads)
    model_class = get_model(spec.key.model)
    q = spec.tune_q
    workdir = tempfile.mkdtemp(prefix="ganrs-tune-")
    try:
        spec, config = trial_config(spec, model_class, workdir)
        if learns_relevance(model_class):
            config["threshold"] = {"rating": q}
        result = run(spec.key.model, config_dict=config, verbose=False, test=False,
                     on_validation=lambda epoch, parts: report(validation_score(parts, spec, q)))
        report(validation_score(result, spec, q), final=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def error_line(exc):
    """A failed trial's reason in one line: the exception's type and its first line."""
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {message}"[:500]


def tune_trainable(config):
    """Ray Tune function trainable: runs the trial and reports its rows."""
    import recbole_ganrs  # noqa: F401  (compat patches inside the Ray worker)
    from ray.air import session

    try:
        rows, per_user, seconds = run_trial(TrialSpec.from_ray(config["spec"]))
    except Exception as exc:
        # the driver's callback gets the reason now; raising marks the trial failed in Tune
        session.report({"rows": "[]", "error": error_line(exc)})
        raise
    session.report({"rows": json.dumps(rows), "n_rows": len(rows), "per_user": json.dumps(per_user),
                    "seconds": json.dumps(seconds)})
