"""Following the plan: progress reports on commitments and milestones, and the plan's state on a date.

A progress report is an event `progress-report` in the commitment's review log (the same
log as its comments, docs/events.md): a member of a lead administration gives, for one
milestone or for the whole commitment, a completion level on the OGP IRM scale, a short
note, evidence links and the date the level holds from (`as_of`). Reports are never
edited: a later one for the same milestone supersedes it. A moderator hides a report
(`progress-hide`); it stays in the log and shows as a stub. Civil society answers on a
report with comments (`review.comments.add(..., on_report=id)`), possibly "contested".

The state as of a day is read from the plan (main) as it stood at the end of that day and
from the reports whose `as_of` is on or before it, however late they were written (a report
carries both dates). `known=` limits it to the events recorded by the end of another day:
with `known` equal to the day, the state is the one readers saw then, which never changes.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from . import comments
from . import commitment as core
from . import model, reviewlog
from .errors import Conflict, Damaged, Forbidden, Invalid, Missing
from .gitrepo import GitRepo
from .model import Milestone, Person, Plan
from .permissions import Subject, require

LEVELS = ("not-started", "limited", "substantial", "complete")
REPORT, HIDE = "progress-report", "progress-hide"
MAX_NOTE = 2_000
MAX_EVIDENCE = 10
MAX_URL = 2_000
MAX_REASON = comments.MAX_REASON
WHOLE = None  # the milestone key of a report on the whole commitment


@dataclass
class Report:
    id: str
    seq: int
    commitment: str
    author: str
    time: str                      # when it was reported (UTC)
    milestone: str | None          # None: the whole commitment
    level: str
    note: str
    evidence: tuple[str, ...]
    as_of: str                     # YYYY-MM-DD: the date the level holds from (old reports: the day written)
    revision: str | None           # the log commit that recorded it
    hidden: dict | None = None     # {"by", "time", "reason"}
    superseded_by: str | None = None
    answers: list = field(default_factory=list)   # review.comments.Comment roots

    @property
    def contested(self) -> bool:
        return any(c.stance == "contested" and not c.hidden for c in self.answers)

    @property
    def key(self) -> tuple[str, int]:
        """Order among reports on the same milestone: the date it holds from, then the log order."""
        return (self.as_of, self.seq)

    def as_json(self) -> dict:
        hidden = self.hidden is not None
        return {
            "id": self.id, "commitment": self.commitment, "milestone": self.milestone,
            "level": None if hidden else self.level, "note": None if hidden else self.note,
            "evidence": [] if hidden else list(self.evidence), "as_of": self.as_of,
            "author": self.author, "time": self.time, "revision": self.revision,
            "state": "hidden" if hidden else "superseded" if self.superseded_by else "current",
            "hidden": self.hidden, "superseded_by": self.superseded_by, "contested": self.contested,
            "answers": [c.as_json() for c in self.answers],
        }


# -- dates ------------------------------------------------------------------------------

def today() -> dt.date:
    """Today in UTC: every date of the system is a UTC date."""
    return dt.datetime.now(dt.timezone.utc).date()


def parse_day(value, what: str = "as_of") -> dt.date:
    day = model.as_date(value)
    if day is not None:
        return day
    raise Invalid("progress.bad_date", what=what, value=repr(value))


def due_end(due: str | None) -> dt.date | None:
    """The last day a milestone's due date covers: '2016' is 31 December 2016, '2016-06' is 30 June."""
    if not due:
        return None
    parts = [int(x) for x in due.split("-")]
    if len(parts) == 1:
        return dt.date(parts[0], 12, 31)
    if len(parts) == 2:
        return dt.date(parts[0], parts[1], calendar.monthrange(parts[0], parts[1])[1])
    return dt.date(*parts)


def _end_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.max, tzinfo=dt.timezone.utc)


def check_day(plan: Plan, day: dt.date, what: str = "as_of") -> dt.date:
    """A date of the plan's life: not in the future, not before the plan was adopted."""
    if day > today():
        raise Invalid("progress.future", what=what, day=day.isoformat(), today=today().isoformat())
    if plan.adopted and day < plan.adopted:
        raise Invalid("progress.before_adoption", what=what, day=day.isoformat(), adopted=plan.adopted.isoformat())
    return day


# -- reading ----------------------------------------------------------------------------

