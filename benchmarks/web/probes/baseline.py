"""The baseline of the history figures: libgit2's own walk (pygit2's Walker) down main's first
parents, comparing the tree entry of the path in each commit with the one in its parent:
what a program that uses libgit2 without our commit-graph reading or our cache does to
answer `git log --first-parent -- path`. Newest first, as `review.commitment.history`."""

from __future__ import annotations

import pygit2


def _entry(tree, path: str):
    try:
        return tree[path].id
    except KeyError:
        return None


def walk_history(repo: pygit2.Repository, path: str, ref: str = "refs/heads/main") -> list[str]:
    walker = repo.walk(repo.references[ref].target, pygit2.GIT_SORT_TOPOLOGICAL)
    walker.simplify_first_parent()
    changed, previous_id, previous_entry = [], None, None
    for commit in walker:  # newest first: a commit changed the path when its entry differs from its parent's
        entry = _entry(commit.tree, path)
        if previous_id is not None and entry != previous_entry:
            changed.append(previous_id)
        previous_id, previous_entry = str(commit.id), entry
    if previous_id is not None and previous_entry is not None:  # the root commit added it
        changed.append(previous_id)
    return changed
