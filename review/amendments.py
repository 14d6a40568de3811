"""Amendments: branches `refs/heads/amendments/<n>` off main, with a review log each.

The branch holds the text (each revision a commit, never rewritten; bringing main in is a
merge). The log `refs/reviews/amendments/<n>` holds the life of the amendment: opening,
revisions, state changes, comments, approvals (docs/events.md). The current revision is
always the branch head; the log says who did what and why.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from . import commitment as core
from . import model, pages, reviewlog
from .errors import Conflict, Damaged, Invalid, Missing
from .gitrepo import REGULAR, GitRepo, RefMoved
from .lru import LRU
from .model import Person, SchemaError
from .permissions import Subject, require
from .trailers import parse_merge

BRANCH_PREFIX = "refs/heads/amendments/"
PLAN_TARGET = "plan"  # an amendment of plan.yaml itself (people, roles, policy)
MAX_TITLE = 200
MAX_RATIONALE = 20_000
MAX_NUMBER_TRIES = 1000
PATH_RE = re.compile(r"^commitments/([a-z0-9]+(?:-[a-z0-9]+)*)/(fr|en)\.md$")
TARGET_RE = re.compile(r"^commitments/([a-z0-9]+(?:-[a-z0-9]+)*)/")  # any file of a commitment's folder

OPEN, REVISE, UPDATE, WITHDRAW, REOPEN, REJECT, MERGE, MERGE_REPAIR = (
    "amendment-open", "amendment-revise", "amendment-update", "amendment-withdraw",
    "amendment-reopen", "amendment-reject", "amendment-merge", "amendment-merge-repair")
MERGED = (MERGE, MERGE_REPAIR)  # the events that record a merge (the second one after the fact)
MODE_KINDS = {0o120000: "a symbolic link", 0o160000: "a submodule (gitlink)", 0o100755: "an executable file",
              0o040000: "a folder"}


def branch(number: int) -> str:
    return f"{BRANCH_PREFIX}{number}"


@dataclass
class Revision:
    id: str
    time: str
    author: str          # name of the commit author
    message: str
    is_merge: bool       # a merge of main into the amendment


@dataclass
class Amendment:
    number: int
    commitment: str
    title: str
    rationale: str
    author: str
    opened: str
    state: str = "open"
    state_reason: str | None = None
    head: str = ""
    opened_revision: str = ""
    opened_base: str = ""
    revisions: list[Revision] = field(default_factory=list)
    merged_as: str | None = None
    events: list = field(default_factory=list)
    consultation: str | None = None   # the consultation it was proposed in (review.consultations)

    def subject(self) -> Subject:
        return Subject(author=self.author, state=self.state)


_FIELDS = tuple(Amendment.__dataclass_fields__)


# -- reading ------------------------------------------------------------------------------

MAX_NUMBER_DIGITS = 9


def parse_number(text: str) -> int | None:
    """The amendment number a reader wrote (a URL, a filter, a ref name), or None when it is not one."""
    if not text.isascii() or not text.isdigit() or len(text) > MAX_NUMBER_DIGITS:
        return None
    return int(text)


def numbers(repo: GitRepo, refs: Mapping[str, str] | None = None) -> list[int]:
    refs = repo.ref_snapshot() if refs is None else refs
    found = (reviewlog.log_name(ref)[2] for ref in refs if ref.startswith("refs/reviews/amendments/"))
    return sorted(n for n in found if n is not None)


def _fold(number: int, events) -> Amendment | None:
    a = None
    for e in events:
        d = e.data
        if e.type == OPEN:
            a = Amendment(number, d["commitment"], d["title"], d.get("rationale", ""), e.actor, e.time,
                          opened_revision=d["revision"], opened_base=d.get("base", ""),
                          consultation=d.get("consultation"))
        elif a is None:
            continue
        elif e.type == WITHDRAW:
            a.state, a.state_reason = "withdrawn", d.get("reason")
        elif e.type == REOPEN:
            a.state, a.state_reason = "open", None
        elif e.type == REJECT:
            a.state, a.state_reason = "rejected", d.get("reason")
        elif e.type in MERGED:
            a.state, a.merged_as = "merged", d.get("merge")
    if a is not None:
        a.events = list(events)
    return a


# An amendment as read from git, keyed by the ids it is read from (its log's tip, its branch's
# head, main's tip): a write anywhere gives a new key, so an entry is never stale. A list of
# 2,000 amendments then costs 2,000 look-ups, not 2,000 folds.
_amendments = LRU(8192)
_touched_cache = LRU(16384)
_bases = LRU(16384)


def get(repo: GitRepo, number: int, refs: Mapping[str, str] | None = None) -> Amendment:
    """Amendment `number` as git holds it now (`refs`: a snapshot of the refs, GitRepo.ref_snapshot,
    for a reader of many amendments)."""
    target = refs.get if refs is not None else repo.ref_target
    log_tip = target(reviewlog.amendment_log(number))
    head = target(branch(number))
    key = (repo.path, number, log_tip, head, target(core.MAIN))
    hit = _amendments.get(key)
    if hit is None:
        hit = _amendments.put(key, _get(repo, number, log_tip, head))
    # a copy: callers may change their Amendment (its lists are shared, and only read)
    return Amendment(**{f: getattr(hit, f) for f in _FIELDS})


def _get(repo: GitRepo, number: int, log_tip: str | None, head: str | None) -> Amendment:
    events = reviewlog.events_at(repo, log_tip) if log_tip else []
    a = _fold(number, events)
    if a is None or head is None:
        raise Missing("amendment.missing", number=number)
    a.head = head
    a.revisions = _revisions(repo, a)
    if a.state != "merged" and repo.is_ancestor(head, core.resolve(repo, "main")):
        # the merge reached main but its event did not reach the log (yet: see `repair_merge`)
        a.state = "merged"
        a.merged_as = merge_on_main(repo, number, head)
    return a


def merge_on_main(repo: GitRepo, number: int, head: str) -> str | None:
    """The merge commit on main's first-parent line that took amendment `number` at `head`."""
    for info in repo.first_parent_log(core.resolve(repo, "main")):
        if len(info.parents) == 2 and info.parents[1] == head:
            return info.id
        if info.id == head or not info.parents:
            break
    return None


