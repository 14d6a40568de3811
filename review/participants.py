"""Participants: members of the public who take part in consultations under a pseudonym.

A participant is not a person of plan.yaml. Their account lives in the instance folder only:
`participants.sqlite` holds the pseudonym, an optional e-mail address (private, never in git)
and when the account was made or deleted; the password hash, tokens and sessions are in
`accounts.sqlite` (review.accounts) under the handle `~pseudonym`. In git a participant is that
handle and nothing else: commit author `~pseudonym <~pseudonym@review.invalid>`.

Accounts are made by a coordinator (`review participant add`, or the form on a consultation's
page), who hands over a one-time password, or by the participant themselves while a consultation is
open: review.registrations keeps the request until the link sent to the address is followed, then
calls `register()` with the confirmed address and the password's hash (docs/consultations.md). A deleted account keeps its pseudonym reserved (so nobody else
speaks under it) but loses its e-mail address and credentials.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from . import accounts as store
from . import derivedfile
from .deployment import Deployment
from .errors import Busy, Conflict, Invalid, Missing
from .model import HANDLE_RE, Person
from .permissions import PARTICIPANT, require

MARK = "~"
DB_FILE = "participants.sqlite"
PSEUDONYM_RE = HANDLE_RE  # 2 to 32 of a-z 0-9 _ -, starting with a letter
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{1,63}$")

SCHEMA = """
CREATE TABLE IF NOT EXISTS participants (
  pseudonym TEXT PRIMARY KEY,
  email TEXT,               -- private; NULL when none was given, or once the account is deleted
  created TEXT NOT NULL,
  created_by TEXT NOT NULL, -- the coordinator's handle, or 'self' (a confirmed address)
  deleted TEXT              -- when the participant deleted their account
);
"""


@dataclass(frozen=True)
class Participant:
    pseudonym: str
    email: str | None
    created: str
    created_by: str
    deleted: str | None

    @property
    def handle(self) -> str:
        return MARK + self.pseudonym

    def person(self) -> Person:
        return person_of(self.pseudonym)


def is_participant(handle: str | None) -> bool:
    return isinstance(handle, str) and handle.startswith(MARK)


def person_of(pseudonym: str) -> Person:
    """The Person the permissions see: their handle and public name are `~pseudonym`."""
    return Person(MARK + pseudonym, MARK + pseudonym, None, (PARTICIPANT,))


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def check_pseudonym(pseudonym) -> str:
    p = pseudonym.strip().lower().removeprefix(MARK) if isinstance(pseudonym, str) else ""
    if not PSEUDONYM_RE.match(p):
        raise Invalid("participant.bad_pseudonym", pseudonym=repr(pseudonym))
    return p


def check_email(email) -> str | None:
    if email is None or (isinstance(email, str) and not email.strip()):
        return None
    if not isinstance(email, str) or not EMAIL_RE.match(email.strip()):
        raise Invalid("participant.bad_email")
    return email.strip()


class Participants:
    """The participant accounts of one deployment."""

    def __init__(self, dep: Deployment, accounts: store.Accounts | None = None):
        self.dep = dep
        self.accounts = accounts or store.Accounts(dep)
        self.path = Path(dep.instance_path) / DB_FILE
        with self._db() as db:
            db.executescript(SCHEMA)

    @contextmanager
    def _db(self):
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            derivedfile.enable_wal(db)
            yield db
        finally:
            db.close()

    # -- reading ------------------------------------------------------------------------

    def get(self, pseudonym: str) -> Participant | None:
        with self._db() as db:
            row = db.execute("SELECT pseudonym, email, created, created_by, deleted FROM participants "
                             "WHERE pseudonym = ?", (pseudonym.removeprefix(MARK),)).fetchone()
        return Participant(*row) if row else None

    def person(self, handle: str) -> Person | None:
        """The Person of a signed-in participant (`~pseudonym`), None when unknown or deleted."""
        if not is_participant(handle):
            return None
        p = self.get(handle)
        return p.person() if p is not None and p.deleted is None else None

    def list(self) -> list[Participant]:
        with self._db() as db:
            rows = db.execute("SELECT pseudonym, email, created, created_by, deleted FROM participants "
                              "ORDER BY created, pseudonym").fetchall()
        return [Participant(*r) for r in rows]

    # -- writing ------------------------------------------------------------------------

    def registration_wait(self, *keys: str) -> int:
        return self.accounts.throttle_wait(*(f"register:{k}" for k in keys))

    def add(self, coordinator: Person | None, pseudonym: str, email: str | None = None,
            address: str | None = None) -> tuple[Participant, str]:
        """A coordinator makes an account: returns it and a one-time password to hand over (the
        participant changes it on their page). Throttled per coordinator and per address."""
        require(coordinator, "add_participant")
        keys = [f"by:{coordinator.handle}"] + ([f"address:{address}"] if address else [])
        return self._create(pseudonym, email, coordinator.handle, secrets.token_urlsafe(12), keys)

    def add_as_operator(self, pseudonym: str, email: str | None = None) -> tuple[Participant, str]:
        """`review participant add`: whoever runs commands on the server makes the account."""
        return self._create(pseudonym, email, "operator", secrets.token_urlsafe(12), [])

    def register(self, pseudonym: str, confirmed_email: str, password: str | None,
                 address: str | None = None, password_hash: str | None = None) -> Participant:
        """Self-registration: call it only with an address whose owner followed the confirmation
        link (review.registrations). The password comes plain, or already hashed (argon2id) from
        the request that waited for the confirmation."""
        if check_email(confirmed_email) is None:
            raise Invalid("participant.bad_email")
        keys = [f"address:{address}"] if address else []
        return self._create(pseudonym, confirmed_email, "self", password, keys, password_hash)[0]

    def _create(self, pseudonym, email, by, password, keys, password_hash=None) -> tuple[Participant, str]:
        pseudonym = check_pseudonym(pseudonym)
        email = check_email(email)
        wait = self.registration_wait(*keys)
        if wait:
            raise Busy("participant.throttled", retry_after=wait, wait=wait)
        if pseudonym in self._plan_handles() or (by != "self" and self._reserved(pseudonym)):
            raise Conflict("participant.taken", pseudonym=pseudonym)
        now = _now()
        with self._db() as db:
            try:
                db.execute("INSERT INTO participants VALUES (?, ?, ?, ?, NULL)", (pseudonym, email, now, by))
            except sqlite3.IntegrityError:
                raise Conflict("participant.taken", pseudonym=pseudonym) from None
        try:
            self.accounts.add_participant(MARK + pseudonym, password, password_hash=password_hash)
        except Exception:
            with self._db() as db:
                db.execute("DELETE FROM participants WHERE pseudonym = ?", (pseudonym,))
            raise
        if keys:
            self.accounts.record_failure(*(f"register:{k}" for k in keys))
        return Participant(pseudonym, email, now, by, None), password

    def _reserved(self, pseudonym: str) -> bool:
        """Waiting for its e-mail confirmation (review.registrations), or a word of the site's addresses."""
        from .registrations import DB_FILE as PENDING, RESERVED
        if pseudonym in RESERVED:
            return True
        path = Path(self.dep.instance_path) / PENDING
        if not path.exists():
            return False
        db = sqlite3.connect(path, timeout=30)
        try:
            row = db.execute("SELECT 1 FROM pending WHERE pseudonym = ? AND used IS NULL AND expires >= ?",
                             (pseudonym, dt.datetime.now(dt.timezone.utc).timestamp())).fetchone()
        except sqlite3.OperationalError:  # no table yet
            row = None
        finally:
            db.close()
        return row is not None

    def _plan_handles(self) -> set[str]:
        from . import commitment as core
        repo = self.dep.open_repo()
        return set(core.read_plan(repo, core.resolve(repo, "main")).people)

    def delete(self, person: Person | None, handle: str) -> None:
        """The participant deletes their own account: e-mail and credentials go; the pseudonym
        stays reserved, and their public contributions stay under it."""
        require(person, "manage_account", _owner(handle))
        p = self.get(handle) if is_participant(handle) else None
        if p is None or p.deleted:
            raise Missing("participant.missing", pseudonym=handle)
        with self._db() as db:
            db.execute("UPDATE participants SET email = NULL, deleted = ? WHERE pseudonym = ?", (_now(), p.pseudonym))
        self.accounts.delete_account(p.handle)


def _owner(handle: str):
    from .permissions import Subject
    return Subject(owner=handle)


# -- throttling contributions (per account and per address) ----------------------------------

def throttle_contribution(accounts: store.Accounts, handle: str, address: str | None) -> None:
    """Count one contribution (or stance) of this account from this address; raise Busy when
    the account or the address has written too much lately (accounts.CONTRIBUTION_POLICY)."""
    keys = [f"contribute:account:{handle}"] + ([f"contribute:address:{address}"] if address else [])
    wait = accounts.throttle_wait(*keys)
    if wait:
        raise Busy("consultation.throttled", retry_after=wait, wait=wait)
    accounts.record_failure(*keys)
