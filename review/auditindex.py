"""The audit log's rows kept on disk (DIR/instance/audit.sqlite), by each review log's name and
tip commit id.

The audit log lists every event of every review log, oldest first: on a plan of 100,000 comments a
worker read every log (15 s) and kept the 100,000 rows sorted in memory (about 60 MB) to serve one
page of 100. Rows are a pure function of their log's tip, so they are kept here under (log, tip)
and a page is one query in (time, log, seq) order. A log whose tip differs from the one written
is read again from git and its rows replaced; a log that cannot be read (a damaged object) has no
row here (the caller shows it as unreadable, from git, each time). What depends on plan.yaml (a
person's organisation) is not kept: the caller adds it when it reads. Derived from git and safe to
delete: the next reader writes it again.

Errors of the file (a full disk, a read-only folder, a damaged file) are logged and read as
"no index": the caller reads every log from git, as it did before the file existed.
"""

from __future__ import annotations

import logging
import os
import sqlite3

from . import derivedfile

log = logging.getLogger(__name__)

FILE_NAME = "audit.sqlite"
SCHEMA = 2
# the columns of review.audit.Row, in its order, but `organisation` holds only the one an event
# names itself (an approval, a consultation's response): a person's comes from plan.yaml at read time
COLUMNS = ("time", "log", "seq", "event", "type", "actor", "organisation", "commitment", "amendment",
           "revision", "target", "detail", "commit_id")
# `pos`, a row's place in its log, keeps apart two rows of one log with the same time and seq (a
# log rewritten by hand, which `review verify` flags): the audit page shows both, as git has them
_DDL = [
    "CREATE TABLE IF NOT EXISTS logs(log TEXT PRIMARY KEY, tip TEXT NOT NULL) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS rows(time TEXT NOT NULL, log TEXT NOT NULL, seq INTEGER NOT NULL, "
    "event TEXT, type TEXT, actor TEXT, organisation TEXT, commitment TEXT, amendment INTEGER, "
    "revision TEXT, target TEXT, detail TEXT, commit_id TEXT, pos INTEGER NOT NULL, "
    "PRIMARY KEY (time, log, seq, pos)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS rows_by_log ON rows(log)",
    "CREATE INDEX IF NOT EXISTS rows_by_actor ON rows(actor, log)",
]
_DERIVED = ("logs", "rows")


class Store(derivedfile.Store):
    """The audit file of one deployment (one object per file and process: `store_of`)."""

    SCHEMA, DDL, DERIVED = SCHEMA, _DDL, _DERIVED

    def __init__(self, path: str | os.PathLike):
        super().__init__(path)
        self.synced: tuple | None = None  # (what this process last brought the file to, its stamp then)

    def forget(self) -> None:
        self.synced = None

    def _stamp(self) -> tuple | None:
        """The file's inode and write count: any write by any process (a log put back after it was
        damaged brings the refs back to a state seen before, not the file) changes it."""
        try:
            inode = os.stat(self.path).st_ino
            row = self._db().execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        except (OSError, sqlite3.Error):
            return None
        return inode, row[0] if row else None

    def is_synced(self, key) -> bool:
        """Did this process bring the file to `key`, with no write to it since?"""
        return self.synced is not None and self.synced == (key, self._stamp())

    def mark_synced(self, key) -> None:
        self.synced = (key, self._stamp())

    def tips(self) -> dict[str, str] | None:
        """log -> the tip its rows were written at; None when the file cannot be read."""
        try:
            return dict(self._db().execute("SELECT log, tip FROM logs"))
        except sqlite3.Error:
            log.exception("could not read %s: reading the audit log from git", self.path)
            return None

    def put(self, logs: list[tuple[str, str | None, list[tuple]]], current) -> bool:
        """Replace the rows of each (log, tip, rows) in one transaction; a tip None removes the
        log's rows (a log gone, or one that cannot be read now). `current(log)` is the log's tip
        as the repository says now: a log that moved since its rows were read is left for the
        next reader (so a slower process never writes an older tip over a newer one).
        False when the file cannot be written."""
        try:
            db = self._db()
            db.execute("BEGIN IMMEDIATE")
            try:
                for name, tip, rows in logs:
                    if tip is not None and current(name) != tip:
                        continue
                    db.execute("DELETE FROM rows WHERE log = ?", (name,))
                    if tip is None:
                        db.execute("DELETE FROM logs WHERE log = ?", (name,))
                        continue
                    db.executemany(f"INSERT INTO rows VALUES ({','.join('?' * (len(COLUMNS) + 1))})",
                                   [(*row, pos) for pos, row in enumerate(rows)])
                    db.execute("INSERT OR REPLACE INTO logs VALUES (?, ?)", (name, tip))
                db.execute("INSERT INTO meta VALUES ('generation', '1') ON CONFLICT(key) DO UPDATE "
                           "SET value = CAST(value AS INTEGER) + 1")
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            return True
        except sqlite3.Error:
            log.exception("could not write %s: reading the audit log from git", self.path)
            self.synced = None
            return False

    def select(self, where: str, params: list, after: tuple | None, limit: int | None):
        """The rows matching `where` (SQL over COLUMNS, with `params`) after the key (time, log,
        seq) `after`, in key order, at most `limit`; None when the file cannot be read."""
        clauses = [where] if where else []
        args = list(params)
        if after is not None:
            clauses.append("(time, log, seq) > (?, ?, ?)")
            args += list(after)
        sql = (f"SELECT {', '.join(COLUMNS)} FROM rows" + (f" WHERE {' AND '.join(clauses)}" if clauses else "")
               + " ORDER BY time, log, seq, pos" + (" LIMIT ?" if limit is not None else ""))
        if limit is not None:
            args.append(limit)
        try:
            return self._db().execute(sql, args).fetchall()
        except sqlite3.Error:
            log.exception("could not read %s: reading the audit log from git", self.path)
            self.synced = None
            return None

    def logs_of(self, actor: str) -> set[str] | None:
        """The logs in which `actor` wrote an event (at the tips the file holds); None when the
        file cannot be read."""
        try:
            return {name for (name,) in self._db().execute("SELECT DISTINCT log FROM rows WHERE actor = ?", (actor,))}
        except sqlite3.Error:
            log.exception("could not read %s", self.path)
            self.synced = None
            return None


store_of = derivedfile.registry(Store, FILE_NAME)  # one Store per file and process
