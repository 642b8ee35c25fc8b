"""Wall time of the benchmark job and of each stage, from a cold start (no cached fit or data).

    python benchmarks/benchmark_job.py                      # the default job: ml-100k, 8,000 users
    python benchmarks/benchmark_job.py --users 2000 8000    # any run_benchmark.py flags

Output and datasets go to a temporary folder, so nothing is reused.
"""
import sys
import tempfile
import time

from tabulate import tabulate

import recbole_ganrs  # noqa: F401
from recbole_ganrs.benchmark.main import run_benchmark
from recbole_ganrs.benchmark.options import parse_options


def main(argv):
    with tempfile.TemporaryDirectory() as tmp:
        opts = parse_options([*argv, "--output", f"{tmp}/out", "--data-dir", f"{tmp}/data", "--no-progress"])
        start = time.perf_counter()
        failed, timings = run_benchmark(opts)
        wall = time.perf_counter() - start
    print()
    print(tabulate([[k, f"{v:.1f}"] for k, v in timings.items()] + [["process wall time", f"{wall:.1f}"]],
                   headers=["stage", "seconds"], tablefmt="github"))
    print(f"job: {' '.join(argv) or '(defaults)'}; failed trials: {len(failed)}")


if __name__ == "__main__":
    main(sys.argv[1:])
