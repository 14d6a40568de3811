"""Proposing, revising, comparing, withdrawing and reopening an amendment in a real browser (issue 5)."""

from __future__ import annotations

import re

from .actions import header, sign_in, sign_out
from playwright.sync_api import Page, expect

CID = "engagement-04"
FR = f"commitments/{CID}/fr.md"
# Words of the sample text of engagement-04 (paragraphs 2 and 3 of its body).
FIRST = ("éclairent les décideurs", "éclairent les responsables")        # lucie, revision 1 (paragraph 2)
SECOND = ("restent pourtant difficiles", "restent pourtant malaisés")   # lucie, revision 2 (paragraph 3)
KARIM = ("concernent directement les citoyens", "concernent directement les usagers")  # paragraph 2 again






def french_text(page: Page):
    return page.get_by_label("Texte (français")


def replace_in_text(page: Page, old: str, new: str) -> None:
    box = french_text(page)
    text = box.input_value()
    assert text.count(old) == 1, f"{old!r} is not once in the text"
    box.fill(text.replace(old, new))


def state(page: Page):
    return page.locator("hgroup strong.state")


def open_editor_from_commitment(page: Page, url: str) -> None:
    page.goto(f"{url}/commitments/{CID}")
    page.get_by_role("button", name="Proposer un amendement").click()  # a link styled as a button
    expect(page).to_have_url(f"{url}/commitments/{CID}/amend")
    expect(page.get_by_role("heading", level=1)).to_have_text("Proposer un amendement")


def test_propose_revise_compare_withdraw_reopen_and_overlap(page: Page, live_server, axe):
    url = live_server.url

    # Lucie opens the editor from the commitment page, changes one word and previews.
    sign_in(page, url, "lucie")
    open_editor_from_commitment(page, url)
    axe(page)
    page.get_by_label("Titre de l'amendement").fill("Dire qui décide")
    page.get_by_label("Exposé des motifs").fill("Les évaluations servent aussi les **responsables** locaux.")
    replace_in_text(page, *FIRST)
    page.get_by_role("button", name="Aperçu", exact=True).click()
    preview = page.get_by_role("region", name="Aperçu")
    expect(preview).to_be_visible()
    expect(preview).to_contain_text("Au premier alinéa, le mot : « décideurs » est remplacé par le mot : « responsables ».")
    expect(preview.locator("article[lang=fr]")).to_contain_text(FIRST[1])
    # nothing typed is lost by the preview
    expect(page.get_by_label("Titre de l'amendement")).to_have_value("Dire qui décide")
    expect(french_text(page)).to_have_value(re.compile(re.escape(FIRST[1])))
    axe(page)

    page.get_by_role("button", name="Proposer", exact=True).click()
    expect(page).to_have_url(f"{url}/amendments/1")
    expect(page.get_by_role("status").first).to_have_text("L'amendement 1 est ouvert.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Amendement 1 : Dire qui décide")
    expect(state(page)).to_have_text("ouvert")
    diff = page.locator("pre.word-diff")
    expect(diff.locator("del")).to_have_text(["décideurs"])
    expect(diff.locator("ins")).to_have_text(["responsables"])
    summary = page.locator("section.drafting")
    expect(summary).to_contain_text("Au premier alinéa, le mot : « décideurs » est remplacé par le mot : « responsables ».")
    expect(page.get_by_role("region", name="Exposé des motifs").locator("strong")).to_have_text("responsables")
    expect(page.get_by_role("link", name="Flux Atom")).to_have_attribute("href", "/amendments/1/feed.atom")
    axe(page)

    # She revises it: another word, in the next paragraph.
    page.get_by_role("button", name="Réviser").click()
    expect(page).to_have_url(re.compile(rf"{re.escape(url)}/amendments/1/edit"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Réviser l'amendement 1")
    expect(french_text(page)).to_have_value(re.compile(re.escape(FIRST[1])))  # the amendment's text, not main's
    page.get_by_label("Ce que change cette révision (facultatif)").fill("Un mot plus juste")
    replace_in_text(page, *SECOND)
    axe(page)
    page.get_by_role("button", name="Enregistrer la révision").click()
    expect(page).to_have_url(f"{url}/amendments/1")
    expect(page.get_by_role("status").first).to_have_text("Une nouvelle révision de l'amendement 1 est enregistrée.")
    revisions = page.locator("ol.revisions > li")
    expect(revisions).to_have_count(2)
    expect(revisions.nth(1)).to_contain_text("Un mot plus juste")
    expect(diff.locator("del")).to_have_text(["décideurs", "difficiles"])  # against its base: both changes

    # Comparing revision 1 with revision 2 shows only the second change.
    compare = page.locator("form", has=page.get_by_role("button", name="Comparer les révisions"))
    compare.get_by_label("De la révision").select_option(index=0)
    compare.get_by_label("À la révision").select_option(index=1)
    compare.get_by_role("button", name="Comparer les révisions").click()
    expect(page).to_have_url(re.compile(r"against=revisions"))
    expect(diff.locator("del")).to_have_text(["difficiles"])
    expect(diff.locator("ins")).to_have_text(["malaisés"])
    expect(summary.locator("li")).to_have_text(
        ["Au deuxième alinéa, le mot : « difficiles » est remplacé par le mot : « malaisés »."])
    expect(summary).not_to_contain_text("décideurs")
    axe(page)

    # Side by side, still between the two revisions.
    page.get_by_role("link", name="côte à côte").click()
    expect(page).to_have_url(re.compile(r"view=side"))
    table = page.locator("table.side-by-side")
    expect(table.locator("del")).to_have_text(["difficiles"])
    expect(table.locator("ins")).to_have_text(["malaisés"])
    expect(table).not_to_contain_text("décideurs")  # revision 1 already says "responsables"
    expect(table.locator("tbody tr:has(del)").locator("td").nth(1)).to_be_visible()
    expect(table.locator("tr.gap").first).to_contain_text("…")  # unchanged paragraphs far away are left out
    expect(page.get_by_role("link", name="en ligne")).to_be_visible()
    axe(page)

    # Withdraw (a dialog asks first: cancelled once, then confirmed), then reopen.
    page.get_by_role("button", name="Retirer").click()
    expect(page.locator("dialog").get_by_role("heading")).to_have_text(re.compile(r"^Retirer l'amendement \d+ \?$"))
    axe(page)
    page.get_by_role("button", name="Annuler").click()
    expect(state(page)).to_have_text("ouvert")
    page.get_by_role("button", name="Retirer").click()
    page.get_by_role("button", name="Oui, retirer").click()
    expect(page.get_by_role("status").first).to_have_text(re.compile(r"^Amendement \d+ retiré\.$"))
    expect(state(page)).to_have_text("retiré")
    expect(page.get_by_role("button", name="Réviser")).to_have_count(0)
    axe(page)
    page.get_by_role("button", name="Rouvrir").click()
    expect(state(page)).to_have_text("ouvert")
    expect(page.get_by_role("button", name="Retirer")).to_be_visible()
    sign_out(page)

    # Karim changes the same paragraph: his amendment warns of the overlap with Lucie's.
    sign_in(page, url, "karim")
    open_editor_from_commitment(page, url)
    expect(french_text(page)).to_have_value(re.compile(re.escape(FIRST[0])))  # main's text, unchanged
    page.get_by_label("Titre de l'amendement").fill("Parler des usagers")
    replace_in_text(page, *KARIM)
    page.get_by_role("button", name="Proposer", exact=True).click()
    expect(page).to_have_url(f"{url}/amendments/2")
    warning = page.locator("p.overlap")
    expect(warning).to_have_count(1)
    expect(warning).to_contain_text(f"L'amendement 1 modifie aussi un passage que modifie cet amendement ({FR}).")
    link = warning.get_by_role("link", name="Voir l'amendement 1")
    expect(link).to_have_attribute("href", "/amendments/1")
    axe(page)
    link.click()
    expect(page).to_have_url(f"{url}/amendments/1")
    expect(page.locator("p.overlap").get_by_role("link", name="Voir l'amendement 2")).to_be_visible()

    # The list of amendments.
    header(page).get_by_role("link", name="Amendements", exact=True).click()
    expect(page).to_have_url(f"{url}/amendments")
    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="Dire qui décide").locator("td").nth(4)).to_have_text("ouvert")
    expect(rows.filter(has_text="Parler des usagers").get_by_role("link", name="@karim")).to_be_visible()
    axe(page)


