"""Signed-in pages under load: gunicorn (2 sync workers) and `wrk -t2 -c16` with a real session
cookie, against a Flask hello-world served the same way in the same run (issue 20's targets).

    .venv/bin/python benchmarks/signed_in_load.py                 # 5 s per page, 2 interleaved rounds
    .venv/bin/python benchmarks/signed_in_load.py --seconds 10 --rounds 3
    .venv/bin/python benchmarks/signed_in_load.py --only commitment,amendment

The deployment is the one of benchmarks/signed_in_bench.py: the sample plan, 200 comments on
engagement-02, 10 open amendments and 3 progress reports on it. The benchmark signs in through
the real /signin form (GET for the CSRF token, POST of handle and password) and sends the session
cookie it got with every wrk request; it checks first that each page answers 200 and, for HTML
pages, that it shows the signed-in person. Each line gives the best round's req/s and that round's
p99, the ratio to the hello-world's req/s of the same run, the target and PASS/MISS, and how the
last warm-up request was served (X-Review-Cache: `hit` when the page was kept for this reader by
review/web/pagecache.py, as a reader who comes back to a page that has not changed meets it).
Then the same HTML pages on a twin server with the page cache off (benchmarks/rendered_app.py,
every request rendered, as the first view of a page after a change), with no target
(`--no-rendered` leaves them out).
The machine's load average is printed with the figures: on shared cores, only the ratios of one
run mean something. Like the other benchmarks it never fails on a figure (exit 1 only when it
could not measure).
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.web.servers import Load, Servers, parse_wrk  # noqa: E402
from benchmarks.web.tools import BENCH, WRK_CONNECTIONS, WRK_THREADS, BenchError, check_tools  # noqa: E402

WHO = "antoine"

# (key, label, path, ratio target, p99 target in ms or None, HTML page showing the person?)
PAGES = [
    ("commitment", "commitment page (200 comments, 10 open amendments)", "/commitments/engagement-02", 0.3, 30.0, True),
    ("amendment", "amendment page", "/amendments/{number}", 0.25, None, True),
    ("history", "plan history (/history)", "/history", 0.25, None, True),
    ("audit", "audit log (/audit)", "/audit", 0.25, None, True),
    ("progress", "dashboard (/progress)", "/progress", 0.25, None, True),
    ("for-you", "for you (/for-you)", "/for-you", 0.25, None, True),
    ("amendments", "amendments list (/amendments)", "/amendments", 0.25, None, True),
    ("api-amendments", "API /api/v1/amendments", "/api/v1/amendments", 0.5, None, False),
    ("api-commitments", "API /api/v1/commitments", "/api/v1/commitments", 0.5, None, False),
    ("api-audit", "API /api/v1/audit", "/api/v1/audit", 0.5, None, False),
    ("api-history", "API /api/v1/history", "/api/v1/history", 0.5, None, False),
    ("api-people", "API /api/v1/people", "/api/v1/people", 0.5, None, False),
    ("api-comments", "API /api/v1/commitments/engagement-02/comments", "/api/v1/commitments/engagement-02/comments", 0.5, None, False),
]

HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def sign_in(base: str, handle: str, password: str) -> str:
    """The Cookie header a browser would send after signing in through the /signin form."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(jar))
    with opener.open(base + "/signin", timeout=30) as resp:
        html = resp.read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    data = {"handle": handle, "password": password, **({"csrf_token": token.group(1)} if token else {})}
    with opener.open(base + "/signin", data=urllib.parse.urlencode(data).encode(), timeout=30) as resp:
        resp.read()
    cookies = "; ".join(f"{c.name}={c.value}" for c in jar)
    if "session=" not in cookies:
        raise BenchError(f"signing in as {handle} gave no session cookie")
    return cookies


def get(url: str, cookie: str) -> tuple[int, str]:
    req = urllib.request.Request(url, headers={"Cookie": cookie})
    with HTTP.open(req, timeout=60) as resp:
        return resp.status, resp.read().decode("utf-8", "replace")


def _warm(url: str, cookie: str, html: bool) -> str:
    """Warm both workers up on `url`; returns how the last answer was served (X-Review-Cache)."""
    how = None
    for _ in range(20):
        req = urllib.request.Request(url, headers={"Cookie": cookie})
        with HTTP.open(req, timeout=60) as resp:
            body = resp.read().decode("utf-8", "replace")
            how = resp.headers.get("X-Review-Cache")
            if resp.status != 200:
                raise BenchError(f"{url} answered {resp.status}")
    if html and f'href="/people/{WHO}" class="me"' not in body:
        raise BenchError(f"{url}: the page does not show {WHO} signed in")
    return f"served: {how}"


