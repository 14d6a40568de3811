"""review.changestamp: a stamp that changes whenever one of some SQLite files commits a change."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

from review.changestamp import ChangeStamp


def _write(path, value, wal=True):
    db = sqlite3.connect(path, isolation_level=None)
    try:
        if wal:
            db.execute("PRAGMA journal_mode = WAL")
        db.execute("CREATE TABLE IF NOT EXISTS t(x)")
        db.execute("INSERT INTO t VALUES (?)", (value,))
    finally:
        db.close()


def test_a_missing_file_then_a_new_one(tmp_path):
    s = ChangeStamp([tmp_path / "a.sqlite"])
    assert s.stamp() == (None,)
    assert not (tmp_path / "a.sqlite").exists()  # looking never makes the file
    _write(tmp_path / "a.sqlite", 1)
    assert s.stamp() != (None,) and s.stamp() == s.stamp()


def test_a_commit_by_another_connection_or_process_changes_it(tmp_path):
    a, b = tmp_path / "a.sqlite", tmp_path / "b.sqlite"
    _write(a, 1)
    _write(b, 1, wal=False)
    s = ChangeStamp([a, b])
    first = s.stamp()
    assert s.stamp() == first  # nothing written: the same
    _write(a, 2)
    second = s.stamp()
    assert second != first
    code = "import sqlite3, sys; sqlite3.connect(sys.argv[1], isolation_level=None).execute('INSERT INTO t VALUES (3)')"
    subprocess.run([sys.executable, "-c", code, str(b)], check=True, timeout=60)  # a rollback-journal file
    third = s.stamp()
    assert third != second and third[0] == second[0]
    subprocess.run([sys.executable, "-c", code, str(a)], check=True, timeout=60)  # a WAL file
    assert s.stamp()[0] != third[0]


def test_a_file_replaced_by_another_changes_it_even_with_the_same_history(tmp_path):
    a = tmp_path / "a.sqlite"
    _write(a, 1)
    s = ChangeStamp([a])
    first = s.stamp()
    spare = tmp_path / "spare.sqlite"
    _write(spare, 1)
    os.replace(spare, a)
    assert s.stamp() != first


def test_a_file_that_is_not_a_database_gives_no_stamp(tmp_path):
    a = tmp_path / "a.sqlite"
    a.write_bytes(b"this is not a database, only words" * 100)
    assert ChangeStamp([a]).stamp() is None
