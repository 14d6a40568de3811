"""Comments through the API and the page's forms, and over HTTP against a real server."""

from __future__ import annotations

import html as htmllib
import json
import multiprocessing
import subprocess
import urllib.request

import pytest

from review import accounts, comments, reviewlog
from review.gitrepo import GitRepo

from .conftest import api_post
from .servers import gunicorn
from .test_people import _csrf, sign_in

CID = "engagement-02"
URL = f"/api/v1/commitments/{CID}/comments"


def test_api_comment_reply_resolve_edit_hide(client, tokens, repo):
    r = api_post(client, tokens["karim"], URL, {"body": "Imprécis", "anchor": "p-2", "quote": "sommes considérables", "stance": "against"})
    assert r.status_code == 201, r.get_json()
    c = r.get_json()
    assert (c["author"], c["anchor"], c["quote"], c["state"], c["rev"]) == ("karim", "p-2", "sommes considérables", "open", repo.resolve("main"))
    reply = api_post(client, tokens["sophie"], URL, {"body": "D'accord", "reply_to": c["id"]}).get_json()
    assert reply["reply_to"] == c["id"]
    assert api_post(client, tokens["karim"], f"{URL}/{c['id']}/edit", {"body": "Très imprécis"}).get_json()["versions"][0]["body"] == "Imprécis"
    assert api_post(client, tokens["karim"], f"{URL}/{c['id']}/resolve", {}).get_json()["state"] == "resolved"
    r = api_post(client, tokens["karim"], f"{URL}/{c['id']}/resolve", {})
    assert r.status_code == 409 and "already resolved" in r.get_json()["error"]
    assert api_post(client, tokens["karim"], f"{URL}/{c['id']}/reopen", {}).get_json()["state"] == "open"
    r = api_post(client, tokens["sophie"], f"{URL}/{c['id']}/hide", {"reason": "x"})
    assert r.status_code == 403
    hidden = api_post(client, tokens["lucie"], f"{URL}/{c['id']}/hide", {"reason": "hors sujet"}).get_json()
    assert hidden["state"] == "hidden" and hidden["body"] is None
    listing = client.get(URL).get_json()
    assert listing["total"] == 1 and listing["comments"][0]["replies"][0]["body"] == "D'accord"


@pytest.mark.parametrize("body, status, message", [
    ({"body": ""}, 400, "empty"),
    ({"body": "x" * 10_001}, 400, "limit is 10000"),
    ({"body": "x", "anchor": "p-99"}, 400, "not a paragraph"),
    ({"body": "x", "anchor": "p-2", "quote": "absent"}, 400, "not in paragraph"),
    ({"body": "x", "rev": "f" * 40}, 400, "does not exist"),
    ({"body": "x", "reply_to": "000000000000"}, 400, "no comment"),
    ({"body": "x", "colour": "red"}, 400, "unknown fields: colour"),
    ("not an object", 400, "JSON object"),
])
def test_api_bad_input_is_400_and_writes_nothing(client, tokens, repo, body, status, message):
    before = repo.refs()
    r = api_post(client, tokens["karim"], URL, body)
    assert r.status_code == status and message in r.get_json()["error"]
    assert repo.refs() == before


def test_api_invalid_utf8_and_no_token(client, tokens, repo):
    before = repo.refs()
    r = client.post(URL, data=b'{"body": "\xff\xfe"}', headers={"Authorization": f"Bearer {tokens['karim']}", "Content-Type": "application/json"})
    assert r.status_code == 400 and "JSON" in r.get_json()["error"]
    r = client.post(URL, json={"body": "x"})
    assert r.status_code == 401
    assert client.post("/api/v1/commitments/engagement-99/comments", json={"body": "x"},
                       headers={"Authorization": f"Bearer {tokens['karim']}"}).status_code == 404
    assert repo.refs() == before


def test_page_shows_counts_and_threads_and_form_posts(client, repo):
    sign_in(client, "karim")
    html = client.get(f"/commitments/{CID}").get_data(as_text=True)
    r = client.post(f"/commitments/{CID}/comments", data={"csrf_token": _csrf(html), "body": "Un **avis**", "anchor": "p-3",
                                                          "quote": "", "rev": repo.resolve("main"), "stance": "for"})
    assert r.status_code == 302
    page = client.get(f"/commitments/{CID}").get_data(as_text=True)
    assert "1 commentaire sur ce passage" in page
    assert "<strong>avis</strong>" in page and "pour" in page
    assert 'href="#comments-p-3"' in page


def test_page_form_error_keeps_the_text(client, repo):
    sign_in(client, "karim")
    html = client.get(f"/commitments/{CID}").get_data(as_text=True)
    before = repo.refs()
    r = client.post(f"/commitments/{CID}/comments", data={"csrf_token": _csrf(html), "body": "Mon texte", "anchor": "p-2",
                                                          "quote": "mots absents"}, follow_redirects=True)
    page = r.get_data(as_text=True)
    assert "pas dans le paragraphe p-2" in page and ">Mon texte</textarea>" in page
    assert repo.refs() == before


