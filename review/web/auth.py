"""Signing in and out, who is acting (session or bearer token), profiles and tokens."""

from __future__ import annotations

import time

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError, CSRFProtect
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from .. import accounts as store
from .. import commitment as core
from ..permissions import Subject, why_not
from .errors import ApiError, wants_json
from .reading import repo

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


def accounts() -> store.Accounts:
    a = current_app.extensions.get("review.accounts")
    if a is None:
        a = current_app.extensions["review.accounts"] = store.Accounts(current_app.extensions["review.deployment"])
    return a


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
            g.person = people_at_main().people.get(handle)
            if g.person is None:
                raise ApiError(401, f"'{handle}' is no longer a person of the plan")
            g.via_token = True
        return  # the API never uses the session: no CSRF exposure through it
    handle = session.get("handle")
    if not handle:
        return
    if time.time() - session.get("since", 0) > current_app.config.get("SESSION_LIFETIME", SESSION_LIFETIME):
        session.clear()
        if not wants_json():
            flash(_("Your session has expired: please sign in again."), "error")
        return
    g.person = people_at_main().people.get(handle)
    if g.person is None:
        session.clear()


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


class _SignInNeeded(Exception):
    pass


def _safe_next(target: str | None) -> str:
    if not target or not target.startswith("/") or target.startswith("//"):
        return url_for("index")
    return target


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
        keys = (f"account:{handle}", f"address:{request.remote_addr}")
        a = accounts()
        wait = a.throttle_wait(*keys)
        if wait:
            flash(_("Too many failed attempts: try again in %(n)d s.", n=wait), "error")
            return render_template("auth/sign_in.html", form=form, next=next_url), 429
        if not a.check_password(handle, form.password.data) or handle not in people_at_main().people:
            a.record_failure(*keys)
            flash(_("Wrong handle or password."), "error")
            return render_template("auth/sign_in.html", form=form, next=next_url), 401
        a.record_success(f"account:{handle}")
        session.clear()
        session["handle"] = handle
        session["since"] = time.time()
        return redirect(next_url)
    return render_template("auth/sign_in.html", form=form, next=next_url)


def sign_out():
    form = EmptyForm()
    if not form.validate_on_submit():
        flash(_("The form expired or was sent from elsewhere: please try again."), "error")
        return redirect(url_for("index"))
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("index"))


def people_list():
    plan = people_at_main()
    return render_template("people/list.html", plan=plan, people=sorted(plan.people.values(), key=lambda p: p.name))


def profile(handle: str):
    plan = people_at_main()
    person = plan.people.get(handle)
    if person is None:
        raise core.NotFound(f"no person '{handle}' in the plan")
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
    page = render_template("people/profile.html", plan=plan, person=person, mine=mine, tokens=tokens,
                           new_secret=new_secret, token_form=TokenForm(), empty_form=EmptyForm())
    return page, 200, {"Cache-Control": "no-store"}


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

    /plan.git/ is git's smart HTTP (review/web/githttp.py): it never reads the session, pushes
    authenticate with HTTP Basic (a token), and a git request body is not a form a page can send.
    """
    if request.method not in ("GET", "HEAD", "OPTIONS") and not request.path.startswith(("/api/", "/plan.git/")):
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
