"""Consultations of the public: pages, forms, reports, feed and JSON API over review.consultations
and review.participants. Views parse the request, make one core call, then render or redirect."""

from __future__ import annotations

import datetime as dt

from flask import Response, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import commitment as core
from .. import consultations as cons
from .. import participants
from ..errors import ReviewError
from . import feeds
from .auth import accounts, form_write, participant_store, require_signed_in
from .errors import ApiError, api_write, json_object
from .i18n import current_lang
from .messages import localise
from .reading import repo

OUTCOME_NAMES = {"retained": _l("retained"), "partly-retained": _l("partly retained"),
                 "not-retained": _l("not retained"), "out-of-scope": _l("outside the plan's scope")}
STATE_NAMES = {"announced": _l("announced, not open yet"), "open": _l("open for contributions"),
               "closed": _l("closed to contributions"),
               "answered": _l("closed, every contribution answered")}
SCOPE_NAMES = {"plan": _l("the whole plan"), "commitments": _l("chosen commitments"),
               "draft": _l("a draft version")}


def notice_days() -> int:
    return int(current_app.config.get("CONSULTATION_NOTICE_DAYS", cons.NOTICE_DAYS))


def _get(cid: str) -> cons.Consultation:
    try:
        return cons.get(repo(), cid)
    except ReviewError as exc:
        raise ApiError(exc.status, exc.text or exc.message) from None


def _names() -> dict:
    return {"outcome_names": {k: str(v) for k, v in OUTCOME_NAMES.items()},
            "state_names": {k: str(v) for k, v in STATE_NAMES.items()},
            "scope_names": {k: str(v) for k, v in SCOPE_NAMES.items()}}


def _commitments():
    r = repo()
    return core.list_commitments(r, core.resolve(r, "main"))


# -- pages ------------------------------------------------------------------------------------------

def list_page():
    r = repo()
    items = cons.list_all(r)
    return render_template("consultations/list.html", items=items, lang=current_lang(),
                           commitments=_commitments(), notice=notice_days(),
                           earliest=(dt.date.today() + dt.timedelta(days=notice_days())).isoformat(),
                           form=request.args, **_names())


def announce():
    require_signed_in()
    f = request.form
    c = form_write(cons.announce, f.get("id", "").strip(), f.get("title_fr", ""), f.get("opens", ""),
                   f.get("closes", ""), title_en=f.get("title_en", ""), description_fr=f.get("description_fr", ""),
                   description_en=f.get("description_en", ""), scope=f.get("scope", "plan"),
                   commitments_=f.getlist("commitments"), draft=f.get("draft") or None, notice_days=notice_days())
    if c is None:
        keep = {k: f.get(k, "")[:2000] for k in ("id", "title_fr", "title_en", "description_fr", "description_en",
                                                 "opens", "closes", "scope", "draft")}
        return redirect(url_for("consultations", **keep) + "#announce")
    flash(_("The consultation is announced."), "info")
    return redirect(url_for("consultation", cid=c.id))


def page(cid: str):
    c = _get(cid)
    r = repo()
    items = cons.contributions(r, cid, c)
    figures = cons.participation(r, cid, items)
    me = g.get("person")
    mine = {x.key: x.stances.get(me.handle) for x in items} if me else {}
    new_account = request.args.get("new_account")
    return render_template("consultations/page.html", c=c, state=c.state(), items=items, figures=figures,
                           waiting=cons.waiting(items), mine=mine, lang=current_lang(),
                           commitments=[s for s in _commitments() if c.covers(s.id)],
                           new_account=new_account, new_password=_take_password(new_account), **_names())


def _take_password(pseudonym: str | None) -> str | None:
    """The one-time password of an account just made, shown once to the coordinator who made it."""
    from flask import session
    held = session.pop("new_participant", None)
    if held and pseudonym and held[0] == pseudonym:
        return held[1]
    return None


def _throttle() -> bool:
    try:
        participants.throttle_contribution(accounts(), g.person.handle, request.remote_addr)
        return True
    except ReviewError as exc:
        flash(localise(exc), "error")
        return False


def contribute(cid: str):
    require_signed_in()
    f = request.form
    if not _throttle():
        return redirect(url_for("consultation", cid=cid) + "#contribute")
    x = form_write(cons.contribute_comment, cid, f.get("commitment", ""), f.get("body", ""),
                   anchor=f.get("anchor") or None, lang=current_lang())
    if x is None:
        return redirect(url_for("consultation", cid=cid) + "#contribute")
    flash(_("Your contribution was published under your name."), "info")
    return redirect(url_for("consultation", cid=cid) + f"#{x.key}")


