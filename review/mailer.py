"""E-mail: notifications become messages in an outbox, and `review notify` sends them.

Nothing is ever sent inside a web request: a request at most writes a message file (the
confirmation of an address). The outbox is a folder of the instance, one file per message:

    instance/outbox/queue/<key>.eml      waiting to be sent (<key>.retry beside it: when to try again)
    instance/outbox/sending/<key>.eml@<claim>  claimed by one `review notify` process (atomic rename)
    instance/outbox/sent/<key>.eml       sent
    instance/outbox/failed/<key>.eml     refused for good (<key>.reason beside it: why)
    instance/outbox/daily/<day>/<handle>/<id>.json   notifications waiting for that person's digest
    instance/outbox/tmp/                 files being written

A message's key comes from what it carries (`n<id>-<handle>`, `digest-<day>-<handle>`,
`confirm-<handle>-<digest>`), and a message enters queue/ by an exclusive link of a file written
with O_EXCL: queueing the same thing twice is harmless. Which notifications were queued is a
cursor (the last notification id) in instance/mail.sqlite, advanced in the same transaction.

Each message is sent once even when two `review notify` run at once: a process claims a file by
renaming it into sending/ under a name of its own (only one rename can succeed), and moves it to
sent/ once the SMTP server accepted it. A claim older than CLAIM_TIMEOUT (a process killed while
sending) goes back to the queue. A server that is down or answers 4xx: the message stays, and is
tried again after 1, 2, 4... minutes (at most 6 hours between tries, for at most 3 days); a 5xx
refusal moves it to failed/ with the server's answer.

The texts of messages are a small catalogue here (French and English), not the web's gettext
catalogue: the core imports no Flask, and a message is written in its recipient's language
whatever language the sender's page was in.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.policy
import email.utils
import hashlib
import json
import os
import smtplib
import socket
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

from . import mailprefs, notifications
from .errors import Invalid
from .mailprefs import MailPrefs, Recipient
from .notifications import KINDS, Notification

OUTBOX = "outbox"
CLAIM_TIMEOUT = 600          # s: a claim older than this was left by a process that died
SMTP_TIMEOUT = 60            # s: well under CLAIM_TIMEOUT, so a live claim is never taken back
RETRY_FIRST = 60             # s before the first retry, doubled after each failure
RETRY_MAX = 6 * 3600
GIVE_UP = 3 * 24 * 3600      # s of failures after which a message goes to failed/
TMP_MAX_AGE = 3600
CURSOR = "notifications"
STALE = 3 * 24 * 3600        # s: a notification older than this when first queued stays on /notifications only
EXCERPT_MAX = 300
# CRLF, headers folded at 78 columns, except those set raw (List-Unsubscribe: a long URL must stay
# one readable <...>, never RFC 2047 encoded words, or mail clients cannot use it).
POLICY = email.policy.SMTP.clone(refold_source="none")

# Settings read from DIR/instance/config.py: (name, default, meaning); README documents each.
SETTINGS = (
    ("MAIL_SERVER", None, "the SMTP server; None: messages are written as .eml files into MAIL_FOLDER"),
    ("MAIL_PORT", 25, "its port (587 for STARTTLS submission)"),
    ("MAIL_USE_TLS", False, "STARTTLS before logging in"),
    ("MAIL_USERNAME", None, "login, when the server asks for one"),
    ("MAIL_PASSWORD", None, "its password"),
    ("MAIL_FROM", "review@localhost", "the From address of every message"),
    ("MAIL_FOLDER", None, "where .eml files go without MAIL_SERVER (default: DIR/outbox/)"),
    ("BASE_URL", None, "the site's public address: links in messages start with it (needed)"),
)


@dataclass(frozen=True)
class Settings:
    base_url: str
    secret: str
    mail_from: str = "review@localhost"
    server: str | None = None
    port: int = 25
    use_tls: bool = False
    username: str | None = None
    password: str | None = None
    folder: str | None = None     # .eml files when there is no server

    @property
    def domain(self) -> str:
        addr = email.utils.parseaddr(self.mail_from)[1]
        return addr.rpartition("@")[2] or urlsplit(self.base_url).hostname or "localhost"


def check_settings(values: dict, secret, root: Path | None = None) -> Settings:
    """Settings from a dict of configuration values; Invalid naming the bad one."""
    base = values.get("BASE_URL")
    if not isinstance(base, str) or not base.startswith(("http://", "https://")) or " " in base:
        raise Invalid("mail.no_base_url")
    server = values.get("MAIL_SERVER") or None
    port = values.get("MAIL_PORT", 25)
    if server is not None and not isinstance(server, str):
        raise Invalid("mail.bad_setting", name="MAIL_SERVER")
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise Invalid("mail.bad_setting", name="MAIL_PORT")
    mail_from = values.get("MAIL_FROM") or "review@localhost"
    if not isinstance(mail_from, str) or "@" not in email.utils.parseaddr(mail_from)[1]:
        raise Invalid("mail.bad_setting", name="MAIL_FROM")
    for name in ("MAIL_USERNAME", "MAIL_PASSWORD"):
        if values.get(name) is not None and not isinstance(values.get(name), str):
            raise Invalid("mail.bad_setting", name=name)
    if not isinstance(secret, str) or not secret:
        raise Invalid("mail.no_secret")
    folder = values.get("MAIL_FOLDER") or (str(root / "outbox") if root is not None else None)
    return Settings(base_url=base.rstrip("/"), secret=secret, mail_from=mail_from, server=server, port=port,
                    use_tls=bool(values.get("MAIL_USE_TLS")), username=values.get("MAIL_USERNAME"),
                    password=values.get("MAIL_PASSWORD"), folder=folder)


def read_config(instance_path: Path) -> dict:
    """DIR/instance/config.py as a dict, read without the web application."""
    path = Path(instance_path) / "config.py"
    if not path.is_file():
        return {}
    namespace: dict = {"__file__": str(path)}
    exec(compile(path.read_text(), str(path), "exec"), namespace)  # noqa: S102 - the admin's own file
    return {k: v for k, v in namespace.items() if k.isupper()}


def read_settings(dep, overrides: dict | None = None) -> Settings:
    values = read_config(dep.instance_path)
    values.update(overrides or {})
    return check_settings(values, values.get("SECRET_KEY"), dep.root)


# -- texts ------------------------------------------------------------------------------------

TEXTS = {
    "fr": {
        "reply": "@{actor} vous a répondu : {title}",
        "mention": "@{actor} vous a mentionné·e : {title}",
        "amendment": "Nouvel amendement de @{actor} : {title}",
        "revision": "Nouvelle révision par @{actor} : {title}",
        "approval": "Approbation de @{actor} : {title}",
        "objection": "Objection de @{actor} : {title}",
        "merge": "Amendement intégré au plan par @{actor} : {title}",
        "report": "Rapport d'avancement de @{actor} : {title}",
        "contest": "Rapport contesté par @{actor} : {title}",
        "consultation": "Consultation du public annoncée par @{actor} : {title}",
        "kind.reply": "réponses", "kind.mention": "mentions", "kind.amendment": "nouveaux amendements",
        "kind.revision": "révisions", "kind.approval": "approbations", "kind.objection": "objections",
        "kind.merge": "intégrations au plan", "kind.report": "rapports d'avancement",
        "kind.contest": "rapports contestés", "kind.consultation": "annonces de consultations",
        "kind.daily": "résumés quotidiens",
        "see": "Voir : {link}",
        "footer": "Vous recevez ce message parce que vous suivez cette discussion sur {site}.",
        "footer.daily": "Vous recevez ce résumé parce que vous suivez ces discussions sur {site}.",
        "unsubscribe": "Ne plus recevoir de messages pour les {kind} : {link}",
        "preferences": "Choisir ce que vous recevez : {link}",
        "digest.subject": "Votre résumé du {day} : {n} notification(s)",
        "digest.intro": "Ce qui s'est passé le {day} dans ce que vous suivez :",
        "confirm.subject": "Confirmez votre adresse électronique",
        "confirm.body": ("Bonjour,\n\nQuelqu'un (vous, sans doute) a donné cette adresse sur son profil @{handle} "
                         "de {site} pour y recevoir des notifications.\n\nPour la confirmer, ouvrez ce lien "
                         "(valable 7 jours) :\n{link}\n\nSi ce n'est pas vous, ignorez ce message : rien ne vous "
                         "sera envoyé."),
        "register.subject": "Confirmez votre inscription : ~{pseudonym}",
        "register.body": ("Bonjour,\n\nQuelqu'un (vous, sans doute) a demandé sur {site} un compte de participant·e "
                          "sous le pseudonyme ~{pseudonym} avec cette adresse, pour la consultation « {title} ».\n\n"
                          "Pour créer le compte, ouvrez ce lien (valable 48 heures) puis confirmez :\n{link}\n\n"
                          "Si ce n'est pas vous, ignorez ce message : aucun compte ne sera créé et rien d'autre "
                          "ne vous sera envoyé."),
        "known.subject": "Vous avez déjà un compte : ~{pseudonym}",
        "known.body": ("Bonjour,\n\nQuelqu'un (vous, sans doute) a demandé sur {site} un nouveau compte avec cette "
                       "adresse. Elle est déjà celle du compte ~{pseudonym} : connectez-vous avec lui.\n{link}\n\n"
                       "Si ce n'est pas vous, ignorez ce message : rien n'a changé."),
    },
    "en": {
        "reply": "@{actor} replied to you: {title}",
        "mention": "@{actor} mentioned you: {title}",
        "amendment": "New amendment by @{actor}: {title}",
        "revision": "New revision by @{actor}: {title}",
        "approval": "Approval by @{actor}: {title}",
        "objection": "Objection by @{actor}: {title}",
        "merge": "Amendment merged into the plan by @{actor}: {title}",
        "report": "Progress report by @{actor}: {title}",
        "contest": "Report contested by @{actor}: {title}",
        "consultation": "Public consultation announced by @{actor}: {title}",
        "kind.reply": "replies", "kind.mention": "mentions", "kind.amendment": "new amendments",
        "kind.revision": "revisions", "kind.approval": "approvals", "kind.objection": "objections",
        "kind.merge": "merges into the plan", "kind.report": "progress reports",
        "kind.contest": "contested reports", "kind.consultation": "consultation announcements",
        "kind.daily": "daily digests",
        "see": "See: {link}",
        "footer": "You receive this message because you follow this discussion on {site}.",
        "footer.daily": "You receive this digest because you follow these discussions on {site}.",
        "unsubscribe": "Stop receiving messages for {kind}: {link}",
        "preferences": "Choose what you receive: {link}",
        "digest.subject": "Your digest of {day}: {n} notification(s)",
        "digest.intro": "What happened on {day} in what you follow:",
        "confirm.subject": "Confirm your e-mail address",
        "confirm.body": ("Hello,\n\nSomeone (you, surely) gave this address on their profile @{handle} of {site} "
                         "to receive notifications there.\n\nTo confirm it, open this link (valid for 7 days):\n"
                         "{link}\n\nIf it was not you, ignore this message: nothing will be sent to you."),
        "register.subject": "Confirm your registration: ~{pseudonym}",
        "register.body": ("Hello,\n\nSomeone (you, surely) asked on {site} for a participant account under the "
                          "pseudonym ~{pseudonym} with this address, for the consultation \u201c{title}\u201d.\n\n"
                          "To make the account, open this link (valid for 48 hours) and confirm:\n{link}\n\n"
                          "If it was not you, ignore this message: no account will be made and nothing else will "
                          "be sent to you."),
        "known.subject": "You already have an account: ~{pseudonym}",
        "known.body": ("Hello,\n\nSomeone (you, surely) asked on {site} for a new account with this address. It is "
                       "already the address of the account ~{pseudonym}: sign in with it.\n{link}\n\n"
                       "If it was not you, ignore this message: nothing changed."),
    },
}


def _t(lang: str, key: str, **values) -> str:
    return TEXTS[lang if lang in TEXTS else "fr"][key].format(**values)


def _one_line(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _title(n: Notification, lang: str) -> str:
    title = n.title if isinstance(n.title, dict) else {}
    return _one_line(title.get(lang) or title.get("fr") or title.get("en") or n.path, 150)


def headline(n: Notification, lang: str) -> str:
    return _t(lang, n.kind if n.kind in KINDS else "reply", actor=n.actor, title=_title(n, lang))


def link(settings: Settings, path: str) -> str:
    return settings.base_url + (path if path.startswith("/") else "/" + path)


def unsubscribe_url(settings: Settings, handle: str, kind: str) -> str:
    return link(settings, "/unsubscribe/" + mailprefs.unsubscribe_token(settings.secret, handle, kind))


def thread_id(settings: Settings, thread: str) -> str:
    """A stable Message-ID for a discussion: every message of it refers to this one."""
    return f"<thread.{hashlib.sha256(thread.encode('utf-8')).hexdigest()[:24]}@{settings.domain}>"


def message_id(settings: Settings, key: str) -> str:
    salt = hashlib.sha256((settings.secret + "\0" + key).encode("utf-8")).hexdigest()[:12]
    return f"<{key}.{salt}@{settings.domain}>"


def _base(settings: Settings, to: str, subject: str, lang: str, key: str, now: float) -> EmailMessage:
    msg = EmailMessage(policy=POLICY)
    msg["From"] = settings.mail_from
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = email.utils.formatdate(now, usegmt=True)
    msg["Message-ID"] = message_id(settings, key)
    msg["Auto-Submitted"] = "auto-generated"
    return msg


def _body(msg: EmailMessage, text: str, lang: str) -> EmailMessage:
    msg.set_content(text, cte="8bit")  # readable as it is; clears the Content-* headers: the language after
    msg["Content-Language"] = lang
    return msg


def _list_headers(msg: EmailMessage, settings: Settings, handle: str, kind: str) -> str:
    url = unsubscribe_url(settings, handle, kind)
    msg["List-Id"] = f"<notifications.{settings.domain}>"
    msg.set_raw("List-Unsubscribe", f"<{url}>")
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return url


def _footer(settings: Settings, who: Recipient, kind: str, unsub: str, more: list[str] = ()) -> str:
    lang = who.lang
    site = urlsplit(settings.base_url).netloc or settings.base_url
    return "\n".join(["", "-- ", _t(lang, "footer.daily" if kind == "daily" else "footer", site=site),
                      _t(lang, "unsubscribe", kind=_t(lang, "kind." + kind), link=unsub), *more,
                      _t(lang, "preferences", link=link(settings, f"/people/{who.handle}#email-title")), ""])


def notification_message(settings: Settings, who: Recipient, n: Notification, now: float) -> EmailMessage:
    lang = who.lang
    msg = _base(settings, who.address, _one_line(headline(n, lang), 200), lang, key_of(n), now)
    thread = thread_id(settings, n.thread or n.path)
    msg["In-Reply-To"] = thread
    msg["References"] = thread
    unsub = _list_headers(msg, settings, who.handle, n.kind)
    lines = [headline(n, lang), ""]
    if n.excerpt:
        lines += [("« " + _one_line(n.excerpt, EXCERPT_MAX) + " »") if lang == "fr"
                  else ("“" + _one_line(n.excerpt, EXCERPT_MAX) + "”"), ""]
    lines.append(_t(lang, "see", link=link(settings, n.path)))
    return _body(msg, "\n".join(lines) + "\n" + _footer(settings, who, n.kind, unsub), lang)


def digest_message(settings: Settings, who: Recipient, day: str, items: list[Notification],
                   now: float) -> EmailMessage:
    lang = who.lang
    msg = _base(settings, who.address, _t(lang, "digest.subject", day=day, n=len(items)), lang,
                f"digest-{day}-{who.handle}", now)
    unsub = _list_headers(msg, settings, who.handle, "daily")
    lines = [_t(lang, "digest.intro", day=day), ""]
    for n in items:
        lines.append("* " + headline(n, lang))
        if n.excerpt:
            lines.append("  " + _one_line(n.excerpt, 160))
        lines.append("  " + link(settings, n.path))
        lines.append("")
    kinds = sorted({n.kind for n in items if n.kind in KINDS}, key=KINDS.index)
    extra = [_t(lang, "unsubscribe", kind=_t(lang, "kind." + k), link=unsubscribe_url(settings, who.handle, k))
             for k in kinds]
    return _body(msg, "\n".join(lines) + _footer(settings, who, "daily", unsub, extra), lang)


def confirmation_message(settings: Settings, handle: str, address: str, lang: str, now: float) -> EmailMessage:
    token = mailprefs.confirm_token(settings.secret, handle, address, now)
    site = urlsplit(settings.base_url).netloc or settings.base_url
    msg = _base(settings, address, _t(lang, "confirm.subject"), lang, confirm_key(handle, address), now)
    return _body(msg, _t(lang, "confirm.body", handle=handle, site=site,
                         link=link(settings, "/email/confirm/" + token)) + "\n", lang)


def registration_message(settings: Settings, pseudonym: str, address: str, lang: str, token: str,
                         title: str, now: float) -> EmailMessage:
    """The one message an address given for self-registration gets before it is confirmed: the link
    (review.registrations) that makes the account."""
    site = urlsplit(settings.base_url).netloc or settings.base_url
    msg = _base(settings, address, _t(lang, "register.subject", pseudonym=pseudonym), lang,
                registration_key(pseudonym, address), now)
    return _body(msg, _t(lang, "register.body", pseudonym=pseudonym, site=site, title=_one_line(title, 150),
                         link=link(settings, "/participants/confirm/" + token)) + "\n", lang)


def known_message(settings: Settings, pseudonym: str, address: str, lang: str, now: float) -> EmailMessage:
    """To an address that is already a participant's (confirmed): a reminder of their pseudonym."""
    site = urlsplit(settings.base_url).netloc or settings.base_url
    msg = _base(settings, address, _t(lang, "known.subject", pseudonym=pseudonym), lang,
                known_key(pseudonym, now), now)
    return _body(msg, _t(lang, "known.body", pseudonym=pseudonym, site=site,
                         link=link(settings, "/signin")) + "\n", lang)


