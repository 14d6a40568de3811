"""Audit: the plan's history with its approvals, blame per paragraph, and the audit log.

Everything here is read from git objects and cached by their ids, so nothing can be stale.
The columns of the exports are documented in docs/audit.md; `review.verify` proves that
what this module shows is what happened.
"""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
import itertools
import json
import re
from dataclasses import dataclass

from . import amendments as am
from . import commitment as core
from . import csvexport, cursors, model, render, reviewlog, trailers
from .errors import Damaged, Invalid
from .lru import LRU, MB, sized
from .trailers import Approval, parse_merge
from .gitrepo import CommitInfo, GitRepo

MERGE_SUMMARY_RE = re.compile(r"^Merge amendment (\d+): (.*)$")
COMMITMENT_PATH_RE = re.compile(r"^commitments/([a-z0-9]+(?:-[a-z0-9]+)*)/")


# -- the plan's history -------------------------------------------------------------------



@dataclass(frozen=True)
class Change:
    """One commit of main (first-parent history): the initial import or a merged amendment."""

    commit: str
    time: dt.datetime
    author: str | None                 # handle of the person who merged (None: the service)
    author_name: str
    summary: str
    parents: tuple[str, ...]
    amendment: int | None
    title: str
    amendment_author: str | None       # who proposed the amendment (its log's opening event)
    target: str | None                 # the commitment the amendment was opened on, or "plan"
    approvals: tuple[Approval, ...]
    policy: str | None                 # blob id of the plan.yaml whose policy was applied
    auto: bool                         # merged by the policy (auto_merge)
    commitments: tuple[str, ...]       # commitments whose files changed
    plan_changed: bool                 # plan.yaml changed
    organisations: tuple[str, ...]     # of the approvers, the merger and the amendment's author
    imported: str | None = None        # Source-Commit of a commit imported by `review import`

    @property
    def initial(self) -> bool:
        return not self.parents

    @property
    def revision(self) -> str | None:
        """The amendment revision merged (second parent)."""
        return self.parents[1] if len(self.parents) > 1 else None

    def as_json(self) -> dict:
        return {"commit": self.commit, "time": _iso(self.time), "author": self.author,
                "author_name": self.author_name, "summary": self.summary, "parents": list(self.parents),
                "initial": self.initial, "amendment": self.amendment, "title": self.title,
                "amendment_author": self.amendment_author, "target": self.target,
                "revision": self.revision, "approvals": [a.as_json() for a in self.approvals],
                "policy": self.policy, "auto_merge": self.auto, "commitments": list(self.commitments),
                "plan_changed": self.plan_changed, "organisations": list(self.organisations),
                "imported": self.imported}


_changes = LRU(20000, 6 * MB, sized)
_histories = LRU(16, 4 * MB, sized)


