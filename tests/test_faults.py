"""Faults a server meets: damaged objects, bad refs, a full disk, stale locks, killed writers.

Each damage is made on a copy of a fresh demo deployment, and the pages are read by a separate
Python process with a time limit: a read that hangs (libgit2 spins on a truncated loose object)
fails the test instead of hanging the suite.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

LIST_PAGES = ["/", "/plan", "/amendments", "/audit", "/progress", "/people", "/api/v1/amendments",
              "/api/v1/audit", "/api/v1/progress", "/api/v1/commitments", "/audit.json"]

_PROBE = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from review.web import create_app
app = create_app(sys.argv[2], {"TESTING": True})
c = app.test_client()
out = {}
for page in json.loads(sys.argv[3]):
    t = time.monotonic()
    r = c.get(page + ("&" if "?" in page else "?") + "lang=en")
    out[page] = [r.status_code, round(time.monotonic() - t, 3), r.get_data(as_text=True)]
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def _demo(tmp_path_factory):
    """One `review init --demo` (amendments, logs, comments), made by the command itself."""
    root = tmp_path_factory.mktemp("demo") / "dep"
    subprocess.run([sys.executable, "-m", "review", "init", "--demo", str(root)], cwd=ROOT, check=True,
                   capture_output=True, timeout=120)
    return root


@pytest.fixture
def deployment_dir(_demo, tmp_path) -> Path:
    target = tmp_path / "dep"
    shutil.copytree(_demo, target, symlinks=True)
    return target


def probe(deployment_dir, pages) -> dict:
    """{page: (status, seconds, body)}, read by another process that must finish in 60 s."""
    proc = subprocess.run([sys.executable, "-c", _PROBE, str(ROOT), str(deployment_dir), json.dumps(pages)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.splitlines()[-1])


def git(deployment_dir, *args, input=None) -> str:
    return subprocess.run(["git", "-C", str(Path(deployment_dir) / "plan.git"), *args], input=input,
                          capture_output=True, text=True, check=True).stdout.strip()


def object_file(deployment_dir, oid: str) -> Path:
    return Path(deployment_dir) / "plan.git" / "objects" / oid[:2] / oid[2:]


def truncate(path: Path, size: int) -> bytes:
    data = path.read_bytes()
    os.chmod(path, 0o644)
    with open(path, "r+b") as f:
        f.truncate(size)
    return data


def point_ref(deployment_dir, ref: str, oid: str):
    """Write `ref` as a loose ref file at `oid` (a loose ref wins over packed-refs), as
    damage or a hand edit would; returns a function that puts the ref back."""
    path = Path(deployment_dir) / "plan.git" / ref
    saved = path.read_text() if path.exists() else None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(oid + "\n")

    def put_back():
        if saved is None:
            path.unlink()
        else:
            path.write_text(saved)
    return put_back


def restore(path: Path, data: bytes) -> None:
    os.chmod(path, 0o644)
    path.write_bytes(data)


def verify(deployment_dir) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "review", "verify", str(Path(deployment_dir) / "plan.git")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


def fsck(deployment_dir) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(Path(deployment_dir) / "plan.git"), "fsck", "--no-dangling"],
                          capture_output=True, text=True, timeout=120)


def _only_fails(result: dict, expected: set[str]) -> None:
    bad = {p: (s, b[-300:]) for p, (s, _t, b) in result.items() if s >= 400}
    assert set(bad) == expected, bad
    assert all(s != 500 for s, _t, _b in result.values())
    assert max(t for _s, t, _b in result.values()) < 10


@pytest.mark.parametrize("size", [20, 200])
def test_truncated_commitment_blob_fails_fast_on_its_page_only(deployment_dir, size):
    line = git(deployment_dir, "ls-tree", "-r", "main", "commitments/engagement-01").splitlines()[0]
    blob = line.split()[2]
    path = object_file(deployment_dir, blob)
    data = truncate(path, min(size, path.stat().st_size - 1))
    result = probe(deployment_dir, LIST_PAGES + ["/commitments/engagement-01", "/commitments/engagement-02"])
    _only_fails(result, {"/commitments/engagement-01"})
    status, _t, body = result["/commitments/engagement-01"]
    assert status == 503 and blob in body and "damaged" in body
    assert "engagement-01" in result["/"][2] and blob in result["/"][2]  # listed as unreadable on the plan
    assert verify(deployment_dir).returncode != 0
    restore(path, data)
    assert fsck(deployment_dir).returncode == 0
    assert probe(deployment_dir, ["/commitments/engagement-01"])["/commitments/engagement-01"][0] == 200


def test_amendment_branch_at_a_missing_object(deployment_dir):
    missing = "1234567890123456789012345678901234567890"
    put_back = point_ref(deployment_dir, "refs/heads/amendments/2", missing)
    result = probe(deployment_dir, LIST_PAGES + ["/amendments/1", "/amendments/2"])
    _only_fails(result, {"/amendments/2"})
    assert missing in result["/amendments/2"][2] and "missing" in result["/amendments/2"][2]
    assert missing in result["/amendments"][2]  # the list names it as unreadable
    assert "/amendments/1" in result["/amendments"][2]
    put_back()
    assert probe(deployment_dir, ["/amendments/2"])["/amendments/2"][0] == 200


def test_review_log_at_a_blob(deployment_dir):
    blob = git(deployment_dir, "hash-object", "-w", "--stdin", input="not a log")
    put_back = point_ref(deployment_dir, "refs/reviews/commitments/engagement-02", blob)
    result = probe(deployment_dir, LIST_PAGES + ["/commitments/engagement-02", "/commitments/engagement-04"])
    pages = {"/commitments/engagement-02"}
    bad = {p for p, (s, _t, _b) in result.items() if s >= 400}
    assert bad == pages, {p: result[p][2][-300:] for p in bad}
    assert "a blob where a commit was expected" in result["/commitments/engagement-02"][2]
    assert blob in result["/audit"][2]  # one row says the log is unreadable
    put_back()
    assert probe(deployment_dir, ["/commitments/engagement-02"])["/commitments/engagement-02"][0] == 200


def test_truncated_log_tip(deployment_dir):
    tip = git(deployment_dir, "rev-parse", "refs/reviews/amendments/1")
    path = object_file(deployment_dir, tip)
    data = truncate(path, 30)
    result = probe(deployment_dir, LIST_PAGES + ["/amendments/1", "/amendments/2"])
    bad = {p for p, (s, _t, _b) in result.items() if s >= 400}
    assert bad == {"/amendments/1"}, {p: result[p][2][-300:] for p in bad}
    assert tip in result["/amendments/1"][2] and result["/amendments/1"][0] == 503
    restore(path, data)
    assert fsck(deployment_dir).returncode == 0


# -- review verify names the damage (rule 0), never "Clean", never "forced-update" ---------

def _codes(deployment_dir) -> tuple[int, str]:
    proc = verify(deployment_dir)
    return proc.returncode, proc.stdout + proc.stderr


def test_verify_names_a_truncated_blob(deployment_dir):
    blob = git(deployment_dir, "rev-parse", "main:commitments/engagement-01/fr.md")
    path = object_file(deployment_dir, blob)
    data = truncate(path, 40)
    rc, out = _codes(deployment_dir)
    assert rc == 1 and "damaged-object" in out and blob in out, out
    assert "Clean" not in out and "forced-update" not in out
    restore(path, data)
    rc, out = _codes(deployment_dir)
    assert rc == 0 and "Clean" in out, out


def test_verify_names_a_ref_at_a_missing_object_and_at_a_blob(deployment_dir):
    missing = "1234567890123456789012345678901234567890"
    point_ref(deployment_dir, "refs/heads/amendments/2", missing)
    blob = git(deployment_dir, "hash-object", "-w", "--stdin", input="not a log")
    point_ref(deployment_dir, "refs/reviews/commitments/engagement-02", blob)
    rc, out = _codes(deployment_dir)
    assert rc == 1, out
    assert "missing-object" in out and missing in out, out
    assert "ref-not-a-commit" in out and "refs/reviews/commitments/engagement-02 points at a blob" in out, out
    assert "forced-update" not in out and "Clean" not in out


def test_verify_names_a_missing_object_inside_history(deployment_dir):
    tree = git(deployment_dir, "rev-parse", "main:commitments/engagement-01")
    path = object_file(deployment_dir, tree)
    data = path.read_bytes()
    path.unlink()
    rc, out = _codes(deployment_dir)
    assert rc in (1, 2) and "Clean" not in out and "forced-update" not in out, out
    assert tree in out, out
    path.write_bytes(data)
    assert _codes(deployment_dir)[0] == 0


# -- stale locks: 503 with Retry-After, the typed text kept; a lock left behind is broken --------

from .test_people import _csrf, sign_in  # noqa: E402

CID = "engagement-02"
LOG = f"refs/reviews/commitments/{CID}"


def _lock(deployment_dir, ref: str, age: float = 0.0) -> Path:
    lock = Path(deployment_dir) / "plan.git" / (ref + ".lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.write_text("")
    if age:
        t = lock.stat().st_mtime - age
        os.utime(lock, (t, t))
    return lock


def _api_comment(client, token, body: str):
    return client.post(f"/api/v1/commitments/{CID}/comments", json={"body": body},
                       headers={"Authorization": f"Bearer {token}"})


def test_a_held_log_lock_answers_503_with_retry_after(deployment_dir, client, tokens, repo):
    lock = _lock(deployment_dir, LOG)
    before = repo.ref_target(LOG)
    r = _api_comment(client, tokens["karim"], "Un avis")
    assert r.status_code == 503, r.get_data(as_text=True)
    assert 1 <= int(r.headers["Retry-After"]) <= 61
    assert "is locked by another write" in r.get_json()["error"]
    assert repo.ref_target(LOG) == before
    # the page form keeps the typed text
    sign_in(client, "karim")
    html = client.get(f"/commitments/{CID}").get_data(as_text=True)
    r = client.post(f"/commitments/{CID}/comments", data={"csrf_token": _csrf(html), "body": "Mon texte gardé",
                                                        "rev": repo.resolve("main")}, follow_redirects=True)
    page = r.get_data(as_text=True)
    assert "verrouillé par une autre écriture" in page and ">Mon texte gardé</textarea>" in page
    lock.unlink()
    assert _api_comment(client, tokens["karim"], "Un avis").status_code == 201


def test_a_lock_left_behind_is_broken_and_the_write_goes_through(deployment_dir, client, tokens, repo):
    lock = _lock(deployment_dir, "refs/heads/main", age=3600)
    log_lock = _lock(deployment_dir, LOG, age=3600)
    r = _api_comment(client, tokens["karim"], "Un avis")
    assert r.status_code == 201, r.get_data(as_text=True)
    assert not log_lock.exists()
    assert lock.exists()  # only the ref written is looked at
    lock.unlink()
    assert fsck(deployment_dir).returncode == 0 and verify(deployment_dir).returncode == 0


# -- a full disk: 507, reads keep working, token use needs no write, nothing corrupted ----------

@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (the disk-full test fills one)")
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(mount)], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({proc.stderr.strip()}): the disk-full test needs one")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(folder: Path) -> Path:
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * (1 << 20))
                f.flush()
        except OSError:
            pass
        try:
            while True:
                f.write(b"\0" * 512)
                f.flush()
        except OSError:
            pass
    return filler


def test_a_full_disk_answers_507_and_recovers(_demo, small_disk):
    from review import accounts
    from review.deployment import Deployment
    from review.web import create_app
    dep_dir = small_disk / "dep"
    shutil.copytree(_demo, dep_dir, symlinks=True)
    dep = Deployment.open(dep_dir)
    token = accounts.Accounts(dep).create_token("karim", "test")[1]
    app = create_app(dep_dir, {"TESTING": True, "WTF_CSRF_ENABLED": True})
    client = app.test_client()
    sign_in(client, "karim")
    html = client.get(f"/commitments/{CID}").get_data(as_text=True)
    csrf = _csrf(html)
    repo = dep.open_repo()
    before = repo.refs()
    filler = _fill(small_disk)

    r = _api_comment(client, token, "Un avis")
    assert r.status_code == 507, r.get_data(as_text=True)
    assert "the server's disk is full" in r.get_json()["error"]
    r = client.post(f"/commitments/{CID}/comments", data={"csrf_token": csrf, "body": "Texte tapé, gardé",
                                                        "rev": repo.resolve("main")}, follow_redirects=True)
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "disque du serveur est plein" in page and ">Texte tapé, gardé</textarea>" in page
    for url in ("/", "/plan", "/amendments", "/audit", "/progress", f"/commitments/{CID}"):
        assert client.get(url).status_code == 200, url
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200, me.get_data(as_text=True)
    assert repo.refs() == before

    filler.unlink()
    r = _api_comment(client, token, "Un avis")
    assert r.status_code == 201, r.get_data(as_text=True)
    assert fsck(dep_dir).returncode == 0
    assert verify(dep_dir).returncode == 0, verify(dep_dir).stdout


# -- kill -9 during writes: nothing acknowledged is lost, nothing is corrupted -------------------

_WRITER = r"""
import sys
sys.path.insert(0, sys.argv[1])
from review import comments, deployment
from review import commitment as core
d = deployment.Deployment.open(sys.argv[2])
repo = d.open_repo()
karim = core.read_plan(repo, repo.resolve("main")).people["karim"]
from review.gitrepo import RefLocked
with open(sys.argv[5], "a", buffering=1) as acks:
    for i in range(10000):
        try:
            c = comments.add(repo, karim, sys.argv[3], f"écrivain {sys.argv[4]} avis {i}")
        except RefLocked as exc:  # a writer killed inside git's own lock left it: "busy, try again
            print("busy:", exc, file=sys.stderr)  # in N s" is the answer until it is old enough
            break
        acks.write(c.id + "\n")  # acknowledged: the write returned
