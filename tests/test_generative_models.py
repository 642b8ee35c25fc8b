"""CFGAN, the collaborative VAE and LARA: each trains through RecBole on a tiny dataset and ranks; CFGAN's
partial masking and zero reconstruction on a hand-made batch; the content models score items nobody rated."""
import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from recbole_ganrs.data import write_atomic
from recbole_ganrs.quick_start import run

#: LARA on the toy: 100 passes of batches of 32 at 3e-4 learn it; at 1e-3 the generator collapses (measured)
LARA_FAST = {"epochs": 100, "generator_learning_rate": 0.0003, "discriminator_learning_rate": 0.0003,
             "train_batch_size": 32, "eval_step": 25}
CVAE_FAST = {"epochs": 30, "learning_rate": 0.003, "train_batch_size": 64}
ITEM_COLUMNS = {"inter": ["user_id", "item_id", "rating"], "item": ["item_id", "release_year", "class"]}


def two_kinds(root, n_users=120, n_items=80, per_user=15, unrated=(35, 36, 37, 38, 39, 75, 76, 77, 78, 79), seed=0):
    """Users of two kinds, each rating only items of its kind ('Action' 0..39 from the 1980s, 'Comedy' 40..79 from
    the 2000s); the ``unrated`` items are in the .item file and rated by nobody."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n_users):
        pool = [i for i in (range(40) if u % 2 == 0 else range(40, n_items)) if i not in unrated]
        rows += [(str(u), str(i), 5.0) for i in rng.choice(pool, per_user, replace=False)]
    folder = root / "kinds"
    write_atomic(folder / "kinds.inter", pd.DataFrame(rows, columns=["user_id", "item_id", "rating"]))
    write_atomic(folder / "kinds.item", pd.DataFrame({
        "item_id": [str(i) for i in range(n_items)],
        "release_year": [str(1980 + i % 10) if i < 40 else str(2000 + i % 10) for i in range(n_items)],
        "class": ["Action" if i < 40 else "Comedy" for i in range(n_items)]}),
        {"release_year": "token", "class": "token_seq"})
    return folder


@pytest.fixture(scope="module")
def kinds(tmp_path_factory):
    return two_kinds(tmp_path_factory.mktemp("kinds"))


def trained(model, folder, tmp_path, **extra):
    config = {"dataset": "kinds", "data_path": str(folder.parent), "checkpoint_dir": str(tmp_path / "saved"),
              "state": "WARNING", "load_col": ITEM_COLUMNS, "metrics": ["Recall", "NDCG"], "topk": [5],
              "valid_metric": "recall@5", "eval_args": {"split": {"RS": [0.8, 0.1, 0.1]}, "order": "RO",
                                                        "group_by": "user", "mode": "full"}, **extra}
    result = run(model, config_dict=config, verbose=False)
    return result["model"].eval(), result


def ids(model_result, field, tokens):
    dataset = model_result["train_data"].dataset
    return torch.as_tensor(dataset.token2id(field, [str(t) for t in tokens]))


def own_kind_share(model, result, k=10):
    """Share of each user's top-k items (training items excluded) of the user's own kind, over all users."""
    dataset = result["train_data"].dataset
    users = torch.arange(1, model.n_users)
    with torch.no_grad():
        scores = model.full_sort_predict({model.USER_ID: users}).view(len(users), model.n_items)
    seen = dataset.inter_matrix(form="csr")[users.numpy()].toarray() > 0
    scores[torch.from_numpy(seen)] = -torch.inf
    scores[:, 0] = -torch.inf
    top = scores.topk(k, dim=1).indices
    action = np.array([int(t) < 40 if t != "[PAD]" else False for t in dataset.field2id_token["item_id"]])
    user_action = np.array([int(t) % 2 == 0 for t in dataset.field2id_token["user_id"][1:]])
    return float((action[top.numpy()] == user_action[:, None]).mean())


#: the settings each model learns the toy with, in a few seconds
FAST = {"CFGAN": {"epochs": 30, "generator_learning_rate": 0.001, "discriminator_learning_rate": 0.001,
                  "eval_step": 10},
        "CVAE": CVAE_FAST, "LARA": LARA_FAST, "MultiVAE": {"epochs": 20}}


@pytest.fixture(scope="module")
def learnt(kinds, tmp_path_factory):
    """(model, result) of a model trained on the toy with its FAST settings, once per module."""
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = trained(name, kinds, tmp_path_factory.mktemp(name), **FAST[name])
        return cache[name]
    return get


@pytest.mark.parametrize("name", list(FAST))
def test_each_generative_model_trains_and_ranks_a_users_own_kind_first(name, learnt):
    model, result = learnt(name)
    users = torch.arange(1, 6)
    items = torch.randint(1, model.n_items, (5,), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        full = model.full_sort_predict({model.USER_ID: users}).view(5, model.n_items)
        pairs = model.predict({model.USER_ID: users, model.ITEM_ID: items})
    torch.testing.assert_close(pairs, full[torch.arange(5), items])  # one scoring path
    # a user's kind decides all of its items: a model that learnt anything ranks its own kind first (chance 0.5)
    assert own_kind_share(model, result) > 0.8


def test_cfgan_masks_the_generated_vector_and_pulls_sampled_zeros_to_zero(kinds, tmp_path):
    model, _ = trained("CFGAN", kinds, tmp_path, epochs=1, load_col={"inter": ITEM_COLUMNS["inter"]})

    class Recorder(nn.Module):  # a discriminator that keeps what it is shown and answers logit 0
        def forward(self, x):
            self.seen = x
            return torch.zeros(len(x), 1)

    width = 4
    model.rows = torch.tensor([[1.0, 0, 0, 1], [0, 1, 0, 0]])
    output = torch.tensor([[0.9, 0.5, -0.2, 0.7], [0.1, 0.8, 0.3, -0.4]])
    model.generator = nn.Identity()
    model.generator.forward = lambda real: output  # noqa: E731  (a fixed generated vector per row)
    model.discriminator = Recorder()
    model.pm_mask = torch.tensor([[False, True, False, False], [False, False, False, True]])
    model.zr_mask = torch.tensor([[False, False, True, False], [True, False, True, False]])
    batch = torch.tensor([0, 1])

    g_loss = model.part_loss("generator", batch)
    shown = model.discriminator.seen[:, width:]
    # the discriminator sees the generated values on purchases and on the partial-masking sample, zeros elsewhere
    torch.testing.assert_close(shown, torch.tensor([[0.9, 0.5, 0.0, 0.7], [0.0, 0.8, 0.0, -0.4]]))
    torch.testing.assert_close(model.discriminator.seen[:, :width], model.rows)  # conditioned on the real row
    # BCE(logit 0, 1) = log 2; the zero reconstruction: mean over rows of the squares on the sampled zeros
    zero_reconstruction = ((-0.2) ** 2 + (0.1 ** 2 + 0.3 ** 2)) / 2
    torch.testing.assert_close(g_loss, torch.tensor(np.log(2) + 0.03 * zero_reconstruction, dtype=torch.float32))
    d_loss = model.part_loss("discriminator", batch)
    torch.testing.assert_close(d_loss, torch.tensor(2 * np.log(2), dtype=torch.float32))  # real and fake terms
    torch.testing.assert_close(model.discriminator.seen[:, width:], shown)  # the fake the discriminator sees


def test_cfgan_epoch_samples_only_zeros_at_the_ratios(kinds, tmp_path):
    model, _ = trained("CFGAN", kinds, tmp_path, epochs=1, load_col={"inter": ITEM_COLUMNS["inter"]})
    model.start_epoch()
    zeros = model.rows == 0
    assert not (model.zr_mask & ~zeros).any() and not (model.pm_mask & ~zeros).any()
    assert abs(model.zr_mask.sum() / zeros.sum() - 0.7) < 0.02 and abs(model.pm_mask.sum() / zeros.sum() - 0.7) < 0.02
    assert not torch.equal(model.zr_mask, model.pm_mask)  # two samples


def test_cvae_scores_an_item_nobody_rated_from_its_content_alone(learnt):
    model, result = learnt("CVAE")
    cold = ids(result, "item_id", [35, 36, 37, 38, 39, 75, 76, 77, 78, 79])
    assert not model.rated[cold].any() and model.rated[1:].sum() == model.n_items - 1 - 10
    action_users = ids(result, "user_id", range(0, 120, 2))
    with torch.no_grad():
        mu, _ = model.encode()
        scores = model.full_sort_predict({model.USER_ID: action_users}).view(len(action_users), model.n_items)
        torch.testing.assert_close(model.item_vectors()[cold], mu[cold])  # a cold item's vector: its content's code
    # Action users score the unrated Action items above the unrated Comedy ones: only the content tells them apart
    assert (scores[:, cold[:5]].mean(dim=1) > scores[:, cold[5:]].mean(dim=1)).float().mean() > 0.9


def test_lara_proposes_the_users_of_a_new_items_kind(learnt):
    model, result = learnt("LARA")
    new_action = ids(result, "item_id", [35])
    with torch.no_grad():
        proposed = model.item_profiles(new_action)  # a user profile from the item's attributes alone
        closeness = (model.profiles[1:] @ proposed.T).squeeze(1)
    users = result["train_data"].dataset.field2id_token["user_id"][1:]
    top = closeness.topk(20).indices.numpy()
    assert np.mean([int(users[i]) % 2 == 0 for i in top]) > 0.9  # the Action users


def test_generative_set_and_registration():
    from recbole_ganrs.models import GENERATIVE_MODELS, PAPER_MODELS, expand_models
    from recbole_ganrs.registry import get_model, get_trainer, reads_item_content
    from recbole_ganrs.trainer import AdversarialTrainer

    assert expand_models(["paper+generative"]) == PAPER_MODELS + ["CFGAN", "CVAE", "LARA", "MultiVAE"]
    assert GENERATIVE_MODELS[-1] == "MultiVAE" and get_model("MultiVAE").__module__.startswith("recbole.")
    assert issubclass(get_trainer(None, "CFGAN"), AdversarialTrainer)
    assert [reads_item_content(get_model(m)) for m in GENERATIVE_MODELS] == [False, True, True, False]


def test_a_content_model_without_item_attributes_fails_in_one_clear_line(kinds, tmp_path):
    from recbole_ganrs.models.content import MissingItemContent

    with pytest.raises(MissingItemContent, match="CVAE reads item attributes and the dataset loaded none"):
        trained("CVAE", kinds, tmp_path, load_col={"inter": ITEM_COLUMNS["inter"]})


def liked_kinds(root, n_users=160, n_items=80, own=12, other=3, seed=0):
    """Two kinds of users and items as in :func:`two_kinds` (no unrated items), each user rating ``own`` items of
    its kind 4-5 and ``other`` of the other kind 1-2."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n_users):
        mine, theirs = (range(40), range(40, n_items)) if u % 2 == 0 else (range(40, n_items), range(40))
        rows += [(str(u), str(i), float(rng.choice([4, 5]))) for i in rng.choice(list(mine), own, replace=False)]
        rows += [(str(u), str(i), float(rng.choice([1, 2]))) for i in rng.choice(list(theirs), other, replace=False)]
    folder = two_kinds(root, n_users=2, unrated=())  # the .item file
    write_atomic(folder / "kinds.inter", pd.DataFrame(rows, columns=["user_id", "item_id", "rating"]))
    return folder


