"""The format's pages, images and sub-commitments (docs/format.md), checked by the schema of `review init`."""

from __future__ import annotations

import pytest

from review import commitment as core
from review import model, pages
from review.deployment import read_plan_dir
from review.model import SchemaError

from .conftest import PLAN_REPO

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


@pytest.fixture
def files():
    return read_plan_dir(PLAN_REPO)


def _problems(files) -> list[str]:
    with pytest.raises(SchemaError) as exc:
        core.validate_files(files)
    return exc.value.problems


def test_pages_and_images_are_part_of_a_plan(files):
    files["pages/preface/fr.md"] = "---\ntitle: Préface\nposition: 10\n---\n\nTexte.\n".encode()
    files["pages/preface/en.md"] = b"---\ntitle: Foreword\n---\n\nText.\n"
    files["pages/rendre-des-comptes/fr.md"] = b"---\ntitle: Rendre des comptes\naxis: rendre-des-comptes\n---\n\nIntro.\n"
    files["pages/glossaire/fr.md"] = b"---\ntitle: Glossaire\nsection: back\nglossary: true\n---\n\n## API\n\nUne interface.\n"
    files["assets/cover.png"] = PNG
    files["plan.yaml"] += b"cover: {fr: assets/cover.png}\n"
    plan, _ = core.validate_files(files)
    assert plan.cover == {"fr": "assets/cover.png"}
    ps = [pages.parse_files(s, files, plan) for s in ("preface", "rendre-des-comptes", "glossaire")]
    assert ps[0].titles == {"fr": "Préface", "en": "Foreword"} and ps[1].axis == "rendre-des-comptes"
    book = pages.book(plan, [], ps)
    assert [e.id for e in book] == ["preface", "rendre-des-comptes", "glossaire"]


@pytest.mark.parametrize("path, data, problem", [
    ("pages/Preface/fr.md", b"---\ntitle: P\n---\n", "pages/Preface/fr.md:1: not part of a plan: a page is"),
    ("pages/preface/de.md", b"---\ntitle: P\n---\n", "not part of a plan: a page is"),
    ("pages/preface/en.md", b"---\ntitle: P\n---\n", "pages/preface/fr.md:1: missing: every page needs its French file"),
    ("pages/preface/fr.md", b"---\ntitle: P\nsection: middle\n---\n", "section must be one of front, back"),
    ("pages/preface/fr.md", b"---\ntitle: P\naxis: nowhere\n---\n", "axis 'nowhere' is not one of plan.yaml's axes"),
    ("pages/preface/fr.md", b"---\ntitle: P\ntheme: x\n---\n", "a page that introduces a theme names its axis too"),
    ("pages/preface/fr.md", b"---\ntitle: P\nauthor: me\n---\n", "unknown key 'author'"),
    ("assets/photo.png", b"GIF89a...", "assets/photo.png:1: the file is not a .png image"),
    ("assets/Photo.PNG", PNG, "an image is assets/<name> with a lowercase name"),
    ("assets/x.svg", b"<svg/>", "an image is assets/<name>"),
    ("notes.txt", b"x", "notes.txt:1: not part of a plan"),
])
def test_a_malformed_page_or_image_is_refused_with_its_path_and_line(files, path, data, problem):
    files[path] = data
    assert any(problem in p for p in _problems(files)), _problems(files)


def test_a_cover_must_be_an_image_of_the_plan(files):
    files["plan.yaml"] += b"cover: {fr: assets/cover.png}\n"
    assert "plan.yaml:1: cover.fr names assets/cover.png, which is not in the plan" in _problems(files)
    files["plan.yaml"] = files["plan.yaml"].replace(b"assets/cover.png", b"cover.png")
    assert any("cover.fr 'cover.png' must name an image under assets/" in p for p in _problems(files))


def test_parts_have_their_own_leads_counted_among_the_commitments(files):
    path = "commitments/engagement-02/fr.md"
    text = files[path].decode()
    plan = model.parse_plan(files["plan.yaml"])
    c = model.parse_commitment("engagement-02", text, plan)
    other = next(o for o in plan.organisations.values() if o.kind == "administration" and o.id not in c.leads)
    civil = next(o for o in plan.organisations.values() if o.kind == "civil-society")
    head, rest = text.split("\n---\n", 1)
    with_parts = (head + f"\nparts:\n  - title: {{fr: Première partie, en: First part}}\n    leads: [{other.id}]\n"
                  f"  - title: {{fr: Seconde partie}}\n    leads: [{c.leads[0]}]\n---\n" + rest)
    p = model.parse_commitment("engagement-02", with_parts, plan)
    assert [x.title for x in p.parts] == [{"fr": "Première partie", "en": "First part"}, {"fr": "Seconde partie"}]
    assert p.leads == c.leads + (other.id,)
    bad = with_parts.replace(f"leads: [{other.id}]", f"leads: [{civil.id}]")
    with pytest.raises(SchemaError, match=f"lead '{civil.id}' is a civil-society organisation"):
        model.parse_commitment("engagement-02", bad, plan)
    with pytest.raises(SchemaError, match="parts.0.leads must name at least one organisation"):
        model.parse_commitment("engagement-02", with_parts.replace(f"leads: [{other.id}]", "leads: []"), plan)
