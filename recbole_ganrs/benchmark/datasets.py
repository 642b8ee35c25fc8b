"""The benchmark's datasets: the real source and its GANRS versions (made or reused)."""
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional

from tqdm.auto import tqdm

from recbole_ganrs.data import resolve_source
from recbole_ganrs.generator.dataset import (
    SampleRequest, dataset_name, fit_or_load, generate_dataset, read_sidecar,
)
from recbole_ganrs.generator.ganrs import validate_sample_request


@dataclass(frozen=True)
class BenchmarkDataset:
    """One dataset of the run, as RecBole finds it."""

    name: str
    data_path: str
    kind: str  # "source" or "synthetic"
    users: Optional[int] = None

    def recbole_config(self):
        return {"dataset": self.name, "data_path": self.data_path}


def source_dataset(source):
    src = resolve_source(source)
    return BenchmarkDataset(src.name, str(src.data_path), "source")


def synthetic_requests(opts):
    """One SampleRequest per --users value (seeded by the first seed), checked before any work."""
    requests = [SampleRequest(u, opts.items, opts.samples, opts.std, opts.seeds[0]) for u in opts.users]
    for r in requests:
        validate_sample_request(r.users, r.items, r.samples, r.std)
    return requests


def generator_params(opts):
    return dict(gan=opts.gan, gan_steps=opts.gan_steps, seed=opts.seeds[0], progress=opts.progress)


def is_current(folder, request, params):
    """True when ``folder`` holds a dataset made from exactly this request and these fit parameters."""
    meta = read_sidecar(folder)
    if meta is None or not (Path(folder) / f"{Path(folder).name}.inter").is_file():
        return False
    same_params = all(meta.get("params", {}).get(k) == v for k, v in params.items() if k != "progress")
    return meta.get("request") == json.loads(json.dumps(asdict(request))) and same_params


def prepare_datasets(opts, log=print):
    """The source and one synthetic dataset per --users value; fits GANRS only when needed."""
    source = source_dataset(opts.source)
    datasets, generator = [source], None
    data_dir = Path(opts.data_dir).resolve()
    params = generator_params(opts)
    for request in tqdm(synthetic_requests(opts), desc="synthetic datasets", disable=None if opts.progress else True):
        name = dataset_name(source.name, request, opts.gan)
        if is_current(data_dir / name, request, params):
            log(f"reusing {data_dir / name}")
        else:
            if generator is None:
                generator = fit_or_load(opts.source, data_dir / ".fits", **params)
            inter, ratings = generate_dataset(generator, opts.source, request, data_dir)
            log(f"wrote {inter} ({len(ratings)} ratings)")
        datasets.append(BenchmarkDataset(name, str(data_dir), "synthetic", request.users))
    return datasets
