"""review publish: the plan at a revision as a static site, a PDF and an EPUB 3 per language.

The real 2015 plan (the corpus, read at run time) is published once per module; the PDF is
read back with pypdf, the EPUB opened as a zip and its package document parsed, the static
site crawled for broken links."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from review import cli, publish
from review import commitment as core
from review.deployment import Deployment

from .conftest import corpus_or_skip

BASE = "https://plan.example.org"
OPF = "{http://www.idpf.org/2007/opf}"
DC = "{http://purl.org/dc/elements/1.1/}"
XHTML = "{http://www.w3.org/1999/xhtml}"


@pytest.fixture(scope="module")
def corpus_published(tmp_path_factory):
    """The real plan imported (`review import` of the corpus folder), then published."""
    corpus = corpus_or_skip().parent
    from review.importer import run
    base = tmp_path_factory.mktemp("publish")
    report = run(corpus, base / "dep")
    assert report.ok, report.invalid
    repo = Deployment.open(base / "dep").open_repo()
    result = publish.publish(repo, "main", base / "out", base_url=BASE)
    return repo, base / "out", result


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _commitments(repo):
    main = core.resolve(repo, "main")
    return [core.read_commitment(repo, main, s.id) for s in core.list_commitments(repo, main)]


# -- the PDF -----------------------------------------------------------------------------------

def _outline(reader, items=None, depth=0, out=None):
    out = [] if out is None else out
    for item in reader.outline if items is None else items:
        if isinstance(item, list):
            _outline(reader, item, depth + 1, out)
        else:
            out.append((depth, item.title, reader.get_destination_page_number(item)))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_pdf_has_every_commitment_bookmarks_and_page_numbers(corpus_published, lang):
    pypdf = pytest.importorskip("pypdf")
    repo, out, _ = corpus_published
    reader = pypdf.PdfReader(out / f"plan-{lang}.pdf")
    commitments = _commitments(repo)
    assert len(commitments) == 26
    pages = [page.extract_text().replace("\x00", "") for page in reader.pages]   # pypdf leaves NULs in some fonts
    assert len(pages) > 26 + 2   # a cover, the contents, a page at least per commitment
    text = _normal(" ".join(pages[2:]))
    for c in commitments:
        assert _normal(c.title_in(lang)) in text, c.id
    outline = _outline(reader)
    plan = core.read_plan(repo, core.resolve(repo, "main"))
    top = [title for depth, title, _ in outline if depth == 0]
    for axis in plan.axes:
        assert (axis.title.get(lang) or axis.title["fr"]) in top
    nested = [(title, page) for depth, title, page in outline if depth == 1]
    for c in commitments:   # one bookmark per commitment, under its axis, on the page that starts it
        label = f"{'Engagement' if lang == 'fr' else 'Commitment'} {c.number} {_normal(c.title_in(lang))}"
        found = [page for title, page in nested if _normal(title) == label]
        assert len(found) == 1, label
        assert _normal(c.title_in(lang))[:40] in _normal(pages[found[0]])
    numbered = [i for i, page in enumerate(pages[1:], start=2) if re.search(rf"(^|\s){i}\s*$", page.strip())]
    assert len(numbered) >= len(pages) - 3   # page numbers in the footer (not on the cover)
    assert BASE in pages[0] and "main" in pages[0]   # the cover names the version and the live site


# -- the EPUB ----------------------------------------------------------------------------------

def check_epub(path: Path, commitments, lang: str) -> dict:
    """An EPUB 3 as a reading system opens it; returns {href: XHTML root} of its documents."""
    z = zipfile.ZipFile(path)
    first = z.infolist()[0]
    assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED and not first.extra
    assert z.read("mimetype") == b"application/epub+zip"
    container = ET.fromstring(z.read("META-INF/container.xml"))
    rootfile = container.find(".//{urn:oasis:names:tc:opendocument:xmlns:container}rootfile")
    assert rootfile.get("media-type") == "application/oebps-package+xml"
    opf_path = rootfile.get("full-path")
    package = ET.fromstring(z.read(opf_path))
    assert package.tag == f"{OPF}package" and package.get("version") == "3.0"
    meta = package.find(f"{OPF}metadata")
    ident = meta.find(f"{DC}identifier")
    assert ident is not None and ident.get("id") == package.get("unique-identifier") and ident.text.startswith("urn:uuid:")
    assert meta.find(f"{DC}title").text and meta.find(f"{DC}language").text == lang
    modified = [m for m in meta.findall(f"{OPF}meta") if m.get("property") == "dcterms:modified"]
    assert len(modified) == 1 and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", modified[0].text)
    folder = opf_path.rsplit("/", 1)[0] + "/"
    items = {i.get("id"): i for i in package.find(f"{OPF}manifest")}
    names = set(z.namelist())
    for item in items.values():
        assert folder + item.get("href") in names, item.get("href")
    navs = [i for i in items.values() if "nav" in (i.get("properties") or "").split()]
    assert len(navs) == 1
    spine = [ref.get("idref") for ref in package.find(f"{OPF}spine")]
    assert spine and all(ref in items for ref in spine)
    docs = {}
    for item in items.values():
        if item.get("media-type") == "application/xhtml+xml":
            docs[item.get("href")] = ET.fromstring(z.read(folder + item.get("href")))   # well-formed XML
    nav = docs[navs[0].get("href")]
    toc = [n for n in nav.iter(f"{XHTML}nav") if n.get("{http://www.idpf.org/2007/ops}type") == "toc"]
    assert len(toc) == 1
    links = {a.get("href"): _normal("".join(a.itertext())) for a in toc[0].iter(f"{XHTML}a")}
    for c in commitments:
        href = f"c-{c.id}.xhtml"
        assert href in links and _normal(c.title_in(lang)) in links[href], c.id
        assert href in docs and items[next(k for k, i in items.items() if i.get("href") == href)].get("id") in spine
    for href in links:
        assert href.split("#")[0] in docs, href
    for root in docs.values():   # links between documents resolve
        for a in root.iter(f"{XHTML}a"):
            target = a.get("href")
            if target and not re.match(r"^[a-z]+:", target) and not target.startswith("#"):
                assert target.split("#")[0] in docs, target
        for img in root.iter(f"{XHTML}img"):
            assert folder + img.get("src") in names, img.get("src")
    return docs


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_epub_is_a_valid_epub3_whose_nav_lists_every_commitment(corpus_published, lang):
    repo, out, _ = corpus_published
    check_epub(out / f"plan-{lang}.epub", _commitments(repo), lang)


# -- the static site ---------------------------------------------------------------------------

def crawl(site: Path) -> tuple[int, list[tuple[str, str]]]:
    """(links followed, broken ones): every relative href and src of every page must be a file,
    and a #fragment an id of that page."""
    followed, broken, ids = 0, [], {}

    def has_id(page: Path, fragment: str) -> bool:
        if page not in ids:
            ids[page] = set(re.findall(r'\sid="([^"]+)"', page.read_text(encoding="utf-8")))
        return unquote(fragment) in ids[page]
    for page in site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        for m in re.finditer(r'(?:href|src)="([^"]*)"', html):
            url = m.group(1).replace("&amp;", "&")
            if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", url):
                continue
            followed += 1
            parts = urlsplit(url)
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if url.startswith("/") or not target.is_file():
                broken.append((page.relative_to(site).as_posix(), url))
            elif parts.fragment and target.suffix == ".html" and not has_id(target, parts.fragment):
                broken.append((page.relative_to(site).as_posix(), url))
    return followed, broken