def _iso(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")


def _org_of(repo: GitRepo, commit: str, handle: str | None) -> str | None:
    if not handle:
        return None
    try:
        person = core.read_plan(repo, commit).people.get(handle)
    except (core.NotFound, model.SchemaError):
        return None
    return person.organisation if person else None


def _open_event(repo: GitRepo, number: int):
    for e in reviewlog.read_events(repo, reviewlog.amendment_log(number))[:1]:
        if e.type == am.OPEN:
            return e
    return None


def change(repo: GitRepo, info: CommitInfo) -> Change:
    """One commit of main, read once (cached by repository and commit id)."""
    key = (repo.path, info.id)  # the amendment's author comes from this repository's log
    hit = _changes.get(key)
    if hit is not None:
        return hit
    merge = parse_merge(info.message) if len(info.parents) > 1 else None
    number = merge.amendment if merge else None
    title = info.summary
    m = MERGE_SUMMARY_RE.match(info.summary)
    if m:
        title = m.group(2)
    opened = _open_event(repo, number) if number is not None else None
    amendment_author = opened.actor if opened else None
    target = opened.data.get("commitment") if opened else None
    touched, plan_changed = set(), False
    for ch in repo.changes(info.id):
        cm = COMMITMENT_PATH_RE.match(ch.path)
        if cm:
            touched.add(cm.group(1))
        elif ch.path == model.PLAN_PATH:
            plan_changed = True
    author = reviewlog.handle_of(info.author_email)
    in_force = info.parents[0] if info.parents else info.id
    orgs = {a.organisation for a in (merge.approvals if merge else ()) if a.organisation}
    orgs |= {o for o in (_org_of(repo, in_force, author), _org_of(repo, in_force, amendment_author)) if o}
    c = Change(info.id, info.time, author, info.author_name, info.summary, info.parents, number, title,
               amendment_author, target, merge.approvals if merge else (), merge.policy if merge else None,
               bool(merge and merge.auto), tuple(sorted(touched)), plan_changed, tuple(sorted(orgs)),
               imported_source(info))
    return _changes.put(key, c)


def imported_source(info: CommitInfo) -> str | None:
    """The source commit of a commit of main's imported history (`review import`), else None."""
    if len(info.parents) > 1 or f"{trailers.SOURCE_COMMIT}:" not in info.message:
        return None
    return trailers.values(info.message).get(trailers.SOURCE_COMMIT)


def plan_history(repo: GitRepo, start: str | None = None) -> list[Change]:
    """Every commit of main's first-parent history, newest first (cached by tip)."""
    tip = start or core.resolve(repo, "main")
    hit = _histories.get((repo.path, tip))
    if hit is not None:
        return hit
    return _histories.put((repo.path, tip), [change(repo, info) for info in repo.first_parent_log(tip)])


@dataclass
class Filters:
    """What an auditor narrows a list by; empty fields do not filter."""

    person: str | None = None
    organisation: str | None = None
    commitment: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    type: str | None = None
    amendment: int | None = None

    def as_args(self) -> dict:
        out = {}
        for k in ("person", "organisation", "commitment", "type"):
            if getattr(self, k):
                out[k] = getattr(self, k)
        if self.amendment is not None:
            out["amendment"] = str(self.amendment)
        if self.since:
            out["since"] = self.since.isoformat()
        if self.until:
            out["until"] = self.until.isoformat()
        return out


def parse_filters(args) -> Filters:
    """Filters from query arguments; a malformed value raises Invalid saying how to write it."""
    f = Filters()
    for key in ("person", "organisation", "commitment", "type"):
        value = (args.get(key) or "").strip()
        if value:
            if len(value) > 100:
                raise Invalid("audit.too_long", key=key)
            setattr(f, key, value)
    for key in ("since", "until"):
        value = (args.get(key) or "").strip()
        if value:
            try:
                setattr(f, key, dt.date.fromisoformat(value))
            except ValueError:
                raise Invalid("audit.bad_date", key=key, value=repr(value[:40])) from None
    value = (args.get("amendment") or "").strip()
    if value:
        f.amendment = am.parse_number(value)
        if f.amendment is None:
            raise Invalid("audit.bad_amendment", value=repr(value[:40]))
    if f.since and f.until and f.since > f.until:
        raise Invalid("audit.since_after_until")
    return f


def _in_dates(day: dt.date, f: Filters) -> bool:
    return (f.since is None or day >= f.since) and (f.until is None or day <= f.until)


def _history_keeps(f: Filters):
    def keep(c: Change) -> bool:
        if f.person and f.person not in {c.author, c.amendment_author, *(a.handle for a in c.approvals)}:
            return False
        if f.organisation and f.organisation not in c.organisations:
            return False
        if f.commitment and f.commitment not in c.commitments and f.commitment != c.target:
            return False
        if f.amendment is not None and c.amendment != f.amendment:
            return False
        return _in_dates(c.time.astimezone(dt.timezone.utc).date(), f)
    return keep


def history(repo: GitRepo, f: Filters | None = None, start: str | None = None) -> list[Change]:
    """The plan's history with approvals, newest first, filtered by person, organisation,
    commitment, amendment and dates (UTC days of the merge)."""
    keep = _history_keeps(f or Filters())
    return [c for c in plan_history(repo, start) if keep(c)]


def history_page(repo: GitRepo, f: Filters | None, start: str, after: str | None,
                 limit: int) -> tuple[list[Change], str | None]:
    """One page of `history` (newest first) after the change whose commit id the cursor holds, and
    the next page's cursor (None at the end). Reads main's line from the cursor on, lazily: a page
    deep in a long history does not build the changes before it; unknown cursors raise Invalid."""
    keep = _history_keeps(f or Filters())
    walk = iter(repo.first_parent_log(start))
    if after is not None:
        for info in walk:
            if info.id == after:
                break
        else:
            raise Invalid("cursor.not_in_list")
    return cursors.take((change(repo, info) for info in walk), keep, limit, lambda c: (c.commit,))


# -- blame per paragraph ----------------------------------------------------------------

_blocks = LRU(8192, 2 * MB)  # lists of str: weighed by their length
_blames = LRU(512, 2 * MB, sized)


def _body_blocks(repo: GitRepo, blob: str | None) -> list[str]:
    """The body's blocks (texts) of a commitment file, cached by blob id."""
    if blob is None:
        return []
    hit = _blocks.get(blob)
    if hit is not None:
        return hit
    text = repo.read_blob(blob).decode("utf-8", "replace")
    try:
        _, body, _ = model.split_front_matter(text, "commitment")
    except model.SchemaError:
        body = text
    return _blocks.put(blob, [b.text for b in render.source_blocks(body)])


@dataclass(frozen=True)
class Shaped:
    """A paragraph of a commitment and the change of main that last shaped it."""

    anchor: str        # p-N
    text: str
    change: Change

    def as_json(self) -> dict:
        return {"anchor": self.anchor, "text": self.text, "change": self.change.as_json()}


def blame(repo: GitRepo, cid: str, commit: str, lang: str = model.AUTHORITATIVE) -> tuple[str, list[Shaped]]:
    """(language shown, each block of the body with the newest first-parent commit whose
    change introduced that block's exact text). Walks only the commits that changed the file."""
    path = model.commitment_path(cid, lang)
    blob = repo.blob_id(commit, path)
    if blob is None:
        lang, path = model.AUTHORITATIVE, model.commitment_path(cid)
        blob = repo.blob_id(commit, path)
        if blob is None:
            raise core.NotFound("notfound.commitment_at", cid=repr(cid))
    key = (repo.path, commit, path)
    hit = _blames.get(key)
    if hit is not None:
        return lang, hit
    blocks = _body_blocks(repo, blob)
    pending = set(blocks)
    shaped_by: dict[str, Change] = {}
    for info in repo.path_history(commit, path):
        if not pending:
            break
        parent = info.parents[0] if info.parents else None
        before = set(_body_blocks(repo, repo.blob_id(parent, path))) if parent else set()
        arrived = {t for t in pending if t not in before}
        if arrived:
            c = change(repo, info)
            for t in arrived:
                shaped_by[t] = c
            pending -= arrived
    out = [Shaped(f"p-{i + 1}", t, shaped_by[t]) for i, t in enumerate(blocks) if t in shaped_by]
    return lang, _blames.put(key, out)


# -- the audit log ------------------------------------------------------------------------

COLUMNS = ("time", "log", "seq", "event", "type", "actor", "organisation", "commitment", "amendment",
           "revision", "target", "detail", "commit")


@dataclass(frozen=True, slots=True)
class Row:
    time: str
    log: str
    seq: int
    event: str
    type: str
    actor: str
    organisation: str | None
    commitment: str | None
    amendment: int | None
    revision: str | None
    target: str | None
    detail: str
    commit: str | None

    def as_json(self) -> dict:
        return {k: getattr(self, k) for k in COLUMNS}

    def as_csv(self) -> list:
        return ["" if getattr(self, k) is None else getattr(self, k) for k in COLUMNS]


def _detail(e) -> str:
    d = e.data
    t = e.type
    if t == "comment":
        if d.get("report"):
            return "answer on report" + (f", {d['stance']}" if d.get("stance") else "")
        bits = ["reply" if d.get("reply_to") else (d.get("anchor") or "whole")]
        if d.get("stance"):
            bits.append(d["stance"])
        return ", ".join(bits)
    if t == "approval":
        return str(d.get("verdict", ""))
    if t == "progress-report":
        return f"{d.get('milestone') or 'whole commitment'}: {d.get('level')} as of {d.get('as_of')}"
    if t == am.OPEN:
        return str(d.get("title", ""))
    if t in am.MERGED:
        return f"merged as {d.get('merge')}" + (" (recorded after the fact)" if t == am.MERGE_REPAIR else "")
    if t == am.REVISE:
        return f"via {d.get('via')}"
    if t == am.UPDATE:
        return f"main {d.get('main')}"
    if t == "consultation-response":
        return f"{d.get('contribution')}: {d.get('outcome')}" + (f", {d['carried_by']}" if d.get("carried_by") else "")
    if t == "consultation-stance":
        return f"{d.get('contribution')}: {d.get('stance')}"
    if t == "consultation-announce":
        return f"{d.get('title_fr', '')} ({d.get('opens')} to {d.get('closes')})"
    if t in ("comment-hide", "progress-hide", am.WITHDRAW, am.REJECT, "consultation-close"):
        return str(d.get("reason") or "")
    return ""


# A row weighs ROW_BYTES (what tracemalloc saw a row of the generated 100,000-comment plan keep
# alive once the events it came from were dropped, rounded up: 870 bytes before the slots and the
# interned strings, 320 was assumed then): weighed by count, not walked.
ROW_BYTES = 600
_rows = LRU(32768, 64 * MB, lambda key, rows: 64 + ROW_BYTES * len(rows))
UNREADABLE = "unreadable"  # the type of the row that stands for a damaged log
SERVICE = "review"


def _log_rows(repo: GitRepo, ref: str, people: dict, plan_blob: str | None) -> list[Row]:
    tip = repo.ref_target(ref)
    key = (repo.path, ref, tip, plan_blob)
    hit = _rows.get(key)
    if hit is not None:
        return hit
    out = _rows_at(repo, ref, tip, people)
    return out if out and out[0].type == UNREADABLE else _rows.put(key, out)


def _rows_at(repo: GitRepo, ref: str, tip: str | None, people: dict) -> list[Row]:
    """The rows of one log at `tip` (one unreadable row if it cannot be read); a row's
    organisation is the event's own or, failing that, its actor's in `people`."""
    kind, name, number = reviewlog.log_name(ref)
    commitment = name if kind == "commitments" else None
    try:
        events = reviewlog.events_at(repo, tip) if tip else []
    except Damaged as exc:  # one damaged log is shown as one unreadable row, never cached
        now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return [Row(now, ref, 0, "", UNREADABLE, SERVICE, None, commitment, number, None, None, exc.message, None)]
    if number is not None and events and events[0].type == am.OPEN:
        commitment = events[0].data.get("commitment")
    out = []
    for e in events:
        d = e.data
        org = d.get("organisation") if e.type in ("approval", "consultation-response") else None
        if org is None and e.actor in people:
            org = people[e.actor].organisation
        revision = d.get("revision") or d.get("rev")
        target = d.get("target") or d.get("reply_to") or d.get("report")
        # the type, the actor, the commitment and the revision repeat from row to row: one string each
        where = d.get("commitment") or commitment
        one = reviewlog.shared
        out.append(Row(e.time, ref, e.seq, e.id, one(e.type), one(e.actor), org, one(where), number,
                       one(revision) if isinstance(revision, str) else None, target, _detail(e), e.commit))
    return out


VERSION_PUBLISHED = "version-published"  # the type of the rows of published versions (annotated tags)


def _version_rows(repo: GitRepo, people: dict) -> list[Row]:
    """One row per version a coordinator published: the annotated tag is the record (its tagger
    is the coordinator, its target the revision, its message the notes; review.versions)."""
    from . import versions
    out = []
    for v in versions.list_versions(repo):
        if not v.name.startswith(versions.PREFIX):
            continue  # tags written by the service (the adoption, checkpoints) are not events of a person
        actor = v.published_by or SERVICE
        org = people[actor].organisation if actor in people else None
        out.append(Row(v.time.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), f"refs/tags/{v.name}", 1,
                       (v.tag or "")[:12], VERSION_PUBLISHED, actor, org, None, None, v.commit, v.name,
                       v.short_name, v.tag))
    return out


