"""Comparing any two versions of the plan or of one commitment (review/compare.py, /compare,
/commitments/<cid>/diff, GET /api/v1/compare)."""

from __future__ import annotations

import datetime as dt
import html

import pytest

from review import compare
from review.gitrepo import Identity

ALICE = Identity("Alice Martin", "alice@example.org")
MAIN = "refs/heads/main"
FR = "commitments/engagement-01/fr.md"
EN = "commitments/engagement-01/en.md"


def edit(repo, changes: dict[str, tuple[str, str]], message="edit"):
    """Commit on main: path -> (old, new) replaced once in that file (test set-up only)."""
    def build(tip):
        out = {}
        for path, (old, new) in changes.items():
            text = repo.read_file(tip, path).decode()
            assert old in text, (path, old)
            out[path] = text.replace(old, new, 1).encode()
        return out, message
    new, _ = repo.commit_on(MAIN, build, ALICE)
    return new


def test_a_due_date_is_one_field_and_prose_is_a_word_diff(repo):
    old = repo.resolve("main")
    new = edit(repo, {FR: ('due: "2017"', 'due: "2018"')})
    new = edit(repo, {FR: ("pèsent lourd", "pèsent très lourd")})
    result = compare.compare(repo, old, new)
    assert [(c.kind, c.id, c.status) for c in result.changes] == [("commitment", "engagement-01", "changed")]
    ch = result.changes[0]
    assert [(f.field, f.milestone, f.old, f.new) for f in ch.fields] == [
        ("milestone.due", "permis-de-construire", "2017", "2018")]
    assert (ch.inserted, ch.deleted) == (1, 0)
    assert result.summary()["unchanged"] >= 25
    out = compare.rendered_diff(ch.prose["fr"].segments, context=1)
    assert "pèsent <ins>très </ins>lourd" in out
    assert "<h2>Enjeux</h2>" in out             # rendered, not source
    assert "## " not in out and "due:" not in out
    assert '<p class="folded">[…]</p>' in out  # the far paragraphs are folded


def test_rendered_diff_keeps_lists_and_headings_and_never_breaks_nesting(repo):
    old = repo.resolve("main")
    new = edit(repo, {FR: ("\n## Enjeux", "\n- un point nouveau\n- un *autre* point\n\n## Enjeux")})
    new = edit(repo, {FR: ("## Contexte", "## Le contexte")})
    ch = compare.compare(repo, old, new).changes[0]
    out = compare.rendered_diff(ch.prose["fr"].segments)
    assert "<li><ins>un point nouveau</ins></li>" in out
    assert "<em><ins>autre</ins></em>" in out
    assert "<h2><del>Contexte</del><ins>Le contexte</ins></h2>" in out
    # marks only ever wrap text: never a tag inside <ins>/<del>
    import re
    assert not re.search(r"<(ins|del)>[^<]*<(?!/(ins|del)>)", out)


def test_markup_in_the_text_is_escaped_in_the_rendered_diff(repo):
    old = repo.resolve("main")
    new = edit(repo, {FR: ("pèsent lourd", "pèsent <script>alert(1)</script> lourd")})
    out = compare.rendered_diff(compare.compare(repo, old, new).changes[0].prose["fr"].segments)
    assert "<script>" not in out and "&lt;script&gt;" in out


def test_added_and_removed_commitments_and_translations(repo):
    old = repo.resolve("main")
    text = repo.read_file(old, FR)
    en = repo.read_file(old, EN)
    new, _ = repo.commit_on(MAIN, lambda tip: ({FR: None, EN: None}, "remove"), ALICE)
    result = compare.compare(repo, old, new)
    assert [(c.id, c.status) for c in result.changes] == [("engagement-01", "removed")]
    assert result.changes[0].deleted > 100 and result.changes[0].inserted == 0
    back = compare.compare(repo, new, old)
    assert [(c.id, c.status) for c in back.changes] == [("engagement-01", "added")]
    assert set(back.changes[0].prose) == {"fr", "en"}
    again, _ = repo.commit_on(MAIN, lambda tip: ({FR: text, EN: en.replace(b"Stakes", b"What is at stake")}, "back"), ALICE)
    only_en = compare.compare(repo, old, again)
    assert [(c.id, c.status) for c in only_en.changes] == [("engagement-01", "changed")]
    assert set(only_en.changes[0].prose) == {"en"} and only_en.changes[0].inserted == 0


def test_titles_leads_and_milestones_added_or_removed_are_fields(repo):
    old = repo.resolve("main")
    new = edit(repo, {FR: ("  - min-interieur\n", "")})
    new = edit(repo, {FR: ("  - id: permis-de-construire\n", "  - id: permis-de-construire-bis\n")})
    new = edit(repo, {EN: ('title: "Enable everyone', 'title: "Allow everyone')})
    fields = {(f.field, f.lang, f.milestone): (f.old, f.new) for f in compare.compare(repo, old, new).changes[0].fields}
    assert fields[("title", "en", None)][1].startswith("Allow everyone")
    assert fields[("leads", None, None)] == ("min-interieur, min-fonction-publique, min-ecologie",
                                              "min-fonction-publique, min-ecologie")
    assert fields[("milestone", None, "permis-de-construire-bis")][0] is None
    assert fields[("milestone", None, "permis-de-construire")][1] is None


