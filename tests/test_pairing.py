"""The shapes pairing: counts at the target shapes, pairs where each user's draws lie, exactly the total."""
import dataclasses

import numpy as np
import pytest

from recbole_ganrs.errors import GanrsError
from recbole_ganrs.generator import GANRS, SampleRequest
from recbole_ganrs.generator.pairing import POPULARITY_BINS, Affinity, bin_targets, draw_shape_pairs, plan_blocks, \
    popularity_bins, popularity_targets, target_counts, user_moments, whole_counts
from recbole_ganrs.generator.stages import Stages
from recbole_ganrs.generator.workers import LocalWorkers
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


def small_problem(n_users=60, n_items=300, total=3000, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_items, 2))
    mean, cov = rng.normal(size=(n_users, 2)), np.tile(0.1 * np.eye(2), (n_users, 1, 1))
    rows = target_counts(rng.pareto(1.5, 500) + 1, total, np.arange(n_users), cap=n_items)
    cols = target_counts(rng.pareto(1.5, 500) + 1, total, np.arange(n_items), cap=n_users)
    return Affinity.of(mean, cov, centres, widen=0.05), rows, cols


def shape_pairs(affinity, rows, cols, total, seed=0, workers=None, bins=None):
    workers = workers or LocalWorkers()
    try:
        return draw_shape_pairs(affinity, rows, cols, total, seed, workers, Stages(progress=False), bins)
    finally:
        workers.close()


def test_pairs_are_exact_distinct_near_their_draws_and_at_the_counts():
    affinity, rows, cols = small_problem()
    whole = whole_counts(rows, 3000)
    assert whole.sum() == 3000 and np.abs(whole - rows).max() < 1
    user, item = shape_pairs(affinity, rows, cols, 3000)
    assert len(np.unique(user * 300 + item)) == 3000 and (np.bincount(user, minlength=60) == whole).all()
    assert np.corrcoef(np.bincount(item, minlength=300), cols)[0, 1] > 0.9  # each item near its count
    centres, mean = affinity.centres, affinity.mean
    far = np.linalg.norm(centres[item] - mean[user], axis=1).mean()
    anywhere = np.linalg.norm(centres[None] - mean[:, None], axis=2).mean()
    assert far < 0.8 * anywhere  # each user's items lie nearer its draws than items at large
    again = shape_pairs(affinity, rows, cols, 3000)
    assert (again[0] == user).all() and (again[1] == item).all()
    other = shape_pairs(affinity, rows, cols, 3000, seed=1)
    assert not np.array_equal(other[1], item)


def test_blocks_hold_users_of_about_one_count_and_at_most_the_block_size(monkeypatch):
    from recbole_ganrs.generator import pairing

    monkeypatch.setattr(pairing, "BLOCK_CANDIDATES", 2000)
    affinity, rows, cols = small_problem()
    counts = whole_counts(rows, 3000)
    specs = plan_blocks(rows, counts, 300)
    assert len(specs) > 3 and sorted(np.concatenate([s.users for s in specs])) == list(np.flatnonzero(counts))
    assert all(len(s.users) * s.width <= 2000 or len(s.users) == 1 for s in specs)
    assert all(s.width == pairing.candidate_width(s.counts.max(), 300) for s in specs)  # its largest count's
    user, item = shape_pairs(affinity, rows, cols, 3000)  # many blocks: still exact and distinct
    assert len(np.unique(user * 300 + item)) == 3000 and (np.bincount(user, minlength=60) == counts).all()


def test_the_pairs_are_the_same_bits_on_any_number_of_threads(monkeypatch):
    from recbole_ganrs.generator import pairing

    monkeypatch.setattr(pairing, "BLOCK_CANDIDATES", 3000)  # several blocks to spread over the threads
    affinity, rows, cols = small_problem(n_users=200, total=8000)
    one, three = (shape_pairs(affinity, rows, cols, 8000, workers=LocalWorkers(n)) for n in (1, 3))
    assert np.array_equal(one[0], three[0]) and np.array_equal(one[1], three[1])


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
    # every draw's pair: as many distinct pairs as 12,000 draws hold (a 300-step GAN's draws bunch: 3,500 is
    drawn = gen.sample(users=100, items=150, samples=12000, seed=0, pairing="draws")  # out of reach)
    assert len(shaped) == 3500 and not shaped.duplicated(["user_id", "item_id"]).any()
    ks = [fidelity("x", frame, source)["activity KS"] for frame in (shaped, drawn)]
    assert ks[0] < 0.1 and ks[0] < ks[1]


