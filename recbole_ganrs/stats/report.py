"""Table IV, fidelity and privacy (DCR, from the sidecar) tables of datasets on disk."""
from tabulate import tabulate

from recbole_ganrs.data import load_ratings, resolve_source
from recbole_ganrs.data.sidecar import read_sidecar, source_of
from recbole_ganrs.stats.fidelity import fidelity
from recbole_ganrs.stats.table import dataset_row


def stats_rows(datasets):
    """(Table IV rows, fidelity rows) of ``datasets`` (sources or folders); fidelity only for
    synthetic folders, against the source named in their sidecar."""
    rows, fidelity_rows, sources = [], [], {}
    for dataset in datasets:
        src = resolve_source(dataset)
        ratings = load_ratings(src)
        rows.append(dataset_row(src.name, ratings))
        origin = source_of(src.inter_path.parent)
        if origin:
            if origin not in sources:
                sources[origin] = load_ratings(origin)
            privacy = (read_sidecar(src.inter_path.parent) or {}).get("privacy", {})
            fidelity_rows.append({**fidelity(src.name, ratings, sources[origin]), **privacy, "source": origin})
    return rows, fidelity_rows


def stats_tables(datasets, tablefmt="github"):
    """The tables as text: Table IV, then fidelity when any dataset is synthetic."""
    return format_stats(*stats_rows(datasets), tablefmt=tablefmt)


def format_stats(rows, fidelity_rows, tablefmt="github"):
    """Table IV and fidelity rows (from :func:`stats_rows`) as text tables."""
    tables = [tabulate(rows, headers="keys", tablefmt=tablefmt, floatfmt="g")]
    if fidelity_rows:
        tables.append(tabulate(fidelity_rows, headers="keys", tablefmt=tablefmt, floatfmt="g"))
    return tables
