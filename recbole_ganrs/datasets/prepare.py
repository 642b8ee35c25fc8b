"""The run's datasets: the real source and its synthetic versions (made, or reused when up to date).

``generate`` and the benchmark both go through :func:`prepare_datasets`.
"""
import time
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from recbole_ganrs.datasets.halves import write_halves
from recbole_ganrs.datasets.plan import dataset_plan
from recbole_ganrs.config import benchmark_split
from recbole_ganrs.data import BUNDLED, load_ratings, resolve_source
from recbole_ganrs.data.atomic import as_measured
from recbole_ganrs.data.prepare import source_record
from recbole_ganrs.errors import GanrsError
from recbole_ganrs.datasets.card import CARD, write_card
from recbole_ganrs.datasets.croissant import CROISSANT, write_croissant
from recbole_ganrs.data.users import Condition, resolve_shares, user_labels
from recbole_ganrs.data.items import item_table, parse_fields
from recbole_ganrs.files import file_digest
from recbole_ganrs.generator import SampleRequest, make_generator
from recbole_ganrs.generator.cache import fit_or_load
from recbole_ganrs.generator.scenario import check_binary
from recbole_ganrs.generator.ganrs import users_per_group
from recbole_ganrs.data.sidecar import read_sidecar
from recbole_ganrs.generator.dataset import dataset_name, is_current, shortfalls, write_dataset
from recbole_ganrs.options import generator_settings


@dataclass(frozen=True)
class BenchmarkDataset:
    """One dataset of the run, as RecBole finds it, with what made it (the report groups by these fields)."""

    name: str
    data_path: str
    kind: str  # "source", "synthetic", or "half" (a half of the source's users: datasets/halves.py)
    groups: tuple = ()  # report groups of a synthetic dataset (datasets/plan.py)
    generator: str = ""  # generator kind of a synthetic dataset
    settings: tuple = ()  # its generator settings, sorted (name, value) pairs
    request: SampleRequest = None  # its sample request
    split: int = None  # a half's split number
    half: str = ""  # "a" or "b"

    @property
    def replicate_label(self):
        """What a synthetic dataset's replicates share, as the stand-in table's row label: everything that made
        it but the dataset seed (the fit seed in its settings, the request's seed); None for any other dataset."""
        if self.kind != "synthetic":
            return None
        r = self.request
        settings = "".join(f", {k}={v}" for k, v in sorted(self.settings) if k != "seed")
        return f"{self.generator} u{r.users} i{r.items} {r.size_label()} std{r.std:g}{r.scenario_label()}{settings}"

    def recbole_config(self):
        return {"dataset": self.name, "data_path": self.data_path}

    @cached_property
    def sha1(self):
        """sha1 of the dataset's .inter (hashed once): results are reused only for the same content."""
        return file_digest(Path(self.data_path) / self.name / f"{self.name}.inter")


def size_series(datasets, ratings_per_user):
    """Synthetic datasets that differ only in users (and rating count), or only in draws, ordered by ratings per user:
    ``[(what varies, [names], ratings_per_user)]`` (the paper's size trends run along these)."""
    series = []
    for label, varies in (("users", ("users", "ratings")), ("draws", ("samples",))):
        by_rest = {}
        for d in datasets:
            if d.kind == "synthetic" and d.name in ratings_per_user:
                rest = (d.generator, d.settings, replace(d.request, **{field: 0 for field in varies}))
                by_rest.setdefault(rest, []).append(d.name)
        series += [(label, sorted(names, key=ratings_per_user.get), ratings_per_user)
                   for names in by_rest.values() if len(names) > 1]
    return series


def source_dataset(source):
    src = resolve_source(source)
    return BenchmarkDataset(src.name, str(src.data_path), "source")


def check_plan(opts):
    """The run's SyntheticPlans, each request and generator setting checked before any work."""
    plans = dataset_plan(opts)
    scale, names = None, set()
    source_name, origin = resolve_source(opts.source).name, source_origin(opts.source)
    for p in plans:
        p.request.validate()
        if p.request.binary is not None:
            scale = np.unique(load_ratings(opts.source)["rating"]) if scale is None else scale
            check_binary(p.request.binary, scale)
        generator = make_generator(p.generator, **generator_settings(opts, p.generator, p.settings))
        generator.check_request(p.request)
        name = dataset_name(source_name, p.request, generator)
        if name in names:
            raise GanrsError(f"two datasets of this run would both be named {name}: their requests differ only beyond "
                             "what a name keeps (e.g. a --std past 6 significant digits)")
        names.add(name)
        check_same_origin(Path(opts.data_dir) / name, origin)
    check_condition(opts, plans)
    check_item_attributes(opts)
    return plans


def source_origin(source):
    """Where a source came from: the original file of a converted copy (data/prepare.py), else its folder."""
    if str(source) == BUNDLED:
        return BUNDLED
    folder = resolve_source(source).inter_path.parent
    record = source_record(folder)
    return record["original"] if record and "original" in record else str(folder)


