"""``recbole-ganrs benchmark`` (and ``run_benchmark.py``): fit the generators, generate, train and
evaluate the models as Ray Tune trials, print and write the verdict, tables and plots. Re-running with the
same output resumes it. The run itself is :class:`recbole_ganrs.benchmark.run.BenchmarkRun`."""
from recbole_ganrs.benchmark.run import BenchmarkRun, benchmark

__all__ = ["BenchmarkRun", "benchmark"]
