"""Error pages in the reader's language, JSON `{"error": ...}` under /api/."""

from __future__ import annotations

import secrets

from flask import current_app, jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, InternalServerError

from ..commitment import NotFound
from .messages import localise  # pages show the core's messages in the reader's language; JSON keeps English


class ApiError(Exception):
    """Raised by views to answer with a status and a message that says how to fix it."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def json_object() -> dict:
    """The request's JSON body, which must be an object."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "send a JSON object in the body, with Content-Type: application/json")
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
        raise ApiError(exc.status, exc.message) from None


def wants_json() -> bool:
    return request.path.startswith("/api/")


def _answer(status: int, message: str):
    if wants_json():
        return jsonify({"error": message}), status
    return render_template("errors/error.html", status=status, message=message), status


def init_app(app) -> None:
    @app.errorhandler(NotFound)
    def _not_found(exc):
        if wants_json():  # the API answers in English whatever the reader's language
            return _answer(404, f"Not found: {exc}")
        return _answer(404, _("Not found: %(what)s", what=localise(str(exc))))

    @app.errorhandler(ApiError)
    def _api_error(exc):
        return _answer(exc.status, exc.message if wants_json() else localise(exc.message))

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
