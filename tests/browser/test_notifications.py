"""Issue 18, proof: a person watches a commitment, another comments; the first sees the unread
count in the header, opens /notifications and follows the link to the comment. A mention of
@handle notifies that person and links to their profile. /notifications passes axe-core and
fits 320 px."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from .visit import fits, start

C6 = "/commitments/engagement-06"


def _open_menu_if_folded(page: Page) -> None:
    summary = page.locator("header details.nav-menu > summary")
    if summary.is_visible():
        summary.click()


def _comment(page: Page, url: str, text: str) -> None:
    page.goto(url + C6)
    page.get_by_label("Votre commentaire (Markdown)").fill(text)
    page.get_by_role("button", name="Publier", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Votre commentaire est publié.")


def test_watch_get_a_notification_follow_it_and_be_mentioned(browser, live_server, axe):
    url = live_server.url
    a_ctx, b_ctx = browser.new_context(), browser.new_context()
    try:
        a, b = a_ctx.new_page(), b_ctx.new_page()
        start(a, url, "fr", 1280, "karim")
        start(b, url, "fr", 1280, "lucie")

        # Karim watches the commitment with the button on its page.
        a.goto(url + C6)
        a.get_by_role("button", name="Suivre", exact=True).click()
        expect(a.get_by_role("status")).to_contain_text("Vous suivez désormais ceci")
        expect(a.get_by_role("button", name="Ne plus suivre")).to_be_visible()
        axe(a)

        # Lucie comments: Karim's header counts one unread notification.
        _comment(b, url, "Quel est le calendrier de cet engagement ?")
        a.goto(url + "/")
        _open_menu_if_folded(a)
        link = a.get_by_role("banner").get_by_role("link", name=re.compile(r"^Notifications"))
        expect(link).to_have_text("Notifications (1 non lue)")
        link.click()
        expect(a).to_have_url(url + "/notifications")
        expect(a.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
        item = a.locator("li.notification.unread")
        expect(item).to_have_count(1)
        expect(item).to_contain_text("Nouveau commentaire")
        expect(item).to_contain_text("par Lucie Fontaine")
        expect(item).to_contain_text("Quel est le calendrier de cet engagement ?")
        axe(a)

        # Following it goes to the comment, and marks it read.
        item.get_by_role("link").click()
        expect(a).to_have_url(re.compile(re.escape(url + C6) + r"#c-[0-9a-f]+$"))
        anchor = a.url.rsplit("#", 1)[1]
        expect(a.locator(f"#{anchor}")).to_contain_text("Quel est le calendrier de cet engagement ?")
        _open_menu_if_folded(a)
        expect(a.get_by_role("banner").get_by_role("link", name=re.compile(r"^Notifications"))).to_have_text(
            "Notifications")

        # Lucie mentions @karim: a "mention", and the handle links to his profile.
        _comment(b, url, "Merci @karim pour la question.")
        mention = b.locator("article.comment a.mention", has_text="@karim")
        expect(mention).to_have_attribute("href", "/people/karim")
        a.goto(url + "/notifications")
        first = a.locator("li.notification").first
        expect(first).to_contain_text("Vous avez été mentionné")
        expect(first).to_have_class(re.compile(r"\bunread\b"))
        axe(a)

        # Mark all read; the page fits 320 px and passes axe in English too.
        a.get_by_role("button", name="Tout marquer comme lu").click()
        expect(a.locator("li.notification.unread")).to_have_count(0)
        for lang, heading in (("fr", "Notifications"), ("en", "Notifications")):
            a.set_viewport_size({"width": 320, "height": 800})
            a.goto(f"{url}/lang/{lang}?next=/notifications")
            expect(a.get_by_role("heading", name=heading, level=1)).to_be_visible()
            fits(a)
            axe(a)
    finally:
        a_ctx.close()
        b_ctx.close()
