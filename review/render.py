"""Markdown to HTML and word-level diffs. Pure functions; the web only marks them safe."""

from __future__ import annotations

import bisect
import difflib
import html
import re
from dataclasses import dataclass

from markdown_it import MarkdownIt
from mdit_py_plugins.footnote import footnote_plugin

from .lru import LRU, MB

_BLOCK_OPENERS = {"paragraph_open", "bullet_list_open", "ordered_list_open", "heading_open",
                  "blockquote_open", "table_open", "code_block", "fence", "hr"}


def _md() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": True, "typographer": False})
    md.enable("table").enable("strikethrough").enable("linkify")  # bare URLs become links (linkify-it-py)
    md.use(footnote_plugin)
    return md


# -- @mentions (issue 18) ---------------------------------------------------------------
# `@handle` in user-written Markdown names a person of plan.yaml: it becomes a link to their
# profile, and review.notifications tells them. An inline rule of markdown-it, so code spans,
# code blocks and link texts are never touched; the handle must start a word (an e-mail address
# like a@b.fr is not a mention) and be known (env["mention_handles"]): else it stays plain text.
_MENTION_RE = re.compile(r"@([a-z][a-z0-9_-]{1,31})")
_BEFORE_OK = re.compile(r"[^\w.@/`-]")  # what may stand right before the "@"


def _mention_rule(state, silent: bool) -> bool:
    pos = state.pos
    if state.src[pos] != "@" or state.linkLevel > 0:
        return False
    if pos > 0 and not _BEFORE_OK.match(state.src[pos - 1]):
        return False
    m = _MENTION_RE.match(state.src, pos, state.posMax)
    if m is None:
        return False
    end = m.end()
    after = state.src[end:end + 2]
    if after[:1] and (after[0].isalnum() or after[0] in "_-@" or (after[0] == "." and after[1:2].isalnum())):
        return False
    handle = m.group(1)
    known = state.env.get("mention_handles") or ()
    if handle not in known:
        return False
    if not silent:
        state.env.setdefault("mentions", []).append(handle)
        tok = state.push("link_open", "a", 1)
        tok.attrs = {"href": f"/people/{handle}", "class": "mention"}
        tok.markup = "mention"
        state.push("text", "", 0).content = "@" + handle
        state.push("link_close", "a", -1).markup = "mention"
    state.pos = end
    return True


_plan_md = _md()
_comment_md = _md()
_comment_md.inline.ruler.after("text", "mention", _mention_rule)
_PLAIN_MENTION_RE = re.compile(r"(?<![\w.@/`-])@([a-z][a-z0-9_-]{1,31})(?![\w@-]|\.\w)")


def mentions(text: str, handles) -> list[str]:
    """The known handles a user-written text mentions (`@handle`), in order, each once: what
    render_comment links, so a mention in a code span or a link's text is none."""
    if not text or "@" not in text or not handles:
        return []
    if _too_costly(text):  # shown as plain text: every @handle of it shows (and counts)
        found = [h for h in _PLAIN_MENTION_RE.findall(text) if h in handles]
    else:
        env: dict = {"mention_handles": handles}
        _comment_md.parse(text, env)
        found = env.get("mentions", [])
    return list(dict.fromkeys(found))


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


# Every cache here is bounded in entries and in bytes (keys and values weighed); the total is
# documented in docs/ (CACHE_BYTES below).
_markdown_cache = LRU(4096, max_bytes=8 * MB, weigh=lambda k, v: len(k[0]) + len(v))
_comment_cache = LRU(8192, max_bytes=8 * MB, weigh=lambda k, v: len(k[0]) + len(k[1]) + 40 * len(k[2]) + len(v))
_blocks_cache = LRU(2048, max_bytes=8 * MB, weigh=lambda k, v: len(k) + sum(len(b.html) for b in v))
_plain_cache = LRU(8192, max_bytes=4 * MB, weigh=lambda k, v: len(k) + len(v))
CACHE_BYTES = 56 << 20


