"""A source as RecBole reads it: a clean atomic file is used as it is; anything else (a CSV / TSV, an
atomic file with a UTF-8 BOM or commas, or repeated pairs resolved by ``--duplicates``) is converted
once into ``<data_dir>/sources/<key>/<name>/<name>.inter``, keyed by the original's content and the
duplicates policy, and the run uses that copy (its name stays the original's)."""
from pathlib import Path

from recbole_ganrs.data.atomic import write_atomic
from recbole_ganrs.data.sources import check_pairs, drop_duplicates, load_ratings, resolve_source
from recbole_ganrs.files import check_output_folder, file_digest, json_digest

SOURCES_DIR = "sources"


def prepare_source(source, data_dir, duplicates="error", log=print):
    """The source to run on (a path string, or ``ml-100k``): ``source`` itself when RecBole can read it
    and it needs no duplicates resolved, else its converted copy. Checks it strictly (a source to learn from)."""
    src = resolve_source(source)
    ratings = load_ratings(src)
    deduplicated = drop_duplicates(ratings, duplicates)
    check_pairs(deduplicated, src.inter_path)
    problem = src.not_atomic()
    if problem is None and len(deduplicated) == len(ratings):
        return source
    key = json_digest({"content": file_digest(src.inter_path), "duplicates": duplicates})[:12]
    folder = Path(data_dir).resolve() / SOURCES_DIR / key / src.name
    inter = folder / f"{src.name}.inter"
    if not inter.is_file():
        check_output_folder(data_dir)
        write_atomic(inter, deduplicated)
        why = [problem] if problem else []
        if len(deduplicated) < len(ratings):
            why.append(f"{len(ratings) - len(deduplicated)} repeated rating(s) resolved by --duplicates {duplicates}")
        log(f"converted {src.inter_path} ({'; '.join(why)}) to {inter}")
    return str(folder)
