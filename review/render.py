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
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table").enable("strikethrough")
    md.use(footnote_plugin)
    return md


_plan_md = _md()
_comment_md = _md()


def _add_anchors(tokens) -> None:
    """Give each top-level block an id `p-N`: comments and blame point at it."""
    n = 0
    for tok in tokens:
        if tok.level == 0 and tok.type in _BLOCK_OPENERS and tok.nesting >= 0:
            n += 1
            tok.attrSet("id", f"p-{n}")
            tok.attrSet("data-anchor", f"p-{n}")


@lru_cache(maxsize=4096)
def render_markdown(text: str, anchors: bool = True) -> str:
    """Commitment text -> HTML (raw HTML off, footnotes on). Cached by content."""
    env: dict = {}
    tokens = _plan_md.parse(text, env)
    if anchors:
        _add_anchors(tokens)
    return _plan_md.renderer.render(tokens, _plan_md.options, env)


def render_comment(text: str) -> str:
    """User-written Markdown: raw HTML off, links marked nofollow ugc."""
    env: dict = {}
    tokens = _comment_md.parse(text, env)
    for tok in tokens:
        for child in tok.children or ():
            if child.type == "link_open":
                child.attrSet("rel", "nofollow ugc")
    return _comment_md.renderer.render(tokens, _comment_md.options, env)


def paragraphs(text: str) -> list[str]:
    """A body split into its blocks (separated by blank lines)."""
    return [p.strip("\n") for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]


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
