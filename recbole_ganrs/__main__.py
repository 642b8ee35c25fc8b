import sys

import recbole_ganrs  # noqa: F401  (compatibility patches first)
from recbole_ganrs.cli import main

sys.exit(main())
