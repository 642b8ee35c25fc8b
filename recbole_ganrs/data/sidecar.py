"""The sidecar of a synthetic dataset: ``<folder>/ganrs.json`` beside its ``.inter``.

It records what made the dataset (generator, its settings, the source, the sample
request) and what the generator measured while sampling (e.g. privacy), so that
``stats`` can compare the dataset with its source and a run can tell whether a
dataset on disk is the one it would make. A folder without one is a plain source.
"""
import json
from pathlib import Path

from recbole_ganrs.errors import GanrsError
from recbole_ganrs.files import replaced_on_success

SIDECAR = "ganrs.json"


def write_sidecar(folder, meta):
    with replaced_on_success(Path(folder) / SIDECAR) as tmp:
        tmp.write_text(json.dumps(meta, indent=2, default=str), encoding="utf-8")


def read_sidecar(folder):
    """The sidecar of a synthetic dataset folder, or None for a real dataset."""
    path = Path(folder) / SIDECAR
    if not path.is_file():
        return None
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise GanrsError(f"{path} is not valid JSON") from None
    if not isinstance(meta, dict):
        raise GanrsError(f"{path} holds a JSON {type(meta).__name__}, not the object a dataset sidecar is")
    return meta


def source_of(folder):
    """The real source a synthetic folder was made from (from its sidecar), else None."""
    meta = read_sidecar(folder)
    source = None if meta is None else meta.get("source")
    if source is not None and (not isinstance(source, str) or ".." in Path(source).parts):
        raise GanrsError(f"{Path(folder) / SIDECAR}: source {source!r} must be ml-100k or a path without '..'")
    return source


def check_inter_matches(folder, meta=None):
    """Refuse a synthetic folder whose .inter is not the one its sidecar records (edited or replaced since):
    its numbers would be credited to the generator and settings the sidecar names."""
    from recbole_ganrs.files import file_digest

    meta = read_sidecar(folder) if meta is None else meta
    inter = Path(folder) / f"{Path(folder).name}.inter"
    recorded = (meta or {}).get("inter_sha1")
    if recorded and file_digest(inter) != recorded:
        raise GanrsError(f"{inter} is not the file its {SIDECAR} describes ({meta.get('rows', '?')} ratings "
                         f"recorded): it was edited or replaced; generate it again, or delete {SIDECAR} to use it "
                         "as a plain source")
    users = Path(folder) / f"{Path(folder).name}.user"
    recorded_users = (meta or {}).get("user_sha1")
    if recorded_users and (not users.is_file() or file_digest(users) != recorded_users):
        raise GanrsError(f"{users} is not the user file its {SIDECAR} describes (edited, replaced or removed): "
                         "generate the dataset again")
    rows = (meta or {}).get("rows")
    if rows is not None:
        with open(inter, "rb") as f:
            lines = sum(1 for _ in f) - 1  # the header
        if rows != lines:
            raise GanrsError(f"{Path(folder) / SIDECAR} records {rows!r} ratings but {inter} holds {lines}: the "
                             f"sidecar was edited; generate the dataset again")


def check_source_matches(folder, source_inter, meta=None):
    """Refuse a synthetic folder whose sidecar's source is not the content it was made from (another source at
    that path, or the source edited since): its fidelity would be measured against the wrong data."""
    from recbole_ganrs.files import file_digest

    meta = read_sidecar(folder) if meta is None else meta
    recorded = (meta or {}).get("source_sha1")
    if recorded and file_digest(source_inter) != recorded:
        raise GanrsError(f"{Path(folder) / SIDECAR} names the source {meta.get('source')!r}, but {source_inter} is "
                         f"not the content it was made from (sha1 {recorded[:12]} recorded): the source was edited "
                         "or another one is there; give the folder its own source, or generate it again")


def check_trusted(folder):
    """Refuse a synthetic folder unless its sidecar is an object whose .inter and source are the content it
    records (a plain source folder passes); returns the sidecar (None for a plain source)."""
    from recbole_ganrs.data.sources import resolve_source

    meta = read_sidecar(folder)
    source = source_of(folder)
    if meta is not None:
        check_inter_matches(folder, meta)
        if source:
            check_source_matches(folder, resolve_source(source).inter_path, meta)
    return meta
