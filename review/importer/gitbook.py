"""The GitBook reader: one state of a GitBook 2/3 repository (LANGS.md, one book per
language with SUMMARY.md, README.md, GLOSSARY.md, axis and theme folders, commitment files,
images) -> a `Book`. Folder and file names differ between languages: commitments are paired
by their number, axes, themes and pages by their position in SUMMARY.md."""

from __future__ import annotations

import json
import posixpath
import re

from .book import BAxis, BCommitment, Book, BPage, BPart, BTheme
from .text import clean_name, clean_title, fix_footnotes, rewrite_links, slugify, unwrap

IMAGE_EXT = ("png", "jpg", "jpeg", "gif", "webp")
_LANG_LINE = re.compile(r"^\s*[-*+]\s+\[([^\]]*)\]\(([^)]*)\)")
_ENTRY = re.compile(r"^(\s*)[-*+]\s+\[(.*)\]\(([^)]*)\)\s*$")
_COMMITMENT_FILE = re.compile(r"(?:^|/)(?:engagement|commitment)[-_ ]?0*(\d+)\.md$", re.I)
_H1_NUMBER = re.compile(r"^#\s+(?:engagement|commitment)\s+0*(\d+)\s*$", re.I)
_LEAD_HEAD = re.compile(r"^\s*\*\*\s*(?P<label>[^*]*?(?:porteuse|lead institution|lead agenc)[^*]*?)\s*:?\s*\*\*"
                        r"\s*:?\s*(?P<rest>.*)$", re.I)
_BULLET = re.compile(r"^\s*[-*+]\s+(.*)$")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def is_gitbook(files: dict[str, bytes]) -> bool:
    return "LANGS.md" in files or "SUMMARY.md" in files or any(p.endswith("/SUMMARY.md") and p.count("/") == 1
                                                               for p in files)


def _text(files, path) -> str:
    return files[path].decode("utf-8", "replace").replace("\r\n", "\n").lstrip("\ufeff")


def _lang_of(label: str, folder: str) -> str | None:
    f = folder.strip("/").lower()
    if f in ("fr", "en"):
        return f
    low = label.lower()
    return "fr" if low.startswith("fran") else "en" if low.startswith("engl") else None


def languages(files: dict[str, bytes], book: Book) -> dict[str, str]:
    """lang -> folder ('' for a single book at the root)."""
    if "LANGS.md" not in files:
        return {"fr": ""}
    out = {}
    for i, line in enumerate(_text(files, "LANGS.md").split("\n")):
        m = _LANG_LINE.match(line)
        if not m:
            continue
        folder = m.group(2).strip().strip("/")
        lang = _lang_of(m.group(1), folder)
        if lang is None:
            book.problems.append(f"LANGS.md:{i + 1}: language {m.group(1)!r} ({folder}/) is neither French nor "
                                 "English: not imported")
        elif lang not in out:
            out[lang] = folder
    return dict(sorted(out.items(), key=lambda kv: kv[0] != "fr"))


def _summary(files, root: str) -> list[tuple[int, str, str, int]]:
    """(depth, title, path relative to the root, line) of each link of SUMMARY.md."""
    path = posixpath.join(root, "SUMMARY.md") if root else "SUMMARY.md"
    if path not in files:
        return []
    out, indents = [], []
    for i, line in enumerate(_text(files, path).split("\n")):
        m = _ENTRY.match(line)
        if not m:
            continue
        indent = len(m.group(1).expandtabs(4))
        while indents and indents[-1] >= indent:
            if indents[-1] == indent:
                break
            indents.pop()
        if not indents or indents[-1] < indent:
            indents.append(indent)
        target = m.group(3).strip().split("#")[0]
        if target:
            out.append((len(indents) - 1, m.group(2).strip(), posixpath.normpath(target), i + 1))
    return out