def test_one_milestone_date_edited_is_a_one_line_change(page: Page, live_server, axe):
    """Issue 16: the editor writes the smallest change; the amendment shows one change, said once."""
    from review.deployment import Deployment
    url, cid = live_server.url, "engagement-03"
    path = f"commitments/{cid}/fr.md"
    sign_in(page, url, "lucie")
    page.goto(f"{url}/commitments/{cid}/amend")
    page.get_by_label("Titre de l'amendement").fill("Décaler un jalon")
    due = page.get_by_label("Échéance 2", exact=True)
    expect(due).to_have_value("2016-06")
    due.fill("2016-12")
    page.get_by_role("button", name="Proposer", exact=True).click()
    expect(page).to_have_url(f"{url}/amendments/1")
    diff = page.locator("pre.word-diff")
    expect(diff.locator("del")).to_have_text(["06"])  # the word diff of the one changed line: 2016-06 -> 2016-12
    expect(diff.locator("ins")).to_have_text(["12"])
    expect(page.locator("section.drafting li")).to_have_text([
        "Dans l'en-tête, pour le jalon « Ouvrir les données Asie-Pacifique et Amérique latine-Caraïbes », "
        "l'échéance : « 2016-06 » est remplacée par l'échéance : « 2016-12 »."])
    axe(page)
    # what the amendment wrote: that one line, nothing else
    repo = Deployment.open(live_server.dir).open_repo()
    old = repo.read_file(repo.resolve("main"), path).decode().split("\n")
    new = repo.read_file(repo.resolve("refs/heads/amendments/1"), path).decode().split("\n")
    assert len(old) == len(new)
    assert [(a, b) for a, b in zip(old, new) if a != b] == [('    due: "2016-06"', '    due: "2016-12"')]
