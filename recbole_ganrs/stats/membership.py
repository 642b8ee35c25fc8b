"""Membership inference: can an attacker holding the synthetic dataset tell the users the generator learnt
(members) from users of the same population it never saw (non-members)?

Distance figures (DCR, holdout DCR) say how near synthetic users come to real ones; they can pass while an attack
still tells members apart ("The DCR Delusion", arXiv 2505.01524). So, with ``--privacy-holdout`` (the held-out
users are the non-members and the attacker's reference data), attacks score every candidate user on the id-free
user profiles of detection.py (synthetic item ids name no real item, so no attack can use which items a user
rated; an attack that could would be stronger than these). Three scores, each on two views of the profile (every
feature; the rating histogram alone: level, spread, shares, which a verbatim copy, and a GANRS donor's profile
scaled to another count, keep in any release, while the popularity and activity places depend on the release's
items and size), make the six release attacks:

- density ratio (DOMIAS, van Breugel et al., AISTATS 2023): the synthetic users' density at the candidate's profile
  over the reference users' density there. A generator that overfits puts density where its members are, beyond
  what the population has. Densities are scikit-learn's KernelDensity (Scott's bandwidth) on the profiles
  whitened by the pooled synthetic and reference profiles (the rating shares sum to one: a singular direction,
  dropped), as DOMIAS's default Gaussian KDE. The ``domias`` package (0.0.5) is not used: its entry point trains
  its own tabular generator, its baselines loop row by row in Python, and it pulls tensorboardX and geomloss for
  a score that is two density estimates.
- closest record (GAN-leaks, Chen et al., CCS 2020, as DOMIAS's baselines): minus the candidate's distance to its
  nearest synthetic user; calibrated (GAN-leaks CAL): plus its distance to its nearest reference user. The plain
  one finds verbatim copies (distance 0), which the calibration's noise blurs; the calibrated one corrects for
  crowded regions of the population.

A seventh when asked (``shadows`` > 0: each shadow is a fit of the generator):

- shadow model (Shokri et al., S&P 2017, for generators as in Stadler et al., USENIX Security 2022): the attacker
  refits the same generator (kind and settings) on a part of the released synthetic users (its stand-in
  population), samples a shadow release, and learns from its own in and out users how the six scores differ for
  members (a logistic regression); that classifier scores the candidates.

The holdout users split into two halves, each the reference while the other's users are scored (cross-fitting:
every held-out user is a candidate once, never in its own reference); as many training users are drawn as
candidates. The AUC (0.5: no signal) has a stratified bootstrap interval (scipy.stats.bootstrap over members and
non-members apart) at 95% for all the attacks at once (Bonferroni: with seven attacks, 95% intervals would name a
leak where there is none one time in seven), and the true-positive rate at 1% false positives (Carlini et al.,
S&P 2022) says whether a few users are exposed even when the AUC is near 0.5; with a few hundred non-members it
rests on their top few scores, and users with the very same histogram tie, so read it as coarse.
"""
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial import cKDTree
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_curve
from sklearn.neighbors import KernelDensity
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from recbole_ganrs.seeds import rng, stream
from recbole_ganrs.stats.detection import Dithered

BOOTSTRAP = 1000
LOW_FPR = 0.01
LEVEL = 0.95  # the intervals hold for every attack at once (Bonferroni): a leak is one attack's lower bound > 0.5


def histogram_columns(columns):
    """The rating histogram's features (level, spread, share of each value): what a verbatim copy of a user and a
    GANRS donor's profile (generator/profiles.py) carry whatever the release's items and size."""
    return [c for c in columns if c in ("mean rating", "std rating") or c.startswith("share ")]


#: the features an attack reads: every profile feature, or the rating histogram only
VIEWS = {"profile": list, "histogram": histogram_columns}


def density_ratio_scores(release, reference, candidates):
    """log synthetic density - log reference density at each candidate (rows of whitened features)."""
    fake = KernelDensity(bandwidth="scott").fit(release)
    real = KernelDensity(bandwidth="scott").fit(reference)
    return fake.score_samples(candidates) - real.score_samples(candidates)


def closest_record_scores(release, reference, candidates):
    """Minus the distance to the nearest synthetic user (whitened features): a verbatim copy scores the most."""
    return -cKDTree(release).query(candidates)[0]


def calibrated_closest_record_scores(release, reference, candidates):
    """Distance to the nearest reference user minus that to the nearest synthetic user (whitened features): a
    candidate in a crowded region of the population is near some synthetic user whoever learnt it."""
    return cKDTree(reference).query(candidates)[0] + closest_record_scores(release, reference, candidates)


SCORES = {"density ratio": density_ratio_scores, "closest record": closest_record_scores,
          "calibrated closest record": calibrated_closest_record_scores}


