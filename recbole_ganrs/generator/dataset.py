"""Synthetic datasets on disk: their names, and writing one with its sidecar.

A synthetic dataset is ``<data_dir>/<name>/<name>.inter`` plus its sidecar
(``data/sidecar.py``: generator, settings, source and request), so RecBole loads it
with ``dataset: <name>, data_path: <data_dir>`` and ``stats`` compares it with its source.
"""
import ctypes
import ctypes.util
import dataclasses
import json
import time
from dataclasses import asdict
from pathlib import Path

from recbole_ganrs.data import BUNDLED, resolve_source, write_atomic
from recbole_ganrs.data.prepare import source_record
from recbole_ganrs.data.sidecar import check_inter_matches, read_sidecar, write_sidecar
from recbole_ganrs.errors import GanrsError
from recbole_ganrs.files import file_digest, json_digest

WRITE_CHUNK = 1 << 20  # ratings formatted at a time


def data_settings(generator, request):
    """The generator's settings and the request's sampling choices that change the data and are not their
    defaults (the fit seed only when it differs from the request's seed, which the name carries)."""
    defaults = {f.name: f.default for f in dataclasses.fields(generator)}
    return {**{k: v for k, v in generator.settings().items()
               if v != defaults.get(k) and not (k == "seed" and v == request.seed)},
            **request.sampling.changed()}


def dataset_name(source_name, request, generator):
    """e.g. ``ganrs-ml-100k-u2000-i4000-s800000-std2.5-seed0`` (``-r353269`` for a rating count); any
    setting that is not the generator's default adds a short hash of those settings (``...-seed0-3f2a9c1d``),
    so that two datasets made differently never share a name. The settings themselves are in the sidecar."""
    r = request
    name = (f"{generator.kind}-{source_name}-u{r.users}-i{r.items}-{r.size_label()}-std{r.std:g}-seed{r.seed}"
            f"{r.scenario_label()}")
    changed = data_settings(generator, request)
    if changed:
        name += "-" + json_digest(changed)[:8]
    return name


def sidecar_meta(generator, source, request, measured):
    src = resolve_source(source)
    converted = source_record(src.inter_path.parent) if str(source) != BUNDLED else None
    return {"generator": generator.kind, "format": generator.fit_format, "sample_format": generator.sample_format,
            "source": BUNDLED if str(source) == BUNDLED else str(src.inter_path.parent),
            "source_sha1": file_digest(src.inter_path), **({"source_conversion": converted} if converted else {}),
            "request": asdict(request), "settings": generator.settings(), **measured}


def is_current(folder, generator, request, source_sha1):
    """True when ``folder`` holds a dataset made from the source content ``source_sha1`` (not just its path)
    by this generator kind, fit and sample formats (a new one samples differently), settings and request."""
    try:
        meta = read_sidecar(folder)
        if meta is None or not (Path(folder) / f"{Path(folder).name}.inter").is_file():
            return False
        check_inter_matches(folder, meta)
    except GanrsError:
        return False  # edited or damaged since: made again
    same = json.loads(json.dumps({"kind": generator.kind, "format": generator.fit_format,
                                  "sample_format": generator.sample_format, "request": asdict(request),
                                  "settings": generator.settings(),
                                  "source_sha1": source_sha1}))
    return {k: meta.get("generator" if k == "kind" else k) for k in same} == same


def write_dataset(generator, source, request, data_dir, workers=None):
    """Sample ``request`` from a fitted ``generator`` (on ``workers``: GANRS's blocks of users) and write it with
    its sidecar; returns (.inter path, ratings). ``data_dir`` was checked with the run's options
    (files.check_output_folder), before any fit."""
    sample = generator.sample_request(request, workers)
    ratings, measured = sample.ratings, sample.record
    return_freed_memory()  # the sample's temporaries: what comes next (the card) starts from what is alive
    name = dataset_name(resolve_source(source).name, request, generator)
    folder = Path(data_dir) / name
    inter = folder / f"{name}.inter"
    condition = generator.condition_of()
    user_file = folder / f"{name}.user"
    if condition is not None:  # each synthetic user's group, as RecBole's load_col: {user: [user_id, <attr>]}
        users = ratings[["user_id", condition.attribute]].drop_duplicates("user_id").sort_values("user_id")
        write_atomic(user_file, users, {condition.attribute: "token"})
        ratings = ratings.drop(columns=condition.attribute)
    elif user_file.exists():  # a stale one from a conditioned dataset of the same name would mislabel the users
        user_file.unlink()
    item_file = folder / f"{name}.item"
    if sample.items is not None:  # each synthetic item's attributes, as RecBole's load_col: {item: [item_id, ...]}
        write_atomic(item_file, sample.items, sample.item_kinds)
    elif item_file.exists():
        item_file.unlink()
    start = time.perf_counter()
    rows = write_atomic(inter, chunks(ratings))
    measured = {**measured, "seconds": {**measured.get("seconds", {}), "writing": round(time.perf_counter() - start, 3)}}
    write_sidecar(folder, {**sidecar_meta(generator, source, request, measured), "rows": rows,
                           "delivered": delivered(ratings), "inter_sha1": file_digest(inter),
                           **({"condition": str(condition), "user_sha1": file_digest(user_file)}
                              if condition is not None else {}),
                           **({"item_attributes": list(sample.item_kinds), "item_sha1": file_digest(item_file)}
                              if sample.items is not None else {})})
    return inter, ratings


def return_freed_memory():
    """Give the memory the sampling freed back to the system (glibc's malloc_trim; nothing elsewhere). glibc keeps
    freed blocks under its mmap threshold (32 MB) mapped: after a 10M-rating sample 0.9 GB the process no longer
    used, at 100M ~3 GB, which the card's arrays came on top of (measured: benchmarks/README.md, "The card at
    Netflix size")."""
    try:
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def chunks(ratings, rows=WRITE_CHUNK):
    """The frame in chunks of ``rows``: the text of 100M ratings is never held at once."""
    for start in range(0, max(len(ratings), 1), rows):
        yield ratings.iloc[start : start + rows]


def delivered(ratings):
    """What a sample holds: its ratings, and the users and items that have at least one."""
    return {"ratings": len(ratings), "users": int(ratings["user_id"].nunique()),
            "items": int(ratings["item_id"].nunique())}


def shortfalls(request, ratings):
    """One line per part of ``request`` the sample does not meet exactly (the sidecar's ``delivered`` has the
    numbers): a cold-start cut below ``--ratings``, users or items left without a rating."""
    got, notes = delivered(ratings), []
    if request.ratings is not None and got["ratings"] != request.ratings:
        why = " (the cold-start cut removes ratings after they are drawn)" if (
            request.cold_users or request.cold_items) else ""
        notes.append(f"it holds {got['ratings']:,} ratings, not the {request.ratings:,} asked{why}")
    for key in ("users", "items"):
        if got[key] < getattr(request, key):
            notes.append(f"only {got[key]:,} of the {getattr(request, key):,} {key} asked have a rating")
    return notes
