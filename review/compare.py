"""Comparing two versions of the plan: any two revisions (a tag, a commit, a branch, or the plan as
of a day), for one commitment or the whole plan.

What changed is said the way a reader thinks of it: per commitment and page, whether it was
added, removed or changed, how many words were inserted and deleted, the fields of its front
matter that changed (a title, a milestone's due date, a lead administration) as old -> new values,
never YAML lines, and its prose as a word diff that can be shown rendered (`rendered_diff`: the
Markdown rendered as on the page, with insertions and deletions marked) or as source.

Only the entries whose git tree differs between the two revisions are read, so comparing two
versions far apart costs what changed, not the size of the history between them.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from . import commitment as core
from . import model, pages, render
from .gitrepo import GitRepo
from .model import Commitment, Page, SchemaError


def resolve(repo: GitRepo, rev: str | dt.date) -> str:
    """A revision as a reader names it -> commit id: a branch, a tag, a commit id, or a day (the
    plan as it stood at the end of that day, UTC; written `@YYYY-MM-DD` in addresses)."""
    if isinstance(rev, dt.date):
        return core.resolve_as_of(repo, rev)
    return core.resolve(repo, rev)


@dataclass(frozen=True)
class FieldChange:
    """One field of the front matter: `field` is one of title, number, axis, theme, leads,
    milestone (added or removed as a whole: old/new is its title), milestone.title,
    milestone.due, milestone.lead, part, plan.<path>; `lang` is set for a title;
    `milestone` is the milestone's id and `label` its title (new version first)."""

    field: str
    old: str | None
    new: str | None
    lang: str | None = None
    milestone: str | None = None
    label: str | None = None

    def as_json(self) -> dict:
        return {"field": self.field, "old": self.old, "new": self.new, "lang": self.lang,
                "milestone": self.milestone, "label": self.label}


@dataclass
class ProseChange:
    """The text of one language: old and new Markdown (without front matter) and their word diff."""

    lang: str
    old: str
    new: str
    segments: render.Diff
    inserted: int
    deleted: int


@dataclass
class Change:
    """One commitment, page or the plan file: status added, removed or changed."""

    kind: str           # commitment, page, plan
    id: str
    status: str
    titles: dict[str, str]
    number: int | None = None
    fields: list[FieldChange] = field(default_factory=list)
    prose: dict[str, ProseChange] = field(default_factory=dict)

    def title_in(self, lang: str) -> str:
        return self.titles.get(lang) or self.titles.get(model.AUTHORITATIVE) or self.id

    @property
    def inserted(self) -> int:
        """Words inserted in the French (authoritative) text."""
        p = self.prose.get(model.AUTHORITATIVE)
        return p.inserted if p else 0

    @property
    def deleted(self) -> int:
        p = self.prose.get(model.AUTHORITATIVE)
        return p.deleted if p else 0

    def as_json(self, with_text: bool = True) -> dict:
        out = {"kind": self.kind, "id": self.id, "status": self.status, "number": self.number,
               "titles": self.titles, "words_inserted": self.inserted, "words_deleted": self.deleted,
               "fields": [f.as_json() for f in self.fields],
               "languages": {lang: {"words_inserted": p.inserted, "words_deleted": p.deleted}
                             for lang, p in self.prose.items()}}
        if with_text:
            for lang, p in self.prose.items():
                out["languages"][lang]["segments"] = [{"op": s.op, "text": s.text} for s in p.segments]
        return out


@dataclass
class Comparison:
    old: str
    new: str
    changes: list[Change]
    unchanged: int

    def summary(self) -> dict[str, int]:
        counts = {"added": 0, "removed": 0, "changed": 0}
        for c in self.changes:
            counts[c.status] += 1
        counts["unchanged"] = self.unchanged
        counts["words_inserted"] = sum(c.inserted for c in self.changes)
        counts["words_deleted"] = sum(c.deleted for c in self.changes)
        return counts

    def as_json(self, with_text: bool = True) -> dict:
        return {"from": self.old, "to": self.new, "summary": self.summary(),
                "changes": [c.as_json(with_text) for c in self.changes]}


# -- front matter as fields ---------------------------------------------------------------------


