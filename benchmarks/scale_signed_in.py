"""A plan a hundred times bigger, signed in: 5,000 commitments, 100,000 comments, 2,000 amendments
(half of them open), against the 26-commitment demo measured in the same run (issue 20).

    .venv/bin/python benchmarks/scale_signed_in.py             # the full plan (generation: about a minute)
    .venv/bin/python benchmarks/scale_signed_in.py --quick     # 500 commitments, 10,000 comments, 200 amendments
    .venv/bin/python benchmarks/scale_signed_in.py --keep DIR  # keep the generated deployment in DIR

How the plan is made (fast, and as the core would have written it):
- main: the 5,000 commitments of benchmarks/web/data.py (`make_scale_plan`: the sample plan's 26
  in turn, numbers rewritten) through `review init`, then 500 commits of history (`add_history`,
  git fast-import);
- amendments: a branch each off main changing one paragraph of one commitment's fr.md
  (engagement-0001..0200 in turn: 10 on each), written with git fast-import, then their logs;
- review logs: every event is a commit adding one event file, built with the core's own
  `reviewlog.Event`, `reviewlog.event_path` and `trailers.message` (so the files, paths and
  trailers are the ones `reviewlog.append` writes) and written with git fast-import, one stream:
  an `amendment-open` per amendment and an `amendment-withdraw` for every second one; 200
  comments on engagement-0002 (as on the demo's engagement-02) and the rest of the 100,000 spread
  over the other commitments; one comment in 4 is a reply;
- then `git pack-refs --all` and a commit-graph with changed paths, as a maintained server has.

Measured, signed in (a real session from /signin), in process through the Flask test client:
the median of `--runs` requests after 3 of warm-up for the plan page, a commitment page (200
comments, 10 amendments), an amendment page, the amendments list, /history and /audit, on the big
plan and on the demo (the demo of benchmarks/signed_in_bench.py); target each under 100 ms and no
worse than 2x the demo. Then a fresh interpreter's first signed-in request of the commitment page
and of the plan page (app created, nothing cached; target under 1 s), and the RSS of each of the
2 gunicorn workers after 2,000 signed-in requests over those pages (target under 200 MB).
Like the other benchmarks it never fails on a figure.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.web.data import _comment_body, add_history, make_scale_plan  # noqa: E402
from benchmarks.web.tools import git  # noqa: E402
from review import accounts, deployment, reviewlog  # noqa: E402
from review import commitment as core  # noqa: E402
from review import trailers as tf  # noqa: E402
from review.gitrepo import GitRepo  # noqa: E402

WHO = "antoine"
TARGET_MS, TARGET_FACTOR, FIRST_S, RSS_MB = 100.0, 2.0, 1.0, 200.0
PAGE_CID = "engagement-0002"
START = 1_451_606_400  # 2016-01-01, the events' clock


def _iso(t: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class Stream:
    """A git fast-import stream."""

    def __init__(self):
        self.out = io.BytesIO()

    def data(self, payload: bytes) -> None:
        self.out.write(b"data %d\n" % len(payload))
        self.out.write(payload)
        self.out.write(b"\n")

    def commit(self, ref: str, who: tuple[str, str], when: int, message: str, files: dict[str, bytes],
               parent: str | None = None, mark: int | None = None) -> None:
        w = self.out.write
        w(f"commit {ref}\n".encode())
        if mark:
            w(b"mark :%d\n" % mark)
        w(f"author {who[0]} <{who[1]}> {when} +0000\n".encode())
        w(b"committer review <review@localhost> %d +0000\n" % when)
        self.data(message.encode())
        if parent:
            w(f"from {parent}\n".encode())
        for path, body in files.items():
            w(f"M 100644 inline {path}\n".encode())
            self.data(body)

    def run(self, repo_path: Path, marks: Path | None = None) -> None:
        args = ["-C", str(repo_path), "fast-import", "--quiet"]
        if marks:
            args.append(f"--export-marks={marks}")
        git(*args, input=self.out.getvalue(), timeout=1800)


def _event_commit(s: Stream, ref: str, seq: int, rng: random.Random, etype: str, person, when: int,
                  data: dict, summary: str, extra: dict, first: bool) -> str:
    ev = reviewlog.Event(seq, "%012x" % rng.getrandbits(48), etype, person.handle, _iso(when), data)
    body = json.dumps(ev.as_json(), ensure_ascii=False, indent=1, sort_keys=False).encode() + b"\n"
    message = tf.message(summary, [(tf.EVENT, etype), (tf.ACTOR, person.handle), (tf.EVENT_ID, ev.id),
                                   (tf.SEQ, seq), *extra.items()])
    s.commit(ref, (person.name, f"{person.handle}@review.invalid"), when, message,
             {reviewlog.event_path(seq, ev.id): body})  # fast-import continues the branch: no `from`
    return ev.id


def generate(root: Path, n_commitments: int, n_comments: int, n_amendments: int) -> None:
    src = root.parent / "scale-src"
    src.mkdir()
    t = time.perf_counter()
    make_scale_plan(src, n_commitments)
    dep, _ = deployment.init(root, src)
    accounts.create_demo_accounts(dep)
    repo_path = root / deployment.REPO_DIR
    add_history(repo_path, [f"engagement-{i:04d}" for i in range(1, 27)], 500)
    repo = GitRepo(repo_path)
    main = repo.resolve("main")
    plan = core.read_plan(repo, main)
    people = plan.people
    commenters = [people[h] for h in ("karim", "lucie", "sophie", "paul", "claire", "antoine") if h in people]
    print(f"  . main: {n_commitments} commitments and 500 commits of history in {time.perf_counter() - t:.1f} s", flush=True)

    t = time.perf_counter()
    rng = random.Random(2015)
    s = Stream()
    targets = []
    texts: dict[str, str] = {}
    for n in range(1, n_amendments + 1):
        cid = f"engagement-{(n - 1) % min(200, n_commitments) + 1:04d}"
        path = f"commitments/{cid}/fr.md"
        if path not in texts:
            texts[path] = repo.read_file(main, path).decode()
        text = texts[path]
        new = re.sub(r"(?m)^(## [^\n]+)$", rf"\1 (proposition {n})", text, count=1)
        if new == text:
            new = text.rstrip("\n") + f"\n\nAjout de la proposition {n}.\n"
        author = commenters[n % len(commenters)]
        s.commit(f"refs/heads/amendments/{n}", (author.name, f"{author.handle}@review.invalid"), START + n,
                 f"Proposition {n}\n\nPlus clair.\n", {path: new.encode()}, parent=main, mark=n)
        targets.append((n, cid, path, author))
    marks = root.parent / "marks"
    s.run(repo_path, marks)
    heads = {}
    for line in marks.read_text().splitlines():
        mark, oid = line.split()
        heads[int(mark[1:])] = oid

    s = Stream()
    for n, cid, path, author in targets:
        ref = reviewlog.amendment_log(n)
        head = heads[n]
        _event_commit(s, ref, 1, rng, "amendment-open", author, START + n,
                      {"number": n, "commitment": cid, "title": f"Proposition {n}", "rationale": "Plus clair.",
                       "revision": head, "base": main, "files": [path]},
                      f"Open amendment {n}: Proposition {n}", {"Amendment": n, tf.REVISION: head}, True)
        if n % 2 == 0:
            _event_commit(s, ref, 2, rng, "amendment-withdraw", author, START + n + 60, {"reason": "Retirée."},
                          f"Withdraw amendment {n}", {"Amendment": n, tf.REVISION: head}, False)
    # comments: 200 on PAGE_CID, the rest spread over the others
    per: dict[str, int] = {PAGE_CID: 200}
    others = [f"engagement-{i:04d}" for i in range(1, n_commitments + 1) if f"engagement-{i:04d}" != PAGE_CID]
    rest = n_comments - 200
    for k in range(rest):
        cid = others[k % len(others)]
        per[cid] = per.get(cid, 0) + 1
    blobs: dict[str, str] = {}
    clock = START + 100_000
    for cid, count in per.items():
        ref = reviewlog.commitment_log(cid)
        blob = blobs.get(cid) or repo.blob_id(main, f"commitments/{cid}/fr.md")
        roots: list[str] = []
        for seq in range(1, count + 1):
            clock += 7
            who = commenters[(seq + len(cid)) % len(commenters)]
            reply = roots and seq % 4 == 0
            data = {"commitment": cid, "body": _comment_body(rng, seq), "rev": main, "blob": blob, "lang": "fr",
                    "anchor": None if reply or seq % 10 == 1 else f"p-{1 + seq % 5}", "quote": None,
                    "stance": (None, "for", "against", "neutral")[seq % 4],
                    "reply_to": rng.choice(roots) if reply else None}
            eid = _event_commit(s, ref, seq, rng, "comment", who, clock, data, f"Comment on {cid}",
                                {tf.REVISION: main}, seq == 1)
            if not reply:
                roots.append(eid)
    s.run(repo_path)
    git("-C", str(repo_path), "pack-refs", "--all")
    git("-C", str(repo_path), "commit-graph", "write", "--reachable", "--changed-paths", timeout=1800)
    print(f"  . {n_amendments} amendments and {n_comments} comments (fast-import), refs packed, commit-graph "
          f"written in {time.perf_counter() - t:.1f} s", flush=True)


def signed_in_client(root: Path):
    from review.web import create_app
    app = create_app(root, {"TESTING": True})
    client = app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"  # the session cookie is Secure
    html = client.get("/signin").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    r = client.post("/signin", data={"handle": WHO, "password": accounts.demo_password(WHO),
                                     **({"csrf_token": token.group(1)} if token else {})})
    assert r.status_code == 302, r.status_code
    return client


def median_ms(client, url: str, runs: int) -> float:
    for _ in range(3):
        r = client.get(url)
        assert r.status_code == 200, (url, r.status_code)
        assert f'href="/people/{WHO}" class="me"' in r.get_data(as_text=True), f"{url}: not signed in"
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e3


FIRST = """
import re, sys, time
t0 = time.perf_counter()
sys.path.insert(0, {root!r})
from review.web import create_app
from review.web.reading import warm_up
app = create_app({dep!r}, {{"TESTING": True, "INTEGRITY_CHECK": "process"}})  # as in production
warm = warm_up(app)  # what review/web/wsgi.py does before a worker serves
def rss():
    return int(re.search(r"VmRSS:\\s+(\\d+) kB", open("/proc/self/status").read()).group(1)) / 1024