def repair_merge(repo: GitRepo, number: int) -> reviewlog.Event | None:
    """Append the missing record of a merge: main holds the merge of amendment `number`
    but its log has no merge event (the process stopped between the two writes). The
    `amendment-merge-repair` event is written in the merger's name, from the merge commit's
    trailers. Returns the event, or None when nothing needed repairing."""
    events = reviewlog.read_events(repo, reviewlog.amendment_log(number))
    head = repo.ref_target(branch(number))
    a = _fold(number, events)
    if a is None or head is None or a.state == "merged" or not repo.is_ancestor(head, core.resolve(repo, "main")):
        return None
    merge = merge_on_main(repo, number, head)
    if merge is None:
        return None
    info = repo.commit_info(merge)
    t = parse_merge(info.message)
    if t is None or t.amendment != number:
        return None
    actor = reviewlog.handle_of(info.author_email)
    if actor is None:
        return None

    def check(now):
        if (_fold(number, now) or a).state == "merged":
            raise Conflict("amendment.recorded_merged", number=number)

    try:
        return reviewlog.append(
            repo, reviewlog.amendment_log(number), reviewlog.identity(actor, info.author_name), actor, MERGE_REPAIR,
            {"revision": head, "merge": merge, "policy": t.policy or "",
             "approvals": [{"handle": x.handle, "organisation": x.organisation, "revision": x.revision}
                           for x in t.approvals]},
            f"Record the merge of amendment {number} (repair)", check,
            trailers={"Amendment": str(number), "Revision": head, "Merge": merge})
    except Conflict:
        return None


def repair_merges(repo: GitRepo) -> list[int]:
    """`repair_merge` for every amendment (at start); returns the numbers repaired."""
    out = []
    for n in numbers(repo):
        try:
            if repair_merge(repo, n) is not None:
                out.append(n)
        except Damaged:  # a damaged amendment is shown as such; the others are still repaired
            continue
    return out


