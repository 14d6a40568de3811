"""Consultations through the pages, the JSON API and git pushes (issue 19)."""

from __future__ import annotations

import datetime as dt
import json
import re

from review import accounts, participants, reviewlog, verify
from review import commitment as core
from review import consultations as cons

from .conftest import api_post
from .test_githttp import Server, clone, commit, edit, git, refs_of
from .test_people import _csrf, sign_in

TODAY = dt.datetime.now(dt.timezone.utc).date()


def people(repo):
    return core.read_plan(repo, core.resolve(repo, "main")).people


def backdated(repo, cid="c1", **kw):
    """Announced 15 days ago, open since yesterday, for 10 more days."""
    return cons.announce(repo, people(repo)["claire"], cid, "Consultation sur le plan", TODAY - dt.timedelta(days=1),
                         TODAY + dt.timedelta(days=10), title_en="Consultation on the plan",
                         announced=TODAY - dt.timedelta(days=15), **kw)


def participant(dep, repo, name="alice"):
    p, password = participants.Participants(dep).add(people(repo)["claire"], name, email=f"{name}@example.org")
    return p, password


def post_form(client, page_url, action, data):
    html = client.get(page_url).get_data(as_text=True)
    return client.post(action, data={"csrf_token": _csrf_any(html), **data})


def _csrf_any(html):
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_pages_list_and_api(client, repo):
    backdated(repo)
    html = client.get("/consultations").get_data(as_text=True)
    assert "Consultation sur le plan" in html and "ouverte" in html
    assert client.get("/consultations/c1?lang=en").status_code == 200
    assert client.get("/consultations/nope").status_code == 404
    data = client.get("/api/v1/consultations").get_json()
    assert [c["id"] for c in data["consultations"]] == ["c1"] and data["consultations"][0]["state"] == "open"
    one = client.get("/api/v1/consultations/c1").get_json()
    assert one["participation"]["contributions"] == 0 and one["contributions"] == []
    feed = client.get("/consultations.atom")
    assert feed.status_code == 200 and b"Consultation sur le plan" in feed.data


def test_announce_form_enforces_the_notice(client, repo):
    sign_in(client, "claire")
    too_soon = (TODAY + dt.timedelta(days=13)).isoformat()
    r = post_form(client, "/consultations", "/consultations",
                  {"id": "early", "title_fr": "Trop tôt", "opens": too_soon, "closes": (TODAY + dt.timedelta(days=40)).isoformat(),
                   "scope": "plan"})
    assert r.status_code == 302
    assert "14" in client.get(r.headers["Location"]).get_data(as_text=True)
    assert cons.ids(repo) == []
    r = post_form(client, "/consultations", "/consultations",
                  {"id": "ok", "title_fr": "À temps", "opens": (TODAY + dt.timedelta(days=14)).isoformat(),
                   "closes": (TODAY + dt.timedelta(days=40)).isoformat(), "scope": "commitments",
                   "commitments": "engagement-01"})
    assert r.headers["Location"] == "/consultations/ok"
    assert cons.get(repo, "ok").state() == "announced" and cons.get(repo, "ok").commitments == ["engagement-01"]
    client.post("/signout", data={"csrf_token": _csrf_any(client.get("/").get_data(as_text=True))})
    sign_in(client, "karim")
    r = post_form(client, "/consultations", "/consultations",
                  {"id": "k", "title_fr": "Non", "opens": (TODAY + dt.timedelta(days=20)).isoformat(),
                   "closes": (TODAY + dt.timedelta(days=40)).isoformat()})
    assert "k" not in cons.ids(repo)


def test_a_participant_signs_in_contributes_and_is_refused_outside(client, dep, repo):
    backdated(repo)
    cons.announce(repo, people(repo)["claire"], "later", "Plus tard", TODAY + dt.timedelta(days=20),
                  TODAY + dt.timedelta(days=30))
    sign_in(client, "claire")
    r = post_form(client, "/consultations/c1", "/consultations/c1/participants", {"pseudonym": "alice", "email": "a@example.org"})
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    password = re.search(r'<code id="new-password">([^<]+)</code>', page).group(1)
    assert "a@example.org" not in page
    assert password not in client.get(r.headers["Location"]).get_data(as_text=True)  # shown once
    client.post("/signout", data={"csrf_token": _csrf_any(page)})
    r = sign_in(client, "~alice", password)
    assert r.status_code == 302
    r = post_form(client, "/consultations/c1", "/consultations/c1/contributions",
                  {"commitment": "engagement-01", "body": "Une idée du public", "anchor": "p-1"})
    key = r.headers["Location"].split("#")[1]
    assert key.startswith("comment-")
    page = client.get("/consultations/c1").get_data(as_text=True)
    assert "Une idée du public" in page and "~alice" in page
    # outside an open consultation: refused, with the reason
    r = post_form(client, "/consultations/c1", "/consultations/later/contributions",
                  {"commitment": "engagement-01", "body": "Trop tôt"})
    assert "pendant qu&#39;elle est ouverte" in client.get(r.headers["Location"]).get_data(as_text=True)
    assert all(x.kind != "comment" for x in cons.contributions(repo, "later"))
    # ordinary comment route: 403 with a clear message
    r = post_form(client, "/commitments/engagement-01", "/commitments/engagement-01/comments", {"body": "Hors consultation"})
    assert "qu&#39;à une consultation ouverte" in client.get(r.headers["Location"]).get_data(as_text=True)
    assert not [c for c in __import__("review.comments", fromlist=["x"]).threads(repo, "engagement-01") if c.author == "~alice"]