def fold(events, folded_comments: dict | None = None) -> dict[str, Report]:
    """Reports by id (log order), with hides, supersession and their answers. `folded_comments`,
    when the caller has it already, is review.comments.fold(events): the log is not folded again."""
    reports: dict[str, Report] = {}
    for e in events:
        d = e.data
        if e.type == REPORT:
            reports[e.id] = Report(e.id, e.seq, d.get("commitment", ""), e.actor, e.time, d.get("milestone"),
                                   d["level"], d.get("note") or "", tuple(d.get("evidence") or ()),
                                   d.get("as_of") or e.time[:10], e.commit)  # old reports: the day written
        elif e.type == HIDE and d.get("target") in reports:
            reports[d["target"]].hidden = {"by": e.actor, "time": e.time, "reason": d.get("reason", "")}
    by_milestone: dict[str | None, list[Report]] = {}
    for r in reports.values():
        if not r.hidden:
            by_milestone.setdefault(r.milestone, []).append(r)
    for chain in by_milestone.values():
        chain.sort(key=lambda r: r.key)
        for earlier, later in zip(chain, chain[1:]):
            earlier.superseded_by = later.id
    for c in (comments.fold(events) if folded_comments is None else folded_comments).values():
        if c.report in reports and not c.reply_to:
            reports[c.report].answers.append(c)
    return reports


def check_answerable(events, cid: str, report_id) -> None:
    """Raise unless `report_id` is a visible progress report of this log (for review.comments.add)."""
    r = fold(events).get(report_id) if isinstance(report_id, str) else None
    if r is None:
        raise Invalid("progress.answer_missing", report=repr(report_id), commitment=cid)
    if r.hidden:
        raise Invalid("progress.answer_hidden")


def answer(repo: GitRepo, person: Person | None, cid: str, report_id: str, body: str, stance: str | None = None,
           lang: str = model.AUTHORITATIVE) -> comments.Comment:
    """Answer a progress report: a comment on the commitment's log that names the report,
    possibly "contested"."""
    return comments.add(repo, person, cid, body, stance=stance, lang=lang, on_report=report_id,
                        answerable=lambda events: check_answerable(events, cid, report_id))


def reports(repo: GitRepo, cid: str) -> list[Report]:
    """Every report on a commitment, oldest first, hidden ones included (as stubs)."""
    return list(fold(reviewlog.read_events(repo, reviewlog.commitment_log(cid))).values())


def get(repo: GitRepo, cid: str, report_id: str) -> Report:
    r = fold(reviewlog.read_events(repo, reviewlog.commitment_log(cid))).get(report_id)
    if r is None:
        raise Missing("progress.missing", report=repr(report_id), commitment=cid)
    return r


def current(items, day: dt.date | None = None) -> dict[str | None, Report]:
    """The report in force per milestone (None: whole commitment), among visible reports as of `day`."""
    out: dict[str | None, Report] = {}
    for r in items:
        if r.hidden or (day is not None and r.as_of > day.isoformat()):
            continue
        if r.milestone not in out or r.key > out[r.milestone].key:
            out[r.milestone] = r
    return out


# -- writing ----------------------------------------------------------------------------

def _check_evidence(evidence) -> list[str]:
    if evidence is None:
        return []
    if not isinstance(evidence, (list, tuple)):
        raise Invalid("progress.evidence_list")
    links: list[str] = []
    for link in evidence:
        if not isinstance(link, str):
            raise Invalid("progress.evidence_not_text", link=repr(link))
        link = link.strip()
        if not link:
            continue
        parts = urlsplit(link) if len(link) <= MAX_URL else None
        if (parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname
                or any(ch.isspace() or ord(ch) < 32 for ch in link)):
            raise Invalid("progress.evidence_bad", link=repr(link[:100]), n=MAX_URL)
        if link not in links:
            links.append(link)
    if len(links) > MAX_EVIDENCE:
        raise Invalid("progress.evidence_many", count=len(links), limit=MAX_EVIDENCE)
    return links


def _check_note(note) -> str:
    if note is None:
        return ""
    if not isinstance(note, str):
        raise Invalid("progress.note_not_text")
    note = note.replace("\r\n", "\n").strip()
    if len(note) > MAX_NOTE:
        raise Invalid("progress.note_long", length=len(note), limit=MAX_NOTE)
    return note


