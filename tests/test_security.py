"""Sign-in throttling walked with a controlled clock, local redirects only, headers and
cookies, client addresses through trusted proxies (docs/security.md)."""

from __future__ import annotations

import re
import time

import pytest

from review import accounts
from review.accounts import ACCOUNT_POLICY, ADDRESS_POLICY
from review.web import create_app
from review.web.security import CONTENT_SECURITY_POLICY, is_local_path

T0 = 1_900_000_000.0


class Clock:
    def __init__(self, t=T0):
        self.t = t

    def __call__(self):
        return self.t


@pytest.fixture
def store(dep):
    return accounts.Accounts(dep, clock=Clock())


def fail(store, handle="karim", address="10.0.0.1"):
    store.record_failure(f"account:{handle}", f"address:{address}")


# -- the policy per account -------------------------------------------------------------

def test_five_failures_are_free_then_the_delay_doubles_up_to_the_cap(store):
    waits = []
    for _ in range(14):
        assert store.sign_in_wait("karim", "10.0.0.1") == 0  # the attacker waited as told
        fail(store)
        waits.append(store.sign_in_wait("karim", "10.0.0.1"))
        store.clock.t += max(waits[-1], 1)
    assert waits == [0, 0, 0, 0, 0, 30, 60, 120, 240, 480, 900, 900, 900, 900]


def test_time_does_not_reset_the_count_while_it_matters(store):
    for _ in range(ACCOUNT_POLICY.free + 1):
        fail(store)
    assert store.sign_in_wait("karim", "10.0.0.1") == 30
    store.clock.t += 20 * 60  # longer than any old "window": the count stays
    assert store.sign_in_wait("karim", "10.0.0.1") == 0
    fail(store)
    assert store.sign_in_wait("karim", "10.0.0.1") == 60
    store.clock.t += ACCOUNT_POLICY.quiet - 1  # the lock is long over, the day is not
    fail(store)
    assert store.sign_in_wait("karim", "10.0.0.1") == 120


def test_the_count_is_forgotten_after_a_quiet_day_or_a_success(store):
    for _ in range(ACCOUNT_POLICY.free + 2):
        fail(store)
    store.clock.t += ACCOUNT_POLICY.quiet + 61
    assert store.failures("account:karim") == 0
    fail(store)
    assert store.sign_in_wait("karim", "10.0.0.2") == 0
    for _ in range(ACCOUNT_POLICY.free + 2):
        fail(store)
    store.record_success("account:karim")
    assert store.sign_in_wait("karim", "10.0.0.2") == 0


def test_a_patient_guesser_gets_about_a_hundred_tries_a_day_per_account(store):
    start, tries = store.clock.t, 0
    while store.clock.t < start + 24 * 3600:
        store.clock.t += store.sign_in_wait("karim", f"10.0.{tries % 250}.1")  # even from many addresses
        fail(store, address=f"10.0.{tries % 250}.1")
        tries += 1
    assert 90 <= tries <= 110, tries


# -- the policy per address -------------------------------------------------------------

def test_an_address_has_a_much_higher_ceiling(store):
    for i in range(ADDRESS_POLICY.free):
        fail(store, handle=f"guess{i}")  # one wrong password each for many accounts
    assert store.throttle_wait("address:10.0.0.1") == 0
    fail(store, handle="guess-last")
    assert store.throttle_wait("address:10.0.0.1") == ADDRESS_POLICY.base


def test_a_locked_address_never_blocks_a_correct_password_for_another_account(app, client):
    """Behind a proxy or a NAT, a guesser's failures do not lock out everyone else."""
    store = app.extensions.setdefault("review.accounts", accounts.Accounts(app.extensions["review.deployment"]))
    store.clock = Clock(time.time())
    for i in range(ADDRESS_POLICY.free + 3):
        fail(store, handle=f"guess{i}", address="127.0.0.1")
    assert store.throttle_wait("address:127.0.0.1") > 0
    assert store.sign_in_wait("sophie", "127.0.0.1") == 0
    r = _post_sign_in(client, "sophie")
    assert r.status_code == 302  # signed in from the locked address
    # an account that failed from there waits for the address's lock
    r = _post_sign_in(client, "karim", "wrong password")
    assert r.status_code in (401, 429)
    r = _post_sign_in(client, "karim")
    assert r.status_code == 429
    store.clock.t += store.throttle_wait("address:127.0.0.1")
    assert _post_sign_in(client, "karim").status_code == 302


# -- the sign-in page ---------------------------------------------------------------------

