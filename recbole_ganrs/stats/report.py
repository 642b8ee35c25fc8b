"""Table IV, fidelity and privacy (DCR from the sidecar; with --privacy-holdout the holdout DCR and the membership
attacks), and structure tables of datasets on disk."""
from pathlib import Path

from tabulate import tabulate

from recbole_ganrs.data import load_ratings, resolve_source
from recbole_ganrs.data.atomic import read_measured
from recbole_ganrs.data.sidecar import check_trusted, read_sidecar, source_of
from recbole_ganrs.data.items import item_file_of, read_items
from recbole_ganrs.data.prepare import HOLDOUT
from recbole_ganrs.stats.detection import detection_auc
from recbole_ganrs.stats.holdout import holdout_dcr
from recbole_ganrs.stats.membership import audit
from recbole_ganrs.stats.items import item_fidelity
from recbole_ganrs.stats.fidelity import fidelity
from recbole_ganrs.stats.groups import group_rows, source_labels, synthetic_labels
from recbole_ganrs.stats.structure import relevance_levels, structure_row
from recbole_ganrs.stats.table import dataset_row
from recbole_ganrs.files import file_digest

#: the measures that fit a model (structure's MF, detection's classifier), by the content they measured: a dataset
#: written with its card and then tabled by ``generate`` or the benchmark in the same process is measured once
_MEASURED = {}


def source_label(name):
    """How the structure table names a source's row (the verdict finds the source's values by it)."""
    return f"{name} (source)"


def _content(path):
    """The file's sha1, hashed once per (path, inode, size, modification time) in a process: a 100M-rating .inter is
    1.4 GB, and each measure's key names its content."""
    stat = Path(path).stat()
    return _once(("digest", str(Path(path).resolve()), stat.st_ino, stat.st_size, stat.st_mtime_ns),
                 lambda: file_digest(path))


def _once(key, compute):
    if key not in _MEASURED:
        _MEASURED[key] = compute()
    return _MEASURED[key]


def _structure(name, ratings, inter_path, split, qs=None):
    key = ("structure", _content(inter_path), tuple(split or ()), tuple(qs or ()))
    row = _once(key, lambda: structure_row("", ratings, split, qs))
    return {**row, "dataset": name}


def _detection(ratings, inter_path, source, source_path):
    return _once(("detection", _content(inter_path), _content(source_path)),
                 lambda: round(detection_auc(ratings, source), 3))


def stats_rows(datasets, split=None, loaded=None):
    """(Table IV rows, fidelity rows, structure rows) of ``datasets`` (sources or folders). Fidelity only for
    synthetic folders, against the source named in their sidecar; structure for every dataset, each
    synthetic one's source first (``split``: the benchmark's RS ratios, for the test items per user).
    ``loaded``: {dataset: its ratings} already read (a run's source); each dataset is read at most once."""
    read = {resolve_source(k).inter_path: v for k, v in (loaded or {}).items()}

    def load(dataset):
        path = resolve_source(dataset).inter_path
        if path not in read:  # a synthetic dataset as the card measures it (data.atomic.as_measured)
            lean = read_measured(path) if source_of(path.parent) else None
            read[path] = load_ratings(dataset) if lean is None else lean
        return read[path]

    rows, fidelity_rows, structure, sources = [], [], {}, {}
    for dataset in datasets:
        src = resolve_source(dataset)
        ratings = load(src)
        rows.append(dataset_row(src.name, ratings))
        origin = source_of(src.inter_path.parent)
        if origin:
            check_trusted(src.inter_path.parent)
            if origin not in sources:
                sources[origin] = load(origin)
                name = resolve_source(origin).name
                if name not in structure:  # a source given among the datasets is measured once
                    structure[name] = _structure(source_label(name), sources[origin],
                                                 resolve_source(origin).inter_path, split)
            privacy = (read_sidecar(src.inter_path.parent) or {}).get("privacy", {})
            fidelity_rows.append({**fidelity(src.name, ratings, sources[origin]),
                                  "detection AUC": _detection(ratings, src.inter_path, sources[origin],
                                                              resolve_source(origin).inter_path),
                                  **privacy, **held_out_privacy(ratings, origin, sources[origin], src.inter_path),
                                  "source": origin})
        if src.name not in structure:  # a synthetic dataset's user shares at its source's q
            qs = relevance_levels(sources[origin]) if origin else None
            structure[src.name] = _structure(src.name if origin else source_label(src.name), ratings, src.inter_path,
                                             split, qs)
    return rows, fidelity_rows, list(structure.values())


def held_out_privacy(ratings, origin, train, inter_path):
    """Holdout DCR (stats/holdout.py) and the membership attacks' strongest result (stats/membership.py) when
    ``origin`` is a --privacy-holdout copy of a source, else nothing."""
    held = resolve_source(origin).inter_path.parent / HOLDOUT
    if not held.is_file():
        return {}
    holdout = load_ratings(held)
    return {**holdout_dcr(ratings, train, holdout),
            **_membership(inter_path, held, lambda: (ratings, train, holdout)).record()}


