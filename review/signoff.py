"""Sign-off: approvals of a precise revision, the policy kept in plan.yaml, and the merge.

The policy in force for an amendment is the one in the `plan.yaml` of main as it stands
(the first parent of the merge to come). An approval names a revision (commit id); a new
revision makes earlier approvals stale. The merge is the only way main is written after
`review init`: one commit with two parents whose trailers record who approved what.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import amendments as am
from . import commitment as core
from . import model, reviewlog
from .errors import Conflict, Forbidden, Invalid
from .gitrepo import GitRepo, RefMoved
from .model import Person, Plan, Policy
from .permissions import why_not

APPROVAL = "approval"
VERDICTS = ("approve", "object", "withdraw")
MAX_COMMENT = 5_000


@dataclass
class Verdict:
    handle: str
    name: str
    organisation: str | None
    revision: str
    verdict: str
    comment: str | None
    time: str
    event_id: str
    stale: bool = False
    counted_for: list[str] = field(default_factory=list)
    not_counted: str | None = None     # why an approval does not count


@dataclass
class RequirementState:
    kind: str
    count: int
    by: list[Verdict]

    @property
    def satisfied(self) -> bool:
        return len(self.by) >= self.count

    @property
    def missing(self) -> int:
        return max(0, self.count - len(self.by))


@dataclass
class Evaluation:
    revision: str
    policy: Policy
    policy_blob: str
    requirements: list[RequirementState]
    objections: list[Verdict]
    verdicts: list[Verdict]          # every verdict, latest per person and revision, stale ones marked
    main: str = ""                   # the main commit whose plan.yaml was applied

    @property
    def satisfied(self) -> bool:
        return all(r.satisfied for r in self.requirements) and not (self.policy.objections_block and self.objections)

    def as_json(self) -> dict:
        v = lambda x: {"handle": x.handle, "name": x.name, "organisation": x.organisation, "revision": x.revision,
                       "verdict": x.verdict, "comment": x.comment, "time": x.time, "stale": x.stale,
                       "counted_for": x.counted_for, "not_counted": x.not_counted}
        return {
            "revision": self.revision, "satisfied": self.satisfied, "policy": self.policy_blob,
            "objections_block": self.policy.objections_block,
            "exclude_author_organisation": self.policy.exclude_author_organisation,
            "requirements": [{"kind": r.kind, "count": r.count, "satisfied": r.satisfied, "missing": r.missing,
                              "by": [v(x) for x in r.by]} for r in self.requirements],
            "objections": [v(x) for x in self.objections],
            "verdicts": [v(x) for x in self.verdicts],
        }


def policy_for(plan: Plan, a: am.Amendment, touches_plan: bool) -> Policy:
    return plan.signoff.plan if touches_plan or a.commitment == am.PLAN_TARGET else plan.signoff.for_commitment(a.commitment)


def entitled_kinds(plan: Plan, person: Person, policy: Policy, leads: tuple[str, ...]) -> list[str]:
    """The requirements of this policy that this person's approval can satisfy."""
    org = plan.organisations.get(person.organisation) if person.organisation else None
    kinds = []
    for r in policy.requirements:
        if r.kind == "lead-signatories" and person.has("signatory") and person.organisation in leads:
            kinds.append(r.kind)
        elif r.kind == "civil-society" and person.has("signatory") and org is not None and org.kind == "civil-society":
            kinds.append(r.kind)
        elif r.kind == "coordinators" and person.has("coordinator"):
            kinds.append(r.kind)
    return kinds


def _context(repo: GitRepo, a: am.Amendment, main: str | None = None):
    main = main or core.resolve(repo, "main")
    plan = core.read_plan(repo, main)
    touches_plan = repo.read_file(a.head, model.PLAN_PATH) != repo.read_file(am.base_of(repo, a), model.PLAN_PATH)
    policy = policy_for(plan, a, touches_plan)
    leads: tuple[str, ...] = ()
    if a.commitment != am.PLAN_TARGET:
        try:
            leads = core.read_commitment(repo, main, a.commitment).leads
        except core.NotFound:  # a new commitment: its leads are in the amendment
            leads = core.read_commitment(repo, a.head, a.commitment).leads
    return main, plan, policy, leads


def latest_verdicts(events) -> list[Verdict]:
    """The latest verdict of each person on each revision, from a log's events; withdrawn ones dropped."""
    latest: dict[tuple[str, str], Verdict] = {}
    for e in events:
        if e.type == APPROVAL:
            d = e.data
            latest[(e.actor, d["revision"])] = Verdict(e.actor, d.get("name", e.actor), d.get("organisation"),
                                                       d["revision"], d["verdict"], d.get("comment"), e.time, e.id)
    return [v for v in latest.values() if v.verdict != "withdraw"]


def _latest_verdicts(a: am.Amendment) -> list[Verdict]:
    return latest_verdicts(a.events)


def tally(plan: Plan, policy: Policy, leads: tuple[str, ...], author: str, head: str,
          verdicts: list[Verdict]) -> tuple[list[RequirementState], list[Verdict]]:
    """Which verdicts count for which requirement at revision `head` (marks each verdict).

    Pure: `review.verify` replays it from a clone with the plan.yaml of a merge's first parent.
    """
    author_person = plan.people.get(author)
    author_org = author_person.organisation if author_person else None
    reqs = [RequirementState(r.kind, r.count, []) for r in policy.requirements]
    objections = []
    for v in verdicts:
        v.stale = v.revision != head
        person = plan.people.get(v.handle)
        if v.stale:
            v.not_counted = "stale: given on an earlier revision"
            continue
        if person is None:
            v.not_counted = "no longer a person of the plan"
            continue
        kinds = entitled_kinds(plan, person, policy, leads)
        if not kinds:
            v.not_counted = "not entitled under the policy in force"
            continue
        if policy.exclude_author_organisation and (v.handle == author or (author_org and person.organisation == author_org)):
            v.not_counted = "same organisation as the author"
            continue
        if v.verdict == "object":
            objections.append(v)
            continue
        v.counted_for = kinds
        for r in reqs:
            if r.kind in kinds:
                r.by.append(v)
    return reqs, objections


def evaluate(repo: GitRepo, a: am.Amendment, main: str | None = None) -> Evaluation:
    main, plan, policy, leads = _context(repo, a, main)
    verdicts = _latest_verdicts(a)
    reqs, objections = tally(plan, policy, leads, a.author, a.head, verdicts)
    return Evaluation(a.head, policy, core.plan_blob_id(repo, main), reqs, objections, verdicts, main)


def give_verdict(repo: GitRepo, person: Person | None, number: int, revision: str, verdict: str,
                 comment: str | None = None) -> Evaluation:
    a = am.get(repo, number)
    reason = why_not(person, "approve_amendment", a.subject())
    if reason:
        raise Forbidden(reason) if a.state == "open" or person is None else Conflict(reason)
    if verdict not in VERDICTS:
        raise Invalid(f"verdict must be one of {', '.join(VERDICTS)}, not {verdict!r}")
    if comment is not None and (not isinstance(comment, str) or len(comment) > MAX_COMMENT):
        raise Invalid(f"the comment must be text of at most {MAX_COMMENT} characters")
    if not isinstance(revision, str) or revision != a.head:
        raise Conflict(f"revision {str(revision)[:12]} is not the amendment's current revision ({a.head[:12]}): "
                       "read the current text and approve that")
    main, plan, policy, leads = _context(repo, a)
    kinds = entitled_kinds(plan, person, policy, leads)
    if not kinds:
        raise Forbidden("you are not entitled to approve this amendment: the policy asks for "
                        + ", ".join(f"{r.count} {r.kind}" for r in policy.requirements))
    author = plan.people.get(a.author)
    if policy.exclude_author_organisation and verdict != "withdraw" and (
            person.handle == a.author or (author and author.organisation and author.organisation == person.organisation)):
        raise Forbidden("under this policy, approvals from the author's own organisation do not count")

    def check(events):
        now = am._fold(number, events)
        if now.state != "open":
            raise Conflict(f"the amendment is {now.state}: approvals are closed")
        if repo.ref_target(am.branch(number)) != revision:
            raise Conflict("a new revision arrived meanwhile: read it and approve that")

    reviewlog.append(repo, reviewlog.amendment_log(number), reviewlog.identity(person.handle, person.name),
                     person.handle, APPROVAL,
                     {"revision": revision, "verdict": verdict, "comment": (comment or "").strip() or None,
                      "name": person.name, "organisation": person.organisation, "entitled": kinds},
                     f"{verdict.capitalize()} revision {revision[:12]} of amendment {number}", check,
                     trailers={"Amendment": str(number), "Revision": revision})
    a = am.get(repo, number)
    ev = evaluate(repo, a)
    if verdict == "approve" and ev.satisfied and ev.policy.auto_merge:
        _merge(repo, person, a, ev, auto=True)
        ev = evaluate(repo, am.get(repo, number))
    return ev