def log_refs(repo: GitRepo) -> list[str]:
    return sorted(repo.refs("refs/reviews/"))


def _row_keeps(f: Filters):
    def keep(r: Row) -> bool:
        return ((not f.person or r.actor == f.person)
                and (not f.organisation or r.organisation == f.organisation)
                and (not f.commitment or r.commitment == f.commitment)
                and (not f.type or r.type == f.type)
                and (f.amendment is None or r.log == reviewlog.amendment_log(f.amendment))
                and _in_dates(dt.date.fromisoformat(r.time[:10]), f))
    return keep


def _row_key(r: Row) -> tuple:
    return (r.time, r.log, r.seq)


# Every row, sorted, per state of the refs (and of plan.yaml, which gives organisations): a new
# event re-reads its own log only (the rows of a log are kept by its tip), then sorts again.
_sorted_rows = LRU(2)


def _all_rows(repo: GitRepo) -> list[Row]:
    """Every row, oldest first (a bisection with `key=_row_key` finds a cursor's place: no list of
    100,000 keys kept beside the rows)."""
    main = core.resolve(repo, "main")
    plan_blob = core.plan_blob_id(repo, main)
    key = (repo.path, repo.refs_fingerprint(), plan_blob)
    hit = _sorted_rows.get(key)
    if hit is not None:
        return hit
    people = core.read_plan(repo, main).people
    rows: list[Row] = []
    damaged = False
    for ref in log_refs(repo):
        part = _log_rows(repo, ref, people, plan_blob)
        damaged = damaged or any(r.type == UNREADABLE for r in part)
        rows += part
    rows += _version_rows(repo, people)
    rows.sort(key=_row_key)
    return rows if damaged else _sorted_rows.put(key, rows)  # restoring a damaged object moves no ref


