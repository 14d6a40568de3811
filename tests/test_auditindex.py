"""The audit log's rows kept on disk by (log, tip) (review/auditindex.py): every page read from
DIR/instance/audit.sqlite is the page read from git; a log that moved is read again, and only it;
a file deleted, damaged or impossible to open leaves the log right."""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys
from pathlib import Path

from review import amendments as am
from review import audit, auditindex, comments, cursors, progress, reviewlog, signoff, versions
from review import commitment as core

ROOT = Path(__file__).resolve().parents[1]
C4 = "engagement-04"


def _people(repo):
    return core.read_plan(repo, repo.resolve("main")).people


def _lived(repo):
    """Comments, a reply, a progress report, an amendment approved (approvals name their
    organisation) and merged, another open, a published version."""
    people = _people(repo)
    path = f"commitments/{C4}/fr.md"
    t = repo.read_file(repo.resolve("main"), path).decode()
    a = am.propose(repo, people["lucie"], C4, "Titre", "Plus clair.", {path: t.replace("## Enjeux", "## Les enjeux", 1)})
    signoff.give_verdict(repo, people["antoine"], a.number, a.head, "approve")
    signoff.give_verdict(repo, people["sophie"], a.number, a.head, "approve")
    signoff.merge(repo, people["claire"], a.number, a.head)
    c = comments.add(repo, people["karim"], C4, "Pourquoi ?", anchor="p-2", stance="against")
    comments.add(repo, people["antoine"], C4, "Parce que.", reply_to=c.id)
    comments.add(repo, people["sophie"], "engagement-02", "Ailleurs.")
    progress.report(repo, people["antoine"], C4, "limited", "", [])
    t = repo.read_file(repo.resolve("main"), path).decode()
    am.propose(repo, people["karim"], C4, "Ouvert", "", {path: t.replace("## Contexte", "## Cadre", 1)})
    versions.publish_version(repo, people["claire"], "v1", None, {"fr": "Première.", "en": "First."})


def _filters(people) -> list[audit.Filters]:
    today = dt.datetime.now(dt.timezone.utc).date()
    orgs = sorted({p.organisation for p in people.values() if p.organisation})
    return [audit.Filters(), audit.Filters(person="antoine"), audit.Filters(commitment=C4),
            audit.Filters(type="approval"), audit.Filters(type="comment", person="karim"),
            audit.Filters(since=today), audit.Filters(until=today - dt.timedelta(days=1)),
            audit.Filters(since=today, until=today), audit.Filters(type=audit.VERSION_PUBLISHED),
            audit.Filters(amendment=1)] + [audit.Filters(organisation=o) for o in orgs]


def _walk(repo, f, limit, index):
    """Every row by pages of `limit`, following the cursors."""
    out, after = [], None
    while True:
        rows, nxt = audit.audit_page(repo, f, after, limit, index)
        out += rows
        if nxt is None:
            return out
        after = cursors.decode(nxt, audit.AUDIT_CURSOR)


def test_every_filter_and_page_from_the_file_is_what_git_says(dep, repo):
    _lived(repo)
    store = auditindex.store_of(dep.instance_path)
    people = _people(repo)
    assert any(r.type == "approval" and r.organisation for r in audit.audit_log(repo))
    for f in _filters(people):
        want = audit.audit_log(repo, f)
        assert audit.audit_log(repo, f, store) == want, f
        assert _walk(repo, f, 3, store) == want, f
        assert _walk(repo, f, 1000, store) == want, f
    assert (dep.instance_path / auditindex.FILE_NAME).exists()
    # the rows are in the file (the versions are not: they are read from their tags)
    db = sqlite3.connect(dep.instance_path / auditindex.FILE_NAME)
    kept = db.execute("SELECT count(*) FROM rows").fetchone()[0]
    db.close()
    assert kept == len([r for r in audit.audit_log(repo) if r.type != audit.VERSION_PUBLISHED]) >= 9


