"""The shapes pairing: counts at the target shapes, pairs where each user's draws lie, exactly the total."""
import numpy as np
import pytest

from recbole_ganrs.errors import GanrsError
from recbole_ganrs.generator import GANRS
from recbole_ganrs.generator.pairing import affinity, draw_pairs, fit_scaling, target_counts, user_moments, \
    whole_counts
from recbole_ganrs.stats import fidelity
from tests.conftest import make_ratings

FAST = dict(gan_steps=300, embedding_epochs=3, progress=False)


def test_target_counts_follow_the_shape_under_the_cap_and_go_to_the_largest():
    shape = np.arange(1, 101, dtype=float) ** 2
    counts = target_counts(shape, 1000, order_by=np.arange(10)[::-1], cap=200)
    assert counts.sum() == pytest.approx(1000) and counts.max() == pytest.approx(200)
    assert np.all(np.diff(counts) <= 1e-9)  # the row with the largest order_by (row 0) gets the most


def test_user_moments_shrink_toward_all_points():
    points = np.array([[0.0, 0.0], [2.0, 0.0], [10.0, 10.0], [12.0, 10.0]])
    mean, cov = user_moments(np.array([0, 0, 1, 1]), points, 2, shrink=0.0)
    assert mean[0].tolist() == [1.0, 0.0] and cov[1][0, 0] == pytest.approx(1.0)
    shrunk, _ = user_moments(np.array([0, 0, 1, 1]), points, 3, shrink=2.0)
    assert shrunk[2].tolist() == pytest.approx(points.mean(0))  # no points: all points' mean
    assert 1.0 < shrunk[0][0] < points.mean(0)[0]


def test_pairs_are_exact_distinct_near_their_draws_and_at_the_counts():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(300, 2))
    mean, cov = rng.normal(size=(60, 2)), np.tile(0.1 * np.eye(2), (60, 1, 1))
    logk = affinity(mean, cov, centres, widen=0.05)
    rows = target_counts(rng.pareto(1.5, 500) + 1, 3000, np.arange(60), cap=300)
    cols = target_counts(rng.pareto(1.5, 500) + 1, 3000, np.arange(300), cap=60)
    a, b = fit_scaling(logk, rows, cols)
    whole = whole_counts(rows, 3000)
    assert whole.sum() == 3000 and np.abs(whole - rows).max() < 1
    user, item = draw_pairs(logk, a, b, whole, seed=0)
    assert len(np.unique(user * 300 + item)) == 3000 and (np.bincount(user, minlength=60) == whole).all()
    assert np.corrcoef(np.bincount(item, minlength=300), cols)[0, 1] > 0.9  # each item near its count
    far = np.linalg.norm(centres[item] - mean[user], axis=1).mean()
    anywhere = np.linalg.norm(centres[None] - mean[:, None], axis=2).mean()
    assert far < 0.8 * anywhere  # each user's items lie nearer its draws than items at large
    again = draw_pairs(logk, a, b, whole, seed=0)
    assert (again[0] == user).all() and (again[1] == item).all()


@pytest.fixture(scope="module")
def source():
    """A long-tailed source: each user keeps a log-normal number (5..120) of its 120 ratings (counts large
    enough that their integer steps do not dominate the KS statistic)."""
    full = make_ratings(n_users=120, n_items=150, per_user=120, seed=2)
    keep = np.clip(np.random.default_rng(3).lognormal(3.4, 0.6, 120), 5, 120).astype(int)
    rank = full.groupby("user_id").cumcount().to_numpy()
    return full[rank < keep[full["user_id"].astype(int).to_numpy()]].reset_index(drop=True)


def test_shapes_pairing_follows_the_source_shapes_closer_than_every_draws_pair(source):
    gen = GANRS(seed=0, **FAST).fit(source)
    shaped = gen.sample(users=100, items=150, ratings=3500, seed=0)
    gen.pairing = "draws"  # every draw's pair: as many distinct pairs as 12,000 draws hold (a 300-step GAN's
    drawn = gen.sample(users=100, items=150, samples=12000, seed=0)  # draws bunch: 3,500 is out of reach)
    assert len(shaped) == 3500 and not shaped.duplicated(["user_id", "item_id"]).any()
    ks = [fidelity("x", frame, source)["activity KS"] for frame in (shaped, drawn)]
    assert ks[0] < 0.1 and ks[0] < ks[1]


def test_shapes_pairing_refuses_what_it_cannot_do(source):
    with pytest.raises(GanrsError, match="needs --pairing draws"):
        GANRS(rating_model="mean")
    with pytest.raises(GanrsError, match="is a --pairing draws setting"):
        GANRS(match_shapes=False)
    gen = GANRS(seed=0, **FAST).fit(source)
    with pytest.raises(GanrsError, match="over 200,000,000 cells: use --pairing draws"):  # the API too
        gen.sample(users=100_000, items=20_000, ratings=1000, seed=0)
