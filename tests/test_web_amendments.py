"""Amendments and sign-off through the pages and the API (in-process)."""

from __future__ import annotations

import re

import pytest


from .conftest import bearer
from .test_people import sign_in
from .webforms import form_fields

CID = "engagement-04"  # led by se-reforme-etat (antoine)
FR = f"commitments/{CID}/fr.md"


def _text(repo, rev="main", path=FR):
    return repo.read_file(repo.resolve(rev), path).decode()


def _propose(client, tokens, repo, who="lucie", old="## Enjeux", new="## Les enjeux", rationale="Plus clair"):
    r = client.post("/api/v1/amendments", headers=bearer(tokens[who]),
                    json={"commitment": CID, "title": "Reformuler", "rationale": rationale,
                          "files": {FR: _text(repo).replace(old, new, 1)}})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_api_whole_story(client, tokens, repo):
    a = _propose(client, tokens, repo)
    assert (a["number"], a["state"], a["author"]) == (1, "open", "lucie")
    assert a["diff"][0]["path"] == FR and a["diff"][0]["summary"] and a["diff"][0]["summary_en"]
    policy = client.get("/api/v1/amendments/1/policy").get_json()
    assert policy["satisfied"] is False and [r["missing"] for r in policy["requirements"]] == [1, 1]
    r = client.post("/api/v1/amendments/1/approvals", headers=bearer(tokens["antoine"]), json={"revision": a["revision"], "verdict": "approve"})
    assert r.status_code == 201
    r = client.post("/api/v1/amendments/1/approvals", headers=bearer(tokens["sophie"]), json={"revision": a["revision"], "verdict": "approve", "comment": "ok"})
    assert r.get_json()["satisfied"] is True
    r = client.post("/api/v1/amendments/1/merge", headers=bearer(tokens["claire"]), json={"revision": a["revision"]})
    assert r.status_code == 201, r.get_json()
    merged = r.get_json()
    assert merged["state"] == "merged" and repo.resolve("main") == merged["merge"]
    assert "## Les enjeux" in _text(repo)
    r = client.post("/api/v1/amendments/1/merge", headers=bearer(tokens["claire"]), json={"revision": a["revision"]})
    assert r.status_code == 409


def test_api_revision_with_expected_revision(client, tokens, repo):
    a = _propose(client, tokens, repo)
    new = _text(repo, a["revision"]).replace("## Les enjeux", "## Les vrais enjeux")
    r = client.post("/api/v1/amendments/1/revisions", headers=bearer(tokens["lucie"]), json={"files": {FR: new}, "expected_revision": a["revision"]})
    assert r.status_code == 201 and len(r.get_json()["revisions"]) == 2
    before = repo.refs()
    r = client.post("/api/v1/amendments/1/revisions", headers=bearer(tokens["lucie"]), json={"files": {FR: new + "x"}, "expected_revision": a["revision"]})
    assert r.status_code == 409 and "changed since you opened it" in r.get_json()["error"]
    r = client.post("/api/v1/amendments/1/revisions", headers=bearer(tokens["karim"]), json={"files": {FR: new + "x"}, "expected_revision": r.get_json() and a["revision"]})
    assert r.status_code == 403
    assert repo.refs() == before


@pytest.mark.parametrize("body, status, message", [
    ({"commitment": CID, "title": "", "files": {FR: "x"}}, 400, "title"),
    ({"commitment": CID, "title": "T", "files": {"secret.txt": "x"}}, 400, "outside the plan"),
    ({"commitment": CID, "title": "T", "files": {FR: "no front matter"}}, 400, "must start with a '---' line"),
    ({"commitment": CID, "title": "T", "files": {FR: "x" * 300_000}}, 400, "limit is"),
    ({"commitment": CID, "title": "T"}, 400, "files must map"),
    ({"commitment": "engagement-99", "title": "T", "files": {FR: "x"}}, 404, "no commitment"),
    ({"commitment": CID, "title": "T", "files": {}, "extra": 1}, 400, "unknown fields: extra"),
])
def test_api_bad_proposals(client, tokens, repo, body, status, message):
    before = repo.refs()
    r = client.post("/api/v1/amendments", headers=bearer(tokens["karim"]), json=body)
    assert r.status_code == status and message in r.get_json()["error"], r.get_json()
    assert repo.refs() == before


