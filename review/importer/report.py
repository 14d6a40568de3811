"""The report of an import (printed by `review import`, with or without --dry-run)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class StateNote:
    source: str            # source commit id ('' for a folder)
    summary: str
    imported: bool
    why: str = ""          # when not imported
    problems: list[str] = field(default_factory=list)   # new in this commit, `path:line: ...`


@dataclass
class Report:
    source: str
    kind: str = ""
    found: dict = field(default_factory=dict)          # what the last state holds
    mapping: list[tuple[str, str]] = field(default_factory=list)   # source path -> plan path
    states: list[StateNote] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)   # schema problems: nothing can be written
    orgs_text: str = ""
    orgs_source: str = ""
    ignored: list[str] = field(default_factory=list)
    written: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.invalid

    def text(self) -> str:
        f = self.found
        out = [f"review import: {self.source} ({self.kind})"]
        if f:
            out.append(f"found: languages {', '.join(f.get('languages', []))}; {f.get('axes', 0)} axes, "
                       f"{f.get('themes', 0)} themes, {f.get('commitments', 0)} commitments "
                       f"({f.get('parts', 0)} sub-commitments), {f.get('pages', 0)} pages, {f.get('images', 0)} images, "
                       f"{f.get('organisations', 0)} organisations")
        imported = [s for s in self.states if s.imported]
        out.append(f"history: {len(self.states)} source commit(s), {len(imported)} imported, "
                   f"{len(self.states) - len(imported)} changing nothing imported")
        if self.mapping:
            out += ["", "What maps to what (last state):"] + [f"  {a} -> {b}" for a, b in self.mapping]
        out += ["", "Source commits:"]
        for s in self.states:
            mark = "imported" if s.imported else f"not imported: {s.why}"
            out.append(f"  {s.source[:12] or '(folder)'} {s.summary[:60]!r}: {mark}")
            out += [f"    {p}" for p in s.problems]
        if self.ignored:
            out += ["", "Not imported (last state): " + ", ".join(self.ignored)]
        if self.invalid:
            out += ["", "The plan would not be valid; nothing was written:"] + [f"  {p}" for p in self.invalid]
        out += ["", f"Organisation map ({self.orgs_source}):", self.orgs_text.rstrip()]
        if self.written:
            w = self.written
            out += ["", f"Written: {w['repo']} (main at {w['main'][:12]}, tag {w['tag']}); "
                        f"organisation map: {w['orgs']}"]
        return "\n".join(out) + "\n"
