""""For you" (/for-you): what waits for the signed-in person, and its count in the header."""

from __future__ import annotations

from flask import g, jsonify, render_template

from .. import commitment as core
from .. import audit, foryou
from ..errors import ReviewError
from .auth import require_signed_in
from .errors import ApiError
from .i18n import current_lang
from .reading import audit_store, repo
from . import pagecache


def _acted_in(r, most: int | None = None):
    """The logs a person wrote in, from the audit file (review/auditindex.py); with `most`, only
    when the file needs at most that many logs read first (the header's count has 50 ms: a
    file to fill on a big plan is for the warm-up or the /for-you page, not any page's header)."""
    return lambda handle: audit.logs_acted_in(r, audit_store(), handle, most)


@pagecache.cached
def page():
    require_signed_in()
    r = repo()
    data = foryou.for_person(r, g.person, acted_in=_acted_in(r))
    main = core.resolve(r, "main")
    lang = current_lang()
    titles = {s.id: f"{s.number}. {s.title_in(lang)}" for s in core.list_commitments(r, main)}
    return render_template("people/for_you.html", fy=data, plan=core.read_plan(r, main), titles=titles)


@pagecache.cached
def api():
    if g.get("person") is None:
        raise ApiError(401, "send Authorization: Bearer <token> to read what waits for you")
    return jsonify(foryou.for_person(repo(), g.person, acted_in=_acted_in(repo())).as_json())


def count() -> int | None:
    """The header's count: None when nobody is signed in or the repository cannot be read."""
    person = g.get("person")
    if person is None:
        return None
    try:
        return foryou.for_person(repo(), person, budget=HEADER_BUDGET,
                                 acted_in=_acted_in(repo(), HEADER_LOGS)).count
    except foryou.OutOfTime:  # a fresh worker on a big plan: the count shows after a few pages
        pagecache.uncacheable()
        return None
    except (ReviewError, LookupError, OSError):
        pagecache.uncacheable()
        return None


HEADER_BUDGET = 0.05  # seconds the header's count may spend reading logs on one page
HEADER_LOGS = 50  # logs the header's count may read into the audit file first


def init_app(app) -> None:
    app.add_template_global(count, "for_you_count")