def amend(cid: str):
    """Propose an amendment as a contribution: the commitment's French text to edit."""
    require_signed_in()
    c = _get(cid)
    r = repo()
    commitment = request.values.get("commitment", "")
    if not c.covers(commitment):
        raise ApiError(404, _("This consultation does not cover that commitment."))
    try:
        current = r.read_file(core.resolve(r, "main"), f"commitments/{commitment}/fr.md")
    except Exception:  # noqa: BLE001 - an id that is not a path
        current = None
    if current is None:
        raise ApiError(404, _("No such commitment."))
    if request.method == "POST":
        f = request.form
        if _throttle():
            x = form_write(cons.contribute_amendment, cid, commitment, f.get("title", ""), f.get("rationale", ""),
                           {f"commitments/{commitment}/fr.md": f.get("text", "")})
            if x is not None:
                flash(_("Your amendment was published as a contribution."), "info")
                return redirect(url_for("consultation", cid=cid) + f"#{x.key}")
        text = f.get("text", "")
    else:
        text = current.decode("utf-8")
    return render_template("consultations/amend.html", c=c, commitment=commitment, text=text,
                           title=request.form.get("title", ""), rationale=request.form.get("rationale", ""),
                           lang=current_lang())


def stance(cid: str, key: str):
    require_signed_in()
    if _throttle():
        x = form_write(cons.take_stance, cid, key, request.form.get("stance", ""))
        if x is not None:
            flash(_("Your stance is recorded."), "info")
    return redirect(url_for("consultation", cid=cid) + f"#{key}")


def respond(cid: str, key: str):
    require_signed_in()
    f = request.form
    x = form_write(cons.respond, cid, key, f.get("outcome", ""), f.get("reason", ""), f.get("carried_by") or None)
    if x is not None:
        flash(_("The response is published."), "info")
    return redirect(url_for("consultation", cid=cid) + f"#{key}")


def hide(cid: str, key: str):
    require_signed_in()
    x = form_write(cons.hide_contribution, cid, key, request.form.get("reason", ""))
    if x is not None:
        flash(_("The contribution is hidden; a note with the reason stays."), "info")
    return redirect(url_for("consultation", cid=cid) + f"#{key}")


def act(cid: str, action: str):
    """close | answered | edit, for coordinators."""
    require_signed_in()
    f = request.form
    if action == "close":
        done = form_write(cons.close, cid, f.get("reason") or None)
        message = _("The consultation is closed.")
    elif action == "answered":
        done = form_write(cons.mark_answered, cid)
        message = _("The consultation is closed as answered.")
    elif action == "edit":
        done = form_write(cons.edit, cid, f.get("title_fr", ""), f.get("closes", ""), title_en=f.get("title_en", ""),
                          description_fr=f.get("description_fr", ""), description_en=f.get("description_en", ""))
        message = _("The consultation is updated.")
    else:
        raise ApiError(404, _("No such action."))
    if done is not None:
        flash(message, "info")
    return redirect(url_for("consultation", cid=cid))


def add_participant(cid: str):
    """A coordinator makes a participant account; its one-time password is shown once."""
    from flask import session
    require_signed_in()
    _get(cid)
    f = request.form
    try:
        p, password = participant_store().add(g.person, f.get("pseudonym", ""), f.get("email") or None,
                                              address=request.remote_addr)
    except ReviewError as exc:
        flash(localise(exc), "error")
        return redirect(url_for("consultation", cid=cid) + "#participants")
    session["new_participant"] = (p.pseudonym, password)
    return redirect(url_for("consultation", cid=cid, new_account=p.pseudonym) + "#participants")


def report_page(cid: str):
    c = _get(cid)
    data = cons.report(repo(), cid)
    return render_template("consultations/report.html", c=c, data=data, lang=current_lang(), **_names())


def report_csv(cid: str):
    _get(cid)
    header = [_("contribution"), _("kind"), _("time"), _("author"), _("commitment"), _("passage"), _("text"),
              _("supports"), _("oppositions"), _("response"), _("reason"), _("carried out by"), _("responded by"),
              _("responded at")]
    body = cons.report_csv(repo(), cid, _names()["outcome_names"], header)
    return Response("\ufeff" + body, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="consultation-{cid}-{current_lang()}.csv"'})


def report_json(cid: str):
    _get(cid)
    data = cons.report(repo(), cid)
    data["lang"] = current_lang()
    data["outcome_names"] = _names()["outcome_names"]
    return jsonify(data)


def feed():
    """Atom: one entry per announcement (and per closing), newest first."""
    out = feeds.Feed(feeds._tag("/consultations"), _("Consultations"), url_for("consultations_feed", _external=True),
                     url_for("consultations", _external=True))
    lang = current_lang()
    for c in cons.list_all(repo()):
        link = url_for("consultation", cid=c.id, _external=True)
        out.entry(feeds._tag(f"/consultations/{c.id}"),
                  _("Consultation announced: %(title)s (open from %(opens)s to %(closes)s)", title=c.title_in(lang),
                    opens=c.opens, closes=c.closes), c.time, link, c.by, html=c.description_in(lang) or None)
    return out.response(dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))


