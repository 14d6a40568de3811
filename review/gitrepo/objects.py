"""Objects and trees: reading files at a revision, diffs, merges in memory, writing
trees and commits (no ref moves here: see refs.py)."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from typing import Iterable

import pygit2
from pygit2.enums import ObjectType

from ..lru import LRU
from .errors import DamagedObject, GitLayerError, UnknownRevision
from .loose import _KINDS, _LooseGuard
from .records import (HEX_RE, REGULAR, SERVICE_EMAIL, SERVICE_NAME, TREE_MODE, Change, CommitInfo, Identity,
                      Stamp, _info, _utc)

# Diffs between two commits, by (repository path, old, new, folder): the same two commits always
# give the same diff, so every repository object of the process shares them, and a server's
# workers inherit those its warm-up made before the fork (review/web/reading.py: one diff per
# open amendment, 1,000 on a big plan, that a person's "for you" and the amendment pages ask for).
DIFF_MEMO = 4096
_DIFFS = LRU(DIFF_MEMO)


def _at(repo: pygit2.Repository, treeish: str, path: str) -> pygit2.Object | None:
    """The object at `path` in a commit or tree given by its full id; None when there is none.

    Asked of libgit2 as the revision "<id>:<path>" (the same answer as `tree[path]`, path for
    path: tests/test_gitrepo.py), not as `tree[path]`: pygit2 (1.21) keeps a reference to the path
    of every tree look-up, found or not, for the life of the process: one str per event of every
    log read, 100,000 (8.5 MB) in a worker that read a big plan's logs, and one per slug a
    visitor makes up. A NUL, where libgit2 would cut the path short, names nothing."""
    if "\0" in path:
        return None
    try:
        return repo.revparse_single(f"{treeish}:{path}")
    except KeyError:
        return None


class Objects:
    """The part of GitRepo that reads and writes objects (`self._repo` is the pygit2 repository)."""

    def commit_info(self, commit_id: str) -> CommitInfo:
        return _info(self._commit(commit_id))

    def stamps(self, commit_id: str) -> tuple[Stamp, Stamp]:
        """(author, committer) of a commit, with their own time zones."""
        c = self._commit(commit_id)
        return tuple(Stamp(s.name, s.email, s.time, s.offset) for s in (c.author, c.committer))

    def _commit(self, commit_id: str) -> pygit2.Commit:
        try:
            obj = self._repo[commit_id]
        except (KeyError, ValueError):
            if isinstance(commit_id, str) and len(commit_id) == 40 and HEX_RE.match(commit_id):
                # a full id comes from a ref or another object, never from a reader (see resolve)
                raise DamagedObject(commit_id, "missing") from None
            raise UnknownRevision(commit_id) from None
        if not isinstance(obj, pygit2.Commit):
            raise DamagedObject(commit_id, f"a {obj.type_str} where a commit was expected")
        return obj

    def _entry(self, commit_id: str, path: str) -> pygit2.Object | None:
        commit = self._commit(commit_id)
        return _at(self._repo, str(commit.tree_id), path) if path else commit.tree

    def read_file(self, commit_id: str, path: str) -> bytes | None:
        obj = self._entry(commit_id, path)
        return obj.data if isinstance(obj, pygit2.Blob) else None

    def blob_id(self, commit_id: str, path: str) -> str | None:
        obj = self._entry(commit_id, path)
        return str(obj.id) if isinstance(obj, pygit2.Blob) else None

    def read_blob(self, blob_id: str) -> bytes:
        return self._repo[blob_id].data

    def list_dir(self, commit_id: str, path: str = "") -> list[tuple[str, str]]:
        """(name, kind) of a folder's entries, kind 'tree' or 'blob'; [] when absent."""
        obj = self._entry(commit_id, path)
        if not isinstance(obj, pygit2.Tree):
            return []
        return [(e.name, "tree" if e.type == ObjectType.TREE else "blob") for e in obj]

    def tree_entry_id(self, commit_id: str, path: str) -> str | None:
        obj = self._entry(commit_id, path)
        return None if obj is None else str(obj.id)

    def diff(self, old: str, new: str, prefix: str = "") -> list[Change]:
        """Paths that differ between two commits (blobs only), optionally under a folder.

        Kept by the repository's path and the two commit ids, for the whole process (`_DIFFS`):
        a diff across a 5,000-entry folder walks it whole (18-25 ms); an amendment page asks
        for four, a person's "for you" one per open amendment."""
        key = (self.path, old, new, prefix)
        hit = _DIFFS.get(key)
        if hit is not None:
            return list(hit)
        a, b = self._commit(old).tree, self._commit(new).tree
        if prefix:
            a = self._subtree(a, prefix)
            b = self._subtree(b, prefix)
        out: list[Change] = []
        self._diff_trees(a, b, prefix.rstrip("/") + "/" if prefix else "", out)
        if HEX_RE.match(old) and HEX_RE.match(new) and len(old) == len(new) == 40:  # ids, not names that move
            _DIFFS.put(key, tuple(out))
        return out

    def diff_trees(self, old_commit: str, new_tree: str) -> list[Change]:
        """Paths that differ between a commit and a tree not yet committed."""
        out: list[Change] = []
        self._diff_trees(self._commit(old_commit).tree, self._repo[new_tree], "", out)
        return out

    def read_tree_file(self, tree_id: str, path: str) -> bytes | None:
        obj = _at(self._repo, tree_id, path)
        return obj.data if isinstance(obj, pygit2.Blob) else None

    def _subtree(self, tree, path):
        obj = _at(self._repo, str(tree.id), path)
        return obj if isinstance(obj, pygit2.Tree) else None

    def _diff_trees(self, a, b, base: str, out: list[Change]) -> None:
        ea = {e.name: e for e in a} if a is not None else {}
        eb = {e.name: e for e in b} if b is not None else {}
        for name in sorted(set(ea) | set(eb)):
            x, y = ea.get(name), eb.get(name)
            if x is not None and y is not None and x.id == y.id and x.filemode == y.filemode:
                continue
            xt = x is not None and x.type == ObjectType.TREE
            yt = y is not None and y.type == ObjectType.TREE
            if xt or yt:
                self._diff_trees(self._repo[x.id] if xt else None,
                                 self._repo[y.id] if yt else None, f"{base}{name}/", out)
                if x is not None and not xt:
                    out.append(Change(base + name, "D", str(x.id), None, x.filemode, None))
                if y is not None and not yt:
                    out.append(Change(base + name, "A", None, str(y.id), None, y.filemode))
                continue
            status = "A" if x is None else "D" if y is None else "M"
            out.append(Change(base + name, status, None if x is None else str(x.id),
                              None if y is None else str(y.id),
                              None if x is None else x.filemode, None if y is None else y.filemode))

    def merge_trees(self, ours: str, theirs: str,
                    resolutions: dict[str, bytes | None] | None = None) -> tuple[str | None, dict[str, str]]:
        """Three-way merge of two commits in memory.

        Returns (tree id, {}) when clean, else (None, {path: text with conflict markers}).
        With `resolutions` for every conflicting path, returns the resolved tree.
        """
        index = self._repo.merge_commits(pygit2.Oid(hex=ours), pygit2.Oid(hex=theirs))
        conflicts: dict[str, str] = {}
        if index.conflicts is not None:
            for ancestor, our, their in list(index.conflicts):
                path = (our or their or ancestor).path
                if resolutions is not None and path in resolutions:
                    del index.conflicts[path]
                    data = resolutions[path]
                    if data is not None:
                        index.add(pygit2.IndexEntry(path, self._repo.create_blob(data), pygit2.GIT_FILEMODE_BLOB))
                    continue
                if our is not None and their is not None:
                    merged = self._repo.merge_file_from_index(ancestor, our, their)
                    conflicts[path] = merged if isinstance(merged, str) else merged.contents
                else:  # changed on one side, deleted on the other
                    side = our or their
                    conflicts[path] = self._repo[side.id].data.decode("utf-8", "replace")
        if conflicts:
            return None, conflicts
        return str(index.write_tree(self._repo)), {}

    def merged_entries(self, ours: str, theirs: str) -> dict[str, tuple[str, int]] | None:
        """The three-way merge of two commits as path -> (blob id, mode), in memory; None
        when it conflicts."""
        index = self._repo.merge_commits(pygit2.Oid(hex=ours), pygit2.Oid(hex=theirs))
        if index.conflicts is not None:
            return None
        return {e.path: (str(e.id), e.mode) for e in index}

    def merged_files(self, ours: str, theirs: str) -> dict[str, str] | None:
        """The three-way merge of two commits as path -> blob id, computed in memory without
        writing any object; None when it conflicts."""
        index = self._repo.merge_commits(pygit2.Oid(hex=ours), pygit2.Oid(hex=theirs))
        if index.conflicts is not None:
            return None
        return {e.path: str(e.id) for e in index}

    def changes(self, commit_id: str) -> list[Change]:
        """Blobs a commit adds, modifies or deletes against its first parent (or nothing)."""
        commit = self._commit(commit_id)
        if commit.parent_ids:
            diff = commit.parents[0].tree.diff_to_tree(commit.tree)
        else:
            diff = commit.tree.diff_to_tree(swap=True)
        out = []
        zero = "0" * 40
        for d in diff.deltas:
            status = d.status_char()
            old, new = str(d.old_file.id), str(d.new_file.id)
            path = d.new_file.path if status != "D" else d.old_file.path
            out.append(Change(path, status if status in "AMD" else "M",
                              None if old == zero else old, None if new == zero else new,
                              int(d.old_file.mode) or None, int(d.new_file.mode) or None))
        return out

    def tree_entries(self, commit_id: str) -> dict[str, tuple[str, int]]:
        """Every non-folder entry of a commit's tree: path -> (object id, file mode)."""
        out: dict[str, tuple[str, int]] = {}

        def walk(tree, base):
            for e in tree:
                if e.type == ObjectType.TREE:
                    walk(self._repo[e.id], f"{base}{e.name}/")
                else:
                    out[base + e.name] = (str(e.id), e.filemode)
        walk(self._commit(commit_id).tree, "")
        return out

    def irregular_entries(self, rev: str) -> list[tuple[str, int]]:
        """(path, mode) of every entry of a commit's (or a tree's) tree that is neither a
        folder nor a regular file: symlinks, gitlinks, executables. [] for a clean tree."""
        obj = self._repo[rev]
        tree = obj.tree if isinstance(obj, pygit2.Commit) else obj
        out: list[tuple[str, int]] = []

        def walk(t, base):
            for e in t:
                if e.filemode == TREE_MODE:
                    walk(self._repo[e.id], f"{base}{e.name}/")
                elif e.filemode != REGULAR:
                    out.append((base + e.name, e.filemode))
        walk(tree, "")
        return out

    def tree_files(self, commit_id: str) -> dict[str, str]:
        """Every blob of a commit's tree: path -> blob id."""
        out: dict[str, str] = {}

        def walk(tree, base):
            for e in tree:
                if e.type == ObjectType.TREE:
                    walk(self._repo[e.id], f"{base}{e.name}/")
                else:
                    out[base + e.name] = str(e.id)
        walk(self._commit(commit_id).tree, "")
        return out

    def has_object(self, oid: str) -> bool:
        try:
            return self._repo.get(oid) is not None
        except (ValueError, pygit2.GitError):
            return False
        except DamagedObject:
            return True  # present, though damaged: `damaged_loose_objects` names it

    def damaged_loose_objects(self) -> list[tuple[str, str]]:
        """(object id, problem) of every loose object that cannot be read back whole.

        Packed objects are checked by libgit2 (a pack carries checksums); loose ones are
        inflated here, each with a bounded decompressor (see _LooseGuard)."""
        guard = _LooseGuard(os.path.join(self._repo.path, "objects"))
        out = []
        for folder in sorted(os.listdir(guard.dir)):
            if len(folder) != 2 or not HEX_RE.match(folder + "00"):
                continue
            for name in sorted(os.listdir(os.path.join(guard.dir, folder))):
                hexid = folder + name
                if len(hexid) != 40 or not HEX_RE.match(hexid):
                    continue
                try:
                    kind, body = guard._load(hexid)
                except DamagedObject as exc:
                    out.append((hexid, exc.problem))
                    continue
                header = [k for k, v in _KINDS.items() if v == kind][0]
                actual = hashlib.sha1(header + b" " + str(len(body)).encode() + b"\0" + body).hexdigest()
                if actual != hexid:
                    out.append((hexid, "corrupt"))
        return out

    def object_kind(self, oid: str) -> str | None:
        """'commit', 'tree', 'blob', 'tag' or None when absent."""
        try:
            obj = self._repo.get(oid)
        except (ValueError, pygit2.GitError):
            return None
        return None if obj is None else {pygit2.Commit: "commit", pygit2.Tree: "tree", pygit2.Blob: "blob",
                                         pygit2.Tag: "tag"}.get(type(obj))

    def tagger(self, oid: str) -> tuple[str, str, dt.datetime] | None:
        """(name, email, time) of the tagger of an annotated tag object; None for anything else."""
        try:
            obj = self._repo.get(oid)
        except (ValueError, pygit2.GitError):
            return None
        if not isinstance(obj, pygit2.Tag) or obj.tagger is None:
            return None
        return obj.tagger.name, obj.tagger.email, _utc(obj.tagger.time)

    def tag_object(self, oid: str) -> tuple[str, str, dt.datetime | None] | None:
        """(target id, message, tagger time) of an annotated tag object; None for anything else."""
        try:
            obj = self._repo.get(oid)
        except (ValueError, pygit2.GitError):
            return None
        if not isinstance(obj, pygit2.Tag):
            return None
        return str(obj.target), obj.message or "", _utc(obj.tagger.time) if obj.tagger else None

    def _signature(self, who: Identity, when: dt.datetime | None = None) -> pygit2.Signature:
        if when is None:
            return pygit2.Signature(who.name, who.email)
        return pygit2.Signature(who.name, who.email, int(when.timestamp()), 0)

    def _service(self) -> Identity:
        return Identity(self.config_get("user.name") or SERVICE_NAME,
                        self.config_get("user.email") or SERVICE_EMAIL)

    def write_tree(self, base_commit: str | None, changes: dict[str, bytes | None]) -> str:
        """A new tree: the base commit's tree with `changes` applied (None deletes a path)."""
        base = self._commit(base_commit).tree if base_commit else None
        nested: dict = {}
        for path, data in changes.items():
            parts = [p for p in path.split("/") if p]
            if not parts or any(p in (".", "..") for p in parts):
                raise GitLayerError(f"invalid path: {path!r}")
            node = nested
            for p in parts[:-1]:
                node = node.setdefault(p, {})
                if not isinstance(node, dict):
                    raise GitLayerError(f"path conflict at {path!r}")
            node[parts[-1]] = data
        oid = self._build(base, nested)
        if oid is None:
            oid = self._repo.TreeBuilder().write()
        return str(oid)

    def _build(self, tree: pygit2.Tree | None, nested: dict):
        tb = self._repo.TreeBuilder(tree) if tree is not None else self._repo.TreeBuilder()
        for name, value in nested.items():
            existing = tb.get(name)
            if isinstance(value, dict):
                sub = None
                if existing is not None and existing.type == ObjectType.TREE:
                    sub = self._repo[existing.id]
                oid = self._build(sub, value)
                if oid is None:
                    if existing is not None:
                        tb.remove(name)
                else:
                    tb.insert(name, oid, pygit2.GIT_FILEMODE_TREE)
            elif value is None:
                if existing is not None:
                    tb.remove(name)
            else:
                tb.insert(name, self._repo.create_blob(value), pygit2.GIT_FILEMODE_BLOB)
        if len(tb) == 0:
            return None
        return tb.write()

    def create_commit(self, tree_id: str, parents: Iterable[str], author: Identity,
                      message: str, when: dt.datetime | None = None) -> str:
        """A commit object that no ref points at yet."""
        sig = self._signature(author, when)
        svc = self._signature(self._service(), when)
        oid = self._repo.create_commit(None, sig, svc, message, pygit2.Oid(hex=tree_id),
                                       [pygit2.Oid(hex=p) for p in parents])
        return str(oid)

    def create_commit_stamped(self, tree_id: str, parents: Iterable[str], author: Stamp, committer: Stamp,
                              message: str) -> str:
        """A commit object with the given author and committer (an imported commit keeps both)."""
        sig = lambda s: pygit2.Signature(s.name, s.email, s.time, s.offset)
        oid = self._repo.create_commit(None, sig(author), sig(committer), message, pygit2.Oid(hex=tree_id),
                                       [pygit2.Oid(hex=p) for p in parents])
        return str(oid)

    def add_object_dir(self, path: str) -> None:
        """Also read objects from `path`: git's quarantine folder of a push being checked
        by pre-receive (GIT_QUARANTINE_PATH), which libgit2 does not look at by itself."""
        self._repo.odb.add_disk_alternate(os.fspath(path))
