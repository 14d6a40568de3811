"""Speed and scale of the review site, printed as ratios against baselines measured in the same run.

    .venv/bin/python benchmarks/run.py            # full run, about 6 minutes
    .venv/bin/python benchmarks/run.py --quick    # smoke run, about a minute

Never a test: it prints "target met" or "target missed" per line and exits 0 whatever the
figures are (it exits 1 only when it could not measure). See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
SAMPLE_PLAN = ROOT / "plan-repo"
sys.path.insert(0, str(ROOT))

from review import comments, commitment, deployment, render  # noqa: E402
from review.gitrepo import GitRepo, Identity  # noqa: E402

PAGE_26 = "engagement-02"
PAGE_5000 = "engagement-0002"
SCALE_COMMITMENTS = 5000
CYCLE = 26  # commits cycle over the first 26 commitments in both plans
WRK_THREADS, WRK_CONNECTIONS = 2, 16
WARMUP_REQUESTS = 40
HISTORY_RUNS = 5
COMMENT_COUNTS = (200, 1000)  # comments (threads and replies) on PAGE_26, one deployment each
PAGE_RUNS = 20                # rendered requests timed in process (median), after a first one
SLOW_PAGE_MS = 100            # a rendered page slower than this in process is profiled

# Local servers only: never through an HTTP proxy the environment may name.
HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))

# git run by this script sees neither the user's nor the system's configuration.
GIT_ENV = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
           "GIT_TERMINAL_PROMPT": "0"}


class BenchError(Exception):
    """Something could not be measured; the message says what to do."""


def say(msg: str) -> None:
    print(f"  . {msg}", flush=True)


# -- tools ---------------------------------------------------------------------

def check_tools() -> list[str]:
    """The gunicorn command line (from this interpreter's environment); raises when a tool is missing."""
    missing = []
    if shutil.which("wrk") is None:
        missing.append("wrk is not installed: install with: apt-get install wrk")
    if shutil.which("git") is None:
        missing.append("git is not installed: install with: apt-get install git")
    try:
        import gunicorn  # noqa: F401
    except ImportError:
        missing.append(f"gunicorn is not installed in {sys.prefix}: install with: "
                       f"{sys.executable} -m pip install gunicorn  (or: bash scripts/setup.sh --test)")
    if missing:
        raise BenchError("\n".join(missing))
    cmd = [sys.executable, "-m", "gunicorn"]
    help_text = subprocess.run(cmd + ["--help"], capture_output=True, text=True, timeout=60).stdout
    if "--no-control-socket" in help_text:  # gunicorn >= 27 otherwise writes ~/.gunicorn/gunicorn.ctl
        cmd.append("--no-control-socket")
    return cmd


def git(*args: str, cwd: str | os.PathLike | None = None, input: bytes | None = None,
        timeout: float = 600) -> str:
    p = subprocess.run(["git", *args], cwd=cwd, input=input, capture_output=True,
                       env=GIT_ENV, timeout=timeout)
    if p.returncode != 0:
        raise BenchError(f"git {' '.join(args)} failed ({p.returncode}): "
                         f"{p.stderr.decode(errors='replace').strip()}")
    return p.stdout.decode()


# -- servers -------------------------------------------------------------------

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Servers:
    """Every gunicorn this run started; stop_all() kills each one's process group."""

    def __init__(self, gunicorn: list[str], logdir: Path):
        self.gunicorn, self.logdir = gunicorn, logdir
        self.procs: list[subprocess.Popen] = []

    def start(self, name: str, app: str, env: dict[str, str] | None = None,
              pythonpath: Path | None = None, check_path: str = "/", expect: str = "") -> tuple[subprocess.Popen, str]:
        port = free_port()
        log = self.logdir / f"gunicorn-{re.sub(r'[^A-Za-z0-9_.-]+', '-', name).strip('-')}.log"
        cmd = self.gunicorn + ["--workers", "2", "--worker-class", "sync", "--bind", f"127.0.0.1:{port}",
                               "--log-level", "warning", "--error-logfile", str(log)]
        if pythonpath:
            cmd += ["--pythonpath", str(pythonpath)]
        cmd.append(app)
        with open(log, "ab") as out:  # what gunicorn prints before its log file is open
            proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **(env or {})},
                                    stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        self.procs.append(proc)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise BenchError(f"gunicorn for {name} exited with {proc.returncode}:\n{_tail(log)}")
            try:
                with HTTP.open(base + check_path, timeout=5) as resp:
                    body = resp.read().decode("utf-8", "replace")
                break
            except urllib.error.HTTPError as exc:
                raise BenchError(f"{name}: GET {check_path} answered {exc.code}:\n{_tail(log)}") from None
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                if time.monotonic() > deadline:
                    raise BenchError(f"gunicorn for {name} did not answer within 60 s:\n{_tail(log)}") from None
                time.sleep(0.1)
        if expect and expect not in body:
            raise BenchError(f"{name}: GET {check_path} did not contain {expect!r}")
        return proc, base

    def stop(self, proc: subprocess.Popen) -> None:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)  # the master and its workers: a session of their own
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=10)
        # Workers orphaned by a dead master are still in its process group.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def stop_all(self) -> None:
        for proc in self.procs:
            try:
                self.stop(proc)
            except Exception as exc:  # keep stopping the others
                print(f"warning: could not stop gunicorn {proc.pid}: {exc}", file=sys.stderr)
        self.procs.clear()


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def warm_up(url: str, n: int = WARMUP_REQUESTS) -> None:
    for _ in range(n):
        with HTTP.open(url, timeout=30) as resp:
            resp.read()
            if resp.status != 200:
                raise BenchError(f"warm-up of {url} answered {resp.status}")


