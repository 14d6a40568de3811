"""Pages of the plan outside the commitments, and its images (docs/format.md, pages).

`pages/<slug>/fr.md` (front matter: title, section, position, and `axis`/`theme` for an
axis or theme introduction, `glossary: true` for the glossary) and `pages/<slug>/en.md`
(title); `assets/<name>` holds the images the texts show. Pages are amended and signed off
like plan.yaml, by the plan-level policy. This module reads them at any revision (cached
by blob ids) and gives the reading order of the book: front pages, then each axis with its
introduction, its themes (introduction, commitments) and its commitments without a theme,
then the back pages.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import commitment as core
from . import model
from .gitrepo import GitRepo
from .lru import LRU, MB, sized
from .model import Page, Plan, SchemaError

_pages = LRU(4096, 4 * MB, sized)

_MAGIC = {"png": (b"\x89PNG\r\n\x1a\n",), "jpg": (b"\xff\xd8\xff",), "jpeg": (b"\xff\xd8\xff",),
          "gif": (b"GIF87a", b"GIF89a"), "webp": (b"RIFF",)}


def asset_problem(path: str, data: bytes) -> str | None:
    """Why `path` cannot be an image of the plan (`path:1: ...`), or None."""
    m = model.ASSET_RE.match(path)
    if m is None:
        return (f"{path}:1: not part of a plan: an image is assets/<name> with a lowercase name "
                "ending .png, .jpg, .jpeg, .gif or .webp")
    if len(data) > model.MAX_ASSET_BYTES:
        return f"{path}:1: the image is {len(data)} bytes; the limit is {model.MAX_ASSET_BYTES} bytes"
    ext = path.rsplit(".", 1)[1]
    if not any(data.startswith(magic) for magic in _MAGIC[ext]):
        return f"{path}:1: the file is not a .{ext} image (its first bytes say otherwise)"
    return None


def content_type(name: str) -> str:
    return model.ASSET_TYPES.get(name.rsplit(".", 1)[-1], "application/octet-stream")


def parse_files(slug: str, files: dict[str, bytes], plan: Plan) -> Page:
    """A page from a tree given as path -> bytes; raises SchemaError."""
    fr = files.get(model.page_path(slug))
    if fr is None:
        raise SchemaError([f"{model.page_path(slug)}:1: missing: every page needs its French file"])
    translations = {lang: files[model.page_path(slug, lang)] for lang in model.LANGUAGES
                    if lang != model.AUTHORITATIVE and model.page_path(slug, lang) in files}
    return model.parse_page(slug, fr, plan, translations=translations)


def page_slugs(repo: GitRepo, commit: str) -> list[str]:
    return [name for name, kind in repo.list_dir(commit, model.PAGES_DIR)
            if kind == "tree" and model.valid_id(name)]


def read_page(repo: GitRepo, commit: str, slug: str) -> Page:
    if not model.valid_id(slug):
        raise core.NotFound("notfound.page", slug=repr(slug))
    fr = repo.blob_id(commit, model.page_path(slug))
    if fr is None:
        raise core.NotFound("notfound.page_at", slug=repr(slug))
    en = repo.blob_id(commit, model.page_path(slug, "en"))
    plan = core.read_plan(repo, commit)
    key = (slug, fr, en, core.plan_blob_id(repo, commit))
    page = _pages.get(key)
    if page is None:
        translations = {"en": repo.read_blob(en)} if en else {}
        page = _pages.put(key, model.parse_page(slug, repo.read_blob(fr), plan, translations=translations))
    return page


def list_pages(repo: GitRepo, commit: str) -> list[Page]:
    """Every page at a revision, in reading order within its section; an unreadable page is left out."""
    out = []
    for slug in page_slugs(repo, commit):
        try:
            out.append(read_page(repo, commit, slug))
        except (core.NotFound, SchemaError):
            continue
    out.sort(key=lambda p: (model.SECTIONS.index(p.section), p.position, p.slug))
    return out


def read_asset(repo: GitRepo, commit: str, name: str) -> tuple[bytes, str]:
    path = f"{model.ASSETS_DIR}/{name}"
    data = repo.read_file(commit, path) if model.ASSET_RE.match(path) else None
    if data is None:
        raise core.NotFound("notfound.image_at", name=repr(name))
    return data, content_type(name)


def glossary(pages: list[Page]) -> Page | None:
    return next((p for p in pages if p.glossary), None)


@dataclass(frozen=True)
class Entry:
    """One stop of the reading order: kind 'page' or 'commitment', its id, its title per language."""

    kind: str
    id: str
    titles: dict
    axis: str | None = None
    theme: str | None = None

    def title_in(self, lang: str) -> str:
        return self.titles.get(lang) or self.titles.get(model.AUTHORITATIVE, self.id)


def _page_entry(p: Page) -> Entry:
    return Entry("page", p.slug, p.titles, p.axis, p.theme)


def book(plan: Plan, commitments, pages: list[Page]) -> list[Entry]:
    """The reading order of the whole plan, like the book's table of contents."""
    intro = {(p.axis, p.theme): p for p in pages if p.axis}
    out = [_page_entry(p) for p in pages if not p.axis and p.section == "front"]
    for axis in plan.axes:
        if (axis.id, None) in intro:
            out.append(_page_entry(intro[(axis.id, None)]))
        of_axis = [c for c in commitments if c.axis == axis.id]
        for theme in axis.themes:
            if (axis.id, theme) in intro:
                out.append(_page_entry(intro[(axis.id, theme)]))
            out += [Entry("commitment", c.id, c.titles, c.axis, c.theme) for c in of_axis if c.theme == theme]
        out += [Entry("commitment", c.id, c.titles, c.axis, c.theme) for c in of_axis
                if c.theme is None or c.theme not in axis.themes]
    out += [_page_entry(p) for p in pages if not p.axis and p.section == "back"]
    return out


def neighbours(entries: list[Entry], kind: str, ident: str) -> tuple[Entry | None, Entry | None]:
    """(previous, next) of an entry in the reading order."""
    for i, e in enumerate(entries):
        if e.kind == kind and e.id == ident:
            return (entries[i - 1] if i else None), (entries[i + 1] if i + 1 < len(entries) else None)
    return None, None


def read_book(repo: GitRepo, commit: str) -> tuple[list[Page], list[Entry]]:
    pages = list_pages(repo, commit)
    return pages, book(core.read_plan(repo, commit), core.list_commitments(repo, commit), pages)
