"""How a dataset's ratings become training, validation and test sets (``--split``).

- ``random`` (default): RecBole's own split of ``properties/rating.yaml`` (each user's ratings
  shuffled, 60 / 10 / 30), done by RecBole inside the trial.
- ``cold-users:F:K``: a share F of the users (drawn at random, seeded by the trial seed) keep
  only K of their ratings (at random) in training and none in validation; all their other
  ratings are their test set. The warm users keep the random split (RecBole's rounding).
  A cold user then has many test items, so models can differ on it (under ``random`` a
  user with 5 ratings has one or two test items and every model recommends them all).
- ``cold-items:F:K``: the same for items: a share F of the items keep K of their ratings in
  training; their other ratings are test items of whoever rated them.

A cold split is written as RecBole's pre-split atomic files (``<name>.train.inter``,
``.valid.inter``, ``.test.inter``, read through ``benchmark_filename``) in the trial's own
folder, so RecBole's Dataset, dataloaders and trainers run unchanged.
"""
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from recbole_ganrs import seeds
from recbole_ganrs.data import load_ratings, write_atomic
from recbole_ganrs.errors import GanrsError

PARTS = ("train", "valid", "test")
AXES = {"cold-users": "user_id", "cold-items": "item_id"}


@dataclass(frozen=True)
class Split:
    """``kind`` random, cold-users or cold-items; ``share`` F and ``keep`` K of a cold split."""

    kind: str = "random"
    share: float = 0.0
    keep: int = 0

    @property
    def label(self):
        return self.kind if self.kind == "random" else f"{self.kind}:{self.share:g}:{self.keep}"

    @property
    def cold(self):
        return self.kind != "random"

    def recbole_config(self, folder, name):
        """The config entries that make RecBole read the split ``name`` written under ``folder`` (none for
        random)."""
        return {} if not self.cold else {"dataset": name, "data_path": str(folder), "benchmark_filename": list(PARTS)}

    def write(self, inter_path, folder, name, seed):
        """Write the three parts of ``inter_path``'s ratings under ``folder/name``; returns the cold ids
        (the dataset's own tokens, as strings)."""
        ratings = load_ratings(inter_path)
        part, cold = self.assign(ratings, seed)
        for index, suffix in enumerate(PARTS):
            write_atomic(Path(folder) / name / f"{name}.{suffix}.inter", ratings[part == index])
        return cold

    def assign(self, ratings, seed):
        """(the part of each rating: 0 train, 1 valid, 2 test; the cold ids) for a cold split."""
        column = AXES[self.kind]
        rng = seeds.rng(seed, "trial", "split")
        ids = np.sort(ratings[column].astype(str).unique())
        cold = set(rng.choice(ids, int(round(self.share * len(ids))), replace=False))
        order = rng.permutation(len(ratings))  # one shuffle: a random K of each cold id's ratings, a random split
        shuffled = ratings.iloc[order]
        is_cold = shuffled[column].astype(str).isin(cold).to_numpy()
        part = np.full(len(ratings), 2)
        rank_in_id = shuffled.groupby(column, sort=False).cumcount().to_numpy()
        part[is_cold & (rank_in_id < self.keep)] = 0
        warm = shuffled[~is_cold]
        rank = warm.groupby("user_id", sort=False).cumcount().to_numpy()
        total = warm.groupby("user_id", sort=False)["user_id"].transform("size").to_numpy()
        part[~is_cold] = warm_parts(rank, total, benchmark_ratios())
        out = np.empty(len(ratings), int)
        out[order] = part
        return out, sorted(cold)


def benchmark_ratios():
    """The random split's train / valid / test ratios, as properties/rating.yaml gives them to every trial."""
    from recbole_ganrs.config import benchmark_split  # config imports RecBole's Config: only when a split is made

    return tuple(benchmark_split()["split"]["RS"])


def warm_parts(rank, total, ratios):
    """The part of the rank-th of a user's ``total`` shuffled ratings under RecBole's RS split at ``ratios``
    (``Dataset._calcu_split_ids``: each part but the first rounded down, a part of under one rating given
    one while training keeps more than one)."""
    valid = np.floor(ratios[1] * total).astype(int)
    test = np.floor(ratios[2] * total).astype(int)
    train = total - valid - test
    for ratio, counts in ((ratios[2], test), (ratios[1], valid)):  # RecBole goes from the last part
        short = (train > 1) & (ratio * total > 0) & (ratio * total < 1)
        counts[short] += 1
        train[short] -= 1
    return np.where(rank < train, 0, np.where(rank < train + valid, 1, 2))


def parse_split(text):
    """``random``, ``cold-users:F:K`` or ``cold-items:F:K`` as a :class:`Split`, refused in one line."""
    if text == "random":
        return Split()
    kind, _, rest = str(text).partition(":")
    try:
        share, keep = rest.split(":")
        share, keep = float(share), int(keep)
    except ValueError:
        share = keep = None
    if kind not in AXES or share is None or not 0 < share < 1 or keep < 0:
        raise GanrsError(f"--split must be random, cold-users:F:K or cold-items:F:K with 0 < F < 1 and K >= 0 "
                         f"(e.g. cold-users:0.3:5), got '{text}'")
    return Split(kind, share, keep)
