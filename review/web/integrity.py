"""The site's verdict on its own history: page /integrity, GET /api/v1/integrity, the footer,
and the badges the history, audit and amendment pages put on a commit that breaks a rule.

The core (review/integrity.py) checks again, incrementally, whenever a ref moved; here it
is asked once per request, lazily (a page that shows nothing of it costs nothing). Where it
checks (INTEGRITY_CHECK): "process", one checker process per deployment beside the workers,
whose verdict each worker reads (review/integrityd.py: the workers hold none of what the check
remembers); "thread", in each web process. Default: "process", "thread" under TESTING.
"""

from __future__ import annotations

import threading

from flask import current_app, g, jsonify, render_template

from .. import integrity, integrityd
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
        except TimeoutError as exc:  # the checker process is still at it: this page says nothing of it
            current_app.logger.warning("no integrity state: %s", exc)
            g.integrity_state = None
            pagecache.uncacheable()
        except Exception:  # noqa: BLE001 - the verdict is a bonus of each page, never its failure
            current_app.logger.exception("no integrity state")
            g.integrity_state = None
            pagecache.uncacheable()  # the footer says nothing this time: not a page to keep
        g.integrity_by_commit = g.integrity_state.by_commit() if g.integrity_state else {}
    return g.integrity_state


def warm_up(seconds: float = 900.0) -> None:
    """The first verdict, before the workers serve (review/web/reading.py warm_up): with the
    checker process, wait for its first full check (up to `seconds`), not a page's few seconds."""
    ext = current_app.extensions[KEY]
    if isinstance(ext, integrityd.Shared):
        try:
            ext.current(repo(), wait=seconds)
        except TimeoutError as exc:
            current_app.logger.warning("warm-up: no integrity verdict after %.0f s (%s)", seconds, exc)
    else:
        state()


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


MODES = ("process", "thread")


def mode(app) -> str:
    chosen = app.config.get("INTEGRITY_CHECK") or ("thread" if app.testing else "process")
    if chosen not in MODES:
        raise RuntimeError(f"INTEGRITY_CHECK is {chosen!r} in {app.instance_path}/config.py: give \"process\" (one "
                           "checker process beside the workers) or \"thread\" (in each web process)")
    return chosen


def init_app(app) -> None:
    dep = app.extensions["review.deployment"]
    wait = app.config.get("INTEGRITY_WAIT_SECONDS", 10.0)
    if isinstance(wait, bool) or not isinstance(wait, (int, float)) or not wait >= 0:
        raise RuntimeError(f"INTEGRITY_WAIT_SECONDS is {wait!r} in {app.instance_path}/config.py: give the seconds "
                           "a page waits for the integrity checker's verdict (a number such as 10)")
    if mode(app) == "process":
        shared = app.extensions[KEY] = integrityd.Shared(dep.repo_path, dep.instance_path, wait)
        if app.config.get("INTEGRITY_WARM_UP", True):
            shared.ensure_running()  # its first check (seconds on a long history) starts now
    else:
        _in_process(app, dep)
    app.jinja_env.globals.update(integrity_state=state, integrity_of=violations_of,
                                 integrity_of_amendment=violations_of_amendment)


def _in_process(app, dep) -> None:
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