# -- the participant's own page: password, deletion ------------------------------------------------

def participant_page(pseudonym: str):
    p = participant_store().get(pseudonym)
    if p is None:
        raise ApiError(404, _("No such participant."))
    mine = g.get("person") is not None and g.person.handle == p.handle
    return render_template("consultations/participant.html", p=p, mine=mine)


def participant_delete(pseudonym: str):
    from flask import session
    require_signed_in()
    if request.form.get("confirm") != "yes":
        flash(_("Tick the box to confirm that you want to delete your account."), "error")
        return redirect(url_for("participant_page", pseudonym=pseudonym))
    try:
        participant_store().delete(g.person, participants.MARK + pseudonym)
    except ReviewError as exc:
        flash(localise(exc), "error")
        return redirect(url_for("participant_page", pseudonym=pseudonym))
    session.clear()
    flash(_("Your account is deleted: your e-mail address and credentials are gone; your public contributions "
            "stay under your pseudonym."), "info")
    return redirect(url_for("consultations"))


def participant_password(pseudonym: str):
    require_signed_in()
    f = request.form
    handle = participants.MARK + pseudonym
    if g.person.handle != handle:
        raise ApiError(403, _("This is not your account."))
    a = accounts()
    if not a.check_password(handle, f.get("current", "")):
        flash(_("Your current password is not right: nothing changed."), "error")
    elif f.get("new", "") != f.get("again", ""):
        flash(_("The two new passwords differ: nothing changed."), "error")
    else:
        try:
            a.set_password(handle, f.get("new", ""))
            from .auth import _start_session
            _start_session(handle)
            flash(_("Your password is changed."), "info")
        except ReviewError as exc:
            flash(localise(exc), "error")
        except Exception as exc:  # noqa: BLE001 - AccountError carries a code too
            flash(localise(exc) if hasattr(exc, "code") else str(exc), "error")
    return redirect(url_for("participant_page", pseudonym=pseudonym))


# -- JSON API -------------------------------------------------------------------------------------------

def api_list():
    return jsonify({"consultations": [c.as_json() for c in cons.list_all(repo())]})


def api_get(cid: str):
    c = _get(cid)
    r = repo()
    items = cons.contributions(r, cid, c)
    return jsonify({**c.as_json(), "participation": cons.participation(r, cid, items).as_json(),
                    "contributions": [x.as_json() for x in items]})


def api_announce():
    d = json_object({"id", "title_fr", "title_en", "description_fr", "description_en", "scope", "commitments",
                     "draft", "opens", "closes"})
    c = api_write(cons.announce, d.get("id", ""), d.get("title_fr", ""), d.get("opens", ""), d.get("closes", ""),
                  title_en=d.get("title_en", ""), description_fr=d.get("description_fr", ""),
                  description_en=d.get("description_en", ""), scope=d.get("scope", "plan"),
                  commitments_=d.get("commitments") if isinstance(d.get("commitments"), list) else None,
                  draft=d.get("draft"), notice_days=notice_days())
    return jsonify(c.as_json()), 201


def _api_throttle() -> None:
    if g.person is None:
        raise ApiError(401, "sign in first: send 'Authorization: Bearer <token>'")
    try:
        participants.throttle_contribution(accounts(), g.person.handle, request.remote_addr)
    except ReviewError as exc:
        raise ApiError(exc.status, exc.text or exc.message, getattr(exc, "retry_after", None)) from None


def api_contribute(cid: str):
    d = json_object({"commitment", "body", "anchor", "quote", "lang", "title", "rationale", "files"})
    _api_throttle()
    if "files" in d:
        x = api_write(cons.contribute_amendment, cid, d.get("commitment", ""), d.get("title", ""),
                      d.get("rationale", ""), d.get("files"))
    else:
        x = api_write(cons.contribute_comment, cid, d.get("commitment", ""), d.get("body", ""),
                      anchor=d.get("anchor"), quote=d.get("quote"), lang=d.get("lang") or "fr")
    return jsonify(x.as_json()), 201


def api_stance(cid: str, key: str):
    d = json_object({"stance"})
    _api_throttle()
    return jsonify(api_write(cons.take_stance, cid, key, d.get("stance", "")).as_json())


def api_respond(cid: str, key: str):
    d = json_object({"outcome", "reason", "carried_by"})
    return jsonify(api_write(cons.respond, cid, key, d.get("outcome", ""), d.get("reason", ""),
                             d.get("carried_by")).as_json())


def api_hide(cid: str, key: str):
    d = json_object({"reason"})
    return jsonify(api_write(cons.hide_contribution, cid, key, d.get("reason", "")).as_json())


