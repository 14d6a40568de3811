"""E-mail on the site (issue 18): a person gives an address on their profile, confirms it by the
link of the message the outbox holds, chooses per kind, and a message's unsubscribe link works."""

from __future__ import annotations

import email
import email.policy
import re

from playwright.sync_api import Page, expect

from review import mailer, mailprefs
from review.mailprefs import MailPrefs

from .actions import sign_in


def test_set_confirm_choose_and_unsubscribe(page: Page, live_server, axe):
    url, instance = live_server.url, live_server.dir / "instance"
    sign_in(page, url, "karim")
    page.goto(url + "/people/karim")
    page.get_by_label("Votre adresse électronique (laissez vide pour ne rien recevoir)").fill("karim@example.org")
    page.get_by_label("Langue des messages").select_option("en")
    page.get_by_role("button", name="Enregistrer l'adresse").click()
    expect(page.get_by_role("status").first).to_contain_text("Un lien de confirmation part vers karim@example.org")
    expect(page.locator("#email-pending")).to_contain_text("karim@example.org attend sa confirmation")
    axe(page)

    (queued,) = mailer.Outbox(instance).waiting()  # nothing was sent by the page: it waits in the outbox
    msg = email.message_from_bytes(queued.read_bytes(), policy=email.policy.default)
    assert msg["Subject"] == "Confirm your e-mail address"
    link = re.search(r"https?://\S+/email/confirm/\S+", msg.get_content()).group(0)
    page.goto(link)
    axe(page)
    page.get_by_role("button", name="Confirmer cette adresse").click()
    expect(page.get_by_role("status")).to_contain_text("Votre adresse karim@example.org est confirmée")
    page.get_by_role("link", name="Vos préférences de courriel").click()
    expect(page.locator("#email-confirmed")).to_contain_text("karim@example.org")

    # one kind to "never", another to "now", without JavaScript's help
    page.locator("#mode-report-never").check()
    page.locator("#mode-merge-now").check()
    page.get_by_role("button", name="Enregistrer les préférences").click()
    expect(page.get_by_role("status").first).to_contain_text("Vos préférences sont enregistrées.")
    expect(page.locator("#mode-report-never")).to_be_checked()
    modes = MailPrefs(instance).get("karim").modes
    assert modes["report"] == "never" and modes["merge"] == "now" and modes["reply"] == "now"
    axe(page)

    # a message's unsubscribe link, opened in a browser: a page, a button, and that one kind stops
    secret = mailer.read_config(instance)["SECRET_KEY"]
    page.goto(url + "/unsubscribe/" + mailprefs.unsubscribe_token(secret, "karim", "reply"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Ne plus recevoir ces messages")
    axe(page)
    assert MailPrefs(instance).get("karim").mode("reply") == "now"
    page.get_by_role("button", name="Ne plus recevoir ces messages").click()
    expect(page.get_by_role("status")).to_contain_text("ne recevra plus de courriel pour : Réponses")
    assert MailPrefs(instance).get("karim").mode("reply") == "never"
