"""The site's verdict on its own history: page /integrity, GET /api/v1/integrity, the footer,
and the badges the history, audit and amendment pages put on a commit that breaks a rule.

The core (review/integrity.py) checks again, incrementally, whenever a ref moved; here it
is asked once per request, lazily (a page that shows nothing of it costs nothing).
"""

from __future__ import annotations

import threading

from flask import current_app, g, jsonify, render_template

from .. import integrity
from .. import amendments as am
from .. import reviewlog
from .reading import repo
from . import pagecache

KEY = "review.integrity"


def state() -> integrity.State | None:
    """The state for this request (None if it could not be had: the footer then says nothing)."""
    if "integrity_state" not in g:
        try:
            g.integrity_state = current_app.extensions[KEY].current(repo())
        except Exception:  # noqa: BLE001 - the verdict is a bonus of each page, never its failure
            current_app.logger.exception("no integrity state")
            g.integrity_state = None
            pagecache.uncacheable()  # the footer says nothing this time: not a page to keep
        g.integrity_by_commit = g.integrity_state.by_commit() if g.integrity_state else {}
    return g.integrity_state


def violations_of(commit: str | None) -> list:
    """The violations naming this commit (for a badge)."""
    if not commit:
        return []
    state()
    return g.integrity_by_commit.get(commit, [])


def violations_of_amendment(a) -> list:
    """The violations about an amendment: its log, its branch, its revisions, its merge."""
    s = state()
    if s is None:
        return []
    refs = {reviewlog.amendment_log(a.number), am.branch(a.number)}
    commits = {v.id for v in a.revisions} | ({a.merged_as} if getattr(a, "merged_as", None) else set())
    return [v for v in s.violations if v.ref in refs or (v.commit and v.commit in commits)]


def page():
    return render_template("integrity.html", state=state(), clone_url=None)


def api():
    s = state()
    if s is None:
        return jsonify({"error": "the history could not be verified now: try again"}), 503
    return jsonify(s.as_json())


def init_app(app) -> None:
    dep = app.extensions["review.deployment"]
    monitor = app.extensions[KEY] = integrity.Monitor(dep.repo_path)
    if app.config.get("INTEGRITY_WARM_UP", True):
        # The first check reads everything once (seconds on a long history): do it now, in the
        # background, rather than in the first request (which waits for it only if it comes first).
        def warm():
            try:
                monitor.current(dep.open_repo())
            except Exception:  # noqa: BLE001 - the first request will try again
                app.logger.exception("the first integrity check failed")
        threading.Thread(target=warm, name="integrity-warm-up", daemon=True).start()
    app.jinja_env.globals.update(integrity_state=state, integrity_of=violations_of,
                                 integrity_of_amendment=violations_of_amendment)
