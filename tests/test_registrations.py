"""Self-registration of participants with a confirmed e-mail address while a consultation is open
(issue 19, "Participants"): the core (review/registrations.py), the pages, the JSON API and the mail."""

from __future__ import annotations

import datetime as dt
import email
import html
from html import unescape
import email.policy
import re
import sqlite3
from urllib.parse import urlsplit

import pytest

from review import accounts, mailer, participants, registrations, verify
from review import consultations as cons
from review.errors import Busy, Conflict, Invalid

from .test_mail import settings_for, smtp  # noqa: F401 - the real SMTP server fixture
from .test_web_consultations import backdated, people

TODAY = dt.datetime.now(dt.timezone.utc).date()
LINK_RE = re.compile(r"https?://\S+/participants/confirm/(\S+)")


@pytest.fixture
def regs(dep):
    return registrations.Registrations(participants.Participants(dep))


def git_log(dep) -> str:
    import subprocess
    return subprocess.run(["git", "--git-dir", str(dep.repo_path), "log", "--all", "--format=%an <%ae> %B"],
                          capture_output=True, text=True, check=True).stdout


def queued(dep) -> list[email.message.EmailMessage]:
    box = mailer.Outbox(dep.instance_path)
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in box.waiting()]


def link_in(msg) -> str:
    return urlsplit(LINK_RE.search(msg.get_content()).group(0)).path


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def register_form(client, cid="c1", lang="fr", **fields):
    html = client.get(f"/consultations/{cid}/register?lang={lang}").get_data(as_text=True)
    data = {"pseudonym": "lea", "email": "lea@example.org", "password": "un mot de passe", "again": None}
    data.update(fields)
    if data["again"] is None:
        data["again"] = data["password"]
    lang_field = re.search(r'name="lang" value="(\w+)"', html)
    if lang_field:
        data.setdefault("lang", lang_field.group(1))
    return client.post(f"/consultations/{cid}/register?lang={lang}", data={"csrf_token": csrf(html), **data})


# -- the core ------------------------------------------------------------------------------------

def test_a_request_keeps_a_hashed_password_reserves_the_pseudonym_and_the_link_makes_the_account(dep, repo, regs):
    backdated(repo)
    req = regs.request("c1", "Lea", " lea@example.org ", "un mot de passe", lang="en", address="10.0.0.1")
    p = req.pending
    assert p.pseudonym == "lea" and p.email == "lea@example.org" and p.lang == "en" and req.known_as is None
    db = sqlite3.connect(dep.instance_path / registrations.DB_FILE)
    (stored,) = db.execute("SELECT password_hash FROM pending").fetchone()
    assert stored.startswith("$argon2id$") and "un mot de passe" not in (dep.instance_path / registrations.DB_FILE
                                                                           ).read_bytes().decode("latin-1")
    assert regs.participants.get("lea") is None and not accounts.Accounts(dep).exists("~lea")
    with pytest.raises(Conflict):  # reserved for the request, from a coordinator too
        regs.participants.add(people(repo)["claire"], "lea")
    with pytest.raises(Conflict):
        regs.request("c1", "lea", "other@example.org", "un mot de passe")
    token = regs.token("secret", p)
    assert regs.read("secret", token).pseudonym == "lea"
    made, cid = regs.confirm("secret", token)
    assert made.handle == "~lea" and made.email == "lea@example.org" and made.created_by == "self" and cid == "c1"
    assert accounts.Accounts(dep).check_password("~lea", "un mot de passe")
    with pytest.raises(Conflict) as exc:
        regs.confirm("secret", token)
    assert exc.value.code == "registration.used"
    assert db.execute("SELECT password_hash FROM pending").fetchone() == (None,)  # no hash kept once used


@pytest.mark.parametrize("fields, code", [
    ({"pseudonym": "1abc"}, "participant.bad_pseudonym"),
    ({"pseudonym": "x"}, "participant.bad_pseudonym"),
    ({"pseudonym": "confirm"}, "registration.reserved"),
    ({"pseudonym": "claire"}, "participant.taken"),
    ({"email": "not an address"}, "participant.bad_email"),
    ({"email": "a@b..c"}, "mail.bad_address"),
    ({"email": ""}, "participant.bad_email"),
    ({"password": "short"}, "account.password_short"),
    ({"password": "x" * 1025}, "account.password_long"),
    ({"password": None}, "registration.no_password"),
    ({"again": "something else"}, "registration.passwords_differ"),
])
def test_each_refusal_has_its_code_and_keeps_nothing(dep, repo, regs, fields, code):
    backdated(repo)
    args = {"pseudonym": "lea", "email": "lea@example.org", "password": "un mot de passe", "again": None}
    args.update(fields)
    with pytest.raises(Exception) as exc:
        regs.request("c1", args["pseudonym"], args["email"], args["password"], args["again"])
    assert getattr(exc.value, "code", None) == code
    assert regs.get("lea") is None and regs.participants.list() == []


