""""For you": what waits for one signed-in person (issue 17, point 4).

Derived from git alone, at the refs as they are: the approvals this person can give
(review.signoff.pending_for), replies by others to the threads they wrote in (commitments and
amendments) and answers on their progress reports, the open amendments and latest reports
on the commitments their organisation leads, and their own open amendments with what blocks
them (review.signoff.explain). Nothing is stored: the result is kept in a small cache keyed by
the person and a digest of every ref, so any new event anywhere gives a fresh one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from . import amendments as am
from . import comments
from . import commitment as core
from . import progress, reviewlog, signoff
from .errors import Damaged
from .gitrepo import GitRepo
from .lru import LRU, MB, sized
from .model import Person

LATEST_REPORTS = 10
_cache = LRU(256, 8 * MB, sized)


@dataclass
class Reply:
    """A comment by someone else that answers this person: in a thread they wrote in, after
    their last word there, or an answer on one of their progress reports."""

    comment: comments.Comment
    root: str                       # the thread's root comment id
    commitment: str                 # the commitment whose text (or log) it is on
    amendment: int | None = None    # set when it is an amendment's discussion
    report: str | None = None       # set when it answers a progress report


@dataclass
class Mine:
    amendment: am.Amendment
    satisfied: bool
    unmet: list                     # review.signoff.Unmet
    objections: list                # handles whose objection blocks


@dataclass
class ForYou:
    handle: str
    approvals: list = field(default_factory=list)      # (Amendment, Evaluation)
    replies: list[Reply] = field(default_factory=list)
    led: list[str] = field(default_factory=list)        # commitments their organisation leads
    led_amendments: list = field(default_factory=list)  # open amendments on them, by others
    led_reports: list = field(default_factory=list)     # latest visible reports on them
    mine: list[Mine] = field(default_factory=list)

    @property
    def count(self) -> int:
        """What waits for this person to act: approvals to give and replies to read."""
        return len(self.approvals) + len(self.replies)

    def as_json(self) -> dict:
        return {
            "handle": self.handle, "count": self.count,
            "approvals": [{"number": a.number, "title": a.title, "revision": a.head, "satisfied": ev.satisfied}
                          for a, ev in self.approvals],
            "replies": [{"id": r.comment.id, "author": r.comment.author, "time": r.comment.time,
                         "commitment": r.commitment, "amendment": r.amendment, "report": r.report,
                         "thread": r.root} for r in self.replies],
            "led": self.led,
            "led_amendments": [{"number": a.number, "title": a.title, "commitment": a.commitment,
                                "author": a.author, "opened": a.opened} for a in self.led_amendments],
            "led_reports": [{"id": r.id, "commitment": r.commitment, "milestone": r.milestone, "level": r.level,
                             "as_of": r.as_of, "time": r.time, "author": r.author} for r in self.led_reports],
            "mine": [{"number": m.amendment.number, "title": m.amendment.title, "satisfied": m.satisfied,
                      "unmet": [u.as_json() for u in m.unmet], "objections": m.objections} for m in self.mine],
        }


def _replies_in(folded: dict, handle: str, commitment: str, amendment: int | None = None) -> list[Reply]:
    out = []
    for root in folded.values():
        if root.reply_to:
            continue
        if root.report:  # an answer on a report: see _report_answers
            continue
        thread = [root] + root.replies
        mine = [i for i, c in enumerate(thread) if c.author == handle]
        if not mine or root.resolved:
            continue
        out += [Reply(c, root.id, commitment, amendment) for c in thread[mine[-1] + 1:]
                if c.author != handle and not c.hidden]
    return out


def _report_answers(folded: dict, reports: dict, handle: str, commitment: str) -> list[Reply]:
    out = []
    for c in folded.values():
        if c.report and not c.reply_to and not c.hidden and c.author != handle:
            r = reports.get(c.report)
            if r is not None and r.author == handle and not r.hidden:
                out.append(Reply(c, c.id, commitment, report=r.id))
    return out


class OutOfTime(Exception):
    """`compute` went past its deadline; what it read so far is kept for the next call."""


# What one review log holds for one person, kept by the log's tip: a new event re-reads that log
# only, and a person's "for you" over 5,000 logs is 5,000 look-ups (issue 20).
# Weighed: one person who wrote in every log of a big plan keeps 5,000 parts (about 10 MB); the
# count alone let a few such people hold a hundred MB of each worker.
_parts = LRU(65536, 16 * MB, sized)


def _log_part(repo: GitRepo, cid: str, tip: str, handle: str, check=lambda: None) -> tuple[list[Reply], list]:
    key = (repo.path, cid, tip, handle)
    hit = _parts.get(key)
    if hit is None:
        check()  # only reading a log costs: look-ups never run out of time
        events = reviewlog.events_at(repo, tip)
        folded = comments.fold(events)
        by_id = progress.fold(events)
        replies = _replies_in(folded, handle, cid) + _report_answers(folded, by_id, handle, cid)
        hit = _parts.put(key, (replies, [r for r in by_id.values() if not r.hidden]))
    return hit


def compute(repo: GitRepo, person: Person, deadline: float | None = None, acted=None) -> ForYou:
    """What waits for `person`; with a `deadline` (time.monotonic()), raises OutOfTime past it,
    keeping what it read (the header's count asks with a deadline: a fresh worker on a big plan
    shows the count once the logs are read, over a few requests, never one slow page).
    `acted`: (refs fingerprint, the logs in which the person wrote an event) when known (the audit
    file, review.audit.logs_acted_in): a commitment's log where they never wrote holds no reply
    to them and no answer on their reports, so only those and the led commitments' are read."""
    def check():
        if deadline is not None and time.monotonic() > deadline:
            raise OutOfTime()

    main = core.resolve(repo, "main")
    summaries = core.readable(core.list_commitments(repo, main))
    refs = repo.ref_snapshot()
    wrote_in = acted[1] if acted is not None and acted[0] == repo.refs_fingerprint() else None
    out = ForYou(person.handle)
    out.led = [s.id for s in summaries if person.organisation and person.organisation in s.leads]
    led = set(out.led)
    reports = []
    for s in summaries:
        ref = reviewlog.commitment_log(s.id)
        tip = refs.get(ref)
        if tip is None or (wrote_in is not None and ref not in wrote_in and s.id not in led):
            continue
        try:
            replies, visible = _log_part(repo, s.id, tip, person.handle, check)
        except Damaged:
            continue
        out.replies += replies
        if s.id in led:
            reports += visible
    opened = []
    for n in am.numbers(repo, refs):
        check()
        try:
            a = am.get(repo, n, refs)
        except (am.Missing, Damaged):
            continue
        if a.state == "open":
            opened.append(a)
    for a in opened:
        out.replies += _replies_in(comments.fold(a.events), person.handle, a.commitment, a.number)
    out.replies.sort(key=lambda r: r.comment.time, reverse=True)
    reports.sort(key=lambda r: (r.time, r.seq), reverse=True)
    out.led_reports = reports[:LATEST_REPORTS]
    out.approvals = signoff.pending_for(repo, person)
    for a in opened:
        if a.author == person.handle:
            ev = signoff.evaluate(repo, a, main)
            block = [o.handle for o in ev.objections] if any(s.scope.policy.objections_block for s in ev.scopes) else []
            out.mine.append(Mine(a, ev.satisfied, signoff.explain(repo, a, ev), block))
        elif a.commitment in led:
            out.led_amendments.append(a)
    return out


def for_person(repo: GitRepo, person: Person, budget: float | None = None, acted_in=None) -> ForYou:
    """`compute`, kept while no ref moves (the key holds a digest of every ref). With a `budget`
    (seconds), raises OutOfTime when computing takes longer (see `compute`). `acted_in(handle)`:
    what `compute` takes as `acted`, asked only when the result is not kept."""
    key = (repo.path, person, repo.refs_fingerprint())
    hit = _cache.get(key)
    if hit is None:
        deadline = time.monotonic() + budget if budget is not None else None
        acted = acted_in(person.handle) if acted_in is not None else None
        hit = _cache.put(key, compute(repo, person, deadline, acted))
    return hit
