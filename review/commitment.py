"""Reading the plan and its commitments at any revision.

Parsed objects are cached by the ids of the git objects they come from, so a cache entry
can never go stale: a new revision has new ids.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass

from . import model
from .errors import Coded, Damaged
from .lru import LRU, MB, sized
from .gitrepo import CommitInfo, GitRepo, UnknownRevision
from .model import Commitment, Plan, SchemaError

MAIN = "refs/heads/main"


class NotFound(Coded, LookupError):
    """An unknown commitment or revision: the web answers 404 (a code of review.errormessages)."""




_plans = LRU(64, 4 * MB, sized)
# weighed by their texts (three times: the parsed parts), not walked: approx_size took longer than
# the parse on a cold list of 5,000 commitments
_commitments = LRU(20000, 24 * MB, lambda key, c: 1024 + 3 * sum(len(b) for b in c.bodies.values()))
_indexes = LRU(32, 4 * MB, sized)


@dataclass(frozen=True)
class Summary:
    """What a list of commitments needs: no body."""

    id: str
    number: int
    title: str
    titles: dict[str, str]
    axis: str
    theme: str | None
    leads: tuple[str, ...]
    unreadable: str = ""  # why it cannot be read (a damaged object): listed apart, never shown as usual

    def title_in(self, lang: str) -> str:
        return self.titles.get(lang) or self.title


def resolve(repo: GitRepo, rev: str | None) -> str:
    """A revision named by a reader (branch, tag, commit id; default main) -> commit id."""
    try:
        return repo.resolve(rev or "main")
    except UnknownRevision:
        raise NotFound("notfound.revision", rev=repr(rev)) from None


def resolve_as_of(repo: GitRepo, day: dt.date, ref: str = MAIN) -> str:
    """The commit of `ref` that was current at the end of `day` (UTC)."""
    end = dt.datetime.combine(day, dt.time.max, tzinfo=dt.timezone.utc)
    commit = repo.as_of(repo.resolve(ref), end)
    if commit is None:
        raise NotFound("notfound.before_plan", day=day.isoformat())
    return commit


def read_plan(repo: GitRepo, commit: str) -> Plan:
    blob = repo.blob_id(commit, model.PLAN_PATH)
    if blob is None:
        raise NotFound("notfound.plan_file", path=model.PLAN_PATH, commit=commit)
    plan = _plans.get(blob)
    if plan is None:
        plan = _plans.put(blob, model.parse_plan(repo.read_blob(blob)))
    return plan


def plan_blob_id(repo: GitRepo, commit: str) -> str | None:
    return repo.blob_id(commit, model.PLAN_PATH)


def commitment_ids(repo: GitRepo, commit: str) -> list[str]:
    return [name for name, kind in repo.list_dir(commit, model.COMMITMENTS_DIR)
            if kind == "tree" and model.valid_id(name)]


def read_commitment(repo: GitRepo, commit: str, cid: str, keep: bool = True) -> Commitment:
    """A commitment at a revision, parsed once and kept by its blobs' ids; `keep=False` reads it
    without keeping it when it was not kept yet (the list of every commitment: on a plan of
    5,000 it filled the cache's 24 MB with commitments no page asked for, in the master before
    the fork and so in every worker)."""
    if not model.valid_id(cid):
        raise NotFound("notfound.commitment", cid=repr(cid))
    fr = repo.blob_id(commit, model.commitment_path(cid))
    if fr is None:
        raise NotFound("notfound.commitment_at", cid=repr(cid))
    en = repo.blob_id(commit, model.commitment_path(cid, "en"))
    plan = read_plan(repo, commit)
    key = (cid, fr, en, plan_blob_id(repo, commit))
    c = _commitments.get(key)
    if c is None:
        translations = {"en": repo.read_blob(en)} if en else {}
        c = model.parse_commitment(cid, repo.read_blob(fr), plan, translations=translations)
        if keep:
            _commitments.put(key, c)
    return c


def list_commitments(repo: GitRepo, commit: str) -> list[Summary]:
    """Every commitment at a revision, by number; cached by the commitments tree id."""
    tree = repo.tree_entry_id(commit, model.COMMITMENTS_DIR)
    key = (tree, plan_blob_id(repo, commit))
    index = _indexes.get(key)
    if index is None:
        items, damaged = [], False
        for cid in commitment_ids(repo, commit):
            try:
                c = read_commitment(repo, commit, cid, keep=False)
            except Damaged as exc:  # one damaged commitment must not take the whole list down
                damaged = True
                digits = "".join(ch for ch in cid if ch.isdigit())
                items.append(Summary(cid, int(digits or 0), cid, {}, "", None, (), unreadable=exc.message))
                continue
            items.append(Summary(c.id, c.number, c.title, c.titles, c.axis, c.theme, c.leads))
        items.sort(key=lambda s: (s.number, s.id))
        if damaged:  # not cached: once the object is restored, the list is whole again
            return items
        index = _indexes.put(key, items)
    return index


def readable(summaries: list[Summary]) -> list[Summary]:
    """The commitments of a list that can be read (see Summary.unreadable)."""
    return [s for s in summaries if not s.unreadable]


def history(repo: GitRepo, cid: str, start: str | None = None, limit: int | None = None) -> list[CommitInfo]:
    """Changes to a commitment (both languages), newest first, along main's first parents."""
    start = start or resolve(repo, "main")
    path = f"{model.COMMITMENTS_DIR}/{cid}"
    if repo.tree_entry_id(start, path) is None:
        raise NotFound("notfound.commitment_at", cid=repr(cid))
    return list(path_history(repo, path, start, limit))