# -- the audit log from its file on disk (review/auditindex.py) ----------------------------

SYNC_BATCH = 200  # logs read, then written in one transaction: what filling the file holds in memory at once


def _as_stored(r: Row) -> tuple:
    return (r.time, r.log, r.seq, r.event, r.type, r.actor, r.organisation, r.commitment, r.amendment,
            r.revision, r.target, r.detail, r.commit)


def sync_index(repo: GitRepo, index, most: int | None = None) -> list[Row] | None:
    """Bring the audit file (`index`: an auditindex.Store) to the review logs' tips now: only the
    logs whose tip differs from the one it holds are read from git. Returns the unreadable rows of
    the logs that cannot be read (they have no rows in the file), or None when the file cannot
    be used (the caller reads git instead), or when more than `most` logs would have to be read."""
    key = (repo.path, repo.refs_fingerprint())
    if index.is_synced(key):
        return []
    tips = repo.refs("refs/reviews/")
    stored = index.tips()
    if stored is None:
        return None
    moved = sorted(r for r, tip in tips.items() if stored.get(r) != tip)
    if most is not None and len(moved) > most:
        return None
    damaged: list[Row] = []
    batch = [(ref, None, []) for ref in stored if ref not in tips]  # a log gone (deleted on the server)
    for ref in moved:
        rows = _rows_at(repo, ref, tips[ref], {})  # an event's own organisation only: plan.yaml's at read time
        if rows and rows[0].type == UNREADABLE:
            damaged += rows
            batch.append((ref, None, []))  # an earlier tip's rows must not stand for it
        else:
            batch.append((ref, tips[ref], [_as_stored(r) for r in rows]))
        if len(batch) >= SYNC_BATCH:
            if not index.put(batch, repo.ref_target):
                return None
            batch = []
    if batch and not index.put(batch, repo.ref_target):
        return None
    if not damaged:  # a damaged log is read again next time: restoring an object moves no ref
        index.mark_synced(key)
    return damaged


