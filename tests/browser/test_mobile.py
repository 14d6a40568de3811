"""Small screens (issue 17, point 1): no page scrolls sideways at 320 and 390 px, signed out
and signed in, and the header's navigation folds into a menu that opens without JavaScript."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from review import amendments as am
from review import commitment as core

from .actions import demo_password, sign_in

C4 = "engagement-04"
FR4 = f"commitments/{C4}/fr.md"
WIDTHS = (320, 390)
CUT_OFF = """() => {
  const out = [];
  for (const e of document.querySelectorAll('body *')) {
    if (e.closest('.table-scroll, pre, .skip-link, .visually-hidden, details:not([open])')) continue;
    const r = e.getBoundingClientRect();
    if (r.width && r.right > window.innerWidth + 1) out.push(e.tagName.toLowerCase() + '.' + e.className);
  }
  return out.slice(0, 5);
}"""


def _an_amendment(repo) -> int:
    people = core.read_plan(repo, repo.resolve("main")).people
    text = repo.read_file(repo.resolve("main"), FR4).decode()
    a = am.propose(repo, people["lucie"], C4, "Nommer les enjeux", "Plus clair.",
                   {FR4: text.replace("## Enjeux", "## Les enjeux de l'évaluation, une section au titre très long", 1)})
    return a.number


def _pages(n: int) -> list[str]:
    return ["/", "/plan", f"/commitments/{C4}", f"/commitments/{C4}/history", "/amendments",
            f"/amendments/{n}", "/history", "/audit", "/progress", "/people", "/signin", "/versions",
            "/search?q=donn%C3%A9es"]


def _sign_in_small(page: Page, url: str, handle: str) -> None:
    """Through the folded menu, as on a phone."""
    page.goto(url + "/")
    menu = page.locator("header details.nav-menu")
    menu.locator("summary").click()
    page.get_by_role("banner").get_by_role("link", name="Se connecter", exact=True).click()
    page.get_by_label("Identifiant").fill(handle)
    page.get_by_label("Mot de passe").fill(demo_password(handle))
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()
    expect(page.locator("header details.nav-menu summary")).to_be_visible()


def _no_sideways_scroll(page: Page, url: str, paths: list[str], axe) -> None:
    for path in paths:
        page.goto(url + path)
        width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width <= inner, f"{path} is {width} px wide in a {inner} px window"
        # nothing cut off either: what is wider than the window scrolls in its own box
        cut = page.evaluate(CUT_OFF)
        assert not cut, f"{path}: {cut} go past the {inner} px window"
    axe(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_scrolls_sideways_signed_out_and_in(page: Page, live_server, repo, axe, width):
    url = live_server.url
    n = _an_amendment(repo)
    page.set_viewport_size({"width": width, "height": 800})
    _no_sideways_scroll(page, url, _pages(n), axe)
    _sign_in_small(page, url, "claire")
    _no_sideways_scroll(page, url, _pages(n) + ["/people/claire", "/amendments/pending"], axe)


def test_the_menu_folds_and_opens_without_javascript(browser, live_server, axe):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 800})
    page = context.new_page()
    try:
        page.goto(live_server.url + "/")
        banner = page.get_by_role("banner")
        audit = banner.get_by_role("link", name="Audit", exact=True)
        expect(audit).to_be_hidden()
        banner.locator("details.nav-menu summary").click()
        expect(audit).to_be_visible()
        expect(banner.get_by_role("link", name="Se connecter", exact=True)).to_be_visible()
        audit.click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Journal d'audit")
    finally:
        context.close()


def test_the_menu_is_a_plain_bar_on_a_desktop(page: Page, live_server, axe):
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(live_server.url + "/")
    banner = page.get_by_role("banner")
    expect(banner.locator("details.nav-menu summary")).to_be_hidden()
    expect(banner.get_by_role("link", name="Audit", exact=True)).to_be_visible()
    expect(banner.get_by_role("link", name="Se connecter", exact=True)).to_be_visible()
    axe(page)
    # signed in, the bar grows (name, sign-out button): still no sideways scroll, bar or menu
    sign_in(page, live_server.url, "claire")
    for width in (1280, 1024, 800):
        page.set_viewport_size({"width": width, "height": 800})
        _no_sideways_scroll(page, live_server.url, ["/", "/progress"], axe)
