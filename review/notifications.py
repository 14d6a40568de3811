"""Notifications: what happened that a person watches, derived from the events in git (issue 18).

This module is the contract between the notifications themselves (watches, derivation from the
review logs and branches, /notifications) and the e-mail that carries them (review/mailer.py):
the mailer reads `Notification` objects and nothing else.

Every notification is derived from one git event (a comment, a revision, a verdict, a merge, a
report...); the derived rows and the read marks live in the instance folder, never in git, and
can be rebuilt from git at any time.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path

from . import amendments as am
from . import comments as cm
from . import commitment as core
from . import consultations as cons
from . import derivedfile, progress, render, reviewlog, signoff
from .errors import Forbidden, Invalid, Missing

# What a person can be notified of; e-mail preferences are chosen per kind.
KINDS = (
    "reply",       # someone answered in a thread one wrote in, or on one's progress report
    "mention",     # someone wrote @handle in a comment, rationale or progress note
    "amendment",   # a new amendment on something one watches
    "revision",    # a new revision of an amendment one watches
    "approval",    # an approval given on an amendment one watches
    "objection",   # an objection on an amendment one watches
    "merge",       # an amendment one watches was merged into the plan
    "report",      # a progress report on a commitment one watches
    "contest",     # a progress report one watches was contested
    "consultation",  # a consultation of the public was announced (everyone, unless they unwatch the plan)
)


@dataclass(frozen=True)
class Notification:
    id: int            # increasing and unique in this instance (the row id in the instance folder)
    handle: str        # who receives it
    kind: str          # one of KINDS
    time: str          # ISO 8601 UTC time of the event in git
    actor: str         # the handle of who did it
    event: str         # the id of the git event (or commit) it is derived from
    thread: str        # the discussion it belongs to, for mail threading: "commitment/<cid>", "consultation/<id>",
                       # "amendment/<n>", "comment/<root comment id>", "report/<report id>"
    path: str          # the site path that shows it, with its anchor: "/commitments/<cid>#comment-<id>"
    title: dict = field(default_factory=dict)  # {"fr": ..., "en": ...}: what it is about (plain text)
    excerpt: str = ""  # plain text, at most 300 characters: the comment's or rationale's beginning
    read: bool = False


# ---------------------------------------------------------------------------------------------
# Watches and derivation (docs: README "Notifications").
#
# The file DIR/instance/notifications.sqlite holds three private things: the watches people set
# (an append-only history of "watch"/"unwatch" rows, so that a rebuild applies each one from the
# moment it was set, as the catch-up did), the notifications derived from git, and their read
# marks. Like the search index (review/search.py) it remembers the tip of every review log it has
# read (`seen`) and catches up from there: the new events of each log since its last tip. One
# write transaction per catch-up (`BEGIN IMMEDIATE`) that re-reads `seen` inside it, and rows
# keyed UNIQUE(handle, event, kind) written with INSERT OR IGNORE: two processes catching up at
# once derive each notification once.


SCHEMA = 1
FILE_NAME = "notifications.sqlite"
COMMITMENT_LOGS = "refs/reviews/commitments/"
AMENDMENT_LOGS = "refs/reviews/amendments/"
CONSULTATION_LOGS = cons.PREFIX
MAX_EXCERPT = 300
MAX_PAGE = 100
MAX_IDS = 500          # ids marked read in one request
SUBJECT_RE = re.compile(r"^(?:plan|commitment/([a-z0-9]+(?:-[a-z0-9]+)*)|amendment/([1-9][0-9]{0,8})|"
                        r"axis/([A-Za-z0-9][A-Za-z0-9_-]{0,63}))$")

_DDL = [
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS seen(ref TEXT PRIMARY KEY, tip TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS notes(
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        handle TEXT NOT NULL, kind TEXT NOT NULL, time TEXT NOT NULL, actor TEXT NOT NULL,
        event TEXT NOT NULL, thread TEXT NOT NULL, path TEXT NOT NULL,
        title_fr TEXT NOT NULL DEFAULT '', title_en TEXT NOT NULL DEFAULT '', excerpt TEXT NOT NULL DEFAULT '',
        read INTEGER NOT NULL DEFAULT 0,
        about TEXT NOT NULL DEFAULT '',
        UNIQUE(handle, event, kind))""",
    "CREATE INDEX IF NOT EXISTS notes_about ON notes(about)",
    "CREATE INDEX IF NOT EXISTS notes_handle ON notes(handle, id)",
    "CREATE INDEX IF NOT EXISTS notes_unread ON notes(handle, read)",
    "CREATE INDEX IF NOT EXISTS notes_event ON notes(event)",
    # the watches people set: a history, the latest row of (handle, subject) at a time decides
    """CREATE TABLE IF NOT EXISTS watches(
        seq INTEGER PRIMARY KEY AUTOINCREMENT, handle TEXT NOT NULL, subject TEXT NOT NULL,
        watch INTEGER NOT NULL, time TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS watches_handle ON watches(handle, subject)",
    # what the derivation remembers of the logs it read (derived, dropped by a rebuild)
    "CREATE TABLE IF NOT EXISTS d_comments(log TEXT NOT NULL, id TEXT NOT NULL, root TEXT NOT NULL, "
    "author TEXT NOT NULL, PRIMARY KEY(log, id))",
    "CREATE INDEX IF NOT EXISTS d_comments_root ON d_comments(log, root)",
    "CREATE TABLE IF NOT EXISTS d_mentions(log TEXT NOT NULL, id TEXT NOT NULL, handle TEXT NOT NULL, "
    "PRIMARY KEY(log, id, handle))",
    "CREATE TABLE IF NOT EXISTS d_reports(log TEXT NOT NULL, id TEXT NOT NULL, author TEXT NOT NULL, "
    "PRIMARY KEY(log, id))",
    "CREATE TABLE IF NOT EXISTS d_amendments(number INTEGER PRIMARY KEY, commitment TEXT NOT NULL, "
    "author TEXT NOT NULL, title TEXT NOT NULL)",
]
_DERIVED = ("seen", "d_comments", "d_mentions", "d_reports", "d_amendments")


class Store:
    """The notifications file of one deployment (DIR/instance/notifications.sqlite)."""

    def __init__(self, path: str | os.PathLike):
        self.path = str(path)
        self._ready = False
        self._lock = threading.Lock()
        self._local = threading.local()

    def connect(self) -> sqlite3.Connection:
        if self._ready and not os.path.exists(self.path):  # deleted under us: start again
            self._ready = False
        db = derivedfile.connect(self.path, SCHEMA, _DDL, _DERIVED, self._ready, self._lock)
        self._ready = True
        return db

    @contextlib.contextmanager
    def db(self):
        """This thread's connection, kept open (closing the last connection of a WAL file
        checkpoints it: milliseconds, on every request); a transaction left open by an
        error is rolled back."""
        key = (os.getpid(), self.path)
        conn = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "key", None) != key or not self._ready \
                or not os.path.exists(self.path):
            conn = self._local.conn = self.connect()
            self._local.key = key
        try:
            yield conn
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")


_stores: dict[str, Store] = {}
_stores_lock = threading.Lock()


def store_of(dep) -> Store:
    """The Store of a deployment (anything with `instance_path`), one object per file and process."""
    path = str(Path(dep.instance_path) / FILE_NAME)
    with _stores_lock:
        s = _stores.get(path)
        if s is None:
            s = _stores[path] = Store(path)
        return s


def _now() -> str:
    return reviewlog.now()


# -- subjects and watches ---------------------------------------------------------------------

def parse_subject(subject) -> tuple[str, str | int | None]:
    """("plan", None), ("commitment", cid), ("amendment", n) or ("axis", id) of a watched subject."""
    if not isinstance(subject, str):
        raise Invalid("watch.bad_subject", value=repr(subject))
    m = SUBJECT_RE.match(subject)
    if m is None:
        raise Invalid("watch.bad_subject", value=repr(subject[:100]))
    if subject == "plan":
        return "plan", None
    if m.group(1):
        return "commitment", m.group(1)
    if m.group(2):
        return "amendment", int(m.group(2))
    return "axis", m.group(3)


def _check_exists(repo, subject: str) -> None:
    kind, ident = parse_subject(subject)
    main = core.resolve(repo, "main")
    if kind == "commitment":
        if ident not in {s.id for s in core.list_commitments(repo, main)}:
            raise Missing("watch.unknown", subject=subject)
    elif kind == "amendment":
        if repo.ref_target(reviewlog.amendment_log(ident)) is None:
            raise Missing("watch.unknown", subject=subject)
    elif kind == "axis":
        if core.read_plan(repo, main).axis(ident) is None:
            raise Missing("watch.unknown", subject=subject)


@dataclass(frozen=True)
class Watch:
    subject: str
    watch: bool                 # watched or not
    automatic: str | None       # why it is watched without being asked: "lead", "author", "signatory"
    explicit: bool              # set by the person (a "watch" or "unwatch" row)

    def as_json(self) -> dict:
        return {"subject": self.subject, "watch": self.watch, "automatic": self.automatic, "explicit": self.explicit}


def set_watch(dep, person, subject: str, on: bool, repo=None) -> Watch:
    """Watch (on=True) or stop watching a subject; applies to the events from now on."""
    if person is None:
        raise Forbidden("permission.sign_in")
    if not isinstance(on, bool):
        raise Invalid("watch.bad_value")
    repo = repo or dep.open_repo()
    _check_exists(repo, subject)
    with store_of(dep).db() as db:
        db.execute("INSERT INTO watches(handle, subject, watch, time) VALUES (?, ?, ?, ?)",
                   (person.handle, subject, int(on), _now()))
    return watch_state(dep, person, subject, repo)


def _explicit_now(db, handle: str) -> dict[str, bool]:
    rows = db.execute("SELECT subject, watch FROM watches WHERE handle = ? ORDER BY seq", (handle,)).fetchall()
    return {s: bool(w) for s, w in rows}


def _automatic(repo, person, subject: str) -> str | None:
    kind, ident = parse_subject(subject)
    main = core.resolve(repo, "main")
    if kind == "commitment":
        for s in core.list_commitments(repo, main):
            if s.id == ident and person.organisation and person.organisation in s.leads:
                return "lead"
    elif kind == "amendment":
        try:
            a = am.get(repo, ident)
        except Exception:  # noqa: BLE001 - a missing or damaged amendment is watched by nobody
            return None
        if a.author == person.handle:
            return "author"
        if a.state == "open" and signoff.why_no_verdict(repo, person, a) is None:
            return "signatory"
    return None


def watch_state(dep, person, subject: str, repo=None) -> Watch:
    """Whether this person watches a subject now, and why."""
    parse_subject(subject)
    repo = repo or dep.open_repo()
    with store_of(dep).db() as db:
        explicit = _explicit_now(db, person.handle)
    auto = _automatic(repo, person, subject)
    if subject in explicit:
        return Watch(subject, explicit[subject], auto, True)
    return Watch(subject, auto is not None, auto, False)


def watches(dep, person, repo=None) -> list[Watch]:
    """Every subject this person watches or explicitly stopped watching: their own rows, the
    commitments their organisation leads, their open amendments, the approvals they can give."""
    repo = repo or dep.open_repo()
    with store_of(dep).db() as db:
        explicit = _explicit_now(db, person.handle)
    auto: dict[str, str] = {}
    main = core.resolve(repo, "main")
    for s in core.readable(core.list_commitments(repo, main)):
        if person.organisation and person.organisation in s.leads:
            auto[f"commitment/{s.id}"] = "lead"
    for a in am.list_all(repo, state="open"):
        if a.author == person.handle:
            auto[f"amendment/{a.number}"] = "author"
    for a, _ in signoff.pending_for(repo, person):
        auto.setdefault(f"amendment/{a.number}", "signatory")
    out = [Watch(s, on, auto.get(s), True) for s, on in explicit.items()]
    out += [Watch(s, True, why, False) for s, why in auto.items() if s not in explicit]
    return sorted(out, key=lambda w: w.subject)


# -- derivation -----------------------------------------------------------------------------

def _excerpt(text) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= MAX_EXCERPT else text[:MAX_EXCERPT - 1].rstrip() + "…"


class _Context:
    """What the derivation reads once per catch-up: the plan on main, the commitments, the
    watches people set, who can approve each amendment."""

    def __init__(self, repo, db):
        self.repo = repo
        main = repo.ref_target(core.MAIN)
        self.plan = core.read_plan(repo, main) if main else None
        self.people = dict(self.plan.people) if self.plan else {}
        self.handles = frozenset(self.people)
        self.commitments = {s.id: s for s in core.readable(core.list_commitments(repo, main))} if main else {}
        self.members: dict[str, set[str]] = {}
        for p in self.people.values():
            if p.organisation:
                self.members.setdefault(p.organisation, set()).add(p.handle)
        self.history: dict[tuple[str, str], list[tuple[str, bool]]] = {}
        for h, s, w, t in db.execute("SELECT handle, subject, watch, time FROM watches ORDER BY seq"):
            self.history.setdefault((h, s), []).append((t, bool(w)))
        self._signers: dict[int, frozenset] = {}

    def explicit(self, handle: str, subject: str, when: str) -> bool | None:
        state = None
        for t, on in self.history.get((handle, subject), ()):
            if t <= when:
                state = on
        return state

    def signers(self, number: int) -> frozenset:
        """Who can give an approval that counts on amendment n (as it stands now)."""
        found = self._signers.get(number)
        if found is None:
            found = frozenset()
            try:
                a = am.get(self.repo, number)
                _, plan, scopes, _ = signoff._context(self.repo, a)
                found = frozenset(p.handle for p in plan.people.values()
                                  if signoff.entitled_in(plan, p, scopes)
                                  and not signoff.own_organisation_excluded(plan, p, a.author, scopes))
            except Exception:  # noqa: BLE001 - a damaged or vanished amendment: nobody is entitled
                pass
            self._signers[number] = found
        return found

    def commitment_levels(self, cid: str | None) -> list[tuple[str, frozenset]]:
        levels = []
        s = self.commitments.get(cid or "")
        if cid and cid != am.PLAN_TARGET:
            leads = set()
            for org in (s.leads if s else ()):
                leads |= self.members.get(org, set())
            levels.append((f"commitment/{cid}", frozenset(leads)))
            if s is not None:
                levels.append((f"axis/{s.axis}", frozenset()))
        levels.append(("plan", frozenset()))
        return levels

    def watchers(self, levels: list[tuple[str, frozenset]], when: str) -> set[str]:
        """The people who watch: at each level from the most precise, an explicit row decides,
        else an automatic watch says yes; else the next level."""
        out = set()
        for handle in self.people:
            for subject, auto in levels:
                state = self.explicit(handle, subject, when)
                if state is None and handle in auto:
                    state = True
                if state is not None:
                    if state:
                        out.add(handle)
                    break
        return out

    def titles(self, cid: str | None) -> tuple[str, str]:
        s = self.commitments.get(cid or "")
        if s is None:
            return cid or "", cid or ""
        return s.title_in("fr"), s.title_in("en")


def _rows(ctx: _Context, e, recipients: set[str], kind: str, mentioned: list[str], thread: str, path: str,
          titles: tuple[str, str], excerpt: str, about: str = "") -> list[tuple]:
    """One row per person: a mention wins over the event's own kind; never the actor. `about`:
    the comment or report whose words the excerpt quotes (a moderator's hide blanks it)."""
    out = []
    for h in mentioned:
        if h != e.actor and h in ctx.people:
            out.append((h, "mention", e.time, e.actor, e.id, thread, path, titles[0], titles[1], excerpt, about))
    done = set(mentioned)
    for h in sorted(recipients - done):
        if h != e.actor:
            out.append((h, kind, e.time, e.actor, e.id, thread, path, titles[0], titles[1], excerpt, about))
    return out


def _remember_comment(ctx: _Context, db, ref: str, e) -> tuple[str, frozenset, str, list[str]]:
    """A new comment: its thread's root, who wrote in the thread before it, its body and the
    people it mentions (the derivation remembers the comment and its mentions)."""
    root = e.data.get("reply_to") or e.id
    participants = frozenset(r[0] for r in db.execute(
        "SELECT DISTINCT author FROM d_comments WHERE log = ? AND root = ?", (ref, root)))
    db.execute("INSERT OR IGNORE INTO d_comments VALUES (?, ?, ?, ?)", (ref, e.id, root, e.actor))
    body = e.data.get("body") or ""
    mentioned = render.mentions(body, ctx.handles)
    db.executemany("INSERT OR IGNORE INTO d_mentions VALUES (?, ?, ?)", [(ref, e.id, h) for h in mentioned])
    return root, participants, body, mentioned


def _derive(ctx: _Context, db, ref: str, events) -> list[tuple]:
    """The rows a log's new events give (and the derivation's memory of them, updated)."""
    kind_of, name, number = reviewlog.log_name(ref)
    rows: list[tuple] = []
    if kind_of == "amendments" and number is None:
        return rows
    if ref.startswith(CONSULTATION_LOGS):
        return _derive_consultation(ctx, db, ref, name, events)
    if number is not None:
        a_row = db.execute("SELECT commitment, author, title FROM d_amendments WHERE number = ?", (number,)).fetchone()
    else:
        a_row = None
    for e in events:
        d = e.data
        if number is not None and e.type == am.OPEN:
            a_row = (d.get("commitment") or "", e.actor, d.get("title") or "")
            db.execute("INSERT OR REPLACE INTO d_amendments VALUES (?, ?, ?, ?)", (number, *a_row))
        if number is not None:
            if a_row is None:
                continue  # events before an opening (a damaged log): nothing to say
            cid = a_row[0]
            levels = [(f"amendment/{number}", frozenset({a_row[1]}) | ctx.signers(number)),
                      *ctx.commitment_levels(cid)]
            titles = (a_row[2], a_row[2])
            base_path, base_thread = f"/amendments/{number}", f"amendment/{number}"
        else:
            cid = name
            levels = ctx.commitment_levels(cid)
            titles = ctx.titles(cid)
            base_path, base_thread = f"/commitments/{cid}", f"commitment/{cid}"
        when = e.time
        if e.type == cm.ADD:
            root, participants, body, mentioned = _remember_comment(ctx, db, ref, e)
            first = [("thread", participants)]
            report = d.get("report")
            kind = "reply"
            thread = f"comment/{root}"
            if report and number is None:
                r = db.execute("SELECT author FROM d_reports WHERE log = ? AND id = ?", (ref, report)).fetchone()
                first.append(("report", frozenset({r[0]}) if r else frozenset()))
                if d.get("stance") == "contested" and not d.get("reply_to"):
                    kind = "contest"
                thread = f"report/{report}"
            recipients = ctx.watchers(first + levels, when)
            rows += _rows(ctx, e, recipients, kind, mentioned, thread, f"{base_path}#c-{e.id}", titles, _excerpt(body),
                          e.id)
        elif e.type == cm.EDIT:
            target = d.get("target")
            body = d.get("body") or ""
            before = {r[0] for r in db.execute("SELECT handle FROM d_mentions WHERE log = ? AND id = ?", (ref, target))}
            new = [h for h in render.mentions(body, ctx.handles) if h not in before]
            db.executemany("INSERT OR IGNORE INTO d_mentions VALUES (?, ?, ?)", [(ref, target, h) for h in new])
            root = db.execute("SELECT root FROM d_comments WHERE log = ? AND id = ?", (ref, target)).fetchone()
            rows += _rows(ctx, e, set(), "mention", new, f"comment/{root[0] if root else target}",
                          f"{base_path}#c-{target}", titles, _excerpt(body), str(target))
        elif e.type in (cm.HIDE, progress.HIDE):  # what moderation hid is quoted nowhere
            target = str(d.get("target"))
            db.execute("UPDATE notes SET excerpt = '' WHERE about = ?", (target,))
            rows = [r[:9] + ("", r[10]) if r[10] == target else r for r in rows]
        elif e.type == progress.REPORT and number is None:
            db.execute("INSERT OR IGNORE INTO d_reports VALUES (?, ?, ?)", (ref, e.id, e.actor))
            note = d.get("note") or ""
            mentioned = render.mentions(note, ctx.handles)
            rows += _rows(ctx, e, ctx.watchers(levels, when), "report", mentioned, f"report/{e.id}",
                          f"{base_path}#r-{e.id}", titles, _excerpt(note), e.id)
        elif number is not None and e.type == am.OPEN:
            rationale = d.get("rationale") or ""
            mentioned = render.mentions(rationale, ctx.handles)
            rows += _rows(ctx, e, ctx.watchers(levels, when), "amendment", mentioned, base_thread, base_path,
                          titles, _excerpt(rationale))
        elif number is not None and e.type in (am.REVISE, am.UPDATE):
            rows += _rows(ctx, e, ctx.watchers(levels, when), "revision", [], base_thread, base_path, titles, "")
        elif number is not None and e.type == signoff.APPROVAL and d.get("verdict") in ("approve", "object"):
            kind = "approval" if d.get("verdict") == "approve" else "objection"
            rows += _rows(ctx, e, ctx.watchers(levels, when), kind, [], base_thread, base_path, titles,
                          _excerpt(d.get("comment")))
        elif number is not None and e.type in am.MERGED:
            rows += _rows(ctx, e, ctx.watchers(levels, when), "merge", [], base_thread, base_path, titles, "")
    return rows


def _derive_consultation(ctx: _Context, db, ref: str, cid: str, events) -> list[tuple]:
    """A consultation's log: its announcement reaches everyone of the plan (unless they stopped
    watching the plan); a contribution on a commitment reaches the commitment's watchers and the
    people it mentions, like a comment. Participants (~pseudonym) are not notified here."""
    rows: list[tuple] = []
    for e in events:
        d = e.data
        if e.type == cons.ANNOUNCE:
            titles = (d.get("title_fr") or cid, d.get("title_en") or d.get("title_fr") or cid)
            recipients = ctx.watchers([("plan", ctx.handles)], e.time)
            rows += _rows(ctx, e, recipients, "consultation", [], f"consultation/{cid}", f"/consultations/{cid}",
                          titles, _excerpt(d.get("description_fr")))
        elif e.type == cm.ADD:
            commitment = d.get("commitment") or ""
            root, participants, body, mentioned = _remember_comment(ctx, db, ref, e)
            recipients = ctx.watchers([("thread", participants)] + ctx.commitment_levels(commitment), e.time)
            rows += _rows(ctx, e, recipients, "reply", mentioned, f"comment/{root}",
                          f"/consultations/{cid}#comment-{e.id}", ctx.titles(commitment), _excerpt(body), e.id)
        elif e.type == cm.HIDE:
            target = str(d.get("target"))
            db.execute("UPDATE notes SET excerpt = '' WHERE about = ?", (target,))
            rows = [r[:9] + ("", r[10]) if r[10] == target else r for r in rows]
    return rows


def _forget(db, ref: str) -> None:
    kind_of, _, number = reviewlog.log_name(ref)
    for table in ("d_comments", "d_mentions", "d_reports"):
        db.execute(f"DELETE FROM {table} WHERE log = ?", (ref,))
    if number is not None:
        db.execute("DELETE FROM d_amendments WHERE number = ?", (number,))


def _wanted(ref: str) -> bool:
    return ref.startswith((COMMITMENT_LOGS, AMENDMENT_LOGS, CONSULTATION_LOGS))


_INSERT = ("INSERT OR IGNORE INTO notes(handle, kind, time, actor, event, thread, path, title_fr, title_en, excerpt, "
           "about) VALUES (?,?,?,?,?,?,?,?,?,?,?)")


def _catch_up(repo, db, again: bool = False) -> int:
    raw, all_refs = repo.refs_state()
    fp = raw.hex()
    if not again:
        row = db.execute("SELECT value FROM meta WHERE key = 'refs'").fetchone()
        if row is not None and row[0] == fp:
            return 0
    db.execute("BEGIN IMMEDIATE")
    try:
        if again:
            for table in _DERIVED:
                db.execute(f"DELETE FROM {table}")
            db.execute("DELETE FROM meta WHERE key = 'refs'")
        row = db.execute("SELECT value FROM meta WHERE key = 'refs'").fetchone()
        if row is not None and row[0] == fp:  # another process caught up meanwhile
            db.execute("COMMIT")
            return 0
        seen = dict(db.execute("SELECT ref, tip FROM seen").fetchall())
        refs = {r: t for r, t in all_refs.items() if _wanted(r)}
        ctx = None
        moved = 0
        rows: list[tuple] = []
        order = 0
        for ref in sorted(set(refs) | set(seen)):
            old, new = seen.get(ref), refs.get(ref)
            if old == new:
                continue
            moved += 1
            if new is None:
                _forget(db, ref)
                db.execute("DELETE FROM seen WHERE ref = ?", (ref,))
                continue
            events = reviewlog.events_since(repo, new, old)
            if events is None:  # not a continuation of what was read: read the log whole
                _forget(db, ref)
                events = reviewlog.events_since(repo, new, None)
            if ctx is None:
                ctx = _Context(repo, db)
            for r in _derive(ctx, db, ref, events):
                order += 1
                rows.append((r[2], order, r))
            db.execute("INSERT OR REPLACE INTO seen VALUES (?, ?)", (ref, new))
        rows.sort(key=lambda x: (x[0], x[1]))  # ids follow the events' times, whatever the logs' order
        db.executemany(_INSERT, [r for _, _, r in rows])
        db.execute("INSERT OR REPLACE INTO meta VALUES ('refs', ?)", (fp,))
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return moved


def catch_up(dep, repo=None, db: sqlite3.Connection | None = None) -> int:
    """Derive the notifications of every event new since the log tips last seen. Returns the
    number of logs read again (0 when no ref moved: one digest of the refs and one row read)."""
    repo = repo or dep.open_repo()
    if db is not None:
        return _catch_up(repo, db)
    with store_of(dep).db() as db:
        return _catch_up(repo, db)


def rebuild(dep, repo=None) -> int:
    """Read every log again (one transaction). Notifications already derived keep their id and
    read mark (they are keyed by person, event and kind); returns how many there are."""
    repo = repo or dep.open_repo()
    with store_of(dep).db() as db:
        _catch_up(repo, db, again=True)
        return db.execute("SELECT count(*) FROM notes").fetchone()[0]


# -- reading ---------------------------------------------------------------------------------

_COLS = "id, handle, kind, time, actor, event, thread, path, title_fr, title_en, excerpt, read"


def _note(r) -> Notification:
    return Notification(id=r[0], handle=r[1], kind=r[2], time=r[3], actor=r[4], event=r[5], thread=r[6], path=r[7],
                        title={"fr": r[8], "en": r[9]}, excerpt=r[10], read=bool(r[11]))


def since(dep, after_id: int, limit: int = 500, repo=None) -> list[Notification]:
    """Every notification with an id above `after_id`, oldest first (for the mailer), after
    catching up with git."""
    if not isinstance(after_id, int) or after_id < 0:
        raise Invalid("notification.bad_cursor", name="after_id")
    with store_of(dep).db() as db:
        _catch_up(repo or dep.open_repo(), db)
        rows = db.execute(f"SELECT {_COLS} FROM notes WHERE id > ? ORDER BY id LIMIT ?",
                          (after_id, max(1, min(int(limit), 10_000)))).fetchall()
    return [_note(r) for r in rows]


def unread_count(dep, handle: str, repo=None) -> int:
    with store_of(dep).db() as db:
        _catch_up(repo or dep.open_repo(), db)
        return db.execute("SELECT count(*) FROM notes WHERE handle = ? AND read = 0", (handle,)).fetchone()[0]


@dataclass
class Page:
    items: list[Notification]
    unread: int
    next: int | None        # the cursor of the next (older) page, None on the last one


def list_for(dep, handle: str, before: int | None = None, limit: int = 50, repo=None) -> Page:
    """A person's notifications, newest first; `before`: the cursor a previous page gave."""
    if before is not None and (not isinstance(before, int) or before < 1):
        raise Invalid("notification.bad_cursor", name="before")
    if not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise Invalid("param.number", name="limit", n=MAX_PAGE)
    with store_of(dep).db() as db:
        _catch_up(repo or dep.open_repo(), db)
        rows = db.execute(f"SELECT {_COLS} FROM notes WHERE handle = ? AND id < ? ORDER BY id DESC LIMIT ?",
                          (handle, before or (1 << 62), limit + 1)).fetchall()
        unread = db.execute("SELECT count(*) FROM notes WHERE handle = ? AND read = 0", (handle,)).fetchone()[0]
    items = [_note(r) for r in rows[:limit]]
    return Page(items, unread, items[-1].id if len(rows) > limit else None)


def get(dep, handle: str, note_id: int) -> Notification:
    """One of this person's notifications (another's is as missing as one that never was)."""
    with store_of(dep).db() as db:
        row = db.execute(f"SELECT {_COLS} FROM notes WHERE id = ? AND handle = ?", (note_id, handle)).fetchone()
    if row is None:
        raise Missing("notification.missing", id=note_id)
    return _note(row)


def mark_read(dep, handle: str, ids=None, everything: bool = False) -> int:
    """Mark some of this person's notifications read (ids), or all of them; returns how many
    changed. Ids of others' notifications are ignored."""
    with store_of(dep).db() as db:
        if everything:
            return db.execute("UPDATE notes SET read = 1 WHERE handle = ? AND read = 0", (handle,)).rowcount
        if not isinstance(ids, (list, tuple)) or not ids:
            raise Invalid("notification.no_ids")
        if len(ids) > MAX_IDS:
            raise Invalid("notification.too_many", n=MAX_IDS)
        if not all(isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in ids):
            raise Invalid("notification.bad_id")
        db.execute("BEGIN IMMEDIATE")
        n = 0
        for i in ids:
            n += db.execute("UPDATE notes SET read = 1 WHERE id = ? AND handle = ? AND read = 0", (i, handle)).rowcount
        db.execute("COMMIT")
        return n
