"""Write cost against log length, and 32 writers on one log.

    .venv/bin/python benchmarks/log_writes.py [--sizes 100,10000,100000] [--writes 200] [--clients 32]

For each size, the log of one commitment is grown to that many events (fast, with raw
pygit2 commits of the same format), then two things are timed in the same process on the
same repository, one after the other:

- `review.comments.add` (the core write behind the API and the page form), `--writes` times;
- a raw pygit2 commit adding one file to a sharded tree and moving a ref, as many times:
  the floor (no parsing, no checks, no compare-and-swap protocol).

The first core write after the log was grown pays for reading the log once (cold cache):
printed apart. Then `--clients` separate processes each add `--per-client` comments to the
same log at once: writes/s overall and the p99 latency of one write. Whole processes, real
disk (a temp folder). Target: core >= 1/3 of raw at every size.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pygit2  # noqa: E402  (the baseline: the raw library)

from review import comments, deployment, reviewlog  # noqa: E402
from review import commitment as core  # noqa: E402

CID = "engagement-02"
LOG = reviewlog.commitment_log(CID)


def grow(repo_path: str, ref: str, target: int) -> None:
    """Append events to `ref` with raw pygit2 until it holds `target` (same files and trailers)."""
    r = pygit2.Repository(repo_path)
    sig = pygit2.Signature("Karim Benali", "karim@review.invalid")
    tip = r.references[ref].target if ref in r.references else None
    seq = 0
    if tip is not None:
        msg = r[tip].message
        seq = int([line for line in msg.splitlines() if line.startswith("Seq: ")][-1][5:])
    tree = r[tip].tree if tip is not None else None
    while seq < target:
        seq += 1
        eid = secrets.token_hex(6)
        ev = reviewlog.Event(seq, eid, "comment", "karim", reviewlog.now(),
                             {"commitment": CID, "body": f"avis {seq}", "rev": "", "blob": None, "lang": "fr",
                              "anchor": None, "quote": None, "stance": None, "reply_to": None})
        body = json.dumps(ev.as_json(), ensure_ascii=False, indent=1).encode() + b"\n"
        path = reviewlog.event_path(seq, eid).split("/")  # events/<shard>/<file>
        root = r.TreeBuilder(tree) if tree is not None else r.TreeBuilder()
        ev_tree = r[root.get("events").id] if root.get("events") is not None else None
        eb = r.TreeBuilder(ev_tree) if ev_tree is not None else r.TreeBuilder()
        sh = r[eb.get(path[1]).id] if eb.get(path[1]) is not None else None
        sb = r.TreeBuilder(sh) if sh is not None else r.TreeBuilder()
        sb.insert(path[2], r.create_blob(body), pygit2.GIT_FILEMODE_BLOB)
        eb.insert(path[1], sb.write(), pygit2.GIT_FILEMODE_TREE)
        root.insert("events", eb.write(), pygit2.GIT_FILEMODE_TREE)
        tree = r[root.write()]
        message = (f"Comment {seq}\n\nEvent: comment\nActor: karim\nEvent-Id: {eid}\nSeq: {seq}\n")
        tip = r.create_commit(None, sig, sig, message, tree.id, [tip] if tip is not None else [])
    r.references.create(ref, tip, force=True)


def raw_writes(repo_path: str, n: int) -> float:
    """n raw commits (one new file in a sharded tree, ref moved) on a ref of its own: writes/s."""
    ref = "refs/bench/raw"
    r = pygit2.Repository(repo_path)
    sig = pygit2.Signature("bench", "bench@example.org")
    tip = r.references[ref].target if ref in r.references else None
    t0 = time.perf_counter()
    for i in range(n):
        tree = r[tip].tree if tip is not None else None
        root = r.TreeBuilder(tree) if tree is not None else r.TreeBuilder()
        sub = r[root.get("s").id] if root.get("s") is not None else None
        sb = r.TreeBuilder(sub) if sub is not None else r.TreeBuilder()
        sb.insert(f"{i:07d}-{secrets.token_hex(6)}.json", r.create_blob(b'{"n": %d}\n' % i), pygit2.GIT_FILEMODE_BLOB)
        root.insert("s", sb.write(), pygit2.GIT_FILEMODE_TREE)
        new = r.create_commit(None, sig, sig, f"raw {i}\n", root.write(), [tip] if tip is not None else [])
        if tip is None:
            r.references.create(ref, new)
        else:
            r.references[ref].set_target(new)
        tip = new
    return n / (time.perf_counter() - t0)


def core_writes(dep_dir: str, n: int) -> tuple[float, float]:
    """(first write's seconds, cold; writes/s of the next n) through review.comments.add."""
    d = deployment.Deployment.open(dep_dir)
    repo = d.open_repo()
    karim = core.read_plan(repo, repo.resolve("main")).people["karim"]
    t0 = time.perf_counter()
    comments.add(repo, karim, CID, "premier avis")
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    for i in range(n):
        comments.add(repo, karim, CID, f"avis {i}")
    return first, n / (time.perf_counter() - t0)


def _client(args) -> list[float]:
    dep_dir, per_client, start_at = args
    d = deployment.Deployment.open(dep_dir)
    repo = d.open_repo()
    karim = core.read_plan(repo, repo.resolve("main")).people["karim"]
    comments.add(repo, karim, CID, "échauffement")  # reads the log once, as a worker does at its first write
    while time.time() < start_at:
        time.sleep(0.001)
    out = []
    for i in range(per_client):
        t0 = time.perf_counter()
        comments.add(repo, karim, CID, f"avis concurrent {i}")
        out.append(time.perf_counter() - t0)
    return out


def concurrent(dep_dir: str, clients: int, per_client: int) -> tuple[float, float, int]:
    ctx = mp.get_context("spawn")
    start_at = time.time() + 8
    with ctx.Pool(clients) as pool:
        t0 = time.time()
        res = pool.map_async(_client, [(dep_dir, per_client, start_at)] * clients)
        lat = [x for xs in res.get(timeout=1800) for x in xs]
        wall = time.time() - max(t0, start_at)
    lat.sort()
    return len(lat) / wall, lat[int(0.99 * (len(lat) - 1))], len(lat)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100,10000,100000")
    ap.add_argument("--writes", type=int, default=200)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--per-client", type=int, default=10)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="review-logbench-")
    try:
        dep_dir = os.path.join(tmp, "dep")
        deployment.init(dep_dir)
        repo_path = os.path.join(dep_dir, "plan.git")
        print(f"{'events':>8} {'core w/s':>9} {'raw w/s':>9} {'ratio':>6} {'first write (cold)':>19}  target >= 0.33")
        for size in [int(x) for x in a.sizes.split(",")]:
            t0 = time.perf_counter()
            grow(repo_path, LOG, size)
            grown = time.perf_counter() - t0
            first, core_rate = core_writes(dep_dir, a.writes)
            raw = raw_writes(repo_path, a.writes)
            ratio = core_rate / raw
            print(f"{size:>8} {core_rate:>9.0f} {raw:>9.0f} {ratio:>6.2f} {first * 1000:>16.0f} ms  "
                  f"{'target met' if ratio >= 1 / 3 else 'target missed'}  (log grown in {grown:.0f} s)", flush=True)
        rate, p99, n = concurrent(dep_dir, a.clients, a.per_client)
        print(f"{a.clients} writer processes on one log: {n} writes, {rate:.0f} writes/s, p99 {p99 * 1000:.0f} ms")
        lost = n + a.clients - sum(1 for e in reviewlog.read_events(deployment.Deployment.open(dep_dir).open_repo(), LOG)
                                  if e.data.get("body", "").startswith(("avis concurrent", "échauffement")))
        print(f"lost writes: {lost}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
