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
from . import model, reviewlog, trailers
from .errors import Conflict, Forbidden, Invalid, Message
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
    counted_for: list[str] = field(default_factory=list)   # requirement kinds, any target
    counted_in: list[dict] = field(default_factory=list)   # [{commitment, kind}]
    not_counted: str | None = None     # why an approval does not count


@dataclass
class RequirementState:
    kind: str
    count: int
    by: list[Verdict]
    target: str = ""             # the commitment id (or `plan`) whose policy asks for it

    @property
    def satisfied(self) -> bool:
        return len(self.by) >= self.count

    @property
    def missing(self) -> int:
        return max(0, self.count - len(self.by))


@dataclass
class Scope:
    """The sign-off one touched target asks for: a commitment (its policy, its lead
    administrations) or `plan` (the plan-level policy, for plan.yaml and any file outside
    commitments/<id>/)."""

    target: str
    policy: Policy
    leads: tuple[str, ...]


@dataclass
class ScopeState:
    scope: Scope
    requirements: list[RequirementState]
    objections: list[Verdict]

    @property
    def satisfied(self) -> bool:
        return all(r.satisfied for r in self.requirements) and not (self.scope.policy.objections_block
                                                                    and self.objections)

    def missing(self) -> list[str]:
        out = [f"{r.missing} more {r.kind}" for r in self.requirements if not r.satisfied]
        if self.scope.policy.objections_block and self.objections:
            out.append("objections withdrawn: " + ", ".join(o.handle for o in self.objections))
        return out


@dataclass
class Evaluation:
    revision: str
    policy: Policy                   # the first target's policy (see `scopes` for each)
    policy_blob: str
    requirements: list[RequirementState]   # every target's, in order
    objections: list[Verdict]
    verdicts: list[Verdict]          # every verdict, latest per person and revision, stale ones marked
    main: str = ""                   # the main commit whose plan.yaml was applied
    scopes: list[ScopeState] = field(default_factory=list)
    files: dict = field(default_factory=dict)   # target -> paths the amendment changes there

    @property
    def satisfied(self) -> bool:
        if self.scopes:
            return all(s.satisfied for s in self.scopes)
        return all(r.satisfied for r in self.requirements) and not (self.policy.objections_block and self.objections)

    @property
    def auto_merge(self) -> bool:
        return all(s.scope.policy.auto_merge for s in self.scopes) if self.scopes else self.policy.auto_merge

    @property
    def targets(self) -> list[str]:
        return [s.scope.target for s in self.scopes]

    def missing(self) -> list[str]:
        many = len(self.scopes) > 1
        return [f"{m} for {s.scope.target}" if many else m for s in self.scopes for m in s.missing()]

    def as_json(self) -> dict:
        v = lambda x: {"handle": x.handle, "name": x.name, "organisation": x.organisation, "revision": x.revision,
                       "verdict": x.verdict, "comment": x.comment, "time": x.time, "stale": x.stale,
                       "counted_for": x.counted_for, "counted_in": x.counted_in, "not_counted": x.not_counted}
        req = lambda r: {"kind": r.kind, "count": r.count, "satisfied": r.satisfied, "missing": r.missing,
                         "commitment": r.target, "by": [v(x) for x in r.by]}
        return {
            "revision": self.revision, "satisfied": self.satisfied, "policy": self.policy_blob,
            "objections_block": self.policy.objections_block,
            "exclude_author_organisation": self.policy.exclude_author_organisation,
            "requirements": [req(r) for r in self.requirements],
            "objections": [v(x) for x in self.objections],
            "verdicts": [v(x) for x in self.verdicts],
            "commitments": [{"commitment": s.scope.target, "satisfied": s.satisfied,
                             "files": self.files.get(s.scope.target, []), "leads": list(s.scope.leads),
                             "objections_block": s.scope.policy.objections_block,
                             "exclude_author_organisation": s.scope.policy.exclude_author_organisation,
                             "auto_merge": s.scope.policy.auto_merge,
                             "requirements": [req(r) for r in s.requirements],
                             "objections": [v(x) for x in s.objections]} for s in self.scopes],
        }


