"""What a reader finds in one state of a source: the book, before organisations get ids.

Every reader (GitBook, our own format, a Markdown folder) gives a `Book`; `emit.py` turns
it into the files of a plan. Problems are `path:line: message` in the source's own paths.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class BPart:
    titles: dict[str, str]
    leads: dict[str, list[str]]          # lang -> names as written


@dataclass
class BCommitment:
    number: int
    axis: str
    theme: str | None
    titles: dict[str, str]
    bodies: dict[str, str]
    leads: dict[str, list[str]]          # lang -> names as written (the commitment's own block)
    parts: list[BPart]
    sources: dict[str, str]              # lang -> source path

    @property
    def id(self) -> str:
        return f"engagement-{self.number:02d}"


@dataclass
class BPage:
    slug: str
    titles: dict[str, str]
    bodies: dict[str, str]
    section: str = "front"
    position: int = 0
    axis: str | None = None
    theme: str | None = None
    glossary: bool = False
    sources: dict[str, str] = field(default_factory=dict)


@dataclass
class BTheme:
    id: str
    titles: dict[str, str]


@dataclass
class BAxis:
    id: str
    titles: dict[str, str]
    themes: list[BTheme] = field(default_factory=list)


@dataclass
class Book:
    kind: str                              # gitbook | plan | markdown
    languages: list[str]
    titles: dict[str, str]
    axes: list[BAxis] = field(default_factory=list)
    commitments: list[BCommitment] = field(default_factory=list)
    pages: list[BPage] = field(default_factory=list)
    assets: dict[str, bytes] = field(default_factory=dict)      # name -> bytes
    cover: dict[str, str] = field(default_factory=dict)         # lang -> asset name
    problems: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)            # source paths not imported
    files: dict[str, bytes] | None = None  # a plan already in our format: its files as they are

    def lead_names(self) -> list[tuple[str, str | None]]:
        """Every (French name, English name or None) of a lead, paired by position."""
        out = []
        for c in self.commitments:
            blocks = [c.leads] + [p.leads for p in c.parts]
            for b in blocks:
                fr, en = b.get("fr", []), b.get("en", [])
                for i, name in enumerate(fr):
                    out.append((name, en[i] if i < len(en) and len(en) == len(fr) else None))
        return out
