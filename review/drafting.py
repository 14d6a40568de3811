"""A change to a commitment file described as a legislative amendment would be.

Pure functions over two versions of a plan file (front matter + Markdown body, see
docs/format.md):

- `drafting_summary(old, new, lang)`: one sentence per change, in French after the Guide de
  légistique (« Au deuxième alinéa, les mots : « X » sont remplacés par les mots : « Y ». »),
  or in English with the same operations ("In the second paragraph, the words “X” are
  replaced by the words “Y”."). docs/drafting.md has the rules.
- `changed_blocks(base, new)`: the base body's blocks a change touches, to flag two open
  amendments that change the same passage.
- `side_by_side(old, new)`: rows of (left_html, right_html), aligned by block.

Alinéas are what a reader sees as paragraphs: each paragraph, each list item, each table row,
each code block; headings (and a paragraph wholly in bold, used as one) are not alinéas, and
notes are named by their label. They are numbered from 1 in the OLD text. Quotes are plain
text on one line: no Markdown markers, no line breaks.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from markdown_it import MarkdownIt
from mdit_py_plugins.footnote import footnote_plugin

from .frontmatter import split_lenient
from .lru import LRU
from .model import SchemaError, load_yaml
from .render import opcodes, side_html, source_blocks, tokens, word_diff

NBSP = "\u00a0"

# A changed alinéa is rewritten whole ("est ainsi rédigé") when more than half of its old words
# are replaced or deleted, or when describing it would take more than this many operations.
MAX_OPERATIONS = 4
# A heading of at most this many words is rewritten whole when it changes; a longer one is
# changed word by word like an alinéa.
SHORT_HEADING_WORDS = 3
# Two alinéas of a changed stretch are the same alinéa modified when this share of their words
# is common (Dice coefficient); otherwise one is deleted and the other inserted.
PAIR_MIN = 0.4
# Above this many (old x new) elements in one changed stretch, no pairing is searched.
MAX_PAIRING_CELLS = 2500
# How many words at most an anchor or a quote is extended by to be found once in its alinéa.
MAX_CONTEXT_WORDS = 8

_WORD_RE = re.compile(r"\w", re.UNICODE)
_MISSING = object()


# -- numbers in words -----------------------------------------------------------------------

_UNITS = ("zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix",
          "onze", "douze", "treize", "quatorze", "quinze", "seize")
_TENS = {2: "vingt", 3: "trente", 4: "quarante", 5: "cinquante", 6: "soixante"}


def cardinal(n: int) -> str:
    """French cardinal in words (traditional spelling), 0 to 999 999: 21 -> 'vingt et un',
    80 -> 'quatre-vingts', 91 -> 'quatre-vingt-onze'."""
    if n < 0 or n >= 1_000_000:
        return str(n)
    if n <= 16:
        return _UNITS[n]
    if n < 20:
        return "dix-" + _UNITS[n - 10]
    if n < 70:
        t, u = divmod(n, 10)
        return _TENS[t] + ("" if u == 0 else " et un" if u == 1 else "-" + _UNITS[u])
    if n < 80:
        return "soixante et onze" if n == 71 else "soixante-" + cardinal(n - 60)
    if n < 100:
        return "quatre-vingts" if n == 80 else "quatre-vingt-" + cardinal(n - 80)
    if n < 1000:
        h, r = divmod(n, 100)
        head = "cent" if h == 1 else f"{_UNITS[h]} cent" + ("s" if r == 0 else "")
        return head if r == 0 else f"{head} {cardinal(r)}"
    th, r = divmod(n, 1000)
    head = "mille" if th == 1 else f"{cardinal(th).removesuffix('s') if th % 100 == 80 else cardinal(th)} mille"
    return head if r == 0 else f"{head} {cardinal(r)}"


def ordinal(n: int, feminine: bool = False) -> str:
    """French ordinal in words: 1 -> 'premier' ('première'), 12 -> 'douzième', 21 -> 'vingt et
    unième', 30 -> 'trentième', 80 -> 'quatre-vingtième', 99 -> 'quatre-vingt-dix-neuvième'."""
    if n < 1:
        raise ValueError(f"alinéas are numbered from 1, not {n}")
    if n == 1:
        return "première" if feminine else "premier"
    words = cardinal(n)
    cut = max(words.rfind(" "), words.rfind("-")) + 1
    head, last = words[:cut], words[cut:]
    special = {"un": "unième", "cinq": "cinquième", "neuf": "neuvième", "cents": "centième",
               "vingts": "vingtième"}
    if last in special:
        last = special[last]
    elif last.endswith("e"):
        last = last[:-1] + "ième"
    else:
        last += "ième"
    return head + last


_EN_UNITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
             "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
             "eighteen", "nineteen")
_EN_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_EN_ORD = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
           "nine": "ninth", "twelve": "twelfth"}


