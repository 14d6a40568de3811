"""History walks: first-parent logs, a path's history (with the commit-graph's Bloom
filters), merge bases and ancestry."""

from __future__ import annotations

import datetime as dt
from typing import Iterator

import pygit2

from ..commitgraph import CommitGraph
from .records import CommitInfo, PathWalk, _info


class History:
    """The part of GitRepo that walks commits."""

    def first_parent_log(self, start: str, limit: int | None = None) -> Iterator[CommitInfo]:
        commit = self._commit(start)
        n = 0
        while commit is not None and (limit is None or n < limit):
            yield _info(commit)
            n += 1
            commit = commit.parents[0] if commit.parent_ids else None

    def as_of(self, start: str, when: dt.datetime) -> str | None:
        """The first-parent ancestor of start that was current at `when` (commit time)."""
        ts = when.timestamp()
        commit = self._commit(start)
        while commit is not None:
            if commit.commit_time <= ts:
                return str(commit.id)
            commit = commit.parents[0] if commit.parent_ids else None
        return None

    def path_history(self, start: str, path: str, limit: int | None = None) -> list[CommitInfo]:
        """First-parent commits that changed `path` (a file or a folder), newest first."""
        return list(self.path_walk(start, path, limit).changes)

    def path_walk(self, start: str, path: str, limit: int | None = None,
                  stop_at: frozenset[str] | set[str] = frozenset()) -> PathWalk:
        """First-parent commits from `start` that changed `path` against their first parent.

        A commit changed the path when the path's entry id differs from the first parent's
        (one lookup per commit, no tree diff). Commits covered by the commit-graph are only
        looked at when their changed-path Bloom filter says "maybe" (as `git log -- path`
        does); the others, newer than the graph, are compared level by level, so that a
        big folder is only read when an ancestor folder changed. Stops before any commit
        of `stop_at`, or after `limit` changes (see PathWalk).
        """
        parts = [p for p in path.split("/") if p]
        entry = _EntryFinder(self._repo, parts)
        graph = CommitGraph.open(self.path)
        changes: list[CommitInfo] = []
        commit = self._commit(start)
        pos = None
        # Newer than the commit-graph (or no graph): commit by commit.
        while commit is not None:
            if stop_at and str(commit.id) in stop_at:
                return PathWalk(tuple(changes), stopped_at=str(commit.id))
            if graph is not None:
                pos = graph.position(commit.id.raw)
                if pos is not None:
                    break
            parent = commit.parents[0] if commit.parent_ids else None
            if entry(commit.tree_id) != (entry(parent.tree_id) if parent is not None else None):
                changes.append(_info(commit))
                if limit is not None and len(changes) >= limit:
                    return PathWalk(tuple(changes), resume=None if parent is None else str(parent.id))
            commit = parent
        if commit is None:
            return PathWalk(tuple(changes))
        # Covered by the commit-graph: only the commits whose filter may hold the path.
        stop_pos = set()
        for s in stop_at:
            p = graph.position(bytes.fromhex(s)) if len(s) == 40 else None
            if p is not None:
                stop_pos.add(p)
        maybes, reached, _root = graph.first_parent_maybes(pos, graph.bloom_keys(path), stop_pos)
        # Between two "maybe" commits every commit kept the path's entry, so the entry under
        # a "maybe" commit is the one at the next "maybe" below it (or where the walk ended):
        # one tree lookup per "maybe" commit, not two.
        bottom = entry(pygit2.Oid(raw=graph.tree(reached))) if reached is not None else None
        found: dict[int, object] = {}
        if limit is None:  # all of them, oldest first: measured 20% faster on a packed 5,000-entry
            for p in reversed(maybes):  # folder (libgit2's small delta-base cache is reused better)
                found[p] = entry(pygit2.Oid(raw=graph.tree(p)))
        for i, p in enumerate(maybes):
            now = found[p] if p in found else entry(pygit2.Oid(raw=graph.tree(p)))
            if i + 1 < len(maybes):
                q = maybes[i + 1]
                below = found[q] if q in found else found.setdefault(q, entry(pygit2.Oid(raw=graph.tree(q))))
            else:
                below = bottom
            if now != below:
                changes.append(_info(self._repo[pygit2.Oid(raw=graph.oid(p))]))
                if limit is not None and len(changes) >= limit:
                    parent = graph.first_parent(p)
                    return PathWalk(tuple(changes),
                                    resume=None if parent is None else graph.oid(parent).hex())
        return PathWalk(tuple(changes), stopped_at=None if reached is None else graph.oid(reached).hex())

    def merge_base(self, a: str, b: str) -> str | None:
        oid = self._repo.merge_base(pygit2.Oid(hex=a), pygit2.Oid(hex=b))
        return None if oid is None else str(oid)

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        if ancestor == descendant:
            return True
        try:
            return self._repo.descendant_of(descendant, ancestor)
        except (KeyError, pygit2.GitError):
            for oid in (descendant, ancestor):
                self._commit(oid)  # names the missing or wrong object
            raise

    def contains(self, ancestor: str, descendant: str) -> bool:
        """is_ancestor, but False (not an error) when either commit is absent."""
        if ancestor == descendant:
            return self.object_kind(ancestor) is not None
        try:
            return self._repo.descendant_of(descendant, ancestor)
        except (KeyError, ValueError, pygit2.GitError):
            return False


class _EntryFinder:
    """The id of the entry at `parts` under a root tree, remembered level by level.

    Called with a root tree id; each folder's lookup is remembered by (level, tree id), so
    a folder whose id was already seen during the walk (unchanged since the last commit
    looked at) is not read again: a 5,000-entry folder is only parsed when it changed.
    """

    def __init__(self, repo: pygit2.Repository, parts: list[str]):
        self.repo, self.parts = repo, parts
        self.memo: dict[tuple[int, pygit2.Oid], pygit2.Oid | None] = {}

    def __call__(self, tree_id: pygit2.Oid):
        memo, parts = self.memo, self.parts
        seen: list[tuple[int, pygit2.Oid]] = []
        oid, result = tree_id, None
        for level, name in enumerate(parts):
            key = (level, oid)
            if key in memo:
                result = memo[key]
                break
            seen.append(key)
            obj = self.repo[oid]
            if not isinstance(obj, pygit2.Tree):
                break  # a file where a folder was expected: no entry
            try:
                oid = obj[name].id
            except KeyError:
                break
            if level == len(parts) - 1:
                result = oid
        for key in seen:
            memo[key] = result
        return result
