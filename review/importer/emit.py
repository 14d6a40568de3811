"""A `Book` -> the files of a plan in our format (docs/format.md), organisations by id."""

from __future__ import annotations

import datetime as dt

import yaml

from .. import model
from .book import Book
from .orgs import OrgMap


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data):  # plan.yaml is written out in full: no anchors, no aliases
        return True


def _dump(data: dict) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100000)


def _doc(front: dict, body: str) -> bytes:
    return f"---\n{_dump(front)}---\n\n{body.strip(chr(10))}\n".encode("utf-8")


def plan_meta(when: dt.date, overrides: dict) -> dict:
    """adopted, period (two years) and the optional facts of plan.yaml an import cannot know."""
    adopted = overrides.get("adopted", when)
    end = adopted.replace(year=adopted.year + 2) - dt.timedelta(days=1) if isinstance(adopted, dt.date) else adopted
    out = {"adopted": adopted, "period": overrides.get("period", {"start": adopted, "end": end})}
    for k in ("country", "review_due"):
        if k in overrides:
            out[k] = overrides[k]
    return out


def files_of(book: Book, orgs: OrgMap, meta: dict, people: list | None = None) -> tuple[dict[str, bytes], list[str]]:
    """(path -> bytes, problems): the plan a book makes."""
    problems: list[str] = []
    if book.files is not None:  # already our format
        return dict(book.files), problems
    title = {lang: t for lang, t in book.titles.items() if t}
    plan = {"format": model.FORMAT_VERSION, "title": title}
    if "country" in meta:
        plan["country"] = meta["country"]
    plan["adopted"] = meta["adopted"]
    plan["period"] = meta["period"]
    if "review_due" in meta:
        plan["review_due"] = meta["review_due"]
    plan["languages"] = list(book.languages)
    axes = []
    for a in book.axes:
        entry = {"id": a.id, "title": dict(a.titles)}
        if a.themes:
            entry["themes"] = [{"id": t.id, "title": dict(t.titles)} for t in a.themes]
        axes.append(entry)
    plan["axes"] = axes
    plan["organisations"] = orgs.organisations()
    plan["people"] = list(people or [])
    if book.cover:
        plan["cover"] = {lang: f"{model.ASSETS_DIR}/{name}" for lang, name in book.cover.items()}
    files = {model.PLAN_PATH: _dump(plan).encode("utf-8")}

    def ids(names: list[str], where: str) -> list[str]:
        out = []
        for n in names:
            oid = orgs.id_of(n)
            if oid is None:
                problems.append(f"{where}:1: lead {n!r} is not in the organisation map: add it (or a spelling of it)")
            elif oid not in out:
                out.append(oid)
        return out

    for c in book.commitments:
        where = c.sources.get("fr", c.id)
        parts = [{"title": dict(p.titles), "leads": ids(p.leads.get("fr", []), where)} for p in c.parts]
        leads = ids(c.leads.get("fr", []), where)
        for part in parts:   # a part's leads count among the commitment's
            leads += [o for o in part["leads"] if o not in leads]
        front = {"number": c.number, "title": c.titles["fr"], "axis": c.axis}
        if c.theme:
            front["theme"] = c.theme
        front["leads"] = leads
        if parts:
            front["parts"] = parts
        files[model.commitment_path(c.id)] = _doc(front, c.bodies["fr"])
        for lang in book.languages[1:]:
            if lang in c.titles:
                files[model.commitment_path(c.id, lang)] = _doc({"title": c.titles[lang]}, c.bodies[lang])
    for p in book.pages:
        front = {"title": p.titles["fr"], "section": p.section, "position": p.position}
        if p.axis:
            front["axis"] = p.axis
        if p.theme:
            front["theme"] = p.theme
        if p.glossary:
            front["glossary"] = True
        files[model.page_path(p.slug)] = _doc(front, p.bodies["fr"])
        for lang in book.languages[1:]:
            if lang in p.titles:
                files[model.page_path(p.slug, lang)] = _doc({"title": p.titles[lang]}, p.bodies[lang])
    for name, data in book.assets.items():
        if len(data) > model.MAX_ASSET_BYTES:
            problems.append(f"{model.ASSETS_DIR}/{name}:1: the image is {len(data)} bytes, over the limit of "
                            f"{model.MAX_ASSET_BYTES}: left out")
            continue
        files[f"{model.ASSETS_DIR}/{name}"] = data
    return files, problems
