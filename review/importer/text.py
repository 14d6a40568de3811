"""Text work of the import: names, slugs, words, hard-wrapped paragraphs, footnotes, links.

Pure functions on strings; each fix that changes more than white space is reported by the
caller as a problem of the source file (`path:line: ...`).
"""

from __future__ import annotations

import posixpath
import re
import unicodedata

from .. import model

_SPACES = dict.fromkeys(map(ord, "\u00a0\u202f\u2007\u2009\u200a\t"), " ")
_APOSTROPHES = dict.fromkeys(map(ord, "\u2019\u2018\u02bc\u0060\u00b4\u2032"), "'")


def ascii_fold(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def slugify(text: str, limit: int = model.MAX_ID_LEN) -> str:
    """Lowercase ASCII letters and digits joined by single hyphens, at most `limit` characters."""
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_fold(text).lower()).strip("-")
    if len(slug) > limit:
        slug = slug[:limit].rsplit("-", 1)[0] if "-" in slug[:limit] else slug[:limit]
    return slug.strip("-")


def clean_name(raw: str) -> str:
    """An institution's name as written, with its typographic noise removed: non-breaking and
    repeated spaces, typographic apostrophes, a list marker, trailing ` ;` `,` `.` `:`."""
    name = unicodedata.normalize("NFC", raw).translate(_SPACES).translate(_APOSTROPHES)
    name = re.sub(r"\s+", " ", name).strip()
    name = re.sub(r"^[-*+]\s+", "", name)
    name = re.sub(r"[\s;,.:]+$", "", name)
    return name.strip()


def clean_title(raw: str) -> str:
    """A title as written, its spaces tidied (non-breaking, repeated): typography kept."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", raw).translate(_SPACES)).strip()


def name_key(raw: str) -> str:
    """Two spellings of one institution have the same key (case, accents, spaces, punctuation)."""
    return slugify(clean_name(raw), limit=10_000)


_MARKUP = re.compile(r"!?\[\^[^\]]*\]:?|\]\([^)]*\)|[#*_>`|\[\]()~]|^-{3,}$|^\s*[-+]\s", re.M)
_WORD = re.compile(r"[^\W_]+(?:['\u2019-][^\W_]+)*", re.U)


def words(md: str) -> list[str]:
    """The words of a Markdown text, markup stripped (link targets, emphasis, headings, list
    markers, footnote labels), case and apostrophes normalised: what a reader reads."""
    text = _MARKUP.sub(" ", md.translate(_APOSTROPHES).translate(_SPACES))
    text = re.sub(r"\b(?:https?|ftp)://\S+", " ", text)
    return [w.lower() for w in _WORD.findall(text)]


# -- hard-wrapped paragraphs ------------------------------------------------------------

_BLOCK_START = re.compile(r"^\s*(#|>|\||```|~~~|([-*+]|\d+[.)])(\s|$)|\[\^[^\]]+\]|(-{3,}|\*{3,}|_{3,}|=+)\s*$)")
_FENCE = re.compile(r"^\s*(```|~~~)")


def unwrap(md: str) -> str:
    """Join the lines of each paragraph (and of each list item or quote line) into one:
    the plan's format has one paragraph per line (docs/format.md). Rendering is unchanged:
    a soft line break is a space."""
    out: list[str] = []
    fence = False
    for line in md.split("\n"):
        if _FENCE.match(line):
            fence = not fence
            out.append(line)
            continue
        if fence or not line.strip() or not out or not out[-1].strip():
            out.append(line)
            continue
        prev = out[-1]
        if (_BLOCK_START.match(line) or prev.lstrip().startswith(("#", "|")) or prev.endswith(("  ", "\\"))
                or re.match(r"^\s*(-{3,}|\*{3,}|_{3,}|=+)\s*$", prev) or line.startswith("    " * 2)):
            out.append(line)
            continue
        out[-1] = prev.rstrip(" ") + " " + line.lstrip()
    return "\n".join(out)


# -- footnotes --------------------------------------------------------------------------

_DEF = re.compile(r"^\[\^([^\]\s]+)\](:?)[ \t]*(.*)$")
_REF = re.compile(r"\[\^([^\]\s]+)\](?!:)")


def fix_footnotes(md: str) -> tuple[str, list[tuple[int, str]]]:
    """Repair the footnotes a GitBook accepted and markdown-it does not (a definition without
    its colon); report what cannot be repaired. Returns (text, [(line, problem)])."""
    lines = md.split("\n")
    problems: list[tuple[int, str]] = []
    defined: dict[str, int] = {}
    for i, line in enumerate(lines):
        m = _DEF.match(line)
        if not m:
            continue
        label, colon, rest = m.groups()
        if not colon:
            lines[i] = f"[^{label}]: {rest}".rstrip()
            problems.append((i + 1, f"footnote [^{label}] had no colon after its label: repaired"))
        if label in defined:
            problems.append((i + 1, f"footnote [^{label}] is defined twice (first on line {defined[label]}): "
                                    "the first definition is shown"))
        else:
            defined[label] = i + 1
    used: dict[str, int] = {}
    for i, line in enumerate(lines):
        if _DEF.match(line):
            body = _DEF.match(line).group(3)
        else:
            body = line
        for m in _REF.finditer(body):
            used.setdefault(m.group(1), i + 1)
    for label, line in used.items():
        if label not in defined:
            problems.append((line, f"footnote [^{label}] is used but never defined: it shows as text"))
    for label, line in defined.items():
        if label not in used:
            problems.append((line, f"footnote [^{label}] is defined but never used: it is not shown"))
    return "\n".join(lines), problems


# -- links ------------------------------------------------------------------------------

_LINK = re.compile(r"(!?)\[((?:[^\[\]]|\[[^\[\]]*\])*)\]\(\s*<?([^)\s>]+)>?(\s+\"[^\"]*\")?\s*\)")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def rewrite_links(md: str, source: str, resolve) -> tuple[str, list[tuple[int, str]]]:
    """Point links to other files of the book at their place here. `resolve(candidates)` takes
    the source paths the link may mean (relative to the file, then to the language's root and
    the repository's root) and gives the new target or None."""
    problems: list[tuple[int, str]] = []

    def sub(m: re.Match, line_no: int) -> str:
        bang, text, target, title = m.groups()
        if _SCHEME.match(target) or target.startswith(("#", "/")):
            return m.group(0)
        path, _, frag = target.partition("#")
        if not path:
            return m.group(0)
        base = posixpath.dirname(source)
        lang_root = source.split("/", 1)[0] if "/" in source else ""
        candidates = []
        for root in (base, lang_root, ""):
            p = posixpath.normpath(posixpath.join(root, path)) if root else posixpath.normpath(path)
            if p.endswith("/") or "." not in posixpath.basename(p):
                p = posixpath.join(p, "README.md")
            if not p.startswith("..") and p not in candidates:
                candidates.append(p)
        new = resolve(candidates)
        if new is None:
            problems.append((line_no, f"link to {target} names no file of the book: left as it is"))
            return m.group(0)
        return f"{bang}[{text}]({new}{'#' + frag if frag and not bang else ''}{title or ''})"

    out = []
    for i, line in enumerate(md.split("\n")):
        if "](](" in line:  # `[text](](target))`: a link typed twice
            line = line.replace("](](", "](")
            problems.append((i + 1, "a link written '](](' was repaired"))
        out.append(_LINK.sub(lambda m: sub(m, i + 1), line))
    return "\n".join(out), problems
