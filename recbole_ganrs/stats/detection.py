"""Detection: can a classifier tell a synthetic user's profile from a real one? (synthcity's and sdmetrics'
detection test, on user profiles.)

A profile holds only what does not depend on ids or on the dataset's size: the user's place on its dataset's
activity scale (``mass_position``: the share of the ratings made by lighter users, a uniform point of its own
stretch), its mean and std rating, its shares of each rating value of the source's scale, and how popular the
items it rated are (each rating placed on the dataset's popularity scale, the share of the ratings on less rated
items, at a uniform point of its item's stretch; per user their mean, median and share in the top tenth). On
those scales no feature's values sit on a lattice that names the dataset. The classifier is scikit-learn's HistGradientBoostingClassifier: it
finds the interactions of a few such features (a heavy user with a narrow rating spread) that a logistic model
would miss, needs no scaling, and takes a second on thousands of users. The real and synthetic users are
balanced (the larger set subsampled, seeded), and the AUC is the mean of a stratified 5-fold cross-validation:
0.5 means the profiles cannot be told apart, 1.0 that every synthetic user is recognised. The reference is
two disjoint halves of the source's users: ml-100k 0.50-0.51 over three random halvings (~470 users a side);
FilmTrust 0.54-0.68, its users sharing a few dominant items, whose counts differ between halves by chance and
move every user's popularity features together: a dataset of its size cannot score much below that. A dataset against an exact copy of itself is degenerate (each profile is in both classes, so the
folds learn the opposite label: AUC near 0): compare with a second sample, not a copy. The two sides are
compared at one density (ratings per user; the denser thinned at random, :func:`density_matched`): a dataset asked
for at another density than its source's is not told apart by the noise of its users' means alone.
"""
import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import StratifiedKFold, cross_val_score

from recbole_ganrs.seeds import rng, stream

FOLDS = 5
MAX_USERS = 5000  # per side: the AUC settles long before, and the fit stays a few seconds


def mass_stretches(counts):
    """Each entity's (item's, user's) stretch (start, length) of its dataset's ratings scale: the entities in
    order of their ratings ``counts`` (fewest first), each as long as its share of the ratings, entities of one
    count sharing one stretch."""
    counts = np.asarray(counts, np.float64)
    levels, level = np.unique(counts, return_inverse=True)
    length = np.bincount(level, weights=counts) / counts.sum()
    start = np.concatenate([[0.0], np.cumsum(length)[:-1]])
    return start[level], length[level]


def mass_position(index, counts, draw):
    """The place (0..1) of each of ``index`` (rows into ``counts``) on the dataset's ratings scale: a uniform
    point of its entity's stretch (its middle when ``draw`` is None). Over a dataset's ratings the places are
    uniform whatever its size: they say how far toward the most rated items (users) a user goes, on no lattice.
    Replaced: each item's percentile among the dataset's items and the user's count over the dataset's mean,
    dithered within ties and counts: the top items' percentiles shift with the number of items rated, and
    light users' counts with the mean, so two halves of FilmTrust's users were told apart at AUC 0.73 (two
    GANRS samples of one fit at 0.85) by where those lattices fell."""
    start, length = mass_stretches(counts)
    if draw is None:
        return start[index] + 0.5 * length[index]
    place = draw.random(len(index))  # then in place: one array per rating at a time, not four (100M: 0.8 GB each)
    place *= length[index]
    place += start[index]
    return place


class Dithered:
    """A ratings frame's users with their places on its scales drawn (:func:`mass_position`): each rating's item
    place, then each user's activity place, users in id order; their profiles computed later for any subset of
    users (:meth:`profiles`), so that a dataset of 100,000 users pays the profiles of the few the classifier
    sees, with the draws a profile of every user would make."""

    def __init__(self, ratings, draw=None):
        columns = ["user_id", "item_id", "rating"]
        self.frame = ratings if list(ratings.columns) == columns else ratings[columns]  # a selection copies them all
        item = pd.factorize(self.frame["item_id"])[0]
        self.pop = mass_position(item, np.bincount(item), draw)
        self.user, self.users = pd.factorize(self.frame["user_id"], sort=True)  # id order, as groupby's
        counts = np.bincount(self.user, minlength=len(self.users))
        self.activity = mass_position(np.arange(len(counts)), counts, draw)

    def __len__(self):
        return len(self.users)

    def profiles(self, scale, chosen=None):
        """One row of id-free features per user (rows ``chosen``, positions in id order; None: every user)."""
        return self.profile_frame(scale, chosen).to_numpy(np.float64)

    def profile_frame(self, scale, chosen=None):
        """:meth:`profiles` as a frame: one column per feature, one row per user (indexed by id)."""
        chosen = np.arange(len(self.users)) if chosen is None else np.asarray(chosen)
        keep = np.zeros(len(self.users), bool)
        keep[chosen] = True
        rows = keep[self.user]
        frame = self.frame[rows].assign(pop=self.pop[rows])
        by = frame.groupby("user_id")
        out = pd.DataFrame({"activity": self.activity[np.sort(chosen)], "mean rating": by["rating"].mean(),
                            "std rating": by["rating"].std(ddof=0), "mean popularity": by["pop"].mean(),
                            "median popularity": by["pop"].median(),
                            "top-tenth share": by["pop"].agg(lambda p: float(np.mean(p > 0.9)))})
        shares = pd.crosstab(frame["user_id"], frame["rating"], normalize="index")
        for value in scale:
            out[f"share {value:g}"] = shares[value] if value in shares.columns else 0.0
        return out


