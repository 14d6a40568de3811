"""Commit-message trailers: the one reader and writer of every `Key: value` line the plan
repository's commits carry (docs/format.md, docs/events.md).

Reading follows git's own rules, those of `git interpret-trailers --parse --no-divider` and
`git log --format=%(trailers)`, so that what a page, a hook, `review verify` and git itself
read from one commit never disagree:

- the trailers are the last paragraph of the message, never its first (the title);
- git's tail is ignored first: a scissors line (`# ---- >8 ----`) and what follows, then
  trailing comment lines (`#`), blank lines and an old `Conflicts:` block;
- that paragraph counts only if every line is a trailer (or a continuation line), or if at
  least a quarter are and one of them is git-generated (`Signed-off-by: `,
  `(cherry picked from commit `);
- a trailer is a key of ASCII letters, digits and `-`, optional blanks, `:`, the value; a
  line starting with a blank continues the previous trailer (unfolded to one space);
  comment lines are skipped; keys and values are trimmed.

Writing makes exactly the format every existing repository holds: the summary, a blank
line, one `Key: value` line per trailer, a final newline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

_SPACE = " \t\n\r"          # git's isspace()
_KEY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-")
_COMMENT = "#"
_CUT_LINE = "# ------------------------ >8 ------------------------"
_GIT_GENERATED = ("Signed-off-by: ", "(cherry picked from commit ")
KEY_RE = re.compile(r"^[A-Za-z0-9-]+$")


# -- reading --------------------------------------------------------------------------------

def _separator(line: str) -> int:
    """The position of the `:` after a key (git's find_separator), or -1."""
    blank_seen = False
    for i, c in enumerate(line):
        if c == ":":
            return i
        if not blank_seen and c in _KEY_CHARS:
            continue
        if i and c in " \t":
            blank_seen = True
            continue
        break
    return -1


def _blank(line: str) -> bool:
    return not line.strip(_SPACE)


def _end_of_message(message: str) -> int:
    """Where the message git reads for trailers ends (git's ignored_log_message_bytes)."""
    cutoff = len(message)
    if message.startswith(_CUT_LINE):
        cutoff = 0
    else:
        at = message.find("\n" + _CUT_LINE)
        if at >= 0:
            cutoff = min(cutoff, at + 1)
    boc = 0  # the beginning of the trailing run of comments (0: none, as in git)
    conflicts = False
    bol = 0
    while bol < cutoff:
        nl = message.find("\n", bol)
        next_line = len(message) if nl < 0 else nl + 1
        if message.startswith(_COMMENT, bol) or message[bol] == "\n":
            if not boc:
                boc = bol
        elif message.startswith("Conflicts:\n", bol):
            conflicts = True
            if not boc:
                boc = bol
        elif conflicts and message[bol] == "\t":
            pass
        elif boc:
            boc = 0
            conflicts = False
        bol = next_line
    return boc if boc else cutoff


def _block(message: str) -> list[str]:
    """The lines of the trailer paragraph (git's find_trailer_block_start), or []."""
    text = message[:_end_of_message(message)]
    if not text:
        return []
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    title = 0
    while title < len(lines):  # the first paragraph is the title and cannot be trailers
        if not lines[title].startswith(_COMMENT):
            if _blank(lines[title]):
                break
        title += 1
    only_spaces, recognized = True, False
    trailer_lines = non_trailer_lines = possible_continuation = 0
    for i in range(len(lines) - 1, title - 1, -1):
        line = lines[i]
        if line.startswith(_COMMENT):
            non_trailer_lines += possible_continuation
            possible_continuation = 0
            continue
        if _blank(line):
            if only_spaces:
                continue
            non_trailer_lines += possible_continuation
            if (recognized and trailer_lines * 3 >= non_trailer_lines) or (trailer_lines and not non_trailer_lines):
                return lines[i + 1:]
            return []
        only_spaces = False
        if line.startswith(_GIT_GENERATED):
            trailer_lines += 1
            possible_continuation = 0
            recognized = True
        elif _separator(line) >= 1 and line[0] not in _SPACE:
            trailer_lines += 1
            possible_continuation = 0
        elif line[0] in _SPACE:
            possible_continuation += 1
        else:
            non_trailer_lines += 1 + possible_continuation
            possible_continuation = 0
    return []


def _unfold(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        c = value[i]
        i += 1
        if c == "\n":
            while i < len(value) and value[i] in _SPACE:
                i += 1
            out.append(" ")
        else:
            out.append(c)
    return "".join(out).strip(_SPACE)


def parse(message: str) -> list[tuple[str, str]]:
    """(key, value) of each trailer of a commit message, in order, as
    `git interpret-trailers --parse --no-divider` prints them."""
    items: list[str] = []
    last = None
    for line in _block(message):
        if last is not None and line[:1] in tuple(_SPACE):
            items[last] += "\n" + line
            continue
        items.append(line)
        last = len(items) - 1 if _separator(line) >= 1 else None
    out = []
    for item in items:
        if item.startswith(_COMMENT):
            continue
        sep = _separator(item)
        if sep >= 1:
            out.append((item[:sep].strip(_SPACE), _unfold(item[sep + 1:].strip(_SPACE))))
    return out


def values(message: str) -> dict[str, str]:
    """The trailers as a dict; a key given twice keeps its last value."""
    return dict(parse(message))


# -- writing --------------------------------------------------------------------------------

def block(pairs: Iterable[tuple[str, object]]) -> str:
    """`Key: value` lines, each ended by a newline. A key must be letters, digits and `-`, a
    value one line without leading or trailing blanks: anything else would read back
    differently, so it is a mistake of the caller (ValueError)."""
    lines = []
    for key, value in pairs:
        value = str(value)
        if not KEY_RE.match(key):
            raise ValueError(f"not a trailer key: {key!r}")
        if "\n" in value or "\r" in value or value != value.strip(_SPACE):
            raise ValueError(f"not a one-line trailer value for {key}: {value!r}")
        lines.append(f"{key}: {value}\n")
    return "".join(lines)


def message(summary: str, pairs: Iterable[tuple[str, object]], body: str | None = None) -> str:
    """A commit message: the summary, the body's paragraphs if any, the trailers' paragraph."""
    text = summary.rstrip("\n")
    if body:
        text += "\n\n" + body.strip("\n")
    return f"{text}\n\n{block(pairs)}"


# -- the keys ---------------------------------------------------------------------------------

# an event of a review log (review.reviewlog.append), then what the event is about
EVENT, ACTOR, EVENT_ID, SEQ = "Event", "Actor", "Event-Id", "Seq"
REVISION, MERGE = "Revision", "Merge"
# the imported history (review.importer.replay)
SOURCE_COMMIT, SOURCE_REPOSITORY, IMPORTED_FROM = "Source-Commit", "Source-Repository", "Imported-From"


# -- the merge of an amendment (written by review.signoff.merge_message) ---------------------

AMENDMENT = "Amendment"
APPROVED_BY = "Approved-by"
TOUCHES = "Touches"
POLICY = "Policy"
MERGED_BY = "Merged-by"
AUTO_MERGE = "policy (auto_merge)"
APPROVED_BY_RE = re.compile(
    r"^(?P<name>.+) (?P<handle>[a-z][a-z0-9_-]{1,31}) \((?P<org>[^,()\s]+), (?P<revision>[0-9a-f]{40})\)$")
_OID_RE = re.compile(r"[0-9a-f]{40}")


@dataclass(frozen=True)
class Approval:
    name: str
    handle: str
    organisation: str | None
    revision: str

    def as_json(self) -> dict:
        return {"name": self.name, "handle": self.handle, "organisation": self.organisation,
                "revision": self.revision}

    def trailer(self) -> tuple[str, str]:
        name = " ".join(self.name.split())  # one line, whatever plan.yaml's YAML made of it
        return APPROVED_BY, f"{name} {self.handle} ({self.organisation or '-'}, {self.revision})"


@dataclass(frozen=True)
class MergeTrailers:
    amendment: int | None
    approvals: tuple[Approval, ...]
    policy: str | None
    auto: bool
    unreadable: tuple[str, ...]        # trailer lines that do not have the documented form
    touches: tuple[str, ...] = ()      # `Touches:` the commitments (and `plan`) whose sign-off applied


def parse_merge(message: str) -> MergeTrailers | None:
    """The trailers of a merge of an amendment; None when the message has none of them."""
    items = parse(message)
    if not items:
        return None
    number, policy, auto, approvals, unreadable, touches = None, None, False, [], [], []
    for key, value in items:
        if key == AMENDMENT:
            if value.isascii() and value.isdigit() and number is None:
                number = int(value)
            else:
                unreadable.append(f"{key}: {value}")
        elif key == APPROVED_BY:
            m = APPROVED_BY_RE.match(value)
            if m is None:
                unreadable.append(f"{key}: {value}")
            else:
                org = m.group("org")
                approvals.append(Approval(m.group("name"), m.group("handle"), None if org == "-" else org,
                                          m.group("revision")))
        elif key == POLICY:
            if _OID_RE.fullmatch(value) and policy is None:
                policy = value
            else:
                unreadable.append(f"{key}: {value}")
        elif key == MERGED_BY:
            auto = value == AUTO_MERGE
        elif key == TOUCHES:
            touches += value.split()
    if number is None and not approvals and policy is None:
        return None
    return MergeTrailers(number, tuple(approvals), policy, auto, tuple(unreadable), tuple(touches))
