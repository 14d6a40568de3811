"""Markdown to HTML and word-level diffs. Pure functions; the web only marks them safe."""

from __future__ import annotations

import difflib
import html
import re
from dataclasses import dataclass
from functools import lru_cache

from markdown_it import MarkdownIt
from mdit_py_plugins.footnote import footnote_plugin

_BLOCK_OPENERS = {"paragraph_open", "bullet_list_open", "ordered_list_open", "heading_open",
                  "blockquote_open", "table_open", "code_block", "fence", "hr"}


def _md() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": True, "typographer": False})
    md.enable("table").enable("strikethrough").enable("linkify")  # bare URLs become links (linkify-it-py)
    md.use(footnote_plugin)
    return md


_plan_md = _md()
_comment_md = _md()


@dataclass(frozen=True)
class SourceBlock:
    """A paragraph of the Markdown source: lines start..end (0-based, end exclusive)."""

    start: int
    end: int
    text: str


def source_blocks(text: str) -> list[SourceBlock]:
    """The body's blocks, separated by blank lines. Block N is anchor `p-N`."""
    out, start, lines = [], None, text.split("\n")
    for i, line in enumerate(lines + [""]):
        if line.strip():
            if start is None:
                start = i
        elif start is not None:
            out.append(SourceBlock(start, i, "\n".join(lines[start:i])))
            start = None
    return out


def _block_index(blocks: list[SourceBlock], line: int) -> int | None:
    for i, b in enumerate(blocks):
        if b.start <= line < b.end:
            return i
    return None


def _add_anchors(tokens, blocks: list[SourceBlock]) -> None:
    """Give each paragraph (and each list item) an id `p-N` after its source block."""
    used = set()
    for tok in tokens:
        top = tok.level == 0 and tok.type in _BLOCK_OPENERS and tok.type not in ("bullet_list_open", "ordered_list_open")
        item = tok.type == "list_item_open" and tok.level == 1
        if (top or item) and tok.map:
            i = _block_index(blocks, tok.map[0])
            if i is not None and i not in used:
                used.add(i)
                tok.attrSet("id", f"p-{i + 1}")
                tok.attrSet("data-anchor", f"p-{i + 1}")


@lru_cache(maxsize=4096)
def render_markdown(text: str, anchors: bool = True) -> str:
    """Commitment text -> HTML (raw HTML off, footnotes on). Cached by content."""
    env: dict = {}
    tokens = _plan_md.parse(text, env)
    if anchors:
        _add_anchors(tokens, source_blocks(text))
    return _plan_md.renderer.render(tokens, _plan_md.options, env)


@lru_cache(maxsize=8192)
def render_comment(text: str) -> str:
    """User-written Markdown: raw HTML off, links marked nofollow ugc."""
    env: dict = {}
    tokens = _comment_md.parse(text, env)
    for tok in tokens:
        for child in tok.children or ():
            if child.type == "link_open":
                child.attrSet("rel", "nofollow ugc")
    return _comment_md.renderer.render(tokens, _comment_md.options, env)


@dataclass(frozen=True)
class RenderedBlock:
    html: str
    anchors: tuple[str, ...]


@lru_cache(maxsize=2048)
def render_blocks(text: str) -> tuple[RenderedBlock, ...]:
    """The body as top-level HTML blocks, each with the anchors it holds (a list holds
    one per item), so a page can put comments beside each block."""
    env: dict = {}
    tokens = _plan_md.parse(text, env)
    _add_anchors(tokens, source_blocks(text))
    out, current, in_footnotes = [], [], False
    for tok in tokens:
        current.append(tok)
        in_footnotes = in_footnotes or tok.type == "footnote_block_open"
        if tok.level == 0 and tok.nesting <= 0 and not in_footnotes:
            html = _plan_md.renderer.render(current, _plan_md.options, env)
            anchors = tuple(t.attrGet("id") for t in current if t.attrGet("data-anchor"))
            out.append(RenderedBlock(html, anchors))
            current = []
    if current:
        out.append(RenderedBlock(_plan_md.renderer.render(current, _plan_md.options, env), ()))
    return tuple(out)


_TAG_RE = re.compile(r"<[^>]+>")


@lru_cache(maxsize=8192)
def plain_text(block: str) -> str:
    """What a reader sees of a Markdown block: no markup, one line."""
    inline = _plan_md.render(block)
    return re.sub(r"\s+", " ", html.unescape(_TAG_RE.sub("", inline))).strip()


# -- word diff ------------------------------------------------------------------

_TOKEN_RE = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)


def tokens(text: str) -> list[str]:
    return _TOKEN_RE.findall(text)


@dataclass(frozen=True)
class Segment:
    """A run of the diff: op is 'equal', 'insert' or 'delete'."""

    op: str
    text: str


def word_diff(old: str, new: str) -> list[Segment]:
    """Word-level diff: inserted and deleted words, not whole lines."""
    a, b = tokens(old), tokens(new)
    out: list[Segment] = []
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            out.append(Segment("equal", "".join(a[i1:i2])))
            continue
        if op in ("delete", "replace"):
            out.append(Segment("delete", "".join(a[i1:i2])))
        if op in ("insert", "replace"):
            out.append(Segment("insert", "".join(b[j1:j2])))
    return out


def diff_html(segments: list[Segment]) -> str:
    parts = []
    for s in segments:
        t = html.escape(s.text)
        if s.op == "insert":
            parts.append(f"<ins>{t}</ins>")
        elif s.op == "delete":
            parts.append(f"<del>{t}</del>")
        else:
            parts.append(t)
    return "".join(parts)


def diff_stats(segments: list[Segment]) -> tuple[int, int]:
    """(words inserted, words deleted)."""
    count = lambda s: len([t for t in tokens(s.text) if not t.isspace()])
    return (sum(count(s) for s in segments if s.op == "insert"),
            sum(count(s) for s in segments if s.op == "delete"))
