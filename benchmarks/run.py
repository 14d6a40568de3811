"""Speed and scale of the review site, printed as ratios against baselines measured in the same run.

    .venv/bin/python benchmarks/run.py            # full run, about 7 minutes
    .venv/bin/python benchmarks/run.py --quick    # smoke run, about a minute

Never a test: it prints "target met" or "target missed" per line and exits 0 whatever the
figures are (it exits 1 only when it could not measure). The code is the package
benchmarks/web/ (scenarios, servers, report); see benchmarks/README.md.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.web.report import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
