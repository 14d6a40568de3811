"""What every response promises a browser: local redirects only, a strict Content-Security-
Policy, cookies marked Secure over HTTPS, client addresses seen through trusted proxies only.
The policy is written in docs/security.md."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from flask import current_app, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

# No inline script or style anywhere (templates load static files only); Pico's icons are
# data: images in its stylesheet, hence `img-src data:`.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
    "base-uri 'none'",
])

MAX_NEXT = 2000
# Anything a browser or a URL parser might read as the start of another origin: control
# characters and whitespace (browsers drop tabs and newlines), backslashes (read as
# slashes), and the encoded forms of all of these.
_UNSAFE = re.compile(r"[\x00-\x20\x7f-\x9f\\\u00a0\u1680\u2000-\u200f\u2028\u2029\u202f\u205f\u3000\ufeff]")


def is_local_path(target) -> bool:
    """True for a path of this site ("/plan?rev=x#p-2"); False for anything a browser could
    take to another origin: `//host`, `/\\host`, `/%09/host`, `https:`, `javascript:`..."""
    if not isinstance(target, str) or not target.startswith("/") or len(target) > MAX_NEXT:
        return False
    seen = target
    for _ in range(3):  # a doubly encoded form is as suspicious as a plain one
        if _UNSAFE.search(seen) or seen.startswith("//"):
            return False
        decoded = unquote(seen)
        if decoded == seen:
            break
        seen = decoded
    else:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and parts.path.startswith("/") and not parts.path.startswith("//")


def safe_next(target, default: str = "/") -> str:
    return target if is_local_path(target) else default


def cookie_secure() -> bool:
    return bool(current_app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure


class SessionInterface(SecureCookieSessionInterface):
    """The session cookie gets `Secure` whenever the request came over HTTPS (directly or
    through a trusted proxy, see TRUSTED_PROXIES), and always when SESSION_COOKIE_SECURE is
    true. False (what older `review init` wrote) cannot take it off an HTTPS response."""

    def get_cookie_secure(self, app) -> bool:
        return cookie_secure()

    # The API (bearer tokens, review/web/auth.py) and git's smart HTTP never use the session: a
    # browser's cookie sent along is neither read (no signature to check on every API request) nor
    # ever written back, whatever the request does.
    def open_session(self, app, request):
        if _sessionless(request.path):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response) -> None:
        if _sessionless(request.path):
            return
        super().save_session(app, session, response)


def _sessionless(path: str) -> bool:
    return path.startswith(("/api/", "/plan.git/"))


def trusted_proxies(app) -> int:
    value = app.config.get("TRUSTED_PROXIES", 0)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
        raise RuntimeError(f"TRUSTED_PROXIES is {value!r}: give the number of reverse proxies in front of "
                           "the application (0 when clients connect directly, 1 behind one nginx or Caddy)")
    return value


def init_app(app) -> None:
    n = trusted_proxies(app)
    if n:
        # Only the last n hops of X-Forwarded-* are believed: a client cannot forge its address.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)
    app.session_interface = SessionInterface()

    @app.after_request
    def _security_headers(resp):
        resp.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        return resp
