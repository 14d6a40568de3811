"""Auditing in a real browser: Paul (the independent reviewer) reads the plan's history with
its approvals, the blame of a commitment, and downloads the audit log as CSV."""

from __future__ import annotations

import csv
import io

from .actions import header, sign_in
from playwright.sync_api import Page, expect

from review import amendments as am
from review import commitment as core
from review import signoff

C4 = "engagement-04"
FR4 = f"commitments/{C4}/fr.md"




def _merged_amendment(repo) -> am.Amendment:
    people = core.read_plan(repo, repo.resolve("main")).people
    text = repo.read_file(repo.resolve("main"), FR4).decode()
    a = am.propose(repo, people["lucie"], C4, "Nommer les enjeux", "Plus clair.",
                   {FR4: text.replace("## Enjeux", "## Les enjeux de l'évaluation", 1)})
    signoff.give_verdict(repo, people["antoine"], a.number, a.head, "approve")
    signoff.give_verdict(repo, people["sophie"], a.number, a.head, "approve")
    signoff.merge(repo, people["claire"], a.number, a.head)
    return a


def test_auditor_reads_history_approvals_blame_and_downloads_the_csv(page: Page, live_server, repo, axe):
    url = live_server.url
    a = _merged_amendment(repo)
    sign_in(page, url, "paul")

    # From the header to the audit log, then to the plan's history.
    header(page).get_by_role("link", name="Audit", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Journal d'audit")
    page.get_by_role("link", name="Historique du plan, avec les approbations").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Historique du plan")

    # The merge shows who approved which revision, and the policy applied.
    merge = page.locator("tr.history-change", has_text="Amendement 1")
    expect(merge).to_contain_text("Nommer les enjeux")
    approvals = merge.locator("td.approvals li")
    expect(approvals).to_have_count(2)
    expect(approvals.nth(0)).to_contain_text("Antoine Girard")
    expect(approvals.nth(0)).to_contain_text(a.head[:12])
    expect(approvals.nth(1)).to_contain_text("Sophie Bernard (Observatoire citoyen de l'action publique)")
    expect(merge).to_contain_text("Claire Lemaire")
    expect(merge).to_contain_text("plan.yaml")
    axe(page)

    # Only the changes Sophie approved.
    page.get_by_label("Personne").select_option(label="Sophie Bernard")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.locator("tr.history-change")).to_have_count(1)

    # The blame of the commitment, from its page.
    page.goto(f"{url}/commitments/{C4}")
    page.get_by_role("link", name="Qui a façonné chaque paragraphe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Qui a façonné chaque paragraphe")
    first = page.locator("#blame-p-1")
    expect(first).to_contain_text("Les enjeux de l'évaluation")
    expect(first).to_contain_text("Proposé par Lucie Fontaine")
    expect(first).to_contain_text("Approuvé par Antoine Girard")
    expect(page.locator("#blame-p-2")).to_contain_text("Dans le plan adopté (2015-07-16)")
    axe(page)
    first.get_by_role("link", name="Amendement 1").click()
    expect(page).to_have_url(f"{url}/amendments/1")

    # The audit log, filtered to verdicts, downloaded as CSV.
    page.goto(f"{url}/audit")
    page.get_by_label("Événement").select_option(label="avis sur une révision")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.locator("table.audit-table tbody tr")).to_have_count(2)
    axe(page)
    with page.expect_download() as info:
        page.get_by_role("link", name="CSV", exact=True).click()
    download = info.value
    assert download.suggested_filename == "audit-log.csv"
    with open(download.path(), encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(io.StringIO(f.read())))
    assert [(r["type"], r["actor"], r["revision"]) for r in rows] == [
        ("approval", "antoine", a.head), ("approval", "sophie", a.head)]
