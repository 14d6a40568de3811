"""The end-of-term self-assessment: what the plan's records say about one term, read from git.

A term runs from one day to another (each given as a date or as a published version, which
stands for the day of the commit it names). Everything is read as it stood at the end of the
term's last day: the plan (main) as of that day, the progress reports and their answers
recorded by then (progress.log_events_as_of: the `known=` rule of the dashboard), and the
amendments merged on main's first-parent line during the term. So the report of a past term
never changes afterwards, and any clone of the repository gives the same one.

Per commitment: its leads, each milestone with its due date, the level in force at the term's
end and the report that gives it (note, evidence links, author, as_of), whether it was late;
the reports contested during the term with their answers; the amendments merged during the
term. Plan-level figures sum these up. `SelfAssessment.consultations` is the place of the
consultations' participation figures and responses (issue 19): see `consultations_in`.

The web pages, exports and `review self-assessment` all render `build()`'s result; the CSV
columns are documented in docs/self-assessment.md.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from . import audit, consultations, csvexport, model, progress, reviewlog, versions
from . import commitment as core
from .errors import Damaged, Invalid
from .gitrepo import GitRepo
from .model import Milestone, Plan
from .progress import Report

NOT_REPORTED = "not-reported"   # the bucket of a commitment without a whole-commitment report
MAX_BOUND = 200


# -- the term -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Term:
    start: dt.date
    end: dt.date
    start_version: str | None = None   # the published version `start` was given as, if any
    end_version: str | None = None

    def contains(self, day: dt.date | str) -> bool:
        day = day if isinstance(day, dt.date) else dt.date.fromisoformat(day[:10])
        return self.start <= day <= self.end

    def as_json(self) -> dict:
        return {"from": self.start.isoformat(), "to": self.end.isoformat(), "from_version": self.start_version,
                "to_version": self.end_version, "known": self.end.isoformat()}


def _version_day(repo: GitRepo, v: versions.Version) -> dt.date:
    """A version stands for the day of the commit it names (the plan text it publishes),
    not the day its tag was written (`review init` tags the adopted plan on the day it runs)."""
    return repo.commit_info(v.commit).time.astimezone(dt.timezone.utc).date()


def parse_bound(repo: GitRepo, value, name: str) -> tuple[dt.date, str | None] | None:
    """A term's bound as a reader writes it: YYYY-MM-DD or a published version's name (with or
    without `versions/`); None when not given."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise Invalid("selfassessment.bad_bound", name=name, value=repr(value))
    value = value.strip()
    if not value:
        return None
    day = model.as_date(value) if len(value) <= 10 else None
    if day is not None:
        return day, None
    if len(value) <= MAX_BOUND:
        for v in versions.list_versions(repo):
            if value in (v.name, v.short_name):
                return _version_day(repo, v), v.name
    raise Invalid("selfassessment.bad_bound", name=name, value=repr(value[:60]))


def default_start(repo: GitRepo) -> tuple[dt.date, str | None]:
    """The first published version, else the first commit of main."""
    found = versions.list_versions(repo)
    if found:
        first = min(found, key=lambda v: (_version_day(repo, v), v.time, v.name))
        return _version_day(repo, first), first.name
    first = None
    for first in repo.first_parent_log(core.resolve(repo, "main")):
        pass
    return first.time.astimezone(dt.timezone.utc).date(), None


def term_of(repo: GitRepo, start=None, end=None) -> Term:
    """The term from `start` to `end` (dates or version names; defaults: the first published
    version, today). Raises Invalid naming the bound at fault."""
    s = parse_bound(repo, start, "from") or default_start(repo)
    e = parse_bound(repo, end, "to") or (progress.today(), None)
    plan_now = core.read_plan(repo, core.resolve(repo, "main"))
    progress.check_day(plan_now, e[0], "to")
    if s[0] > e[0]:
        raise Invalid("selfassessment.start_after_end", start=s[0].isoformat(), end=e[0].isoformat())
    return Term(s[0], e[0], s[1], e[1])


# -- what the report holds --------------------------------------------------------------------

