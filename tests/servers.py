"""A real WSGI server (gunicorn) for tests, on a socket bound before it starts: no port race."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def gunicorn(deployment_dir, workers: int = 2):
    """Serve `review.web.wsgi:app` for `deployment_dir`; yields the base URL.

    The listening socket is bound here (port 0: the system picks a free one) and handed to
    gunicorn as `fd://N`, so no other process can take the port between choosing and binding."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    fd = sock.fileno()
    os.set_inheritable(fd, True)
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    env = {**os.environ, "REVIEW_DIR": str(deployment_dir)}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", str(workers), "--no-control-socket",
                               "-b", f"fd://{fd}", "review.web.wsgi:app"], env=env, cwd=ROOT, pass_fds=(fd,),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/api/v1/people", timeout=2)
                break
            except OSError:
                if server.poll() is not None:
                    raise RuntimeError("gunicorn stopped: " + server.stderr.read().decode(errors="replace"))
                time.sleep(0.1)
        else:
            raise RuntimeError("gunicorn did not answer within 30 s")
        yield base
    finally:
        server.terminate()
        server.wait(30)
        sock.close()
