"""Feeds are easy to find (issue 17, point 9): every page with an Atom feed declares it in its
head (`<link rel="alternate" type="application/atom+xml">`) and links it visibly, at desktop and
phone widths, in French and in English; the declared feed answers with Atom."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from review import amendments as am
from review import commitment as core

C4 = "engagement-04"
FR4 = f"commitments/{C4}/fr.md"
TEXTS = {
    "fr": {"commitment": "Flux Atom de cet engagement", "amendment": "Flux Atom", "progress": "Flux Atom des rapports"},
    "en": {"commitment": "Atom feed of this commitment", "amendment": "Atom feed", "progress": "Atom feed of the reports"},
}


def _amendment(repo) -> int:
    people = core.read_plan(repo, repo.resolve("main")).people
    text = repo.read_file(repo.resolve("main"), FR4).decode()
    return am.propose(repo, people["lucie"], C4, "Nommer les enjeux", "Plus clair.",
                      {FR4: text.replace("## Enjeux", "## Les enjeux", 1)}).number


@pytest.mark.parametrize("width", (1280, 390))
@pytest.mark.parametrize("lang", ("fr", "en"))
def test_pages_with_a_feed_declare_it_and_link_it(page: Page, live_server, repo, axe, width, lang):
    url = live_server.url
    n = _amendment(repo)
    page.set_viewport_size({"width": width, "height": 900})
    if lang == "en":
        page.goto(f"{url}/lang/en?next=/")
    pages = [
        (f"/commitments/{C4}", f"/commitments/{C4}/feed.atom", "commitment"),
        (f"/commitments/{C4}/history", f"/commitments/{C4}/feed.atom", "commitment"),
        (f"/amendments/{n}", f"/amendments/{n}/feed.atom", "amendment"),
        ("/progress", "/progress.atom", "progress"),
    ]
    for path, feed, kind in pages:
        page.goto(url + path)
        declared = page.locator('head link[rel="alternate"][type="application/atom+xml"]')
        expect(declared).to_have_count(1)
        expect(declared).to_have_attribute("href", feed)
        assert declared.get_attribute("title"), f"{path}: the declared feed has no title"
        visible = page.get_by_role("main").get_by_role("link", name=TEXTS[lang][kind], exact=True)
        expect(visible).to_be_visible()
        expect(visible).to_have_attribute("href", feed)
        answer = page.request.get(url + feed)
        assert answer.ok and answer.headers["content-type"].startswith("application/atom+xml"), path
        assert "<feed" in answer.text()
    axe(page)


def test_pages_without_a_feed_declare_none(page: Page, live_server):
    for path in ("/", "/amendments", "/people", "/audit"):
        page.goto(live_server.url + path)
        expect(page.locator('head link[type="application/atom+xml"]')).to_have_count(0)