def merge_message(a: am.Amendment, ev: Evaluation, plan: Plan, auto: bool = False) -> str:
    lines = [f"Merge amendment {a.number}: {a.title}", "", f"Amendment: {a.number}"]
    seen = set()
    for r in ev.requirements:
        for v in r.by:
            if v.handle in seen:
                continue
            seen.add(v.handle)
            lines.append(f"Approved-by: {v.name} {v.handle} ({v.organisation or '-'}, {v.revision})")
    lines.append(f"Policy: {ev.policy_blob}")
    if auto:
        lines.append("Merged-by: policy (auto_merge)")
    return "\n".join(lines) + "\n"


def merge(repo: GitRepo, person: Person | None, number: int, revision: str) -> str:
    """Merge an approved amendment into main; returns the merge commit id."""
    a = am.get(repo, number)
    if a.state == "merged":
        raise Conflict(f"amendment {number} is merged already")
    reason = why_not(person, "merge_amendment", a.subject())
    if reason:
        raise Forbidden(reason) if a.state == "open" or person is None else Conflict(reason)
    if not isinstance(revision, str) or revision != a.head:
        raise Conflict(f"revision {str(revision)[:12]} is not the current revision ({a.head[:12]}): "
                       "merge only what you have read")
    ev = evaluate(repo, a)
    if not ev.satisfied:
        missing = [f"{r.missing} more {r.kind}" for r in ev.requirements if not r.satisfied]
        if ev.policy.objections_block and ev.objections:
            missing.append("objections withdrawn: " + ", ".join(o.handle for o in ev.objections))
        raise Conflict("the policy is not satisfied at this revision: needs " + "; ".join(missing))
    return _merge(repo, person, a, ev)


def _merge(repo: GitRepo, person: Person, a: am.Amendment, ev: Evaluation, auto: bool = False) -> str:
    main = ev.main  # the merge's first parent is the main whose policy was evaluated
    if repo.is_ancestor(a.head, core.resolve(repo, "main")):
        raise Conflict(f"amendment {a.number} is merged already")
    tree, conflicts = repo.merge_trees(main, a.head)
    if conflicts:
        raise Conflict("the amendment does not merge cleanly with the plan: its author must update it with "
                       "the plan first (conflicts in " + ", ".join(sorted(conflicts)) + ")")
    plan = core.read_plan(repo, main)
    who = reviewlog.identity(person.handle, person.name)
    try:
        commit = repo.commit_tree_on(core.MAIN, tree, [main, a.head], who, merge_message(a, ev, plan, auto), main)
    except RefMoved:
        raise Conflict("the plan changed meanwhile (another merge?): reload and try again") from None

    def check(events):
        if am._fold(a.number, events).state == "merged":  # pragma: no cover - main's CAS already decided
            raise Conflict("merged already")

    reviewlog.append(repo, reviewlog.amendment_log(a.number), who, person.handle, am.MERGE,
                     {"revision": a.head, "merge": commit, "policy": ev.policy_blob,
                      "approvals": [{"handle": v.handle, "organisation": v.organisation, "revision": v.revision}
                                    for r in ev.requirements for v in r.by]},
                     f"Merge amendment {a.number}", check,
                     trailers={"Amendment": str(a.number), "Revision": a.head, "Merge": commit})
    return commit


def why_no_verdict(repo: GitRepo, person: Person | None, a: am.Amendment) -> str | None:
    """None when this person's approval of the amendment would count, else why not."""
    reason = why_not(person, "approve_amendment", a.subject())
    if reason:
        return reason
    main, plan, policy, leads = _context(repo, a)
    if not entitled_kinds(plan, person, policy, leads):
        return ("you are not entitled to approve this amendment: the policy asks for "
                + ", ".join(f"{r.count} {r.kind}" for r in policy.requirements))
    author = plan.people.get(a.author)
    if policy.exclude_author_organisation and (
            person.handle == a.author or (author and author.organisation and author.organisation == person.organisation)):
        return "under this policy, approvals from the author's own organisation do not count"
    return None


def pending_for(repo: GitRepo, person: Person) -> list[tuple[am.Amendment, Evaluation]]:
    """Open amendments this person may approve and has not yet approved at their current revision."""
    out = []
    for a in am.list_all(repo, state="open"):
        if why_no_verdict(repo, person, a) is not None:
            continue
        ev = evaluate(repo, a)
        if any(v.handle == person.handle and not v.stale for v in ev.verdicts):
            continue
        out.append((a, ev))
    return out
