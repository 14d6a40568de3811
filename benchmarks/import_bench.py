"""How long `review import` takes on a GitBook history: 50 commits, 2 languages, 26 commitments.

    .venv/bin/python benchmarks/import_bench.py           # 50 commits, 26 commitments (target under 30 s)
    .venv/bin/python benchmarks/import_bench.py --quick   # 10 commits, 6 commitments

The GitBook repository is built with git itself (tests/gitbook_builder.py: French and
English books with different folder names, sub-commitments, pages, glossary, images, and
the noise of a real book). The import then runs in a fresh process (`python -m review
import SOURCE DIR`), the way an administrator would, and is followed by `review verify`.
Baseline measured in the same run: `review init` of the sample plan (one commit), also in a
fresh process, so the ratio says what the history costs over a plain deployment. Like the
other benchmarks it never fails on a figure: it exits 0 once it has measured.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.gitbook_builder import build  # noqa: E402

TARGET_SECONDS = 30.0


def _timed(*args: str) -> tuple[float, str]:
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "review", *args], cwd=ROOT, capture_output=True, text=True)
    took = time.perf_counter() - start
    if out.returncode != 0:
        print(out.stdout[-2000:], out.stderr[-2000:], file=sys.stderr)
        raise SystemExit(f"review {args[0]} failed (exit {out.returncode})")
    return took, out.stdout


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    commits, commitments = (10, 6) if args.quick else (50, 26)
    tmp = Path(tempfile.mkdtemp(prefix="import-bench-"))
    try:
        t0 = time.perf_counter()
        src = build(tmp / "gitbook", n_commits=commits, n_commitments=commitments, n_axes=5)
        built = time.perf_counter() - t0
        base, _ = _timed("init", str(tmp / "baseline"))
        took, out = _timed("import", str(tmp / "gitbook"), str(tmp / "dep"))
        check, verdict = _timed("verify", str(tmp / "dep" / "plan.git"))
        imported = sum(1 for line in out.splitlines() if line.endswith(": imported"))
        print(f"source: {len(src.commits)} commits, {commitments} commitments, 2 languages "
              f"(built with git in {built:.1f} s)")
        print(f"baseline  review init (1 commit), whole process:      {base:6.2f} s")
        print(f"review import ({imported} commits written), whole process: {took:6.2f} s  "
              f"({took / base:.1f}x the baseline; target under {TARGET_SECONDS:.0f} s: "
              f"{'target met' if took < TARGET_SECONDS else 'target missed'})")
        print(f"review verify of the result, whole process:          {check:6.2f} s  "
              f"({'clean' if 'Clean' in verdict else 'NOT clean'})")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
