"""Each review log's counts for lists, kept on disk (DIR/instance/logcounts.sqlite) by the log's
name and tip commit id.

The plan page of 5,000 commitments shows, per commitment, how many comments and open threads its
log holds and how many are new to the reader: a fresh worker had to read and fold every log for
it (100,000 events: tens of seconds). What it needs of a log is a few numbers and, per comment,
(position, author, hidden); they are a pure function of the log's tip, so a row is kept under
(log, tip) and a reader whose tip differs reads the log again. Derived from git and safe to
delete: the next reader writes it again. One row per log (the latest tip written), so the file
grows with the number of logs, not with their history.
"""

from __future__ import annotations

import logging
import os
import sqlite3

from . import derivedfile

log = logging.getLogger(__name__)

FILE_NAME = "logcounts.sqlite"
SCHEMA = 1
_DDL = ["CREATE TABLE IF NOT EXISTS counts(log TEXT PRIMARY KEY, tip TEXT NOT NULL, visible INTEGER NOT NULL, "
        "unresolved INTEGER NOT NULL, resolved INTEGER NOT NULL, last_seq INTEGER NOT NULL, "
        "marks TEXT NOT NULL) WITHOUT ROWID"]
_DERIVED = ("counts",)
CHUNK = 500  # SQLite's limit on variables in one statement


class Store(derivedfile.Store):
    """The counts file of one deployment. Errors of the file (a full disk, a read-only folder,
    a damaged file) are logged and read as misses: the caller reads git instead."""

    SCHEMA, DDL, DERIVED = SCHEMA, _DDL, _DERIVED

    def get(self, tips: dict[str, str]) -> dict[str, tuple[tuple[int, int, int, int], str]]:
        """log -> ((visible, unresolved, resolved, last_seq), marks) for the logs of `tips` (log ->
        tip commit id) whose row was written at that tip."""
        out: dict = {}
        if not tips or not os.path.exists(self.path):
            return out
        try:
            db = self._db()
            names = list(tips)
            for i in range(0, len(names), CHUNK):
                chunk = names[i:i + CHUNK]
                rows = db.execute("SELECT log, tip, visible, unresolved, resolved, last_seq, marks FROM counts "
                                  f"WHERE log IN ({','.join('?' * len(chunk))})", chunk)
                for name, tip, visible, unresolved, resolved, last_seq, marks in rows:
                    if tips.get(name) == tip:
                        out[name] = ((visible, unresolved, resolved, last_seq), marks)
        except sqlite3.Error:
            log.exception("could not read %s: reading the logs from git", self.path)
            return {}
        return out

    def put(self, rows: list[tuple[str, str, tuple[int, int, int, int], str]]) -> None:
        """Keep (log, tip, counts, marks) rows, in one transaction; a log's earlier row goes."""
        if not rows:
            return
        try:
            db = self._db()
            db.execute("BEGIN IMMEDIATE")
            try:
                db.executemany("INSERT OR REPLACE INTO counts VALUES (?, ?, ?, ?, ?, ?, ?)",
                               [(name, tip, *counts, marks) for name, tip, counts, marks in rows])
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        except sqlite3.Error:
            log.exception("could not write %s: the counts will be read from git again", self.path)


store_of = derivedfile.registry(Store, FILE_NAME)  # one Store per file and process