# -- load ----------------------------------------------------------------------

@dataclass
class Load:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: str  # "" when every answer was 2xx/3xx and no socket error


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text.strip())
    if not m:
        raise BenchError(f"cannot read wrk latency {text!r}")
    return float(m.group(1)) * _UNITS[m.group(2)]


def parse_wrk(out: str) -> Load:
    rps = re.search(r"^Requests/sec:\s*([\d.]+)", out, re.M)
    p50 = re.search(r"^\s*50%\s+(\S+)", out, re.M)
    p99 = re.search(r"^\s*99%\s+(\S+)", out, re.M)
    total = re.search(r"^\s*(\d+) requests in", out, re.M)
    if not (rps and p50 and p99 and total):
        raise BenchError(f"cannot read wrk output:\n{out}")
    errors = []
    m = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
    if m:
        errors.append(f"{m.group(1)} non-2xx")
    m = re.search(r"Socket errors:(.*)", out)
    if m:
        errors.append("socket errors:" + m.group(1).strip())
    return Load(float(rps.group(1)), _ms(p50.group(1)), _ms(p99.group(1)), int(total.group(1)),
                ", ".join(errors))


def load(url: str, seconds: int) -> Load:
    cmd = ["wrk", f"-t{WRK_THREADS}", f"-c{WRK_CONNECTIONS}", f"-d{seconds}s", "--latency", url]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    if p.returncode != 0:
        raise BenchError(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr.strip()}")
    return parse_wrk(p.stdout)


@dataclass
class Target:
    """One page to load: a running server and the path wrk asks for."""

    name: str
    url: str
    runs: list[Load]

    @property
    def best(self) -> Load:
        return max(self.runs, key=lambda r: r.rps)


def start_target(servers: Servers, name: str, app: str, path: str, expect: str,
                 env: dict[str, str] | None = None, pythonpath: Path | None = None) -> Target:
    _, base = servers.start(name, app, env=env, pythonpath=pythonpath, check_path=path, expect=expect)
    warm_up(base + path)
    return Target(name, base + path, [])


def load_rounds(targets: list[Target], seconds: int, rounds: int) -> None:
    """Interleaved rounds (a, b, c, a, b, c): a slow spell of the machine hits every target alike."""
    for i in range(rounds):
        for t in targets:
            t.runs.append(load(t.url, seconds))
        say(f"load round {i + 1}/{rounds} ({seconds} s each): " + "; ".join(
            f"{t.name} {t.runs[-1].rps:,.0f} req/s, p99 {t.runs[-1].p99_ms:.1f} ms"
            + (f" [{t.runs[-1].errors}]" if t.runs[-1].errors else "") for t in targets))


