"""Reading pages and the public API, in-process."""

from __future__ import annotations

import re
import subprocess
import sys

from babel.messages.pofile import read_po

from review.gitrepo import Identity

from .conftest import PLAN_REPO, ROOT

FR2 = "commitments/engagement-02/fr.md"


def _change_word(repo, old="commande", new="achat"):
    text = repo.read_file(repo.resolve("main"), FR2)
    body_start = text.index(b"\n---\n", 4)
    changed = text[:body_start] + text[body_start:].replace(old.encode(), new.encode(), 1)
    commit, _ = repo.commit_on("refs/heads/main", lambda tip: ({FR2: changed}, "Change a word"),
                               Identity("Test Person", "test@example.org"))
    return commit


def test_index_lists_26_commitments_by_axis(client):
    r = client.get("/")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert '<html lang="fr">' in html
    assert html.count('class="card"') == 26
    assert len(re.findall(r'<h2 id="axis-', html)) == 5
    assert "Accroître la transparence de la commande publique" in html
    assert "26 engagements" in html


def test_commitment_page_shows_text_metadata_milestones_and_version(client, repo):
    r = client.get("/commitments/engagement-02")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "<h1>Accroître la transparence de la commande publique</h1>" in html
    assert "Premier ministre" in html and "Jalons" in html
    assert 'id="p-1"' in html  # paragraph anchors
    assert repo.resolve("main")[:12] in html
    assert 'value="adopted-2015-07-16"' in html  # version selector lists the published tag


def test_commitment_markdown_has_raw_html_off_and_footnotes(client):
    html = client.get("/commitments/engagement-02").get_data(as_text=True)
    assert 'class="footnote-ref"' in html


def test_raw_html_in_a_commitment_is_escaped(client, repo):
    text = repo.read_file(repo.resolve("main"), FR2) + b"\n<script>alert(1)</script>\n"
    repo.commit_on("refs/heads/main", lambda tip: ({FR2: text}, "inject"), Identity("X", "x@example.org"))
    html = client.get("/commitments/engagement-02").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_english_switch_sets_cookie_and_translates_ui_and_text(client):
    r = client.get("/lang/en?next=/commitments/engagement-02")
    assert r.status_code == 302 and r.headers["Location"].endswith("/commitments/engagement-02")
    html = client.get("/commitments/engagement-02").get_data(as_text=True)
    en_title = (PLAN_REPO / "commitments/engagement-02/en.md").read_text().split("title: ", 1)[1].split("\n")[0].strip('"')
    assert '<html lang="en">' in html
    assert f"<h1>{en_title}</h1>" in html
    assert "Lead administrations" in html and "Prime Minister" in html
    assert "Français" in html  # the way back


def test_language_switch_refuses_offsite_redirects(client):
    r = client.get("/lang/en?next=//evil.example/")
    assert r.headers["Location"] == "/"


def test_rev_parameter_reads_old_versions(client, repo):
    _change_word(repo)
    now = client.get("/commitments/engagement-02").get_data(as_text=True)
    old = client.get("/commitments/engagement-02?rev=adopted-2015-07-16").get_data(as_text=True)
    assert "achat" in now.split("<article", 1)[1].split("</article>")[0]
    assert "<code>adopted-2015-07-16</code>" in old
    first = repo.resolve("adopted-2015-07-16")
    assert client.get(f"/?rev={first[:10]}").status_code == 200


def test_history_lists_changes_with_links(client, repo):
    commit = _change_word(repo)
    html = client.get("/commitments/engagement-02/history").get_data(as_text=True)
    assert html.count("<tr>") == 3  # header + two changes
    assert "Test Person" in html and "Change a word" in html
    assert f"rev={commit}" in html and f"to={commit}" in html


