"""Each log's counts kept on disk by (log, tip) (review/logcounts.py): a fresh worker's plan page
reads them from DIR/instance/logcounts.sqlite instead of every log; a log that moved is read again."""

from __future__ import annotations

import sqlite3

from review import comments, logcounts, reviewlog
from review import commitment as core

CID = "engagement-02"


def _people(repo):
    return core.read_plan(repo, repo.resolve("main")).people


def _fresh_worker():
    """Forget what this process holds in memory, as a new worker starts with nothing."""
    comments._marks.data.clear()
    comments._marks.bytes = 0
    reviewlog._events_cache.data.clear()
    reviewlog._events_cache.bytes = 0


def _cids(repo):
    return [s.id for s in core.readable(core.list_commitments(repo, repo.resolve("main")))]


def test_counts_read_from_git_are_kept_on_disk_and_read_back_by_a_fresh_worker(dep, repo):
    people = _people(repo)
    first = comments.add(repo, people["karim"], CID, "Premier avis.")
    comments.add(repo, people["sophie"], CID, "Une réponse.", reply_to=first.id)
    comments.add(repo, people["sophie"], "engagement-03", "Ailleurs.")
    store = logcounts.store_of(dep.instance_path)
    _fresh_worker()
    from_git = comments.overviews(repo, _cids(repo), store)
    assert from_git[CID][0].visible == 2 and from_git[CID][0].unresolved == 1
    assert from_git["engagement-03"][0].visible == 1
    assert (dep.instance_path / logcounts.FILE_NAME).exists()

    _fresh_worker()
    # what the file holds is what the next worker shows: change a count there and it shows
    db = sqlite3.connect(dep.instance_path / logcounts.FILE_NAME)
    with db:
        db.execute("UPDATE counts SET visible = 42 WHERE log = ?", (reviewlog.commitment_log(CID),))
    db.close()
    from_disk = comments.overviews(repo, _cids(repo), store)
    assert from_disk[CID][0].visible == 42
    assert {cid: v for cid, v in from_disk.items() if cid != CID} == \
        {cid: v for cid, v in from_git.items() if cid != CID}

    # a new comment moves the tip: that log is read from git again, and its row replaced
    comments.add(repo, people["lucie"], CID, "Un troisième.")
    _fresh_worker()
    moved = comments.overviews(repo, [CID], store)
    assert moved[CID][0].visible == 3
    _fresh_worker()
    assert comments.overviews(repo, [CID], store)[CID][0].visible == 3


def test_the_file_can_be_deleted_or_damaged_and_the_counts_stay_right(dep, repo):
    people = _people(repo)
    comments.add(repo, people["karim"], CID, "Un avis.")
    store = logcounts.store_of(dep.instance_path)
    path = dep.instance_path / logcounts.FILE_NAME
    _fresh_worker()
    want = comments.overviews(repo, _cids(repo), store)
    path.unlink()
    _fresh_worker()
    assert comments.overviews(repo, _cids(repo), store) == want
    assert path.exists()  # written again
    for name in ("-wal", "-shm"):
        path.with_name(path.name + name).unlink(missing_ok=True)
    path.write_bytes(b"not a database" * 100)
    damaged = logcounts.Store(path)  # a new process meets the damaged file
    _fresh_worker()
    assert comments.overviews(repo, _cids(repo), damaged) == want


def test_unread_counts_come_from_the_kept_marks(dep, repo):
    people = _people(repo)
    store = logcounts.store_of(dep.instance_path)
    first = comments.add(repo, people["karim"], CID, "Un.")
    seen = comments.overviews(repo, [CID], store)[CID][0].last_seq
    comments.add(repo, people["sophie"], CID, "Deux.", reply_to=first.id)
    mine = comments.add(repo, people["antoine"], CID, "Trois, de moi.")
    hidden = comments.add(repo, people["karim"], CID, "Quatre.")
    comments.hide(repo, people["lucie"], CID, hidden.id, "Hors sujet.")
    _fresh_worker()
    comments.overviews(repo, [CID], store)
    _fresh_worker()
    summary, marks = comments.overviews(repo, [CID], store)[CID]
    assert comments.unread_count(marks, seen, "antoine") == 1  # not my own, not the hidden one
    assert comments.unread_count(marks, seen, "claire") == 2
    assert comments.unread_count(marks, None, "claire") == 0
    assert mine.id and summary.visible == 3


def test_the_plan_page_of_a_fresh_worker_shows_the_counts_kept_on_disk(app, dep, repo):
    people = _people(repo)
    comments.add(repo, people["karim"], CID, "Un avis sur la page du plan.")
    client = app.test_client()
    html = client.get("/?lang=fr").get_data(as_text=True)
    assert (dep.instance_path / logcounts.FILE_NAME).exists()
    from review.web import create_app
    _fresh_worker()
    fresh = create_app(dep.root, {"TESTING": True, "PAGE_CACHE_SIZE": 0}).test_client()
    assert fresh.get("/?lang=fr").get_data(as_text=True) == html


def test_a_file_that_cannot_be_opened_or_written_leaves_the_counts_right(dep, repo, tmp_path):
    """As on a full disk or a folder the worker may not write: every read is a miss, read from git."""
    comments.add(repo, _people(repo)["karim"], CID, "Un avis.")
    _fresh_worker()
    want = comments.overviews(repo, _cids(repo), None)
    blocked = tmp_path / "blocked"
    blocked.mkdir()  # a folder where the file should be: SQLite can neither open nor create it
    store = logcounts.Store(blocked)
    for _ in range(2):
        _fresh_worker()
        assert comments.overviews(repo, _cids(repo), store) == want
    assert blocked.is_dir() and not any(blocked.iterdir())