def _cached(cache: LRU, key, compute):
    value = cache.get(key)
    return value if value is not None else cache.put(key, compute())


def render_markdown(text: str, anchors: bool = True) -> str:
    """Commitment text -> HTML (raw HTML off, footnotes on). Cached by content."""
    return _cached(_markdown_cache, (text, anchors), lambda: _render_markdown(text, anchors))


def _render_markdown(text: str, anchors: bool) -> str:
    env: dict = {}
    tokens = _plan_md.parse(text, env)
    if anchors:
        _add_anchors(tokens, source_blocks(text))
    return _plan_md.renderer.render(tokens, _plan_md.options, env)


# What one comment (or rationale, progress note) may cost. Markdown-it is pure Python: a comment
# dense in markup (emphasis, links, brackets) or a table whose rows are filled out to a wide header
# costs far more than its size. Such a text is shown as plain text (escaped, its paragraphs kept),
# and so is one whose HTML would exceed MAX_COMMENT_HTML.
MAX_COMMENT_MARKUP = 400  # characters among MARKUP_CHARS
MARKUP_CHARS = "*_[]`|~\\<&!"
MAX_TABLE_COLUMNS = 20
MAX_TABLE_CELLS = 1000  # rows x columns of one table
MAX_COMMENT_HTML = 64 * 1024
MAX_LINKS = 100
_DELIMITER_ROW = re.compile(r"^ {0,3}\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")


def _too_costly(text: str) -> bool:
    if sum(text.count(c) for c in MARKUP_CHARS) > MAX_COMMENT_MARKUP:
        return True
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if "-" in line and _DELIMITER_ROW.match(line):
            columns = line.strip().strip("|").count("|") + 1
            rows = 0
            for after in lines[i + 1:]:
                if not after.strip():
                    break
                rows += 1
            if columns > MAX_TABLE_COLUMNS or (rows + 1) * columns > MAX_TABLE_CELLS:
                return True
    return False


def plain_html(text: str) -> str:
    """Text shown as it was written: escaped, paragraphs and line breaks kept."""
    paras = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "".join(f'<p class="plain">{html.escape(p.strip()).replace(chr(10), "<br>")}</p>\n' for p in paras)


def render_comment(text: str, prefix: str = "", handles: frozenset = frozenset()) -> str:
    """User-written Markdown: raw HTML off, links marked nofollow ugc, bounded in cost (see
    MAX_COMMENT_MARKUP). `prefix` (a comment id) makes the footnote ids unique on a page;
    `handles` (the people of plan.yaml) turns each `@handle` of them into a link to their profile."""
    handles = frozenset(handles)
    return _cached(_comment_cache, (text, prefix, handles), lambda: _render_comment(text, prefix, handles))


_FOOTNOTE_ID_RE = re.compile(r'(id="|href="#)(fn|fnref)(\d+(?::\d+)?)"')


def _render_comment(text: str, prefix: str, handles: frozenset = frozenset()) -> str:
    if _too_costly(text):
        return plain_html(text)
    env: dict = {"mention_handles": handles}
    tokens = _comment_md.parse(text, env)
    links = 0
    for tok in tokens:
        for child in tok.children or ():
            if child.type == "link_open" and child.markup != "mention":
                child.attrSet("rel", "nofollow ugc")
                links += 1
    if links > MAX_LINKS:
        return plain_html(text)
    out = _comment_md.renderer.render(tokens, _comment_md.options, env)
    if len(out) > MAX_COMMENT_HTML:
        return plain_html(text)
    if prefix and "fn" in out:
        safe = re.sub(r"[^A-Za-z0-9_-]", "-", prefix)
        out = _FOOTNOTE_ID_RE.sub(lambda m: f'{m.group(1)}{safe}-{m.group(2)}{m.group(3)}"', out)
    return out


@dataclass(frozen=True)
class RenderedBlock:
    html: str
    anchors: tuple[str, ...]


def render_blocks(text: str) -> tuple[RenderedBlock, ...]:
    """The body as top-level HTML blocks, each with the anchors it holds (a list holds
    one per item), so a page can put comments beside each block."""
    return _cached(_blocks_cache, text, lambda: _render_blocks(text))