def for_write(repo: GitRepo, number: int) -> "Amendment":
    """The amendment, read before a write to its log: a merge left unrecorded is recorded first."""
    a = get(repo, number)
    if a.state == "merged" and not any(e.type in MERGED for e in a.events):
        repair_merge(repo, number)
        a = get(repo, number)
    return a


def _revisions(repo: GitRepo, a: Amendment) -> list[Revision]:
    """The branch's own commits, oldest first: from the opening revision to the head."""
    out = []
    for info in repo.first_parent_log(a.head):
        out.append(Revision(info.id, info.time.isoformat().replace("+00:00", "Z"), info.author_name,
                            info.summary, len(info.parents) > 1))
        if info.id == a.opened_revision:
            break
    return out[::-1]


def list_all(repo: GitRepo, state: str | None = None, commitment: str | None = None,
             author: str | None = None, unreadable: list | None = None) -> list[Amendment]:
    """The amendments, oldest first. One that cannot be read (a damaged object: its branch or
    log points at a missing object or a blob) is left out, and noted as (number, why) in
    `unreadable` when a list is given: one damaged amendment never takes a list page down.

    The list is kept per state of the refs (the amendments in it are shared: read them, do not
    change them; `get` gives a copy of one to change)."""
    key = (repo.path, repo.refs_fingerprint())
    whole = _lists.get(key)
    if whole is None:
        bad: list = []
        whole = _read_all(repo, bad)
        if bad:  # a damaged one: not kept (restoring the object moves no ref)
            if unreadable is not None:
                unreadable.extend(bad)
        else:
            _lists.put(key, whole)
    return [a for a in whole if not ((state and a.state != state) or (commitment and a.commitment != commitment)
                                     or (author and a.author != author))]


_lists = LRU(4)


def _read_all(repo: GitRepo, unreadable: list) -> list[Amendment]:
    out = []
    refs = repo.ref_snapshot()  # one reading of the refs for the whole list
    for n in numbers(repo, refs):
        try:
            a = get(repo, n, refs)
        except Missing:
            continue
        except Damaged as exc:
            unreadable.append((n, exc.message))
            continue
        out.append(a)
    return out


def list_page(repo: GitRepo, after: int | None, limit: int, state: str | None = None,
              commitment: str | None = None, author: str | None = None,
              unreadable: list | None = None) -> tuple[list[Amendment], str | None]:
    """One page of `list_all` (oldest first): the amendments numbered after `after` that match,
    at most `limit`, and the cursor of the next page (None at the end). Reads the amendments of
    the page only (each kept by its git ids), not the whole list."""
    from . import cursors
    refs = repo.ref_snapshot()

    def read():
        for n in numbers(repo, refs):
            if after is not None and n <= after:
                continue
            try:
                yield get(repo, n, refs)
            except Missing:
                continue
            except Damaged as exc:
                if unreadable is not None:
                    unreadable.append((n, exc.message))

    def keep(a: Amendment) -> bool:
        return not ((state and a.state != state) or (commitment and a.commitment != commitment)
                    or (author and a.author != author))
    return cursors.take(read(), keep, limit, lambda a: (a.number,))


_tallies = LRU(16)


def tally(repo: GitRepo) -> tuple[dict[str, int], dict[str, int]]:
    """(state -> how many amendments, commitment -> how many open amendments), kept per state of
    the refs: the plan page and the list count 2,000 amendments without reading them."""
    key = (repo.path, repo.refs_fingerprint())
    hit = _tallies.get(key)
    if hit is None:
        by_state: dict[str, int] = {}
        open_by: dict[str, int] = {}
        for a in list_all(repo):
            by_state[a.state] = by_state.get(a.state, 0) + 1
            if a.state == "open":
                open_by[a.commitment] = open_by.get(a.commitment, 0) + 1
        hit = _tallies.put(key, (by_state, open_by))
    return dict(hit[0]), dict(hit[1])


def state_counts(repo: GitRepo) -> dict[str, int]:
    """How many amendments are in each state (kept per state of the refs)."""
    return tally(repo)[0]


