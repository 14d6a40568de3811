"""Issue 17, point 8: a progress report carries the date it speaks for (as of) besides the day
it was written; the dashboard at a date goes by as of, and says so. A milestone reported
"complete as of 2016-06-30" (written today) is complete on the dashboard of 2016-07-01."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from review import commitment as core

from .visit import fits, start

CID = "engagement-04"
T = {
    "fr": {"on": "Sur", "level": "Niveau d'achèvement", "as_of": "À la date du", "publish": "Publier le rapport",
           "complete": "complet", "dates": "au 2016-06-30 · écrit le {today}", "note": "même s'il a été écrit plus tard",
           "level_as_of": "(au 2016-06-30)", "none": "non renseigné", "known": "Seuls les rapports écrits au plus tard le 2016-07-01"},
    "en": {"on": "On", "level": "Completion level", "as_of": "As of", "publish": "Publish the report",
           "complete": "complete", "dates": "as of 2016-06-30 · written {today}", "note": "even when it was written later",
           "level_as_of": "(as of 2016-06-30)", "none": "not reported", "known": "Only the reports written by 2016-07-01"},
}


@pytest.mark.parametrize("width", (1280, 390))
@pytest.mark.parametrize("lang", ("fr", "en"))
def test_a_report_dated_back_counts_on_the_dashboard_from_its_as_of(page: Page, live_server, repo, axe, lang, width):
    t = T[lang]
    milestone = core.read_commitment(repo, repo.resolve("main"), CID).milestones[0]
    url = live_server.url
    start(page, url, lang, width, "antoine")
    page.goto(f"{url}/commitments/{CID}")
    form = page.locator("#report-form")
    form.get_by_label(t["on"], exact=True).select_option(milestone.id)
    form.get_by_label(t["level"]).select_option("complete")
    form.get_by_label(t["as_of"]).fill("2016-06-30")
    form.get_by_role("button", name=t["publish"]).click()
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()
    report = page.locator("article.progress-report").last
    expect(report.locator("header small")).to_contain_text(
        re.compile(r"\s+".join(map(re.escape, t["dates"].format(today=today).split())) + r"\s+\d\d:\d\d"))
    fits(page)

    page.goto(f"{url}/progress?as_of=2016-07-01")
    expect(page.locator("#as-of-note")).to_contain_text(t["note"])
    cell = page.locator(f"#progress-{CID} .milestone-levels li").first
    expect(cell).to_contain_text(t["complete"])
    expect(cell).to_contain_text(t["level_as_of"])
    fits(page)
    axe(page)

    page.goto(f"{url}/progress?as_of=2016-06-29")  # before the date it speaks for
    expect(page.locator(f"#progress-{CID} .milestone-levels li").first).to_contain_text(t["none"])
    page.goto(f"{url}/progress?as_of=2016-07-01&known=2016-07-01")  # as a reader saw it that day
    expect(page.locator(f"#progress-{CID} .milestone-levels li").first).to_contain_text(t["none"])
    expect(page.locator("#as-of-note")).to_contain_text(t["known"])


def test_a_date_in_the_future_is_refused_with_a_reason(page: Page, live_server):
    later = (dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=3)).isoformat()
    response = page.goto(f"{live_server.url}/progress?as_of=2016-07-01&known={later}")
    assert response.status == 400
    expect(page.get_by_role("main")).to_contain_text("est dans le futur")
