"""Generator benchmark: fit time, then sampling time and throughput per size.

    python benchmarks/generate.py             # ml-100k -> Table IV: 2,000 / 8,000 users x 4,000 items at 353,269 / 509,193 ratings
    python benchmarks/generate.py --sizes 8000x4000x800000    # 800K draws (the paper's sweep)
    python benchmarks/generate.py --pairing draws             # every draw's pair, the reference
    python benchmarks/generate.py --condition gender          # CGANRS: per-group draws, clusters and calibration
    python benchmarks/generate.py --sizes 480189x17770xr100480507 --no-structure   # Netflix Prize size
    python benchmarks/generate.py --address 127.0.0.1:6379    # the blocks of users on a Ray cluster

Each size is sampled and written as the CLI writes it (``.inter`` in chunks, sidecar) into a
temporary folder, removed after. Prints one row per size: wall (fit + sample + write is the
issue's figure), kept ratings/s, the process's peak memory (ru_maxrss, which only grows: run
one size per process for per-size peaks) and the fidelity measures; then where the time went
(each stage's seconds, from the sidecar) and the structure measures beside the source's.
"""
import argparse
import resource
import tempfile
import time

from tabulate import tabulate

import recbole_ganrs  # noqa: F401
from recbole_ganrs.data import load_ratings
from recbole_ganrs.data.sidecar import read_sidecar
from recbole_ganrs.generator import GAN_KINDS, GANRS, SampleRequest
from recbole_ganrs.generator.dataset import write_dataset
from recbole_ganrs.generator.pairing import PAIRINGS
from recbole_ganrs.generator.sampling import SamplingChoices
from recbole_ganrs.stats import fidelity
from recbole_ganrs.stats.structure import structure_row


def peak_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def parse_size(text):
    """USERSxITEMSxDRAWS, or USERSxITEMSxrRATINGS for a number of distinct ratings."""
    users, items, size = text.lower().split("x")
    if size.startswith("r"):
        return int(users), int(items), None, int(size[1:])
    return int(users), int(items), int(size), None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default="ml-100k")
    parser.add_argument("--sizes", nargs="+", type=parse_size,
                        default=[(2000, 4000, None, 353_269), (8000, 4000, None, 509_193)],
                        help="USERSxITEMSxDRAWS or USERSxITEMSxrRATINGS")
    parser.add_argument("--std", type=float, default=2.5)
    parser.add_argument("--gan", default=GAN_KINDS[0], choices=GAN_KINDS)
    parser.add_argument("--pairing", default=PAIRINGS[0], choices=PAIRINGS)
    parser.add_argument("--condition", help="a user attribute of the source's .user file (CGANRS)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--address", help="a Ray cluster (HOST:PORT) whose actors hold the blocks of users")
    parser.add_argument("--no-structure", dest="structure", action="store_false",
                        help="skip the structure measures (an MF fit on the whole sample: slow at 100M ratings)")
    args = parser.parse_args()

    source = load_ratings(args.source)
    start = time.perf_counter()
    generator = GANRS(gan=args.gan, seed=args.seed, condition=args.condition, progress=False).fit(args.source)
    fit_s = time.perf_counter() - start
    print(f"fit {args.source} ({len(source)} ratings, {args.gan}, condition {args.condition}): {fit_s:.1f} s, "
          f"embedding holdout RMSE {generator.embedding_rmse['holdout']:.3f}, peak {peak_mib():.0f} MiB")
    workers = None  # this process's threads
    if args.address:
        from recbole_ganrs.benchmark.runner import check_address, start_ray
        from recbole_ganrs.generator.workers import RayWorkers

        check_address(args.address)
        start_ray(args.address)
        workers = RayWorkers()
    rows, stages, structure = [], [], [structure_row(f"{args.source} (source)", source)]
    for users, items, samples, ratings in args.sizes:
        request = SampleRequest(users, items, samples, args.std, args.seed, ratings,
                                sampling=SamplingChoices(pairing=args.pairing))
        with tempfile.TemporaryDirectory(prefix="generate-bench-") as folder:
            start = time.perf_counter()
            inter, out = write_dataset(generator, args.source, request, folder, workers)
            seconds = time.perf_counter() - start
            stages.append({"size": f"{users}x{items}", **read_sidecar(inter.parent)["seconds"]})
        out = out[["user_id", "item_id", "rating"]]  # a conditioned sample also has each rating's user group
        rows.append({"users": users, "items": items, "asked": f"{samples} draws" if ratings is None else
                     f"{ratings} ratings", "ratings kept": len(out), "sample + write s": round(seconds, 1),
                     "fit + sample + write s": round(fit_s + seconds, 1),
                     "kept ratings/s": int(len(out) / seconds), "peak MiB": int(peak_mib()),
                     **{k: v for k, v in fidelity("", out, source).items() if k != "dataset"}})
        if args.structure:
            structure.append(structure_row(f"{users}x{items}, {len(out)} ratings", out))
        del out
    print(tabulate(rows, headers="keys", tablefmt="github"))
    print("seconds per stage")
    print(tabulate(stages, headers="keys", tablefmt="github"))
    if args.structure:
        print(tabulate(structure, headers="keys", tablefmt="github"))


if __name__ == "__main__":
    main()
