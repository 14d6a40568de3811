"""Comparing two versions of the plan or of one commitment: /compare, a commitment's
/commitments/<cid>/diff, and GET /api/v1/compare (review/compare.py does the work)."""

from __future__ import annotations

import datetime as dt

from flask import jsonify, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from .. import commitment as core
from .. import compare, model
from . import params
from ..errors import Message
from .errors import ApiError
from .i18n import current_lang
from .reading import _version, cached_page, repo

CONTEXT = 1  # paragraphs shown around each change

STATUS_NAMES = {"added": _l("added"), "removed": _l("removed"), "changed": _l("changed")}
KIND_NAMES = {"commitment": _l("Commitment"), "page": _l("Page"), "plan": _l("The plan's settings")}
_FIELD_NAMES = {
    "title": _l("Title (%(lang)s)"),
    "number": _l("Number"),
    "axis": _l("Axis"),
    "theme": _l("Theme"),
    "leads": _l("Lead administrations"),
    "parts": _l("Parts"),
    "section": _l("Section"),
    "position": _l("Position"),
    "glossary": _l("Glossary"),
    "milestone": _l("Milestone “%(label)s”"),
    "milestone.title": _l("Title of milestone “%(label)s” (%(lang)s)"),
    "milestone.due": _l("Due date of milestone “%(label)s”"),
    "milestone.lead": _l("Lead of milestone “%(label)s”"),
    "plan": _l("plan.yaml: %(label)s"),
}


def field_name(f: compare.FieldChange) -> str:
    template = _FIELD_NAMES.get(f.field)
    if template is None:
        return f.field
    return str(template) % {"lang": f.lang or "", "label": f.label or f.milestone or ""}


def _named(which: str):
    """(the name as given, the commit) of `from` or `to`; a day is named @YYYY-MM-DD."""
    value = params.version(which)
    if value is None:
        return None, None
    commit = compare.resolve(repo(), value)
    return (f"@{value.isoformat()}" if isinstance(value, dt.date) else value), commit


def _choices():
    """What the form offers to pick: published versions (tags), newest first."""
    return [(t.name, t.time) for t in repo().tags()][:50]


def _commitment_param() -> str | None:
    cid = request.args.get("commitment", "").strip()
    if not cid:
        return None
    if not model.valid_id(cid):
        raise ApiError(400, Message("param.commitment"))
    return cid


def _exists_at_either(r, old: str, new: str, cid: str) -> None:
    """A 404 for a commitment found at neither revision (not "nothing changed")."""
    if r.blob_id(old, model.commitment_path(cid)) is None and r.blob_id(new, model.commitment_path(cid)) is None:
        raise core.NotFound("notfound.commitment_either", cid=repr(cid))


def _changes(old: str, new: str, cid: str | None) -> compare.Comparison:
    r = repo()
    if cid is None:
        return compare.compare(r, old, new)
    _exists_at_either(r, old, new, cid)
    ch = compare.commitment_change(r, old, new, cid)
    return compare.Comparison(old, new, [ch] if ch else [], 0 if ch else 1)


def _render(old_name, old, new_name, new, cid, source: bool):
    lang = current_lang()
    result = _changes(old, new, cid) if old and new else None
    shown = []
    coarse = False
    for ch in (result.changes if result else []):
        prose = ch.prose.get(lang) or ch.prose.get(model.AUTHORITATIVE)
        body = None
        if prose is not None:
            coarse = coarse or prose.segments.coarse
            body = Markup(compare.source_diff(prose.segments) if source
                          else compare.rendered_diff(prose.segments, context=CONTEXT))
        shown.append((ch, [(field_name(f), f) for f in ch.fields], body, prose))
    return render_template(
        "plan/compare.html", result=result, shown=shown, source=source, coarse=coarse, commitment=cid,
        old=_version(old_name, old) if old else None, new=_version(new_name, new) if new else None,
        from_value=old_name or "", to_value=new_name or "", choices=_choices(),
        status_names=STATUS_NAMES, kind_names=KIND_NAMES)


def _source_view() -> bool:
    view = request.args.get("view", "rendered")
    if view not in ("rendered", "source"):
        raise ApiError(400, Message("param.view"))
    return view == "source"


@cached_page
def compare_page():
    """/compare?from=&to=[&commitment=][&view=source]: the form alone until both are given."""
    source = _source_view()
    cid = _commitment_param()
    old_name, old = _named("from")
    new_name, new = _named("to")
    return _render(old_name, old, new_name, new, cid, source)


@cached_page
def commitment_diff(cid: str):
    """One commitment's changes: by default the last change of `to` (main), as its history links it."""
    r = repo()
    source = _source_view()
    new_name, new = _named("to")
    if new is None:
        new_name, new = "main", core.resolve(r, "main")
    old_name, old = _named("from")
    if old is None:
        parents = r.commit_info(new).parents
        old = parents[0] if parents else new
    if not model.valid_id(cid):
        raise core.NotFound("notfound.commitment", cid=repr(cid))
    _exists_at_either(r, old, new, cid)
    return _render(old_name, old, new_name, new, cid, source)


def api_compare():
    """GET /api/v1/compare?from=&to=[&commitment=][&text=0]"""
    old_name, old = _named("from")
    new_name, new = _named("to")
    if old is None or new is None:
        raise ApiError(400, Message("param.from_to"))
    text = request.args.get("text", "1")
    if text not in ("0", "1"):
        raise ApiError(400, Message("param.text"))
    out = _changes(old, new, _commitment_param()).as_json(with_text=text == "1")
    out["from_name"], out["to_name"] = old_name, new_name
    for ch in out["changes"]:
        if ch["kind"] == "commitment":
            ch["url"] = url_for("commitment", cid=ch["id"], rev=new)
        elif ch["kind"] == "page":
            ch["url"] = url_for("plan_page", slug=ch["id"], rev=new)
    return jsonify(out)
