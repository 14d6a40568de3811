"""The plan at one revision as a book: a static site, a PDF and an EPUB 3 per language.

`review publish DIR --rev REV --out FOLDER` and the downloads of /versions call `publish` and
its parts. Everything is read once from git (`gather`), rendered with Jinja2 templates of
`review/publish_templates/` and the Markdown of `review.render`. Nothing here is Flask.

Links between texts use the site's paths (`/commitments/<id>`, `/pages/<slug>`,
`/assets/<name>`, docs/format.md); each output rewrites them to its own files, and any
other site path to the live site (`base_url`) or to plain text when there is none. The PDF
renderer fetches nothing from the network: only the plan's own images, passed inline.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
import re
import shutil
import tempfile
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from . import commitment as core
from . import model, pages, render
from .gitrepo import GitRepo
from .model import Commitment, Page, Plan

FORMATS = ("site", "pdf", "epub")
LANGUAGES = model.LANGUAGES
TEMPLATES = Path(__file__).resolve().parent / "publish_templates"
FORMAT_VERSION = 1   # part of the cache key of /versions downloads: bump when the output changes

LABELS = {
    "fr": {
        "contents": "Sommaire", "commitment": "Engagement {n}", "previous": "Précédent", "next": "Suivant",
        "glossary": "Glossaire", "leads": "Administrations porteuses", "led_by": "Porté par :",
        "milestones": "Jalons", "milestone": "Jalon", "due": "Échéance", "lead": "Pilote", "not_set": "non fixée",
        "axis": "Axe", "theme": "Thème", "axes": "Les axes", "parts": "Sous-engagements",
        "live": "Lire et commenter cette page sur le site", "live_plan": "Le plan sur le site",
        "version": "Version {name} du {date} (révision {short})", "untranslated":
        "Pas encore de traduction : le texte français, qui fait foi, est affiché.", "other_lang": "English",
        "commitments": "Engagements", "other_commitments": "Autres engagements de l’axe",
        "introduction": "Introduction de l’axe", "reading_order": "Ordre de lecture", "breadcrumb": "Fil d’Ariane",
        "language": "Langue", "cover": "Couverture", "page": "page", "skip": "Aller au contenu",
    },
    "en": {
        "contents": "Contents", "commitment": "Commitment {n}", "previous": "Previous", "next": "Next",
        "glossary": "Glossary", "leads": "Lead administrations", "led_by": "Led by:",
        "milestones": "Milestones", "milestone": "Milestone", "due": "Due", "lead": "Lead", "not_set": "not set",
        "axis": "Axis", "theme": "Theme", "axes": "The axes", "parts": "Sub-commitments",
        "live": "Read and comment on this page on the site", "live_plan": "The plan on the site",
        "version": "Version {name} of {date} (revision {short})", "untranslated":
        "No translation yet: the authoritative French text is shown.", "other_lang": "Français",
        "commitments": "Commitments", "other_commitments": "Other commitments of the axis",
        "introduction": "Introduction of the axis", "reading_order": "Reading order", "breadcrumb": "Breadcrumb",
        "language": "Language", "cover": "Cover", "page": "page", "skip": "Skip to content",
    },
}


class PublishError(Exception):
    """The plan cannot be published as asked (unknown revision, a folder in the way): the message says why."""


@dataclass
class Book:
    """The plan at one revision, read once: what every output is made of."""

    commit: str
    name: str                     # the revision as the reader named it (a tag, a branch, a commit)
    time: dt.datetime
    plan: Plan
    commitments: dict[str, Commitment]
    pages: dict[str, Page]
    entries: list[pages.Entry]    # the reading order of the book
    assets: dict[str, bytes]      # name -> bytes, for every image of assets/
    base_url: str | None = None   # the live site, e.g. https://plan.example.org (no trailing slash)
    glossary: str | None = None   # slug of the glossary page

    @property
    def short(self) -> str:
        return self.commit[:7]

    def title(self, lang: str) -> str:
        return self.plan.title.get(lang) or self.plan.title[model.AUTHORITATIVE]

    def version_line(self, lang: str) -> str:
        return LABELS[lang]["version"].format(name=self.name, date=self.time.date().isoformat(), short=self.short)

    def axis_title(self, axis_id: str, lang: str) -> str:
        axis = self.plan.axis(axis_id)
        return (axis.title.get(lang) or axis.title[model.AUTHORITATIVE]) if axis else axis_id

    def theme_title(self, axis_id: str, theme: str | None, lang: str) -> str | None:
        axis = self.plan.axis(axis_id)
        if not theme or axis is None or theme not in axis.themes:
            return None
        return axis.themes[theme].get(lang) or axis.themes[theme].get(model.AUTHORITATIVE) or theme

    def live(self, path: str) -> str | None:
        return f"{self.base_url}{path}" if self.base_url else None

    def axes(self):
        """(axis, intro page or None, [(theme id or None, theme intro or None, [commitments])])."""
        intro = {(p.axis, p.theme): p for p in self.pages.values() if p.axis}
        out = []
        for axis in self.plan.axes:
            of_axis = [c for c in self.ordered_commitments() if c.axis == axis.id]
            groups = [(t, intro.get((axis.id, t)), [c for c in of_axis if c.theme == t]) for t in axis.themes]
            rest = [c for c in of_axis if c.theme is None or c.theme not in axis.themes]
            if rest:
                groups.append((None, None, rest))
            out.append((axis, intro.get((axis.id, None)), groups))
        return out

    def ordered_commitments(self) -> list[Commitment]:
        return [self.commitments[e.id] for e in self.entries if e.kind == "commitment"]


def gather(repo: GitRepo, rev: str, base_url: str | None = None, name: str | None = None) -> Book:
    """Read everything the book needs at `rev`; raises PublishError for an unknown revision."""
    try:
        commit = core.resolve(repo, rev)
    except core.NotFound:
        raise PublishError(f"unknown revision {rev!r}: give a tag, a branch or a commit id") from None
    plan = core.read_plan(repo, commit)
    listed = core.list_commitments(repo, commit)
    unreadable = [s.id for s in listed if s.unreadable]
    if unreadable:
        raise PublishError(f"cannot publish {rev}: commitment(s) {', '.join(unreadable)} cannot be read "
                           "(a damaged object: restore it from a copy first)")
    commitments = {s.id: core.read_commitment(repo, commit, s.id) for s in listed}
    page_list = pages.list_pages(repo, commit)
    entries = pages.book(plan, listed, page_list)
    assets = {}
    for entry, kind in repo.list_dir(commit, model.ASSETS_DIR):
        if kind == "blob" and model.ASSET_RE.match(f"{model.ASSETS_DIR}/{entry}"):
            assets[entry] = pages.read_asset(repo, commit, entry)[0]
    glossary = pages.glossary(page_list)
    return Book(commit, name or rev, repo.commit_info(commit).time, plan, commitments,
                {p.slug: p for p in page_list}, entries, assets,
                base_url.rstrip("/") if base_url else None, glossary.slug if glossary else None)


# -- rendering bodies, with the site's links rewritten for each output -------------------------

_LINK_RE = re.compile(r'(<a\s+)href="([^"]*)"')
_IMG_RE = re.compile(r'<img\s+src="([^"]*)"\s+alt="([^"]*)"[^>]*>')
_SITE_PATH_RE = re.compile(r"^/(commitments|pages|assets)/([a-z0-9][a-z0-9._-]*)(?:[?#].*)?$")
_SCHEME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _fragment(path: str) -> str:
    return "#" + path.split("#", 1)[1] if "#" in path else ""


def _attr(url: str) -> str:
    return xml_escape(url, {'"': "&quot;"})


def rewrite_links(html: str, target, book: Book, remote_images: bool = True) -> str:
    """Each link and image of rendered Markdown, for one output. A site path (`/commitments/<id>`,
    `/pages/<slug>`, `/assets/<name>`) of something in the book goes through `target(kind, ident)`;
    another site path goes to the live site, or loses its link when there is none; a relative
    path (which the live site could not resolve either) loses its link, an image becomes its
    text; a remote image stays only when `remote_images`."""
    def local(path: str) -> str | None:
        site = _SITE_PATH_RE.match(path)
        if site and ((site.group(1) == "commitments" and site.group(2) in book.commitments)
                     or (site.group(1) == "pages" and site.group(2) in book.pages)
                     or (site.group(1) == "assets" and site.group(2) in book.assets)):
            url = target(site.group(1), site.group(2))
            return url if site.group(1) == "assets" else url + _fragment(path)
        return None

    def link(m: re.Match) -> str:
        lead, url = m.group(1), m.group(2).replace("&amp;", "&")
        if url.startswith("#") or (_SCHEME_RE.match(url) and not url.lower().startswith(("javascript:", "data:"))):
            return m.group(0)
        if url.startswith("/") and not url.startswith("//"):
            new = local(url) or (book.base_url + url if book.base_url else None)
            if new is not None:
                return f'{lead}href="{_attr(new)}"'
        return lead.rstrip()

    def image(m: re.Match) -> str:
        url, alt = m.group(1).replace("&amp;", "&"), m.group(2)
        new = local(url) if url.startswith("/") else None
        if new is not None:
            return m.group(0).replace(f'src="{m.group(1)}"', f'src="{_attr(new)}"', 1)
        if remote_images and url.lower().startswith(("http://", "https://")):
            return m.group(0)
        return f'<span class="missing-image">{alt}</span>'
    return _IMG_RE.sub(image, _LINK_RE.sub(link, html))


def body_html(text: str, anchors: bool) -> str:
    return render.render_markdown(text, anchors=anchors)


# -- the glossary, as in the book: a term of the glossary links to its definition -------------

_TERM_RE = re.compile(r"^#{1,3}\s+(.+?)\s*#*\s*$")
_TAG_RE = re.compile(r"(<[^>]*>)")
_NO_LINK_IN = ("a", "h1", "h2", "h3", "h4", "h5", "h6", "code", "pre")
MAX_TERMS = 500


@dataclass(frozen=True)
class Term:
    text: str
    anchor: str        # the block anchor of its heading on the glossary page (`p-N`)
    definition: str    # the start of its definition, for the link's title


def glossary_terms(book: Book, lang: str) -> list[Term]:
    """The terms of the glossary page in `lang`: its headings, each anchored like any block."""
    if not book.glossary:
        return []
    blocks = render.source_blocks(book.pages[book.glossary].body_in(lang))
    out = []
    for i, block in enumerate(blocks):
        m = _TERM_RE.match(block.text.strip())
        if m and "\n" not in block.text.strip() and len(m.group(1)) <= 80:
            definition = render.plain_text(blocks[i + 1].text) if i + 1 < len(blocks) else ""
            out.append(Term(render.plain_text(m.group(1)).strip(), f"p-{i + 1}", definition[:160].strip()))
    out.sort(key=lambda t: -len(t.text))   # "Bien commun" before "Commun"
    return out[:MAX_TERMS]


def link_terms(html: str, terms: list[Term], href: str) -> str:
    """The first use of each term in a text links to its definition (`href` + `#anchor`), as the
    book's glossary did; never inside a link, a heading or code."""
    if not terms:
        return html
    pattern = re.compile("|".join(rf"(?<![\w-]){re.escape(xml_escape(t.text))}(?![\w-])" for t in terms), re.I)
    by_text = {xml_escape(t.text).lower(): t for t in terms}
    done: set[str] = set()
    depth = 0
    out = []
    for part in _TAG_RE.split(html):
        if part.startswith("<"):
            name = re.match(r"</?\s*([a-zA-Z0-9]+)", part)
            if name and name.group(1).lower() in _NO_LINK_IN and not part.endswith("/>"):
                depth += -1 if part.startswith("</") else 1
            out.append(part)
            continue
        if depth > 0 or not part:
            out.append(part)
            continue

        def repl(m: re.Match) -> str:
            term = by_text.get(m.group(0).lower())
            if term is None or term.text in done:
                return m.group(0)
            done.add(term.text)
            return (f'<a class="term" href="{_attr(href + "#" + term.anchor)}" '
                    f'title="{_attr(term.definition)}">{m.group(0)}</a>')
        out.append(pattern.sub(repl, part))
    return "".join(out)


