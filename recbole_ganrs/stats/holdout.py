"""Holdout privacy: did the generator memorise the users it learnt? (sdmetrics' DCR overfitting protection.)

With ``--privacy-holdout F`` the generator learns the source without a share F of its users (data/prepare.py's
holdout copy). Each user becomes its id-free profile (detection.py's features, standardised on the training
users); the training users are subsampled to as many as the held-out ones, and each synthetic user is asked
whether its nearest real profile is a training user or a held-out one. A generator that learnt the law, not the
users, puts half its users nearer the training side (0.5); one that copies its training users puts nearly all.
Beside it: the median distance to the closest training profile of the synthetic users and of the held-out users
(a synthetic user much closer than a new real user is a copy).
"""
import numpy as np
from scipy.spatial import cKDTree

from recbole_ganrs.seeds import rng
from recbole_ganrs.stats.detection import profiles


def holdout_dcr(synthetic, train, holdout, seed=0):
    """{share of synthetic users nearer the training side, protection score, median DCR of the synthetic and of
    the held-out users to the training users} of three ratings frames."""
    draw = rng(seed, "measure", "holdout_dcr")
    scale = np.unique(train["rating"].to_numpy(np.float64))
    fit, held, fake = (profiles(r, scale) for r in (train, holdout, synthetic))  # undithered: a copy is at 0
    mean, std = fit.mean(0), fit.std(0) + 1e-9
    fit, held, fake = ((x - mean) / std for x in (fit, held, fake))
    same = fit[np.sort(draw.choice(len(fit), min(len(fit), len(held)), replace=False))]
    to_train, to_holdout = cKDTree(same).query(fake)[0], cKDTree(held).query(fake)[0]
    nearer_train = float(np.mean(to_train < to_holdout))
    everyone = cKDTree(fit)
    return {"share nearer train": round(nearer_train, 3),
            "DCR protection": round(min(1.0, 2 * (1 - nearer_train)), 3),
            "synthetic DCR to train": round(float(np.median(everyone.query(fake)[0])), 3),
            "holdout DCR to train": round(float(np.median(everyone.query(held)[0])), 3)}
