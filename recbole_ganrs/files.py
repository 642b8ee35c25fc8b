"""Writing any output file all-or-nothing, checking output folders before any work, content hashes."""
import hashlib
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

from recbole_ganrs.errors import GanrsError


def check_output_folder(path):
    """Refuse an output folder that is a file or cannot be written (checked before any work: a fit must not
    be lost to a folder found read-only after it)."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise GanrsError(f"output path '{path}' is a file, not a folder")
    existing = next((p for p in (path, *path.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        raise GanrsError(f"output folder '{path}' cannot be made: '{existing}' is a file")
    if existing is not None and not os.access(existing, os.W_OK | os.X_OK):
        raise GanrsError(f"output folder '{path}' cannot be written (permission denied on '{existing}')")
    if existing is not None:  # access() says yes to root everywhere (/proc, /sys): try a real folder there
        try:
            os.rmdir(tempfile.mkdtemp(prefix=".ganrs-check-", dir=existing))
        except OSError as exc:
            raise GanrsError(f"output folder '{path}' cannot be made in '{existing}' ({exc.strerror})") from None


@contextmanager
def exclusive_use(folder, what="output folder", flag="--output"):
    """Hold ``folder`` for this process while the block runs; a second run on the same folder is refused
    in one line (two runs appending to one results.csv would interleave their rows)."""
    import fcntl

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "?"
            raise GanrsError(f"{what} '{folder}' is in use by another run (pid {holder}): wait for it to end, "
                             f"or give another {flag}") from None
        lock.seek(0)
        lock.truncate()
        lock.write(str(os.getpid()))
        lock.flush()
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@contextmanager
def replaced_on_success(path):
    """Yield a temporary path beside ``path``; rename it onto ``path`` only when the block succeeds,
    so a crash never leaves a half-written file."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"output path {path} is a folder")
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def remove_stale_temporaries(path):
    """Delete the temporary files of ``path`` that a killed writer left (``.<name>.<pid>.tmp`` of a pid that no
    longer runs): a SIGKILL skips the cleanup of :func:`replaced_on_success`."""
    for stale in Path(path).parent.glob(f".{Path(path).name}.*.tmp"):
        pid = stale.name[len(Path(path).name) + 2 : -len(".tmp")]
        if pid.isdigit() and int(pid) != os.getpid() and not _running(int(pid)):
            stale.unlink(missing_ok=True)


def _running(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def file_digest(path, algorithm="sha1"):
    """sha1 (or ``algorithm``) of a file's bytes: what identifies a source's or a dataset's content."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def json_digest(value):
    """sha1 of a JSON-able value with sorted keys: what identifies a set of settings."""
    return hashlib.sha1(json.dumps(value, sort_keys=True).encode()).hexdigest()
