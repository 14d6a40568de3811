"""Refs: resolving names, listing, and every update as a compare-and-swap with bounded,
jittered retry (a lock held by another writer is waited for, a stale one broken)."""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import os
import random
import time
from types import MappingProxyType
from typing import Callable, Mapping

import pygit2
from pygit2.enums import ObjectType

from .errors import NoSpace, RefLocked, RefMoved, TooManyRetries, UnknownRevision, _disk_full
from .records import HEX_RE, Identity, TagInfo, _utc

MAX_RETRIES = 50
STALE_LOCK_SECONDS = 60.0  # no write holds a ref lock for more than milliseconds: an older lock was left behind
LOCK_WAIT_SECONDS = 5.0    # how long a writer waits for a held lock before answering "busy"


class Refs:
    """The part of GitRepo that reads and moves refs."""

    def resolve(self, rev: str) -> str:
        """A branch, tag, full or abbreviated commit id, or full ref name -> commit id."""
        if not rev or len(rev) > 255 or any(c in rev for c in " ~^:?*[\\\x00") or ".." in rev:
            raise UnknownRevision(rev)
        if len(rev) == 40 and HEX_RE.match(rev):  # a full commit id is the object, as git takes it
            try:
                return str(self._repo[rev].peel(pygit2.Commit).id)
            except (KeyError, ValueError, pygit2.GitError):
                pass  # no such object (or not a commit): a ref of that name, if any
        candidates = [rev] if rev.startswith("refs/") else [
            f"refs/heads/{rev}", f"refs/tags/{rev}", f"refs/{rev}"]
        for name in candidates:
            try:
                ref = self._reference(name)
            except (ValueError, pygit2.GitError):
                ref = None
            if ref is not None:
                return str(ref.peel(pygit2.Commit).id)
        if HEX_RE.match(rev):
            try:
                obj = self._repo.revparse_single(rev)
                return str(obj.peel(pygit2.Commit).id)
            except (KeyError, ValueError, pygit2.GitError, pygit2.InvalidSpecError):
                pass
        raise UnknownRevision(rev)

    def ref_target(self, ref: str) -> str | None:
        """The commit a ref points at now, or None when it does not exist."""
        r = self._reference(ref)
        return None if r is None else str(r.resolve().target)

    def _target_on_disk(self, ref: str) -> str | None:
        """`ref_target` read from the ref store itself, never from what was read of it before:
        under a ref's lock, the compare of a compare-and-swap (a new ref leaks its name once,
        see `_reference`)."""
        r = self._repo.references.get(ref)
        return None if r is None else str(r.resolve().target)

    def _reference(self, name: str):
        """libgit2's reference `name`, or None when there is none. A name the ref store does not
        hold is not looked up: pygit2 (1.21) keeps alive the name of every look-up that fails
        (`references.get`, `lookup_reference`, `in references`: the str's count goes up by one
        and never down), and `resolve(commit id)` fails three such look-ups before it parses
        the id: on the big plan 18 MB of a worker after 600 pages (benchmarks/README.md). The
        ref store is read again whenever a ref moved (`_ref_store`), so this answers for now;
        a name the last reading holds is asked of libgit2 directly (no stat of the ref folders)."""
        memo = getattr(self, "_refs_memo", None)
        known = memo[3] if memo is not None else None
        if (known is None or name not in known) and name not in self._ref_store()[1]:
            return None  # a name the last reading holds is looked up at once; any other is checked first
        return self._repo.references.get(name)

    def refs(self, prefix: str = "refs/") -> dict[str, str]:
        if prefix == "refs/":
            return dict(self._ref_store()[1])
        return {name: target for name, target in self._ref_store()[1].items() if name.startswith(prefix)}

    def ref_snapshot(self) -> Mapping[str, str]:
        """Every ref -> commit id, read-only, as refs() gives them but without a copy: for a
        reader of thousands of refs (a list of amendments) instead of one look-up per ref."""
        return MappingProxyType(self._ref_store()[1])

    def refs_state(self) -> tuple[bytes, dict[str, str]]:
        """(refs_fingerprint(), refs()) from one reading of the ref store: a consistent pair."""
        fingerprint, refs = self._ref_store()
        return fingerprint, dict(refs)

    def refs_fingerprint(self) -> bytes:
        """A digest of every ref and where it points: any ref created, moved or deleted changes it.

        For caches of what is read from many refs at once (pages with review logs)."""
        return self._ref_store()[0]

    QUIET_NS = 1_000_000_000  # a stamp whose times are all older than this proves that nothing moved since

    def _ref_store(self) -> tuple[bytes, dict[str, str]]:
        """(digest, every ref -> commit id), read once and kept while the ref store's stamp stays
        the same (issue 20: 9,000 refs cost milliseconds per reading, and every signed-in page
        asks twice). The stamp is the stat of packed-refs and of every folder that holds a ref:
        a ref written (a lock file renamed into place), deleted or made in a new folder changes a
        folder's times; packed-refs rewritten changes its own. A write within the file system's
        clock tick of the stamp may not show, so a reading is kept only when every time in its
        stamp was older than QUIET_NS when it was taken (git's "racy" rule for its index)."""
        memo = getattr(self, "_refs_memo", None)
        folders = memo[0] if memo is not None else self._BASE_FOLDERS
        stamp, newest = self._folders_stamp(folders)  # before the reading: a write after it is seen next time
        if memo is not None and memo[1] == stamp:
            return memo[2], memo[3]
        fingerprint, refs = self._read_ref_store()
        found = set(folders)
        for name in refs:
            parent = name.rsplit("/", 1)[0]
            while parent not in found and "/" in parent:
                found.add(parent)
                parent = parent.rsplit("/", 1)[0]
        if len(found) == len(folders) and time.time_ns() - newest > self.QUIET_NS:
            self._refs_memo = (folders, stamp, fingerprint, refs)
        else:  # a folder not stamped yet, or a write too recent to prove anything: read again next time
            self._refs_memo = (tuple(sorted(found)), None, None, None)
        return fingerprint, refs

    def _folders_stamp(self, folders: tuple[str, ...]) -> tuple[tuple, int]:
        stats, newest = [], 0
        base = self._repo.path
        for rel in ("packed-refs", *folders):
            try:
                st = os.stat(os.path.join(base, rel))
            except OSError:
                stats.append(None)
                continue
            stats.append((st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns))
            newest = max(newest, st.st_mtime_ns)  # a write sets both times: the racy rule needs one
        return tuple(stats), newest

    def _read_ref_store(self) -> tuple[bytes, dict[str, str]]:
        h = hashlib.blake2b(digest_size=16)
        out = {}
        for ref in self._repo.references.iterator():
            target = ref.raw_target
            name = ref.name
            h.update(name.encode())
            h.update(b"\0")
            h.update(target.raw if isinstance(target, pygit2.Oid) else bytes(target))
            h.update(b"\n")
            out[name] = str(target if isinstance(target, pygit2.Oid) else ref.resolve().target)
        return h.digest(), out

    REF_FOLDERS = ("refs", "refs/heads", "refs/heads/amendments", "refs/reviews", "refs/reviews/commitments",
                   "refs/reviews/amendments")
    _BASE_FOLDERS = (*REF_FOLDERS, "refs/tags")

    def refs_stamp(self) -> tuple:
        """What the file system says of the ref store (packed-refs and the folders of our refs:
        inode, size and modification time), in a few stat calls. Every ref write (a lock file
        renamed into place, packed-refs rewritten, a ref deleted) changes it; but a write within
        the file system's clock tick of the previous one may not, so only a stamp whose times are
        all older than a second when it was taken proves that nothing moved since (git's "racy"
        rule for its index). Returns (stats, newest time in ns)."""
        stats, newest = [], 0
        for rel in ("packed-refs", *self.REF_FOLDERS):
            try:
                st = os.stat(os.path.join(self._repo.path, rel))
            except OSError:
                stats.append(None)
                continue
            stats.append((st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns))
            newest = max(newest, st.st_mtime_ns)
        return tuple(stats), newest

    def head(self) -> str | None:
        """The commit HEAD points at (a work tree's checkout, a bare repository's default branch)."""
        try:
            return str(self._repo.head.peel(pygit2.Commit).id)
        except (pygit2.GitError, KeyError, ValueError):
            return None

    def tags(self) -> list[TagInfo]:
        """The tags, newest first (read again only when a tag ref changed)."""
        key = tuple((n, t) for n, t in self._ref_store()[1].items() if n.startswith("refs/tags/"))
        memo = getattr(self, "_tags_memo", None)
        if memo is not None and memo[0] == key:
            return list(memo[1])
        out = self._read_tags([n for n, _ in key])
        self._tags_memo = (key, out)
        return list(out)

    def _read_tags(self, names: list[str]) -> list[TagInfo]:
        out = []
        for name in names:
            ref = self._reference(name)
            if ref is None:
                continue
            obj = self._repo[ref.target]
            when, msg = None, ""
            if isinstance(obj, pygit2.Tag):
                msg = obj.message or ""
                if obj.tagger is not None:
                    when = _utc(obj.tagger.time)
            try:
                target = str(ref.peel(pygit2.Commit).id)
            except (pygit2.GitError, ValueError):
                continue
            if when is None:
                when = self.commit_info(target).time
            out.append(TagInfo(name[len("refs/tags/"):], target, when, msg))
        out.sort(key=lambda t: (t.time or _utc(0), t.name), reverse=True)
        return out

    def reflog(self, ref: str) -> list[tuple[str, str, str]]:
        """(old, new, message) of each recorded update of a ref, oldest first; [] without a reflog."""
        r = self._reference(ref)
        if r is None:
            return []
        try:
            entries = [(str(e.oid_old), str(e.oid_new), e.message or "") for e in r.log()]
        except (pygit2.GitError, KeyError, ValueError):
            return []
        return entries[::-1]

    def update_ref(self, ref: str, new: str, expected: str | None, reason: str = "") -> None:
        """Compare-and-swap: point `ref` at `new` only if it still points at `expected`.

        `expected=None` means the ref must not exist yet. Raises RefMoved when it lost the
        race; the caller re-reads and decides. A held lock is waited for, a stale one broken.
        """
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        for attempt in range(MAX_RETRIES):
            try:
                self._cas(ref, new, expected, reason)
                return
            except (OSError, pygit2.GitError) as exc:
                if _disk_full(exc):
                    raise NoSpace() from None
                if "lock" not in str(exc).lower():
                    raise
                self._break_stale_lock(ref)
                if time.monotonic() > deadline:
                    break
                _sleep(attempt)
        raise RefLocked(ref, self._lock_retry_after(ref))

    def _cas(self, ref: str, new: str, expected: str | None, reason: str) -> None:
        """Lock the ref, re-read it under the lock, compare, then write (git's own protocol).

        libgit2's "create if absent" checks before locking, so two creators could both
        win; under the lock the check and the write cannot interleave with another writer.
        """
        oid = pygit2.Oid(hex=new)
        message = reason or "review: update"
        with self._repo.transaction() as txn:
            txn.lock_ref(ref)  # OSError/GitError "failed to lock" when another writer holds it
            current = self._target_on_disk(ref)
            if current != expected:
                raise RefMoved(ref, expected, current)
            txn.set_target(ref, oid, message=message)

    def _lock_retry_after(self, ref: str) -> int:
        """Seconds until the ref's lock file, if it stays, is old enough to be broken."""
        try:
            age = time.time() - os.stat(os.path.join(self.path, ref + ".lock")).st_mtime
        except FileNotFoundError:
            return 1
        return max(1, int(STALE_LOCK_SECONDS - age) + 1)

    def _break_stale_lock(self, ref: str) -> None:
        lock = os.path.join(self.path, ref + ".lock")
        try:
            age = time.time() - os.stat(lock).st_mtime
        except FileNotFoundError:
            return
        if age > STALE_LOCK_SECONDS:
            try:
                os.unlink(lock)
            except FileNotFoundError:
                pass

    def commit_on(self, ref: str, build: Callable[[str | None], tuple[dict[str, bytes | None], str] | None],
                  author: Identity, expected: str | None | type(...) = ...,
                  extra_parents: Callable[[str | None], list[str]] | None = None,
                  when: dt.datetime | None = None) -> tuple[str, str | None]:
        """Commit on `ref` with bounded, jittered retry; returns (new commit id, old tip).

        `build(tip)` is called with the tip read for this attempt and returns
        (changes, message), or None to write nothing. When `expected` is given, the
        caller insists on that tip: a moved ref raises RefMoved at once, no retry.
        """
        with self._writer_lock(ref):
            return self._commit_on(ref, build, author, expected, extra_parents, when)

    @contextlib.contextmanager
    def _writer_lock(self, ref: str):
        """Writers of one ref take turns (an flock on `<git dir>/review-locks/<ref digest>`)
        instead of retrying compare-and-swap in a storm: 32 clients on one log queue up.
        The kernel drops an flock when its process dies: a killed writer leaves nothing
        behind. git itself (pushes) does not take it: the compare-and-swap still guards."""
        folder = os.path.join(self._repo.path, "review-locks")
        name = hashlib.blake2b(ref.encode(), digest_size=10).hexdigest()
        try:
            os.makedirs(folder, exist_ok=True)
            fd = os.open(os.path.join(folder, name), os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            if _disk_full(exc):
                raise NoSpace() from None
            raise
        try:
            deadline = time.monotonic() + LOCK_WAIT_SECONDS * 4
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise RefLocked(ref, 5) from None
                    time.sleep(0.002)
            yield
        finally:
            os.close(fd)  # releases the flock

    def _commit_on(self, ref, build, author, expected, extra_parents, when):
        for attempt in range(MAX_RETRIES):
            tip = self.ref_target(ref)
            if expected is not ... and tip != expected:
                raise RefMoved(ref, expected, tip)
            built = build(tip)
            if built is None:
                return tip, tip
            changes, message = built
            try:
                tree = self.write_tree(tip, changes)
                parents = ([tip] if tip else []) + (extra_parents(tip) if extra_parents else [])
                new = self.create_commit(tree, parents, author, message, when)
            except (OSError, pygit2.GitError) as exc:
                if _disk_full(exc):
                    raise NoSpace() from None
                raise
            try:
                self.update_ref(ref, new, tip, f"review: {message.splitlines()[0][:80]}")
                return new, tip
            except RefMoved:
                if expected is not ...:
                    raise
                _sleep(attempt)
        raise TooManyRetries(f"{ref}: gave up after {MAX_RETRIES} attempts")

    def commit_tree_on(self, ref: str, tree_id: str, parents: list[str], author: Identity,
                       message: str, expected: str | None) -> str:
        """Point `ref` at a new commit of a ready tree, only if it is still at `expected`."""
        try:
            new = self.create_commit(tree_id, parents, author, message)
        except (OSError, pygit2.GitError) as exc:
            if _disk_full(exc):
                raise NoSpace() from None
            raise
        self.update_ref(ref, new, expected, f"review: {message.splitlines()[0][:80]}")
        return new

    def create_tag(self, name: str, target: str, tagger: Identity, message: str) -> str:
        oid = self._repo.create_tag(name, pygit2.Oid(hex=target), ObjectType.COMMIT,
                                    self._signature(tagger), message)
        return str(oid)

    def create_tag_if_absent(self, name: str, target: str, tagger: Identity, message: str) -> str | None:
        """An annotated tag `refs/tags/<name>`; None (nothing written) when that tag exists."""
        if self._reference(f"refs/tags/{name}") is not None:
            return None
        try:
            return self.create_tag(name, target, tagger, message)
        except (ValueError, pygit2.GitError, pygit2.AlreadyExistsError):
            return None

    def delete_ref(self, ref: str, expected: str) -> None:
        """Compare-and-swap deletion: remove `ref` only if it still points at `expected`.
        Used only for transient refs (refs/for/*); managed refs are never deleted."""
        with self._repo.transaction() as txn:
            txn.lock_ref(ref)
            current = self._target_on_disk(ref)
            if current != expected:
                raise RefMoved(ref, expected, current)
            txn.remove(ref)


def _sleep(attempt: int) -> None:
    time.sleep(random.uniform(0, min(0.002 * (2 ** min(attempt, 6)), 0.1)))
