"""The seed plan: one seed's streams are distinct, repeatable, and apart from other roles'."""
import numpy as np
import pytest
import torch

from recbole_ganrs import seeds
from recbole_ganrs.generator import GANRS
from tests.conftest import make_ratings


def test_every_stream_of_a_seed_differs_and_repeats():
    numbers = {(role, name): seeds.stream(0, role, name) for role, names in seeds.PLAN.items() for name in names}
    assert len(set(numbers.values())) == len(numbers)  # no two streams of seed 0 share a seed
    assert numbers == {key: seeds.stream(0, *key) for key in numbers}
    assert seeds.stream(1, "sample", "noise") != numbers["sample", "noise"]


def test_dataset_seed_and_trial_seed_share_no_stream():
    # seed 0 as a dataset (its fit and its sample) and as a trial: no two draw the same numbers
    draws = [seeds.rng(0, role, name).random(4) for role, name in
             (("fit", "gan_init"), ("sample", "noise"), ("sample", "pairing"), ("sample", "ratings"),
              ("trial", "recbole"), ("trial", "ties"))]
    assert all(not np.allclose(a, b) for i, a in enumerate(draws) for b in draws[i + 1 :])
    assert seeds.stream(0, "trial", "recbole") != 0


def test_unknown_stream_is_refused():
    with pytest.raises(KeyError, match="no stream sample/typo"):
        seeds.stream(0, "sample", "typo")


def test_generator_noise_is_the_plans_stream():
    gen = GANRS(gan_steps=5, embedding_epochs=1, progress=False, seed=0).fit(make_ratings())
    dense = gen.generate_dense(8, std=1.0, seed=3)
    state = gen._state
    expected = torch.randn(8, state.network().noise_size, generator=seeds.torch_generator(3, "sample", "noise"))
    with torch.no_grad():
        mine = (state.network()(expected) * state.column_std + state.column_mean).numpy()
    np.testing.assert_allclose(dense, mine, rtol=1e-5)
