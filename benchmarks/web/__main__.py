"""python -m benchmarks.web [--quick] [--profile] (the same as python benchmarks/run.py)."""

import sys

from .report import main

sys.exit(main())
