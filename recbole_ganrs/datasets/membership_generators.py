"""The generators a membership audit (stats/membership.py) runs besides the audited one: the attacker's shadow
copy of a dataset's generator (:func:`refit_like`, for the shadow-model attack) and the positive control, a
"generator" that publishes some of its training users verbatim (:func:`copying_release`)."""
import warnings

import numpy as np
import pandas as pd

from recbole_ganrs.datasets.card import donor_mix
from recbole_ganrs.generator import SampleRequest, StatisticalGenerator, make_generator
from recbole_ganrs.generator.sampling import SamplingChoices
from recbole_ganrs.seeds import rng


def refit_like(meta):
    """The Refit of the generator a dataset's sidecar ``meta`` describes: the same kind and settings fitted (at
    the shadow's seed) on a ratings frame, sampled at the dataset's request (its size, std and sampling choices)."""
    request = meta["request"]
    settings = {k: v for k, v in meta["settings"].items() if k != "progress"}
    sampling = dict(request.get("sampling") or {})
    if meta["generator"] == "ganrs":  # as the release was made: a sidecar from before donor mixes had one donor
        sampling["donor_mix"] = donor_mix(meta)

    def refit(ratings, seed):
        generator = make_generator(meta["generator"], **{**settings, "seed": seed, "progress": False})
        ask = SampleRequest(request["users"], request["items"], request.get("samples"), request["std"], seed,
                            request.get("ratings"), sampling=SamplingChoices.of(sampling))
        with warnings.catch_warnings():  # a shadow's shortfalls (items capped, unrated) are the attacker's noise
            warnings.simplefilter("ignore")
            return generator.fit(ratings).sample_request(ask).ratings

    return refit


def copying_release(train, share, users, seed):
    """The positive control: a "generator" that publishes ``share`` of ``users`` as verbatim copies of training
    users (drawn from ``train``) and the rest as the statistical generator's users fitted on ``train``; ids
    renumbered 1..n (items keep theirs; the statistical items after them)."""
    draw = rng(seed, "measure", "membership_control")
    learnt = np.sort(train["user_id"].unique())
    copied = draw.choice(learnt, min(len(learnt), int(round(share * users))), replace=False)
    copies = train[train["user_id"].isin(copied)]
    rest = users - len(copied)
    parts = [copies.assign(user_id=pd.factorize(copies["user_id"])[0] + 1)]
    if rest >= 2:
        density = len(train) / len(learnt)
        fill = StatisticalGenerator(seed=seed, progress=False).fit(train).sample(
            users=rest, items=train["item_id"].nunique(), ratings=int(round(density * rest)), seed=seed)
        parts.append(fill.assign(user_id=fill["user_id"].astype(np.int64) + len(copied),
                                 item_id="statistical " + fill["item_id"].astype(str)))
    frame = pd.concat(parts, ignore_index=True)[["user_id", "item_id", "rating"]]
    return frame.assign(item_id=pd.factorize(frame["item_id"])[0] + 1)
