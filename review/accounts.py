"""Credentials and sessions: password hashes, personal access tokens, signed-in browsers.

Who a person is (name, organisation, roles) is public and lives in plan.yaml on main;
only the secrets live here, in `instance/accounts.sqlite` (never in git). Tokens and
session keys are random 32-byte secrets stored as SHA-256 digests; passwords as argon2id
hashes. The throttling policy of failed sign-ins is written in docs/security.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import sqlite3
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from . import commitment, derivedfile
from .deployment import Deployment
from .errors import Coded

DB_FILE = "accounts.sqlite"
DEMO_FILE = "demo-accounts.txt"
TOKEN_PREFIX = "rvw_"
MIN_PASSWORD = 8
MAX_PASSWORD = 1024
SESSION_TOUCH = 60  # seconds between two writes of a session's last use
SESSION_LOOKUP = "SELECT handle, created, last_used FROM sessions WHERE id = ?"  # by primary key


@dataclass(frozen=True)
class ThrottlePolicy:
    """Failed sign-ins of one key (an account, an address): the first `free` cost nothing;
    each later one locks the key for `base` seconds, doubling, at most `cap`. Time does not
    reset the count while the key is locked: it is forgotten only `quiet` seconds after the
    last failure and once the lock is over (or, for an account, by a successful sign-in)."""

    free: int
    base: int
    cap: int
    quiet: int

    def delay(self, failures: int) -> int:
        if failures <= self.free:
            return 0
        return min(self.base * 2 ** min(failures - self.free - 1, 32), self.cap)


# Per account: 5 free failures, then 30 s, 60 s ... up to 15 minutes per guess.
ACCOUNT_POLICY = ThrottlePolicy(free=5, base=30, cap=15 * 60, quiet=24 * 3600)
# Per address: a much higher ceiling (many people may share an address behind a proxy or a
# NAT); a locked address still lets through a correct password for an account that has no
# recorded failure (see Accounts.sign_in_wait).
ADDRESS_POLICY = ThrottlePolicy(free=100, base=30, cap=15 * 60, quiet=3600)
FREE_FAILURES = ACCOUNT_POLICY.free
BASE_DELAY = ACCOUNT_POLICY.base
MAX_DELAY = ACCOUNT_POLICY.cap

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not a real password: equalises timing for unknown handles")

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
  handle TEXT PRIMARY KEY,
  password_hash TEXT NOT NULL,
  created TEXT NOT NULL,
  updated TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
  id TEXT PRIMARY KEY,
  handle TEXT NOT NULL REFERENCES accounts(handle),
  label TEXT NOT NULL,
  digest TEXT NOT NULL,
  created TEXT NOT NULL,
  last_used TEXT,
  revoked TEXT
);
CREATE TABLE IF NOT EXISTS throttle_v2 (
  key TEXT PRIMARY KEY,
  failures INTEGER NOT NULL,
  last_failure REAL NOT NULL,
  locked_until REAL NOT NULL
);
DROP TABLE IF EXISTS throttle;
CREATE TABLE IF NOT EXISTS sessions (
  id TEXT PRIMARY KEY,          -- SHA-256 of the secret held in the browser's cookie
  handle TEXT NOT NULL,
  created REAL NOT NULL,
  last_used REAL NOT NULL,
  address TEXT NOT NULL,
  user_agent TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_by_handle ON sessions(handle);
"""


class AccountError(Coded, Exception):
    """Bad input for an account operation; the message says how to fix it (a code of
    review.errormessages)."""


class Throttled(Exception):
    def __init__(self, wait: int):
        super().__init__(f"too many failed sign-ins: try again in {wait} s")
        self.wait = wait


@dataclass(frozen=True)
class Session:
    id: str              # the digest of the cookie's secret: names the session, cannot forge it
    handle: str
    created: float
    last_used: float
    address: str
    user_agent: str


