"""One integrity checker per deployment, in its own process (review/integrityd.py): the web
processes read its verdict and hold none of what the check remembers (issue 20)."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time

import pytest

from review import comments, integrity, integrityd
from review.web import create_app
from review.web import integrity as web_integrity

from .test_integrity import C4, _forge_comment, _people

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _app(deployment_dir, **config):
    return create_app(deployment_dir, {"TESTING": True, "INTEGRITY_CHECK": "process", **config})


@pytest.fixture
def shared_app(deployment_dir):
    app = _app(deployment_dir)
    yield app
    app.extensions[web_integrity.KEY].stop()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped by its parent) is gone for our purpose
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0] != "Z"


def _until(predicate, seconds=30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_the_checker_process_gives_the_workers_the_verdict_of_the_check_in_process(shared_app, repo, dep):
    client = shared_app.test_client()
    shared = shared_app.extensions[web_integrity.KEY]
    assert isinstance(shared, integrityd.Shared) and shared.spawned == 1
    api = client.get("/api/v1/integrity").get_json()
    assert api["clean"] is True and api["verified_tip"] == repo.resolve("main")
    # a normal write, then a forged one: the checker sees the refs move, the page shows its verdict
    comments.add(repo, _people(repo)["karim"], C4, "Une question.")
    assert client.get("/api/v1/integrity").get_json()["clean"] is True
    forged = _forge_comment(repo)
    api = client.get("/api/v1/integrity").get_json()
    assert [(v["code"], v["commit"]) for v in api["violations"]] == [("actor-not-author", forged)]
    assert "1 violation dans l'historique" in client.get("/").get_data(as_text=True)
    # the same verdict as a check in this process, and read from the state file, not made here
    mine = integrity.Monitor(repo.path).current(repo).as_json()
    assert {k: v for k, v in api.items() if k != "checked_at"} == {k: v for k, v in mine.items() if k != "checked_at"}
    doc = json.loads((dep.instance_path / integrityd.STATE_FILE).read_text())
    assert bytes.fromhex(doc["key"]) == repo.refs_fingerprint() and doc["violations"] == api["violations"]
    assert shared.spawned == 1  # one checker did all of it


def test_a_second_checker_exits_at_once_and_a_dead_one_is_started_again(shared_app, repo, dep):
    client = shared_app.test_client()
    shared = shared_app.extensions[web_integrity.KEY]
    assert client.get("/api/v1/integrity").status_code == 200
    first = shared.child.pid
    # another worker's checker, started while this one holds the lock: it leaves at once
    other = subprocess.run([sys.executable, "-m", "review.integrityd", repo.path, str(dep.instance_path),
                            str(os.getpid())], cwd=ROOT, timeout=60)
    assert other.returncode == 0 and _alive(first)
    # the checker dies: the next page that needs a new verdict starts another one
    shared.child.kill()
    shared.child.wait()
    comments.add(repo, _people(repo)["karim"], C4, "Une autre question.")
    api = client.get("/api/v1/integrity").get_json()
    assert api["clean"] is True and api["refs"][f"refs/reviews/commitments/{C4}"] == repo.resolve(f"refs/reviews/commitments/{C4}")
    assert shared.spawned == 2 and shared.child.pid != first


def test_the_checker_stops_with_the_process_that_started_it(deployment_dir, dep):
    script = ("import sys; sys.path.insert(0, sys.argv[1]);"
              "from review import integrityd; s = integrityd.Shared(sys.argv[2], sys.argv[3]);"
              "s.ensure_running(); print(s.child.pid, flush=True)")
    out = subprocess.run([sys.executable, "-c", script, ROOT, str(dep.repo_path), str(dep.instance_path)],
                         capture_output=True, text=True, timeout=60, check=True)
    checker = int(out.stdout)
    assert _until(lambda: not _alive(checker)), "the checker outlived the process that started it"


def test_a_page_waits_a_bounded_time_for_the_verdict_and_a_damaged_state_file_is_not_believed(deployment_dir, dep):
    # a checker that never answers: the lock is held here; a state file that is not the checker's
    lock = open(dep.instance_path / integrityd.LOCK_FILE, "a")
    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    (dep.instance_path / integrityd.STATE_FILE).write_text('{"key": "00", "clean": tru')
    app = _app(deployment_dir, INTEGRITY_WAIT_SECONDS=0.3)
    client = app.test_client()
    try:
        r = client.get("/api/v1/integrity")
        assert r.status_code == 503 and "try again" in r.get_json()["error"]
        page = client.get("/")
        assert page.status_code == 200 and "historique vérifié" not in page.get_data(as_text=True)
        assert app.extensions[web_integrity.KEY].spawned == 0  # a checker holds the lock: none started
        # the lock is free again: the next page starts a checker, which writes a real state
        lock.close()
        app.config["INTEGRITY_WAIT_SECONDS"] = 60
        app.extensions[web_integrity.KEY].wait = 60
        assert client.get("/api/v1/integrity").get_json()["clean"] is True
        assert "historique vérifié" in client.get("/").get_data(as_text=True)
    finally:
        lock.close()
        app.extensions[web_integrity.KEY].stop()


def test_a_forged_state_for_other_refs_is_not_shown(shared_app, repo, dep):
    """A state file whose digest is not the refs' as they are now (an old one, or one written
    by hand) is not taken for the current verdict: the page waits for the checker's."""
    client = shared_app.test_client()
    assert client.get("/api/v1/integrity").get_json()["clean"] is True
    shared_app.extensions[web_integrity.KEY].stop()
    forged = _forge_comment(repo)  # the refs moved: no checker runs to see it yet
    doc = json.loads((dep.instance_path / integrityd.STATE_FILE).read_text())
    doc["read_at"] = 0  # the old clean verdict, rewritten (a new stamp) but for the refs before
    (dep.instance_path / integrityd.STATE_FILE).write_text(json.dumps(doc))
    api = client.get("/api/v1/integrity").get_json()  # a checker is started again and checks
    assert [(v["code"], v["commit"]) for v in api["violations"]] == [("actor-not-author", forged)]