def test_the_api_refuses_a_participant_outside_an_open_consultation(client, dep, repo):
    backdated(repo)
    cons.announce(repo, people(repo)["claire"], "later", "Plus tard", TODAY + dt.timedelta(days=20),
                  TODAY + dt.timedelta(days=30))
    participant(dep, repo)
    token = accounts.Accounts(dep).create_token("~alice", "t")[1]
    r = api_post(client, token, "/api/v1/consultations/later/contributions", {"commitment": "engagement-01", "body": "x"})
    assert r.status_code == 403 and r.get_json()["code"] == "consultation.not_open"
    r = api_post(client, token, "/api/v1/commitments/engagement-01/comments", {"body": "x"})
    assert r.status_code == 403 and "open consultation" in r.get_json()["error"]
    r = api_post(client, token, "/api/v1/consultations/c1/contributions", {"commitment": "engagement-01", "body": "Oui"})
    assert r.status_code == 201, r.get_json()
    key = r.get_json()["key"]
    assert api_post(client, token, f"/api/v1/consultations/c1/contributions/{key}/stance", {"stance": "support"}).status_code == 400


def test_stances_responses_report_and_answered(client, dep, repo, tokens):
    backdated(repo)
    participant(dep, repo, "alice")
    participant(dep, repo, "bob")
    store = accounts.Accounts(dep)
    ta, tb = store.create_token("~alice")[1], store.create_token("~bob")[1]
    x = api_post(client, ta, "/api/v1/consultations/c1/contributions", {"commitment": "engagement-01", "body": "Idée A"}).get_json()
    y = api_post(client, tb, "/api/v1/consultations/c1/contributions", {"commitment": "engagement-02", "body": "Idée B"}).get_json()
    assert api_post(client, tb, f"/api/v1/consultations/c1/contributions/{x['key']}/stance", {"stance": "support"}).get_json()["supports"] == 1
    r = api_post(client, ta, f"/api/v1/consultations/c1/contributions/{y['key']}/stance", {"stance": "oppose"})
    assert r.get_json()["oppositions"] == 1
    r = api_post(client, tokens["claire"], "/api/v1/consultations/c1/answered", {})
    assert r.status_code == 409
    assert api_post(client, tokens["claire"], "/api/v1/consultations/c1/close", {}).get_json()["state"] == "closed"
    r = api_post(client, ta, f"/api/v1/consultations/c1/contributions/{y['key']}/stance", {"stance": "support"})
    assert r.status_code == 403
    r = api_post(client, tokens["karim"], f"/api/v1/consultations/c1/contributions/{x['key']}/response",
                 {"outcome": "not-retained", "reason": "Non"})
    assert r.status_code == 403
    r = api_post(client, tokens["claire"], f"/api/v1/consultations/c1/contributions/{x['key']}/response",
                 {"outcome": "retained", "reason": "Repris", "carried_by": "commitments/engagement-01"})
    assert r.get_json()["response"]["outcome"] == "retained"
    r = api_post(client, tokens["claire"], "/api/v1/consultations/c1/answered", {})
    assert r.status_code == 409 and r.get_json()["code"] == "consultation.waiting"
    page = client.get("/consultations/c1").get_data(as_text=True)
    assert "1 en attente" in page or "1 waiting" in page
    api_post(client, tokens["claire"], f"/api/v1/consultations/c1/contributions/{y['key']}/response",
             {"outcome": "out-of-scope", "reason": "Hors du plan"})
    assert api_post(client, tokens["claire"], "/api/v1/consultations/c1/answered", {}).get_json()["state"] == "answered"
    csv_fr = client.get("/consultations/c1/report.csv").get_data(as_text=True)
    csv_en = client.get("/consultations/c1/report.csv?lang=en").get_data(as_text=True)
    assert "~alice" in csv_fr and "retenue" in csv_fr.lower() and "retained" in csv_en
    data = client.get("/consultations/c1/report.json").get_json()
    assert [(c["author"], c["supports"], c["oppositions"], c["response"]["outcome"]) for c in data["contributions"]] == [
        ("~alice", 1, 0, "retained"), ("~bob", 0, 1, "out-of-scope")]
    html = client.get("/consultations/c1/report").get_data(as_text=True)
    assert "Idée A" in html and "Hors du plan" in html
    audit = client.get("/api/v1/audit").get_json()
    rows = audit.get("rows") or audit.get("events") or audit
    assert "consultation-response" in json.dumps(rows)
    assert verify.verify(repo.path).clean


