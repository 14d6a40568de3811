"""Shared fixtures: real repositories in temporary folders, isolated from the machine's git config."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus" / "fr-ogp-2015" / "fr"
PLAN_REPO = ROOT / "plan-repo"


@pytest.fixture(autouse=True, scope="session")
def _isolated_git(tmp_path_factory):
    """HOME and XDG point at a temp folder: no user or system git config leaks in."""
    home = tmp_path_factory.mktemp("home")
    saved = {k: os.environ.get(k) for k in ("HOME", "XDG_CONFIG_HOME", "GIT_CONFIG_NOSYSTEM", "GIT_CONFIG_GLOBAL")}
    os.environ.update({"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
                       "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": str(home / ".gitconfig")})
    (home / ".gitconfig").write_text("[user]\n\tname = Test\n\temail = test@example.org\n")
    yield home
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="session")
def _template_deployment(tmp_path_factory):
    """One `review init --demo` per session, copied for each test (init hashes passwords: slow)."""
    from review import accounts, deployment
    root = tmp_path_factory.mktemp("template") / "dep"
    d, _ = deployment.init(root)
    accounts.create_demo_accounts(d)
    return root


@pytest.fixture
def deployment_dir(_template_deployment, tmp_path) -> Path:
    target = tmp_path / "dep"
    shutil.copytree(_template_deployment, target, symlinks=True)
    return target


@pytest.fixture
def dep(deployment_dir):
    from review.deployment import Deployment
    return Deployment.open(deployment_dir)


@pytest.fixture
def repo(dep):
    return dep.open_repo()


@pytest.fixture
def app(deployment_dir):
    from review.web import create_app
    return create_app(deployment_dir, {"TESTING": True, "WTF_CSRF_ENABLED": True})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def tokens(dep) -> dict[str, str]:
    """A personal access token for every demo person, by handle."""
    from review import accounts
    store = accounts.Accounts(dep)
    return {h: store.create_token(h, "test")[1]
            for h in ("claire", "antoine", "ines", "sophie", "karim", "lucie", "paul")}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def api_post(client, token: str, url: str, body):
    return client.post(url, json=body, headers=bearer(token))


def corpus_or_skip() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"the 2015 corpus is not at {CORPUS} (../shared is absent); CI always has it")
    return CORPUS


@pytest.fixture(autouse=True, scope="session")
def _french_catalogue():
    """Pages in French need the compiled catalogue: compile it when it is missing or older
    than messages.po (a checkout without `scripts/setup.sh`), or fail saying how."""
    import subprocess
    import sys
    folder = ROOT / "review" / "web" / "translations"
    for po in folder.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        done = subprocess.run([sys.executable, "-m", "babel.messages.frontend", "compile", "-d", str(folder)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            pytest.fail(f"could not compile {po}: {done.stderr.strip()} -- run `bash scripts/setup.sh --test`",
                        pytrace=False)
