"""Errors of the core that a person can act on; the web maps each kind to an HTTP status."""


class ReviewError(Exception):
    status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Invalid(ReviewError):
    """Malformed input: what was wrong and how to fix it."""
    status = 400


class Forbidden(ReviewError):
    status = 403


class Missing(ReviewError):
    status = 404


class Conflict(ReviewError):
    """The thing changed since it was read, or its state forbids the act."""
    status = 409


class Damaged(ReviewError):
    """The repository itself is damaged (a missing or truncated object, a ref at a blob):
    not the reader's fault, and not fixed by retrying; an administrator repairs it."""
    status = 503


class Busy(ReviewError):
    """A write cannot be made now (a ref locked by another write): try again after `retry_after` s."""
    status = 503

    def __init__(self, message: str, retry_after: int = 30):
        super().__init__(message)
        self.retry_after = retry_after


class DiskFull(ReviewError):
    """The server's disk is full: nothing was written; reads keep working."""
    status = 507
