"""Server-side sessions: sign-out, password changes and "sign out everywhere" end them for good."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import time

import pytest

from review import accounts

from .conftest import ROOT, bearer
from .webforms import form_fields

COMMENT_URL = "/commitments/engagement-02/comments"


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def sign_in(client, handle, password=None, headers=None):
    html = client.get("/signin").get_data(as_text=True)
    r = client.post("/signin", data={"handle": handle, "password": password or accounts.demo_password(handle),
                                     "csrf_token": _csrf(html)}, headers=headers or {})
    assert r.status_code == 302, r.get_data(as_text=True)
    return r


def signed_in_as(client) -> str | None:
    html = client.get("/").get_data(as_text=True)
    m = re.search(r'<a href="/people/(\w+)" class="me">', html)
    return m.group(1) if m else None


def cookie_of(client) -> str:
    return client.get_cookie("session").value


def replay(app, cookie: str):
    """A new client holding a copy of a saved session cookie (what a thief would hold)."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief


def form_token(client) -> str:
    html = client.get("/commitments/engagement-02").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def try_to_comment(client, token: str):
    """Post a comment with a saved cookie and the form token saved with it."""
    r = client.post(COMMENT_URL, data={"body": "posted with a saved cookie", "csrf_token": token})
    return r.status_code, r.headers.get("Location", "")


def test_the_cookie_holds_a_random_key_not_the_person(app, client):
    sign_in(client, "karim")
    with client.session_transaction() as s:
        assert set(s) >= {"sid"} and "handle" not in s and "karim" not in str(s)
    [row] = sqlite3.connect(app.instance_path + "/" + accounts.DB_FILE).execute(
        "SELECT id, handle FROM sessions").fetchall()
    with client.session_transaction() as s:
        assert row == (accounts.session_digest(s["sid"]), "karim")  # only the digest is stored


def test_a_cookie_saved_before_sign_out_is_refused_after(app, client):
    sign_in(client, "karim")
    token = form_token(client)
    saved = cookie_of(client)
    assert signed_in_as(replay(app, saved)) == "karim"  # the copy works while the session is open
    client.post("/signout", data={"csrf_token": _csrf(client.get("/").get_data(as_text=True))})
    thief = replay(app, saved)
    status, where = try_to_comment(thief, token)
    assert status == 302 and "/signin" in where
    assert signed_in_as(thief) is None
    html = thief.get("/").get_data(as_text=True)
    assert "Se connecter" in html


def test_a_password_change_on_the_web_ends_every_session(app, client):
    sign_in(client, "karim")
    other = app.test_client()
    sign_in(other, "karim")
    token = form_token(client)
    saved = cookie_of(client)
    page = client.get("/people/karim").get_data(as_text=True)
    fields = form_fields(page, "password-form").to_dict()
    fields.update({"current": accounts.demo_password("karim"), "new": "a new password 1", "confirm": "a new password 1"})
    r = client.post("/people/karim/password", data=fields)
    assert r.status_code == 302
    assert "tous les autres navigateurs sont déconnectés" in client.get("/people/karim").get_data(as_text=True)
    assert signed_in_as(client) == "karim"  # this browser got a new session
    assert signed_in_as(other) is None
    assert signed_in_as(replay(app, saved)) is None  # the cookie of before the change is dead
    status, where = try_to_comment(replay(app, saved), token)
    assert status == 302 and "/signin" in where


@pytest.mark.parametrize("fields, message", [
    ({"current": "wrong password", "new": "a new password 1", "confirm": "a new password 1"}, "pas le bon"),
    ({"new": "a new password 1", "confirm": "a new password 2"}, "diffèrent"),
    ({"new": "short", "confirm": "short"}, "trop court"),
    ({"new": "", "confirm": ""}, "deux fois"),
])
def test_a_refused_password_change_changes_nothing(app, client, fields, message):
    sign_in(client, "karim")
    fields = {"current": accounts.demo_password("karim"), **fields}
    page = client.get("/people/karim").get_data(as_text=True)
    client.post("/people/karim/password", data={**form_fields(page, "password-form"), **fields})
    assert message in client.get("/people/karim").get_data(as_text=True)
    assert signed_in_as(client) == "karim"
    assert app.extensions["review.accounts"].check_password("karim", accounts.demo_password("karim"))