@pytest.mark.slow
def test_the_static_site_has_no_broken_link_and_links_to_the_live_site(corpus_published):
    repo, out, _ = corpus_published
    site = out / "site"
    followed, broken = crawl(site)
    assert followed > 1000 and broken == []
    main = core.resolve(repo, "main")
    for lang in ("fr", "en"):
        index = (site / lang / "index.html").read_text()
        for c in _commitments(repo):
            page = (site / lang / "commitments" / f"{c.id}.html").read_text()
            assert f'href="{BASE}/commitments/{c.id}"' in page   # back to the live page
            assert f'href="../axes/{c.axis}.html"' in page          # navigation by axis
            assert f'href="../commitments/{c.id}.html"' in index or f'href="commitments/{c.id}.html"' in index
        one = (site / lang / "commitments" / "engagement-05.html").read_text()
        assert 'rel="prev"' in one and 'rel="next"' in one and 'href="../pages/glossaire.html"' in one
        assert main[:7] in one
    terms = [re.findall(r'class="term" href="([^"]+)"', p.read_text()) for p in (site / "fr" / "commitments").glob("*.html")]
    assert sum(map(len, terms)) >= 10 and all(h.startswith("../pages/glossaire.html#p-") for t in terms for h in t)
    theme = (site / "fr" / "axes" / "rendre-des-comptes.html").read_text()
    assert 'id="theme-evaluation-publique"' in theme
    assert "Engagement 4" in theme


