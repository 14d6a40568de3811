"""An unhandled error answers 500 with a request id that the log names too."""

from __future__ import annotations

import logging

import pytest

from review.web import create_app


@pytest.fixture
def failing_app(deployment_dir):
    app = create_app(deployment_dir, {"TESTING": True, "PROPAGATE_EXCEPTIONS": False})

    @app.get("/api/v1/boom")
    @app.get("/boom")
    def boom():
        raise RuntimeError("a bug in a view")

    return app


def test_a_page_shows_the_reference_that_the_log_names(failing_app, caplog):
    with caplog.at_level(logging.ERROR):
        response = failing_app.test_client().get("/boom?lang=fr")
    assert response.status_code == 500
    request_id = response.headers["X-Request-Id"]
    assert len(request_id) == 12
    page = response.get_data(as_text=True)
    assert f"Signalez-le avec cette référence : {request_id}" in page
    assert "a bug in a view" not in page  # the traceback stays in the log
    logged = [r for r in caplog.records if request_id in r.getMessage()]
    assert logged and logged[0].exc_info[0] is RuntimeError
    assert "GET /boom" in logged[0].getMessage()


def test_the_api_answers_json_in_english_with_the_id(failing_app):
    response = failing_app.test_client().get("/api/v1/boom")
    assert response.status_code == 500
    body = response.get_json()
    assert body["request_id"] == response.headers["X-Request-Id"]
    assert body["request_id"] in body["error"] and "report it" in body["error"]


def test_two_failures_get_two_references(failing_app):
    client = failing_app.test_client()
    assert client.get("/boom").headers["X-Request-Id"] != client.get("/boom").headers["X-Request-Id"]
