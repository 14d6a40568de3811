"""Issue 17, point 5: each axis and each theme has a page (introduction, commitments, progress);
the plan page and each commitment page show the theme and link to it; previous / next between
commitments in plan order."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from review import commitment as core
from review import pages, progress

from .visit import fits, start

T = {
    "fr": {"axis": "Rendre des comptes", "theme": "Ouvrir l'évaluation publique", "themes": "Thèmes",
           "intro": "Introduction", "next": "Suivant",
           "prev": "Précédent", "complete": "1 sur {n} complets", "of_axis": "Thème de l'axe « Rendre des comptes »"},
    "en": {"axis": "Ensure accountability", "theme": "Open up public evaluation", "themes": "Themes",
           "intro": "Introduction", "next": "Next",
           "prev": "Previous", "complete": "1 of {n} complete", "of_axis": "Theme of the axis “Ensure accountability”"},
}


@pytest.mark.parametrize("width", (1280, 390))
@pytest.mark.parametrize("lang", ("fr", "en"))
def test_from_the_plan_to_an_axis_a_theme_and_a_commitment_and_along_the_plan(page: Page, live_server, repo, axe,
                                                                              lang, width):
    t = T[lang]
    main = repo.resolve("main")
    people = core.read_plan(repo, main).people
    c4 = core.read_commitment(repo, main, "engagement-04")
    progress.report(repo, people["antoine"], "engagement-04", "complete", "", milestone=c4.milestones[0].id)
    url = live_server.url
    start(page, url, lang, width)
    page.goto(url + "/")
    page.get_by_role("heading", name=t["axis"]).get_by_role("link").click()
    expect(page).to_have_url(f"{url}/axes/rendre-des-comptes")
    expect(page.get_by_role("heading", level=1)).to_have_text(t["axis"])
    expect(page.get_by_role("heading", name=t["intro"])).to_be_visible()
    expect(page.get_by_role("heading", name=t["themes"])).to_be_visible()
    fits(page)
    axe(page)
    page.get_by_role("main").locator("ul.themes").get_by_role("link", name=t["theme"]).click()
    expect(page).to_have_url(f"{url}/axes/rendre-des-comptes/themes/evaluation-publique")
    expect(page.get_by_role("heading", level=1)).to_have_text(t["theme"])
    expect(page.locator("hgroup p")).to_contain_text(t["of_axis"])
    row = page.locator("#c-engagement-04")
    expect(row.locator(".milestone-summary")).to_have_text(t["complete"].format(n=len(c4.milestones)))
    fits(page)
    axe(page)
    row.get_by_role("link").click()
    expect(page).to_have_url(f"{url}/commitments/engagement-04")
    theme_link = page.locator("dd.theme-link").get_by_role("link", name=t["theme"])
    expect(theme_link).to_be_visible()
    expect(page.get_by_role("navigation").locator(".theme-title a")).to_have_attribute(
        "href", "/axes/rendre-des-comptes/themes/evaluation-publique")
    # previous / next in plan order
    book = [e.id for e in pages.read_book(repo, main)[1]]
    i = book.index("engagement-04")
    nav = page.get_by_role("navigation", name="Ordre de lecture" if lang == "fr" else "Reading order")
    expect(nav.locator("a[rel=next]")).to_have_attribute("href", f"/commitments/{book[i + 1]}")
    expect(nav.locator("a[rel=prev]")).to_have_attribute("href", f"/commitments/{book[i - 1]}")
    nav.locator("a[rel=next]").click()
    expect(page).to_have_url(f"{url}/commitments/{book[i + 1]}")
    page.locator("dd.axis-link a").click()
    expect(page).to_have_url(f"{url}/axes/rendre-des-comptes")


def test_unknown_axis_and_theme_pages_are_404(page: Page, live_server):
    assert page.goto(live_server.url + "/axes/nope").status == 404
    assert page.goto(live_server.url + "/axes/climat/themes/evaluation-publique").status == 404
