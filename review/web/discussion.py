"""Comments on a commitment: the JSON API and the page's forms. Views call review.comments."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import comments
from ..errors import ReviewError
from . import pagecache, params
from .auth import form_write
from .errors import ApiError, api_write, json_object
from .i18n import current_lang
from .reading import repo

PER_PAGE = 50




def _page_args():
    return params.page(), params.per_page(PER_PAGE, 500)


def _amendment_target(n: str):
    """(commitment id, log, main text's revision) of an amendment's discussion."""
    from .. import amendments as am
    from .. import reviewlog
    number = params.amendment_number(n)
    try:
        a = (am.for_write if request.method == "POST" else am.get)(repo(), number)
    except ReviewError as exc:
        raise ApiError(exc.status, exc.text or exc.message) from None
    return a, reviewlog.amendment_log(a.number)


def _listing(cid: str, log: str | None, text_rev: str):
    from .. import commitment as core
    r = repo()
    page, per_page = _page_args()
    roots = comments.threads(r, cid, log)
    lang = request.args.get("lang", "fr")
    try:
        c = core.read_commitment(r, text_rev, cid)
        comments.place(roots, c.body_in(lang), r.blob_id(text_rev, f"commitments/{cid}/{lang}.md"))
    except core.NotFound:
        pass  # an amendment of plan.yaml: comments are on the whole amendment
    chunk = roots[(page - 1) * per_page: page * per_page]
    return jsonify({"commitment": cid, "total": len(roots), "page": page, "per_page": per_page,
                    "comments": [x.as_json() for x in chunk]})


@pagecache.cached
def api_list(cid: str):
    from .. import commitment as core
    r = repo()
    main = core.resolve(r, "main")
    core.read_commitment(r, main, cid)  # 404 for an unknown commitment
    return _listing(cid, None, main)


@pagecache.cached
def api_amendment_list(n: str):
    a, log = _amendment_target(n)
    return _listing(a.commitment, log, a.head)


_ADD_FIELDS = {"body", "rev", "anchor", "quote", "reply_to", "stance", "lang"}


def _api_add(cid: str, log: str | None, default_rev: str | None):
    d = json_object(_ADD_FIELDS)
    c = api_write(comments.add, cid, d.get("body"), rev=d.get("rev") or default_rev, anchor=d.get("anchor"),
              quote=d.get("quote"), reply_to=d.get("reply_to"), stance=d.get("stance"), lang=d.get("lang", "fr"),
              log=log)
    return jsonify(c.as_json()), 201


def api_add(cid: str):
    return _api_add(cid, None, None)


def api_amendment_add(n: str):
    a, log = _amendment_target(n)
    return _api_add(a.commitment, log, a.head)


def _api_act(cid: str, log: str | None, comment_id: str, act: str):
    calls = {"edit": lambda: (comments.edit, (json_object().get("body"),)),
             "resolve": lambda: (comments.resolve, ()), "reopen": lambda: (comments.reopen, ()),
             "hide": lambda: (comments.hide, (json_object().get("reason"),))}
    if act not in calls:
        raise ApiError(404, f"unknown action {act!r}: edit, resolve, reopen or hide")
    fn, extra = calls[act]()
    return jsonify(api_write(fn, cid, comment_id, *extra, log=log).as_json())


def api_edit(cid: str, comment_id: str):
    return _api_act(cid, None, comment_id, "edit")


def api_resolve(cid: str, comment_id: str):
    return _api_act(cid, None, comment_id, "resolve")


def api_reopen(cid: str, comment_id: str):
    return _api_act(cid, None, comment_id, "reopen")


def api_hide(cid: str, comment_id: str):
    return _api_act(cid, None, comment_id, "hide")


def api_amendment_act(n: str, comment_id: str, act: str):
    a, log = _amendment_target(n)
    return _api_act(a.commitment, log, comment_id, act)


# -- the page's forms ---------------------------------------------------------------

def _post(cid: str, log: str | None, back: str, default_rev: str | None):
    from .auth import allowed
    f = request.form
    anchor = f.get("anchor") or None
    if not allowed("reply" if f.get("reply_to") else "comment"):
        return redirect(back)
    c = form_write(comments.add, cid, f.get("body", ""), rev=f.get("rev") or default_rev, anchor=anchor,
                   quote=f.get("quote") or None, reply_to=f.get("reply_to") or None,
                   stance=f.get("stance") or None, lang=current_lang(), log=log)
    if c is None:
        sep = "&" if "?" in back else "?"
        return redirect(back + sep + urlencode({"draft": f.get("body", "")[:2000], "anchor": anchor or ""}) + "#comment-form")
    flash(_("Your comment was published."), "info")
    return redirect(back + f"#c-{c.id}")


def _excerpt(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _confirm_hide(cid: str, log: str | None, back: str, comment_id: str):
    """The second step of hiding a comment, without JavaScript: what will be hidden, and why."""
    f = request.form
    try:
        target = comments.get(repo(), cid, comment_id, log)
    except ReviewError:
        target = None  # the core names what is wrong once confirmed
    kept = [(k, v) for k, v in f.items() if k not in ("csrf_token", "confirm")]
    return render_template(
        "confirm.html", question=_("Hide this comment?"),
        subject=_("Comment by @%(author)s", author=target.author) if target else None,
        excerpt=_excerpt(target.body) if target and not target.hidden else None,
        consequence=_("Its text is no longer shown to anyone; a stub with your reason takes its place. "
                      "It stays in the history."),
        reason=f.get("reason", ""), reason_label=_("Reason for hiding"), action=request.path, kept=kept,
        yes=_("Yes, hide"), back=back + f"#c-{comment_id}")


def _act(cid: str, log: str | None, back: str, comment_id: str, act: str):
    f = request.form
    calls = {"resolve": (comments.resolve, ()), "reopen": (comments.reopen, ()),
             "hide": (comments.hide, (f.get("reason", ""),)), "edit": (comments.edit, (f.get("body", ""),))}
    if act not in calls:
        raise ApiError(404, "unknown action")
    fn, extra = calls[act]
    if act == "hide":
        from .auth import allowed
        if not allowed("hide"):
            return redirect(back + f"#c-{comment_id}")
        if f.get("confirm") != "yes" and f.get("reason", "").strip():
            return _confirm_hide(cid, log, back, comment_id)  # cannot be undone: a second step asks first
    done = form_write(fn, cid, comment_id, *extra, log=log)
    if done is not None:
        messages = {"resolve": _("Thread of @%(author)s resolved.", author=done.author),
                    "reopen": _("Thread of @%(author)s reopened.", author=done.author),
                    "hide": _("Comment by @%(author)s hidden: %(reason)s", author=done.author,
                              reason=(done.hidden or {}).get("reason", "")),
                    "edit": _("Your comment is saved.")}
        flash(messages[act], "info")
    return redirect(back + f"#c-{comment_id}")


def post_comment(cid: str):
    return _post(cid, None, url_for("commitment", cid=cid), None)


def act_on_comment(cid: str, comment_id: str, act: str):
    return _act(cid, None, url_for("commitment", cid=cid), comment_id, act)


def post_amendment_comment(n: str):
    a, log = _amendment_target(n)
    return _post(a.commitment, log, url_for("amendment", n=a.number), a.head)


def act_on_amendment_comment(n: str, comment_id: str, act: str):
    a, log = _amendment_target(n)
    return _act(a.commitment, log, url_for("amendment", n=a.number), comment_id, act)