class _Known:
    """The changes to a path from one tip, newest first, complete or up to `resume`."""

    __slots__ = ("changes", "resume")

    def __init__(self, changes: tuple[CommitInfo, ...], resume: str | None):
        self.changes, self.resume = changes, resume  # resume None: complete


HISTORY_PATHS = 512   # paths remembered per process
HISTORY_TIPS = 8      # tips remembered per path
_histories = LRU(HISTORY_PATHS, 4 * MB, sized)
_history_lock = threading.Lock()


def path_history(repo: GitRepo, path: str, start: str, limit: int | None = None) -> tuple[CommitInfo, ...]:
    """First-parent changes to `path` from commit `start`, newest first, cached incrementally.

    Keyed by (repository, path, tip): commits never change, so an entry never goes stale.
    For a tip not seen yet, the walk goes down first parents only until it meets a tip
    already known for this path, and puts the new changes in front of that tip's: one new
    commit on main costs one commit examined, not the whole history. A walk cut short by
    `limit` is remembered as such and continued from where it stopped when more is asked.
    """
    key = (repo.path, path)
    with _history_lock:
        tips = _histories.get(key)
        known = tips.get(start) if tips is not None else None
        stops = frozenset(tips) if tips is not None else frozenset()
    if known is None:
        walk = repo.path_walk(start, path, limit, stop_at=stops)
        if walk.stopped_at is not None:
            with _history_lock:
                below = tips.get(walk.stopped_at) if tips is not None else None
            if below is None:  # forgotten meanwhile (another thread): walk on from there
                rest = repo.path_walk(walk.stopped_at, path)
                below = _Known(rest.changes, rest.resume)
            known = _Known(walk.changes + below.changes, below.resume)
        else:
            known = _Known(walk.changes, walk.resume)
    while known.resume is not None and (limit is None or len(known.changes) < limit):
        more = repo.path_walk(known.resume, path, None if limit is None else limit - len(known.changes))
        known = _Known(known.changes + more.changes, more.resume)
    with _history_lock:
        tips = _histories.get(key)
        if tips is None:
            tips = _histories.put(key, OrderedDict())
        tips[start] = known
        tips.move_to_end(start)
        while len(tips) > HISTORY_TIPS:
            tips.popitem(last=False)
    return known.changes if limit is None else known.changes[:limit]


