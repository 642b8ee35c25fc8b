"""What each measure of a synthetic dataset's card (and of the stats tables `generate` prints) costs.

    python benchmarks/card_cost.py dataset_atomic/ganrs-ml-100k-u100000-i20000-r10000000-std2.5-seed0
    python benchmarks/card_cost.py FOLDER --from-file   # a reused dataset's card: it reads the .inter back
    python benchmarks/card_cost.py FOLDER --mf-caps 1000000 2000000 5000000   # the MF fit on whole-user samples

Holds the dataset as ``generate`` does when it writes the card (its integer-id frame, then ``as_measured``; with
``--from-file``, reads it as a reused dataset's card does), then times each measure alone (wall seconds, and the peak
resident memory above what the process held before it, sampled every 20 ms), then the whole card as
``generate`` writes it (``datasets.card.write_card``). Measures that fit a model are cached per content in a
process (stats/report.py), so the card is timed in a fresh state (``report._MEASURED`` cleared).
"""
import sys
import threading
import time
from pathlib import Path

import psutil
from tabulate import tabulate

import recbole_ganrs  # noqa: F401
from recbole_ganrs.config import benchmark_split
from recbole_ganrs.data import load_ratings, resolve_source
from recbole_ganrs.data.atomic import as_measured, read_written
from recbole_ganrs.data.sidecar import read_sidecar
from recbole_ganrs.datasets.card import write_card
from recbole_ganrs.stats import report
from recbole_ganrs.stats.detection import detection_auc
from recbole_ganrs.stats.fidelity import fidelity
from recbole_ganrs.stats.structure import (_codes, mf_rmse, mf_users, relevance_levels, spread_measures,
                                           user_share_measures)
from recbole_ganrs.stats.table import dataset_row


class PeakMemory:
    """The peak RSS (MiB) of this process above its RSS at entry, sampled every 20 ms."""

    def __enter__(self):
        self.process = psutil.Process()
        self.start = self.peak = self.process.memory_info().rss
        self.running = True
        self.thread = threading.Thread(target=self.sample, daemon=True)
        self.thread.start()
        return self

    def sample(self):
        while self.running:
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.02)

    def __exit__(self, *exc):
        self.running = False
        self.thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)

    @property
    def above_start_mib(self):
        return (self.peak - self.start) / 2**20


def timed(rows, name, compute):
    with PeakMemory() as memory:
        start = time.perf_counter()
        value = compute()
        seconds = time.perf_counter() - start
    rows.append([name, f"{seconds:.1f}", f"{memory.above_start_mib:.0f}"])
    print(f"{name}: {seconds:.1f} s, +{memory.above_start_mib:.0f} MiB", flush=True)
    return value


def mf_caps(folder, caps, seeds=(0, 1, 2)):
    """The MF RMSE of the structure table on whole-user samples of at most each cap's ratings (several sample
    seeds where the cap is below the dataset's size), with its seconds: what the cap changes and costs."""
    user, item, r = _codes(load_ratings(resolve_source(folder)))
    rows = []
    for cap in caps:
        for seed in seeds if cap < len(r) else seeds[:1]:
            chosen = mf_users(user, cap, seed)
            start = time.perf_counter()
            rmse = mf_rmse(user[chosen], item[chosen], r[chosen])
            rows.append([cap, seed, len(r[chosen]), f"{rmse:.4f}", f"{time.perf_counter() - start:.1f}"])
            print(rows[-1], flush=True)
    print(tabulate(rows, headers=["cap", "sample seed", "ratings fitted", "MF RMSE", "seconds"], tablefmt="github"))


def held_frame(folder):
    """The dataset as ``generate`` holds it when it writes the card: write_dataset's frame (integer ids), read from
    the .inter it was written to."""
    return read_written(resolve_source(folder).inter_path)


def main(folder, from_file=False):
    folder = Path(folder)
    source = read_sidecar(folder)["source"]
    rows = []
    if from_file:  # a dataset reused: its card reads the .inter
        synthetic = timed(rows, "read the dataset (load_ratings)", lambda: load_ratings(resolve_source(folder)))
        held = None
    else:  # a dataset just made: its card measures the frame generate holds (data.atomic.as_measured)
        held = held_frame(folder)
        synthetic = timed(rows, "the frame as measured (as_measured)", lambda: as_measured(held))
    real = timed(rows, "read the source", lambda: load_ratings(resolve_source(source)))
    print(f"{len(synthetic):,} ratings, {synthetic['user_id'].nunique():,} users; source {len(real):,}")
    timed(rows, "Table IV row", lambda: dataset_row(folder.name, synthetic))
    timed(rows, "fidelity (TVD, KS, Gini, share KS)", lambda: fidelity(folder.name, synthetic, real))
    timed(rows, "detection AUC", lambda: detection_auc(synthetic, real))
    timed(rows, "structure: spreads and bias RMSE", lambda: spread_measures(synthetic))
    timed(rows, "structure: user shares", lambda: user_share_measures(synthetic, relevance_levels(real)))

    def mf():
        user, item, r = _codes(synthetic)
        chosen = mf_users(user)
        return mf_rmse(user[chosen], item[chosen], r[chosen])

    timed(rows, "structure: MF RMSE", mf)
    synthetic = real = None  # freed before the card measures them again
    report._MEASURED.clear()

    def card():  # as generate does: the frame as measured, then the written frame let go
        nonlocal held
        measured = None if held is None else as_measured(held)
        held = None
        return write_card(folder, split=benchmark_split()["split"]["RS"], measured=measured)

    timed(rows, "the card, all told (as_measured, then write_card)", card)
    print()
    print(tabulate(rows, headers=["measure", "seconds", "peak MiB above the process's"], tablefmt="github"))


if __name__ == "__main__":
    if "--mf-caps" in sys.argv:
        at = sys.argv.index("--mf-caps")
        mf_caps(Path(sys.argv[1]), [int(c) for c in sys.argv[at + 1:]])
    else:
        main(sys.argv[1], from_file="--from-file" in sys.argv)