@dataclass(frozen=True)
class Token:
    id: str
    handle: str
    label: str
    created: str
    last_used: str | None
    revoked: str | None


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class Accounts:
    """The credential store of one deployment."""

    def __init__(self, dep: Deployment, clock=time.time):
        self.dep = dep
        self.path = Path(dep.instance_path) / DB_FILE
        self.clock = clock  # tests walk the throttling and session policies with their own clock
        self._local = threading.local()
        with self._db() as db:
            db.executescript(SCHEMA)

    @contextmanager
    def _db(self):
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            derivedfile.enable_wal(db)
            db.execute("PRAGMA busy_timeout=30000")
            yield db
        finally:
            db.close()

    # -- accounts ---------------------------------------------------------------

    def _person(self, handle: str):
        plan = commitment.read_plan(self.dep.open_repo(), commitment.resolve(self.dep.open_repo(), "main"))
        return plan.people.get(handle)

    @staticmethod
    def _check_password(password: str) -> None:
        if len(password) < MIN_PASSWORD:
            raise AccountError("account.password_short", n=MIN_PASSWORD)
        if len(password) > MAX_PASSWORD:
            raise AccountError("account.password_long", n=MAX_PASSWORD)

    def add(self, handle: str, password: str) -> None:
        if self._person(handle) is None:
            raise AccountError("account.not_a_person", handle=repr(handle))
        self._insert(handle, password)

    def add_participant(self, handle: str, password: str | None, password_hash: str | None = None) -> None:
        """The credentials of a participant (`~pseudonym`, review.participants), who is not in plan.yaml;
        `password_hash`: an argon2id hash made earlier (a self-registration waiting for its e-mail)."""
        if not handle.startswith("~"):
            raise ValueError("a participant's handle starts with ~")
        self._insert(handle, password, password_hash)

    def delete_account(self, handle: str) -> None:
        """Erase the credentials of an account: password hash, tokens, sessions, throttle counts."""
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            db.execute("DELETE FROM sessions WHERE handle = ?", (handle,))
            db.execute("DELETE FROM tokens WHERE handle = ?", (handle,))
            db.execute("DELETE FROM accounts WHERE handle = ?", (handle,))
            db.execute("DELETE FROM throttle_v2 WHERE key = ?", (f"account:{handle}",))
            db.execute("COMMIT")

    def _insert(self, handle: str, password: str | None, password_hash: str | None = None) -> None:
        if password_hash is None or not password_hash.startswith("$argon2"):
            self._check_password(password if isinstance(password, str) else "")
            password_hash = _hasher.hash(password)
        now = _now()
        with self._db() as db:
            try:
                db.execute("INSERT INTO accounts VALUES (?, ?, ?, ?)", (handle, password_hash, now, now))
            except sqlite3.IntegrityError:
                raise AccountError("account.exists", handle=repr(handle)) from None

    def exists(self, handle: str) -> bool:
        with self._db() as db:
            return db.execute("SELECT 1 FROM accounts WHERE handle = ?", (handle,)).fetchone() is not None

    def set_password(self, handle: str, password: str, revoke_tokens: bool = False) -> int:
        """Set a new password and end every session of the account (with `revoke_tokens`, its
        tokens stop working too), in one transaction. Returns the number of sessions ended."""
        self._check_password(password)
        digest = _hasher.hash(password)
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            cur = db.execute("UPDATE accounts SET password_hash = ?, updated = ? WHERE handle = ?",
                             (digest, _now(), handle))
            if cur.rowcount == 0:
                db.execute("ROLLBACK")
                raise AccountError("account.missing", handle=repr(handle))
            ended = db.execute("DELETE FROM sessions WHERE handle = ?", (handle,)).rowcount
            if revoke_tokens:
                db.execute("UPDATE tokens SET revoked = ? WHERE handle = ? AND revoked IS NULL", (_now(), handle))
            db.execute("DELETE FROM throttle_v2 WHERE key = ?", (f"account:{handle}",))
            db.execute("COMMIT")
        return ended

    def check_password(self, handle: str, password: str) -> bool:
        """True when the password is right; same cost whether or not the handle exists."""
        with self._db() as db:
            row = db.execute("SELECT password_hash FROM accounts WHERE handle = ?", (handle,)).fetchone()
        stored = row[0] if row else _DUMMY_HASH
        try:
            ok = _hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
        return ok and row is not None

    # -- throttling ---------------------------------------------------------------

    def _throttle_row(self, db, key: str, now: float):
        row = db.execute("SELECT failures, last_failure, locked_until FROM throttle_v2 WHERE key = ?", (key,)).fetchone()
        if row is None:
            return 0, 0.0
        failures, last, locked = row
        if now >= locked and now - last > _policy(key).quiet:
            return 0, 0.0  # forgotten: a quiet period after the lock was over
        return failures, locked

    def throttle_wait(self, *keys: str, now: float | None = None) -> int:
        """Seconds to wait before another sign-in attempt for any of these keys (0: go)."""
        now = self.clock() if now is None else now
        with self._db() as db:
            waits = [self._throttle_row(db, key, now)[1] - now for key in keys]
        wait = max([0.0] + waits)
        return int(wait + 0.999) if wait > 0 else 0

    def failures(self, key: str, now: float | None = None) -> int:
        now = self.clock() if now is None else now
        with self._db() as db:
            return self._throttle_row(db, key, now)[0]

    def sign_in_wait(self, handle: str, address: str | None, now: float | None = None) -> int:
        """Seconds before `handle` may try a password from `address` (0: check it).

        The account's own lock always holds. The address's lock holds only for accounts
        with recorded failures: someone else's correct password from a busy or attacked
        address (a proxy, a NAT) still goes through, while a guesser behind that address
        gets at most one try per account until the address's lock is over."""
        now = self.clock() if now is None else now
        account, addr = f"account:{handle}", f"address:{address}"
        wait = self.throttle_wait(account, now=now)
        if wait:
            return wait
        addr_wait = self.throttle_wait(addr, now=now) if address else 0
        if addr_wait and self.failures(account, now=now):
            return addr_wait
        return 0

    def record_failure(self, *keys: str, now: float | None = None) -> None:
        now = self.clock() if now is None else now
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            for key in keys:
                failures, _locked = self._throttle_row(db, key, now)
                failures += 1
                delay = _policy(key).delay(failures)
                db.execute("INSERT OR REPLACE INTO throttle_v2 VALUES (?, ?, ?, ?)",
                           (key, failures, now, now + delay if delay else 0.0))
            # forgotten counts go: guesses at made-up handles must not grow the table forever
            oldest = max(ACCOUNT_POLICY.quiet, ADDRESS_POLICY.quiet)
            db.execute("DELETE FROM throttle_v2 WHERE last_failure < ? AND locked_until < ?", (now - oldest, now))
            db.execute("COMMIT")

    def record_success(self, *keys: str) -> None:
        with self._db() as db:
            db.executemany("DELETE FROM throttle_v2 WHERE key = ?", [(k,) for k in keys])

    # -- sessions -----------------------------------------------------------------

    def open_session(self, handle: str, address: str | None, user_agent: str | None, lifetime: float) -> str:
        """A new session for a signed-in browser: returns the secret for its cookie (only
        its digest is kept). Expired sessions of everyone are swept on the way."""
        secret = secrets.token_urlsafe(32)
        now = self.clock()
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            db.execute("DELETE FROM sessions WHERE created < ?", (now - lifetime,))
            db.execute("INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?)",
                       (_digest(secret), handle, now, now, (address or "")[:64], (user_agent or "")[:300]))
            db.execute("COMMIT")
        return secret

    def session_handle(self, secret: str, lifetime: float) -> str | None:
        """Whose session this cookie secret opens, or None (unknown, ended or expired).

        One lookup by primary key; the last use is written at most once a SESSION_TOUCH,
        and a write that fails (disk full, busy) never fails the request."""
        if not isinstance(secret, str) or not 20 <= len(secret) <= 100:
            return None
        sid = _digest(secret)
        now = self.clock()
        try:
            db = self._lookup_db()
            row = db.execute(SESSION_LOOKUP, (sid,)).fetchone()
            if row is None:
                return None
            handle, created, last_used = row
            try:
                if now - created > lifetime:
                    db.execute("DELETE FROM sessions WHERE id = ?", (sid,))
                    return None
                if now - last_used >= SESSION_TOUCH:
                    db.execute("UPDATE sessions SET last_used = ? WHERE id = ?", (now, sid))
            except sqlite3.Error:
                if now - created > lifetime:
                    return None
            return handle
        except sqlite3.Error:
            self._local.__dict__.pop("db", None)  # reconnect next time
            return None

    def _lookup_db(self) -> sqlite3.Connection:
        """One connection per thread for the per-request lookup (opening one costs more than
        the lookup); the last-use write does not wait for the disk (synchronous=NORMAL: at
        worst a crash loses a minute of "last used", never a session's end)."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=0.25, isolation_level=None)  # busy: skip the write
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    def sessions(self, handle: str) -> list[Session]:
        with self._db() as db:
            rows = db.execute("SELECT id, handle, created, last_used, address, user_agent FROM sessions "
                              "WHERE handle = ? ORDER BY last_used DESC, id", (handle,)).fetchall()
        return [Session(*r) for r in rows]

    def end_session(self, secret: str | None = None, *, handle: str | None = None, sid: str | None = None) -> bool:
        """End one session, by the cookie's secret, or by its id (the digest) for its owner."""
        if secret is not None:
            sid = _digest(secret)
        if sid is None:
            return False
        with self._db() as db:
            if handle is None:
                return db.execute("DELETE FROM sessions WHERE id = ?", (sid,)).rowcount == 1
            return db.execute("DELETE FROM sessions WHERE id = ? AND handle = ?", (sid, handle)).rowcount == 1

    def end_sessions(self, handle: str, revoke_tokens: bool = False) -> int:
        """Sign the account out everywhere (and optionally revoke its tokens)."""
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            n = db.execute("DELETE FROM sessions WHERE handle = ?", (handle,)).rowcount
            if revoke_tokens:
                db.execute("UPDATE tokens SET revoked = ? WHERE handle = ? AND revoked IS NULL", (_now(), handle))
            db.execute("COMMIT")
        return n

    # -- tokens -------------------------------------------------------------------

    def create_token(self, handle: str, label: str = "") -> tuple[str, str]:
        """(token id, secret to show once). Only a digest of the secret is kept."""
        if not self.exists(handle):
            raise AccountError("account.missing", handle=repr(handle))
        label = (label or "").strip() or "token"
        if len(label) > 100:
            raise AccountError("account.token_name_long", n=100)
        tid = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        with self._db() as db:
            db.execute("INSERT INTO tokens VALUES (?, ?, ?, ?, ?, NULL, NULL)",
                       (tid, handle, label, _digest(secret), _now()))
        return tid, f"{TOKEN_PREFIX}{tid}_{secret}"

    def tokens(self, handle: str) -> list[Token]:
        with self._db() as db:
            rows = db.execute("SELECT id, handle, label, created, last_used, revoked FROM tokens "
                              "WHERE handle = ? ORDER BY created DESC, id", (handle,)).fetchall()
        return [Token(*r) for r in rows]

    def revoke_token(self, handle: str, tid: str) -> bool:
        with self._db() as db:
            cur = db.execute("UPDATE tokens SET revoked = ? WHERE id = ? AND handle = ? AND revoked IS NULL",
                             (_now(), tid, handle))
            return cur.rowcount == 1

    def authenticate_token(self, token: str) -> str | None:
        """The handle a token belongs to, or None when it is malformed, unknown or revoked."""
        parsed = parse_token(token)
        if parsed is None:
            return None
        tid, secret = parsed
        with self._db() as db:
            row = db.execute("SELECT handle, digest, revoked, last_used FROM tokens WHERE id = ?", (tid,)).fetchone()
            if row is None or row[2] is not None or not hmac.compare_digest(row[1], _digest(secret)):
                return None
            now = _now()
            stale = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=SESSION_TOUCH)).replace(microsecond=0)
            if row[3] is None or row[3] < stale.isoformat().replace("+00:00", "Z"):
                try:  # the last use is noted at most once a minute, and never fails the request (disk full)
                    db.execute("UPDATE tokens SET last_used = ? WHERE id = ?", (now, tid))
                except sqlite3.Error:
                    pass
        return row[0]


