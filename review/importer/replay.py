"""The history replay: read every first-parent state of the source, oldest first, turn each
into the plan's files, validate every one, then write one commit per state that changed
what is imported (original author, committer, dates and message, plus `Source-Commit:` and
`Source-Repository:`), the adoption commit (`Imported-From:`) and the tag."""

from __future__ import annotations

import os
from dataclasses import dataclass

from .. import trailers
from ..gitrepo import GitLayerError, GitRepo, Stamp
from ..trailers import IMPORTED_FROM, SOURCE_COMMIT, SOURCE_REPOSITORY  # noqa: F401 - the importer's trailers


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
    return trailers.message(text, [(SOURCE_COMMIT, state.id), (SOURCE_REPOSITORY, source_label)])
