"""Issue 17, point 5: each axis and each theme has a page (introduction, commitments, progress)."""

from __future__ import annotations

import pytest

from review import axes, pages, progress
from review import commitment as core


def test_an_axis_lists_its_themes_and_commitments_in_plan_order(repo):
    main = repo.resolve("main")
    sec = axes.section(repo, main, "rendre-des-comptes")
    assert sec.theme is None and sec.intro is None
    assert [t for t, _, _ in sec.themes] == ["transparence-depense-et-comptes-publics", "evaluation-publique",
                                           "transparence-responsables-publics", "transparence-vie-economique"]
    ids = [it.summary.id for it in sec.items]
    book = [e.id for e in pages.read_book(repo, main)[1]
            if e.kind == "commitment" and e.axis == "rendre-des-comptes"]
    assert ids == book and sum(n for _, _, n in sec.themes) <= len(ids)
    assert sec.title_in("en") == "Ensure accountability"


def test_a_theme_has_its_commitments_and_their_progress(repo):
    main = repo.resolve("main")
    people = core.read_plan(repo, main).people
    sec = axes.section(repo, main, "rendre-des-comptes", "evaluation-publique")
    assert "engagement-04" in [it.summary.id for it in sec.items]
    assert all(it.summary.theme == "evaluation-publique" for it in sec.items)
    assert sec.themes == [] and sec.title_in("fr") == "Ouvrir l'évaluation publique"
    before = sec.levels()["complete"]
    c = core.read_commitment(repo, main, "engagement-04")
    progress.report(repo, people["antoine"], "engagement-04", "complete", "", milestone=c.milestones[0].id)
    progress.report(repo, people["antoine"], "engagement-04", "limited", "")
    sec = axes.section(repo, main, "rendre-des-comptes", "evaluation-publique")
    it = next(i for i in sec.items if i.summary.id == "engagement-04")
    assert it.level == "limited" and it.complete == 1 and it.reports == 2
    assert sec.levels()["complete"] == before + 1


@pytest.mark.parametrize("axis, theme", [("nope", None), ("rendre-des-comptes", "nope"),
                                         ("climat", "evaluation-publique")])
def test_unknown_axes_and_themes_are_not_found(repo, axis, theme):
    with pytest.raises(core.NotFound):
        axes.section(repo, repo.resolve("main"), axis, theme)


def test_pages_link_axes_and_themes_both_ways(client):
    html = client.get("/").get_data(as_text=True)
    assert 'href="/axes/rendre-des-comptes"' in html
    assert 'href="/axes/rendre-des-comptes/themes/evaluation-publique"' in html
    html = client.get("/commitments/engagement-04").get_data(as_text=True)
    assert 'href="/axes/rendre-des-comptes/themes/evaluation-publique"' in html
    html = client.get("/axes/rendre-des-comptes/themes/evaluation-publique").get_data(as_text=True)
    assert "Ouvrir l&#39;évaluation publique" in html and 'href="/commitments/engagement-04"' in html
    assert client.get("/axes/nope").status_code == 404
    assert client.get("/axes/climat/themes/evaluation-publique").status_code == 404
    html = client.get("/axes/rendre-des-comptes?rev=main").get_data(as_text=True)
    assert "Thèmes" in html and 'href="/axes/rendre-des-comptes/themes/evaluation-publique?rev=main"' in html