def scopes_for(plan: Plan, targets: list[str], leads_of) -> list[Scope]:
    """The sign-off of each target an amendment touches (`review.amendments.targets_of`):
    the plan-level policy for `plan`, each commitment's own policy (with its lead
    administrations, `leads_of(id)`) for the others. Pure: verify replays it."""
    out = []
    for t in targets:
        if t == am.PLAN_TARGET:
            out.append(Scope(t, plan.signoff.plan, ()))
        else:
            out.append(Scope(t, plan.signoff.for_commitment(t), tuple(leads_of(t))))
    return out


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


def entitled_in(plan: Plan, person: Person, scopes: list[Scope]) -> dict[str, list[str]]:
    """target -> the requirement kinds this person could satisfy there (targets where none: left out)."""
    out = {}
    for sc in scopes:
        kinds = entitled_kinds(plan, person, sc.policy, sc.leads)
        if kinds:
            out[sc.target] = kinds
    return out


def leads_reader(repo: GitRepo, main: str, head: str):
    """leads_of(commitment id): its lead administrations on main, or (a new commitment) at `head`."""
    def leads_of(cid: str) -> tuple[str, ...]:
        for commit in (main, head):
            try:
                return core.read_commitment(repo, commit, cid).leads
            except (core.NotFound, model.SchemaError):
                continue
        return ()
    return leads_of


def _context(repo: GitRepo, a: am.Amendment, main: str | None = None):
    """(main, plan, scopes, files by target) of an amendment: the targets are what it really
    changes against its base, each with the policy of the plan.yaml on main."""
    main = main or core.resolve(repo, "main")
    plan = core.read_plan(repo, main)
    paths = [ch.path for ch in am.changes(repo, a)]
    targets = am.targets_of(paths) or [a.commitment]
    files = {t: [p for p in paths if am.targets_of([p]) == [t]] for t in targets}
    return main, plan, scopes_for(plan, targets, leads_reader(repo, main, a.head)), files


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


def tally_scopes(plan: Plan, scopes: list[Scope], author: str, head: str,
                 verdicts: list[Verdict]) -> list[ScopeState]:
    """Which verdicts count for which requirement of which touched target at revision `head`
    (marks each verdict). An approval counts once per requirement per target it is entitled
    in. Pure: `review.verify` replays it from a clone with the plan.yaml of a merge's first parent.
    """
    author_person = plan.people.get(author)
    author_org = author_person.organisation if author_person else None
    states = [ScopeState(sc, [RequirementState(r.kind, r.count, [], sc.target) for r in sc.policy.requirements], [])
              for sc in scopes]
    for v in verdicts:
        v.stale = v.revision != head
        v.counted_for, v.counted_in, v.not_counted = [], [], None
        person = plan.people.get(v.handle)
        if v.stale:
            v.not_counted = "stale: given on an earlier revision"
            continue
        if person is None:
            v.not_counted = "no longer a person of the plan"
            continue
        why = "not entitled under the policy in force"
        for st in states:
            policy = st.scope.policy
            kinds = entitled_kinds(plan, person, policy, st.scope.leads)
            if not kinds:
                continue
            if policy.exclude_author_organisation and (v.handle == author or (author_org and person.organisation == author_org)):
                why = "same organisation as the author"
                continue
            if v.verdict == "object":
                st.objections.append(v)
                continue
            for r in st.requirements:
                if r.kind in kinds:
                    r.by.append(v)
            v.counted_in += [{"commitment": st.scope.target, "kind": k} for k in kinds]
            v.counted_for += [k for k in kinds if k not in v.counted_for]
        if v.verdict == "object":
            if not any(v in st.objections for st in states):
                v.not_counted = why
        elif not v.counted_in:
            v.not_counted = why
    return states


