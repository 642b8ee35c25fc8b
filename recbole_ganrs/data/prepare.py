"""A source as RecBole reads it: a clean atomic file is used as it is; anything else (a CSV / TSV, an
atomic file with a UTF-8 BOM or commas, repeated pairs resolved by ``--duplicates``, users or items
dropped by ``--min-user-ratings`` / ``--min-item-ratings``) is converted once into
``<data_dir>/sources/<key>/<name>/<name>.inter``, keyed by the original's content and those settings,
with ``source.json`` beside it saying what was done, and the run uses that copy (its name stays the
original's)."""
import json
from pathlib import Path

import numpy as np

from recbole_ganrs.data.atomic import write_atomic
from recbole_ganrs.data.users import read_users, user_file_of
from recbole_ganrs.data.sources import check_pairs, drop_duplicates, load_ratings, resolve_source
from recbole_ganrs.errors import SourceError
from recbole_ganrs.files import check_output_folder, file_digest, json_digest, replaced_on_success

SOURCES_DIR = "sources"
#: what a converted source records of how it was made
SOURCE_RECORD = "source.json"


def filter_counts(ratings, min_user, min_item):
    """``ratings`` without the users with fewer than ``min_user`` ratings and the items with fewer than
    ``min_item``, repeated until both hold (dropping an item can push a user below its bound), as RecBole's
    ``user_inter_num_interval`` / ``item_inter_num_interval`` filter does."""
    while True:
        users = ratings["user_id"].map(ratings["user_id"].value_counts()) >= min_user
        items = ratings["item_id"].map(ratings["item_id"].value_counts()) >= min_item
        if (users & items).all():
            return ratings
        ratings = ratings[users & items].reset_index(drop=True)


def prepare_source(source, data_dir, duplicates="error", min_user_ratings=1, min_item_ratings=1, log=print):
    """The source to run on (a path string, or ``ml-100k``): ``source`` itself when RecBole can read it
    and it needs no duplicates resolved and nothing filtered, else its converted copy. Checks it strictly (a
    source to learn from)."""
    return prepared_source(source, data_dir, duplicates, min_user_ratings, min_item_ratings, log)[0]


def prepared_source(source, data_dir, duplicates="error", min_user_ratings=1, min_item_ratings=1, log=print):
    """(:func:`prepare_source`'s source, its ratings as load_ratings reads them): a run reads its source once.
    The ratings of a converted copy are read back from the copy, as every later reader will see them."""
    src = resolve_source(source)
    ratings = load_ratings(src)
    deduplicated = drop_duplicates(ratings, duplicates)
    kept = filter_counts(deduplicated, min_user_ratings, min_item_ratings)
    if kept.empty:
        raise SourceError(f"{src.inter_path}: no rating is left with --min-user-ratings {min_user_ratings} and "
                          f"--min-item-ratings {min_item_ratings}")
    check_pairs(kept, src.inter_path)
    problem = src.not_atomic()
    if problem is None and len(kept) == len(ratings):
        return source, ratings
    settings = {"duplicates": duplicates, "min_user_ratings": min_user_ratings, "min_item_ratings": min_item_ratings}
    users = user_file_of(src.inter_path)
    key = json_digest({"content": file_digest(src.inter_path), **settings,
                       **({"users": file_digest(users)} if users else {})})[:12]
    folder = Path(data_dir).resolve() / SOURCES_DIR / key / src.name
    inter = folder / f"{src.name}.inter"
    if not inter.is_file():
        check_output_folder(data_dir)
        copy_user_file(src.inter_path, folder, src.name)
        write_atomic(inter, kept)
        why = [problem] if problem else []
        if len(deduplicated) < len(ratings):
            why.append(f"{len(ratings) - len(deduplicated)} repeated rating(s) resolved by --duplicates {duplicates}")
        if len(kept) < len(deduplicated):
            why.append(dropped_text(deduplicated, kept, min_user_ratings, min_item_ratings))
        record = {"original": str(src.inter_path), "original_sha1": file_digest(src.inter_path), **settings,
                  "ratings": len(kept), "users": int(kept["user_id"].nunique()),
                  "items": int(kept["item_id"].nunique()), "changes": why}
        with replaced_on_success(folder / SOURCE_RECORD) as tmp:
            tmp.write_text(json.dumps(record, indent=2), encoding="utf-8")
        log(f"converted {src.inter_path} ({'; '.join(why)}) to {inter}")
    return str(folder), load_ratings(folder)


def copy_user_file(inter_path, folder, name):
    """The user file beside ``inter_path`` (if any) as ``folder/<name>.user`` (atomic, every attribute a token):
    a source's copy keeps its users' attributes."""
    users = user_file_of(inter_path)
    if users is not None:
        attributes = read_users(users)
        write_atomic(Path(folder) / f"{name}.user", attributes.rename_axis("user_id").reset_index(),
                     {c: "token" for c in attributes.columns})


def dropped_text(before, after, min_user, min_item):
    users = before["user_id"].nunique() - after["user_id"].nunique()
    items = before["item_id"].nunique() - after["item_id"].nunique()
    return (f"{users} user(s) and {items} item(s) dropped by --min-user-ratings {min_user} --min-item-ratings "
            f"{min_item} ({len(before) - len(after)} ratings)")


def source_record(folder):
    """What a converted source's ``source.json`` says of how it was made (None for an original source)."""
    path = Path(folder) / SOURCE_RECORD
    try:
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
    except ValueError:
        return None


#: the holdout users of a --privacy-holdout source copy, beside its training part
HOLDOUT = "holdout.inter"


def holdout_source(source, data_dir, share, seed, log=print):
    """``source``'s ratings without a share of its users (drawn by ``seed``'s "halves" stream), written once as
    ``<data_dir>/sources/<key>/<name>-train<P>/`` with the held-out users' ratings in ``holdout.inter`` beside:
    the generators learn the training users only, so the privacy measure can compare synthetic users' distance
    to them with the held-out real users' (stats/holdout.py). Returns the training part's folder."""
    src = resolve_source(source)
    ratings = load_ratings(src)
    name = f"{src.name}-train{round(100 * (1 - share))}"
    key = json_digest({"content": file_digest(src.inter_path), "holdout": share, "seed": seed})[:12]
    folder = Path(data_dir).resolve() / SOURCES_DIR / key / name
    if not (folder / f"{name}.inter").is_file():
        from recbole_ganrs import seeds

        users = np.sort(ratings["user_id"].unique())
        held = set(seeds.rng(seed, "halves", "holdout").choice(users, int(round(share * len(users))), replace=False))
        out = ratings["user_id"].isin(held)
        if out.all() or not out.any():
            raise SourceError(f"--privacy-holdout {share:g} of {len(users)} users leaves no user on one side")
        check_output_folder(data_dir)
        write_atomic(folder / HOLDOUT, ratings[out])
        copy_user_file(src.inter_path, folder, name)
        with replaced_on_success(folder / SOURCE_RECORD) as tmp:
            tmp.write_text(json.dumps({"original": str(src.inter_path), "original_sha1": file_digest(src.inter_path),
                                       "holdout": share, "holdout_seed": seed, "holdout_users": len(held),
                                       "changes": [f"{len(held)} of {len(users)} users held out for the privacy "
                                                   f"measure (--privacy-holdout {share:g})"]}, indent=2),
                           encoding="utf-8")
        write_atomic(folder / f"{name}.inter", ratings[~out])  # last: its presence says the copy is complete
        log(f"held out {len(held)} of {len(users)} users of {src.name} (--privacy-holdout {share:g}): {folder}")
    return str(folder)
