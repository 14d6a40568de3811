"""Watching and notifications (issue 18): /notifications, the header's unread count, the
watch buttons of commitments, amendments, axes and the plan, and their JSON API. Thin views
over review/notifications.py (the file lives in the instance folder)."""

from __future__ import annotations

from flask import current_app, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import commitment as core
from .. import notifications as notes
from ..errors import Message, ReviewError
from .auth import require_signed_in
from .security import safe_next
from .errors import ApiError, json_object
from .messages import localise
from .reading import repo
from . import pagecache

PER_PAGE = 30
KIND_NAMES = {
    "reply": _l("New comment"), "mention": _l("You were mentioned"), "amendment": _l("New amendment"),
    "revision": _l("New revision"), "approval": _l("Approval"), "objection": _l("Objection"),
    "merge": _l("Merged into the plan"), "report": _l("Progress report"), "contest": _l("Progress report contested"),
    "consultation": _l("Consultation announced"),
}
WHY_NAMES = {"lead": _l("your organisation leads it"), "author": _l("you proposed it"),
             "signatory": _l("your approval is awaited")}


def _dep():
    return current_app.extensions["review.deployment"]


def _core(fn, *args, **kwargs):
    """A core call whose refusal becomes an ApiError (JSON for the API, a page otherwise)."""
    try:
        return fn(*args, **kwargs)
    except ReviewError as exc:
        raise ApiError(exc.status, exc.text or exc.message) from None


def _cursor(name: str = "before") -> int | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 18 or int(value) < 1:
        raise ApiError(400, Message("notification.bad_cursor", name=name))
    return int(value)


def _limit(default: int) -> int:
    value = request.args.get("limit", "").strip()
    if not value:
        return default
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= notes.MAX_PAGE:
        raise ApiError(400, Message("param.number", name="limit", n=notes.MAX_PAGE))
    return int(value)


def _people():
    r = repo()
    return core.read_plan(r, core.resolve(r, "main")).people


# -- pages ----------------------------------------------------------------------------------

def page():
    require_signed_in()
    result = _core(notes.list_for, _dep(), g.person.handle, _cursor(), _limit(PER_PAGE), repo=repo())
    return render_template("notifications/list.html", page=result, kind_names=KIND_NAMES, people=_people(),
                           first=request.args.get("before") is None)


def follow(note_id: int):
    """A notification's link: marks it read and goes to the thing (another's is a 404)."""
    require_signed_in()
    n = _core(notes.get, _dep(), g.person.handle, note_id)
    notes.mark_read(_dep(), g.person.handle, [n.id])
    return redirect(_target(n))


def _target(n: notes.Notification) -> str:
    """The notification's path; a comment in a discussion of many threads is on a later page."""
    path = n.path
    if path.startswith("/commitments/") and n.thread.startswith("comment/") and "#" in path:
        from .search import _thread_page
        cid = path.split("/")[2].split("#")[0]
        try:
            page_no = _thread_page(cid, n.thread.split("/", 1)[1])
        except ReviewError:
            page_no = 1
        if page_no > 1:
            base, _, anchor = path.partition("#")
            path = f"{base}?page={page_no}#{anchor}"
    return path


def mark_read_form():
    """The page's "mark all read" (or one notification's "mark read") button."""
    require_signed_in()
    one = request.form.get("id", "").strip()
    if one:
        if not one.isascii() or not one.isdigit() or len(one) > 18:
            flash(localise(Message("notification.bad_id")), "error")
        else:
            notes.mark_read(_dep(), g.person.handle, [int(one)])
    else:
        n = notes.mark_read(_dep(), g.person.handle, everything=True)
        flash(_("All your notifications are marked read.") if n else _("Nothing was unread."), "success")
    return redirect(url_for("notifications_page"))


def watch_form():
    """A page's "Watch" / "Stop watching" button: subject, watch (1 or 0), next."""
    require_signed_in()
    subject = request.form.get("subject", "")
    value = request.form.get("watch", "")
    back = safe_next(request.form.get("next"), url_for("index"))
    if value not in ("0", "1"):
        flash(localise(Message("watch.bad_value")), "error")
        return redirect(back)
    try:
        w = notes.set_watch(_dep(), g.person, subject, value == "1", repo=repo())
    except ReviewError as exc:
        flash(localise(exc), "error")
        return redirect(back)
    flash(_("You now watch this: its news reach your notifications.") if w.watch
          else _("You no longer watch this."), "success")
    return redirect(back)


def watch_state(subject: str):
    """For a page's button: the signed-in person's Watch on this subject (None when signed out)."""
    person = g.get("person")
    if person is None:
        return None
    try:
        return notes.watch_state(_dep(), person, subject, repo=repo())
    except (ReviewError, LookupError, OSError):
        pagecache.uncacheable()
        return None


def count() -> int | None:
    """The header's unread count: None when nobody is signed in or it cannot be read."""
    person = g.get("person")
    if person is None:
        return None
    try:
        return notes.unread_count(_dep(), person.handle, repo=repo())
    except (ReviewError, LookupError, OSError):
        current_app.logger.exception("could not count the unread notifications")
        pagecache.uncacheable()
        return None


# -- API ------------------------------------------------------------------------------------

def _signed_in_api():
    if g.get("person") is None:
        raise ApiError(401, "send Authorization: Bearer <token> to read your notifications")
    return g.person


def _as_json(n: notes.Notification) -> dict:
    return {"id": n.id, "kind": n.kind, "time": n.time, "actor": n.actor, "event": n.event, "thread": n.thread,
            "path": n.path, "url": url_for("follow_notification", note_id=n.id), "title": n.title,
            "excerpt": n.excerpt, "read": n.read}


def api_list():
    person = _signed_in_api()
    result = _core(notes.list_for, _dep(), person.handle, _cursor(), _limit(PER_PAGE), repo=repo())
    return jsonify({"unread": result.unread, "notifications": [_as_json(n) for n in result.items],
                    "next": result.next})


def api_read():
    person = _signed_in_api()
    data = json_object({"ids", "all"})
    if data.get("all") is True and "ids" not in data:
        changed = notes.mark_read(_dep(), person.handle, everything=True)
    elif "all" in data and data["all"] is not False:
        raise ApiError(400, "all must be true (or leave it out and give ids)")
    else:
        changed = _core(notes.mark_read, _dep(), person.handle, data.get("ids"))
    return jsonify({"marked": changed, "unread": notes.unread_count(_dep(), person.handle, repo=repo())})


def api_watches():
    person = _signed_in_api()
    return jsonify({"watches": [w.as_json() for w in notes.watches(_dep(), person, repo=repo())]})


def api_watch():
    person = _signed_in_api()
    data = json_object({"subject", "watch"})
    if "subject" not in data or "watch" not in data:
        raise ApiError(400, "send subject (plan, commitment/<id>, amendment/<number> or axis/<id>) and watch "
                            "(true or false)")
    w = _core(notes.set_watch, _dep(), person, data["subject"], data["watch"], repo=repo())
    return jsonify(w.as_json())


def init_app(app) -> None:
    app.add_template_global(count, "notifications_count")
    app.add_template_global(watch_state, "watch_state")
    app.add_template_global(WHY_NAMES, "watch_why_names")
