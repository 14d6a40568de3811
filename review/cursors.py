"""Cursors of long lists (issue 20): `?after=<cursor>&limit=<n>`.

A cursor names the last entry a reader was shown (its sort key), not a page number: a list
that grows meanwhile does not shift the next page, and the next page starts where the last one
stopped without counting what came before. Cursors are opaque to readers: URL-safe base64 of a
small JSON array, checked on the way in (a malformed one raises Invalid("cursor.bad")).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable

from .errors import Invalid

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_CURSOR = 400  # characters: a key is a time, a ref name and a number, or a commit id


def encode(key: tuple) -> str:
    raw = json.dumps(list(key), ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(text: str | None, shape: tuple[type, ...]) -> tuple | None:
    """The key a cursor holds, checked against `shape` (the type of each part); None for no cursor."""
    if text is None or text == "":
        return None
    if not isinstance(text, str) or len(text) > MAX_CURSOR:
        raise Invalid("cursor.bad")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        key = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise Invalid("cursor.bad") from None
    if not isinstance(key, list) or len(key) != len(shape) or any(
            type(v) is not t for v, t in zip(key, shape)):  # noqa: E721 - bool is not an int here
        raise Invalid("cursor.bad")
    return tuple(key)


def limit(value, default: int = DEFAULT_LIMIT, maximum: int = MAX_LIMIT) -> int:
    """`?limit=`: a whole number from 1 to `maximum` (`default` when absent)."""
    if value is None or value == "":
        return default
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise Invalid("cursor.bad_limit", maximum=maximum) from None
    if not 1 <= n <= maximum:
        raise Invalid("cursor.bad_limit", maximum=maximum)
    return n


def take(items: Iterable, keep: Callable[[object], bool], n: int, key: Callable[[object], tuple]) -> tuple[list, str | None]:
    """The first `n` items that `keep` accepts, and the cursor of the next page (None at the end).
    Reads at most one item past the page: `items` may be a lazy reading of git."""
    out = []
    for item in items:
        if not keep(item):
            continue
        if len(out) == n:
            return out, encode(key(out[-1]))
        out.append(item)
    return out, None