def evaluate(repo: GitRepo, a: am.Amendment, main: str | None = None) -> Evaluation:
    main, plan, scopes, files = _context(repo, a, main)
    verdicts = _latest_verdicts(a)
    states = tally_scopes(plan, scopes, a.author, a.head, verdicts)
    reqs = [r for st in states for r in st.requirements]
    objections = []
    for st in states:
        objections += [o for o in st.objections if o not in objections]
    return Evaluation(a.head, scopes[0].policy, core.plan_blob_id(repo, main), reqs, objections, verdicts, main,
                      states, files)


def _not_entitled(scopes: list[Scope]) -> Message:
    asks = "; ".join(", ".join(f"{r.count} {r.kind}" for r in sc.policy.requirements)
                     + (f" for {sc.target}" if len(scopes) > 1 else "") for sc in scopes)
    return Message("signoff.not_entitled", requirements=asks)


def own_organisation_excluded(plan: Plan, person: Person, author: str, scopes: list[Scope]) -> bool:
    """Would this person's approval count nowhere because of the author's-organisation rule?"""
    a = plan.people.get(author)
    same = person.handle == author or (a and a.organisation and a.organisation == person.organisation)
    return bool(same) and all(sc.policy.exclude_author_organisation for sc in scopes
                              if entitled_kinds(plan, person, sc.policy, sc.leads))


def give_verdict(repo: GitRepo, person: Person | None, number: int, revision: str, verdict: str,
                 comment: str | None = None) -> Evaluation:
    a = am.for_write(repo, number)
    reason = why_not(person, "approve_amendment", a.subject())
    if reason:
        raise Forbidden(reason) if a.state == "open" or person is None else Conflict(reason)
    if verdict not in VERDICTS:
        raise Invalid("signoff.bad_verdict", choices=", ".join(VERDICTS), value=repr(verdict))
    if comment is not None and (not isinstance(comment, str) or len(comment) > MAX_COMMENT):
        raise Invalid("signoff.comment_long", n=MAX_COMMENT)
    if not isinstance(revision, str) or revision != a.head:
        raise Conflict("signoff.stale_revision", revision=str(revision)[:12], current=a.head[:12])
    main, plan, scopes, _ = _context(repo, a)
    entitled = entitled_in(plan, person, scopes)
    if not entitled:
        raise Forbidden(_not_entitled(scopes))
    if verdict != "withdraw" and own_organisation_excluded(plan, person, a.author, scopes):
        raise Forbidden("signoff.own_organisation")
    kinds = [k for ks in entitled.values() for k in ks]
    kinds = [k for i, k in enumerate(kinds) if k not in kinds[:i]]

    def check(events):
        now = am._fold(number, events)
        if now.state != "open":
            raise Conflict("permission.approvals_closed", state=now.state)
        if repo.ref_target(am.branch(number)) != revision:
            raise Conflict("signoff.new_revision")

    reviewlog.append(repo, reviewlog.amendment_log(number), reviewlog.identity(person.handle, person.name),
                     person.handle, APPROVAL,
                     {"revision": revision, "verdict": verdict, "comment": (comment or "").strip() or None,
                      "name": person.name, "organisation": person.organisation, "entitled": kinds},
                     f"{verdict.capitalize()} revision {revision[:12]} of amendment {number}", check,
                     trailers={"Amendment": str(number), "Revision": revision})
    a = am.get(repo, number)
    ev = evaluate(repo, a)
    if verdict == "approve" and ev.satisfied and ev.auto_merge:
        _merge(repo, person, a, ev, auto=True)
        ev = evaluate(repo, am.get(repo, number))
    return ev


def merge_message(a: am.Amendment, ev: Evaluation, plan: Plan, auto: bool = False) -> str:
    """The merge's message: `Amendment:`, one `Approved-by:` per counted approver (named as the
    plan.yaml in force names them), `Touches:` the targets whose sign-off applied, `Policy:`."""
    pairs = [(trailers.AMENDMENT, a.number)]
    seen = set()
    for r in ev.requirements:
        for v in r.by:
            if v.handle in seen:
                continue
            seen.add(v.handle)
            name = plan.people[v.handle].name if v.handle in plan.people else v.name
            pairs.append(trailers.Approval(name, v.handle, v.organisation, v.revision).trailer())
    if ev.scopes:
        pairs.append((trailers.TOUCHES, " ".join(ev.targets)))
    pairs.append((trailers.POLICY, ev.policy_blob))
    if auto:
        pairs.append((trailers.MERGED_BY, trailers.AUTO_MERGE))
    return trailers.message(f"Merge amendment {a.number}: {a.title}", pairs)


