"""The git layer: the only package of the project that imports pygit2.

It speaks in paths, revisions and commits, never in commitments or comments, so the
domain code above it can be read without knowing libgit2. Every ref update is a
compare-and-swap against the tip the writer read, retried a bounded number of times.

One door, `GitRepo`, made of one part per concern:

    objects.py   objects and trees: files at a revision, diffs, merges in memory, new trees and commits
    refs.py      refs: names, listing, compare-and-swap with retry, tags, reflogs
    history.py   history walks: first-parent logs, a path's history, ancestry
    loose.py     loose objects read with a bounded inflate (a damaged one fails at once)
    records.py   the plain values handed out (CommitInfo, Change, ...)
    errors.py    the errors of the layer
"""

from __future__ import annotations

import os
import threading

import pygit2
from pygit2.enums import ObjectType

from .errors import (DamagedObject, GitLayerError, NoSpace, RefLocked, RefMoved, TooManyRetries,  # noqa: F401
                     UnknownRevision, _disk_full)
from .history import History, _EntryFinder  # noqa: F401
from .loose import _LooseGuard
from .objects import Objects
from .records import (HEX_RE, REGULAR, SERVICE_EMAIL, SERVICE_NAME, TREE_MODE, Change, CommitInfo,  # noqa: F401
                      Identity, PathWalk, Stamp, TagInfo)
from .refs import LOCK_WAIT_SECONDS, MAX_RETRIES, STALE_LOCK_SECONDS, Refs  # noqa: F401

# A 5,000-entry folder is re-parsed on every read with libgit2's default 4 KB tree cache.
pygit2.settings.cache_object_limit(ObjectType.TREE, 1 << 20)
# The object database asks the packs first, then our guard of loose objects (priority
# GUARD_PRIORITY, loose.py), then libgit2's own loose backend (priority 1): a packed object (all
# of them after `git gc`: 100,000 events on a big plan) is read without a Python call and a
# failed open() of a loose file each (a fifth of a person's first "for you" on that plan).
GUARD_PRIORITY = 1000
pygit2.settings.set_odb_packed_priority(GUARD_PRIORITY + 1000)
# libgit2's object cache, per process, in bytes (its default cap is 256 MB): part of the
# memory budget of a worker (docs/operations.md). libgit2 counts an object's size in the pack,
# not what it takes parsed: on a plan of 5,000 commitments, a 32 MB cap held 190 MB of a worker's
# memory (commits and trees of 100,000 events), 8 MB 110 MB, none 60 MB; with 1 MB the pages
# take the same time (our own caches keep what they read; benchmarks/README.md, issue 20).
OBJECT_CACHE_BYTES = 1 << 20
pygit2.settings.cache_max_size(OBJECT_CACHE_BYTES)
# libgit2 maps pack files into memory in windows of 1 GB, up to 8 GB at once (64-bit defaults):
# every page of a pack it ever read stays in the worker's resident memory (330 MB of a 300 MB pack
# after a worker's warm-up on a plan of 5,000 commitments). Smaller windows, fewer of them mapped:
# the least recently used window is unmapped first. 16 MB windows, 32 MB mapped: a worker on that
# plan held 48 MB of mapped files after 2,000 requests with 96 MB allowed (the pages are kept by our
# own caches, not re-read from the packs; benchmarks/README.md, issue 20).
MWINDOW_BYTES = 16 << 20
MWINDOW_MAPPED_BYTES = 32 << 20
pygit2.settings.mwindow_size = MWINDOW_BYTES
pygit2.settings.mwindow_mapped_limit = MWINDOW_MAPPED_BYTES


class GitRepo(Objects, Refs, History):
    """A bare repository on disk. Open one per process or thread."""

    def __init__(self, path: str | os.PathLike):
        self.path = os.fspath(path)
        try:
            self._repo = pygit2.Repository(self.path)
        except (pygit2.GitError, KeyError) as exc:
            raise GitLayerError(f"{self.path} is not a git repository: {exc}") from None
        self._guard()

    def _guard(self) -> None:
        self._repo.odb.add_backend(_LooseGuard(os.path.join(self._repo.path, "objects")), GUARD_PRIORITY)

    def release(self) -> None:
        """Give back what libgit2 holds for this repository (its object cache, the open object
        database with its pack indexes, the config and the ref database): they are opened again
        on the next read. For a worker after its warm-up, or after a request that read much.
        libgit2 opens the object database again without our guard of loose objects
        (loose.py): it is put back at once, before anything reads."""
        self._repo.free()
        self._guard()

    # -- creation -------------------------------------------------------------

    @classmethod
    def init_bare(cls, path: str | os.PathLike, name: str = SERVICE_NAME,
                  email: str = SERVICE_EMAIL) -> "GitRepo":
        repo = pygit2.init_repository(os.fspath(path), bare=True, initial_head="main")
        repo.config["core.logAllRefUpdates"] = "always"
        repo.config["user.name"] = name
        repo.config["user.email"] = email
        repo.config["receive.denyNonFastForwards"] = "true"
        repo.config["receive.denyDeletes"] = "true"
        return cls(path)

    def config_get(self, key: str) -> str | None:
        try:
            return self._repo.config[key]
        except KeyError:
            return None

    def config_set(self, key: str, value: str) -> None:
        self._repo.config[key] = value

    @property
    def git_dir(self) -> str:
        """The repository folder libgit2 opened (it may have searched upwards from `path`)."""
        return self._repo.path

    @property
    def is_bare(self) -> bool:
        return self._repo.is_bare

    @property
    def is_shallow(self) -> bool:
        return self._repo.is_shallow


_local = threading.local()


def open_cached(path: str) -> GitRepo:
    """One GitRepo per thread and process (pygit2 objects must not cross a fork)."""
    key = (os.getpid(), path)
    cache = getattr(_local, "repos", None)
    if cache is None:
        cache = _local.repos = {}
    repo = cache.get(key)
    if repo is None:
        repo = cache[key] = GitRepo(path)
    return repo