"""


def _acks(files) -> set[str]:
    out = set()
    for f in files:
        text = f.read_text() if f.exists() else ""
        out |= {line for line in text.split("\n")[:-1] if line}  # a line cut by the kill has no newline
    return out


def _wait_for_acks(files, n: int, timeout: float = 120) -> None:
    import time
    deadline = time.monotonic() + timeout
    while len(_acks(files)) < n and time.monotonic() < deadline:
        time.sleep(0.2)


def test_kill_9_during_writes_loses_no_acknowledged_write(deployment_dir):
    import signal
    import time
    files = [Path(deployment_dir).parent / f"acks-{i}" for i in range(8)]
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, str(ROOT), str(deployment_dir), CID, str(i), str(files[i])],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for i in range(8)]
    _wait_for_acks(files, 16)
    for p in procs[:4]:
        p.send_signal(signal.SIGKILL)
    _wait_for_acks(files, len(_acks(files)) + 8, timeout=30)
    for p in procs[4:]:
        p.send_signal(signal.SIGKILL)
    for p in procs:
        _out, err = p.communicate(timeout=30)
        assert "Traceback" not in err, err[-2000:]
    acknowledged = _acks(files)
    assert len(acknowledged) >= 16, "the writers did not get going"
    for lock in (Path(deployment_dir) / "plan.git").rglob("*.lock"):  # a ref lock left by a killed writer
        t = time.time() - 3600  # ... is broken once old enough (STALE_LOCK_SECONDS): make it so
        os.utime(lock, (t, t))
    from review import reviewlog
    from review.deployment import Deployment
    repo = Deployment.open(deployment_dir).open_repo()
    ids = {e.id for e in reviewlog.read_events(repo, LOG)}
    assert acknowledged <= ids, acknowledged - ids
    assert fsck(deployment_dir).returncode == 0, fsck(deployment_dir).stdout
    proc = verify(deployment_dir)
    assert proc.returncode == 0, proc.stdout
    from review import comments
    from review import commitment as core
    karim = core.read_plan(repo, repo.resolve("main")).people["karim"]
    assert comments.add(repo, karim, CID, "après la panne").id in {e.id for e in reviewlog.read_events(repo, LOG)}


def test_a_page_listing_damage_is_not_kept_in_the_page_cache(deployment_dir, client, monkeypatch):
    from review import commitment
    from review.lru import LRU
    for name in ("_plans", "_commitments", "_indexes"):  # a fresh worker: earlier tests read the same blobs
        monkeypatch.setattr(commitment, name, LRU(64))
    blob = git(deployment_dir, "rev-parse", "main:commitments/engagement-01/en.md")
    path = object_file(deployment_dir, blob)
    data = truncate(path, 25)
    r = client.get("/?lang=en")
    assert r.status_code == 200 and blob in r.get_data(as_text=True)
    restore(path, data)
    r = client.get("/?lang=en")
    assert r.status_code == 200 and blob not in r.get_data(as_text=True)


_AFTER_RELEASE = r"""
import sys
sys.path.insert(0, sys.argv[1])
from review.gitrepo import DamagedObject, GitRepo
r = GitRepo(sys.argv[2])
good, damaged = sys.argv[3], sys.argv[4]
assert r.read_blob(good) == b"whole\n"  # in libgit2's cache now
r.release()
assert r.read_blob(good) == b"whole\n"
try:
    r.read_blob(damaged)