def base_of(repo: GitRepo, a: Amendment) -> str:
    """The main commit the amendment's current text starts from (for a merged amendment:
    as it stood just before the merge, so its changes stay visible)."""
    main = core.resolve(repo, "main")
    if a.state == "merged":
        if not a.merged_as:  # merged, but the event did not reach the log: the opening base
            return a.opened_base or a.opened_revision
        main = repo.commit_info(a.merged_as).parents[0]
    key = (repo.path, a.head, main)
    hit = _bases.get(key)
    if hit is None:
        hit = _bases.put(key, repo.merge_base(a.head, main) or "")
    return hit or a.opened_base or a.opened_revision


def behind_main(repo: GitRepo, a: Amendment) -> bool:
    return not repo.is_ancestor(core.resolve(repo, "main"), a.head)


def changed_files(repo: GitRepo, old: str, new: str) -> list[tuple[str, str, str, int | None, int | None]]:
    """(path, old text, new text, old mode, new mode) of each plan file that differs between
    two commits, in its text or only in its mode."""
    out = []
    for ch in repo.diff(old, new):
        before = (repo.read_file(old, ch.path) or b"") if ch.old_id else b""
        after = (repo.read_file(new, ch.path) or b"") if ch.new_id else b""
        out.append((ch.path, before.decode("utf-8", "replace"), after.decode("utf-8", "replace"),
                    ch.old_mode, ch.new_mode))
    return out


def targets_of(paths) -> list[str]:
    """What a set of changed paths touches: the commitment ids of their files, and
    `plan` for plan.yaml and for any path outside commitments/<id>/. Sorted, `plan` first."""
    out = set()
    for p in paths:
        m = TARGET_RE.match(p)
        out.add(m.group(1) if m else PLAN_TARGET)
    return sorted(out, key=lambda t: (t != PLAN_TARGET, t))


def changes(repo: GitRepo, a: "Amendment") -> list:
    """The files the amendment changes against its base (`base_of`), as `GitRepo.diff` gives them:
    kept by commit ids for the whole process (a server's warm-up makes those of every open
    amendment, `open_diffs`)."""
    return repo.diff(base_of(repo, a), a.head)


def touched(repo: GitRepo, a: "Amendment") -> tuple[str, list[str]]:
    """(base, targets): what the amendment really changes against its base (the merge-base
    with main), whatever commitment it was opened on; its declared target when it changes nothing."""
    return base_of(repo, a), targets_of(ch.path for ch in changes(repo, a)) or [a.commitment]


def mode_name(mode: int | None) -> str:
    return "absent" if mode is None else f"{mode:06o}"


def check_modes(changes) -> None:
    """Only regular files (mode 100644) in the plan: refuse a change that adds or turns an
    entry into a symlink, a submodule, an executable or anything else, even with the same
    blob (`changes` as given by GitRepo.diff, which sees mode-only changes)."""
    for ch in changes:
        if ch.new_mode is not None and ch.new_mode != REGULAR:
            kind = MODE_KINDS.get(ch.new_mode, "not a regular file")
            raise Invalid("amendment.irregular_mode", path=ch.path, kind=kind, mode=f"{ch.new_mode:06o}")


# -- checks ---------------------------------------------------------------------------

def in_plan(path: str) -> bool:
    """One of the paths an amendment may write: plan.yaml, a commitment's or a page's
    language file, an image (docs/format.md)."""
    return (path == model.PLAN_PATH or bool(PATH_RE.match(path)) or bool(model.PAGE_PATH_RE.match(path))
            or bool(model.ASSET_RE.match(path)))


def _normalise_files(files) -> dict[str, bytes]:
    if not isinstance(files, dict) or not files:
        raise Invalid("amendment.no_files")
    out = {}
    for path, text in files.items():
        if not isinstance(path, str) or not in_plan(path):
            raise Invalid("amendment.outside_plan", path=repr(path))
        if text is None:
            raise Invalid("amendment.removes_file", path=path)
        if isinstance(text, str):
            try:
                text = text.replace("\r\n", "\n").encode("utf-8")
            except UnicodeEncodeError:
                raise Invalid("amendment.not_utf8", path=path) from None
        if not isinstance(text, bytes):
            raise Invalid("amendment.not_text", path=path)
        if len(text) > model.MAX_FILE_BYTES and not model.ASSET_RE.match(path):  # images: pages.asset_problem
            raise Invalid("amendment.file_too_big", path=path, size=len(text), limit=model.MAX_FILE_BYTES)
        out[path] = text
    return out