@dataclass(frozen=True)
class Attack:
    """A release attack: a score (SCORES) on a view of the profiles (VIEWS)."""

    score: str
    view: str

    @property
    def name(self):
        return f"{self.score} ({self.view})"


RELEASE_ATTACKS = tuple(Attack(score, view) for score in SCORES for view in VIEWS)
SHADOW = "shadow model"


@dataclass(frozen=True)
class AttackResult:
    """One attack's success at telling members from non-members."""

    attack: str
    auc: float
    low: float  # the AUC's bootstrap interval (simultaneous over the audit's attacks)
    high: float
    tpr_at_low_fpr: float  # true-positive rate at LOW_FPR false positives
    members: int
    nonmembers: int

    @property
    def leaks(self):
        """A membership signal: the AUC's interval lies above 0.5."""
        return self.low > 0.5

    def row(self):
        return {"attack": self.attack, "AUC": round(self.auc, 3), "interval": f"[{self.low:.3f}, {self.high:.3f}]",
                "TPR at 1% FPR": round(self.tpr_at_low_fpr, 3),
                "members / non-members": f"{self.members} / {self.nonmembers}"}


@dataclass(frozen=True)
class MembershipAudit:
    """Every attack's result on one synthetic dataset."""

    results: tuple

    @property
    def worst(self):
        """The attack that did best (for the attacker)."""
        return max(self.results, key=lambda r: r.auc)

    def sentence(self):
        """What the card and the Croissant file say."""
        w, leaks = self.worst, sum(r.leaks for r in self.results)
        strongest = (f"the strongest: {w.attack}, AUC {w.auc:.3f} [{w.low:.3f}, {w.high:.3f}], TPR "
                     f"{w.tpr_at_low_fpr:.3f} at 1% FPR")
        if leaks:
            return (f"membership leak: {leaks} of {len(self.results)} attacks tell the users the generator learnt from "
                    f"users it never saw; {strongest}")
        return f"no membership signal found by {len(self.results)} attacks ({strongest})"

    def record(self):
        """Flat cells for the fidelity table: the strongest attack's AUC, the highest lower bound of an AUC's
        interval (above 0.5: a leak; the verdict's tolerance), the highest TPR at 1% FPR."""
        return {"MIA AUC": round(self.worst.auc, 3), "MIA AUC low": round(max(r.low for r in self.results), 3),
                "MIA TPR@1%FPR": round(max(r.tpr_at_low_fpr for r in self.results), 3)}

    def rows(self):
        return [r.row() for r in self.results]


@dataclass(frozen=True)
class Rounds:
    """The candidates of the two cross-fitting rounds: in round k, ``reference[k]``'s users are the attacker's
    reference and ``members[k]`` and ``nonmembers[k]`` are scored (user ids of the real frames)."""

    members: tuple
    nonmembers: tuple
    reference: tuple