@dataclass
class MilestoneEntry:
    milestone: Milestone
    due_end: dt.date | None          # the last day its due date covers ("2016-06": 30 June)
    report: Report | None            # the report in force at the term's end (its evidence)
    overdue: bool                    # due before the term's end and not complete then
    late: bool                       # overdue, or reported complete as of a day after it was due
    due_by_end: bool                 # due on or before the term's last day

    @property
    def level(self) -> str | None:
        return self.report.level if self.report else None


@dataclass
class AmendmentEntry:
    """An amendment merged on main during the term (one commit of main's first-parent line)."""
    number: int
    title: str
    merged: dt.datetime
    merged_by: str | None            # the merger's handle (None: the service)
    merged_by_name: str
    commit: str
    target: str | None               # the commitment it was opened on, or "plan"
    commitments: tuple[str, ...]     # the commitments whose files it changed
    approvals: tuple                 # review.trailers.Approval
    auto: bool                       # merged by the policy

    @classmethod
    def of(cls, ch: audit.Change) -> "AmendmentEntry":
        return cls(ch.amendment, ch.title, ch.time, ch.author, ch.author_name, ch.commit, ch.target,
                   ch.commitments, ch.approvals, ch.auto)

    def concerns(self, cid: str) -> bool:
        return self.target == cid or cid in self.commitments

    def as_json(self) -> dict:
        return {"number": self.number, "title": self.title,
                "merged": self.merged.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z"),
                "merged_by": self.merged_by, "merged_by_name": self.merged_by_name, "commit": self.commit,
                "target": self.target, "commitments": list(self.commitments),
                "approvals": [a.as_json() for a in self.approvals], "auto_merge": self.auto}


@dataclass
class CommitmentEntry:
    id: str
    number: int
    titles: dict[str, str]
    axis: str
    leads: tuple[str, ...]            # organisation ids
    report: Report | None             # in force for the whole commitment at the term's end
    milestones: list[MilestoneEntry]
    contested: list[Report]           # reports contested during the term, with their answers
    amendments: list[AmendmentEntry]  # merged during the term
    reports: int                      # visible reports written during the term

    @property
    def level(self) -> str | None:
        return self.report.level if self.report else None

    def title_in(self, lang: str) -> str:
        return self.titles.get(lang) or self.titles.get(model.AUTHORITATIVE) or self.id


@dataclass
class ConsultationEntry:
    """One consultation held during the term: its participation figures and the responses.
    Filled by `consultations_in` once review.consultations exists (issue 19)."""
    id: str
    titles: dict[str, str]
    opens: str                        # YYYY-MM-DD
    closes: str
    participants: int = 0
    contributions: int = 0
    supports: int = 0
    oppositions: int = 0
    responses: dict[str, int] = field(default_factory=dict)   # response kind -> count
    waiting: int = 0                  # contributions without a response at the term's end

    def title_in(self, lang: str) -> str:
        return self.titles.get(lang) or self.titles.get(model.AUTHORITATIVE) or self.id

    def as_json(self) -> dict:
        return {"id": self.id, "title": dict(self.titles), "opens": self.opens, "closes": self.closes,
                "participants": self.participants, "contributions": self.contributions,
                "supports": self.supports, "oppositions": self.oppositions,
                "responses": dict(self.responses), "waiting": self.waiting}


@dataclass
class Figures:
    commitments: int
    commitments_by_level: dict[str, int]     # LEVELS + NOT_REPORTED
    milestones: int
    milestones_by_level: dict[str, int]      # LEVELS + NOT_REPORTED
    milestones_due: int                      # due by the term's end
    milestones_late: int
    milestones_overdue: int
    milestones_complete: int
    amendments_merged: int
    reports: int                             # written during the term
    contested_reports: int
    consultations: int

    def as_json(self) -> dict:
        return dict(self.__dict__)