def _walk(files, root: str) -> list[tuple[int, str, str, int]]:
    """Without SUMMARY.md: the folders in name order (axis folders, theme sub-folders)."""
    prefix = root + "/" if root else ""
    rel = sorted(p[len(prefix):] for p in files if p.startswith(prefix) and p.endswith(".md"))
    out = []
    front = [p for p in rel if "/" not in p and p not in ("SUMMARY.md", "GLOSSARY.md", "LANGS.md")]
    front.sort(key=lambda p: p != "README.md")
    out += [(0, _first_heading(_text(files, prefix + p)) or posixpath.splitext(p)[0], p, 1) for p in front]
    folders = sorted({p.split("/")[0] for p in rel if "/" in p})
    for f in folders:
        out.append((0, _first_heading(_text(files, f"{prefix}{f}/README.md")) if f"{prefix}{f}/README.md" in files
                    else f.replace("-", " ").capitalize(), f"{f}/README.md", 1))
        subs = sorted({p.split("/")[1] for p in rel if p.startswith(f + "/") and p.count("/") == 2})
        out += [(1, c.rsplit("/", 1)[1], c, 1) for c in rel if c.startswith(f + "/") and c.count("/") == 1
                and c != f"{f}/README.md"]
        for s in subs:
            rd = f"{prefix}{f}/{s}/README.md"
            out.append((1, _first_heading(_text(files, rd)) if rd in files else s.replace("-", " ").capitalize(),
                        f"{f}/{s}/README.md", 1))
            out += [(2, c.rsplit("/", 1)[1], c, 1) for c in rel if c.startswith(f"{f}/{s}/")
                    and c != f"{f}/{s}/README.md"]
    return out


def _first_heading(text: str) -> str | None:
    for line in text.split("\n"):
        if line.strip():
            m = _HEADING.match(line)
            return m.group(2).strip() if m else None
    return None


