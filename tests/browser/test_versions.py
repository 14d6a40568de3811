"""A coordinator publishes a version from /versions (a second step, without JavaScript), then
a reader downloads its PDF."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from .actions import sign_in


def test_publish_a_version_and_download_its_pdf(page: Page, live_server, axe, tmp_path):
    url = live_server.url
    sign_in(page, url, "claire")
    page.goto(url + "/")
    page.get_by_role("banner").get_by_role("link", name="Versions").click()
    expect(page.get_by_role("heading", name="Versions publiées", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="adopted-2015-07-16")).to_be_visible()
    page.get_by_label("Nom").fill("2016-bilan")
    page.get_by_label("Notes en français").fill("Le plan au moment du bilan.")
    page.get_by_label("Notes en anglais").fill("The plan at the time of the review.")
    axe(page)
    page.get_by_role("button", name="Publier…").click()
    dialog = page.get_by_role("dialog")   # with JavaScript the question is asked in a <dialog>
    expect(dialog.get_by_role("heading", name="Publier cette version ?")).to_be_visible()
    axe(page)
    dialog.get_by_role("button", name="Oui, publier cette version").click()
    expect(page.get_by_role("status")).to_contain_text("Version 2016-bilan publiée : révision")
    version = page.locator("#version-versions-2016-bilan")
    expect(version.get_by_text("Le plan au moment du bilan.")).to_be_visible()
    expect(version.get_by_text("The plan at the time of the review.")).to_be_visible()
    compare = version.get_by_role("link", name="avec adopted-2015-07-16")
    assert compare.get_attribute("href") == "/compare?from=adopted-2015-07-16&to=versions%2F2016-bilan"
    axe(page)
    with page.expect_download(timeout=120_000) as download:
        version.get_by_role("link", name="PDF en français").click()
    path = tmp_path / "plan.pdf"
    download.value.save_as(path)
    assert download.value.suggested_filename == "versions-2016-bilan-plan-fr.pdf"
    data = path.read_bytes()
    assert data.startswith(b"%PDF-")
    import pypdf
    reader = pypdf.PdfReader(path)
    text = re.sub(r"\s+", " ", reader.pages[0].extract_text().replace("\x00", ""))
    assert "versions/2016-bilan" in text and url in text   # the cover names the version and the live site
    assert len(reader.pages) > 26


def test_the_static_site_reads_from_file_urls(page: Page, repo, tmp_path, axe):
    """The published site, opened from the disk: choose a language, go through the book by axis
    and by previous / next, with the glossary and the live page a click away."""
    from review import publish
    publish.publish(repo, "main", tmp_path / "out", base_url="https://plan.example.org", formats=("site",))
    page.goto((tmp_path / "out" / "site" / "index.html").as_uri())
    page.get_by_role("link", name=re.compile("Pour une action publique")).first.click()
    expect(page.get_by_role("heading", name="Sommaire")).to_be_visible()
    axe(page)
    page.get_by_role("navigation", name="Les axes").get_by_role("link", name="Rendre des comptes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rendre des comptes")
    page.get_by_role("main").get_by_role("link", name=re.compile("^Engagement 2 ")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Engagement 2")
    axe(page)
    page.get_by_role("link", name=re.compile("^Suivant")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Engagement 3")
    live = page.get_by_role("link", name="Lire et commenter cette page sur le site")
    assert live.get_attribute("href") == "https://plan.example.org/commitments/engagement-03"
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Commitment 3")
    page.set_viewport_size({"width": 320, "height": 700})
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner
