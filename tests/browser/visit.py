"""Helpers of the issue 17 browser tests (points 3, 4, 5, 8): a person in a language at a width."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from .actions import demo_password

LABELS = {"fr": {"handle": "Identifiant", "password": "Mot de passe", "submit": "Se connecter", "out": "Se déconnecter"},
          "en": {"handle": "Handle", "password": "Password", "submit": "Sign in", "out": "Sign out"}}


def start(page: Page, url: str, lang: str, width: int, handle: str | None = None) -> None:
    """Set the window width and the language, and sign in as `handle` (a demo person) if given."""
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{url}/lang/{lang}?next=/signin")
    if handle is None:
        return
    t = LABELS[lang]
    page.get_by_label(t["handle"]).fill(handle)
    page.get_by_label(t["password"]).fill(demo_password(handle))
    page.get_by_role("main").get_by_role("button", name=t["submit"]).click()
    expect(page.locator("header form[action=\"/signout\"] button[type=submit]")).to_have_count(1)  # signed in


def fits(page: Page) -> None:
    # the page's elements can be there before its stylesheets are: measure once it has loaded
    # (a width read too soon is the unstyled page's, wider than the window on a busy machine)
    page.wait_for_load_state("load")
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"{page.url} is {width} px wide in a {inner} px window"
