"""Audit pages: the plan's history with approvals, blame per paragraph, the audit log and its
exports, and the same data in the API. Views are thin: review.audit reads everything."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Response, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from .. import audit, cursors
from .. import commitment as core
from .. import eventschema, render
from ..errors import ReviewError
from . import pagecache, params
from .errors import ApiError
from .i18n import current_lang
from .reading import _rev, _version, audit_store, repo

PER_PAGE = 100


def _filters() -> audit.Filters:
    try:
        return audit.parse_filters(request.args)
    except ReviewError as exc:
        raise ApiError(exc.status, exc.text or exc.message) from None


def _page(items: list, default: int = PER_PAGE) -> audit.Page:
    try:
        return audit.paginate(items, request.args.get("page"), request.args.get("per_page"), default)
    except ReviewError as exc:
        raise ApiError(exc.status, exc.text or exc.message) from None


@dataclass
class CursorPage:
    """A page of a list read with a cursor (`?after=&limit=`, review/cursors.py): no total, a next link."""

    items: list
    next: str | None
    limit: int
    after: str | None


def _cursor_mode(api: bool) -> bool:
    """Cursors unless the request asks for numbered pages: pages use them by default, the API
    when `after` or `limit` is given (its numbered pages stay as they were, with `next` added)."""
    args = request.args
    if "after" in args or "limit" in args:
        return True
    return not api and "page" not in args and "per_page" not in args


def _cursor_args(shape: tuple) -> tuple[tuple | None, int]:
    try:
        return cursors.decode(request.args.get("after"), shape), cursors.limit(request.args.get("limit"))
    except ReviewError as exc:
        raise ApiError(exc.status, exc.text or exc.message) from None


def _choices(r, main: str) -> dict:
    """People, organisations and commitments of the plan as it stands, for the filter forms."""
    plan = core.read_plan(r, main)
    return {"plan": plan, "people": sorted(plan.people.values(), key=lambda p: p.name),
            "organisations": sorted(plan.organisations.values(), key=lambda o: o.label(current_lang())),
            "commitments": core.list_commitments(r, main)}


# -- the plan's history -------------------------------------------------------------------

def _history_cursor_page(r, f, commit) -> CursorPage:
    after, limit = _cursor_args((str,))
    try:
        items, nxt = audit.history_page(r, f, commit, after[0] if after else None, limit)
    except ReviewError as exc:
        raise ApiError(exc.status, exc.text or exc.message) from None
    return CursorPage(items, nxt, limit, request.args.get("after"))


def _next_of(page: audit.Page, key) -> str | None:
    """The cursor that continues after a numbered page (None on the last one)."""
    if page.page >= page.pages or not page.items:
        return None
    return cursors.encode(key(page.items[-1]))


@pagecache.cached
def history_page():
    f = _filters()
    name, commit = _rev()
    r = repo()
    page = _history_cursor_page(r, f, commit) if _cursor_mode(False) else _page(audit.history(r, f, commit))
    return render_template("audit/history.html", page=page, filters=f, args=f.as_args(),
                           version=_version(name, commit), rev=name, **_choices(r, core.resolve(r, "main")))


@pagecache.cached
def api_history():
    f = _filters()
    r = repo()
    commit = core.resolve(r, params.rev())
    if _cursor_mode(True):
        cp = _history_cursor_page(r, f, commit)
        return jsonify({"revision": commit, "filters": f.as_args(), "limit": cp.limit, "next": cp.next,
                        "changes": [c.as_json() for c in cp.items]})
    page = _page(audit.history(r, f, commit))
    return jsonify({"revision": commit, "filters": f.as_args(), "page": page.page, "per_page": page.per_page,
                    "total": page.total, "pages": page.pages, "next": _next_of(page, lambda c: (c.commit,)),
                    "changes": [c.as_json() for c in page.items]})


# -- blame ----------------------------------------------------------------------------------

@pagecache.cached
def blame_page(cid: str):
    name, commit = _rev()
    r = repo()
    c = core.read_commitment(r, commit, cid)
    lang, shaped = audit.blame(r, cid, commit, current_lang())
    return render_template("audit/blame.html", c=c, rows=_beside(c.body_in(lang), shaped), shown_lang=lang,
                           plan=core.read_plan(r, commit), version=_version(name, commit), rev=name)


def _beside(text: str, shaped: list) -> list[tuple[str, Markup, list, bool]]:
    """(anchor, rendered block, [(change, paragraph numbers)], several paragraphs?) per rendered block:
    a list holds one paragraph per item; footnotes, rendered last, take the paragraphs left over."""
    by_anchor = {s.anchor: s for s in shaped}
    rows, covered = [], set()
    for block in render.render_blocks(text):
        covered.update(block.anchors)
        rows.append([block.anchors[0] if block.anchors else "", Markup(block.html),
                     [by_anchor[a] for a in block.anchors if a in by_anchor]])
    left = [s for s in shaped if s.anchor not in covered]
    if left and rows and not rows[-1][2]:
        rows[-1][0], rows[-1][2] = left[0].anchor, left
    out = []
    for anchor, html, items in rows:
        changes: dict[str, tuple] = {}
        for s in items:
            changes.setdefault(s.change.commit, (s.change, []))[1].append(int(s.anchor[2:]))
        out.append((anchor, html, list(changes.values()), len(items) > 1))
    return out


# -- the audit log --------------------------------------------------------------------------

def _rows():
    return audit.audit_log(repo(), _filters(), audit_store())


def _audit_cursor_page(r, f) -> CursorPage:
    after, limit = _cursor_args(audit.AUDIT_CURSOR)
    items, nxt = audit.audit_page(r, f, after, limit, audit_store())
    return CursorPage(items, nxt, limit, request.args.get("after"))


def _row_key(row) -> tuple:
    return (row.time, row.log, row.seq)


@pagecache.cached
def audit_page():
    f = _filters()
    r = repo()
    page = _audit_cursor_page(r, f) if _cursor_mode(False) else _page(audit.audit_log(r, f, audit_store()))
    return render_template("audit/log.html", page=page, filters=f, args=f.as_args(),
                           types=sorted([*eventschema.SCHEMAS, audit.VERSION_PUBLISHED]), event_names=_event_names(), **_choices(r, core.resolve(r, "main")))


def verify_page():
    """How an auditor clones the plan, runs `review verify` and keeps a witness copy."""
    return render_template("audit/verify.html", clone_url=url_for("git_about", _external=True))


def export_csv():
    rows = _rows()
    return Response(audit.to_csv(rows), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'})


def export_json():
    f = _filters()
    rows = audit.audit_log(repo(), f, audit_store())
    resp = jsonify({"columns": list(audit.COLUMNS), "filters": f.as_args(), "total": len(rows),
                    "events": [row.as_json() for row in rows]})
    resp.headers["Content-Disposition"] = 'attachment; filename="audit-log.json"'
    return resp


@pagecache.cached
def api_audit():
    f = _filters()
    if _cursor_mode(True):
        cp = _audit_cursor_page(repo(), f)
        return jsonify({"columns": list(audit.COLUMNS), "filters": f.as_args(), "limit": cp.limit, "next": cp.next,
                        "events": [row.as_json() for row in cp.items]})
    page = _page(audit.audit_log(repo(), f, audit_store()))
    return jsonify({"columns": list(audit.COLUMNS), "filters": f.as_args(), "page": page.page,
                    "per_page": page.per_page, "total": page.total, "pages": page.pages,
                    "next": _next_of(page, _row_key), "events": [row.as_json() for row in page.items]})


def _event_names() -> dict[str, str]:
    return {
        "unreadable": _("unreadable log (damaged repository)"),
        "comment": _("comment"), "comment-edit": _("comment edited"), "comment-resolve": _("thread resolved"),
        "comment-reopen": _("thread reopened"), "comment-hide": _("comment hidden"),
        "progress-report": _("progress report"), "progress-hide": _("report hidden"),
        "amendment-open": _("amendment opened"), "amendment-revise": _("new revision"),
        "amendment-update": _("updated with the plan"), "amendment-withdraw": _("amendment withdrawn"),
        "amendment-reopen": _("amendment reopened"), "amendment-reject": _("amendment rejected"),
        "amendment-merge": _("amendment merged"), "approval": _("verdict on a revision"),
        "amendment-merge-repair": _("merge recorded after the fact"),
        audit.VERSION_PUBLISHED: _("version published"),
    }