def check_same_origin(folder, ours):
    """Refuse to overwrite a dataset of the same name made from another source file than ``ours``
    (:func:`source_origin`; two sources both called ratings.csv): a source edited in place is the same origin,
    and its datasets are made again as before."""
    try:
        meta = read_sidecar(folder)
    except GanrsError:
        return  # damaged: made again
    if not meta:
        return
    theirs = (meta.get("source_conversion") or {}).get("original") or meta.get("source")
    if BUNDLED in (theirs, ours):
        differ = theirs != ours
    else:  # a path written relative to another run's folder cannot be compared: given the benefit of the doubt
        differ = Path(theirs).is_absolute() and Path(theirs).resolve() != Path(ours).resolve()
    if differ:
        raise GanrsError(f"{folder} holds a dataset of this name made from {theirs}, not {ours} (two sources with one "
                         "name): give another --data-dir / --out, or rename one source")


def check_condition(opts, plans):
    """A conditioned run's refusals before any fit (data/users.py): the source's user file and attribute, each
    group's users, and every request's group shares (known groups, a user for each group with a share)."""
    if getattr(opts, "condition", None) is None:
        return
    condition = Condition.parse(opts.condition)
    labels = user_labels(resolve_source(opts.source).inter_path, load_ratings(opts.source), condition)
    source_shares = labels.value_counts(normalize=True).to_dict()
    for p in plans:
        if p.generator == "ganrs":
            shares = resolve_shares(p.request.group_shares, source_shares, f"--condition {condition}")
            users_per_group(shares, p.request.users, sorted(source_shares))


def check_item_attributes(opts):
    """The source's item file and fields (data/items.py) refused in one line before any fit."""
    if getattr(opts, "item_attributes", None) is None:
        return
    item_table(resolve_source(opts.source).inter_path, load_ratings(opts.source), parse_fields(opts.item_attributes))


def stage_text(folder):
    """Where a dataset's sampling time went, from its sidecar: e.g. ``draws 1.2 s, clustering 3.4 s, ...``."""
    seconds = (read_sidecar(folder) or {}).get("seconds", {})
    return "seconds: " + ", ".join(f"{stage} {value:.1f}" for stage, value in seconds.items())


def generation_workers(opts):
    """Ray actors on the cluster at ``--address`` (connected once), or None: this process's threads."""
    if not getattr(opts, "address", None):
        return None
    from recbole_ganrs.benchmark.runner import start_ray
    from recbole_ganrs.generator.workers import RayWorkers

    start_ray(opts.address)
    return RayWorkers()


def prepare_datasets(opts, log=print, fitted=None, plans=None, keep_frames=False):
    """The source and the plan's synthetic datasets; fits each generator only when a dataset needs it.
    ``fitted``: {(kind, grid point): fitted generator} to sample from instead of fitting (e.g. a saved fit);
    ``plans``: what :func:`check_plan` returned (checked now when not given). Returns (datasets, {dataset name:
    (generator, its ratings frame if ``keep_frames`` else None)} of the datasets written now): a frame is kept only
    when asked (``--plots``), so that the card measures a 100M-rating dataset held once, not twice."""
    source = source_dataset(opts.source)
    datasets, written, fitted = [source], {}, dict(fitted or {})
    data_dir = Path(opts.data_dir).resolve()
    plans = check_plan(opts) if plans is None else plans
    workers = generation_workers(opts)
    for plan in tqdm(plans, desc="synthetic datasets", disable=None if opts.progress else True):
        key = (plan.generator, plan.settings)
        generator = (fitted.get(key) or make_generator(plan.generator, **generator_settings(opts, *key))).to(opts.device)
        name = dataset_name(source.name, plan.request, generator)
        if is_current(data_dir / name, generator, plan.request, source.sha1):
            log(f"reusing {data_dir / name}")
            if not (data_dir / name / CARD).is_file():
                write_card(data_dir / name, benchmark_split()["split"]["RS"])
            if not (data_dir / name / CROISSANT).is_file():
                write_croissant(data_dir / name)
        else:
            if key not in fitted:
                fitted[key] = fit_or_load(generator, opts.source, data_dir / ".fits", log=log)
            inter, ratings = write_dataset(fitted[key], opts.source, plan.request, data_dir, workers)
            start, notes, rows = time.perf_counter(), shortfalls(plan.request, ratings), len(ratings)
            measured = as_measured(ratings)
            written[name] = (fitted[key], ratings if keep_frames else None)
            del ratings  # the card measures `measured` alone
            card = write_card(inter.parent, benchmark_split()["split"]["RS"], measured)
            del measured
            write_croissant(inter.parent)
            log(f"wrote {inter} ({rows} ratings) and its card {card.name} (and {CROISSANT}: "
                f"{time.perf_counter() - start:.1f} s); {stage_text(inter.parent)}")
            for note in notes:
                log(f"note: {name}: {note}")
        datasets.append(BenchmarkDataset(name, str(data_dir), "synthetic", plan.groups, plan.generator,
                                         plan.settings, plan.request))
    for split, side, name, folder in write_halves(opts.source, source.name, data_dir,
                                                  getattr(opts, "ceiling_splits", 0) or 0, log):
        datasets.append(BenchmarkDataset(name, folder, "half", split=split, half=side))
    return datasets, written
