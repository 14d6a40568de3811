"""The sample plan, its schemas and `review init`."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest
import yaml

from review import commitment as core
from review import deployment, model
from review.model import SchemaError

from .conftest import PLAN_REPO, ROOT, corpus_or_skip


def _corpus_titles(corpus) -> dict[int, str]:
    titles = {}
    for path in corpus.rglob("engagement-*.md"):
        text = path.read_text(encoding="utf-8")
        number = int(re.search(r"^# Engagement (\d+)", text, re.M).group(1))
        heading = re.search(r"^##\s+(.+?)\s*$", text, re.M).group(1)
        titles[number] = re.sub(r"\s+", " ", heading)
    return titles


def test_our_26_titles_match_the_corpus():
    corpus = corpus_or_skip()
    files = deployment.read_plan_dir(PLAN_REPO)
    _, commitments = core.validate_files(files)
    ours = {c.number: c.title for c in commitments}
    theirs = _corpus_titles(corpus)
    assert len(theirs) == 26
    assert ours == theirs


def test_sample_plan_is_valid_and_complete():
    files = deployment.read_plan_dir(PLAN_REPO)
    plan, commitments = core.validate_files(files)
    assert len(commitments) == 26
    assert sorted(c.number for c in commitments) == list(range(1, 27))
    assert [a.id for a in plan.axes] == ["rendre-des-comptes", "consulter-concerter-co-produire",
                                         "partager-des-ressources", "ouvrir-l-administration", "climat"]
    for c in commitments:
        assert "en" in c.titles and c.bodies["en"].strip(), f"{c.id} has no English version"
        assert c.milestones, f"{c.id} has no milestones"
    roles = {r for p in plan.people.values() for r in p.roles}
    assert roles == set(model.ROLES)
    kinds = {o.kind for o in plan.organisations.values()}
    assert {"administration", "civil-society"} <= kinds


def test_sample_bodies_keep_one_paragraph_per_line():
    """Paragraphs separated by blank lines: git merges two amendments to two paragraphs cleanly."""
    for path in PLAN_REPO.glob("commitments/*/*.md"):
        _, body, _ = model.split_front_matter(path.read_text(encoding="utf-8"), str(path))
        lines = body.split("\n")
        for a, b in zip(lines, lines[1:]):
            assert not (a.strip() and b.strip()), f"{path}: two text lines without a blank line between: {a[:40]!r}"


def test_sample_bodies_are_not_copied_from_the_corpus():
    corpus = corpus_or_skip()
    def shingles(text, n=12):
        words = re.findall(r"\w+", text.lower())
        return {" ".join(words[i:i + n]) for i in range(len(words) - n + 1)}
    theirs = set()
    for path in corpus.rglob("*.md"):
        theirs |= shingles(path.read_text(encoding="utf-8"))
    for path in PLAN_REPO.glob("commitments/*/fr.md"):
        _, body, _ = model.split_front_matter(path.read_text(encoding="utf-8"), str(path))
        shared = shingles(body) & theirs
        # Official names of laws and bodies may be quoted; sentences may not.
        assert len(shared) <= 8, f"{path} shares {len(shared)} 12-word runs with the corpus: {sorted(shared)[:2]}"


def _plan_with(tmp_path, edit_plan=None, files=None):
    target = tmp_path / "plan"
    shutil.copytree(PLAN_REPO, target)
    if edit_plan:
        p = target / "plan.yaml"
        p.write_text(edit_plan(p.read_text(encoding="utf-8")), encoding="utf-8")
    for rel, text in (files or {}).items():
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        (target / rel).write_bytes(text if isinstance(text, bytes) else text.encode())
    return target


FR2 = "commitments/engagement-02/fr.md"


@pytest.mark.parametrize("mutate, expected", [
    (lambda t: t.replace("axis: rendre-des-comptes", "axis: nowhere"), r"commitments/engagement-02/fr.md:\d+: axis 'nowhere' is not one of plan.yaml's axes"),
    (lambda t: t.replace("number: 2", "number: two"), r"fr.md:2: number must be a whole number"),
    (lambda t: t.replace("  - premier-ministre", "  - observatoire-citoyen", 1), r"fr.md:\d+: lead 'observatoire-citoyen' is a civil-society organisation"),
    (lambda t: t.replace("number: 2", "number: 2\ncolour: blue"), r"fr.md:3: .*unknown key 'colour'"),
    (lambda t: t.replace("---\n", "", 1), r"fr.md:1: a commitment file must start with a '---' line"),
    (lambda t: t.replace("title:", "title: [unclosed", 1), r"fr.md:\d+: invalid YAML"),
    (lambda t: t.replace("number: 2", "number: 1"), r"number 1 is already used"),
])
def test_malformed_commitment_fails_with_path_line_and_writes_nothing(tmp_path, mutate, expected):
    text = (PLAN_REPO / FR2).read_text(encoding="utf-8")
    plan_dir = _plan_with(tmp_path, files={FR2: mutate(text)})
    target = tmp_path / "dep"
    with pytest.raises(SchemaError) as err:
        deployment.init(target, plan_dir)
    assert re.search(expected, str(err.value)), str(err.value)
    assert not target.exists()


@pytest.mark.parametrize("mutate, expected", [
    (lambda t: t.replace("kind: civil-society", "kind: club", 1), r"plan.yaml:\d+: organisation kind must be one of"),
    (lambda t: t.replace("roles: [member, coordinator]", "roles: [member, king]"), r"plan.yaml:\d+: role 'king' is not one of"),
    (lambda t: t.replace("adopted: 2015-07-16", "adopted: 16/07/2015"), r"plan.yaml:8: adopted must be a date written YYYY-MM-DD"),
    (lambda t: t.replace("handle: karim", "handle: Karim!"), r"plan.yaml:\d+: handle 'Karim!' must be"),
    (lambda t: t.replace("handle: karim", "handle: claire"), r"plan.yaml:\d+: handle 'claire' is used twice"),
])
def test_malformed_plan_yaml_fails_with_path_line(tmp_path, mutate, expected):
    plan_dir = _plan_with(tmp_path, edit_plan=mutate)
    with pytest.raises(SchemaError) as err:
        deployment.init(tmp_path / "dep", plan_dir)
    assert re.search(expected, str(err.value)), str(err.value)
    assert not (tmp_path / "dep").exists()


def test_line_numbers_point_at_the_offending_line(tmp_path):
    text = (PLAN_REPO / FR2).read_text(encoding="utf-8")
    bad = text.replace("axis: rendre-des-comptes", "axis: nowhere")
    line = bad.split("\n").index("axis: nowhere") + 1
    plan_dir = _plan_with(tmp_path, files={FR2: bad})
    with pytest.raises(SchemaError) as err:
        deployment.init(tmp_path / "dep", plan_dir)
    assert f"{FR2}:{line}: axis 'nowhere'" in str(err.value)


def test_stray_files_and_invalid_utf8_are_refused(tmp_path):
    plan_dir = _plan_with(tmp_path, files={"notes.txt": "hello", "commitments/engagement-02/en.md": b"---\ntitle: \xff\n---\n"})
    with pytest.raises(SchemaError) as err:
        deployment.init(tmp_path / "dep", plan_dir)
    msg = str(err.value)
    assert "notes.txt:1: not part of a plan" in msg
    assert "commitments/engagement-02/en.md:2: not valid UTF-8" in msg


def test_init_cli_reports_problems_and_exit_code(tmp_path):
    text = (PLAN_REPO / FR2).read_text(encoding="utf-8")
    plan_dir = _plan_with(tmp_path, files={FR2: text.replace("axis: rendre-des-comptes", "axis: nowhere")})
    r = subprocess.run([sys.executable, "-m", "review", "init", str(tmp_path / "dep"), "--from", str(plan_dir)],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 1
    assert re.search(r"commitments/engagement-02/fr.md:\d+: axis 'nowhere'", r.stderr)
    assert "nothing was written" in r.stderr
    assert not (tmp_path / "dep").exists()


def test_init_refuses_a_non_empty_folder(tmp_path):
    (tmp_path / "dep").mkdir()
    (tmp_path / "dep" / "keep.txt").write_text("mine")
    with pytest.raises(deployment.DeploymentError, match="not empty"):
        deployment.init(tmp_path / "dep")
    assert (tmp_path / "dep" / "keep.txt").read_text() == "mine"


def test_init_creates_repository_instance_and_tag(tmp_path):
    d, commit = deployment.init(tmp_path / "dep")
    repo = d.open_repo()
    assert repo.resolve("main") == commit
    assert repo.resolve(deployment.INITIAL_TAG) == commit
    assert repo.config_get("core.logAllRefUpdates") == "always"
    cfg = (d.instance_path / "config.py").read_text()
    assert re.search(r"SECRET_KEY = '[0-9a-f]{64}'", cfg)
    assert len(core.list_commitments(repo, commit)) == 26
    log = subprocess.run(["git", "-C", str(d.repo_path), "reflog", "show", "main"], capture_output=True, text=True)
    assert log.returncode == 0 and log.stdout.strip()


def test_init_demo_cli_prints_accounts(tmp_path):
    r = subprocess.run([sys.executable, "-m", "review", "init", str(tmp_path / "dep"), "--demo"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    for handle in ("claire", "antoine", "sophie", "karim", "lucie", "paul"):
        assert re.search(rf"^\s+{handle}\s+demo-{handle}-2015", r.stdout, re.M)
    assert "merged by claire" in r.stdout
    from review import amendments
    from review.deployment import Deployment
    repo = Deployment.open(tmp_path / "dep").open_repo()
    assert [a.state for a in amendments.list_all(repo)] == ["merged", "open"]
    info = repo.commit_info(repo.resolve("main"))
    assert "Amendment: 1" in info.message and len(info.parents) == 2
    v = subprocess.run([sys.executable, "-m", "review", "verify", str(tmp_path / "dep" / "plan.git")],
                       capture_output=True, text=True, cwd=ROOT)
    assert v.returncode == 0, v.stdout + v.stderr


def test_plan_yaml_parses_with_plain_yaml_too():
    """An auditor with nothing but PyYAML can read the plan."""
    data = yaml.safe_load((PLAN_REPO / "plan.yaml").read_text(encoding="utf-8"))
    assert data["format"] == model.FORMAT_VERSION
