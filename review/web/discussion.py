"""Comments on a commitment: the JSON API and the page's forms. Views call review.comments."""

from __future__ import annotations

from flask import flash, g, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from .. import comments
from ..errors import ReviewError
from .errors import ApiError
from .i18n import current_lang
from .reading import repo

PER_PAGE = 50


def _json_body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "send a JSON object in the body, with Content-Type: application/json")
    return data


def _core(fn, *args, **kwargs):
    """Run a core write; its error becomes a JSON answer with the matching status."""
    if g.person is None:
        raise ApiError(401, "sign in first: send 'Authorization: Bearer <token>'")
    try:
        return fn(repo(), g.person, *args, **kwargs)
    except ReviewError as exc:
        raise ApiError(exc.status, exc.message) from None


def _page_args():
    try:
        page = int(request.args.get("page", 1))
        per_page = int(request.args.get("per_page", PER_PAGE))
    except ValueError:
        raise ApiError(400, "page and per_page must be whole numbers") from None
    if page < 1 or not 1 <= per_page <= 500:
        raise ApiError(400, "page starts at 1; per_page goes from 1 to 500")
    return page, per_page


def api_list(cid: str):
    from .. import commitment as core
    r = repo()
    main = core.resolve(r, "main")
    c = core.read_commitment(r, main, cid)
    page, per_page = _page_args()
    roots = comments.threads(r, cid)
    lang = request.args.get("lang", "fr")
    comments.place(roots, c.body_in(lang), r.blob_id(main, f"commitments/{cid}/{lang}.md"))
    chunk = roots[(page - 1) * per_page: page * per_page]
    return jsonify({"commitment": cid, "total": len(roots), "page": page, "per_page": per_page,
                    "comments": [x.as_json() for x in chunk]})


def api_add(cid: str):
    d = _json_body()
    unknown = set(d) - {"body", "rev", "anchor", "quote", "reply_to", "stance", "lang"}
    if unknown:
        raise ApiError(400, f"unknown fields: {', '.join(sorted(unknown))}")
    c = _core(comments.add, cid, d.get("body"), rev=d.get("rev"), anchor=d.get("anchor"), quote=d.get("quote"),
              reply_to=d.get("reply_to"), stance=d.get("stance"), lang=d.get("lang", "fr"))
    return jsonify(c.as_json()), 201


def api_edit(cid: str, comment_id: str):
    return jsonify(_core(comments.edit, cid, comment_id, _json_body().get("body")).as_json())


def api_resolve(cid: str, comment_id: str):
    return jsonify(_core(comments.resolve, cid, comment_id).as_json())


def api_reopen(cid: str, comment_id: str):
    return jsonify(_core(comments.reopen, cid, comment_id).as_json())


def api_hide(cid: str, comment_id: str):
    return jsonify(_core(comments.hide, cid, comment_id, _json_body().get("reason")).as_json())


# -- the page's forms ---------------------------------------------------------------

class CommentForm(FlaskForm):
    """CSRF only: the fields are checked by the core, which says what is wrong."""


def _back(cid: str, anchor: str | None = None):
    return redirect(url_for("commitment", cid=cid) + (f"#{anchor}" if anchor else "#comments"))


def _form_core(cid: str, fn, *args, **kwargs):
    from .auth import require
    require("comment")
    try:
        return fn(repo(), g.person, cid, *args, **kwargs)
    except ReviewError as exc:
        flash(exc.message, "error")
        return None


def post_comment(cid: str):
    f = request.form
    anchor = f.get("anchor") or None
    c = _form_core(cid, comments.add, f.get("body", ""), rev=f.get("rev") or None, anchor=anchor,
                   quote=f.get("quote") or None, reply_to=f.get("reply_to") or None,
                   stance=f.get("stance") or None, lang=current_lang())
    if c is None:
        return redirect(url_for("commitment", cid=cid, draft=f.get("body", "")[:2000], anchor=anchor or "") + "#comment-form")
    flash(_("Your comment was published."), "info")
    return redirect(url_for("commitment", cid=cid) + f"#c-{c.id}")


def act_on_comment(cid: str, comment_id: str, act: str):
    f = request.form
    calls = {"resolve": (comments.resolve, ()), "reopen": (comments.reopen, ()),
             "hide": (comments.hide, (f.get("reason", ""),)), "edit": (comments.edit, (f.get("body", ""),))}
    if act not in calls:
        raise ApiError(404, "unknown action")
    fn, extra = calls[act]
    if _form_core(cid, fn, comment_id, *extra) is not None:
        flash(_("Done."), "info")
    return redirect(url_for("commitment", cid=cid) + f"#c-{comment_id}")
