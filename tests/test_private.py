"""A differentially private GANRS fit (--dp-epsilon, generator/private.py): the budget is spent as planned, a user
is clipped as one, the fit keeps nothing of a real user, and the sampling that would need one is refused."""
import json

import numpy as np
import pytest

from recbole_ganrs.cli import main
from recbole_ganrs.errors import GanrsError
from recbole_ganrs.generator import GANRS
from recbole_ganrs.generator import private
from tests.conftest import generate_refusal, make_ratings, write_dataset

pytest.importorskip("opacus")  # in requirements.txt: a skip here means a broken install

PAPER_PATH = dict(pairing="draws", rating_model="distribution", match_shapes=False)
FAST = dict(gan_steps=60, embedding_epochs=2, progress=False)


def test_the_plan_spends_the_whole_epsilon_and_more_epsilon_means_less_noise():
    spent = {}
    for eps in (1.0, 4.0):
        stages = private.fit_plan(eps, 1e-5, 943, 20, 2500)
        account = private.account(eps, 1e-5, list(stages.values()))
        assert 0.98 * eps <= account.composed_epsilon <= eps  # composed in one RDP accountant: the guarantee
        assert all(s.epsilon < eps for s in stages.values())  # each stage alone spends less
        spent[eps] = stages
    assert all(spent[4.0][s].noise_multiplier < spent[1.0][s].noise_multiplier for s in spent[1.0])


@pytest.mark.parametrize("epsilon, delta, users, message", [
    (0, 1e-5, None, "--dp-epsilon must be > 0"), (float("inf"), 1e-5, None, "--dp-epsilon must be > 0"),
    (1, 0, None, "--dp-delta must be in"), (1, 0.05, 50, "not below 1 / users")])
def test_a_budget_no_mechanism_can_honour_is_refused(epsilon, delta, users, message):
    with pytest.raises(GanrsError, match=message):
        private.check_budget(epsilon, delta, users)


def test_a_user_is_one_sample_its_whole_gradient_clipped_as_one():
    """Opacus's per-sample gradient is a user's (all its ratings), and the clipped sum is at most the clip per
    user: a user with 30 ratings moves the item vectors no more than one with 2."""
    heavy, light = np.zeros(30, np.int64), np.ones(2, np.int64)
    user = np.concatenate([heavy, light])
    item = np.concatenate([np.arange(30), np.arange(2)])
    rows = private.UserRows.of(user, item, np.full(32, 5.0, np.float32), 2, seed=0)
    stage = private.StageAccount("embeddings", 0.0, 1.0, 1, float("inf"), 1e-5)
    model, optimizer = private._private(private.ItemFactors(30, 3, 0.01), 0.0, 1.0, 2, 0.01, 0, stage.stage)
    with private.quiet_hooks():
        model(rows.items, rows.ratings, rows.mask).mean().backward()
    (weight,) = model.parameters()
    assert weight.grad_sample.shape[0] == 2  # one per user, not per rating
    norms = weight.grad_sample.flatten(1).norm(dim=1)
    assert norms.max() > private.CLIP  # unclipped, the heavy user's gradient is larger than the clip
    optimizer.clip_and_accumulate()
    assert weight.summed_grad.norm() <= 2 * private.CLIP + 1e-5


@pytest.fixture(scope="module")
def private_fit():
    return GANRS(dp_epsilon=4.0, seed=0, **FAST).fit(make_ratings(n_users=120, n_items=40))


def test_a_private_fit_keeps_no_real_user_and_records_its_guarantee(private_fit, tmp_path):
    state = private_fit._state
    for kept in (state.real_users, state.user_classes, state.user_ratings, state.item_ratings, state.real_sample,
                 state.user_popularity):
        assert len(kept) == 0
    summary = private_fit.summary
    assert summary.user_activity == [] and summary.item_popularity == [] and summary.n_ratings == 0
    assert abs(sum(summary.rating_shares) - 1) < 1e-9
    account = private_fit.privacy_account
    assert account.level == "user" and account.composed_epsilon <= 4.0
    assert {s.stage for s in account.stages} == {"embeddings", "statistics", "gan"}
    path = tmp_path / "fit.pt"
    private_fit.save(path)
    assert GANRS.load(path).privacy_account == account
    with pytest.raises(GanrsError, match="keeps no real rows"):
        private_fit.real_sample()