def test_api_states_and_filters(client, tokens, repo):
    _propose(client, tokens, repo, who="lucie")
    _propose(client, tokens, repo, who="karim", old="## Contexte", new="## Le contexte")
    assert client.post("/api/v1/amendments/2/withdraw", headers=bearer(tokens["karim"]), json={}).get_json()["state"] == "withdrawn"
    assert client.post("/api/v1/amendments/2/reopen", headers=bearer(tokens["karim"])).get_json()["state"] == "open"
    assert client.post("/api/v1/amendments/2/reject", headers=bearer(tokens["karim"]), json={"reason": "x"}).status_code == 403
    assert client.post("/api/v1/amendments/2/reject", headers=bearer(tokens["claire"]), json={"reason": "hors sujet"}).get_json()["state"] == "rejected"
    assert [a["number"] for a in client.get("/api/v1/amendments?state=open").get_json()["amendments"]] == [1]
    assert [a["number"] for a in client.get("/api/v1/amendments?author=karim").get_json()["amendments"]] == [2]
    assert client.get("/api/v1/amendments?state=nonsense").status_code == 400
    assert client.get("/api/v1/amendments/99").status_code == 404


def test_api_update_from_main_conflict(client, tokens, repo):
    a = _propose(client, tokens, repo)
    from review.gitrepo import Identity
    t = _text(repo)
    repo.commit_on("refs/heads/main", lambda tip: ({FR: t.replace("## Enjeux", "## Enjeux clés", 1).encode()}, "x"), Identity("E", "e@example.org"))
    r = client.post("/api/v1/amendments/1/update-from-main", headers=bearer(tokens["lucie"]), json={})
    assert r.status_code == 409 and FR in r.get_json()["conflicts"]
    resolved = _text(repo).replace("## Enjeux clés", "## Les enjeux clés")
    r = client.post("/api/v1/amendments/1/update-from-main", headers=bearer(tokens["lucie"]), json={"resolutions": {FR: resolved}})
    assert r.status_code == 200 and r.get_json()["behind_main"] is False
    assert r.get_json()["revisions"][-1]["merge_of_main"] is True
    del a


def test_editor_proposes_then_revises_and_keeps_text_on_conflict(client, repo):
    sign_in(client, "lucie")
    page = client.get(f"/commitments/{CID}/amend").get_data(as_text=True)
    f = form_fields(page, "editor")
    f["amendment_title"] = "Mieux dire"
    f["body_fr"] = f["body_fr"].replace("## Enjeux", "## Les enjeux", 1)
    f["action"] = "save"
    r = client.post(f"/commitments/{CID}/amend", data=f)
    assert r.status_code == 302 and r.headers["Location"] == "/amendments/1"
    html = client.get("/amendments/1").get_data(as_text=True)
    assert "L&#39;intitulé «\u00a0Enjeux\u00a0» est ainsi rédigé" in html and "<del>Enjeux</del>" in html
    # two tabs open the same revision; the second save is refused with its text kept
    tab = form_fields(client.get("/amendments/1/edit").get_data(as_text=True), "editor")
    first = tab.copy()
    first["body_fr"] = first["body_fr"].replace("## Les enjeux", "## Les vrais enjeux")
    first["action"] = "save"
    assert client.post("/amendments/1/edit", data=first).status_code == 302
    second = tab.copy()
    second["body_fr"] = second["body_fr"] + "\n\nMon paragraphe ajouté.\n"
    second["action"] = "save"
    r = client.post("/amendments/1/edit", data=second)
    assert r.status_code == 409
    page = r.get_data(as_text=True)
    assert "Mon paragraphe ajouté." in page and "a changé depuis que vous l" in page


def test_editor_preview_and_invalid_front_matter(client, repo):
    sign_in(client, "lucie")
    f = form_fields(client.get(f"/commitments/{CID}/amend").get_data(as_text=True), "editor")
    f["amendment_title"] = "T"
    f["body_fr"] = f["body_fr"].replace("## Enjeux", "## Les enjeux", 1)
    f["action"] = "preview"
    page = client.post(f"/commitments/{CID}/amend", data=f).get_data(as_text=True)
    assert '<h2 id="preview-title">Aperçu</h2>' in page and "<h2>Les enjeux</h2>" in page
    before = repo.refs()
    f["action"] = "save"
    f["ms_due_0"] = "bientôt"
    r = client.post(f"/commitments/{CID}/amend", data=f)
    page = r.get_data(as_text=True)  # the sentence in French; the schema's `path:line: ...` detail as the core wrote it
    assert r.status_code == 400 and "le texte ne respecte pas le format du plan : commitments/" in page
    assert "must be written YYYY, YYYY-MM or YYYY-MM-DD" in page
    assert repo.refs() == before