def test_the_sample_plan_in_english_is_published_in_english(repo, tmp_path):
    """The sample plan has English translations: the English book uses them, the French one
    the authoritative text; with no live site, pages carry no link to one."""
    out = tmp_path / "out"
    publish.publish(repo, "adopted-2015-07-16", out, formats=("site", "epub"))
    assert not (out / "plan-fr.pdf").exists()
    commitments = _commitments(repo)
    c = commitments[1]
    en = (out / "site" / "en" / "commitments" / f"{c.id}.html").read_text()
    fr = (out / "site" / "fr" / "commitments" / f"{c.id}.html").read_text()
    assert c.titles["en"] in en and c.titles["fr"] in fr and c.titles["en"] != c.titles["fr"]
    assert 'class="live"' not in en and "adopted-2015-07-16" in en
    assert crawl(out / "site")[1] == []
    for lang in ("fr", "en"):
        check_epub(out / f"plan-{lang}.epub", commitments, lang)


def test_links_of_the_texts_are_rewritten_for_each_output(repo):
    book = publish.gather(repo, "main", BASE)
    html = ('<p><a href="/commitments/engagement-02#p-3">a</a> <a href="/pages/nothing">b</a> '
            '<a href="/amendments/3">c</a> <a href="notes.html">d</a> <a href="javascript:alert(1)">e</a> '
            '<a href="https://example.org/x?a=1&amp;b=2">f</a> <a href="#fn1">g</a> '
            '<img src="images/x.png" alt="an image" /> <img src="https://example.org/i.png" alt="remote" /></p>')
    site = publish.rewrite_links(html, lambda kind, ident: f"../{kind}/{ident}.html", book)
    assert '<a href="../commitments/engagement-02.html#p-3">a</a>' in site
    assert f'<a href="{BASE}/pages/nothing">b</a>' in site and f'<a href="{BASE}/amendments/3">c</a>' in site
    assert "<a>d</a>" in site and "<a>e</a>" in site and "javascript" not in site
    assert '<a href="https://example.org/x?a=1&amp;b=2">f</a>' in site and '<a href="#fn1">g</a>' in site
    assert '<span class="missing-image">an image</span>' in site and 'src="https://example.org/i.png"' in site
    book.base_url = None
    offline = publish.rewrite_links(html, lambda kind, ident: f"c-{ident}.xhtml", book, remote_images=False)
    assert '<a href="c-engagement-02.xhtml#p-3">a</a>' in offline and "<a>b</a>" in offline and "<a>c</a>" in offline
    assert "example.org/i.png" not in offline and '<span class="missing-image">remote</span>' in offline


def test_the_pdf_renderer_fetches_nothing_from_the_network():
    fetcher = publish.no_network_fetcher()
    with pytest.raises(ValueError):
        fetcher("http://169.254.169.254/latest/meta-data")
    with pytest.raises(ValueError):
        fetcher("file:///etc/passwd")
    assert fetcher("data:text/plain;base64,aGk=").read() == b"hi"