def parse_token(token: str) -> tuple[str, str] | None:
    if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX):
        return None
    rest = token[len(TOKEN_PREFIX):]
    tid, sep, secret = rest.partition("_")
    if not sep or len(tid) != 12 or not all(c in "0123456789abcdef" for c in tid) or not 20 <= len(secret) <= 100:
        return None
    return tid, secret


# Writes of the public (review.participants): each registration or contribution counts like a
# failure does above; past the free ones, the next must wait (doubling, up to the cap).
REGISTRATION_POLICY = ThrottlePolicy(free=20, base=60, cap=3600, quiet=24 * 3600)      # per address, per coordinator
# Self-registrations per e-mail address (review.registrations): each sends a message to an address not
# yet confirmed, so few: 3 a day free, then an hour doubling up to a day (mailprefs allows 5 a day).
REGISTRATION_EMAIL_POLICY = ThrottlePolicy(free=3, base=3600, cap=24 * 3600, quiet=24 * 3600)
CONTRIBUTION_POLICY = ThrottlePolicy(free=30, base=60, cap=3600, quiet=3600)          # per account
CONTRIBUTION_ADDRESS_POLICY = ThrottlePolicy(free=200, base=60, cap=3600, quiet=3600)  # per address
_POLICIES = {"register:email:": REGISTRATION_EMAIL_POLICY, "register:": REGISTRATION_POLICY, "contribute:account:": CONTRIBUTION_POLICY,
             "contribute:address:": CONTRIBUTION_ADDRESS_POLICY, "address:": ADDRESS_POLICY}


def _policy(key: str) -> ThrottlePolicy:
    for prefix, policy in _POLICIES.items():
        if key.startswith(prefix):
            return policy
    return ACCOUNT_POLICY


def session_digest(secret: str) -> str:
    return _digest(secret)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def demo_password(handle: str) -> str:
    return f"demo-{handle}-2015"


def create_demo_accounts(dep: Deployment) -> list[tuple[str, str]]:
    """An account for every person of the sample plan; passwords are public (README)."""
    store = Accounts(dep)
    plan = commitment.read_plan(dep.open_repo(), commitment.resolve(dep.open_repo(), "main"))
    out = []
    for handle, person in plan.people.items():
        if not store.exists(handle):
            store.add(handle, demo_password(handle))
        out.append((handle, demo_password(handle), person))
    lines = ["Demo accounts (handle, password, roles):"]
    lines += [f"  {h:10} {pw:22} {', '.join(p.roles)} ({p.organisation or '-'})" for h, pw, p in out]
    (Path(dep.instance_path) / DEMO_FILE).write_text("\n".join(lines) + "\n")
    return [(h, pw) for h, pw, _ in out]
