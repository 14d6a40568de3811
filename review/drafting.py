"""A change to a commitment file described as a French legislative amendment would be.

Pure functions over two versions of a commitment file (front matter + Markdown body,
see docs/format.md):

- `drafting_summary(old, new)`: one French sentence per change, in the style of
  amendments (« Au deuxième alinéa, les mots « X » sont remplacés par les mots « Y ». »).
  Alinéas are the body's blocks (`render.source_blocks`), numbered from 1 in the OLD text.
- `changed_blocks(base, new)`: the base body's blocks a change touches, to flag two open
  amendments that change the same passage.
- `side_by_side(old, new)`: rows of (left_html, right_html), aligned by block.
"""

from __future__ import annotations

import html
import re


from .model import SchemaError, load_yaml
from .render import Segment, opcodes, plain_text, side_html, source_blocks, tokens, word_diff

NBSP = "\u00a0"

_ORDINALS = ("premier", "deuxième", "troisième", "quatrième", "cinquième", "sixième",
             "septième", "huitième", "neuvième", "dixième", "onzième", "douzième",
             "treizième", "quatorzième", "quinzième", "seizième", "dix-septième",
             "dix-huitième", "dix-neuvième", "vingtième")

_CARDINALS = ("un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix",
              "onze", "douze", "treize", "quatorze", "quinze", "seize", "dix-sept",
              "dix-huit", "dix-neuf", "vingt")

# How many words before an insertion are quoted to say where it goes.
CONTEXT_WORDS = 5

_WORD_RE = re.compile(r"\w", re.UNICODE)
_MISSING = object()


def ordinal(n: int) -> str:
    """1 -> 'premier', 2 -> 'deuxième', ... 20 -> 'vingtième', 21 -> '21e'."""
    if n < 1:
        raise ValueError(f"alinéas are numbered from 1, not {n}")
    return _ORDINALS[n - 1] if n <= len(_ORDINALS) else f"{n}e"


def _cardinal(n: int) -> str:
    return _CARDINALS[n - 1] if 1 <= n <= len(_CARDINALS) else str(n)


def _q(text: str) -> str:
    """French quotes with non-breaking spaces inside."""
    return f"«{NBSP}{text}{NBSP}»"


# -- the file ------------------------------------------------------------------

def _split(text: str) -> tuple[str | None, str]:
    """(front matter YAML or None when there is none, body). Never raises: a draft may be
    malformed, and describing it must still work."""
    text = text.replace("\r\n", "\n")
    if text.startswith("---\n"):
        lines = text.split("\n")
        for i in range(1, len(lines)):
            if lines[i] == "---":
                return "\n".join(lines[1:i]), "\n".join(lines[i + 1:])
    return None, text


def _blocks(body: str) -> list[str]:
    return [b.text for b in source_blocks(body)]


def _load(fm: str | None):
    if fm is None:
        return {}
    try:
        data = load_yaml(fm, "front matter")
    except SchemaError:
        return None
    return data if isinstance(data, dict) else ({} if data is None else None)


# -- drafting_summary ----------------------------------------------------------

def _quote_block(block: str) -> str:
    """A whole paragraph as a reader sees it: no Markdown markup, one line."""
    return _q(plain_text(block) or " ".join(block.split()))


def _quote_blocks(blocks: list[str]) -> str:
    return f"{NBSP}; ".join(_quote_block(b) for b in blocks)


def _designate(i1: int, i2: int) -> tuple[str, bool]:
    """Old blocks i1..i2 (0-based, end exclusive) -> ('le quatrième alinéa', plural)."""
    n = i2 - i1
    if n == 1:
        return f"le {ordinal(i1 + 1)} alinéa", False
    sep = "et" if n == 2 else "à"
    return f"les {ordinal(i1 + 1)} {sep} {ordinal(i2)} alinéas", True


def _new_blocks_phrase(blocks: list[str]) -> str:
    """'un alinéa ainsi rédigé : « … »' / 'deux alinéas ainsi rédigés : « … » ; « … »'."""
    n = len(blocks)
    words = f"{_cardinal(n)} alinéa ainsi rédigé" if n == 1 else f"{_cardinal(n)} alinéas ainsi rédigés"
    return f"{words}{NBSP}: {_quote_blocks(blocks)}"


def _groups(segments: list[Segment]) -> list[tuple[int, int]]:
    """Runs of changed segments as (start, end) indices into `segments`. Changes separated
    only by white space are one run: « le chat noir » -> « la chienne noire » is one change."""
    out: list[tuple[int, int]] = []
    start = last = None
    for k, seg in enumerate(segments):
        if seg.op != "equal":
            if start is None:
                start = k
            last = k
        elif start is not None and seg.text.strip():
            out.append((start, last + 1))
            start = last = None
    if start is not None:
        out.append((start, last + 1))
    return out


