"""Each baseline trains through RecBole's Trainer on a tiny dataset and predicts sensibly."""
import pytest
import torch

from recbole_ganrs.benchmark.trial_key import TrialSpec
from recbole_ganrs.quick_start import run

RATING_MODELS = ["DeepMF", "VDeepMF", "NCF", "NCFClassification", "NCFImprovedClassification"]


def _trained(model, config, **extra):
    fast = {"epochs": 10, "train_batch_size": 64, "learning_rate": 0.01}
    result = run(model, config_dict={**config, **fast, **extra})
    return result["model"].eval(), result


def _pairs(model, n=64):
    g = torch.Generator().manual_seed(0)
    users = torch.randint(1, model.n_users, (n,), generator=g)
    items = torch.randint(1, model.n_items, (n,), generator=g)
    return users, items


@pytest.mark.parametrize("name", RATING_MODELS)
def test_rating_model_trains_and_predicts_on_the_scale(name, tiny_config):
    model, result = _trained(name, tiny_config)
    assert result["test_result"]["rmse"] < 1.6  # untrained (all ~0) would be ~3
    users, items = _pairs(model)
    with torch.no_grad():
        scores = model.score(users, items)
        full = model.full_sort_predict({model.USER_ID: users[:3]}).view(3, model.n_items)
    assert scores.shape == (64,) and torch.isfinite(scores).all()
    # the full-sort scores of a user are its per-pair scores (vectorised path agrees)
    expected = torch.stack([model.score(u.repeat(model.n_items), torch.arange(model.n_items)) for u in users[:3]])
    torch.testing.assert_close(full, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", ["NCFClassification", "NCFImprovedClassification"])
def test_classifiers_learn_the_rating_values_of_the_data(name, tiny_config, tmp_path):
    from tests.conftest import make_ratings, write_dataset

    write_dataset(tmp_path, "ten", make_ratings(scale=(1, 10)))
    model, _ = _trained(name, {**tiny_config, "dataset": "ten"})
    assert model.rating_values.tolist() == [float(v) for v in range(1, 11)]
    users, items = _pairs(model)
    with torch.no_grad():
        probs = model.probabilities(users, items)
        scores = model.score(users, items)
    assert probs.shape == (64, 10)
    torch.testing.assert_close(probs.sum(dim=1), torch.ones(64))
    assert ((scores >= 1) & (scores <= 10)).all()


def test_classification_votes_argmax_and_improved_votes_the_expectation(tiny_config):
    model, _ = _trained("NCFImprovedClassification", tiny_config)
    users, items = _pairs(model)
    with torch.no_grad():
        probs = model.probabilities(users, items)
        torch.testing.assert_close(model.score(users, items), probs @ model.rating_values)
        argmax_vote = super(type(model), model).score(users, items)
    assert torch.equal(argmax_vote, model.rating_values[probs.argmax(dim=1)])
    assert set(argmax_vote.tolist()) <= set(model.rating_values.tolist())


def test_binary_regression_learns_relevance_at_q(tiny_config):
    model, result = _trained("BinaryRegression", tiny_config, threshold={"rating": 4})
    assert model.relevance_threshold == 4.0
    assert set(result["test_result"]) == {"auc", "logloss"}
    users, items = _pairs(model)
    with torch.no_grad():
        p = model.score(users, items)
    assert ((p > 0) & (p < 1)).all()
    assert model.prediction_threshold(4) == 0.5
    with pytest.raises(ValueError, match="trained for q=4"):
        model.prediction_threshold(5)


def test_vdeepmf_predicts_deterministically_but_trains_stochastically(tiny_config):
    model, _ = _trained("VDeepMF", tiny_config)
    users, items = _pairs(model)
    with torch.no_grad():
        assert torch.equal(model.score(users, items), model.score(users, items))
        model.train()
        assert not torch.equal(model.score(users, items), model.score(users, items))


@pytest.mark.parametrize("name", ["ItemKNN", "LightGCN"])
def test_recbole_baselines_train_and_reload_on_todays_stack(name, tiny_config):
    """ItemKNN keeps a scipy matrix in its checkpoint (loaded weights-only here); LightGCN builds its graph
    with scipy's removed dok_matrix._update (compat.py puts it back)."""
    from recbole_ganrs.benchmark.trial import run_trial

    spec = {"dataset": "tiny", "dataset_config": {"dataset": "tiny", "data_path": tiny_config["data_path"]},
            "model": name, "seed": 0, "protocol": "full", "ties": "random", "ns": [2, 5], "qs": [4.0], "epochs": 2}
    rows, per_user, _ = run_trial(TrialSpec.of(**spec))
    assert {r["N"] for r in rows} == {2, 5} and all(0 <= r["precision"] <= 1 for r in rows)
    assert len(per_user["4.0"]["user"]) > 0


def test_model_sets_expand_in_order():
    from recbole_ganrs.models import BASELINE_MODELS, PAPER_MODELS, expand_models

    assert expand_models(["paper+baselines"]) == PAPER_MODELS + BASELINE_MODELS
    assert expand_models(["BPR", "baselines"]) == ["BPR"] + [m for m in BASELINE_MODELS if m != "BPR"]


def test_a_model_whose_validation_score_is_undefined_keeps_its_first_epoch(tmp_path):
    """BinaryRegression at q=5 on ratings of 1-4: no relevant label anywhere, RecBole's validation AUC is NaN, which
    RecBole's early stopping never counts as best; the first epoch is kept instead of no checkpoint at all."""
    from recbole_ganrs.benchmark.trial import best_epoch, run_trial
    from recbole_ganrs.benchmark.trial_key import TrialSpec
    from tests.conftest import make_ratings, write_dataset

    ratings = make_ratings(n_users=40, n_items=30, per_user=12, seed=2)
    write_dataset(tmp_path, "low", ratings.assign(rating=ratings["rating"].clip(upper=4.0)))
    spec = TrialSpec.of(dataset="low", dataset_config={"dataset": "low", "data_path": str(tmp_path)},
                        model="BinaryRegression", seed=0, protocol="paper", ties="random", ns=[2], qs=[5.0], epochs=2)
    rows, _, _ = run_trial(spec)
    assert {r["best_epoch"] for r in rows} == {1} and {r["epochs_run"] for r in rows} == {2}
    assert best_epoch([float("nan"), 0.6, 0.7], True) == 3 and best_epoch([float("nan"), 0.9], False) == 2
