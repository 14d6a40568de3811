"""The web application: an app factory, the URL table in `urls.py`, thin views."""

from __future__ import annotations

import os
import time
from pathlib import Path

from flask import Flask, g, request

from ..deployment import Deployment
from . import auth, errors, i18n, security, urls

DEFAULTS = {
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,  # Secure anyway whenever the request came over HTTPS; True: always
    "TRUSTED_PROXIES": 0,           # reverse proxies in front whose X-Forwarded-* headers are believed
    "BABEL_DEFAULT_LOCALE": "fr",
    "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).parent / "translations"),
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "JSON_SORT_KEYS": False,
    "BASE_URL": None,                # the site's public address (published books link back to it); None: the request's
    "PUBLISH_CACHE_BYTES": 256 * 1024 * 1024,  # downloads of published versions kept in DIR/instance/publish-cache
    "CONSULTATION_NOTICE_DAYS": 14,  # the least days between a consultation's announcement and its opening
    "RELEASE_AFTER_SECONDS": 1.0,    # after a request this slow, libgit2's caches and freed memory go back (0: never)
    "RELEASE_AFTER_GROWTH_MB": 16,   # ... and once the worker grew by this much since it last did (0: never)
    "INTEGRITY_CHECK": None,         # "process" (one checker beside the workers), "thread"; None: process, thread if TESTING
    "INTEGRITY_WAIT_SECONDS": 10.0,  # how long a page waits for the checker's verdict on the refs as they are
}


def create_app(deployment_dir: str | os.PathLike | None = None, test_config: dict | None = None) -> Flask:
    """Defaults here, deployment overrides in DIR/instance/config.py, tests pass a dict."""
    config = dict(test_config or {})
    root = deployment_dir or config.get("REVIEW_DIR") or os.environ.get("REVIEW_DIR")
    if not root:
        raise RuntimeError("create_app needs a deployment folder (argument, REVIEW_DIR setting or environment)")
    dep = Deployment.open(root)
    app = Flask(__name__, instance_path=str(dep.instance_path), instance_relative_config=True)
    app.config.update(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(config)
    app.config["REVIEW_DIR"] = str(dep.root)
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError(f"no SECRET_KEY in {dep.instance_path}/config.py")
    release_after = app.config.get("RELEASE_AFTER_SECONDS")
    if isinstance(release_after, bool) or not isinstance(release_after, (int, float)) or not release_after >= 0:
        raise RuntimeError(f"RELEASE_AFTER_SECONDS is {release_after!r} in {dep.instance_path}/config.py: give the "
                           "seconds after which a slow request gives memory back (a number such as 1.0; 0: never)")
    release_growth = app.config.get("RELEASE_AFTER_GROWTH_MB")
    if isinstance(release_growth, bool) or not isinstance(release_growth, (int, float)) or not release_growth >= 0:
        raise RuntimeError(f"RELEASE_AFTER_GROWTH_MB is {release_growth!r} in {dep.instance_path}/config.py: give "
                           "the megabytes a worker may grow by before it gives memory back (a number such as 16; "
                           "0: never)")
    app.extensions["review.deployment"] = dep

    i18n.install_babel(app)
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    security.init_app(app)
    i18n.init_app(app)
    errors.init_app(app)
    auth.init_app(app)
    urls.register(app)
    _repair(app, dep)

    @app.before_request
    def _clock():
        g.review_started = time.perf_counter()

    @app.teardown_request
    def _release(_exc):
        # a request that took long read much (a first audit log, a plan read from git): what it
        # left in libgit2's caches and in malloc's free lists goes back, so a worker's memory
        # does not keep the peak of its slowest request
        # ...and so does a worker that grew by RELEASE_AFTER_GROWTH_MB over many short requests
        # (a person's first "for you" on a big plan reads its logs 50 ms per page)
        from .reading import grew_by, release_memory
        limit, started = release_after, g.get("review_started")
        slow = bool(limit) and started is not None and time.perf_counter() - started > limit
        if slow or (release_growth and grew_by(int(release_growth * 1024 * 1024))):
            try:
                release_memory()
            except Exception:  # noqa: BLE001 - memory given back later, never a failed request
                app.logger.exception("could not release the repository's caches")

    @app.after_request
    def _headers(resp):
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        if request.path.startswith("/api/") and "Access-Control-Allow-Origin" not in resp.headers:
            resp.headers["Access-Control-Allow-Origin"] = "*"
        return resp

    return app


def _repair(app: Flask, dep) -> None:
    """At start: record the merges whose event did not reach their log (the process stopped
    between the two writes); never keeps the site from starting."""
    from .. import amendments
    try:
        repaired = amendments.repair_merges(dep.open_repo())
    except Exception:  # noqa: BLE001 - the next write to the amendment repairs it too
        app.logger.exception("could not repair unrecorded merges at start")
        return
    if repaired:
        app.logger.warning("recorded the merge of amendment(s) %s, missing from their logs",
                           ", ".join(map(str, repaired)))
