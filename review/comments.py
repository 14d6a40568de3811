"""Comments on passages of a commitment: threads, edits, resolution, moderation.

Every act is an event in the commitment's review log (`review.reviewlog`); the state is
folded from the events, so nothing is ever erased: an edit supersedes, a hide leaves a stub.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from dataclasses import dataclass, field

from . import commitment as core
from . import model, render, reviewlog
from .errors import Conflict, Damaged, Forbidden, Invalid, Missing
from .gitrepo import GitRepo
from .lru import LRU, MB
from .model import Person
from .permissions import Subject, require

MAX_BODY = 10_000
MAX_QUOTE = 2_000
MAX_REASON = 500
STANCES = ("for", "against", "neutral")
REPORT_STANCES = (*STANCES, "contested")  # an answer on a progress report may contest it
ANCHOR_RE = re.compile(r"^p-([1-9][0-9]{0,4})$")
CLOSE_ENOUGH = 0.8  # share of the quote's words found in order in one paragraph
# Where a quote falls in a text other than the one it was written on: a pure function of the text,
# the quote and its paragraph, kept (the fuzzy search is most of a page shown in another language).
_placements = LRU(20_000)

ADD, EDIT, RESOLVE, REOPEN, HIDE = "comment", "comment-edit", "comment-resolve", "comment-reopen", "comment-hide"


@dataclass
class Comment:
    id: str
    author: str
    time: str
    body: str
    anchor: str | None
    quote: str | None
    rev: str
    blob: str | None
    lang: str
    stance: str | None
    reply_to: str | None
    report: str | None = None       # id of the progress report this answers (review.progress)
    consultation: str | None = None  # id of the consultation it contributes to (review.consultations)
    versions: list[tuple[str, str]] = field(default_factory=list)  # earlier (time, body)
    edited: str | None = None       # time of the current text when it was edited
    resolved: bool = False
    hidden: dict | None = None      # {"by", "time", "reason"}
    replies: list["Comment"] = field(default_factory=list)
    # Where it stands on the text shown (set by place()): anchor now and how it was found.
    placed_at: str | None = None
    placement: str = "whole"        # whole | exact | moved | close | outdated
    seq: int = 0                    # position of its event in the log: what came after a visit is new

    @property
    def state(self) -> str:
        return "hidden" if self.hidden else "resolved" if self.resolved else "open"

    def as_json(self) -> dict:
        return {
            "id": self.id, "author": self.author, "time": self.time,
            "body": None if self.hidden else self.body,
            "anchor": self.anchor, "quote": self.quote, "rev": self.rev, "blob": self.blob,
            "lang": self.lang, "stance": self.stance, "reply_to": self.reply_to, "report": self.report,
            "consultation": self.consultation,
            "state": self.state,
            "hidden": self.hidden, "edited": self.edited,
            "versions": [] if self.hidden else [{"time": t, "body": b} for t, b in self.versions],
            "placement": self.placement, "placed_at": self.placed_at,
            "replies": [r.as_json() for r in self.replies],
        }


# -- reading -------------------------------------------------------------------------

def fold(events) -> dict[str, Comment]:
    """Comments by id, from a log's events (events of other kinds are ignored)."""
    comments: dict[str, Comment] = {}
    for e in events:
        d = e.data
        if e.type == ADD:
            comments[e.id] = Comment(e.id, e.actor, e.time, d["body"], d.get("anchor"), d.get("quote"),
                                     d["rev"], d.get("blob"), d.get("lang", model.AUTHORITATIVE),
                                     d.get("stance"), d.get("reply_to"), d.get("report"), d.get("consultation"),
                                     seq=e.seq)
            root = comments.get(d.get("reply_to") or "")
            if root is not None:
                root.replies.append(comments[e.id])
        elif d.get("target") in comments:
            c = comments[d["target"]]
            if e.type == EDIT:
                c.versions.append((c.edited or c.time, c.body))
                c.body, c.edited = d["body"], e.time
            elif e.type == RESOLVE:
                c.resolved = True
            elif e.type == REOPEN:
                c.resolved = False
            elif e.type == HIDE:
                c.hidden = {"by": e.actor, "time": e.time, "reason": d["reason"]}
    return comments