def read_files(repo: GitRepo, commit: str, cid: str) -> dict[str, str]:
    """The raw text of each language file of a commitment."""
    out = {}
    for lang in model.LANGUAGES:
        data = repo.read_file(commit, model.commitment_path(cid, lang))
        if data is not None:
            out[lang] = data.decode("utf-8")
    if not out:
        raise NotFound("notfound.commitment_at", cid=repr(cid))
    return out


def validate_files(files: dict[str, bytes]) -> tuple[Plan, list[Commitment]]:
    """Check a whole plan tree (path -> bytes) before it is written; raises SchemaError."""
    problems: list[str] = []
    if model.PLAN_PATH not in files:
        raise SchemaError([f"{model.PLAN_PATH}:1: missing: a plan needs a plan.yaml at its root"])
    plan = model.parse_plan(files[model.PLAN_PATH])
    commitments: list[Commitment] = []
    by_number: dict[int, str] = {}
    folders = sorted({p.split("/")[1] for p in files if p.startswith(model.COMMITMENTS_DIR + "/")
                      and p.count("/") >= 2})
    from . import pages  # pages read the plan through this module
    page_slugs = set()
    for path in sorted(files):
        if path == model.PLAN_PATH:
            continue
        parts = path.split("/")
        if parts[0] == model.PAGES_DIR:
            m = model.PAGE_PATH_RE.match(path)
            if m is None:
                problems.append(f"{path}:1: not part of a plan: a page is pages/<slug>/fr.md or en.md "
                                "(slug: lowercase letters, digits and single hyphens)")
            else:
                page_slugs.add(m.group(1))
            continue
        if parts[0] == model.ASSETS_DIR:
            problem = pages.asset_problem(path, files[path])
            if problem:
                problems.append(problem)
            continue
        if (len(parts) != 3 or parts[0] != model.COMMITMENTS_DIR
                or parts[2] not in {f"{lang}.md" for lang in model.LANGUAGES}):
            problems.append(f"{path}:1: not part of a plan: files are plan.yaml, "
                            "commitments/<id>/fr.md or en.md, pages/<slug>/fr.md or en.md, assets/<image>")
        elif not model.valid_id(parts[1]):
            problems.append(f"{path}:1: commitment id {parts[1]!r} must be lowercase letters, "
                            "digits and single hyphens")
    for lang, cover in plan.cover.items():
        if cover not in files:
            problems.append(f"{model.PLAN_PATH}:1: cover.{lang} names {cover}, which is not in the plan")
    for slug in sorted(page_slugs):
        try:
            pages.parse_files(slug, files, plan)
        except SchemaError as exc:
            problems += exc.problems
    for cid in folders:
        if not model.valid_id(cid):
            continue
        fr_path = model.commitment_path(cid)
        if fr_path not in files:
            problems.append(f"{fr_path}:1: missing: every commitment needs its French file")
            continue
        translations = {lang: files[model.commitment_path(cid, lang)] for lang in model.LANGUAGES
                        if lang != model.AUTHORITATIVE and model.commitment_path(cid, lang) in files}
        try:
            c = model.parse_commitment(cid, files[fr_path], plan, translations=translations)
        except SchemaError as exc:
            problems += exc.problems
            continue
        if c.number in by_number:
            problems.append(f"{fr_path}:2: number {c.number} is already used by {by_number[c.number]}")
        by_number[c.number] = cid
        commitments.append(c)
    if problems:
        raise SchemaError(problems)
    return plan, commitments


def leads_on_main(repo: GitRepo, cid: str) -> tuple[str, ...]:
    """The lead organisations of a commitment as main has it; () when main has no such commitment."""
    try:
        return read_commitment(repo, resolve(repo, "main"), cid).leads
    except NotFound:
        return ()