def validate_change(repo: GitRepo, base: str, files: dict[str, bytes]) -> None:
    """The plan as it would be after the change obeys the schemas; raises Invalid with
    `path:line: ...` messages. The same check serves the web, the API and git pushes."""
    try:
        if model.PLAN_PATH in files:  # the whole plan depends on plan.yaml: check the whole tree
            tree_files = {p: repo.read_blob(b) for p, b in repo.tree_files(base).items()}
            tree_files.update(files)
            core.validate_files(tree_files)
            return
        plan = core.read_plan(repo, base)
        problems = [x for p, data in files.items() if model.ASSET_RE.match(p)
                    for x in [pages.asset_problem(p, data)] if x]
        if problems:
            raise SchemaError(problems)
        for slug in sorted({model.PAGE_PATH_RE.match(p).group(1) for p in files if model.PAGE_PATH_RE.match(p)}):
            known = {model.page_path(slug, lang): files.get(model.page_path(slug, lang),
                                                          repo.read_file(base, model.page_path(slug, lang)))
                     for lang in model.LANGUAGES}
            pages.parse_files(slug, {p: d for p, d in known.items() if d is not None}, plan)
        others = {s.number: s.id for s in core.list_commitments(repo, base)}
        for cid in sorted({PATH_RE.match(p).group(1) for p in files if PATH_RE.match(p)}):
            fr_path = model.commitment_path(cid)
            fr = files.get(fr_path, repo.read_file(base, fr_path))
            if fr is None:
                raise SchemaError([f"{fr_path}:1: missing: a commitment needs its French file first"])
            translations = {}
            for lang in model.LANGUAGES[1:]:
                p = model.commitment_path(cid, lang)
                data = files.get(p, repo.read_file(base, p))
                if data is not None:
                    translations[lang] = data
            c = model.parse_commitment(cid, fr, plan, translations=translations)
            if others.get(c.number, cid) != cid:
                raise SchemaError([f"{fr_path}:2: number {c.number} is already used by {others[c.number]}"])
    except SchemaError as exc:
        raise Invalid("amendment.bad_format", problems="; ".join(exc.problems)) from None


def _check_words(title, rationale):
    if not isinstance(title, str) or not title.strip():
        raise Invalid("amendment.no_title")
    if len(title) > MAX_TITLE:
        raise Invalid("amendment.title_long", n=MAX_TITLE)
    if any(ch < " " for ch in title):
        raise Invalid("amendment.title_lines")
    if rationale is not None and not isinstance(rationale, str):
        raise Invalid("amendment.rationale_not_text")
    if rationale and len(rationale) > MAX_RATIONALE:
        raise Invalid("amendment.rationale_long", n=MAX_RATIONALE)


def _unchanged(repo: GitRepo, commit: str, files: dict[str, bytes]) -> bool:
    return all(repo.read_file(commit, p) == data for p, data in files.items())


# -- writing ------------------------------------------------------------------------------

def propose(repo: GitRepo, person: Person | None, commitment: str, title: str, rationale: str,
            files, consultation: str | None = None) -> Amendment:
    """Open amendment n: a branch from current main with one commit, and its log. With
    `consultation` (through review.consultations.contribute only, which checks the window and
    the scope), the amendment is a contribution to it: the opening event names it."""
    require(person, "contribute" if consultation else "propose_amendment")
    _check_words(title, rationale)
    files = _normalise_files(files)
    main = core.resolve(repo, "main")
    if commitment != PLAN_TARGET:
        try:
            core.read_commitment(repo, main, commitment)
        except core.NotFound:
            if not any(PATH_RE.match(p) and PATH_RE.match(p).group(1) == commitment for p in files):
                raise Missing("amendment.unknown_commitment", commitment=repr(commitment)) from None
    if _unchanged(repo, main, files):
        raise Invalid("amendment.identical")
    validate_change(repo, main, files)
    who = reviewlog.identity(person.handle, person.name)
    tree = repo.write_tree(main, files)
    check_modes(repo.diff_trees(main, tree))
    commit = repo.create_commit(tree, [main], who, f"{title.strip()}\n\n{(rationale or '').strip()}\n".rstrip() + "\n")
    number = _allocate(repo, commit)
    opening = {"number": number, "commitment": commitment, "title": title.strip(),
               "rationale": (rationale or "").strip(), "revision": commit, "base": main, "files": sorted(files)}
    if consultation:
        opening["consultation"] = consultation
    reviewlog.append(repo, reviewlog.amendment_log(number), who, person.handle, OPEN, opening,
                     f"Open amendment {number}: {title.strip()[:60]}",
                     trailers={"Amendment": str(number), "Revision": commit})
    return get(repo, number)


