"""Following the plan: the dashboard, the exports, the feed, the report forms and the API.

Views are thin: review.progress decides and checks everything.
"""

from __future__ import annotations

import datetime as dt

from flask import Response, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from .. import commitment as core
from .. import csvexport, progress, render
from ..errors import Invalid, ReviewError
from ..permissions import Subject, can
from . import pagecache, params
from .auth import allowed, form_write
from .errors import ApiError, api_write, json_object
from .feeds import Feed
from .i18n import current_lang
from .reading import folded_log, mention_handles, repo

LEVEL_NAMES = {"not-started": _l("not started"), "limited": _l("limited"),
               "substantial": _l("substantial"), "complete": _l("complete")}
ANSWER_STANCES = {"contested": _l("contested"), "for": _l("for"), "against": _l("against"), "neutral": _l("neutral")}
FEED_SIZE = 100


# -- reading the plan's state -------------------------------------------------------------

def _state(api: bool):
    """The plan's state as of ?as_of= (default today); a malformed date is a 400 that says why."""
    raw = request.args.get("as_of", "").strip()
    known = request.args.get("known", "").strip()
    try:
        return progress.state_as_of(repo(), raw or None, known or None)
    except Invalid as exc:
        if api:
            raise ApiError(400, exc.text or exc.message) from None
        if known and exc.message.startswith("known"):
            raise ApiError(400, exc.text or exc.message) from None
        try:
            progress.parse_day(raw)
        except Invalid:
            raise ApiError(400, _("“%(value)s” is not a date: write it YYYY-MM-DD, for example 2016-07-16.",
                                  value=raw[:40])) from None
        raise ApiError(400, _("No state of the plan on %(value)s: give a date between the plan's adoption and today.",
                              value=raw)) from None


@pagecache.cached
def dashboard():
    state = _state(api=False)
    asked = request.args.get("as_of", "").strip() or None
    counts = {level: 0 for level in progress.LEVELS}
    for c in state.commitments:
        for m in c.milestones:
            if m.level:
                counts[m.level] += 1
    return render_template("progress/dashboard.html", state=state, asked=asked, level_names=LEVEL_NAMES,
                           known_asked=request.args.get("known", "").strip() or None,
                           counts=counts, today=progress.today().isoformat(),
                           adopted=state.plan.adopted.isoformat() if state.plan.adopted else "")


CSV_COLUMNS = ("as_of", "commitment", "number", "axis", "milestone", "title_fr", "title_en", "due",
               "level", "level_as_of", "report", "overdue", "last_report", "contested")


