"""Server hooks of the plan repository: a git push obeys the same rules as the web.

`review init` and `review install-hooks DIR` copy the thin scripts of `hooks/` (at the root
of the source tree) into `DIR/plan.git/hooks/`, with the path of this Python interpreter
written in, so the hooks run the server's own code: `python -m review.hooks pre-receive`.

- pre-receive checks every ref update of a push before git changes anything; one refused
  update refuses the whole push (exit 1), so a refused push changes no ref. Each refusal
  is printed on standard error, which git shows to the pusher as `remote:` lines.
- post-receive writes what follows from an accepted push: one revision event per pushed
  commit of an amendment, and a new amendment for a push to `refs/for/<commitment-id>`.

Who pushes comes from REVIEW_PUSHER, which only the authenticated smart-HTTP view
(review/web/githttp.py) sets, after checking a personal access token. A push that did not
come through it (say, `git push /srv/plan/plan.git` on the server) has no pusher and is
refused: there is no way around the rules through git.

Why refs/for/<id> is handled in post-receive: during pre-receive the pushed objects are in
git's quarantine, which is discarded if the push is refused, so no ref may point at them
yet. pre-receive runs every check of opening the amendment (`amendments.check_open_at`);
git then creates refs/for/<id>; post-receive opens the amendment at that commit (number,
branch, opening event), prints its address, and deletes refs/for/<id>, which therefore
never lasts longer than the push.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from . import amendments as am
from . import commitment as core
from . import model, pushauth
from .errors import Forbidden, Invalid, Missing, ReviewError
from .gitrepo import GitRepo
from .model import Person
from .permissions import why_not

ZERO = "0" * 40
HOOK_NAMES = ("pre-receive", "post-receive")
TEMPLATES = Path(__file__).resolve().parent.parent / "hooks"
MAX_PUSH_COMMITS = 200          # new commits of one ref in one push
MAX_PUSH_BYTES = 64 * 1024 * 1024  # receive.maxInputSize: larger packs are cut off by git itself
FOR_PREFIX = "refs/for/"
AMENDMENT_RE = re.compile(r"^refs/heads/amendments/([1-9][0-9]{0,8})$")
PREFIX = "review: "


@dataclass(frozen=True)
class Update:
    old: str | None     # None: the ref is created
    new: str | None     # None: the ref is deleted
    ref: str


def parse_updates(lines) -> list[Update]:
    out = []
    for line in lines:
        parts = line.split()
        if len(parts) != 3:
            continue
        old, new, ref = parts
        out.append(Update(None if old == ZERO else old, None if new == ZERO else new, ref))
    return out


# -- installing ------------------------------------------------------------------------------

def install(repo_path: str | os.PathLike) -> list[Path]:
    """Write the hooks into a plan repository and the git settings they rely on."""
    repo_path = Path(repo_path)
    target = repo_path / "hooks"
    target.mkdir(exist_ok=True)
    source_root = str(Path(__file__).resolve().parent.parent)
    written = []
    for name in HOOK_NAMES:
        template = TEMPLATES / name
        if not template.is_file():
            raise FileNotFoundError(f"{template} is missing: the source tree is incomplete")
        text = (template.read_text().replace("@PYTHON@", shlex.quote(sys.executable))
                .replace("@SOURCE@", shlex.quote(source_root)))
        path = target / name
        tmp = target / f".{name}.tmp"
        tmp.write_text(text)
        os.chmod(tmp, 0o755)
        os.replace(tmp, path)
        written.append(path)
    repo = GitRepo(repo_path)
    # Pushes reach receive-pack only through the authenticated view (review/web/githttp.py),
    # which is why git may accept them over HTTP at all; anonymous readers only fetch.
    repo.config_set("http.receivepack", "true")
    repo.config_set("receive.maxInputSize", str(MAX_PUSH_BYTES))
    repo.config_set("receive.denyNonFastForwards", "true")
    repo.config_set("receive.denyDeletes", "true")
    repo.config_set("uploadpack.hideRefs", FOR_PREFIX.rstrip("/"))  # transient, never fetched
    repo.config_set("receive.autogc", "false")  # no gc notices to pushers: run `git gc` from cron (docs/operations.md)
    return written


# -- checks (pre-receive) ----------------------------------------------------------------------

def _short(repo: GitRepo, commit: str) -> dict:
    """The parameters naming a commit in a message: `commit <id> (<summary>)`."""
    return {"commit": commit[:12], "summary": repo.commit_info(commit).summary[:50]}


def _own_commits(repo: GitRepo, new: str, stop) -> list:
    """First-parent commits from `new` back to (not including) the first one where
    `stop(commit id)` is true; oldest first. None when the walk never stops."""
    chain = []
    for info in repo.first_parent_log(new):
        if stop(info.id):
            return chain[::-1]
        chain.append(info)
        if len(chain) > MAX_PUSH_COMMITS:
            raise Invalid("push.too_many_commits", n=MAX_PUSH_COMMITS)
    return None


def check_commit(repo: GitRepo, info, main: str) -> None:
    """One pushed commit obeys the rules of a revision made on the web: only the plan's
    files, no deletion, at most 200 KB a file, front matter and plan.yaml schemas."""
    what = _short(repo, info.id)
    if len(info.parents) > 2:
        raise Invalid("push.octopus", **what, n=len(info.parents) - 1)
    if len(info.parents) == 2:
        base = info.parents[1]
        if not repo.is_ancestor(base, main):
            raise Invalid("push.foreign_merge", **what)
    elif len(info.parents) == 1:
        base = info.parents[0]
    else:
        raise Invalid("push.no_parent", **what)
    changes = repo.diff(base, info.id)
    if not changes:
        raise Invalid("push.empty_commit", **what)
    try:
        am.check_modes(changes)
    except ReviewError as exc:
        raise type(exc)("push.commit_refused", **what, reason=exc.text or exc.message) from None
    for ch in changes:
        if ch.status == "D":
            raise Invalid("push.deletes", **what, path=ch.path)
    try:
        files = am._normalise_files({ch.path: repo.read_file(info.id, ch.path) for ch in changes})
        am.validate_change(repo, base, files)
    except ReviewError as exc:
        raise type(exc)("push.commit_refused", **what, reason=exc.text or exc.message) from None


def check_update(repo: GitRepo, person: Person, u: Update, main: str) -> None:
    """Raise a ReviewError saying why this ref update is refused and how to do it instead."""
    ref = u.ref
    if ref == core.MAIN:
        raise Forbidden("push.main")
    if ref.startswith("refs/reviews/"):
        raise Forbidden("push.review_logs")
    if ref.startswith("refs/tags/"):
        raise Forbidden("push.tags")
    m = AMENDMENT_RE.match(ref)
    if m:
        return _check_amendment_update(repo, person, int(m.group(1)), u, main)
    if ref.startswith(FOR_PREFIX):
        return _check_open(repo, person, ref[len(FOR_PREFIX):], u, main)
    raise Forbidden("push.other_ref", ref=ref)


def _check_amendment_update(repo, person, number, u, main) -> None:
    if u.new is None:
        raise Forbidden("push.delete_amendment", number=number)
    if u.old is None:
        raise Forbidden("push.create_amendment")
    try:
        a = am.get(repo, number)
    except Missing:
        raise Missing("push.no_amendment", number=number) from None
    reason = why_not(person, "revise_amendment", a.subject())
    if reason:
        if a.author != person.handle:
            raise Forbidden("push.not_author", number=number, author=a.author, commitment=a.commitment)
        raise Forbidden("push.amendment_refused", number=number, reason=reason)
    if not repo.is_ancestor(u.old, u.new):
        raise Forbidden("push.forced", number=number)
    chain = _own_commits(repo, u.new, lambda c: c == u.old)
    if chain is None:
        raise Forbidden("push.first_parent", number=number)
    for info in chain:
        check_commit(repo, info, main)


def _check_open(repo, person, cid, u, main) -> None:
    if u.new is None:
        raise Forbidden("push.delete_for", ref=u.ref)
    if u.old is not None:
        raise Forbidden("push.for_busy", ref=u.ref, commitment=cid)
    chain = _own_commits(repo, u.new, lambda c: repo.is_ancestor(c, main))
    if chain is None:
        raise Invalid("amendment.unrelated_history")
    for info in chain:
        check_commit(repo, info, main)
    am.check_open_at(repo, person, cid, u.new)


# -- writes (post-receive) ---------------------------------------------------------------------

def _record_revisions(repo, person, number, u, out) -> None:
    chain = _own_commits(repo, u.new, lambda c: c == u.old) or []
    previous = u.old
    for info in chain:
        if len(info.parents) == 2:  # main brought in: the same event as "update with the plan"
            am.record_update(repo, person, number, info.id, previous, info.parents[1], "git")
        else:
            paths = sorted(ch.path for ch in repo.diff(previous, info.id))
            am.record_revision(repo, person, number, info.id, previous, paths, "git")
        previous = info.id
    print(f"{PREFIX}amendment {number}: {len(chain)} new revision(s) recorded", file=out)


def _open(repo, person, cid, u, base_url, out) -> None:
    try:
        a = am.open_at(repo, person, cid, u.new, via="git")
    except ReviewError as exc:
        print(f"{PREFIX}could not open the amendment: {exc.message}", file=out)
        return
    finally:
        try:
            repo.delete_ref(u.ref, u.new)
        except Exception as exc:  # noqa: BLE001 - the push is done: report, never fail it
            print(f"{PREFIX}warning: {u.ref} could not be removed ({exc})", file=out)
    print(f"{PREFIX}opened amendment {a.number}: {base_url}amendments/{a.number}", file=out)
    print(f"{PREFIX}push its next revisions with: git push origin HEAD:refs/heads/amendments/{a.number}", file=out)


# -- entry points -----------------------------------------------------------------------------

def _open_repo(env) -> GitRepo:
    repo = GitRepo(os.path.abspath(env.get("GIT_DIR") or "."))
    quarantine = env.get("GIT_QUARANTINE_PATH")
    if quarantine:
        repo.add_object_dir(quarantine)
    return repo


def _instance_path(repo: GitRepo) -> Path:
    """DIR/instance, found from the repository's own path (DIR/plan.git), never from the
    environment: whoever pushes cannot point the hook at a secret of their own."""
    return Path(os.path.realpath(repo.git_dir.rstrip("/"))).parent / "instance"


def _pusher(repo: GitRepo, env, updates: list[Update] | None = None) -> tuple[Person | None, str | None]:
    """The person the web server signed for (review/pushauth.py), when the signature is valid,
    fresh and covers every update of this push; else (None, why)."""
    lines = [f"{u.old or ZERO} {u.new or ZERO} {u.ref}" for u in (updates or [])]
    try:
        handle = pushauth.check(pushauth.secret(_instance_path(repo)), env, lines)
    except pushauth.BadProof as exc:
        return None, (f"{exc}: pushes are accepted only through the server's address (http(s)://HOST/plan.git), "
                      "signed in with your handle and a personal access token as the password")
    person = core.read_plan(repo, core.resolve(repo, "main")).people.get(handle)
    if person is None:
        return None, f"'{handle}' is not a person of the plan (plan.yaml on main)"
    return person, None


def pre_receive(lines, env, out: TextIO) -> int:
    updates = parse_updates(lines)
    repo = _open_repo(env)
    person, why = _pusher(repo, env, updates)
    problems: list[tuple[str, str]] = []
    if person is None:
        problems = [(u.ref, why) for u in updates]
    else:
        main = core.resolve(repo, "main")
        for u in updates:
            try:
                check_update(repo, person, u, main)
            except ReviewError as exc:
                problems.append((u.ref, exc.message))
            except model.SchemaError as exc:
                problems.append((u.ref, "; ".join(exc.problems)))
    if not problems:
        return 0
    for ref, message in problems:
        print(f"{PREFIX}refused {ref}: {message}", file=out)
    print(f"{PREFIX}nothing was changed: the whole push is refused", file=out)
    return 1


def post_receive(lines, env, out: TextIO) -> int:
    updates = parse_updates(lines)
    repo = _open_repo(env)
    person, why = _pusher(repo, env, updates)
    if person is None:  # pre-receive refused this already; nothing to record
        print(f"{PREFIX}{why}", file=out)
        return 1
    base_url = env.get("REVIEW_BASE_URL", "/")
    if not base_url.endswith("/"):
        base_url += "/"
    for u in updates:
        m = AMENDMENT_RE.match(u.ref)
        try:
            if m and u.old and u.new:
                _record_revisions(repo, person, int(m.group(1)), u, out)
                print(f"{PREFIX}see it at {base_url}amendments/{int(m.group(1))}", file=out)
            elif u.ref.startswith(FOR_PREFIX) and u.new:
                _open(repo, person, u.ref[len(FOR_PREFIX):], u, base_url, out)
        except ReviewError as exc:
            print(f"{PREFIX}{u.ref}: {exc.message}", file=out)
    return 0


HOOK_MEMORY_MB = 1024  # address space of a hook process (REVIEW_HOOK_MEMORY_MB; 0: no limit)
HOOK_CPU_SECONDS = 60  # CPU time of a hook process (REVIEW_HOOK_CPU_SECONDS; 0: no limit)


class _CpuTimeExceeded(Exception):
    def __str__(self) -> str:
        return "the hook used more CPU time than REVIEW_HOOK_CPU_SECONDS allows"


def _on_cpu_limit(signum, frame):
    raise _CpuTimeExceeded()


def limit_resources(env) -> None:
    """Bound the hook process, so that a push no check foresaw fails with a `remote:` line (a
    MemoryError, or SIGXCPU turned into an exception) instead of eating the machine."""
    import resource
    import signal

    def setting(name: str, default: int) -> int:
        try:
            return max(0, int(env.get(name, default)))
        except ValueError:
            return default

    memory_mb = setting("REVIEW_HOOK_MEMORY_MB", HOOK_MEMORY_MB)
    cpu = setting("REVIEW_HOOK_CPU_SECONDS", HOOK_CPU_SECONDS)
    for which, soft, hard in ((resource.RLIMIT_AS, memory_mb << 20, memory_mb << 20),
                              (resource.RLIMIT_CPU, cpu, cpu + 5)):
        if soft:
            old_soft, old_hard = resource.getrlimit(which)
            if old_hard != resource.RLIM_INFINITY:
                soft, hard = min(soft, old_hard), min(hard, old_hard)
            try:
                resource.setrlimit(which, (soft, hard))
            except (ValueError, OSError):  # pragma: no cover - a platform that refuses: run unbounded
                pass
    if cpu:
        signal.signal(signal.SIGXCPU, _on_cpu_limit)


def main(argv: list[str] | None = None) -> int:
    if argv is None:  # the hook process git started (tests call main with argv, in their own process)
        limit_resources(os.environ)
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or argv[0] not in HOOK_NAMES:
        print(f"usage: python -m review.hooks {{{'|'.join(HOOK_NAMES)}}} < updates", file=sys.stderr)
        return 2
    lines = sys.stdin.read().splitlines()
    try:
        if argv[0] == "pre-receive":
            return pre_receive(lines, os.environ, sys.stderr)
        return post_receive(lines, os.environ, sys.stderr)
    except MemoryError:
        print(f"{PREFIX}the {argv[0]} hook ran out of memory (REVIEW_HOOK_MEMORY_MB); "
              + ("nothing was changed: the whole push is refused" if argv[0] == "pre-receive"
                 else "the refs were updated but some records may be missing: tell an administrator"),
              file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - a crash must refuse the push, with a word why
        outcome = ("nothing was changed: the whole push is refused" if argv[0] == "pre-receive"
                   else "the refs were updated but some records may be missing: tell an administrator")
        print(f"{PREFIX}internal error in the {argv[0]} hook ({type(exc).__name__}: {exc}); {outcome}",
              file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