def _render_blocks(text: str) -> tuple[RenderedBlock, ...]:
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


def plain_text(block: str) -> str:
    """What a reader sees of a Markdown block: no markup, one line."""
    return _cached(_plain_cache, block, lambda: _plain_text(block))


def _plain_text(block: str) -> str:
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


# The diff is close to linear: paragraphs are aligned first, then words only inside changed
# paragraphs, anchored on the words found once on each side (patience diff); a stretch with no
# such anchor is compared word by word only when it is small (LEAF_CELLS), otherwise it is shown
# as deleted then inserted as a whole, and the diff says it is coarse.
LEAF_CELLS = 40_000
MAX_DEPTH = 64
_PARAGRAPH_RE = re.compile(r"(\n[ \t]*\n\s*)")


class Diff(list):
    """The segments of a diff; `coarse` is true when part of it is shown as whole paragraphs or
    lines (deleted then inserted) because a word-by-word comparison would cost too much."""

    coarse = False


def _unique(seq, lo: int, hi: int, n: int) -> dict:
    """The runs of n items found once in seq[lo:hi], by value -> start (-1 when repeated)."""
    seen: dict = {}
    for i in range(lo, hi - n + 1):
        x = seq[i] if n == 1 else tuple(seq[i:i + n])
        seen[x] = -1 if x in seen else i
    return seen


def _anchors(a, alo, ahi, b, blo, bhi) -> tuple[list[tuple[int, int]], int]:
    """Runs found once on each side, in the same order, tried on single items first and then
    on runs of 3 and 7 (a text of common words has few unique words but many unique phrases)."""
    for n in (1, 3, 7):
        if min(ahi - alo, bhi - blo) < n:
            break
        ua, ub = _unique(a, alo, ahi, n), _unique(b, blo, bhi, n)
        found = _lis(sorted((i, ub[x]) for x, i in ua.items() if i >= 0 and ub.get(x, -1) >= 0))
        kept, ni, nj = [], alo, blo
        for i, j in found:  # runs longer than one item must not overlap
            if i >= ni and j >= nj:
                kept.append((i, j))
                ni, nj = i + n, j + n
        if kept:
            return kept, n
    return [], 0


