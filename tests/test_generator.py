"""GANRS: fit a tiny source, sample, save/load, refuse impossible requests."""
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from recbole_ganrs.errors import GanrsError
from recbole_ganrs.generator import GANRS, SampleRequest
from recbole_ganrs.generator.sampling import SamplingChoices
from recbole_ganrs.generator.clustering import Clusters
from recbole_ganrs.generator.ratings import PairAccumulator, to_scale
from recbole_ganrs.stats import fidelity
from tests.conftest import make_ratings

FAST = dict(gan_steps=300, embedding_epochs=3, progress=False)


@pytest.fixture(scope="module")
def source():
    return make_ratings(n_users=80, n_items=60, per_user=20, seed=1)


@pytest.fixture(scope="module")
def fitted(source):
    return GANRS(seed=0, **FAST).fit(source)


def test_sample_is_a_clean_ratings_table(fitted, source):
    out = fitted.sample(users=50, items=40, samples=5000, std=2.5, seed=0)
    assert list(out.columns) == ["user_id", "item_id", "rating"]
    assert not out.duplicated(["user_id", "item_id"]).any()
    users, items = out["user_id"].astype(int), out["item_id"].astype(int)
    assert sorted(users.unique()) == list(range(1, users.nunique() + 1))  # contiguous ids
    assert sorted(items.unique()) == list(range(1, items.nunique() + 1))
    assert users.max() <= 50 and items.max() <= 40
    assert set(out["rating"].unique()) <= set(source["rating"].unique())


def test_sample_matches_the_source_rating_shares(fitted, source):
    out = fitted.sample(users=80, items=60, ratings=4000, seed=0)
    # the expected shares are the source's; the drawn ones stray by multinomial noise (TVD about 0.015 here)
    assert fidelity("s", out, source)["rating TVD"] < 0.03


def test_same_seed_same_sample_and_save_load_round_trip(fitted, tmp_path):
    a = fitted.sample(30, 30, 3000, seed=3)
    pd.testing.assert_frame_equal(a, fitted.sample(30, 30, 3000, seed=3))
    assert not a.equals(fitted.sample(30, 30, 3000, seed=4))
    fitted.save(tmp_path / "fit.pt")
    pd.testing.assert_frame_equal(a, GANRS.load(tmp_path / "fit.pt", progress=False).sample(30, 30, 3000, seed=3))


def test_fit_reads_a_one_to_ten_scale():
    source = make_ratings(n_users=60, n_items=50, per_user=20, scale=(1, 10), seed=2)
    gen = GANRS(gan="wgan", **{**FAST, "gan_steps": 60}).fit(source)
    out = gen.sample(40, 30, 4000)
    assert gen.summary.rating_values[-1] == 10.0
    assert out["rating"].max() == 10.0 and out["rating"].min() >= 1.0


