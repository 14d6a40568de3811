"""Signing in and out, who is acting (session or bearer token), profiles, sessions and tokens.

A signed-in browser holds a random secret in its (signed) session cookie; the server keeps
its digest in the instance folder (`review.accounts`), so signing out, a password change or
"sign out everywhere" ends it for good, whatever copy of the cookie anyone kept.
"""

from __future__ import annotations

import datetime as dt
import re

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError, CSRFProtect
from wtforms import BooleanField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from .. import accounts as store
from .. import commitment as core
from ..permissions import Subject, can, why_not
from ..errors import ReviewError
from .errors import ApiError, wants_json
from .messages import localise
from .reading import repo
from .security import safe_next

SESSION_LIFETIME = 12 * 3600
csrf = CSRFProtect()


class SignInForm(FlaskForm):
    handle = StringField("handle", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("password", validators=[DataRequired(), Length(max=store.MAX_PASSWORD)])
    submit = SubmitField("submit")


class TokenForm(FlaskForm):
    label = StringField("label", validators=[Length(max=100)])


class EmptyForm(FlaskForm):
    """A form with only its CSRF token (sign out, revoke)."""


class PasswordForm(FlaskForm):
    current = PasswordField("current", validators=[DataRequired(), Length(max=store.MAX_PASSWORD)])
    new = PasswordField("new", validators=[DataRequired(), Length(max=store.MAX_PASSWORD)])
    confirm = PasswordField("confirm", validators=[DataRequired(), Length(max=store.MAX_PASSWORD)])
    revoke_tokens = BooleanField("revoke_tokens")


class EverywhereForm(FlaskForm):
    revoke_tokens = BooleanField("revoke_tokens")


def accounts() -> store.Accounts:
    a = current_app.extensions.get("review.accounts")
    if a is None:
        a = current_app.extensions["review.accounts"] = store.Accounts(current_app.extensions["review.deployment"])
    return a


def participant_store():
    from .. import participants
    p = current_app.extensions.get("review.participants")
    if p is None:
        p = current_app.extensions["review.participants"] = participants.Participants(
            current_app.extensions["review.deployment"], accounts())
    return p


def person_of(handle: str):
    """The person behind a handle: of plan.yaml on main, or a participant (`~pseudonym`)."""
    if handle.startswith("~"):
        return participant_store().person(handle)
    return people_at_main().people.get(handle)


def people_at_main():
    r = repo()
    return core.read_plan(r, core.resolve(r, "main"))


def load_person() -> None:
    """Who is acting: a bearer token under /api/, else the session."""
    g.person = None
    g.via_token = False
    if request.path.startswith("/api/"):
        header = request.headers.get("Authorization", "")
        if header:
            scheme, _sp, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise ApiError(401, "malformed Authorization header: send 'Authorization: Bearer <token>'")
            handle = accounts().authenticate_token(token.strip())
            if handle is None:
                raise ApiError(401, "this token is malformed, unknown or revoked: create a new one on your profile page")
            g.person = person_of(handle)
            if g.person is None:
                raise ApiError(401, f"'{handle}' is no longer a person of the plan")
            g.via_token = True
        return  # the API never uses the session: no CSRF exposure through it
    if request.path.startswith(("/static/", "/plan.git")):
        return  # neither reads who is signed in
    secret = session.get("sid")
    if not secret:
        if "handle" in session:  # a cookie of the time before server-side sessions
            session.clear()
        return
    handle = accounts().session_handle(secret, lifetime())
    if handle is None:
        session.clear()
        flash(_("Your session has ended (signed out, expired or password changed): please sign in again."), "error")
        return
    g.person = person_of(handle)
    if g.person is None:
        session.clear()


def lifetime() -> float:
    return current_app.config.get("SESSION_LIFETIME", SESSION_LIFETIME)


def require(action: str, subject: Subject | None = None) -> None:
    """Stop the request unless the acting person may do this (403, or 401 when signed out)."""
    reason = why_not(g.person, action, subject)
    if reason is None:
        return
    if g.person is None:
        if wants_json():
            raise ApiError(401, "sign in first: send 'Authorization: Bearer <token>'")
        raise _SignInNeeded()
    raise ApiError(403, reason)


def require_signed_in() -> None:
    """For a form whose exact subject only the core reads (a comment's author, say): the core
    asks `can()` for the real action; the view only sends a signed-out visitor to sign in."""
    if g.person is None:
        raise _SignInNeeded()


def allowed(action: str, subject: Subject | None = None) -> bool:
    """For a page's form: False (with the reason flashed) when the acting person may not do
    this; a signed-out visitor is sent to sign in."""
    require_signed_in()
    reason = why_not(g.person, action, subject)
    if reason is None:
        return True
    flash(localise(reason), "error")
    return False


def form_write(fn, *args, **kwargs):
    """Run a core write as the signed-in person for a page's form: the view asked `allowed()`
    where it knows the subject, the core asks again on the real one. A refusal is flashed in
    the reader's language and the answer is None."""
    require_signed_in()
    try:
        return fn(repo(), g.person, *args, **kwargs)
    except ReviewError as exc:
        flash(localise(exc), "error")
        return None


class _SignInNeeded(Exception):
    pass


def _safe_next(target: str | None) -> str:
    return safe_next(target, url_for("index"))


def _wait_words(seconds: int) -> str:
    minutes, secs = divmod(seconds, 60)
    if not minutes:
        return _("%(s)d s", s=secs)
    return _("%(m)d min %(s)02d s", m=minutes, s=secs) if secs else _("%(m)d min", m=minutes)


def _throttled(form, next_url, wait: int):
    flash(_("Too many failed attempts: try again in %(wait)s.", wait=_wait_words(wait)), "error")
    until = dt.datetime.fromtimestamp(accounts().clock() + wait, dt.timezone.utc).strftime("%H:%M:%S")
    page = render_template("auth/sign_in.html", form=form, next=next_url, wait=wait, wait_until=until)
    return page, 429, {"Retry-After": str(wait)}


def _start_session(handle: str) -> None:
    """A new server-side session for this browser (a new secret: no fixation)."""
    old = session.get("sid")
    if old:
        accounts().end_session(old)
    session.clear()
    session["sid"] = accounts().open_session(handle, request.remote_addr, request.headers.get("User-Agent"),
                                             lifetime())


def sign_in():
    form = SignInForm()
    next_url = _safe_next(request.args.get("next") or request.form.get("next"))
    if request.method == "POST":
        if not form.validate_on_submit():
            if form.csrf_token.errors:
                flash(_("The form expired or was sent from elsewhere: please try again."), "error")
            else:
                flash(_("Enter your handle and your password."), "error")
            return render_template("auth/sign_in.html", form=form, next=next_url), 400
        handle = form.handle.data.strip().lower()
        a = accounts()
        wait = a.sign_in_wait(handle, request.remote_addr)
        if wait:
            return _throttled(form, next_url, wait)
        if not a.check_password(handle, form.password.data) or person_of(handle) is None:
            a.record_failure(f"account:{handle}", f"address:{request.remote_addr}")
            wait = a.sign_in_wait(handle, request.remote_addr)
            if wait:
                return _throttled(form, next_url, wait)
            flash(_("Wrong handle or password."), "error")
            return render_template("auth/sign_in.html", form=form, next=next_url), 401
        a.record_success(f"account:{handle}")
        _start_session(handle)
        return redirect(next_url)
    return render_template("auth/sign_in.html", form=form, next=next_url)


def sign_out():
    form = EmptyForm()
    if not form.validate_on_submit():
        flash(_("The form expired or was sent from elsewhere: please try again."), "error")
        return redirect(url_for("index"))
    secret = session.get("sid")
    if secret:
        accounts().end_session(secret)
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("index"))


