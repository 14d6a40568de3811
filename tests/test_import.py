"""review import: GitBook repositories built with git in a temporary folder (tests/gitbook_builder.py),
a repository in our own format, a Markdown folder, and the French corpus of the real plan."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from review import amendments as am
from review import cli, deployment, model, pages, signoff
from review import commitment as core
from review import verify
from review.gitrepo import GitRepo, Identity
from review.importer import ImportFailed, run
from review.trailers import IMPORTED_FROM, SOURCE_COMMIT
from review.trailers import values as trailers
from review.importer.text import words

from .gitbook_builder import AUTHORS, INSTITUTIONS, GitBookRepo, book_files, build, git

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "fr-ogp-2015"


def _front(data: bytes) -> tuple[dict, str]:
    fm, body, _ = model.split_front_matter(data.decode(), "x")
    return yaml.safe_load(fm), body


def _source_words(text: str, commitment: bool) -> list[str]:
    lines = text.split("\n")
    if commitment:  # the '# Engagement N' heading becomes the number in the front matter
        lines = [l for l in lines if not re.match(r"^#\s+(Engagement|Commitment)\s+\d+\s*$", l)]
    return words("\n".join(lines))


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    base = tmp_path_factory.mktemp("import")
    src = build(base / "gitbook", n_commits=7, n_commitments=6)
    report = run(base / "gitbook", base / "dep")
    return src, report, base / "dep", GitRepo(base / "dep" / "plan.git")


def test_every_word_of_every_commitment_and_page_in_both_languages(imported):
    src, report, _, repo = imported
    assert report.ok, report.invalid
    tip = src.commits[-1]["files"]
    main = repo.resolve("main")
    compared = 0
    for source_path, plan_path in report.mapping:
        data = repo.read_file(main, plan_path)
        assert data is not None, plan_path
        front, body = _front(data)
        text = tip[source_path].decode()
        out = words(body) if "/glossaire/" in plan_path else words(front["title"]) + words(body)
        assert out == _source_words(text, plan_path.startswith("commitments/")), source_path
        compared += 1
    assert compared == 2 * (6 + 10)   # 6 commitments and 10 pages, French and English


def test_history_keeps_authors_dates_messages_and_source_ids(imported):
    src, report, _, repo = imported
    line = list(repo.first_parent_log(repo.resolve("main")))[::-1]
    adoption, history = line[-1], line[:-1]
    assert trailers(adoption.message)[IMPORTED_FROM] == src.commits[-1]["id"]
    by_id = {c["id"]: c for c in src.commits}
    imported_ids = [s.source for s in report.states if s.imported]
    assert [trailers(c.message)[SOURCE_COMMIT] for c in history] == imported_ids
    skipped = [s for s in report.states if not s.imported]
    assert any(s.why == "no French book in this state" and s.summary == "Premier commit vide" for s in skipped)
    assert any(s.why == "changes nothing imported" and s.summary == "Configurer GitBook" for s in skipped)
    for c in history:
        s = by_id[trailers(c.message)[SOURCE_COMMIT]]
        author, committer = repo.stamps(c.id)
        assert (author.name, author.email) == s["author"]
        assert author.when == s["when"] and author.offset == 120
        assert (committer.name, committer.email) == ("GitBook", "bot@gitbook.example")
        assert c.message.startswith(s["message"])
        assert trailers(c.message)["Source-Repository"] == str(src.root)
    # in the same order as the source: dates never go backwards
    assert [c.time for c in history] == sorted(c.time for c in history)
    # git itself agrees
    out = git(Path(repo.path), "log", "--format=%an|%aI", "main")
    assert f"{AUTHORS[2][0]}|2015-06-" in out


def test_organisations_are_mapped_once_for_the_whole_history(imported):
    _, report, dep, repo = imported
    line = list(repo.first_parent_log(repo.resolve("main")))[::-1]
    plans = [core.read_plan(repo, c.id) for c in line]
    # the late typographic fix ("Ministère de l’Intérieur ;" -> "Ministère de l'Intérieur") made no new organisation
    assert all(set(p.organisations) == set(plans[-1].organisations) for p in plans)
    assert len(plans[-1].organisations) == len(INSTITUTIONS)
    first, last = line[0].id, line[-2].id
    ids = lambda commit: {c.id: core.read_commitment(repo, commit, c.id).leads for c in core.list_commitments(repo, commit)}
    before, after = ids(first), ids(last)
    assert all(before[c] == after[c] for c in before)
    assert plans[-1].organisations["ministere-de-l-interieur"].name == {"fr": "Ministère de l'Intérieur",
                                                                          "en": "Ministry of the Interior"}
    written = yaml.safe_load((dep / "instance" / "import-orgs.yaml").read_text())
    assert {o["id"] for o in written["organisations"]} == set(plans[-1].organisations)


def test_sub_commitments_are_parts_whose_leads_count_among_the_commitments(imported):
    _, _, _, repo = imported
    c = core.read_commitment(repo, repo.resolve("main"), "engagement-01")
    assert len(c.parts) == 2
    assert c.parts[0].title == {"fr": "Sous-engagement A 1", "en": "Sub-commitment A 1"}
    assert all(o in c.leads for p in c.parts for o in p.leads)
    assert set(c.leads) == {o for p in c.parts for o in p.leads}
    # sign-off: a lead of a part is a lead of the commitment
    scopes = signoff.scopes_for(core.read_plan(repo, repo.resolve("main")), ["engagement-01"],
                                lambda cid: core.read_commitment(repo, repo.resolve("main"), cid).leads)
    assert set(scopes[0].leads) == set(c.leads)


def test_pages_glossary_images_cover_and_links(imported):
    _, _, _, repo = imported
    main = repo.resolve("main")
    plan = core.read_plan(repo, main)
    ps = {p.slug: p for p in pages.list_pages(repo, main)}
    assert {"accueil", "preface", "introduction", "methodologie", "glossaire"} <= set(ps)
    assert ps["preface"].titles == {"fr": "Préface", "en": "Foreword"}
    assert ps["glossaire"].glossary and ps["glossaire"].section == "back"
    assert ps["axe-1-rendre-des-comptes"].axis == "axe-1-rendre-des-comptes"
    assert ps["theme-a-transparence"].theme == "theme-a-transparence"
    # images: every one kept under assets/, linked from the text, the cover named in plan.yaml
    assert "![atelier](/assets/" in ps["methodologie"].body
    name = re.search(r"/assets/([^)]+)\)", ps["methodologie"].body).group(1)
    data, kind = pages.read_asset(repo, main, name)
    assert data.startswith(b"\x89PNG") and kind == "image/png"
    assert set(plan.cover) == {"fr", "en"} and all(repo.read_file(main, c) for c in plan.cover.values())
    # links between the book's pages point at the pages here, in both languages
    c = core.read_commitment(repo, main, "engagement-02")
    assert "(/pages/methodologie)" in c.body and "(/pages/introduction)" in c.body
    assert "(/pages/methodologie)" in c.bodies["en"]
    assert "(/commitments/engagement-01)" in ps["introduction"].body
    # hard-wrapped paragraphs are one line each; the footnote without its colon is repaired
    assert re.search(r"version \d+ sur trois lignes\[\^1\] et une adresse www\.etalab\.gouv\.fr sans lien\.\n", c.body)
    assert "\n[^1]: http://www.example.org/fr/2" in c.body
    from review import render
    html = render.render_markdown(c.body)
    assert 'class="footnote-ref"' in html
    assert '<a href="http://www.etalab.gouv.fr">www.etalab.gouv.fr</a>' in html   # a bare URL became a link
    # the reading order: front pages, each axis (introduction, themes, commitments), back pages
    _, book = pages.read_book(repo, main)
    order = [e.id for e in book]
    assert order[:3] == ["accueil", "preface", "introduction"] and order[-2:] == ["methodologie", "glossaire"]
    assert order.index("theme-a-transparence") < order.index("engagement-01") < order.index("theme-b-transparence")
    prev, nxt = pages.neighbours(book, "commitment", "engagement-01")
    assert prev.id == "theme-a-transparence"


def test_verify_knows_the_imported_segment(imported, tmp_path):
    _, report, dep, repo = imported
    r = verify.verify(dep / "plan.git")
    assert r.clean, r.text()
    n = sum(1 for s in report.states if s.imported)
    assert r.counts["imported"] == n
    assert "imported, not reviewed here" in r.text()
    # a copy whose imported history lost a Source-Commit trailer is caught
    bad = tmp_path / "bad.git"
    shutil.copytree(dep / "plan.git", bad)
    b = GitRepo(bad)
    line = list(b.first_parent_log(b.resolve("main")))[::-1]
    parent = None
    for i, c in enumerate(line):
        author, committer = b.stamps(c.id)
        msg = c.message if i != 1 else c.message.split(f"\n\n{SOURCE_COMMIT}")[0] + "\n"
        parent = b.create_commit_stamped(c.tree_id, [parent] if parent else [], author, committer, msg)
    b.update_ref("refs/heads/main", parent, b.resolve("main"))
    r = verify.verify(bad)
    assert [v.code for v in r.violations] == ["imported-without-source"] + [
        v.code for v in r.violations[1:] if v.rule == 8]
    # and a commit made after the adoption is still not a merge of an amendment
    c = b.create_commit(b.commit_info(parent).tree_id, [parent], Identity("x", "x@example.org"),
                        f"Sneak\n\n{SOURCE_COMMIT}: abc\n")
    b.update_ref("refs/heads/main", c, parent)
    assert "not-a-merge" in [v.code for v in verify.verify(bad).violations]


def test_a_page_is_amended_with_the_plan_level_policy(imported):
    _, _, _, repo = imported
    assert am.targets_of(["pages/preface/fr.md"]) == [am.PLAN_TARGET]
    assert am.targets_of(["assets/x.png", "commitments/engagement-01/fr.md"]) == [am.PLAN_TARGET, "engagement-01"]
    main = repo.resolve("main")
    text = repo.read_file(main, "pages/preface/fr.md").decode() + "\nUne phrase de plus.\n"
    am.validate_change(repo, main, am._normalise_files({"pages/preface/fr.md": text}))
    with pytest.raises(am.Invalid, match="outside the plan"):
        am._normalise_files({"pages/Preface/fr.md": "x"})
    with pytest.raises(am.Invalid, match="not a .png image"):
        am.validate_change(repo, main, am._normalise_files({"assets/new.png": "not an image"}))
    with pytest.raises(am.Invalid, match="theme"):
        am.validate_change(repo, main, {"pages/preface/fr.md": b"---\ntitle: P\ntheme: nope\n---\nx\n"})


def test_dry_run_writes_nothing_and_existing_dir_is_refused(tmp_path, capsys):
    build(tmp_path / "src", n_commits=4, n_commitments=2)
    assert cli.main(["import", str(tmp_path / "src"), str(tmp_path / "dep"), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert not (tmp_path / "dep").exists()
    assert "found: languages fr, en; 3 axes, 2 themes, 2 commitments" in out
    assert re.search(r"fr/\S+engagement-1\.md:\d+: footnote \[\^1\] had no colon", out)
    assert "Organisation map (proposed" in out and "Dry run: nothing was written." in out
    (tmp_path / "dep").mkdir()
    assert cli.main(["import", str(tmp_path / "src"), str(tmp_path / "dep")]) == 1
    assert "exists" in capsys.readouterr().err


def test_an_edited_map_is_used_and_a_name_missing_from_it_stops_everything(tmp_path, capsys):
    build(tmp_path / "src", n_commits=4, n_commitments=3)
    run(tmp_path / "src", tmp_path / "first")
    m = yaml.safe_load((tmp_path / "first" / "instance" / "import-orgs.yaml").read_text())
    for o in m["organisations"]:
        if o["id"] == "premier-ministre":
            o["id"], o["name"]["fr"] = "pm", "Premier ministre (Matignon)"
    m["people"] = [{"handle": "claire", "name": "Claire", "organisation": "pm", "roles": ["member", "coordinator"]}]
    edited = tmp_path / "orgs.yaml"
    edited.write_text(yaml.safe_dump(m, allow_unicode=True))
    report = run(tmp_path / "src", tmp_path / "second", str(edited))
    assert report.ok
    repo = GitRepo(tmp_path / "second" / "plan.git")
    plan = core.read_plan(repo, repo.resolve("main"))
    assert plan.organisations["pm"].name["fr"] == "Premier ministre (Matignon)" and "claire" in plan.people
    m["organisations"] = [o for o in m["organisations"] if o["id"] != "cour-des-comptes"]
    m["people"] = []
    edited.write_text(yaml.safe_dump(m, allow_unicode=True))
    assert cli.main(["import", str(tmp_path / "src"), str(tmp_path / "third"), "--orgs", str(edited)]) == 1
    out = capsys.readouterr()
    assert "'Cour des comptes' is not in the organisation map" in out.out and not (tmp_path / "third").exists()


def test_a_repository_in_our_format_keeps_its_history(tmp_path):
    d, _ = deployment.init(tmp_path / "orig")
    report = run(d.repo_path, tmp_path / "copy")
    assert report.ok and report.kind == "plan"
    repo = GitRepo(tmp_path / "copy" / "plan.git")
    src = GitRepo(d.repo_path)
    assert repo.tree_files(repo.resolve("main")) == src.tree_files(src.resolve("main"))
    assert verify.verify(tmp_path / "copy" / "plan.git").clean


def test_a_folder_of_markdown_is_one_commit(tmp_path):
    folder = tmp_path / "md"
    (folder / "axe-climat").mkdir(parents=True)
    (folder / "README.md").write_text("# Notre plan\n\nUn plan\nen deux lignes.\n")
    (folder / "axe-climat" / "README.md").write_text("# Climat\n\nL'axe du climat.\n")
    (folder / "axe-climat" / "engagement-1.md").write_text(
        "# Engagement 1\n\n## Agir pour le climat\n\n**Institution porteuse** :\n- Ministère de l'Écologie\n\n"
        "### Enjeux\n\nVoir http://www.ecologie.gouv.fr\n")
    report = run(folder, tmp_path / "dep")
    assert report.ok, report.invalid
    repo = GitRepo(tmp_path / "dep" / "plan.git")
    assert len(list(repo.first_parent_log(repo.resolve("main")))) == 2
    c = core.read_commitment(repo, repo.resolve("main"), "engagement-01")
    assert c.title == "Agir pour le climat" and c.axis == "axe-climat" and c.leads == ("ministere-de-l-ecologie",)
    assert verify.verify(tmp_path / "dep" / "plan.git").clean


def test_the_french_corpus_as_one_state_of_a_gitbook(tmp_path):
    if not CORPUS.is_dir():
        pytest.skip(f"the corpus of the real plan is not at {CORPUS} (shared data, read at run time)")
    src = GitBookRepo(tmp_path / "src")
    files = {p.relative_to(CORPUS).as_posix(): p.read_bytes() for p in CORPUS.rglob("*") if p.is_file()}
    import datetime as dt
    src.commit(files, "Version du 3 octobre 2015", AUTHORS[0], dt.datetime(2015, 10, 3, 12, tzinfo=dt.timezone.utc))
    report = run(tmp_path / "src", tmp_path / "dep")
    assert report.ok, report.invalid
    assert report.found["commitments"] == 26 and report.found["axes"] == 5 and report.found["parts"] >= 5
    repo = GitRepo(tmp_path / "dep" / "plan.git")
    main = repo.resolve("main")
    for source_path, plan_path in report.mapping:
        front, body = _front(repo.read_file(main, plan_path))
        out = words(body) if "/glossaire/" in plan_path else words(front["title"]) + words(body)
        assert out == _source_words(files[source_path].decode(), plan_path.startswith("commitments/")), source_path
    assert any("footnote [^2] had no colon" in p for s in report.states for p in s.problems)
    c = core.read_commitment(repo, main, "engagement-12")
    assert "(/pages/methodologie)" in c.body
    assert verify.verify(tmp_path / "dep" / "plan.git").clean


# -- the imported plan on the web ----------------------------------------------------------

@pytest.fixture(scope="module")
def web(imported):
    from review.web import create_app
    _, _, dep, _ = imported
    return create_app(dep, {"TESTING": True}).test_client()


def _get(web, url: str, lang: str = "fr") -> str:
    web.get(f"/lang/{lang}")
    resp = web.get(url)
    assert resp.status_code == 200, (url, resp.status_code)
    return resp.get_data(as_text=True)


def test_the_plan_reads_by_axis_and_theme_with_pages_and_cover(web, imported):
    html = _get(web, "/")
    assert html.index("Préface") < html.index("Axe 1 : rendre des comptes") < html.index("Thème A de l&#39;axe 1")
    assert html.index("Thème A de l&#39;axe 1") < html.index("Titre de l’engagement 1") < html.index("Thème B de l&#39;axe 1")
    assert 'href="/pages/glossaire"' in html and 'href="/pages/axe-1-rendre-des-comptes"' in html
    assert 'class="cover" src="/assets/' in html
    en = _get(web, "/", "en")
    assert "Theme A of axis 1" in en and "Foreword" in en


def test_commitment_page_has_theme_parts_and_reading_order(web):
    html = _get(web, "/commitments/engagement-01")
    assert re.search(r'class="theme-title"><a href="/axes/[a-z0-9-]+/themes/[a-z0-9-]+">Thème A de l&#39;axe 1</a>', html)
    assert "Sous-engagements" in html and "Sous-engagement A 1" in html
    assert 'rel="prev" href="/pages/theme-a-transparence"' in html and 'rel="next"' in html
    assert '<a href="http://www.data.gouv.fr/">' in html            # linkify
    assert 'href="/pages/methodologie"' in html


def test_pages_images_and_glossary(web):
    html = _get(web, "/pages/glossaire", "en")
    assert "Glossary" in html and "Programming interface" in html
    html = _get(web, "/pages/methodologie")
    src = re.search(r'<img src="(/assets/[^"]+)"', html).group(1)
    resp = web.get(src)
    assert resp.status_code == 200 and resp.mimetype == "image/png" and resp.data.startswith(b"\x89PNG")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert web.get("/assets/nothing.png").status_code == 404 and web.get("/pages/nothing").status_code == 404
    html = _get(web, "/pages/theme-a-transparence")
    assert 'href="/commitments/engagement-01"' in html


def test_history_and_blame_label_imported_history(web):
    html = _get(web, "/commitments/engagement-01/history")
    assert html.count("Historique importé, non relu ici") >= 2 and "Corriger la typographie" in html
    html = _get(web, "/commitments/engagement-01/blame")
    assert "Historique importé, non relu ici" in html and "Henri Verdier" in html
    assert "Historique importé, non relu ici" in _get(web, "/history")


def test_a_page_is_amended_in_the_editor_and_signed_off_by_the_plan_policy(tmp_path):
    from review import accounts
    from review.web import create_app
    build(tmp_path / "src", n_commits=4, n_commitments=2)
    run(tmp_path / "src", tmp_path / "first")
    m = yaml.safe_load((tmp_path / "first" / "instance" / "import-orgs.yaml").read_text())
    m["people"] = [{"handle": "claire", "name": "Claire Martin", "organisation": "premier-ministre",
                    "roles": ["member", "coordinator"]}]
    (tmp_path / "orgs.yaml").write_text(yaml.safe_dump(m, allow_unicode=True))
    assert run(tmp_path / "src", tmp_path / "dep", str(tmp_path / "orgs.yaml")).ok
    d = deployment.Deployment.open(tmp_path / "dep")
    accounts.Accounts(d).add("claire", "a long password for claire")
    client = create_app(tmp_path / "dep", {"TESTING": True}).test_client()
    csrf = lambda html: re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    html = client.get("/signin").get_data(as_text=True)
    client.post("/signin", data={"handle": "claire", "password": "a long password for claire",
                                 "csrf_token": re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)})
    html = client.get("/pages/preface/amend").get_data(as_text=True)
    assert 'name="file" value="pages/preface"' in html
    field = lambda name: re.search(rf'<textarea id="{name}" name="{name}"[^>]*>([^<]*)</textarea>', html).group(1).replace("&#39;", "'")
    body, body_en = field("body_fr"), field("body_en")
    resp = client.post("/pages/preface/amend", data={
        "csrf_token": csrf(html), "amendment_title": "Compléter la préface", "rationale": "Plus clair.",
        "title_fr": "Préface", "title_en": "Foreword", "body_fr": body + "\nUne phrase de plus.",
        "body_en": body_en})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    n = int(resp.headers["Location"].rsplit("/", 1)[1])
    repo = GitRepo(tmp_path / "dep" / "plan.git")
    a = am.get(repo, n)
    assert [ch.path for ch in repo.diff(repo.resolve("main"), a.head)] == ["pages/preface/fr.md"]
    assert am.touched(repo, a)[1] == [am.PLAN_TARGET]
    assert signoff.evaluate(repo, a).targets == [am.PLAN_TARGET]
    # revise it: ?file= takes pages/<slug>; anything else outside the plan is not found
    html = client.get(f"/amendments/{n}/edit?file=pages/preface").get_data(as_text=True)
    assert "Une phrase de plus." in html
    assert client.get(f"/amendments/{n}/edit?file=README.md").status_code == 404
    assert client.get(f"/amendments/{n}/edit?file=pages/nothing").status_code == 404


def test_a_pushed_commit_may_add_an_image_or_change_a_page_and_nothing_else(imported, tmp_path):
    from review import hooks
    from review.errors import ReviewError
    _, _, dep, _ = imported
    shutil.copytree(dep / "plan.git", tmp_path / "p.git")
    repo = GitRepo(tmp_path / "p.git")
    main = repo.resolve("main")
    who = Identity("Claire", "claire@review.invalid")

    def pushed(changes):
        return repo.commit_info(repo.create_commit(repo.write_tree(main, changes), [main], who, "Change\n"))

    hooks.check_commit(repo, pushed({"assets/schema.png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 20}), main)
    text = repo.read_file(main, "pages/glossaire/en.md") + b"\n## Open government\n\nA way to govern.\n"
    hooks.check_commit(repo, pushed({"pages/glossaire/en.md": text}), main)
    for bad in ({"notes/idea.md": b"x"}, {"assets/schema.png": b"GIF89a"}, {"pages/new-page/en.md": b"---\ntitle: X\n---\n"}):
        with pytest.raises(ReviewError):
            hooks.check_commit(repo, pushed(bad), main)
