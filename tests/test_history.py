"""History of a path: commit-graph Bloom filters, the incremental cache, and the page's "recent changes"."""

from __future__ import annotations

import subprocess

import pytest

from review import commitment
from review.commitgraph import CommitGraph, murmur3
from review.gitrepo import GitRepo, Identity, _EntryFinder

ALICE = Identity("Alice Martin", "alice@example.org")
REF = "refs/heads/main"


def git(repo, *args):
    return subprocess.run(["git", "-C", repo.path, *args], capture_output=True, text=True, check=True).stdout


def git_log(repo, path, tip="main"):
    return git(repo, "log", "--first-parent", "--format=%H", tip, "--", path).split()


def write_graph(repo, *extra):
    git(repo, "commit-graph", "write", "--reachable", *extra)


def commit(repo, files, msg="change", ref=REF, parents_extra=None):
    new, _ = repo.commit_on(ref, lambda tip: (files, msg), ALICE,
                            extra_parents=(lambda tip: parents_extra) if parents_extra else None)
    return new


@pytest.fixture
def bare(tmp_path):
    return GitRepo.init_bare(tmp_path / "r.git")


@pytest.fixture(autouse=True)
def _fresh_caches():
    commitment._histories.data.clear()
    yield
    commitment._histories.data.clear()


def test_murmur3_known_values():
    assert murmur3(0, b"") == 0
    assert murmur3(1, b"") == 0x514E28B7
    assert murmur3(0x9747B28C, b"test") == 0x704B81DC
    assert murmur3(0x9747B28C, b"Hello, world!") == 0x24884CBA
    assert murmur3(0x9747B28C, b"The quick brown fox jumps over the lazy dog") == 0x2FA826CD


def _busy_history(repo):
    """Changes, deletions, a re-creation, a merge, a commit of 600 files, a commit changing nothing."""
    commit(repo, {"plan.yaml": b"v0\n", "commitments/x/fr.md": b"x0\n", "commitments/y/fr.md": b"y0\n"}, "root")
    for i in range(1, 40):
        target = ["x", "y", "z"][i % 3]
        commit(repo, {f"commitments/{target}/fr.md": f"{target}{i}\n".encode()}, f"c{i}")
        if i == 10:
            commit(repo, {"plan.yaml": b"v1\n"}, "only the plan")
        if i == 15:
            commit(repo, {"commitments/x/fr.md": None}, "delete x")
        if i == 20:
            commit(repo, {"commitments/x/en.md": b"x back\n", "commitments/x/fr.md": b"x back\n"}, "x again")
        if i == 25:  # a side branch merged into main: main's first parent stays the main line
            side = repo.resolve("main")
            repo.update_ref("refs/heads/side", side, None)
            b1 = commit(repo, {"commitments/x/fr.md": b"side\n"}, "side change", ref="refs/heads/side")
            commit(repo, {"commitments/y/fr.md": b"main during side\n"}, "main during side")
            merged = repo.merge_trees(repo.resolve("main"), b1)[0]
            repo.commit_tree_on(REF, merged, [repo.resolve("main"), b1], ALICE, "merge side",
                                repo.resolve("main"))
        if i == 30:
            commit(repo, {f"commitments/w{n}/fr.md": b"many\n" for n in range(600)}, "600 files")
        if i == 33:  # a commit with the very same tree as its parent
            tip = repo.resolve("main")
            repo.commit_tree_on(REF, repo.commit_info(tip).tree_id, [tip], ALICE, "empty", tip)


PATHS = ["commitments/x", "commitments/y", "commitments/z", "commitments/x/fr.md", "commitments/x/en.md",
         "commitments", "plan.yaml", "commitments/w5", "commitments/none", "nothing/at/all"]


@pytest.mark.parametrize("graph", ["none", "filters", "no-filters", "stale"])
def test_path_history_is_git_log_first_parent(bare, graph):
    _busy_history(bare)
    if graph == "filters":
        write_graph(bare, "--changed-paths")
    elif graph == "no-filters":
        write_graph(bare)
    elif graph == "stale":  # the graph covers the older commits only
        write_graph(bare, "--changed-paths")
        for i in range(5):
            commit(bare, {"commitments/x/fr.md": f"late {i}\n".encode()}, f"late {i}")
        commit(bare, {"commitments/y/fr.md": b"late y\n"}, "late y")
    assert (CommitGraph.open(bare.path) is None) == (graph == "none")
    tip = bare.resolve("main")
    for path in PATHS:
        expected = git_log(bare, path)
        assert [c.id for c in bare.path_history(tip, path)] == expected, path
        assert [c.id for c in bare.path_history(tip, path, limit=3)] == expected[:3], path