# -- templates ---------------------------------------------------------------------------

_env: Environment | None = None


def env() -> Environment:
    global _env
    if _env is None:
        _env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(default=True),
                           trim_blocks=True, lstrip_blocks=True)
    return _env


def _css(name: str) -> str:
    return (TEMPLATES / name).read_text(encoding="utf-8")


def _content(book: Book, lang: str, entry: pages.Entry, target, anchors: bool, remote_images: bool = True) -> dict:
    """What a page of the book shows, for any output."""
    if entry.kind == "commitment":
        c = book.commitments[entry.id]
        translated = lang in c.bodies or lang == model.AUTHORITATIVE
        body = rewrite_links(body_html(c.body_in(lang), anchors), target, book, remote_images)
        return {"kind": "commitment", "c": c, "title": c.title_in(lang), "translated": translated,
                "number": LABELS[lang]["commitment"].format(n=c.number), "body": Markup(body),
                "leads": [book.plan.organisations[o].label(lang) for o in c.leads if o in book.plan.organisations],
                "axis": c.axis, "theme": c.theme, "id": c.id}
    p = book.pages[entry.id]
    translated = lang in p.bodies or lang == model.AUTHORITATIVE
    body = rewrite_links(body_html(p.body_in(lang), anchors), target, book, remote_images)
    return {"kind": "page", "p": p, "title": p.title_in(lang), "translated": translated, "number": None,
            "body": Markup(body), "leads": [], "axis": p.axis, "theme": p.theme, "id": p.slug}


