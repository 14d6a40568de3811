"""The table: each figure against a baseline measured in the same run, with its target; and
the command's entry point (`python benchmarks/run.py [--quick] [--profile]`)."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .scenarios import History, Measured, run
from .servers import Load, Servers
from .tools import COMMENT_COUNTS, PAGE_26, PAGE_5000, SCALE_COMMITMENTS, BenchError, check_tools


@dataclass
class Row:
    measure: str
    value: str
    baseline: str = "-"
    ratio: str = "-"
    target: str = "-"
    verdict: str = "info"


def judged(measure: str, value: str, baseline: str, ratio: float, op: str, limit: float,
           valid: bool = True) -> Row:
    met = ratio >= limit if op == ">=" else ratio <= limit
    verdict = ("target met" if met else "target missed") if valid else "invalid (errors)"
    return Row(measure, value, baseline, f"{ratio:.2f}", f"{op} {limit:g}", verdict)


def cols_of(r: Row) -> tuple[str, ...]:
    return (r.measure, r.value, r.baseline, r.ratio, r.target, r.verdict)


def print_table(rows: list[Row]) -> None:
    header = Row("measure", "value", "baseline", "ratio", "target", "verdict")
    cols = list(zip(*[cols_of(r) for r in [header, *rows]]))
    widths = [max(len(c) for c in col) for col in cols]
    right = [False, True, True, True, False, False]

    def line(cells):
        return " | ".join(c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right)).rstrip()

    print(line(cols_of(header)))
    print("-+-".join("-" * w for w in widths))
    for r in rows:
        print(line(cols_of(r)))


def rps(x: float) -> str:
    return f"{x:,.0f} req/s"


def ms(x: float) -> str:
    return f"{x:,.2f} ms" if x < 10 else f"{x:,.1f} ms" if x < 100 else f"{x:,.0f} ms"


def errs(load: Load) -> str:
    return f" [{load.errors}]" if load.errors else ""


def _same(label: str, ok: bool) -> Row:
    return Row(label, "yes" if ok else "no", target="yes", verdict="target met" if ok else "target missed")


def history_rows(cid: str, label: str, h: History) -> list[Row]:
    """Each history figure against its like (see scenarios.History)."""
    return [
        judged(f"history {cid} ({label}), cold, in process: ours vs libgit2's walk", ms(h.cold_ms),
               ms(h.cold_libgit2_ms), h.cold_ms / h.cold_libgit2_ms, "<=", 1.0),
        Row("  cold, whole processes: ours (python) vs git log", ms(h.process_ms), ms(h.process_git_ms),
            f"{h.process_ms / h.process_git_ms:.2f}"),
        judged("  warm (one new commit), whole walk: ours without cache vs libgit2's walk", ms(h.warm_uncached_ms),
               ms(h.warm_libgit2_ms), h.warm_uncached_ms / h.warm_libgit2_ms, "<=", 1.0),
        Row("  warm, as a worker answers: ours with its cache vs without", ms(h.warm_cached_ms),
            ms(h.warm_uncached_ms), f"{h.warm_cached_ms / h.warm_uncached_ms:.3f}"),
        _same(f"  same commits as libgit2's walk and git log ({h.changes}; cold and warm)", h.same),
    ]


def comment_rows(m: Measured) -> list[Row]:
    h, r26 = m.hello, m.rend26
    rows = []
    for count in COMMENT_COUNTS:
        cp, cr = m.cpage[count], m.crend[count]
        label = f"page {PAGE_26}, {count:,} comments, req/s vs hello (page cache)"
        if count == COMMENT_COUNTS[0]:  # the target is set on the first count (200 comments)
            rows.append(judged(label, rps(cp.rps) + errs(cp), rps(h.rps), cp.rps / h.rps, ">=", 0.5, not cp.errors))
        else:
            rows.append(Row(label, rps(cp.rps) + errs(cp), rps(h.rps), f"{cp.rps / h.rps:.2f}"))
        rows += [
            Row("  p99 latency (page cache), vs hello", ms(cp.p99_ms), ms(h.p99_ms), f"{cp.p99_ms / h.p99_ms:.2f}"),
            Row("  rendered (no page cache), vs hello", rps(cr.rps) + errs(cr), rps(h.rps), f"{cr.rps / h.rps:.2f}"),
            Row("  rendered: slowdown vs no comments", rps(cr.rps), rps(r26.rps), f"{r26.rps / cr.rps:.2f}"),
            Row("  p99 latency, rendered, vs no comments", ms(cr.p99_ms), ms(r26.p99_ms),
                f"{cr.p99_ms / r26.p99_ms:.2f}"),
        ]
    zero = m.inproc[0]
    rows.append(Row(f"page {PAGE_26} rendered in process (test client, median), no comments", ms(zero["median_ms"])))
    rows += [Row(f"  {count:,} comments", ms(m.inproc[count]["median_ms"]), ms(zero["median_ms"]),
                 f"{m.inproc[count]['median_ms'] / zero['median_ms']:.2f}") for count in COMMENT_COUNTS]
    rows.append(Row("  first request of a fresh process, no comments", ms(zero["first_ms"])))
    rows += [Row(f"  first request, {count:,} comments", ms(m.inproc[count]["first_ms"]), ms(zero["first_ms"]),
                 f"{m.inproc[count]['first_ms'] / zero['first_ms']:.2f}") for count in COMMENT_COUNTS]
    rows.append(Row("  HTML size, no comments", f"{zero['bytes']:,} B"))
    rows += [Row(f"  HTML size, {count:,} comments", f"{m.inproc[count]['bytes']:,} B", f"{zero['bytes']:,} B",
                 f"{m.inproc[count]['bytes'] / zero['bytes']:.2f}") for count in COMMENT_COUNTS]
    return rows


def rows(m: Measured) -> list[Row]:
    h, p26, r26, p5000, r5000 = m.hello, m.page26, m.rend26, m.page5000, m.rend5000
    n, commits = f"{SCALE_COMMITMENTS:,}", f"{m.commits:,}"
    return [
        Row(f"hello-world req/s (best of {m.rounds})", rps(h.rps) + errs(h)),
        judged(f"page {PAGE_26} req/s vs hello (anonymous: page cache)", rps(p26.rps) + errs(p26), rps(h.rps),
               p26.rps / h.rps, ">=", 0.5, not p26.errors),
        Row(f"  page {PAGE_26} rendered (no page cache)", rps(r26.rps) + errs(r26), rps(h.rps),
            f"{r26.rps / h.rps:.2f}"),
        Row("p99 latency, hello-world", ms(h.p99_ms)),
        Row(f"p99 latency, page {PAGE_26} (page cache)", ms(p26.p99_ms), ms(h.p99_ms), f"{p26.p99_ms / h.p99_ms:.2f}"),
        *comment_rows(m),
        *history_rows(PAGE_26, f"{commits} commits", m.h26),
        judged(f"page {PAGE_5000} ({n} plan) req/s vs hello (page cache)", rps(p5000.rps) + errs(p5000),
               rps(h.rps), p5000.rps / h.rps, ">=", 0.5, not p5000.errors),
        judged(f"  slowdown vs 26 plan (26 req/s / {n} req/s)", rps(p5000.rps), rps(p26.rps),
               p26.rps / p5000.rps, "<=", 2.0, not p5000.errors),
        judged(f"  p99 latency, {n} vs 26 plan", ms(p5000.p99_ms), ms(p26.p99_ms),
               p5000.p99_ms / p26.p99_ms, "<=", 2.0, not p5000.errors),
        Row(f"  page {PAGE_5000} rendered (no page cache)", rps(r5000.rps) + errs(r5000), rps(h.rps),
            f"{r5000.rps / h.rps:.2f}"),
        Row("  rendered: slowdown vs 26 plan", rps(r5000.rps), rps(r26.rps), f"{r26.rps / r5000.rps:.2f}"),
        *history_rows(PAGE_5000, f"{n} plan", m.h5000),
        judged(f"  history cold in process, {n} vs 26 plan (ours)", ms(m.h5000.cold_ms), ms(m.h26.cold_ms),
               m.h5000.cold_ms / m.h26.cold_ms, "<=", 2.0),
        Row(f"  history cold in process, {n} vs 26 plan (libgit2's walk)", ms(m.h5000.cold_libgit2_ms),
            ms(m.h26.cold_libgit2_ms), f"{m.h5000.cold_libgit2_ms / m.h26.cold_libgit2_ms:.2f}"),
        Row(f"page {PAGE_26} rendered, after {commits} commits", rps(m.later26.rps) + errs(m.later26), rps(h.rps),
            f"{m.later26.rps / h.rps:.2f}"),
        Row(f"page {PAGE_5000} rendered, after {commits} commits", rps(m.later5000.rps) + errs(m.later5000),
            rps(h.rps), f"{m.later5000.rps / h.rps:.2f}"),
        Row(f"  p99 latency, {PAGE_5000} rendered, after {commits} commits", ms(m.later5000.p99_ms)),
        Row(f"cold GET / ({n} plan, test client): first", ms(m.index["first_ms"])),
        Row(f"cold GET / ({n} plan, test client): second (page cache)", ms(m.index["second_ms"])),
        Row(f"cold GET / ({n} plan, test client): other query (rendered)", ms(m.index["third_ms"])),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Speed and scale of the review site, printed as ratios "
                                                 "against baselines measured in the same run.")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 1,000 commits instead of 10,000, 2 s loads instead of 10 s")
    parser.add_argument("--profile", action="store_true",
                        help="also print a cProfile of each cold history call and of the commitment page "
                             "with the most comments, rendered (where the time goes)")
    args = parser.parse_args(argv)

    def on_term(signum, frame):
        raise SystemExit(128 + signum)  # runs the finally blocks: servers killed, data removed
    signal.signal(signal.SIGTERM, on_term)

    started = time.perf_counter()
    try:
        gunicorn = check_tools()
    except BenchError as exc:
        print(f"benchmarks: {exc}", file=sys.stderr)
        return 1
    work = Path(tempfile.mkdtemp(prefix="review-bench-"))
    servers = Servers(gunicorn, work)
    print(f"review benchmarks ({'quick' if args.quick else 'full'} run), data in {work}", flush=True)
    try:
        measured = run(args.quick, args.profile, work, servers)
    except (BenchError, subprocess.TimeoutExpired) as exc:
        print(f"benchmarks: {exc}", file=sys.stderr)
        return 1
    finally:
        servers.stop_all()
        shutil.rmtree(work, ignore_errors=True)
    table = rows(measured)
    print()
    print_table(table)
    print(f"\n{sum(r.verdict == 'target met' for r in table)} targets met, "
          f"{sum(r.verdict == 'target missed' for r in table)} missed; "
          f"run took {time.perf_counter() - started:.0f} s "
          f"({os.cpu_count()} CPUs, {dt.datetime.now().isoformat(timespec='seconds')})")
    return 0
