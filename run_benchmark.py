#!/usr/bin/env python
"""The main job: python run_benchmark.py --source ml-100k --users 8000 (see --help)."""
import sys

import recbole_ganrs  # noqa: F401  (compatibility patches before recbole and ray)
from recbole_ganrs.benchmark.main import main

if __name__ == "__main__":
    sys.exit(main())