def known_key(pseudonym: str, now: float) -> str:
    return f"known-{pseudonym}-{int(now * 1000)}"


def registration_key(pseudonym: str, address: str) -> str:
    return f"register-{pseudonym}-{hashlib.sha256(address.lower().encode('utf-8')).hexdigest()[:12]}"


def key_of(n: Notification) -> str:
    return f"n{n.id:012d}-{n.handle}"


def confirm_key(handle: str, address: str) -> str:
    return f"confirm-{handle}-{hashlib.sha256(address.lower().encode('utf-8')).hexdigest()[:12]}"


# -- the outbox -------------------------------------------------------------------------------

@dataclass
class Report:
    queued: int = 0
    held: int = 0          # gathered for a digest
    skipped: int = 0       # no confirmed address, "never", or more than STALE old
    digests: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    reclaimed: int = 0
    errors: list = field(default_factory=list)

    def add(self, other: "Report") -> "Report":
        for f in dataclasses.fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        return self

    def text(self) -> str:
        return (f"queued {self.queued}, held for digests {self.held}, skipped {self.skipped}, digests {self.digests}, "
                f"sent {self.sent}, to retry {self.retrying}, failed {self.failed}")


class Outbox:
    def __init__(self, instance_path: str | Path):
        self.root = Path(instance_path) / OUTBOX
        for name in ("queue", "sending", "sent", "failed", "daily", "tmp"):
            (self.root / name).mkdir(parents=True, exist_ok=True)

    def folder(self, name: str) -> Path:
        return self.root / name

    def known(self, key: str) -> bool:
        """Queued, being sent, sent or failed already."""
        if any((self.root / f / f"{key}.eml").exists() for f in ("queue", "sent", "failed")):
            return True
        return any(p.name.startswith(f"{key}.eml@") for p in (self.root / "sending").iterdir())

    def _write_new(self, path: Path, data: bytes) -> bool:
        """Write a file that must not exist yet (O_EXCL); False when it does."""
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return False
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        return True

    def put(self, key: str, msg: EmailMessage) -> bool:
        """Queue a message under its key; False (and nothing written) when that key was queued
        before. Written whole into tmp/ first, then linked into queue/: a sender never reads half
        a message, and a link never replaces a file."""
        if self.known(key):
            return False
        tmp = self.root / "tmp" / f"{key}.{os.getpid()}.eml"
        if not self._write_new(tmp, msg.as_bytes(policy=POLICY)):
            return False  # this very process is writing it
        try:
            os.link(tmp, self.root / "queue" / f"{key}.eml")
            return True
        except FileExistsError:
            return False
        finally:
            tmp.unlink(missing_ok=True)

    def hold(self, day: str, n: Notification) -> bool:
        """Keep a notification for the person's digest of `day`."""
        folder = self.root / "daily" / day / n.handle
        folder.mkdir(parents=True, exist_ok=True)
        data = json.dumps(dataclasses.asdict(n), ensure_ascii=False, sort_keys=True).encode("utf-8")
        return self._write_new(folder / f"{n.id:012d}.json", data)

    def waiting(self) -> list[Path]:
        return sorted(p for p in (self.root / "queue").iterdir() if p.name.endswith(".eml"))

    def clean_tmp(self, now: float) -> None:
        for p in (self.root / "tmp").iterdir():
            try:
                if now - p.stat().st_mtime > TMP_MAX_AGE:
                    p.unlink()
            except FileNotFoundError:
                pass


