"""Comparing versions in a browser (issue 16): the adopted version against today's plan, one change
opened, the source one click away, at desktop and phone widths, in French and in English."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from review import amendments as am
from review import commitment as core
from review import signoff
from review.deployment import INITIAL_TAG

C4 = "engagement-01"
FR4 = f"commitments/{C4}/fr.md"
TEXTS = {
    "fr": {"compare": "Comparer deux versions du plan", "button": "Comparer", "source": "Voir les modifications dans la source",
           "rendered": "Voir les modifications telles que sur la page", "due": "Échéance du jalon"},
    "en": {"compare": "Compare two versions of the plan", "button": "Compare", "source": "Show the changes in the source",
           "rendered": "Show the changes as on the page", "due": "Due date of milestone"},
}


def _merge_one(repo):
    people = core.read_plan(repo, repo.resolve("main")).people
    text = repo.read_file(repo.resolve("main"), FR4).decode()
    assert "## Enjeux" in text and "due: " in text
    line = next(l for l in text.splitlines() if l.strip().startswith("due: "))
    new = text.replace("## Enjeux", "## Les enjeux", 1).replace(line, line.split("due:")[0] + 'due: "2019-12"', 1)
    a = am.propose(repo, people["lucie"], C4, "Nommer les enjeux", "Plus clair.", {FR4: new})
    ev = signoff.evaluate(repo, a)
    for who in ("antoine", "ines", "sophie"):
        try:
            signoff.give_verdict(repo, people[who], a.number, a.head, "approve")
        except Exception:
            pass
    signoff.merge(repo, people["claire"], a.number, a.head)
    return ev


@pytest.mark.parametrize("width", (1280, 390))
@pytest.mark.parametrize("lang", ("fr", "en"))
def test_compare_the_adopted_plan_with_today(page: Page, live_server, repo, axe, width, lang):
    _merge_one(repo)
    url = live_server.url
    t = TEXTS[lang]
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{url}/lang/{lang}?next=/")
    page.get_by_role("link", name=t["compare"]).click()
    page.get_by_label("From" if lang == "en" else "De", exact=True).fill(INITIAL_TAG)
    page.get_by_label("To" if lang == "en" else "À", exact=True).fill("main")
    page.get_by_role("button", name=t["button"], exact=True).click()
    summary = page.locator("table.compare-table")
    expect(summary).to_contain_text("Engagement 1" if lang == "fr" else "Commitment 1")
    change = summary.get_by_role("link").first
    change.click()
    section = page.locator(f"#change-commitment-{C4}")
    expect(section.locator("table.field-changes")).to_contain_text(t["due"])
    expect(section.locator("table.field-changes ins")).to_have_text("2019-12")
    expect(section.locator(".rendered-diff h2 ins")).to_have_text("Les enjeux")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    axe(page)
    page.get_by_role("link", name=t["source"]).click()
    expect(page.locator("pre.word-diff").first).to_contain_text("## ")
    expect(page.get_by_role("link", name=t["rendered"])).to_be_visible()


def test_compare_two_versions_from_a_commitments_history(page: Page, live_server, repo, axe):
    _merge_one(repo)
    url = live_server.url
    page.goto(f"{url}/lang/en?next=/commitments/{C4}/history")
    page.get_by_role("button", name="Compare these two versions").click()
    expect(page.locator("h1")).to_have_text("Changes to a commitment")
    expect(page.locator(".rendered-diff").first).to_contain_text("Les enjeux")
    axe(page)
