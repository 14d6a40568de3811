"""The git layer on real repositories in temporary folders."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import subprocess
import time

import pytest

from review.gitrepo import GitRepo, Identity, RefMoved, UnknownRevision

ALICE = Identity("Alice Martin", "alice@example.org")
REF = "refs/heads/main"


@pytest.fixture
def bare(tmp_path):
    return GitRepo.init_bare(tmp_path / "r.git")


def _commit(repo, files, msg="change", when=None, ref=REF):
    new, _ = repo.commit_on(ref, lambda tip: (files, msg), ALICE, when=when)
    return new


def test_init_bare_sets_reflog_and_identity(bare):
    assert bare.config_get("core.logAllRefUpdates") == "always"
    assert bare.config_get("user.name") == "review"


def test_commit_without_work_tree_author_is_person_committer_is_service(bare):
    c = _commit(bare, {"a/b/c.md": b"hello\n", "plan.yaml": b"x: 1\n"}, "first")
    info = bare.commit_info(c)
    assert (info.author_name, info.author_email) == ("Alice Martin", "alice@example.org")
    assert info.committer_name == "review"
    assert bare.read_file(c, "a/b/c.md") == b"hello\n"
    assert bare.list_dir(c, "a") == [("b", "tree")]
    assert bare.read_file(c, "missing") is None
    # git itself agrees
    out = subprocess.run(["git", "-C", bare.path, "log", "--format=%an|%cn|%s", "main"],
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "Alice Martin|review|first"
    fsck = subprocess.run(["git", "-C", bare.path, "fsck", "--strict"], capture_output=True, text=True)
    assert fsck.returncode == 0, fsck.stderr


def test_delete_path_and_empty_folders_disappear(bare):
    _commit(bare, {"a/b/c.md": b"1", "a/d.md": b"2"})
    c = _commit(bare, {"a/b/c.md": None})
    assert bare.list_dir(c, "a") == [("d.md", "blob")]


def test_invalid_paths_are_refused(bare):
    from review.gitrepo import GitLayerError
    for bad in ("../x", "a/../b", "", "/"):
        with pytest.raises(GitLayerError):
            bare.write_tree(None, {bad: b"x"})


def test_resolve_branch_tag_id_and_unknown(bare):
    c1 = _commit(bare, {"f": b"1"})
    bare.create_tag("v1", c1, ALICE, "first version")
    c2 = _commit(bare, {"f": b"2"})
    assert bare.resolve("main") == c2
    assert bare.resolve("v1") == c1
    assert bare.resolve(c1) == c1
    assert bare.resolve(c1[:10]) == c1
    assert bare.resolve("refs/heads/main") == c2
    for bad in ("nope", "main~1", "HEAD^", "../x", "", "a" * 300, "deadbeef" * 5):
        with pytest.raises(UnknownRevision):
            bare.resolve(bad)
    assert [t.name for t in bare.tags()] == ["v1"]


def test_looking_up_what_does_not_exist_keeps_nothing_alive(bare):
    """pygit2 (1.21) keeps alive the name of every reference look-up that fails; resolving a
    commit id tried three of them first: 18 MB of a worker after 600 pages of the big plan.
    Names the ref store does not hold are not asked of libgit2 any more."""
    import sys
    c1 = _commit(bare, {"f": b"1"})
    bare.create_tag("v1", c1, ALICE, "first version")
    names = ["".join(["refs/heads/no-", "such"]), "".join(["refs/tags/no-", "such"]), "".join(["v", "1"]),
             "".join([c1[:20], c1[20:]]), "".join([c1[:12]])]
    before = [sys.getrefcount(n) for n in names]
    for _ in range(3):
        assert bare.ref_target(names[0]) is None and bare.reflog(names[1]) == []
        assert bare.resolve(names[2]) == c1 and bare.resolve(names[3]) == c1 and bare.resolve(names[4]) == c1
        assert bare.create_tag_if_absent("v1", c1, ALICE, "again") is None
    assert [sys.getrefcount(n) for n in names] == before
    # a ref created since the ref store was last read is found at once
    bare.create_tag("v2", c1, ALICE, "second")
    assert bare.resolve("v2") == c1 and bare.ref_target("refs/tags/v2") is not None


def test_reading_files_by_path_keeps_no_path(bare):
    """The same kind of leak on tree look-ups (pygit2 1.21 keeps every path asked of `tree[path]`,
    found or not: one str per event read, 100,000 in a worker that read a big plan's logs, and
    one per made-up slug): thousands of distinct paths, found and missing, read and forgotten,
    leave nothing behind."""
    import tracemalloc
    c1 = _commit(bare, {f"events/{i:05d}.json": b"{}" for i in range(200)} | {"commitments/c1/fr.md": b"x"})
    tree = bare.tree_entry_id(c1, "")
    for _ in range(3):
        assert bare.read_file(c1, "events/00001.json") == b"{}" and bare.read_file(c1, "nope") is None
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        for i in range(5000):
            assert bare.read_file(c1, f"events/{i % 200:05d}.json") == b"{}"  # a new str each time
            assert bare.blob_id(c1, f"commitments/c{i}/en.md") is None
            assert bare.tree_entry_id(c1, f"commitments/made-up-{i}") is None
            assert bare.read_tree_file(tree, f"events/{i:05d}.json") == (b"{}" if i < 200 else None)
        grown = tracemalloc.get_traced_memory()[0] - start
    finally:
        tracemalloc.stop()
    assert grown < 50_000, grown  # with tree[path]: 20,000 strings kept, 1.3 MB


def test_a_path_is_read_as_a_path_whatever_its_characters(bare):
    """The look-up goes through libgit2's "<id>:<path>" syntax: whatever follows the colon is a
    path, even one that reads like revision syntax; a NUL names nothing (libgit2 would cut there)."""
    names = ["a@{1}", "x^{tree}", "b:c", "d~1", "e^", "@", ":", "sp ace", "été", "{", "HEAD", "x..y", "[", "\\"]
    c1 = _commit(bare, {n: n.encode() for n in names} | {"dir@{1}/f": b"inner"})
    for n in names:
        assert bare.read_file(c1, n) == n.encode(), n
    assert bare.read_file(c1, "dir@{1}/f") == b"inner" and bare.list_dir(c1, "dir@{1}") == [("f", "blob")]
    for missing in ["nope", "a@{2}", "dir@{1}/g", "/a@{1}", "a@{1}\0x", "@\0", "dir@{1}/f/x"]:
        assert bare.read_file(c1, missing) is None and bare.blob_id(c1, missing) is None, missing


def test_a_full_commit_id_is_that_commit_even_where_a_branch_bears_its_name(bare):
    """As git takes it: a branch pushed under another commit's id does not redirect it."""
    c1 = _commit(bare, {"f": b"1"})
    c2 = _commit(bare, {"f": b"2"})
    subprocess.run(["git", "-C", bare.path, "update-ref", f"refs/heads/{c1}", c2], check=True)
    assert bare.resolve(c1) == c1 and bare.resolve(f"refs/heads/{c1}") == c2


