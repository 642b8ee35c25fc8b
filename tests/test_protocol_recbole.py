"""The full-ranking protocols on trained models: RecBole's own evaluator agrees with the ``recbole`` protocol,
and ``--save-predictions`` files recompute the paper protocol's metrics."""
import numpy as np
import pandas as pd
import pytest

from recbole_ganrs.benchmark.trial import evaluate, run_trial
from recbole_ganrs.config import benchmark_split
from recbole_ganrs.evaluation import get_protocol
from recbole_ganrs.benchmark.trial_key import TrialSpec
from recbole_ganrs.quick_start import run

METRICS = ["Precision", "Recall", "NDCG", "MRR", "Hit", "MAP"]


def spec_for(tiny_config, model, protocol, **extra):
    return TrialSpec.of(**{"dataset": "tiny", "dataset_config": {"dataset": "tiny", "data_path": tiny_config["data_path"]},
            "model": model, "seed": 0, "protocol": protocol, "ties": "random", "ns": [2, 5], "qs": [4.0, 5.0],
            "epochs": 3, **extra})


@pytest.mark.parametrize("model", ["DeepMF", "BPR"])
def test_recbole_protocol_matches_recbole_evaluator(model, tiny_config):
    protocol = get_protocol("recbole")
    config = protocol.recbole_config({**tiny_config, "epochs": 3, "seed": 0}, benchmark_split(), [2, 5],
                                     model == "DeepMF")
    result = run(model, config_dict={**config, "metrics": METRICS, "topk": [2, 5]}, verbose=False)
    spec = spec_for(tiny_config, model, "recbole")
    rows, _ = evaluate(result, spec, protocol.levels(spec.qs))
    ours = {r["N"]: r for r in rows if r["grouping"] == "all"}
    for n in (2, 5):
        for metric in METRICS:
            assert ours[n][metric.lower()] == pytest.approx(result["test_result"][f"{metric.lower()}@{n}"], abs=1e-4)


def test_full_protocol_never_recommends_a_training_item(tiny_config, tmp_path):
    spec = spec_for(tiny_config, "DeepMF", "full", predictions_dir=str(tmp_path / "pred"))
    rows, _, _ = run_trial(spec)
    written = pd.read_csv(tmp_path / "pred" / "DeepMF-seed0.csv")
    ratings = pd.read_csv(f"{tiny_config['data_path']}/tiny/tiny.inter", sep="\t")
    ratings.columns = ["user_id", "item_id", "rating"]
    tested = written.dropna(subset=["rating"])
    known = ratings.merge(written[written["rating"].isna()], on=["user_id", "item_id"])
    assert known.empty  # a candidate that is not a test item was never rated (training or validation)
    assert len(tested) > 0 and written[written["rating"].isna()].groupby("user_id").size().max() <= 5
    assert {(r["q"], r["N"]) for r in rows} == {(4.0, 2), (4.0, 5), (5.0, 2), (5.0, 5)}


def test_saved_predictions_recompute_the_paper_protocol(tiny_config, tmp_path):
    spec = spec_for(tiny_config, "NCFClassification", "paper", predictions_dir=str(tmp_path / "pred"))
    rows, _, _ = run_trial(spec)
    frame = pd.read_csv(tmp_path / "pred" / "NCFClassification-seed0.csv")
    assert list(frame.columns) == ["user_id", "item_id", "rating", "prediction"]
    for row in (r for r in rows if r["grouping"] == "all"):  # recomputed from the file alone: stable sort by prediction, top N, relevant = rating >= q
        ranked = frame.assign(pos=np.arange(len(frame))).sort_values(["user_id", "prediction", "pos"],
                                                                      ascending=[True, False, True], kind="stable")
        top = ranked.groupby("user_id").head(row["N"])
        hits = (top["rating"] >= row["q"]).groupby(top["user_id"]).sum()
        n_rec = top.groupby("user_id").size()
        n_rel = (frame["rating"] >= row["q"]).groupby(frame["user_id"]).sum()
        precision, recall = hits / n_rec, (hits / n_rel)[n_rel > 0]
        f1 = (2 * precision * recall / (precision + recall)).dropna()
        assert row["precision"] == pytest.approx(precision.mean())
        assert row["recall"] == pytest.approx(recall.mean())
        assert row["f1"] == pytest.approx(f1.mean())
