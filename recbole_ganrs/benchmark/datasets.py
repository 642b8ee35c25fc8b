"""The benchmark's datasets: the real source and its synthetic versions (made or reused)."""
import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from tqdm.auto import tqdm

from recbole_ganrs.benchmark.plan import dataset_plan
from recbole_ganrs.data import resolve_source
from recbole_ganrs.generator import make_generator
from recbole_ganrs.generator.base import check_request
from recbole_ganrs.generator.dataset import SampleRequest, dataset_name, fit_or_load, generate_dataset, read_sidecar


@dataclass(frozen=True)
class BenchmarkDataset:
    """One dataset of the run, as RecBole finds it, with what made it (the report groups by these fields)."""

    name: str
    data_path: str
    kind: str  # "source" or "synthetic"
    groups: tuple = ()  # report groups of a synthetic dataset (plan.py)
    generator: str = ""  # generator kind of a synthetic dataset
    settings: tuple = ()  # its generator settings, sorted (name, value) pairs
    request: SampleRequest = None  # its sample request

    def recbole_config(self):
        return {"dataset": self.name, "data_path": self.data_path}


def size_series(datasets, ratings_per_user):
    """Synthetic datasets that differ only in users, or only in draws, ordered by ratings per user:
    ``[(what varies, [names], ratings_per_user)]`` (the paper's size trends run along these)."""
    series = []
    for label, varies in (("users", "users"), ("draws", "samples")):
        by_rest = {}
        for d in datasets:
            if d.kind == "synthetic" and d.name in ratings_per_user:
                rest = (d.generator, d.settings, replace(d.request, **{varies: 0}))
                by_rest.setdefault(rest, []).append(d.name)
        series += [(label, sorted(names, key=ratings_per_user.get), ratings_per_user)
                   for names in by_rest.values() if len(names) > 1]
    return series


def source_dataset(source):
    src = resolve_source(source)
    return BenchmarkDataset(src.name, str(src.data_path), "source")


def check_plan(opts):
    """The run's SyntheticPlans, each request checked before any work."""
    plans = dataset_plan(opts)
    for p in plans:
        check_request(p.request.users, p.request.items, p.request.samples, p.request.std)
    return plans


def generator_params(opts, plan):
    params = dict(plan.settings, seed=opts.seeds[0], progress=opts.progress)
    if opts.gan_steps is not None:
        params["gan_steps"] = opts.gan_steps
    return params


def is_current(folder, request, params):
    """True when ``folder`` holds a dataset made from exactly this request and these generator settings."""
    meta = read_sidecar(folder)
    if meta is None or not (Path(folder) / f"{Path(folder).name}.inter").is_file():
        return False
    same_params = all(meta.get("params", {}).get(k) == v for k, v in params.items() if k != "progress")
    return meta.get("request") == json.loads(json.dumps(asdict(request))) and same_params


def prepare_datasets(opts, log=print):
    """The source and the plan's synthetic datasets; fits each generator only when a dataset needs it."""
    source = source_dataset(opts.source)
    datasets, fitted = [source], {}
    data_dir = Path(opts.data_dir).resolve()
    for plan in tqdm(check_plan(opts), desc="synthetic datasets", disable=None if opts.progress else True):
        params = generator_params(opts, plan)
        name = dataset_name(source.name, plan.request, make_generator(plan.generator, **params))
        if is_current(data_dir / name, plan.request, params):
            log(f"reusing {data_dir / name}")
        else:
            key = (plan.generator, plan.settings)
            if key not in fitted:
                fitted[key] = fit_or_load(opts.source, data_dir / ".fits", plan.generator, **params)
            inter, ratings = generate_dataset(fitted[key], opts.source, plan.request, data_dir)
            log(f"wrote {inter} ({len(ratings)} ratings)")
        datasets.append(BenchmarkDataset(name, str(data_dir), "synthetic", plan.groups, plan.generator,
                                         plan.settings, plan.request))
    return datasets
