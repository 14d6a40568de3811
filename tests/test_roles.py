"""The table of rights: one in the code (review.permissions.RIGHTS), the same in docs/roles.md,
and every page and API write refuses what the table refuses (the read-only auditor)."""

from __future__ import annotations

import re

import pytest

from review.model import Person
from review.permissions import RIGHTS, Subject, can

from .conftest import ROOT, api_post

DOC = ROOT / "docs" / "roles.md"
COLUMNS = ["signed out", "member", "signatory", "coordinator", "moderator", "auditor"]


def _person(column: str) -> Person | None:
    if column == "signed out":
        return None
    org = None if column in ("coordinator", "moderator", "auditor") else "org-x"
    return Person("x", "X", org, (column,))


def cell(action: str, column: str) -> str:
    """yes: always; own: on their own things; lead: for commitments their organisation leads; no."""
    p = _person(column)
    state = "withdrawn" if action == "reopen_amendment" else "open"
    if can(p, action, Subject(state=state)):
        return "yes"
    tags = [tag for tag, subject in (("own", Subject(author="x", owner="x", state=state)),
                                     ("lead", Subject(leads=("org-x",), state=state))) if can(p, action, subject)]
    return ", ".join(tags) or "no"


def doc_table() -> dict[str, list[str]]:
    rows = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        m = re.match(r"\|\s*`(\w+)`\s*\|(.*)\|\s*$", line)
        if m:
            rows[m.group(1)] = [c.strip() for c in m.group(2).split("|")][1:1 + len(COLUMNS)]
    return rows


def test_the_docs_show_the_code_table():
    rows = doc_table()
    assert set(rows) == set(RIGHTS), "docs/roles.md must list every action of review.permissions.RIGHTS"
    for action in RIGHTS:
        assert rows[action] == [cell(action, c) for c in COLUMNS], action


def test_the_table_names_the_actions_the_issue_asks_about():
    for action in ("comment", "propose_amendment", "approve_amendment", "merge_amendment", "hide",
                   "report_progress", "answer_report"):
        assert action in RIGHTS


def test_an_auditor_alone_is_read_only_but_checkpoints():
    auditor = _person("auditor")
    takes_part = [a for a in RIGHTS if cell(a, "auditor") != "no" and a not in
                  ("read", "audit", "checkpoint", "manage_tokens", "manage_account")]
    assert takes_part == []
    assert can(auditor, "checkpoint")
    both = Person("x", "X", "org-x", ("member", "auditor"))
    assert can(both, "comment") and can(both, "propose_amendment")


# -- the web and the API ask the same table -----------------------------------------------

@pytest.mark.parametrize("url, body", [
    ("/api/v1/commitments/engagement-02/comments", {"body": "Une remarque."}),
    ("/api/v1/amendments", {"commitment": "engagement-02", "title": "T", "rationale": "R",
                            "files": {"commitments/engagement-02/fr.md": "x"}}),
])
def test_the_api_refuses_an_auditor_what_the_table_refuses(client, tokens, url, body):
    r = api_post(client, tokens["paul"], url, body)
    assert r.status_code == 403 and "an auditor reads and verifies" in r.get_json()["error"]


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def _sign_in(client, handle):
    html = client.get("/signin").get_data(as_text=True)
    client.post("/signin", data={"handle": handle, "password": f"demo-{handle}-2015", "csrf_token": _csrf(html)})


def test_the_pages_offer_an_auditor_no_form_and_refuse_a_forged_one(client, repo):
    _sign_in(client, "paul")
    html = client.get("/commitments/engagement-02").get_data(as_text=True)
    assert 'id="comment-form"' not in html and "Proposer un amendement" not in html
    assert "lire et de vérifier la revue" in html
    token = _csrf(client.get("/people/paul").get_data(as_text=True))
    before = {name: repo.resolve(name) for name in ("main",)}
    r = client.post("/commitments/engagement-02/comments", data={"body": "forged", "csrf_token": token})
    assert r.status_code == 302
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "un auditeur lit et vérifie" in page
    assert client.get("/commitments/engagement-02/amend").status_code == 403
    assert {name: repo.resolve(name) for name in ("main",)} == before
    assert "forged" not in client.get("/api/v1/commitments/engagement-02/comments").get_data(as_text=True)


def test_a_member_still_sees_the_forms(client):
    _sign_in(client, "karim")
    html = client.get("/commitments/engagement-02").get_data(as_text=True)
    assert 'id="comment-form"' in html and "Proposer un amendement" in html


def test_an_amendment_page_offers_an_auditor_nothing_to_do(client, repo):
    from review import amendments as am
    from review import commitment as core
    people = core.read_plan(repo, core.resolve(repo, "main")).people
    path = "commitments/engagement-15/fr.md"
    text = repo.read_file(core.resolve(repo, "main"), path).decode("utf-8")
    a = am.propose(repo, people["karim"], "engagement-15", "Préciser", "Parce que.", {path: text + "\nUne phrase.\n"})
    _sign_in(client, "paul")
    html = client.get(f"/amendments/{a.number}").get_data(as_text=True)
    assert 'id="actions-title"' not in html and 'id="comment-form"' not in html
    _sign_in(client, "karim")
    html = client.get(f"/amendments/{a.number}").get_data(as_text=True)
    assert 'id="actions-title"' in html and 'id="comment-form"' in html