def _org(book: Book, org: str | None, lang: str) -> str:
    o = book.plan.organisations.get(org) if org else None
    return o.label(lang) if o else ""


def _common(book: Book, lang: str) -> dict:
    return {"book": book, "lang": lang, "L": LABELS[lang], "plan_title": book.title(lang),
            "org": lambda o: _org(book, o, lang), "version": book.version_line(lang)}


# -- the static site ----------------------------------------------------------------------

def _site_target(depth: int):
    up = "../" * depth

    def target(kind: str, ident: str) -> str:
        if kind == "assets":
            return f"{up}../assets/{ident}"
        return f"{up}{kind}/{ident}.html"
    return target


def _entry_file(entry: pages.Entry) -> str:
    return f"{'commitments' if entry.kind == 'commitment' else 'pages'}/{entry.id}.html"


def _live_path(entry: pages.Entry) -> str:
    return f"/{'commitments' if entry.kind == 'commitment' else 'pages'}/{entry.id}"


def write_site(book: Book, out: Path) -> list[Path]:
    """out/index.html (the languages), out/style.css, out/assets/, and per language
    <lang>/index.html (cover and contents), <lang>/axes/<axis>.html, <lang>/commitments/<id>.html
    and <lang>/pages/<slug>.html. Links are relative: it works from file:// and any static host."""
    out.mkdir(parents=True, exist_ok=True)
    written = []

    def put(rel: str, data: str | bytes) -> None:
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        written.append(path)

    put("style.css", _css("site.css"))
    for name, data in book.assets.items():
        put(f"assets/{name}", data)
    put("index.html", env().get_template("site_languages.html").render(
        book=book, languages=[(lang, LABELS[lang], book.title(lang)) for lang in LANGUAGES]))
    page_tpl = env().get_template("site_page.html")
    for lang in LANGUAGES:
        other = next(x for x in LANGUAGES if x != lang) if len(LANGUAGES) > 1 else None
        common = _common(book, lang)
        put(f"{lang}/index.html", page_tpl.render(
            **common, up="../", home="index.html", kind="index", other=other, other_href=f"../{other}/index.html",
            live=book.live("/"), axes=book.axes(), cover=book.plan.cover.get(lang) or book.plan.cover.get("fr"),
            entries=book.entries, href=lambda kind, ident: f"{kind}/{ident}.html", title=book.title(lang),
            glossary_href=f"pages/{book.glossary}.html" if book.glossary else None))
        for axis, intro, groups in book.axes():
            put(f"{lang}/axes/{axis.id}.html", page_tpl.render(
                **common, up="../../", home="../index.html", kind="axis", axis=axis, axis_id=axis.id, intro=intro, groups=groups,
                other=other, other_href=f"../../{other}/axes/{axis.id}.html", live=book.live("/"),
                title=book.axis_title(axis.id, lang), href=lambda kind, ident: f"../{kind}/{ident}.html",
                glossary_href=f"../pages/{book.glossary}.html" if book.glossary else None))
        target = _site_target(1)
        terms = glossary_terms(book, lang)
        for i, entry in enumerate(book.entries):
            content = _content(book, lang, entry, target, anchors=True)
            if entry.kind != "page" or entry.id != book.glossary:
                content["body"] = Markup(link_terms(str(content["body"]), terms, f"../pages/{book.glossary}.html"))
            previous = book.entries[i - 1] if i else None
            following = book.entries[i + 1] if i + 1 < len(book.entries) else None
            rel = _entry_file(entry)
            put(f"{lang}/{rel}", page_tpl.render(
                **common, up="../../", home="../index.html", kind=entry.kind, content=content, entry=entry,
                previous=previous, following=following, other=other, other_href=f"../../{other}/{rel}",
                live=book.live(_live_path(entry)), title=content["title"],
                href=lambda kind, ident: f"../{kind}/{ident}.html", entry_href=lambda e: f"../{_entry_file(e)}",
                glossary_href=f"../pages/{book.glossary}.html" if book.glossary else None))
    return written