def _allocate(repo: GitRepo, commit: str) -> int:
    """The next free number n, taken by creating `refs/heads/amendments/<n>` at `commit`
    (a compare-and-swap against "absent": two processes never get the same n)."""
    number = (max(numbers(repo) + _branch_numbers(repo) or [0])) + 1
    for _ in range(MAX_NUMBER_TRIES):
        try:
            repo.update_ref(branch(number), commit, None, f"review: open amendment {number}")
            return number
        except RefMoved:
            number += 1
    raise Conflict("amendment.number_busy")  # pragma: no cover


def _branch_numbers(repo: GitRepo) -> list[int]:
    return [int(r.rsplit("/", 1)[1]) for r in repo.refs(BRANCH_PREFIX) if r.rsplit("/", 1)[1].isdigit()]


# -- opening an amendment at a pushed commit (git push to refs/for/<commitment>) -------------

def pushed_words(message: str) -> tuple[str, str]:
    """(title, rationale) of a pushed commit: its subject line and its body."""
    subject, _, body = message.strip().partition("\n")
    return subject.strip(), body.strip()


def check_open_at(repo: GitRepo, person: Person | None, commitment: str,
                  commit: str) -> tuple[str, str, str, list[str]]:
    """Every check of opening an amendment whose text is an existing commit, writing
    nothing: returns (title, rationale, base, changed paths). The same rules as `propose`;
    review/hooks.py runs it in pre-receive, `open_at` again when it writes."""
    require(person, "propose_amendment")
    if commitment != PLAN_TARGET and not model.valid_id(commitment):
        raise Invalid("amendment.bad_target", commitment=repr(commitment), plan=PLAN_TARGET)
    main = core.resolve(repo, "main")
    base = repo.merge_base(commit, main)
    if base is None:
        raise Invalid("amendment.unrelated_history")
    if repo.is_ancestor(commit, main):
        raise Invalid("amendment.already_in_plan")
    title, rationale = pushed_words(repo.commit_info(commit).message)
    _check_words(title, rationale)
    diff = repo.diff(base, commit)
    check_modes(diff)
    paths = [ch.path for ch in diff]
    if not paths:
        raise Invalid("amendment.identical")
    files = _normalise_files({p: repo.read_file(commit, p) for p in paths})
    if commitment != PLAN_TARGET:
        try:
            core.read_commitment(repo, main, commitment)
        except core.NotFound:
            if not any(PATH_RE.match(p).group(1) == commitment for p in files if PATH_RE.match(p)):
                raise Missing("amendment.unknown_commitment", commitment=repr(commitment)) from None
    validate_change(repo, base, files)
    return title, rationale, base, sorted(paths)


def open_at(repo: GitRepo, person: Person | None, commitment: str, commit: str,
            via: str = "git") -> Amendment:
    """Open amendment n whose first revision is `commit` (already in the repository):
    allocate n as `propose` does, point the branch at the commit, write the opening event."""
    title, rationale, base, paths = check_open_at(repo, person, commitment, commit)
    who = reviewlog.identity(person.handle, person.name)
    number = _allocate(repo, commit)
    reviewlog.append(repo, reviewlog.amendment_log(number), who, person.handle, OPEN,
                     {"number": number, "commitment": commitment, "title": title,
                      "rationale": rationale, "revision": commit, "base": base,
                      "files": paths, "via": via},
                     f"Open amendment {number}: {title[:60]}",
                     trailers={"Amendment": str(number), "Revision": commit})
    return get(repo, number)