def test_page_actions_approve_stale_and_merge(client, tokens, repo):
    a = _propose(client, tokens, repo)
    sign_in(client, "antoine")
    page = client.get("/amendments/1").get_data(as_text=True)
    assert "Approuver la révision" in page
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/amendments/1/approve", data={"csrf_token": csrf, "revision": a["revision"]})
    # a new revision makes it stale
    new = _text(repo, a["revision"]).replace("## Les enjeux", "## Les grands enjeux")
    client.post("/api/v1/amendments/1/revisions", headers=bearer(tokens["lucie"]), json={"files": {FR: new}, "expected_revision": a["revision"]})
    page = client.get("/amendments/1").get_data(as_text=True)
    assert "périmé : donné sur une révision antérieure" in page
    assert client.get("/amendments/pending").status_code == 200
    assert "Amendement 1" in client.get("/amendments/pending").get_data(as_text=True)


def test_lists_and_overlap_warning(client, tokens, repo):
    _propose(client, tokens, repo, who="lucie")
    _propose(client, tokens, repo, who="karim", old="## Enjeux", new="## Enjeux principaux")
    html = client.get("/amendments/2").get_data(as_text=True)
    assert "L&#39;amendement 1 modifie aussi un passage" in html or "L'amendement 1 modifie aussi un passage" in html
    listing = client.get(f"/amendments?commitment={CID}").get_data(as_text=True)
    assert listing.count('href="/amendments/') >= 2
    assert "ouvert (2)" in listing
    assert client.get("/amendments/abc").status_code == 404
    assert client.get("/amendments/1?view=side").status_code == 200


def test_amendment_discussion_api_and_page(client, tokens, repo):
    a = _propose(client, tokens, repo)
    r = client.post("/api/v1/amendments/1/comments", headers=bearer(tokens["karim"]),
                    json={"body": "Pourquoi ce titre ?", "anchor": "p-1", "quote": "Les enjeux"})
    assert r.status_code == 201, r.get_json()
    c = r.get_json()
    assert c["rev"] == a["revision"] and c["quote"] == "Les enjeux"
    reply = client.post("/api/v1/amendments/1/comments", headers=bearer(tokens["lucie"]), json={"body": "Pour être clair.", "reply_to": c["id"]})
    assert reply.status_code == 201
    assert client.post(f"/api/v1/amendments/1/comments/{c['id']}/resolve", headers=bearer(tokens["karim"])).get_json()["state"] == "resolved"
    r = client.post(f"/api/v1/amendments/1/comments/{c['id']}/hide", headers=bearer(tokens["sophie"]), json={"reason": "x"})
    assert r.status_code == 403
    listing = client.get("/api/v1/amendments/1/comments").get_json()
    assert listing["total"] == 1 and listing["comments"][0]["replies"][0]["body"] == "Pour être clair."
    # the discussion lives in the amendment's log, not the commitment's
    assert client.get(f"/api/v1/commitments/{CID}/comments").get_json()["total"] == 0
    page = client.get("/amendments/1").get_data(as_text=True)
    assert "Pourquoi ce titre ?" in page and "1 discussion" in page
    bad = client.post("/api/v1/amendments/1/comments", headers=bearer(tokens["karim"]), json={"body": "x", "anchor": "p-1", "quote": "absent"})
    assert bad.status_code == 400


def test_amendment_comment_form(client, tokens, repo):
    _propose(client, tokens, repo)
    sign_in(client, "karim")
    page = client.get("/amendments/1").get_data(as_text=True)
    f = form_fields(page, "comment-form")
    f["body"] = "Un avis sur l'amendement"
    f["anchor"] = "p-2"
    r = client.post("/amendments/1/comments", data=f)
    assert r.status_code == 302 and r.headers["Location"].startswith("/amendments/1#c-")
    assert "Un avis sur l&#39;amendement" in client.get("/amendments/1").get_data(as_text=True)


def test_plan_page_counts_amendments(client, tokens, repo):
    _propose(client, tokens, repo, who="lucie")
    _propose(client, tokens, repo, who="karim", old="## Contexte", new="## Le contexte")
    client.post("/api/v1/amendments/2/withdraw", headers=bearer(tokens["karim"]), json={})
    html = client.get("/").get_data(as_text=True)
    assert "1 amendement ouvert" in html
    assert "ouvert (1)" in html and "retiré (1)" in html


# -- sign-off per commitment touched, modes, state at merge, unrecorded merges ------------------------

C01 = "engagement-01"  # led by min-ecologie (ines) among others
FR01 = f"commitments/{C01}/fr.md"