# -- data ----------------------------------------------------------------------

def make_scale_plan(target: Path, n: int) -> None:
    """plan.yaml of the sample plan and commitments engagement-0001..n cycling over its 26."""
    shutil.copy(SAMPLE_PLAN / "plan.yaml", target / "plan.yaml")
    sources = sorted(p for p in (SAMPLE_PLAN / "commitments").iterdir() if p.is_dir())
    texts = [((s / "fr.md").read_text(encoding="utf-8"), (s / "en.md").read_bytes()) for s in sources]
    for i in range(1, n + 1):
        fr, en = texts[(i - 1) % len(texts)]
        fr, count = re.subn(r"(?m)\A(---\n(?:.*\n)*?)number:[^\n]*\n", rf"\g<1>number: {i}\n", fr, count=1)
        if count != 1:
            raise BenchError(f"no 'number:' line in the front matter of {sources[(i - 1) % len(texts)]}")
        folder = target / "commitments" / f"engagement-{i:04d}"
        folder.mkdir(parents=True)
        (folder / "fr.md").write_text(fr, encoding="utf-8")
        (folder / "en.md").write_bytes(en)


def add_history(repo_path: Path, cids: list[str], commits: int) -> None:
    """`commits` commits on main, each changing one commitment's fr.md, cycling over `cids`.

    Built with `git fast-import` (one pack, seconds instead of minutes), then packed and
    given a commit-graph with changed-path Bloom filters, as a maintained server would be.
    """
    repo = GitRepo(repo_path)
    tip = repo.resolve("main")
    start = repo.commit_info(tip).time
    originals = {cid: repo.read_file(tip, f"commitments/{cid}/fr.md") for cid in cids}
    if any(v is None for v in originals.values()):
        raise BenchError(f"{repo_path}: missing one of {cids}")
    out = io.BytesIO()

    def data(payload: bytes) -> None:
        out.write(b"data %d\n" % len(payload))
        out.write(payload)
        out.write(b"\n")

    for i in range(commits):
        cid = cids[i % len(cids)]
        when = int(start.timestamp()) + 3600 * (i + 1)
        body = originals[cid].rstrip(b"\n") + f"\n\nRévision n° {i + 1} du banc d'essai.\n".encode()
        out.write(b"commit refs/heads/main\n")
        out.write(b"author Benchmark <bench@localhost> %d +0000\n" % when)
        out.write(b"committer review <review@localhost> %d +0000\n" % when)
        data(f"Revise {cid} ({i + 1})\n".encode())
        if i == 0:
            out.write(b"from %s\n" % tip.encode())
        out.write(b"M 100644 inline commitments/%s/fr.md\n" % cid.encode())
        data(body)
    git("-C", str(repo_path), "fast-import", "--quiet", input=out.getvalue())
    count = int(git("-C", str(repo_path), "rev-list", "--count", "refs/heads/main"))
    first = int(git("-C", str(repo_path), "rev-list", "--count", "--first-parent", "refs/heads/main"))
    if count != commits + 1 or first != count:
        raise BenchError(f"{repo_path}: main has {count} commits ({first} first-parent), "
                         f"expected a chain of {commits + 1}")
    git("-C", str(repo_path), "gc", "-q")
    git("-C", str(repo_path), "commit-graph", "write", "--reachable", "--changed-paths")


# Comment bodies: Markdown as people write it (a few sentences, sometimes emphasis, a list or a link).
_SENTENCES = [
    "Le calendrier proposé paraît ambitieux au regard des moyens annoncés.",
    "Qui publiera ces données, et sous quelle licence ?",
    "Il faudrait préciser les seuils dont il est question ici.",
    "Les collectivités territoriales sont-elles concernées au même titre que l'État ?",
    "Nous proposons d'ajouter un indicateur de suivi **trimestriel**.",
    "Le format commun devrait reprendre un standard international existant plutôt que d'en créer un.",
    "Cette formulation reste vague : *inciter* n'engage à rien.",
    "Voir le rapport de l'observatoire : <https://example.org/rapport-2014>.",
    "D'accord sur le principe, mais le délai d'un an pour l'étude est trop long.",
    "Les entreprises ont besoin de données exploitables, pas de documents scannés.",
    "Merci pour cette précision, elle répond à ma question.",
    "La défense et la sécurité ne doivent pas devenir une exception générale.",
]