def test_comment_markdown_has_no_raw_html_and_links_are_nofollow(client, tokens):
    api_post(client, tokens["karim"], URL, {"body": "<script>x()</script> [lien](https://example.org)"})
    page = client.get(f"/commitments/{CID}").get_data(as_text=True)
    assert "<script>x()</script>" not in page
    assert 'rel="nofollow ugc"' in page


def test_hidden_comment_shows_a_stub(client, tokens):
    c = api_post(client, tokens["karim"], URL, {"body": "texte à masquer"}).get_json()
    api_post(client, tokens["lucie"], f"{URL}/{c['id']}/hide", {"reason": "propos injurieux"})
    page = client.get(f"/commitments/{CID}").get_data(as_text=True)
    assert "texte à masquer" not in page and "Masqué par la modération le" in page and "propos injurieux" in page


def test_thousand_comments_page_is_paginated(client, repo):
    plan_people = __import__("review.commitment", fromlist=["x"]).read_plan(repo, repo.resolve("main")).people
    for i in range(120):
        comments.add(repo, plan_people["karim"], CID, f"commentaire {i}", anchor="p-2")
    page = client.get(f"/commitments/{CID}").get_data(as_text=True)
    assert page.count('class="comment comment-open"') == 50
    assert "120 commentaires sur ce passage" in page
    page3 = client.get(f"/commitments/{CID}?page=3").get_data(as_text=True)
    assert page3.count('class="comment comment-open"') == 20


# -- over HTTP, against gunicorn -----------------------------------------------------------

def _http_worker(base, token, worker, n):
    for i in range(n):
        req = urllib.request.Request(base + URL, data=json.dumps({"body": f"http {worker} {i}"}).encode(),
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as resp:
            assert resp.status == 201


@pytest.mark.slow
def test_eight_http_clients_add_800_comments_none_lost(deployment_dir, dep):
    store = accounts.Accounts(dep)
    token = store.create_token("karim", "load")[1]
    with gunicorn(deployment_dir) as base:
        ctx = multiprocessing.get_context("spawn")
        procs = [ctx.Process(target=_http_worker, args=(base, token, w, 100)) for w in range(8)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(600)
            assert p.exitcode == 0
    repo = GitRepo(dep.repo_path)
    found = comments.fold(reviewlog.read_events(repo, reviewlog.commitment_log(CID)))
    assert len(found) == 800 and len({c.id for c in found.values()}) == 800
    fsck = subprocess.run(["git", "-C", str(dep.repo_path), "fsck", "--strict"], capture_output=True, text=True)
    assert fsck.returncode == 0, fsck.stderr


def test_plan_page_shows_comment_counts(client, tokens):
    for i in range(3):
        api_post(client, tokens["karim"], URL, {"body": f"c{i}"})
    html = client.get("/").get_data(as_text=True)
    assert html.count("3 commentaires") == 1
    assert 'class="comment-count"' in html


def test_two_threads_on_one_paragraph_give_one_target_id(client, tokens):
    for i in range(2):
        api_post(client, tokens["karim"], URL, {"body": f"c{i}", "anchor": "p-2"})
    html = client.get(f"/commitments/{CID}").get_data(as_text=True)
    assert html.count('id="comments-p-2"') == 1


def test_moderator_hides_through_the_page_form(client, tokens, repo):
    c = api_post(client, tokens["karim"], URL, {"body": "à masquer"}).get_json()
    sign_in(client, "lucie")
    page = client.get(f"/commitments/{CID}").get_data(as_text=True)
    assert f'<form method="post" action="/commitments/{CID}/comments/{c["id"]}/hide" data-confirm="' in page
    # first a second step (hiding cannot be undone): it names the comment and changes nothing
    r = client.post(f"/commitments/{CID}/comments/{c['id']}/hide", data={"csrf_token": _csrf(page), "reason": "hors sujet"})
    step = htmllib.unescape(r.get_data(as_text=True))
    assert r.status_code == 200 and "Masquer ce commentaire ?" in step and "Commentaire de @karim" in step
    assert "à masquer" in step and 'name="confirm" value="yes"' in step and "Oui, masquer" in step
    assert not comments.get(repo, CID, c["id"]).hidden
    r = client.post(f"/commitments/{CID}/comments/{c['id']}/hide",
                    data={"csrf_token": _csrf(page), "reason": "hors sujet", "confirm": "yes"})
    assert r.status_code == 302
    page = htmllib.unescape(client.get(f"/commitments/{CID}").get_data(as_text=True))
    assert "à masquer" not in page and "hors sujet" in page
    assert "Commentaire de @karim masqué : hors sujet" in page  # says precisely what happened