except DamagedObject as exc:
    print("damaged:", exc)
"""


def test_a_repository_released_still_fails_fast_on_a_truncated_loose_object(tmp_path):
    """GitRepo.release() lets libgit2 open its object database again: the guard of loose objects
    (review/gitrepo/loose.py) must be in front of it again, or the read spins forever."""
    path = tmp_path / "plan.git"
    subprocess.run(["git", "init", "-q", "--bare", str(path)], check=True)
    good = subprocess.run(["git", "-C", str(path), "hash-object", "-w", "--stdin"], input="whole\n",
                          capture_output=True, text=True, check=True).stdout.strip()
    damaged = subprocess.run(["git", "-C", str(path), "hash-object", "-w", "--stdin"], input=os.urandom(3000).hex(),
                             capture_output=True, text=True, check=True).stdout.strip()
    truncate(path / "objects" / damaged[:2] / damaged[2:], 30)
    proc = subprocess.run([sys.executable, "-c", _AFTER_RELEASE, str(ROOT), str(path), good, damaged],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f"damaged: the repository is damaged: object {damaged} is " in proc.stdout


_RELEASING = r"""
import sys
sys.path.insert(0, sys.argv[1])
from review.gitrepo import GitRepo
from review.web import create_app
released = []
release = GitRepo.release
GitRepo.release = lambda self: (released.append(1), release(self))[1]  # counted, then done for real
app = create_app(sys.argv[2], {"TESTING": True, "RELEASE_AFTER_SECONDS": 1e-9, "PAGE_CACHE_SIZE": 0})
c = app.test_client()
print(c.get("/commitments/engagement-02").status_code, len(released) >= 1)
r = c.get("/commitments/engagement-01")
print(r.status_code, sys.argv[3] in r.get_data(as_text=True))
"""


def test_a_worker_that_released_its_repository_after_a_slow_request_still_fails_fast(deployment_dir):
    line = git(deployment_dir, "ls-tree", "-r", "main", "commitments/engagement-01").splitlines()[0]
    blob = line.split()[2]
    truncate(object_file(deployment_dir, blob), 20)
    proc = subprocess.run([sys.executable, "-c", _RELEASING, str(ROOT), str(deployment_dir), blob],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split() == ["200", "True", "503", "True"]


@pytest.mark.parametrize("value", [-1, "1", True, None, float("nan")])
def test_a_wrong_release_setting_is_refused_clearly_at_start(deployment_dir, value):
    from review.web import create_app
    with pytest.raises(RuntimeError, match=r"RELEASE_AFTER_SECONDS is .* in .*config\.py: give the seconds"):
        create_app(deployment_dir, {"TESTING": True, "RELEASE_AFTER_SECONDS": value})


@pytest.mark.parametrize("value", [-1, "24", True, None, float("nan")])
def test_a_wrong_growth_setting_is_refused_clearly_at_start(deployment_dir, value):
    from review.web import create_app
    with pytest.raises(RuntimeError, match=r"RELEASE_AFTER_GROWTH_MB is .* in .*config\.py: give the megabytes"):
        create_app(deployment_dir, {"TESTING": True, "RELEASE_AFTER_GROWTH_MB": value})


@pytest.mark.parametrize("limit_mb,grown_mb,releases", [(24, 30, [50, 100]), (24, 10, []), (0, 500, [])])
def test_a_worker_that_grew_gives_memory_back_at_most_once_in_a_gap(deployment_dir, monkeypatch, limit_mb, grown_mb,
                                                                      releases):
    """Many short requests that each read a little (a person's first "for you" on a big plan)
    never trigger the release after a slow request: growth does, once the worker grew by
    RELEASE_AFTER_GROWTH_MB since its last release, and not sooner than GROWTH_GAP requests."""
    from review import lru
    from review.web import create_app, reading
    app = create_app(deployment_dir, {"TESTING": True, "RELEASE_AFTER_SECONDS": 0, "RELEASE_AFTER_GROWTH_MB": limit_mb})
    floor, done = 100 << 20, []
    resident, reads = [floor], []
    monkeypatch.setattr(lru, "resident_bytes", lambda: reads.append(1) or resident[0])
    monkeypatch.setattr(reading, "resident_floor", floor)
    monkeypatch.setattr(reading, "_asked_since", 0)

    def release():  # what release_memory leaves: the floor where the process now stands
        done.append(n)
        resident[0] = floor
        reading.resident_floor, reading._asked_since = floor, 0
    monkeypatch.setattr(reading, "release_memory", release)
    c = app.test_client()
    for n in range(1, 121):
        resident[0] += (grown_mb << 20) // 10 if resident[0] - floor < grown_mb << 20 else 0
        assert c.get("/api/v1/people").status_code == 200
    assert done == releases
    assert reading.GROWTH_GAP == 50
    assert len(reads) == {24: {30: 2, 10: 8}, 0: {500: 0}}[limit_mb][grown_mb]  # at 50, 60...: not each request