def _membership(inter_path, held_path, frames):
    """The audit of a release (``frames``: a callable giving the release's, the members' and the non-members'
    ratings, read only when the audit is not yet measured in this process)."""
    return _once(("membership", _content(inter_path), _content(held_path)), lambda: audit(*frames()))


def membership_audit(folder):
    """The MembershipAudit (stats/membership.py) of the synthetic dataset in ``folder`` when its source is a
    --privacy-holdout copy (the held-out users are the non-members), else None; measured once per process."""
    src = resolve_source(folder)
    origin = source_of(src.inter_path.parent)
    held = resolve_source(origin).inter_path.parent / HOLDOUT if origin else None
    if held is None or not held.is_file():
        return None
    return _membership(src.inter_path, held, lambda: (load_ratings(src), load_ratings(origin), load_ratings(held)))


def synthetic_with(datasets, key):
    """(its Source, folder, sidecar, its source's Source) of each synthetic folder among ``datasets`` whose
    sidecar records ``key`` (a condition, item attributes)."""
    for dataset in datasets:
        src = resolve_source(dataset)
        folder = src.inter_path.parent
        meta = read_sidecar(folder) or {}
        if meta.get(key) and source_of(folder):
            yield src, folder, meta, resolve_source(source_of(folder))


def group_fidelity(datasets):
    """(per-group rows, gap rows) of the conditioned synthetic folders among ``datasets`` (stats/groups.py),
    each against its source's groups of the same attribute."""
    rows, gaps, sources = [], [], {}
    for src, folder, meta, origin in synthetic_with(datasets, "condition"):
        key = (str(origin.inter_path), meta["condition"])
        if key not in sources:
            ratings = load_ratings(origin)
            sources[key] = (ratings, source_labels(origin.inter_path, ratings, meta["condition"]))
        r, g = group_rows(src.name, load_ratings(src), synthetic_labels(folder, meta["condition"]), *sources[key])
        rows += r
        gaps += g
    return rows, gaps


def item_rows(datasets):
    """The item-side fidelity rows (stats/items.py) of the synthetic folders among ``datasets`` whose items carry
    attributes, each against its source's item file."""
    rows = []
    for src, folder, meta, origin in synthetic_with(datasets, "item_attributes"):
        source_file = item_file_of(origin.inter_path)
        if source_file is None:
            continue
        real, real_kinds = read_items(source_file)
        fake, _ = read_items(folder / f"{src.name}.item")
        kinds = {f: real_kinds[f] for f in meta["item_attributes"]}
        ratings, source = (r.assign(item_id=r["item_id"].astype(str)) for r in (load_ratings(src), load_ratings(origin)))
        rows.append(item_fidelity(src.name, ratings, fake.set_axis(fake.index.astype(str)), source,
                                  real.set_axis(real.index.astype(str)), kinds))
    return rows


def stats_tables(datasets, tablefmt="github", split=None, loaded=None):
    """The tables as text: Table IV, then fidelity when any dataset is synthetic, then structure, then the
    per-group fidelity of conditioned datasets, then the item side of datasets whose items carry attributes
    (``loaded``: as :func:`stats_rows`)."""
    tables = format_stats(*stats_rows(datasets, split, loaded), *group_fidelity(datasets), tablefmt=tablefmt)
    items = item_rows(datasets)
    if items:
        tables.append("Item attributes (label sets: shares, pairs, labels per item synthetic / source, and r of "
                      "each label's mean rating and popularity with the source's)\n"
                      + tabulate(items, headers="keys", tablefmt=tablefmt, floatfmt="g"))
    return tables


def format_stats(rows, fidelity_rows, structure_rows=(), group_rows=(), gap_rows=(), tablefmt="github"):
    """Table IV, fidelity and structure rows (from :func:`stats_rows`), and per-group rows (from
    :func:`group_fidelity`; cells "a / b" are synthetic / source) as text tables."""
    tables = [tabulate(rows, headers="keys", tablefmt=tablefmt, floatfmt="g")]
    for extra in (fidelity_rows, structure_rows):
        if extra:
            tables.append(tabulate(extra, headers="keys", tablefmt=tablefmt, floatfmt="g"))
    if group_rows:
        tables.append("Per-group fidelity (cells: synthetic / source)\n"
                      + tabulate(group_rows, headers="keys", tablefmt=tablefmt, floatfmt="g"))
        tables.append("Group gaps to the rest of the users (synthetic / source)\n"
                      + tabulate(gap_rows, headers="keys", tablefmt=tablefmt, floatfmt="g"))
    return tables
