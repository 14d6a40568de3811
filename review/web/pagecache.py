"""The cache of whole responses of read pages and of the API's read routes (issue 20).

A read page depends on git (every ref, the commits its query names), on the request (address, path,
query string, language), on the UTC day (late milestones, open consultations) and, for a signed-in
reader, on who they are and on a few private things of the instance folder: their visits (the
"new since your last visit" markers), their notifications and watches, a participant's account.
The key holds all of these: git ids and names of them, the reader's Person (handle, name,
organisation, roles, from plan.yaml on main or the participants' file) and a stamp of those
instance files (review/changestamp.py: it changes on any commit to them, by any process). So a
response served from here cannot be stale: anything new gives a new key; the bound only limits
memory.

Readers who are not signed in share one entry per key, as before. A signed-in reader gets their
own entries: what differs between two requests with the same key is only the CSRF token of the
page's forms, put in place of the one it was kept with when another session asks. A
page is not kept when it was read with a message to flash, something else waiting in the session,
a damaged object (restoring it changes no ref) or a part cut short by a time budget.

Each response says how it was served in X-Review-Cache: `hit`, `miss` (rendered and kept) or
`bypass` (rendered, not kept).
"""

from __future__ import annotations

import datetime as dt
import functools

from flask import current_app, g, make_response, request, session
from flask_wtf.csrf import generate_csrf

from ..changestamp import ChangeStamp
from ..gitrepo import UnknownRevision
from ..lru import LRU
from .i18n import select_locale

PAGE_CACHE_SIZE = 256  # responses kept per process (and per app)
PAGE_CACHE_BYTES = 40 * 1024 * 1024  # and at most this much: a 5,000-commitment plan page is 2.4 MB
CACHE_HEADER = "X-Review-Cache"
# the instance files a signed-in page reads (review/visits.py, notifications.py, participants.py,
# mailprefs.py); accounts.sqlite is not one: the session is checked on every request before this
PRIVATE_FILES = ("visits.sqlite", "notifications.sqlite", "participants.sqlite", "mail.sqlite")
SESSION_KEYS = frozenset({"sid", "csrf_token", "_permanent", "_fresh"})  # anything else: not kept
_STORED_HEADERS_LEFT_OUT = frozenset({"content-length", "set-cookie"})


class _Kept:
    """A kept response: its headers and its body as last served, with the CSRF token filled in
    then (`filled`: (token, body); token None when the body holds none). Kept once: a request of
    another session of the same person puts its own token in place of that one (a signed token
    is 90 random-looking characters, found nowhere else in a page); a second copy with a
    placeholder cost each worker 7 MB on the big plan (the signed-in plan page is 2.4 MB)."""
    __slots__ = ("headers", "filled")

    def __init__(self, body: bytes, headers: tuple, token: bytes | None):
        self.headers, self.filled = headers, (token, body)

    def weight(self) -> int:
        return len(self.filled[1])


def _cache() -> LRU:
    cache = current_app.extensions.get("review.page_cache")
    if cache is None:
        cache = current_app.extensions.setdefault(
            "review.page_cache", LRU(current_app.config.get("PAGE_CACHE_SIZE", PAGE_CACHE_SIZE),
                                     current_app.config.get("PAGE_CACHE_BYTES", PAGE_CACHE_BYTES),
                                     weigh=lambda key, kept: kept.weight()))
    return cache


SIGNED_TOKENS = 4096  # sessions whose signed CSRF token is kept per process


def csrf_token() -> str:
    """The CSRF token of this request's forms: Flask-WTF's `generate_csrf()`, signed once per
    session and process rather than once per request.

    The token is the session's random secret signed with the app's key (and a time that nothing
    checks while WTF_CSRF_TIME_LIMIT is None, as here): signing it again gives a token that proves
    nothing more. Keeping it lets a kept page be filled in once per session instead of on every
    request. With a time limit configured, every request signs afresh."""
    raw = session.get("csrf_token")
    if raw is None or current_app.config.get("WTF_CSRF_TIME_LIMIT") is not None or "csrf_token" in g:
        return generate_csrf()
    ext = current_app.extensions
    signed = ext.get("review.signed_tokens")
    if signed is None:
        signed = ext.setdefault("review.signed_tokens", LRU(SIGNED_TOKENS))
    token = signed.get(raw)
    if token is None:
        return signed.put(raw, generate_csrf())
    g.csrf_token = token  # what generate_csrf() (forms, templates) gives for the rest of the request
    return token


