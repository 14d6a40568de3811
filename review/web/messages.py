"""The core's messages in the reader's language, for HTML pages only.

A core error carries a code and parameters (review/errors.py); the code names an English
template (review/errormessages.py), which is also the msgid of its translation in messages.po.
`localise` translates the template with gettext and fills it with the parameters, translating
first the nested messages (a permission reason inside a push refusal) and the few parameters
that hold English words of the core (an amendment's state, a role, a policy's requirements).
The JSON API keeps the English text. A text without a code (from outside the core) is shown
as it is.
"""

from __future__ import annotations

import re

from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l

from ..errors import coded
from .i18n import REQUIREMENT_NAMES, ROLE_NAMES, STATE_NAMES


def _requirements(text: str, item: str) -> str:
    """'2 lead-signatories, 1 civil-society' (or '1 more coordinators; ...') with each kind named in
    the reader's language, as the amendment page writes them: 'name × count'."""
    out = []
    for part in re.split(r"(, |; )", text):  # the separators are kept: several targets join with "; "
        m = re.fullmatch(item + r"(?: for (\S+))?", part.strip())  # "... for engagement-04": one touched target's
        if part in (", ", "; ") or m is None or m.group(2) not in REQUIREMENT_NAMES:
            out.append(part)
        else:
            out.append(f"{REQUIREMENT_NAMES[m.group(2)]} × {m.group(1)}" + (f" ({m.group(3)})" if m.group(3) else ""))
    return "".join(out)


_MODE_KINDS = {"a symbolic link": _l("a symbolic link"), "a submodule (gitlink)": _l("a submodule (gitlink)"),
               "an executable file": _l("an executable file"), "a folder": _l("a folder"),
               "not a regular file": _l("not a regular file")}  # review.amendments.MODE_KINDS

_PROBLEMS = {"missing": _l("missing"), "truncated": _l("truncated"), "corrupt": _l("corrupt"),
             "unreadable": _l("unreadable"),
             "a blob where a commit was expected": _l("a blob where a commit was expected"),
             "a tree where a commit was expected": _l("a tree where a commit was expected"),
             "a tag where a commit was expected": _l("a tag where a commit was expected")}  # review.gitrepo

# Parameters (by name) whose values are English words of the core.
VALUES = {
    "state": lambda v: str(STATE_NAMES.get(v, v)),
    "role": lambda v: str(ROLE_NAMES.get(v, v)),
    "requirements": lambda v: _requirements(v, r"(\d+) (\S+)"),
    "missing": lambda v: _requirements(v, r"(\d+) more (\S+)"),
    "kind": lambda v: str(_MODE_KINDS.get(v, v)),
    "problem": lambda v: str(_PROBLEMS.get(v, v)),
    "reason": lambda v: localise(v),  # a reason without a code (the git layer's), inside a push refusal
}


def _value(name: str, value) -> str:
    return VALUES[name](value) if name in VALUES and isinstance(value, str) else value


def localise(message) -> str:
    """A core error, Message or text in the reader's language (English: the core's own text).
    For HTML pages only: the JSON API keeps the English message."""
    text = coded(message)
    if text is None:  # no code: a text from outside the core, shown as it is
        return message.message if hasattr(message, "message") else str(message)
    if str(get_locale()) == "en":
        return str(text)
    return text.render(gettext, _value)