def test_a_private_fit_samples_the_papers_path_and_refuses_what_needs_real_users(private_fit):
    ratings = private_fit.sample(30, 20, samples=3000, seed=0, **PAPER_PATH)
    assert ratings["user_id"].nunique() > 15 and set(ratings["rating"]) <= {1.0, 2.0, 3.0, 4.0, 5.0}
    again = private_fit.sample(30, 20, samples=3000, seed=0, **PAPER_PATH)
    assert ratings.equals(again)  # reproducible from the seeds
    with pytest.raises(GanrsError, match="--pairing draws --rating-model distribution --no-match-shapes"):
        private_fit.sample(30, 20, samples=3000, seed=0)  # the default: shapes pairing, donors, calibrated ratings


def test_the_noise_is_real_another_seed_gives_other_statistics():
    ratings = make_ratings(n_users=120, n_items=40)
    a, b = (GANRS(dp_epsilon=1.0, seed=s, **FAST).fit(ratings).summary for s in (0, 1))
    assert a.rating_shares != b.rating_shares and a.n_users != b.n_users


def test_settings_a_private_fit_cannot_guarantee_are_refused_in_one_line():
    with pytest.raises(GanrsError, match="--gan gan"):
        GANRS(dp_epsilon=1.0, gan="wgan")
    with pytest.raises(GanrsError, match="--condition"):
        GANRS(dp_epsilon=1.0, condition="gender")
    with pytest.raises(GanrsError, match="give both, or neither"):
        GANRS(dp_delta=1e-6)


def test_generate_refuses_a_private_fit_with_the_default_sampling_before_any_fit(tmp_path, capsys):
    folder = write_dataset(tmp_path, "src", make_ratings(n_items=60))
    err = generate_refusal(folder, ["--dp-epsilon", "1"], tmp_path / "out", capsys)
    assert "--pairing draws --rating-model distribution --no-match-shapes" in err
    err = generate_refusal(folder, ["--dp-epsilon", "1", "--generators", "statistical"], tmp_path / "out", capsys)
    assert "dp_epsilon" in err
    err = generate_refusal(folder, ["--dp-epsilon", "1", "--plots", "--pairing", "draws", "--rating-model",
                                    "distribution", "--no-match-shapes"], tmp_path / "out", capsys)
    assert "--plots" in err and "private fit" in err


def test_a_private_dataset_says_its_guarantee_on_its_card_sidecar_and_croissant(tmp_path):
    folder = write_dataset(tmp_path, "src", make_ratings(n_users=120, n_items=40))
    out = tmp_path / "out"
    assert main(["generate", "--source", str(folder), "--users", "40", "--items", "30", "--samples", "3000",
                 "--dp-epsilon", "2", "--pairing", "draws", "--rating-model", "distribution", "--no-match-shapes",
                 "--gan-steps", "60", "--out", str(out), "--quiet"]) == 0
    (dataset,) = [p for p in out.iterdir() if p.name.startswith("ganrs-")]
    sidecar = json.loads((dataset / "ganrs.json").read_text())
    assert sidecar["differential privacy"]["epsilon"] == 2.0 and "privacy" not in sidecar
    assert sidecar["settings"]["dp_epsilon"] == 2.0
    card = (dataset / "README.md").read_text()
    assert "user-level (2, 1e-05)-differentially private" in card and "does not cover" in card
    assert "finds more than 7.4% of the users" in card  # e^2 x 1% + 1e-5
    text = json.loads((dataset / "croissant.json").read_text())["rai:personalSensitiveInformation"]
    assert "differentially private" in text and "not differentially private" not in text
    assert "does not cover" in text
    mlc = pytest.importorskip("mlcroissant")
    assert not mlc.Dataset(jsonld=str(dataset / "croissant.json")).metadata.ctx.issues.errors
    assert "--dp-epsilon 2" in card  # the remake command