def test_as_of_date_follows_first_parent(bare):
    d = lambda s: dt.datetime.fromisoformat(s).replace(tzinfo=dt.timezone.utc)
    c1 = _commit(bare, {"f": b"1"}, when=d("2015-07-16T12:00:00"))
    c2 = _commit(bare, {"f": b"2"}, when=d("2016-01-10T12:00:00"))
    head = bare.resolve("main")
    assert bare.as_of(head, d("2015-12-31T00:00:00")) == c1
    assert bare.as_of(head, d("2016-01-10T12:00:00")) == c2
    assert bare.as_of(head, d("2015-01-01T00:00:00")) is None


def test_path_history_matches_git_log(bare):
    ids = []
    for i in range(12):
        path = "commitments/x/fr.md" if i % 3 == 0 else f"commitments/y{i}/fr.md"
        ids.append(_commit(bare, {path: f"v{i}\n".encode()}, f"c{i}"))
    ours = [c.id for c in bare.path_history(bare.resolve("main"), "commitments/x")]
    git = subprocess.run(["git", "-C", bare.path, "log", "--format=%H", "main", "--", "commitments/x"],
                         capture_output=True, text=True, check=True).stdout.split()
    assert ours == git == [ids[9], ids[6], ids[3], ids[0]]
    assert len(bare.path_history(bare.resolve("main"), "commitments/x", limit=2)) == 2


def test_diff_lists_changed_paths(bare):
    c1 = _commit(bare, {"a/x.md": b"1", "a/y.md": b"1", "b.md": b"1"})
    c2 = _commit(bare, {"a/x.md": b"2", "a/y.md": None, "a/z.md": b"3"})
    changes = {(ch.path, ch.status) for ch in bare.diff(c1, c2)}
    assert changes == {("a/x.md", "M"), ("a/y.md", "D"), ("a/z.md", "A")}
    assert {ch.path for ch in bare.diff(c1, c2, prefix="a")} == {"a/x.md", "a/y.md", "a/z.md"}


