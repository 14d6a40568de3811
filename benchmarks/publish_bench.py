"""How long `review publish` takes: the 26-commitment plan as a static site, a PDF and an EPUB
per language (target under 30 s, whole process).

    .venv/bin/python benchmarks/publish_bench.py            # the sample plan, and the real 2015 plan if ../shared has it
    .venv/bin/python benchmarks/publish_bench.py --jobs 1   # the PDFs one after the other

Each plan is made into a deployment first (`review init` of plan-repo/, the sample plan in two
languages; `review import` of the 2015 corpus, French only, when ../shared/corpus is there),
then published in a fresh process (`python -m review publish DIR --rev main --out FOLDER`), the
way an administrator would. Baseline measured in the same run: `review init` of the sample plan,
also in a fresh process. Then the time of each part in this process (reading the plan, the
site, one EPUB, one PDF), to say where the time goes. Like the other benchmarks it never fails
on a figure: it exits 0 once it has measured.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import os
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "fr-ogp-2015"
sys.path.insert(0, str(ROOT))
TARGET_SECONDS = 30.0


def _cpu() -> float:
    import resource
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(*args: str) -> float:
    """Wall-clock seconds of `review ARGS` in a fresh process; its CPU seconds (every process
    it started included) in _timed.cpu, which a busy machine does not inflate."""
    start, cpu = time.perf_counter(), _cpu()
    out = subprocess.run([sys.executable, "-m", "review", *args], cwd=ROOT, capture_output=True, text=True)
    took = time.perf_counter() - start
    _timed.cpu = _cpu() - cpu
    if out.returncode != 0:
        print(out.stdout[-2000:], out.stderr[-2000:], file=sys.stderr)
        raise SystemExit(f"review {args[0]} failed (exit {out.returncode})")
    return took


def _parts(dep: Path, out: Path) -> str:
    from review import publish
    from review.deployment import Deployment
    repo = Deployment.open(dep).open_repo()
    t0 = time.perf_counter()
    book = publish.gather(repo, "main", "https://plan.example.org")
    t1 = time.perf_counter()
    publish.write_site(book, out / "site")
    t2 = time.perf_counter()
    publish.write_epub(book, "fr", out / "plan-fr.epub")
    t3 = time.perf_counter()
    publish.write_pdf(book, "fr", out / "plan-fr.pdf")
    t4 = time.perf_counter()
    import pypdf
    pages = len(pypdf.PdfReader(out / "plan-fr.pdf").pages)
    return (f"read {t1 - t0:.2f} s, site (2 languages) {t2 - t1:.2f} s, EPUB {t3 - t2:.2f} s, "
            f"PDF {t4 - t3:.1f} s ({pages} pages)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=None, help="processes for the PDFs (default: one per core)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="publish-bench-"))
    try:
        baseline = _timed("init", str(tmp / "sample"))
        plans = [("sample plan (fr, en)", tmp / "sample")]
        if CORPUS.is_dir():
            _timed("import", str(CORPUS), str(tmp / "real"))
            plans.append(("2015 plan (corpus, fr)", tmp / "real"))
        else:
            print(f"(the 2015 corpus is not at {CORPUS}: the sample plan only)")
        print(f"baseline: review init of the sample plan, whole process: {baseline:.2f} s "
              f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
        jobs = [] if args.jobs is None else ["--jobs", str(args.jobs)]
        for label, dep in plans:
            took = _timed("publish", str(dep), "--rev", "main", "--out", str(tmp / f"out-{dep.name}"), *jobs)
            verdict = "target met" if took < TARGET_SECONDS else "target missed"
            print(f"review publish, {label}: {took:.1f} s whole process ({_timed.cpu:.1f} s of CPU), "
                  f"{took / baseline:.0f}x init (target under {TARGET_SECONDS:.0f} s: {verdict})")
            print(f"  in one process: {_parts(dep, tmp / f'parts-{dep.name}')}")
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
