"""Who gets e-mail, where, in which language and for what: private, in `instance/mail.sqlite`.

Never in git and never on a public page: a person's address is shown to that person only. An
address is used for nothing but its own confirmation until its owner follows the signed link
sent to it (`confirm_token`). Preferences are per kind of notification (review.notifications
KINDS): "now" (one message each), "daily" (one digest a day) or "never".

The links in messages are signed with a key derived from the instance's SECRET_KEY (HMAC-SHA256):
an unsubscribe link names one person and one kind and never expires; a confirmation link names a
person, expires, and is only good for the address waiting for confirmation when it was made
(the address itself is not in the link).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import derivedfile, model
from .errors import Invalid
from .notifications import KINDS

DB_FILE = "mail.sqlite"
MODES = ("now", "daily", "never")
LANGS = ("fr", "en")
DEFAULTS = {"reply": "now", "mention": "now"}  # every other kind: "daily"
DEFAULT_MODE = "daily"
UNSUBSCRIBABLE = KINDS + ("daily",)  # "daily": every kind gathered into the digest
MAX_ADDRESS = 254
CONFIRM_LIFETIME = 7 * 24 * 3600
CONFIRMATIONS_PER_DAY = 5  # confirmation messages a person can have sent in a day (to any addresses)
BUSY_MS = 5000
# A plain address: local part and a domain with a dot; no display names, no comments, no spaces.
ADDRESS_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?"
                        r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+$")

SCHEMA = """
CREATE TABLE IF NOT EXISTS people (
  handle TEXT PRIMARY KEY,
  address TEXT,            -- the confirmed address (NULL: none)
  pending TEXT,            -- an address waiting for its owner to follow the link
  pending_since REAL,
  lang TEXT NOT NULL DEFAULT 'fr',
  asked_day TEXT,          -- the day (UTC) of the last confirmations asked, and how many that day
  asked INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS prefs (
  handle TEXT NOT NULL,
  kind TEXT NOT NULL,
  mode TEXT NOT NULL,
  PRIMARY KEY (handle, kind)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS cursor (
  name TEXT PRIMARY KEY,
  last_id INTEGER NOT NULL
) WITHOUT ROWID;
"""


@dataclass(frozen=True)
class Recipient:
    handle: str
    address: str | None      # confirmed: the only address anything but a confirmation goes to
    pending: str | None
    lang: str
    modes: dict = field(default_factory=dict)  # kind -> mode, every kind present

    def mode(self, kind: str) -> str:
        return self.modes.get(kind, DEFAULT_MODE)


def check_address(address) -> str:
    if not isinstance(address, str):
        raise Invalid("mail.bad_address", address="?")
    address = address.strip()
    if len(address) > MAX_ADDRESS or not ADDRESS_RE.match(address) or ".." in address:
        raise Invalid("mail.bad_address", address=repr(address[:80]))
    return address


def check_lang(lang) -> str:
    if lang not in LANGS:
        raise Invalid("mail.bad_lang", value=repr(lang)[:40])
    return lang


def check_mode(kind, mode) -> str:
    if kind not in KINDS:
        raise Invalid("mail.bad_kind", value=repr(kind)[:40])
    if mode not in MODES:
        raise Invalid("mail.bad_mode", value=repr(mode)[:40])
    return mode


def _check_handle(handle) -> str:
    if not isinstance(handle, str) or not model.HANDLE_RE.match(handle):
        raise Invalid("mail.bad_handle", handle=repr(handle)[:40])
    return handle


def default_modes() -> dict:
    return {k: DEFAULTS.get(k, DEFAULT_MODE) for k in KINDS}


class MailPrefs:
    def __init__(self, instance_path: str | Path):
        self.path = Path(instance_path) / DB_FILE

    def connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=BUSY_MS / 1000, isolation_level=None)
        db.execute(f"PRAGMA busy_timeout={BUSY_MS}")
        derivedfile.enable_wal(db)
        db.executescript(SCHEMA)
        return db

    # -- reading -------------------------------------------------------------------------

    def get(self, handle: str, db: sqlite3.Connection | None = None) -> Recipient:
        _check_handle(handle)
        own = db is None
        db = db or self.connect()
        try:
            row = db.execute("SELECT address, pending, lang FROM people WHERE handle = ?", (handle,)).fetchone()
            modes = default_modes()
            modes.update({k: m for k, m in db.execute("SELECT kind, mode FROM prefs WHERE handle = ?", (handle,))
                          if k in modes and m in MODES})
        finally:
            if own:
                db.close()
        address, pending, lang = row or (None, None, "fr")
        return Recipient(handle, address, pending, lang if lang in LANGS else "fr", modes)

    # -- writing -------------------------------------------------------------------------

    def _person_row(self, db, handle: str) -> None:
        db.execute("INSERT INTO people (handle) VALUES (?) ON CONFLICT (handle) DO NOTHING", (handle,))

    def set_address(self, handle: str, address: str, now: float | None = None) -> str | None:
        """A new address waits for confirmation (the confirmed one, if any, keeps working
        meanwhile); returns the address to confirm, or None when it is already the confirmed one.
        An empty address removes both."""
        _check_handle(handle)
        db = self.connect()
        try:
            db.execute("BEGIN IMMEDIATE")
            self._person_row(db, handle)
            if not (address or "").strip():
                db.execute("UPDATE people SET address = NULL, pending = NULL, pending_since = NULL "
                           "WHERE handle = ?", (handle,))
                db.execute("COMMIT")
                return None
            address = check_address(address)
            current = db.execute("SELECT address FROM people WHERE handle = ?", (handle,)).fetchone()[0]
            if current is not None and current.lower() == address.lower():
                db.execute("UPDATE people SET pending = NULL, pending_since = NULL WHERE handle = ?", (handle,))
                db.execute("COMMIT")
                return None
            now = time.time() if now is None else now
            day = time.strftime("%Y-%m-%d", time.gmtime(now))
            asked_day, asked = db.execute("SELECT asked_day, asked FROM people WHERE handle = ?", (handle,)).fetchone()
            asked = asked if asked_day == day else 0
            if asked >= CONFIRMATIONS_PER_DAY:  # the server must not be a way to mail strangers
                raise Invalid("mail.too_many_confirmations", n=CONFIRMATIONS_PER_DAY)
            db.execute("UPDATE people SET pending = ?, pending_since = ?, asked_day = ?, asked = ? WHERE handle = ?",
                       (address, now, day, asked + 1, handle))
            db.execute("COMMIT")
            return address
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        finally:
            db.close()

    def confirm(self, handle: str, address: str) -> None:
        """The pending address becomes the confirmed one (the link's signature was checked)."""
        db = self.connect()
        try:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute("SELECT pending FROM people WHERE handle = ?", (handle,)).fetchone()
            if row is None or row[0] is None or row[0] != address:
                db.execute("ROLLBACK")
                raise Invalid("mail.bad_token")
            db.execute("UPDATE people SET address = pending, pending = NULL, pending_since = NULL "
                       "WHERE handle = ?", (handle,))
            db.execute("COMMIT")
        finally:
            db.close()

    def set_confirmed(self, handle: str, address: str, lang: str = "fr") -> None:
        """For the demo and administrators: an address known to be the person's."""
        _check_handle(handle)
        address, lang = check_address(address), check_lang(lang)
        db = self.connect()
        try:
            db.execute("INSERT INTO people (handle, address, lang) VALUES (?, ?, ?) ON CONFLICT (handle) "
                       "DO UPDATE SET address = excluded.address, lang = excluded.lang, pending = NULL",
                       (handle, address, lang))
        finally:
            db.close()

    def set_lang(self, handle: str, lang: str) -> None:
        _check_handle(handle)
        check_lang(lang)
        db = self.connect()
        try:
            db.execute("BEGIN IMMEDIATE")
            self._person_row(db, handle)
            db.execute("UPDATE people SET lang = ? WHERE handle = ?", (lang, handle))
            db.execute("COMMIT")
        finally:
            db.close()

    def set_modes(self, handle: str, modes: dict) -> None:
        _check_handle(handle)
        for kind, mode in modes.items():
            check_mode(kind, mode)
        db = self.connect()
        try:
            db.execute("BEGIN IMMEDIATE")
            db.executemany("INSERT INTO prefs (handle, kind, mode) VALUES (?, ?, ?) ON CONFLICT (handle, kind) "
                           "DO UPDATE SET mode = excluded.mode", [(handle, k, m) for k, m in modes.items()])
            db.execute("COMMIT")
        finally:
            db.close()

    def unsubscribe(self, handle: str, kind: str) -> list[str]:
        """One kind (or, for "daily", every kind now in the digest) becomes "never"; returns the kinds changed."""
        if kind not in UNSUBSCRIBABLE:
            raise Invalid("mail.bad_kind", value=repr(kind)[:40])
        modes = self.get(handle).modes
        kinds = [k for k, m in modes.items() if m == "daily"] if kind == "daily" else [kind]
        kinds = [k for k in kinds if modes[k] != "never"]
        if kinds:
            self.set_modes(handle, {k: "never" for k in kinds})
        return kinds


# -- signed links -----------------------------------------------------------------------------

def _key(secret: str) -> bytes:
    if not secret:
        raise Invalid("mail.no_secret")
    return hashlib.sha256(b"review mail links\0" + secret.encode("utf-8")).digest()


def _sign(secret: str, *parts: str) -> str:
    mac = hmac.new(_key(secret), "\0".join(parts).encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:24]).decode("ascii")


def unsubscribe_token(secret: str, handle: str, kind: str) -> str:
    return f"{handle}.{kind}.{_sign(secret, 'unsubscribe', handle, kind)}"


def read_unsubscribe_token(secret: str, token: str) -> tuple[str, str]:
    """(handle, kind) of a genuine unsubscribe token; Invalid otherwise."""
    parts = token.split(".") if isinstance(token, str) and len(token) < 200 else []
    if len(parts) != 3 or not model.HANDLE_RE.match(parts[0]) or parts[1] not in UNSUBSCRIBABLE:
        raise Invalid("mail.bad_token")
    if not hmac.compare_digest(parts[2], _sign(secret, "unsubscribe", parts[0], parts[1])):
        raise Invalid("mail.bad_token")
    return parts[0], parts[1]


def confirm_token(secret: str, handle: str, address: str, now: float | None = None) -> str:
    expires = int((time.time() if now is None else now) + CONFIRM_LIFETIME)
    return f"{handle}.{expires}.{_sign(secret, 'confirm', handle, address.lower(), str(expires))}"


def read_confirm_token(secret: str, token: str, prefs: MailPrefs, now: float | None = None) -> tuple[str, str]:
    """(handle, address) that a genuine, unexpired confirmation token is good for."""
    parts = token.split(".") if isinstance(token, str) and len(token) < 200 else []
    if len(parts) != 3 or not model.HANDLE_RE.match(parts[0]) or not parts[1].isdigit():
        raise Invalid("mail.bad_token")
    handle, expires, sig = parts
    pending = prefs.get(handle).pending
    if pending is None or not hmac.compare_digest(sig, _sign(secret, "confirm", handle, pending.lower(), expires)):
        raise Invalid("mail.bad_token")
    if int(expires) < (time.time() if now is None else now):
        raise Invalid("mail.token_expired")
    return handle, pending
