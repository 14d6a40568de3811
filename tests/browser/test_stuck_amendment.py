"""Issue 17, point 3: a stuck amendment explains itself. Karim's amendment on commitment 6 (led
by the HATVP, which has no signatory in the demo) can never be approved: the policy panel says,
for each missing approval, who can give it or that nobody can and what would unblock it; the
signatory sees why they cannot approve, the coordinator why merging is not possible yet, and
Karim is warned in the editor before proposing and again right after."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from review import amendments as am
from review import commitment as core

from .visit import fits, start

C6 = "engagement-06"
FR6 = f"commitments/{C6}/fr.md"
T = {
    "fr": {"who": "Qui peut donner les approbations manquantes", "nobody": "Personne dans le plan ne peut l'approuver aujourd'hui.",
           "fix": "Pour la débloquer : ajouter un signataire de Haute Autorité pour la transparence de la vie publique dans plan.yaml",
           "why": "Vous ne pouvez pas approuver cet amendement", "merge": "L'intégration sera possible une fois la règle satisfaite",
           "warn": "Personne ne peut encore approuver une partie de cet amendement", "can": "Peuvent approuver : Antoine Girard",
           "propose": "Proposer un amendement", "title": "Titre de l'amendement", "save": "Enregistrer",
           "flash": "Attention : personne dans le plan ne peut donner"},
    "en": {"who": "Who can give the missing approvals", "nobody": "Nobody in the plan can approve it now.",
           "fix": "To unblock it: add a signatory of High Authority for Transparency in Public Life to plan.yaml",
           "why": "You cannot approve this amendment", "merge": "The merge is possible once the policy is satisfied",
           "warn": "Nobody can approve some of this amendment yet", "can": "Can approve: Antoine Girard",
           "propose": "Propose an amendment", "title": "Title of the amendment", "save": "Save",
           "flash": "Warning: nobody in the plan can give"},
}


def _karims(repo) -> int:
    people = core.read_plan(repo, repo.resolve("main")).people
    text = repo.read_file(repo.resolve("main"), FR6).decode()
    return am.propose(repo, people["karim"], C6, "Préciser le format", "Plus clair.",
                      {FR6: text.replace("## Enjeux", "## Les enjeux", 1)}).number


@pytest.mark.parametrize("width", (1280, 390))
@pytest.mark.parametrize("lang", ("fr", "en"))
def test_the_panel_names_who_can_approve_or_what_would_unblock(page: Page, live_server, repo, axe, lang, width):
    t = T[lang]
    n = _karims(repo)
    url = live_server.url
    start(page, url, lang, width, "antoine")
    page.goto(f"{url}/amendments/{n}")
    expect(page.get_by_role("heading", name=t["who"])).to_be_visible()
    unmet = page.locator("#unmet")
    expect(unmet.locator("li.unmet-lead-signatories")).to_contain_text(t["nobody"])
    expect(unmet.locator("li.unmet-lead-signatories")).to_contain_text(t["fix"])
    expect(unmet.locator("li.unmet-civil-society")).to_contain_text(t["nobody"])
    expect(page.locator(".why-not-me")).to_contain_text(t["why"])
    fits(page)
    axe(page)

    page.context.clear_cookies()
    start(page, url, lang, width, "claire")
    page.goto(f"{url}/amendments/{n}")
    merge = page.locator("form[action$='/merge'] button[type=submit]")
    expect(merge).to_be_disabled()
    expect(page.locator("#merge-why")).to_contain_text(t["merge"])
    fits(page)
    axe(page)


@pytest.mark.parametrize("width", (1280, 390))
@pytest.mark.parametrize("lang", ("fr", "en"))
def test_the_author_is_warned_before_proposing_and_after(page: Page, live_server, axe, lang, width):
    t = T[lang]
    url = live_server.url
    start(page, url, lang, width, "karim")
    page.goto(f"{url}/commitments/{C6}")
    page.get_by_role("main").get_by_role("button", name=t["propose"]).first.click()
    warning = page.locator(".blocked-warning")
    expect(warning.get_by_role("heading", name=t["warn"])).to_be_visible()
    expect(warning).to_contain_text(t["fix"])
    fits(page)
    axe(page)
    page.get_by_label(t["title"]).fill("Préciser le format")
    box = page.locator("#body_fr")
    box.fill(box.input_value().replace("## Enjeux", "## Les enjeux", 1))
    page.locator("#editor button[value=save]").click()
    expect(page.locator(".flash-warning")).to_contain_text(t["flash"])
    expect(page.locator("#unmet")).to_contain_text(t["nobody"])


@pytest.mark.parametrize("lang", ("fr", "en"))
def test_an_amendment_people_can_approve_names_them(page: Page, live_server, repo, axe, lang):
    people = core.read_plan(repo, repo.resolve("main")).people
    fr4 = "commitments/engagement-04/fr.md"
    text = repo.read_file(repo.resolve("main"), fr4).decode()
    n = am.propose(repo, people["lucie"], "engagement-04", "Reformuler", "Plus clair.",
                   {fr4: text.replace("## Enjeux", "## Les enjeux", 1)}).number
    url = live_server.url
    start(page, url, lang, 1280, "lucie")
    page.goto(f"{url}/commitments/engagement-04/amend")
    expect(page.locator(".blocked-warning")).to_have_count(0)
    page.goto(f"{url}/amendments/{n}")
    expect(page.locator("#unmet li.unmet-lead-signatories")).to_contain_text(T[lang]["can"])
    expect(page.locator("#unmet .unmet-nobody")).to_have_count(0)
    axe(page)
