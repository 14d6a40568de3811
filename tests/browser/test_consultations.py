"""A consultation of the public in a real browser (issue 19): a coordinator announces one and
makes two participant accounts; the participants sign in under their pseudonyms, contribute and
support; the consultation closes; the coordinator answers each contribution; the report lists
them with their responses; `review verify` stays clean."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import Page, expect

from review import commitment as core
from review import consultations as cons
from review import verify
from review.deployment import Deployment

from .actions import header, sign_in, sign_out
from .visit import fits

CID = "plan-2016"


def _open_one(deployment_dir) -> None:
    """Test setup: a consultation announced 15 days ago, open since yesterday (no 14-day wait)."""
    repo = Deployment.open(deployment_dir).open_repo()
    today = dt.datetime.now(dt.timezone.utc).date()
    claire = core.read_plan(repo, core.resolve(repo, "main")).people["claire"]
    cons.announce(repo, claire, CID, "Consultation sur le plan 2016", today - dt.timedelta(days=1),
                  today + dt.timedelta(days=20), title_en="Consultation on the 2016 plan",
                  description_fr="Dites-nous ce qui manque.", announced=today - dt.timedelta(days=15))


def _sign_in_as(page: Page, url: str, handle: str, password: str) -> None:
    page.goto(url + "/")
    header(page).get_by_role("link", name="Se connecter", exact=True).click()
    page.get_by_label("Identifiant").fill(handle)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()
    expect(header(page).get_by_role("button", name="Se déconnecter")).to_be_visible()


def _make_participant(page: Page, url: str, pseudonym: str) -> str:
    page.goto(f"{url}/consultations/{CID}")
    form = page.locator("#participant-form")
    form.get_by_label("Pseudonyme").fill(pseudonym)
    form.get_by_label("Adresse électronique (facultative, privée)").fill(f"{pseudonym}@example.org")
    form.get_by_role("button", name="Créer le compte").click()
    expect(page.locator("#new-password")).to_be_visible()
    return page.locator("#new-password").inner_text()


def _contribute(page: Page, url: str, commitment: str, text: str) -> None:
    page.goto(f"{url}/consultations/{CID}")
    form = page.locator("#contribute-form")
    form.get_by_label("Engagement", exact=True).select_option(commitment)
    form.get_by_label("Votre commentaire").fill(text)
    form.get_by_role("button", name="Contribuer").click()
    expect(page.get_by_role("status")).to_contain_text("Votre contribution est publiée sous votre nom.")


def test_the_whole_story_of_a_consultation(page: Page, live_server, axe):
    url = live_server.url
    _open_one(live_server.dir)
    today = dt.datetime.now(dt.timezone.utc).date()

    # The coordinator announces another consultation: too early is refused, 14 days' notice is taken.
    sign_in(page, url, "claire")
    page.goto(f"{url}/consultations")
    axe(page)
    form = page.locator("#announce-form")
    form.get_by_label("Identifiant (dans les adresses : lettres minuscules, chiffres, tirets)").fill("suivi-2017")
    form.get_by_label("Titre en français").fill("Le suivi en 2017")
    form.get_by_label("Ouvre le").fill((today + dt.timedelta(days=14)).isoformat())
    form.get_by_label("Ferme à la fin du").fill((today + dt.timedelta(days=40)).isoformat())
    form.get_by_role("button", name="Annoncer").click()
    expect(page.get_by_role("status")).to_contain_text("La consultation est annoncée.")
    expect(page.locator("#consultation-state")).to_have_text("annoncée, pas encore ouverte")
    page.goto(f"{url}/consultations")
    expect(page.locator("#consultation-plan-2016")).to_contain_text("ouverte aux contributions")

    # Two participant accounts, each with a one-time password shown once.
    alice_pw = _make_participant(page, url, "alice")
    bob_pw = _make_participant(page, url, "bob")
    axe(page)
    sign_out(page)

    # The participants sign in under their pseudonyms, contribute and support.
    _sign_in_as(page, url, "~alice", alice_pw)
    _contribute(page, url, "engagement-01", "Publier aussi les données brutes.")
    axe(page)
    sign_out(page)
    _sign_in_as(page, url, "~bob", bob_pw)
    _contribute(page, url, "engagement-02", "Associer les collectivités.")
    alice_item = page.locator("article.contribution", has_text="Publier aussi les données brutes.")
    expect(alice_item.locator("header .author")).to_have_text("~alice")
    alice_item.get_by_role("button", name="Soutenir").click()
    expect(page.get_by_role("status")).to_contain_text("Votre position est enregistrée.")
    expect(alice_item.locator(".supports")).to_have_text("1 soutien(s)")
    # outside the consultation bob only reads: no comment form on a commitment
    page.goto(f"{url}/commitments/engagement-01")
    expect(page.locator("form[action$='/comments']")).to_have_count(0)
    sign_out(page)

    # The consultation closes; it cannot be closed as answered while contributions wait.
    sign_in(page, url, "claire")
    page.goto(f"{url}/consultations/{CID}")
    expect(page.locator("#answer-counts")).to_contain_text("0 avec réponse")
    expect(page.locator("#answer-counts")).to_contain_text("2 en attente")
    expect(page.locator("#waiting li")).to_have_count(2)
    expect(page.locator("#waiting li").first).to_contain_text("~alice")  # oldest first
    page.locator("#close-form").get_by_role("button", name="Clore la consultation maintenant").click()
    expect(page.locator("#consultation-state")).to_have_text("close aux contributions")
    page.locator("#answered-form").get_by_role("button").click()
    expect(page.get_by_role("main")).to_contain_text("attendent encore une réponse")

    # The coordinator answers each contribution.
    for text, outcome, reason, link in (
            ("Publier aussi les données brutes.", "retenue", "Ajouté au jalon 2.", "commitments/engagement-01"),
            ("Associer les collectivités.", "non retenue", "Hors des moyens de 2016.", "")):
        item = page.locator("article.contribution", has_text=text)
        item.locator("summary", has_text="Répondre").click()
        item.get_by_label("Issue").select_option(label=outcome)
        item.get_by_label("Motif (obligatoire)").fill(reason)
        if link:
            item.get_by_label("Mise en œuvre par (obligatoire si retenue) : amendments/N ou commitments/ID").fill(link)
        item.get_by_role("button", name="Publier la réponse").click()
        expect(page.get_by_role("status")).to_contain_text("La réponse est publiée.")
    expect(page.locator("#answer-counts")).to_contain_text("2 avec réponse")
    axe(page)
    page.locator("#answered-form").get_by_role("button", name="Clore : toutes les contributions ont leur réponse").click()
    expect(page.locator("#consultation-state")).to_have_text("close, chaque contribution a reçu sa réponse")

    # The report lists every contribution with its pseudonym, supports and response.
    page.goto(f"{url}/consultations/{CID}/report")
    rows = page.locator("#report-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("~alice")
    expect(rows.nth(0)).to_contain_text("retenue")
    expect(rows.nth(0).locator("td").nth(2)).to_have_text("1")
    expect(rows.nth(1)).to_contain_text("~bob")
    expect(rows.nth(1)).to_contain_text("Hors des moyens de 2016.")
    axe(page)
    page.goto(f"{url}/lang/en?next=/consultations/{CID}/report")
    expect(page.locator("#report-table tbody tr").nth(1)).to_contain_text("not retained")
    for path in ("/consultations", f"/consultations/{CID}", f"/consultations/{CID}/report"):
        page.set_viewport_size({"width": 320, "height": 800})
        page.goto(url + path)
        fits(page)

    report = verify.verify(live_server.dir / "plan.git")
    assert report.clean, report.text()


def test_a_participant_deletes_their_account_after_the_warning(page: Page, live_server, axe):
    url = live_server.url
    _open_one(live_server.dir)
    sign_in(page, url, "claire")
    password = _make_participant(page, url, "carol")
    sign_out(page)
    _sign_in_as(page, url, "~carol", password)
    _contribute(page, url, "engagement-03", "Une idée qui reste.")
    header(page).get_by_role("link", name="~carol").click()
    expect(page.locator("#delete-warning")).to_contain_text("restent, sous votre pseudonyme ~carol")
    page.set_viewport_size({"width": 320, "height": 800})
    fits(page)
    axe(page)
    page.get_by_label("J'ai compris : supprimer mon compte").check()
    page.get_by_role("button", name="Supprimer mon compte").click()
    expect(page.get_by_role("status")).to_contain_text("Votre compte est supprimé")
    expect(page.locator("header form[action='/signout']")).to_have_count(0)  # signed out
    page.goto(f"{url}/consultations/{CID}")
    expect(page.locator("article.contribution", has_text="Une idée qui reste.")).to_contain_text("~carol")
