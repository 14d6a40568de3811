"""Mirrors: plain git remotes that receive every ref of the plan repository after each write.

A mirror is any git remote (a bare folder, a forge the administration already runs, an
off-site backup) listed in `MIRRORS` in `DIR/instance/config.py`. After every write, the
web process pushes `refs/heads/*`, `refs/reviews/*` and `refs/tags/*` to each mirror in a
background thread, retrying with a doubling delay until the mirror has them. The push
never forces and never deletes: our refs only move forward, so a plain push always
applies, and a mirror whose history was rewritten refuses the update instead of being
overwritten (the error is logged and retried, for an administrator to look at).
`review mirror DIR` does the same push once, from the command line or a cron job, to
catch up after the server was down or after a write made by another command.
"""

from __future__ import annotations

import logging
import os
import subprocess
import threading
from pathlib import Path

REFSPECS = ("refs/heads/*:refs/heads/*", "refs/reviews/*:refs/reviews/*", "refs/tags/*:refs/tags/*")
PUSH_TIMEOUT = 600
MIN_DELAY = 1.0
MAX_DELAY = 600.0

log = logging.getLogger("review.mirrors")


def configured(instance_path: str | os.PathLike) -> list[str]:
    """MIRRORS from DIR/instance/config.py, read without the web application."""
    path = Path(instance_path) / "config.py"
    if not path.is_file():
        return []
    namespace: dict = {"__file__": str(path)}
    exec(compile(path.read_text(), str(path), "exec"), namespace)  # noqa: S102 - the admin's own file
    return check(namespace.get("MIRRORS", []))


def check(mirrors) -> list[str]:
    if isinstance(mirrors, str) or not all(isinstance(m, str) and m.strip() for m in mirrors):
        raise ValueError("MIRRORS must be a list of git remotes (paths or URLs), e.g. "
                         "MIRRORS = ['/srv/backup/plan.git']")
    return [m.strip() for m in mirrors]


def push(repo_path: str | os.PathLike, remote: str, timeout: float = PUSH_TIMEOUT) -> tuple[bool, str]:
    """Push every managed ref to one mirror; (succeeded, git's output)."""
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0")
    for k in ("GIT_DIR", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_QUARANTINE_PATH"):
        env.pop(k, None)
    try:
        proc = subprocess.run(["git", "--git-dir", os.fspath(repo_path), "push", "--quiet", remote, *REFSPECS],
                              env=env, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, str(exc)
    return proc.returncode == 0, (proc.stdout + proc.stderr).strip()


def push_all(repo_path, remotes) -> dict[str, tuple[bool, str]]:
    return {r: push(repo_path, r) for r in remotes}


class Mirrorer:
    """One background thread per process: `notify()` after a write; pushes are coalesced
    (many writes, one push) and retried with a doubling delay until they succeed."""

    def __init__(self, repo_path: str | os.PathLike, remotes: list[str],
                 min_delay: float = MIN_DELAY, max_delay: float = MAX_DELAY):
        self.repo_path, self.remotes = os.fspath(repo_path), list(remotes)
        self.min_delay, self.max_delay = min_delay, max_delay
        self.errors: dict[str, str] = {}
        self._pid = None
        self._reset()

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._cond = threading.Condition()
        self._pending: set[str] = set()
        self._thread: threading.Thread | None = None

    def notify(self) -> None:
        if not self.remotes:
            return
        if self._pid != os.getpid():  # forked (a WSGI server's worker): threads did not follow
            self._reset()
        with self._cond:
            self._pending.update(self.remotes)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="review-mirrors", daemon=True)
                self._thread.start()
            self._cond.notify()

    def _run(self) -> None:
        delay = self.min_delay
        while True:
            with self._cond:
                while not self._pending:
                    self._cond.wait()
                todo = sorted(self._pending)
                self._pending.clear()
            failed = []
            for remote in todo:
                ok, out = push(self.repo_path, remote)
                if ok:
                    self.errors.pop(remote, None)
                else:
                    failed.append(remote)
                    self.errors[remote] = out
                    log.warning("mirror %s did not take the update (retry in %.1f s): %s", remote, delay, out)
            if not failed:
                delay = self.min_delay
                continue
            with self._cond:
                self._pending.update(failed)
                self._cond.wait(timeout=delay)  # a new write wakes it earlier
            delay = min(delay * 2, self.max_delay)
