"""Limits a request is checked against before any work: what this machine's memory can hold and what
its cores can draw in a sane time (so that ``--users 1000000000`` is refused at once, not after an hour)."""
import os

from recbole_ganrs.errors import GanrsError

MAX_SEED = 2**32 - 1  # numpy's seed range (torch takes more)
BYTES_PER_RATING = 200  # the draws pairing: peak bytes per kept rating while sampling and writing (pair keys, sums)
BYTES_PER_ID = 256  # per synthetic user or item: its embedding, k-means centre, ids and shape tables
DRAWS_PER_CORE_SECOND = 20_000  # well below benchmarks/generate.py's figures on this project's 2-core machines
# the shapes pairing (pairing.py), from benchmarks/generate.py's scale runs (benchmarks/README.md, "Scale"): the
# Netflix-sized sample peaked at 85 bytes a rating all told (its candidates, 4 x 8 bytes a rating, then the pairs,
# ratings and frame); per user its clustering draws, affinity and shortest candidate list. Its wall time fits
# 113,000 ratings and 18.6M affinity cells a core-second (two sizes): about a quarter of that is assumed here
SHAPES_BYTES_PER_RATING = 100
SHAPES_BYTES_PER_USER = 2048
SHAPES_RATINGS_PER_CORE_SECOND = 25_000
AFFINITY_CELLS_PER_CORE_SECOND = 5_000_000
MAX_HOURS = 24


def available_memory():
    """Bytes of memory this process could still take."""
    try:
        import psutil

        return psutil.virtual_memory().available
    except ImportError:  # psutil comes with Ray; without it, the machine's total
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def cores():
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def check_seed(seed, label="seed"):
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise GanrsError(f"{label} must be an integer in 0..{MAX_SEED}, got {seed!r}")


def check_request_fits(users, items, samples, ratings, pairing="shapes"):
    """Refuse a sample request this machine cannot hold in memory or make within MAX_HOURS. The draws pairing
    holds every kept pair's sums; the shapes pairing each user's candidates and sweeps users x items affinities
    once (its constants: benchmarks/README.md, "Scale")."""
    kept = ratings if ratings is not None else min(samples, users * items)
    need = kept * BYTES_PER_RATING + (users + items) * BYTES_PER_ID  # the draws' distinct pairs, accumulated
    if pairing == "shapes":  # which counts them first when the request is in draws
        shapes = kept * SHAPES_BYTES_PER_RATING + users * SHAPES_BYTES_PER_USER + items * BYTES_PER_ID
        need = shapes if samples is None else max(need, shapes)
    have = available_memory()
    if need > have:
        raise GanrsError(f"{users} users x {items} items with {kept:,} ratings needs about {need / 2**30:.1f} GiB; "
                         f"this machine has {have / 2**30:.1f} GiB available: ask for fewer")
    draws = samples if samples is not None else (ratings if pairing == "draws" else 0)
    seconds = draws / DRAWS_PER_CORE_SECOND
    if pairing == "shapes":
        seconds += kept / SHAPES_RATINGS_PER_CORE_SECOND + users * items / AFFINITY_CELLS_PER_CORE_SECOND
    hours = seconds / cores() / 3600
    if hours > MAX_HOURS:
        what = f"{draws:,} draws" if draws else f"{kept:,} ratings of {users:,} x {items:,}"
        raise GanrsError(f"{what} would take about {hours:,.0f} hours on {cores()} cores "
                         f"(limit {MAX_HOURS} h): ask for fewer")
