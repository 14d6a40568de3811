"""Following the plan in a real browser: a lead administration reports, civil society contests, the dashboard shows it."""

from __future__ import annotations

import datetime as dt

from .actions import sign_in, sign_out
from playwright.sync_api import Page, expect


C4 = "commitments/engagement-04"
MILESTONE = "Associer davantage les citoyens aux évaluations"
EVIDENCE = "https://www.modernisation.gouv.fr/evaluation/ateliers-citoyens"





def test_report_contest_dashboard_and_state_of_the_day_before(page: Page, live_server, axe):
    url = live_server.url
    today = dt.datetime.now(dt.timezone.utc).date()
    yesterday = (today - dt.timedelta(days=1)).isoformat()

    # Antoine (signatory of se-reforme-etat, which leads engagement-04) reports on one milestone.
    sign_in(page, url, "antoine")
    page.goto(f"{url}/{C4}")
    section = page.locator("#progress")
    expect(section.get_by_role("heading", name="Suivi", exact=True)).to_be_visible()
    expect(section).to_contain_text("Aucun rapport d'avancement pour l'instant.")
    form = page.locator("#report-form")
    form.get_by_label("Sur", exact=True).select_option(label=MILESTONE)
    form.get_by_label("Niveau d'achèvement").select_option(label="substantiel")
    expect(form.get_by_label("À la date du")).to_have_value(today.isoformat())
    form.get_by_label("Note (Markdown, 2000 caractères au plus)").fill("Trois ateliers **citoyens** ont eu lieu.")
    form.get_by_label("Preuves : liens (http ou https), un par ligne, 10 au plus").fill(EVIDENCE)
    form.get_by_role("button", name="Publier le rapport").click()

    expect(page.get_by_role("status")).to_contain_text("Votre rapport d'avancement est publié.")
    report = section.locator("article.progress-report")
    expect(report).to_have_count(1)
    expect(report.get_by_role("heading")).to_contain_text(MILESTONE)
    expect(report.locator(".level")).to_have_text("substantiel")
    expect(report.get_by_role("link", name=EVIDENCE)).to_have_attribute("href", EVIDENCE)
    expect(report.locator("strong", has_text="citoyens")).to_be_visible()
    row = section.locator("table.progress-levels tr", has_text=MILESTONE)
    expect(row).to_contain_text("substantiel")
    axe(page)
    sign_out(page)

    # Sophie (civil society) contests it.
    sign_in(page, url, "sophie")
    page.goto(f"{url}/{C4}")
    expect(page.locator("#report-form")).to_have_count(0)
    report.get_by_text("Répondre à ce rapport").click()
    report.get_by_label("Position (facultatif)").select_option(label="contesté")
    report.get_by_label("Votre réponse (Markdown)").fill("Aucun compte rendu de ces ateliers n'est public.")
    report.get_by_role("button", name="Publier la réponse").click()
    expect(page.get_by_role("status")).to_contain_text("Votre réponse est publiée.")
    expect(report.locator("header strong.contested")).to_have_text("contesté")
    answer = report.locator("article.report-answer")
    expect(answer).to_have_count(1)
    expect(answer).to_contain_text("@sophie")
    expect(answer).to_contain_text("Aucun compte rendu de ces ateliers n'est public.")
    # the answer is not a paragraph discussion
    expect(page.locator("#comments")).to_contain_text("Aucun commentaire pour l'instant.")
    axe(page)

    # The dashboard shows the level and the contest, from the header's "Suivi" link.
    page.get_by_role("banner").get_by_role("link", name="Suivi", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Suivi du plan")
    row = page.locator("#progress-engagement-04")
    expect(row.locator(".milestone-levels li", has_text=MILESTONE)).to_contain_text("substantiel")
    expect(row.locator("td.contested")).to_have_text("1 contesté")
    expect(row.locator("td.last-report")).to_have_text(f"au {today.isoformat()}, écrit le {today.isoformat()}")
    axe(page)

    # The day before, nothing was reported yet (the report holds as of today).
    page.get_by_label("Voir l'état du plan à la date du").fill(yesterday)
    page.get_by_role("button", name="Afficher").click()
    expect(page).to_have_url(f"{url}/progress?as_of={yesterday}")
    expect(page.get_by_role("heading", level=1).locator("xpath=..")).to_contain_text(f"État au {yesterday}")
    row = page.locator("#progress-engagement-04")
    expect(row.locator(".milestone-levels li", has_text=MILESTONE)).to_contain_text("non renseigné")
    expect(row.locator(".level")).to_have_count(0)
    expect(row.locator("td.contested")).to_have_text("0")
    expect(row.locator("td.last-report")).to_have_text("—")
    axe(page)

    # A malformed date is a clear 400 page.
    response = page.goto(f"{url}/progress?as_of=16-07-2016")
    assert response.status == 400
    expect(page.get_by_role("main")).to_contain_text("« 16-07-2016 » n'est pas une date")
