"""Git-native access: the real `git` command against a real server started by the test.

Anonymous clone and mirror clone, pushes of revisions and of new amendments over smart
HTTP with a personal access token, every refusal with its message and no ref changed,
the server hooks' installation, and mirrors that receive every ref.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from review import accounts, cli, pushauth, reviewlog
from review import amendments as am
from review import commitment as core
from review import signoff
from review.deployment import Deployment

ROOT = Path(__file__).resolve().parent.parent
CID = "engagement-04"  # led by se-reforme-etat (antoine)
FR = f"commitments/{CID}/fr.md"


# -- helpers ---------------------------------------------------------------------------------

def git(*args, cwd=None, check=True, env=None) -> subprocess.CompletedProcess:
    full_env = dict(os.environ, GIT_TERMINAL_PROMPT="0", GIT_ASKPASS="", SSH_ASKPASS="")
    full_env.pop("GIT_ASKPASS")
    full_env.update(env or {})
    proc = subprocess.run(["git", *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=120)
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def refs_of(git_dir) -> dict[str, str]:
    out = git("--git-dir", str(git_dir), "for-each-ref", "--format=%(refname) %(objectname)").stdout
    return dict(line.split(" ", 1) for line in out.splitlines())


def people(repo):
    return core.read_plan(repo, core.resolve(repo, "main")).people


def propose(repo, who="lucie", old="## Enjeux", new="## Les enjeux") -> am.Amendment:
    text = repo.read_file(repo.resolve("main"), FR).decode().replace(old, new, 1)
    return am.propose(repo, people(repo)[who], CID, "Reformuler", "Plus clair", {FR: text})


class Server:
    def __init__(self, deployment_dir: Path, config: dict | None = None):
        from review.web import create_app
        self.dir = Path(deployment_dir)
        self.app = create_app(deployment_dir, {"TESTING": True, **(config or {})})
        self.httpd = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.base = f"http://127.0.0.1:{self.httpd.server_port}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, handle: str | None = None, token: str | None = None) -> str:
        if handle is None:
            return self.base + "plan.git"
        return f"http://{handle}:{token}@{self.base[len('http://'):]}plan.git"

    def get(self, path: str) -> str:
        with urllib.request.urlopen(self.base + path.lstrip("/"), timeout=30) as r:
            return r.read().decode("utf-8")

    @property
    def repo_path(self) -> Path:
        return self.dir / "plan.git"

    def close(self):
        self.httpd.shutdown()
        self.thread.join(timeout=10)


@pytest.fixture
def server(deployment_dir):
    s = Server(deployment_dir)
    yield s
    s.close()


def clone(server, tmp_path, name="work", handle=None, token=None) -> Path:
    target = tmp_path / name
    git("clone", "-q", server.url(handle, token), str(target))
    git("config", "user.name", "Someone", cwd=target)
    git("config", "user.email", "someone@example.org", cwd=target)
    return target


def edit(work: Path, path: str, old: str, new: str) -> None:
    p = work / path
    text = p.read_text()
    assert old in text, (old, path)
    p.write_text(text.replace(old, new, 1))


def commit(work: Path, message: str) -> str:
    git("commit", "-q", "-a", "-m", message, cwd=work)
    return git("rev-parse", "HEAD", cwd=work).stdout.strip()


# -- reading -----------------------------------------------------------------------------------

def test_anonymous_clone(server, tmp_path):
    work = clone(server, tmp_path)
    assert (work / "plan.yaml").is_file() and (work / FR).is_file()
    assert git("rev-parse", "HEAD", cwd=work).stdout.strip() == refs_of(server.repo_path)["refs/heads/main"]
    assert "git clone " + server.base + "plan.git" in server.get("/plan.git")
    # Nothing of the folder but the smart protocol: no config, no hooks, no instance folder.
    for path in ("/plan.git/config", "/plan.git/hooks/pre-receive", "/plan.git/HEAD", "/plan.git/../instance/config.py"):
        with pytest.raises(urllib.error.HTTPError) as exc:
            server.get(path)
        assert exc.value.code == 404


def test_mirror_clone_has_every_ref_and_verifies(server, repo, tokens, tmp_path):
    from review import comments
    a = propose(repo)
    comments.add(repo, people(repo)["karim"], CID, "Pourquoi ce titre ?", anchor=None)
    # What came in through git is audited like the rest: a revision and a new amendment.
    work = clone(server, tmp_path, handle="lucie", token=tokens["lucie"])
    _change_amendment(work, a)
    git("push", "origin", f"HEAD:refs/heads/amendments/{a.number}", cwd=work)
    git("checkout", "-q", "-b", "other", "origin/main", cwd=work)
    edit(work, FR, "## Contexte", "## Le contexte")
    commit(work, "Reformuler le contexte")
    git("push", "origin", f"HEAD:refs/for/{CID}", cwd=work)
    mirror = tmp_path / "audit.git"
    git("clone", "-q", "--mirror", server.url(), str(mirror))
    theirs, ours = refs_of(mirror), refs_of(server.repo_path)
    assert theirs == ours
    for ref in ("refs/heads/main", am.branch(a.number), reviewlog.amendment_log(a.number),
                reviewlog.commitment_log(CID), "refs/tags/adopted-2015-07-16"):
        assert ref in theirs
    proc = subprocess.run([sys.executable, "-m", "review", "verify", str(mirror)], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# -- pushing -----------------------------------------------------------------------------------

def test_push_revisions_to_own_amendment(server, repo, tokens, tmp_path):
    a = propose(repo)
    work = clone(server, tmp_path, handle="lucie", token=tokens["lucie"])
    git("checkout", "-q", "-b", "mine", f"origin/amendments/{a.number}", cwd=work)
    edit(work, FR, "## Les enjeux", "## Les véritables enjeux")
    first = commit(work, "Préciser le titre de section")
    (work / f"commitments/{CID}/en.md").write_text((work / f"commitments/{CID}/en.md").read_text() + "\nA new closing line.\n")
    second = commit(work, "Add a closing line")
    out = git("push", "origin", f"HEAD:refs/heads/amendments/{a.number}", cwd=work)
    assert f"amendment {a.number}: 2 new revision(s) recorded" in out.stderr
    assert f"{server.base}amendments/{a.number}" in out.stderr

    now = am.get(repo, a.number)
    assert now.head == second
    assert [v.id for v in now.revisions] == [a.head, first, second]
    events = reviewlog.read_events(repo, reviewlog.amendment_log(a.number))
    revs = [e for e in events if e.type == am.REVISE]
    assert [(e.actor, e.data["revision"], e.data["previous"], e.data["via"]) for e in revs] == [
        ("lucie", first, a.head, "git"), ("lucie", second, first, "git")]
    assert revs[0].data["files"] == [FR]
    log_author = repo.commit_info(revs[1].commit)
    assert (log_author.author_name, log_author.author_email) == ("Lucie Fontaine", "lucie@review.invalid")

    page = server.get(f"/amendments/{a.number}")
    assert "Préciser le titre de section" in page and "Add a closing line" in page and second[:12] in page
    assert re.search(r"<ins>[^<]*véritables[^<]*</ins>", page), page
    assert "A new closing line." in page


def test_push_a_merge_of_main_records_an_update(server, repo, tokens, tmp_path):
    a = propose(repo)
    other = propose(repo, who="ines", old="## Contexte", new="## Le contexte")  # changes another paragraph
    p = people(repo)
    signoff.give_verdict(repo, p["antoine"], other.number, other.head, "approve")
    signoff.give_verdict(repo, p["sophie"], other.number, other.head, "approve")
    signoff.merge(repo, p["claire"], other.number, other.head)
    work = clone(server, tmp_path, handle="lucie", token=tokens["lucie"])
    git("checkout", "-q", "-b", "mine", f"origin/amendments/{a.number}", cwd=work)
    git("merge", "-q", "--no-edit", "origin/main", cwd=work)
    merge = git("rev-parse", "HEAD", cwd=work).stdout.strip()
    git("push", "origin", f"HEAD:refs/heads/amendments/{a.number}", cwd=work)
    events = reviewlog.read_events(repo, reviewlog.amendment_log(a.number))
    assert events[-1].type == am.UPDATE and events[-1].data["revision"] == merge
    assert events[-1].data["via"] == "git" and events[-1].actor == "lucie"
    assert set(events[-1].data) == {"revision", "previous", "main", "via"}  # the web's payload (test_amendments)
    assert not am.behind_main(repo, am.get(repo, a.number))
    proc = subprocess.run([sys.executable, "-m", "review", "verify", str(server.repo_path)], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_open_an_amendment_with_refs_for(server, repo, tokens, tmp_path):
    work = clone(server, tmp_path, handle="sophie", token=tokens["sophie"])
    edit(work, FR, "## Enjeux", "## Ce qui est en jeu")
    pushed = commit(work, "Renommer la section des enjeux\n\nLe mot « enjeux » seul est vague.\nDeuxième ligne.")
    out = git("push", "origin", f"HEAD:refs/for/{CID}", cwd=work)
    assert f"opened amendment 1: {server.base}amendments/1" in out.stderr
    refs = refs_of(server.repo_path)
    assert not any(r.startswith("refs/for/") for r in refs)
    assert refs["refs/heads/amendments/1"] == pushed
    a = am.get(repo, 1)
    assert (a.author, a.commitment, a.state, a.head) == ("sophie", CID, "open", pushed)
    assert a.title == "Renommer la section des enjeux"
    assert a.rationale == "Le mot « enjeux » seul est vague.\nDeuxième ligne."
    assert a.events[0].data["via"] == "git"
    assert "Ce qui est en jeu" in server.get("/amendments/1")
    # The next revision goes to the branch the server made.
    git("fetch", "-q", "origin", cwd=work)
    edit(work, FR, "## Ce qui est en jeu", "## Ce qui est vraiment en jeu")
    commit(work, "Insister")
    git("push", "origin", "HEAD:refs/heads/amendments/1", cwd=work)
    assert len(am.get(repo, 1).revisions) == 2


# -- refusals ----------------------------------------------------------------------------------

def _merged(repo, a):
    p = people(repo)
    signoff.give_verdict(repo, p["antoine"], a.number, a.head, "approve")
    signoff.give_verdict(repo, p["sophie"], a.number, a.head, "approve")
    signoff.merge(repo, p["claire"], a.number, a.head)


def _change_amendment(work, a):
    git("checkout", "-q", "-b", "mine", f"origin/amendments/{a.number}", cwd=work)
    edit(work, FR, "## Les enjeux", "## Les grands enjeux")
    commit(work, "Encore")


def _checkout_amendment(work, a):
    git("checkout", "-q", "-b", "mine", f"origin/amendments/{a.number}", cwd=work)


def _symlink(work, path, target):
    os.remove(work / path)
    os.symlink(target, work / path)
    git("add", path, cwd=work)


def _gitlink(work, path):
    head = git("rev-parse", "HEAD", cwd=work).stdout.strip()
    git("update-index", "--add", "--cacheinfo", f"160000,{head},{path}", cwd=work)
    git("commit", "-q", "-m", "sous-module", cwd=work)  # not -a: the submodule has no folder here


def _big_text() -> str:
    # 10 MB that does not compress away: the pack really is large (chunked HTTP upload).
    return "---\n" + os.urandom(5 * 1024 * 1024).hex() + "\n"


REFUSALS = {
    # name: (who pushes, setup(repo, work, a) -> push arguments, expected message)
    "main": ("lucie", lambda repo, work, a: (edit(work, FR, "## Enjeux", "## X"), commit(work, "x"), ["HEAD:main"])[-1],
             "main changes only when a coordinator merges an approved amendment"),
    "review log": ("lucie", lambda repo, work, a: ["HEAD:refs/reviews/amendments/99"],
                   "review logs are written by the server only"),
    "tag": ("lucie", lambda repo, work, a: (git("tag", "v9", cwd=work), ["refs/tags/v9"])[-1],
            "tags are published by the server only"),
    "someone else's amendment": ("sophie", lambda repo, work, a: (_change_amendment(work, a), [f"HEAD:refs/heads/amendments/{a.number}"])[-1],
                                 "amendment 1 is @lucie's: only its author pushes revisions"),
    "merged amendment": ("lucie", lambda repo, work, a: (_change_amendment(work, a), _merged(repo, a), [f"HEAD:refs/heads/amendments/{a.number}"])[-1],
                         "the amendment is merged: it can no longer change"),
    "withdrawn amendment": ("lucie", lambda repo, work, a: (_change_amendment(work, a), am.withdraw(repo, people(repo)["lucie"], a.number),
                                                            [f"HEAD:refs/heads/amendments/{a.number}"])[-1],
                            "the amendment is withdrawn: it can no longer change"),
    "forced update": ("lucie", lambda repo, work, a: (git("checkout", "-q", "-b", "mine", f"origin/amendments/{a.number}", cwd=work),
                                                      git("commit", "-q", "--amend", "-m", "rewritten", cwd=work),
                                                      ["--force", f"HEAD:refs/heads/amendments/{a.number}"])[-1],
                      "this is a forced update"),
    "deletion": ("lucie", lambda repo, work, a: [f":refs/heads/amendments/{a.number}"],
                 "amendment branches are never deleted"),
    "new amendment branch": ("lucie", lambda repo, work, a: (edit(work, FR, "## Enjeux", "## X"), commit(work, "x"), ["HEAD:refs/heads/amendments/7"])[-1],
                             "amendment branches are created by the server"),
    "other ref": ("lucie", lambda repo, work, a: ["HEAD:refs/heads/feature"], "refs/heads/feature does not take pushes"),
    "invalid front matter": ("lucie", lambda repo, work, a: (_change_amendment(work, a), edit(work, FR, "number: 4", "number: four"),
                                                             commit(work, "casser"), [f"HEAD:refs/heads/amendments/{a.number}"])[-1],
                             "does not fit the plan's format"),
    "10 MB file": ("lucie", lambda repo, work, a: (_change_amendment(work, a), (work / FR).write_text(_big_text()),
                                                   commit(work, "énorme"), [f"HEAD:refs/heads/amendments/{a.number}"])[-1],
                   f"{FR} is 10485765 bytes; the limit is 204800 bytes (200 KB)"),
    "file outside the plan": ("lucie", lambda repo, work, a: (_change_amendment(work, a), (work / "notes.txt").write_text("x\n"),
                                                              git("add", "notes.txt", cwd=work), commit(work, "notes"),
                                                              [f"HEAD:refs/heads/amendments/{a.number}"])[-1],
                              "'notes.txt' is outside the plan"),
    "deleted file": ("lucie", lambda repo, work, a: (_change_amendment(work, a), git("rm", "-q", f"commitments/{CID}/en.md", cwd=work),
                                                     commit(work, "supprimer"), [f"HEAD:refs/heads/amendments/{a.number}"])[-1],
                     f"deletes commitments/{CID}/en.md"),
    # only regular files: a mode change is refused even when the blob is the same
    "executable file": ("lucie", lambda repo, work, a: (_checkout_amendment(work, a), os.chmod(work / FR, 0o755),
                                                        commit(work, "exécutable"), [f"HEAD:refs/heads/amendments/{a.number}"])[-1],
                        f"{FR} would be an executable file (mode 100755): the plan holds only regular files"),
    "symbolic link": ("lucie", lambda repo, work, a: (_checkout_amendment(work, a), _symlink(work, f"commitments/{CID}/en.md", "fr.md"),
                                                      commit(work, "lien"), [f"HEAD:refs/heads/amendments/{a.number}"])[-1],
                      f"commitments/{CID}/en.md would be a symbolic link (mode 120000)"),
    "gitlink": ("lucie", lambda repo, work, a: (_checkout_amendment(work, a), _gitlink(work, f"commitments/{CID}/annexe"),
                                                [f"HEAD:refs/heads/amendments/{a.number}"])[-1],
                f"commitments/{CID}/annexe would be a submodule (gitlink) (mode 160000)"),
    "refs/for with a symbolic link": ("lucie", lambda repo, work, a: (_symlink(work, f"commitments/{CID}/en.md", "/etc/passwd"),
                                                                      commit(work, "lien"), [f"HEAD:refs/for/{CID}"])[-1],
                                      f"commitments/{CID}/en.md would be a symbolic link (mode 120000)"),
    "refs/for with invalid front matter": ("lucie", lambda repo, work, a: (edit(work, FR, "axis: rendre-des-comptes", "axis: nulle-part"),
                                                                           commit(work, "Changer d'axe"), [f"HEAD:refs/for/{CID}"])[-1],
                                           "does not fit the plan's format"),
    "refs/for an unknown commitment": ("lucie", lambda repo, work, a: (edit(work, FR, "## Enjeux", "## X"), commit(work, "x"),
                                                                       ["HEAD:refs/for/engagement-99"])[-1],
                                       "there is no commitment 'engagement-99'"),
    "refs/for without a change": ("lucie", lambda repo, work, a: ["HEAD:refs/for/engagement-04"],
                                  "this commit is already part of the plan"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_refused_pushes_change_nothing(server, repo, tokens, tmp_path, case):
    who, setup, message = REFUSALS[case]
    a = propose(repo)
    work = clone(server, tmp_path, handle=who, token=tokens[who])
    args = setup(repo, work, a)
    before = refs_of(server.repo_path)
    log_before = {n: len(reviewlog.read_events(repo, reviewlog.amendment_log(n))) for n in am.numbers(repo)}
    out = git("push", "origin", *args, cwd=work, check=False)
    assert out.returncode != 0
    assert message in out.stderr, out.stderr
    assert "remote: review: nothing was changed: the whole push is refused" in out.stderr
    assert refs_of(server.repo_path) == before
    assert {n: len(reviewlog.read_events(repo, reviewlog.amendment_log(n))) for n in am.numbers(repo)} == log_before


def test_a_push_with_one_bad_ref_changes_no_ref(server, repo, tokens, tmp_path):
    a = propose(repo)
    work = clone(server, tmp_path, handle="lucie", token=tokens["lucie"])
    _change_amendment(work, a)
    before = refs_of(server.repo_path)
    out = git("push", "origin", f"HEAD:refs/heads/amendments/{a.number}", "HEAD:main", cwd=work, check=False)
    assert out.returncode != 0 and "refused refs/heads/main" in out.stderr
    assert refs_of(server.repo_path) == before


@pytest.mark.parametrize("case", ["no credentials", "wrong token", "someone else's token", "revoked token"])
def test_pushes_need_a_valid_token(server, repo, dep, tokens, tmp_path, case):
    a = propose(repo)
    work = clone(server, tmp_path)
    _change_amendment(work, a)
    token = tokens["lucie"]
    if case == "wrong token":
        token = token[:-4] + ("aaaa" if not token.endswith("aaaa") else "bbbb")
    if case == "revoked token":
        store = accounts.Accounts(dep)
        tid = accounts.parse_token(token)[0]
        assert store.revoke_token("lucie", tid)
    url = server.url() if case == "no credentials" else server.url("sophie" if case == "someone else's token" else "lucie", token)
    before = refs_of(server.repo_path)
    out = git("push", url, f"HEAD:refs/heads/amendments/{a.number}", cwd=work, check=False)
    assert out.returncode != 0
    if case == "no credentials":
        assert "could not read Username" in out.stderr, out.stderr
    else:
        assert "Authentication failed" in out.stderr and "wrong handle or token" in out.stderr, out.stderr
    assert refs_of(server.repo_path) == before


def test_http_answers_for_pushes(server):
    for url in ("plan.git/info/refs?service=git-receive-pack", "plan.git/git-receive-pack"):
        req = urllib.request.Request(server.base + url, method="GET" if "info" in url else "POST", data=None if "info" in url else b"0000")
        with pytest.raises(urllib.error.HTTPError) as exc:
            urllib.request.urlopen(req, timeout=30)
        assert exc.value.code == 401
        assert exc.value.headers["WWW-Authenticate"].startswith('Basic realm="review"')


def test_pushing_on_the_server_without_the_web_is_refused(repo, deployment_dir, tmp_path):
    """No back door: a push straight into plan.git has no authenticated pusher."""
    a = propose(repo)
    work = tmp_path / "local"
    git("clone", "-q", str(deployment_dir / "plan.git"), str(work))
    git("config", "user.email", "x@example.org", cwd=work)
    _change_amendment(work, a)
    before = refs_of(deployment_dir / "plan.git")
    out = git("push", "origin", f"HEAD:refs/heads/amendments/{a.number}", cwd=work, check=False)
    assert out.returncode != 0 and "pushes are accepted only through the server's address" in out.stderr
    assert refs_of(deployment_dir / "plan.git") == before
    # Naming a pusher in the environment proves nothing: the hook wants the web server's signature.
    for env in ({"REVIEW_PUSHER": "lucie"},
                {"REVIEW_PUSHER": "lucie", "REVIEW_PUSH_PROOF": "v1:%d:00:%s" % (time.time(), "0" * 64),
                 "REVIEW_PUSH_UPDATES": f"{'0' * 40} {'1' * 40} refs/heads/amendments/{a.number}"}):
        out = git("push", "origin", f"HEAD:refs/heads/amendments/{a.number}", cwd=work, check=False, env=env)
        assert out.returncode != 0, out.stderr
        assert "pushes are accepted only through the server's address" in out.stderr, out.stderr
        assert refs_of(deployment_dir / "plan.git") == before
    assert len(reviewlog.read_events(repo, reviewlog.amendment_log(a.number))) == 1


def _hook_env(deployment_dir, pusher, lines, when=None, create=True):
    key = pushauth.secret(deployment_dir / "instance", create=create)
    env = {"GIT_DIR": str(deployment_dir / "plan.git")}
    env.update(pushauth.sign(key or b"x", pusher, lines, when=when))
    return env


def test_the_hook_checks_the_pushers_signature(repo, deployment_dir, tmp_path):
    """pre-receive accepts the pusher only with a valid, fresh signature of the very updates."""
    import io

    from review import hooks, pushauth
    a = propose(repo)
    work = tmp_path / "local"
    git("clone", "-q", str(deployment_dir / "plan.git"), str(work))
    _change_amendment(work, a)
    new = git("rev-parse", "HEAD", cwd=work).stdout.strip()
    # the objects of the push, as git's quarantine would hold them
    git("--git-dir", str(deployment_dir / "plan.git"), "fetch", "-q", str(work), "HEAD")
    line = f"{a.head} {new} refs/heads/amendments/{a.number}"

    def run(env, lines=(line,)):
        out = io.StringIO()
        return hooks.pre_receive(list(lines), env, out), out.getvalue()

    ok = _hook_env(deployment_dir, "lucie", [line])
    assert run(ok) == (0, "")
    cases = {
        "another pusher": (dict(ok, REVIEW_PUSHER="claire"), "not valid"),
        "another update": (dict(ok, REVIEW_PUSH_UPDATES=line.replace(new, a.head)), "not valid"),
        "an update not signed": (_hook_env(deployment_dir, "lucie", []), "does not cover the update"),
        "too old": (_hook_env(deployment_dir, "lucie", [line], when=int(time.time()) - pushauth.MAX_AGE - 5),
                    "s old (at most"),
        "malformed": (dict(ok, REVIEW_PUSH_PROOF="v1:x"), "malformed"),
        "no proof": ({"GIT_DIR": ok["GIT_DIR"], "REVIEW_PUSHER": "lucie"}, "no proof"),
    }
    for case, (env, why) in cases.items():
        rc, out = run(env)
        assert rc == 1 and why in out and "refused refs/heads/amendments/" in out, (case, out)
    # a signature made with another secret is worth nothing
    other = pushauth.sign(b"another secret", "lucie", [line])
    rc, out = run(dict(ok, **other))
    assert rc == 1 and "not valid" in out
    # without the secret (an account that cannot read the instance folder), nothing is accepted
    (deployment_dir / "instance" / pushauth.KEY_FILE).unlink()
    rc, out = run(ok)
    assert rc == 1 and "cannot be read here" in out


# -- hooks and mirrors -------------------------------------------------------------------------

def test_init_and_install_hooks_install_the_hooks(deployment_dir, capsys):
    hooks = deployment_dir / "plan.git" / "hooks"
    for name in ("pre-receive", "post-receive"):
        text = (hooks / name).read_text()
        assert sys.executable in text and f"-m review.hooks {name}" in text
        assert os.access(hooks / name, os.X_OK)
        (hooks / name).unlink()
    Deployment.open(deployment_dir).open_repo().config_set("http.receivepack", "false")
    assert cli.main(["install-hooks", str(deployment_dir)]) == 0
    assert "post-receive" in capsys.readouterr().out
    for name in ("pre-receive", "post-receive"):
        assert os.access(hooks / name, os.X_OK) and sys.executable in (hooks / name).read_text()
    assert Deployment.open(deployment_dir).open_repo().config_get("http.receivepack") == "true"


def _wait_for(predicate, timeout=30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_mirrors_receive_every_ref_and_are_retried(deployment_dir, repo, tokens, tmp_path):
    mirror = tmp_path / "mirror.git"  # absent at first: the first pushes fail and are retried
    s = Server(deployment_dir, {"MIRRORS": [str(mirror)], "MIRROR_RETRY_MIN": 0.05, "MIRROR_RETRY_MAX": 0.2})
    try:
        time.sleep(0.3)
        assert not mirror.exists()
        git("init", "-q", "--bare", str(mirror))
        work = clone(s, tmp_path, handle="lucie", token=tokens["lucie"])
        edit(work, FR, "## Enjeux", "## Les enjeux")
        commit(work, "Reformuler")
        git("push", "origin", f"HEAD:refs/for/{CID}", cwd=work)
        # A write through the API (a comment) reaches the mirror too.
        req = urllib.request.Request(s.base + f"api/v1/commitments/{CID}/comments", method="POST",
                                     data=b'{"body": "Bien vu."}',
                                     headers={"Authorization": f"Bearer {tokens['karim']}", "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            assert r.status == 201
        server_refs = refs_of(deployment_dir / "plan.git")
        assert reviewlog.commitment_log(CID) in server_refs and "refs/heads/amendments/1" in server_refs
        assert _wait_for(lambda: refs_of(mirror) == refs_of(deployment_dir / "plan.git")), (
            refs_of(mirror), s.app.extensions["review.mirrors"].errors)
        assert {"refs/heads/main", "refs/heads/amendments/1", "refs/reviews/amendments/1",
                reviewlog.commitment_log(CID), "refs/tags/adopted-2015-07-16"} <= set(refs_of(mirror))
    finally:
        s.close()


def test_review_mirror_command_catches_up(deployment_dir, repo, capsys):
    propose(repo)
    mirror = deployment_dir.parent / "backup.git"
    git("init", "-q", "--bare", str(mirror))
    config = deployment_dir / "instance" / "config.py"
    config.write_text(config.read_text() + f"MIRRORS = [{str(mirror)!r}]\n")
    assert cli.main(["mirror", str(deployment_dir)]) == 0
    assert "up to date" in capsys.readouterr().out
    assert refs_of(mirror) == refs_of(deployment_dir / "plan.git")
    # A mirror whose history was rewritten is not overwritten: the push is refused and reported.
    git("--git-dir", str(mirror), "update-ref", "refs/heads/main", refs_of(mirror)["refs/heads/amendments/1"])
    propose(repo, who="ines", old="## Contexte", new="## Le contexte")
    p = people(repo)
    signoff.give_verdict(repo, p["antoine"], 2, am.get(repo, 2).head, "approve")
    signoff.give_verdict(repo, p["sophie"], 2, am.get(repo, 2).head, "approve")
    signoff.merge(repo, p["claire"], 2, am.get(repo, 2).head)
    assert cli.main(["mirror", str(deployment_dir)]) == 1
    assert "FAILED" in capsys.readouterr().out


# -- sign-off follows what a pushed amendment really changes -----------------------------------------

def test_a_pushed_amendment_reaching_another_commitment_needs_its_sign_off_too(server, client, repo, tokens, tmp_path):
    """Pushed to refs/for/engagement-04, the commit also changes engagement-01: the lead of
    engagement-01 must approve as well, through the API as on the page."""
    c01 = "commitments/engagement-01/fr.md"
    work = clone(server, tmp_path, handle="lucie", token=tokens["lucie"])
    edit(work, FR, "## Enjeux", "## Les enjeux")
    edit(work, c01, "## Enjeux", "## Les enjeux")
    commit(work, "Deux engagements d'un coup")
    out = git("push", "origin", f"HEAD:refs/for/{CID}", cwd=work)
    assert "opened amendment 1" in out.stderr
    a = am.get(repo, 1)
    assert a.commitment == CID
    policy = client.get("/api/v1/amendments/1/policy").get_json()
    assert [(c["commitment"], c["satisfied"]) for c in policy["commitments"]] == [("engagement-01", False), (CID, False)]
    for who in ("antoine", "sophie"):
        r = client.post("/api/v1/amendments/1/approvals", headers={"Authorization": f"Bearer {tokens[who]}"},
                        json={"revision": a.head, "verdict": "approve"})
        assert r.status_code == 201
    assert r.get_json()["satisfied"] is False
    main = repo.resolve("main")
    r = client.post("/api/v1/amendments/1/merge", headers={"Authorization": f"Bearer {tokens['claire']}"},
                    json={"revision": a.head})
    assert r.status_code == 409 and "lead-signatories for engagement-01" in r.get_json()["error"]
    assert repo.resolve("main") == main
    page = server.get("/amendments/1")
    assert 'href="/commitments/engagement-01"' in page and "scope-engagement-01" in page
    r = client.post("/api/v1/amendments/1/approvals", headers={"Authorization": f"Bearer {tokens['ines']}"},
                    json={"revision": a.head, "verdict": "approve"})
    assert r.status_code == 201 and r.get_json()["satisfied"] is True


def test_a_browser_asking_for_the_repository_gets_the_page_that_explains_it(client):
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    r = client.get("/plan.git", headers={"Accept": browser})
    assert r.status_code == 302 and r.headers["Location"].endswith("/verify-history")
    for accept in (None, "*/*", "text/plain"):   # git, curl, scripts: the plain text
        r = client.get("/plan.git", headers={"Accept": accept} if accept else {})
        assert r.status_code == 200 and "git clone http://localhost/plan.git" in r.get_data(as_text=True)
