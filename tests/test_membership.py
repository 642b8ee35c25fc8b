"""Membership inference (stats/membership.py): calibrated on a generator that copies its members (the attacks must
find them) and one that learns only marginals (they must not), on small data."""
import json

import numpy as np
import pytest

from recbole_ganrs.generator import StatisticalGenerator
from recbole_ganrs.datasets.membership_generators import copying_release
from recbole_ganrs.stats.membership import SHADOW, audit, rounds
from tests.conftest import make_ratings


@pytest.fixture(scope="module")
def split():
    source = make_ratings(n_users=500, n_items=80, per_user=40, seed=3)
    user = source["user_id"].astype(int)
    return source[user < 300], source[user >= 300]  # 300 members, 200 held out


def by_attack(result):
    return {r.attack: r for r in result.results}


def test_rounds_score_each_held_out_user_once_against_the_other_half(split):
    train, holdout = split
    plan = rounds(train, holdout, seed=0)
    scored = np.concatenate(plan.nonmembers)
    assert sorted(scored) == sorted(holdout["user_id"].unique())  # every held-out user once
    for nonmembers, reference in zip(plan.nonmembers, plan.reference):
        assert not set(nonmembers) & set(reference)  # never in its own reference
    members = np.concatenate(plan.members)
    assert len(members) == len(scored) and set(members) <= set(train["user_id"])
    assert len(plan.members[0]) == len(plan.nonmembers[0])


def test_the_attacks_find_verbatim_copies_of_the_members(split):
    train, holdout = split
    every = by_attack(audit(copying_release(train, 1.0, 300, seed=0), train, holdout))
    copied = every["closest record (histogram)"]
    # (its TPR at 1% FPR is 0 here: a few held-out users of this small law have a member's very histogram, so
    # the copies' distance 0 is no threshold under 1% false positives; on ml-100k it is 1.0)
    assert copied.auc > 0.95 and copied.leaks
    # a third of the members copied: about a third of the way from 0.5 to 1
    third = by_attack(audit(copying_release(train, 1 / 3, 300, seed=0), train, holdout))["closest record (histogram)"]
    assert 0.55 < third.auc < 0.8 and third.leaks


def test_no_signal_from_a_generator_of_marginals(split):
    train, holdout = split
    release = StatisticalGenerator(progress=False).fit(train).sample(users=300, items=80, ratings=12000, seed=0)
    result = audit(release, train, holdout)
    assert not any(r.leaks for r in result.results) and result.worst.auc < 0.6
    assert result.sentence().startswith("no membership signal found by 6 attacks")
    assert result.record()["MIA AUC low"] <= 0.5


def test_the_shadow_model_learns_what_a_copying_generator_does(split):
    train, holdout = split

    def refit(ratings, seed):  # the attacker's copy of the generator: it publishes half its users verbatim
        return copying_release(ratings, 0.5, ratings["user_id"].nunique(), seed)

    release = copying_release(train, 0.5, 300, seed=0)
    result = by_attack(audit(release, train, holdout, refit=refit, shadows=2))
    assert result[SHADOW].auc > 0.65 and result[SHADOW].leaks
    assert len(result) == 7 and all(r.members == r.nonmembers == 200 for r in result.values())


def test_the_card_and_the_croissant_file_say_what_the_attacks_found(tmp_path, capsys):
    from recbole_ganrs.cli import main
    from tests.conftest import write_dataset

    folder = write_dataset(tmp_path, "src", make_ratings(n_users=120, n_items=40, per_user=15))
    common = ["--generators", "statistical", "--users", "60", "--items", "40", "--ratings", "800", "--quiet"]
    assert main(["generate", "--source", str(folder), "--privacy-holdout", "0.5", "--out", str(tmp_path / "held"),
                 *common]) == 0
    printed = capsys.readouterr().out
    assert "MIA AUC low" in printed and "## Membership inference" in printed
    (dataset,) = (tmp_path / "held").glob("statistical-*")
    card = (dataset / "README.md").read_text()
    assert "No membership signal found by 6 attacks" in card and "closest record (histogram)" in card
    text = json.loads((dataset / "croissant.json").read_text())["rai:personalSensitiveInformation"]
    assert "Membership inference (users held out of the fit as non-members): no membership signal" in text
    assert main(["generate", "--source", str(folder), "--out", str(tmp_path / "all"), *common]) == 0
    (dataset,) = (tmp_path / "all").glob("statistical-*")
    assert "No membership-inference attack was run" in (dataset / "README.md").read_text()
    assert "No membership-inference attack has been run" in json.loads(
        (dataset / "croissant.json").read_text())["rai:personalSensitiveInformation"]


def test_a_ganrs_leak_on_the_card_names_the_donors_and_the_remedy(split):
    from recbole_ganrs.datasets.card import DONOR_LEAK, membership_lines

    train, holdout = split
    leak = audit(copying_release(train, 1.0, 300, seed=0), train, holdout)
    assert DONOR_LEAK.format(mix=1) in membership_lines(leak, "ganrs", 1)
    assert "histogram of 2 real donor(s)" in membership_lines(leak, "ganrs", 2)[-1]
    assert not any("donor" in line for line in membership_lines(leak, "cfgan"))
    assert membership_lines(leak, "ganrs")[2].startswith("Membership leak: ")


def test_the_shadow_refits_as_the_release_was_made_one_donor_for_an_old_sidecar(monkeypatch):
    from recbole_ganrs.datasets import membership_generators

    asked = []

    class Fake:
        def fit(self, ratings):
            return self

        def sample_request(self, request):
            asked.append(request.sampling.donor_mix)
            return type("S", (), {"ratings": None})()

    monkeypatch.setattr(membership_generators, "make_generator", lambda kind, **settings: Fake())
    request = {"users": 10, "items": 10, "samples": 100, "std": 2.5, "ratings": None,
               "sampling": {"pairing": "shapes", "rating_model": "calibrated"}}
    for sampling, expected in (({}, 1), ({"donor_mix": 4}, 4)):  # a sidecar without donor_mix: before mixes
        meta = {"generator": "ganrs", "settings": {"seed": 0},
                "request": {**request, "sampling": {**request["sampling"], **sampling}}}
        membership_generators.refit_like(meta)(None, 3)
        assert asked[-1] == expected