def _log(cid: str, log: str | None) -> str:
    """A commitment's own log, or another one (an amendment's discussion) when given."""
    return log or reviewlog.commitment_log(cid)


def threads(repo: GitRepo, cid: str, log: str | None = None) -> list[Comment]:
    """Root comments (oldest first), each with its replies; answers on progress reports are not here."""
    return [c for c in fold(reviewlog.read_events(repo, _log(cid, log))).values()
            if not c.reply_to and not c.report]


def report_thread(repo: GitRepo, cid: str, report_id: str) -> list[Comment]:
    """The answers on one progress report (oldest first), each with its replies."""
    return [c for c in fold(reviewlog.read_events(repo, reviewlog.commitment_log(cid))).values()
            if c.report == report_id and not c.reply_to]


def get(repo: GitRepo, cid: str, comment_id: str, log: str | None = None) -> Comment:
    c = fold(reviewlog.read_events(repo, _log(cid, log))).get(comment_id)
    if c is None:
        raise Missing("comment.missing", comment=repr(comment_id), commitment=cid)
    return c


# -- placing comments on the text shown ----------------------------------------------------

def _find(quote: str, blocks: list[str], prefer: int | None) -> tuple[int, str] | None:
    if prefer is not None and 0 <= prefer < len(blocks) and quote in blocks[prefer]:
        return prefer, "exact"
    for i, b in enumerate(blocks):
        if quote in b:
            return i, "moved" if prefer is not None else "exact"
    words = [t for t in render.tokens(quote) if not t.isspace()]
    best, best_i = 0.0, None
    for i, b in enumerate(blocks):
        sm = difflib.SequenceMatcher(None, words, [t for t in render.tokens(b) if not t.isspace()], autojunk=False)
        score = sum(m.size for m in sm.get_matching_blocks()) / max(len(words), 1)
        if score > best:
            best, best_i = score, i
    if best_i is not None and best >= CLOSE_ENOUGH:
        return best_i, "close"
    return None


def _locate(digest: bytes, quote: str, index: int | None, blocks: list[str], plain: list[str]):
    """_find in the source, then in the plain text, of the text whose sha1 is `digest` (cached)."""
    key = (digest, quote, index)
    hit = _placements.get(key)
    if hit is None:
        hit = _placements.put(key, (_find(quote, blocks, index) or _find(quote, plain, index),))
    return hit[0]


def place(comments: list[Comment], body: str, blob: str | None) -> None:
    """Anchor each root comment on the current text: exactly, closely, or mark it outdated."""
    blocks = [b.text for b in render.source_blocks(body)]
    plain = [render.plain_text(b) for b in blocks]
    digest = hashlib.sha1(body.encode()).digest()
    for c in comments:
        if c.anchor is None:
            c.placement, c.placed_at = "whole", None
            continue
        m = ANCHOR_RE.match(c.anchor)
        index = int(m.group(1)) - 1 if m else None
        if c.blob is not None and c.blob == blob:
            c.placement, c.placed_at = "exact", c.anchor
            continue
        found = _locate(digest, c.quote, index, blocks, plain) if c.quote else None
        if found is None:
            c.placement, c.placed_at = "outdated", None
        else:
            c.placement, c.placed_at = found[1], f"p-{found[0] + 1}"


# -- writing --------------------------------------------------------------------------------

def _check_body(body) -> str:
    if not isinstance(body, str) or not body.strip():
        raise Invalid("comment.empty")
    if len(body) > MAX_BODY:
        raise Invalid("comment.too_long", length=len(body), limit=MAX_BODY)
    try:
        body.encode("utf-8")
    except UnicodeEncodeError:
        raise Invalid("comment.not_utf8") from None
    return body.replace("\r\n", "\n")


