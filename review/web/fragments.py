"""Rendered parts of signed-in pages, kept by the git ids they come from (issue 20).

A signed-in page cannot come whole from the page cache (review/web/reading.py): its header, its
forms and its "new since your last visit" markers are the reader's own. The discussion of a
commitment or an amendment is most of such a page's cost (50 threads through a Jinja macro), and
it depends only on what the view names in `parts` (git ids: the review log's tip, the commit
shown, main's tip, which holds the people and their roles), on the request's path and query
string, the language, the reader (handle, organisation, roles) and their unread markers. So it is
rendered once per such key and composed into the page.

The CSRF token of the forms is the one thing that changes between two requests with the same key:
it is kept as a placeholder and put back on each use. A key made of ids cannot give a stale part:
anything new (a comment, an edit, a role) gives another key; the bound only limits memory.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app, g, request
from markupsafe import Markup

from ..lru import LRU, MB
from .i18n import select_locale
from .pagecache import csrf_token

FRAGMENTS = 512  # parts kept per process (and per app)
FRAGMENT_BYTES = 32 * MB
_CSRF_MARK = "\x00csrf-token\x00"


def _cache() -> LRU:
    ext = current_app.extensions
    cache = ext.get("review.fragments")
    if cache is None:
        cache = ext.setdefault("review.fragments", LRU(current_app.config.get("FRAGMENT_CACHE_SIZE", FRAGMENTS),
                                                       FRAGMENT_BYTES))
    return cache


def cached(name: str, parts: tuple, render: Callable[[], str]) -> Markup:
    """The HTML `render()` gives, from the cache when the same key was rendered before.

    `parts` must name every git id the fragment is read from; the request's path and query, the
    language and the reader are added here. Size 0 (FRAGMENT_CACHE_SIZE) turns the cache off.
    """
    if not current_app.config.get("FRAGMENT_CACHE_SIZE", FRAGMENTS):
        return Markup(render())
    person = g.get("person")
    req = request._get_current_object()
    key = (name, parts, req.script_root, req.path, req.query_string, select_locale(),
           (person.handle, person.organisation, person.roles) if person is not None else None)
    cache = _cache()
    token = csrf_token() if person is not None else None
    html = cache.get(key)
    if html is None:
        html = render()
        if g.get("review_damaged"):  # a part listing damage is not kept (restoring changes no ref)
            return Markup(html)
        cache.put(key, html.replace(token, _CSRF_MARK) if token else html)
        return Markup(html)
    return Markup(html.replace(_CSRF_MARK, token) if token else html)
