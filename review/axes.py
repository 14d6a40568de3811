"""Axes and themes of the plan: what the page of an axis or a theme shows (issue 17, point 5).

An axis (`plan.yaml`, `axes:`) groups commitments; a theme (optional, `themes:` of an axis)
groups some of an axis's commitments (their front matter's `theme:`). Each has a page: its
introduction (a page of `pages/` that names it with `axis:`/`theme:`, docs/format.md), its
commitments in plan order, and their progress today. Derived from the tree at a revision and
from the commitments' review logs: nothing is stored twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import commitment as core
from . import pages, progress
from .errors import Damaged
from .gitrepo import GitRepo
from .model import Axis, Page


@dataclass
class Item:
    """A commitment of the axis or theme, with its progress today."""

    summary: core.Summary
    level: str | None                      # the level in force for the whole commitment
    milestones: int                        # milestones of the commitment
    by_level: dict[str, int] = field(default_factory=dict)   # milestones per level in force
    reports: int = 0

    @property
    def complete(self) -> int:
        return self.by_level.get("complete", 0)


@dataclass
class Section:
    axis: Axis
    theme: str | None                      # None: the whole axis
    intro: Page | None
    items: list[Item]
    themes: list[tuple[str, dict, int]]    # on an axis page: (theme id, title, commitments)

    def title_in(self, lang: str) -> str:
        t = self.axis.themes[self.theme] if self.theme else self.axis.title
        return t.get(lang) or t.get("fr") or (self.theme or self.axis.id)

    def levels(self) -> dict[str, int]:
        """Milestones per level in force, over the section's commitments (plus `none`: not reported)."""
        out = {level: 0 for level in progress.LEVELS}
        out["none"] = 0
        for it in self.items:
            for level, n in it.by_level.items():
                out[level] += n
        return out


def _item(repo: GitRepo, commit: str, s: core.Summary) -> Item:
    c = core.read_commitment(repo, commit, s.id)
    try:
        reports = progress.reports(repo, s.id)
    except Damaged:  # the commitment's own page says what is damaged
        reports = []
    now = progress.current(reports)
    by_level: dict[str, int] = {}
    for m in c.milestones:
        r = now.get(m.id)
        key = r.level if r else "none"
        by_level[key] = by_level.get(key, 0) + 1
    whole = now.get(progress.WHOLE)
    return Item(s, whole.level if whole else None, len(c.milestones), by_level,
                sum(1 for r in reports if not r.hidden))


def section(repo: GitRepo, commit: str, axis_id: str, theme: str | None = None) -> Section:
    """The page of an axis (theme None) or of one of its themes; NotFound for an unknown one."""
    plan = core.read_plan(repo, commit)
    axis = plan.axis(axis_id)
    if axis is None:
        raise core.NotFound("notfound.axis", axis=repr(axis_id))
    if theme is not None and theme not in axis.themes:
        raise core.NotFound("notfound.theme", theme=repr(theme), axis=repr(axis_id))
    of_axis = [s for s in core.readable(core.list_commitments(repo, commit)) if s.axis == axis_id]
    if theme is not None:
        chosen = [s for s in of_axis if s.theme == theme]
    else:  # the book's order: each theme's commitments, then those of no theme
        chosen = [s for t in axis.themes for s in of_axis if s.theme == t]
        chosen += [s for s in of_axis if s.theme not in axis.themes]
    intro = next((p for p in pages.list_pages(repo, commit) if p.axis == axis_id and p.theme == theme), None)
    themes = [(t, title, sum(1 for s in of_axis if s.theme == t)) for t, title in axis.themes.items()]
    return Section(axis, theme, intro, [_item(repo, commit, s) for s in chosen], themes if theme is None else [])
