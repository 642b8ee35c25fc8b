"""Whole users (generator/profiles.py): donors' histograms, the pooled shares, the re-ranking, and a source whose
heavy users rate low giving synthetic users that do too."""
import numpy as np
import pandas as pd
import pytest

from recbole_ganrs.generator import GANRS
from recbole_ganrs.generator.profiles import class_counts, donors, histogram_targets, match_pooled, rerank
from recbole_ganrs.stats.structure import relevant_shares, spread_measures


def test_a_user_with_its_donors_count_gets_the_donors_histogram_and_every_row_its_count():
    donor = np.array([[1, 0, 3, 4, 2], [0, 0, 0, 1, 1]], np.float64)
    shares = donor / donor.sum(1, keepdims=True)
    same = histogram_targets(shares, donor.sum(1).astype(np.int64))
    assert (same == donor).all()
    scaled = histogram_targets(shares, np.array([25, 3]))
    assert scaled.sum(1).tolist() == [25, 3] and (scaled >= 0).all()
    assert np.allclose(scaled[0] / 25, shares[0], atol=1 / 25)


def test_pooled_shares_are_met_exactly_with_row_sums_kept_and_small_moves():
    draw = np.random.default_rng(0)
    h = draw.multinomial(20, [0.1, 0.2, 0.3, 0.25, 0.15], size=300)
    shares = np.array([0.05, 0.15, 0.3, 0.3, 0.2])
    moved = match_pooled(h, shares, np.random.default_rng(1))
    assert (moved >= 0).all() and (moved.sum(1) == h.sum(1)).all()
    assert np.abs(moved.sum(0) - shares * h.sum()).max() < 1
    assert np.abs(moved - h).sum() <= 2 * np.abs(h.sum(0) - shares * h.sum()).sum() + 10


def test_rerank_gives_each_user_its_histogram_in_the_heads_order():
    user = np.repeat([0, 1, 2], [4, 3, 5])
    drawn = np.array([4, 0, 2, 1, 3, 3, 0, 0, 1, 2, 3, 4])
    targets = np.array([[1, 1, 1, 1, 0], [0, 0, 0, 0, 3], [2, 0, 0, 0, 3]])
    out = rerank(drawn, user, targets, np.random.default_rng(0).random(len(drawn)))
    for u in range(3):
        mine = user == u
        assert (np.bincount(out[mine], minlength=5) == targets[u]).all()
        order = np.argsort(drawn[mine], kind="stable")
        assert (np.diff(out[mine][order].astype(int)) >= 0).all()  # never a lower draw above a higher one
    assert out[0] == 3 and out[1] == 0  # user 0: its highest draw gets its highest target


def test_donors_are_among_the_nearest():
    reference = np.arange(10, dtype=np.float64)[:, None]
    chosen = donors(np.array([[0.1], [9.2]]), reference, np.random.default_rng(0), k=2)
    assert chosen[0] in (0, 1) and chosen[1] in (8, 9)
    assert (class_counts(np.array([0, 0, 1]), np.array([2, 2, 0]), 2, 3) == [[0, 0, 2], [1, 0, 0]]).all()


def test_a_mix_of_donors_is_distinct_and_begins_with_the_single_draw():
    rng = np.random.default_rng(5)
    points, reference = rng.normal(size=(40, 2)), rng.normal(size=(60, 2))
    one = donors(points, reference, np.random.default_rng(1), k=8)
    mix = donors(points, reference, np.random.default_rng(1), k=8, count=3)
    assert mix.shape == (40, 3) and (mix[:, 0] == one).all()  # the same random numbers: mix 1 is the donor
    assert all(len(set(row)) == 3 for row in mix)
    near = np.argsort(((points[:, None] - reference[None]) ** 2).sum(-1), axis=1)[:, :8]
    assert all(set(row) <= set(n) for row, n in zip(mix, near))


