"""The site's verdict on its history, in a real browser: the footer says the history is
verified; once a review log is tampered with (an event whose actor is not its commit's
author, written straight into git), the footer links to the violations, /integrity names
it, and the audit log marks the commit."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from review import reviewlog

C4 = "engagement-04"


def _forge_comment(repo) -> str:
    """A comment signed by antoine, written into git by sophie's hand (as a tamperer would)."""
    ref = reviewlog.commitment_log(C4)
    events = reviewlog.read_events(repo, ref)
    import json
    event = {"format": 1, "seq": (events[-1].seq if events else 0) + 1, "id": "ba9876543210", "type": "comment",
             "actor": "antoine", "time": reviewlog.now(), "commitment": C4, "body": "Jamais écrit.",
             "rev": repo.resolve("main"), "blob": None, "lang": "fr", "anchor": None, "quote": None,
             "stance": None, "reply_to": None}
    body = json.dumps(event, ensure_ascii=False, indent=1).encode() + b"\n"
    msg = (f"Comment\n\nEvent: comment\nActor: antoine\nEvent-Id: {event['id']}\nSeq: {event['seq']}\n")
    return repo.commit_on(ref, lambda tip: ({reviewlog.event_path(event["seq"], event["id"]): body}, msg),
                          reviewlog.identity("sophie", "Sophie Bernard"))[0]


def test_the_footer_shows_the_verified_state_and_a_tampered_log_shows_on_integrity(page: Page, live_server, repo, axe):
    url = live_server.url
    page.goto(url + "/")
    footer = page.locator("footer")
    expect(footer.get_by_role("link", name="historique vérifié")).to_be_visible()
    footer.get_by_role("link", name="historique vérifié").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Intégrité de l'historique")
    expect(page.get_by_role("status")).to_contain_text("L'historique est vérifié")
    axe(page)

    forged = _forge_comment(repo)
    page.goto(url + "/")
    broken = page.locator("footer").get_by_role("link", name="1 violation dans l'historique")
    expect(broken).to_be_visible()
    broken.click()
    expect(page).to_have_url(url + "/integrity")
    expect(page.get_by_role("alert")).to_contain_text("L'historique enfreint une règle")
    row = page.locator(f"#c-{forged[:12]}")
    expect(row).to_contain_text("actor-not-author")
    expect(row).to_contain_text(reviewlog.commitment_log(C4))
    axe(page)

    page.goto(url + "/audit")
    badge = page.locator(".integrity-badge").first
    expect(badge).to_have_text("enfreint la règle 5 : actor-not-author")
    badge.click()
    expect(page).to_have_url(f"{url}/integrity#c-{forged[:12]}")
