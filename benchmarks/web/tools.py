"""Paths, constants and the tools the benchmark needs (git, wrk, gunicorn)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "benchmarks"
SAMPLE_PLAN = ROOT / "plan-repo"

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

# git run by the benchmark sees neither the user's nor the system's configuration.
GIT_ENV = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
           "GIT_TERMINAL_PROMPT": "0"}


class BenchError(Exception):
    """Something could not be measured; the message says what to do."""


def say(msg: str) -> None:
    print(f"  . {msg}", flush=True)


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


def probe(module: str, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run benchmarks/web/probes/<module>.py in a fresh interpreter (from the repository's root)."""
    return subprocess.run([sys.executable, "-m", f"benchmarks.web.probes.{module}", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)