def test_account_deletion_page_warns_then_deletes(client, dep, repo):
    _p, password = participant(dep, repo)
    sign_in(client, "~alice", password)
    page = client.get("/participants/alice").get_data(as_text=True)
    assert page.index('id="delete-warning"') < page.index('id="delete-form"')
    assert "~alice" in page
    r = post_form(client, "/participants/alice", "/participants/alice/delete", {"confirm": "yes"})
    assert r.status_code == 302
    assert participants.Participants(dep).get("alice").email is None
    assert sign_in(client, "~alice", password).status_code == 401


def test_pushes_cannot_forge_consultation_events(deployment_dir, repo, tokens, tmp_path, dep):
    backdated(repo)
    participant(dep, repo)
    ptoken = accounts.Accounts(dep).create_token("~alice")[1]
    s = Server(deployment_dir)
    try:
        work = clone(s, tmp_path, handle="claire", token=tokens["claire"])
        git("fetch", "-q", "origin", "refs/reviews/consultations/c1:refs/remotes/c1", cwd=work)
        tip = git("rev-parse", "refs/remotes/c1", cwd=work).stdout.strip()
        git("checkout", "-q", tip, cwd=work)
        (work / "events" / "00000" / "0000002-aaaaaaaaaaaa.json").write_text('{"forged": true}\n')
        git("add", "-A", cwd=work)
        commit(work, "forged response")
        before = refs_of(s.repo_path)
        out = git("push", "origin", "HEAD:refs/reviews/consultations/c1", cwd=work, check=False)
        assert out.returncode != 0 and "nothing was changed" in out.stderr
        out = git("push", "origin", "HEAD:refs/reviews/consultations/new", cwd=work, check=False)
        assert out.returncode != 0
        assert refs_of(s.repo_path) == before
        # a participant cannot push at all
        pwork = clone(s, tmp_path, name="pwork")
        git("remote", "set-url", "origin", s.url("~alice", ptoken), cwd=pwork)
        edit(pwork, "commitments/engagement-01/fr.md", "#", "# ")
        commit(pwork, "x")
        out = git("push", "origin", "HEAD:refs/for/engagement-01", cwd=pwork, check=False)
        assert out.returncode != 0
        assert refs_of(s.repo_path) == before
    finally:
        s.close()
    assert len(reviewlog.read_events(repo, cons.log_ref("c1"))) == 1


def test_hiding_a_contributed_amendment_through_the_api_and_what_readers_see(client, dep, repo, tokens):
    backdated(repo)
    p, _ = participant(dep, repo)
    text = repo.read_file(core.resolve(repo, "main"), "commitments/engagement-01/fr.md").decode()
    x = cons.contribute_amendment(repo, p.person(), "c1", "engagement-01", "Titre à masquer", "Motif à masquer",
                                  {"commitments/engagement-01/fr.md": text + "\nUn ajout.\n"}, today=TODAY)
    url = f"/api/v1/consultations/c1/contributions/{x.key}/hide"
    log = cons.log_ref("c1")
    before = repo.ref_target(log)
    r = api_post(client, tokens["karim"], url, {"reason": "hors sujet"})  # not a moderator
    assert r.status_code == 403 and repo.ref_target(log) == before
    r = api_post(client, tokens["lucie"], url, {"reason": ""})
    assert r.status_code == 400 and repo.ref_target(log) == before
    # before: the amendment's page names its author's participant page, not a profile of plan.yaml
    html = client.get(f"/amendments/{x.amendment}").get_data(as_text=True)
    assert 'href="/participants/alice"' in html and "Titre à masquer" in html
    r = api_post(client, tokens["lucie"], url, {"reason": "hors sujet"})
    assert r.status_code == 200 and r.get_json()["hidden"]["reason"] == "hors sujet" and r.get_json()["text"] is None
    assert api_post(client, tokens["lucie"], url, {"reason": "encore"}).status_code == 409
    for page in (f"/amendments/{x.amendment}", "/consultations/c1", "/consultations/c1/report",
                 "/consultations/c1/report.csv", "/api/v1/consultations/c1/report"):
        body = client.get(page).get_data(as_text=True)
        assert "Motif à masquer" not in body and "Titre à masquer" not in body, page
    assert "hors sujet" in client.get(f"/amendments/{x.amendment}").get_data(as_text=True)
