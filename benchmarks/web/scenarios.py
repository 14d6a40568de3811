"""What is measured, in which order: deployments, pages in process, pages under load, history.

`run` returns the measurements; benchmarks/web/report.py turns them into the table.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

from review import comments, deployment
from review.gitrepo import GitRepo

from .data import add_comments, add_history, make_scale_plan
from .servers import Load, Servers, start_target, load_rounds
from .tools import (BENCH, COMMENT_COUNTS, CYCLE, GIT_ENV, HISTORY_RUNS, PAGE_26, PAGE_5000, PAGE_RUNS,
                    SCALE_COMMITMENTS, SLOW_PAGE_MS, BenchError, probe, say)


# -- a page in process ---------------------------------------------------------

def page_in_process(dep_dir: Path, path: str, runs: int, profile: bool = False) -> dict:
    """One page rendered through the Flask test client (page cache off) in a fresh interpreter:
    the first request, then the median of `runs` more; with `profile`, a cProfile of 5 more."""
    p = probe("page", str(dep_dir), path, str(runs), "1" if profile else "0")
    if p.returncode != 0:
        raise BenchError(f"GET {path} in process failed:\n{p.stderr[-2000:]}")
    result = json.loads(p.stdout.strip().splitlines()[-1])
    if result["statuses"] != [200]:
        raise BenchError(f"GET {path} in process answered {result['statuses']}")
    result["profile"] = p.stderr.strip() if profile else ""
    return result


def page_in_processes(dep_dir: Path, path: str, runs: int, processes: int) -> dict:
    """page_in_process() in `processes` fresh interpreters: the best first request and the best median."""
    results = [page_in_process(dep_dir, path, runs) for _ in range(processes)]
    best = dict(results[0])
    best["first_ms"] = min(r["first_ms"] for r in results)
    best["median_ms"] = min(r["median_ms"] for r in results)
    return best


def cold_index(dep_dir: Path) -> dict:
    """GET / in a fresh interpreter (empty caches): first request, then the same (a page cache
    hit), then another query string (rendered again, from the parsed commitments kept)."""
    p = probe("index", str(dep_dir))
    if p.returncode != 0:
        raise BenchError(f"cold GET / failed:\n{p.stderr[-2000:]}")
    result = json.loads(p.stdout.strip().splitlines()[-1])
    if result["status"] != [200, 200, 200]:
        raise BenchError(f"cold GET / answered {result['status']}")
    say(f"cold GET / ({SCALE_COMMITMENTS:,} commitments): first {result['first_ms']:.0f} ms, "
        f"second {result['second_ms']:.1f} ms, another query string {result['third_ms']:.1f} ms "
        f"({result['bytes']:,} bytes; page cache {'/'.join(str(c) for c in result['cache'])})")
    return result


# -- history -------------------------------------------------------------------

@dataclass
class History:
    """Each figure is the best of its runs, in ms. Like is compared with like:

    - cold, in process: the first call of a fresh interpreter, the repository's opening
      included and the imports not: ours against libgit2's own walk (benchmarks/web/probes/baseline.py);
    - cold, whole processes: from the start of the process to its exit, ours (an interpreter
      that imports review and answers) against `git log --first-parent -- path`;
    - warm, in one process with one open repository, after one new commit on main: ours
      without our cache against libgit2's walk (both a whole walk, libgit2's caches warm),
      and ours as a worker answers (with its cache) against ours without it.
    """
    cold_ms: float
    cold_libgit2_ms: float
    process_ms: float
    process_git_ms: float
    warm_cached_ms: float
    warm_uncached_ms: float
    warm_libgit2_ms: float
    same: bool          # ours, libgit2's walk and git log list the same commits, cold and warm
    changes: int


def _timed(cmd: list[str], **kwargs) -> tuple[float, subprocess.CompletedProcess]:
    t = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kwargs)
    return (time.perf_counter() - t) * 1e3, p


def git_log(repo_path: Path, cid: str, runs: int) -> tuple[float, list[str]]:
    """`git log --first-parent --format=%H -- commitments/<cid>` as a whole process: best ms, ids."""
    cmd = ["git", "-C", str(repo_path), "log", "--first-parent", "--format=%H", "--", f"commitments/{cid}"]
    best, ids = float("inf"), []
    for _ in range(runs):
        ms, p = _timed(cmd, env=GIT_ENV)
        if p.returncode != 0:
            raise BenchError(f"{' '.join(cmd)} failed: {p.stderr}")
        best, ids = min(best, ms), p.stdout.split()
    return best, ids


def cold_history(impl: str, repo_path: Path, cid: str, runs: int, profile: bool) -> tuple[float, float, list[str]]:
    """(best in-process ms, best whole-process ms, ids) of `runs` fresh interpreters."""
    best, whole, ids = float("inf"), float("inf"), []
    for i in range(runs):
        profiled = profile and i == 0 and impl == "ours"
        ms, p = _timed([sys.executable, "-m", "benchmarks.web.probes.history", impl, str(repo_path), cid,
                        "1" if profiled else "0"], cwd=BENCH.parent)
        if p.returncode != 0:
            raise BenchError(f"cold history of {cid} ({impl}) failed:\n{p.stderr[-2000:]}")
        if profiled:
            print(textwrap.indent("(profiled run, cold)\n" + p.stderr.strip(), "    "), flush=True)
            continue  # the profiler's overhead is not timed
        result = json.loads(p.stdout.strip().splitlines()[-1])
        best, whole, ids = min(best, result["ms"]), min(whole, ms), result["ids"]
    return best, whole, ids


def time_history(repo_path: Path, cid: str, other: str, runs: int = HISTORY_RUNS,
                 profile: bool = False) -> History:
    """Cold (fresh interpreters), then warm (one process, `runs` rounds of one new commit)."""
    extra = 1 if profile else 0
    cold, process, ours_ids = cold_history("ours", repo_path, cid, runs + extra, profile)
    cold_lg, _whole_lg, lg_ids = cold_history("libgit2", repo_path, cid, runs, False)
    process_git, git_ids = git_log(repo_path, cid, runs)
    say(f"history of {cid}, cold: in process ours {cold:.1f} ms, libgit2's walk {cold_lg:.1f} ms; "
        f"whole processes ours {process:.0f} ms, git log {process_git:.1f} ms; {len(ours_ids)} changes")
    p = probe("warm_history", str(repo_path), cid, other, str(runs))
    if p.returncode != 0:
        raise BenchError(f"warm history of {cid} failed:\n{p.stderr[-2000:]}")
    warm = json.loads(p.stdout.strip().splitlines()[-1])
    say(f"history of {cid}, warm (one new commit): ours with its cache {warm['cached_ms']:.2f} ms, "
        f"without it {warm['uncached_ms']:.1f} ms, libgit2's walk {warm['libgit2_ms']:.1f} ms")
    return History(cold, cold_lg, process, process_git, warm["cached_ms"], warm["uncached_ms"],
                   warm["libgit2_ms"], ours_ids == lg_ids == git_ids and warm["same"], len(ours_ids))


# -- the run -------------------------------------------------------------------

@dataclass
class Measured:
    quick: bool
    seconds: int
    rounds: int
    commits: int
    hello: Load
    page26: Load
    rend26: Load
    page5000: Load
    rend5000: Load
    cpage: dict[int, Load]   # comments -> the anonymous page with that many comments
    crend: dict[int, Load]   # the same, rendered
    inproc: dict[int, dict]  # comments (0 too) -> page_in_processes()
    h26: History
    h5000: History
    later26: Load            # rendered pages once the history exists
    later5000: Load
    index: dict              # cold_index() of the 5,000-commitment plan


def run(quick: bool, profile: bool, work: Path, servers: Servers) -> Measured:
    seconds = 2 if quick else 10
    rounds = 1 if quick else 3
    commits = 1000 if quick else 10000
    processes = 1 if quick else 3  # fresh interpreters for the in-process page timings
    n = f"{SCALE_COMMITMENTS:,}"

    # The two deployments: the sample plan (26 commitments) and a generated one (5,000).
    t = time.perf_counter()
    dep26 = work / "dep26"
    deployment.init(dep26)
    plan_dir = work / "plan5000"
    plan_dir.mkdir()
    make_scale_plan(plan_dir, SCALE_COMMITMENTS)
    dep5000 = work / "dep5000"
    deployment.init(dep5000, plan_dir)
    say(f"deployments of 26 and {n} commitments created in {time.perf_counter() - t:.1f} s")
    path26, path5000 = f"/commitments/{PAGE_26}", f"/commitments/{PAGE_5000}"

    # (d): the sample plan again, with 200 and with 1,000 comments on PAGE_26 (one deployment each),
    # written through the core as the web writes them.
    if comments.count(GitRepo(dep26 / deployment.REPO_DIR), PAGE_26):
        raise BenchError(f"a new deployment already has comments on {PAGE_26}: the 0-comment figures would be wrong")
    dep_c = {}
    for count in COMMENT_COUNTS:
        t = time.perf_counter()
        dep_c[count] = work / f"dep26-{count}-comments"
        deployment.init(dep_c[count])
        roots, replies = add_comments(dep_c[count], PAGE_26, count)
        say(f"{count:,} comments on {PAGE_26} ({roots} threads, {replies} replies) added through the core "
            f"in {time.perf_counter() - t:.1f} s")
    # The same page rendered in process (test client, page cache off), before any server runs.
    inproc = {}
    most = max(COMMENT_COUNTS)
    for count, dep in ((0, dep26), *dep_c.items()):
        inproc[count] = page_in_processes(dep, path26, PAGE_RUNS, processes)
        say(f"{PAGE_26} with {count:,} comments, rendered in process (best of {processes} fresh interpreters): "
            f"first request {inproc[count]['first_ms']:.0f} ms, then median {inproc[count]['median_ms']:.1f} ms "
            f"of {PAGE_RUNS} ({inproc[count]['bytes']:,} bytes)")
    if profile or inproc[most]["median_ms"] > SLOW_PAGE_MS:
        if not profile:
            say(f"over {SLOW_PAGE_MS} ms: profiling it")
        text = page_in_process(dep_c[most], path26, PAGE_RUNS, profile=True)["profile"]
        print(textwrap.indent(f"(profile of {PAGE_26} with {most:,} comments, rendered in process, not timed)\n"
                              + text, "    "), flush=True)

    # (a), (c) and (d): throughput of freshly created deployments against hello-world. Each page twice:
    # as wrk asks for it (no cookie: an anonymous reader, served from the page cache after the
    # first request) and rendered every time (page cache off, as for a signed-in reader).
    hello = start_target(servers, "hello", "hello_app:app", "/", "Hello", pythonpath=BENCH)
    env26, env5000 = {"REVIEW_DIR": str(dep26)}, {"REVIEW_DIR": str(dep5000)}
    page26 = start_target(servers, PAGE_26, "review.web.wsgi:app", path26, "Accro", env=env26)
    rend26 = start_target(servers, f"{PAGE_26} rendered", "rendered_app:app", path26, "Accro", env=env26,
                          pythonpath=BENCH)
    page5000 = start_target(servers, PAGE_5000, "review.web.wsgi:app", path5000, "Accro", env=env5000)
    rend5000 = start_target(servers, f"{PAGE_5000} rendered", "rendered_app:app", path5000, "Accro",
                            env=env5000, pythonpath=BENCH)
    cpage, crend = {}, {}
    for count, dep in dep_c.items():
        env = {"REVIEW_DIR": str(dep)}
        cpage[count] = start_target(servers, f"{PAGE_26}+{count}c", "review.web.wsgi:app", path26, "Accro", env=env)
        crend[count] = start_target(servers, f"{PAGE_26}+{count}c rendered", "rendered_app:app", path26, "Accro",
                                    env=env, pythonpath=BENCH)
    load_rounds([hello, page26, rend26, page5000, rend5000,
                 *(t for count in dep_c for t in (cpage[count], crend[count]))], seconds, rounds)
    servers.stop_all()

    # (b) and (c): history of one commitment over `commits` commits, cold and warm, each against its like.
    histories = []
    for dep, fmt, cid in ((dep26, "engagement-{:02d}", PAGE_26), (dep5000, "engagement-{:04d}", PAGE_5000)):
        t = time.perf_counter()
        add_history(dep / deployment.REPO_DIR, [fmt.format(i) for i in range(1, CYCLE + 1)], commits)
        say(f"{commits:,} commits added to {dep.name}, packed, commit-graph written, "
            f"in {time.perf_counter() - t:.1f} s")
        histories.append(time_history(dep / deployment.REPO_DIR, cid, fmt.format(3), profile=profile))

    # Information: the same pages, rendered, once the history exists (the page shows the last 10 changes).
    later26 = start_target(servers, f"{PAGE_26}+history rendered", "rendered_app:app", path26, "Accro",
                           env=env26, pythonpath=BENCH)
    later5000 = start_target(servers, f"{PAGE_5000}+history rendered", "rendered_app:app", path5000, "Accro",
                             env=env5000, pythonpath=BENCH)
    load_rounds([later26, later5000], seconds, 1)
    servers.stop_all()

    return Measured(quick, seconds, rounds, commits, hello.best, page26.best, rend26.best, page5000.best,
                    rend5000.best, {c: t.best for c, t in cpage.items()}, {c: t.best for c, t in crend.items()},
                    inproc, histories[0], histories[1], later26.best, later5000.best, cold_index(dep5000))