def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def _post_sign_in(client, handle, password=None, next_url=None, **kw):
    html = client.get("/signin").get_data(as_text=True)
    data = {"handle": handle, "password": password or accounts.demo_password(handle), "csrf_token": _csrf(html)}
    if next_url is not None:
        data["next"] = next_url
    return client.post("/signin", data=data, **kw)


def test_the_sign_in_page_says_how_long_to_wait(app, client):
    store = app.extensions.setdefault("review.accounts", accounts.Accounts(app.extensions["review.deployment"]))
    clock = store.clock = Clock(time.time())
    for _ in range(ACCOUNT_POLICY.free):
        assert _post_sign_in(client, "karim", "wrong password").status_code == 401
    r = _post_sign_in(client, "karim", "wrong password")
    assert r.status_code == 429 and r.headers["Retry-After"] == "30"
    page = r.get_data(as_text=True)
    assert "réessayez dans 30 s" in page
    until = time.strftime("%H:%M:%S", time.gmtime(clock.t + 30))
    assert f"possible dans 30 secondes, à {until} UTC" in page
    assert _post_sign_in(client, "karim").status_code == 429  # the right password waits too
    clock.t += 30
    r = _post_sign_in(client, "karim", "wrong password")
    assert r.status_code == 429 and "réessayez dans 1 min" in r.get_data(as_text=True)
    clock.t += 60
    assert _post_sign_in(client, "karim").status_code == 302


# -- redirects: a local path only ---------------------------------------------------------

BYPASSES = [
    "//evil.example", "///evil.example", "////evil.example", "//evil.example/%2e%2e",
    "/\\evil.example", "\\\\evil.example", "/\\/evil.example", "\\/evil.example",
    "/\t/evil.example", "/%09/evil.example", "/\n/evil.example", "/%0a/evil.example", "/\r\n/evil.example",
    "/%0d%0a/evil.example", "/ /evil.example", "/%20/evil.example", "/\x00/evil.example", "/%00/evil.example",
    "/\u2028/evil.example", "/\u3000/evil.example", "/%e3%80%80/evil.example",
    "/%2f/evil.example", "/%2F%2Fevil.example", "/%252f%252fevil.example", "/%5cevil.example",
    "/%5C%5Cevil.example", "%2F%2Fevil.example", "/%2525252f%2525252fevil.example",
    "https://evil.example", "http:evil.example", "https:/evil.example", "HTTPS://evil.example",
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<script>alert(1)</script>",
    " //evil.example", "\t//evil.example", "evil.example", "／／evil.example",
    "//review.example@evil.example", "https://review.example@evil.example", "/\\review.example@evil.example",
    "//evil.example:80@review.example", "/" + "a" * 3000,
]
LOCAL = ["/", "/people/karim", "/commitments/engagement-02?rev=main#p-2", "/plan?next=//x", "/amendments/3",
         "/audit?actor=karim&page=2", "/commitments/engagement-02/diff?from=adopted-2015-07-16&to=main"]


@pytest.mark.parametrize("target", BYPASSES)
def test_no_bypass_is_a_local_path(target):
    assert not is_local_path(target)


@pytest.mark.parametrize("target", LOCAL)
def test_local_paths_are(target):
    assert is_local_path(target)


def test_sign_in_and_language_redirects_stay_on_the_site(app, client):
    for target in BYPASSES:
        r = _post_sign_in(client, "karim", next_url=target)
        assert r.status_code == 302 and r.headers["Location"] == "/", (target, r.headers["Location"])
        page = client.get("/signin", query_string={"next": target}).get_data(as_text=True)
        assert "evil" not in page.split('name="next"')[1][:200]
        r = client.get("/lang/en", query_string={"next": target})
        assert r.headers["Location"] == "/", target
    for target in LOCAL:
        assert _post_sign_in(client, "karim", next_url=target).headers["Location"] == target
        assert client.get("/lang/fr", query_string={"next": target}).headers["Location"] == target


def test_the_reported_redirect_goes_home(client):
    r = _post_sign_in(client, "karim", next_url=None, query_string={"next": "/\t/evil.example"})
    assert r.headers["Location"] == "/"
    html = client.get("/signin?next=/%09/evil.example").get_data(as_text=True)
    assert 'name="next" value="/"' in html


# -- headers and cookies -----------------------------------------------------------------

