"""`review verify`: prove from a bare repository (or a `git clone --mirror`) how the plan came
to say what it says, offline. And `review checkpoint`: tag the tips of every ref.

The rules (docs/audit.md explains each, with what it proves and what it cannot):

1. every first-parent commit of main after the initial one is a merge of an amendment:
   two parents, the second on the amendment's branch, the trailers of
   `review.signoff.merge_message`, and exactly the tree of the three-way merge of its parents,
   modes included; main only ever holds regular files (mode 100644);
2. the trailers match the amendment's review log: each `Approved-by` is that person's
   approval of the very revision merged, given before the merge (in the log and by date);
   the amendment was open; the log's merge event (or its later repair event) names this
   merge; every merge event of every log names a merge on main; every revision a log
   records is a commit of its branch, and the branch's tip is the last one;
3. each counted approver held the role for an entitled organisation in the `plan.yaml` of
   the merge's first parent, and the merger was a coordinator (or the policy auto-merged);
   every name (trailers, event commits) is the person's name in the plan.yaml in force; a
   published version (`refs/tags/versions/...`) is an annotated tag on a commit of main by a
   coordinator of the plan.yaml in force when it was tagged; a participant of a consultation
   (`~pseudonym`, not in plan.yaml) only contributes to one (a comment or a stance in its log, or
   an amendment opened in it), under their pseudonym and nothing else;
4. the `Policy:` trailer is the first parent's `plan.yaml` blob, and its policy is
   satisfied, for every commitment the amendment changes (and for plan.yaml), by the log's
   approval events up to the merge;
5. every review log is linear; each commit adds exactly one event file and changes or
   deletes none; sequence numbers go 1, 2, 3...; the commit's author is the event's actor;
   event ids are unique across logs and an event's trailers name the log it is in;
6. every event matches its schema (`review.eventschema`);
7. dates never go backwards within a log, nor differ from their commit's, beyond
   `CLOCK_TOLERANCE`; a merge is not dated before its parents;
8. every recorded position of a ref (checkpoint tags; the reflog, in the repository
   itself) is still on that ref's line: nothing was rewritten since.

Only the git layer (`review.gitrepo`) touches git, and nothing is written while verifying.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import os
import re
import time
from dataclasses import dataclass, field
from typing import Callable

from . import amendments as am
from . import eventschema, model, reviewlog, signoff, trailers
from . import commitment as core
from .gitrepo import REGULAR, DamagedObject, GitLayerError, GitRepo, Identity

CLOCK_TOLERANCE = dt.timedelta(minutes=5)
CHECKPOINT_PREFIX = "refs/tags/checkpoints/"
VERSIONS_PREFIX = "versions/"  # review.versions.PREFIX (verify reads the repository only)
MAIN = core.MAIN
ZERO = "0" * 40
EVENT_PATH_RE = re.compile(r"^events/(\d{5})/(\d{7})-([0-9a-f]{12})\.json$")
CHECKPOINT_LINE_RE = re.compile(r"^(refs/\S+) ([0-9a-f]{40})$")
# The refs the system manages; others (refs/for/* during a push, a mirror's extras) come and go.
MANAGED = ("refs/heads/", "refs/reviews/", "refs/tags/")
CONSULTATION_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")  # review.consultations.ID_RE
PARTICIPANT_MARK = eventschema.PARTICIPANT_MARK
# What a participant (~pseudonym, not in plan.yaml) may write: in a consultation's log, a
# contribution (a comment naming it) or a stance; in an amendment's log, an opening naming one.
PARTICIPANT_EVENTS = {"consultations": ("comment", "consultation-stance"), "amendments": ("amendment-open",)}

RULES = {
    0: "the repository is whole: every object can be read, every ref points at a commit (a tag at a tag object)",
    1: "every commit of main after the initial one is a merge of an amendment with its trailers, "
       "holding only regular files",
    2: "the trailers match the approvals and the merge recorded in the amendment's review log; "
       "branches match their logs",
    3: "each approver held the role for an entitled organisation in the plan.yaml in force; names match it",
    4: "the policy of the plan.yaml in force (the merge's first parent) was satisfied for every commitment touched",
    5: "every review log is linear; each commit adds exactly one event, by its actor, in sequence, in its own log",
    6: "every event matches its schema",
    7: "dates never go backwards within a log, nor a merge before its parents (tolerance: 5 minutes)",
    8: "checkpoints and reflogs (and a witness, if given): no ref was rewritten since a recorded position",
}


class Unusable(Exception):
    """The input cannot be verified at all (exit status 2): the message says why."""


@dataclass(frozen=True)
class Violation:
    rule: int
    code: str
    ref: str
    commit: str | None
    message: str

    def as_json(self) -> dict:
        return {"rule": self.rule, "code": self.code, "ref": self.ref, "commit": self.commit,
                "message": self.message}

    def line(self) -> str:
        where = self.ref + (f" {self.commit}" if self.commit else "")
        return f"[rule {self.rule}] {where}: {self.message} ({self.code})"


@dataclass
class Report:
    path: str
    violations: list[Violation] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    seconds: float = 0.0
    refs: dict = field(default_factory=dict)      # ref -> tip verified: a witness file for later

    @property
    def clean(self) -> bool:
        return not self.violations

    def rules_broken(self) -> set[int]:
        return {v.rule for v in self.violations}

    def as_json(self) -> dict:
        return {"path": self.path, "clean": self.clean, "counts": self.counts,
                "rules": {str(n): {"text": t, "violations": sum(1 for v in self.violations if v.rule == n)}
                          for n, t in RULES.items()},
                "violations": [v.as_json() for v in self.violations], "warnings": self.warnings,
                "seconds": round(self.seconds, 3), "refs": dict(sorted(self.refs.items()))}

    def text(self) -> str:
        c = self.counts
        lines = [f"review verify: {self.path}",
                 f"main: {c.get('main_commits', 0)} commits ({c.get('merges', 0)} merges of amendments); "
                 f"{c.get('logs', 0)} review logs with {c.get('events', 0)} events; "
                 f"{c.get('checkpoints', 0)} checkpoint(s); reflogs: {c.get('reflogs', 0)} ref(s)"
                 + (f"; witness: {c['witness_refs']} ref(s), {c.get('witness_positions', 0)} position(s)"
                    if "witness_refs" in c else ""), ""]
        if c.get("imported"):
            lines[-1:-1] = [f"imported history: the first {c['imported']} commit(s) of main, up to the adoption of "
                            f"{c.get('imported_from')}: imported, not reviewed here"]
        for n, t in RULES.items():
            k = sum(1 for v in self.violations if v.rule == n)
            lines.append(f"  {n}. {t} ... " + ("ok" if not k else f"{k} violation(s)"))
        if self.violations:
            lines += ["", "Violations:"] + ["  " + v.line() for v in self.violations]
        if self.warnings:
            lines += ["", "Warnings:"] + ["  " + w for w in self.warnings]
        lines += ["", (f"Clean: the history is proven ({self.seconds:.1f} s)." if self.clean else
                       f"{len(self.violations)} violation(s) found ({self.seconds:.1f} s).")]
        return "\n".join(lines) + "\n"


def _time(value) -> dt.datetime | None:
    if not isinstance(value, str) or not eventschema.TIME_RE.match(value):
        return None
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def _iso(when: dt.datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


def open_repository(path: str | os.PathLike) -> GitRepo:
    """The repository at exactly this path, bare and complete; else Unusable."""
    path = os.fspath(path)
    if not os.path.isdir(path):
        raise Unusable(f"{path} is not a folder: give the path of a bare plan repository "
                       "(DIR/plan.git) or of a `git clone --mirror` of one")
    try:
        repo = GitRepo(path)
    except GitLayerError:
        raise Unusable(f"{path} is not a git repository: give a bare plan repository "
                       "or a `git clone --mirror` of one") from None
    if os.path.realpath(repo.git_dir.rstrip("/")) not in (os.path.realpath(path),
                                                            os.path.realpath(os.path.join(path, ".git"))):
        raise Unusable(f"{path} is not a git repository (git found {repo.git_dir} above it)")
    if not repo.is_bare:
        raise Unusable(f"{path} is a working copy: a plain clone lacks refs/reviews/*; verify a bare "
                       "repository or make one with `git clone --mirror URL`")
    if repo.is_shallow:
        raise Unusable(f"{path} is a shallow clone: its history is incomplete; clone it with `git clone --mirror`")
    if repo.ref_target(MAIN) is None:
        raise Unusable(f"{path} has no refs/heads/main: it is not a plan repository")
    return repo


def imported_segment(main_line: list, report: Report, flag) -> int:
    """The imported history of main (`review import`, docs/audit.md): the first-parent commits
    up to the adoption commit that carries `Imported-From:`, none of them a merge. They are
    "imported, not reviewed here": rule 1 starts after them, and each must carry its
    `Source-Commit:` (else `imported-without-source`). Returns how many leading commits of
    `main_line` (oldest first) are the initial segment: 1 when nothing was imported."""
    for k, info in enumerate(main_line):
        if len(info.parents) > 1:
            return 1                      # a merge before any adoption commit: nothing was imported
        if trailers.IMPORTED_FROM in trailers.values(info.message):
            break
    else:
        return 1
    for info in main_line[:k]:
        if trailers.SOURCE_COMMIT not in trailers.values(info.message):
            flag(1, "imported-without-source", MAIN, info.id,
                 "an imported commit (before the Imported-From commit) carries no Source-Commit trailer: "
                 "nothing ties it to the history it was imported from")
    report.counts["imported"] = k
    report.counts["imported_from"] = trailers.values(main_line[k].message).get(trailers.IMPORTED_FROM)
    return k + 1


# -- the rules, one function each --------------------------------------------------------------
#
# Each function checks one rule (or one part of it) on what `_Verifier` read from the
# repository, and reports with `flag(rule, code, ref, commit, message)`; it flags only its
# own rule. `_Verifier` walks the repository and calls them (and review/integrity.py calls
# the same methods, incrementally).

Flag = Callable[[int, str, str, "str | None", str], None]


def rule0_loose_objects(repo: GitRepo, flag: Flag) -> None:
    """Rule 0: every loose object inflated and hashed (packs carry their own checksums)."""
    for oid, problem in repo.damaged_loose_objects():
        flag(0, "damaged-object", "objects", oid,
             f"object {oid} is {problem}: restore it from a copy (a mirror, a backup)")


def rule0_refs(repo: GitRepo, refs: dict[str, str], flag: Flag) -> set[str]:
    """Rule 0: refs at a missing object, or at a blob or tree (a tag object outside refs/tags/).
    Returns those refs: the other rules leave them out (they would only report them again,
    under a misleading name such as a forced update)."""
    broken: set[str] = set()
    for ref, oid in sorted(refs.items()):
        try:
            kind = repo.object_kind(oid)
        except DamagedObject:
            broken.add(ref)  # the object itself is named by rule0_loose_objects
            continue
        if kind is None:
            broken.add(ref)
            flag(0, "missing-object", ref, oid,
                 f"{ref} points at {oid}, which is not in the repository")
        elif kind in ("blob", "tree") or (kind == "tag" and not ref.startswith("refs/tags/")):
            broken.add(ref)
            flag(0, "ref-not-a-commit", ref, oid, f"{ref} points at a {kind}, not a commit")
    return broken


def rule1_merge(repo: GitRepo, refs: dict[str, str], info, merges: dict[int, str],
                flag: Flag) -> "trailers.MergeTrailers | None":
    """Rule 1 on a commit of main after the initial one: a merge of an amendment (two parents,
    the second on the amendment's branch), with its trailers, merged once, whose tree is the
    three-way merge of its parents (modes included). Records the merge in `merges`; returns
    its trailers when the other rules can go on with it (it names an amendment)."""
    c = info.id
    if len(info.parents) != 2:
        flag(1, "not-a-merge", MAIN, c,
             f"has {len(info.parents)} parent(s): after the initial commit, main only changes "
             "by merging an approved amendment")
        return None
    first, revision = info.parents
    t = trailers.parse_merge(info.message)
    if t is None or t.amendment is None:
        flag(1, "no-trailers", MAIN, c, "the merge carries no Amendment trailer")
        return None
    n = t.amendment
    for line in t.unreadable:
        flag(1, "bad-trailer", MAIN, c, f"unreadable trailer {line!r}")
    if t.policy is None:
        flag(1, "no-policy", MAIN, c, "the merge carries no Policy trailer")
    if n in merges:
        flag(1, "merged-twice", MAIN, c, f"amendment {n} was merged already as {merges[n]}")
    else:
        merges[n] = c
    branch = refs.get(am.branch(n))
    if branch is None:
        flag(1, "no-branch", MAIN, c, f"there is no branch {am.branch(n)} holding the merged revision")
    elif not repo.contains(revision, branch):
        flag(1, "not-the-amendment", MAIN, c,
             f"the second parent {revision} is not on {am.branch(n)}")
    merged = repo.merged_entries(first, revision)
    actual = repo.tree_entries(c)
    if merged is None:
        flag(1, "merge-conflict", MAIN, c, "its parents do not merge cleanly: the tree was made by hand")
    elif merged != actual:
        differ = sorted(p for p in set(merged) | set(actual) if merged.get(p) != actual.get(p))
        modes = [p for p in differ if merged.get(p) and actual.get(p) and merged[p][0] == actual[p][0]]
        flag(1, "tree-differs", MAIN, c,
             "the tree is not the merge of its parents (modes included); differs in "
             + ", ".join(f"{p} (mode {am.mode_name(merged[p][1])} -> {am.mode_name(actual[p][1])})"
                         if p in modes else p for p in differ[:5]))
    return t


def rule1_modes(repo: GitRepo, main_line: list, flag: Flag) -> None:
    """Rule 1: only regular files (100644) on main: in the initial tree and in whatever
    each later commit of main changes."""
    root = main_line[0]
    for path, mode in repo.irregular_entries(root.id):
        flag(1, "not-a-regular-file", MAIN, root.id,
             f"{path} has mode {mode:06o}: the plan holds only regular files (100644)")
    for info in main_line[1:]:
        for ch in repo.diff(info.parents[0], info.id):
            if ch.new_mode is not None and ch.new_mode != REGULAR:
                flag(1, "not-a-regular-file", MAIN, info.id,
                     f"{ch.path} has mode {ch.new_mode:06o}: the plan holds only regular files (100644)")


@dataclass
class AtMerge:
    """What an amendment's log held when the merge was made (rule 2 decided it)."""
    log: str
    opened: reviewlog.Event
    events: list                # the whole log
    verdicts: list              # the latest verdict of each person and revision, counted at the merge
    latest: dict                # (handle, revision) -> Verdict, counted
    later: dict                 # (handle, revision) -> Verdict, not counted (after the merge)


def rule2_log_at_merge(info, t: trailers.MergeTrailers, revision: str, events: list | None,
                       flag: Flag) -> AtMerge | None:
    """Rule 2: the amendment has a log that opens it; its merge event (or a later repair)
    names this merge, revision and policy; the amendment was open at the merge; approvals
    dated after the merge commit are not counted. Returns what counts, or None without a log."""
    c, n = info.id, t.amendment
    log = reviewlog.amendment_log(n)
    if events is None:
        flag(2, "no-log", MAIN, c, f"amendment {n} has no review log {log}")
        return None
    opened = events[0] if events and events[0].type == am.OPEN else None
    if opened is None:
        flag(2, "no-open-event", log, None, f"the log of amendment {n} does not start with its opening")
        return None
    before = events
    merge_events = [e for e in events if e.type in am.MERGED and e.data.get("merge") == c]
    if merge_events:
        me = merge_events[0]
        before = [e for e in events if e.seq < me.seq]
        if me.type == am.MERGE_REPAIR:  # recorded after the fact: what happened before the merge commit counts
            before = [e for e in before if (_time(e.time) or info.time) <= info.time + CLOCK_TOLERANCE
                      or e.type != signoff.APPROVAL]
        if me.data.get("revision") != revision or (me.data.get("policy") or "") != (t.policy or ""):
            flag(2, "merge-event-differs", log, me.commit,
                 f"the log's merge event names revision {me.data.get('revision')} and policy "
                 f"{me.data.get('policy')}; the merge {c} has {revision} and {t.policy}")
    elif not any(e.type in am.MERGED for e in events):
        flag(2, "no-merge-event", MAIN, c,
             f"amendment {n} is merged as {c} but its log has no merge event, and no later "
             f"{am.MERGE_REPAIR} event records it")
    # the state at the merge: only an open amendment is merged
    state = am._fold(n, [e for e in before if e.type != am.MERGE_REPAIR])
    if state is not None and state.state != "open":
        flag(2, "not-open-at-merge", MAIN, c,
             f"amendment {n} was {state.state} when it was merged: only an open amendment can be merged")
    # approvals dated after the merge commit are not counted, whatever their place in the log
    counted_events = []
    for e in before:
        when = _time(e.time)
        if e.type == signoff.APPROVAL and when is not None and when > info.time + CLOCK_TOLERANCE:
            if e.data.get("verdict") == "approve" and e.data.get("revision") == revision:
                flag(2, "approval-after-merge", log, e.commit,
                     f"the approval by {e.actor} is dated {e.time}, after the merge {c} "
                     f"({_iso(info.time)}): it is not counted")
            continue
        counted_events.append(e)
    verdicts = signoff.latest_verdicts(counted_events)
    counted_seqs = {e.seq for e in counted_events}
    later = {(v.handle, v.revision): v for v in signoff.latest_verdicts(
        [e for e in events if e.type == signoff.APPROVAL and e.seq not in counted_seqs])}
    return AtMerge(log, opened, events, verdicts, {(v.handle, v.revision): v for v in verdicts}, later)


def _approved_by(a: trailers.Approval) -> str:
    return f"Approved-by {a.handle} ({a.organisation or '-'}, {a.revision[:12]})"


def rule2_approvals(c: str, approvals, revision: str, at: AtMerge, flag: Flag) -> list:
    """Rule 2: each `Approved-by` of the merge is that person's approval, in the log, of the
    very revision merged, before the merge, with the same organisation. Returns the
    approvals the log holds (rule 3 then judges who gave them)."""
    held = []
    for a in approvals:
        what = _approved_by(a)
        if a.revision != revision:
            flag(2, "other-revision", MAIN, c,
                 f"{what} names revision {a.revision}, but the merge takes revision {revision}")
            continue
        v = at.latest.get((a.handle, revision))
        if v is None or v.verdict != "approve":
            if v is None and getattr(at.later.get((a.handle, revision)), "verdict", None) == "approve":
                flag(2, "approval-after-merge", MAIN, c,
                     f"{what}: the approval in {at.log} comes after the merge (in the log or by its date): "
                     "it is not counted")
                continue
            state = "no approval" if v is None else f"an {v.verdict}, not an approval,"
            flag(2, "approval-missing", MAIN, c,
                 f"{what}: {at.log} holds {state} by {a.handle} of revision {revision} before the merge")
            continue
        if v.organisation != a.organisation:
            flag(2, "organisation-differs", MAIN, c,
                 f"{what}: the approval event gives organisation {v.organisation or '-'}")
        held.append(a)
    return held


def rule2_merges_on_main(main_line: list, merges: dict[int, str], amendment_events: dict, flag: Flag) -> None:
    """Rule 2: every merge event of every log names a merge of that amendment on main."""
    on_main = {i.id for i in main_line}
    for number, events in sorted(amendment_events.items()):
        for e in events:
            if e.type not in am.MERGED:
                continue
            merge = e.data.get("merge")
            if merge not in on_main or merges.get(number) != merge:
                flag(2, "merge-not-on-main", reviewlog.amendment_log(number), e.commit,
                     f"the log records the merge of amendment {number} as {merge}, which is not "
                     "a merge of that amendment on main's history: main was rewritten")


def rule2_branches(repo: GitRepo, refs: dict[str, str], amendment_events: dict, flag: Flag) -> None:
    """Rule 2 for every amendment, merged or not: each revision its log records is a commit
    of its branch, and the branch's tip is the last revision recorded."""
    for number, events in sorted(amendment_events.items()):
        log, ref = reviewlog.amendment_log(number), am.branch(number)
        tip = refs.get(ref)
        revisions = [e for e in events if e.type in (am.OPEN, am.REVISE, am.UPDATE)]
        if tip is None:
            if revisions:
                flag(2, "no-branch", log, None, f"amendment {number} has a log but no branch {ref}")
            continue
        if repo.object_kind(tip) != "commit":
            continue  # a ref at a blob or a tree, or at a missing object: a rule of its own
        opened = revisions[0].data.get("revision") if revisions and revisions[0].type == am.OPEN else None
        line = set()
        for info in repo.first_parent_log(tip):  # the branch's own commits, tip to opening
            line.add(info.id)
            if info.id == opened:
                break
        for e in revisions:
            rev = e.data.get("revision")
            if rev not in line:
                flag(2, "revision-not-on-branch", log, e.commit,
                     f"the log records revision {rev} of amendment {number}, which is not on {ref} (tip {tip})")
        if revisions and revisions[-1].data.get("revision") != tip:
            flag(2, "tip-not-last-revision", ref, tip,
                 f"{ref} points at {tip}, but the last revision its log records is "
                 f"{revisions[-1].data.get('revision')}")


def rule3_approvers(c: str, plan: model.Plan, scopes: list, approvals, flag: Flag) -> None:
    """Rule 3: each counted approver is a person of the plan.yaml in force (the merge's first
    parent), named and placed as it names and places them, and holds a role for an
    organisation entitled to approve what the amendment changes."""
    for a in approvals:
        what = _approved_by(a)
        person = plan.people.get(a.handle)
        if person is None:
            flag(3, "not-a-person", MAIN, c, f"{what}: {a.handle} is not in the plan.yaml in force")
            continue
        if a.name != person.name:
            flag(3, "name-differs", MAIN, c,
                 f"{what}: the trailer names {a.name!r}, but the plan.yaml in force names "
                 f"{a.handle} {person.name!r}")
        if person.organisation != a.organisation:
            flag(3, "organisation-differs", MAIN, c,
                 f"{what}: the plan.yaml in force puts {a.handle} in {person.organisation or '-'}")
        if not signoff.entitled_in(plan, person, scopes):
            flag(3, "not-entitled", MAIN, c,
                 f"{what}: under the plan.yaml in force, {a.handle} (roles {', '.join(person.roles)}, "
                 f"{person.organisation or 'no organisation'}) may not approve for "
                 + "; ".join(f"{sc.target}: " + ", ".join(r.kind for r in sc.policy.requirements)
                             for sc in scopes))


def rule3_merger(info, plan: model.Plan, scopes: list, t: trailers.MergeTrailers, flag: Flag) -> None:
    """Rule 3: the merger (the merge commit's author) is a coordinator in the plan.yaml in
    force, or the policy of every scope auto-merges and the merger is one of the approvers;
    and is named as that plan.yaml names them."""
    c = info.id
    merger = reviewlog.handle_of(info.author_email)
    person = plan.people.get(merger) if merger else None
    auto_ok = t.auto and all(sc.policy.auto_merge for sc in scopes) and merger in {a.handle for a in t.approvals}
    if not auto_ok and (person is None or not person.has("coordinator")):
        flag(3, "merger-not-coordinator", MAIN, c,
             f"merged by {info.author_name} <{info.author_email}>, not a coordinator in the plan.yaml in force")
    if person is not None and info.author_name != person.name:
        flag(3, "name-differs", MAIN, c,
             f"merged by {info.author_name!r}, but the plan.yaml in force names {merger} {person.name!r}")


def _plans_in_force(repo: GitRepo, line: list):
    """plan_at(when) -> (the plan.yaml of main as it stood then, or None when unreadable; the
    index of that commit on main's line), each plan read once."""
    times = [i.time for i in line]
    plans: dict[str, model.Plan | None] = {}

    def plan_at(when):
        i = bisect.bisect_right(times, when + CLOCK_TOLERANCE) - 1
        commit = line[max(i, 0)].id
        blob = repo.blob_id(commit, model.PLAN_PATH)
        if blob not in plans:
            try:
                plans[blob] = core.read_plan(repo, commit)
            except (core.NotFound, model.SchemaError):
                plans[blob] = None
        return plans[blob], max(i, 0)

    return plan_at


def rule3_names(repo: GitRepo, main_line: list, event_authors: list, flag: Flag) -> None:
    """Rule 3: the name on every event's commit is the person's name in the plan.yaml in
    force then (main as it stood at the event's date)."""
    line = main_line
    plan_at = _plans_in_force(repo, line)
    for ref, commit, handle, when, name in event_authors:
        if handle.startswith(PARTICIPANT_MARK):  # a participant: named by their pseudonym only
            if name != handle:
                flag(3, "name-differs", ref, commit,
                     f"the commit's author is {name!r}, but a participant is named {handle!r} and nothing else")
            continue
        plan, i = plan_at(when)
        if plan is None or not handle:
            continue
        person = plan.people.get(handle)
        if person is not None and person.name == name:
            continue
        # a name changed around that time: the plan.yaml just before is in force too
        previous = plan_at(line[i - 1].time)[0] if i > 0 and when - line[i].time <= CLOCK_TOLERANCE else None
        if previous is not None and previous.people.get(handle) and previous.people[handle].name == name:
            continue
        flag(3, "name-differs", ref, commit,
             f"the commit's author is {name!r}, but the plan.yaml in force then "
             + (f"names {handle} {person.name!r}" if person else f"has no person {handle}"))


def rule3_versions(repo: GitRepo, refs: dict[str, str], main_line: list, flag: Flag) -> None:
    """Rule 3: a published version (`refs/tags/versions/<name>`, review/versions.py) is an
    annotated tag on a commit of main, tagged by a coordinator of the plan.yaml in force then,
    under the name that plan.yaml gives them: what `review.versions.publish_version` writes."""
    on_main = {i.id for i in main_line}
    plan_at = _plans_in_force(repo, main_line)
    for ref in sorted(r for r in refs if r.startswith("refs/tags/" + VERSIONS_PREFIX)):
        oid = refs[ref]
        tag = repo.tag_object(oid)
        tagger = repo.tagger(oid)
        if tag is None or tagger is None:
            flag(3, "version-not-annotated", ref, oid, "a published version must be an annotated tag with its tagger")
            continue
        target, _message, _when = tag
        if target not in on_main:
            flag(3, "version-not-on-main", ref, target, "a published version must tag a commit of main")
        name, email, when = tagger
        handle = reviewlog.handle_of(email)
        plan = plan_at(when)[0]
        person = plan.people.get(handle) if plan is not None and handle else None
        if person is None or not person.has("coordinator"):
            flag(3, "version-not-by-coordinator", ref, oid,
                 f"tagged by {name} <{email}>, not a coordinator in the plan.yaml in force then")
        elif person.name != name:
            flag(3, "name-differs", ref, oid, f"tagged by {name!r}, but the plan.yaml in force names "
                                              f"{handle} {person.name!r}")


def rule3_participant(ref: str, info, data: dict, flag: Flag) -> None:
    """Rule 3: a participant (`~pseudonym`) only contributes to a consultation or takes a stance
    in one: a comment or a stance in a consultation's log naming it, or an amendment opened in it."""
    actor = data.get("actor")
    if not isinstance(actor, str) or not actor.startswith(PARTICIPANT_MARK):
        return
    kind, name, _number = reviewlog.log_name(ref)
    etype = data.get("type")
    ok = etype in PARTICIPANT_EVENTS.get(kind, ())
    if ok and etype == "comment":
        ok = data.get("consultation") == name and not data.get("report")
    if ok and etype == "amendment-open":
        ok = isinstance(data.get("consultation"), str)
    if not ok:
        flag(3, "participant-outside-consultation", ref, info.id,
             f"participant {actor} wrote a {etype!r} event here: participants only contribute to a consultation "
             "(a comment or a stance in its log, or an amendment opened in it)")


def rule3_approval_name(ref: str, info, data: dict, flag: Flag) -> None:
    """Rule 3: an approval event names the person its commit's author is."""
    name = data.get("name") if data.get("type") == signoff.APPROVAL else None
    if isinstance(name, str) and name != info.author_name:
        flag(3, "name-differs", ref, info.id,
             f"the approval names {name!r} but its commit's author is {info.author_name!r}")


def rule4_policy(c: str, plan: model.Plan, scopes: list, t: trailers.MergeTrailers, targets: list[str],
                 in_force: str | None, author: str, revision: str, verdicts: list, flag: Flag) -> None:
    """Rule 4: the `Touches:` trailer names what the amendment changes; the `Policy:` trailer
    is the first parent's plan.yaml blob; and its policy is satisfied, for every target, by
    the verdicts counted at the merge."""
    if t.touches and sorted(t.touches) != sorted(targets):
        flag(4, "touches-differs", MAIN, c,
             f"the Touches trailer names {' '.join(t.touches)}, but the amendment changes "
             f"{' '.join(targets)}")
    if t.policy is not None and t.policy != in_force:
        flag(4, "policy-not-in-force", MAIN, c,
             f"the Policy trailer names plan.yaml {t.policy}, but the first parent's is {in_force}: "
             "the policy in force is the one before the merge")
    states = signoff.tally_scopes(plan, scopes, author, revision, verdicts)
    missing = [f"{m} for {st.scope.target}" if len(states) > 1 else m for st in states for m in st.missing()]
    if missing:
        flag(4, "not-satisfied", MAIN, c,
             f"the policy in force was not satisfied at revision {revision}: it needed " + "; ".join(missing))


def rule5_event_file(changes: list, ref: str, info, prev_seq: int, flag: Flag) -> tuple[str, int, str, str] | None:
    """Rule 5: a commit of a log adds exactly one event file, at its place
    (`events/<shard>/<seq>-<id>.json`), next in sequence, and changes or deletes none.
    Returns (path, seq, event id, blob id) of the file added, or None."""
    added = [ch for ch in changes if ch.status == "A"]
    for ch in changes:
        if ch.status == "M":
            flag(5, "event-changed", ref, info.id,
                 f"changes {ch.path}: an event, once written, is never changed")
        elif ch.status == "D":
            flag(5, "event-deleted", ref, info.id,
                 f"deletes {ch.path}: an event, once written, is never deleted")
    if len(added) != 1:
        if added or len(changes) == 0:
            flag(5, "not-one-event", ref, info.id,
                 f"adds {len(added)} files: each commit of a log adds exactly one event file")
        return None
    path = added[0].path
    m = EVENT_PATH_RE.match(path)
    if m is None:
        flag(5, "bad-path", ref, info.id, f"adds {path}, not events/<shard>/<seq>-<id>.json")
        return None
    shard, seq, eid = int(m.group(1)), int(m.group(2)), m.group(3)
    if shard != seq // reviewlog.SHARD_SIZE:
        flag(5, "bad-path", ref, info.id, f"{path}: event {seq} belongs in shard {seq // reviewlog.SHARD_SIZE:05d}")
    if seq != prev_seq + 1:
        flag(5, "sequence", ref, info.id,
             f"event {seq} follows event {prev_seq}: sequence numbers go 1, 2, 3... "
             "(an event is missing or repeated)")
    return path, seq, eid, added[0].new_id


def rule5_event_commit(ref: str, info, path: str, seq: int, eid: str, data: dict, flag: Flag) -> dict[str, str]:
    """Rule 5: the event file is the one its path names, its actor is the commit's author,
    and the commit's trailers say the same. Returns the commit's trailers."""
    if data.get("seq") != seq or data.get("id") != eid:
        flag(5, "path-mismatch", ref, info.id,
             f"the file {path} holds seq {data.get('seq')!r} and id {data.get('id')!r}")
    actor = data.get("actor")
    author = reviewlog.handle_of(info.author_email)
    if author != actor:
        flag(5, "actor-not-author", ref, info.id,
             f"the event's actor is {actor!r} but the commit's author is "
             f"{info.author_name} <{info.author_email}>")
    said = trailers.values(info.message)
    expected = {trailers.EVENT: data.get("type"), trailers.ACTOR: actor, trailers.SEQ: str(seq),
                trailers.EVENT_ID: eid}
    wrong = [k for k, v in expected.items() if said.get(k) != v]
    if wrong:
        flag(5, "trailers", ref, info.id,
             f"the commit message's {', '.join(wrong)} trailer(s) do not match the event")
    return said


def rule5_unique_id(eid: str, ref: str, commit: str, seen: dict[str, tuple[str, str]], flag: Flag) -> None:
    """Rule 5: an event id is unique across all logs (`seen`: id -> (log, commit) of its first use)."""
    first = seen.get(eid)
    if first is not None:
        flag(5, "duplicate-event-id", ref, commit,
             f"event id {eid} is already used in {first[0]} (commit {first[1]}): every event has its own id")
    else:
        seen[eid] = (ref, commit)


def rule5_in_its_log(ref: str, number: int | None, info, data: dict, said: dict[str, str], flag: Flag) -> None:
    """Rule 5: the event's trailers and keys name the log it is in (an approval copied into
    another amendment's log shows here). Unique ids across logs: `rule5_unique_id`."""
    said_number = said.get(trailers.AMENDMENT)
    if number is not None and said_number is not None and said_number != str(number):
        flag(5, "wrong-log", ref, info.id,
             f"the commit's trailer says Amendment: {said_number}, but it is in the log of amendment {number}")
    elif number is None and said_number is not None:
        flag(5, "wrong-log", ref, info.id,
             f"the commit's trailer says Amendment: {said_number}, but it is in a commitment's log")
    if number is not None and data.get("type") == am.OPEN and data.get("number") not in (None, number):
        flag(5, "wrong-log", ref, info.id,
             f"the opening event says amendment {data.get('number')}, but it is in the log of amendment {number}")


def rule6_event_data(raw: bytes, ref: str, info, path: str, flag: Flag) -> tuple[dict | None, bool]:
    """Rule 6: the event file is JSON and matches its schema (`review.eventschema`).
    Returns (the event when it is an object, whether it matches)."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        flag(6, "not-json", ref, info.id, f"{path} is not JSON: {exc}")
        return None, False
    problems = eventschema.problems(data)
    if problems:
        flag(6, "schema", ref, info.id, f"{path}: " + "; ".join(problems))
    return (data if isinstance(data, dict) else None), not problems


def rule7_event_date(ref: str, info, seq: int, data: dict, latest: dt.datetime | None,
                     flag: Flag) -> dt.datetime | None:
    """Rule 7: an event's date never goes back before an earlier event of its log, nor
    differs from its commit's, beyond CLOCK_TOLERANCE. Returns the latest date so far."""
    when = _time(data.get("time"))
    if when is None:
        return latest
    if latest is not None and when < latest - CLOCK_TOLERANCE:
        flag(7, "backwards", ref, info.id,
             f"event {seq} is dated {data['time']}, {latest - when} before an earlier event of the log")
    elif abs(info.time - when) > CLOCK_TOLERANCE:
        flag(7, "commit-time", ref, info.id,
             f"event {seq} is dated {data['time']} but its commit "
             f"{info.time.isoformat().replace('+00:00', 'Z')}")
    return when if latest is None else max(latest, when)


def rule7_merge_date(repo: GitRepo, info, flag: Flag) -> None:
    """Rule 7: a merge of main is not dated before its parents."""
    parents_times = [repo.commit_info(p).time for p in info.parents if repo.has_object(p)]
    late = [t for t in parents_times if info.time < t - CLOCK_TOLERANCE]
    if late:
        flag(7, "merge-before-parent", MAIN, info.id,
             f"the merge is dated {_iso(info.time)}, before its parent dated {_iso(max(late))}")


def rule8_checkpoint(name: str, tag_oid: str, tag, refs: dict[str, str], broken: set[str], has_object,
                     on_line, flag: Flag) -> None:
    """Rule 8: every ref -> commit a checkpoint tag lists is still on that ref's history."""
    if tag is None:
        flag(8, "checkpoint-not-annotated", name, tag_oid,
             "a checkpoint is an annotated tag listing the refs; this one is not")
        return
    listed = [CHECKPOINT_LINE_RE.match(line) for line in tag[1].splitlines()]
    listed = [(m.group(1), m.group(2)) for m in listed if m]
    if not listed:
        flag(8, "checkpoint-empty", name, tag_oid, "the checkpoint lists no refs")
    for ref, oid in listed:
        if not ref.startswith(MANAGED):
            continue
        if ref in broken:
            continue  # named under rule 0
        if ref not in refs:
            flag(8, "deleted-since-checkpoint", ref, oid,
                 f"{name} recorded {ref} at {oid}; the ref no longer exists")
        elif not has_object(oid):
            flag(8, "rewritten-since-checkpoint", ref, oid,
                 f"{name} recorded {ref} at {oid}, which is no longer in the repository: rewritten")
        elif not on_line(ref, oid):
            flag(8, "rewritten-since-checkpoint", ref, oid,
                 f"{name} recorded {ref} at {oid}, which is not on its history now (tip {refs[ref]})")


def rule8_reflog(ref: str, entries: list[tuple[str, str, str]], on_line, flag: Flag) -> None:
    """Rule 8: every position a ref's reflog recorded is still on its history (the first
    one that is not is named: the ref was rewritten)."""
    for old, new, message in entries:
        bad = [oid for oid in (old, new) if oid != ZERO and not on_line(ref, oid)]
        if bad:
            flag(8, "forced-update", ref, new,
                 f"the reflog records {ref} moving from {old} to {new} ({message.strip()[:60]}); "
                 f"{bad[0]} is not on its history now: the ref was rewritten")
            break


# -- reading the repository, rule by rule ---------------------------------------------------------

class _Verifier:
    """Reads the repository once, in order (objects, logs, main, checkpoints, reflogs), keeps
    what several rules need (the logs' events, main's line, the merges), and calls the rules."""

    def __init__(self, repo: GitRepo, report: Report):
        self.repo, self.report = repo, report
        self.refs = repo.refs()
        self.chains: dict[str, set[str]] = {}          # ref -> commits on its (first-parent) line
        self.amendment_events: dict[int, list[reviewlog.Event]] = {}
        self.main_line: list = []                      # CommitInfo of main, oldest first
        self.merges: dict[int, str] = {}                # amendment -> merge commit on main
        self.leads_cache: dict[str, tuple[str, ...]] = {}  # blob of a commitment's fr.md -> its leads
        self.event_ids: dict[str, tuple[str, str]] = {}  # event id -> (log, commit) where first seen
        self.event_authors: list[tuple[str, str, str, dt.datetime, str | None]] = []  # (log, commit, handle, time, name)

    def flag(self, rule: int, code: str, ref: str, commit: str | None, message: str) -> None:
        self.report.violations.append(Violation(rule, code, ref, commit, message))

    # -- rule 0: damaged objects and refs -------------------------------------------------

    def objects(self) -> None:
        self.loose_objects()
        self.broken: set[str] = rule0_refs(self.repo, self.refs, self.flag)

    def loose_objects(self) -> None:
        rule0_loose_objects(self.repo, self.flag)

    def damaged(self, exc: Exception) -> None:
        """A rule stopped on an object it could not read: named, under rule 0."""
        oid = getattr(exc, "oid", None)
        problem = getattr(exc, "problem", "unreadable")
        if not any(v.rule == 0 and v.commit == oid for v in self.report.violations):
            self.flag(0, "missing-object" if problem == "missing" else "damaged-object", "objects", oid,
                      f"object {oid} is {problem}: restore it from a copy (a mirror, a backup)")

    # -- rules 5, 6, 7: the review logs ---------------------------------------------------

    def logs(self) -> None:
        logs = sorted(r for r in self.refs if r.startswith("refs/reviews/"))
        self.report.counts["logs"] = len(logs)
        total = 0
        for ref in logs:
            total += self.log(ref)
        self.report.counts["events"] = total

    def log(self, ref: str) -> int:
        repo = self.repo
        chain = []
        c = self.refs[ref]
        while c:
            try:
                info = repo.commit_info(c)
            except GitLayerError:
                self.flag(5, "missing-commit", ref, c, "the log names a commit that is not in the repository")
                break
            chain.append(info)
            if len(info.parents) > 1:
                self.flag(5, "not-linear", ref, info.id,
                          f"has {len(info.parents)} parents: a review log is one line of commits, each on the previous tip")
            c = info.parents[0] if info.parents else None
        chain.reverse()
        self.chains[ref] = {i.id for i in chain}
        kind, name, number = reviewlog.log_name(ref)
        if not ((kind == "amendments" and number is not None) or (kind == "commitments" and model.valid_id(name))
                or (kind == "consultations" and CONSULTATION_ID_RE.match(name))):
            self.report.warnings.append(f"{ref}: not a review log name this verifier knows "
                                        "(refs/reviews/commitments/<id>, refs/reviews/amendments/<n>, "
                                        "refs/reviews/consultations/<id>)")
        events: list[reviewlog.Event] = []
        self.log_commits(ref, number, chain, events, 0, None)
        if number is not None:
            self.amendment_events[number] = events
        return len(chain)

    def log_commits(self, ref: str, number: int | None, chain: list, events: list,
                    prev_seq: int, latest: dt.datetime | None) -> tuple[int, dt.datetime | None]:
        """Rules 5, 6, 7 on these commits of a log (oldest first), after an event `prev_seq`
        dated `latest`; appends the events read to `events`; returns the new (prev_seq, latest).
        (review/integrity.py calls it on the commits a log gained since its last check.)"""
        repo, flag = self.repo, self.flag
        for info in chain:
            found = rule5_event_file(repo.changes(info.id), ref, info, prev_seq, flag)
            if found is None:
                continue
            path, seq, eid, blob = found
            prev_seq = seq
            data, well_formed = rule6_event_data(repo.read_blob(blob), ref, info, path, flag)
            if data is None:
                continue
            said = rule5_event_commit(ref, info, path, seq, eid, data, flag)
            self.event_in_log(ref, number, info, eid, data, said)
            latest = rule7_event_date(ref, info, seq, data, latest, flag)
            if well_formed:
                events.append(reviewlog.Event(seq, eid, data["type"], data.get("actor"), data["time"],
                                              {k: v for k, v in data.items() if k not in eventschema.COMMON}, info.id))
        return prev_seq, latest

    def event_in_log(self, ref: str, number: int | None, info, eid: str, data: dict, said_trailers: dict) -> None:
        """Rule 5: an event id is unique across all logs, and the event names its own log;
        rule 3: an approval names the person its commit's author is. Remembers the name on
        the event's commit for `names`."""
        rule5_unique_id(eid, ref, info.id, self.event_ids, self.flag)
        rule5_in_its_log(ref, number, info, data, said_trailers, self.flag)
        self.event_authors.append((ref, info.id, reviewlog.handle_of(info.author_email) or "", info.time,
                                   info.author_name))
        rule3_approval_name(ref, info, data, self.flag)
        rule3_participant(ref, info, data, self.flag)

    # -- rules 1 to 4: main ---------------------------------------------------------------

    def main(self) -> None:
        repo = self.repo
        self.main_line = list(repo.first_parent_log(self.refs[MAIN]))[::-1]
        self.chains[MAIN] = {i.id for i in self.main_line}
        root = self.main_line[0]
        try:
            core.read_plan(repo, root.id)
        except (core.NotFound, model.SchemaError) as exc:
            raise Unusable(f"the initial commit of main {root.id} holds no valid plan.yaml ({exc}): "
                           "not a plan repository") from None
        self.report.counts["main_commits"] = len(self.main_line)
        start = imported_segment(self.main_line, self.report, self.flag)
        merges = 0
        for info in self.main_line[start:]:
            merges += self.merge(info)
        self.report.counts["merges"] = merges
        rule2_merges_on_main(self.main_line, self.merges, self.amendment_events, self.flag)
        self.modes()
        self.branches()
        self.names()
        self.versions()

    def merge(self, info) -> int:
        """Rules 1 to 4 (and 7's dates) on one commit of main; 1 when it merges an amendment."""
        t = rule1_merge(self.repo, self.refs, info, self.merges, self.flag)
        if t is None:
            return 0
        rule7_merge_date(self.repo, info, self.flag)
        self.approvals(info, t, t.amendment, *info.parents)
        return 1

    def approvals(self, info, t: trailers.MergeTrailers, n: int, first: str, revision: str) -> None:
        """Rules 2, 3 and 4 on a merge of amendment `n`: what its log held, who approved, the policy."""
        repo, c, flag = self.repo, info.id, self.flag
        at = rule2_log_at_merge(info, t, revision, self.amendment_events.get(n), flag)
        if at is None:
            return
        try:
            plan = core.read_plan(repo, first)
        except (core.NotFound, model.SchemaError) as exc:
            flag(4, "no-plan", MAIN, c, f"the first parent {first} holds no valid plan.yaml: {exc}")
            return
        base = repo.merge_base(first, revision)
        paths = [ch.path for ch in repo.diff(base, revision)] if base else list(repo.tree_files(revision))
        targets = am.targets_of(paths) or [at.opened.data.get("commitment")]
        scopes = signoff.scopes_for(plan, targets, self.leads_reader(first, revision))
        held = rule2_approvals(c, t.approvals, revision, at, flag)
        rule3_approvers(c, plan, scopes, held, flag)
        rule3_merger(info, plan, scopes, t, flag)
        rule4_policy(c, plan, scopes, t, targets, repo.blob_id(first, model.PLAN_PATH), at.opened.actor, revision,
                     at.verdicts, flag)

    def leads_reader(self, first: str, revision: str):
        """`review.signoff.leads_reader`, remembered by the blob of the commitment's French file
        (most merges leave most commitments' leads unchanged)."""
        repo, cache = self.repo, self.leads_cache

        def leads_of(cid: str) -> tuple[str, ...]:
            for commit in (first, revision):
                blob = repo.blob_id(commit, model.commitment_path(cid))
                if blob is None:
                    continue
                if blob not in cache:
                    try:
                        cache[blob] = core.read_commitment(repo, commit, cid).leads
                    except (core.NotFound, model.SchemaError):
                        continue
                return cache[blob]
            return ()
        return leads_of

    # -- rules 1, 2 and 3 across main, the branches and the logs ------------------------------

    def modes(self) -> None:
        rule1_modes(self.repo, self.main_line, self.flag)

    def branches(self) -> None:
        rule2_branches(self.repo, self.refs, self.amendment_events, self.flag)

    def names(self) -> None:
        rule3_names(self.repo, self.main_line, self.event_authors, self.flag)

    def versions(self) -> None:
        rule3_versions(self.repo, self.refs, self.main_line, self.flag)

    # -- rule 8: checkpoints and reflogs --------------------------------------------------

    def on_line(self, ref: str, oid: str) -> bool:
        """Is this recorded position still on the ref's line (its tip or an ancestor)?"""
        tip = self.refs.get(ref)
        if tip is None:
            return False
        if ref.startswith("refs/tags/"):
            return oid == tip
        chain = self.chains.get(ref)
        if chain is not None and oid in chain:
            return True
        if self.repo.contains(oid, tip):
            return True
        now = self.repo.ref_target(ref)  # the ref moved forward while we were verifying
        return now is not None and now != tip and self.repo.contains(tip, now) and self.repo.contains(oid, now)

    def checkpoints(self) -> None:
        names = sorted(r for r in self.refs if r.startswith(CHECKPOINT_PREFIX))
        self.report.counts["checkpoints"] = len(names)
        for name in names:
            rule8_checkpoint(name, self.refs[name], self.repo.tag_object(self.refs[name]), self.refs, self.broken,
                             self.repo.has_object, self.on_line, self.flag)

    def reflogs(self) -> None:
        with_log = 0
        for ref in sorted(r for r in self.refs if r.startswith(MANAGED)):
            entries = self.repo.reflog(ref)
            if entries:
                with_log += 1
            rule8_reflog(ref, entries, self.on_line, self.flag)
        self.report.counts["reflogs"] = with_log
        if not with_log and not self.report.counts.get("checkpoints"):
            self.report.warnings.append("no reflog and no checkpoint: a rewrite made before this copy was taken "
                                        "cannot be detected; publish checkpoints with `review checkpoint`")


def verify(path: str | os.PathLike, witness: str | os.PathLike | None = None, *,
           repo: GitRepo | None = None, verifier=None) -> Report:
    """Check the eight rules; raises Unusable when the input cannot be verified at all.
    `witness`: another copy (a bare repository or mirror) or a JSON file of ref -> commit,
    whose every position must still be on that ref's history here (rule 8). `repo` (already
    open) and `verifier` (a subclass of `_Verifier`) are for the server's incremental check
    (review/integrity.py)."""
    started = time.perf_counter()
    repo = repo if repo is not None else open_repository(path)
    held = read_witness(witness) if witness is not None else None
    report = Report(os.fspath(path))
    v = (verifier or _Verifier)(repo, report)
    v.objects()
    v.refs = {r: oid for r, oid in v.refs.items() if r not in v.broken}
    report.refs = {r: oid for r, oid in v.refs.items() if r.startswith(MANAGED)}
    steps = [v.logs, v.main, v.checkpoints, v.reflogs]
    if MAIN in v.broken:
        steps.remove(v.main)
        report.warnings.append("main cannot be read: rules 1 to 4 are not checked")
    if held is not None:
        def witness_positions():
            check_witness(v, held)
        steps.append(witness_positions)
    for step in steps:
        try:
            step()
        except DamagedObject as exc:  # named under rule 0; the step's other checks could not run
            v.damaged(exc)
            report.warnings.append(f"{step.__name__}: stopped at a damaged object ({exc.oid}); "
                                   "the rules of this step are not all checked")
        except GitLayerError as exc:  # an object that history needs is missing: a damaged copy
            raise Unusable(f"{path} is incomplete or damaged ({exc}): clone it again with `git clone --mirror`") from None
    report.violations.sort(key=lambda x: (x.rule, x.ref, x.commit or ""))
    report.seconds = time.perf_counter() - started
    return report


# -- witnesses: positions of refs noted outside this copy ------------------------------------

@dataclass
class Witness:
    """What another copy holds: each managed ref's tip, plus every earlier position its
    reflog recorded; `repo` when the witness is a repository (to tell "behind" from "rewritten")."""
    source: str
    refs: dict[str, str]
    positions: dict[str, list[str]]
    repo: GitRepo | None = None


_OID_RE = re.compile(r"^[0-9a-f]{40}$|^[0-9a-f]{64}$")


def read_witness(other: str | os.PathLike) -> Witness:
    """A bare repository or mirror (tips and reflogs), or a JSON file: the output of
    `review verify --json` (its `refs`) or an object ref -> commit. Unusable otherwise."""
    path = os.fspath(other)
    if os.path.isdir(path):
        try:
            wrepo = GitRepo(path)
        except GitLayerError:
            raise Unusable(f"the witness {path} is not a git repository: give a mirror "
                           "(`git clone --mirror`) or a JSON file written by `review verify --json`") from None
        refs = {r: oid for r, oid in wrepo.refs().items() if r.startswith(MANAGED)}
        positions = {}
        for ref in refs:
            seen = [new for _, new, _ in wrepo.reflog(ref) if new != ZERO]
            positions[ref] = list(dict.fromkeys(p for p in seen if p != refs[ref]))
        witness = Witness(path, refs, positions, wrepo)
    elif os.path.isfile(path):
        try:
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            raise Unusable(f"the witness {path} is not a JSON file ({exc}): give a file written by "
                           "`review verify --json`, or a mirror") from None
        if isinstance(data, dict) and isinstance(data.get("refs"), dict):
            data = data["refs"]
        if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(o, str) and _OID_RE.match(o)
                                                 for k, o in data.items()):
            raise Unusable(f"the witness {path} holds no object ref -> commit id (the `refs` of "
                           "`review verify --json`)")
        witness = Witness(path, {r: o for r, o in data.items() if r.startswith(MANAGED)}, {})
    else:
        raise Unusable(f"the witness {path} is neither a folder nor a file: give a mirror or a JSON file "
                       "written by `review verify --json`")
    if not witness.refs:
        raise Unusable(f"the witness {path} holds no ref of a plan repository (refs/heads/, refs/reviews/, "
                       "refs/tags/): give a mirror (`git clone --mirror`), not a working copy")
    return witness