# -- queueing ---------------------------------------------------------------------------------

def _age(n: Notification, now: float) -> float:
    """Seconds since the event; an unreadable time counts as new (the message is better sent)."""
    try:
        return now - dt.datetime.fromisoformat(n.time.replace("Z", "+00:00")).timestamp()
    except (ValueError, AttributeError):
        return 0.0


def _day(now: float) -> str:
    return dt.datetime.fromtimestamp(now, dt.timezone.utc).date().isoformat()


def cursor(dep) -> int:
    db = MailPrefs(dep.instance_path).connect()
    try:
        row = db.execute("SELECT last_id FROM cursor WHERE name = ?", (CURSOR,)).fetchone()
        return row[0] if row else 0
    finally:
        db.close()


def queue(dep, notifications, settings: Settings | None = None, now: float | None = None) -> Report:
    """Turn notifications (newer than the cursor) into messages, by each person's preferences,
    and advance the cursor in the same transaction (one `review notify` queues at a time)."""
    settings = settings or read_settings(dep)
    now = time.time() if now is None else now
    prefs = MailPrefs(dep.instance_path)
    box = Outbox(dep.instance_path)
    report = Report()
    db = prefs.connect()
    try:
        db.execute("BEGIN IMMEDIATE")
        row = db.execute("SELECT last_id FROM cursor WHERE name = ?", (CURSOR,)).fetchone()
        last = row[0] if row else 0
        people: dict[str, Recipient] = {}
        for n in sorted(notifications, key=lambda n: n.id):
            if not isinstance(n, Notification) or n.id <= last:
                continue
            last = n.id
            if n.handle not in people:
                people[n.handle] = prefs.get(n.handle, db)
            who = people[n.handle]
            mode = who.mode(n.kind)
            if who.address is None or mode == "never" or n.kind not in KINDS or _age(n, now) > STALE:
                # no confirmed address, not wanted, or old news: a first `review notify` on an
                # instance with a long history, or one that did not run for days, mails no backlog
                report.skipped += 1
            elif mode == "now":
                report.queued += box.put(key_of(n), notification_message(settings, who, n, now))
            else:
                report.held += box.hold(_day(now), n)
        db.execute("INSERT INTO cursor (name, last_id) VALUES (?, ?) ON CONFLICT (name) "
                   "DO UPDATE SET last_id = max(last_id, excluded.last_id)", (CURSOR, last))
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    finally:
        db.close()
    return report