@pytest.mark.parametrize("name, settings", [("CVAE", CVAE_FAST), ("LARA", LARA_FAST)])
def test_a_content_model_ranks_cold_items_nobody_rated_in_a_benchmark_trial(name, settings, tmp_path):
    from recbole_ganrs.benchmark.trial import run_trial
    from recbole_ganrs.benchmark.trial_key import TrialSpec
    from recbole_ganrs.evaluation.item_groups import item_file

    folder = liked_kinds(tmp_path)
    spec = TrialSpec.of(dataset="kinds", dataset_config={"dataset": "kinds", "data_path": str(folder.parent)},
                        model=name, seed=0, ties="random", split="cold-items:0.3:0", ns=[2, 5], qs=[4.0],
                        protocol="paper", item_file=item_file(folder.parent, "kinds"),
                        item_fields=["release_year", "class"], recbole=settings)
    frame = pd.DataFrame(run_trial(spec)[0])
    cold = frame[(frame["grouping"] == "item:cold-start") & (frame["subset"] == "cold") & (frame["N"] == 2)]
    # only the attributes tell a user's cold test items of its own kind (the relevant ones) from the others:
    # DeepMF, whose unseen items keep their initial embeddings, scores 0.83 here; CVAE 0.94, LARA 0.96 (measured)
    assert cold["ndcg"].item() > 0.92


def test_recbole_own_quick_start_trains_cfgan_and_lara_by_name_with_their_trainer(kinds, tmp_path):
    from recbole.quick_start import run_recbole

    for name, extra in [("CFGAN", {}), ("LARA", {"load_col": ITEM_COLUMNS})]:
        out = run_recbole(model=name, dataset="kinds", config_dict={
            "data_path": str(kinds.parent), "checkpoint_dir": str(tmp_path / name), "epochs": 2, "eval_step": 1,
            "state": "WARNING", "show_progress": False, **extra}, saved=True)
        assert 0 <= out["test_result"]["recall@10"] <= 1