@dataclass
class SelfAssessment:
    term: Term
    revision: str                    # the commit of main read: the plan as it stood at the term's end
    plan: Plan
    commitments: list[CommitmentEntry]
    amendments: list[AmendmentEntry]  # every amendment merged during the term, oldest first
    figures: Figures
    consultations: list[ConsultationEntry] = field(default_factory=list)

    def by_axis(self) -> list[tuple]:
        groups = {a.id: [] for a in self.plan.axes}
        for c in self.commitments:
            groups.setdefault(c.axis, []).append(c)
        return [(a, groups.get(a.id, [])) for a in self.plan.axes if groups.get(a.id)]

    def person_name(self, handle: str | None) -> str:
        p = self.plan.people.get(handle) if handle else None
        return p.name if p else (handle or "")

    def organisation(self, oid: str, lang: str) -> str:
        o = self.plan.organisations.get(oid)
        return o.label(lang) if o else oid

    def as_json(self) -> dict:
        return {
            "term": self.term.as_json(), "revision": self.revision, "plan": {"title": dict(self.plan.title)},
            "levels": list(progress.LEVELS), "figures": self.figures.as_json(),
            "commitments": [self._commitment_json(c) for c in self.commitments],
            "amendments": [a.as_json() for a in self.amendments],
            "consultations": [c.as_json() for c in self.consultations],
        }

    def _evidence_json(self, r: Report | None) -> dict | None:
        if r is None:
            return None
        return {"report": r.id, "level": r.level, "as_of": r.as_of, "time": r.time, "author": r.author,
                "author_name": self.person_name(r.author), "note": r.note, "links": list(r.evidence),
                "revision": r.revision}

    def _commitment_json(self, c: CommitmentEntry) -> dict:
        return {
            "id": c.id, "number": c.number, "title": dict(c.titles), "axis": c.axis,
            "leads": [{"id": o, "name": {lang: self.organisation(o, lang) for lang in model.LANGUAGES}}
                      for o in c.leads],
            "level": c.level, "evidence": self._evidence_json(c.report),
            "milestones": [{"id": m.milestone.id, "title": dict(m.milestone.title), "due": m.milestone.due,
                            "due_end": m.due_end.isoformat() if m.due_end else None, "lead": m.milestone.lead,
                            "level": m.level, "evidence": self._evidence_json(m.report),
                            "due_by_end": m.due_by_end, "late": m.late, "overdue": m.overdue}
                           for m in c.milestones],
            "reports": c.reports,
            "contested": [r.as_json() for r in c.contested],
            "amendments": [a.number for a in c.amendments],
        }


# -- building it ------------------------------------------------------------------------------

def consultations_in(repo: GitRepo, term: Term, plan: Plan) -> list[ConsultationEntry]:
    """The consultations held during the term (their open..close window meets it), as known at
    its end: only the events, contributions and responses recorded by the end of `term.end`."""
    end = progress._end_of(term.end)
    out = []
    for cid in consultations.ids(repo):
        try:
            known = [e for e in reviewlog.read_events(repo, consultations.log_ref(cid))
                     if progress._when(e.time) <= end]
        except Damaged:
            continue  # a damaged log: /integrity names it; the report shows what can be read
        c = consultations._fold(cid, known)
        if c is None or c.opens > term.end.isoformat() or (c.closed_early or c.closes) < term.start.isoformat():
            continue
        items = [x for x in consultations.contributions(repo, cid, c) if progress._when(x.time) <= end]
        p = consultations.participation(repo, cid, items)
        out.append(ConsultationEntry(cid, dict(c.title), c.opens, (c.closed_early or c.closes)[:10],
                                     participants=len({x.author for x in items} | {
                                         who for x in items for who in x.stances}),
                                     contributions=p.contributions, supports=p.supports,
                                     oppositions=p.oppositions,
                                     responses={k: v for k, v in p.outcomes.items() if v}, waiting=p.waiting))
    return out


def _in_term(term: Term, time: str) -> bool:
    return term.contains(time[:10])


def _contested_in_term(term: Term, r: Report) -> bool:
    """Contested, and the report or one of its contesting answers was written during the term."""
    if r.hidden or not r.contested:
        return False
    return _in_term(term, r.time) or any(
        c.stance == "contested" and not c.hidden and _in_term(term, c.time) for c in r.answers)


def _milestone(term: Term, ms: progress.MilestoneState) -> MilestoneEntry:
    due = progress.due_end(ms.milestone.due)
    r = ms.report
    completed_late = r is not None and r.level == "complete" and due is not None and r.as_of > due.isoformat()
    return MilestoneEntry(ms.milestone, due, r, ms.overdue, ms.overdue or completed_late,
                          due is not None and due <= term.end)


