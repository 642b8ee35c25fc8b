"""Fitted generators cached on disk, keyed by the source's content and the fit settings.

One fit serves many samples and runs: ``<data_dir>/.fits/<source>-<kind>-<key>.pt``.
"""
from pathlib import Path

from recbole_ganrs.data import resolve_source
from recbole_ganrs.errors import GanrsError
from recbole_ganrs.files import file_digest, json_digest
from recbole_ganrs.generator.base import SyntheticGenerator


def fit_path(cache_dir, source, generator):
    """Where the fit of ``source`` with ``generator``'s fit settings is cached."""
    src = resolve_source(source)
    key = json_digest({"source": file_digest(src.inter_path), "kind": generator.kind,
                       "format": generator.fit_format, **generator.fit_settings()})
    return Path(cache_dir) / f"{src.name}-{generator.kind}-{key[:12]}.pt"


def fit_or_load(generator, source, cache_dir=None, log=print):
    """``generator`` fitted on ``source``, or the cached fit of the same source and fit settings
    (its sampling settings and progress then come from ``generator``). A cached fit that cannot be read
    (truncated, another format) is reported in one line and fitted again."""
    path = fit_path(cache_dir, source, generator) if cache_dir else None
    if path is not None and path.is_file():
        try:
            loaded = SyntheticGenerator.load(path, progress=generator.progress).to(generator.device)
            for key in generator.sampling_settings:
                setattr(loaded, key, getattr(generator, key))
            return loaded
        except GanrsError as exc:
            log(f"cached fit unusable, fitting again: {exc}")
    generator.fit(source)
    if path is not None:
        generator.save(path)
    return generator