def test_bloom_filters_spare_the_tree_lookups(bare, monkeypatch):
    _busy_history(bare)
    write_graph(bare, "--changed-paths")
    calls = []
    original = _EntryFinder.__call__
    monkeypatch.setattr(_EntryFinder, "__call__", lambda self, t: calls.append(t) or original(self, t))
    changes = bare.path_history(bare.resolve("main"), "commitments/z")
    commits = int(git(bare, "rev-list", "--first-parent", "--count", "main"))
    assert len(changes) == 13
    assert len(calls) < 2 * len(changes) + 5 < commits  # without the filters: one or two per commit


def test_walk_stops_at_a_known_tip_and_resumes(bare):
    _busy_history(bare)
    write_graph(bare, "--changed-paths")
    expected = git_log(bare, "commitments/x")
    tip = bare.resolve("main")
    first = bare.path_walk(tip, "commitments/x", limit=4)
    rest = bare.path_walk(first.resume, "commitments/x")
    assert [c.id for c in first.changes + rest.changes] == expected
    assert rest.resume is None and rest.stopped_at is None
    for back in (3, 12):  # inside the graph's part of the walk
        old = git(bare, "rev-parse", f"main~{back}").strip()
        part = bare.path_walk(tip, "commitments/x", stop_at={old})
        below = bare.path_walk(old, "commitments/x")
        assert part.stopped_at == old
        assert [c.id for c in part.changes + below.changes] == expected
    graphed = tip
    for i in range(4):  # newer than the graph
        commit(bare, {"commitments/x/fr.md": f"new {i}\n".encode()}, f"new {i}")
    part = bare.path_walk(bare.resolve("main"), "commitments/x", stop_at={graphed})
    assert part.stopped_at == graphed and len(part.changes) == 4


def test_history_cache_walks_only_the_new_commits(bare, monkeypatch):
    _busy_history(bare)
    write_graph(bare, "--changed-paths")
    old_tip = bare.resolve("main")
    first = commitment.history(bare, "x")
    walks = []
    original = GitRepo.path_walk
    monkeypatch.setattr(GitRepo, "path_walk", lambda self, *a, **k: walks.append((a, k)) or original(self, *a, **k))
    assert commitment.history(bare, "x") == first and walks == []  # same tip: nothing walked
    new = commit(bare, {"commitments/x/fr.md": b"newest\n"}, "newest")
    commit(bare, {"commitments/y/fr.md": b"other\n"}, "other")
    again = commitment.history(bare, "x")
    assert [c.id for c in again] == [new] + [c.id for c in first] == git_log(bare, "commitments/x")
    assert len(walks) == 1 and old_tip in walks[0][1]["stop_at"]
    commitment._histories.data.clear()
    assert commitment.history(bare, "x") == again  # the same as a walk from scratch


def test_history_cache_after_a_limited_walk(bare):
    _busy_history(bare)
    expected = git_log(bare, "commitments/y")
    assert [c.id for c in commitment.history(bare, "y", limit=2)] == expected[:2]
    assert [c.id for c in commitment.history(bare, "y")] == expected
    assert [c.id for c in commitment.history(bare, "y", limit=5)] == expected[:5]
    commit(bare, {"commitments/y/fr.md": b"one more\n"}, "one more")
    assert [c.id for c in commitment.history(bare, "y", limit=3)] == git_log(bare, "commitments/y")[:3]
    assert [c.id for c in commitment.history(bare, "y")] == git_log(bare, "commitments/y")


def test_history_of_an_absent_commitment_is_not_found(bare):
    _busy_history(bare)
    with pytest.raises(commitment.NotFound):
        commitment.history(bare, "none")


# -- the commitment page of a version whose commitment was removed from main since ---------

def test_commitment_removed_from_main_still_shows_at_an_old_version(client, repo):
    tag = "adopted-2015-07-16"
    changed = repo.read_file(repo.resolve("main"), "commitments/engagement-02/fr.md") + b"\nUne phrase.\n"
    edited, _ = repo.commit_on(REF, lambda tip: ({"commitments/engagement-02/fr.md": changed}, "edit"), ALICE)
    repo.commit_on(REF, lambda tip: ({"commitments/engagement-02/fr.md": None,
                                      "commitments/engagement-02/en.md": None}, "remove engagement-02"), ALICE)
    assert client.get("/commitments/engagement-02").status_code == 404
    r = client.get(f"/commitments/engagement-02?rev={tag}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    changes = git_log(repo, "commitments/engagement-02", tag)
    assert changes and f'<option value="{changes[0]}"' in html  # recent changes up to the version shown
    assert edited not in html
    r = client.get(f"/commitments/engagement-02?rev={edited}")
    assert r.status_code == 200 and f'<option value="{edited}" selected' in r.get_data(as_text=True)
    assert client.get(f"/commitments/engagement-02/history?rev={tag}").status_code == 200
