"""Error pages in the reader's language, JSON `{"error": ...}` under /api/."""

from __future__ import annotations

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from ..commitment import NotFound


class ApiError(Exception):
    """Raised by views to answer with a status and a message that says how to fix it."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def wants_json() -> bool:
    return request.path.startswith("/api/")


def _answer(status: int, message: str):
    if wants_json():
        return jsonify({"error": message}), status
    return render_template("errors/error.html", status=status, message=message), status


def init_app(app) -> None:
    @app.errorhandler(NotFound)
    def _not_found(exc):
        return _answer(404, _("Not found: %(what)s", what=str(exc)))

    @app.errorhandler(ApiError)
    def _api_error(exc):
        return _answer(exc.status, exc.message)

    @app.errorhandler(HTTPException)
    def _http(exc):
        messages = {
            404: _("This page does not exist. Check the address, or start again from the plan."),
            405: _("This address does not accept this method."),
            413: _("The request is too large."),
            400: _("The request is malformed."),
        }
        return _answer(exc.code or 500, messages.get(exc.code, exc.description or exc.name))