def add(repo: GitRepo, person: Person | None, cid: str, body: str, rev: str | None = None,
        anchor: str | None = None, quote: str | None = None, reply_to: str | None = None,
        stance: str | None = None, lang: str = model.AUTHORITATIVE, on_report: str | None = None,
        log: str | None = None, answerable=None, consultation: str | None = None, guard=None) -> Comment:
    """Comment on a commitment's text at a revision; with `log`, the comment goes to that log
    instead (an amendment's discussion, anchored in the amendment's revision of the text).

    An answer on a progress report (`on_report`) comes through review.progress.answer, which
    passes `answerable(events)`: the check, under the log's compare-and-swap, that the report
    can still be answered. A contribution to a consultation comes through
    review.consultations.contribute, which passes `consultation` (its id, kept in the event) and
    `guard(events)`: the check, under the compare-and-swap, that it is still open."""
    if on_report and answerable is None:
        raise TypeError("answer progress reports through review.progress.answer")
    if consultation and guard is None:
        raise TypeError("contribute to consultations through review.consultations.contribute")
    require(person, "contribute" if consultation else "answer_report" if on_report else "reply" if reply_to
            else "comment")
    body = _check_body(body)
    stances = REPORT_STANCES if on_report else STANCES
    if stance not in (None, "", *stances):
        raise Invalid("comment.bad_stance", choices=", ".join(stances), value=repr(stance))
    if on_report and (reply_to or anchor or quote):
        raise Invalid("comment.answer_fields")
    if lang not in model.LANGUAGES:
        raise Invalid("comment.bad_lang", choices=", ".join(model.LANGUAGES))
    try:
        commit = core.resolve(repo, rev or "main")
    except core.NotFound:
        raise Invalid("comment.unknown_revision", revision=repr(rev)) from None
    if log is not None and not model.valid_id(cid):  # an amendment of plan.yaml: no text to anchor in
        if anchor or quote:
            raise Invalid("comment.no_paragraphs")
        c, blob = None, None
    else:
        try:
            c = core.read_commitment(repo, commit, cid)
        except core.NotFound:
            raise Missing("comment.no_commitment_at", commitment=repr(cid), revision=rev or "main") from None
        blob = repo.blob_id(commit, model.commitment_path(cid, lang if lang in c.bodies else model.AUTHORITATIVE))
    if reply_to:
        if anchor or quote:
            raise Invalid("comment.reply_anchor")
    elif anchor:
        m = ANCHOR_RE.match(anchor) if isinstance(anchor, str) else None
        blocks = [b.text for b in render.source_blocks(c.body_in(lang))]
        if m is None or int(m.group(1)) > len(blocks):
            raise Invalid("comment.bad_anchor", anchor=repr(anchor), last=len(blocks))
        block = blocks[int(m.group(1)) - 1]
        if quote is None or not str(quote).strip():
            quote = render.plain_text(block)
        elif not isinstance(quote, str) or len(quote) > MAX_QUOTE:
            raise Invalid("comment.quote_long", n=MAX_QUOTE)
        elif quote not in block and quote not in render.plain_text(block):
            raise Invalid("comment.quote_not_found", anchor=anchor)
    elif quote:
        raise Invalid("comment.quote_no_anchor")
    data = {"commitment": cid, "body": body, "rev": commit, "blob": blob, "lang": lang,
            "anchor": None if reply_to else anchor, "quote": None if reply_to else quote,
            "stance": stance or None, "reply_to": reply_to or None}
    if on_report:
        data["report"] = on_report
    if consultation:
        data["consultation"] = consultation

    def check(events):
        if guard is not None:
            guard(events)
        if on_report:
            answerable(events)
        if reply_to:
            target = fold(events).get(reply_to)
            if target is None:
                raise Invalid("comment.reply_missing", comment=repr(reply_to), commitment=cid)
            if target.hidden:
                raise Invalid("comment.reply_hidden")
            if target.reply_to:  # replies attach to the thread's first comment
                data["reply_to"] = target.reply_to

    summary = (f"Answer on progress report {on_report} of {cid}" if on_report else f"Reply on {cid}" if reply_to
               else f"Comment on {cid}" + (f" {anchor}" if anchor else ""))
    ev = reviewlog.append(repo, _log(cid, log), reviewlog.identity(person.handle, person.name),
                          person.handle, ADD, data, summary, check if (on_report or reply_to or guard) else None,
                          {"Revision": commit})
    return fold([ev])[ev.id]  # the new comment alone: folding the whole log again costs O(log length)