def people_list():
    plan = people_at_main()
    return render_template("people/list.html", plan=plan, people=sorted(plan.people.values(), key=lambda p: p.name))


_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chromium/", "Chromium"),
             ("Chrome/", "Chrome"), ("Safari/", "Safari"), ("curl/", "curl"))
_SYSTEMS = (("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iPadOS"), ("Windows", "Windows"),
            ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))


def browser_name(user_agent: str) -> str:
    """"Firefox, Linux" from a User-Agent header; the raw header is kept for the title."""
    browser = next((name for key, name in _BROWSERS if key in user_agent), None)
    system = next((name for key, name in _SYSTEMS if key in user_agent), None)
    if "HeadlessChrome/" in user_agent:
        browser = "Chrome (headless)"
    words = [w for w in (browser, system) if w]
    return ", ".join(words) if words else (re.sub(r"\s+", " ", user_agent)[:40] or _("unknown browser"))


def _when(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _my_sessions(handle: str):
    current = session.get("sid")
    here = store.session_digest(current) if current else None
    return [{"id": s.id, "browser": browser_name(s.user_agent), "user_agent": s.user_agent,
             "address": s.address or "?", "created": _when(s.created), "last_used": _when(s.last_used),
             "current": s.id == here} for s in accounts().sessions(handle)]


def profile(handle: str):
    plan = people_at_main()
    person = plan.people.get(handle)
    if person is None:
        raise core.NotFound("notfound.person", handle=repr(handle))
    mine = g.person is not None and g.person.handle == handle
    new_secret = None
    if request.method == "POST":
        require("manage_tokens", Subject(owner=handle))
        form = TokenForm()
        if not form.validate_on_submit():
            flash(_("The form expired or was sent from elsewhere: please try again.")
                  if form.csrf_token.errors else _("The token name is too long: use at most 100 characters."), "error")
            return redirect(url_for("profile", handle=handle))
        _tid, new_secret = accounts().create_token(handle, form.label.data)
    tokens = accounts().tokens(handle) if mine else []
    sessions = _my_sessions(handle) if mine else []
    from . import mail  # the e-mail section: its owner only
    page = render_template("people/profile.html", plan=plan, person=person, mine=mine, tokens=tokens,
                           new_secret=new_secret, token_form=TokenForm(), empty_form=EmptyForm(),
                           sessions=sessions, password_form=PasswordForm(), everywhere_form=EverywhereForm(),
                           **(mail.profile_context(handle) if mine else {}))
    return page, 200, {"Cache-Control": "no-store"}


def _form_expired() -> None:
    flash(_("The form expired or was sent from elsewhere: please try again."), "error")


def change_password(handle: str):
    """A new password ends every session of the account; this browser gets a fresh one."""
    require("manage_account", Subject(owner=handle))
    form = PasswordForm()
    back = redirect(url_for("profile", handle=handle) + "#password-title")
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            _form_expired()
        else:
            flash(_("Fill in your current password and the new one twice."), "error")
        return back
    a = accounts()
    wait = a.sign_in_wait(handle, request.remote_addr)
    if wait:
        flash(_("Too many failed attempts: try again in %(wait)s.", wait=_wait_words(wait)), "error")
        return back
    if not a.check_password(handle, form.current.data):
        a.record_failure(f"account:{handle}", f"address:{request.remote_addr}")
        flash(_("Your current password is not right: nothing changed."), "error")
        return back
    if form.new.data != form.confirm.data:
        flash(_("The two new passwords differ: nothing changed."), "error")
        return back
    try:
        a.set_password(handle, form.new.data, revoke_tokens=form.revoke_tokens.data)
    except store.AccountError as exc:
        if exc.code == "account.password_short":
            flash(_("The new password is too short: use at least %(n)d characters.", n=store.MIN_PASSWORD), "error")
        else:
            flash(_("The new password is too long: use at most %(n)d characters.", n=store.MAX_PASSWORD), "error")
        return back
    session.pop("sid", None)  # ended with the others by set_password
    _start_session(handle)
    flash(_("Your password is changed: every other browser is signed out.") if not form.revoke_tokens.data else
          _("Your password is changed: every other browser is signed out and your tokens are revoked."), "info")
    return redirect(url_for("profile", handle=handle))


def end_session(handle: str, sid: str):
    """Sign out one browser of one's own (listed on the profile)."""
    require("manage_account", Subject(owner=handle))
    form = EmptyForm()
    if not form.validate_on_submit():
        _form_expired()
    elif accounts().end_session(handle=handle, sid=sid):
        flash(_("That browser is signed out."), "info")
    else:
        flash(_("No such open session."), "error")
    return redirect(url_for("profile", handle=handle))


def sign_out_everywhere(handle: str):
    require("manage_account", Subject(owner=handle))
    form = EverywhereForm()
    if not form.validate_on_submit():
        _form_expired()
        return redirect(url_for("profile", handle=handle))
    accounts().end_sessions(handle, revoke_tokens=form.revoke_tokens.data)
    session.clear()
    flash(_("You are signed out everywhere.") if not form.revoke_tokens.data else
          _("You are signed out everywhere and your tokens are revoked."), "info")
    return redirect(url_for("sign_in"))


def revoke_token(handle: str, tid: str):
    require("manage_tokens", Subject(owner=handle))
    form = EmptyForm()
    if not form.validate_on_submit():
        flash(_("The form expired or was sent from elsewhere: please try again."), "error")
    elif accounts().revoke_token(handle, tid):
        flash(_("The token was revoked: it no longer works."), "info")
    else:
        flash(_("No such active token."), "error")
    return redirect(url_for("profile", handle=handle))


def _protect() -> None:
    """CSRF on every unsafe request of the site; the API uses bearer tokens, never the session.

    /unsubscribe/<token> is the one-click unsubscribe of RFC 8058 (a mail client posts it, without a
    session), and /email/confirm/<token>: in both the signed link is the proof, and a forged post
    can only do what the link's owner asked for.
    /plan.git/ is git's smart HTTP (review/web/githttp.py): it never reads the session, pushes
    authenticate with HTTP Basic (a token), and a git request body is not a form a page can send.
    """
    if request.method not in ("GET", "HEAD", "OPTIONS") and not request.path.startswith(
            ("/api/", "/plan.git/", "/unsubscribe/", "/email/confirm/")):
        csrf.protect()


def init_app(app) -> None:
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    csrf.init_app(app)
    app.before_request(_protect)
    app.before_request(load_person)

    @app.context_processor
    def _who():
        return {"me": g.get("person"), "signout_form": EmptyForm() if g.get("person") else None}

    @app.template_global("can")
    def _can(action: str, **subject) -> bool:
        """`{% if can("comment") %}`: templates ask the same table as views and the core."""
        return can(g.get("person"), action, Subject(**subject) if subject else None)

    @app.errorhandler(_SignInNeeded)
    def _sign_in_needed(exc):
        flash(_("Sign in first."), "error")
        return redirect(url_for("sign_in", next=request.full_path.rstrip("?")))

    @app.errorhandler(CSRFError)
    def _csrf(exc):
        if wants_json():
            return {"error": "missing or wrong CSRF token: API writes authenticate with a bearer token instead"}, 400
        flash(_("The form expired or was sent from elsewhere: please try again."), "error")
        return redirect(request.referrer if request.referrer and request.referrer.startswith(request.host_url) else url_for("index"))


def person_url(handle: str) -> str:
    """Where a name on a page leads: a participant's page (`~pseudonym`, review/participants.py)
    or a person's profile (plan.yaml). Templates call it as `person_url(handle)`."""
    if handle.startswith("~"):
        return url_for("participant_page", pseudonym=handle[1:])
    return url_for("profile", handle=handle)