def api_act(cid: str, action: str):
    d = json_object({"reason"}) if request.data else {}
    if action == "close":
        c = api_write(cons.close, cid, d.get("reason"))
    elif action == "answered":
        c = api_write(cons.mark_answered, cid)
    else:
        raise ApiError(404, "no such action: use close or answered")
    return jsonify(c.as_json())


# -- self-registration with a confirmed e-mail address (review/registrations.py) ----------------------

def _registrations():
    from .. import registrations
    return registrations.Registrations(participant_store())


def _ask(c: cons.Consultation, pseudonym, email, password, again=None, lang: str | None = None) -> None:
    """Check and keep the request, then queue its one message; the same answer whether or not the
    address was known (a known address gets a reminder of its pseudonym instead of a link)."""
    import time

    from .. import mailer
    from . import mail
    lang = lang if lang in ("fr", "en") else current_lang()
    now = time.time()
    settings = mail.settings()
    regs = _registrations()
    req = regs.request(c.id, pseudonym, email, password, again, lang=lang, address=request.remote_addr)
    dep = current_app.extensions["review.deployment"]
    if req.pending is not None:
        p = req.pending
        msg = mailer.registration_message(settings, p.pseudonym, p.email, lang, regs.token(settings.secret, p),
                                          c.title_in(lang), now)
        mailer.queue_registration(dep, mailer.registration_key(p.pseudonym, p.email), msg)
    else:
        mailer.queue_registration(dep, mailer.known_key(req.known_as, now),
                                  mailer.known_message(settings, req.known_as, req.email, lang, now))


def _status(exc: ReviewError) -> int:
    return 429 if (exc.code or "").endswith("throttled") else exc.status


def register(cid: str):
    """GET: the form (pseudonym, address, password twice); POST: the request, then "check your mailbox"."""
    c = _get(cid)
    state = c.state()
    if request.method == "GET":
        return render_template("consultations/register.html", c=c, state=state, lang=current_lang(), form={},
                               sent=False)
    f = request.form
    kept = {"pseudonym": f.get("pseudonym", "")[:64], "email": f.get("email", "")[:254]}
    try:
        _ask(c, f.get("pseudonym", ""), f.get("email", ""), f.get("password", ""), f.get("again", ""),
             lang=f.get("lang"))
    except ReviewError as exc:
        flash(localise(exc), "error")
        return render_template("consultations/register.html", c=c, state=state, lang=current_lang(), form=kept,
                               sent=False), _status(exc)
    except Exception as exc:  # noqa: BLE001 - AccountError (password length) carries a code too
        if not hasattr(exc, "code"):
            raise
        flash(localise(exc), "error")
        return render_template("consultations/register.html", c=c, state=state, lang=current_lang(), form=kept,
                               sent=False), 400
    return render_template("consultations/register.html", c=c, state=state, lang=current_lang(), form={},
                           sent=True), 200, {"Cache-Control": "no-store"}


def _link_problem(exc):
    return render_template("mail/link.html", problem=localise(exc)), \
        (exc.status if isinstance(exc, ReviewError) else 400), {"Cache-Control": "no-store"}


def confirm_registration(token: str):
    """GET shows the pseudonym and a button (a link scanner makes nothing); POST makes the account,
    signs its owner in and goes to the consultation."""
    from .auth import _start_session
    regs = _registrations()
    secret = current_app.config.get("SECRET_KEY") or ""
    try:
        p = regs.read(secret, token)
    except ReviewError as exc:
        return _link_problem(exc)
    if request.method == "GET":
        return render_template("consultations/confirm.html", p=p, token=token), 200, {"Cache-Control": "no-store"}
    try:
        made, cid = regs.confirm(secret, token)
    except ReviewError as exc:
        return _link_problem(exc)
    except Exception as exc:  # noqa: BLE001 - AccountError carries a code too
        if not hasattr(exc, "code"):
            raise
        return _link_problem(exc)
    _start_session(made.handle)
    flash(_("Your account %(handle)s is made and you are signed in: you can contribute.", handle=made.handle), "info")
    return redirect(url_for("consultation", cid=cid) + "#contribute")


def api_register(cid: str):
    d = json_object({"pseudonym", "email", "password", "lang"})
    c = _get(cid)
    try:
        _ask(c, d.get("pseudonym", ""), d.get("email", ""), d.get("password"), lang=d.get("lang"))
    except ReviewError as exc:
        raise ApiError(_status(exc), exc.text or exc.message, getattr(exc, "retry_after", None)) from None
    except Exception as exc:  # noqa: BLE001
        if not hasattr(exc, "code"):
            raise
        raise ApiError(400, exc.text or exc.message) from None
    return jsonify({"status": "confirmation sent"}), 202