def check_witness(v: _Verifier, w: Witness) -> None:
    """Rule 8 against a witness: every position the witness holds for a ref (its tip, and what
    its reflog recorded) is still on that ref's history here. A ref the witness holds but this
    copy lacks was deleted; a position off the ref's history was rewritten, unless this copy
    is simply older than the witness (the witness's tip descends from ours: a warning)."""
    repo, report = v.repo, v.report
    report.counts["witness_refs"] = len(w.refs)
    report.counts["witness_positions"] = sum(1 + len(p) for p in w.positions.values())
    behind = []
    for ref, tip in sorted(w.refs.items()):
        ours = v.refs.get(ref)
        if ours is None:
            v.flag(8, "deleted-since-witness", ref, tip,
                   f"the witness {w.source} holds {ref} at {tip}; the ref no longer exists here")
            continue
        for oid in [tip, *w.positions.get(ref, [])]:
            if v.on_line(ref, oid):
                continue
            if oid == tip and _ahead(v, w, ref, ours, tip):
                behind.append(ref)
                break
            held = repo.has_object(oid)
            v.flag(8, "rewritten-since-witness", ref, oid,
                   f"the witness {w.source} holds {ref} at {oid}, which "
                   + (f"is not on its history here (tip {ours}): rewritten since" if held else
                      "is not in this repository: rewritten since (or this copy is older than the witness: "
                      "fetch it again)"))
            break
    if behind:
        report.warnings.append(f"this copy is behind the witness on {len(behind)} ref(s) ({', '.join(behind[:3])}"
                               + (", ..." if len(behind) > 3 else "") + "): fetch it again for a full comparison")