rss_before = rss()
c = app.test_client()
c.environ_base["wsgi.url_scheme"] = "https"
c.set_cookie("session", {cookie!r}, domain="localhost")
t1 = time.perf_counter()
r = c.get({url!r})
t2 = time.perf_counter()
assert r.status_code == 200 and 'class="me"' in r.get_data(as_text=True), r.status_code
print(t1 - t0, t2 - t1, warm, rss_before, rss())
"""


def first_request(dep: Path, cookie: str, url: str) -> tuple[float, float, float, float, float]:
    """(seconds to start, seconds of the first request, seconds of the warm-up, RSS in MB after
    the warm-up, RSS in MB after the first request) of a fresh interpreter."""
    code = FIRST.format(root=str(ROOT), dep=str(dep), cookie=cookie, url=url)
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        raise RuntimeError(p.stderr[-2000:])
    a, b, w, m0, m1 = p.stdout.split()
    return float(a), float(b), float(w), float(m0), float(m1)


def print_first_requests(dep: Path, cookie: str) -> None:
    for label, url in (("commitment page", f"/commitments/{PAGE_CID}"), ("plan page", "/")):
        setup, first, warm, rss_warm, rss_first = first_request(dep, cookie, url)
        print(f"fresh interpreter, first signed-in request of the {label}: {first * 1e3:.0f} ms "
              f"(the worker's start before it: {setup * 1e3:.0f} ms, of which {warm * 1e3:.0f} ms "
              f"reading the plan, review/web/wsgi.py)   target < {FIRST_S:.0f} s   "
              f"{'PASS' if first < FIRST_S else 'MISS'}; RSS {rss_warm:.0f} MB after the warm-up, "
              f"{rss_first:.0f} MB after the request", flush=True)


def memory_breakdown(pid: int, status: str) -> str:
    """What a worker's resident memory is made of: its own heap (anonymous pages, the part
    no other process shares), the files it maps (the pack files libgit2 reads, the libraries:
    the kernel's page cache, given back under pressure), its proportional share (PSS: a page
    shared with the master and the other worker counted once among them) and its unique
    set (USS: what stopping this worker would give back)."""
    def kb(text: str, name: str) -> float:
        m = re.search(rf"^{name}:\s+(\d+) kB", text, re.M)
        return int(m.group(1)) / 1024 if m else float("nan")
    out = f"RSS {kb(status, 'VmRSS'):.0f} MB = anonymous {kb(status, 'RssAnon'):.0f} + files {kb(status, 'RssFile'):.0f}"
    rollup = Path(f"/proc/{pid}/smaps_rollup")
    if rollup.exists():
        text = rollup.read_text()
        uss = kb(text, "Private_Clean") + kb(text, "Private_Dirty")
        out += f"; PSS {kb(text, 'Pss'):.0f} MB (anonymous {kb(text, 'Pss_Anon'):.0f}, files {kb(text, 'Pss_File'):.0f}); USS {uss:.0f} MB"
    return out


def worker_rss(dep: Path, cookie: str, urls: list[str], requests: int) -> list[float]:
    from benchmarks.web.servers import Servers
    from benchmarks.web.tools import check_tools
    servers = Servers(check_tools(), dep.parent)
    try:
        # --preload: the master warms up once (review/web/wsgi.py), as README advises for a big plan;
        # --timeout 600: the first plan page of a worker reads every log
        proc, base = servers.start("scale", "review.web.wsgi:app", env={"REVIEW_DIR": str(dep)},
                                   check_path="/amendments", extra=["--preload", "--timeout", "600"])
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        for i in range(requests):
            req = urllib.request.Request(base + urls[i % len(urls)], headers={"Cookie": f"session={cookie}"})
            with opener.open(req, timeout=120) as resp:
                resp.read()
        children = [int(p) for p in Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()]
        # the master's children: its workers, and the integrity checker it started while warming
        # up (review/integrityd.py), which is no worker: its memory is printed, not counted
        checkers = [p for p in children if b"review.integrityd" in Path(f"/proc/{p}/cmdline").read_bytes()]
        for pid in checkers:
            print(f"  . integrity checker {pid} (one per deployment, not a worker): "
                  f"{memory_breakdown(pid, Path(f'/proc/{pid}/status').read_text())}", flush=True)
        print(f"  . master {proc.pid}: {memory_breakdown(proc.pid, Path(f'/proc/{proc.pid}/status').read_text())}",
              flush=True)
        out = []
        for pid in (p for p in children if p not in checkers):
            status = Path(f"/proc/{pid}/status").read_text()
            out.append(int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024)
            # the proportional share: pages shared with the master and the other worker (what the
            # master read before forking, the pack files) counted once among them, not in each
            print(f"  . worker {pid}: {memory_breakdown(pid, status)}", flush=True)
        return out
    finally:
        servers.stop_all()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="500 commitments, 10,000 comments, 200 amendments")
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--keep", metavar="DIR", help="generate into DIR (or reuse it when it holds a deployment)")
    ap.add_argument("--generate-only", action="store_true", help="with --keep: generate, measure nothing")
    ap.add_argument("--rss-only", action="store_true", help="with --keep: only the RSS of the gunicorn workers")
    ap.add_argument("--first-only", action="store_true",
                    help="with --keep: only the first signed-in requests of fresh interpreters (and their RSS)")
    ap.add_argument("--profile", metavar="URL", help="print a cProfile of 5 requests of URL on the big plan")
    args = ap.parse_args()
    n_c, n_m, n_a = (500, 10_000, 200) if args.quick else (5000, 100_000, 2000)
    tmp = Path(tempfile.mkdtemp(prefix="review-scale-"))
    try:
        big = Path(args.keep) / "dep" if args.keep else tmp / "big" / "dep"
        if not (big / deployment.REPO_DIR).exists():
            big.parent.mkdir(parents=True, exist_ok=True)
            t = time.perf_counter()
            generate(big, n_c, n_m, n_a)
            print(f"  . generated in {time.perf_counter() - t:.1f} s")
        if args.generate_only:
            return 0
        if args.first_only:
            print_first_requests(big, signed_in_client(big).get_cookie("session", domain="localhost").value)
            return 0
        if args.rss_only:
            cookie = signed_in_client(big).get_cookie("session", domain="localhost").value
            urls = ["/", f"/commitments/{PAGE_CID}", "/amendments/1", "/amendments", "/history", "/audit"]
            rss = worker_rss(big, cookie, urls + [f"/amendments/{n}" for n in range(1, 40)], 2000)
            print(f"RSS of the gunicorn workers after 2,000 signed-in requests: "
                  f"{', '.join(f'{x:.0f} MB' for x in rss)}   target < {RSS_MB:.0f} MB   "
                  f"{'PASS' if rss and max(rss) < RSS_MB else 'MISS'}")
            return 0
        demo = tmp / "demo" / "dep"
        demo.parent.mkdir()
        from benchmarks.signed_in_bench import _fill
        d, _ = deployment.init(demo)
        accounts.create_demo_accounts(d)
        _, demo_number = _fill(demo)

        pages = [("plan page (/)", "/", "/"),
                 ("commitment page (200 comments)", f"/commitments/{PAGE_CID}", "/commitments/engagement-02"),
                 ("amendment page", "/amendments/1", f"/amendments/{demo_number}"),
                 ("amendments list (/amendments)", "/amendments", "/amendments"),
                 ("plan history (/history)", "/history", "/history"),
                 ("audit log (/audit)", "/audit", "/audit")]
        big_client, demo_client = signed_in_client(big), signed_in_client(demo)
        cookie = big_client.get_cookie("session", domain="localhost").value
        for label, client in (("big plan", big_client), ("demo", demo_client)):
            # the header's "for you" count reads every log within a time budget per page
            # (review/web/foryou.py): the page itself reads them all at once, as a reader would
            t = time.perf_counter()
            client.get("/for-you")
            print(f"  . /for-you first read on the {label}: {time.perf_counter() - t:.1f} s", flush=True)
        print(f"\nsigned in as {WHO}; median of {args.runs} requests after 3 of warm-up, in process "
              f"(Flask test client); load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
        print(f"{'page':34} {'big plan':>10} {'demo':>9} {'factor':>7}   target < {TARGET_MS:.0f} ms and <= {TARGET_FACTOR:.0f}x")
        for label, url, demo_url in pages:
            t = time.perf_counter()
            big_client.get(url)
            first = (time.perf_counter() - t) * 1e3
            b = median_ms(big_client, url, args.runs)
            dm = median_ms(demo_client, demo_url, args.runs)
            ok = b < TARGET_MS and b <= TARGET_FACTOR * dm
            print(f"{label:34} {b:8.1f} ms {dm:7.1f} ms {b / dm:6.2f}x   {'PASS' if ok else 'MISS'}"
                  f"   (first in this process {first:.0f} ms; {url})", flush=True)
        if args.profile:
            import cProfile
            import pstats
            prof = cProfile.Profile()
            prof.enable()
            for _ in range(5):
                big_client.get(args.profile)
            prof.disable()
            pstats.Stats(prof).sort_stats("cumulative").print_stats(40)
        print_first_requests(big, cookie)
        urls = [u for _, u, _ in pages] + [f"/amendments/{n}" for n in range(1, 40)]
        rss = worker_rss(big, cookie, urls, 2000)
        print(f"RSS of the gunicorn workers after 2,000 signed-in requests: "
              f"{', '.join(f'{x:.0f} MB' for x in rss)}   target < {RSS_MB:.0f} MB   "
              f"{'PASS' if rss and max(rss) < RSS_MB else 'MISS'}")
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