@pytest.mark.parametrize("key,value,says", [
    ("INTEGRITY_CHECK", "fork", r"INTEGRITY_CHECK is 'fork' in .*config\.py: give \"process\""),
    ("INTEGRITY_WAIT_SECONDS", -1, r"INTEGRITY_WAIT_SECONDS is -1 in .*config\.py: give the seconds"),
    ("INTEGRITY_WAIT_SECONDS", "10", r"INTEGRITY_WAIT_SECONDS is '10' in .*config\.py"),
])
def test_a_wrong_setting_is_named_at_start(deployment_dir, key, value, says):
    with pytest.raises(RuntimeError, match=says):
        create_app(deployment_dir, {"TESTING": True, key: value})


def test_the_mode_is_the_process_unless_testing(deployment_dir):
    app = create_app(deployment_dir, {"TESTING": True})
    assert web_integrity.mode(app) == "thread" and isinstance(app.extensions[web_integrity.KEY], integrity.Monitor)
    app.testing = False
    assert web_integrity.mode(app) == "process"


def test_a_verdict_left_by_an_earlier_checker_is_not_believed(deployment_dir, repo, dep):
    """A server started again finds the state file of its last run, for the same refs: it is
    not this start's check (the code may differ, an object may have been damaged since, the
    file may have been edited). Only the verdict of the checker that runs now is shown."""
    forged = _forge_comment(repo)
    app = _app(deployment_dir)
    client = app.test_client()
    assert [v["commit"] for v in client.get("/api/v1/integrity").get_json()["violations"]] == [forged]
    first = app.extensions[web_integrity.KEY].child.pid
    app.extensions[web_integrity.KEY].stop()
    # the last verdict, edited to say "clean", for the very same refs and by the same checker
    path = dep.instance_path / integrityd.STATE_FILE
    doc = json.loads(path.read_text())
    doc.update(clean=True, violations=[])
    path.write_text(json.dumps(doc))
    again = _app(deployment_dir)
    try:
        api = again.test_client().get("/api/v1/integrity").get_json()
        assert api["clean"] is False and [v["commit"] for v in api["violations"]] == [forged]
        assert again.extensions[web_integrity.KEY].child.pid != first
        assert json.loads(path.read_text())["checker"] != doc["checker"]
    finally:
        again.extensions[web_integrity.KEY].stop()


@pytest.mark.parametrize("damage", ["delete", "truncate", "edit"])
def test_a_state_file_damaged_while_nothing_moves_is_written_again(shared_app, repo, dep, damage):
    """No ref moves, but the verdict's file is deleted, cut short or edited: the checker writes
    its verdict again, so the pages do not wait for a write to see one."""
    forged = _forge_comment(repo)
    client = shared_app.test_client()
    assert [v["commit"] for v in client.get("/api/v1/integrity").get_json()["violations"]] == [forged]
    path = dep.instance_path / integrityd.STATE_FILE
    shared = shared_app.extensions[web_integrity.KEY]
    if damage == "delete":
        path.unlink()
    elif damage == "truncate":
        path.write_text(path.read_text()[:100])
    else:
        doc = json.loads(path.read_text())
        doc.update(clean=True, violations=[])
        path.write_text(json.dumps(doc))
    def rewritten():
        try:
            return bool(json.loads(path.read_text())["violations"])
        except (OSError, ValueError, KeyError):
            return False
    assert _until(rewritten), damage
    fresh = integrityd.Shared(dep.repo_path, dep.instance_path, wait=30)  # another worker, reading it now
    assert [v.commit for v in fresh.current(repo).violations] == [forged]
    assert shared.spawned == 1 and fresh.spawned == 0
