"""Notifications: what happened that a person watches, derived from the events in git (issue 18).

This module is the contract between the notifications themselves (watches, derivation from the
review logs and branches, /notifications) and the e-mail that carries them (review/mailer.py):
the mailer reads `Notification` objects and nothing else.

Every notification is derived from one git event (a comment, a revision, a verdict, a merge, a
report...); the derived rows and the read marks live in the instance folder, never in git, and
can be rebuilt from git at any time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
)


@dataclass(frozen=True)
class Notification:
    id: int            # increasing and unique in this instance (the row id in the instance folder)
    handle: str        # who receives it
    kind: str          # one of KINDS
    time: str          # ISO 8601 UTC time of the event in git
    actor: str         # the handle of who did it
    event: str         # the id of the git event (or commit) it is derived from
    thread: str        # the discussion it belongs to, for mail threading: "commitment/<cid>",
                       # "amendment/<n>", "comment/<root comment id>", "report/<report id>"
    path: str          # the site path that shows it, with its anchor: "/commitments/<cid>#comment-<id>"
    title: dict = field(default_factory=dict)  # {"fr": ..., "en": ...}: what it is about (plain text)
    excerpt: str = ""  # plain text, at most 300 characters: the comment's or rationale's beginning
    read: bool = False