def test_a_new_event_shows_at_once_and_only_its_log_is_read_again(dep, repo, monkeypatch):
    _lived(repo)
    store = auditindex.store_of(dep.instance_path)
    audit.audit_log(repo, None, store)
    want = audit.audit_log(repo)
    read = []
    real = audit._rows_at
    monkeypatch.setattr(audit, "_rows_at", lambda r, ref, tip, people: read.append(ref) or real(r, ref, tip, people))
    assert audit.audit_log(repo, None, store) == want
    assert read == []  # nothing moved: nothing read
    new = comments.add(repo, _people(repo)["lucie"], "engagement-03", "Nouveau.")
    rows, _ = audit.audit_page(repo, audit.Filters(commitment="engagement-03"), None, 50, store)
    assert new.id in {r.event for r in rows}
    assert read == [reviewlog.commitment_log("engagement-03")]


def test_a_row_stands_for_its_tip_only(dep, repo):
    """What the file holds is what is shown while the log's tip is the one it was written at;
    a row written for another tip (a stale or altered file) is read again from git."""
    _lived(repo)
    store = auditindex.store_of(dep.instance_path)
    want = audit.audit_log(repo, None, store)
    ref = reviewlog.commitment_log(C4)
    db = sqlite3.connect(dep.instance_path / auditindex.FILE_NAME)
    with db:
        db.execute("UPDATE rows SET detail = 'altered' WHERE log = ?", (ref,))
        db.execute("UPDATE logs SET tip = '0000000000000000000000000000000000000000' WHERE log = ?", (ref,))
        db.execute("DELETE FROM rows WHERE log = ?", (reviewlog.commitment_log("engagement-02"),))
    db.close()
    fresh = auditindex.Store(dep.instance_path / auditindex.FILE_NAME)  # a new worker
    assert audit.audit_log(repo, None, fresh) != want  # engagement-02's rows are gone from the file...
    comments.add(repo, _people(repo)["karim"], "engagement-02", "Encore.")  # ...until its log moves
    got = audit.audit_log(repo, None, fresh)
    assert "altered" not in {r.detail for r in got}
    assert got == audit.audit_log(repo)


def test_a_file_deleted_damaged_or_impossible_to_open_leaves_the_log_right(dep, repo, tmp_path):
    _lived(repo)
    store = auditindex.store_of(dep.instance_path)
    path = dep.instance_path / auditindex.FILE_NAME
    want = audit.audit_log(repo)
    assert audit.audit_log(repo, None, store) == want
    path.unlink()
    for name in ("-wal", "-shm"):
        path.with_name(path.name + name).unlink(missing_ok=True)
    assert audit.audit_log(repo, None, store) == want
    assert path.exists()  # written again
    for name in ("-wal", "-shm"):
        path.with_name(path.name + name).unlink(missing_ok=True)
    path.write_bytes(b"not a database" * 100)
    damaged = auditindex.Store(path)
    assert audit.audit_log(repo, None, damaged) == want
    assert audit.audit_page(repo, None, None, 2, damaged) == audit.audit_page(repo, None, None, 2)
    blocked = tmp_path / "blocked"
    blocked.mkdir()  # a folder where the file should be, as a read-only folder or a full disk would
    assert audit.audit_log(repo, None, auditindex.Store(blocked)) == want


WRITER = """
import sys
sys.path.insert(0, {root!r})
from review.deployment import Deployment
from review import audit, auditindex, comments
from review import commitment as core
dep = Deployment.open({dep!r})
repo = dep.open_repo()
store = auditindex.Store(dep.instance_path / auditindex.FILE_NAME)
people = core.read_plan(repo, repo.resolve("main")).people
for i in range(6):
    comments.add(repo, people[{who!r}], "engagement-0" + str(1 + i % 3), "Avis " + str(i))
    audit.audit_page(repo, None, None, 20, store)
"""