def test_only_while_the_consultation_is_open(dep, repo, regs):
    claire = people(repo)["claire"]
    cons.announce(repo, claire, "later", "Plus tard", TODAY + dt.timedelta(days=20), TODAY + dt.timedelta(days=40))
    with pytest.raises(Conflict) as exc:
        regs.request("later", "lea", "lea@example.org", "un mot de passe")
    assert exc.value.code == "registration.not_open"
    backdated(repo)
    cons.close(repo, claire, "c1", None)
    with pytest.raises(Conflict):
        regs.request("c1", "lea", "lea@example.org", "un mot de passe")
    assert regs.get("lea") is None


def test_expired_and_forged_links_make_nothing_and_expiry_frees_the_pseudonym(dep, repo, regs):
    backdated(repo)
    now = 1_780_000_000.0
    p = regs.request("c1", "lea", "lea@example.org", "un mot de passe", now=now).pending
    token = regs.token("secret", p)
    with pytest.raises(Invalid) as exc:
        regs.confirm("secret", token, now=now + registrations.LIFETIME + 1)
    assert exc.value.code == "registration.expired"
    for forged in (token[:-3] + "AAA", token.replace("lea.", "leo.", 1), regs.token("another secret", p),
                   "lea." + str(p.expires + 100) + "." + token.rsplit(".", 1)[1], "", "a.b", "x" * 300):
        with pytest.raises(Invalid) as exc:
            regs.confirm("secret", forged, now=now)
        assert exc.value.code == "registration.bad_token"
    assert regs.participants.get("lea") is None
    # 48 hours later someone else may take the pseudonym; the old link is then worthless
    p2 = regs.request("c1", "lea", "other@example.org", "un autre mot de passe",
                      now=now + registrations.LIFETIME + 1).pending
    with pytest.raises(Invalid):
        regs.read("secret", token, now=now + registrations.LIFETIME + 2)
    assert regs.read("secret", regs.token("secret", p2), now=now + registrations.LIFETIME + 2).email == \
        "other@example.org"
    assert regs.purge(now=now + 2 * registrations.LIFETIME + 2) == 0  # expired lately: still says "expired"
    with pytest.raises(Invalid) as exc:
        regs.read("secret", regs.token("secret", p2), now=now + 2 * registrations.LIFETIME + 2)
    assert exc.value.code == "registration.expired"
    assert regs.purge(now=now + 2 * registrations.LIFETIME + registrations.KEEP_EXPIRED + 2) == 1
    assert regs.get("lea") is None


def test_requests_are_throttled_per_client_and_per_address(dep, repo, regs):
    backdated(repo)
    for i in range(accounts.REGISTRATION_POLICY.free + 1):
        regs.request("c1", f"p{i:02d}", f"p{i}@example.org", "un mot de passe", address="10.0.0.1")
    assert not (dep.instance_path / "accounts.sqlite").read_bytes().count(b"p1@example.org")  # digests only
    with pytest.raises(Busy) as exc:
        regs.request("c1", "onemore", "onemore@example.org", "un mot de passe", address="10.0.0.1")
    assert exc.value.code == "registration.throttled" and exc.value.retry_after > 0
    assert regs.get("onemore") is None
    regs.request("c1", "fromelsewhere", "else@example.org", "un mot de passe", address="10.0.0.2")
    for i in range(accounts.REGISTRATION_EMAIL_POLICY.free + 1):  # one address asked from many clients
        regs.request("c1", f"q{i:02d}", "same@example.org", "un mot de passe", address=f"10.1.0.{i}")
    with pytest.raises(Busy) as exc:
        regs.request("c1", "qlast", "Same@example.org", "un mot de passe", address="10.2.0.1")
    assert exc.value.retry_after >= accounts.REGISTRATION_EMAIL_POLICY.base
    regs.request("c1", "qother", "other@example.org", "un mot de passe", address="10.2.0.1")


def test_a_known_address_gets_no_second_account(dep, repo, regs):
    backdated(repo)
    regs.participants.add(people(repo)["claire"], "lea", email="lea@example.org")
    req = regs.request("c1", "leo", "LEA@example.org", "un mot de passe")
    assert req.pending is None and req.known_as == "lea" and regs.get("leo") is None


# -- the pages ---------------------------------------------------------------------------------------