def _comment_body(rng: random.Random, i: int) -> str:
    body = " ".join(rng.sample(_SENTENCES, rng.randint(1, 3)))
    if i % 7 == 0:
        body += "\n\n- " + "\n- ".join(rng.sample(_SENTENCES, 2))
    return f"{body}\n\n(Remarque n° {i + 1}.)"


def add_comments(dep_dir: Path, cid: str, n: int, seed: int = 2015) -> tuple[int, int]:
    """`n` comments on `cid` through the core (review.comments.add), as the web writes them.

    By the people of the deployment's plan.yaml in turn; threads spread at random over the
    text's paragraphs (headings left out), one root in 10 on the whole commitment, one in 3
    quoting a few words of its paragraph (the others quote the whole paragraph); one comment
    in 4 is a reply to an earlier thread; stances cycle. Returns (threads, replies).
    """
    repo = GitRepo(dep_dir / deployment.REPO_DIR)
    main = repo.resolve("main")
    people = list(commitment.read_plan(repo, main).people.values())
    blocks = [(i, render.plain_text(b.text)) for i, b in
              enumerate(render.source_blocks(commitment.read_commitment(repo, main, cid).body_in("fr")))
              if not b.text.startswith("#")]
    rng = random.Random(seed)
    roots: list[str] = []
    replies = 0
    for i in range(n):
        who, body, stance = people[i % len(people)], _comment_body(rng, i), (None, "for", "against", "neutral")[i % 4]
        if i % 4 == 3 and roots:
            comments.add(repo, who, cid, body, reply_to=rng.choice(roots), stance=stance)
            replies += 1
            continue
        anchor = quote = None
        if i % 10 != 0:
            k, plain = rng.choice(blocks)
            anchor, words = f"p-{k + 1}", plain.split()
            if i % 3 == 0 and len(words) > 6:
                j = rng.randrange(len(words) - 4)
                quote = " ".join(words[j:j + 4])
        roots.append(comments.add(repo, who, cid, body, anchor=anchor, quote=quote, stance=stance).id)
    return len(roots), replies


PAGE_IN_PROCESS = r"""
import json, statistics, sys, time
from review.web import create_app
dep_dir, path, runs, profile = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1"
app = create_app(dep_dir, {"PAGE_CACHE_SIZE": 0})
client = app.test_client()
t = time.perf_counter()
first = client.get(path)
first_ms = (time.perf_counter() - t) * 1e3
times, statuses = [], {first.status_code}
for _ in range(runs):
    t = time.perf_counter()
    r = client.get(path)
    times.append((time.perf_counter() - t) * 1e3)
    statuses.add(r.status_code)
if profile:
    import cProfile, io, pstats
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(5):
        client.get(path)
    prof.disable()
    import os
    root = os.getcwd()
    for order, title, restrict in (("tottime", "own time, every function", ()),
                                   ("cumulative", "cumulative time, the review package and its templates",
                                    ("/review/",))):
        text = io.StringIO()
        pstats.Stats(prof, stream=text).sort_stats(order).print_stats(*restrict, 18)
        body = text.getvalue()
        body = body[body.find("   ncalls"):].rstrip().replace(root + "/", "").replace(sys.prefix + "/", "")
        print(f"(5 rendered requests; {title})\n" + body + "\n", file=sys.stderr)
print(json.dumps({"first_ms": first_ms, "median_ms": statistics.median(times), "best_ms": min(times),
                  "bytes": len(first.data), "statuses": sorted(statuses),
                  "cache": first.headers.get("X-Review-Cache")}))
"""


def page_in_process(dep_dir: Path, path: str, runs: int, profile: bool = False) -> dict:
    """One page rendered through the Flask test client (page cache off) in a fresh interpreter:
    the first request, then the median of `runs` more; with `profile`, a cProfile of 5 more."""
    p = subprocess.run([sys.executable, "-c", PAGE_IN_PROCESS, str(dep_dir), path, str(runs),
                        "1" if profile else "0"], cwd=ROOT, capture_output=True, text=True, timeout=600)
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