def rounds(train, holdout, seed):
    """Cross-fitting rounds of ``train`` (members) and ``holdout`` (non-members and reference) ratings frames."""
    draw = rng(seed, "measure", "membership_split")
    held = draw.permutation(np.sort(holdout["user_id"].unique()))
    halves = (held[: len(held) // 2], held[len(held) // 2:])
    learnt = np.sort(train["user_id"].unique())
    members = draw.choice(learnt, min(len(learnt), len(held)), replace=False)
    split = len(halves[1]) * len(members) // len(held)
    return Rounds(members=(members[:split], members[split:]), nonmembers=(halves[1], halves[0]),
                  reference=halves)


def profile_table(ratings, scale):
    """Each user's id-free profile (detection.py, undithered: equal data, equal profiles), indexed by user id."""
    return Dithered(ratings).profile_frame(scale)


def whitening(release, reference):
    """x -> x in the basis of the pooled ``release`` and ``reference`` rows' directions with any variance, each
    scaled to unit variance (the histogram's shares sum to one: that direction is dropped)."""
    pooled = np.vstack([release, reference])
    mean = pooled.mean(0)
    _, s, vt = np.linalg.svd(pooled - mean, full_matrices=False)
    keep = s > 1e-8 * s[0]
    project = vt[keep].T / (s[keep] / np.sqrt(len(pooled) - 1))
    return lambda x: (x - mean) @ project


def release_features(release, reference, *groups):
    """Each release attack's score (columns in RELEASE_ATTACKS order) of each candidate of each of ``groups``, one
    array per group; arguments are profile tables, each view whitened on its round's release and reference. The
    groups are scored together: one density fit and one tree per release and reference."""
    candidates = pd.concat(groups)
    columns = []
    for attack in RELEASE_ATTACKS:
        names = VIEWS[attack.view](list(release.columns))
        whiten = whitening(release[names].to_numpy(), reference[names].to_numpy())
        columns.append(SCORES[attack.score](*(whiten(t[names].to_numpy()) for t in (release, reference, candidates))))
    return np.split(np.column_stack(columns), np.cumsum([len(g) for g in groups])[:-1])


def auc_of(members, nonmembers, axis=-1):
    """The AUC of scores (members should score higher): Mann-Whitney U over the pairs."""
    return stats.mannwhitneyu(members, nonmembers, axis=axis).statistic / (members.shape[axis] * nonmembers.shape[axis])


def attack_result(attack, member_scores, nonmember_scores, seed, attacks=1):
    """An AttackResult: the AUC, its stratified bootstrap interval (at LEVEL for ``attacks`` at once), the TPR at
    LOW_FPR."""
    member_scores, nonmember_scores = np.asarray(member_scores, float), np.asarray(nonmember_scores, float)
    interval = stats.bootstrap((member_scores, nonmember_scores), auc_of, n_resamples=BOOTSTRAP, vectorized=True,
                               method="percentile", confidence_level=1 - (1 - LEVEL) / attacks,
                               random_state=rng(seed, "measure", "membership_bootstrap")).confidence_interval
    labels = np.r_[np.ones(len(member_scores)), np.zeros(len(nonmember_scores))]
    fpr, tpr, _ = roc_curve(labels, np.r_[member_scores, nonmember_scores])
    return AttackResult(attack, float(auc_of(member_scores, nonmember_scores)), float(interval.low),
                        float(interval.high), float(tpr[fpr <= LOW_FPR].max()), len(member_scores),
                        len(nonmember_scores))


#: refit the audited generator on a ratings frame and sample a release from it: (ratings, seed) -> ratings
Refit = Callable[[pd.DataFrame, int], pd.DataFrame]


def audit(synthetic, train, holdout, seed=0, refit: Optional[Refit] = None, shadows=0):
    """A MembershipAudit of the ``synthetic`` release (ratings frames: the release, the users the generator
    learnt, the held-out ones). With ``refit`` and ``shadows`` > 0, the shadow-model attack too."""
    scale = np.unique(train["rating"].to_numpy(np.float64))
    real = profile_table(pd.concat([train, holdout], ignore_index=True), scale)
    release = profile_table(synthetic, scale)
    plan = rounds(train, holdout, seed)
    scored = [release_features(release, real.loc[ref], real.loc[m], real.loc[n])
              for m, n, ref in zip(plan.members, plan.nonmembers, plan.reference)]
    member, nonmember = (np.vstack([f[k] for f in scored]) for k in (0, 1))
    shadow = refit is not None and shadows > 0
    count = len(RELEASE_ATTACKS) + shadow
    results = [attack_result(a.name, member[:, j], nonmember[:, j], seed, count)
               for j, a in enumerate(RELEASE_ATTACKS)]
    if shadow:
        model = shadow_classifier(synthetic, refit, sum(map(len, plan.members)), len(plan.reference[0]), scale,
                                  shadows, seed)
        results.append(attack_result(SHADOW, model.decision_function(member), model.decision_function(nonmember),
                                     seed, count))
    return MembershipAudit(tuple(results))


def shadow_classifier(synthetic, refit, n_members, n_reference, scale, shadows, seed):
    """A classifier of (release attacks' scores) -> member, learnt on ``shadows`` shadow releases: each the
    generator refitted on a draw of the released users ("in") and sampled; its candidates are in users and as many
    out users, its reference other out users, all profiled in the release's own scales."""
    users = np.sort(synthetic["user_id"].unique())
    n_in = min(n_members, len(users) // 2)
    n_ref = min(n_reference, (len(users) - n_in) // 2)
    n_candidates = min(n_in, len(users) - n_in - n_ref)
    pool = profile_table(synthetic, scale)
    rows, labels = [], []
    for k in range(shadows):
        draw = rng(seed, "measure", "shadow", k)
        order = draw.permutation(users)
        inside, out = order[:n_in], order[n_in:]
        release = profile_table(refit(synthetic[synthetic["user_id"].isin(inside)],
                                      stream(seed, "measure", "shadow_fit", k)), scale)
        reference, candidates_out = out[:n_ref], out[n_ref:n_ref + n_candidates]
        candidates_in = draw.choice(inside, n_candidates, replace=False)
        rows += release_features(release, pool.loc[reference], pool.loc[candidates_in], pool.loc[candidates_out])
        labels += [np.ones(len(candidates_in)), np.zeros(len(candidates_out))]
    model = make_pipeline(StandardScaler(), LogisticRegression())
    return model.fit(np.vstack(rows), np.concatenate(labels))