def report(repo: GitRepo, person: Person | None, cid: str, level: str, note: str = "",
           evidence=None, milestone: str | None = None, as_of=None) -> Report:
    """Record a completion level for a milestone (or the whole commitment); nothing is written on refusal."""
    main = core.resolve(repo, "main")
    try:
        c = core.read_commitment(repo, main, cid)
    except core.NotFound:
        raise Missing("progress.unknown_commitment", commitment=repr(cid)) from None
    require(person, "report_progress", Subject(leads=c.leads))
    plan = core.read_plan(repo, main)
    if level not in LEVELS:
        raise Invalid("progress.bad_level", choices=", ".join(LEVELS), value=repr(level))
    milestone = milestone or None
    if milestone is not None and not isinstance(milestone, str):
        raise Invalid("progress.milestone_not_text")
    if milestone is not None and milestone not in {m.id for m in c.milestones}:
        known = ", ".join(m.id for m in c.milestones) or "none"
        raise Invalid("progress.unknown_milestone", commitment=cid, milestone=repr(milestone), known=known)
    day = check_day(plan, today() if as_of in (None, "") else parse_day(as_of))
    data = {"commitment": cid, "milestone": milestone, "level": level, "note": _check_note(note),
            "evidence": _check_evidence(evidence), "as_of": day.isoformat()}
    target = f"milestone {milestone}" if milestone else "the whole commitment"
    ev = reviewlog.append(repo, reviewlog.commitment_log(cid), reviewlog.identity(person.handle, person.name),
                          person.handle, REPORT, data, f"Progress on {cid}, {target}: {level} as of {day.isoformat()}",
                          trailers={"Revision": main})
    r = get(repo, cid, ev.id)
    r.revision = ev.commit
    return r


def hide_report(repo: GitRepo, person: Person | None, cid: str, report_id: str, reason: str) -> Report:
    """Moderation: the report stays in the log, shown as a stub with the reason."""
    if person is None:
        raise Forbidden("permission.sign_in")
    if not isinstance(reason, str) or not reason.strip():
        raise Invalid("progress.no_hide_reason")
    if len(reason) > MAX_REASON:
        raise Invalid("moderation.reason_long", n=MAX_REASON)

    def check(events):
        target = fold(events).get(report_id)
        if target is None:
            raise Missing("progress.missing", report=repr(report_id), commitment=cid)
        require(person, "hide", Subject(author=target.author, leads=core.leads_on_main(repo, cid),
                                       hidden=bool(target.hidden)))
        if target.hidden:
            raise Conflict("progress.hidden_already")

    reviewlog.append(repo, reviewlog.commitment_log(cid), reviewlog.identity(person.handle, person.name),
                     person.handle, HIDE, {"target": report_id, "reason": reason.strip()},
                     f"Hide a progress report on {cid}", check)
    return get(repo, cid, report_id)


# -- the plan's state on a day ------------------------------------------------------------

@dataclass
class MilestoneState:
    milestone: Milestone
    report: Report | None
    overdue: bool

    @property
    def level(self) -> str | None:
        return self.report.level if self.report else None

    def as_json(self) -> dict:
        m = self.milestone
        return {"id": m.id, "title": m.title, "due": m.due, "lead": m.lead, "level": self.level,
                "level_as_of": self.report.as_of if self.report else None,
                "report": self.report.id if self.report else None, "overdue": self.overdue}


@dataclass
class CommitmentState:
    id: str
    number: int
    titles: dict[str, str]
    axis: str
    leads: tuple[str, ...]
    report: Report | None                  # in force for the whole commitment
    milestones: list[MilestoneState]
    last_report: Report | None             # the latest visible report, by the time it was made
    contested: int                         # visible reports with a "contested" answer
    reports: int                           # visible reports

    @property
    def level(self) -> str | None:
        return self.report.level if self.report else None

    @property
    def overdue(self) -> list[MilestoneState]:
        return [m for m in self.milestones if m.overdue]

    def title_in(self, lang: str) -> str:
        return self.titles.get(lang) or self.titles.get("fr") or self.id

    def as_json(self) -> dict:
        last = self.last_report
        return {"id": self.id, "number": self.number, "title": self.titles, "axis": self.axis,
                "leads": list(self.leads), "level": self.level,
                "level_as_of": self.report.as_of if self.report else None,
                "report": self.report.id if self.report else None,
                "milestones": [m.as_json() for m in self.milestones],
                "overdue": [m.milestone.id for m in self.overdue],
                "last_report": None if last is None else {
                    "id": last.id, "time": last.time, "written": last.time[:10], "as_of": last.as_of, "milestone": last.milestone,
                    "level": last.level, "author": last.author},
                "reports": self.reports, "contested": self.contested}