def test_donor_mix_one_is_the_single_donor_and_a_mix_keeps_the_users_spread():
    from recbole_ganrs.errors import GanrsError
    from recbole_ganrs.generator.sampling import SamplingChoices

    source = heavy_users_rate_low()
    gen = GANRS(seed=0, gan_steps=300, embedding_epochs=5, progress=False).fit(source)
    ask = dict(users=300, items=80, ratings=int(len(source) * 2), seed=1)
    pd.testing.assert_frame_equal(gen.sample(**ask), gen.sample(**ask, donor_mix=2))  # the default
    single, mixed = (spread_measures(gen.sample(**ask, donor_mix=m)) for m in (1, 4))
    # the mean of four donors' levels, re-spread: the users' levels spread as one donor's do, and heavy users
    # still rate low (the source's r is about -0.7)
    assert abs(mixed["user-mean std"] / single["user-mean std"] - 1) < 0.2
    assert mixed["activity-rating r"] < -0.4
    for bad in (0, 2.5, 33):
        with pytest.raises(GanrsError, match="donor_mix"):
            SamplingChoices(donor_mix=bad).validate()
    for other in (1, 4):
        with pytest.raises(GanrsError, match="--donor-mix is a --pairing shapes setting"):
            SamplingChoices(donor_mix=other, pairing="draws", rating_model="distribution").validate()
    SamplingChoices(pairing="draws", rating_model="distribution").validate()  # the default: no refusal


def heavy_users_rate_low(n_users=150, n_items=80, seed=0):
    """A source where a user's activity and its rating level go together: heavy users rate low (r about -0.7),
    light ones mostly 4-5, on a rank-2 item structure."""
    rng = np.random.default_rng(seed)
    activity = rng.integers(8, 60, n_users)
    level = 4.6 - 2.4 * (activity - 8) / 52  # heavy users around 2.2, light around 4.6
    u, v = rng.normal(size=(n_users, 2)), rng.normal(size=(n_items, 2))
    rows = []
    for user in range(n_users):
        items = rng.choice(n_items, activity[user], replace=False)
        raw = level[user] + 0.6 * (u[user] @ v[items].T) + 0.4 * rng.normal(size=len(items))
        rows.append(pd.DataFrame({"user_id": str(user), "item_id": items.astype(str),
                                  "rating": np.clip(np.round(raw), 1, 5)}))
    return pd.concat(rows, ignore_index=True)


def test_synthetic_users_keep_the_sources_activity_rating_relation_and_relevant_shares():
    source = heavy_users_rate_low()
    gen = GANRS(seed=0, gan_steps=300, embedding_epochs=5, progress=False).fit(source)
    out = gen.sample(users=300, items=80, ratings=int(len(source) * 2), seed=1)
    real, synthetic = spread_measures(source), spread_measures(out)
    assert real["activity-rating r"] < -0.6
    assert synthetic["activity-rating r"] < -0.4  # drawn apart (activity from the draws), it was near 0 or above
    shares = [relevant_shares(frame, [4.0, 5.0]).mean(0) for frame in (source, out)]
    assert np.abs(shares[0] - shares[1]).max() < 0.04
    pooled = [frame["rating"].value_counts(normalize=True).sort_index() for frame in (source, out)]
    assert np.abs(pooled[0] - pooled[1]).max() < 0.005  # the pooled shares stay the source's


def test_respread_gives_the_mixed_levels_the_single_donors_spread():
    from recbole_ganrs.generator.ganrs import respread

    rng = np.random.default_rng(2)
    single = rng.dirichlet(np.ones(5) * 0.7, size=400)
    mixed = (single + rng.dirichlet(np.ones(5) * 0.7, size=400)) / 2  # two donors' mean: narrower levels
    levels = np.arange(5.0)
    assert np.std(mixed @ levels) < 0.8 * np.std(single @ levels)
    out = respread(mixed, single)
    assert np.allclose(out.sum(1), 1) and (out >= 0).all()
    assert abs(np.std(out @ levels) / np.std(single @ levels) - 1) < 0.1  # cut shares move it a little