def test_every_page_sends_the_policy_and_the_old_headers(client):
    for url in ("/", "/signin", "/people/karim", "/api/v1/commitments", "/nowhere", "/static/review.css"):
        r = client.get(url)
        assert r.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert r.headers["X-Content-Type-Options"] == "nosniff" and r.headers["X-Frame-Options"] == "DENY"
    directives = dict(d.split(" ", 1) for d in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["default-src"] == "'self'" and directives["frame-ancestors"] == "'none'"
    assert directives["form-action"] == "'self'" and directives["base-uri"] == "'none'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY and directives["script-src"] == directives["style-src"] == "'self'"


def _cookie(r) -> str:
    return next(v for k, v in r.headers.items() if k == "Set-Cookie" and v.startswith("session="))


def test_cookies_over_plain_http_are_not_secure_but_stay_httponly_and_lax(client):
    cookie = _cookie(_post_sign_in(client, "karim"))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert "Secure" not in client.get("/lang/en").headers["Set-Cookie"]


def test_https_through_a_trusted_proxy_makes_cookies_secure(deployment_dir):
    app = create_app(deployment_dir, {"TESTING": True, "TRUSTED_PROXIES": 1})
    client = app.test_client()
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7", "Referer": "https://localhost/signin"}
    cookie = _cookie(_post_sign_in(client, "karim", headers=https))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" in client.get("/lang/en", headers=https).headers["Set-Cookie"]


def test_forwarded_headers_are_ignored_without_trusted_proxies(app, client):
    forged = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    cookie = _cookie(_post_sign_in(client, "karim", headers=forged))
    assert "Secure" not in cookie
    [s] = app.extensions["review.accounts"].sessions("karim")
    assert s.address == "127.0.0.1"


def test_a_trusted_proxy_gives_the_client_address_and_only_its_own_hop(deployment_dir):
    app = create_app(deployment_dir, {"TESTING": True, "TRUSTED_PROXIES": 1})
    client = app.test_client()
    # the client wrote its own X-Forwarded-For; the proxy appended the address it saw
    _post_sign_in(client, "karim", headers={"X-Forwarded-For": "6.6.6.6, 198.51.100.9"})
    [s] = app.extensions["review.accounts"].sessions("karim")
    assert s.address == "198.51.100.9"
    for _ in range(3):
        _post_sign_in(client, "sophie", "wrong password", headers={"X-Forwarded-For": "6.6.6.6, 198.51.100.10"})
    store = app.extensions["review.accounts"]
    assert store.failures("address:198.51.100.10") == 3 and store.failures("address:6.6.6.6") == 0


def test_secure_cookie_setting_forces_it(deployment_dir):
    app = create_app(deployment_dir, {"TESTING": True, "SESSION_COOKIE_SECURE": True})
    assert "Secure" in _cookie(_post_sign_in(app.test_client(), "karim"))
    assert "Secure" in app.test_client().get("/lang/en").headers["Set-Cookie"]


@pytest.mark.parametrize("value", [-1, "1", True, 1.5, 99])
def test_a_wrong_trusted_proxies_setting_is_refused_clearly(deployment_dir, value):
    with pytest.raises(RuntimeError, match="TRUSTED_PROXIES is .*: give the number of reverse proxies"):
        create_app(deployment_dir, {"TESTING": True, "TRUSTED_PROXIES": value})


def test_forgotten_counts_leave_the_table(store, dep):
    import sqlite3
    for i in range(50):
        fail(store, handle=f"made-up-{i}", address=f"10.1.0.{i}")
    store.clock.t += ACCOUNT_POLICY.quiet + 1
    fail(store, handle="karim", address="10.0.0.9")
    rows = sqlite3.connect(dep.instance_path / accounts.DB_FILE).execute("SELECT key FROM throttle_v2").fetchall()
    assert sorted(rows) == [("account:karim",), ("address:10.0.0.9",)]


def test_the_api_and_git_over_http_neither_read_nor_write_the_browser_session(client, app, monkeypatch):
    from .test_people import sign_in
    assert sign_in(client, "sophie").status_code == 302
    opened = []
    real = app.session_interface.get_signing_serializer
    monkeypatch.setattr(app.session_interface, "get_signing_serializer", lambda a: opened.append(1) or real(a))
    for path in ("/api/v1/commitments", "/api/v1/me", "/plan.git/info/refs?service=git-upload-pack"):
        r = client.get(path)
        assert "Set-Cookie" not in r.headers, path
    assert opened == []  # the cookie was not even unsigned
    assert client.get("/api/v1/me").status_code == 401  # the API answers to a bearer token only
    html = client.get("/").get_data(as_text=True)
    assert "Sophie Bernard" in html and opened  # the browser is still signed in, its cookie read
