"""gunicorn servers, each in a session of its own (its whole process group is killed at the
end), and wrk loads in interleaved rounds."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from .tools import ROOT, WARMUP_REQUESTS, WRK_CONNECTIONS, WRK_THREADS, BenchError, say

# Local servers only: never through an HTTP proxy the environment may name.
HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))
START_SECONDS = 600  # a server's first page must answer within this (a warmed-up big plan takes minutes)


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
              pythonpath: Path | None = None, check_path: str = "/", expect: str = "",
              extra: list[str] | None = None) -> tuple[subprocess.Popen, str]:
        port = free_port()
        log = self.logdir / f"gunicorn-{re.sub(r'[^A-Za-z0-9_.-]+', '-', name).strip('-')}.log"
        # --timeout 120: the first request of a 5,000-commitment plan parses every commitment, which
        # takes more than gunicorn's default 30 s on a loaded machine (the worker would be killed).
        cmd = self.gunicorn + ["--workers", "2", "--worker-class", "sync", "--timeout", "120",
                               "--bind", f"127.0.0.1:{port}",
                               "--log-level", "warning", "--error-logfile", str(log)]
        if pythonpath:
            cmd += ["--pythonpath", str(pythonpath)]
        cmd += extra or []  # later options win (gunicorn reads them in order)
        cmd.append(app)
        with open(log, "ab") as out:  # what gunicorn prints before its log file is open
            proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **(env or {})},
                                    stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        self.procs.append(proc)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_SECONDS
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
                    raise BenchError(f"gunicorn for {name} did not answer within {START_SECONDS} s:\n{_tail(log)}") from None
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