def test_the_command(deployment_dir, tmp_path, capsys):
    out = tmp_path / "out"
    assert cli.main(["publish", str(deployment_dir), "--rev", "nothing", "--out", str(out)]) == 1
    assert "unknown revision 'nothing'" in capsys.readouterr().err and not out.exists()
    assert cli.main(["publish", str(deployment_dir), "--rev", "main", "--out", str(out), "--formats", "site,ebook"]) == 1
    assert "unknown format(s) ebook" in capsys.readouterr().err
    assert cli.main(["publish", str(deployment_dir), "--rev", "main", "--out", str(out), "--base-url", "ftp://x"]) == 1
    assert "BASE_URL must be" in capsys.readouterr().err
    config = deployment_dir / "instance" / "config.py"
    config.write_text(config.read_text() + f"BASE_URL = '{BASE}/'\n")
    assert cli.main(["publish", str(deployment_dir), "--rev", "main", "--out", str(out), "--formats", "site"]) == 0
    printed = capsys.readouterr().out
    assert "Published main into" in printed and "no BASE_URL" not in printed
    assert f'href="{BASE}/commitments/engagement-01"' in (out / "site/fr/commitments/engagement-01.html").read_text()
    assert cli.main(["publish", str(deployment_dir), "--rev", "main", "--out", str(out)]) == 1
    assert "is not an empty folder" in capsys.readouterr().err


def _png(width: int = 4, height: int = 4) -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + b"\x20\x60\xa0" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def test_images_and_the_cover_travel_with_every_output(tmp_path):
    """A plan with a cover and a page showing an image: the site copies it, the EPUB holds it
    (the cover marked as such), the PDF embeds it on the cover and in the page."""
    import shutil

    from review import deployment
    plan_dir = tmp_path / "plan"
    shutil.copytree(deployment.DEFAULT_PLAN, plan_dir)
    (plan_dir / "assets").mkdir()
    (plan_dir / "assets" / "cover.png").write_bytes(_png())
    (plan_dir / "assets" / "atelier.png").write_bytes(_png(8, 6))
    text = (plan_dir / "plan.yaml").read_text()
    (plan_dir / "plan.yaml").write_text(text.replace("languages: [fr, en]", "languages: [fr, en]\ncover: {fr: assets/cover.png}"))
    (plan_dir / "pages" / "methode").mkdir(parents=True)
    (plan_dir / "pages" / "methode" / "fr.md").write_text(
        "---\ntitle: Méthode\nsection: back\nposition: 1\n---\n\nUn atelier :\n\n![Un atelier](/assets/atelier.png)\n\n"
        "Voir l'[engagement 2](/commitments/engagement-02) et [ailleurs](/amendments).\n")
    d, _ = deployment.init(tmp_path / "dep", plan_dir)
    out = tmp_path / "out"
    publish.publish(d.open_repo(), "main", out, base_url=BASE)
    site = out / "site"
    assert (site / "assets" / "atelier.png").read_bytes() == _png(8, 6)
    page = (site / "en" / "pages" / "methode.html").read_text()
    assert 'src="../../assets/atelier.png"' in page and 'href="../commitments/engagement-02.html"' in page
    assert f'href="{BASE}/amendments"' in page
    assert 'src="../assets/cover.png"' in (site / "fr" / "index.html").read_text()
    assert crawl(site)[1] == []
    z = zipfile.ZipFile(out / "plan-fr.epub")
    assert z.read("OEBPS/images/atelier.png") == _png(8, 6)
    package = ET.fromstring(z.read("OEBPS/content.opf"))
    covers = [i.get("href") for i in package.find(f"{OPF}manifest") if i.get("properties") == "cover-image"]
    assert covers == ["images/cover.png"]
    check_epub(out / "plan-fr.epub", _commitments(d.open_repo()), "fr")
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(out / "plan-fr.pdf")
    images = {(img.image.size if img.image else None) for p in reader.pages for img in p.images}
    assert images == {(4, 4), (8, 6)}   # the cover and the page's image, embedded
    assert any("Un atelier" in p.extract_text().replace("\x00", "") for p in reader.pages)
