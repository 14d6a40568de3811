"""The layers run one way (README: Layout of the code): only the git layer imports pygit2,
the core imports no Flask and nothing of review.web."""

from __future__ import annotations

import ast
from pathlib import Path

import review

ROOT = Path(review.__file__).parent


def _imports(path: Path) -> set[str]:
    """Every module a file imports (absolute names; relative ones resolved against its package)."""
    package = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts)
    if path.name != "__init__.py":
        package = package.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            out.add(name)
            out |= {f"{name}.{a.name}" for a in node.names}
    return out


def _files(under: Path = ROOT):
    return sorted(p for p in under.rglob("*.py") if "translations" not in p.parts)


def test_only_the_git_layer_imports_pygit2():
    layer = ROOT / "gitrepo"
    users = {p.relative_to(ROOT).as_posix() for p in _files()
             if any(m == "pygit2" or m.startswith("pygit2.") for m in _imports(p))}
    assert users and all(u.startswith("gitrepo/") for u in users), users
    assert (layer / "__init__.py").is_file()


def test_the_core_imports_neither_flask_nor_the_web():
    web = ROOT / "web"
    for p in _files():
        if web in p.parents or p.name == "cli.py":  # the command line starts the web server
            continue
        bad = {m for m in _imports(p) if m.split(".")[0] in ("flask", "flask_babel", "flask_wtf", "werkzeug")
               or m.startswith("review.web")}
        assert not bad, f"{p.relative_to(ROOT)} imports {sorted(bad)}"


def test_the_git_layer_imports_nothing_of_the_domain():
    allowed = {"review.gitrepo", "review.errors", "review.commitgraph", "review.lru"}  # lru: a bounded cache, stdlib only
    for p in _files(ROOT / "gitrepo"):
        ours = {m for m in _imports(p) if m.startswith("review.")}
        assert all(any(m == a or m.startswith(a + ".") for a in allowed) for m in ours), (p.name, ours)
