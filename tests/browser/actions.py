"""What a person does in the browser, shared by the browser tests (French interface)."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def demo_password(handle: str) -> str:
    return f"demo-{handle}-2015"


def header(page: Page):
    return page.get_by_role("banner")


def sign_in(page: Page, url: str, handle: str) -> None:
    """From the home page, through the header's link, as the demo person `handle`."""
    page.goto(url + "/")
    header(page).get_by_role("link", name="Se connecter", exact=True).click()
    page.get_by_label("Identifiant").fill(handle)
    page.get_by_label("Mot de passe").fill(demo_password(handle))
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()
    expect(header(page).get_by_role("button", name="Se déconnecter")).to_be_visible()


def sign_out(page: Page) -> None:
    header(page).get_by_role("button", name="Se déconnecter").click()
    expect(header(page).get_by_role("link", name="Se connecter", exact=True)).to_be_visible()