def logs_acted_in(repo: GitRepo, index, handle: str, most: int | None = None) -> tuple[tuple, set[str]] | None:
    """(refs fingerprint, the review logs in which `handle` wrote an event) as of that state of
    the refs, read from the audit file; None when it cannot be had (a damaged log, a file error,
    more than `most` logs to read first: see sync_index)."""
    key = repo.refs_fingerprint()
    if sync_index(repo, index, most) != [] or repo.refs_fingerprint() != key:
        return None
    logs = index.logs_of(handle)
    return None if logs is None or repo.refs_fingerprint() != key else (key, logs)


def _where(f: Filters, people: dict) -> tuple[str, list]:
    """The SQL of `_row_keeps(f)` over the file's columns (a row's organisation: its own, or
    its actor's in `people`)."""
    clauses: list[str] = []
    params: list = []
    for column, value in (("actor", f.person), ("commitment", f.commitment), ("type", f.type)):
        if value:
            clauses.append(f"{column} = ?")
            params.append(value)
    if f.organisation:
        handles = sorted(h for h, p in people.items() if p.organisation == f.organisation)
        clauses.append("(organisation = ? OR (organisation IS NULL AND actor IN (SELECT value FROM json_each(?))))")
        params += [f.organisation, json.dumps(handles)]
    if f.amendment is not None:
        clauses.append("log = ?")
        params.append(reviewlog.amendment_log(f.amendment))
    if f.since:
        clauses.append("substr(time, 1, 10) >= ?")
        params.append(f.since.isoformat())
    if f.until:
        clauses.append("substr(time, 1, 10) <= ?")
        params.append(f.until.isoformat())
    return " AND ".join(clauses), params


