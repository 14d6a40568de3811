"""Accounts, tokens, permissions and sign-in (in-process)."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import time

import pytest

from review import accounts
from review.model import Person
from review.permissions import ACTIONS, Subject, can, why_not

from .conftest import ROOT

# -- permissions: every action against every role ---------------------------------

LEADS = ("se-reforme-etat",)
P = {
    "anonymous": None,
    "member": Person("karim", "Karim", "observatoire-citoyen", ("member",)),
    "lead_member": Person("ana", "Ana", "se-reforme-etat", ("member",)),
    "signatory": Person("antoine", "Antoine", "se-reforme-etat", ("member", "signatory")),
    "coordinator": Person("claire", "Claire", "premier-ministre", ("member", "coordinator")),
    "moderator": Person("lucie", "Lucie", "communs-numeriques", ("member", "moderator")),
    "auditor": Person("paul", "Paul", "examen-independant", ("auditor",)),
    "participant": Person("~alice", "~alice", None, ("participant",)),  # of a consultation (review.participants)
}
OWN = {"author": "karim", "owner": "karim"}  # subjects below belong to karim (the plain member)
# action -> (subject, set of roles allowed)
EVERYONE = set(P)
# an auditor who is nothing else is read-only (docs/roles.md)
PARTICIPANTS = EVERYONE - {"anonymous", "auditor", "participant"}
TABLE = {
    "read": (Subject(), EVERYONE),
    "audit": (Subject(), EVERYONE),
    "comment": (Subject(), PARTICIPANTS),
    "reply": (Subject(), PARTICIPANTS),
    "answer_report": (Subject(), PARTICIPANTS),
    "propose_amendment": (Subject(), PARTICIPANTS),
    "edit_comment": (Subject(author="karim"), {"member"}),
    "resolve_comment": (Subject(author="karim", leads=LEADS), {"member", "lead_member", "signatory", "moderator"}),
    "hide": (Subject(author="karim"), {"moderator"}),
    "revise_amendment": (Subject(author="karim", state="open"), {"member"}),
    "withdraw_amendment": (Subject(author="karim", state="open"), {"member"}),
    "update_amendment": (Subject(author="karim", state="open"), {"member"}),
    "reopen_amendment": (Subject(author="karim", state="withdrawn"), {"member"}),
    "reject_amendment": (Subject(author="karim", state="open"), {"coordinator"}),
    "approve_amendment": (Subject(author="karim", state="open"), {"signatory", "coordinator"}),
    "merge_amendment": (Subject(author="karim", state="open"), {"coordinator"}),
    "report_progress": (Subject(leads=LEADS), {"lead_member", "signatory"}),
    "checkpoint": (Subject(), {"auditor"}),
    "publish_version": (Subject(), {"coordinator"}),
    "manage_tokens": (Subject(owner="karim"), {"member"}),
    "manage_account": (Subject(owner="karim"), {"member"}),
    "manage_consultation": (Subject(), {"coordinator"}),
    "add_participant": (Subject(), {"coordinator"}),
    "contribute": (Subject(), PARTICIPANTS | {"participant"}),
    "respond_contribution": (Subject(leads=LEADS), {"coordinator", "lead_member", "signatory"}),
}


def test_the_table_covers_every_action():
    assert set(TABLE) == set(ACTIONS)


@pytest.mark.parametrize("action", sorted(TABLE))
@pytest.mark.parametrize("role", sorted(P))
def test_can_every_action_every_role(action, role):
    subject, allowed = TABLE[action]
    assert can(P[role], action, subject) is (role in allowed), why_not(P[role], action, subject)


@pytest.mark.parametrize("action, subject", [
    ("revise_amendment", Subject(author="karim", state="merged")),
    ("withdraw_amendment", Subject(author="karim", state="withdrawn")),
    ("reopen_amendment", Subject(author="karim", state="open")),
    ("approve_amendment", Subject(author="x", state="rejected")),
    ("reply", Subject(hidden=True)),
])
def test_state_forbids(action, subject):
    for person in P.values():
        assert not can(person, action, subject)


def test_reasons_are_readable_and_unknown_actions_fail():
    assert str(why_not(None, "comment")) == "sign in first"
    assert "author" in str(why_not(P["signatory"], "edit_comment", Subject(author="karim")))
    with pytest.raises(ValueError):
        can(P["member"], "fly")


# -- the credential store -----------------------------------------------------------

@pytest.fixture
def store(dep):
    return accounts.Accounts(dep)


def test_passwords_are_argon2_hashed_outside_git(store, dep, repo):
    assert store.check_password("karim", accounts.demo_password("karim"))
    assert not store.check_password("karim", "wrong password")
    assert not store.check_password("nobody", "whatever1")
    row = sqlite3.connect(dep.instance_path / accounts.DB_FILE).execute(
        "SELECT password_hash FROM accounts WHERE handle='karim'").fetchone()
    assert row[0].startswith("$argon2id$")
    git_objects = subprocess.run(["git", "-C", str(dep.repo_path), "grep", "-I", "argon2", "main"],
                                 capture_output=True, text=True)
    assert git_objects.stdout == ""


def test_add_refuses_unknown_handles_short_passwords_and_duplicates(store):
    with pytest.raises(accounts.AccountError, match="not a person of plan.yaml"):
        store.add("nobody", "long enough")
    with pytest.raises(accounts.AccountError, match="already has an account"):
        store.add("karim", "long enough")
    with pytest.raises(accounts.AccountError, match="too short"):
        store.set_password("karim", "short")
    assert store.check_password("karim", accounts.demo_password("karim"))


def test_tokens_are_stored_hashed_shown_once_and_revocable(store, dep):
    tid, secret = store.create_token("karim", "laptop")
    assert store.authenticate_token(secret) == "karim"
    raw = (dep.instance_path / accounts.DB_FILE).read_bytes()
    assert secret.encode() not in raw and secret.split("_", 2)[2].encode() not in raw
    [t] = store.tokens("karim")
    assert (t.id, t.label, t.revoked) == (tid, "laptop", None) and t.last_used
    assert store.revoke_token("karim", tid)
    assert store.authenticate_token(secret) is None
    assert not store.revoke_token("karim", tid)
    for bad in ("", "rvw_", "rvw_zz_" + "a" * 30, secret[:-1] + "?", "Bearer x", secret.replace("rvw_", "xyz_")):
        assert store.authenticate_token(bad) is None


# -- commands ---------------------------------------------------------------------------

def _review(*args, stdin=""):
    return subprocess.run([sys.executable, "-m", "review", *args], input=stdin, capture_output=True, text=True, cwd=ROOT)


def test_user_commands_and_token(deployment_dir, dep):
    # karim exists already in the demo; take him out of the store to add him again
    db = sqlite3.connect(dep.instance_path / accounts.DB_FILE)
    db.execute("DELETE FROM accounts WHERE handle='karim'")
    db.commit()
    r = _review("user", "add", str(deployment_dir), "karim", "--name", "Karim Haddad", "--password-stdin", stdin="new password 1\n")
    assert r.returncode == 0, r.stderr
    r = _review("user", "passwd", str(deployment_dir), "karim", "--password-stdin", stdin="new password 2\n")
    assert r.returncode == 0, r.stderr
    assert accounts.Accounts(dep).check_password("karim", "new password 2")
    r = _review("token", str(deployment_dir), "karim")
    assert r.returncode == 0 and accounts.Accounts(dep).authenticate_token(r.stdout.strip()) == "karim"


@pytest.mark.parametrize("args, stdin, message", [
    (["user", "add", "{d}", "nobody", "--name", "X", "--password-stdin"], "long enough\n", "'nobody' is not a person of plan.yaml"),
    (["user", "add", "{d}", "karim", "--name", "Someone Else", "--password-stdin"], "long enough\n", "plan.yaml names 'karim' \"Karim Haddad\""),
    (["user", "add", "{d}", "karim", "--name", "Karim Haddad"], "", "pass --password-stdin"),
    (["user", "passwd", "{d}", "karim", "--password-stdin"], "", "standard input held no password"),
    (["user", "passwd", "{d}", "karim", "--password-stdin"], "short\n", "too short"),
    (["user", "passwd", "/nonexistent", "karim", "--password-stdin"], "long enough\n", "is not a deployment folder"),
    (["token", "{d}", "nobody"], "", "'nobody' has no account"),
    (["serve", "{d}", "--port", "99999"], "", "not a port number"),
])
def test_command_errors_are_clear_and_write_nothing(deployment_dir, dep, args, stdin, message):
    before = (dep.instance_path / accounts.DB_FILE).read_bytes()
    r = _review(*[a.replace("{d}", str(deployment_dir)) for a in args], stdin=stdin)
    assert r.returncode != 0
    assert message in r.stderr, r.stderr
    assert accounts.Accounts(dep).check_password("karim", accounts.demo_password("karim"))
    assert accounts.Accounts(dep).tokens("karim") == []
    del before


# -- the web ----------------------------------------------------------------------------

def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def sign_in(client, handle, password=None):
    html = client.get("/signin").get_data(as_text=True)
    return client.post("/signin", data={"handle": handle, "password": password or accounts.demo_password(handle),
                                        "csrf_token": _csrf(html), "next": "/people/" + handle})


def test_sign_in_shows_name_in_header_then_sign_out(client):
    r = sign_in(client, "sophie")
    assert r.status_code == 302 and r.headers["Location"] == "/people/sophie"
    html = client.get("/").get_data(as_text=True)
    assert "Sophie Bernard" in html and "Se déconnecter" in html
    r = client.post("/signout", data={"csrf_token": _csrf(html)})
    assert r.status_code == 302
    html = client.get("/").get_data(as_text=True)
    assert "Sophie Bernard" not in html and "Se connecter" in html


def test_failed_sign_in_is_generic_and_throttled(client):
    wrong = sign_in(client, "karim", "wrong password").get_data(as_text=True)
    unknown = sign_in(client, "nobody", "wrong password").get_data(as_text=True)
    assert "Identifiant ou mot de passe incorrect." in wrong and "Identifiant ou mot de passe incorrect." in unknown
    for _ in range(accounts.FREE_FAILURES):
        r = sign_in(client, "karim", "wrong password")
    assert r.status_code == 429
    assert re.search(r"réessayez dans \d+ s", r.get_data(as_text=True))
    r = sign_in(client, "karim")  # even the right password waits
    assert r.status_code == 429


def test_sign_in_without_csrf_token_is_refused(client):
    r = client.post("/signin", data={"handle": "karim", "password": accounts.demo_password("karim")})
    assert r.status_code == 302
    html = client.get("/").get_data(as_text=True)
    assert "Le formulaire a expiré" in html and "Karim Haddad" not in html


def test_session_expires(app, client):
    sign_in(client, "karim")
    lifetime = app.config.get("SESSION_LIFETIME", 43200)
    later = time.time() + lifetime + 1
    app.extensions["review.accounts"].clock = lambda: later
    html = client.get("/").get_data(as_text=True)
    assert "Votre session est terminée" in html and "Karim Haddad" not in html


def test_session_cookie_flags(client):
    r = sign_in(client, "karim")
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_profile_is_public_tokens_are_private(client):
    html = client.get("/people/antoine").get_data(as_text=True)
    assert "Antoine Girard" in html and "signataire" in html and "Simplification" in html
    assert "Jetons d'accès" not in html
    assert client.get("/people/nobody").status_code == 404
    people = client.get("/people").get_data(as_text=True)
    assert people.count("/people/") >= 7


def test_create_list_and_revoke_token_on_profile(client, app):
    sign_in(client, "karim")
    html = client.get("/people/karim").get_data(as_text=True)
    r = client.post("/people/karim", data={"label": "script", "csrf_token": _csrf(html)})
    page = r.get_data(as_text=True)
    secret = re.search(r'<code id="new-token">([^<]+)</code>', page).group(1)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).get_json()["handle"] == "karim"
    again = client.get("/people/karim").get_data(as_text=True)
    assert "script" in again and secret not in again  # shown once
    tid = re.search(r"/people/karim/tokens/([0-9a-f]+)/revoke", again).group(1)
    client.post(f"/people/karim/tokens/{tid}/revoke", data={"csrf_token": _csrf(again)})
    r = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert r.status_code == 401 and "revoked" in r.get_json()["error"]


def test_cannot_manage_someone_elses_tokens(client):
    sign_in(client, "karim")
    html = client.get("/people/karim").get_data(as_text=True)
    r = client.post("/people/sophie", data={"label": "x", "csrf_token": _csrf(html)})
    assert r.status_code == 403
    r = client.post("/people/sophie/tokens/abcdefabcdef/revoke", data={"csrf_token": _csrf(html)})
    assert r.status_code == 403


def test_anonymous_token_creation_asks_to_sign_in(client):
    html = client.get("/signin").get_data(as_text=True)
    r = client.post("/people/karim", data={"label": "x", "csrf_token": _csrf(html)})
    assert r.status_code == 302 and "/signin" in r.headers["Location"]


@pytest.mark.parametrize("header, message", [
    ("Bearer", "malformed Authorization header"),
    ("Basic a2FyaW06eA==", "malformed Authorization header"),
    ("Bearer rvw_not-a-token", "malformed, unknown or revoked"),
    ("Bearer rvw_0123456789ab_" + "x" * 43, "malformed, unknown or revoked"),
])
def test_api_bad_tokens_are_401_json(client, header, message):
    r = client.get("/api/v1/me", headers={"Authorization": header})
    assert r.status_code == 401 and message in r.get_json()["error"]


def test_api_without_token(client):
    r = client.get("/api/v1/me")
    assert r.status_code == 401 and "Bearer" in r.get_json()["error"]
    assert client.get("/api/v1/commitments").status_code == 200  # reads stay open


def test_api_ignores_the_session_cookie(client):
    """Signed in on the site, the API still wants a token: no CSRF through the API."""
    sign_in(client, "karim")
    assert client.get("/api/v1/me").status_code == 401
    r = client.post("/api/v1/commitments/engagement-02/comments", json={"body": "x"})
    assert r.status_code == 401


def test_new_token_page_is_not_cached(client):
    sign_in(client, "karim")
    html = client.get("/people/karim").get_data(as_text=True)
    r = client.post("/people/karim", data={"label": "x", "csrf_token": _csrf(html)})
    assert r.headers["Cache-Control"] == "no-store"
