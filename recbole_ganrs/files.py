"""Writing any output file all-or-nothing, checking output folders before any work, content hashes."""
import hashlib
import json
import os
from contextlib import contextmanager
from pathlib import Path

from recbole_ganrs.errors import GanrsError


def check_output_folder(path):
    """Refuse an output folder path that is an existing file."""
    if Path(path).exists() and not Path(path).is_dir():
        raise GanrsError(f"output path '{path}' is a file, not a folder")


@contextmanager
def replaced_on_success(path):
    """Yield a temporary path beside ``path``; rename it onto ``path`` only when the block succeeds,
    so a crash never leaves a half-written file."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"output path {path} is a folder")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def file_digest(path):
    """sha1 of a file's bytes: what identifies a source's or a dataset's content."""
    digest = hashlib.sha1()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def json_digest(value):
    """sha1 of a JSON-able value with sorted keys: what identifies a set of settings."""
    return hashlib.sha1(json.dumps(value, sort_keys=True).encode()).hexdigest()
