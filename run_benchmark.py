"""The main job, ``python run_benchmark.py --source ml-100k --users 8000``: ``recbole-ganrs benchmark``."""
import sys

from recbole_ganrs.cli import main

if __name__ == "__main__":
    sys.exit(main(["benchmark", *sys.argv[1:]], prog="run_benchmark.py"))
