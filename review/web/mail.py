"""E-mail on the site: one's address, language and preferences on one's profile, the link that
confirms an address, and the signed one-click unsubscribe (RFC 8058). Nothing is sent here: a
request at most puts the confirmation message in the outbox, and `review notify` sends it."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length

from .. import mailer, mailprefs
from ..errors import ReviewError
from ..notifications import KINDS
from ..permissions import Subject
from .auth import require
from .messages import localise

KIND_NAMES = {
    "reply": _l("Replies to what you wrote"),
    "mention": _l("Mentions of you (@handle)"),
    "amendment": _l("New amendments"),
    "revision": _l("New revisions of amendments"),
    "approval": _l("Approvals"),
    "objection": _l("Objections"),
    "merge": _l("Amendments merged into the plan"),
    "report": _l("Progress reports"),
    "contest": _l("Contested progress reports"),
    "consultation": _l("Consultations of the public announced"),
}
MODE_NAMES = {"now": _l("at once"), "daily": _l("in a daily digest"), "never": _l("never")}


class AddressForm(FlaskForm):
    address = StringField("address", validators=[Length(max=mailprefs.MAX_ADDRESS)])
    lang = StringField("lang", validators=[Length(max=2)])


class PrefsForm(FlaskForm):
    """Only its CSRF token: the kinds are read from request.form and checked by the core."""


def prefs() -> mailprefs.MailPrefs:
    return mailprefs.MailPrefs(current_app.extensions["review.deployment"].instance_path)


def settings() -> mailer.Settings:
    """The mail settings of the app; links start with BASE_URL, or this request's address."""
    values = dict(current_app.config)
    values["BASE_URL"] = values.get("BASE_URL") or request.host_url.rstrip("/")
    return mailer.check_settings(values, values.get("SECRET_KEY"), current_app.extensions["review.deployment"].root)


def profile_context(handle: str) -> dict:
    """What the profile shows its owner (and nobody else) about their e-mail."""
    return {"mail": prefs().get(handle), "mail_kinds": [(k, KIND_NAMES[k]) for k in KINDS],
            "mail_modes": MODE_NAMES, "address_form": AddressForm(), "prefs_form": PrefsForm()}


def _back(handle: str):
    return redirect(url_for("profile", handle=handle) + "#email-title")


def set_address(handle: str):
    """Address and language of one's messages; a new address is sent its confirmation link."""
    require("manage_account", Subject(owner=handle))
    form = AddressForm()
    if not form.validate_on_submit():
        flash(_("The form expired or was sent from elsewhere: please try again.") if form.csrf_token.errors
              else _("The address is too long."), "error")
        return _back(handle)
    try:
        store = prefs()
        if (form.address.data or "").strip():
            mailprefs.check_address(form.address.data)  # a wrong address changes nothing, not even the language
        store.set_lang(handle, form.lang.data or "fr")
        before = store.get(handle)
        pending = store.set_address(handle, form.address.data or "")
        if pending:
            mailer.queue_confirmation(current_app.extensions["review.deployment"], settings(), handle, pending,
                                      form.lang.data or "fr")
    except ReviewError as exc:
        flash(localise(exc), "error")
        return _back(handle)
    if pending:
        flash(_("A confirmation link is on its way to %(address)s: follow it to confirm the address. Until "
                "then, nothing else is sent there.", address=pending), "info")
    elif not (form.address.data or "").strip():
        flash(_("Your address is removed: no more messages will be sent to you.") if before.address or before.pending
              else _("Your language for messages is saved."), "info")
    else:
        flash(_("Your address and your language for messages are saved."), "info")
    return _back(handle)


def set_preferences(handle: str):
    require("manage_account", Subject(owner=handle))
    form = PrefsForm()
    if not form.validate_on_submit():
        flash(_("The form expired or was sent from elsewhere: please try again."), "error")
        return _back(handle)
    modes = {k: request.form[k] for k in KINDS if k in request.form}
    unknown = [k for k in request.form if k not in KINDS and k != "csrf_token"]
    try:
        if unknown:
            raise ReviewError("mail.bad_kind", value=repr(unknown[0])[:40])
        prefs().set_modes(handle, modes)
    except ReviewError as exc:
        flash(localise(exc), "error")
        return _back(handle)
    flash(_("Your preferences are saved."), "info")
    return _back(handle)


def _token_error(exc: ReviewError):
    return render_template("mail/link.html", problem=localise(exc)), 400, {"Cache-Control": "no-store"}


def unsubscribe(token: str):
    """GET shows what the link does and a button (a link scanner changes nothing); POST, from
    that button or a mail client's one-click (RFC 8058: no session, no CSRF token; the signed
    link is the proof), turns that one preference to "never"."""
    try:
        handle, kind = mailprefs.read_unsubscribe_token(current_app.config["SECRET_KEY"], token)
    except ReviewError as exc:
        return _token_error(exc)
    what = KIND_NAMES.get(kind) or _("Daily digests")
    if request.method == "GET":
        return render_template("mail/unsubscribe.html", handle=handle, what=what, done=None), 200, \
            {"Cache-Control": "no-store"}
    changed = prefs().unsubscribe(handle, kind)
    return render_template("mail/unsubscribe.html", handle=handle, what=what, done=changed), 200, \
        {"Cache-Control": "no-store"}


def confirm(token: str):
    """GET shows the address and a button; POST confirms it (the signed link is the proof)."""
    store = prefs()
    try:
        handle, address = mailprefs.read_confirm_token(current_app.config["SECRET_KEY"], token, store)
    except ReviewError as exc:
        return _token_error(exc)
    if request.method == "GET":
        return render_template("mail/confirm.html", handle=handle, address=address, done=False), 200, \
            {"Cache-Control": "no-store"}
    try:
        store.confirm(handle, address)
    except ReviewError as exc:
        return _token_error(exc)
    return render_template("mail/confirm.html", handle=handle, address=address, done=True), 200, \
        {"Cache-Control": "no-store"}