@dataclass
class PlanState:
    day: dt.date
    revision: str               # the commit of main read (the plan as it stood that day)
    plan: Plan
    commitments: list[CommitmentState]
    known: dt.date | None = None  # reports recorded by the end of this day count

    def by_axis(self) -> list[tuple]:
        groups = {a.id: [] for a in self.plan.axes}
        for c in self.commitments:
            groups.setdefault(c.axis, []).append(c)
        return [(a, groups.get(a.id, [])) for a in self.plan.axes]

    def as_json(self) -> dict:
        return {"as_of": self.day.isoformat(), "known": self.known.isoformat() if self.known else None,
                "revision": self.revision, "levels": list(LEVELS),
                "commitments": [c.as_json() for c in self.commitments]}


def _when(time: str) -> dt.datetime:
    return dt.datetime.fromisoformat(time.replace("Z", "+00:00"))


def log_events_as_of(repo: GitRepo, cid: str, day: dt.date) -> list:
    """The events of a commitment's log recorded by the end of `day` (UTC).

    Read by the time each event records (the same second as its commit), so that the
    state on a day can be recomputed from any clone and never changes afterwards.
    """
    end = _end_of(day)
    return [e for e in reviewlog.read_events(repo, reviewlog.commitment_log(cid)) if _when(e.time) <= end]


def state_as_of(repo: GitRepo, day=None, known=None) -> PlanState:
    """Per commitment and milestone: the level in force, overdue milestones, last report, contests.

    The level on `day` is the one the reports give for that day (their `as_of`), however
    late they were written: a milestone reported complete as of 30 June is complete on
    1 July even if the report was written in September. `known` (a day, default today)
    limits the reports to those recorded by its end: `known=day` gives the state as it
    could be read on that day, which never changes afterwards.
    """
    day = today() if day in (None, "") else parse_day(day)
    plan_now = core.read_plan(repo, core.resolve(repo, "main"))
    check_day(plan_now, day)
    known = today() if known in (None, "") else check_day(plan_now, parse_day(known, "known"), "known")
    try:
        commit = core.resolve_as_of(repo, day)
    except core.NotFound:
        raise Invalid("progress.before_plan", day=day.isoformat()) from None
    plan = core.read_plan(repo, commit)
    out: list[CommitmentState] = []
    for s in core.readable(core.list_commitments(repo, commit)):
        c = core.read_commitment(repo, commit, s.id)
        try:
            recorded = list(fold(log_events_as_of(repo, s.id, known)).values())
        except Damaged:  # a damaged log: this commitment shows no report; its own page says why
            recorded = []
        out.append(commitment_state(c, recorded, day))
    return PlanState(day, commit, plan, out, known)


def commitment_state(c, recorded: list[Report], day: dt.date) -> CommitmentState:
    """The state of commitment `c` (as the plan stood on `day`) from its `recorded` reports
    (fold() of its log, as known): the level in force per milestone, overdue ones, contests."""
    in_force = current(recorded, day)
    visible = [r for r in recorded if not r.hidden and r.as_of <= day.isoformat()]
    states = []
    for m in c.milestones:
        r = in_force.get(m.id)
        due = due_end(m.due)
        states.append(MilestoneState(m, r, due is not None and due < day and (r is None or r.level != "complete")))
    last = max(visible, key=lambda r: (r.time, r.seq), default=None)
    return CommitmentState(c.id, c.number, c.titles, c.axis, c.leads, in_force.get(WHOLE), states,
                           last, sum(1 for r in visible if r.contested), len(visible))


def recent(repo: GitRepo, limit: int = 100) -> list[Report]:
    """The latest visible reports of the whole plan, newest first (for the feed)."""
    main = core.resolve(repo, "main")
    items: list[Report] = []
    for cid in core.commitment_ids(repo, main):
        if repo.ref_target(reviewlog.commitment_log(cid)) is not None:
            items += [r for r in reports(repo, cid) if not r.hidden]
    items.sort(key=lambda r: (r.time, r.seq), reverse=True)
    return items[:limit]
