"""Who may do what: the one function that views, the API and git hooks all ask.

Roles come from plan.yaml on main (public and auditable); a person is None when nobody
is signed in. Sign-off entitlement for a given amendment (which signatory counts for
which requirement) is the policy's business (`review.signoff`); `can` answers the
coarser question "may this person act at all".

ACTIONS below is the one table of rights; docs/roles.md shows it per role, and a test
checks that the two agree. An auditor who holds no other role is read-only: they read
everything (the audit log included) and publish checkpoints, but take no part in the
review itself (no comment, amendment, answer or approval), so that their examination stays
independent. A person who is also a member takes part as a member.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Person


@dataclass(frozen=True)
class Subject:
    """What an action is about; fields left empty do not matter for that action."""

    author: str | None = None            # handle of the author of a comment, amendment, report
    leads: tuple[str, ...] = ()          # lead organisations of the commitment concerned
    state: str | None = None             # state of an amendment or comment thread
    owner: str | None = None             # handle owning a personal resource (tokens)
    hidden: bool = False


# Roles that take part in the review. `auditor` alone is not one of them (read-only).
PARTICIPANTS = ("member", "signatory", "coordinator", "moderator")


# action -> (description, rule). Each rule returns None when allowed, or why not.
def _participant(p, s):
    if p is None:
        return "sign in first"
    if any(p.has(r) for r in PARTICIPANTS):
        return None
    return "only members of the plan's organisations take part in the review: an auditor reads and verifies"


def _role(role):
    def rule(p, s):
        if p is None:
            return "sign in first"
        return None if p.has(role) else f"only a {role} may do this"
    return rule


def _author(p, s):
    if p is None:
        return "sign in first"
    return None if s is not None and s.author == p.handle else "only its author may do this"


def _author_open(p, s):
    why = _author(p, s)
    if why:
        return why
    return None if s.state == "open" else f"the amendment is {s.state}: it can no longer change"


def _author_reopen(p, s):
    why = _author(p, s)
    if why:
        return why
    return None if s.state == "withdrawn" else f"only a withdrawn amendment can be reopened (this one is {s.state})"


def _lead_member(p, s):
    if p is None:
        return "sign in first"
    if p.organisation and s is not None and p.organisation in s.leads and ("member" in p.roles or "signatory" in p.roles):
        return None
    return "only members of this commitment's lead administrations may do this"


def _resolver(p, s):
    if p is None:
        return "sign in first"
    if p.has("moderator") or (s is not None and s.author == p.handle) or _lead_member(p, s) is None:
        return None
    return "only the comment's author, a member of a lead administration or a moderator may do this"


def _reply(p, s):
    why = _participant(p, s)
    if why:
        return why
    return "you cannot reply to a hidden comment" if s is not None and s.hidden else None


def _coordinator_open(p, s):
    why = _role("coordinator")(p, s)
    if why:
        return why
    return None if s is None or s.state == "open" else f"the amendment is {s.state}"


def _signatory_open(p, s):
    if p is None:
        return "sign in first"
    if not (p.has("signatory") or p.has("coordinator")):
        return "only a signatory (or a coordinator, for the plan's own rules) may approve"
    return None if s is None or s.state == "open" else f"the amendment is {s.state}: approvals are closed"


def _owner(p, s):
    if p is None:
        return "sign in first"
    return None if s is not None and s.owner == p.handle else "you can only manage your own tokens"


def _account_owner(p, s):
    if p is None:
        return "sign in first"
    return None if s is not None and s.owner == p.handle else "you can only manage your own account"


ACTIONS = {
    "read": ("read the plan, its history, comments and amendments", lambda p, s: None),
    "comment": ("comment on a commitment or an amendment", _participant),
    "reply": ("reply to a comment", _reply),
    "edit_comment": ("edit one's own comment", _author),
    "resolve_comment": ("resolve or reopen a thread", _resolver),
    "hide": ("hide a comment or a report (moderation)", _role("moderator")),
    "propose_amendment": ("propose an amendment", _participant),
    "revise_amendment": ("add a revision to one's amendment", _author_open),
    "withdraw_amendment": ("withdraw one's amendment", _author_open),
    "reopen_amendment": ("reopen one's withdrawn amendment", _author_reopen),
    "update_amendment": ("merge main into one's amendment", _author_open),
    "reject_amendment": ("reject an amendment", _coordinator_open),
    "approve_amendment": ("approve or object to an amendment's revision", _signatory_open),
    "merge_amendment": ("merge an approved amendment into the plan", _coordinator_open),
    "report_progress": ("report progress on a commitment", _lead_member),
    "answer_report": ("answer a progress report (agree, add, contest)", _participant),
    "audit": ("see the audit log and exports", lambda p, s: None),
    "checkpoint": ("publish a checkpoint of every ref", _role("auditor")),
    "manage_tokens": ("create, list and revoke personal access tokens", _owner),
    "manage_account": ("change one's password, see and end one's sessions", _account_owner),
}


def why_not(person: Person | None, action: str, subject: Subject | None = None) -> str | None:
    """None when allowed, else the reason in words a person can act on."""
    try:
        _, rule = ACTIONS[action]
    except KeyError:
        raise ValueError(f"unknown action {action!r}") from None
    return rule(person, subject)


def can(person: Person | None, action: str, subject: Subject | None = None) -> bool:
    return why_not(person, action, subject) is None