def build(repo: GitRepo, start=None, end=None) -> SelfAssessment:
    """The self-assessment of the term from `start` to `end` (see term_of), read as of its end."""
    term = term_of(repo, start, end)
    try:
        commit = core.resolve_as_of(repo, term.end)
    except core.NotFound:
        raise Invalid("progress.before_plan", day=term.end.isoformat()) from None
    plan = core.read_plan(repo, commit)
    merged = [AmendmentEntry.of(ch) for ch in reversed(audit.plan_history(repo, commit))
              if ch.amendment is not None and term.contains(ch.time.astimezone(dt.timezone.utc).date())]
    entries: list[CommitmentEntry] = []
    for s in core.readable(core.list_commitments(repo, commit)):
        c = core.read_commitment(repo, commit, s.id)
        try:
            recorded = list(progress.fold(progress.log_events_as_of(repo, c.id, term.end)).values())
        except Damaged:  # a damaged log: no report counts; the commitment's page says why
            recorded = []
        state = progress.commitment_state(c, recorded, term.end)
        entries.append(CommitmentEntry(
            c.id, c.number, c.titles, c.axis, c.leads, state.report, [_milestone(term, m) for m in state.milestones],
            [r for r in recorded if _contested_in_term(term, r)], [a for a in merged if a.concerns(c.id)],
            sum(1 for r in recorded if not r.hidden and _in_term(term, r.time))))
    consultations = consultations_in(repo, term, plan)
    return SelfAssessment(term, commit, plan, entries, merged, figures(entries, merged, consultations),
                          consultations)


def figures(entries: list[CommitmentEntry], merged: list[AmendmentEntry], consultations: list) -> Figures:
    buckets = (*progress.LEVELS, NOT_REPORTED)
    by_level = dict.fromkeys(buckets, 0)
    m_level = dict.fromkeys(buckets, 0)
    milestones = [m for c in entries for m in c.milestones]
    for c in entries:
        by_level[c.level or NOT_REPORTED] += 1
    for m in milestones:
        m_level[m.level or NOT_REPORTED] += 1
    return Figures(len(entries), by_level, len(milestones), m_level,
                   sum(1 for m in milestones if m.due_by_end),
                   sum(1 for m in milestones if m.late), sum(1 for m in milestones if m.overdue),
                   m_level["complete"], len(merged), sum(c.reports for c in entries),
                   sum(len(c.contested) for c in entries), len(consultations))


# -- the CSV export (columns: docs/self-assessment.md) -------------------------------------------

CSV_COLUMNS = (
    "term_from", "term_to", "commitment", "number", "axis", "commitment_title_fr", "commitment_title_en", "leads",
    "commitment_level", "milestone", "milestone_title_fr", "milestone_title_en", "milestone_lead", "due",
    "level", "level_as_of", "report", "report_author", "report_time", "evidence", "note", "late", "overdue",
    "contested_reports", "amendments",
)


def to_csv(a: SelfAssessment) -> str:
    """One row per milestone (a commitment without milestones: one row with an empty milestone)."""
    return csvexport.table(CSV_COLUMNS, _csv_rows(a))


def _csv_rows(a: SelfAssessment):
    term = (a.term.start.isoformat(), a.term.end.isoformat())
    for c in a.commitments:
        head = [*term, c.id, c.number, c.axis, c.titles.get("fr", ""), c.titles.get("en", ""), ";".join(c.leads),
                c.level or ""]
        tail = [len(c.contested), ";".join(str(x.number) for x in c.amendments)]
        for m in c.milestones or [None]:
            if m is None:
                yield head + [""] * 14 + tail
                continue
            r = m.report
            yield (head + [m.milestone.id, m.milestone.title.get("fr", ""), m.milestone.title.get("en", ""),
                               m.milestone.lead or "", m.milestone.due or "", m.level or "",
                               r.as_of if r else "", r.id if r else "", r.author if r else "",
                               r.time if r else "", " ".join(r.evidence) if r else "", r.note if r else "",
                               "yes" if m.late else "no", "yes" if m.overdue else "no"] + tail)
