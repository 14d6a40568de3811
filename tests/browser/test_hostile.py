"""The nastiest payloads of tests/test_hostile.py, stored through the core and shown in Chromium:
no script runs (each payload would set window.__pwned or open a dialog)."""

from __future__ import annotations

from review import amendments as am
from review import comments, progress
from review import commitment as core
from review.deployment import Deployment

from ..test_hostile import PAYLOADS

FR = "commitments/engagement-04/fr.md"
NASTY = [p for p in PAYLOADS if "__pwned" in p or "<" in p and len(p) < 3000][:60]


def test_no_payload_runs_a_script(live_server, page):
    repo = Deployment.open(live_server.dir).open_repo()
    main = core.resolve(repo, "main")
    people = core.read_plan(repo, main).people
    for p in NASTY:
        comments.add(repo, people["karim"], "engagement-02", p)
    text = repo.read_file(main, FR).decode().replace("## Enjeux", "## Les enjeux", 1)
    a = am.propose(repo, people["lucie"], "engagement-04", "<img src=x onerror=window.__pwned=1>",
                   "\n\n".join(NASTY), {FR: text + "\n" + "\n\n".join(NASTY[:20]) + "\n"})
    progress.report(repo, people["antoine"], "engagement-04", "limited", "\n\n".join(NASTY)[:2000])
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    for path in ("/commitments/engagement-02", "/commitments/engagement-02?page=2", f"/amendments/{a.number}",
                 f"/amendments/{a.number}?view=side", "/commitments/engagement-04", "/progress", "/amendments",
                 f"/commitments/engagement-02/history"):
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        page.wait_for_load_state("load")
        assert page.evaluate("typeof window.__pwned") == "undefined", path
    assert dialogs == []