def queue_confirmation(dep, settings: Settings, handle: str, address: str, lang: str,
                       now: float | None = None) -> bool:
    """The one message an unconfirmed address gets: the link that confirms it."""
    now = time.time() if now is None else now
    box = Outbox(dep.instance_path)
    key = confirm_key(handle, address)
    msg = confirmation_message(settings, handle, address, lang, now)
    for folder in ("sent", "failed"):  # asked again later: a new link, a new message
        old = box.folder(folder) / f"{key}.eml"
        if old.exists():
            old.rename(box.folder(folder) / f"{key}.{int(now * 1000)}.eml")
    queued = box.folder("queue") / f"{key}.eml"
    if queued.exists():  # not sent yet: replace it with the fresh link
        tmp = box.folder("tmp") / f"{key}.{os.getpid()}.eml"
        tmp.write_bytes(msg.as_bytes(policy=POLICY))
        os.replace(tmp, queued)
        return True
    return box.put(key, msg)


def queue_registration(dep, key: str, msg: EmailMessage, now: float | None = None) -> bool:
    """Queue a self-registration message (`registration_message` or `known_message`); a new request
    replaces an unsent one of the same key, an old sent one is kept under another name."""
    now = time.time() if now is None else now
    box = Outbox(dep.instance_path)
    for folder in ("sent", "failed"):
        old = box.folder(folder) / f"{key}.eml"
        if old.exists():
            old.rename(box.folder(folder) / f"{key}.{int(now * 1000)}.eml")
    queued = box.folder("queue") / f"{key}.eml"
    if queued.exists():
        tmp = box.folder("tmp") / f"{key}.{os.getpid()}.eml"
        tmp.write_bytes(msg.as_bytes(policy=POLICY))
        os.replace(tmp, queued)
        return True
    return box.put(key, msg)


