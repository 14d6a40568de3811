"""Search (issue 18): from the header's form, in French with and without accents, a comment is
found and its link leads to it; at 1280 and 390 px, with no axe-core violation and no sideways scroll."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from review import comments
from review import commitment as core

CID = "engagement-02"
WIDTHS = (1280, 390)


@pytest.mark.parametrize("width", WIDTHS)
def test_search_in_french_with_and_without_accents_finds_a_comment(page: Page, live_server, repo, axe, width):
    people = core.read_plan(repo, repo.resolve("main")).people
    c = comments.add(repo, people["karim"], CID, "Les échéances de publication des données restent floues.")
    page.set_viewport_size({"width": width, "height": 900})
    for query in ("échéances données", "echeances donnees", "ÉCHÉANCE DONNÉE"):
        page.goto(live_server.url + "/")
        box = page.get_by_role("banner").get_by_role("searchbox")
        expect(box).to_be_visible()  # outside the folded menu: usable on a phone at once
        box.fill(query)
        box.press("Enter")
        expect(page).to_have_url(re.compile(r"/search\?q="))
        hit = page.locator(f'a[href="/commitments/{CID}#c-{c.id}"]')
        expect(hit).to_have_count(1)
        result = page.locator("li.search-hit", has=hit)
        expect(result.locator("mark").first).to_be_visible()
        assert "échéances" in result.inner_text() and "données" in result.inner_text()
        width_now, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width_now <= inner, f"the results are {width_now} px wide in a {inner} px window"
        assert axe(page) == []  # no violation at all, not even a minor one
    hit.click()
    expect(page).to_have_url(f"{live_server.url}/commitments/{CID}#c-{c.id}")
    expect(page.locator(f"#c-{c.id}")).to_contain_text("restent floues")


def test_search_page_filters_work_without_javascript(browser, live_server, axe):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 900})
    page = context.new_page()
    try:
        page.goto(live_server.url + "/search")
        page.get_by_role("main").get_by_role("searchbox").fill("transparence")
        page.locator("details.search-filters summary").click()
        page.get_by_label("Type").select_option("commitment")
        page.get_by_label("Axe").select_option("rendre-des-comptes")
        page.get_by_role("main").get_by_role("button", name="Rechercher").click()
        # the click only starts the navigation: wait for the address of the results
        expect(page).to_have_url(re.compile(r"[?&]type=commitment(&|$)"))
        expect(page).to_have_url(re.compile(r"[?&]axis=rendre-des-comptes(&|$)"))
        expect(page.locator("li.search-hit").first).to_be_visible()
        width_now, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width_now <= inner
    finally:
        context.close()
