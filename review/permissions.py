"""Who may do what: the one function that views, the API and git hooks all ask.

Roles come from plan.yaml on main (public and auditable); a person is None when nobody
is signed in. Sign-off entitlement for a given amendment (which signatory counts for
which requirement) is the policy's business (`review.signoff`); `can` answers the
coarser question "may this person act at all".

RIGHTS below is the one table of rights; docs/roles.md shows it per role, and a test
checks that the two agree. An auditor who holds no other role is read-only: they read
everything (the audit log included) and publish checkpoints, but take no part in the
review itself (no comment, amendment, answer or approval), so that their examination stays
independent. A person who is also a member takes part as a member.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import Forbidden, Message
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
# The role of a member of the public with a participant account (review.participants): not in
# plan.yaml; they contribute to open consultations only, and read otherwise.
PARTICIPANT = "participant"

# THE TABLE OF RIGHTS: action -> (what it is, who may). "Who" names roles of plan.yaml, or:
#   anyone       also readers who are not signed in
#   author       the author of the comment or amendment concerned, while a participant
#   lead member  a member or signatory of one of the commitment's lead organisations
#   owner        the person whose account it is
# Conditions on the subject's state (an amendment must be open...) come on top, in RULES.
# docs/roles.md shows this table role by role; tests/test_roles.py checks that they agree.
RIGHTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "read": ("read the plan, its history, comments and amendments", ("anyone",)),
    "audit": ("see the audit log and exports", ("anyone",)),
    "comment": ("comment on a commitment or an amendment", PARTICIPANTS),
    "reply": ("reply to a comment", PARTICIPANTS),
    "edit_comment": ("edit one's own comment", ("author",)),
    "resolve_comment": ("resolve or reopen a thread", ("author", "lead member", "moderator")),
    "hide": ("hide a comment, an answer or a report (moderate)", ("moderator",)),
    "propose_amendment": ("propose an amendment", PARTICIPANTS),
    "revise_amendment": ("add a revision to one's open amendment", ("author",)),
    "withdraw_amendment": ("withdraw one's open amendment", ("author",)),
    "reopen_amendment": ("reopen one's withdrawn amendment", ("author",)),
    "update_amendment": ("merge main into one's open amendment", ("author",)),
    "reject_amendment": ("reject an open amendment", ("coordinator",)),
    "approve_amendment": ("approve or object to an open amendment's revision", ("signatory", "coordinator")),
    "merge_amendment": ("merge an approved amendment into the plan", ("coordinator",)),
    "report_progress": ("report progress on a commitment", ("lead member",)),
    "answer_report": ("answer a progress report (agree, add, contest)", PARTICIPANTS),
    "checkpoint": ("publish a checkpoint of every ref", ("auditor",)),
    "publish_version": ("publish a version of the plan (a tag of main with notes)", ("coordinator",)),
    "manage_tokens": ("create, list and revoke one's personal access tokens", ("owner",)),
    "manage_account": ("change one's password, see and end one's sessions", ("owner",)),
    # consultations of the public (review.consultations, review.participants)
    "manage_consultation": ("announce, edit and close a consultation", ("coordinator",)),
    "add_participant": ("create a participant's account (a pseudonym)", ("coordinator",)),
    "contribute": ("comment, propose or take a stance in an open consultation", (PARTICIPANT, *PARTICIPANTS)),
    "respond_contribution": ("give the reasoned response to a contribution", ("coordinator", "lead member")),
}


def _qualifies(p: Person, s: Subject | None, who: str) -> bool:
    if who == "anyone":
        return True
    if who == "author":  # an author who is now only an auditor no longer acts on what they wrote
        return s is not None and s.author == p.handle and any(p.has(r) for r in PARTICIPANTS)
    if who == "owner":
        return s is not None and s.owner == p.handle
    if who == "lead member":
        return (s is not None and bool(p.organisation) and p.organisation in s.leads
                and (p.has("member") or p.has("signatory")))
    return p.has(who)


# Why a person who is not entitled is refused, per action (the state checks follow).
def _refusal(action: str, p: Person) -> Message:
    who = RIGHTS[action][1]
    if p.has(PARTICIPANT) and action != "contribute":
        return Message("permission.participant")
    if who == PARTICIPANTS:
        return Message("permission.auditor")
    if action == "respond_contribution":
        return Message("permission.respond")
    if action == "resolve_comment":
        return Message("permission.moderate")
    if action == "approve_amendment":
        return Message("permission.approve")
    if action == "report_progress":
        return Message("permission.leads")
    if action == "manage_tokens":
        return Message("permission.own_tokens")
    if action == "manage_account":
        return Message("permission.own_account")
    if who == ("author",):
        return Message("permission.author")
    return Message("permission.role", role=who[0])


def _open_to_change(s):
    return None if s.state == "open" else Message("permission.closed", state=s.state)


def _withdrawn(s):
    return None if s.state == "withdrawn" else Message("permission.reopen", state=s.state)


def _open_or_none(s):
    return None if s is None or s.state == "open" else Message("permission.state", state=s.state)


def _open_to_merge(s):
    return None if s is None or s.state == "open" else Message("merge.not_open", state=s.state)


def _open_for_verdicts(s):
    return None if s is None or s.state == "open" else Message("permission.approvals_closed", state=s.state)


def _not_hidden(s):
    return Message("permission.hidden_reply") if s is not None and s.hidden else None


# action -> condition on the subject, checked once the person is entitled.
CONDITIONS = {
    "reply": _not_hidden,
    "revise_amendment": _open_to_change,
    "withdraw_amendment": _open_to_change,
    "update_amendment": _open_to_change,
    "reopen_amendment": _withdrawn,
    "reject_amendment": _open_or_none,
    "merge_amendment": _open_to_merge,
    "approve_amendment": _open_for_verdicts,
}

ACTIONS = {action: description for action, (description, _who) in RIGHTS.items()}


def why_not(person: Person | None, action: str, subject: Subject | None = None) -> Message | None:
    """None when allowed, else the reason in words a person can act on (str() gives the English)."""
    try:
        _description, who = RIGHTS[action]
    except KeyError:
        raise ValueError(f"unknown action {action!r}") from None
    if "anyone" in who:
        return None
    if person is None:
        return Message("permission.sign_in")
    if not any(_qualifies(person, subject, w) for w in who):
        return _refusal(action, person)
    condition = CONDITIONS.get(action)
    return condition(subject) if condition else None


def can(person: Person | None, action: str, subject: Subject | None = None) -> bool:
    return why_not(person, action, subject) is None


def require(person: Person | None, action: str, subject: Subject | None = None) -> None:
    """Raise Forbidden with `why_not`'s reason unless the person may do it (the core's writes)."""
    reason = why_not(person, action, subject)
    if reason:
        raise Forbidden(reason)