def digest(dep, settings: Settings | None = None, now: float | None = None, include_today: bool = False) -> Report:
    """Send each person the digest of every day that is over (UTC): one message per person per day
    (`include_today`: today's too, for the demo)."""
    settings = settings or read_settings(dep)
    now = time.time() if now is None else now
    today = _day(now + 86400) if include_today else _day(now)
    box = Outbox(dep.instance_path)
    prefs = MailPrefs(dep.instance_path)
    report = Report()
    for day_dir in sorted(box.folder("daily").iterdir()):
        if not day_dir.is_dir() or day_dir.name >= today:
            continue
        for person_dir in sorted(day_dir.iterdir()):
            files = sorted(person_dir.glob("*.json"))
            items = []
            for f in files:
                try:
                    items.append(Notification(**json.loads(f.read_text("utf-8"))))
                except FileNotFoundError:
                    continue  # another `review notify` made this digest meanwhile
                except (ValueError, TypeError) as exc:
                    report.errors.append(f"{f}: {exc}")
            who = prefs.get(person_dir.name) if items else None
            items = [n for n in items if who is not None and who.mode(n.kind) != "never"]
            if who is not None and who.address and items:
                report.digests += box.put(f"digest-{day_dir.name}-{who.handle}",
                                          digest_message(settings, who, day_dir.name, items, now))
            for f in files:
                f.unlink(missing_ok=True)
            _rmdir(person_dir)
        _rmdir(day_dir)
    return report


