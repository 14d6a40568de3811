"""An imported GitBook plan in a real browser: read it by axis and theme, page after page,
and open the history of an imported commitment."""

from __future__ import annotations

import threading

import pytest
from playwright.sync_api import Page, expect

from review.importer import run

from ..gitbook_builder import build


@pytest.fixture
def imported_server(tmp_path):
    from werkzeug.serving import make_server

    from review.web import create_app

    build(tmp_path / "gitbook", n_commits=6, n_commitments=5)
    report = run(tmp_path / "gitbook", tmp_path / "dep")
    assert report.ok, report.invalid
    app = create_app(tmp_path / "dep", {"TESTING": True})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_read_an_imported_plan_by_axis_and_theme_and_its_history(page: Page, imported_server, axe):
    url = imported_server
    page.goto(url + "/")
    axis = page.locator("section.axis").first
    expect(axis.get_by_role("heading", level=2)).to_have_text("Axe 1 : rendre des comptes")
    expect(axis.locator("h3.theme").first).to_have_text("Thème A de l'axe 1")
    expect(page.locator("img.cover")).to_be_visible()
    axe(page)
    # the theme's introduction, then the reading order: next is its first commitment
    violations = []
    page.on("console", lambda msg: "Content Security Policy" in msg.text and violations.append(msg.text))
    axis.get_by_role("link", name="Introduction").nth(1).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thème A de l'axe 1")
    page.locator("a[rel=next]").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Titre de l’engagement 1")
    expect(page.locator(".theme-title")).to_have_text("Thème A de l'axe 1")
    expect(page.locator("ol.parts li")).to_have_count(2)
    expect(page.get_by_role("link", name="http://www.data.gouv.fr/").first).to_be_visible()
    axe(page)
    # a link between pages of the book leads to the page here
    page.get_by_role("link", name="annexe méthodologique").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Annexe : méthode")
    src = page.locator(".plan-page img").get_attribute("src")
    assert src.startswith("/assets/")
    resp = page.request.get(url + src)
    assert resp.status == 200 and resp.headers["content-type"] == "image/png"
    response = page.reload()
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    assert not violations, violations
    page.go_back()
    # the history of the imported commitment: its source commits, labelled
    page.get_by_role("link", name="Historique de cet engagement").click()
    rows = page.locator("tbody tr")
    expect(rows.first).to_contain_text("Historique importé, non relu ici")
    expect(rows.first).to_contain_text("Henri Verdier")
    axe(page)
    # in English
    page.goto(url + "/lang/en")
    page.goto(url + "/commitments/engagement-01")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Title of commitment 1")
    expect(page.locator(".theme-title")).to_have_text("Theme A of axis 1")
