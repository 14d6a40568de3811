"""The errors of the git layer: each says what went wrong in the repository's words."""

from __future__ import annotations

import errno

from ..errors import Busy, Damaged, DiskFull


class GitLayerError(Exception):
    """Base class of the errors this layer raises."""


class UnknownRevision(GitLayerError):
    pass


class RefMoved(GitLayerError):
    """The ref no longer points where the caller said it did (a lost race)."""

    def __init__(self, ref: str, expected: str | None, actual: str | None):
        super().__init__(f"{ref} moved: expected {expected}, found {actual}")
        self.ref, self.expected, self.actual = ref, expected, actual


class TooManyRetries(GitLayerError):
    pass


class RefLocked(TooManyRetries, Busy):
    """Another write holds the ref's lock file (or left it behind: broken once STALE_LOCK_SECONDS old)."""

    def __init__(self, ref: str, retry_after: int):
        message = f"{ref} is locked by another write: try again in {retry_after} seconds"
        TooManyRetries.__init__(self, message)
        Busy.__init__(self, message, retry_after)
        self.ref = ref


class NoSpace(GitLayerError, DiskFull):
    def __init__(self):
        message = "the server's disk is full: nothing was written; try again later"
        GitLayerError.__init__(self, message)
        DiskFull.__init__(self, message)


def _disk_full(exc: BaseException) -> bool:
    return (isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)) or \
        "no space left" in str(exc).lower() or "quota exceeded" in str(exc).lower()


class DamagedObject(GitLayerError, Damaged):
    """An object the repository needs is missing, truncated or corrupt: named, raised at once."""

    def __init__(self, oid: str, problem: str):
        message = f"the repository is damaged: object {oid} is {problem}; an administrator must restore it"
        GitLayerError.__init__(self, message)
        Damaged.__init__(self, message)
        self.oid, self.problem = oid, problem