def wrk(url: str, seconds: int, cookie: str | None) -> Load:
    cmd = ["wrk", f"-t{WRK_THREADS}", f"-c{WRK_CONNECTIONS}", f"-d{seconds}s", "--latency"]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    p = subprocess.run(cmd + [url], capture_output=True, text=True, timeout=seconds + 60)
    if p.returncode != 0:
        raise BenchError(f"wrk failed ({p.returncode}): {p.stderr.strip()}")
    return parse_wrk(p.stdout)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=5, help="length of one wrk load (default 5)")
    ap.add_argument("--rounds", type=int, default=2, help="interleaved rounds; the best one counts (default 2)")
    ap.add_argument("--no-rendered", action="store_true",
                    help="leave out the pages' rendered twins (page cache off: every request rendered)")
    ap.add_argument("--only", default="", help="comma-separated keys of the pages to load: "
                    + ",".join(k for k, *_ in PAGES))
    args = ap.parse_args()
    only = {k for k in args.only.split(",") if k}
    unknown = only - {k for k, *_ in PAGES}
    if unknown:
        ap.error(f"unknown page keys: {', '.join(sorted(unknown))}")
    pages = [p for p in PAGES if not only or p[0] in only]
    try:
        gunicorn = check_tools()
    except BenchError as exc:
        print(exc, file=sys.stderr)
        return 1
    from review import accounts, deployment
    from benchmarks.signed_in_bench import _fill

    tmp = Path(tempfile.mkdtemp(prefix="review-signed-in-load-"))
    servers = Servers(gunicorn, tmp)
    try:
        root = tmp / "dep"
        dep, _ = deployment.init(root)
        accounts.create_demo_accounts(dep)
        _, number = _fill(root)
        _, hello = servers.start("hello-world", "hello_app:app", pythonpath=BENCH, expect="Hello")
        _, base = servers.start("review", "review.web.wsgi:app", env={"REVIEW_DIR": str(root)})
        cookie = sign_in(base, WHO, accounts.demo_password(WHO))
        rendered_base = rendered_cookie = None
        if not args.no_rendered:
            _, rendered_base = servers.start("rendered", "rendered_app:app", pythonpath=BENCH,
                                             env={"REVIEW_DIR": str(root)})
            rendered_cookie = sign_in(rendered_base, WHO, accounts.demo_password(WHO))
        targets, twins = [], {}
        for key, label, path, ratio, p99, html in pages:
            url = base + path.format(number=number)
            how = _warm(url, cookie, html)
            targets.append((key, label, url, ratio, p99, how))
            if rendered_base and html:
                twins[key] = rendered_base + path.format(number=number)
                _warm(twins[key], rendered_cookie, html)
        floor_runs: list[Load] = []
        runs: dict[str, list[Load]] = {k: [] for k, *_ in targets}
        rendered_runs: dict[str, list[Load]] = {k: [] for k in twins}
        loads = []
        for i in range(args.rounds):
            floor_runs.append(wrk(hello + "/", args.seconds, None))
            for key, label, url, *_ in targets:
                runs[key].append(wrk(url, args.seconds, cookie))
                if key in twins:
                    rendered_runs[key].append(wrk(twins[key], args.seconds, rendered_cookie))
            loads.append(os.getloadavg()[0])
            print(f"  . round {i + 1}/{args.rounds} done, load average {loads[-1]:.2f}", flush=True)
        floor = max(floor_runs, key=lambda r: r.rps)
        print(f"\ngunicorn 2 sync workers, wrk -t{WRK_THREADS} -c{WRK_CONNECTIONS} -d{args.seconds}s, best of "
              f"{args.rounds} interleaved rounds; signed in as {WHO} (session cookie from /signin); "
              f"load average during the run {min(loads):.2f}-{max(loads):.2f} on {os.cpu_count()} cores")
        print(f"{'hello-world (benchmarks/hello_app.py)':58} {floor.rps:8,.0f} req/s  p99 {floor.p99_ms:6.1f} ms")
        missed = 0
        for key, label, url, ratio, p99, how in targets:
            best = max(runs[key], key=lambda r: r.rps)
            r = best.rps / floor.rps
            ok = r >= ratio and (p99 is None or best.p99_ms < p99)
            missed += not ok
            goal = f">= {ratio}" + (f", p99 < {p99:.0f} ms" if p99 else "")
            err = f"  [{best.errors}]" if best.errors else ""
            print(f"{label:58} {best.rps:8,.0f} req/s  p99 {best.p99_ms:6.1f} ms  ratio {r:.3f}  "
                  f"target {goal:22} {'PASS' if ok else 'MISS'}  ({how}){err}")
        print(f"{len(targets) - missed} of {len(targets)} targets met")
        if twins:
            print("\nthe same pages rendered on every request (benchmarks/rendered_app.py: page cache off, as a "
                  "reader's first view of a page after a change; no target)")
            for key, label, url, *_ in targets:
                if key in twins:
                    best = max(rendered_runs[key], key=lambda r: r.rps)
                    print(f"{label:58} {best.rps:8,.0f} req/s  p99 {best.p99_ms:6.1f} ms  ratio {best.rps / floor.rps:.3f}")
        return 0
    except BenchError as exc:
        print(f"could not measure: {exc}", file=sys.stderr)
        return 1
    finally:
        servers.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