def test_word_diff_marks_words_not_lines(client, repo):
    commit = _change_word(repo)
    html = client.get(f"/commitments/engagement-02/diff?from=adopted-2015-07-16&to={commit}").get_data(as_text=True)
    assert "<del>commande</del>" in html and "<ins>achat</ins>" in html
    assert "1 mots insérés, 1 mots supprimés" in html
    assert html.count("<del>") == 2 and html.count("<ins>") == 2  # one in the legend, one in the diff


def test_unknown_commitment_and_revision_are_404_in_the_readers_language(client):
    r = client.get("/commitments/nope")
    assert r.status_code == 404 and "Erreur 404" in r.get_data(as_text=True)
    client.set_cookie("lang", "en")
    r = client.get("/commitments/engagement-02?rev=nosuchtag")
    assert r.status_code == 404 and "Error 404" in r.get_data(as_text=True)
    assert client.get("/commitments/ENGAGEMENT").status_code == 404
    assert client.get("/no/such/page").status_code == 404


def test_whole_plan_is_one_printable_page(client):
    html = client.get("/plan").get_data(as_text=True)
    assert html.count('class="print-commitment"') == 26
    assert 'media="print"' in html


# -- API ---------------------------------------------------------------------------

def test_api_commitments_list_and_detail(client, repo):
    data = client.get("/api/v1/commitments").get_json()
    assert data["revision"] == repo.resolve("main")
    assert len(data["commitments"]) == 26
    one = client.get("/api/v1/commitments/engagement-02").get_json()
    assert one["path"] == FR2
    assert one["text"] == (PLAN_REPO / FR2).read_text(encoding="utf-8")
    assert one["text"].startswith("---\n")
    assert one["title"]["fr"] == "Accroître la transparence de la commande publique"
    assert "commitments/engagement-02/en.md" in one["files"]


def test_api_rev_history_and_people(client, repo):
    commit = _change_word(repo)
    hist = client.get("/api/v1/commitments/engagement-02/history").get_json()
    assert [c["revision"] for c in hist["changes"]] == [commit, repo.resolve("adopted-2015-07-16")]
    assert hist["changes"][0]["time"].endswith("Z")
    old = client.get("/api/v1/commitments/engagement-02?rev=adopted-2015-07-16").get_json()
    assert "achat" not in old["text"].split("---", 2)[2].split("\n")[2]
    people = client.get("/api/v1/people").get_json()["people"]
    claire = next(p for p in people if p["handle"] == "claire")
    assert claire["roles"] == ["member", "coordinator"] and claire["organisation"] == "premier-ministre"


def test_api_errors_are_json(client):
    r = client.get("/api/v1/commitments/nope")
    assert r.status_code == 404 and "nope" in r.get_json()["error"]
    r = client.get("/api/v1/commitments?rev=zzz")
    assert r.status_code == 404 and "zzz" in r.get_json()["error"]
    r = client.get("/api/v1/nothing")
    assert r.status_code == 404 and r.get_json()["error"]


def test_openapi_documents_every_api_route(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    documented = set()
    for path, ops in doc["paths"].items():
        for method in ops:
            documented.add((re.sub(r"\{[^}]+\}", "{}", path), method.upper()))
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<[^>]+>", "{}", rule.rule[len("/api/v1"):])
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method) in documented, f"{method} {rule.rule} is not in openapi.yaml"


# -- translations --------------------------------------------------------------------

def test_every_ui_string_has_a_french_translation(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_l",
                    "-o", str(pot), "."], check=True, cwd=ROOT, capture_output=True)
    with open(pot, "rb") as f:
        wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    with open(ROOT / "review/web/translations/fr/LC_MESSAGES/messages.po", "rb") as f:
        have = {(m.id if isinstance(m.id, str) else m.id[0]): m.string for m in read_po(f) if m.id}
    assert len(wanted) > 40
    complete = lambda s: all(s) if isinstance(s, tuple) else bool(s)  # every plural form too
    missing = sorted(w for w in wanted if not complete(have.get(w)))
    assert not missing, f"untranslated UI strings (add them to messages.po): {missing}"
