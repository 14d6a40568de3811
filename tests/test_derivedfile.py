"""The derived SQLite files of the instance folder (search index, notifications): a file of
another format loses its derived tables only, in the transaction that makes the new ones."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from review import derivedfile

DDL = ["CREATE TABLE IF NOT EXISTS seen(ref TEXT PRIMARY KEY, tip TEXT NOT NULL)",
       "CREATE TABLE IF NOT EXISTS watches(handle TEXT NOT NULL, subject TEXT NOT NULL)"]


def _open(path, schema):
    return derivedfile.connect(str(path), schema, DDL, ("seen",), False, threading.Lock())


def test_same_format_keeps_everything_another_drops_the_derived_tables_only(tmp_path):
    path = tmp_path / "derived.sqlite"
    db = _open(path, 1)
    db.execute("INSERT INTO seen VALUES ('refs/heads/main', 'abc')")
    db.execute("INSERT INTO watches VALUES ('karim', 'plan')")
    db.execute("INSERT INTO meta VALUES ('refs', 'digest')")
    db.close()
    db = _open(path, 1)  # the same format: nothing is lost
    assert db.execute("SELECT count(*) FROM seen").fetchone() == (1,)
    assert db.execute("SELECT value FROM meta WHERE key = 'refs'").fetchone() == ("digest",)
    db.close()
    db = _open(path, 2)  # a new format: what git can give again goes, what people set stays
    assert db.execute("SELECT count(*) FROM seen").fetchone() == (0,)
    assert db.execute("SELECT * FROM watches").fetchall() == [("karim", "plan")]
    assert db.execute("SELECT key, value FROM meta").fetchall() == [("schema", "2")]
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    db.close()


def test_a_failed_upgrade_changes_nothing(tmp_path):
    path = tmp_path / "derived.sqlite"
    db = _open(path, 1)
    db.execute("INSERT INTO seen VALUES ('refs/heads/main', 'abc')")
    db.close()
    with pytest.raises(sqlite3.Error):
        derivedfile.connect(str(path), 2, [*DDL, "CREATE TABLE broken("], ("seen",), False, threading.Lock())
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM seen").fetchone() == (1,)
        assert db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == ("1",)


def _open_many(args):
    folder, barrier = args
    errors = []
    for i in range(15):
        barrier.wait()
        try:
            _open(f"{folder}/f{i}.sqlite", 1).close()
        except sqlite3.Error as exc:
            errors.append(str(exc))
    return errors


def test_processes_opening_a_new_file_at_once_all_get_it(tmp_path):
    """Two `review notify` (or two workers) opening a file that does not exist yet at the same
    moment: switching it to WAL waits for the other instead of failing with "database is locked"."""
    import multiprocessing
    ctx = multiprocessing.get_context("fork")
    n = 6
    barrier = ctx.Manager().Barrier(n)
    with ctx.Pool(n) as pool:
        results = pool.map(_open_many, [(str(tmp_path), barrier)] * n)
    assert results == [[]] * n