def en_cardinal(n: int) -> str:
    if n < 0 or n >= 1000:
        return str(n)
    if n < 20:
        return _EN_UNITS[n]
    if n < 100:
        t, u = divmod(n, 10)
        return _EN_TENS[t] + ("" if u == 0 else "-" + _EN_UNITS[u])
    h, r = divmod(n, 100)
    return f"{_EN_UNITS[h]} hundred" + ("" if r == 0 else f" and {en_cardinal(r)}")


def en_ordinal(n: int) -> str:
    """English ordinal in words: 2 -> 'second', 21 -> 'twenty-first', 30 -> 'thirtieth'."""
    if n < 1:
        raise ValueError(f"paragraphs are numbered from 1, not {n}")
    if n >= 1000:
        return f"{n}th"
    words = en_cardinal(n)
    cut = max(words.rfind(" "), words.rfind("-")) + 1
    head, last = words[:cut], words[cut:]
    if last in _EN_ORD:
        last = _EN_ORD[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return head + last


def _q(text: str) -> str:
    """French quotes with non-breaking spaces inside."""
    return f"«{NBSP}{text}{NBSP}»"


def _eq(text: str) -> str:
    return f"“{text}”"


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


# -- what a reader sees: alinéas, headings, notes ------------------------------------------------

@dataclass(frozen=True)
class Element:
    """A unit of the body: kind 'alinea', 'heading' or 'note' (a footnote's paragraph)."""

    kind: str
    text: str          # plain text on one line: what is quoted
    source: str        # its Markdown, to see a change of formatting or link alone
    label: str = ""    # a note's label

    @property
    def key(self) -> tuple:  # a paragraph wrapped anew is the same paragraph
        return (self.kind, self.label, " ".join(self.source.split()))


# The plan's Markdown (render._md) without linkify: plain text needs no links, and linkify
# was half of the parse's time.
_parser = MarkdownIt("commonmark", {"html": False, "typographer": False}).enable("table").enable("strikethrough")
_parser.use(footnote_plugin)
# A body's elements by its text: the old side of a file is described again and again (every
# amendment on it, every page view). Bounded in entries and bytes (docs/operations.md).
ELEMENTS_CACHE_BYTES = 4 << 20
_elements_cache = LRU(1024, max_bytes=ELEMENTS_CACHE_BYTES,
                      weigh=lambda k, v: len(k) + sum(len(e.text) + len(e.source) + 200 for e in v))


def _inline_text(children) -> str:
    out = []
    for c in children or []:
        if c.type in ("text", "code_inline"):
            out.append(c.content)
        elif c.type in ("softbreak", "hardbreak"):
            out.append(" ")
        elif c.type == "image":
            out.append(_inline_text(c.children))
    return " ".join("".join(out).split())


def _heading_like(inline) -> bool:
    """A short paragraph wholly in bold, without final punctuation, stands as a heading
    ("**Institutions porteuses**")."""
    kids = [c for c in inline.children or [] if not (c.type == "text" and not c.content.strip())]
    if len(kids) < 3 or kids[0].type != "strong_open" or kids[-1].type != "strong_close":
        return False
    if any(c.type in ("strong_open", "strong_close") for c in kids[1:-1]):
        return False
    text = _inline_text(inline.children)
    return 0 < len(text.split()) <= 12 and not text.endswith((".", ";", ",", "!", "?"))


def elements(body: str) -> list[Element]:
    """The body as a reader sees it, in order (cached by text)."""
    cached = _elements_cache.get(body)
    if cached is None:
        cached = _elements_cache.put(body, tuple(_elements(body)))
    return list(cached)


def _elements(body: str) -> list[Element]:
    toks = _parser.parse(body)
    out: list[Element] = []
    note: str | None = None
    row: list = []
    for i, t in enumerate(toks):
        if t.type == "footnote_open":
            note = str(t.meta.get("label", t.meta.get("id", "")))
        elif t.type == "footnote_close":
            note = None
        elif t.type == "heading_open":
            inline = toks[i + 1]
            out.append(Element("heading", _inline_text(inline.children), f"{t.markup} {inline.content}"))
        elif t.type == "paragraph_open" and toks[i + 1].type == "inline":
            inline = toks[i + 1]
            text = _inline_text(inline.children)
            if note is not None:
                out.append(Element("note", text, inline.content, note))
            elif _heading_like(inline):
                out.append(Element("heading", text, inline.content))
            else:
                out.append(Element("alinea", text, inline.content))
        elif t.type == "tr_open":
            row = []
        elif t.type == "inline" and toks[i - 1].type in ("th_open", "td_open"):
            row.append(t)
        elif t.type == "tr_close":
            out.append(Element("alinea", " | ".join(_inline_text(c.children) for c in row),
                               " | ".join(c.content for c in row)))
            row = []
        elif t.type in ("fence", "code_block"):
            out.append(Element("alinea", " ".join(t.content.split()), t.content))
    return out


# -- aligning the old and new elements -------------------------------------------------------

def _words(text: str) -> list[str]:
    return [w.lower() for w in re.findall(r"\w+", text)]


def similarity(a: str, b: str) -> float:
    """Share of words two texts have in common (Dice coefficient over word multisets)."""
    wa, wb = _words(a), _words(b)
    if not wa or not wb:
        return 1.0 if a.strip() == b.strip() else 0.0
    counts: dict[str, int] = {}
    for w in wa:
        counts[w] = counts.get(w, 0) + 1
    common = 0
    for w in wb:
        if counts.get(w, 0) > 0:
            counts[w] -= 1
            common += 1
    return 2 * common / (len(wa) + len(wb))


def _pairs(old: list[Element], new: list[Element], I: range, J: range) -> list[tuple[int, int]]:
    """The (i, j) of the changed stretch that are one element modified: the order-keeping
    pairing of same-kind elements with the most words in common."""
    if len(I) * len(J) > MAX_PAIRING_CELLS:
        if len(I) == len(J):
            return [(i, j) for i, j in zip(I, J) if old[i].kind == new[j].kind]
        return []
    n, m = len(I), len(J)
    sim = [[0.0] * m for _ in range(n)]
    for a in range(n):
        for b in range(m):
            x, y = old[I[a]], new[J[b]]
            if x.kind == y.kind and x.label == y.label and x.kind == "note":
                sim[a][b] = max(PAIR_MIN, similarity(x.text, y.text))
            elif x.kind == y.kind:
                sim[a][b] = similarity(x.text, y.text)
    score = [[0.0] * (m + 1) for _ in range(n + 1)]
    for a in range(n - 1, -1, -1):
        for b in range(m - 1, -1, -1):
            best = max(score[a + 1][b], score[a][b + 1])
            if sim[a][b] >= PAIR_MIN:
                best = max(best, score[a + 1][b + 1] + sim[a][b])
            score[a][b] = best
    out, a, b = [], 0, 0
    while a < n and b < m:
        if sim[a][b] >= PAIR_MIN and score[a][b] == score[a + 1][b + 1] + sim[a][b]:
            out.append((I[a], J[b]))
            a, b = a + 1, b + 1
        elif score[a][b] == score[a + 1][b]:
            a += 1
        else:
            b += 1
    return out


def _steps(old: list[Element], new: list[Element]) -> list[tuple]:
    """The changes in order: ('pair', i, j), ('del', [i...]), ('ins', [j...], anchor i or -1),
    ('replace', [i...], [j...])."""
    steps: list[tuple] = []

    def gap(olds: list[int], news: list[int], anchor: int) -> None:
        if olds and news:
            if len(olds) == len(news) and all(old[i].kind == new[j].kind for i, j in zip(olds, news)):
                steps.extend(("pair", i, j) for i, j in zip(olds, news))
            else:
                steps.append(("replace", olds, news))
        elif olds:
            steps.append(("del", olds))
        elif news:
            steps.append(("ins", news, anchor))

    for op, i1, i2, j1, j2 in opcodes([e.key for e in old], [e.key for e in new]):
        if op == "equal":
            continue
        I, J = range(i1, i2), range(j1, j2)
        pi, pj = i1, j1
        for i, j in _pairs(old, new, I, J) if I and J else []:
            gap(list(range(pi, i)), list(range(pj, j)), pi - 1)
            steps.append(("pair", i, j))
            pi, pj = i + 1, j + 1
        gap(list(range(pi, i2)), list(range(pj, j2)), pi - 1)
    return steps


# -- naming things in both languages -------------------------------------------------------------

@dataclass(frozen=True)
class _Name:
    """How a sentence names an element: 'le deuxième alinéa' / 'the second paragraph'."""

    fr: str            # with its article: le deuxième alinéa, l'intitulé « X », la note 1
    en: str            # the second paragraph, the heading “X”, note 1
    feminine: bool = False

    @property
    def fr_at(self) -> str:  # au deuxième alinéa, à l'intitulé « X », à la note 1
        if self.fr.startswith("le "):
            return "au " + self.fr[3:]
        if self.fr.startswith("les "):
            return "aux " + self.fr[4:]
        return "à " + self.fr

    @property
    def fr_of(self) -> str:  # du deuxième alinéa, de l'intitulé « X », de la note 1
        if self.fr.startswith("le "):
            return "du " + self.fr[3:]
        if self.fr.startswith("les "):
            return "des " + self.fr[4:]
        return "de " + self.fr


def _agree(participle: str, feminine: bool, plural: bool) -> str:
    return participle + ("e" if feminine else "") + ("s" if plural else "")


class _Body:
    """Names of the old text's elements (alinéas numbered from 1, headings and notes apart)."""

    def __init__(self, old: list[Element]):
        self.old = old
        self.number: dict[int, int] = {}
        for i, e in enumerate(old):
            if e.kind == "alinea":
                self.number[i] = len(self.number) + 1

    def name(self, i: int) -> _Name:
        e = self.old[i]
        if e.kind == "heading":
            return _Name(f"l'intitulé {_q(e.text)}", f"the heading {_eq(e.text)}")
        if e.kind == "note":
            return _Name(f"la note {e.label}", f"note {e.label}", feminine=True)
        n = self.number[i]
        return _Name(f"le {ordinal(n)} alinéa", f"the {en_ordinal(n)} paragraph")

    def names(self, idx: list[int]) -> tuple[_Name, bool]:
        """Several old elements named together ('les deuxième à quatrième alinéas'), plural?"""
        runs: list[list[int]] = []
        for i in idx:
            if runs and self.old[runs[-1][-1]].kind == self.old[i].kind:
                runs[-1].append(i)
            else:
                runs.append([i])
        fr, en = [], []
        for run in runs:
            kind = self.old[run[0]].kind
            if len(run) == 1:
                n = self.name(run[0])
                fr.append(n.fr), en.append(n.en)
            elif kind == "alinea":
                a, b = self.number[run[0]], self.number[run[-1]]
                sep_fr, sep_en = ("et", "and") if len(run) == 2 else ("à", "to")
                fr.append(f"les {ordinal(a)} {sep_fr} {ordinal(b)} alinéas")
                en.append(f"the {en_ordinal(a)} {sep_en} {en_ordinal(b)} paragraphs")
            elif kind == "heading":
                quoted = [self.old[i].text for i in run]
                fr.append("les intitulés " + _and_fr([_q(t) for t in quoted]))
                en.append("the headings " + _and_en([_eq(t) for t in quoted]))
            else:
                labels = [self.old[i].label for i in run]
                fr.append("les notes " + _and_fr(labels))
                en.append("notes " + _and_en(labels))
        feminine = all(self.old[i].kind == "note" for i in idx)
        return _Name(_and_fr(fr), _and_en(en), feminine), len(idx) > 1


def _and_fr(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " et " + items[-1]


def _and_en(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


_KIND_WORDS = {  # kind -> (fr singular, fr plural, feminine, en singular, en plural)
    "alinea": ("alinéa", "alinéas", False, "paragraph", "paragraphs"),
    "heading": ("intitulé", "intitulés", False, "heading", "headings"),
    "note": ("note", "notes", True, "note", "notes"),
}


def _new_things(els: list[Element]) -> tuple[str, str, bool]:
    """New elements described: ('deux alinéas ainsi rédigés', 'two paragraphs', plural)."""
    counts: list[list] = []
    for e in els:
        if counts and counts[-1][0] == e.kind:
            counts[-1][1] += 1
        else:
            counts.append([e.kind, 1])
    fr, en = [], []
    for kind, n in counts:
        sing, plur, fem, en_sing, en_plur = _KIND_WORDS[kind]
        card = ("une" if fem else "un") if n == 1 else cardinal(n)
        fr.append(f"{card} {sing if n == 1 else plur}")
        en.append(f"{'a' if n == 1 else en_cardinal(n)} {en_sing if n == 1 else en_plur}")
    plural = len(els) > 1
    feminine = all(e.kind == "note" for e in els)
    fr_phrase = f"{_and_fr(fr)} ainsi {_agree('rédigé', feminine, plural)}"
    return fr_phrase, _and_en(en), plural


def _quotes(els: list[Element]) -> tuple[str, str]:
    return f"{NBSP}; ".join(_q(e.text) for e in els), "; ".join(_eq(e.text) for e in els)


# -- the operations on words inside one alinéa ---------------------------------------------------

def _noun(text: str) -> tuple[str, str, bool, bool]:
    """How to call quoted words: (fr, en, feminine, plural): le mot, les mots, le signe,
    l'année."""
    words = [c for c in text.split() if _WORD_RE.search(c)]  # « registres-clés », « d'élus »: one word each
    if not words:
        return ("les signes", "the signs", False, True) if len(text.replace(" ", "")) > 1 else \
            ("le signe", "the sign", False, False)
    if len(words) == 1 and re.fullmatch(r"(19|20)\d\d", words[0]):
        return "l'année", "the year", True, False
    if len(words) == 1:
        return "le mot", "the word", False, False
    return "les mots", "the words", False, True


def _occurrences(hay: list[str], needle: list[str]) -> int:
    """How many times the tokens `needle` are found in `hay` (whole tokens; in linear time)."""
    if not needle:
        return 0
    return f"\0{chr(0).join(hay)}\0".count(f"\0{chr(0).join(needle)}\0")


def _stripped(toks: list[str]) -> list[str]:
    a, b = 0, len(toks)
    while a < b and not toks[a].strip():
        a += 1
    while b > a and not toks[b - 1].strip():
        b -= 1
    return toks[a:b]


def _groups(ops: list[tuple], a: list[str], b: list[str]) -> list[list[int]]:
    """Changed runs as [i1, i2, j1, j2]; runs separated only by white space are one change
    (« le chat noir » -> « la chienne noire »)."""
    out: list[list[int]] = []
    joinable = False
    for op, i1, i2, j1, j2 in ops:
        if op == "equal":
            if "".join(a[i1:i2]).strip():
                joinable = False
            continue
        if joinable:
            out[-1][1], out[-1][3] = i2, j2
        else:
            out.append([i1, i2, j1, j2])
        joinable = True
    return [g for g in out if "".join(a[g[0]:g[1]]).strip() or "".join(b[g[2]:g[3]]).strip()]


def _extend(a: list[str], b: list[str], g: list[int], lo: int, hi: int) -> list[int]:
    """Grow the change g = [i1, i2, j1, j2] with the same unchanged words on both sides (within
    old tokens lo..hi) until its old words are found once in the alinéa."""
    i1, i2, j1, j2 = g
    for _ in range(MAX_CONTEXT_WORDS):
        if _occurrences(a, _stripped(a[i1:i2])) <= 1:
            break
        if i1 > lo:  # one more word on the left
            k = i1 - 1
            while k > lo and not _WORD_RE.match(a[k]):
                k -= 1
            j1 -= i1 - k
            i1 = k
        elif i2 < hi:
            k = i2 + 1
            while k < hi and not _WORD_RE.match(a[k - 1]):
                k += 1
            j2 += k - i2
            i2 = k
        else:
            break
    return [i1, i2, j1, j2]


_JOINERS = ("-",)  # an apostrophe elides: « l'État » is two words, « État » can change alone


def _whole_words(a: list[str], b: list[str], g: list[int], lo: int, hi: int) -> list[int]:
    """Grow g = [i1, i2, j1, j2] so that it does not cut a word joined by a hyphen or an
    apostrophe: « registres-clés », never « -clés »."""
    i1, i2, j1, j2 = g
    while i1 > lo and a[i1 - 1].strip() and (a[i1 - 1] in _JOINERS or (i1 < i2 and a[i1] in _JOINERS)
                                              or (j1 < j2 and b[j1] in _JOINERS)):
        i1, j1 = i1 - 1, j1 - 1
    while i2 < hi and a[i2].strip() and (a[i2] in _JOINERS or (i2 > i1 and a[i2 - 1] in _JOINERS)
                                         or (j2 > j1 and b[j2 - 1] in _JOINERS)):
        i2, j2 = i2 + 1, j2 + 1
    return [i1, i2, j1, j2]


def _anchor(a: list[str], i: int, lo: int) -> str:
    """The fewest words before position i of the alinéa (not before lo) found once in it."""
    k = i
    for _ in range(MAX_CONTEXT_WORDS):
        k -= 1
        while k > lo and not _WORD_RE.match(a[k]):
            k -= 1
        if k < lo:
            k = lo
        if k == lo or _occurrences(a, _stripped(a[k:i])) <= 1:
            break
    return "".join(a[k:i]).strip()


def _word_operations(name: _Name, old: str, new: str) -> list[tuple[str, str]] | None:
    """The smallest operations turning `old` into `new` (one alinéa), as (fr, en) sentences;
    None when the alinéa is better rewritten whole."""
    a, b = tokens(old), tokens(new)
    ops = opcodes(a, b)
    kept = sum(1 for op, i1, i2, _, _ in ops if op == "equal" for t in a[i1:i2] if _WORD_RE.match(t))
    groups = _groups(ops, a, b)
    # more than half of the old words replaced or deleted: the alinéa is rewritten (words only
    # added, at its end or inside, are said as insertions however many they are)
    if 2 * kept < sum(1 for t in a if _WORD_RE.match(t)) or len(groups) > MAX_OPERATIONS or not groups:
        return None
    out = []
    prev_end = 0
    for n, g in enumerate(groups):
        hi = groups[n + 1][0] if n + 1 < len(groups) else len(a)
        g = _whole_words(a, b, g, prev_end, hi)
        i1, i2, j1, j2 = g
        before, after = "".join(a[i1:i2]).strip(), "".join(b[j1:j2]).strip()
        if before:
            i1, i2, j1, j2 = _extend(a, b, g, prev_end, hi)
            before, after = "".join(a[i1:i2]).strip(), "".join(b[j1:j2]).strip()
            nb_fr, nb_en, fem, plural = _noun(before)
            if after:
                na_fr, na_en, _, _ = _noun(after)
                verb = "sont remplacés" if plural else f"est {_agree('remplacé', fem, False)}"
                en_verb = "are" if plural else "is"
                out.append((f"{_cap(name.fr_at)}, {nb_fr}{NBSP}: {_q(before)} {verb} par {na_fr}{NBSP}: {_q(after)}.",
                            f"In {name.en}, {nb_en} {_eq(before)} {en_verb} replaced by {na_en} {_eq(after)}."))
            else:
                verb = _agree("supprimé", fem, plural)
                out.append((f"{_cap(name.fr_at)}, {nb_fr}{NBSP}: {_q(before)} {'sont' if plural else 'est'} {verb}.",
                            f"In {name.en}, {nb_en} {_eq(before)} {'are' if plural else 'is'} deleted."))
        else:
            na_fr, na_en, fem, plural = _noun(after)
            ins = f"{'sont' if plural else 'est'} {_agree('inséré', fem, plural)} {na_fr}{NBSP}: {_q(after)}"
            ins_en = f"{na_en} {_eq(after)} {'are' if plural else 'is'}"
            if not "".join(a[:i1]).strip():
                out.append((f"Au début {name.fr_of}, {ins}.", f"At the beginning of {name.en}, {ins_en} inserted."))
            elif not "".join(a[i1:]).strip():
                out.append((f"{_cap(name.fr)} est {_agree('complété', name.feminine, False)} par {na_fr}{NBSP}: {_q(after)}.",
                            f"At the end of {name.en}, {ins_en} added."))
            else:
                anchor = _anchor(a, i1, prev_end)
                nw_fr, nw_en, _, _ = _noun(anchor)
                out.append((f"{_cap(name.fr_at)}, après {nw_fr}{NBSP}: {_q(anchor)}, {ins}.",
                            f"In {name.en}, after {nw_en} {_eq(anchor)}, {ins_en} inserted."))
        prev_end = i2
    return out


# -- the sentences ------------------------------------------------------------------------------

def _pair_sentences(body: _Body, i: int, new: Element) -> list[tuple[str, str]]:
    old = body.old[i]
    name = body.name(i)
    if old.text == new.text:
        if " ".join(old.source.split()) == " ".join(new.source.split()):
            return []
        if old.kind == "note" and old.label != new.label:
            return [(f"{_cap(name.fr)} devient la note {new.label}.", f"{_cap(name.en)} becomes note {new.label}.")]
        return [(f"La mise en forme {name.fr_of} est modifiée (les mots ne changent pas).",
                 f"The formatting of {name.en} is changed (not its words).")]
    if old.kind != "heading" or len(_words(old.text)) > SHORT_HEADING_WORDS:
        ops = _word_operations(name, old.text, new.text)
        if ops is not None:
            return ops
    return [(f"{_cap(name.fr)} est ainsi {_agree('rédigé', name.feminine, False)}{NBSP}: {_q(new.text)}.",
             f"{_cap(name.en)} is worded as follows: {_eq(new.text)}.")]


def _insert_sentence(body: _Body, els: list[Element], anchor: int) -> tuple[str, str]:
    things, things_en, plural = _new_things(els)
    qfr, qen = _quotes(els)
    fr = f"{'sont insérés' if plural else 'il est inséré'} {things}{NBSP}: {qfr}"
    en = f"{things_en} {'are' if plural else 'is'} inserted: {qen}"
    if not body.old:
        return f"{_cap(fr)}.", f"{_cap(en)}."
    if anchor < 0:
        first = body.name(0)
        return f"Avant {first.fr}, {fr}.", f"Before {first.en}, {en}."
    after = body.name(anchor)
    return f"Après {after.fr}, {fr}.", f"After {after.en}, {en}."


def _body_sentences(old: list[Element], new: list[Element]) -> list[tuple[str, str]]:
    body = _Body(old)
    out: list[tuple[str, str]] = []
    for step in _steps(old, new):
        if step[0] == "pair":
            out += _pair_sentences(body, step[1], new[step[2]])
        elif step[0] == "ins":
            out.append(_insert_sentence(body, [new[j] for j in step[1]], step[2]))
        elif step[0] == "del":
            for run in _by_kind(old, step[1]):
                name, plural = body.names(run)
                verb = _agree("supprimé", name.feminine, plural)
                out.append((f"{_cap(name.fr)} {'sont' if plural else 'est'} {verb}.",
                            f"{_cap(name.en)} {'are' if plural else 'is'} deleted."))
        else:
            name, plural = body.names(step[1])
            things, things_en, _ = _new_things([new[j] for j in step[2]])
            qfr, qen = _quotes([new[j] for j in step[2]])
            verb = _agree("remplacé", name.feminine, plural)
            out.append((f"{_cap(name.fr)} {'sont' if plural else 'est'} {verb} par {things}{NBSP}: {qfr}.",
                        f"{_cap(name.en)} {'are' if plural else 'is'} replaced by {things_en}: {qen}."))
    return out


def _by_kind(old: list[Element], idx: list[int]) -> list[list[int]]:
    """Deleted elements said in one sentence per kind, in order."""
    runs: list[list[int]] = []
    for i in idx:
        if runs and old[runs[-1][-1]].kind == old[i].kind:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


# -- the front matter -----------------------------------------------------------------------------

def _load(fm: str | None):
    if fm is None:
        return {}
    try:
        data = load_yaml(fm, "front matter")
    except SchemaError:
        return None
    return data if isinstance(data, dict) else ({} if data is None else None)


def _ms_title(m: dict, lang: str) -> str:
    t = m.get("title")
    if isinstance(t, dict):
        return str(t.get(lang) or t.get("fr") or m.get("id", ""))
    return str(m.get("id", ""))


def _milestone_sentences(a: list, b: list) -> list[tuple[str, str]] | None:
    """Milestones matched by id; None when they cannot be (not a list of mappings with ids)."""
    if not all(isinstance(m, dict) and "id" in m for m in list(a) + list(b)):
        return None
    old = {m["id"]: m for m in a}
    new = {m["id"]: m for m in b}
    out = []
    for mid, m in new.items():
        fr_t, en_t = _q(_ms_title(old.get(mid, m), "fr")), _eq(_ms_title(old.get(mid, m), "en"))
        if mid not in old:
            out.append((f"Dans l'en-tête, il est ajouté un jalon{NBSP}: {_q(_ms_title(m, 'fr'))}.",
                        f"In the header, a milestone is added: {_eq(_ms_title(m, 'en'))}."))
            continue
        o = old[mid]
        if o.get("title") != m.get("title"):
            out.append((f"Dans l'en-tête, le titre du jalon {fr_t} est ainsi rédigé{NBSP}: {_q(_ms_title(m, 'fr'))}.",
                        f"In the header, the title of milestone {en_t} is worded as follows: {_eq(_ms_title(m, 'en'))}."))
        od, nd = o.get("due"), m.get("due")
        if str(od) != str(nd):
            if od is None:
                out.append((f"Dans l'en-tête, le jalon {fr_t} est complété par l'échéance{NBSP}: {_q(str(nd))}.",
                            f"In the header, the due date {_eq(str(nd))} is added to milestone {en_t}."))
            elif nd is None:
                out.append((f"Dans l'en-tête, l'échéance du jalon {fr_t} est supprimée.",
                            f"In the header, the due date of milestone {en_t} is deleted."))
            else:
                out.append((f"Dans l'en-tête, pour le jalon {fr_t}, l'échéance{NBSP}: {_q(str(od))} est remplacée "
                            f"par l'échéance{NBSP}: {_q(str(nd))}.",
                            f"In the header, for milestone {en_t}, the due date {_eq(str(od))} is replaced "
                            f"by the due date {_eq(str(nd))}."))
        if o.get("lead") != m.get("lead"):
            out.append((f"Dans l'en-tête, la direction du jalon {fr_t} est modifiée.",
                        f"In the header, the lead of milestone {en_t} is changed."))
        if [k for k in list(o) + list(m) if k not in ("id", "title", "due", "lead") and o.get(k) != m.get(k)]:
            out.append((f"Dans l'en-tête, le jalon {fr_t} est modifié.", f"In the header, milestone {en_t} is changed."))
    for mid, o in old.items():
        if mid not in new:
            out.append((f"Dans l'en-tête, le jalon {_q(_ms_title(o, 'fr'))} est supprimé.",
                        f"In the header, milestone {_eq(_ms_title(o, 'en'))} is deleted."))
    if not out and [m["id"] for m in a] != [m["id"] for m in b]:
        out.append(("Dans l'en-tête, l'ordre des jalons est modifié.", "In the header, the order of the milestones is changed."))
    return out


def _front_matter_sentences(old_fm: str | None, new_fm: str | None) -> list[tuple[str, str]]:
    if (old_fm or "").strip() == (new_fm or "").strip():
        return []
    a, b = _load(old_fm), _load(new_fm)
    if a is None or b is None:  # not a YAML mapping: say what we can
        return [("L'en-tête est modifié.", "The header is changed.")]
    keys = [k for k in b if a.get(k, _MISSING) != b[k]] + [k for k in a if k not in b]
    out = []
    if "title" in keys and isinstance(b.get("title"), str):
        keys.remove("title")
        out.append((f"Dans l'en-tête, le titre est ainsi rédigé{NBSP}: {_q(b['title'].strip())}.",
                    f"In the header, the title is worded as follows: {_eq(b['title'].strip())}."))
    if "milestones" in keys and isinstance(a.get("milestones", []), list) and isinstance(b.get("milestones", []), list):
        ms = _milestone_sentences(a.get("milestones", []), b.get("milestones", []))
        if ms is not None:
            keys.remove("milestones")
            out += ms
    if len(keys) == 1:
        out.append((f"Dans l'en-tête, le champ {_q(str(keys[0]))} est modifié.",
                    f"In the header, the field {_eq(str(keys[0]))} is changed."))
    elif keys:
        out.append((f"Dans l'en-tête, les champs {', '.join(_q(str(k)) for k in keys)} sont modifiés.",
                    f"In the header, the fields {', '.join(_eq(str(k)) for k in keys)} are changed."))
    return out


# -- drafting_summary ----------------------------------------------------------------------------

def summaries(old: str, new: str) -> dict[str, list[str]]:
    """The change from `old` to `new` (two whole plan files) in both languages: {'fr': [...],
    'en': [...]}, one sentence per change, front matter first, then the body in order."""
    old_fm, old_body = split_lenient(old)
    new_fm, new_body = split_lenient(new)
    pairs = _front_matter_sentences(old_fm, new_fm) + _body_sentences(elements(old_body), elements(new_body))
    return {"fr": [fr for fr, _ in pairs], "en": [en for _, en in pairs]}


def drafting_summary(old: str, new: str, lang: str = "fr") -> list[str]:
    """The change from `old` to `new` as amendment sentences in `lang` ('fr' or 'en'); []
    when nothing changed."""
    return summaries(old, new)["en" if lang == "en" else "fr"]


def _split(text: str) -> tuple[str | None, str]:
    return split_lenient(text)


def _blocks(body: str) -> list[str]:
    return [b.text for b in source_blocks(body)]


# -- changed_blocks ------------------------------------------------------------

def changed_blocks(base: str, new: str) -> set[int]:
    """0-based indices of the base body's blocks that the change touches: replaced or
    deleted blocks, and for an insertion between blocks k-1 and k both of them (clamped to
    the base's blocks). Front matter changes are ignored."""
    old_blocks, new_blocks = _blocks(_split(base)[1]), _blocks(_split(new)[1])
    n = len(old_blocks)
    out: set[int] = set()
    for op, i1, i2, _j1, _j2 in opcodes(old_blocks, new_blocks):
        if op in ("replace", "delete"):
            out.update(range(i1, i2))
        elif op == "insert":
            out.update(k for k in (i1 - 1, i1) if 0 <= k < n)
    return out


# -- side_by_side --------------------------------------------------------------

def _diff_sides(old: str, new: str) -> tuple[str, str]:
    return side_html(word_diff(old, new))


def side_by_side(old: str, new: str) -> list[tuple[str, str]]:
    """The bodies of two commitment files as rows of (left_html, right_html), one row per
    block: equal blocks on both sides; a replaced block as a word diff, <del> on the left
    and <ins> on the right; an inserted block has an empty left, a deleted one an empty
    right. The text is the Markdown source, HTML-escaped. Front matter is not shown."""
    old_blocks, new_blocks = _blocks(_split(old)[1]), _blocks(_split(new)[1])
    rows: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in opcodes(old_blocks, new_blocks):
        if op == "equal":
            rows.extend((html.escape(b), html.escape(b)) for b in old_blocks[i1:i2])
            continue
        a, b = old_blocks[i1:i2], new_blocks[j1:j2]
        for k in range(max(len(a), len(b))):
            if k < len(a) and k < len(b):
                rows.append(_diff_sides(a[k], b[k]))
            elif k < len(a):
                rows.append((f"<del>{html.escape(a[k])}</del>", ""))
            else:
                rows.append(("", f"<ins>{html.escape(b[k])}</ins>"))
    return rows


def side_cells(old: str | None, new: str | None) -> tuple[str, str]:
    """One changed pair as (left_html, right_html): deletions on the left, insertions on the right."""
    if old is None:
        return "", f"<ins>{html.escape(new or '')}</ins>"
    if new is None:
        return f"<del>{html.escape(old)}</del>", ""
    return _diff_sides(old, new)


def aligned_blocks(old: str, new: str) -> list[tuple[str | None, str | None]]:
    """The two files as pairs of (old block, new block), aligned: equal blocks paired with
    themselves, an inserted block with None on the left, a deleted one with None on the
    right. A changed front matter comes first, as one pair."""
    old_fm, old_body = _split(old)
    new_fm, new_body = _split(new)
    pairs: list[tuple[str | None, str | None]] = []
    if (old_fm or "") != (new_fm or ""):
        pairs.append(((old_fm or "").rstrip("\n"), (new_fm or "").rstrip("\n")))
    old_blocks, new_blocks = _blocks(old_body), _blocks(new_body)
    for op, i1, i2, j1, j2 in opcodes(old_blocks, new_blocks):
        if op == "equal":
            pairs.extend((b, b) for b in old_blocks[i1:i2])
            continue
        a, b = old_blocks[i1:i2], new_blocks[j1:j2]
        pairs.extend((a[k] if k < len(a) else None, b[k] if k < len(b) else None)
                     for k in range(max(len(a), len(b))))
    return pairs


def around_changes(pairs: list[tuple[str | None, str | None]], context: int = 1) -> list:
    """The pairs that changed and `context` unchanged ones on each side; None stands for
    each run of unchanged blocks left out."""
    changed = [i for i, (a, b) in enumerate(pairs) if a != b]
    keep = {j for i in changed for j in range(i - context, i + context + 1)}
    out: list = []
    for i, pair in enumerate(pairs):
        if i in keep:
            out.append(pair)
        elif not out or out[-1] is not None:
            out.append(None)
    return out