def test_shapes_pairing_refuses_what_it_cannot_do(source):
    gen = GANRS(seed=0, **FAST).fit(source)
    with pytest.raises(GanrsError, match="needs --pairing draws"):
        gen.sample(users=100, items=150, ratings=3500, rating_model="mean")
    with pytest.raises(GanrsError, match="is a --pairing draws setting"):
        gen.sample(users=100, items=150, ratings=3500, match_shapes=False)
    with pytest.raises(GanrsError, match="pairing must be one of shapes, draws"):
        gen.sample(users=100, items=150, ratings=3500, pairing="nearest")


def test_a_request_beyond_users_x_items_in_memory_is_not_refused(source):
    """100,000 x 20,000 is 2,000M cells (8 GB as the dense matrix the pairing once held, refused then): on
    candidates, 10M ratings need 8 bytes x 4 candidates each."""
    gen = GANRS(seed=0, **FAST).fit(source)
    gen.check_request(SampleRequest(100_000, 20_000, ratings=10_000_000).validate())


def test_whole_counts_never_ask_a_user_for_more_items_than_there_are():
    """4,999 ratings of 50 users x 100 items: the capped targets can sit a little above 100, and rounding up
    asked one user for 101 items (topk out of range in the draw)."""
    counts = np.array([100.99, 100.99, *([(4999 - 2 * 100.99) / 48] * 48)])  # 99.93 each: sums to 4,999
    whole = whole_counts(counts, 4999, cap=100)
    assert whole.sum() == 4999 and whole.max() == 100
    assert whole_counts(counts, 4999).max() == 101  # without the cap: the crash's count


def test_popularity_bins_hold_their_share_of_the_ratings_and_targets_fit_bins_rows_and_caps():
    counts = np.r_[np.full(5, 200.0), np.full(45, 20.0), np.ones(450)]  # 1,000 + 900 + 450 ratings
    item_bin = popularity_bins(counts)
    assert item_bin[:5].max() <= item_bin[5:50].min() and item_bin[5:50].max() <= item_bin[50:].min()
    assert (np.diff(item_bin[np.argsort(-counts, kind="stable")]) >= 0).all()  # most rated in the first bins
    assert popularity_bins(counts * 7).tolist() == item_bin.tolist()  # the same shape at another size
    rows = np.array([40.0, 10.0, 30.0])
    shares = np.array([[1.0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 1.0], [0.5, 0.5, 0, 0, 0, 0, 0]])
    # one way to meet them: user 0 takes 12 of bin 0 (all its items) and spreads 28 over the others
    totals, caps = np.array([27.0, 20, 5, 5, 5, 4, 14]), np.array([12, 50, 50, 50, 50, 50, 50])
    t = bin_targets(rows, shares, totals, caps)
    assert np.allclose(t.sum(1), rows, rtol=0.02) and (t <= caps + 1e-9).all()  # user 0 cannot rate 40 of 12 items
    assert t[0, 0] == pytest.approx(12) and t[1, -1] > 8 and t[2, :2].sum() > 25  # 1 and 2 keep their bins
    assert np.allclose(t.sum(0), totals, rtol=0.1)  # user 2 cannot take 15 of bin 0 either


def test_binned_pairs_give_each_user_its_share_of_niche_and_popular_items():
    """Half the users' donors rated only the most rated items, half mostly the least rated: each user's pairs
    follow its bin targets, and the items' and users' counts stay."""
    affinity, rows, cols = small_problem(total=3000)
    donor = np.zeros((60, POPULARITY_BINS))
    donor[::2, 0] = 10
    donor[1::2, -3:], donor[1::2, 0] = 3, 1
    item_bin, bins = popularity_targets(rows, cols, donor)
    binned = dataclasses.replace(affinity, item_bin=item_bin)
    user, item = shape_pairs(binned, rows, cols, 3000, bins=bins)
    assert len(np.unique(user * 300 + item)) == 3000 and (np.bincount(user, minlength=60) == whole_counts(rows, 3000)).all()
    assert np.corrcoef(np.bincount(item, minlength=300), cols)[0, 1] > 0.9

    def tail_share(user, item):  # the share of a user's ratings in the last three bins (12.5% of all ratings)
        return np.bincount(user, weights=item_bin[item] >= POPULARITY_BINS - 3, minlength=60) / np.bincount(user, minlength=60)

    wanted = bins[:, -3:].sum(1) / bins.sum(1)
    got, plain = tail_share(user, item), tail_share(*shape_pairs(affinity, rows, cols, 3000))
    assert np.abs(got - wanted).mean() < 0.04 and np.abs(plain - wanted).mean() > 0.08
    assert got[1::2].mean() - got[::2].mean() > 0.15  # the niche users apart from the others
