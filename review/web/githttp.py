"""The plan repository over git's smart HTTP: `git clone http://HOST/plan.git`.

Runs `git http-backend` as a CGI program. Fetching and cloning (git-upload-pack) are
anonymous, like every read of the plan. Pushing (git-receive-pack) takes HTTP Basic
credentials: a handle and one of that person's personal access tokens; the view then
reads the ref updates at the head of the push and hands the hooks the pusher with a
signature over the pusher, the time and those updates (review/pushauth.py), made with the
instance's push secret; the hooks (review/hooks.py) check it and apply the rules of the web. Nothing else of the deployment folder is served: only the three
smart-HTTP addresses below.

After a push the mirrors are notified (review/mirrors.py), as after any other write.
"""

from __future__ import annotations

import os
import subprocess
import threading
import zlib

from flask import Response, current_app, redirect, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wsgi import get_input_stream

from .. import mirrors, pushauth
from .auth import accounts

SERVICES = ("git-upload-pack", "git-receive-pack")
CHUNK = 64 * 1024
# A request body larger than this is cut off here; git's own receive.maxInputSize (see
# review/hooks.py) refuses oversized packs first, with a message the pusher sees.
MAX_REQUEST_BYTES = 96 * 1024 * 1024
REALM = 'Basic realm="review", charset="UTF-8"'
# Variables that would point git elsewhere than the plan repository.
_SCRUB = ("GIT_DIR", "GIT_WORK_TREE", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES",
          "GIT_INDEX_FILE", "GIT_NAMESPACE", "GIT_QUARANTINE_PATH", "GIT_PROJECT_ROOT")


def _text(status: int, message: str, headers: dict | None = None) -> Response:
    return Response(message.rstrip("\n") + "\n", status=status, mimetype="text/plain", headers=headers or {})


def about():
    """GET /plan.git: how to clone. A browser goes to the page that says it in the reader's
    language (with how to verify the history); other clients get plain text."""
    if request.accept_mimetypes.best_match(["text/plain", "text/html"]) == "text/html":
        return redirect(url_for("verify_history"))
    url = request.url_root + "plan.git"
    return _text(200, f"This is the plan's git repository.\n\n    git clone {url}\n\n"
                      "Pushing needs your handle and a personal access token (see README: Working with git).")


def _service(rest: str) -> str | None:
    if rest == "info/refs" and request.method == "GET":
        service = request.args.get("service")
        return service if service in SERVICES else None
    if rest in SERVICES and request.method == "POST":
        return rest
    return None


def _pusher() -> str | Response:
    """The handle whose token came as HTTP Basic credentials, or a 401 answer."""
    auth = request.authorization
    if auth is None or auth.type != "basic" or not auth.username or not auth.password:
        return _text(401, "pushing needs your handle as user name and a personal access token as "
                          "password (create one on your profile page)", {"WWW-Authenticate": REALM})
    handle = accounts().authenticate_token(auth.password)
    if handle is None or handle != auth.username:
        return _text(401, "wrong handle or token: the token must be a valid personal access token "
                          "of this handle", {"WWW-Authenticate": REALM})
    return handle