def test_the_profile_checkbox_also_revokes_tokens(app, client, tokens):
    sign_in(client, "karim")
    assert client.get("/api/v1/me", headers=bearer(tokens["karim"])).status_code == 200
    page = client.get("/people/karim").get_data(as_text=True)
    fields = form_fields(page, "password-form").to_dict()
    fields.update({"current": accounts.demo_password("karim"), "new": "a new password 1",
                   "confirm": "a new password 1", "revoke_tokens": "y"})
    client.post("/people/karim/password", data=fields)
    assert client.get("/api/v1/me", headers=bearer(tokens["karim"])).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(tokens["sophie"])).status_code == 200


def test_a_password_change_without_the_box_keeps_tokens(app, client, tokens):
    sign_in(client, "karim")
    page = client.get("/people/karim").get_data(as_text=True)
    fields = form_fields(page, "password-form").to_dict()
    fields.update({"current": accounts.demo_password("karim"), "new": "a new password 1", "confirm": "a new password 1"})
    client.post("/people/karim/password", data=fields)
    assert client.get("/api/v1/me", headers=bearer(tokens["karim"])).status_code == 200


def _review(*args, stdin=""):
    return subprocess.run([sys.executable, "-m", "review", *args], input=stdin, capture_output=True, text=True, cwd=ROOT)


def test_review_user_passwd_ends_every_session(app, client, deployment_dir, tokens):
    sign_in(client, "karim")
    sign_in(app.test_client(), "karim")
    sophie = app.test_client()
    sign_in(sophie, "sophie")
    r = _review("user", "passwd", str(deployment_dir), "karim", "--password-stdin", stdin="a new password 1\n")
    assert r.returncode == 0, r.stderr
    assert "2 session(s) signed out" in r.stdout
    assert signed_in_as(client) is None and signed_in_as(sophie) == "sophie"
    assert client.get("/api/v1/me", headers=bearer(tokens["karim"])).status_code == 200  # tokens kept


def test_review_user_passwd_revoke_tokens(app, deployment_dir, tokens):
    r = _review("user", "passwd", str(deployment_dir), "karim", "--password-stdin", "--revoke-tokens",
                stdin="a new password 1\n")
    assert r.returncode == 0, r.stderr
    client = app.test_client()
    assert client.get("/api/v1/me", headers=bearer(tokens["karim"])).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(tokens["sophie"])).status_code == 200


def test_the_profile_lists_open_sessions_and_ends_one(app, client):
    firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
    phone = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"
    sign_in(client, "karim", headers={"User-Agent": firefox})
    other = app.test_client()
    sign_in(other, "karim", headers={"User-Agent": phone})
    page = client.get("/people/karim", headers={"User-Agent": firefox}).get_data(as_text=True)
    table = re.search(r'<table id="sessions">(.*?)</table>', page, re.S).group(1)
    assert "Firefox, Linux" in table and "Chrome, Android" in table and "127.0.0.1" in table
    assert "(ce navigateur)" in table and re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", table)
    assert "Où vous êtes connecté" in page and "Se déconnecter partout" in page
    # end the phone's session from the laptop
    with other.session_transaction() as s:
        phone_sid = accounts.session_digest(s["sid"])
    r = client.post(f"/people/karim/sessions/{phone_sid}/end", data={"csrf_token": _csrf(page)})
    assert r.status_code == 302
    assert signed_in_as(other) is None and signed_in_as(client) == "karim"
    assert "Firefox" in client.get("/people/karim").get_data(as_text=True)
    assert "Android" not in client.get("/people/karim").get_data(as_text=True)


def test_sessions_are_private(app, client):
    sign_in(client, "sophie")
    html = client.get("/people/karim").get_data(as_text=True)
    assert "Où vous êtes connecté" not in html
    karim = app.test_client()
    sign_in(karim, "karim")
    with karim.session_transaction() as s:
        sid = accounts.session_digest(s["sid"])
    page = client.get("/people/sophie").get_data(as_text=True)
    assert client.post(f"/people/karim/sessions/{sid}/end", data={"csrf_token": _csrf(page)}).status_code == 403
    assert client.post("/people/karim/sessions/end", data={"csrf_token": _csrf(page)}).status_code == 403
    assert client.post("/people/karim/password", data={"csrf_token": _csrf(page), "current": "x", "new": "y" * 9,
                                                       "confirm": "y" * 9}).status_code == 403
    # a session id of someone else under one's own name ends nothing
    r = client.post(f"/people/sophie/sessions/{sid}/end", data={"csrf_token": _csrf(page)})
    assert r.status_code == 302 and signed_in_as(karim) == "karim"