def _split_heading(text: str) -> tuple[str | None, str]:
    """(text of a leading heading, the rest) of a page."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.strip():
            m = _HEADING.match(line)
            if m and len(m.group(1)) <= 2:
                return m.group(2).strip(), "\n".join(lines[i + 1:]).strip("\n")
            break
    return None, text.strip("\n")


class _Lang:
    """The classified SUMMARY of one language."""

    def __init__(self, lang, root, entries):
        self.lang, self.root = lang, root
        self.axes: list[tuple[str, str, list]] = []     # (folder, title, [(folder, title, readme path)])
        self.axis_readme: dict[int, str] = {}
        self.commitments: dict[int, tuple[str, int | None, int | None]] = {}  # number -> (path, axis i, theme j)
        self.pages: list[tuple[str, str, str]] = []     # (path, title, section)
        self.root_readme = self.glossary = None
        axis_i = theme_j = None
        for depth, title, path, _ in entries:
            m = _COMMITMENT_FILE.search(path)
            if m:
                self.commitments.setdefault(int(m.group(1)), (path, axis_i, theme_j if depth >= 2 or (
                    theme_j is not None and path.count("/") >= 2) else None))
                continue
            if path == "README.md":
                self.root_readme = (path, title)
                continue
            if path == "GLOSSARY.md":
                self.glossary = (path, title)
                continue
            if path.endswith("/README.md") and path.count("/") == 1 and depth == 0:
                self.axes.append((path.split("/")[0], title, []))
                self.axis_readme[len(self.axes) - 1] = path
                axis_i, theme_j = len(self.axes) - 1, None
                continue
            if (path.endswith("/README.md") and path.count("/") == 2 and axis_i is not None
                    and path.split("/")[0] == self.axes[axis_i][0]):
                self.axes[axis_i][2].append((path.split("/")[1], title, path))
                theme_j = len(self.axes[axis_i][2]) - 1
                continue
            if depth == 0:
                axis_i = theme_j = None if not self.axes else axis_i
            self.pages.append((path, title, "front" if not self.axes else "back"))

    def full(self, rel: str) -> str:
        return posixpath.join(self.root, rel) if self.root else rel


def read_folder(files: dict[str, bytes]) -> Book | None:
    """A folder of Markdown without SUMMARY.md: read like a book, folders as axes and themes."""
    return read(files, walk=True)


def read(files: dict[str, bytes], walk: bool = False) -> Book | None:
    """One state of a GitBook repository -> Book; None when it holds no French book yet (a
    state without LANGS.md or SUMMARY.md, unless `walk`)."""
    if not walk and not is_gitbook(files):
        return None
    book = Book(kind="gitbook", languages=[], titles={})
    langs = languages(files, book)
    parsed: dict[str, _Lang] = {}
    for lang, root in langs.items():
        summary = posixpath.join(root, "SUMMARY.md") if root else "SUMMARY.md"
        entries = _summary(files, root) if summary in files else _walk(files, root) if walk else []
        if not entries:
            continue
        parsed[lang] = _Lang(lang, root, entries)
        if "GLOSSARY.md" not in [e[2] for e in entries] and parsed[lang].full("GLOSSARY.md") in files:
            parsed[lang].glossary = ("GLOSSARY.md", "Glossaire" if lang == "fr" else "Glossary")
        if "README.md" not in [e[2] for e in entries] and parsed[lang].full("README.md") in files and summary in files:
            parsed[lang].root_readme = ("README.md", None)
        title = None
        if summary in files:
            title = _first_heading(_text(files, summary))
            if title and title.lower() in ("summary", "sommaire", "table of contents"):
                title = None
        book.titles[lang] = clean_title(title or "") or (_first_heading(_text(files, parsed[lang].full("README.md")))
                                      if parsed[lang].full("README.md") in files else None) or _book_json_title(files) or "Plan"
    if "fr" not in parsed:
        return None
    book.languages = [lang for lang in ("fr", "en") if lang in parsed]
    fr = parsed["fr"]

    # assets: every image of the repository, one name each
    asset_of: dict[str, str] = {}
    for path in sorted(files):
        ext = path.rsplit(".", 1)[-1].lower() if "." in path else ""
        if ext not in IMAGE_EXT:
            continue
        stem = posixpath.splitext(posixpath.basename(path))[0]
        name = f"{slugify(stem) or 'image'}.{ext}"
        lang_prefix = path.split("/", 1)[0] if "/" in path else ""
        n = 1
        while name in book.assets and book.assets[name] != files[path]:
            n += 1
            name = f"{slugify((lang_prefix + '-' if n == 2 and lang_prefix else '') + stem) or 'image'}" \
                   f"{'' if n == 2 and lang_prefix else '-' + str(n)}.{ext}"
        book.assets[name] = files[path]
        asset_of[path] = name
    for lang, p in parsed.items():
        for cover in ("cover.jpg", "cover.png", "cover.jpeg"):
            if p.full(cover) in asset_of:
                book.cover[lang] = asset_of[p.full(cover)]
                break

    # ids: axes and themes from the French folders, pages from the French files
    for i, (folder, title, themes) in enumerate(fr.axes):
        axis = BAxis(slugify(folder) or f"axe-{i + 1}", {"fr": clean_title(title)})
        seen = set()
        for folder_t, title_t, _ in themes:
            tid = slugify(folder_t) or f"theme-{len(axis.themes) + 1}"
            if tid in seen:
                tid = f"{tid}-{len(axis.themes) + 1}"
            seen.add(tid)
            axis.themes.append(BTheme(tid, {"fr": clean_title(title_t)}))
        book.axes.append(axis)
    en = parsed.get("en")
    if en is not None:
        for i, axis in enumerate(book.axes):
            if i < len(en.axes):
                axis.titles["en"] = clean_title(en.axes[i][1])
                for j, theme in enumerate(axis.themes):
                    if j < len(en.axes[i][2]):
                        theme.titles["en"] = clean_title(en.axes[i][2][j][1])
        if len(en.axes) != len(fr.axes):
            book.problems.append(f"{en.full('SUMMARY.md')}:1: {len(en.axes)} axes in English, {len(fr.axes)} in "
                                 "French: axes are paired by position")

    # the link map: every source file -> its place here
    where: dict[str, str] = {p: f"/assets/{n}" for p, n in asset_of.items()}
    page_specs = []  # (slug, {lang: (path, title)}, section, position, axis, theme, glossary)
    used = set()

    def slug_for(want: str) -> str:
        s, n = want or "page", 2
        while s in used:
            s = f"{want}-{n}"
            n += 1
        used.add(s)
        return s

    def paired(lang_obj_getter):
        return {lang: lang_obj_getter(p) for lang, p in parsed.items() if lang_obj_getter(p)}

    position = 0
    if fr.root_readme:
        page_specs.append((slug_for("accueil"), paired(lambda p: p.root_readme), "front", position, None, None, False))
    for k, (path, title, section) in enumerate(fr.pages):
        position += 10
        pair = {"fr": (path, title)}
        if en is not None and k < len(en.pages):
            pair["en"] = en.pages[k][:2]
        page_specs.append((slug_for(slugify(posixpath.splitext(posixpath.basename(path))[0])), pair, section,
                           position, None, None, False))
    for i, axis in enumerate(book.axes):
        pair = {lang: (p.axis_readme[i], p.axes[i][1]) for lang, p in parsed.items() if i in p.axis_readme}
        page_specs.append((slug_for(axis.id), pair, "front", 0, axis.id, None, False))
        for j, theme in enumerate(axis.themes):
            pair = {lang: (p.axes[i][2][j][2], p.axes[i][2][j][1]) for lang, p in parsed.items()
                    if i < len(p.axes) and j < len(p.axes[i][2])}
            page_specs.append((slug_for(theme.id), pair, "front", 0, axis.id, theme.id, False))
    listed = {p for p in fr.commitments.values() for p in [p[0]]} | {x[0] for x in fr.pages} | set(fr.axis_readme.values())
    listed |= {t[2] for a in fr.axes for t in a[2]} | {x[0] for x in (fr.root_readme, fr.glossary) if x}
    prefix = fr.root + "/" if fr.root else ""
    for path in sorted(p[len(prefix):] for p in files if p.startswith(prefix) and p.endswith(".md")):
        if path not in listed and path not in ("SUMMARY.md", "LANGS.md") and (fr.root or "/" not in path):
            if not fr.root and path in ("LICENSE.md",):
                continue
            position += 10
            book.problems.append(f"{prefix}{path}:1: not in SUMMARY.md: imported as a page at the end")
            page_specs.append((slug_for(slugify(posixpath.splitext(posixpath.basename(path))[0])),
                               {"fr": (path, None)}, "back", position, None, None, False))
    if fr.glossary:
        page_specs.append((slug_for("glossaire"), paired(lambda p: p.glossary), "back", 100000, None, None, True))
    for slug, pair, *_ in page_specs:
        for lang, (path, _) in pair.items():
            where[parsed[lang].full(path)] = f"/pages/{slug}"
    numbers = sorted(fr.commitments)
    for n in numbers:
        for lang, p in parsed.items():
            if n in p.commitments:
                where[p.full(p.commitments[n][0])] = f"/commitments/engagement-{n:02d}"

    def resolve(candidates):
        return next((where[c] for c in candidates if c in where), None)

    def prepare(lang: str, rel: str) -> tuple[str, str] | None:
        """(source path, text with footnotes repaired and links rewritten) or None when absent."""
        path = parsed[lang].full(rel)
        if path not in files:
            book.problems.append(f"{parsed[lang].full('SUMMARY.md')}:1: {rel} is listed but missing")
            return None
        text, problems = fix_footnotes(_text(files, path))
        text, more = rewrite_links(text, path, resolve)
        book.problems += [f"{path}:{line}: {msg}" for line, msg in problems + more]
        return path, text

    for slug, pair, section, pos, axis_id, theme_id, glossary in page_specs:
        titles, bodies, sources = {}, {}, {}
        for lang, (rel, title) in pair.items():
            got = prepare(lang, rel)
            if got is None:
                continue
            path, text = got
            heading, rest = (None, text.strip("\n")) if glossary else _split_heading(text)
            titles[lang] = clean_title(heading or title or slug)
            bodies[lang] = unwrap(rest) + "\n"
            sources[lang] = path
        if "fr" in titles:
            book.pages.append(BPage(slug, titles, bodies, section, pos, axis_id, theme_id, glossary, sources))

    for n in numbers:
        path, ai, tj = fr.commitments[n]
        if ai is None:
            if not book.axes:
                book.problems.append(f"{fr.full(path)}:1: commitment {n} is outside any axis: not imported")
                continue
            book.problems.append(f"{fr.full(path)}:1: commitment {n} is outside any axis: put in the first")
            ai = 0
        axis = book.axes[ai]
        c = BCommitment(n, axis.id, axis.themes[tj].id if tj is not None and tj < len(axis.themes) else None,
                        {}, {}, {}, [], {})
        for lang, p in parsed.items():
            if n not in p.commitments:
                if lang != "fr":
                    book.problems.append(f"{p.full('SUMMARY.md')}:1: commitment {n} has no {lang} text")
                continue
            got = prepare(lang, p.commitments[n][0])
            if got is None:
                continue
            _commitment_text(book, c, lang, *got)
        if "fr" in c.titles:
            book.commitments.append(c)

    known = set(where) | {p.full(x) for p in parsed.values() for x in ("SUMMARY.md",)} | {"LANGS.md", "book.json"}
    known |= {s for pg in book.pages for s in pg.sources.values()} | {s for c in book.commitments for s in c.sources.values()}
    book.ignored = sorted(p for p in files if p not in known)
    return book


def _book_json_title(files) -> str | None:
    try:
        return json.loads(files["book.json"]).get("title") if "book.json" in files else None
    except (ValueError, AttributeError):
        return None


def _commitment_text(book: Book, c: BCommitment, lang: str, path: str, text: str) -> None:
    lines = text.split("\n")
    title_at = None
    for i, line in enumerate(lines):
        m = _HEADING.match(line)
        if not m:
            continue
        if len(m.group(1)) == 1 and _H1_NUMBER.match(line.strip()):
            continue
        if len(m.group(1)) == 2:
            title_at = i
        break
    if title_at is None:
        book.problems.append(f"{path}:1: no '## title' heading: the commitment has no title")
        return
    c.titles[lang] = clean_title(_HEADING.match(lines[title_at]).group(2))
    body = lines[title_at + 1:]
    c.sources[lang] = path
    # sections: each '###' heading up to the next heading of level <= 3
    parts: list[tuple[str, list[str]]] = []
    own: list[str] = []
    current = None
    i = 0
    while i < len(body):
        m = _HEADING.match(body[i])
        if m and len(m.group(1)) <= 3:
            current = [m.group(2).strip(), []] if len(m.group(1)) == 3 else None
            if current is not None:
                parts.append(current)
        lm = _LEAD_HEAD.match(body[i])
        if lm:
            names = [x for x in re.split(r"\s*;\s*", lm.group("rest").strip()) if clean_name(x)]
            j = i + 1
            while j < len(body) and (not body[j].strip() or _BULLET.match(body[j])):
                if _BULLET.match(body[j]):
                    names.append(_BULLET.match(body[j]).group(1))
                elif names and not lm.group("rest").strip() and j + 1 < len(body) and not _BULLET.match(body[j + 1]):
                    break
                j += 1
            names = [clean_name(x) for x in names if clean_name(x)]
            if not names:
                book.problems.append(f"{path}:{title_at + 2 + i}: a lead institutions block names nobody")
            (current[1] if current is not None else own).extend(names)
            i = j
            continue
        i += 1
    c.leads[lang] = own
    with_leads = [(t, names) for t, names in parts if names]
    if lang == "fr":
        c.parts = [BPart({"fr": clean_title(t)}, {"fr": names}) for t, names in with_leads]
    else:
        if len(with_leads) != len(c.parts):
            book.problems.append(f"{path}:1: {len(with_leads)} sub-commitments in {lang}, {len(c.parts)} in fr: "
                                 "paired by position")
        for k, (t, names) in enumerate(with_leads[:len(c.parts)]):
            c.parts[k].titles[lang] = clean_title(t)
            c.parts[k].leads[lang] = names
    if not own and not with_leads:
        book.problems.append(f"{path}:1: no lead institutions ('**Institution(s) porteuse(s)** :' then a list)")
    c.bodies[lang] = unwrap("\n".join(body).strip("\n")) + "\n"
