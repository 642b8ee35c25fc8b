"""Fitted generators cached on disk, keyed by the source's content and the fit settings.

One fit serves many samples and runs: ``<data_dir>/.fits/<source>-<kind>-<key>.pt``.
"""
import time
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
    """``generator`` fitted on ``source``, or the cached fit of the same source and settings (its progress
    then comes from ``generator``). A cached fit that cannot be read (truncated, another format) is reported in
    one line and fitted again."""
    path = fit_path(cache_dir, source, generator) if cache_dir else None
    if path is not None and path.is_file():
        try:
            return SyntheticGenerator.load(path, progress=generator.progress).to(generator.device)
        except GanrsError as exc:
            log(f"cached fit unusable, fitting again: {exc}")
    start = time.perf_counter()
    generator.fit(source)
    log(f"fit {generator.kind} on {resolve_source(source).name}: {time.perf_counter() - start:.1f} s")
    if path is not None:
        generator.save(path)
    return generator