def test_plan_file_changes_are_named_fields(repo):
    old = repo.resolve("main")
    text = repo.read_file(old, "plan.yaml").decode()
    assert "review_due:" in text
    line = next(l for l in text.splitlines() if l.startswith("review_due:"))
    new = edit(repo, {"plan.yaml": (line, "review_due: 2017-09-30")})
    result = compare.compare(repo, old, new)
    assert [(c.kind, c.status) for c in result.changes] == [("plan", "changed")]
    assert [(f.label, f.new) for f in result.changes[0].fields] == [("review_due", "2017-09-30")]


def test_a_day_names_the_plan_as_it_stood(repo):
    first = repo.resolve("main")
    assert compare.resolve(repo, dt.datetime.now(dt.timezone.utc).date()) == first
    from review.commitment import NotFound
    with pytest.raises(NotFound):
        compare.resolve(repo, dt.date(2001, 1, 1))


def test_compare_page_and_api(client, repo):
    old = repo.resolve("main")
    edit(repo, {FR: ('due: "2017"', 'due: "2018"')})
    edit(repo, {FR: ("pèsent lourd", "pèsent très lourd")})
    page = client.get(f"/compare?from={old}&to=main&lang=fr").get_data(as_text=True)
    assert "Échéance du jalon « Ouvrir progressivement les données des permis de construire »" in page
    assert "<del>2017</del>" in page and "<ins>2018</ins>" in page
    assert "pèsent <ins>très </ins>lourd" in page
    assert "due:" not in page and "---" not in page
    source = client.get(f"/compare?from={old}&to=main&view=source&lang=en").get_data(as_text=True)
    assert '<pre class="word-diff"' in source and "Due date of milestone" in source
    api = client.get(f"/api/v1/compare?from={old}&to=main").get_json()
    assert api["summary"]["changed"] == 1 and api["summary"]["words_inserted"] == 1
    (ch,) = api["changes"]
    assert ch["id"] == "engagement-01" and ch["url"].startswith("/commitments/engagement-01")
    assert ch["fields"][0]["field"] == "milestone.due" and ch["fields"][0]["new"] == "2018"
    assert any(s["op"] == "insert" and "très" in s["text"] for s in ch["languages"]["fr"]["segments"])
    light = client.get(f"/api/v1/compare?from={old}&to=main&text=0").get_json()
    assert "segments" not in light["changes"][0]["languages"]["fr"]
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()
    by_day = client.get(f"/api/v1/compare?from=@{today}&to=main").get_json()
    assert by_day["changes"] == []      # today's plan is main
    one = client.get(f"/compare?from={old}&to=main&commitment=engagement-02&lang=en").get_data(as_text=True)
    assert "Nothing changed between these two versions." in one


def test_commitment_diff_is_the_same_view_for_one_commitment(client, repo):
    old = repo.resolve("main")
    edit(repo, {FR: ('due: "2017"', 'due: "2018"')})
    page = client.get("/commitments/engagement-01/diff?lang=en").get_data(as_text=True)
    assert "Due date of milestone" in page and "<ins>2018</ins>" in page
    assert client.get("/commitments/engagement-99/diff").status_code == 404
    assert client.get(f"/commitments/engagement-01/diff?from={old}&to=main").status_code == 200


@pytest.mark.parametrize("query, message", [
    ("from=@2016-13-01&to=main", "from must name a branch, a tag, a commit id or a day written @YYYY-MM-DD"),
    ("from=@2999-01-01&to=main", "from is a day to come"),
    ("from=main", "from and to are both needed"),
    ("from=main&to=main&text=2", "text must be 0 or 1"),
    ("from=main&to=main&commitment=../x", "commitment must be a commitment's id"),
    ("from=a..b&to=main", "from must name a branch, a tag or a commit id"),
])
def test_bad_versions_are_400_saying_what_to_write(client, query, message):
    r = client.get(f"/api/v1/compare?{query}")
    assert r.status_code == 400 and r.get_json()["error"].startswith(message)


def test_an_unknown_version_is_404_and_a_day_before_the_plan_says_so(client):
    assert client.get("/api/v1/compare?from=nope&to=main").status_code == 404
    r = client.get("/compare?from=@2001-01-01&to=main&lang=fr")
    assert r.status_code == 404 and "le plan n'existait pas encore" in html.unescape(r.get_data(as_text=True))
    assert client.get("/compare?view=bad").status_code == 400
    # a commitment found at neither version is not "nothing changed"
    assert client.get("/compare?from=main&to=main&commitment=engagement-99").status_code == 404
    r = client.get("/api/v1/compare?from=main&to=main&commitment=engagement-99")
    assert r.status_code == 404 and "engagement-99" in r.get_json()["error"]
    assert client.get("/compare").status_code == 200    # the form alone