def _titles(old: dict, new: dict, name: str) -> list[FieldChange]:
    return [FieldChange(name, old.get(lang), new.get(lang), lang=lang)
            for lang in sorted(set(old) | set(new), key=_lang_order) if old.get(lang) != new.get(lang)]


def _lang_order(lang: str) -> tuple[int, str]:
    return (model.LANGUAGES.index(lang) if lang in model.LANGUAGES else len(model.LANGUAGES), lang)


def _label(m: model.Milestone) -> str:
    return m.title.get(model.AUTHORITATIVE) or next(iter(m.title.values()), m.id)


def commitment_fields(old: Commitment | None, new: Commitment | None) -> list[FieldChange]:
    """The front-matter fields that differ, in the order of the file."""
    if old is None or new is None:
        return []
    out = _titles(old.titles, new.titles, "title")
    for name in ("number", "axis", "theme"):
        a, b = getattr(old, name), getattr(new, name)
        if a != b:
            out.append(FieldChange(name, None if a is None else str(a), None if b is None else str(b)))
    if old.leads != new.leads:
        out.append(FieldChange("leads", ", ".join(old.leads), ", ".join(new.leads)))
    before = {m.id: m for m in old.milestones}
    after = {m.id: m for m in new.milestones}
    for m in new.milestones:
        was = before.get(m.id)
        if was is None:
            out.append(FieldChange("milestone", None, _label(m), milestone=m.id, label=_label(m)))
            continue
        label = _label(m)
        for ch in _titles(was.title, m.title, "milestone.title"):
            out.append(FieldChange(ch.field, ch.old, ch.new, lang=ch.lang, milestone=m.id, label=label))
        for name in ("due", "lead"):
            a, b = getattr(was, name), getattr(m, name)
            if a != b:
                out.append(FieldChange(f"milestone.{name}", a, b, milestone=m.id, label=label))
    for m in old.milestones:
        if m.id not in after:
            out.append(FieldChange("milestone", _label(m), None, milestone=m.id, label=_label(m)))
    old_parts = [(p.title.get(model.AUTHORITATIVE, ""), ", ".join(p.leads)) for p in old.parts]
    new_parts = [(p.title.get(model.AUTHORITATIVE, ""), ", ".join(p.leads)) for p in new.parts]
    if old_parts != new_parts:
        show = lambda parts: "; ".join(f"{t} ({leads})" if leads else t for t, leads in parts) or None
        out.append(FieldChange("parts", show(old_parts), show(new_parts)))
    return out


def page_fields(old: Page | None, new: Page | None) -> list[FieldChange]:
    if old is None or new is None:
        return []
    out = _titles(old.titles, new.titles, "title")
    for name in ("section", "position", "axis", "theme", "glossary"):
        a, b = getattr(old, name), getattr(new, name)
        if a != b:
            out.append(FieldChange(name, None if a is None else str(a), None if b is None else str(b)))
    return out


def _flatten(value, path: str, out: dict) -> None:
    """A YAML document as path -> scalar text; list items with an id (or handle) are keyed by it."""
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(v, f"{path}.{k}" if path else str(k), out)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            key = None
            if isinstance(v, dict):
                key = v.get("id") or v.get("handle")
            _flatten(v, f"{path}[{key if isinstance(key, str) else i}]", out)
    else:
        out[path] = "" if value is None else str(value)


def plan_fields(old: model.Plan | None, new: model.Plan | None) -> list[FieldChange]:
    a: dict = {}
    b: dict = {}
    _flatten(old.raw if old else {}, "", a)
    _flatten(new.raw if new else {}, "", b)
    keys = list(b) + [k for k in a if k not in b]
    return [FieldChange("plan", a.get(k), b.get(k), label=k) for k in keys if a.get(k) != b.get(k)]


# -- prose ---------------------------------------------------------------------------------------


def prose(old_bodies: dict[str, str], new_bodies: dict[str, str]) -> dict[str, ProseChange]:
    out = {}
    for lang in sorted(set(old_bodies) | set(new_bodies), key=_lang_order):
        a, b = old_bodies.get(lang, ""), new_bodies.get(lang, "")
        if a == b:
            continue
        segments = render.word_diff(a, b)
        inserted, deleted = render.diff_stats(segments)
        out[lang] = ProseChange(lang, a, b, segments, inserted, deleted)
    return out