def test_register_confirm_sign_in_and_contribute_through_the_pages(dep, repo, client):
    backdated(repo)
    page = client.get("/consultations/c1").get_data(as_text=True)
    assert 'href="/consultations/c1/register"' in page
    before = git_log(dep)
    r = register_form(client, lang="fr")
    assert r.status_code == 200 and "Consultez votre messagerie" in r.get_data(as_text=True)
    (msg,) = queued(dep)
    assert msg["To"] == "lea@example.org" and msg["Subject"] == "Confirmez votre inscription : ~lea"
    assert msg["Content-Language"] == "fr" and "Consultation sur le plan" in msg.get_content()
    path = link_in(msg)
    assert git_log(dep) == before and "lea@example.org" not in git_log(dep)  # nothing in git before confirming
    html = client.get(path).get_data(as_text=True)
    assert "~lea" in html and participants.Participants(dep).get("lea") is None  # GET makes nothing
    r = client.post(path, data={"csrf_token": csrf(html)})
    assert r.status_code == 302 and r.headers["Location"].startswith("/consultations/c1")
    page = client.get("/consultations/c1").get_data(as_text=True)
    assert "~lea" in page and "contribute-form" in page
    r = client.post("/consultations/c1/contributions",
                    data={"csrf_token": csrf(page), "commitment": "engagement-01", "body": "Publier les données."})
    assert r.status_code == 302
    (x,) = cons.contributions(repo, "c1", cons.get(repo, "c1"))
    assert x.author == "~lea"
    log = git_log(dep)
    assert "~lea" in log and "lea@example.org" not in log  # in git a participant is their pseudonym only
    report = verify.verify(repo.path)
    assert report.clean, report.text()
    assert "register-form" not in client.get("/consultations/c1/register").get_data(as_text=True)  # signed in
    again = client.application.test_client()
    r = again.get(path)
    assert r.status_code == 409 and "~lea" in r.get_data(as_text=True)  # used: a clear page


def test_the_message_is_in_the_pages_language(dep, repo, client):
    backdated(repo)
    assert register_form(client, lang="en").status_code == 200
    (msg,) = queued(dep)
    assert msg["Subject"] == "Confirm your registration: ~lea" and msg["Content-Language"] == "en"
    assert "Consultation on the plan" in msg.get_content() and "48 hours" in msg.get_content()


def test_the_page_says_the_same_whether_the_address_is_known(dep, repo, client):
    backdated(repo)
    participants.Participants(dep).add(people(repo)["claire"], "lea", email="lea@example.org")
    known = register_form(client, lang="en", pseudonym="leo").get_data(as_text=True)
    fresh = register_form(client.application.test_client(), lang="en", pseudonym="zoe",
                          email="zoe@example.org").get_data(as_text=True)
    strip = lambda html: re.sub(r'value="[^"]*"', "", html)  # noqa: E731
    assert strip(known) == strip(fresh) and "Check your mailbox" in known
    reminder, link = queued(dep)[0], queued(dep)[1]
    assert {reminder["To"], link["To"]} == {"lea@example.org", "zoe@example.org"}
    msgs = {m["To"]: m for m in queued(dep)}
    assert "/participants/confirm/" not in msgs["lea@example.org"].get_content()  # a reminder, not a second account
    assert "~lea" in msgs["lea@example.org"].get_content()
    assert participants.Participants(dep).get("leo") is None


@pytest.mark.parametrize("fields, status, fr", [
    ({"pseudonym": "A b"}, 400, "n'est pas un pseudonyme"),
    ({"pseudonym": "claire"}, 409, "est pris"),
    ({"email": "lea@"}, 400, "adresse"),
    ({"password": "court"}, 400, "trop court"),
    ({"again": "autre chose"}, 400, "diffèrent"),
])
def test_the_form_refuses_with_a_clear_message_and_keeps_nothing(dep, repo, client, fields, status, fr):
    backdated(repo)
    r = register_form(client, **fields)
    assert r.status_code == status and fr in html.unescape(r.get_data(as_text=True))
    assert queued(dep) == [] and registrations.Registrations(participants.Participants(dep)).get("lea") is None


def test_the_form_needs_its_csrf_token_and_an_open_consultation(dep, repo, client):
    backdated(repo)
    r = client.post("/consultations/c1/register", data={"pseudonym": "lea", "email": "lea@example.org",
                                                           "password": "un mot de passe", "again": "un mot de passe"})
    assert r.status_code == 302 and queued(dep) == []
    cons.close(repo, people(repo)["claire"], "c1", None)
    html = client.get("/consultations/c1/register").get_data(as_text=True)
    assert "register-form" not in html and "n'est pas ouverte" in unescape(html)
    assert 'href="/consultations/c1/register"' not in client.get("/consultations/c1").get_data(as_text=True)
    token = csrf(client.get("/signin").get_data(as_text=True))
    r = client.post("/consultations/c1/register", data={"csrf_token": token, "pseudonym": "lea",
                                                       "email": "lea@example.org", "password": "un mot de passe",
                                                       "again": "un mot de passe"})
    assert r.status_code == 409 and queued(dep) == []
    assert client.get("/consultations/nope/register").status_code == 404