def test_api_policy_lists_the_requirements_of_each_commitment_touched(client, tokens, repo):
    r = client.post("/api/v1/amendments", headers=bearer(tokens["lucie"]),
                    json={"commitment": CID, "title": "Deux engagements",
                          "files": {FR: _text(repo).replace("## Enjeux", "## Les enjeux", 1),
                                    FR01: _text(repo, path=FR01).replace("## Enjeux", "## Les enjeux", 1)}})
    assert r.status_code == 201
    a = r.get_json()
    for who in ("antoine", "sophie"):
        client.post("/api/v1/amendments/1/approvals", headers=bearer(tokens[who]),
                    json={"revision": a["revision"], "verdict": "approve"})
    policy = client.get("/api/v1/amendments/1/policy").get_json()
    assert policy["satisfied"] is False  # the top-level fields stay; each requirement now names its commitment
    assert [(r["commitment"], r["kind"], r["satisfied"]) for r in policy["requirements"]] == [
        (C01, "lead-signatories", False), (C01, "civil-society", True),
        (CID, "lead-signatories", True), (CID, "civil-society", True)]
    assert [(c["commitment"], c["satisfied"], c["files"]) for c in policy["commitments"]] == [
        (C01, False, [FR01]), (CID, True, [FR])]
    r = client.post("/api/v1/amendments/1/merge", headers=bearer(tokens["claire"]), json={"revision": a["revision"]})
    assert r.status_code == 409 and f"1 more lead-signatories for {C01}" in r.get_json()["error"]
    html = client.get("/amendments/1").get_data(as_text=True)
    assert "la validation de chacun s" in html and f"scope-{C01}" in html


def test_editor_reaching_another_commitment_says_whose_sign_off_applies(client, tokens, repo):
    _propose(client, tokens, repo)
    sign_in(client, "lucie")
    page = client.get(f"/amendments/1/edit?file={C01}").get_data(as_text=True)
    assert f"modifiera {C01}, {CID}" in page
    f = form_fields(page, "editor")
    f["body_fr"] = f["body_fr"].replace("## Enjeux", "## Les enjeux", 1)
    f["action"] = "save"
    assert client.post("/amendments/1/edit", data=f).status_code == 302
    policy = client.get("/api/v1/amendments/1/policy").get_json()
    assert [c["commitment"] for c in policy["commitments"]] == [C01, CID]


def _chmod_commit(repo, tmp_path, commit, path, mode):
    """A commit on top of `commit` whose only change is the mode of `path` (git plumbing)."""
    import os
    import subprocess
    from review.reviewlog import identity
    env = {**os.environ, "GIT_INDEX_FILE": str(tmp_path / "index")}
    run = lambda *a: subprocess.run(["git", *a], cwd=repo.path, env=env, check=True, capture_output=True,
                                    text=True).stdout.strip()
    run("read-tree", commit)
    run("update-index", "--cacheinfo", f"{mode},{repo.blob_id(commit, path)},{path}")
    tree = run("write-tree")
    return repo.create_commit(tree, [commit], identity("lucie", "Lucie Fontaine"), "chmod\n")


def test_a_mode_change_shows_in_every_diff_and_is_never_merged(client, tokens, repo, tmp_path):
    """Written into the branch by other means (the web and pushes refuse it): every diff shows
    it, and the merge refuses it."""
    a = _propose(client, tokens, repo)
    bad = _chmod_commit(repo, tmp_path, a["revision"], FR, "100755")
    repo.update_ref("refs/heads/amendments/1", bad, a["revision"])
    got = client.get("/api/v1/amendments/1").get_json()
    assert [d["mode"] for d in got["diff"]] == [{"old": "100644", "new": "100755"}]
    html = client.get("/amendments/1").get_data(as_text=True)
    assert "mode 100644 → 100755" in html
    from review import amendments as am
    assert [ch.mode_changed for ch in am.compare(repo, a["revision"], bad)] == [True]
    for who in ("antoine", "sophie"):
        client.post("/api/v1/amendments/1/approvals", headers=bearer(tokens[who]), json={"revision": bad, "verdict": "approve"})
    main = repo.resolve("main")
    r = client.post("/api/v1/amendments/1/merge", headers=bearer(tokens["claire"]), json={"revision": bad})
    assert r.status_code == 409 and "would be an executable file (mode 100755)" in r.get_json()["error"]
    assert repo.resolve("main") == main


