"""Sign-off in a real browser, with the demo people (issue 6).

The sample plan's default policy asks for one signatory of the commitment's lead
administration and one civil-society signatory, and approvals from the author's own
organisation do not count. engagement-04 is led by se-reforme-etat (Antoine); the only
civil-society signatory is Sophie (observatoire-citoyen), who is of Karim's organisation:
so Karim's amendment cannot be signed off by her, and the amendment that goes through is
Lucie's (communs-numeriques). Inès signs for min-ecologie, which does not lead engagement-04.
Claire coordinates and merges. Each person has their own browser context, signed in.
"""

from __future__ import annotations

import re

import pytest
from .actions import demo_password, header
from playwright.sync_api import Browser, Page, expect

CID = "engagement-04"
LUCIE_1 = ("éclairent les décideurs", "éclairent les responsables")
LUCIE_2 = ("restent pourtant difficiles", "restent pourtant malaisés")
KARIM = ("Mieux retracer l'effet", "Retracer précisément l'effet")
TITLE = "Nommer les responsables"
STALE = "périmé : donné sur une révision antérieure"




@pytest.fixture
def person(browser: Browser, live_server):
    """`person("antoine")`: a page in Antoine's own browser context, signed in (made once)."""
    contexts, pages = [], {}

    def get(handle: str) -> Page:
        if handle not in pages:
            context = browser.new_context(locale="fr-FR")
            contexts.append(context)
            page = context.new_page()
            page.goto(live_server.url + "/")
            header(page).get_by_role("link", name="Se connecter", exact=True).click()
            page.get_by_label("Identifiant").fill(handle)
            page.get_by_label("Mot de passe").fill(demo_password(handle))
            page.get_by_role("main").get_by_role("button", name="Se connecter").click()
            expect(header(page).get_by_role("button", name="Se déconnecter")).to_be_visible()
            pages[handle] = page
        return pages[handle]

    yield get
    for context in contexts:
        context.close()