# -- reading both sides ---------------------------------------------------------------------------


def _commitment_or_none(repo: GitRepo, commit: str, cid: str) -> Commitment | None:
    try:
        return core.read_commitment(repo, commit, cid)
    except (core.NotFound, SchemaError):
        return None


def _page_or_none(repo: GitRepo, commit: str, slug: str) -> Page | None:
    try:
        return pages.read_page(repo, commit, slug)
    except (core.NotFound, SchemaError):
        return None


def _status(old, new) -> str:
    return "added" if old is None else "removed" if new is None else "changed"


def commitment_change(repo: GitRepo, old_commit: str, new_commit: str, cid: str) -> Change | None:
    """What changed in one commitment between two revisions; None when nothing did (or when it
    exists at neither)."""
    old = _commitment_or_none(repo, old_commit, cid)
    new = _commitment_or_none(repo, new_commit, cid)
    if old is None and new is None:
        return None
    shown = new or old
    ch = Change("commitment", cid, _status(old, new), dict(shown.titles), number=shown.number,
                fields=commitment_fields(old, new),
                prose=prose(old.bodies if old else {}, new.bodies if new else {}))
    if ch.status == "changed" and not ch.fields and not ch.prose:
        return None
    return ch


def page_change(repo: GitRepo, old_commit: str, new_commit: str, slug: str) -> Change | None:
    old = _page_or_none(repo, old_commit, slug)
    new = _page_or_none(repo, new_commit, slug)
    if old is None and new is None:
        return None
    shown = new or old
    ch = Change("page", slug, _status(old, new), dict(shown.titles), fields=page_fields(old, new),
                prose=prose(old.bodies if old else {}, new.bodies if new else {}))
    if ch.status == "changed" and not ch.fields and not ch.prose:
        return None
    return ch


def _entries(repo: GitRepo, commit: str, folder: str) -> dict[str, str | None]:
    """name -> tree id of each entry of a folder of the plan (commitments/ or pages/)."""
    return {name: repo.tree_entry_id(commit, f"{folder}/{name}")
            for name, kind in repo.list_dir(commit, folder) if kind == "tree" and model.valid_id(name)}


def compare(repo: GitRepo, old_commit: str, new_commit: str) -> Comparison:
    """Every commitment and page that differs, in plan order (by number, then pages), and the
    plan file's own fields when they changed."""
    changes: list[Change] = []
    unchanged = 0
    if repo.blob_id(old_commit, model.PLAN_PATH) != repo.blob_id(new_commit, model.PLAN_PATH):
        old_plan = _plan_or_none(repo, old_commit)
        new_plan = _plan_or_none(repo, new_commit)
        fields = plan_fields(old_plan, new_plan)
        if fields:
            shown = new_plan or old_plan
            changes.append(Change("plan", "plan", _status(old_plan, new_plan),
                                  dict(shown.title) if shown else {}, fields=fields))
    for folder, one in ((model.COMMITMENTS_DIR, commitment_change), (model.PAGES_DIR, page_change)):
        tree = repo.tree_entry_id(new_commit, folder)
        if repo.tree_entry_id(old_commit, folder) == tree:
            unchanged += sum(1 for name, kind in repo.list_dir(new_commit, folder)
                             if kind == "tree" and model.valid_id(name)) if tree else 0
            continue
        a, b = _entries(repo, old_commit, folder), _entries(repo, new_commit, folder)
        found = []
        for name in list(b) + [n for n in a if n not in b]:
            if a.get(name) == b.get(name):
                unchanged += 1
                continue
            ch = one(repo, old_commit, new_commit, name)
            if ch is None:
                unchanged += 1
            else:
                found.append(ch)
        found.sort(key=lambda c: (c.number if c.number is not None else 0, c.id))
        changes += found
    return Comparison(old_commit, new_commit, changes, unchanged)


