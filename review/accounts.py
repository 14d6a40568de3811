"""Credentials: password hashes and personal access tokens, in the instance folder.

Who a person is (name, organisation, roles) is public and lives in plan.yaml on main;
only the secrets live here, in `instance/accounts.sqlite` (never in git). Tokens are
random 32-byte secrets stored as SHA-256 digests; passwords as argon2id hashes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from . import commitment
from .deployment import Deployment

DB_FILE = "accounts.sqlite"
DEMO_FILE = "demo-accounts.txt"
TOKEN_PREFIX = "rvw_"
MIN_PASSWORD = 8
MAX_PASSWORD = 1024
# Throttling of failed sign-ins: after FREE_FAILURES failures within WINDOW seconds the key
# (an account or an address) waits, doubling from BASE_DELAY up to MAX_DELAY seconds.
FREE_FAILURES = 5
WINDOW = 15 * 60
BASE_DELAY = 30
MAX_DELAY = 15 * 60

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
CREATE TABLE IF NOT EXISTS throttle (
  key TEXT PRIMARY KEY,
  failures INTEGER NOT NULL,
  first_failure REAL NOT NULL,
  locked_until REAL NOT NULL
);
"""


class AccountError(Exception):
    """Bad input for an account operation; the message says how to fix it."""


class Throttled(Exception):
    def __init__(self, wait: int):
        super().__init__(f"too many failed sign-ins: try again in {wait} s")
        self.wait = wait


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

    def __init__(self, dep: Deployment):
        self.dep = dep
        self.path = Path(dep.instance_path) / DB_FILE
        with self._db() as db:
            db.executescript(SCHEMA)

    @contextmanager
    def _db(self):
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
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
            raise AccountError(f"the password is too short: use at least {MIN_PASSWORD} characters")
        if len(password) > MAX_PASSWORD:
            raise AccountError(f"the password is too long: use at most {MAX_PASSWORD} characters")

    def add(self, handle: str, password: str) -> None:
        if self._person(handle) is None:
            raise AccountError(f"'{handle}' is not a person of plan.yaml on main: add them to "
                               "plan.yaml (through an amendment) before creating their account")
        self._check_password(password)
        now = _now()
        with self._db() as db:
            try:
                db.execute("INSERT INTO accounts VALUES (?, ?, ?, ?)", (handle, _hasher.hash(password), now, now))
            except sqlite3.IntegrityError:
                raise AccountError(f"'{handle}' already has an account: use 'review user passwd' to change the password") from None

    def exists(self, handle: str) -> bool:
        with self._db() as db:
            return db.execute("SELECT 1 FROM accounts WHERE handle = ?", (handle,)).fetchone() is not None

    def set_password(self, handle: str, password: str) -> None:
        self._check_password(password)
        with self._db() as db:
            cur = db.execute("UPDATE accounts SET password_hash = ?, updated = ? WHERE handle = ?",
                             (_hasher.hash(password), _now(), handle))
            if cur.rowcount == 0:
                raise AccountError(f"'{handle}' has no account: create it with 'review user add'")

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

    def throttle_wait(self, *keys: str, now: float | None = None) -> int:
        """Seconds to wait before another sign-in attempt for any of these keys (0: go)."""
        now = time.time() if now is None else now
        with self._db() as db:
            waits = [row[0] - now for key in keys
                     for row in db.execute("SELECT locked_until FROM throttle WHERE key = ?", (key,))]
        wait = max([0.0] + waits)
        return int(wait + 0.999) if wait > 0 else 0

    def record_failure(self, *keys: str, now: float | None = None) -> None:
        now = time.time() if now is None else now
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            for key in keys:
                row = db.execute("SELECT failures, first_failure FROM throttle WHERE key = ?", (key,)).fetchone()
                failures, first = (0, now) if row is None or now - row[1] > WINDOW else row
                failures += 1
                locked = 0.0
                if failures >= FREE_FAILURES:
                    locked = now + min(BASE_DELAY * 2 ** (failures - FREE_FAILURES), MAX_DELAY)
                db.execute("INSERT OR REPLACE INTO throttle VALUES (?, ?, ?, ?)", (key, failures, first, locked))
            db.execute("COMMIT")

    def record_success(self, *keys: str) -> None:
        with self._db() as db:
            db.executemany("DELETE FROM throttle WHERE key = ?", [(k,) for k in keys])

    # -- tokens -------------------------------------------------------------------

    def create_token(self, handle: str, label: str = "") -> tuple[str, str]:
        """(token id, secret to show once). Only a digest of the secret is kept."""
        if not self.exists(handle):
            raise AccountError(f"'{handle}' has no account: create it with 'review user add'")
        label = (label or "").strip() or "token"
        if len(label) > 100:
            raise AccountError("the token name is too long: use at most 100 characters")
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
            row = db.execute("SELECT handle, digest, revoked FROM tokens WHERE id = ?", (tid,)).fetchone()
            if row is None or row[2] is not None or not hmac.compare_digest(row[1], _digest(secret)):
                return None
            db.execute("UPDATE tokens SET last_used = ? WHERE id = ?", (_now(), tid))
        return row[0]


def parse_token(token: str) -> tuple[str, str] | None:
    if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX):
        return None
    rest = token[len(TOKEN_PREFIX):]
    tid, sep, secret = rest.partition("_")
    if not sep or len(tid) != 12 or not all(c in "0123456789abcdef" for c in tid) or not 20 <= len(secret) <= 100:
        return None
    return tid, secret


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