def test_expected_tip_is_a_compare_and_swap(bare):
    c1 = _commit(bare, {"f": b"1"})
    _commit(bare, {"f": b"2"})
    with pytest.raises(RefMoved):
        bare.commit_on(REF, lambda tip: ({"f": b"3"}, "late"), ALICE, expected=c1)
    assert bare.read_file(bare.resolve("main"), "f") == b"2"
    with pytest.raises(RefMoved):  # creating a ref that exists
        bare.update_ref(REF, c1, None)
    with pytest.raises(RefMoved):
        bare.update_ref(REF, c1, c1)


def test_stale_lock_is_broken_fresh_lock_waits(bare, monkeypatch):
    import review.gitrepo as g
    import review.gitrepo.refs as refs
    _commit(bare, {"f": b"1"})
    lock = os.path.join(bare.path, "refs/heads/main.lock")
    open(lock, "w").close()
    old = time.time() - 3600
    os.utime(lock, (old, old))
    c = _commit(bare, {"f": b"2"})  # the stale lock is removed, the write goes through
    assert bare.resolve("main") == c
    open(lock, "w").close()  # a fresh lock: the writer gives up after bounded retries
    monkeypatch.setattr(refs, "MAX_RETRIES", 3)
    with pytest.raises(g.TooManyRetries):
        _commit(bare, {"f": b"3"})
    assert bare.resolve("main") == c


def _append_many(path: str, worker: int, n: int) -> None:
    repo = GitRepo(path)
    for i in range(n):
        repo.commit_on("refs/reviews/test", lambda tip, i=i: ({f"events/{worker:02d}-{i:04d}": b"x"}, f"w{worker} e{i}"),
                       Identity(f"Worker {worker}", f"w{worker}@example.org"))


@pytest.mark.slow
def test_concurrent_processes_lose_no_write(bare):
    n_proc, n_each = 8, 40
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_append_many, args=(bare.path, w, n_each)) for w in range(n_proc)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    tip = bare.resolve("refs/reviews/test")
    assert len(bare.list_dir(tip, "events")) == n_proc * n_each
    assert len(list(bare.first_parent_log(tip))) == n_proc * n_each
    fsck = subprocess.run(["git", "-C", bare.path, "fsck", "--strict"], capture_output=True, text=True)
    assert fsck.returncode == 0, fsck.stderr


def _create_once(path: str, worker: int, q) -> None:
    repo = GitRepo(path)
    tree = repo.write_tree(None, {"f": f"{worker}".encode()})
    commit = repo.create_commit(tree, [], ALICE, f"w{worker}")
    try:
        repo.update_ref("refs/heads/race", commit, None)
        q.put(("won", commit))
    except RefMoved:
        q.put(("lost", commit))


@pytest.mark.slow
@pytest.mark.parametrize("round_", range(3))
def test_creating_a_ref_has_exactly_one_winner(bare, round_):
    """libgit2's create-if-absent checks before locking; ours compares under the lock."""
    ctx = multiprocessing.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=_create_once, args=(bare.path, w, q)) for w in range(8)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    results = [q.get(timeout=5) for _ in procs]
    winners = [c for r, c in results if r == "won"]
    assert len(winners) == 1, results
    assert bare.resolve("refs/heads/race") == winners[0]


def test_packed_objects_are_read_without_the_loose_guard_and_a_damaged_loose_one_still_fails(bare, monkeypatch):
    """The packs come first, then the guard of loose objects (review/gitrepo/loose.py), then
    libgit2's own loose backend: a packed object costs no Python call, a loose one is still
    read by the guard (a truncated file fails at once, never hangs)."""
    from review.gitrepo import DamagedObject
    from review.gitrepo.loose import _LooseGuard
    packed = _commit(bare, {"a.md": b"dans un pack\n"})
    subprocess.run(["git", "-C", bare.path, "gc", "-q"], check=True)
    calls = []
    original = _LooseGuard.read_cb
    monkeypatch.setattr(_LooseGuard, "read_cb", lambda self, oid: (calls.append(str(oid)), original(self, oid))[1])
    repo = GitRepo(bare.path)
    assert repo.read_file(packed, "a.md") == b"dans un pack\n"
    assert calls == []
    loose = _commit(repo, {"b.md": b"en vrac\n"})
    blob = repo.tree_entry_id(loose, "b.md")
    assert GitRepo(bare.path).read_file(loose, "b.md") == b"en vrac\n" and calls  # the new commit: loose
    path = os.path.join(bare.path, "objects", blob[:2], blob[2:])
    raw = open(path, "rb").read()
    os.chmod(path, 0o644)
    with open(path, "wb") as f:
        f.write(raw[: len(raw) // 2])
    with pytest.raises(DamagedObject):
        GitRepo(bare.path).read_file(loose, "b.md")
