"""Signing in, profiles and personal access tokens in a real browser, as each demo person would."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Page, expect

ROOT = Path(__file__).resolve().parents[2]
PLAN = yaml.safe_load((ROOT / "plan-repo" / "plan.yaml").read_text(encoding="utf-8"))
PEOPLE = PLAN["people"]
ORG_FR = {o["id"]: o["name"]["fr"] for o in PLAN["organisations"]}
ROLE_FR = {"member": "membre", "signatory": "signataire", "coordinator": "coordinateur·rice",
           "moderator": "modérateur·rice", "auditor": "auditeur·rice"}
TOKEN_SHAPE = re.compile(r"^rvw_[0-9a-f]{12}_[A-Za-z0-9_-]{20,100}$")


def demo_password(handle: str) -> str:
    return f"demo-{handle}-2015"


def header(page: Page):
    return page.get_by_role("banner")


def sign_in_link(page: Page):
    return header(page).get_by_role("link", name="Se connecter", exact=True)


def profile_value(page: Page, term: str):
    """The <dd> that follows the <dt> `term` in the profile's description list."""
    dt = page.locator("dl.profile dt").filter(has_text=re.compile(rf"^\s*{re.escape(term)}\s*$"))
    expect(dt).to_have_count(1)
    return dt.locator("xpath=following-sibling::dd[1]")


def api_me(page: Page, url: str, secret: str):
    """GET /api/v1/me with the token (the header wins over the context's session cookie)."""
    return page.request.get(f"{url}/api/v1/me", headers={"Authorization": f"Bearer {secret}"})


def sign_in_from_home(page: Page, url: str, handle: str, password: str, axe) -> None:
    page.goto(url + "/")
    sign_in_link(page).click()
    expect(page).to_have_url(re.compile(r"/signin\?next=/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Se connecter")
    axe(page)
    page.get_by_label("Identifiant").fill(handle)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()


@pytest.mark.parametrize("person", PEOPLE, ids=[p["handle"] for p in PEOPLE])
def test_sign_in_profile_token_and_sign_out(page: Page, live_server, axe, person):
    handle, name = person["handle"], person["name"]
    url = live_server.url
    sign_in_from_home(page, url, handle, demo_password(handle), axe)

    # Back on the home page, signed in: the header names the person and links to their profile.
    expect(page).to_have_url(url + "/")
    me_link = header(page).get_by_role("link", name=name, exact=True)
    expect(me_link).to_have_attribute("href", f"/people/{handle}")
    expect(sign_in_link(page)).to_have_count(0)
    expect(header(page).get_by_role("button", name="Se déconnecter")).to_be_visible()

    # The profile: name, organisation (French), roles (French), in the plan's order.
    me_link.click()
    expect(page).to_have_url(f"{url}/people/{handle}")
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.get_by_text(f"@{handle}", exact=True)).to_be_visible()
    expect(profile_value(page, "Organisation")).to_contain_text(ORG_FR[person["organisation"]])
    expect(profile_value(page, "Rôles")).to_have_text(", ".join(ROLE_FR[r] for r in person["roles"]))
    expect(page.get_by_text("Vous n'avez encore aucun jeton.")).to_be_visible()
    axe(page)

    # Create a token "ci": its secret is shown once, and it works on the API.
    page.get_by_label("Nom du nouveau jeton").fill("ci")
    page.get_by_role("button", name="Créer un jeton").click()
    expect(page.locator("#new-token")).to_be_visible()
    secret = page.locator("#new-token").inner_text().strip()
    assert TOKEN_SHAPE.match(secret), secret
    axe(page)

    response = api_me(page, url, secret)
    assert response.status == 200, response.text()
    me = response.json()
    assert me["handle"] == handle and me["name"] == name, me

    # Back on the profile: the secret is gone, the token is listed and was used.
    header(page).get_by_role("link", name=name, exact=True).click()
    expect(page).to_have_url(f"{url}/people/{handle}")
    expect(page.locator("#new-token")).to_have_count(0)
    expect(page.locator("body")).not_to_contain_text(secret)
    rows = page.get_by_role("region", name="Jetons d'accès personnels").locator("table tbody tr")
    expect(rows).to_have_count(1)
    ci = rows.filter(has=page.get_by_role("cell", name="ci", exact=True))
    expect(ci).to_have_count(1)
    expect(ci.locator("td").nth(2)).not_to_have_text("jamais")  # last used: by the API call above

    # Revoke it: the page says so and the API refuses it.
    ci.get_by_role("button", name="Révoquer").click()
    expect(page).to_have_url(f"{url}/people/{handle}")
    expect(page.get_by_role("status")).to_have_text("Le jeton a été révoqué : il ne fonctionne plus.")
    expect(ci.locator("td").nth(3)).to_contain_text("révoqué le")
    expect(ci.get_by_role("button", name="Révoquer")).to_have_count(0)
    response = api_me(page, url, secret)
    assert response.status == 401, (response.status, response.text())

    # Sign out from the header.
    header(page).get_by_role("button", name="Se déconnecter").click()
    expect(page).to_have_url(url + "/")
    expect(page.get_by_role("status")).to_have_text("Vous êtes déconnecté·e.")
    expect(sign_in_link(page)).to_be_visible()
    expect(header(page)).not_to_contain_text(name)
    expect(header(page).get_by_role("button", name="Se déconnecter")).to_have_count(0)


def test_wrong_password_is_refused(page: Page, live_server, axe):
    person = PEOPLE[0]
    with page.expect_response(re.compile(r"/signin$")) as info:
        sign_in_from_home(page, live_server.url, person["handle"], demo_password(person["handle"]) + "x", axe)
    assert info.value.request.method == "POST" and info.value.status == 401

    expect(page.get_by_role("alert")).to_have_text("Identifiant ou mot de passe incorrect.")
    expect(sign_in_link(page)).to_be_visible()
    expect(header(page)).not_to_contain_text(person["name"])
    expect(header(page).get_by_role("button", name="Se déconnecter")).to_have_count(0)
    expect(page.get_by_label("Identifiant")).to_have_value(person["handle"])
    expect(page.get_by_label("Mot de passe")).to_have_value("")
    axe(page)

    page.goto(f"{live_server.url}/people/{person['handle']}")
    expect(page.get_by_role("button", name="Créer un jeton")).to_have_count(0)


def test_people_list(page: Page, live_server, axe):
    page.goto(live_server.url + "/")
    header(page).get_by_role("link", name="Personnes", exact=True).click()
    expect(page).to_have_url(live_server.url + "/people")
    expect(page.get_by_role("heading", level=1)).to_have_text("Personnes")

    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(len(PEOPLE))
    for p in PEOPLE:
        link = page.get_by_role("link", name=p["name"], exact=True)
        row = rows.filter(has=link)
        expect(row).to_have_count(1)
        expect(row.get_by_role("link")).to_have_attribute("href", f"/people/{p['handle']}")
        expect(row.locator("td").nth(1)).to_have_text(ORG_FR[p["organisation"]])
        expect(row.locator("td").nth(2)).to_have_text(", ".join(ROLE_FR[r] for r in p["roles"]))
    axe(page)
