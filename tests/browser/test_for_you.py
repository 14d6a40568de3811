"""Issue 17, point 4: "For you" / "Pour vous", one page of what waits for a signed-in person,
its count in the header, and /amendments/pending linked from it and from the header."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from review import amendments as am
from review import comments, progress
from review import commitment as core

from .visit import fits, start

T = {
    "fr": {"for_you": "Pour vous", "approvals": "Approbations que vous pouvez donner (1)",
           "replies": "Réponses à vos commentaires (1)", "mine": "Vos amendements ouverts (1)",
           "led": "Sur les engagements que pilote votre organisation", "pending": "Mes validations en attente",
           "replied": "Antoine Girard a répondu", "nobody": "Personne dans le plan ne peut l'approuver aujourd'hui.",
           "menu": "Menu"},
    "en": {"for_you": "For you", "approvals": "Approvals you can give (1)",
           "replies": "Replies to your comments (1)", "mine": "Your open amendments (1)",
           "led": "On the commitments your organisation leads", "pending": "My pending approvals",
           "replied": "Antoine Girard replied", "nobody": "Nobody in the plan can approve it now.",
           "menu": "Menu"},
}


def _activity(repo) -> tuple[int, int]:
    people = core.read_plan(repo, repo.resolve("main")).people
    main = repo.resolve("main")
    fr4, fr6 = "commitments/engagement-04/fr.md", "commitments/engagement-06/fr.md"
    lucie = am.propose(repo, people["lucie"], "engagement-04", "Reformuler", "Plus clair.",
                       {fr4: repo.read_file(main, fr4).decode().replace("## Enjeux", "## Les enjeux", 1)})
    karim = am.propose(repo, people["karim"], "engagement-06", "Préciser", "Plus clair.",
                       {fr6: repo.read_file(main, fr6).decode().replace("## Enjeux", "## Les enjeux", 1)})
    c = comments.add(repo, people["karim"], "engagement-04", "Quand ?", anchor="p-1")
    comments.add(repo, people["antoine"], "engagement-04", "En 2016.", reply_to=c.id)
    progress.report(repo, people["antoine"], "engagement-04", "limited", "")
    return lucie.number, karim.number


def _open_menu_if_folded(page: Page) -> None:
    summary = page.locator("header details.nav-menu > summary")
    if summary.is_visible():
        summary.click()


@pytest.mark.parametrize("width", (1280, 390))
@pytest.mark.parametrize("lang", ("fr", "en"))
def test_a_signatory_sees_the_approval_to_give_and_reports_on_what_they_lead(page: Page, live_server, repo, axe,
                                                                              lang, width):
    t = T[lang]
    lucie, _ = _activity(repo)
    url = live_server.url
    start(page, url, lang, width, "antoine")
    page.goto(url + "/")
    _open_menu_if_folded(page)
    link = page.get_by_role("banner").get_by_role("link", name=f"{t['for_you']} (1)")
    expect(link).to_be_visible()
    expect(page.get_by_role("banner").get_by_role("link", name=t["pending"])).to_be_visible()
    link.click()
    expect(page).to_have_url(f"{url}/for-you")
    expect(page.get_by_role("heading", level=1)).to_have_text(t["for_you"])
    expect(page.get_by_role("heading", name=t["approvals"])).to_be_visible()
    expect(page.locator(f"a[href='/amendments/{lucie}#signoff-title']")).to_be_visible()
    expect(page.get_by_role("heading", name=t["led"])).to_be_visible()
    expect(page.locator(f"section:has(#fy-led) a[href='/amendments/{lucie}']")).to_be_visible()
    fits(page)
    axe(page)
    page.get_by_role("main").get_by_role("link", name=t["pending"]).click()
    expect(page).to_have_url(f"{url}/amendments/pending")


@pytest.mark.parametrize("width", (1280, 390))
@pytest.mark.parametrize("lang", ("fr", "en"))
def test_an_author_sees_replies_and_what_blocks_their_amendment(page: Page, live_server, repo, axe, lang, width):
    t = T[lang]
    _, karim = _activity(repo)
    url = live_server.url
    start(page, url, lang, width, "karim")
    page.goto(url + "/for-you")
    expect(page.get_by_role("heading", name=t["replies"])).to_be_visible()
    expect(page.locator(".fy-replies")).to_contain_text(t["replied"])
    expect(page.get_by_role("heading", name=t["mine"])).to_be_visible()
    expect(page.locator(f"#mine-{karim}")).to_contain_text(t["nobody"])
    fits(page)
    axe(page)
    page.locator(".fy-replies a").first.click()
    expect(page).to_have_url(re.compile(re.escape(f"{url}/commitments/engagement-04#c-") + r"[0-9a-z-]+$"))


def test_signed_out_the_page_asks_to_sign_in(page: Page, live_server):
    page.goto(live_server.url + "/for-you")
    expect(page).to_have_url(f"{live_server.url}/signin?next=/for-you")
