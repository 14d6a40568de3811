"""Memory per worker under a long mixed load: a real gunicorn serving the demo.

    .venv/bin/python benchmarks/memory.py [--requests 100000] [--threads 4]

`review init --demo` in a temp folder, gunicorn (2 sync workers, as benchmarks/run.py) on a
free port, then `--requests` requests from `--threads` client threads with keep-alive
connections, spread over every page of the demo (the plan, each commitment with its
history, blame, diff, feed and progress; amendments and their pages; audit, progress,
people; the API) with varying query strings (`?rev=`, `?page=`, `?lang=`), and one in 100 a
comment written through the API. The RSS of each worker (from /proc) is printed at the
start and after every tenth of the run. Target: every worker under 200 MB at the end.
Whole processes; the baseline is each worker's RSS after its first requests.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from run import BenchError, Servers, check_tools  # noqa: E402

TARGET_MB = 200


def workers(master: int) -> list[int]:
    try:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True, text=True).stdout
    except OSError:
        return []
    return [int(x) for x in out.split()]


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def paths(dep_dir: str) -> list[str]:
    from review import amendments, deployment
    from review import commitment as core
    d = deployment.Deployment.open(dep_dir)
    repo = d.open_repo()
    main = repo.resolve("main")
    cids = core.commitment_ids(repo, main)
    numbers = amendments.numbers(repo)
    out = ["/", "/plan", "/amendments", "/audit", "/progress", "/people", "/history", "/progress.atom",
           "/api/v1/commitments", "/api/v1/amendments", "/api/v1/audit", "/api/v1/progress", "/audit.json",
           "/progress.csv", "/audit?page=2", "/?rev=adopted-2015-07-16", "/amendments?state=open"]
    for cid in cids:
        out += [f"/commitments/{cid}", f"/commitments/{cid}/history", f"/commitments/{cid}/blame",
                f"/commitments/{cid}/feed.atom", f"/api/v1/commitments/{cid}/progress", f"/api/v1/commitments/{cid}",
                f"/commitments/{cid}?rev=adopted-2015-07-16", f"/commitments/{cid}/diff?from=adopted-2015-07-16&to=main"]
    for n in numbers:
        out += [f"/amendments/{n}", f"/amendments/{n}/feed.atom", f"/api/v1/amendments/{n}",
                f"/api/v1/amendments/{n}/policy"]
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=100_000)
    ap.add_argument("--threads", type=int, default=4)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="review-membench-")
    servers = None
    try:
        gunicorn = check_tools()
        dep_dir = os.path.join(tmp, "dep")
        subprocess.run([sys.executable, "-m", "review", "init", "--demo", dep_dir], cwd=ROOT, check=True,
                       capture_output=True)
        from review import accounts, deployment
        token = accounts.Accounts(deployment.Deployment.open(dep_dir)).create_token("karim", "bench")[1]
        urls = paths(dep_dir)
        servers = Servers(gunicorn, Path(tmp))
        proc, base = servers.start("demo", "review.web.wsgi:app", env={"REVIEW_DIR": dep_dir})
        host, port = base[len("http://"):].split(":")
        counter = itertools.count()
        statuses: dict[int, int] = {}
        lock = threading.Lock()
        total = a.requests

        def client(k: int) -> None:
            conn = http.client.HTTPConnection(host, int(port), timeout=60)
            while True:
                i = next(counter)
                if i >= total:
                    break
                try:
                    if i % 100 == 99:
                        body = json.dumps({"body": f"avis de charge {i}"})
                        conn.request("POST", "/api/v1/commitments/engagement-02/comments", body=body,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
                    else:
                        url = urls[i % len(urls)]
                        if i % 7 == 0:
                            url += ("&" if "?" in url else "?") + ("lang=en" if i % 2 else "lang=fr")
                        conn.request("GET", url)
                    resp = conn.getresponse()
                    resp.read()
                    code = resp.status
                except (http.client.HTTPException, OSError):
                    conn.close()
                    conn = http.client.HTTPConnection(host, int(port), timeout=60)
                    code = -1
                with lock:
                    statuses[code] = statuses.get(code, 0) + 1

        pids = workers(proc.pid)
        print(f"{len(urls)} distinct pages; workers {pids}")
        t0 = time.time()
        threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(a.threads)]
        for t in threads:
            t.start()
        step = max(1, total // 10)
        mark = 0
        first: dict[int, float] = {}
        while any(t.is_alive() for t in threads):
            time.sleep(0.5)
            done = sum(statuses.values())
            if done >= mark:
                pids = workers(proc.pid) or pids
                sizes = {p: rss_mb(p) for p in pids if os.path.exists(f"/proc/{p}")}
                for p, v in sizes.items():
                    first.setdefault(p, v)
                print(f"{done:>7} requests, {time.time() - t0:6.0f} s: RSS per worker (MB) "
                      + ", ".join(f"{v:.0f}" for v in sizes.values()), flush=True)
                mark += step
        for t in threads:
            t.join()
        sizes = {p: rss_mb(p) for p in workers(proc.pid)}
        took = time.time() - t0
        print(f"done: {total} requests in {took:.0f} s ({total / took:.0f} req/s); statuses {dict(sorted(statuses.items()))}")
        worst = max(sizes.values())
        print(f"RSS per worker at the end (MB): {', '.join(f'{v:.0f}' for v in sizes.values())}; after the first "
              f"requests: {', '.join(f'{v:.0f}' for v in first.values())}; target < {TARGET_MB} MB: "
              f"{'target met' if worst < TARGET_MB else 'target missed'}")
        return 0
    except BenchError as exc:
        print(f"could not measure: {exc}", file=sys.stderr)
        return 1
    finally:
        if servers is not None:
            servers.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