def _plan_or_none(repo: GitRepo, commit: str) -> model.Plan | None:
    try:
        return core.read_plan(repo, commit)
    except (core.NotFound, SchemaError):
        return None


# -- the prose diff, rendered ----------------------------------------------------------------------

# Markers that Markdown leaves alone, placed in the source around inserted and deleted words, then
# turned into <ins>/<del> in the rendered HTML, closed before every tag and reopened in the next
# text, so that the marks never break the page's structure (a deleted list item stays a list item).
_INS, _INS_END, _DEL, _DEL_END = "\ue000", "\ue001", "\ue002", "\ue003"
_MARKS = _INS + _INS_END + _DEL + _DEL_END
_BLOCK_PREFIX_RE = re.compile(rf"^([{_MARKS}]*)([ \t]*(?:[-*+]|\d{{1,9}}[.)]|#{{1,6}}|>)[ \t]+)", re.M)
_HTML_PIECE_RE = re.compile(r"(<[^>]*>)")


def _marked_source(segments: list[render.Segment]) -> str:
    parts = []
    for s in segments:
        if s.op == "insert":
            parts.append(_INS + s.text + _INS_END)
        elif s.op == "delete":
            parts.append(_DEL + s.text + _DEL_END)
        else:
            parts.append(s.text)
    text = "".join(parts).replace("\r", "")
    # A mark at the start of a line would hide a list item's or heading's marker from Markdown.
    return _BLOCK_PREFIX_RE.sub(lambda m: m.group(2) + m.group(1), text)


_BLOCK_SPLIT_RE = re.compile(r"\n[ \t]*\n")
FOLDED = "\ue004"   # where unchanged paragraphs were left out


def _around_changes(source: str, context: int) -> str:
    """The marked source with only the paragraphs that change and `context` paragraphs around
    them; each run left out becomes one FOLDED line."""
    blocks = _BLOCK_SPLIT_RE.split(source)
    changed = []
    inside = False
    for b in blocks:
        marked = inside or any(m in b for m in _MARKS)
        for ch in b:
            if ch in (_INS, _DEL):
                inside = True
            elif ch in (_INS_END, _DEL_END):
                inside = False
        changed.append(marked)
    keep = [any(changed[max(0, i - context): i + context + 1]) for i in range(len(blocks))]
    out = []
    for i, b in enumerate(blocks):
        if keep[i]:
            out.append(b)
        elif not out or out[-1] != FOLDED:
            out.append(FOLDED)
    return "\n\n".join(out)


def rendered_diff(segments: list[render.Segment], context: int | None = None) -> str:
    """The word diff rendered as the page renders the text (headings, lists, emphasis), with
    <ins> and <del> around inserted and deleted words. Safe HTML: the Markdown renderer escapes
    the text, and only the marks become tags. With `context`, only the paragraphs that change
    and that many around them are shown; each run left out is a paragraph of class "folded"."""
    source = _marked_source(segments)
    if context is not None:
        source = _around_changes(source, context)
    body = render.render_markdown(source, anchors=False)
    body = body.replace(f"<p>{FOLDED}</p>", '<p class="folded">[…]</p>')
    out = []
    ins = dele = False          # inside an insertion / deletion
    opened = ""                 # the tag currently open in the output ('' none, 'ins', 'del')
    for piece in _HTML_PIECE_RE.split(body):
        if not piece:
            continue
        if piece.startswith("<"):
            if opened:
                out.append(f"</{opened}>")
                opened = ""
            out.append(piece)
            continue
        for ch in re.split(f"([{_MARKS}])", piece):
            if ch == _INS:
                ins = True
            elif ch == _INS_END:
                ins = False
            elif ch == _DEL:
                dele = True
            elif ch == _DEL_END:
                dele = False
            elif ch:
                want = "ins" if ins else "del" if dele else ""
                if want != opened:
                    if opened:
                        out.append(f"</{opened}>")
                    if want and ch.strip():
                        out.append(f"<{want}>")
                        opened = want
                    else:
                        opened = ""
                out.append(ch)
    if opened:
        out.append(f"</{opened}>")
    return "".join(out)


def source_diff(segments: list[render.Segment]) -> str:
    return render.diff_html(segments)