def _from_stored(t: tuple, people: dict) -> Row:
    time, log, seq, event, type_, actor, org, commitment, amendment, revision, target, detail, commit = t
    if org is None and actor in people:
        org = people[actor].organisation
    return Row(time, log, seq, event, type_, actor, org, commitment, amendment, revision, target, detail, commit)


def _indexed(repo: GitRepo, f: Filters, after: tuple | None, limit: int | None, index):
    """The rows `f` keeps after the key `after`, oldest first, at most `limit` of the file's
    (with the published versions and the unreadable logs, from git); None when the file cannot
    be used."""
    damaged = sync_index(repo, index)
    if damaged is None:
        return None
    people = core.read_plan(repo, core.resolve(repo, "main")).people
    where, params = _where(f, people)
    found = index.select(where, params, after, limit)
    if found is None:
        return None
    keep = _row_keeps(f)
    extra = sorted((r for r in damaged + _version_rows(repo, people)
                    if keep(r) and (after is None or _row_key(r) > after)), key=_row_key)
    return heapq.merge((_from_stored(t, people) for t in found), extra, key=_row_key)


def audit_log(repo: GitRepo, f: Filters | None = None, index=None) -> list[Row]:
    """Every event of every review log, oldest first (time, then log, then seq), filtered; read
    from the audit file `index` (review/auditindex.py) when one is given and usable."""
    f = f or Filters()
    if f.amendment is not None:  # one log: no need for the others
        main = core.resolve(repo, "main")
        rows = _log_rows(repo, reviewlog.amendment_log(f.amendment), core.read_plan(repo, main).people,
                         core.plan_blob_id(repo, main)) if repo.ref_target(reviewlog.amendment_log(f.amendment)) else []
        return sorted(filter(_row_keeps(f), rows), key=_row_key)
    if index is not None:
        got = _indexed(repo, f, None, None, index)
        if got is not None:
            return list(got)
    return [r for r in _all_rows(repo) if _row_keeps(f)(r)]


def audit_page(repo: GitRepo, f: Filters | None, after: tuple | None, limit: int,
               index=None) -> tuple[list[Row], str | None]:
    """One page of the audit log (oldest first) after the row whose key (time, log, seq) the
    cursor holds, and the next page's cursor (None at the end). With the audit file `index`:
    one query of limit + 1 rows; without: a bisection of every row kept in memory."""
    f = f or Filters()
    keep = _row_keeps(f)
    if index is not None and f.amendment is None:
        got = _indexed(repo, f, after, limit + 1, index)
        if got is not None:
            return cursors.take(got, keep, limit, _row_key)
    rows = audit_log(repo, f) if f.amendment is not None else _all_rows(repo)
    start = bisect.bisect_right(rows, after, key=_row_key) if after is not None else 0
    return cursors.take(itertools.islice(rows, start, None), keep, limit, _row_key)


AUDIT_CURSOR = (str, str, int)  # the shape of an audit cursor: time, log, seq


def to_csv(rows: list[Row]) -> str:
    """UTF-8 CSV with CRLF line ends and one header row (docs/audit.md); a text that a spreadsheet
    would take for a formula is quoted (review/csvexport.py)."""
    return csvexport.table(COLUMNS, (r.as_csv() for r in rows))


@dataclass
class Page:
    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def paginate(items: list, page, per_page, default: int = 100, maximum: int = 1000) -> Page:
    """One page of a list; malformed numbers raise Invalid."""
    try:
        page = int(page or 1)
        per_page = int(per_page or default)
    except (TypeError, ValueError):
        raise Invalid("audit.page_not_number") from None
    if page < 1 or not 1 <= per_page <= maximum:
        raise Invalid("audit.page_range", maximum=maximum)
    start = (page - 1) * per_page
    return Page(items[start:start + per_page], page, per_page, len(items))