def _rmdir(path: Path) -> None:
    try:
        path.rmdir()
    except OSError:
        pass  # another process put something there meanwhile, or removed it already


# -- sending ----------------------------------------------------------------------------------

class TemporaryFailure(Exception):
    """Try again later; `down`: the server itself is unreachable, so stop this round."""

    def __init__(self, reason: str, down: bool = False):
        super().__init__(reason)
        self.down = down


class PermanentFailure(Exception):
    """The server refused this message for good (5xx)."""


class SMTPTransport:
    """One connection per round, opened at the first message."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        try:
            smtp = smtplib.SMTP(s.server, s.port, timeout=SMTP_TIMEOUT)
            if s.use_tls:
                smtp.starttls()
            if s.username:
                smtp.login(s.username, s.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            raise TemporaryFailure(f"login refused: {exc.smtp_code} {_text(exc.smtp_error)}", down=True) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise TemporaryFailure(f"cannot reach {s.server}:{s.port}: {exc}", down=True) from None
        return smtp

    def send(self, data: bytes, sender: str, to: list[str]) -> None:
        if self.smtp is None:
            self.smtp = self._connect()
        try:
            refused = self.smtp.sendmail(sender, to, data)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            _refused(code, f"recipient refused: {code} {_text(text)}")
        except smtplib.SMTPSenderRefused as exc:
            if exc.smtp_code in (530, 535, 538):  # the server wants a (better) login: our setting, not the message
                self.close()
                raise TemporaryFailure(f"the server asks for a login (MAIL_USERNAME): {exc.smtp_code} "
                                       f"{_text(exc.smtp_error)}", down=True) from None
            _refused(exc.smtp_code, f"{type(exc).__name__}: {exc.smtp_code} {_text(exc.smtp_error)}")
        except smtplib.SMTPDataError as exc:
            _refused(exc.smtp_code, f"{type(exc).__name__}: {exc.smtp_code} {_text(exc.smtp_error)}")
        except smtplib.SMTPResponseException as exc:
            self.close()
            _refused(exc.smtp_code, f"{exc.smtp_code} {_text(exc.smtp_error)}")
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise TemporaryFailure(f"connection lost: {exc}", down=True) from None
        if refused:  # only some recipients refused: we send to one, so this is that one
            code, text = next(iter(refused.values()))
            _refused(code, f"recipient refused: {code} {_text(text)}")

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self.smtp = None


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _refused(code: int, reason: str) -> None:
    if 500 <= code < 600:
        raise PermanentFailure(reason)
    raise TemporaryFailure(reason)


class FolderTransport:
    """Without MAIL_SERVER: each message becomes a file MAIL_FOLDER/<key>.eml, to read."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def send(self, data: bytes, sender: str, to: list[str], key: str = "message") -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.folder / f"{key}.eml", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            try:
                os.write(fd, data)
            finally:
                os.close(fd)
        except OSError as exc:
            raise TemporaryFailure(f"cannot write into {self.folder}: {exc}", down=True) from None

    def close(self) -> None:
        pass