def test_processes_writing_and_reading_at_once_leave_the_file_as_git_says(dep, repo):
    procs = [subprocess.Popen([sys.executable, "-c", WRITER.format(root=str(ROOT), dep=str(dep.root), who=who)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for who in ("karim", "lucie", "sophie")]
    for p in procs:
        _out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err[-2000:]
    fresh = auditindex.Store(dep.instance_path / auditindex.FILE_NAME)
    want = audit.audit_log(repo)
    assert len([r for r in want if r.type == "comment"]) >= 18
    assert audit.audit_log(repo, None, fresh) == want
    db = sqlite3.connect(dep.instance_path / auditindex.FILE_NAME)
    tips = dict(db.execute("SELECT log, tip FROM logs"))
    db.close()
    assert tips == repo.refs("refs/reviews/")


def test_a_fresh_worker_serves_the_audit_page_from_the_file(app, dep, repo):
    _lived(repo)
    assert app.test_client().get("/audit?lang=fr").status_code == 200  # the first page fills the file
    assert (dep.instance_path / auditindex.FILE_NAME).exists()
    from review.web import create_app
    fresh = create_app(dep.root, {"TESTING": True, "PAGE_CACHE_SIZE": 0})
    db = sqlite3.connect(dep.instance_path / auditindex.FILE_NAME)
    with db:  # the page shows what the file holds (the log's tip unchanged): it was not read from git
        db.execute("UPDATE rows SET detail = 'from the file' WHERE type = 'progress-report'")
    db.close()
    got = fresh.test_client().get("/audit?lang=fr").get_data(as_text=True)
    assert "from the file" in got


def _git(dep, *args, input=None) -> str:
    return subprocess.run(["git", "-C", str(dep.repo_path), *args], input=input, capture_output=True,
                          text=True, check=True).stdout.strip()


def test_routes_around_the_log_on_the_server_show_as_git_has_them(dep, repo):
    """A shell on the server: a log given a second commit with the same event (same time and
    seq), a log pointed at a blob, then put back, and a log deleted. Each time the pages from the
    file are the rows read from git, and nothing of an earlier tip stands for a log."""
    _lived(repo)
    store = auditindex.store_of(dep.instance_path)
    assert audit.audit_log(repo, None, store) == audit.audit_log(repo)
    ref = reviewlog.commitment_log(C4)
    tip = _git(dep, "rev-parse", ref)
    again = _git(dep, "commit-tree", f"{tip}^{{tree}}", "-p", tip, input=_git(dep, "log", "-1", "--format=%B", tip))
    _git(dep, "update-ref", ref, again, tip)
    want = audit.audit_log(repo)
    twice = [r for r in want if r.log == ref and r.commit in (tip, again)]
    assert len(twice) == 2 and twice[0].seq == twice[1].seq and twice[0].time == twice[1].time
    assert audit.audit_log(repo, None, store) == want
    assert _walk(repo, audit.Filters(commitment=C4), 1, store) == _walk(repo, audit.Filters(commitment=C4), 1, None)

    blob = _git(dep, "hash-object", "-w", "--stdin", input="not a log")
    _git(dep, "update-ref", ref, blob, again)
    other = auditindex.Store(dep.instance_path / auditindex.FILE_NAME)  # another worker reads it damaged
    damaged = audit.audit_log(repo, None, other)
    assert damaged == audit.audit_log(repo)
    mine = [r for r in damaged if r.log == ref]
    assert [r.type for r in mine] == [audit.UNREADABLE] and blob in mine[0].detail
    _git(dep, "update-ref", ref, again, blob)
    # put back: the refs are as this worker last saw them, but the file is not: its rows again
    assert audit.audit_log(repo, None, store) == want
    assert audit.audit_log(repo, None, other) == want

    _git(dep, "update-ref", "-d", ref)
    gone = audit.audit_log(repo, None, store)
    assert gone == audit.audit_log(repo) and not [r for r in gone if r.log == ref]