def merge(repo: GitRepo, person: Person | None, number: int, revision: str) -> str:
    """Merge an approved amendment into main; returns the merge commit id."""
    a = am.for_write(repo, number)
    if a.state == "merged":
        raise Conflict("merge.merged_already", number=number)
    if a.state != "open":
        raise Conflict("merge.amendment_not_open", number=number, state=a.state)
    reason = why_not(person, "merge_amendment", a.subject())
    if reason:
        raise Forbidden(reason) if a.state == "open" or person is None else Conflict(reason)
    if not isinstance(revision, str) or revision != a.head:
        raise Conflict("merge.stale_revision", revision=str(revision)[:12], current=a.head[:12])
    ev = evaluate(repo, a)
    if not ev.satisfied:
        raise Conflict("merge.policy_unmet", missing="; ".join(ev.missing()))
    return _merge(repo, person, a, ev)


def _merge(repo: GitRepo, person: Person, a: am.Amendment, ev: Evaluation, auto: bool = False) -> str:
    main = ev.main  # the merge's first parent is the main whose policy was evaluated
    if repo.is_ancestor(a.head, core.resolve(repo, "main")):
        raise Conflict("merge.merged_already", number=a.number)
    state = am._fold(a.number, reviewlog.read_events(repo, reviewlog.amendment_log(a.number)))
    if state is None or state.state != "open":
        raise Conflict("merge.amendment_not_open", number=a.number, state=state.state if state else "unknown")
    tree, conflicts = repo.merge_trees(main, a.head)
    if conflicts:
        raise Conflict("merge.conflicts", paths=", ".join(sorted(conflicts)))
    try:
        am.check_modes(repo.diff_trees(main, tree))
    except Invalid as exc:  # the state of the amendment forbids the merge: its author must fix it first
        raise Conflict(exc.text or exc.message) from None
    plan = core.read_plan(repo, main)
    who = reviewlog.identity(person.handle, person.name)
    try:
        commit = repo.commit_tree_on(core.MAIN, tree, [main, a.head], who, merge_message(a, ev, plan, auto), main)
    except RefMoved:
        raise Conflict("merge.main_moved") from None

    def check(events):
        if am._fold(a.number, events).state == "merged":  # pragma: no cover - main's CAS already decided
            raise Conflict("merge.recorded")

    approvals, seen = [], set()
    for r in ev.requirements:
        for v in r.by:
            if v.handle not in seen:
                seen.add(v.handle)
                approvals.append({"handle": v.handle, "organisation": v.organisation, "revision": v.revision})
    reviewlog.append(repo, reviewlog.amendment_log(a.number), who, person.handle, am.MERGE,
                     {"revision": a.head, "merge": commit, "policy": ev.policy_blob, "approvals": approvals},
                     f"Merge amendment {a.number}", check,
                     trailers={"Amendment": str(a.number), "Revision": a.head, "Merge": commit,
                               "Touches": " ".join(ev.targets)})
    return commit


def why_no_verdict(repo: GitRepo, person: Person | None, a: am.Amendment) -> Message | None:
    """None when this person's approval of the amendment would count, else why not."""
    reason = why_not(person, "approve_amendment", a.subject())
    if reason:
        return reason
    main, plan, scopes, _ = _context(repo, a)
    if not entitled_in(plan, person, scopes):
        return _not_entitled(scopes)
    if own_organisation_excluded(plan, person, a.author, scopes):
        return Message("signoff.own_organisation")
    return None


def can_give_verdict(repo: GitRepo, person: Person | None, a: am.Amendment, ev: Evaluation) -> bool:
    """Is this person entitled under one of the touched targets' policies (the page shows the
    form, and explains the author's-organisation rule when it applies)?"""
    if person is None or a.state != "open":
        return False
    plan = core.read_plan(repo, ev.main)
    return bool(entitled_in(plan, person, [s.scope for s in ev.scopes]))


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


