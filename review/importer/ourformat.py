"""The reader of a source already in our plan format: its plan files as they are."""

from __future__ import annotations

from .. import amendments, model
from .book import Book


def is_plan(files: dict[str, bytes]) -> bool:
    return model.PLAN_PATH in files


def read(files: dict[str, bytes]) -> Book:
    keep = {p: d for p, d in files.items() if amendments.in_plan(p)}
    return Book(kind="plan", languages=list(model.LANGUAGES), titles={}, files=keep,
                ignored=sorted(p for p in files if p not in keep))