def export_csv():
    state = _state(api=True)
    day = state.day.isoformat()
    name = f"progress-{day}.csv"
    return Response(csvexport.table(CSV_COLUMNS, _csv_rows(state, day)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _csv_rows(state, day: str):
    for c in state.commitments:
        last = c.last_report.time if c.last_report else ""
        yield ([day, c.id, c.number, c.axis, "", c.titles.get("fr", ""), c.titles.get("en", ""), "",
                    c.level or "", c.report.as_of if c.report else "", c.report.id if c.report else "",
                    len(c.overdue), last, c.contested])
        for m in c.milestones:
            r = m.report
            yield ([day, c.id, c.number, c.axis, m.milestone.id, m.milestone.title.get("fr", ""),
                        m.milestone.title.get("en", ""), m.milestone.due or "", m.level or "",
                        r.as_of if r else "", r.id if r else "", "yes" if m.overdue else "no", "", ""])


def export_json():
    return jsonify(_state(api=True).as_json())


@pagecache.cached
def api_dashboard():
    return jsonify(_state(api=True).as_json())


def feed():
    """Atom 1.0: the latest visible progress reports of the whole plan (it takes no as_of: a
    malformed one is refused like everywhere else)."""
    params.day("as_of")
    r = repo()
    main = core.resolve(r, "main")
    plan = core.read_plan(r, main)
    lang = current_lang()
    items = progress.recent(r, FEED_SIZE)
    host = request.host.split(":")[0] or "localhost"
    since = plan.adopted.isoformat() if plan.adopted else "2015-01-01"
    feed = Feed(f"tag:{host},{since}:progress",
                _("Progress reports: %(plan)s", plan=plan.title.get(lang) or plan.title["fr"]),
                url_for("progress_feed", _external=True), url_for("progress_dashboard", _external=True))
    for rep in items:
        try:
            c = core.read_commitment(r, main, rep.commitment)
            what = c.title_in(lang)
            m = next((m for m in c.milestones if m.id == rep.milestone), None)
        except core.NotFound:
            what, m = rep.commitment, None
        if rep.milestone:
            what = f"{what} · {(m.title.get(lang) or m.title.get('fr')) if m else rep.milestone}"
        person = plan.people.get(rep.author)
        html = render.render_comment(rep.note) if rep.note else ""
        if rep.evidence:
            links = "".join(f'<li><a href="{Markup.escape(u)}">{Markup.escape(u)}</a></li>' for u in rep.evidence)
            html += f"<p>{Markup.escape(_('Evidence'))}</p><ul>{links}</ul>"
        feed.entry(f"tag:{host},{since}:progress/{rep.commitment}/{rep.id}",
                   _("%(what)s: %(level)s as of %(date)s", what=what,
                     level=str(LEVEL_NAMES.get(rep.level, rep.level)), date=rep.as_of),
                   rep.time, url_for("commitment", cid=rep.commitment, _external=True) + f"#r-{rep.id}",
                   person.name if person else rep.author,
                   html or str(LEVEL_NAMES.get(rep.level, rep.level)), published=rep.time)
    return feed.response(r.commit_info(main).time.isoformat().replace("+00:00", "Z"))


# -- the section on a commitment page --------------------------------------------------------

def section(c) -> dict:
    """What progress/_section.html needs for commitment `c` (called from the template)."""
    r = repo()
    main = core.resolve(r, "main")
    try:
        at_main = core.read_commitment(r, main, c.id)
        leads, milestones = at_main.leads, at_main.milestones
    except core.NotFound:  # shown at an old revision, since removed: nothing to report on
        leads, milestones = (), ()
    items = list(progress.fold(*folded_log(r, c.id)).values())  # the fold the page's discussion made
    in_force = progress.current(items)
    titles = {m.id: m.title for m in milestones}
    return {
        "reports": list(reversed(items)), "in_force": in_force, "titles": titles, "milestones": milestones,
        "can_report": can(g.person, "report_progress", Subject(leads=leads)),
        "can_hide": can(g.person, "hide"), "levels": progress.LEVELS, "level_names": LEVEL_NAMES,
        "answer_stances": ANSWER_STANCES, "today": progress.today().isoformat(),
        "adopted": (core.read_plan(r, main).adopted or dt.date(1970, 1, 1)).isoformat(),
        "max_note": progress.MAX_NOTE, "render_note": lambda t, prefix="": Markup(render.render_comment(t, prefix, mention_handles())),
        "form": {k[3:]: v for k, v in request.args.items() if k.startswith("pr_")},
    }


def init_app(app) -> None:
    app.add_template_global(section, "progress_section")


# -- the page's forms ------------------------------------------------------------------------

def _allowed(cid: str, action: str, subject: Subject | None = None) -> bool:
    return allowed(action, subject)


def post_report(cid: str):
    f = request.form
    r = repo()
    leads = core.read_commitment(r, core.resolve(r, "main"), cid).leads
    if not _allowed(cid, "report_progress", Subject(leads=leads)):
        return redirect(url_for("commitment", cid=cid) + "#progress")
    evidence = [line.strip() for line in f.get("evidence", "").splitlines() if line.strip()]
    rep = form_write(progress.report, cid, f.get("level", ""), f.get("note", ""), evidence,
                     milestone=f.get("milestone") or None, as_of=f.get("as_of") or None)
    if rep is None:
        keep = {f"pr_{k}": f.get(k, "")[:2000] for k in ("level", "milestone", "note", "evidence", "as_of")}
        return redirect(url_for("commitment", cid=cid, **keep) + "#report-form")
    flash(_("Your progress report was published."), "info")
    return redirect(url_for("commitment", cid=cid) + f"#r-{rep.id}")


def answer_report(cid: str, report_id: str):
    f = request.form
    if not _allowed(cid, "answer_report"):
        return redirect(url_for("commitment", cid=cid) + f"#r-{report_id}")
    c = form_write(progress.answer, cid, report_id, f.get("body", ""), stance=f.get("stance") or None,
                       lang=current_lang())
    if c is not None:
        flash(_("Your answer was published."), "info")
    return redirect(url_for("commitment", cid=cid) + f"#r-{report_id}")


def hide_report(cid: str, report_id: str):
    if not _allowed(cid, "hide"):
        return redirect(url_for("commitment", cid=cid) + f"#r-{report_id}")
    f = request.form
    back = url_for("commitment", cid=cid) + f"#r-{report_id}"
    if f.get("confirm") != "yes" and f.get("reason", "").strip():
        return _confirm_hide(cid, report_id, back)  # cannot be undone: a second step asks first
    rep = form_write(progress.hide_report, cid, report_id, f.get("reason", ""))
    if rep is not None:
        flash(_("Progress report of %(date)s by @%(author)s hidden: %(reason)s", date=rep.time[:10],
                author=rep.author, reason=(rep.hidden or {}).get("reason", "")), "info")
    return redirect(back)


def _confirm_hide(cid: str, report_id: str, back: str):
    """The second step of hiding a progress report, without JavaScript."""
    f = request.form
    try:
        rep = progress.get(repo(), cid, report_id)
    except ReviewError:
        rep = None  # the core names what is wrong once confirmed
    kept = [(k, v) for k, v in f.items() if k not in ("csrf_token", "confirm")]
    return render_template(
        "confirm.html", question=_("Hide this progress report?"),
        subject=_("Progress report of %(date)s by @%(author)s", date=rep.time[:10], author=rep.author) if rep else None,
        excerpt=rep.note[:200] if rep and not rep.hidden else None,
        consequence=_("Its note and evidence are no longer shown to anyone; a stub with your reason takes "
                      "their place. It stays in the history."),
        reason=f.get("reason", ""), reason_label=_("Reason for hiding this report"), action=request.path,
        kept=kept, yes=_("Yes, hide the report"), back=back)


# -- API -------------------------------------------------------------------------------------

@pagecache.cached
def api_reports(cid: str):
    r = repo()
    c = core.read_commitment(r, core.resolve(r, "main"), cid)
    items = progress.reports(r, cid)
    return jsonify({"commitment": cid, "levels": list(progress.LEVELS),
                    "milestones": [m.id for m in c.milestones],
                    "reports": [x.as_json() for x in items]})


def api_report_add(cid: str):
    d = json_object({"level", "note", "evidence", "milestone", "as_of"})
    rep = api_write(progress.report, cid, d.get("level"), d.get("note", ""), d.get("evidence", []),
                milestone=d.get("milestone"), as_of=d.get("as_of"))
    return jsonify(rep.as_json()), 201


def api_report_hide(cid: str, report_id: str):
    return jsonify(api_write(progress.hide_report, cid, report_id, json_object().get("reason")).as_json())


def api_report_answer(cid: str, report_id: str):
    d = json_object({"body", "stance", "lang"})
    c = api_write(progress.answer, cid, report_id, d.get("body"), stance=d.get("stance"),
                  lang=d.get("lang", "fr"))
    return jsonify(c.as_json()), 201