# -- who can unblock a requirement (issue 17, point 3) ------------------------------------

@dataclass
class Unmet:
    """A requirement not met yet at the current revision, with who could still meet it.

    `people`: handles whose approval would count for it and who have not given one;
    `organisations`: the organisations such people must belong to (the leads, the
    civil-society organisations, or none for coordinators). When fewer people can approve
    than are missing, `blocked` is true and `unblock` says what would change that
    (`add-lead-signatory`, `add-civil-society-signatory`, `add-coordinator`), with
    `unblock_organisations` the organisations a new signatory could belong to.
    """

    target: str
    kind: str
    missing: int
    people: list[str]
    organisations: list[str]
    blocked: bool
    unblock: str | None = None
    unblock_organisations: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)   # entitled, but of the author's organisation

    def as_json(self) -> dict:
        return {"commitment": self.target, "kind": self.kind, "missing": self.missing, "people": self.people,
                "organisations": self.organisations, "blocked": self.blocked, "unblock": self.unblock,
                "unblock_organisations": self.unblock_organisations, "excluded_author_organisation": self.excluded}


def _kind_organisations(plan: Plan, kind: str, leads: tuple[str, ...]) -> list[str]:
    if kind == "lead-signatories":
        return [o for o in leads if o in plan.organisations] or list(leads)
    if kind == "civil-society":
        return [o.id for o in plan.organisations.values() if o.kind == "civil-society"]
    return []


def unmet(plan: Plan, scopes: list[Scope], author: str, states: list[ScopeState] | None = None) -> list[Unmet]:
    """For each requirement not met (all of them when `states` is None: a forecast before any
    approval, for the author who proposes), who can approve it, or that nobody can and what
    would unblock it. Pure: the amendment page, the editor, the API and "For you" show it."""
    author_person = plan.people.get(author)
    author_org = author_person.organisation if author_person else None
    out = []
    for i, sc in enumerate(scopes):
        st = states[i] if states is not None else None
        for j, req in enumerate(sc.policy.requirements):
            by = {v.handle for v in st.requirements[j].by} if st is not None else set()
            missing = max(0, req.count - len(by))
            if missing == 0:
                continue
            orgs = _kind_organisations(plan, req.kind, sc.leads)
            able, excluded = [], []
            for p in plan.people.values():
                if p.handle in by or req.kind not in entitled_kinds(plan, p, sc.policy, sc.leads):
                    continue
                if sc.policy.exclude_author_organisation and (p.handle == author or (author_org and p.organisation == author_org)):
                    excluded.append(p.handle)
                    continue
                able.append(p.handle)
            blocked = len(able) < missing
            fix, fix_orgs = None, []
            if blocked:
                if req.kind == "coordinators":
                    fix = "add-coordinator"
                else:
                    fix = "add-lead-signatory" if req.kind == "lead-signatories" else "add-civil-society-signatory"
                    fix_orgs = [o for o in orgs if not (sc.policy.exclude_author_organisation and o == author_org)]
            out.append(Unmet(sc.target, req.kind, missing, sorted(able), orgs, blocked, fix, fix_orgs, sorted(excluded)))
    return out


def explain(repo: GitRepo, a: am.Amendment, ev: Evaluation) -> list[Unmet]:
    """Every requirement of an amendment not met at its current revision, with who can meet it."""
    plan = core.read_plan(repo, ev.main)
    return unmet(plan, [s.scope for s in ev.scopes], a.author, ev.scopes)


def forecast(repo: GitRepo, author: str, targets: list[str], main: str | None = None) -> list[Unmet]:
    """Before proposing: the requirements nobody could meet for an amendment by `author` that
    touches `targets` (commitment ids or `plan`), under the policy on main."""
    main = main or core.resolve(repo, "main")
    plan = core.read_plan(repo, main)
    scopes = scopes_for(plan, targets, leads_reader(repo, main, main))
    return [u for u in unmet(plan, scopes, author) if u.blocked]
