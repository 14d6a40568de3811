"""/search and GET /api/v1/search: thin views over review/search.py.

The index lives in the instance folder; each search catches it up with git first, so a reader
finds what was written a moment ago. Snippets are built here from the core's (text,
highlighted) pieces: every piece is escaped, only our own <mark> is markup.
"""

from __future__ import annotations

from flask import current_app, jsonify, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from .. import comments
from .. import commitment as core
from .. import model, search
from ..errors import Invalid
from . import params
from .errors import ApiError
from .reading import repo

KEY = "review.search"
PER_PAGE = 20
MAX_FILTER = 100  # characters of a filter value (ids are shorter)
TYPE_NAMES = {"commitment": _l("Commitment"), "page": _l("Page of the plan"), "comment": _l("Comment in a discussion"),
              "amendment": _l("Amendment"), "progress": _l("Progress report")}
STATE_NAMES = {"open": _l("open"), "resolved": _l("resolved"), "merged": _l("merged"), "withdrawn": _l("withdrawn"),
               "rejected": _l("rejected")}


def index() -> search.Index:
    return current_app.extensions[KEY]


def marked(pieces) -> Markup:
    return Markup("").join(Markup("<mark>{}</mark>").format(t) if on else escape(t) for t, on in pieces)


def _filters(plan) -> search.Filters:
    values = {}
    for name in ("type", "axis", "theme", "lead", "state", "lang"):
        value = request.args.get(name, "").strip()
        if len(value) > MAX_FILTER:
            raise Invalid("search.filter_long", name=name, n=MAX_FILTER)
        values[name] = value or None
    return search.check_filters(plan, search.Filters(**values))


def _thread_page(cid: str, thread: str | None) -> int:
    """The page of the commitment's discussion that shows a thread (50 threads a page)."""
    from .reading import THREADS_PER_PAGE
    if not thread:
        return 1
    roots = [t.id for t in comments.threads(repo(), cid)]
    return roots.index(thread) // THREADS_PER_PAGE + 1 if thread in roots else 1


def hit_url(h: search.Hit) -> str:
    """Where a hit is: the paragraph (#p-N, in the hit's language), the comment (#c-id) or the report (#r-id)."""
    lang = {"lang": h.lang} if h.type in ("commitment", "page") else {}  # p-N counts in that language's text
    anchor = f"#{h.anchor}" if h.anchor else ""
    if h.type == "page":
        return url_for("plan_page", slug=h.page, **lang) + anchor
    if h.amendment is not None:
        return url_for("amendment", n=h.amendment) + anchor
    if h.type == "comment" and h.commitment:
        page = _thread_page(h.commitment, h.thread)
        return url_for("commitment", cid=h.commitment, **({"page": page} if page > 1 else {})) + anchor
    return url_for("commitment", cid=h.commitment, **lang) + anchor


def _run():
    """(query, filters, results) for the request; a malformed parameter is an ApiError (400)."""
    r = repo()
    plan = core.read_plan(r, core.resolve(r, "main"))
    try:
        filters = _filters(plan)
        page = params.page()
        per_page = params.per_page(PER_PAGE, search.MAX_PER_PAGE)
        results = search.search(index(), r, request.args.get("q", ""), filters, page, per_page)
    except Invalid as exc:
        raise ApiError(400, exc.text or exc.message) from None
    return plan, filters, results


def subject_title(h: search.Hit) -> str:
    """What a comment or a report is about, as its heading: the commitment's title, or the amendment."""
    from flask_babel import gettext as _
    from .i18n import current_lang
    if h.amendment is not None:
        return _("Amendment %(n)s", n=h.amendment)
    r = repo()
    titles = {s.id: s.title_in(current_lang()) for s in core.readable(core.list_commitments(r, core.resolve(r, "main")))}
    return titles.get(h.commitment or "", h.commitment or "")


def _render(plan, q, results=None, error=None, filters=search.Filters(), status=200):
    filter_args = {k: v for k, v in vars(filters).items() if v}
    return render_template("search/search.html", plan=plan, q=q, results=results, error=error, filters=filters,
                           filter_args=filter_args, hit_url=hit_url, marked=marked, subject_title=subject_title, types=search.TYPES,
                           states=search.STATES, languages=model.LANGUAGES, type_names=TYPE_NAMES,
                           state_names=STATE_NAMES), status


def page():
    """The search page: the form alone without a query; the form, a clear message and 400 on a bad one."""
    q = request.args.get("q")
    r = repo()
    plan = core.read_plan(r, core.resolve(r, "main"))
    if q is None or not q.strip():
        return _render(plan, q or "")
    try:
        plan, filters, results = _run()
    except ApiError as exc:
        from .messages import localise
        return _render(plan, q, error=localise(exc.text or exc.message), status=400)
    return _render(plan, q, results, filters=filters)


def api():
    _, filters, results = _run()
    return jsonify({
        "query": results.query, "total": results.total, "more": results.more,
        "page": results.page, "per_page": results.per_page,
        "results": [{
            "type": h.type, "title": h.title, "title_html": str(marked(h.title_marks)),
            "snippet": h.snippet_text(), "snippet_html": str(marked(h.snippet)),
            "url": hit_url(h), "commitment": h.commitment, "amendment": h.amendment, "page": h.page,
            "anchor": h.anchor, "lang": h.lang, "state": h.state, "author": h.author, "time": h.time,
        } for h in results.hits],
    })


def init_app(app) -> None:
    dep = app.extensions["review.deployment"]
    app.extensions[KEY] = search.Index.of(app.config.get("SEARCH_INDEX_DIR") or dep.instance_path)
