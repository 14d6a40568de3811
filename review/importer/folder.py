"""A plain folder of Markdown (no history): its files, read as one state. A folder in GitBook
layout (LANGS.md, SUMMARY.md) or in our format is read as such; any other folder is read
like a GitBook without SUMMARY.md: top folders are axes (their README.md the introduction),
sub-folders themes, `engagement-N.md` / `commitment-N.md` the commitments, other files pages."""

from __future__ import annotations

import os
from pathlib import Path

MAX_FILES = 20000


def read_folder(path: str | os.PathLike) -> dict[str, bytes]:
    base = Path(path)
    files: dict[str, bytes] = {}
    for p in sorted(base.rglob("*")):
        rel = p.relative_to(base).as_posix()
        if any(part.startswith(".") for part in rel.split("/")) or not p.is_file() or p.is_symlink():
            continue
        files[rel] = p.read_bytes()
        if len(files) > MAX_FILES:
            break
    return files
