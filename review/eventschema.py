"""The schema of every event type of format 1, as data (docs/events.md), and its checker.

`review verify` (rule 6) checks every event of every review log against it. A type the
code writes and this table lacks is a verification failure: add it here and to
docs/events.md together.

A field spec is a string:

| spec | value |
|---|---|
| `str` | a string (`str?`: or null) |
| `text` | a non-empty string |
| `int` | an integer (not a boolean) |
| `id` | 12 hex digits (an event, comment or report id) (`id?`: or null) |
| `commit` | 40 hex digits (a commit or blob id) (`commit?`: or null) |
| `date` | `YYYY-MM-DD` |
| `handle` | a person's handle |
| `actor` | a person's handle, or a participant's `~pseudonym` (review.participants) |
| `strs` | a list of strings |
| `approvals` | a list of `{handle, organisation, revision}` |
| `a|b|c` | one of these strings (`a|b|c?`: or null) |
"""

from __future__ import annotations

import re

from . import model

FORMAT = 1
TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
ID_RE = re.compile(r"^[0-9a-f]{12}$")
COMMIT_RE = re.compile(r"^[0-9a-f]{40}$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
PARTICIPANT_MARK = "~"  # a participant's actor is ~pseudonym (review.participants.MARK)

# Keys of every event.
COMMON = {"format": "int", "seq": "int", "id": "id", "type": "text", "actor": "actor", "time": "time"}

STANCE = "for|against|neutral|contested?"
LEVEL = "not-started|limited|substantial|complete"

# type -> (required keys, optional keys); values are field specs (see the docstring).
SCHEMAS: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    # commitment logs (review.comments, review.progress); comments also in amendment logs
    "comment": ({"commitment": "text", "body": "text", "rev": "commit", "blob": "commit?", "lang": "text",
                 "anchor": "str?", "quote": "str?", "stance": STANCE, "reply_to": "id?"},
                {"report": "id", "consultation": "text"}),  # consultation: a contribution (review.consultations)
    "comment-edit": ({"target": "id", "body": "text"}, {}),
    "comment-resolve": ({"target": "id"}, {}),
    "comment-reopen": ({"target": "id"}, {}),
    "comment-hide": ({"target": "id", "reason": "text"}, {}),
    "progress-report": ({"commitment": "text", "milestone": "str?", "level": LEVEL, "note": "str",
                         "evidence": "strs"}, {"as_of": "date"}),  # as_of: absent in old reports
    "progress-hide": ({"target": "id", "reason": "text"}, {}),
    # amendment logs (review.amendments, review.signoff)
    "amendment-open": ({"number": "int", "commitment": "text", "title": "text", "rationale": "str",
                        "revision": "commit", "base": "commit", "files": "strs"}, {"via": "text", "consultation": "text"}),
    "amendment-revise": ({"revision": "commit", "previous": "commit", "files": "strs", "via": "text"}, {}),
    "amendment-update": ({"revision": "commit", "previous": "commit", "main": "commit"}, {"via": "text"}),
    "amendment-withdraw": ({"reason": "str?"}, {}),
    "amendment-reopen": ({}, {}),
    "amendment-reject": ({"reason": "text"}, {}),
    "amendment-merge": ({"revision": "commit", "merge": "commit", "policy": "commit", "approvals": "approvals"}, {}),
    "amendment-merge-repair": ({"revision": "commit", "merge": "commit", "policy": "str", "approvals": "approvals"}, {}),
    "approval": ({"revision": "commit", "verdict": "approve|object|withdraw", "comment": "str?", "name": "text",
                  "organisation": "str?", "entitled": "strs"}, {}),
    # consultation logs (review.consultations)
    "consultation-announce": ({"consultation": "text", "title_fr": "text", "title_en": "str", "description_fr": "str",
                               "description_en": "str", "scope": "plan|commitments|draft", "commitments": "strs",
                               "draft": "str?", "draft_commit": "commit?", "announced": "date", "opens": "date",
                               "closes": "date"}, {}),
    "consultation-edit": ({"title_fr": "text", "title_en": "str", "description_fr": "str", "description_en": "str",
                           "closes": "date"}, {}),
    "consultation-close": ({"reason": "str?"}, {}),
    "consultation-answered": ({}, {}),
    "consultation-stance": ({"contribution": "text", "stance": "support|oppose|none"}, {}),
    "consultation-hide": ({"contribution": "text", "reason": "text"}, {}),
    "consultation-response": ({"contribution": "text", "outcome": "retained|partly-retained|not-retained|out-of-scope",
                               "reason": "text", "carried_by": "str?", "name": "text", "organisation": "str?"}, {}),
}


def _fits(spec: str, value) -> bool:
    nullable = spec.endswith("?")
    if nullable:
        spec = spec[:-1]
        if value is None:
            return True
    if "|" in spec:
        return isinstance(value, str) and value in spec.split("|")
    if spec == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if spec == "strs":
        return isinstance(value, list) and all(isinstance(x, str) for x in value)
    if spec == "approvals":
        return isinstance(value, list) and all(
            isinstance(x, dict) and set(x) == {"handle", "organisation", "revision"}
            and isinstance(x["handle"], str) and (x["organisation"] is None or isinstance(x["organisation"], str))
            and isinstance(x["revision"], str) and COMMIT_RE.match(x["revision"]) for x in value)
    if not isinstance(value, str):
        return False
    if spec == "str":
        return True
    if spec == "text":
        return bool(value.strip())
    if spec == "id":
        return bool(ID_RE.match(value))
    if spec == "commit":
        return bool(COMMIT_RE.match(value))
    if spec == "date":
        return bool(DATE_RE.match(value))
    if spec == "time":
        return bool(TIME_RE.match(value))
    if spec == "handle":
        return bool(model.HANDLE_RE.match(value))
    if spec == "actor":
        return bool(model.HANDLE_RE.match(value.removeprefix(PARTICIPANT_MARK)))
    raise ValueError(f"unknown field spec {spec!r}")  # pragma: no cover - a mistake in SCHEMAS


def problems(event) -> list[str]:
    """What is wrong with one parsed event file (a JSON value); [] when it fits its schema."""
    if not isinstance(event, dict):
        return ["the event is not a JSON object"]
    out = []
    for key, spec in COMMON.items():
        if key not in event:
            out.append(f"missing key {key!r}")
        elif not _fits(spec, event[key]):
            out.append(f"{key!r} is {event[key]!r}, not a {spec}")
    if event.get("format") != FORMAT:
        out.append(f"format is {event.get('format')!r}; this verifier knows format {FORMAT}")
        return out
    etype = event.get("type")
    if etype not in SCHEMAS:
        out.append(f"unknown event type {etype!r}")
        return out
    required, optional = SCHEMAS[etype]
    for key, spec in required.items():
        if key not in event:
            out.append(f"{etype}: missing key {key!r}")
        elif not _fits(spec, event[key]):
            out.append(f"{etype}: {key!r} is {_short(event[key])}, not {spec}")
    for key, spec in optional.items():
        if key in event and not _fits(spec, event[key]):
            out.append(f"{etype}: {key!r} is {_short(event[key])}, not {spec}")
    extra = sorted(set(event) - set(COMMON) - set(required) - set(optional))
    if extra:
        out.append(f"{etype}: unexpected key(s) {', '.join(map(repr, extra))}")
    return out


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
