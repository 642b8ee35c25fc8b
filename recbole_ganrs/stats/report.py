"""Table IV, fidelity and privacy (DCR, from the sidecar), and structure tables of datasets on disk."""
from tabulate import tabulate

from recbole_ganrs.data import load_ratings, resolve_source
from recbole_ganrs.data.sidecar import check_trusted, read_sidecar, source_of
from recbole_ganrs.stats.fidelity import fidelity
from recbole_ganrs.stats.structure import structure_row
from recbole_ganrs.stats.table import dataset_row


def stats_rows(datasets, split=None):
    """(Table IV rows, fidelity rows, structure rows) of ``datasets`` (sources or folders). Fidelity only for
    synthetic folders, against the source named in their sidecar; structure for every dataset, each
    synthetic one's source first (``split``: the benchmark's RS ratios, for the test items per user)."""
    rows, fidelity_rows, structure, sources = [], [], {}, {}
    for dataset in datasets:
        src = resolve_source(dataset)
        ratings = load_ratings(src)
        rows.append(dataset_row(src.name, ratings))
        origin = source_of(src.inter_path.parent)
        if origin:
            check_trusted(src.inter_path.parent)
            if origin not in sources:
                sources[origin] = load_ratings(origin)
                name = resolve_source(origin).name
                if name not in structure:  # a source given among the datasets is measured once
                    structure[name] = structure_row(f"{name} (source)", sources[origin], split)
            privacy = (read_sidecar(src.inter_path.parent) or {}).get("privacy", {})
            fidelity_rows.append({**fidelity(src.name, ratings, sources[origin]), **privacy, "source": origin})
        if src.name not in structure:
            structure[src.name] = structure_row(src.name if origin else f"{src.name} (source)", ratings, split)
    return rows, fidelity_rows, list(structure.values())


def stats_tables(datasets, tablefmt="github", split=None):
    """The tables as text: Table IV, then fidelity when any dataset is synthetic, then structure."""
    return format_stats(*stats_rows(datasets, split), tablefmt=tablefmt)


def format_stats(rows, fidelity_rows, structure_rows=(), tablefmt="github"):
    """Table IV, fidelity and structure rows (from :func:`stats_rows`) as text tables."""
    tables = [tabulate(rows, headers="keys", tablefmt=tablefmt, floatfmt="g")]
    if fidelity_rows:
        tables.append(tabulate(fidelity_rows, headers="keys", tablefmt=tablefmt, floatfmt="g"))
    if structure_rows:
        tables.append(tabulate(structure_rows, headers="keys", tablefmt=tablefmt, floatfmt="g"))
    return tables
