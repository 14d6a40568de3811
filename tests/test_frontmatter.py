"""review.frontmatter: the stored format read and written as the smallest edit; the editor
changes one line of front matter for one milestone date, in LF and CRLF files (issues 16, 21)."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from review import frontmatter as fm
from review.model import SchemaError

from .test_people import sign_in
from .webforms import form_fields

ROOT = Path(__file__).resolve().parent.parent
CID = "engagement-03"  # milestones with due dates
FR = f"commitments/{CID}/fr.md"
EN = f"commitments/{CID}/en.md"


def changed_lines(old: str, new: str) -> list[str]:
    """The lines removed and added, as git would show them (line endings kept)."""
    return [d[0] + d[2:] for d in difflib.ndiff(old.splitlines(keepends=True), new.splitlines(keepends=True))
            if d[:1] in "+-"]


def milestones(text: str, path: str = FR) -> list[dict]:
    from review.model import load_yaml
    return [dict(m) for m in load_yaml(fm.split(text).front_matter, path)["milestones"]]


def with_due(ms: list[dict], mid: str, due: str) -> list[dict]:
    return [{**m, "due": due} if m["id"] == mid else m for m in ms]


# -- the core ------------------------------------------------------------------------------

@pytest.mark.parametrize("path", sorted(str(p.relative_to(ROOT)) for p in (ROOT / "plan-repo").glob("*/*/*.md")))
def test_every_sample_file_is_written_back_unchanged(path):
    text = (ROOT / path).read_text(encoding="utf-8")
    src = fm.split(text)
    assert fm.join(src) == text
    assert fm.update(src.front_matter, {}) == src.front_matter
    data = fm.split(text).front_matter
    from review.model import load_yaml
    values = {k: v for k, v in load_yaml(data, path).items()}
    assert fm.update(src.front_matter, values) == src.front_matter  # equal values keep their text


def test_one_milestone_date_changes_one_line_and_keeps_the_quotes():
    text = (ROOT / "plan-repo" / FR).read_text(encoding="utf-8")
    src = fm.split(text)
    new = fm.join(fm.with_fields(src, {"milestones": with_due(milestones(text), "asie-amerique-latine", "2016-12")}))
    assert changed_lines(text, new) == ['-    due: "2016-06"\n', '+    due: "2016-12"\n']


def test_a_year_stays_a_quoted_year_never_a_quoted_quote():
    text = (ROOT / "plan-repo" / FR).read_text(encoding="utf-8")
    new = fm.join(fm.with_fields(fm.split(text), {"milestones": with_due(milestones(text), "ong-premier-euro", "2018")}))
    assert changed_lines(text, new) == ['-    due: "2016"\n', '+    due: "2018"\n']
    assert "'" not in "".join(changed_lines(text, new))


@pytest.mark.parametrize("old, new, line", [
    ("due: 2016\n", "2017", "due: 2017\n"),                 # a plain year stays a plain year
    ("due: 2016-06-30\n", "2016-07-31", "due: 2016-07-31\n"),  # a plain date stays a plain date
    ("due: '2016-06'\n", "2016-09", "due: '2016-09'\n"),     # single quotes stay single
    ("due: 2016-06  # to confirm\n", "2016-09", "due: 2016-09  # to confirm\n"),  # the comment stays
])
def test_a_changed_scalar_keeps_its_type_quotes_and_comment(old, new, line):
    assert fm.update(f"id: x\n{old}lead: y\n", {"due": new}) == f"id: x\n{line}lead: y\n"


def test_keys_order_comments_and_other_fields_are_kept():
    text = "# the header\ntitle: \"Titre\"   # first\nnumber: 3\nleads:\n  - a\n  - b\nextra: {x: 1}\n"
    assert fm.update(text, {"leads": ["a", "c"]}) == text.replace("  - b", "  - c")
    assert fm.update(text, {"title": "Autre"}) == text.replace('"Titre"', '"Autre"')
    assert fm.update(text, {"leads": None}) == "# the header\ntitle: \"Titre\"   # first\nnumber: 3\nextra: {x: 1}\n"
    assert fm.update(text, {"theme": "t"}).endswith("extra: {x: 1}\ntheme: t\n")


def test_milestones_are_matched_by_id_added_and_removed():
    text = (ROOT / "plan-repo" / FR).read_text(encoding="utf-8")
    ms = milestones(text)
    src = fm.split(text)
    removed = fm.join(fm.with_fields(src, {"milestones": [m for m in ms if m["id"] != "ong-premier-euro"]}))
    assert [d[0] for d in changed_lines(text, removed)] == ["-"] * 5
    added = fm.join(fm.with_fields(src, {"milestones": ms + [{"id": "nouveau", "title": {"fr": "Nouveau jalon"}, "due": "2018"}]}))
    assert all(d[0] == "+" for d in changed_lines(text, added))
    assert milestones(added)[-1] == {"id": "nouveau", "title": {"fr": "Nouveau jalon"}, "due": "2018"}
    moved = fm.join(fm.with_fields(src, {"milestones": ms[1:] + ms[:1]}))
    assert milestones(moved) == ms[1:] + ms[:1]


def test_crlf_files_keep_their_line_endings():
    text = (ROOT / "plan-repo" / FR).read_text(encoding="utf-8").replace("\n", "\r\n")
    src = fm.split(text)
    assert src.newline == "\r\n" and "\r" not in src.front_matter + src.body
    assert fm.join(src) == text
    new = fm.join(fm.with_fields(src, {"milestones": with_due(milestones(text), "asie-amerique-latine", "2016-12")}))
    assert changed_lines(text, new) == ['-    due: "2016-06"\r\n', '+    due: "2016-12"\r\n']
    body = fm.join(fm.with_body(src, src.body.replace("Publier les données", "Diffuser les données")))
    assert len(changed_lines(text, body)) == 2 and body.count("\r\n") == text.count("\r\n")


def test_an_unchanged_body_keeps_its_text_even_with_other_blank_lines_at_its_ends():
    text = "---\ntitle: T\n---\n\n\nUn.\n\nDeux.\n\n\n"
    src = fm.split(text)
    assert fm.join(fm.with_body(src, "Un.\r\n\r\nDeux.")) == text
    assert fm.join(fm.with_body(src, "Un.\n\nTrois.")) == "---\ntitle: T\n---\n\n\nUn.\n\nTrois.\n"


@pytest.mark.parametrize("text, message", [
    ("title: T\n", "must start with a '---' line"),
    ("---\ntitle: T\n\nbody\n", "is not closed"),
])
def test_a_file_without_front_matter_is_refused_and_read_leniently(text, message):
    with pytest.raises(SchemaError, match=message):
        fm.split(text)
    assert fm.split_lenient(text) == (None, text)


@pytest.mark.parametrize("yaml_text, message", [
    ("- a\n- b\n", "must be a mapping"),
    ("a: &x [1]\nb: *x\n", "alias"),
])
def test_update_refuses_what_is_not_a_bounded_mapping(yaml_text, message):
    with pytest.raises(SchemaError, match=message):
        fm.update(yaml_text, {"a": 1})


def test_a_new_translation_file_has_the_authoritative_files_line_endings():
    assert fm.new_file({"title": "Title: two"}, "Text.\n", "\r\n") == "---\r\ntitle: 'Title: two'\r\n---\r\n\r\nText.\r\n"


# -- through the web editor ----------------------------------------------------------------

def _edit_due(client, url: str, mid: str, due: str, **extra) -> object:
    f = form_fields(client.get(url).get_data(as_text=True), "editor")
    i = next(k for k in range(int(f["milestone_rows"])) if f.get(f"ms_id_{k}") == mid)
    f[f"ms_due_{i}"] = due
    f["action"] = "save"
    for k, v in extra.items():
        f[k] = v
    return client.post(url, data=f)


def _blob(repo, rev: str, path: str) -> str:
    return repo.read_file(repo.resolve(rev), path).decode("utf-8")


def test_editor_changing_one_milestone_date_changes_one_line(client, repo):
    sign_in(client, "lucie")
    r = _edit_due(client, f"/commitments/{CID}/amend", "asie-amerique-latine", "2016-12", amendment_title="Décaler")
    assert r.status_code == 302, r.get_data(as_text=True)
    head = repo.resolve("refs/heads/amendments/1")
    old, new = _blob(repo, "main", FR), _blob(repo, head, FR)
    assert changed_lines(old, new) == ['-    due: "2016-06"\n', '+    due: "2016-12"\n']
    assert repo.read_file(head, EN) == repo.read_file(repo.resolve("main"), EN)  # the translation untouched
    # the core says which files changed: only this one, one word out and one in
    a = client.get("/api/v1/amendments/1").get_json()
    assert [(d["path"], d["words"]) for d in a["diff"]] == [(FR, {"inserted": 1, "deleted": 1})]


def _propose_crlf(repo) -> None:
    """An amendment whose file has CRLF line endings, as a git push or an import may bring."""
    from review import amendments as am, commitment as core
    crlf = _blob(repo, "main", FR).replace("\n", "\r\n").encode("utf-8")
    lucie = core.read_plan(repo, repo.resolve("main")).people["lucie"]
    a = am.propose(repo, lucie, CID, "Fin de ligne Windows", "", {FR: crlf})
    assert repo.read_file(a.head, FR) == crlf


def test_editor_on_a_crlf_file_keeps_crlf_and_changes_one_line(client, repo):
    _propose_crlf(repo)
    sign_in(client, "lucie")
    page = client.get("/amendments/1/edit")
    assert page.status_code == 200
    before = repo.resolve("refs/heads/amendments/1")
    r = _edit_due(client, "/amendments/1/edit", "ong-premier-euro", "2018", message="Un an de plus")
    assert r.status_code == 302, r.get_data(as_text=True)
    after = repo.resolve("refs/heads/amendments/1")
    old, new = _blob(repo, before, FR), _blob(repo, after, FR)
    assert changed_lines(old, new) == ['-    due: "2016"\r\n', '+    due: "2018"\r\n']
    # the body typed back unchanged in the textarea is no change; a word changed is one line
    r = client.post("/amendments/1/edit", data={**form_fields(client.get("/amendments/1/edit").get_data(as_text=True), "editor"),
                                                "action": "save"})
    assert r.status_code == 400 and repo.resolve("refs/heads/amendments/1") == after
    f = form_fields(client.get("/amendments/1/edit").get_data(as_text=True), "editor")
    f["body_fr"] = f["body_fr"].replace("\r\n", "\n").replace("Publier les données", "Diffuser les données")
    f["action"] = "save"
    assert client.post("/amendments/1/edit", data=f).status_code == 302
    last = _blob(repo, "refs/heads/amendments/1", FR)
    assert len(changed_lines(new, last)) == 2 and last.count("\r\n") == new.count("\r\n")


def test_editor_preview_of_a_crlf_file_works(client, repo):
    _propose_crlf(repo)
    sign_in(client, "lucie")
    f = form_fields(client.get("/amendments/1/edit").get_data(as_text=True), "editor")
    f["body_fr"] = f["body_fr"].replace("Publier les données", "Diffuser les données")
    f["action"] = "preview"
    page = client.post("/amendments/1/edit", data=f).get_data(as_text=True)
    nb = "\u00a0"
    assert (f"Au premier alinéa, le mot{nb}: «{nb}Publier{nb}» est remplacé par le mot{nb}: «{nb}Diffuser{nb}»."
            in page), page


def test_the_core_revise_with_one_date_changed_is_one_line(repo, dep):
    from review import amendments as am, frontmatter
    old = _blob(repo, "main", FR)
    src = frontmatter.split(old)
    new = frontmatter.join(frontmatter.with_fields(src, {"milestones": with_due(milestones(old), "afrique-souverain", "2015-09")}))
    from review import commitment as core
    person = core.read_plan(repo, repo.resolve("main")).people["lucie"]
    a = am.propose(repo, person, CID, "Date", "", {FR: new})
    assert changed_lines(old, _blob(repo, a.head, FR)) == ['-    due: "2015-06"\n', '+    due: "2015-09"\n']


def test_the_amendment_page_says_the_change_in_the_readers_language(client, repo):
    sign_in(client, "lucie")
    assert _edit_due(client, f"/commitments/{CID}/amend", "ong-premier-euro", "2018", amendment_title="Un an").status_code == 302
    nb = "\u00a0"
    html = client.get("/amendments/1").get_data(as_text=True)
    assert (f'<section class="drafting" lang="fr">' in html and
            f"l&#39;échéance{nb}: «{nb}2016{nb}» est remplacée par l&#39;échéance{nb}: «{nb}2018{nb}»." in html)
    client.get("/lang/en")
    html = client.get("/amendments/1").get_data(as_text=True)
    assert ('<section class="drafting" lang="en">' in html and
            "In the header, for milestone “Publish NGO projects from the first euro”, the due date “2016” is "
            "replaced by the due date “2018”." in html)


def test_edit_and_fields_are_the_views_door():
    text = "---\r\ntitle: \"Préface\"  # kept\r\nsection: front\r\n---\r\n\r\nUn.\r\n"
    assert fm.fields(text) == {"title": "Préface", "section": "front"}
    edited = fm.edit(text, {"title": "Avant-propos"})
    lines = changed_lines(text, edited)
    assert len(lines) == 2 and lines[0].startswith('-title: "Préface"') and lines[1].startswith('+title: "Avant-propos"')
    assert "# kept\r\n" in edited  # the comment stays on its line (ruamel keeps its column when it can)
    assert fm.edit(text, {"title": "Préface"}, "Un.\n") == text
    assert fm.edit(text, {}, "Deux.") == text.replace("Un.", "Deux.")
    with pytest.raises(SchemaError, match="must be a mapping"):
        fm.fields("---\n- a\n---\n")


@pytest.mark.parametrize("text, values, old_line, new_line", [
    # indentation ruamel would not write back (3 spaces): the changed values are edited in place
    ("title: T\nleads:\n   - a\nmilestones:\n   - id: x\n     title:\n        fr: \"X\"   # c\n     due: 2016\n",
     {"milestones": [{"id": "x", "title": {"fr": "X"}, "due": "2017"}]}, "     due: 2016", "     due: 2017"),
    ("title:   'l''eau'\nleads:\n   - a\n", {"title": "l'air"}, "title:   'l''eau'", "title:   'l''air'"),
    ("title: T\nms:\n   - {id: x, due: 2016-06}\n", {"ms": [{"id": "x", "due": "2016-09"}]},
     "   - {id: x, due: 2016-06}", "   - {id: x, due: 2016-09}"),
    ("title: T\nms:\n   - id: x\n     title: {fr: \"Un, deux\", en: One}\n",
     {"ms": [{"id": "x", "title": {"fr": "Un, trois", "en": "One"}}]},
     '     title: {fr: "Un, deux", en: One}', '     title: {fr: "Un, trois", en: One}'),
])
def test_a_file_in_another_layout_has_its_changed_values_edited_in_place(text, values, old_line, new_line):
    assert changed_lines(text, fm.update(text, values)) == [f"-{old_line}\n", f"+{new_line}\n"]


def test_a_structural_change_in_another_layout_is_still_right():
    text = "title: T\nleads:\n   - a\n"
    from review.model import load_yaml
    assert load_yaml(fm.update(text, {"leads": ["a", "b"]}), "x") == {"title": "T", "leads": ["a", "b"]}
    text = "title: T\nms:\n   - id: x\n     title: {fr: Un, en: One}\n"  # a plain word that needs quotes in flow
    assert load_yaml(fm.update(text, {"ms": [{"id": "x", "title": {"fr": "Un, trois", "en": "One"}}]}), "x") == {
        "title": "T", "ms": [{"id": "x", "title": {"fr": "Un, trois", "en": "One"}}]}
