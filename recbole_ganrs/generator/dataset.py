"""Synthetic datasets on disk: names, the atomic folder with its sidecar, cached fits.

A synthetic dataset is ``<out>/<name>/<name>.inter`` plus ``<out>/<name>/ganrs.json``
(its generator, source and the parameters that made it), so RecBole loads it with
``dataset: <name>, data_path: <out>`` and ``stats`` can compare it with its source.
A fitted generator (any kind) is cached under ``<out>/.fits/`` keyed by the source
file's content hash and the fit parameters: one fit serves many samples and runs.
"""
import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from recbole_ganrs.data import load_ratings, resolve_source, write_atomic
from recbole_ganrs.data.atomic import atomic_path, check_output_folder
from recbole_ganrs.errors import GanrsError
from recbole_ganrs.generator import make_generator
from recbole_ganrs.generator.base import SyntheticGenerator

SIDECAR = "ganrs.json"


@dataclass(frozen=True)
class SampleRequest:
    """What a generator's ``sample`` is asked for; also names the dataset."""

    users: int
    items: int
    samples: int
    std: float = 2.5
    seed: int = 0


def dataset_name(source_name, request, generator):
    """e.g. ``ganrs-ml-100k-u2000-i4000-s800000-std2.5-seed0``; the generator's kind comes first and
    its non-default settings last (``-wgan``, ``-emb8``)."""
    r = request
    name = f"{generator.kind}-{source_name}-u{r.users}-i{r.items}-s{r.samples}-std{r.std:g}-seed{r.seed}"
    return name + generator.name_suffix()


def file_digest(path):
    """sha1 of a file's bytes (identifies a source's content for the fit cache)."""
    digest = hashlib.sha1()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fit_path(cache_dir, source, generator):
    """Where the fit of ``source`` with ``generator``'s parameters is cached."""
    src = resolve_source(source)
    key = json.dumps({"source": file_digest(src.inter_path), "kind": generator.kind,
                      "format": generator.fit_format, **generator.fit_params()}, sort_keys=True)
    return Path(cache_dir) / f"{src.name}-{generator.kind}-{hashlib.sha1(key.encode()).hexdigest()[:12]}.pt"


def fit_or_load(source, cache_dir=None, kind="ganrs", **params):
    """A fitted generator of ``kind`` for ``source``: from the cache when this exact fit was made before."""
    generator = make_generator(kind, **params)
    path = fit_path(cache_dir, source, generator) if cache_dir else None
    if path is not None and path.is_file():
        loaded = SyntheticGenerator.load(path, progress=generator.progress)
        for key, value in generator.params().items():  # sampling-only settings come from the caller
            setattr(loaded, key, value)
        return loaded
    generator.fit(source)
    if path is not None:
        generator.save(path)
    return generator


def write_synthetic(ratings, out_dir, name, meta):
    """Write ``<out_dir>/<name>/<name>.inter`` and its sidecar; returns the .inter path."""
    out_dir = Path(out_dir)
    check_output_folder(out_dir)
    folder = out_dir / name
    inter = folder / f"{name}.inter"
    write_atomic(inter, ratings)
    with atomic_path(folder / SIDECAR) as tmp:
        tmp.write_text(json.dumps(meta, indent=2, default=str), encoding="utf-8")
    return inter


def read_sidecar(folder):
    """The sidecar of a synthetic dataset folder, or None for a real dataset."""
    path = Path(folder) / SIDECAR
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        raise GanrsError(f"{path} is not valid JSON") from None


def generate_dataset(generator, source, request, out_dir):
    """Sample ``request`` from a fitted ``generator`` and write it; returns (.inter path, ratings)."""
    ratings, measured = generator.sample_with_meta(
        request.users, request.items, request.samples, request.std, request.seed)
    src = resolve_source(source)
    name = dataset_name(src.name, request, generator)
    params = {k: v for k, v in generator.params().items() if k != "progress"}
    meta = {"generator": generator.kind,
            "source": str(source) if str(source) == "ml-100k" else str(src.inter_path.parent),
            "request": asdict(request), "params": params, **measured}
    return write_synthetic(ratings, out_dir, name, meta), ratings


def source_of(folder):
    """The real source a synthetic folder was made from (from its sidecar), else None."""
    meta = read_sidecar(folder)
    source = None if meta is None else meta.get("source")
    if source is not None and (not isinstance(source, str) or ".." in Path(source).parts):
        raise GanrsError(f"{Path(folder) / SIDECAR}: source {source!r} must be ml-100k or a path without '..'")
    return source


def write_diagnostics(generator, source, ratings, folder, request):
    """embeddings.png and ratings.png of a generated dataset, in its folder."""
    from recbole_ganrs.generator.diagnostics import plot_embeddings, plot_ratings

    folder = Path(folder)
    return [plot_embeddings(generator, folder / "embeddings.png", request.std, request.seed),
            plot_ratings(load_ratings(source), ratings, folder / "ratings.png")]