def _lis(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest run of pairs increasing in both indices (pairs sorted by the first)."""
    tails: list[int] = []
    tail_idx: list[int] = []
    prev = [-1] * len(pairs)
    for k, (_, j) in enumerate(pairs):
        pos = bisect.bisect_left(tails, j)
        if pos == len(tails):
            tails.append(j)
            tail_idx.append(k)
        else:
            tails[pos], tail_idx[pos] = j, k
        prev[k] = tail_idx[pos - 1] if pos else -1
    out, k = [], tail_idx[-1] if tail_idx else -1
    while k >= 0:
        out.append(pairs[k])
        k = prev[k]
    return out[::-1]


def matching_blocks(a: list, b: list) -> tuple[list[tuple[int, int, int]], bool]:
    """(matching runs as (i, j, n), coarse) of two sequences of hashable items, in close to
    linear time: patience anchors, then difflib on small stretches without anchors."""
    out: list[tuple[int, int, int]] = []
    coarse = False

    def emit(i: int, j: int, n: int) -> None:
        if n:
            if out and out[-1][0] + out[-1][2] == i and out[-1][1] + out[-1][2] == j:
                i0, j0, n0 = out.pop()
                out.append((i0, j0, n0 + n))
            else:
                out.append((i, j, n))

    def solve(alo: int, ahi: int, blo: int, bhi: int, depth: int) -> None:
        nonlocal coarse
        n = 0  # common prefix
        while alo + n < ahi and blo + n < bhi and a[alo + n] == b[blo + n]:
            n += 1
        emit(alo, blo, n)
        alo, blo = alo + n, blo + n
        m = 0  # common suffix
        while ahi - m > alo and bhi - m > blo and a[ahi - m - 1] == b[bhi - m - 1]:
            m += 1
        tail = (ahi - m, bhi - m, m)
        ahi, bhi = ahi - m, bhi - m
        if alo < ahi and blo < bhi:
            anchors, size = _anchors(a, alo, ahi, b, blo, bhi) if depth < MAX_DEPTH else ([], 0)
            if anchors:
                i0, j0 = alo, blo
                for i, j in anchors:
                    solve(i0, i, j0, j, depth + 1)
                    emit(i, j, size)
                    i0, j0 = i + size, j + size
                solve(i0, ahi, j0, bhi, depth + 1)
            elif (ahi - alo) * (bhi - blo) <= LEAF_CELLS:
                sm = difflib.SequenceMatcher(None, a[alo:ahi], b[blo:bhi], autojunk=False)
                for i, j, k in sm.get_matching_blocks():
                    emit(alo + i, blo + j, k)
            else:
                coarse = True
        emit(*tail)

    solve(0, len(a), 0, len(b), 0)
    return out, coarse


def opcodes(a: list, b: list) -> list[tuple[str, int, int, int, int]]:
    """difflib-style opcodes ('equal', 'replace', 'delete', 'insert') in close to linear time."""
    ops, i0, j0 = [], 0, 0
    for i, j, n in matching_blocks(a, b)[0] + [(len(a), len(b), 0)]:
        if i > i0 and j > j0:
            ops.append(("replace", i0, i, j0, j))
        elif i > i0:
            ops.append(("delete", i0, i, j0, j))
        elif j > j0:
            ops.append(("insert", i0, i, j0, j))
        if n:
            ops.append(("equal", i, i + n, j, j + n))
        i0, j0 = i + n, j + n
    return ops


def _token_diff(old: str, new: str, out: Diff) -> None:
    a, b = tokens(old), tokens(new)
    blocks, coarse = matching_blocks(a, b)
    out.coarse = out.coarse or coarse
    i0 = j0 = 0
    for i, j, n in blocks + [(len(a), len(b), 0)]:
        if i > i0:
            out.append(Segment("delete", "".join(a[i0:i])))
        if j > j0:
            out.append(Segment("insert", "".join(b[j0:j])))
        if n:
            out.append(Segment("equal", "".join(a[i:i + n])))
        i0, j0 = i + n, j + n


def word_diff(old: str, new: str) -> Diff:
    """Word-level diff: inserted and deleted words, not whole lines. Paragraphs are aligned
    first; `coarse` is set when some change is shown as whole paragraphs (see LEAF_CELLS)."""
    pa, pb = _PARAGRAPH_RE.split(old), _PARAGRAPH_RE.split(new)
    out = Diff()
    for op, i1, i2, j1, j2 in opcodes(pa, pb):
        if op == "equal":
            out.append(Segment("equal", "".join(pa[i1:i2])))
        else:
            _token_diff("".join(pa[i1:i2]), "".join(pb[j1:j2]), out)
    merged = Diff()
    merged.coarse = out.coarse
    for seg in out:  # adjacent runs of one kind read as one
        if seg.text and merged and merged[-1].op == seg.op:
            merged[-1] = Segment(seg.op, merged[-1].text + seg.text)
        elif seg.text:
            merged.append(seg)
    return merged


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


def side_html(segments: list[Segment]) -> tuple[str, str]:
    """(left, right) HTML of a diff: deletions on the left, insertions on the right."""
    left, right = [], []
    for s in segments:
        t = html.escape(s.text)
        if s.op == "equal":
            left.append(t)
            right.append(t)
        elif s.op == "delete":
            left.append(f"<del>{t}</del>")
        else:
            right.append(f"<ins>{t}</ins>")
    return "".join(left), "".join(right)


def diff_stats(segments: list[Segment]) -> tuple[int, int]:
    """(words inserted, words deleted)."""
    count = lambda s: len([t for t in tokens(s.text) if not t.isspace()])
    return (sum(count(s) for s in segments if s.op == "insert"),
            sum(count(s) for s in segments if s.op == "delete"))