def revise(repo: GitRepo, person: Person | None, number: int, files, expected_revision: str | None,
           message: str | None = None) -> Amendment:
    """A new revision: one commit on the branch, only if it is still where the author saw it."""
    a = for_write(repo, number)
    require(person, "revise_amendment", a.subject())
    files = _normalise_files(files)
    if not expected_revision:
        raise Invalid("amendment.no_expected_revision")
    if expected_revision != a.head:
        raise Conflict("amendment.changed_since_revision", revision=a.head[:12])
    if _unchanged(repo, a.head, files):
        raise Invalid("amendment.nothing_changed")
    validate_change(repo, a.head, files)
    check_modes(repo.diff_trees(core.resolve(repo, "main"), repo.write_tree(a.head, files)))
    who = reviewlog.identity(person.handle, person.name)
    summary = (message or "").strip() or f"Revise amendment {number}"
    try:
        commit, _ = repo.commit_on(branch(number), lambda tip: (files, summary + "\n"), who, expected=a.head)
    except RefMoved:
        raise Conflict("amendment.changed_since") from None
    record_revision(repo, person, number, commit, a.head, sorted(files), "web")
    return get(repo, number)


def record_revision(repo: GitRepo, person: Person, number: int, commit: str, previous: str,
                    paths: list[str], via: str) -> None:
    reviewlog.append(repo, reviewlog.amendment_log(number), reviewlog.identity(person.handle, person.name),
                     person.handle, REVISE, {"revision": commit, "previous": previous, "files": paths, "via": via},
                     f"Revise amendment {number}", trailers={"Amendment": str(number), "Revision": commit})


def _state_event(repo, person, number, action, etype, data, summary, check_state=None):
    a = for_write(repo, number)
    require(person, action, a.subject())

    def check(events):
        now = _fold(number, events)
        if now.state != a.state:
            raise Conflict("amendment.became", state=now.state)

    reviewlog.append(repo, reviewlog.amendment_log(number), reviewlog.identity(person.handle, person.name),
                     person.handle, etype, data, summary, check,
                     trailers={"Amendment": str(number), "Revision": a.head})
    return get(repo, number)


def withdraw(repo: GitRepo, person: Person | None, number: int, reason: str | None = None) -> Amendment:
    return _state_event(repo, person, number, "withdraw_amendment", WITHDRAW, {"reason": (reason or "").strip() or None},
                        f"Withdraw amendment {number}")


def reopen(repo: GitRepo, person: Person | None, number: int) -> Amendment:
    return _state_event(repo, person, number, "reopen_amendment", REOPEN, {}, f"Reopen amendment {number}")


def reject(repo: GitRepo, person: Person | None, number: int, reason: str) -> Amendment:
    if not isinstance(reason, str) or not reason.strip():
        raise Invalid("amendment.no_reject_reason")
    return _state_event(repo, person, number, "reject_amendment", REJECT, {"reason": reason.strip()},
                        f"Reject amendment {number}")


def update_from_main(repo: GitRepo, person: Person | None, number: int,
                     resolutions: dict | None = None, expected_revision: str | None = None):
    """Merge main into the amendment (never a rebase). Returns (amendment, conflicts);
    with conflicts nothing is written and the author resolves them by sending
    `resolutions` ({path: resolved full text}) for every conflicting path."""
    a = for_write(repo, number)
    require(person, "update_amendment", a.subject())
    if expected_revision and expected_revision != a.head:
        raise Conflict("amendment.changed_reload")
    main = core.resolve(repo, "main")
    if repo.is_ancestor(main, a.head):
        raise Invalid("amendment.up_to_date")
    res = _normalise_files(resolutions) if resolutions else None
    tree, conflicts = repo.merge_trees(a.head, main, res)
    if conflicts:
        return a, conflicts
    merged_diff = repo.diff_trees(main, tree)
    check_modes(merged_diff)
    merged_paths = [ch.path for ch in merged_diff]
    if merged_paths:
        merged = {p: repo.read_tree_file(tree, p) for p in merged_paths}
        validate_change(repo, main, {p: d for p, d in merged.items() if d is not None})
    who = reviewlog.identity(person.handle, person.name)
    try:
        commit = repo.commit_tree_on(branch(number), tree, [a.head, main], who,
                                     f"Bring the plan's changes into amendment {number}\n", a.head)
    except RefMoved:
        raise Conflict("amendment.changed_meanwhile") from None
    record_update(repo, person, number, commit, a.head, main, "web")
    return get(repo, number), {}


