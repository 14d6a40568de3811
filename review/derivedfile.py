"""The SQLite files in the instance folder that hold what is derived from git (the search index,
the notifications), opened one way.

Each file has a `meta` table whose `schema` row names its format. A file of another format is
brought to this one in the same transaction that makes the tables: its derived tables are
dropped (git has everything they held, and the next catch-up writes them again); tables that
are not derived (the watches people set) are kept. The file is in WAL mode, so readers never
wait for the writer, with `synchronous = NORMAL`: a crash may lose the last transactions,
which the next catch-up derives again, never the file's consistency.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

META = "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)"
BUSY_MS = 30_000


WAL_ATTEMPTS = 50


def enable_wal(db: sqlite3.Connection) -> None:
    """Put the file in WAL mode (every SQLite file of the instance folder uses this).

    Switching a new file to WAL needs it to itself for a moment, and SQLite answers "database is
    locked" at once, without waiting the busy timeout, when another process is doing the same
    (two `review notify`, two workers starting): then wait a little and look again, a bounded
    number of times. A file already in WAL needs nothing."""
    for attempt in range(WAL_ATTEMPTS):
        try:
            if db.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
                return
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if ("locked" not in str(exc) and "busy" not in str(exc)) or attempt == WAL_ATTEMPTS - 1:
                raise
            time.sleep(0.01 * (attempt + 1))


def connect(path: str, schema: int, ddl: list[str], derived: tuple[str, ...], ready: bool,
            lock: threading.Lock) -> sqlite3.Connection:
    """A connection to the file at `path` (autocommit: callers open their own transactions).
    Unless `ready` (the caller made the tables already in this process), the tables of `ddl` are
    made first, under `lock` and in one `BEGIN IMMEDIATE` transaction with the format check."""
    db = sqlite3.connect(path, timeout=BUSY_MS / 1000, isolation_level=None, check_same_thread=False)
    db.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
    if not ready:
        with lock:
            enable_wal(db)
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute(META)
                row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
                if row is not None and row[0] != str(schema):  # another format: its derived tables go
                    for table in derived:
                        db.execute(f"DROP TABLE IF EXISTS {table}")
                    db.execute("DELETE FROM meta")
                for stmt in ddl:
                    db.execute(stmt)
                db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (str(schema),))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
    db.execute("PRAGMA synchronous = NORMAL")
    return db


class Store:
    """A derived file with one connection per thread and process (a connection must not cross a
    fork), its tables made on first use and again when the file was deleted. Subclasses name
    SCHEMA, DDL and DERIVED (as `connect` takes them)."""

    SCHEMA: int
    DDL: list[str]
    DERIVED: tuple[str, ...]

    def __init__(self, path: str | os.PathLike):
        self.path = str(path)
        self._ready = False
        self._lock = threading.Lock()
        self._local = threading.local()

    def forget(self) -> None:
        """What a subclass knows of the file's contents, forgotten when the file is gone."""

    def _db(self) -> sqlite3.Connection:
        key = (os.getpid(), self.path)
        conn = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "key", None) != key or not self._ready \
                or not os.path.exists(self.path):
            if not os.path.exists(self.path):
                self._ready = False
                self.forget()
            conn = self._local.conn = connect(self.path, self.SCHEMA, self.DDL, self.DERIVED, self._ready, self._lock)
            self._local.key = key
            self._ready = True
        return conn


def registry(cls, file_name: str):
    """A `store_of(instance_path)` giving one `cls` object per file and process."""
    stores: dict[str, Store] = {}
    lock = threading.Lock()

    def store_of(instance_path: str | os.PathLike):
        path = str(Path(instance_path) / file_name)
        with lock:
            s = stores.get(path)
            if s is None:
                s = stores[path] = cls(path)
            return s
    return store_of