def profiles(ratings, scale, draw=None):
    """One row of id-free features per user of ``ratings`` (user_id, item_id, rating); ``scale`` the rating
    values whose shares are features (the source's); ``draw`` the generator of the dithering (None: none, plain
    average ranks, so that equal data gives equal profiles)."""
    return Dithered(ratings, draw).profiles(scale)


def density_matched(a, b, key, draw):
    """(a, b), ratings frames, the denser of the two (ratings per distinct ``key``: per user, per item) thinned
    to the other's density by keeping a random share of its ratings. A user's (item's) mean, spread and shares are
    noisier the fewer its ratings, so a dataset asked for at another density is told apart by that alone: two
    halves of ml-100k's users, one thinned to 60% of its ratings, scored 0.58 / 0.61 unmatched."""
    density = [len(x) / max(x[key].nunique(), 1) for x in (a, b)]
    dense = int(np.argmax(density))
    if density[0] == density[1]:
        return a, b
    frame = (a, b)[dense]
    kept = frame.iloc[np.sort(draw.choice(len(frame), int(round(len(frame) * min(density) / max(density))),
                                          replace=False))]
    return (kept, b) if dense == 0 else (a, kept)


def detection_auc(synthetic, source, seed=0):
    """Cross-validated AUC of telling ``synthetic``'s user profiles from ``source``'s (ratings frames), at one
    density (:func:`density_matched`). Only the users the classifier sees (at most MAX_USERS a side, the larger
    side subsampled) get profiles, with the draws that profiling every user would make: the same AUC at a
    fraction of the cost on a large dataset."""
    scale = np.unique(source["rating"].to_numpy(np.float64))
    source, synthetic = density_matched(source, synthetic, "user_id", rng(seed, "measure", "detection_thinning"))
    draw = rng(seed, "measure", "detection")
    real, fake = Dithered(source, draw), Dithered(synthetic, draw)
    n = classified_rows(len(real), len(fake))
    if not n:
        return float("nan")
    chosen = [np.sort(draw.choice(len(side), n, replace=False)) for side in (real, fake)]
    return cross_validated_auc(real.profiles(scale, chosen[0]), fake.profiles(scale, chosen[1]), seed, "detection")


def classified_rows(n_real, n_fake):
    """Rows the classifier sees a side: the smaller side's, at most MAX_USERS; 0 when too few for the folds."""
    n = min(n_real, n_fake, MAX_USERS)
    return n if n >= 2 * FOLDS else 0


def classifier_auc(real, fake, draw, seed, name):
    """The cross-validated AUC of the classifier telling rows of ``fake`` from rows of ``real`` (feature
    arrays), the larger side subsampled to the smaller (at most MAX_USERS) with ``draw``; the folds and the
    model seeded from the streams ``<name>_folds`` and ``<name>_model``. NaN with too few rows."""
    n = classified_rows(len(real), len(fake))
    if not n:
        return float("nan")
    real, fake = (x[np.sort(draw.choice(len(x), n, replace=False))] for x in (real, fake))
    return cross_validated_auc(real, fake, seed, name)


def cross_validated_auc(real, fake, seed, name):
    """The classifier's stratified 5-fold AUC on ``real`` (label 0) and ``fake`` (label 1) rows, as many each."""
    features, labels = np.vstack([real, fake]), np.r_[np.zeros(len(real)), np.ones(len(fake))]
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=stream(seed, "measure", f"{name}_folds"))
    model = HistGradientBoostingClassifier(random_state=stream(seed, "measure", f"{name}_model"))
    return float(np.mean(cross_val_score(model, features, labels, cv=folds, scoring="roc_auc")))