def _private_stamp() -> tuple | None:
    ext = current_app.extensions
    stamps = ext.get("review.private_stamp")
    if stamps is None:
        stamps = ext.setdefault("review.private_stamp", ChangeStamp(
            [f"{current_app.instance_path}/{name}" for name in PRIVATE_FILES]))
    return stamps.stamp()


def uncacheable() -> None:
    """Say that the response being made must not be kept (a part left out for lack of time, a
    count that could not be read): the next request renders again."""
    g.review_uncacheable = True


def _session_holds_more(req) -> bool:
    """Whether the session holds something a page shows once (a flashed message...); the API never
    reads the session (review/web/auth.py), so its cookie is not even opened there."""
    return not req.path.startswith("/api/") and any(k not in SESSION_KEYS for k in session)


def _key():
    """Everything the response depends on, or None when it must be rendered and not kept."""
    req = request._get_current_object()  # one proxy look-up, not ten
    if _session_holds_more(req):  # a message to flash, a password to show once...
        return None
    from .reading import repo
    person = g.get("person")
    who = None
    if person is not None:
        private = _private_stamp()  # before reading anything: a page is never older than its key
        if private is None:
            return None
        who = (person, g.get("via_token", False), private)
    r = repo()
    fingerprint = r.refs_fingerprint()  # before resolving: a page is never older than its key
    commits = []
    args = req.args
    for arg, default in (("rev", "main"), ("from", None), ("to", None)):
        name = args.get(arg) or default
        if name is None:
            continue
        try:
            commits.append(r.resolve(name))
        except UnknownRevision:
            return None  # the view answers 404: nothing to keep
    # select_locale() is Babel's locale selector: the language current_lang() gives, without
    # building a babel Locale (40 us, a third of a cache hit).
    environ = req.environ  # the address asked for: no page shows it today, a future one may
    return (environ.get("wsgi.url_scheme"), environ.get("HTTP_HOST"), req.script_root, req.path, req.query_string,
            select_locale(), tuple(commits), fingerprint, dt.datetime.now(dt.timezone.utc).date(), who)


def _replay(kept: _Kept):
    was, body = kept.filled
    if was is not None:
        token = csrf_token().encode()
        if token != was:
            body = body.replace(was, token)
            kept.filled = (token, body)  # one assignment: a thread serving it meanwhile sees a pair
    resp = make_response(body)
    for name, value in kept.headers:
        resp.headers[name] = value
    resp.headers[CACHE_HEADER] = "hit"
    return resp


def _keep(resp, signed_in: bool) -> _Kept | None:
    """What to keep of a response worth keeping, else None."""
    if (resp.status_code != 200 or resp.direct_passthrough or resp.is_streamed
            or g.get("review_damaged") or g.get("review_uncacheable")
            or _session_holds_more(request._get_current_object())):
        return None
    body = resp.get_data()
    token = None
    if signed_in and "csrf_token" in g:
        token = g.csrf_token.encode()
        if token not in body:
            token = None
    headers = tuple((k, v) for k, v in resp.headers.items() if k.lower() not in _STORED_HEADERS_LEFT_OUT)
    return _Kept(body, headers, token)


def cached(view):
    """Serve a read page or API read route from the cache, or make it and keep it (HTTP 200 only)."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not current_app.config.get("PAGE_CACHE_SIZE", PAGE_CACHE_SIZE):
            key = None
        else:
            key = _key()
        if key is None:
            resp = make_response(view(*args, **kwargs))
            resp.headers[CACHE_HEADER] = "bypass"
            return resp
        signed_in = key[-1] is not None
        cache = _cache()
        kept = cache.get(key)
        if kept is not None:
            return _replay(kept)
        if signed_in:
            csrf_token()  # the session's token, for the forms of the page
        resp = make_response(view(*args, **kwargs))
        kept = _keep(resp, signed_in)
        if kept is None:
            resp.headers[CACHE_HEADER] = "bypass"
            return resp
        cache.put(key, kept)
        resp.headers[CACHE_HEADER] = "miss"
        return resp
    return wrapper
