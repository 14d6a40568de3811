"""When each signed-in person last read each discussion, to mark what is new since.

Private: kept in `instance/visits.sqlite`, never in git (who read what is nobody's business).
A visit is the position (`seq`) of the last event of the review log the person was shown, and
the time of the visit: what is new is exactly the events after that position, whatever the
clocks say. Bounded: at most MAX_PER_PERSON discussions per person (the oldest visits are
forgotten first; a forgotten discussion just shows nothing as new). Safe under concurrent
writes: one SQLite transaction per visit, and a position never moves back (two tabs, two
workers: the furthest one wins).
"""

from __future__ import annotations

import re
import os
import sqlite3
import threading
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from . import derivedfile, model

DB_FILE = "visits.sqlite"
MAX_PER_PERSON = 1000
AMENDMENT_RE = re.compile(r"^[1-9][0-9]{0,8}$")
REFRESH_SECONDS = 300  # a visit that sees nothing new rewrites the time of the last one at most this often
BUSY_MS = 2000  # a visit not recorded is a marker shown twice: never worth a slow page

SCHEMA = """
CREATE TABLE IF NOT EXISTS visits (
  handle TEXT NOT NULL,
  subject TEXT NOT NULL,
  seq INTEGER NOT NULL,
  time TEXT NOT NULL,
  PRIMARY KEY (handle, subject)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS visits_by_time ON visits (handle, time);
"""


@dataclass(frozen=True)
class Visit:
    seq: int    # the last event of the log shown then (-1: the log was empty)
    time: str   # ISO 8601, UTC


def _check(handle: str, subject: str) -> None:
    if not isinstance(handle, str) or not model.HANDLE_RE.match(handle.removeprefix("~")):  # ~: a participant
        raise ValueError(f"not a handle: {handle!r}")
    kind, _, name = subject.partition(":") if isinstance(subject, str) else ("", "", "")
    if not ((kind == "commitment" and model.valid_id(name)) or (kind == "amendment" and AMENDMENT_RE.match(name))):
        raise ValueError(f"not a discussion: {subject!r} (commitment:<id> or amendment:<number>)")


class Visits:
    def __init__(self, instance_path: str | Path, max_per_person: int = MAX_PER_PERSON):
        self.path = Path(instance_path) / DB_FILE
        self.max_per_person = max_per_person
        self._ready = False
        self._connections: dict[tuple[int, int], sqlite3.Connection] = {}

    def _connect(self) -> sqlite3.Connection:
        """One connection per thread and process, kept open: closing the last connection to a
        WAL database checkpoints it (about 2 ms, more than the whole query), so a page that
        opened and closed one per visit paid that on every read."""
        key = (os.getpid(), threading.get_ident())
        db = self._connections.get(key)
        if db is not None and self._ready:
            return db
        if db is not None:
            db.close()
        db = sqlite3.connect(self.path, timeout=BUSY_MS / 1000, isolation_level=None, check_same_thread=False)
        db.execute(f"PRAGMA busy_timeout={BUSY_MS}")
        # a visit is a marker, not a record: in WAL mode NORMAL stays consistent after a crash
        # (it may lose the last visits) and writes without an fsync per visit, which kept
        # concurrent workers waiting on each other's disk flushes
        db.execute("PRAGMA synchronous=NORMAL")
        if not self._ready:
            derivedfile.enable_wal(db)
            db.executescript(SCHEMA)
            self._ready = True
        self._connections[key] = db
        return db

    def last(self, handle: str, subjects: list[str]) -> dict[str, Visit]:
        """The person's last visit of each of these discussions (absent: never visited)."""
        for s in subjects:
            _check(handle, s)
        if not subjects or not self.path.exists():
            return {}
        db = self._connect()
        out = {}
        for i in range(0, len(subjects), 500):  # SQLite's limit on variables
            chunk = subjects[i:i + 500]
            rows = db.execute(f"SELECT subject, seq, time FROM visits WHERE handle = ? AND subject IN "
                              f"({','.join('?' * len(chunk))})", [handle, *chunk])
            out.update({s: Visit(seq, t) for s, seq, t in rows})
        return out

    def all_of(self, handle: str) -> dict[str, Visit]:
        """Every visit the person has recorded (at most max_per_person), in one query."""
        _check(handle, "commitment:x")
        if not self.path.exists():
            return {}
        rows = self._connect().execute("SELECT subject, seq, time FROM visits WHERE handle = ?", (handle,))
        return {s: Visit(seq, t) for s, seq, t in rows}

    def record(self, handle: str, subject: str, seq: int, time: str) -> Visit | None:
        """Note that the person was shown the log up to event `seq` at `time`; returns the
        visit before this one (None on a first visit)."""
        _check(handle, subject)
        if isinstance(seq, bool) or not isinstance(seq, int) or seq < -1:
            raise ValueError(f"not a position in a log: {seq!r}")
        db = self._connect()
        row = db.execute("SELECT seq, time FROM visits WHERE handle = ? AND subject = ?",
                         (handle, subject)).fetchone()
        if row is not None and row[0] == seq and _seconds_between(row[1], time) < REFRESH_SECONDS:
            # nothing new seen since a visit moments ago: no write (a page read is not a
            # disk write each time); the visit's time moves at most REFRESH_SECONDS late
            return Visit(*row)
        db.execute("BEGIN IMMEDIATE")
        try:
            row = db.execute("SELECT seq, time FROM visits WHERE handle = ? AND subject = ?",
                             (handle, subject)).fetchone()
            db.execute("INSERT INTO visits (handle, subject, seq, time) VALUES (?, ?, ?, ?) "
                       "ON CONFLICT (handle, subject) DO UPDATE SET seq = max(seq, excluded.seq), "
                       "time = max(time, excluded.time)", (handle, subject, seq, time))
            if row is None:  # a new discussion for this person: forget the oldest beyond the bound
                db.execute("DELETE FROM visits WHERE handle = ? AND subject IN (SELECT subject FROM visits "
                           "WHERE handle = ? ORDER BY time DESC, subject LIMIT -1 OFFSET ?)",
                           (handle, handle, self.max_per_person))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return Visit(*row) if row else None

    def record_quietly(self, handle: str, subject: str, seq: int, time: str, on_error=None) -> Visit | None:
        """record(), but a busy or broken database never breaks the page that reads: the
        markers are then just not shown (and `on_error()` is called: such a page is not kept)."""
        try:
            return self.record(handle, subject, seq, time)
        except sqlite3.Error:
            self._ready = False  # a file deleted or replaced meanwhile: make the table again next time
            if on_error is not None:
                on_error()
            return None


def _seconds_between(earlier: str, later: str) -> float:
    try:
        a = dt.datetime.fromisoformat(earlier.replace("Z", "+00:00"))
        b = dt.datetime.fromisoformat(later.replace("Z", "+00:00"))
    except ValueError:
        return float("inf")
    return (b - a).total_seconds()


def commitment_subject(cid: str) -> str:
    return f"commitment:{cid}"


def amendment_subject(number: int) -> str:
    return f"amendment:{number}"
