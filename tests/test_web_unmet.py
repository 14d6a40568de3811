"""Issue 17, point 3 through the pages and the API: the policy panel names who can give each
missing approval, or that nobody can and what would unblock it; the author is warned."""

from __future__ import annotations

from .conftest import bearer
from .test_people import sign_in

CID = "engagement-06"
FR = f"commitments/{CID}/fr.md"


def _propose(client, tokens, repo, who="karim"):
    text = repo.read_file(repo.resolve("main"), FR).decode().replace("## Enjeux", "## Les enjeux", 1)
    r = client.post("/api/v1/amendments", headers=bearer(tokens[who]),
                    json={"commitment": CID, "title": "Reformuler", "rationale": "Plus clair", "files": {FR: text}})
    assert r.status_code == 201, r.get_json()
    return r.get_json()["number"]


def test_api_policy_says_who_can_unblock(client, tokens, repo):
    n = _propose(client, tokens, repo)
    unmet = client.get(f"/api/v1/amendments/{n}/policy").get_json()["unmet"]
    lead = next(u for u in unmet if u["kind"] == "lead-signatories")
    assert lead == {"commitment": CID, "kind": "lead-signatories", "missing": 1, "people": [],
                    "organisations": ["hatvp"], "blocked": True, "unblock": "add-lead-signatory",
                    "unblock_organisations": ["hatvp"], "excluded_author_organisation": []}


def test_pages_explain_the_stuck_amendment_to_signatory_coordinator_and_author(client, tokens, repo):
    n = _propose(client, tokens, repo)
    sign_in(client, "antoine")  # a signatory, not of hatvp: no button, but a reason
    html = client.get(f"/amendments/{n}").get_data(as_text=True)
    assert "Qui peut donner les approbations manquantes" in html
    assert "ajouter un signataire de Haute Autorité pour la transparence de la vie publique" in html
    assert "Vous ne pouvez pas approuver cet amendement" in html
    sign_in(client, "claire")
    html = client.get(f"/amendments/{n}").get_data(as_text=True)
    assert 'aria-describedby="merge-why"' in html and "Personne dans le plan ne peut" in html
    sign_in(client, "karim")
    html = client.get(f"/commitments/{CID}/amend").get_data(as_text=True)
    assert "Personne ne peut encore approuver une partie de cet amendement" in html
    assert "Atelier des communs numériques" in html  # a civil-society signatory of another organisation would do
    sign_in(client, "lucie")
    html = client.get("/commitments/engagement-04/amend").get_data(as_text=True)  # antoine and sophie can
    assert "Personne ne peut encore approuver" not in html
