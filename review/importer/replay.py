"""The history replay: read every first-parent state of the source, oldest first, turn each
into the plan's files, validate every one, then write one commit per state that changed
what is imported (original author, committer, dates and message, plus `Source-Commit:` and
`Source-Repository:`), the adoption commit (`Imported-From:`) and the tag."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from ..gitrepo import GitLayerError, GitRepo, Stamp

SOURCE_COMMIT = "Source-Commit"
SOURCE_REPOSITORY = "Source-Repository"
IMPORTED_FROM = "Imported-From"
_TRAILER = re.compile(r"^(Source-Commit|Source-Repository|Imported-From): (.+)$", re.M)


def trailers(message: str) -> dict[str, str]:
    """The import trailers of a commit message (last paragraph)."""
    last = message.rstrip("\n").rsplit("\n\n", 1)[-1]
    return {m.group(1): m.group(2).strip() for m in _TRAILER.finditer(last)}


@dataclass
class SourceState:
    id: str                  # commit id, '' for a folder
    summary: str
    message: str
    author: Stamp | None
    committer: Stamp | None
    files: dict[str, bytes]


def open_source(path: str) -> GitRepo | None:
    """The git repository at exactly `path` (a bare repository or a work tree), or None."""
    try:
        repo = GitRepo(path)
    except GitLayerError:
        return None
    if os.path.realpath(repo.git_dir.rstrip("/")) not in (os.path.realpath(path),
                                                          os.path.realpath(os.path.join(path, ".git"))):
        return None
    return repo


def git_states(repo: GitRepo) -> list[SourceState]:
    tip = repo.head()
    if tip is None:
        return []
    blobs: dict[str, bytes] = {}
    out = []
    for info in reversed(list(repo.first_parent_log(tip))):
        files = {}
        for path, blob in repo.tree_files(info.id).items():
            if blob not in blobs:
                try:
                    blobs[blob] = repo.read_blob(blob)
                except (KeyError, AttributeError):  # a submodule: not a file
                    continue
            files[path] = blobs[blob]
        author, committer = repo.stamps(info.id)
        out.append(SourceState(info.id, info.summary, info.message, author, committer, files))
    return out


def message_of(state: SourceState, source_label: str) -> str:
    text = state.message.rstrip("\n") or "(no message)"
    return f"{text}\n\n{SOURCE_COMMIT}: {state.id}\n{SOURCE_REPOSITORY}: {source_label}\n"