@pytest.mark.parametrize("request_args, message", [
    (dict(users=0, items=5, samples=100), "users must be a positive integer"),
    (dict(users=5, items=-1, samples=100), "items must be a positive integer"),
    (dict(users=50, items=5, samples=10), "samples (10) must be at least"),
    (dict(users=5, items=5, samples=100, std=0), "std must be > 0"),
])
def test_impossible_requests_are_refused(fitted, request_args, message):
    with pytest.raises(GanrsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        fitted.sample(**request_args)


def test_too_small_source_and_unfitted_use_are_refused():
    with pytest.raises(GanrsError, match="too small"):
        GANRS(**FAST).fit(make_ratings(n_users=4, n_items=10, per_user=5))
    with pytest.raises(GanrsError, match="not fitted"):
        GANRS(**FAST).sample(10, 10, 100)
    with pytest.raises(GanrsError, match="gan must be"):
        GANRS(gan="vae")


def test_load_refuses_a_file_that_is_not_a_fit(tmp_path):
    bad = tmp_path / "x.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(GanrsError, match="not a saved generator fit"):
        GANRS.load(bad)


def test_conflicting_draws_of_a_pair_are_merged_to_their_mean():
    pairs = PairAccumulator(3)
    pairs.add(np.array([0, 0, 1]), np.array([2, 2, 2]), np.array([1.0, 4.0, 5.0]))
    user, item, value = pairs.result()
    assert user.tolist() == [0, 1] and item.tolist() == [2, 2] and value.tolist() == [2.5, 5.0]


def test_distribution_match_reproduces_shares_and_keeps_order():
    value = np.linspace(-1, 1, 1000)
    rating = to_scale(value, [1, 2, 3], [0.2, 0.5, 0.3], 2.1)
    assert np.bincount(rating.astype(int))[1:].tolist() == [200, 500, 300]
    assert np.all(np.diff(rating) >= 0)  # a higher generated value never gets a lower rating
    mean_rule = to_scale(value, [1, 2, 3], [0.2, 0.5, 0.3], 2.5, match="mean")
    assert abs(mean_rule.mean() - 2.5) < 0.1


def test_shape_matching_clusters_follow_a_long_tail():
    points = np.random.default_rng(0).normal(size=(20000, 3)).astype(np.float32)
    tail = np.random.default_rng(1).pareto(1.5, 500) + 1
    plain = np.bincount(Clusters.fit(points, 100, seed=0).assign(points))
    matched = np.bincount(Clusters.fit(points, 100, seed=0, sizes=tail).assign(points))
    share_of_top10 = lambda counts: np.sort(counts)[-10:].sum() / counts.sum()  # noqa: E731
    expected = np.sort(np.quantile(tail, (np.arange(100) + 0.5) / 100))[-10:].sum() / np.quantile(
        tail, (np.arange(100) + 0.5) / 100).sum()
    assert share_of_top10(plain) < 0.2
    assert abs(share_of_top10(matched) - expected) < 0.05


def test_kdtree_lloyd_for_many_clusters_matches_sklearn_quality(monkeypatch):
    from recbole_ganrs.generator import clustering

    points = np.random.default_rng(2).normal(size=(5000, 5)).astype(np.float32)
    inertia = lambda centres: ((points[:, None, :] - centres[None]) ** 2).sum(-1).min(1).mean()  # noqa: E731
    by_sklearn = clustering.fit_centres(points, 50, seed=0)
    monkeypatch.setattr(clustering, "SKLEARN_MAX_CLUSTERS", 10)
    by_kdtree = clustering.fit_centres(points, 50, seed=0)
    assert by_kdtree.shape == (50, 5)
    assert inertia(by_kdtree) < 1.1 * inertia(by_sklearn)
    assert inertia(by_kdtree) < 0.95 * inertia(points[:50])  # Lloyd steps improved on random centres


def test_add_until_stops_at_exactly_the_target_in_draw_order():
    pairs = PairAccumulator(10)
    assert not pairs.add_until(np.array([0, 0, 1]), np.array([1, 1, 2]), np.zeros(3), 4)  # 2 distinct so far
    # next chunk: (0,1) known, (2,3) new, (2,3) again, (4,4) new -> reaches 4; (5,5) is dropped
    assert pairs.add_until(np.array([0, 2, 2, 4, 5]), np.array([1, 3, 3, 4, 5]), np.zeros(5), 4)
    user, item, _ = pairs.result()
    assert list(zip(user.tolist(), item.tolist())) == [(0, 1), (1, 2), (2, 3), (4, 4)]


@pytest.mark.parametrize("kind", ["ganrs", "statistical", "cfgan"])
def test_ratings_asks_for_exactly_that_many_distinct_ratings(kind, source):
    from recbole_ganrs.generator import make_generator

    settings = FAST if kind == "ganrs" else ({"gan_steps": 60, "progress": False} if kind == "cfgan"
                                             else {"progress": False})
    gen = make_generator(kind, **settings).fit(source)
    out = gen.sample(users=40, items=30, ratings=500, seed=0)
    assert len(out) == 500 and not out.duplicated(["user_id", "item_id"]).any()
    pd.testing.assert_frame_equal(out, gen.sample(users=40, items=30, ratings=500, seed=0))


def test_ratings_beyond_what_the_draws_reach_is_refused_in_one_line(fitted):
    with pytest.raises(GanrsError, match=r"reached [\d,]+ distinct ratings of the 1,190 asked"):  # tiny noise:
        fitted.sample(users=2, items=600, ratings=1190, std=0.01, seed=0, pairing="draws")  # the same few pairs
    with pytest.raises(GanrsError, match="either samples"):
        fitted.sample(users=2, items=5, samples=100, ratings=5)


def test_calibrated_ratings_vary_within_users_and_keep_the_shares(fitted, source):
    from recbole_ganrs.stats.structure import structure_row

    calibrated = fitted.sample(users=50, items=40, ratings=1000, seed=0)
    ruled = fitted.sample(users=50, items=40, samples=5000, seed=0, rating_model="distribution", pairing="draws")
    # 1,000 ratings over five values: sampling alone gives a TVD of about 0.02 (0.016-0.028 over five seeds)
    assert fidelity("s", calibrated, source)["rating TVD"] < 0.045
    real, cal, rule = (structure_row("x", r)["within-user std"] for r in (source, calibrated, ruled))
    assert abs(cal - real) < abs(rule - real)  # closer to the source's within-user spread than the rule


def test_structure_measures_by_hand():
    from recbole_ganrs.stats.structure import structure_row, test_items_per_user

    # rating = 1 + user effect + item effect: the bias predictor is exact
    users, items = np.repeat(np.arange(20), 10), np.tile(np.arange(10), 20)
    frame = pd.DataFrame({"user_id": users.astype(str), "item_id": items.astype(str),
                          "rating": 1.0 + (users % 2) + (items % 3)})
    row = structure_row("additive", frame, [0.6, 0.1, 0.3])
    assert row["bias RMSE"] < 0.15 < frame["rating"].std() and row["density %"] == 100.0 and row["test items/user"] == 3.0
    assert row["user-mean std"] == pytest.approx(0.5) and row["within-user std"] == pytest.approx(np.std([0, 1, 2] * 3 + [0]), abs=1e-3)
    assert test_items_per_user([2, 10, 3], [0.6, 0.1, 0.3]) == pytest.approx((1 + 3 + 1) / 3)  # RecBole gives 1 of 2 or 3


def test_soft_assignment_spreads_draws_over_neighbouring_clusters():
    rng = np.random.default_rng(0)
    points = rng.normal(size=(4000, 2)).astype(np.float32)
    clusters = Clusters.fit(points, 50, seed=0)
    nearest = clusters.assign(points)
    assert (clusters.assign(points, 0.0) == nearest).all()
    soft = clusters.assign(points, 1.0, np.random.default_rng(1))
    assert 0.2 < (soft != nearest).mean() < 0.9  # often a neighbour, often still the nearest
    d_soft = np.linalg.norm(points - clusters.centres[soft], axis=1)
    d_any = np.linalg.norm(points[:, None] - clusters.centres[None], axis=2).mean(1)
    assert d_soft.mean() < 0.5 * d_any.mean()  # neighbours, not random clusters
    assert (soft == clusters.assign(points, 1.0, np.random.default_rng(1))).all()


def test_draws_collapsed_by_a_tiny_std_are_refused(fitted):
    with pytest.raises(GanrsError, match=r"the draws collapsed onto \d+ distinct points for 50 users asked"):
        fitted.sample(users=50, items=40, samples=5000, std=1e-30, seed=0)


def test_quantile_match_takes_the_references_marginals_and_keeps_ranks():
    from recbole_ganrs.generator.rating_head import moment_match, quantile_match

    rng = np.random.default_rng(0)
    reference = rng.standard_exponential((4000, 2)) @ np.array([[1.0, 0.3], [0.0, 0.5]])  # skewed, correlated
    points = rng.normal(size=(1000, 2)) * 5 + 2  # Gaussian: moments alone cannot give the skew
    mapped = quantile_match(points, reference)
    axes = np.linalg.svd(reference - reference.mean(0), full_matrices=False)[2]
    for d in range(2):
        real, mine = (reference - reference.mean(0)) @ axes[d], (mapped - reference.mean(0)) @ axes[d]
        assert stats.ks_2samp(real, mine).statistic < 0.03
        moments = (moment_match(points, reference) - reference.mean(0)) @ axes[d]
        assert stats.ks_2samp(real, moments).statistic > 0.05  # what moment matching leaves
        assert (np.argsort(mine) == np.argsort(moments)).all()  # each axis's rank order is kept
    with pytest.raises(GanrsError, match="centre_matching must be one of quantiles, moments"):
        SampleRequest(50, 40, ratings=1000, sampling=SamplingChoices(centre_matching="optimal")).validate()
