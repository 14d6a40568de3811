"""One integrity checker per deployment, in a process of its own (issue 20).

`review.integrity.Monitor` keeps what it read of every log between two checks (tens of MB on
a plan of 5,000 commitments). Kept in each web worker (or in the master they fork from), it
counted in every worker's memory. Here one process, started beside the workers, holds it: it
watches the refs, checks again whenever one moved, and writes the verdict to
DIR/instance/integrity-state.json (the refs' digest it was checked at, when those refs were
read, and the state as GET /api/v1/integrity gives it). A worker reads that file (`Shared`);
it never checks anything itself.

The checker holds DIR/instance/integrity.lock while it runs, its name (process id and a random
token) written in it: a worker that finds the lock free starts one (`ensure_running`), and a
second one started by a race exits at once. A worker believes a verdict only if the checker
that holds the lock now wrote it: a state file left by an earlier checker (an earlier start of
the server, other code, an object damaged since) is not this checker's check of everything.
The checker exits when the process that started it is gone, or when the repository is.

Run by `Shared`: `python -m review.integrityd REPO_PATH INSTANCE_DIR PARENT_PID`.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path

from . import integrity, verify
from .gitrepo import GitRepo

log = logging.getLogger(__name__)

STATE_FILE = "integrity-state.json"
LOCK_FILE = "integrity.lock"
POLL_SECONDS = 0.05  # how often the checker looks at the ref store (a stat of its folders: microseconds)


def state_json(key: bytes, read_at: float, state: integrity.State, checker: str) -> dict:
    return {"key": key.hex(), "read_at": read_at, "checker": checker, "seconds": state.seconds, **state.as_json()}


def state_from_json(data: dict) -> tuple[bytes, float, integrity.State, str]:
    """(refs digest, when those refs were read, state, the checker that wrote it);
    ValueError/KeyError/TypeError when the file is not one the checker wrote."""
    violations = [verify.Violation(int(v["rule"]), str(v["code"]), str(v["ref"]), v["commit"], str(v["message"]))
                  for v in data["violations"]]
    state = integrity.State(bool(data["clean"]), data["verified_tip"], violations, dict(data["refs"]),
                            str(data["checked_at"]), float(data["seconds"]), data.get("error"))
    return bytes.fromhex(data["key"]), float(data["read_at"]), state, str(data["checker"])


def _write(instance: Path, doc: dict) -> None:
    """The state file replaced at once: a reader sees the old one or the new one, never half."""
    tmp = instance / f".{STATE_FILE}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, instance / STATE_FILE)


def _stamp(instance: Path) -> tuple | None:
    try:
        st = os.stat(instance / STATE_FILE)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def _try_lock(instance: Path):
    """The open lock file when this process now holds it, None when another process does."""
    f = open(instance / LOCK_FILE, "a")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.close()
        return None
    return f


def serve(repo_path: str, instance: Path, parent: int, poll: float = POLL_SECONDS) -> int:
    """The checker's loop. Returns when `parent` is gone (0), or at once when another checker
    holds the lock (0)."""
    lock = _try_lock(instance)
    if lock is None:
        return 0
    # who holds the lock, written in it: a worker believes only the verdicts of the checker that
    # runs now (a state file left by an earlier one, of an earlier start of the server, perhaps
    # of other code or before an object was damaged, is not this start's check)
    me = f"{os.getpid()}-{secrets.token_hex(8)}"
    os.ftruncate(lock.fileno(), 0)
    os.write(lock.fileno(), me.encode())
    os.fsync(lock.fileno())
    monitor = integrity.Monitor(repo_path)
    repo = GitRepo(repo_path)
    written, stamp = None, None
    while os.getppid() == parent and os.path.isdir(repo_path):
        try:
            # a ref moved, or the file is not the one written last (deleted, damaged, edited):
            # write it again (the check itself is done again only for refs that moved)
            if repo.refs_fingerprint() != written or _stamp(instance) != stamp:
                read_at = time.time()  # before the refs are read: a worker that asked earlier takes this state
                state = monitor.current(repo)
                _write(instance, state_json(monitor.key, read_at, state, me))
                written, stamp = monitor.key, _stamp(instance)
        except Exception:  # noqa: BLE001 - a failed round is tried again; the workers wait meanwhile
            log.exception("the integrity checker's round failed")
            time.sleep(1)
        time.sleep(poll)
    lock.close()
    return 0


class Shared:
    """A web process's view of the checker's verdict: `current(repo)` as `Monitor.current`,
    read from the state file. Waits at most `wait` seconds for a state of the refs as they
    are now (or newer), then raises TimeoutError (the page says nothing of it this time)."""

    def __init__(self, repo_path, instance_path, wait: float = 10.0):
        self.path = str(repo_path)
        self.instance = Path(instance_path)
        self.wait = wait
        self.key: bytes | None = None
        self.state: integrity.State | None = None
        self.read_at = 0.0
        self.stamp = None
        self.bad = None  # the stamp of a state file that could not be read
        self.checker: str | None = None  # who wrote the state read
        self.lock = threading.Lock()
        self.child: subprocess.Popen | None = None
        self.spawned = 0  # how many checkers this process started (tests)

    def current(self, repo: GitRepo, wait: float | None = None) -> integrity.State:
        key = repo.refs_fingerprint()
        if key == self.key and self.state is not None:
            return self.state
        asked = time.time()
        deadline = time.monotonic() + (self.wait if wait is None else wait)
        with self.lock:
            while True:
                if self._read() and (self.key == key or self.read_at >= asked) and self.checker == self.running():
                    return self.state
                if time.monotonic() > deadline:
                    raise TimeoutError("the integrity checker has not checked the refs as they are now yet")
                self.ensure_running()
                time.sleep(0.01)

    def _read(self) -> bool:
        """Whether a state was read (the file changed since the last reading, or was read before)."""
        stamp = _stamp(self.instance)
        if stamp is None:
            return self.state is not None
        if stamp == self.stamp:
            return True
        if stamp == self.bad:
            return False
        try:
            with open(self.instance / STATE_FILE, encoding="utf-8") as f:
                self.key, self.read_at, self.state, self.checker = state_from_json(json.load(f))
        except (OSError, ValueError, KeyError, TypeError) as exc:  # not the checker's: wait for its next one
            log.warning("unreadable %s (%s): waiting for the checker to write it again", STATE_FILE, exc)
            self.bad = stamp
            return False
        self.stamp = stamp
        return True

    def running(self) -> str | None:
        """The checker that holds the lock now, as it wrote itself in it; None when none does."""
        probe = _try_lock(self.instance)
        if probe is not None:
            probe.close()
            return None
        try:
            me = (self.instance / LOCK_FILE).read_text(encoding="utf-8").strip()
            os.kill(int(me.split("-")[0]), 0)  # the one that wrote it is alive: not the name of a dead one
        except (OSError, ValueError):  # no such process, or not yet written by the one that just took the lock
            return None
        return me

    def ensure_running(self) -> None:
        """Start a checker when none holds the lock (none started, or it died)."""
        if self.child is not None and self.child.poll() is None:
            return
        probe = _try_lock(self.instance)
        if probe is None:
            return  # one runs
        probe.close()  # released: the new checker takes it
        self.child = subprocess.Popen(
            [sys.executable, "-m", "review.integrityd", os.path.abspath(self.path),
             os.path.abspath(self.instance), str(os.getpid())],
            stdin=subprocess.DEVNULL, close_fds=True, cwd=str(Path(__file__).resolve().parent.parent))
        self.spawned += 1

    def stop(self) -> None:
        """Stop the checker this process started (tests; a server's checker stops with it)."""
        if self.child is not None and self.child.poll() is None:
            self.child.terminate()
            self.child.wait(10)


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s integrity checker %(process)d: %(message)s")
    if len(argv) != 3:
        print("usage: python -m review.integrityd REPO_PATH INSTANCE_DIR PARENT_PID", file=sys.stderr)
        return 2
    repo_path, instance, parent = argv
    try:
        return serve(repo_path, Path(instance), int(parent))
    except KeyboardInterrupt:  # Ctrl-C in the terminal of the server that started it
        return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
