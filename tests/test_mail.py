"""E-mail (issue 18): preferences, the outbox, and sending to a REAL SMTP server (aiosmtpd,
started here on a free port of 127.0.0.1). Notifications are real `Notification` records, as
review.notifications gives them."""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller

from review import comments, commitment, mailer, mailprefs, notifications
from review.mailprefs import MailPrefs
from review.notifications import KINDS, Notification

from .conftest import ROOT
from .test_people import _csrf, sign_in

BASE = "https://plan.example.org"
CID = "engagement-02"
DAY = 1_780_000_000.0  # 2026-05-28 (UTC), a fixed clock


# -- a real SMTP server ----------------------------------------------------------------------

class Collector:
    """Keeps what the server accepted; refuses RCPT for the addresses in `refuse` with 550."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse: set[str] = set()
        self.lock = threading.Lock()
        self.delay = 0.0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            import asyncio
            await asyncio.sleep(self.delay)
        with self.lock:
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content,
                                                          policy=email.policy.default))
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SMTPServer:
    def __init__(self, **options):
        self.port = _free_port()
        self.collector = Collector()
        self.controller = None
        self.options = options

    def start(self):
        self.controller = Controller(self.collector, hostname="127.0.0.1", port=self.port, **self.options)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self):
        return self.collector.messages


@pytest.fixture
def smtp():
    server = SMTPServer()
    server.start()
    yield server
    server.stop()


def settings_for(dep, smtp=None, **more) -> mailer.Settings:
    values = {"BASE_URL": BASE, "MAIL_FROM": "Plan ouvert <plan@example.org>"}
    if smtp is not None:
        values.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
    values.update(more)
    return mailer.read_settings(dep, values)


def note(id, handle="karim", kind="reply", thread="comment/c1", actor="antoine", **more) -> Notification:
    return Notification(id=id, handle=handle, kind=kind, time=more.pop("time", "2026-05-28T10:00:00Z"), actor=actor,
                        event=f"e{id}", thread=thread, path=more.pop("path", f"/commitments/{CID}#comment-c{id}"),
                        title=more.pop("title", {"fr": "Engagement 2 : données des marchés publics",
                                                 "en": "Commitment 2: public procurement data"}),
                        excerpt=more.pop("excerpt", "Les annonces du BOAMP, dès cette année."), **more)


def confirmed(dep, handle="karim", address=None, lang="fr"):
    MailPrefs(dep.instance_path).set_confirmed(handle, address or f"{handle}@example.org", lang)


def run(dep, settings, notes, now=DAY):
    report = mailer.queue(dep, notes, settings, now)
    report.add(mailer.digest(dep, settings, now))
    return report.add(mailer.send(dep, settings, now))


# -- messages, headers, threading, links, unsubscribe --------------------------------------------

def test_a_reply_is_sent_at_once_with_its_headers_threading_and_links(dep, client, smtp):
    confirmed(dep, "karim")
    s = settings_for(dep, smtp)
    report = run(dep, s, [note(1), note(2, excerpt="Et les avis d'attribution ?")])
    assert report.sent == 2 and report.failed == report.retrying == 0
    first, second = smtp.messages
    assert smtp.collector.envelopes[0] == ("plan@example.org", ["karim@example.org"])
    assert first["From"] == "Plan ouvert <plan@example.org>" and first["To"] == "karim@example.org"
    assert first["Subject"] == "@antoine vous a répondu : Engagement 2 : données des marchés publics"
    assert first["Auto-Submitted"] == "auto-generated" and first["Content-Language"] == "fr"
    assert first["Message-ID"] != second["Message-ID"]
    assert re.fullmatch(r"<[^<>@\s]+@example\.org>", first["Message-ID"])
    # one discussion: both refer to the same stable id, so mail clients thread them
    assert first["In-Reply-To"] == second["In-Reply-To"] == first["References"] == second["References"]
    assert first["In-Reply-To"] not in (first["Message-ID"], second["Message-ID"])
    other = mailer.notification_message(s, MailPrefs(dep.instance_path).get("karim"), note(3, thread="comment/c9"), DAY)
    assert other["In-Reply-To"] != first["In-Reply-To"]
    # RFC 8058
    unsub = first["List-Unsubscribe"]
    assert re.fullmatch(r"<https://plan\.example\.org/unsubscribe/[^>]+>", unsub)
    assert first["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    body = first.get_content()
    assert "« Les annonces du BOAMP, dès cette année. »" in body
    link = f"{BASE}/commitments/{CID}#comment-c1"
    assert f"Voir : {link}" in body and unsub[1:-1] in body
    # the link leads to the thing
    assert client.get(urlsplit(link).path).status_code == 200
    # the one-click POST of a mail client: no session, no CSRF token; it changes that one preference
    path = urlsplit(unsub[1:-1]).path
    assert MailPrefs(dep.instance_path).get("karim").mode("reply") == "now"
    page = client.get(path)
    assert page.status_code == 200 and "Ne plus recevoir ces messages" in page.get_data(as_text=True)
    assert MailPrefs(dep.instance_path).get("karim").mode("reply") == "now"  # GET changes nothing
    fresh = client.application.test_client()
    r = fresh.post(path, data={"List-Unsubscribe": "One-Click"})
    assert r.status_code == 200
    prefs = MailPrefs(dep.instance_path).get("karim")
    assert prefs.mode("reply") == "never" and prefs.mode("mention") == "now"
    # and no more replies
    assert run(dep, s, [note(4)]).sent == 0 and len(smtp.messages) == 2


def test_a_forged_or_altered_unsubscribe_link_changes_nothing(dep, client):
    s = settings_for(dep)
    token = mailprefs.unsubscribe_token(s.secret, "karim", "reply")
    for bad in (token[:-2] + "xx", token.replace("reply", "mention"), "karim.reply.", "../x",
                mailprefs.unsubscribe_token("another secret", "karim", "reply")):
        r = client.post(f"/unsubscribe/{bad}")
        assert r.status_code in (400, 404), bad
    assert MailPrefs(dep.instance_path).get("karim").mode("reply") == "now"
    assert client.get(f"/unsubscribe/{token[:-2]}xx?lang=en").status_code == 400


def test_messages_are_in_each_persons_language(dep, smtp):
    confirmed(dep, "karim", lang="fr")
    confirmed(dep, "sophie", lang="en")
    s = settings_for(dep, smtp)
    run(dep, s, [note(1, "karim"), note(2, "sophie", kind="mention", actor="karim")])
    by_to = {m["To"]: m for m in smtp.messages}
    fr, en = by_to["karim@example.org"], by_to["sophie@example.org"]
    assert fr["Subject"].startswith("@antoine vous a répondu") and "Voir :" in fr.get_content()
    assert en["Subject"] == "@karim mentioned you: Commitment 2: public procurement data"
    assert en["Content-Language"] == "en"
    body = en.get_content()
    assert "See: https://plan.example.org/commitments/" in body and "Stop receiving messages for mentions" in body


def test_daily_kinds_wait_for_one_digest_per_person_per_day(dep, client, smtp):
    confirmed(dep, "karim")
    s = settings_for(dep, smtp)
    assert MailPrefs(dep.instance_path).get("karim").mode("amendment") == "daily"  # the default
    notes = [note(1, kind="amendment", thread="amendment/3", path="/amendments/3", title={"fr": "Amendement 3"}),
             note(2, kind="approval", thread="amendment/3", path="/amendments/3", title={"fr": "Amendement 3"}),
             note(3, kind="merge", thread="amendment/4", path="/amendments/4", title={"fr": "Amendement 4"})]
    report = run(dep, s, notes)
    assert report.held == 3 and report.sent == 0 and smtp.messages == []
    assert mailer.digest(dep, s, DAY + 3600).digests == 0  # the day is not over
    later = DAY + 86400
    assert mailer.digest(dep, s, later).digests == 1
    assert mailer.send(dep, s, later).sent == 1
    (m,) = smtp.messages
    assert m["Subject"] == "Votre résumé du 2026-05-28 : 3 notification(s)"
    body = m.get_content()
    assert body.count("https://plan.example.org/amendments/3") == 2 and "/amendments/4" in body
    assert "Approbation de @antoine : Amendement 3" in body
    # the digest's one-click unsubscribe stops every daily kind
    r = client.application.test_client().post(urlsplit(m["List-Unsubscribe"][1:-1]).path)
    assert r.status_code == 200
    modes = MailPrefs(dep.instance_path).get("karim").modes
    assert modes["amendment"] == modes["approval"] == modes["merge"] == "never" and modes["reply"] == "now"
    assert mailer.digest(dep, s, later + 86400).digests == 0  # sent once


def test_never_sends_nothing_and_the_cursor_moves_on(dep, smtp):
    confirmed(dep, "karim")
    MailPrefs(dep.instance_path).set_modes("karim", {k: "never" for k in KINDS})
    s = settings_for(dep, smtp)
    report = run(dep, s, [note(1), note(2, kind="merge")])
    assert report.skipped == 2 and report.sent == 0 and smtp.messages == []
    assert mailer.cursor(dep) == 2
    assert list(mailer.Outbox(dep.instance_path).folder("daily").iterdir()) == []


def test_queueing_twice_is_harmless(dep):
    confirmed(dep, "karim")
    s = settings_for(dep)
    assert mailer.queue(dep, [note(1), note(2)], s, DAY).queued == 2
    assert mailer.queue(dep, [note(1), note(2)], s, DAY).queued == 0  # the cursor
    db = MailPrefs(dep.instance_path).connect()
    db.execute("UPDATE cursor SET last_id = 0")  # as if the cursor's transaction had been lost
    db.close()
    assert mailer.queue(dep, [note(1), note(2)], s, DAY).queued == 0  # the files' exclusive names
    assert len(mailer.Outbox(dep.instance_path).waiting()) == 2


def test_an_unconfirmed_address_gets_nothing_but_its_confirmation(dep, client, smtp):
    sign_in(client, "karim")
    html = client.get("/people/karim").get_data(as_text=True)
    r = client.post("/people/karim/email", data={"csrf_token": _csrf(html), "address": "karim@example.org",
                                                 "lang": "fr"}, follow_redirects=True)
    assert "Un lien de confirmation part vers karim@example.org" in r.get_data(as_text=True)
    assert "karim@example.org attend sa confirmation" in r.get_data(as_text=True)
    s = settings_for(dep, smtp)
    report = run(dep, s, [note(1)])
    assert report.skipped == 1 and report.sent == 1
    (m,) = smtp.messages
    assert m["Subject"] == "Confirmez votre adresse électronique" and m["To"] == "karim@example.org"
    assert "List-Unsubscribe" not in m  # not a list message: nothing to unsubscribe from
    url = re.search(r"https?://\S+/email/confirm/\S+", m.get_content()).group(0)
    path = urlsplit(url).path
    assert "karim@example.org" in client.get(path).get_data(as_text=True)
    assert MailPrefs(dep.instance_path).get("karim").address is None  # GET confirms nothing
    r = client.application.test_client().post(path)
    assert r.status_code == 200 and "est confirmée" in r.get_data(as_text=True)
    assert MailPrefs(dep.instance_path).get("karim").address == "karim@example.org"
    assert run(dep, s, [note(2)]).sent == 1 and smtp.messages[-1]["Subject"].startswith("@antoine vous a répondu")
    assert client.application.test_client().post(path).status_code == 400  # used


def test_a_new_address_invalidates_the_old_link_and_keeps_the_confirmed_one(dep, client):
    store = MailPrefs(dep.instance_path)
    confirmed(dep, "karim", "old@example.org")
    s = settings_for(dep)
    store.set_address("karim", "first@example.org")
    first = mailprefs.confirm_token(s.secret, "karim", "first@example.org")
    store.set_address("karim", "second@example.org")
    assert client.post(f"/email/confirm/{first}").status_code == 400
    assert store.get("karim").address == "old@example.org"  # still used until the new one is confirmed
    expired = mailprefs.confirm_token(s.secret, "karim", "second@example.org", now=time.time() - 8 * 86400)
    r = client.post(f"/email/confirm/{expired}?lang=en")
    assert r.status_code == 400 and "expired" in r.get_data(as_text=True)
    ok = mailprefs.confirm_token(s.secret, "karim", "second@example.org")
    assert client.post(f"/email/confirm/{ok}").status_code == 200
    assert store.get("karim").address == "second@example.org" and store.get("karim").pending is None


def test_confirmation_messages_are_limited_per_day(dep, client):
    sign_in(client, "karim")
    html = client.get("/people/karim").get_data(as_text=True)
    for i in range(mailprefs.CONFIRMATIONS_PER_DAY):
        client.post("/people/karim/email", data={"csrf_token": _csrf(html), "address": f"k{i}@example.org"})
    r = client.post("/people/karim/email", data={"csrf_token": _csrf(html), "address": "stranger@example.org"},
                    follow_redirects=True)
    assert "vous avez déjà demandé 5 messages de confirmation aujourd&#39;hui" in r.get_data(as_text=True)
    box = mailer.Outbox(dep.instance_path)
    assert len(box.waiting()) == 5 and b"stranger" not in b"".join(p.read_bytes() for p in box.waiting())
    assert MailPrefs(dep.instance_path).get("karim").pending == "k4@example.org"
    MailPrefs(dep.instance_path).set_address("karim", "stranger@example.org", now=time.time() + 86400)  # tomorrow


# -- sending: retries, refusals, claims ----------------------------------------------------------

def test_server_down_keeps_the_message_and_retries_with_backoff(dep, smtp):
    confirmed(dep, "karim")
    s = settings_for(dep, smtp)
    smtp.stop()
    report = run(dep, s, [note(1), note(2)])
    assert report.sent == 0 and report.retrying == 1  # the server is down: the round stops at once
    box = mailer.Outbox(dep.instance_path)
    assert len(box.waiting()) == 2
    state = json.loads((box.folder("queue") / f"{mailer.key_of(note(1))}.retry").read_text())
    assert state["attempts"] == 1 and state["next"] == DAY + mailer.RETRY_FIRST
    report = mailer.send(dep, s, DAY + mailer.RETRY_FIRST + 1)  # still down: the wait doubles
    state = json.loads((box.folder("queue") / f"{mailer.key_of(note(1))}.retry").read_text())
    assert state["attempts"] == 2 and state["next"] == DAY + mailer.RETRY_FIRST + 1 + 2 * mailer.RETRY_FIRST
    smtp.start()
    assert mailer.send(dep, s, DAY + 90).sent == 1  # message 1 waits for its time; message 2 goes
    assert mailer.send(dep, s, DAY + 3600).sent == 1
    assert sorted(m["Message-ID"] for m in smtp.messages) == sorted(
        set(m["Message-ID"] for m in smtp.messages)) and len(smtp.messages) == 2
    assert box.waiting() == [] and not list(box.folder("queue").glob("*.retry"))
    assert len(list(box.folder("sent").iterdir())) == 2


def test_a_permanent_refusal_moves_the_message_to_failed_with_the_reason(dep, smtp):
    confirmed(dep, "karim")
    confirmed(dep, "sophie")
    smtp.collector.refuse.add("karim@example.org")
    s = settings_for(dep, smtp)
    report = run(dep, s, [note(1, "karim"), note(2, "sophie")])
    assert report.failed == 1 and report.sent == 1
    box = mailer.Outbox(dep.instance_path)
    key = mailer.key_of(note(1, "karim"))
    assert (box.folder("failed") / f"{key}.eml").is_file()
    assert "550" in (box.folder("failed") / f"{key}.reason").read_text()
    assert [m["To"] for m in smtp.messages] == ["sophie@example.org"]
    assert mailer.send(dep, s, DAY + 86400).sent == 0  # never tried again


def test_a_claim_left_by_a_dead_process_returns_to_the_queue(dep, smtp):
    confirmed(dep, "karim")
    s = settings_for(dep, smtp)
    mailer.queue(dep, [note(1)], s, DAY)
    box = mailer.Outbox(dep.instance_path)
    (path,) = box.waiting()
    claimed = box.folder("sending") / f"{path.name}@deadhost-1-{int(DAY * 1000)}"
    os.rename(path, claimed)
    assert mailer.send(dep, s, DAY + 10).sent == 0  # a live claim is left alone
    assert mailer.send(dep, s, DAY + mailer.CLAIM_TIMEOUT + 1).sent == 1
    assert len(smtp.messages) == 1 and not list(box.folder("sending").iterdir())


def test_without_a_server_messages_become_eml_files(dep):
    confirmed(dep, "karim")
    s = settings_for(dep)
    assert s.server is None and s.folder == str(dep.root / "outbox")
    assert run(dep, s, [note(1)]).sent == 1
    (f,) = (dep.root / "outbox").glob("*.eml")
    raw = f.read_bytes()  # one raw <URL> a mail client can use, and a body readable as it is
    assert re.search(rb"\r\nList-Unsubscribe: <https://plan\.example\.org/unsubscribe/karim\.reply\.[\w-]+>\r\n", raw)
    assert "« Les annonces du BOAMP, dès cette année. »".encode() in raw
    m = email.message_from_bytes(f.read_bytes(), policy=email.policy.default)
    assert m["To"] == "karim@example.org" and m["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_the_server_login_is_used_and_a_missing_login_keeps_the_message(dep):
    from aiosmtpd.smtp import AuthResult

    def check(server, session, envelope, mechanism, auth_data):
        login, password = (v.decode() if isinstance(v, bytes) else v for v in (auth_data.login, auth_data.password))
        return AuthResult(success=(login, password) == ("plan", "s3cret"))
    server = SMTPServer(authenticator=check, auth_required=True, auth_require_tls=False)
    server.start()
    try:
        confirmed(dep, "karim")
        report = run(dep, settings_for(dep, server), [note(1)])  # no MAIL_USERNAME: 530, a setting to fix
        assert report.sent == report.failed == 0 and report.retrying == 1 and "530" in report.errors[0]
        right = settings_for(dep, server, MAIL_USERNAME="plan", MAIL_PASSWORD="s3cret")
        assert mailer.send(dep, right, DAY + 3600).sent == 1
        assert [m["To"] for m in server.messages] == ["karim@example.org"]
    finally:
        server.stop()


def _write_config(dep, **values):
    with open(dep.instance_path / "config.py", "a") as f:
        for k, v in values.items():
            f.write(f"{k} = {v!r}\n")


def test_review_notify_needs_base_url_and_reports_what_it_did(dep):
    cmd = [sys.executable, "-m", "review", "notify", str(dep.root)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    assert r.returncode == 1 and "BASE_URL" in r.stderr
    _write_config(dep, BASE_URL=BASE, MAIL_PORT="25")
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    assert r.returncode == 1 and "MAIL_PORT" in r.stderr
    r = subprocess.run([*cmd, "--interval", "0"], capture_output=True, text=True, env=env, cwd=ROOT)
    assert r.returncode == 2 and "between 1 and 86400" in r.stderr


def test_old_news_is_not_mailed_but_moves_the_cursor(dep, smtp):
    """A first `review notify` on an instance with a long history (or one that did not run for
    days) mails no backlog: a notification more than three days old stays on /notifications."""
    confirmed(dep, "karim")
    s = settings_for(dep, smtp)
    old = note(1, time="2026-05-24T10:00:00Z")      # four days before DAY
    recent = note(2, time="2026-05-26T10:00:00Z")   # two days before
    report = run(dep, s, [old, recent])
    assert report.skipped == 1 and len(smtp.collector.messages) == 1
    assert mailer.cursor(dep) == 2


@pytest.mark.slow
def test_two_review_notify_processes_send_each_message_exactly_once(dep, smtp):
    people = ("claire", "antoine", "ines", "sophie", "karim")
    for h in people:
        confirmed(dep, h)
    _write_config(dep, BASE_URL=BASE, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, MAIL_FROM="plan@example.org")
    s = mailer.read_settings(dep)
    fresh = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    mailer.queue(dep, [note(i, people[i % 5], thread=f"comment/c{i % 7}", time=fresh) for i in range(1, 51)], s)
    assert len(mailer.Outbox(dep.instance_path).waiting()) == 50
    smtp.collector.delay = 0.01  # a server that takes its time: the two overlap for sure
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-m", "review", "notify", str(dep.root)], env=env, cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    ids = [m["Message-ID"] for m in smtp.messages]
    assert len(ids) == 50 and len(set(ids)) == 50
    sent = [int(re.search(r"sent (\d+)", out).group(1)) for out, _err in outs]
    assert sum(sent) == 50, outs
    box = mailer.Outbox(dep.instance_path)
    assert box.waiting() == [] and len(list(box.folder("sent").glob("*.eml"))) == 50
    assert not list(box.folder("sending").iterdir())


# -- the profile page: address, language, preferences; privacy ----------------------------------

def test_the_profile_sets_address_language_and_preferences_in_french_and_english(dep, client):
    sign_in(client, "karim")
    html = client.get("/people/karim").get_data(as_text=True)
    assert 'id="email-title">Courriel<' in html and "Ce qu'on vous envoie, et quand" in html
    assert re.search(r'name="reply" value="now" id="mode-reply-now"\s+aria-labelledby="[^"]*" checked', html)
    r = client.post("/people/karim/email", data={"csrf_token": _csrf(html), "address": "pas une adresse",
                                                 "lang": "fr"}, follow_redirects=True)
    assert "n&#39;est pas une adresse électronique" in r.get_data(as_text=True)
    assert MailPrefs(dep.instance_path).get("karim").pending is None
    r = client.post("/people/karim/email/preferences",
                    data={"csrf_token": _csrf(html), "reply": "daily", "merge": "now", "mention": "never"},
                    follow_redirects=True)
    assert "Vos préférences sont enregistrées." in r.get_data(as_text=True)
    modes = MailPrefs(dep.instance_path).get("karim").modes
    assert (modes["reply"], modes["merge"], modes["mention"], modes["report"]) == ("daily", "now", "never", "daily")
    r = client.post("/people/karim/email/preferences", data={"csrf_token": _csrf(html), "reply": "sometimes"},
                    follow_redirects=True)
    assert "une préférence est now" in r.get_data(as_text=True)
    assert MailPrefs(dep.instance_path).get("karim").mode("reply") == "daily"
    r = client.post("/people/karim/email/preferences", data={"reply": "never"})  # no CSRF token
    assert MailPrefs(dep.instance_path).get("karim").mode("reply") == "daily"
    client.get("/lang/en")
    en = client.get("/people/karim").get_data(as_text=True)
    assert 'id="email-title">E-mail<' in en and "What to send you, and when" in en
    r = client.post("/people/karim/email", data={"csrf_token": _csrf(en), "address": "karim@example.org",
                                                 "lang": "en"}, follow_redirects=True)
    assert "A confirmation link is on its way to karim@example.org" in r.get_data(as_text=True)
    assert MailPrefs(dep.instance_path).get("karim").lang == "en"
    (queued,) = mailer.Outbox(dep.instance_path).waiting()
    m = email.message_from_bytes(queued.read_bytes(), policy=email.policy.default)
    assert m["Subject"] == "Confirm your e-mail address"


def test_nobody_else_sees_or_changes_an_address(dep, client):
    confirmed(dep, "karim", "karim.secret@example.org")
    MailPrefs(dep.instance_path).set_address("karim", "karim.pending@example.org")
    pages = ["/people/karim", "/people", "/api/v1/people", f"/commitments/{CID}", "/"]
    for url in pages:  # anonymous
        assert "karim.secret" not in client.get(url).get_data(as_text=True), url
        assert "karim.pending" not in client.get(url).get_data(as_text=True), url
    sign_in(client, "sophie")
    for url in pages:
        body = client.get(url).get_data(as_text=True)
        assert "karim.secret" not in body and "karim.pending" not in body, url
    html = client.get("/people/sophie").get_data(as_text=True)
    r = client.post("/people/karim/email", data={"csrf_token": _csrf(html), "address": "evil@example.org"})
    assert r.status_code == 403
    r = client.post("/people/karim/email/preferences", data={"csrf_token": _csrf(html), "reply": "never"})
    assert r.status_code == 403
    assert MailPrefs(dep.instance_path).get("karim").pending == "karim.pending@example.org"
    assert MailPrefs(dep.instance_path).get("karim").mode("reply") == "now"
    # and it is not in git
    assert b"karim.secret" not in subprocess.run(["git", "--git-dir", str(dep.repo_path), "log", "--all", "-p"],
                                                 capture_output=True).stdout
    sign_in(client, "karim")
    assert "karim.secret@example.org" in client.get("/people/karim").get_data(as_text=True)


def test_demo_writes_readable_messages(tmp_path):
    from review import accounts, demo, deployment
    d, _ = deployment.init(tmp_path / "demo")
    accounts.create_demo_accounts(d)
    demo.seed(d)
    lines = demo.seed_mail(d)
    files = sorted((d.root / "outbox").glob("*.eml"))
    assert len(files) >= 3 and lines
    msgs = [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]
    assert any(m["To"] == "karim@example.org" for m in msgs)
    assert all(m["List-Unsubscribe"] and m["Message-ID"] for m in msgs)
    assert any("Votre résumé" in m["Subject"] or "digest" in m["Subject"] for m in msgs)


@pytest.mark.slow
def test_review_notify_loop_sends_what_comes_and_stops_on_sigterm(dep, smtp):
    import signal
    confirmed(dep, "karim")
    _write_config(dep, BASE_URL=BASE, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "review", "notify", str(dep.root), "--loop", "--interval", "1"],
                            env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.5)
        assert proc.poll() is None and smtp.messages == []
        fresh = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        mailer.queue(dep, [note(1, time=fresh)], mailer.read_settings(dep))  # as a round's catch-up would
        for _ in range(100):
            if smtp.messages:
                break
            time.sleep(0.1)
        assert [m["To"] for m in smtp.messages] == ["karim@example.org"]
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "sent 1" in out


def test_a_comment_in_git_reaches_a_watcher_by_mail_through_review_notify(dep, smtp):
    """The whole way: a watch, a comment written in git, one `review notify` round (catch-up of
    the notifications, queue, send) and the message at the SMTP server, linking to the comment."""
    repo = dep.open_repo()
    people = commitment.read_plan(repo, repo.resolve("main")).people
    confirmed(dep, "karim")
    notifications.set_watch(dep, people["karim"], "commitment/engagement-06", True)
    c = comments.add(repo, people["lucie"], "engagement-06", "Quel calendrier pour @karim ?")
    _write_config(dep, BASE_URL=BASE, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-m", "review", "notify", str(dep.root)], capture_output=True, text=True,
                       env=env, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    [msg] = smtp.messages
    assert msg["To"] == "karim@example.org"
    body = msg.get_body(("plain",)).get_content()
    assert f"{BASE}/commitments/engagement-06#" in body and c.id in body
    assert "Quel calendrier" in body
    # a second round sends nothing again
    r = subprocess.run([sys.executable, "-m", "review", "notify", str(dep.root)], capture_output=True, text=True,
                       env=env, cwd=ROOT, timeout=120)
    assert r.returncode == 0 and len(smtp.messages) == 1


def test_every_mail_setting_is_documented():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name, _default, _meaning in mailer.SETTINGS:
        assert f"`{name}`" in readme or f"`{name}`," in readme, name