def test_forged_and_expired_links_show_a_clear_page(dep, repo, client, monkeypatch):
    backdated(repo)
    register_form(client)
    path = link_in(queued(dep)[0])
    r = client.get(path[:-4] + "AAAA")
    assert r.status_code == 400 and "pas valide" in unescape(r.get_data(as_text=True))
    monkeypatch.setattr(registrations.time, "time", lambda: 4_000_000_000.0)
    r = client.get(path)
    assert r.status_code == 400 and "expiré" in unescape(r.get_data(as_text=True))
    assert participants.Participants(dep).get("lea") is None


def test_the_form_is_throttled_per_client(dep, repo, client):
    backdated(repo)
    store = accounts.Accounts(dep)
    for _ in range(accounts.REGISTRATION_POLICY.free + 1):
        store.record_failure("register:address:127.0.0.1")
    r = register_form(client)
    assert r.status_code == 429 and "réessayez dans" in unescape(r.get_data(as_text=True)) and queued(dep) == []


# -- the JSON API -------------------------------------------------------------------------------------

def test_api_register_then_confirm(dep, repo, client):
    backdated(repo)
    r = client.post("/api/v1/consultations/c1/register",
                    json={"pseudonym": "lea", "email": "lea@example.org", "password": "un mot de passe", "lang": "en"})
    assert r.status_code == 202 and r.get_json() == {"status": "confirmation sent"}
    (msg,) = queued(dep)
    assert msg["Subject"] == "Confirm your registration: ~lea"
    for body, status, code in [
        ({"pseudonym": "lea", "email": "x@example.org", "password": "un mot de passe"}, 409, "participant.taken"),
        ({"pseudonym": "zoe", "email": "nope", "password": "un mot de passe"}, 400, "participant.bad_email"),
        ({"pseudonym": "zoe", "email": "zoe@example.org", "password": "court"}, 400, "account.password_short"),
        ({"pseudonym": "zoe", "email": "zoe@example.org"}, 400, "registration.no_password"),
        ({"pseudonym": "Zo e", "email": "zoe@example.org", "password": "un mot de passe"}, 400,
         "participant.bad_pseudonym"),
    ]:
        r = client.post("/api/v1/consultations/c1/register", json=body)
        assert r.status_code == status and r.get_json()["code"] == code and r.get_json()["error"], body
    r = client.post("/api/v1/consultations/c1/register", json={"pseudonym": "zoe", "who": 1})
    assert r.status_code == 400
    assert client.post("/api/v1/consultations/nope/register", json={}).status_code == 404
    cons.close(repo, people(repo)["claire"], "c1", None)
    r = client.post("/api/v1/consultations/c1/register",
                    json={"pseudonym": "zoe", "email": "zoe@example.org", "password": "un mot de passe"})
    assert r.status_code == 409 and r.get_json()["code"] == "registration.not_open"
    assert len(queued(dep)) == 1


def test_api_throttle_answers_429(dep, repo, client):
    backdated(repo)
    store = accounts.Accounts(dep)
    for _ in range(accounts.REGISTRATION_POLICY.free + 1):
        store.record_failure("register:address:127.0.0.1")
    r = client.post("/api/v1/consultations/c1/register",
                    json={"pseudonym": "lea", "email": "lea@example.org", "password": "un mot de passe"})
    assert r.status_code == 429 and r.get_json()["code"] == "registration.throttled"
    assert "Retry-After" in r.headers


# -- a real SMTP server -------------------------------------------------------------------------------

def test_the_link_reaches_a_real_smtp_server_and_works(dep, repo, client, smtp):  # noqa: F811
    backdated(repo)
    assert register_form(client).status_code == 200
    report = mailer.send(dep, settings_for(dep, smtp))
    assert report.sent == 1
    (m,) = smtp.messages
    assert m["To"] == "lea@example.org" and "List-Unsubscribe" not in m
    path = link_in(m)
    html = client.get(path).get_data(as_text=True)
    r = client.post(path, data={"csrf_token": csrf(html)})
    assert r.status_code == 302
    assert "~lea" in client.get("/consultations/c1").get_data(as_text=True)
    assert participants.Participants(dep).get("lea").email == "lea@example.org"