def transport_for(settings: Settings):
    if settings.server:
        return SMTPTransport(settings)
    if not settings.folder:
        raise Invalid("mail.bad_setting", name="MAIL_FOLDER")
    return FolderTransport(settings.folder)


def _retry_state(path: Path) -> dict:
    try:
        return json.loads(path.read_text("utf-8"))
    except (FileNotFoundError, ValueError):
        return {}


def reclaim(box: Outbox, now: float) -> int:
    """Claims older than CLAIM_TIMEOUT (their process died) go back to the queue."""
    n = 0
    for p in (box.folder("sending")).iterdir():
        key, _, claim = p.name.partition(".eml@")
        try:
            claimed_at = int(claim.rpartition("-")[2]) / 1000
        except ValueError:
            claimed_at = 0
        if now - claimed_at > CLAIM_TIMEOUT:
            try:
                os.rename(p, box.folder("queue") / f"{key}.eml")
                n += 1
            except FileNotFoundError:
                pass  # another process took it back first, or its sender finished
    return n


def send(dep, settings: Settings, now: float | None = None, transport=None) -> Report:
    """Send what is due in the queue; each file is claimed by an atomic rename first."""
    now = time.time() if now is None else now
    box = Outbox(dep.instance_path)
    box.clean_tmp(now)
    report = Report(reclaimed=reclaim(box, now))
    transport = transport or transport_for(settings)
    sender = email.utils.parseaddr(settings.mail_from)[1]
    me = f"{socket.gethostname()}-{os.getpid()}"
    try:
        for path in box.waiting():
            key = path.name[:-len(".eml")]
            retry_file = box.folder("queue") / f"{key}.retry"
            state = _retry_state(retry_file)
            if state.get("next", 0) > now:
                continue
            claim = box.folder("sending") / f"{key}.eml@{me}-{int(time.time() * 1000)}"
            try:
                os.rename(path, claim)
            except FileNotFoundError:
                continue  # another process claimed it
            data = claim.read_bytes()
            to = [a for _n, a in email.utils.getaddresses(
                [h for h in _header_lines(data, "To")])]
            try:
                if isinstance(transport, FolderTransport):
                    transport.send(data, sender, to, key=key)
                else:
                    transport.send(data, sender, to)
            except PermanentFailure as exc:
                (box.folder("failed") / f"{key}.reason").write_text(f"{_stamp(now)} {exc}\n", "utf-8")
                os.rename(claim, box.folder("failed") / f"{key}.eml")
                retry_file.unlink(missing_ok=True)
                report.failed += 1
                continue
            except TemporaryFailure as exc:
                attempts = state.get("attempts", 0) + 1
                first = state.get("first", now)
                if now - first > GIVE_UP:
                    (box.folder("failed") / f"{key}.reason").write_text(
                        f"{_stamp(now)} gave up after {attempts} attempts since {_stamp(first)}: {exc}\n", "utf-8")
                    os.rename(claim, box.folder("failed") / f"{key}.eml")
                    retry_file.unlink(missing_ok=True)
                    report.failed += 1
                    continue
                wait = min(RETRY_FIRST * 2 ** (attempts - 1), RETRY_MAX)
                tmp = box.folder("tmp") / f"{key}.{os.getpid()}.retry"
                tmp.write_text(json.dumps({"attempts": attempts, "first": first, "next": now + wait,
                                           "error": str(exc)}), "utf-8")
                os.replace(tmp, retry_file)
                os.rename(claim, box.folder("queue") / f"{key}.eml")
                report.retrying += 1
                report.errors.append(f"{key}: {exc} (attempt {attempts}; next in {wait} s)")
                if exc.down:
                    break
                continue
            try:
                os.rename(claim, box.folder("sent") / f"{key}.eml")
            except FileNotFoundError:  # taken back as stale meanwhile: a claim must outlive SMTP_TIMEOUT
                report.errors.append(f"{key}: sent, but its claim had been taken back")
            retry_file.unlink(missing_ok=True)
            report.sent += 1
    finally:
        transport.close()
    return report


