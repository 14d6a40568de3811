"""Auditors (issue 17, point 10): "Vérifier l'historique", linked from the history and audit
pages, gives the commands to copy; the commands it shows really clone the plan from this
server and `review verify` the copy clean."""

from __future__ import annotations

import shlex
import subprocess
import sys

import pytest
from playwright.sync_api import Page, expect

TEXTS = {
    "fr": {"link": "Vérifier l'historique vous-même", "h1": "Vérifier l'historique", "audit": "Audit",
           "witness": "3. Garder une copie témoin"},
    "en": {"link": "Verify the history yourself", "h1": "Verify the history", "audit": "Audit",
           "witness": "3. Keep a witness copy"},
}


@pytest.mark.parametrize("width", (1280, 390))
@pytest.mark.parametrize("lang", ("fr", "en"))
def test_the_page_is_linked_from_history_and_audit_and_gives_the_commands(page: Page, live_server, axe, lang, width):
    url = live_server.url
    page.set_viewport_size({"width": width, "height": 900})
    if lang == "en":
        page.goto(f"{url}/lang/en?next=/")
    for start in ("/history", "/audit", "/commitments/engagement-04/history"):
        page.goto(url + start)
        page.get_by_role("main").get_by_role("link", name=TEXTS[lang]["link"], exact=True).click()
        expect(page).to_have_url(f"{url}/verify-history")
        expect(page.get_by_role("heading", level=1)).to_have_text(TEXTS[lang]["h1"])
    expect(page.get_by_role("heading", name=TEXTS[lang]["witness"])).to_be_visible()
    expect(page.locator("#cmd-clone")).to_have_text(f"git clone --mirror {url}/plan.git plan.git")
    expect(page.locator("#cmd-verify")).to_have_text("review verify plan.git")
    witness = page.locator("#cmd-witness")
    expect(witness).to_contain_text("git config remote.origin.prune false")
    expect(witness).to_contain_text("'refs/reviews/*:refs/reviews/*'")
    assert "+refs" not in witness.inner_text()
    expect(page.locator("#cmd-cron")).to_contain_text("fetch --quiet origin")
    expect(page.locator("#cmd-against")).to_contain_text("review verify plan.git --witness /srv/witness/plan.git")
    width_now, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width_now <= inner
    axe(page)


def test_the_commands_shown_clone_and_verify_the_plan(page: Page, live_server, tmp_path):
    page.goto(live_server.url + "/verify-history")
    clone = shlex.split(page.locator("#cmd-clone").inner_text())
    verify = shlex.split(page.locator("#cmd-verify").inner_text())
    assert clone[:3] == ["git", "clone", "--mirror"] and verify[0] == "review"
    done = subprocess.run(clone, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    checked = subprocess.run([sys.executable, "-m", "review", *verify[1:]], cwd=tmp_path,
                             capture_output=True, text=True, timeout=300)
    assert checked.returncode == 0, checked.stdout + checked.stderr