def zip_folder(folder: Path, path: Path, root: str) -> Path:
    """A zip of `folder` whose entries sit under `root/`, with fixed dates (same input, same bytes)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(folder.rglob("*")):
            if f.is_file():
                info = zipfile.ZipInfo(f"{root}/{f.relative_to(folder).as_posix()}", (2015, 7, 16, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                z.writestr(info, f.read_bytes())
    return path


# -- the PDF --------------------------------------------------------------------------------

def _data_uri(name: str, data: bytes) -> str:
    return f"data:{pages.content_type(name)};base64,{base64.b64encode(data).decode('ascii')}"


def no_network_fetcher():
    """WeasyPrint's fetcher limited to data: URIs (the plan's images are inlined): a text that
    names a remote or local URL (`![](http://...)`, `file:///...`) makes the server fetch nothing."""
    from weasyprint.urls import URLFetcher
    return URLFetcher(allowed_protocols=("data",), timeout=1, allow_redirects=False)


def pdf_html(book: Book, lang: str) -> str:
    def target(kind: str, ident: str) -> str:
        if kind == "assets":
            return _data_uri(ident, book.assets[ident])
        return f"#{'c' if kind == 'commitments' else 'page'}-{ident}"
    sections = []
    for entry in book.entries:
        sections.append((entry, _content(book, lang, entry, target, anchors=False, remote_images=False)))
    cover = book.plan.cover.get(lang) or book.plan.cover.get("fr")
    cover_uri = None
    if cover and cover.split("/", 1)[-1] in book.assets:
        name = cover.split("/", 1)[-1]
        cover_uri = _data_uri(name, book.assets[name])
    return env().get_template("pdf.html").render(**_common(book, lang), sections=sections, axes=book.axes(),
                                                  css=Markup(_css("pdf.css")), cover_uri=cover_uri,
                                                  live=book.live("/"))


def write_pdf(book: Book, lang: str, path: Path) -> Path:
    import logging

    from weasyprint import HTML
    logging.getLogger("weasyprint").setLevel(logging.ERROR)  # an unfetched remote image is not news
    HTML(string=pdf_html(book, lang), url_fetcher=no_network_fetcher(), base_url=None).write_pdf(
        str(path), pdf_identifier=hashlib.sha256(f"{book.commit}:{lang}".encode()).hexdigest()[:32].encode())
    return path


# -- the EPUB 3 -----------------------------------------------------------------------------

def _epub_name(entry: pages.Entry) -> str:
    return f"{'c' if entry.kind == 'commitment' else 'page'}-{entry.id}.xhtml"


def _xhtml(html: str) -> str:
    """Rendered Markdown as XHTML: void elements closed, no control characters (XML forbids them)."""
    html = _CONTROL_RE.sub("", html)
    return re.sub(r"<(br|hr|img)((?:\s[^<>]*?)?)\s*/?>", r"<\1\2 />", html)


def write_epub(book: Book, lang: str, path: Path) -> Path:
    """EPUB 3: `mimetype` first and stored, META-INF/container.xml, OEBPS/content.opf (the
    package document, with the nav document and the spine in reading order)."""
    def target(kind: str, ident: str) -> str:
        if kind == "assets":
            return f"images/{ident}"
        return f"{'c' if kind == 'commitments' else 'page'}-{ident}.xhtml"
    tpl = env().get_template("epub_chapter.xhtml")
    common = _common(book, lang)
    chapters = []
    terms = glossary_terms(book, lang)
    for entry in book.entries:
        content = _content(book, lang, entry, target, anchors=True, remote_images=False)
        body = str(content["body"])
        if entry.kind != "page" or entry.id != book.glossary:
            body = link_terms(body, terms, f"page-{book.glossary}.xhtml")
        content["body"] = Markup(_xhtml(body))
        chapters.append((_epub_name(entry), entry, tpl.render(**common, content=content)))
    cover = book.plan.cover.get(lang) or book.plan.cover.get("fr")
    cover_name = cover.split("/", 1)[-1] if cover and cover.split("/", 1)[-1] in book.assets else None
    title_page = env().get_template("epub_title.xhtml").render(**common, cover=cover_name, live=book.live("/"))
    nav = env().get_template("epub_nav.xhtml").render(**common, axes=book.axes(), entries=book.entries,
                                                     name=_epub_name)
    ident = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'review:{book.commit}:{lang}')}"
    modified = book.time.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    opf = env().get_template("epub_package.opf").render(
        **common, ident=ident, modified=modified, chapters=chapters, cover=cover_name,
        images=[(n, pages.content_type(n)) for n in sorted(book.assets)])
    container = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                 '<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">\n'
                 '  <rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
                 '</rootfiles>\n</container>\n')
    stamp = (2015, 7, 16, 0, 0, 0)

    def put(z: zipfile.ZipFile, name: str, data: str | bytes, stored: bool = False) -> None:
        info = zipfile.ZipInfo(name, stamp)
        info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
        z.writestr(info, data.encode("utf-8") if isinstance(data, str) else data)

    with zipfile.ZipFile(path, "w") as z:
        put(z, "mimetype", "application/epub+zip", stored=True)
        put(z, "META-INF/container.xml", container)
        put(z, "OEBPS/content.opf", opf)
        put(z, "OEBPS/nav.xhtml", nav)
        put(z, "OEBPS/title.xhtml", title_page)
        put(z, "OEBPS/style.css", _css("epub.css"))
        for name, data in sorted(book.assets.items()):
            put(z, f"OEBPS/images/{name}", data)
        for name, _entry, text in chapters:
            put(z, f"OEBPS/{name}", text)
    return path


# -- everything at once ---------------------------------------------------------------------

@dataclass
class Published:
    out: Path
    files: list[Path] = field(default_factory=list)
    seconds: float = 0.0


def output_names(kind: str, lang: str | None = None) -> str:
    return {"site": "site", "site.zip": "site.zip", "pdf": f"plan-{lang}.pdf", "epub": f"plan-{lang}.epub"}[kind]


def _pdf_job(repo_path: str, commit: str, name: str, base_url: str | None, lang: str, path: str) -> str:
    """One PDF in a process of its own (a fresh interpreter opens its own repository)."""
    book = gather(GitRepo(repo_path), commit, base_url, name)
    return str(write_pdf(book, lang, Path(path)))


def publish(repo: GitRepo, rev: str, out: str | os.PathLike, base_url: str | None = None,
            formats: tuple[str, ...] = FORMATS, name: str | None = None, jobs: int | None = None) -> Published:
    """Write the plan at `rev` into `out` (which must not exist, or be empty): `site/`, and per
    language `plan-<lang>.pdf` and `plan-<lang>.epub`. The PDFs (seconds each: WeasyPrint's
    layout) are made in `jobs` processes at once (default: one per core, at most one per language)."""
    import time
    started = time.perf_counter()
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise PublishError(f"unknown format(s) {', '.join(unknown)}: choose among {', '.join(FORMATS)}")
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise PublishError(f"{out} exists and is not an empty folder: choose a new folder")
    book = gather(repo, rev, base_url, name)
    out.mkdir(parents=True, exist_ok=True)
    result = Published(out)
    if "site" in formats:
        write_site(book, out / "site")
        result.files.append(out / "site")
    jobs = min(jobs or os.cpu_count() or 1, len(LANGUAGES))
    pool = None
    if "pdf" in formats and jobs > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"))
    try:
        pdfs = {lang: pool.submit(_pdf_job, str(repo.path), book.commit, book.name, book.base_url, lang,
                                  str(out / output_names("pdf", lang))) for lang in LANGUAGES} if pool else {}
        for lang in LANGUAGES:
            if "epub" in formats:
                result.files.append(write_epub(book, lang, out / output_names("epub", lang)))
            if "pdf" in formats and not pool:
                result.files.append(write_pdf(book, lang, out / output_names("pdf", lang)))
        for lang, job in pdfs.items():
            result.files.append(Path(job.result()))
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    result.seconds = time.perf_counter() - started
    return result


DOWNLOADS = tuple([f"plan-{lang}.pdf" for lang in LANGUAGES] + [f"plan-{lang}.epub" for lang in LANGUAGES]
                  + ["site.zip"])


def build_download(book: Book, filename: str, folder: Path) -> Path:
    """One download of /versions (a name of DOWNLOADS) written into `folder`, atomically."""
    if filename not in DOWNLOADS:
        raise PublishError(f"unknown download {filename!r}: one of {', '.join(DOWNLOADS)}")
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / filename
    with tempfile.TemporaryDirectory(dir=folder, prefix=".build-") as tmp:
        tmp_path = Path(tmp)
        part = tmp_path / filename
        if filename == "site.zip":
            write_site(book, tmp_path / "site")
            zip_folder(tmp_path / "site", part, f"plan-{re.sub(r'[^A-Za-z0-9._-]+', '-', book.name)}")
        else:
            lang, kind = filename[len("plan-"):].split(".")
            (write_pdf if kind == "pdf" else write_epub)(book, lang, part)
        os.replace(part, final)
    return final


def _download_job(repo_path: str, commit: str, name: str, base_url: str | None, filename: str, folder: str) -> str:
    return str(build_download(gather(GitRepo(repo_path), commit, base_url, name), filename, Path(folder)))


class DownloadCache:
    """Downloads of published versions in the instance folder, built on demand, bounded in
    bytes (least recently used first out). Derived from git: deleting the folder loses nothing.
    Each build runs in a process of its own (`isolate`): WeasyPrint's layout of a 100-page PDF
    takes about 110 MB, which a web worker would otherwise keep."""

    def __init__(self, folder: str | os.PathLike, max_bytes: int = 256 * 1024 * 1024, isolate: bool = True):
        self.folder = Path(folder)
        self.max_bytes = max_bytes
        self.isolate = isolate

    def key(self, commit: str, name: str, base_url: str | None) -> str:
        return hashlib.sha256(f"{FORMAT_VERSION}\0{commit}\0{name}\0{base_url or ''}".encode()).hexdigest()[:24]

    def get(self, repo: GitRepo, rev: str, name: str, filename: str, base_url: str | None) -> Path:
        if filename not in DOWNLOADS:
            raise PublishError(f"unknown download {filename!r}: one of {', '.join(DOWNLOADS)}")
        commit = core.resolve(repo, rev)
        folder = self.folder / self.key(commit, name, base_url)
        path = folder / filename
        if path.is_file():
            os.utime(path)
            return path
        if self.isolate:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor
            with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
                pool.submit(_download_job, str(repo.path), commit, name, base_url, filename, str(folder)).result()
        else:
            build_download(gather(repo, commit, base_url, name), filename, folder)
        self.trim(keep=path)
        return path

    def trim(self, keep: Path | None = None) -> None:
        """Least recently used files out until the cache fits; builds left by a killed process go too."""
        import time
        for stale in self.folder.glob("*/.build-*"):
            if stale.stat().st_mtime < time.time() - 3600:
                shutil.rmtree(stale, ignore_errors=True)
        files = [f for f in self.folder.glob("*/*") if f.is_file()]
        total = sum(f.stat().st_size for f in files)
        for f in sorted(files, key=lambda f: f.stat().st_mtime):
            if total <= self.max_bytes:
                break
            if keep is not None and f == keep:
                continue
            total -= f.stat().st_size
            f.unlink(missing_ok=True)
        for d in self.folder.glob("*"):
            if d.is_dir() and not any(d.iterdir()):
                shutil.rmtree(d, ignore_errors=True)


def read_base_url(instance_path: str | os.PathLike) -> str | None:
    """BASE_URL from DIR/instance/config.py (the site's public address), read without the web application."""
    path = Path(instance_path) / "config.py"
    if not path.is_file():
        return None
    namespace: dict = {"__file__": str(path)}
    exec(compile(path.read_text(), str(path), "exec"), namespace)  # noqa: S102 - the admin's own file
    return check_base_url(namespace.get("BASE_URL"))


def check_base_url(value) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not re.match(r"^https?://[^\s/?#]+(/[^\s?#]*)?$", value):
        raise PublishError("BASE_URL must be the site's public address, e.g. https://plan.example.org")
    return value.rstrip("/")


__all__ = ["Book", "DOWNLOADS", "DownloadCache", "FORMATS", "PublishError", "Published", "build_download",
           "gather", "publish", "read_base_url", "write_epub", "write_pdf", "write_site", "zip_folder"]