def _act(repo, person, cid, comment_id, etype, action, extra, summary, state_check, log=None):
    def check(events):
        comments = fold(events)
        target = comments.get(comment_id)
        if target is None:
            raise Missing("comment.missing", comment=repr(comment_id), commitment=cid)
        require(person, action, Subject(author=target.author, leads=core.leads_on_main(repo, cid), hidden=bool(target.hidden)))
        state_check(target)

    if person is None:
        raise Forbidden("permission.sign_in")
    reviewlog.append(repo, _log(cid, log), reviewlog.identity(person.handle, person.name),
                     person.handle, etype, {"target": comment_id, **extra}, summary, check)
    return get(repo, cid, comment_id, log)


def _not_hidden(c):
    if c.hidden:
        raise Conflict("comment.hidden")


def edit(repo: GitRepo, person: Person | None, cid: str, comment_id: str, body: str,
         log: str | None = None) -> Comment:
    body = _check_body(body)

    def state(c):
        _not_hidden(c)
        if c.body == body:
            raise Invalid("comment.same_text")
    return _act(repo, person, cid, comment_id, EDIT, "edit_comment", {"body": body}, f"Edit a comment on {cid}", state, log)


def resolve(repo: GitRepo, person: Person | None, cid: str, comment_id: str, log: str | None = None) -> Comment:
    def state(c):
        if c.reply_to:
            raise Invalid("comment.resolve_reply")
        if c.resolved:
            raise Conflict("comment.resolved_already")
    return _act(repo, person, cid, comment_id, RESOLVE, "resolve_comment", {}, f"Resolve a thread on {cid}", state, log)


def reopen(repo: GitRepo, person: Person | None, cid: str, comment_id: str, log: str | None = None) -> Comment:
    def state(c):
        if not c.resolved:
            raise Conflict("comment.open_already")
    return _act(repo, person, cid, comment_id, REOPEN, "resolve_comment", {}, f"Reopen a thread on {cid}", state, log)


def hide(repo: GitRepo, person: Person | None, cid: str, comment_id: str, reason: str,
         log: str | None = None) -> Comment:
    if not isinstance(reason, str) or not reason.strip():
        raise Invalid("comment.no_hide_reason")
    if len(reason) > MAX_REASON:
        raise Invalid("moderation.reason_long", n=MAX_REASON)
    return _act(repo, person, cid, comment_id, HIDE, "hide", {"reason": reason.strip()},
                f"Hide a comment on {cid}", _not_hidden, log)


def count(repo: GitRepo, cid: str) -> int:
    """Number of visible comments (threads and replies) on a commitment."""
    if repo.ref_target(reviewlog.commitment_log(cid)) is None:
        return 0
    return sum(1 for c in fold(reviewlog.read_events(repo, reviewlog.commitment_log(cid))).values() if not c.hidden)


# -- what a discussion holds, and what is new in it -----------------------------------------

@dataclass(frozen=True)
class Summary:
    visible: int     # comments, replies and answers on reports not hidden
    unresolved: int  # threads neither resolved nor hidden
    resolved: int    # threads resolved (and not hidden)
    last_seq: int    # position of the log's last event (-1: empty log)


def overview(repo: GitRepo, cid: str, log: str | None = None) -> tuple[Summary, list[Comment]]:
    """The counts of a commitment's (or an amendment's) discussion and its thread roots, from one
    fold of its log: for lists such as the plan page. `visible` counts like count()."""
    events = reviewlog.read_events(repo, _log(cid, log))
    return summarize(events, fold(events))


