"""/search and GET /api/v1/search, in-process; and `review reindex`."""

from __future__ import annotations

import re
from html import unescape
import subprocess
import sys

from review import search

from .conftest import api_post
from .test_people import _csrf, sign_in

CID = "engagement-02"


def test_a_comment_posted_through_the_page_is_found_at_once(client):
    sign_in(client, "karim")
    html = client.get(f"/commitments/{CID}").get_data(as_text=True)
    r = client.post(f"/commitments/{CID}/comments", data={"csrf_token": _csrf(html), "body": "Les échéanciers sont flous."})
    assert r.status_code in (302, 303)
    page = client.get("/search?q=echeanciers+flous").get_data(as_text=True)
    links = re.findall(r'<a href="(/commitments/engagement-02#c-[0-9a-f]+)"', page)
    assert len(links) == 1
    assert "<mark>échéanciers</mark>" in page and "<mark>flous</mark>" in page
    target = client.get(links[0].split("#")[0]).get_data(as_text=True)
    assert f'id="{links[0].split("#")[1]}"' in target


def test_api_search_finds_what_the_api_just_wrote_with_urls_to_the_place(client, tokens):
    r = api_post(client, tokens["karim"], f"/api/v1/commitments/{CID}/comments", {"body": "Quid des sous-traitants ?"})
    cid = r.get_json()["id"]
    got = client.get("/api/v1/search?q=sous-traitant").get_json()
    assert [(x["type"], x["url"]) for x in got["results"]] == [("comment", f"/commitments/{CID}#c-{cid}")]
    assert got["total"] == 1 and got["more"] is False
    para = client.get("/api/v1/search?q=%22commande+publique%22&type=commitment&lang=fr").get_json()["results"]
    assert para and all(re.fullmatch(rf"/commitments/{CID}\?lang=fr(#p-\d+)?", x["url"]) for x in para)
    en = client.get("/api/v1/search?q=procurement&lang=en&type=commitment").get_json()["results"]
    assert en and all(x["lang"] == "en" for x in en)
    # a paragraph's number counts in its language's text: the link says which
    assert any(re.fullmatch(r"/commitments/engagement-\d+\?lang=en#p-\d+", x["url"]) for x in en)


def test_snippets_are_escaped(client, tokens):
    api_post(client, tokens["karim"], f"/api/v1/commitments/{CID}/comments",
             {"body": "<script>alert(1)</script> piratage <img src=x onerror=alert(2)>"})
    got = client.get("/api/v1/search?q=piratage").get_json()["results"][0]
    assert "<script>" not in got["snippet_html"] and "&lt;script&gt;" in got["snippet_html"]
    assert "<mark>piratage</mark>" in got["snippet_html"] and "<img" not in got["snippet_html"]
    page = client.get("/search?q=piratage").get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;img src=x" in page


def test_hidden_comments_are_not_found_by_their_text(client, tokens):
    c = api_post(client, tokens["karim"], f"/api/v1/commitments/{CID}/comments", {"body": "Propos injurieux xyzzy"}).get_json()
    assert client.get("/api/v1/search?q=xyzzy").get_json()["total"] == 1
    api_post(client, tokens["lucie"], f"/api/v1/commitments/{CID}/comments/{c['id']}/hide", {"reason": "Injure"})
    assert client.get("/api/v1/search?q=xyzzy").get_json()["total"] == 0
    html = client.get("/search?q=xyzzy").get_data(as_text=True)
    assert "<mark>xyzzy" not in html and "0 résultat" in html and "Propos injurieux" not in html


def test_bad_input_gets_clear_400s_in_english_on_the_api_and_french_on_the_page(client):
    cases = [
        ("", "the search is empty: type one or more words", "la recherche est vide"),
        ("x" * 501, "the search is too long: at most 500 characters", "la recherche est trop longue"),
        ("%22+*+%3A", "the search has no words: type letters or digits", "ne contient aucun mot"),
        ("data&type=tweet", "the type filter must be one of commitment, page, comment, amendment, progress, not 'tweet'",
         "le filtre type doit"),
        ("data&axis=nulle-part", "axis 'nulle-part' is not in the plan: give the id of one of its axes", "l'axe"),
        ("data&theme=zz", "theme 'zz' is not in the plan: give the id of one of its themes", "le thème"),
        ("data&lead=zz", "lead 'zz' is not in the plan: give the id of one of its organisations", "l'organisation"),
        ("data&state=closed", "the state filter must be one of open, resolved, merged, withdrawn, rejected, not 'closed'",
         "le filtre state"),
        ("data&lang=de", "the lang filter must be one of fr, en, not 'de'", "le filtre lang"),
        ("data&per_page=500", "per_page must be a whole number from 1 to 50", "per_page"),
        ("data&page=0", "page must be a whole number from 1 to 1000000", "page"),
        ("data&axis=" + "a" * 101, "axis is too long: at most 100 characters", "trop long"),
    ]
    for q, english, french in cases:
        r = client.get(f"/api/v1/search?q={q}")
        assert r.status_code == 400 and r.get_json()["error"] == english and r.get_json()["code"], q
        page = client.get(f"/search?q={q}" if q else "/search?q=+")
        if not q:
            assert page.status_code == 200  # a blank query on the page shows the form
            continue
        html = unescape(page.get_data(as_text=True))
        assert page.status_code == 400 and french in html, (q, html[-1500:])
        assert '<search aria-label' in html and 'class="search-form"' in html  # the form stays, with what was typed
    r = client.get("/api/v1/search")
    assert r.status_code == 400 and r.get_json() == {"error": "the search is empty: type one or more words",
                                                      "code": "search.empty"}


