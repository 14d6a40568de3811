"""Self-registration in a real browser (issue 19, "Participants"): a visitor of an open consultation
takes part, reads the link in the message waiting in the outbox, confirms, is signed in as
~pseudonym and contributes. Every page passes axe-core and fits 320 px."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

from review import commitment as core
from review import consultations as cons
from review import mailer
from review.deployment import Deployment

from .actions import header
from .visit import fits

CID = "plan-2016"


def _open_one(deployment_dir) -> None:
    repo = Deployment.open(deployment_dir).open_repo()
    today = dt.datetime.now(dt.timezone.utc).date()
    claire = core.read_plan(repo, core.resolve(repo, "main")).people["claire"]
    cons.announce(repo, claire, CID, "Consultation sur le plan 2016", today - dt.timedelta(days=1),
                  today + dt.timedelta(days=20), title_en="Consultation on the 2016 plan",
                  announced=today - dt.timedelta(days=15))


def _link_from_the_outbox(deployment_dir) -> str:
    box = mailer.Outbox(Deployment.open(deployment_dir).instance_path)
    (path,) = box.waiting()
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert msg["To"] == "lea@example.org" and msg["Subject"] == "Confirmez votre inscription : ~lea"
    return urlsplit(re.search(r"https?://\S+/participants/confirm/\S+", msg.get_content()).group(0)).path


def _narrow(page: Page, axe) -> None:
    axe(page)
    page.set_viewport_size({"width": 320, "height": 800})
    fits(page)
    page.set_viewport_size({"width": 1280, "height": 800})


def test_a_visitor_registers_confirms_by_mail_and_contributes(page: Page, live_server, axe):
    url = live_server.url
    _open_one(live_server.dir)
    page.goto(f"{url}/consultations/{CID}")
    page.get_by_role("link", name="Participer : créer votre compte").click()
    expect(page.get_by_role("heading", name="Participer", exact=True)).to_be_visible()
    _narrow(page, axe)

    form = page.locator("#register-form")
    form.get_by_label("Pseudonyme", exact=True).fill("lea")
    form.get_by_label("Adresse électronique", exact=True).fill("lea@example.org")
    form.get_by_label("Mot de passe", exact=True).fill("un long mot de passe")
    form.get_by_label("Mot de passe, à nouveau", exact=True).fill("autre chose encore")
    form.get_by_role("button", name="M'envoyer le lien de confirmation").click()
    expect(page.get_by_role("alert")).to_contain_text("les deux mots de passe diffèrent")
    expect(page.locator("#r-pseudonym")).to_have_value("lea")  # what was typed stays, passwords aside
    assert not mailer.Outbox(Deployment.open(live_server.dir).instance_path).waiting()
    form.get_by_label("Mot de passe", exact=True).fill("un long mot de passe")
    form.get_by_label("Mot de passe, à nouveau", exact=True).fill("un long mot de passe")
    form.get_by_role("button", name="M'envoyer le lien de confirmation").click()
    expect(page.locator("#check-mailbox")).to_contain_text("Consultez votre messagerie.")
    _narrow(page, axe)

    path = _link_from_the_outbox(live_server.dir)
    page.goto(url + path)
    expect(page.get_by_role("heading", name="Confirmez votre inscription")).to_be_visible()
    _narrow(page, axe)
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page.get_by_role("status").first).to_contain_text("Votre compte ~lea est créé")
    expect(header(page).get_by_role("button", name="Se déconnecter")).to_be_visible()

    form = page.locator("#contribute-form")
    form.get_by_label("Engagement", exact=True).select_option("engagement-01")
    form.get_by_label("Votre commentaire").fill("Publier les données brutes, pas seulement des synthèses.")
    form.get_by_role("button", name="Contribuer").click()
    expect(page.get_by_role("status")).to_contain_text("Votre contribution est publiée sous votre nom.")
    expect(page.locator("article.contribution").first).to_contain_text("~lea")
    _narrow(page, axe)

    page.goto(url + path)  # the link is spent
    expect(page.get_by_role("alert")).to_contain_text("ce lien a déjà servi")
    _narrow(page, axe)