def git_http(rest: str):
    service = _service(rest)
    if service is None:
        return _text(404, "only git's smart HTTP protocol is served here: git clone "
                          f"{request.url_root}plan.git")
    pusher = None
    if service == "git-receive-pack":
        pusher = _pusher()
        if isinstance(pusher, Response):
            return pusher
    dep = current_app.extensions["review.deployment"]
    env = {k: v for k, v in os.environ.items() if k not in _SCRUB and not k.startswith("REVIEW_")}
    env.update({
        "GIT_PROJECT_ROOT": str(dep.root), "GIT_HTTP_EXPORT_ALL": "1",
        "PATH_INFO": f"/plan.git/{rest}", "REQUEST_METHOD": request.method,
        "QUERY_STRING": request.query_string.decode("latin-1"),
        "CONTENT_TYPE": request.headers.get("Content-Type", ""),
        "REMOTE_ADDR": request.remote_addr or "", "REVIEW_DIR": str(dep.root),
    })
    for header, var in (("Content-Encoding", "HTTP_CONTENT_ENCODING"), ("Git-Protocol", "HTTP_GIT_PROTOCOL")):
        if request.headers.get(header):
            env[var] = request.headers[header]
    if pusher:
        env.update({"REMOTE_USER": pusher, "REVIEW_BASE_URL": request.url_root})
    body = None
    if request.method == "POST":
        try:
            body = get_input_stream(request.environ, safe_fallback=False, max_content_length=MAX_REQUEST_BYTES)
        except RequestEntityTooLarge:
            return _text(413, f"the request is larger than {MAX_REQUEST_BYTES // (1024 * 1024)} MB")
    if pusher and request.method == "POST":
        if request.headers.get("Content-Encoding", "").lower() in ("gzip", "x-gzip"):
            body = _Gunzip(body)
            env.pop("HTTP_CONTENT_ENCODING", None)
        try:
            head, updates = pushauth.read_commands(body)
        except (ValueError, OSError, zlib.error) as exc:
            return _text(400, f"{exc}: push with git")
        key = pushauth.secret(dep.instance_path, create=True)
        env.update(pushauth.sign(key, pusher, updates))
        body = _Replay(head, body)
    proc = subprocess.Popen(["git", "http-backend"], env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    pump = threading.Thread(target=_pump, args=(body, proc), daemon=True)
    pump.start()
    errors: list[bytes] = []
    drain = threading.Thread(target=lambda: errors.append(proc.stderr.read()), daemon=True)
    drain.start()
    status, headers = _cgi_headers(proc.stdout)
    logger = current_app.logger
    mirrorer = mirrorer_of(current_app) if pusher else None

    def stream():
        finished = False
        try:
            while True:
                chunk = proc.stdout.read1(CHUNK)
                if not chunk:
                    break
                yield chunk
            finished = True
        finally:
            if finished:
                _finish(proc, pump, drain, errors, logger, mirrorer)
            else:  # the client went away: let git (and its hooks) finish their work anyway
                threading.Thread(target=_drain_then_finish, daemon=True,
                                 args=(proc, pump, drain, errors, logger, mirrorer)).start()

    return Response(stream(), status=status, headers=headers, direct_passthrough=True)


class _Replay:
    """The bytes already read (the list of updates), then the rest of the stream."""

    def __init__(self, head: bytes, rest):
        self.head, self.rest = head, rest

    def read(self, n: int) -> bytes:
        if self.head:
            out, self.head = self.head[:n], self.head[n:]
            return out
        return self.rest.read(n)


class _Gunzip:
    """A gzip-compressed request body, read uncompressed (git never compresses a push, other
    clients may); what it gives is bounded like the body itself."""

    def __init__(self, stream):
        self.stream, self.z, self.buffer, self.total = stream, zlib.decompressobj(16 + zlib.MAX_WBITS), b"", 0

    def read(self, n: int) -> bytes:
        while len(self.buffer) < n and not self.z.eof:
            data = self.z.unconsumed_tail or self.stream.read(CHUNK)
            if not data:
                break
            out = self.z.decompress(data, CHUNK)
            self.total += len(out)
            if self.total > MAX_REQUEST_BYTES:
                raise RequestEntityTooLarge()
            self.buffer += out
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out


def _pump(body, proc) -> None:
    """Copy the request body to git's standard input (in a thread: no deadlock with output)."""
    try:
        if body is not None:
            while True:
                chunk = body.read(CHUNK)
                if not chunk:
                    break
                proc.stdin.write(chunk)
    except RequestEntityTooLarge:
        proc.kill()
    except (BrokenPipeError, ConnectionError, OSError, ValueError):
        pass
    finally:
        try:
            proc.stdin.close()
        except OSError:
            pass


def _cgi_headers(out) -> tuple[int, list[tuple[str, str]]]:
    status, headers = 200, []
    while True:
        line = out.readline()
        if not line or line in (b"\r\n", b"\n"):
            break
        name, _, value = line.decode("latin-1").rstrip("\r\n").partition(":")
        value = value.strip()
        if name.lower() == "status":
            try:
                status = int(value.split()[0])
            except (ValueError, IndexError):
                status = 500
        else:
            headers.append((name.strip(), value))
    if not line and not headers:
        status = 500
    return status, headers


def _drain_then_finish(proc, pump, drain, errors, logger, mirrorer) -> None:
    try:
        while proc.stdout.read1(CHUNK):
            pass
    except (OSError, ValueError):
        pass
    _finish(proc, pump, drain, errors, logger, mirrorer)


def _finish(proc, pump, drain, errors, logger, mirrorer) -> None:
    rc = proc.wait()
    pump.join(timeout=5)
    drain.join(timeout=5)
    proc.stdout.close()
    message = b"".join(errors).decode("utf-8", "replace").strip()
    if rc != 0 or message:
        logger.warning("git http-backend exited with %s: %s", rc, message)
    if mirrorer is not None:
        mirrorer.notify()


# -- mirrors: every write of the site reaches them ---------------------------------------------

def mirrorer_of(app) -> mirrors.Mirrorer | None:
    m = app.extensions.get("review.mirrors")
    return m if m is not None and m.remotes else None


def init_app(app) -> None:
    remotes = mirrors.check(app.config.get("MIRRORS") or [])
    dep = app.extensions["review.deployment"]
    m = app.extensions["review.mirrors"] = mirrors.Mirrorer(
        dep.repo_path, remotes, min_delay=float(app.config.get("MIRROR_RETRY_MIN", mirrors.MIN_DELAY)),
        max_delay=float(app.config.get("MIRROR_RETRY_MAX", mirrors.MAX_DELAY)))
    if not remotes:
        return
    m.notify()  # catch up at start: writes made while the server was down, or by commands

    @app.after_request
    def _after_write(resp):
        # Any successful unsafe request may have moved a ref; a push with nothing new is cheap.
        # Git pushes notify when git has finished (in the streamed response, above).
        if (request.method not in ("GET", "HEAD", "OPTIONS") and resp.status_code < 400
                and not request.path.startswith("/plan.git/")):
            m.notify()
        return resp