def _header_lines(data: bytes, name: str) -> list[str]:
    from email.parser import BytesHeaderParser
    msg = BytesHeaderParser(policy=email.policy.default).parsebytes(data)
    return [str(v) for v in msg.get_all(name, [])]


def _stamp(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- one round of `review notify` -------------------------------------------------------------

def run_once(dep, settings: Settings, now: float | None = None, batch: int = 500) -> Report:
    """Catch up the notifications with git, queue the new ones, make the digests that are due,
    send the queue."""
    report = Report()
    notifications.catch_up(dep)
    while True:
        after = cursor(dep)
        found = notifications.since(dep, after, batch)
        if not found:
            break
        report.add(queue(dep, found, settings, now))
        if cursor(dep) == after:  # nothing newer: do not loop for ever
            break
    report.add(digest(dep, settings, now))
    report.add(send(dep, settings, now))
    return report


def seed_demo(dep, addresses: dict[str, tuple[str, str]]) -> None:
    """Confirmed demo addresses: {handle: (address, lang)}."""
    prefs = MailPrefs(dep.instance_path)
    for handle, (address, lang) in addresses.items():
        prefs.set_confirmed(handle, address, lang)


__all__ = ["Outbox", "Report", "SETTINGS", "Settings", "check_settings", "confirmation_message", "cursor",
           "digest", "digest_message", "notification_message", "queue", "queue_confirmation", "read_settings",
           "run_once", "send", "thread_id"]