@dataclass
class History:
    cold_ms: float      # first call in a fresh process: no cache of ours, none of libgit2's
    cold_git_ms: float  # git log on the same tip
    cold_same: bool
    warm_ms: float      # the next call after one new commit on main, in the process that made the first
    warm_git_ms: float  # git log on the new tip
    warm_same: bool
    changes: int


COLD_HISTORY = r"""
import json, sys, time
from review import commitment
from review.gitrepo import GitRepo
repo_path, cid, profile = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
if profile:
    import cProfile, io, pstats
    prof = cProfile.Profile()
    prof.enable()
t = time.perf_counter()
repo = GitRepo(repo_path)  # opening it is part of the cost
result = commitment.history(repo, cid)
elapsed = time.perf_counter() - t
if profile:
    prof.disable()
    text = io.StringIO()
    pstats.Stats(prof, stream=text).sort_stats("tottime").print_stats(12)
    print(text.getvalue(), file=sys.stderr)
print(json.dumps({"ms": elapsed * 1e3, "ids": [c.id for c in result]}))
"""


def git_log_ms(repo_path: Path, cid: str, runs: int) -> tuple[float, list[str]]:
    cmd = ["git", "-C", str(repo_path), "log", "--format=%H", "--", f"commitments/{cid}"]
    best, ids = float("inf"), []
    for _ in range(runs):
        t = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True, env=GIT_ENV, timeout=300)
        best = min(best, time.perf_counter() - t)
        if p.returncode != 0:
            raise BenchError(f"{' '.join(cmd)} failed: {p.stderr.decode(errors='replace')}")
        ids = p.stdout.decode().split()
    return best * 1e3, ids


def cold_history(repo_path: Path, cid: str, runs: int, profile: bool) -> tuple[float, list[str]]:
    """history() as the first call of a fresh interpreter (imports excluded), best of `runs`."""
    best, ids = float("inf"), []
    for i in range(runs):
        p = subprocess.run([sys.executable, "-c", COLD_HISTORY, str(repo_path), cid,
                            "1" if profile and i == 0 else "0"],
                           cwd=ROOT, capture_output=True, text=True, timeout=600)
        if p.returncode != 0:
            raise BenchError(f"cold history of {cid} failed:\n{p.stderr[-2000:]}")
        if profile and i == 0:
            print(textwrap.indent("(profiled run, cold)\n" + p.stderr.strip(), "    "), flush=True)
            continue  # the profiler's overhead is not timed
        result = json.loads(p.stdout.strip().splitlines()[-1])
        best, ids = min(best, result["ms"]), result["ids"]
    return best, ids


def time_history(repo_path: Path, cid: str, other: str, runs: int = HISTORY_RUNS,
                 profile: bool = False) -> History:
    """Cold, then warm: `runs` rounds each adding one commit to main, then asking again."""
    cold, cold_ids = cold_history(repo_path, cid, runs + (1 if profile else 0), profile)
    cold_git, git_ids = git_log_ms(repo_path, cid, runs)
    say(f"history of {cid}, cold: ours {cold:.1f} ms, git log {cold_git:.1f} ms, {len(cold_ids)} changes")
    # Warm: one process, one open repository (as a server worker keeps it), one new commit a round,
    # alternately on this commitment and on another one.
    repo = GitRepo(repo_path)
    commitment.history(repo, cid)
    warm, warm_git, warm_same = float("inf"), float("inf"), True
    for i in range(runs):
        target = cid if i % 2 == 0 else other
        path = f"commitments/{target}/fr.md"
        repo.commit_on("refs/heads/main",
                       lambda tip: ({path: repo.read_file(tip, path) + f"\nTour {i + 1}.\n".encode()},
                                    f"Warm round {i + 1} on {target}"),
                       Identity("Benchmark", "bench@localhost"))
        t = time.perf_counter()
        result = commitment.history(repo, cid)
        warm = min(warm, time.perf_counter() - t)
        g_ms, g_ids = git_log_ms(repo_path, cid, 1)
        warm_git = min(warm_git, g_ms)
        warm_same = warm_same and [c.id for c in result] == g_ids
    say(f"history of {cid}, warm (one new commit): ours {warm * 1e3:.2f} ms, git log {warm_git:.1f} ms")
    return History(cold, cold_git, cold_ids == git_ids, warm * 1e3, warm_git, warm_same, len(cold_ids))


