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
