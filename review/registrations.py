"""Self-registration of participants with a confirmed e-mail address, while a consultation is open.

A visitor gives a pseudonym, an e-mail address and a password on an open consultation's page.
Nothing reaches git and no account exists yet: the request waits in the instance folder
(`registrations.sqlite`), private, with the password hashed (argon2id, as review.accounts does)
and the pseudonym reserved for `LIFETIME` seconds. One message goes to the address (review.mailer
`queue_registration`) with a signed link; following it and pressing the button makes the account
through `Participants.register` (review.participants). Until then nothing else is ever sent to the
address. An expired request frees its pseudonym; a used one keeps only a mark that it was used
(no password hash) so that a second click says so.

Link: `/participants/confirm/<pseudonym>.<expires>.<signature>`, the signature an HMAC-SHA256
(key derived from SECRET_KEY, review.mailprefs) over the pseudonym, the address, a random nonce of
the request and the expiry: neither the address nor the nonce is in the link, so a new request for
the same pseudonym (after expiry) or a forged link is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from . import accounts as store
from . import derivedfile
from . import consultations as cons
from . import mailprefs
from .errors import Busy, Conflict, Invalid
from .participants import MARK, Participant, Participants, check_email, check_pseudonym

DB_FILE = "registrations.sqlite"
LIFETIME = 48 * 3600  # s: how long a pseudonym stays reserved and the link stays good
KEEP_EXPIRED = 7 * 24 * 3600  # s an expired request is kept after expiry, to say "expired" rather than "not valid"
BUSY_MS = 5000

SCHEMA = """
CREATE TABLE IF NOT EXISTS pending (
  pseudonym TEXT PRIMARY KEY,
  email TEXT NOT NULL,          -- private: never in git, never on a page but the confirmation's
  password_hash TEXT,           -- argon2id; NULL once used
  lang TEXT NOT NULL,
  consultation TEXT NOT NULL,
  nonce TEXT NOT NULL,
  created REAL NOT NULL,
  expires REAL NOT NULL,
  used REAL                     -- when the account was made
) WITHOUT ROWID;
"""


@dataclass(frozen=True)
class Pending:
    pseudonym: str
    email: str
    lang: str
    consultation: str
    nonce: str
    expires: int
    used: float | None = None


@dataclass(frozen=True)
class Request:
    """What the view needs after a request: where to send what (never shown to the visitor)."""
    pending: Pending | None   # None: the address already has an account (it gets a reminder instead)
    email: str
    lang: str
    known_as: str | None      # the existing participant's pseudonym when the address is known


def throttle_keys(address: str | None, email: str) -> list[str]:
    """Per client address and per e-mail address (a digest: the throttle table keeps no address)."""
    digest = hashlib.sha256(email.lower().encode("utf-8")).hexdigest()[:32]
    return ([f"register:address:{address}"] if address else []) + [f"register:email:{digest}"]


def _sign(secret: str, pseudonym: str, email: str, nonce: str, expires: int) -> str:
    return mailprefs._sign(secret, "register", pseudonym, email.lower(), nonce, str(expires))


class Registrations:
    def __init__(self, participants: Participants):
        self.participants = participants
        self.accounts: store.Accounts = participants.accounts
        self.dep = participants.dep
        self.path = Path(self.dep.instance_path) / DB_FILE
        with self._db() as db:
            db.executescript(SCHEMA)

    @contextmanager
    def _db(self):
        db = sqlite3.connect(self.path, timeout=BUSY_MS / 1000, isolation_level=None)
        try:
            db.execute(f"PRAGMA busy_timeout={BUSY_MS}")
            derivedfile.enable_wal(db)
            yield db
        finally:
            db.close()

    def get(self, pseudonym: str) -> Pending | None:
        with self._db() as db:
            row = db.execute("SELECT pseudonym, email, lang, consultation, nonce, expires, used FROM pending "
                             "WHERE pseudonym = ?", (pseudonym,)).fetchone()
        return Pending(row[0], row[1], row[2], row[3], row[4], int(row[5]), row[6]) if row else None

    def wait(self, address: str | None, email: str) -> int:
        return self.accounts.throttle_wait(*throttle_keys(address, email))

    # -- asking ------------------------------------------------------------------------------

    def request(self, cid: str, pseudonym, email, password, again=None, lang: str = "fr",
                address: str | None = None, now: float | None = None) -> Request:
        """Check everything, then reserve the pseudonym and keep the request (password hashed).
        Refused with a code, and nothing kept, when the consultation is not open, the pseudonym
        is invalid or taken, the address malformed, the password too short or long (or the two
        differ), or too many requests came from this client or for this address lately."""
        now = time.time() if now is None else now
        self.purge(now)
        c = cons.get(self.dep.open_repo(), cid)
        if c.state() != "open":
            raise Conflict("registration.not_open", id=cid)
        pseudonym = check_pseudonym(pseudonym)
        if pseudonym in RESERVED:
            raise Invalid("registration.reserved", pseudonym=pseudonym)
        email = check_email(email)
        if email is None:
            raise Invalid("participant.bad_email")
        email = mailprefs.check_address(email)
        if not isinstance(password, str):
            raise Invalid("registration.no_password")
        store.Accounts._check_password(password)
        if again is not None and again != password:
            raise Invalid("registration.passwords_differ")
        lang = lang if lang in mailprefs.LANGS else "fr"
        keys = throttle_keys(address, email)
        wait = self.accounts.throttle_wait(*keys)
        if wait:
            raise Busy("registration.throttled", retry_after=wait, wait=wait)
        if self.participants.get(pseudonym) is not None or pseudonym in self.participants._plan_handles():
            raise Conflict("participant.taken", pseudonym=pseudonym)
        known = self._known(email)
        self.accounts.record_failure(*keys)  # counts, like a coordinator's additions do
        if known is not None:  # no second account, and the page says nothing different
            return Request(None, email, lang, known)
        digest = store._hasher.hash(password)
        nonce = secrets.token_urlsafe(16)
        expires = int(now + LIFETIME)
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute("SELECT expires, used FROM pending WHERE pseudonym = ?", (pseudonym,)).fetchone()
            if row is not None and (row[1] is not None or row[0] >= now):
                db.execute("ROLLBACK")
                raise Conflict("participant.taken", pseudonym=pseudonym)
            db.execute("INSERT OR REPLACE INTO pending VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                       (pseudonym, email, digest, lang, cid, nonce, now, expires))
            db.execute("COMMIT")
        return Request(Pending(pseudonym, email, lang, cid, nonce, expires), email, lang, None)

    def _known(self, email: str) -> str | None:
        for p in self.participants.list():
            if p.deleted is None and p.email and p.email.lower() == email.lower():
                return p.pseudonym
        return None

    def purge(self, now: float | None = None) -> int:
        """Forget the requests nobody confirmed, a week after they expired (their pseudonyms are free
        again from their expiry)."""
        now = time.time() if now is None else now
        with self._db() as db:
            return db.execute("DELETE FROM pending WHERE used IS NULL AND expires < ?",
                              (now - KEEP_EXPIRED,)).rowcount

    # -- the link ----------------------------------------------------------------------------------

    @staticmethod
    def token(secret: str, p: Pending) -> str:
        return f"{p.pseudonym}.{p.expires}.{_sign(secret, p.pseudonym, p.email, p.nonce, p.expires)}"

    def read(self, secret: str, token, now: float | None = None) -> Pending:
        """The request a genuine, unexpired, unused link is good for; Invalid otherwise."""
        parts = token.split(".") if isinstance(token, str) and len(token) < 200 else []
        if len(parts) != 3 or not parts[1].isdigit():
            raise Invalid("registration.bad_token")
        pseudonym, expires, sig = parts
        p = self.get(pseudonym)
        if p is None or str(p.expires) != expires or \
                not hmac.compare_digest(sig, _sign(secret, p.pseudonym, p.email, p.nonce, p.expires)):
            raise Invalid("registration.bad_token")
        if p.used is not None:
            raise Conflict("registration.used", pseudonym=MARK + p.pseudonym)
        if p.expires < (time.time() if now is None else now):
            raise Invalid("registration.expired")
        return p

    def confirm(self, secret: str, token, now: float | None = None) -> tuple[Participant, str]:
        """Make the account of a genuine link, once: returns it and the consultation it came from."""
        p = self.read(secret, token, now)
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute("SELECT password_hash FROM pending WHERE pseudonym = ? AND nonce = ? AND used IS NULL",
                             (p.pseudonym, p.nonce)).fetchone()
            if row is None:
                db.execute("ROLLBACK")
                raise Conflict("registration.used", pseudonym=MARK + p.pseudonym)
            digest = row[0]
            db.execute("UPDATE pending SET used = ?, password_hash = NULL WHERE pseudonym = ?",
                       (time.time() if now is None else now, p.pseudonym))
            db.execute("COMMIT")
        try:
            made = self.participants.register(p.pseudonym, p.email, None, password_hash=digest)
        except Conflict:
            raise  # the pseudonym went to someone else meanwhile: this request is over
        except BaseException:
            with self._db() as db:  # give the request back: the link works again
                db.execute("UPDATE pending SET used = NULL, password_hash = ? WHERE pseudonym = ? AND nonce = ?",
                           (digest, p.pseudonym, p.nonce))
            raise
        return made, p.consultation


# Words of the site's addresses under /participants/: no pseudonym may shadow them.
RESERVED = frozenset({"confirm"})