def propose(page: Page, url: str, title: str, old: str, new: str) -> int:
    page.goto(f"{url}/commitments/{CID}")
    page.get_by_role("button", name="Proposer un amendement").click()
    page.get_by_label("Titre de l'amendement").fill(title)
    box = page.get_by_label("Texte (français")
    text = box.input_value()
    assert text.count(old) == 1
    box.fill(text.replace(old, new))
    page.get_by_role("button", name="Proposer", exact=True).click()
    expect(page).to_have_url(re.compile(rf"{re.escape(url)}/amendments/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


def signoff(page: Page):
    return page.get_by_role("region", name="Validation")


def requirement(page: Page, label: str):
    return signoff(page).locator("table tbody tr").filter(has_text=label)


def verdicts(page: Page):
    return signoff(page).locator("ul.verdicts > li")


def approve_button(page: Page):
    return signoff(page).get_by_role("button", name=re.compile(r"^Approuver la révision [0-9a-f]{12}$"))


def head_revision(page: Page) -> str:
    return signoff(page).locator("input[name=revision]").first.get_attribute("value")


def test_whole_signoff_story(person, live_server, axe):
    url = live_server.url

    # Karim proposes; Sophie is of his organisation: the page tells her she cannot approve.
    karim = person("karim")
    k = propose(karim, url, "Retracer précisément", *KARIM)
    sophie = person("sophie")
    sophie.goto(f"{url}/amendments/{k}")
    expect(approve_button(sophie)).to_have_count(0)
    expect(signoff(sophie).locator(".own-organisation")).to_contain_text(
        "les approbations venant de l'organisation de l'auteur·rice ne comptent pas")
    axe(sophie)
    karim.get_by_role("button", name="Retirer").click()  # he leaves it to Lucie's amendment
    karim.get_by_role("button", name="Oui, retirer").click()  # a second step: it cannot be undone
    expect(karim.locator("hgroup strong.state")).to_have_text("retiré")

    # Lucie (communs-numeriques) proposes; nobody has approved yet.
    lucie = person("lucie")
    n = propose(lucie, url, TITLE, *LUCIE_1)
    assert n == k + 1
    page_url = f"{url}/amendments/{n}"
    expect(signoff(lucie)).to_contain_text("Les règles de validation ne sont pas encore remplies.")
    expect(approve_button(lucie)).to_have_count(0)  # a member, not a signatory
    axe(lucie)

    # Antoine, signatory of the lead administration, finds it waiting for him and approves it.
    antoine = person("antoine")
    antoine.goto(f"{url}/amendments/pending")
    antoine.get_by_role("link", name=re.compile(rf"^Amendement {n} : {TITLE}")).click()
    expect(antoine).to_have_url(page_url)
    first_revision = head_revision(antoine)
    expect(approve_button(antoine)).to_have_text(f"Approuver la révision {first_revision[:12]}")
    expect(signoff(antoine).get_by_role("button", name="Intégrer au plan")).to_have_count(0)
    axe(antoine)
    approve_button(antoine).click()
    expect(antoine.get_by_role("status").first).to_have_text("C'est fait.")
    expect(requirement(antoine, "signataire d'une administration porteuse")).to_contain_text("Antoine Girard")
    expect(requirement(antoine, "signataire d'une administration porteuse")).to_contain_text("✓ remplie")
    expect(requirement(antoine, "société civile").locator("td").nth(2)).to_have_text("1")
    expect(verdicts(antoine)).to_have_count(1)
    expect(verdicts(antoine).first).to_contain_text(f"Antoine Girard : approuve {first_revision[:12]}")
    axe(antoine)

    # Inès signs for an administration that does not lead engagement-04: no approval for her.
    ines = person("ines")
    ines.goto(page_url)
    expect(ines.get_by_role("heading", level=1)).to_have_text(f"Amendement {n} : {TITLE}")
    expect(approve_button(ines)).to_have_count(0)

    # Lucie revises: Antoine's approval is now stale.
    lucie.goto(page_url)
    lucie.get_by_role("button", name="Réviser").click()
    box = lucie.get_by_label("Texte (français")
    box.fill(box.input_value().replace(*LUCIE_2))
    lucie.get_by_role("button", name="Enregistrer la révision").click()
    expect(lucie).to_have_url(page_url)
    expect(lucie.locator("ol.revisions > li")).to_have_count(2)
    expect(verdicts(lucie).first).to_contain_text(f"Antoine Girard : approuve {first_revision[:12]}")
    expect(verdicts(lucie).first.locator("strong")).to_have_text(STALE)
    expect(requirement(lucie, "signataire d'une administration porteuse").locator("td").nth(2)).to_have_text("1")
    axe(lucie)

    # Antoine approves the new revision; his earlier approval stays, marked stale.
    antoine.goto(f"{url}/amendments/pending")
    expect(antoine.get_by_role("main").get_by_role("link", name=re.compile(rf"^Amendement {n} "))).to_be_visible()
    antoine.goto(page_url)
    expect(verdicts(antoine).first).to_contain_text(STALE)
    second_revision = head_revision(antoine)
    assert second_revision != first_revision
    approve_button(antoine).click()
    expect(verdicts(antoine)).to_have_count(2)
    current = verdicts(antoine).filter(has_text=second_revision[:12])
    expect(current).to_contain_text("Antoine Girard : approuve")
    expect(current).not_to_contain_text("périmé")
    expect(requirement(antoine, "signataire d'une administration porteuse")).to_contain_text("✓ remplie")
    axe(antoine)

    # Claire (coordinator) cannot merge yet: the civil-society approval is missing.
    claire = person("claire")
    claire.goto(page_url)
    expect(signoff(claire).get_by_role("button", name="Intégrer au plan")).to_be_disabled()
    axe(claire)

    # Sophie (civil society, not of Lucie's organisation) approves: the policy is satisfied.
    sophie.goto(page_url)
    expect(sophie.locator(".own-organisation")).to_have_count(0)
    sophie.get_by_label("Commentaire (facultatif)").fill("Plus précis, merci.")
    approve_button(sophie).click()
    expect(signoff(sophie)).to_contain_text("Les règles de validation sont remplies pour la révision actuelle.")
    expect(requirement(sophie, "société civile")).to_contain_text("Sophie Bernard")
    expect(verdicts(sophie).filter(has_text="Sophie Bernard")).to_contain_text("« Plus précis, merci. »")
    axe(sophie)

    # Claire merges.
    claire.reload()
    merge = signoff(claire).get_by_role("button", name="Intégrer au plan")
    expect(merge).to_be_enabled()
    merge.click()
    # a dialog asks first (a second page without JavaScript): what will happen, then a precise message
    expect(claire.locator("dialog").get_by_role("heading")).to_have_text(f"Intégrer l'amendement {n} au plan ?")
    axe(claire)
    claire.get_by_role("button", name="Oui, intégrer au plan").click()
    expect(claire.get_by_role("status").first).to_have_text(
        re.compile(rf"^Amendement {n} intégré au plan : révision [0-9a-f]{{7}}$"))
    expect(claire.locator("hgroup strong.state")).to_have_text("intégré")
    expect(signoff(claire).get_by_role("button", name="Intégrer au plan")).to_have_count(0)
    axe(claire)

    # The commitment shows the new text, and its history the merge, by Claire.
    claire.goto(f"{url}/commitments/{CID}")
    body = claire.locator("article.commitment-body")
    expect(body).to_contain_text(LUCIE_1[1])
    expect(body).to_contain_text(LUCIE_2[1])
    expect(body).not_to_contain_text(LUCIE_1[0])
    claire.get_by_role("link", name="Historique de cet engagement").click()
    expect(claire).to_have_url(re.compile(rf"/commitments/{CID}/history"))
    row = claire.locator("main table tbody tr").first  # newest first
    expect(row.locator("td").nth(2)).to_have_text(f"Merge amendment {n}: {TITLE}")
    expect(row.locator("td").nth(1)).to_have_text("Claire Lemaire")
    axe(claire)

    # Nothing waits for Antoine any more.
    antoine.goto(f"{url}/amendments/pending")
    expect(antoine.get_by_role("heading", level=1)).to_have_text("Mes validations en attente")
    expect(antoine.get_by_text("Rien n'attend votre validation.")).to_be_visible()
    axe(antoine)