def test_sign_out_everywhere(app, client, tokens):
    sign_in(client, "karim")
    other = app.test_client()
    sign_in(other, "karim")
    page = client.get("/people/karim").get_data(as_text=True)
    r = client.post("/people/karim/sessions/end", data=form_fields(page, "everywhere-form"))
    assert r.status_code == 302 and r.headers["Location"].startswith("/signin")
    assert signed_in_as(client) is None and signed_in_as(other) is None
    assert client.get("/api/v1/me", headers=bearer(tokens["karim"])).status_code == 200
    sign_in(client, "karim")
    page = client.get("/people/karim").get_data(as_text=True)
    client.post("/people/karim/sessions/end", data={**form_fields(page, "everywhere-form"), "revoke_tokens": "y"})
    assert client.get("/api/v1/me", headers=bearer(tokens["karim"])).status_code == 401


def test_sessions_live_in_the_instance_folder_never_in_git(app, client, dep):
    refs = lambda: subprocess.run(["git", "-C", str(dep.repo_path), "show-ref"],  # noqa: E731
                                  capture_output=True, text=True, check=True).stdout
    before = refs()
    sign_in(client, "karim")
    db = dep.instance_path / accounts.DB_FILE
    assert sqlite3.connect(db).execute("SELECT count(*) FROM sessions").fetchone()[0] == 1
    listed = subprocess.run(["git", "-C", str(dep.repo_path), "rev-list", "--all", "--objects"],
                            capture_output=True, text=True, check=True).stdout
    assert "accounts.sqlite" not in listed and "sessions" not in listed
    assert refs() == before  # signing in wrote nothing to the plan repository


def test_last_use_is_written_at_most_once_a_minute(app, client):
    sign_in(client, "karim")
    store = app.extensions["review.accounts"]
    t0 = time.time()
    now = [t0]
    store.clock = lambda: now[0]
    [s] = store.sessions("karim")
    first = s.last_used
    now[0] = t0 + accounts.SESSION_TOUCH - 5
    client.get("/")
    assert store.sessions("karim")[0].last_used == first
    now[0] = t0 + accounts.SESSION_TOUCH + 5
    client.get("/")
    assert store.sessions("karim")[0].last_used == now[0]


def test_a_failing_last_use_write_never_fails_the_request(app, client, dep):
    """SQLite refuses the write as it would on a full disk: the page still answers, signed in."""
    sign_in(client, "karim")
    db = sqlite3.connect(dep.instance_path / accounts.DB_FILE)
    db.execute("CREATE TRIGGER full BEFORE UPDATE ON sessions BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END")
    db.commit()
    store = app.extensions["review.accounts"]
    later = time.time() + 3600
    store.clock = lambda: later
    r = client.get("/")
    assert r.status_code == 200 and 'class="me"' in r.get_data(as_text=True)


def test_an_expired_session_is_refused_and_swept(app, client, dep):
    sign_in(client, "karim")
    store = app.extensions["review.accounts"]
    later = time.time() + app.config.get("SESSION_LIFETIME", 43200) + 1
    store.clock = lambda: later
    assert signed_in_as(client) is None
    assert store.sessions("karim") == []


def test_a_cookie_of_the_old_kind_signs_nobody_in(app, client):
    """Cookies signed before server-side sessions named the person: they no longer count."""
    with client.session_transaction() as s:
        s["handle"] = "karim"
        s["since"] = time.time()
    assert signed_in_as(client) is None
    with client.session_transaction() as s:
        assert "handle" not in s


def test_the_lookup_of_every_request_searches_by_primary_key(app, client):
    sign_in(client, "karim")
    db = sqlite3.connect(app.instance_path + "/" + accounts.DB_FILE)
    [(*_ignored, detail)] = db.execute("EXPLAIN QUERY PLAN " + accounts.SESSION_LOOKUP, ("x",)).fetchall()
    assert detail.startswith("SEARCH sessions USING INDEX sqlite_autoindex_sessions_1 (id=?)"), detail
