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
import pandas as pd

from recbole_ganrs import seeds
from recbole_ganrs.data import load_ratings, write_atomic
from recbole_ganrs.errors import GanrsError
from recbole_ganrs.files import replaced_on_success

PARTS = ("train", "valid", "test")
AXES = {"cold-users": "user_id", "cold-items": "item_id"}


@dataclass(frozen=True)
class Split:
    """``kind`` random, cold-users or cold-items; ``share`` F and ``keep`` K of a cold split."""

    kind: str = "random"
    share: float = 0.0
    keep: int = 0
    path: str = ""  # a ``files`` split: the --save-splits folder it reads

    @property
    def label(self):
        if self.kind == "files":
            return f"files:{self.path}"
        return self.kind if self.kind == "random" else f"{self.kind}:{self.share:g}:{self.keep}"

    @property
    def cold(self):
        return self.kind in AXES

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
    """``random``, ``cold-users:F:K``, ``cold-items:F:K`` or ``files:DIR`` (the splits a --save-splits run wrote
    under DIR) as a :class:`Split`, refused in one line."""
    if text == "random":
        return Split()
    if str(text).startswith("files:"):
        folder = str(text)[len("files:"):]
        if not Path(folder).is_dir():
            raise GanrsError(f"--split files:DIR needs the folder a --save-splits run wrote (DIR/seed<S>/<dataset>/), "
                             f"not '{folder}'")
        return Split("files", path=str(Path(folder).resolve()))
    kind, _, rest = str(text).partition(":")
    try:
        share, keep = rest.split(":")
        share, keep = float(share), int(keep)
    except ValueError:
        share = keep = None
    if kind not in AXES or share is None or not 0 < share < 1 or keep < 0:
        raise GanrsError(f"--split must be random, cold-users:F:K, cold-items:F:K (0 < F < 1, K >= 0) or files:DIR "
                         f"(e.g. cold-users:0.3:5), got '{text}'")
    return Split(kind, share, keep)


# ------------------------------------------------------------------ saved splits (--save-splits, files:DIR)
def saved_split_folder(root, seed, name):
    """Where a trial's split of dataset ``name`` at trial seed ``seed`` is saved: ``root/seed<S>/<name>/`` (so that
    ``root/seed<S>`` is a RecBole ``data_path`` for ``dataset: <name>, benchmark_filename: [train, valid, test]``)."""
    return Path(root) / f"seed{seed}" / name


def check_cold_keep(split, ratings):
    """Refuse, before any work, a cold split whose K leaves no cold user (item) of the source (its ``ratings``) a
    test rating: its first K ratings go to training, so only those with more than K are ever tested."""
    if not split.cold:
        return
    column = AXES[split.kind]
    most = int(ratings.groupby(column).size().max())
    if most <= split.keep:
        raise GanrsError(f"--split {split.label}: no {column[:-3]} of the source has more than {split.keep} ratings "
                         f"(the most is {most}), so no cold {column[:-3]} would have a test rating: lower K")


def check_saved_splits(split, seeds):
    """Refuse, in one line and before any work, a ``files:`` split whose folder holds no saved split for a trial
    seed asked (every trial of that seed would fail in its worker)."""
    missing = [seed for seed in seeds if not saved_split_folder(split.path, seed, "").is_dir()]
    if missing:
        found = sorted(p.name for p in Path(split.path).glob("seed*") if p.is_dir())
        raise GanrsError(f"--split {split.label}: no saved split for trial seed(s) {', '.join(map(str, missing))} "
                         f"(it holds {', '.join(found) or 'no seed<S> folder: not a --save-splits folder'})")


def save_split(datasets, folder, name):
    """Write the three built RecBole datasets (train, valid, test, in RecBole's row order) as pre-split atomic files
    ``<name>.<part>.inter`` and the same as CSV, with the dataset's own tokens and every column they hold."""
    for part, dataset in zip(PARTS, datasets):
        frame = dataset.inter_feat.numpy() if hasattr(dataset.inter_feat, "numpy") else dataset.inter_feat
        columns = {}
        for field, values in frame.items():
            values = np.asarray(values)
            columns[field] = dataset.id2token(field, values) if field in (dataset.uid_field, dataset.iid_field) else values
        table = pd.DataFrame(columns)
        write_atomic(Path(folder) / f"{name}.{part}.inter", table, {f: "float" for f in table.columns
                                                                    if f not in (dataset.uid_field, dataset.iid_field)})
        with replaced_on_success(Path(folder) / f"{name}.{part}.csv") as tmp:
            table.to_csv(tmp, index=False)


def build_from_saved(dataset, folder, name):
    """``dataset.build()`` from saved split files: each part's rows (matched by user and item) in the files' order,
    taken from the whole dataset as RecBole loaded it, so internal ids, rows and their order are those of the trial
    that saved them (a pre-split file loaded by RecBole's ``benchmark_filename`` would number the ids by first
    appearance in the parts, and so train other embeddings)."""
    import torch

    dataset._change_feat_format()
    torch.randperm(len(dataset.inter_feat))  # RecBole's RO shuffle draws this: the RNG is left as a trial leaves it
    users = dataset.inter_feat[dataset.uid_field].numpy().astype(np.int64)
    items = dataset.inter_feat[dataset.iid_field].numpy().astype(np.int64)
    row_of = pd.Series(np.arange(len(users)), index=users * dataset.item_num + items)
    parts = []
    for part in PARTS:
        saved = load_ratings(Path(folder) / f"{name}.{part}.inter")
        try:
            key = (dataset.token2id(dataset.uid_field, saved["user_id"].to_numpy()).astype(np.int64) * dataset.item_num
                   + dataset.token2id(dataset.iid_field, saved["item_id"].to_numpy()).astype(np.int64))
            rows = row_of.loc[key].to_numpy()
        except (KeyError, ValueError):
            raise GanrsError(f"{folder}: the saved {part} part names a (user, item) the dataset does not hold: "
                             "the split was saved from another dataset") from None
        parts.append(dataset.copy(dataset.inter_feat[torch.as_tensor(rows)]))
    if sum(len(p.inter_feat) for p in parts) != len(users):
        raise GanrsError(f"{folder}: the saved parts hold {sum(len(p.inter_feat) for p in parts)} ratings, the dataset "
                         f"{len(users)}: the split was saved from another dataset")
    return parts