def summarize(events, folded: dict[str, Comment]) -> tuple[Summary, list[Comment]]:
    """overview() of a log already read and folded (`folded` is fold(events)), for a page that
    also needs the log's progress reports (review.progress.fold takes the same fold)."""
    roots = [c for c in folded.values() if not c.reply_to and not c.report]
    return Summary(sum(1 for c in folded.values() if not c.hidden), sum(1 for t in roots if t.state == "open"),
                   sum(1 for t in roots if t.state == "resolved"), events[-1].seq if events else -1), roots


# A list's view of a log (its counts, and who wrote each comment at which position, for the
# "new since your last visit" counts), kept by the log's tip in memory and on disk
# (review/logcounts.py): the plan page of 5,000 commitments reads no log that did not move, and a
# fresh worker reads the counts from one file instead of 100,000 events. The marks are kept as
# compact JSON text ([[seq, author, hidden], ...]), read back only for a log the reader visited.
_marks = LRU(65536, 32 * MB, lambda key, value: 250 + len(value[1]))
NO_MARKS = "[]"


def _marks_text(roots: list[Comment]) -> str:
    return json.dumps([[c.seq, c.author, 1 if c.hidden else 0] for t in roots for c in (t, *t.replies)],
                      ensure_ascii=False, separators=(",", ":"))


def overviews(repo: GitRepo, cids, counts=None) -> dict[str, tuple[Summary, str] | None]:
    """cid -> (overview's Summary, marks: (seq, author, hidden) of every comment and reply of its
    threads, as text for unread_count) of each commitment's log; None for a damaged log (its own
    page says what is wrong). `counts` (a review.logcounts.Store) keeps them on disk by log tip:
    logs found there are not read, logs read are written there."""
    out: dict[str, tuple[Summary, str] | None] = {}
    missing: dict[str, tuple[str, str]] = {}
    for cid in cids:
        ref = _log(cid, None)
        tip = repo.ref_target(ref)
        if tip is None:
            out[cid] = (Summary(0, 0, 0, -1), NO_MARKS)
            continue
        hit = _marks.get((repo.path, ref, tip))
        if hit is None:
            missing[ref] = (cid, tip)
        else:
            out[cid] = hit
    if missing and counts is not None:
        for ref, (numbers, marks) in counts.get({ref: tip for ref, (_, tip) in missing.items()}).items():
            cid, tip = missing.pop(ref)
            out[cid] = _marks.put((repo.path, ref, tip), (Summary(*numbers), marks))
    rows = []
    for ref, (cid, tip) in missing.items():
        try:
            events = reviewlog.events_at(repo, tip)
        except Damaged:
            out[cid] = None
            continue
        summary, roots = summarize(events, fold(events))
        out[cid] = _marks.put((repo.path, ref, tip), (summary, _marks_text(roots)))
        rows.append((ref, tip, (summary.visible, summary.unresolved, summary.resolved, summary.last_seq),
                     out[cid][1]))
    if counts is not None:
        counts.put(rows)
    return out


def unread_count(marks: str, since_seq: int | None, reader: str) -> int:
    """len(unread(...)) from the marks of overviews()."""
    if since_seq is None:
        return 0
    return sum(1 for seq, author, hidden in json.loads(marks) if seq > since_seq and author != reader and not hidden)


def last_seq(repo: GitRepo, cid: str, log: str | None = None) -> int:
    events = reviewlog.read_events(repo, _log(cid, log))
    return events[-1].seq if events else -1


def unread(roots: list[Comment], since_seq: int | None, reader: str) -> set[str]:
    """Ids of the comments and replies written after position `since_seq` of the log by someone
    else than `reader` (their own words are never news to them); none on a first visit (None)."""
    if since_seq is None:
        return set()
    return {c.id for t in roots for c in (t, *t.replies) if c.seq > since_seq and c.author != reader and not c.hidden}
