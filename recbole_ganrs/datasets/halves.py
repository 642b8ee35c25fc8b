"""The split-half ceiling: how well the source stands in for a new sample of itself.

A synthetic dataset is a new sample of users, not a re-run of the source: the fair
reference for its agreement with the source is the agreement between two disjoint
samples of real users. ``--ceiling-splits K`` splits the source's users at random into
two halves, K times (each split seeded by its own SeedSequence spawn), trains every model
on each half like any other dataset, and the stand-in table (standin.py) prints the
agreement of half B with half A beside every synthetic dataset's agreement with the
source, and each as a share of it. Seed-vs-seed on one split would only measure the
training noise, not the sampling of users, so it flatters the source.

Halves are written once per source content under ``<data dir>/halves/<source sha1>/``.
"""
import numpy as np

from recbole_ganrs import seeds
from recbole_ganrs.data import load_ratings, write_atomic
from recbole_ganrs.files import file_digest

#: bumped when the split changes, so that halves written by an older one are not reused
HALVES_FORMAT = 2  # 2: the seed plan (seeds.py)


def half_names(source_name, split):
    return f"{source_name}-half{split}a", f"{source_name}-half{split}b"


def split_users(users, split):
    """(half A, half B) of the unique ``users`` for split number ``split`` (sizes differ by at most one)."""
    rng = seeds.rng(split, "halves", "users")
    shuffled = rng.permutation(np.unique(users))
    return set(shuffled[: len(shuffled) // 2]), set(shuffled[len(shuffled) // 2 :])


def write_halves(source, source_name, data_dir, splits, log=print):
    """Write (or reuse) the halves of ``splits`` splits of ``source``; returns [(split, side, name, folder)]."""
    from pathlib import Path

    root = Path(data_dir).resolve() / "halves" / f"{file_digest(_inter(source))[:12]}-f{HALVES_FORMAT}"
    ratings, out = None, []
    for split in range(splits):
        for side, name in zip("ab", half_names(source_name, split)):
            inter = root / name / f"{name}.inter"
            if not inter.is_file():
                if ratings is None:
                    ratings = load_ratings(source)
                halves = split_users(ratings["user_id"].to_numpy(), split)
                keep = ratings["user_id"].isin(halves["ab".index(side)])
                write_atomic(inter, ratings[keep].reset_index(drop=True))
                log(f"wrote {inter} (split {split}, half {side}: {int(keep.sum())} ratings)")
            copy_item_file(source, root / name / f"{name}.item")
            out.append((split, side, name, str(root)))
    return out


def copy_item_file(source, path):
    """The source's item file beside a half (the same items: their groups and features), as a RecBole atomic
    file, when the source has one."""
    from recbole_ganrs.data import write_atomic
    from recbole_ganrs.data.items import item_file_of, read_items

    found = item_file_of(_inter(source))
    if found is None or path.is_file():
        return
    items, kinds = read_items(found)
    write_atomic(path, items.rename_axis("item_id").reset_index(), kinds)


def _inter(source):
    from recbole_ganrs.data import resolve_source

    return resolve_source(source).inter_path