def _ahead(v: _Verifier, w: Witness, ref: str, ours: str, theirs: str) -> bool:
    """Is the witness's tip a descendant of our tip (this copy is just older)?"""
    if ref.startswith("refs/tags/"):
        return False
    if w.repo is not None:
        return w.repo.has_object(ours) and w.repo.contains(ours, theirs)
    return v.repo.has_object(theirs) and v.repo.contains(ours, theirs)


# -- checkpoints ----------------------------------------------------------------------------

def checkpoint(repo: GitRepo, when: dt.datetime | None = None) -> tuple[str, dict[str, str]]:
    """Tag main's tip with an annotated tag `checkpoints/<UTC time>` whose message lists
    `<ref> <object id>` for every ref; returns (tag name, the refs listed)."""
    when = (when or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
    stamp = when.strftime("%Y%m%dT%H%M%SZ")
    tagger = Identity(repo.config_get("user.name") or "review", repo.config_get("user.email") or "review@localhost")
    for attempt in range(1, 100):
        refs = {r: oid for r, oid in repo.refs().items() if r.startswith(MANAGED)}
        name = f"checkpoints/{stamp}" + (f"-{attempt}" if attempt > 1 else "")
        lines = [f"Checkpoint {when.isoformat(timespec='seconds').replace('+00:00', 'Z')}: {len(refs)} refs", ""]
        lines += [f"{ref} {oid}" for ref, oid in sorted(refs.items())]
        if repo.create_tag_if_absent(name, refs[MAIN], tagger, "\n".join(lines) + "\n") is not None:
            return name, refs
    raise GitLayerError("could not find a free checkpoint name")  # pragma: no cover