def test_page_without_query_shows_the_form_and_the_header_has_a_search_form(client):
    html = client.get("/search").get_data(as_text=True)
    assert '<form method="get" action="/search" class="search-form">' in html and "<search aria-label" in html and 'id="search-q"' in html
    home = client.get("/").get_data(as_text=True)
    assert re.search(r'<form method="get" action="/search" role="search" aria-label="[^"]+">\s*<input type="search" name="q"', home)


def test_the_lang_filter_does_not_change_the_pages_language(client):
    html = client.get("/search?q=procurement&lang=en").get_data(as_text=True)
    assert '<html lang="fr">' in html and "résultats" in html and 'lang="en"' in html


def test_filters_on_the_page_and_pagination(client):
    html = client.get("/search?q=donn%C3%A9es&type=commitment&axis=rendre-des-comptes&per_page=5").get_data(as_text=True)
    assert "résultats" in html and 'rel="next"' in html
    assert 'href="/search?q=donn%C3%A9es&amp;page=2&amp;type=commitment&amp;axis=rendre-des-comptes"' in html \
        or "page=2" in html
    hits = re.findall(r'<a href="(/commitments/[^"]+)" lang=', html)
    assert len(hits) == 5
    plan_axes = client.get("/api/v1/commitments").get_json()["commitments"]
    in_axis = {c["id"] for c in plan_axes if c["axis"] == "rendre-des-comptes"}
    assert all(h.split("#")[0].split("/")[2].split("?")[0] in in_axis for h in hits)


def test_every_api_route_of_search_is_documented(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    params = {p["name"] for p in doc["paths"]["/search"]["get"]["parameters"]}
    assert {"q", "type", "axis", "theme", "lead", "state", "lang"} <= params


def test_reindex_command_rebuilds_from_git(deployment_dir, dep, repo, tokens, client):
    api_post(client, tokens["karim"], f"/api/v1/commitments/{CID}/comments", {"body": "Reconstruire l'index"})
    (dep.instance_path / search.FILE_NAME).write_bytes(b"not a database")
    for suffix in ("-wal", "-shm"):
        (dep.instance_path / f"{search.FILE_NAME}{suffix}").unlink(missing_ok=True)
    (dep.instance_path / search.FILE_NAME).unlink()
    out = subprocess.run([sys.executable, "-m", "review", "reindex", str(deployment_dir)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert re.match(r"Indexed \d+ entries", out.stdout)
    ix = search.Index.of(dep.instance_path)
    assert [h.type for h in search.search(ix, repo, "reconstruire index").hits] == ["comment"]
    bad = subprocess.run([sys.executable, "-m", "review", "reindex", str(deployment_dir / "nope")],
                         capture_output=True, text=True)
    assert bad.returncode == 1 and "is not a deployment folder" in bad.stderr


def test_amendments_and_progress_reports_link_to_their_place(client, tokens, repo):
    text = repo.read_file(repo.resolve("main"), f"commitments/{CID}/fr.md").decode()
    r = api_post(client, tokens["karim"], "/api/v1/amendments",
                 {"commitment": CID, "title": "Calendrier des avis", "rationale": "Les acheteurs publient trop tard.",
                  "files": {f"commitments/{CID}/fr.md": text.replace("sommes considérables", "sommes colossales")}})
    n = r.get_json()["number"]
    got = client.get("/api/v1/search?q=acheteurs+publient&type=amendment").get_json()["results"]
    assert [(x["url"], x["state"]) for x in got] == [(f"/amendments/{n}", "open")]
    changed = client.get("/api/v1/search?q=colossales").get_json()["results"]
    assert [(x["type"], x["url"]) for x in changed] == [("amendment", f"/amendments/{n}")]
    rep = api_post(client, tokens["antoine"], "/api/v1/commitments/engagement-04/progress",
                   {"level": "limited", "note": "Premier jeu de référentiels publié."}).get_json()
    got = client.get("/api/v1/search?q=referentiels&type=progress").get_json()["results"]
    assert [x["url"] for x in got] == [f"/commitments/engagement-04#r-{rep['id']}"]
    page = client.get("/commitments/engagement-04").get_data(as_text=True)
    assert f'id="r-{rep["id"]}"' in page
