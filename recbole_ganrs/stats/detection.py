"""Detection: can a classifier tell a synthetic user's profile from a real one? (synthcity's and sdmetrics'
detection test, on user profiles.)

A profile holds only what does not depend on ids or on the dataset's size: ratings per user as a share of the
dataset's mean (log), the user's mean and std rating, its shares of each rating value of the source's scale, and
the popularity of the items it rated (each item's ratings as a percentile of its own dataset's items: mean,
median and the share in the top decile). Counts and ranks are dithered (``dithered_percentile``) so that no
feature's values sit on a lattice that names the dataset. The classifier is scikit-learn's HistGradientBoostingClassifier: it
finds the interactions of a few such features (a heavy user with a narrow rating spread) that a logistic model
would miss, needs no scaling, and takes a second on thousands of users. The real and synthetic users are
balanced (the larger set subsampled, seeded), and the AUC is the mean of a stratified 5-fold cross-validation:
0.5 means the profiles cannot be told apart, 1.0 that every synthetic user is recognised. The reference is
two disjoint halves of the source's users (ml-100k: 0.52-0.58 over four random halvings, the noise of ~470 users
a side). A dataset against an exact copy of itself is degenerate (each profile is in both classes, so the
folds learn the opposite label: AUC near 0): compare with a second sample, not a copy.
"""
import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import StratifiedKFold, cross_val_score

from recbole_ganrs.seeds import rng, stream

FOLDS = 5
MAX_USERS = 5000  # per side: the AUC settles long before, and the fit stays a few seconds


def dithered_percentile(counts, draw):
    """Each count's percentile in 0..1, ties broken at random and spread uniformly within a rank: a plain
    rank's values lie on a lattice of the dataset's own item counts, which a tree model reads as a fingerprint
    of the dataset (two halves of one synthetic source told apart at AUC 0.92 before this)."""
    counts = np.asarray(counts, np.float64)
    order = np.lexsort((draw.random(len(counts)), counts))
    rank = np.empty(len(counts))
    rank[order] = np.arange(len(counts))
    return (rank + draw.random(len(counts))) / len(counts)


def profiles(ratings, scale, draw=None):
    """One row of id-free features per user of ``ratings`` (user_id, item_id, rating); ``scale`` the rating
    values whose shares are features (the source's); ``draw`` the generator of the dithering (None: none, plain
    average ranks, so that equal data gives equal profiles)."""
    frame = ratings[["user_id", "item_id", "rating"]]
    items = frame["item_id"].value_counts()
    percentile = items.rank(pct=True).to_numpy() if draw is None else dithered_percentile(items.to_numpy(), draw)
    popularity = frame["item_id"].map(pd.Series(percentile, index=items.index))
    by = frame.assign(pop=popularity.to_numpy()).groupby("user_id")
    counts = by.size()
    activity = counts.to_numpy(np.float64) + (0 if draw is None else draw.random(len(counts)) - 0.5)
    out = pd.DataFrame({"log activity": np.log(activity / counts.mean()), "mean rating": by["rating"].mean(),
                        "std rating": by["rating"].std(ddof=0), "mean popularity": by["pop"].mean(),
                        "median popularity": by["pop"].median(),
                        "top-decile share": by["pop"].agg(lambda p: float(np.mean(p > 0.9)))})
    shares = pd.crosstab(frame["user_id"], frame["rating"], normalize="index")
    for value in scale:
        out[f"share {value:g}"] = shares[value] if value in shares.columns else 0.0
    return out.to_numpy(np.float64)


def detection_auc(synthetic, source, seed=0):
    """Cross-validated AUC of telling ``synthetic``'s user profiles from ``source``'s (ratings frames)."""
    scale = np.unique(source["rating"].to_numpy(np.float64))
    draw = rng(seed, "measure", "detection")
    real, fake = profiles(source, scale, draw), profiles(synthetic, scale, draw)
    n = min(len(real), len(fake), MAX_USERS)
    if n < 2 * FOLDS:
        return float("nan")
    real, fake = (x[np.sort(draw.choice(len(x), n, replace=False))] for x in (real, fake))
    features, labels = np.vstack([real, fake]), np.r_[np.zeros(n), np.ones(n)]
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=stream(seed, "measure", "detection_folds"))
    model = HistGradientBoostingClassifier(random_state=stream(seed, "measure", "detection_model"))
    return float(np.mean(cross_val_score(model, features, labels, cv=folds, scoring="roc_auc")))
