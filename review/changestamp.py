"""A value that changes whenever one of some SQLite files commits a change (issue 20).

A signed-in page shows, beside what git holds, a few private things kept in the instance folder:
the "new since your last visit" markers (visits.sqlite), the unread notifications and the watch
buttons (notifications.sqlite), a participant's account (participants.sqlite). A page kept for
its reader (review/web/pagecache.py) is keyed on git ids and on this stamp, so any commit to one
of these files, by any process, gives the page another key: it is never stale.

It is SQLite's own `PRAGMA data_version`, read on a connection this process keeps open to each file
and never writes with: "the integer values returned by two invocations of PRAGMA data_version from
the same connection will be different if changes were committed to the database by any other
connection in the interim". The values of two connections cannot be compared, so each connection
gets a generation number of its own, and a file replaced by another (a new inode) gets a new
connection. A stamp is read *before* what it covers, so a page is never older than its key. About
5 us a file.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
import threading

_GENERATIONS = itertools.count(1)


class ChangeStamp:
    """`stamp()` -> a tuple that differs after any commit to any of `paths` (None for a file that
    does not exist yet); None when a file cannot be read (then nothing may be kept)."""

    def __init__(self, paths):
        self.paths = tuple(str(p) for p in paths)
        self._local = threading.local()

    def _held(self) -> dict:
        held = self._local.__dict__.get("held")
        pid = os.getpid()
        if held is None or held[0] != pid:  # a connection is never used across a fork
            held = self._local.held = (pid, {})
        return held[1]

    def stamp(self) -> tuple | None:
        held = self._held()
        out = []
        for path in self.paths:
            try:
                st = os.stat(path)
            except FileNotFoundError:
                out.append(None)
                continue
            except OSError:
                return None
            inode = (st.st_dev, st.st_ino)
            entry = held.get(path)
            try:
                if entry is None or entry[0] != inode:
                    if entry is not None:
                        entry[1].close()
                    db = sqlite3.connect(path, timeout=5, isolation_level=None, check_same_thread=False)
                    entry = held[path] = (inode, db, next(_GENERATIONS))
                out.append((entry[2], entry[1].execute("PRAGMA data_version").fetchone()[0]))
            except sqlite3.Error:
                stale = held.pop(path, None)
                if stale is not None:
                    stale[1].close()
                return None
        return tuple(out)
