"""Errors of the core that a person can act on; the web maps each kind to an HTTP status.

An error carries a code and parameters (`Invalid("amendment.missing", number=3)`): the code
names an English template of review.errormessages.CATALOGUE. `str(err)` and `err.message` are
the English text (the API and the command line show it); the web translates the code with
gettext. An error raised with plain text (the git layer's) keeps it, and `coded` names its code
when it has one.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .errormessages import CATALOGUE


class Message:
    """A code and its parameters; a parameter may be a Message itself (a reason inside a reason)."""

    __slots__ = ("code", "params")

    def __init__(self, code: str, /, **params):
        self.code, self.params = code, params

    def render(self, template: Callable[[str], str] = lambda t: t,
               value: Callable[[str, object], str] | None = None) -> str:
        """The text with `template` giving the template of each template (gettext, or English as
        it is) and `value` each plain parameter's text (by its name)."""
        params = {k: v.render(template, value) if isinstance(v, Message) else (value(k, v) if value else v)
                  for k, v in self.params.items()}
        text = template(CATALOGUE.get(self.code, self.code))
        return text % params if params else text

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"Message({self.code!r}, {', '.join(f'{k}={v!r}' for k, v in self.params.items())})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Message) and (self.code, self.params) == (other.code, other.params)

    __hash__ = None


class Coded:
    """An exception whose first argument is a code of the catalogue (with its parameters), a
    Message, or plain English text (for errors raised by layers that have no code)."""

    def __init__(self, code, /, **params):
        if isinstance(code, Message):
            text = code
        elif code in CATALOGUE:
            text = Message(code, **params)
        else:
            text = None
        self.text: Message | None = text
        self.message = str(text) if text is not None else str(code)
        super().__init__(self.message)

    @property
    def code(self) -> str | None:
        return self.text.code if self.text is not None else None


class ReviewError(Coded, Exception):
    status = 400


class Invalid(ReviewError):
    """Malformed input: what was wrong and how to fix it."""
    status = 400


class Forbidden(ReviewError):
    status = 403


class Missing(ReviewError):
    status = 404


class Conflict(ReviewError):
    """The thing changed since it was read, or its state forbids the act."""
    status = 409


class Damaged(ReviewError):
    """The repository itself is damaged (a missing or truncated object, a ref at a blob):
    not the reader's fault, and not fixed by retrying; an administrator repairs it."""
    status = 503


class Busy(ReviewError):
    """A write cannot be made now (a ref locked by another write): try again after `retry_after` s."""
    status = 503

    def __init__(self, code, /, retry_after: int = 30, **params):
        super().__init__(code, **params)
        self.retry_after = retry_after


class DiskFull(ReviewError):
    """The server's disk is full: nothing was written; reads keep working."""
    status = 507


# The git layer (review/gitrepo.py) raises Damaged, Busy and DiskFull with English text only:
# its messages are read back into their code, so that pages show them translated too.
_UNCODED = [
    (re.compile(r"the repository is damaged: object (?P<oid>[0-9a-f]{40}) is (?P<problem>.+); an administrator must "
                r"restore it"), "repository.damaged"),
    (re.compile(r"(?P<ref>refs/\S+) is locked by another write: try again in (?P<n>\d+) seconds"), "ref.locked"),
    (re.compile(r"the server's disk is full: nothing was written; try again later"), "disk.full"),
]


def coded(message) -> Message | None:
    """The Message of an error, a Message or a text (None when it has no code: shown as it is)."""
    if isinstance(message, Message):
        return message
    if isinstance(message, Coded):
        if message.text is not None:
            return message.text
        message = message.message
    if isinstance(message, str):
        for pattern, code in _UNCODED:
            m = pattern.fullmatch(message)
            if m:
                return Message(code, **m.groupdict())
    return None
