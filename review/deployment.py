"""A deployment folder: `DIR/plan.git` (the plan repository) and `DIR/instance/`.

The instance folder holds what must not be in git: the secret key, the configuration
of this server, and (see `review.accounts`) credentials.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from . import commitment, model
from .gitrepo import GitRepo, Identity

REPO_DIR = "plan.git"
INSTANCE_DIR = "instance"
CONFIG_FILE = "config.py"
DEFAULT_PLAN = Path(__file__).resolve().parent.parent / "plan-repo"
INITIAL_TAG = "adopted-2015-07-16"


class DeploymentError(Exception):
    """A deployment folder that cannot be used or created; the message says why."""


@dataclass(frozen=True)
class Deployment:
    root: Path

    @property
    def repo_path(self) -> Path:
        return self.root / REPO_DIR

    @property
    def instance_path(self) -> Path:
        return self.root / INSTANCE_DIR

    def open_repo(self) -> GitRepo:
        return GitRepo(self.repo_path)

    @classmethod
    def open(cls, root: str | os.PathLike) -> "Deployment":
        root = Path(root).resolve()
        d = cls(root)
        if not (d.repo_path / "HEAD").is_file():
            raise DeploymentError(f"{root} is not a deployment folder (no {REPO_DIR} inside): "
                                  f"create one with 'review init {root}'")
        if not d.instance_path.is_dir():
            raise DeploymentError(f"{root} has no {INSTANCE_DIR}/ folder: run 'review init' again in an empty folder")
        return d


def read_plan_dir(plan_dir: str | os.PathLike) -> dict[str, bytes]:
    """The files of a plan folder (plan.yaml and commitments/...), hidden files skipped."""
    base = Path(plan_dir)
    if not (base / model.PLAN_PATH).is_file():
        raise DeploymentError(f"{base} is not a plan folder: it has no {model.PLAN_PATH}")
    files: dict[str, bytes] = {}
    for path in sorted(base.rglob("*")):
        rel = path.relative_to(base).as_posix()
        if any(part.startswith(".") for part in rel.split("/")) or not path.is_file():
            continue
        if rel.endswith("README.md") and "/" not in rel:
            continue
        files[rel] = path.read_bytes()
    return files


def make_instance(d: Deployment) -> None:
    """DIR/instance/ with its config (a new secret key); also used by `review import`."""
    d.instance_path.mkdir(mode=0o700)
    (d.instance_path / CONFIG_FILE).write_text(
        "# Configuration of this deployment (see README: Configuration).\n"
        f"SECRET_KEY = {secrets.token_hex(32)!r}\n"
        "# TRUSTED_PROXIES = 1  # behind one reverse proxy (nginx, Caddy): believe its X-Forwarded-* headers\n"
        "# SESSION_COOKIE_SECURE = True  # cookies are Secure over HTTPS anyway; True forces it always\n"
        "# MIRRORS = ['/srv/backup/plan.git']  # git remotes that receive every ref (README: Mirrors)\n"
        "# BASE_URL = 'https://plan.example.org'  # the public address; published books link back to it\n")
    os.chmod(d.instance_path / CONFIG_FILE, 0o600)


def init(root: str | os.PathLike, plan_dir: str | os.PathLike | None = None) -> tuple[Deployment, str]:
    """Create a deployment from a plan folder; validates everything before writing anything."""
    root = Path(root).resolve()
    files = read_plan_dir(plan_dir or DEFAULT_PLAN)
    plan, _ = commitment.validate_files(files)  # raises SchemaError, nothing written yet
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise DeploymentError(f"{root} exists and is not empty: choose a new folder")
    created_root = not root.exists()
    try:
        root.mkdir(parents=True, exist_ok=True)
        d = Deployment(root)
        repo = GitRepo.init_bare(d.repo_path)
        when = dt.datetime.combine(plan.adopted, dt.time(12, 0), tzinfo=dt.timezone.utc)
        service = Identity("review", "review@localhost")
        new, _ = repo.commit_on(commitment.MAIN, lambda tip: (files, "Adopt the plan\n\nImported by review init."),
                                service, expected=None, when=when)
        repo.create_tag(INITIAL_TAG, new, service, f"The plan as adopted on {plan.adopted.isoformat()}.")
        from . import hooks  # the server hooks: git pushes obey the rules of the web
        hooks.install(d.repo_path)
        make_instance(d)
        return d, new
    except BaseException:
        if created_root:
            shutil.rmtree(root, ignore_errors=True)
        else:
            for child in root.iterdir():
                shutil.rmtree(child, ignore_errors=True) if child.is_dir() else child.unlink()
        raise
