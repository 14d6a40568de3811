"""Error pages in the reader's language, JSON `{"error": ...}` under /api/."""

from __future__ import annotations

import errno
import secrets

from flask import current_app, jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, InternalServerError

from ..commitment import NotFound
from ..errors import Busy, Damaged, DiskFull, Message, coded
from .messages import localise  # pages show the core's messages in the reader's language; JSON keeps English


DISK_FULL = Message("disk.full")


class ApiError(Exception):
    """Raised by views to answer with a status and a message that says how to fix it."""

    def __init__(self, status: int, message, retry_after: int | None = None):
        """`message` is English text, or a core Message (review.errors) that pages translate."""
        super().__init__(str(message))
        self.status, self.message, self.retry_after = status, str(message), retry_after
        self.text = coded(message)


def json_object(allowed: set[str] | frozenset[str] | None = None) -> dict:
    """The request's JSON body, which must be an object (with only the `allowed` keys, when given)."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "send a JSON object in the body, with Content-Type: application/json")
    if allowed is not None:
        unknown = set(data) - set(allowed)
        if unknown:
            raise ApiError(400, f"unknown fields: {', '.join(sorted(unknown))} (allowed: {', '.join(sorted(allowed))})")
    return data


def api_write(fn, *args, **kwargs):
    """Run a core write as the bearer of the token; a core refusal becomes a JSON answer
    with its status (400, 403, 404, 409)."""
    from flask import g

    from ..errors import ReviewError
    from .reading import repo
    if g.person is None:
        raise ApiError(401, "sign in first: send 'Authorization: Bearer <token>'")
    try:
        return fn(repo(), g.person, *args, **kwargs)
    except ReviewError as exc:
        raise ApiError(exc.status, exc.text or exc.message, getattr(exc, "retry_after", None)) from None


def wants_json() -> bool:
    return request.path.startswith("/api/")


def _answer(status: int, message, retry_after: int | None = None):
    """`message`: a core error, a Message or a text; the API answers its English text (and its
    code, when it has one), pages the text in the reader's language."""
    headers = {"Retry-After": str(retry_after)} if retry_after else {}
    if wants_json():
        text = coded(message)
        body = {"error": message.message if hasattr(message, "message") else str(message)}
        if text is not None:
            body["code"] = text.code
        return jsonify(body), status, headers
    return render_template("errors/error.html", status=status, message=localise(message)), status, headers


def init_app(app) -> None:
    @app.errorhandler(NotFound)
    def _not_found(exc):
        if wants_json():  # the API answers in English whatever the reader's language
            return _answer(404, f"Not found: {exc}")
        return _answer(404, _("Not found: %(what)s", what=localise(exc)))

    @app.errorhandler(Damaged)
    def _damaged(exc):  # a missing or truncated object: named, on the page that needs it only
        return _answer(exc.status, exc)

    @app.errorhandler(ApiError)
    def _api_error(exc):
        return _answer(exc.status, exc.text or exc.message, exc.retry_after)

    @app.errorhandler(Busy)
    @app.errorhandler(DiskFull)
    def _unavailable(exc):  # a write refused for a fault of the server: 503 (locked) or 507 (disk full)
        return _answer(exc.status, exc, getattr(exc, "retry_after", None))

    @app.errorhandler(OSError)
    def _os_error(exc):  # the disk filled up under a write the core did not see coming (a session, a cache)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return _answer(507, DISK_FULL)
        raise exc

    @app.errorhandler(InternalServerError)
    def _server_error(exc):
        """An unhandled error: logged with a request id that the page shows, so that a
        person can report it and the operator find its traceback."""
        request_id = secrets.token_hex(6)
        original = getattr(exc, "original_exception", None) or exc
        current_app.logger.error("request %s: %s %s failed", request_id, request.method, request.path,
                                 exc_info=(type(original), original, original.__traceback__))
        if wants_json():
            response = jsonify({"error": "the server failed on this request; report it with its request id "
                                         f"{request_id}", "request_id": request_id})
        else:
            response = render_template("errors/error.html", status=500, message=_(
                "The server failed on this request. Report it with this reference: %(id)s", id=request_id))
        response = current_app.make_response((response, 500))
        response.headers["X-Request-Id"] = request_id
        return response

    @app.errorhandler(HTTPException)
    def _http(exc):
        if wants_json():  # English, as every JSON answer
            english = {404: "This page does not exist. Check the address, or start again from the plan.",
                       405: "This address does not accept this method.",
                       413: "The request is too large.",
                       400: "The request is malformed."}
            return _answer(exc.code or 500, english.get(exc.code, exc.name))
        messages = {
            404: _("This page does not exist. Check the address, or start again from the plan."),
            405: _("This address does not accept this method."),
            413: _("The request is too large."),
            400: _("The request is malformed."),
        }
        return _answer(exc.code or 500, messages.get(exc.code, exc.description or exc.name))