@pytest.mark.parametrize("close", ["withdraw", "reject"])
def test_a_closed_amendment_cannot_be_merged_by_api_or_page(client, tokens, repo, close):
    a = _propose(client, tokens, repo)
    for who in ("antoine", "sophie"):
        client.post("/api/v1/amendments/1/approvals", headers=bearer(tokens[who]), json={"revision": a["revision"], "verdict": "approve"})
    if close == "withdraw":
        client.post("/api/v1/amendments/1/withdraw", headers=bearer(tokens["lucie"]), json={})
    else:
        client.post("/api/v1/amendments/1/reject", headers=bearer(tokens["claire"]), json={"reason": "non"})
    main = repo.resolve("main")
    r = client.post("/api/v1/amendments/1/merge", headers=bearer(tokens["claire"]), json={"revision": a["revision"]})
    assert r.status_code == 409 and "only an open amendment can be merged" in r.get_json()["error"]
    sign_in(client, "claire")
    page = client.get("/amendments/1").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = client.post("/amendments/1/merge", data={"csrf_token": csrf, "revision": a["revision"], "confirm": "yes"},
                    follow_redirects=True)
    assert "seul un amendement ouvert peut être intégré" in r.get_data(as_text=True)
    assert repo.resolve("main") == main


def test_a_merge_without_its_event_shows_merged_as_and_is_repaired_at_start(client, tokens, repo, deployment_dir):
    from review import amendments as am
    from review import commitment as core
    from review import reviewlog, signoff, verify
    from review.web import create_app
    a = _propose(client, tokens, repo)
    for who in ("antoine", "sophie"):
        client.post("/api/v1/amendments/1/approvals", headers=bearer(tokens[who]), json={"revision": a["revision"], "verdict": "approve"})
    amendment = am.get(repo, 1)
    ev = signoff.evaluate(repo, amendment)
    tree, _ = repo.merge_trees(ev.main, amendment.head)
    merge = repo.commit_tree_on("refs/heads/main", tree, [ev.main, amendment.head],
                                reviewlog.identity("claire", "Claire Lemaire"),
                                signoff.merge_message(amendment, ev, core.read_plan(repo, ev.main)), ev.main)
    got = client.get("/api/v1/amendments/1").get_json()
    assert got["state"] == "merged" and got["merged_as"] == merge
    assert {(v.rule, v.code) for v in verify.verify(repo.path).violations} == {(2, "no-merge-event")}
    create_app(deployment_dir, {"TESTING": True})  # the server starts: the missing event is recorded
    events = reviewlog.read_events(repo, reviewlog.amendment_log(1))
    assert events[-1].type == am.MERGE_REPAIR and events[-1].data["merge"] == merge
    assert verify.verify(repo.path).clean
    assert client.get("/api/v1/amendments/1").get_json()["merged_as"] == merge


def test_irreversible_page_actions_ask_first_then_say_what_happened(client, tokens, repo):
    """Merge and reject (withdraw too) take a second step without JavaScript: the first post only
    shows what will happen; the confirmed one acts and says precisely what it did."""
    a = _propose(client, tokens, repo)
    for who in ("antoine", "sophie"):
        client.post("/api/v1/amendments/1/approvals", headers=bearer(tokens[who]), json={"revision": a["revision"], "verdict": "approve"})
    sign_in(client, "claire")
    page = client.get("/amendments/1").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    main = repo.resolve("main")
    r = client.post("/amendments/1/merge", data={"csrf_token": csrf, "revision": a["revision"]})
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "Intégrer l'amendement 1 au plan ?" in page
    assert f'name="revision" value="{a["revision"]}"' in page and 'name="confirm" value="yes"' in page
    assert repo.resolve("main") == main  # nothing done yet
    r = client.post("/amendments/1/merge", data={"csrf_token": csrf, "revision": a["revision"], "confirm": "yes"},
                    follow_redirects=True)
    merged = repo.resolve("main")
    assert merged != main
    assert f"Amendement 1 intégré au plan : révision {merged[:7]}" in r.get_data(as_text=True)

    b = _propose(client, tokens, repo, old="## Les enjeux", new="## Enjeux")
    r = client.post("/amendments/2/reject", data={"csrf_token": csrf, "reason": "Hors sujet"})
    page = r.get_data(as_text=True)
    assert "Rejeter l'amendement 2 ?" in page and 'name="reason" value="Hors sujet"' in page
    assert client.get("/api/v1/amendments/2").get_json()["state"] == "open"
    r = client.post("/amendments/2/reject", data={"csrf_token": csrf, "reason": "Hors sujet", "confirm": "yes"},
                    follow_redirects=True)
    assert "Amendement 2 rejeté : Hors sujet" in r.get_data(as_text=True)
    assert client.get("/api/v1/amendments/2").get_json()["state"] == "rejected"
    assert b["number"] == 2