def record_update(repo: GitRepo, person: Person, number: int, commit: str, previous: str, main: str,
                  via: str) -> None:
    """The event of main brought into an amendment (`commit`, a merge whose second parent is
    `main`): written the same way for the web's "update with the plan" and a pushed merge."""
    reviewlog.append(repo, reviewlog.amendment_log(number), reviewlog.identity(person.handle, person.name),
                     person.handle, UPDATE, {"revision": commit, "previous": previous, "main": main, "via": via},
                     f"Update amendment {number} with the plan", trailers={"Amendment": str(number), "Revision": commit})


# -- comparing --------------------------------------------------------------------------

@dataclass
class FileChange:
    path: str
    old: str
    new: str
    summary: list[str]          # French drafting sentences (plan files in Markdown)
    old_mode: int | None = None
    new_mode: int | None = None
    summary_en: list[str] = field(default_factory=list)   # the same sentences in English

    def summary_in(self, lang: str) -> list[str]:
        return self.summary_en if lang == "en" else self.summary

    @property
    def mode_changed(self) -> bool:
        return self.old_mode != self.new_mode and None not in (self.old_mode, self.new_mode) or (
            self.new_mode not in (None, REGULAR))


def compare(repo: GitRepo, old: str, new: str) -> list[FileChange]:
    """What changed between two commits, file by file, with a drafting summary."""
    from . import drafting
    out = []
    for path, before, after, old_mode, new_mode in changed_files(repo, old, new):
        summary = drafting.summaries(before, after) if path.endswith(".md") and before else {"fr": [], "en": []}
        out.append(FileChange(path, before, after, summary["fr"], old_mode, new_mode, summary["en"]))
    return out


def _touched(repo: GitRepo, a: Amendment, path: str) -> set[str]:
    """Texts of the base paragraphs of `path` that the amendment changes (cached by commit ids)."""
    base = base_of(repo, a)
    key = (repo.path, base, a.head, path)  # commit ids: the texts compared are fixed by them
    hit = _touched_cache.get(key)
    if hit is None:
        hit = _touched_cache.put(key, frozenset(_touched_texts(repo, base, a.head, path)))
    return hit


def _touched_texts(repo: GitRepo, base: str, head: str, path: str) -> set[str]:
    from . import drafting
    from .frontmatter import split_lenient
    from .render import source_blocks
    before = repo.read_file(base, path)
    after = repo.read_file(head, path)
    if before is None or after is None or before == after:
        return set()
    before_t, after_t = before.decode("utf-8", "replace"), after.decode("utf-8", "replace")
    blocks = source_blocks(split_lenient(before_t)[1])
    return {blocks[i].text for i in drafting.changed_blocks(before_t, after_t) if i < len(blocks)}


def open_diffs(repo: GitRepo) -> int:
    """Make the diff of every open amendment against its base (kept by commit ids for the whole
    process, review/gitrepo/objects.py): what a person's "for you" and each amendment page's
    overlaps ask for. A server's warm-up calls it before the fork (1,000 open amendments on a
    big plan: 18 s once, instead of in each worker). Returns how many."""
    n = 0
    for a in list_all(repo, state="open"):
        changes(repo, a)
        n += 1
    return n


def overlaps(repo: GitRepo, a: Amendment) -> list[tuple[int, str]]:
    """(number, path) of other open amendments changing a same paragraph of a same file (an
    amendment whose diff leaves the file alone is not read)."""
    if a.state != "open":
        return []
    mine = {ch.path: _touched(repo, a, ch.path) for ch in changes(repo, a) if ch.path.endswith(".md")}
    out: list[tuple[int, str]] = []
    if not any(mine.values()):
        return out
    for other in list_all(repo, state="open"):
        if other.number == a.number:
            continue
        theirs = {ch.path for ch in changes(repo, other)}
        for path, texts in mine.items():
            if texts and path in theirs and texts & _touched(repo, other, path):
                out.append((other.number, path))
    return out
