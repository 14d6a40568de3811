"""Query parameters read the same way on pages, feeds and the API: a malformed value is a 400
that says what was expected (never a silent default, never a server error).

The messages are coded (review/errormessages.py): the JSON API answers them in English, pages
in the reader's language.
"""

from __future__ import annotations

import datetime as dt
import re

from flask import request

from .. import amendments, model
from ..commitment import NotFound
from ..errors import Message
from .errors import ApiError

_REV_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$")
MAX_PAGE = 1_000_000


def rev(name: str = "rev") -> str | None:
    """A revision as a reader names it (a branch, a tag, a commit id), or None when not given."""
    value = request.args.get(name, "")
    if not value:
        return None
    if not _REV_RE.match(value) or ".." in value or "//" in value or value.endswith((".lock", "/", ".")):
        raise ApiError(400, Message("param.rev", name=name))
    return value


def amendment_number(n: str) -> int:
    """The amendment number of a URL (`/amendments/<n>`); anything else is a 404."""
    number = amendments.parse_number(n)
    if number is None:
        raise NotFound("notfound.amendment", n=repr(n))
    return number


def page(name: str = "page") -> int:
    """A page number from 1 (default 1)."""
    value = request.args.get(name, "").strip()
    if not value:
        return 1
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= MAX_PAGE:
        raise ApiError(400, Message("param.number", name=name, n=MAX_PAGE))
    return int(value)


def per_page(default: int, maximum: int, name: str = "per_page") -> int:
    value = request.args.get(name, "").strip()
    if not value:
        return default
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= maximum:
        raise ApiError(400, Message("param.number", name=name, n=maximum))
    return int(value)


def day(name: str = "as_of") -> dt.date | None:
    """A date written YYYY-MM-DD, or None when not given."""
    value = request.args.get(name, "").strip()
    if not value:
        return None
    parsed = model.as_date(value) if len(value) <= 10 else None
    if parsed is None:
        raise ApiError(400, Message("param.date", name=name))
    return parsed


def version(name: str) -> str | dt.date | None:
    """A version of the plan as a reader names it: a branch, a tag, a commit id, or `@YYYY-MM-DD`
    for the plan as it stood that day; None when not given."""
    value = request.args.get(name, "").strip()
    if not value.startswith("@"):
        return rev(name)
    parsed = model.as_date(value[1:]) if len(value) == 11 else None
    if parsed is None:
        raise ApiError(400, Message("param.version", name=name))
    if parsed > dt.datetime.now(dt.timezone.utc).date():
        raise ApiError(400, Message("param.future_day", name=name))
    return parsed
