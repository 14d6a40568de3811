"""A push that succeeds prints no error or warning lines, and never git's auto-gc notice."""

from __future__ import annotations

from review import amendments as am
from review.gitrepo import GitRepo

from .test_githttp import CID, FR, clone, commit, edit, git, server, propose  # noqa: F401 - fixtures


def _noise(stderr: str) -> list[str]:
    bad = ("error", "warning", "fatal", "not a commit", "gc", "auto packing")
    return [line for line in stderr.splitlines() if any(w in line.lower() for w in bad)]


def test_successful_pushes_print_no_error_lines(server, repo, tokens, tmp_path):
    work = clone(server, tmp_path, handle="sophie", token=tokens["sophie"])
    edit(work, FR, "## Enjeux", "## Ce qui est en jeu")
    commit(work, "Renommer la section des enjeux")
    out = git("push", "origin", f"HEAD:refs/for/{CID}", cwd=work)
    assert "opened amendment 1" in out.stderr and _noise(out.stderr) == [], out.stderr
    edit(work, FR, "## Ce qui est en jeu", "## Ce qui est vraiment en jeu")
    commit(work, "Préciser")
    out = git("push", "origin", "HEAD:refs/heads/amendments/1", cwd=work)
    assert _noise(out.stderr) == [], out.stderr


def test_auto_gc_is_off_for_pushes(server):
    assert GitRepo(server.repo_path).config_get("receive.autogc") == "false"
