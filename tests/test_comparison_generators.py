"""The comparison generators (statistical, CFGAN-style): same interface and guarantees as GANRS."""
import warnings

import numpy as np
import pandas as pd
import pytest

from recbole_ganrs.cli import main
from recbole_ganrs.errors import GanrsError
from recbole_ganrs.generator import CFGANStyle, StatisticalGenerator, SyntheticGenerator, make_generator
from tests.conftest import make_ratings, write_dataset


@pytest.fixture(scope="module")
def ratings():
    return make_ratings(n_users=80, n_items=60, per_user=20, seed=1)


def check_dataset(out, users, items, ratings):
    assert not out.duplicated(["user_id", "item_id"]).any()
    assert set(out["rating"]) <= set(ratings["rating"])
    assert sorted(out["user_id"].astype(int).unique()) == list(range(1, out["user_id"].nunique() + 1))
    assert out["user_id"].nunique() <= users and out["item_id"].nunique() <= items


def test_statistical_follows_the_marginals_and_is_seeded(ratings):
    gen = StatisticalGenerator(progress=False).fit(ratings)
    out = gen.sample(users=200, items=50, samples=20_000, seed=3)
    check_dataset(out, 200, 50, ratings)
    shares = out["rating"].value_counts(normalize=True).sort_index()
    assert np.allclose(shares, ratings["rating"].value_counts(normalize=True).sort_index(), atol=0.02)
    pd.testing.assert_frame_equal(out, gen.sample(users=200, items=50, samples=20_000, seed=3))
    assert not out.equals(gen.sample(users=200, items=50, samples=20_000, seed=4))


def test_cfgan_style_uses_source_items_caps_ratings_and_saves(ratings, tmp_path):
    gen = CFGANStyle(gan_steps=60, progress=False).fit(ratings)
    with pytest.warns(UserWarning, match="items capped at the source's 60"):
        out = gen.sample(users=100, items=500, samples=1000, seed=0)
    check_dataset(out, 100, 60, ratings)
    assert len(out) <= 1000
    gen.save(tmp_path / "cf.pt")
    loaded = SyntheticGenerator.load(tmp_path / "cf.pt", progress=False)
    assert isinstance(loaded, CFGANStyle)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pd.testing.assert_frame_equal(out, loaded.sample(users=100, items=500, samples=1000, seed=0))
    few = gen.sample(users=100, items=10, samples=5000, seed=0)
    assert few["item_id"].nunique() <= 10


def test_generator_choice_and_settings_are_checked():
    with pytest.raises(GanrsError, match="unknown generator 'vae'"):
        make_generator("vae")
    with pytest.raises(GanrsError, match="the statistical generator has no setting embedding_size"):
        make_generator("statistical", embedding_size=8)
    with pytest.raises(GanrsError, match="not fitted"):
        StatisticalGenerator().sample(10, 10, 100)


def test_generate_cli_picks_the_generator(ratings, tmp_path, capsys):
    source = write_dataset(tmp_path, "small", ratings)
    out = tmp_path / "atomic"
    args = ["generate", "--source", str(source), "--users", "30", "--items", "20", "--samples", "2000",
            "--out", str(out), "--quiet"]
    assert main([*args, "--generator", "statistical"]) == 0
    assert (out / "statistical-small-u30-i20-s2000-std2.5-seed0" / "statistical-small-u30-i20-s2000-std2.5-seed0.inter"
            ).is_file()
    assert "activity KS" in capsys.readouterr().out
    assert main([*args, "--generator", "cfgan", "--embedding-size", "8"]) == 2
    assert "the cfgan generator has no setting embedding_size" in capsys.readouterr().err


def test_a_fourth_generator_is_only_fit_and_sample(ratings, tmp_path, monkeypatch):
    """The README's "adding a generator" example, through the whole contract: fit, sample, save, load."""
    from dataclasses import dataclass

    import torch

    from recbole_ganrs import generator as generators
    from recbole_ganrs.generator.base import ratings_frame

    @dataclass
    class Shuffled(SyntheticGenerator):
        kind = "shuffled"
        seed: int = 0
        progress: bool = True

        def _fit(self, ratings, summary):
            return {"ratings": torch.as_tensor(ratings["rating"].to_numpy())}

        def _sample(self, request, workers=None):
            rng = np.random.default_rng(request.seed)
            n = request.samples
            user, item = rng.integers(request.users, size=n), rng.integers(request.items, size=n)
            frame = ratings_frame(user, item, rng.choice(self._state["ratings"].numpy(), n))[0]
            return frame.drop_duplicates(["user_id", "item_id"]), {}

    monkeypatch.setitem(generators.GENERATORS, "shuffled", Shuffled)
    gen = make_generator("shuffled").fit(ratings)
    assert gen.summary.n_ratings == len(ratings) and gen.summary.rating_values == [1.0, 2.0, 3.0, 4.0, 5.0]
    out = gen.sample(users=30, items=20, samples=500, seed=1)
    check_dataset(out, 30, 20, ratings)
    gen.save(tmp_path / "s.pt")
    pd.testing.assert_frame_equal(out, SyntheticGenerator.load(tmp_path / "s.pt").sample(30, 20, 500, seed=1))
    with pytest.raises(GanrsError, match="std must be > 0"):
        gen.sample(users=30, items=20, samples=500, std=float("inf"))