def _significant(segments: list[Segment], group: tuple[int, int]) -> bool:
    return any(s.op != "equal" and s.text.strip() for s in segments[group[0]:group[1]])


def _side(segments: list[Segment], op: str) -> str:
    """The text of one side: equal segments plus those of `op` ('delete' = old side)."""
    return "".join(s.text for s in segments if s.op in ("equal", op))


def _words_before(prefix: str) -> str:
    """The last CONTEXT_WORDS words of `prefix` (with the punctuation among them)."""
    toks = tokens(prefix)
    seen, start = 0, len(toks)
    for k in range(len(toks) - 1, -1, -1):
        if _WORD_RE.match(toks[k]):
            seen += 1
            start = k
            if seen == CONTEXT_WORDS:
                break
    if seen == 0:  # only punctuation before: quote it as it is
        return prefix.strip()
    return "".join(toks[start:]).strip()


def _one_block_change(n: int, old: str, new: str) -> str:
    """Old block number `n` (1-based) replaced by one new block."""
    where = ordinal(n)
    segments = word_diff(old, new)
    groups = [g for g in _groups(segments) if _significant(segments, g)]
    if len(groups) != 1:
        return f"Le {where} alinéa est ainsi rédigé{NBSP}: {_quote_block(new)}."
    g0, g1 = groups[0]
    run = segments[g0:g1]
    before, after = _side(run, "delete").strip(), _side(run, "insert").strip()
    if before and after:
        return f"Au {where} alinéa, les mots {_q(before)} sont remplacés par les mots {_q(after)}."
    if before:
        return f"Au {where} alinéa, les mots {_q(before)} sont supprimés."
    prefix = _side(segments[:g0], "delete")
    if not prefix.strip():
        return f"Au début du {where} alinéa, sont insérés les mots {_q(after)}."
    return (f"Au {where} alinéa, après les mots {_q(_words_before(prefix))}, "
            f"sont insérés les mots {_q(after)}.")


def _body_sentences(old_blocks: list[str], new_blocks: list[str]) -> list[str]:
    out = []
    for op, i1, i2, j1, j2 in opcodes(old_blocks, new_blocks):
        if op == "equal":
            continue
        if op == "delete":
            what, plural = _designate(i1, i2)
            verb = "sont supprimés" if plural else "est supprimé"
            out.append(f"{what[0].upper()}{what[1:]} {verb}.")
        elif op == "insert":
            added = new_blocks[j1:j2]
            if len(added) == 1:
                phrase = f"il est inséré {_new_blocks_phrase(added)}"
            else:
                phrase = f"sont insérés {_new_blocks_phrase(added)}"
            if not old_blocks:
                out.append(f"{phrase[0].upper()}{phrase[1:]}.")
            elif i1 == 0:
                out.append(f"Avant le premier alinéa, {phrase}.")
            else:
                out.append(f"Après le {ordinal(i1)} alinéa, {phrase}.")
        elif i2 - i1 == 1 and j2 - j1 == 1:
            out.append(_one_block_change(i1 + 1, old_blocks[i1], new_blocks[j1]))
        else:
            what, plural = _designate(i1, i2)
            verb = "sont remplacés" if plural else "est remplacé"
            out.append(f"{what[0].upper()}{what[1:]} {verb} par {_new_blocks_phrase(new_blocks[j1:j2])}.")
    return out


def _front_matter_sentences(old_fm: str | None, new_fm: str | None) -> list[str]:
    if (old_fm or "").strip() == (new_fm or "").strip():
        return []
    a, b = _load(old_fm), _load(new_fm)
    if a is None or b is None:  # not a YAML mapping: say what we can
        return ["L'en-tête est modifié."]
    keys = [k for k in b if a.get(k, _MISSING) != b[k]] + [k for k in a if k not in b]
    out = []
    if "title" in keys and isinstance(b.get("title"), str):
        keys.remove("title")
        out.append(f"Dans l'en-tête, le titre est ainsi rédigé{NBSP}: {_q(b['title'].strip())}.")
    if len(keys) == 1:
        out.append(f"Dans l'en-tête, le champ {_q(str(keys[0]))} est modifié.")
    elif keys:
        out.append(f"Dans l'en-tête, les champs {', '.join(_q(str(k)) for k in keys)} sont modifiés.")
    return out


def drafting_summary(old: str, new: str) -> list[str]:
    """The change from `old` to `new` (two whole commitment files) as French amendment
    sentences, one per change: front matter first, then the body in order. Alinéas are
    the body's blocks, numbered from 1 in the old text. [] when nothing changed."""
    old_fm, old_body = _split(old)
    new_fm, new_body = _split(new)
    return (_front_matter_sentences(old_fm, new_fm)
            + _body_sentences(_blocks(old_body), _blocks(new_body)))


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
        pairs.append((old_fm or "", new_fm or ""))
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