COLD_INDEX = r"""
import json, sys, time
t0 = time.perf_counter()
from review.web import create_app
app = create_app(sys.argv[1])
client = app.test_client()
t1 = time.perf_counter()
r1 = client.get("/")
t2 = time.perf_counter()
r2 = client.get("/")
t3 = time.perf_counter()
r3 = client.get("/?page-cache=another-key")
t4 = time.perf_counter()
print(json.dumps({"app_ms": (t1 - t0) * 1e3, "first_ms": (t2 - t1) * 1e3, "second_ms": (t3 - t2) * 1e3,
                  "third_ms": (t4 - t3) * 1e3, "status": [r1.status_code, r2.status_code, r3.status_code],
                  "cache": [r.headers.get("X-Review-Cache") for r in (r1, r2, r3)], "bytes": len(r1.data)}))
"""


def cold_index(dep_dir: Path) -> dict:
    """GET / in a fresh interpreter (empty caches): first request, then the same (a page cache
    hit), then another query string (rendered again, from the parsed commitments kept)."""
    p = subprocess.run([sys.executable, "-c", COLD_INDEX, str(dep_dir)], cwd=ROOT,
                       capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        raise BenchError(f"cold GET / failed:\n{p.stderr[-2000:]}")
    result = json.loads(p.stdout.strip().splitlines()[-1])
    if result["status"] != [200, 200, 200]:
        raise BenchError(f"cold GET / answered {result['status']}")
    say(f"cold GET / ({SCALE_COMMITMENTS:,} commitments): first {result['first_ms']:.0f} ms, "
        f"second {result['second_ms']:.1f} ms, another query string {result['third_ms']:.1f} ms "
        f"({result['bytes']:,} bytes; page cache {'/'.join(str(c) for c in result['cache'])})")
    return result


# -- report --------------------------------------------------------------------

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


def cols_of(r: Row) -> tuple[str, ...]:
    return (r.measure, r.value, r.baseline, r.ratio, r.target, r.verdict)


def rps(x: float) -> str:
    return f"{x:,.0f} req/s"


def ms(x: float) -> str:
    return f"{x:,.1f} ms" if x < 100 else f"{x:,.0f} ms"


# -- the run -------------------------------------------------------------------

def run(args: argparse.Namespace, work: Path, servers: Servers) -> list[Row]:
    seconds = 2 if args.quick else 10
    rounds = 1 if args.quick else 3
    commits = 1000 if args.quick else 10000
    processes = 1 if args.quick else 3  # fresh interpreters for the in-process page timings
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
    if args.profile or inproc[most]["median_ms"] > SLOW_PAGE_MS:
        if not args.profile:
            say(f"over {SLOW_PAGE_MS} ms: profiling it")
        profile = page_in_process(dep_c[most], path26, PAGE_RUNS, profile=True)["profile"]
        print(textwrap.indent(f"(profile of {PAGE_26} with {most:,} comments, rendered in process, not timed)\n"
                              + profile, "    "), flush=True)

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
    h, p26, r26, p5000, r5000 = hello.best, page26.best, rend26.best, page5000.best, rend5000.best

    # (b) and (c): history of one commitment over `commits` commits, ours against git log, cold and warm.
    histories = []
    for dep, fmt, cid in ((dep26, "engagement-{:02d}", PAGE_26), (dep5000, "engagement-{:04d}", PAGE_5000)):
        t = time.perf_counter()
        add_history(dep / deployment.REPO_DIR, [fmt.format(i) for i in range(1, CYCLE + 1)], commits)
        say(f"{commits:,} commits added to {dep.name}, packed, commit-graph written, "
            f"in {time.perf_counter() - t:.1f} s")
        histories.append(time_history(dep / deployment.REPO_DIR, cid, fmt.format(3), profile=args.profile))
    h26, h5000 = histories

    # Information: the same pages, rendered, once the history exists (the page shows the last 10 changes).
    later26 = start_target(servers, f"{PAGE_26}+history rendered", "rendered_app:app", path26, "Accro",
                           env=env26, pythonpath=BENCH)
    later5000 = start_target(servers, f"{PAGE_5000}+history rendered", "rendered_app:app", path5000, "Accro",
                             env=env5000, pythonpath=BENCH)
    load_rounds([later26, later5000], seconds, 1)
    servers.stop_all()
    l26, l5000 = later26.best, later5000.best

    cold = cold_index(dep5000)

    def errs(load_: Load) -> str:
        return f" [{load_.errors}]" if load_.errors else ""

    def same(label: str, ok: bool) -> Row:
        return Row(label, "yes" if ok else "no", target="yes", verdict="target met" if ok else "target missed")

    def comment_rows() -> list[Row]:
        rows = []
        for count in COMMENT_COUNTS:
            cp, cr = cpage[count].best, crend[count].best
            label = f"page {PAGE_26}, {count:,} comments, req/s vs hello (page cache)"
            if count == COMMENT_COUNTS[0]:  # the target is set on the first count (200 comments)
                rows.append(judged(label, rps(cp.rps) + errs(cp), rps(h.rps), cp.rps / h.rps, ">=", 0.5,
                                   not cp.errors))
            else:
                rows.append(Row(label, rps(cp.rps) + errs(cp), rps(h.rps), f"{cp.rps / h.rps:.2f}"))
            rows += [
                Row("  p99 latency (page cache), vs hello", ms(cp.p99_ms), ms(h.p99_ms), f"{cp.p99_ms / h.p99_ms:.2f}"),
                Row("  rendered (no page cache), vs hello", rps(cr.rps) + errs(cr), rps(h.rps), f"{cr.rps / h.rps:.2f}"),
                Row("  rendered: slowdown vs no comments", rps(cr.rps), rps(r26.rps), f"{r26.rps / cr.rps:.2f}"),
                Row("  p99 latency, rendered, vs no comments", ms(cr.p99_ms), ms(r26.p99_ms),
                    f"{cr.p99_ms / r26.p99_ms:.2f}"),
            ]
        zero = inproc[0]
        rows.append(Row(f"page {PAGE_26} rendered in process (test client, median), no comments",
                        ms(zero["median_ms"])))
        rows += [Row(f"  {count:,} comments", ms(inproc[count]["median_ms"]), ms(zero["median_ms"]),
                     f"{inproc[count]['median_ms'] / zero['median_ms']:.2f}") for count in COMMENT_COUNTS]
        rows.append(Row("  first request of a fresh process, no comments", ms(zero["first_ms"])))
        rows += [Row(f"  first request, {count:,} comments", ms(inproc[count]["first_ms"]), ms(zero["first_ms"]),
                     f"{inproc[count]['first_ms'] / zero['first_ms']:.2f}") for count in COMMENT_COUNTS]
        rows.append(Row("  HTML size, no comments", f"{zero['bytes']:,} B"))
        rows += [Row(f"  HTML size, {count:,} comments", f"{inproc[count]['bytes']:,} B", f"{zero['bytes']:,} B",
                     f"{inproc[count]['bytes'] / zero['bytes']:.2f}") for count in COMMENT_COUNTS]
        return rows

    return [
        Row(f"hello-world req/s (best of {rounds})", rps(h.rps) + errs(h)),
        judged(f"page {PAGE_26} req/s vs hello (anonymous: page cache)", rps(p26.rps) + errs(p26), rps(h.rps),
               p26.rps / h.rps, ">=", 0.5, not p26.errors),
        Row(f"  page {PAGE_26} rendered (no page cache)", rps(r26.rps) + errs(r26), rps(h.rps),
            f"{r26.rps / h.rps:.2f}"),
        Row("p99 latency, hello-world", ms(h.p99_ms)),
        Row(f"p99 latency, page {PAGE_26} (page cache)", ms(p26.p99_ms), ms(h.p99_ms),
            f"{p26.p99_ms / h.p99_ms:.2f}"),
        *comment_rows(),
        judged(f"history {PAGE_26} ({commits:,} commits), cold, vs git log", ms(h26.cold_ms), ms(h26.cold_git_ms),
               h26.cold_ms / h26.cold_git_ms, "<=", 1.0),
        judged("  warm: after one new commit, vs git log", ms(h26.warm_ms), ms(h26.warm_git_ms),
               h26.warm_ms / h26.warm_git_ms, "<=", 1.0),
        same(f"same result as git log ({h26.changes} commits; cold and warm)", h26.cold_same and h26.warm_same),
        judged(f"page {PAGE_5000} ({n} plan) req/s vs hello (page cache)", rps(p5000.rps) + errs(p5000),
               rps(h.rps), p5000.rps / h.rps, ">=", 0.5, not p5000.errors),
        judged(f"  slowdown vs 26 plan (26 req/s / {n} req/s)", rps(p5000.rps), rps(p26.rps),
               p26.rps / p5000.rps, "<=", 2.0, not p5000.errors),
        judged(f"  p99 latency, {n} vs 26 plan", ms(p5000.p99_ms), ms(p26.p99_ms),
               p5000.p99_ms / p26.p99_ms, "<=", 2.0, not p5000.errors),
        Row(f"  page {PAGE_5000} rendered (no page cache)", rps(r5000.rps) + errs(r5000), rps(h.rps),
            f"{r5000.rps / h.rps:.2f}"),
        Row("  rendered: slowdown vs 26 plan", rps(r5000.rps), rps(r26.rps), f"{r26.rps / r5000.rps:.2f}"),
        judged(f"history {PAGE_5000} ({n} plan), cold, vs git log", ms(h5000.cold_ms), ms(h5000.cold_git_ms),
               h5000.cold_ms / h5000.cold_git_ms, "<=", 1.0),
        judged("  warm: after one new commit, vs git log", ms(h5000.warm_ms), ms(h5000.warm_git_ms),
               h5000.warm_ms / h5000.warm_git_ms, "<=", 1.0),
        judged(f"  history cold, {n} vs 26 plan (ours)", ms(h5000.cold_ms), ms(h26.cold_ms),
               h5000.cold_ms / h26.cold_ms, "<=", 2.0),
        Row(f"  history cold, {n} vs 26 plan (git log)", ms(h5000.cold_git_ms), ms(h26.cold_git_ms),
            f"{h5000.cold_git_ms / h26.cold_git_ms:.2f}"),
        same(f"same result as git log ({h5000.changes} commits; cold and warm)", h5000.cold_same and h5000.warm_same),
        Row(f"page {PAGE_26} rendered, after {commits:,} commits", rps(l26.rps) + errs(l26), rps(h.rps),
            f"{l26.rps / h.rps:.2f}"),
        Row(f"page {PAGE_5000} rendered, after {commits:,} commits", rps(l5000.rps) + errs(l5000), rps(h.rps),
            f"{l5000.rps / h.rps:.2f}"),
        Row(f"  p99 latency, {PAGE_5000} rendered, after {commits:,} commits", ms(l5000.p99_ms)),
        Row(f"cold GET / ({n} plan, test client): first", ms(cold["first_ms"])),
        Row(f"cold GET / ({n} plan, test client): second (page cache)", ms(cold["second_ms"])),
        Row(f"cold GET / ({n} plan, test client): other query (rendered)", ms(cold["third_ms"])),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
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
        rows = run(args, work, servers)
    except (BenchError, subprocess.TimeoutExpired) as exc:
        print(f"benchmarks: {exc}", file=sys.stderr)
        return 1
    finally:
        servers.stop_all()
        shutil.rmtree(work, ignore_errors=True)
    print()
    print_table(rows)
    print(f"\n{sum(r.verdict == 'target met' for r in rows)} targets met, "
          f"{sum(r.verdict == 'target missed' for r in rows)} missed; "
          f"run took {time.perf_counter() - started:.0f} s "
          f"({os.cpu_count()} CPUs, {dt.datetime.now().isoformat(timespec='seconds')})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
