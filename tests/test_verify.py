"""`review verify` and `review checkpoint`: a clean history built by the normal workflow is
proven clean; each kind of tampering, done on a copy with the git CLI or the git layer,
is flagged by exactly the rule (and violation code) it breaks."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from review import amendments as am
from review import comments, eventschema, progress, reviewlog, signoff, verify
from review import commitment as core
from review.gitrepo import GitRepo

ROOT = Path(__file__).resolve().parent.parent
C4, C16, C25 = "engagement-04", "engagement-16", "engagement-25"


def fr(cid):
    return f"commitments/{cid}/fr.md"


def _text(repo, cid, rev="main"):
    return repo.read_file(repo.resolve(rev), fr(cid)).decode()


def _people(repo):
    return core.read_plan(repo, repo.resolve("main")).people


def _propose(repo, who, cid, old, new, title="Reformuler"):
    t = _text(repo, cid)
    assert old in t, old
    return am.propose(repo, _people(repo)[who], cid, title, "Plus clair.", {fr(cid): t.replace(old, new, 1)})


def _plan_text(repo):
    return repo.read_file(repo.resolve("main"), "plan.yaml").decode()


@pytest.fixture(scope="module")
def clean(_template_deployment, tmp_path_factory):
    """A plan repository with a life written only by the core, as the web would: comments,
    replies, edits, resolution, moderation, progress reports, and amendments proposed,
    revised, brought up to date, objected to, withdrawn, rejected and merged. Three open
    amendments are left for the tampering tests (see `open_ones`)."""
    root = tmp_path_factory.mktemp("verify") / "dep"
    shutil.copytree(_template_deployment, root, symlinks=True)
    repo = GitRepo(root / "plan.git")
    p = _people(repo)
    c = comments.add(repo, p["karim"], C4, "Quelles évaluations ?", anchor="p-2", stance="against")
    comments.add(repo, p["antoine"], C4, "Toutes celles de la MAP.", reply_to=c.id)
    comments.edit(repo, p["karim"], C4, c.id, "Quelles évaluations, exactement ?")
    comments.resolve(repo, p["antoine"], C4, c.id)
    comments.reopen(repo, p["karim"], C4, c.id)
    spam = comments.add(repo, p["karim"], C16, "Hors sujet.")
    comments.hide(repo, p["lucie"], C16, spam.id, "Hors sujet")
    r = progress.report(repo, p["antoine"], C4, "limited", "Premiers pas.", ["https://example.org/a"])
    progress.answer(repo, p["sophie"], C4, r.id, "Rien de public.", stance="contested")
    r2 = progress.report(repo, p["antoine"], C4, "substantial", "Doublon.", [])
    progress.hide_report(repo, p["lucie"], C4, r2.id, "Doublon")
    # 1: approved and merged
    a1 = _propose(repo, "lucie", C25, "## Enjeux", "## Les enjeux")
    signoff.give_verdict(repo, p["ines"], a1.number, a1.head, "approve")
    signoff.give_verdict(repo, p["sophie"], a1.number, a1.head, "approve")
    # 2: opened before 1 is merged; revised (stale approval), objected to, brought up to date
    a2 = _propose(repo, "lucie", C4, "## Contexte", "## Le contexte")
    signoff.give_verdict(repo, p["antoine"], a2.number, a2.head, "approve")
    signoff.merge(repo, p["claire"], a1.number, a1.head)
    a2 = am.revise(repo, p["lucie"], a2.number, {fr(C4): _text(repo, C4, a2.head).replace("## Le contexte", "## Son contexte")},
                   a2.head)
    a2, conflicts = am.update_from_main(repo, p["lucie"], a2.number)
    assert not conflicts
    signoff.give_verdict(repo, p["antoine"], a2.number, a2.head, "approve")
    comments.add(repo, p["sophie"], C4, "Le contexte mérite mieux.", rev=a2.head,  # the amendment's discussion
                 log=reviewlog.amendment_log(a2.number))
    signoff.give_verdict(repo, p["sophie"], a2.number, a2.head, "object", "Pas encore")
    signoff.give_verdict(repo, p["sophie"], a2.number, a2.head, "approve")
    signoff.merge(repo, p["claire"], a2.number, a2.head)
    # 3: an amendment of plan.yaml, under the plan's own policy
    a3 = am.propose(repo, p["lucie"], am.PLAN_TARGET, "Échéance du bilan", "",
                    {"plan.yaml": _plan_text(repo).replace("review_due: 2016-07-16", "review_due: 2016-09-16")})
    signoff.give_verdict(repo, p["claire"], a3.number, a3.head, "approve")
    signoff.give_verdict(repo, p["sophie"], a3.number, a3.head, "approve")
    signoff.merge(repo, p["claire"], a3.number, a3.head)
    # 4: withdrawn and reopened; 5: rejected
    a4 = _propose(repo, "karim", C16, "## Enjeux", "## Les enjeux")
    am.withdraw(repo, p["karim"], a4.number, "Trop tôt")
    am.reopen(repo, p["karim"], a4.number)
    a5 = _propose(repo, "karim", C4, "## Feuille de route", "## Route")
    am.reject(repo, p["claire"], a5.number, "Moins clair")
    # Left open for the tampering tests:
    # 6 (quorum): only the lead signatory approved
    q = _propose(repo, "lucie", C25, "## Contexte", "## Le contexte", "Sans quorum")
    signoff.give_verdict(repo, p["antoine"], q.number, q.head, "approve")
    # 7 (other revision): sophie approved the first revision, antoine the second
    o = _propose(repo, "lucie", C16, "## Contexte", "## Le contexte", "Autre révision")
    signoff.give_verdict(repo, p["sophie"], o.number, o.head, "approve")
    o = am.revise(repo, p["lucie"], o.number, {fr(C16): _text(repo, C16, o.head).replace("## Le contexte", "## Son contexte")},
                  o.head)
    signoff.give_verdict(repo, p["antoine"], o.number, o.head, "approve")
    # 8 (policy): plan.yaml amendment lowering the plan's own policy, approved by a coordinator only
    lowered = _plan_text(repo).replace(
        "      - {kind: coordinators, count: 1}\n      - {kind: civil-society, count: 1}",
        "      - {kind: coordinators, count: 1}", 1)
    assert lowered != _plan_text(repo)
    pol = am.propose(repo, p["lucie"], am.PLAN_TARGET, "Alléger la politique", "", {"plan.yaml": lowered})
    signoff.give_verdict(repo, p["claire"], pol.number, pol.head, "approve")
    return root / "plan.git", {"quorum": q.number, "other": o.number, "policy": pol.number, "merged": a3.number}


@pytest.fixture
def copy(clean, tmp_path):
    """(a GitRepo on a fresh copy of the clean repository, the open amendments' numbers)."""
    path, numbers = clean
    target = tmp_path / "plan.git"
    shutil.copytree(path, target, symlinks=True)
    return GitRepo(target), numbers


def flagged(path) -> set[tuple[int, str]]:
    return {(v.rule, v.code) for v in verify.verify(path).violations}


def git(*args, cwd=None):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def run_cli(*args):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "review", *args], capture_output=True, text=True, env=env, cwd=ROOT)


def mirror(path, tmp_path) -> Path:
    target = tmp_path / "mirror.git"
    git("clone", "-q", "--mirror", str(path), str(target))
    return target


# -- the clean history ----------------------------------------------------------------------

def test_clean_repository_verifies_clean_from_the_command_line(clean):
    path, _ = clean
    report = verify.verify(path)
    assert report.violations == [], report.text()
    assert report.counts["merges"] == 3 and report.counts["main_commits"] == 4
    assert report.counts["events"] > 30 and report.counts["reflogs"] > 10
    run = run_cli("verify", str(path))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Clean: the history is proven" in run.stdout and "8. checkpoints and reflogs" in run.stdout
    data = json.loads(run_cli("verify", "--json", str(path)).stdout)
    assert data["clean"] is True and data["violations"] == [] and set(data["rules"]) == {str(n) for n in range(0, 9)}


def test_a_mirror_clone_verifies_clean_offline(clean, tmp_path):
    path, _ = clean
    m = mirror(path, tmp_path)
    report = verify.verify(m)
    assert report.clean, report.text()
    assert report.counts["reflogs"] == 0
    assert any("no reflog and no checkpoint" in w for w in report.warnings)
    assert run_cli("verify", str(m)).returncode == 0


def test_an_automatic_merge_under_a_policy_adopted_by_amendment_verifies_clean(repo):
    """The policy itself is amended (auto_merge on), then applies to the next amendment:
    the merge is authored by the last approver, not a coordinator, and that is allowed."""
    p = _people(repo)
    plan = _plan_text(repo).replace("    auto_merge: false", "    auto_merge: true", 1)
    assert plan != _plan_text(repo)
    a = am.propose(repo, p["lucie"], am.PLAN_TARGET, "Fusion automatique", "", {"plan.yaml": plan})
    signoff.give_verdict(repo, p["claire"], a.number, a.head, "approve")
    signoff.give_verdict(repo, p["sophie"], a.number, a.head, "approve")
    signoff.merge(repo, p["claire"], a.number, a.head)
    b = _propose(repo, "lucie", C4, "## Enjeux", "## Les enjeux")
    signoff.give_verdict(repo, p["antoine"], b.number, b.head, "approve")
    signoff.give_verdict(repo, p["sophie"], b.number, b.head, "approve")
    merge = repo.commit_info(repo.resolve("main"))
    assert merge.parents[1] == b.head and "Merged-by: policy (auto_merge)" in merge.message
    assert merge.author_email == "sophie@review.invalid"
    report = verify.verify(repo.path)
    assert report.clean, report.text()
    assert report.counts["merges"] == 2


def test_verify_writes_nothing(copy):
    repo, _ = copy
    before = sorted(str(p.relative_to(repo.path)) for p in Path(repo.path).rglob("*"))
    assert verify.verify(repo.path).clean
    assert sorted(str(p.relative_to(repo.path)) for p in Path(repo.path).rglob("*")) == before


@pytest.mark.parametrize("make, says", [
    (lambda tmp: tmp / "nowhere", "not a folder"),
    (lambda tmp: tmp, "not a git repository"),
])
def test_unusable_input_exits_2(tmp_path, make, says):
    run = run_cli("verify", str(make(tmp_path)))
    assert run.returncode == 2 and says in run.stderr
    with pytest.raises(verify.Unusable):
        verify.verify(make(tmp_path))


def test_a_working_copy_and_a_repository_without_main_exit_2(clean, tmp_path):
    path, _ = clean
    git("clone", "-q", str(path), str(tmp_path / "work"))
    run = run_cli("verify", "--json", str(tmp_path / "work"))
    assert run.returncode == 2 and "git clone --mirror" in run.stderr
    assert json.loads(run.stdout)["error"]
    git("init", "-q", "--bare", str(tmp_path / "empty.git"))
    run = run_cli("verify", str(tmp_path / "empty.git"))
    assert run.returncode == 2 and "no refs/heads/main" in run.stderr


def test_a_damaged_copy_exits_2(copy):
    repo, _ = copy
    ref = reviewlog.commitment_log(C4)
    blob = repo.blob_id(repo.resolve(ref), _event_path(_events(repo, ref)[0]))
    loose = Path(repo.path) / "objects" / blob[:2] / blob[2:]
    assert loose.is_file()
    loose.unlink()
    run = run_cli("verify", repo.path)
    assert run.returncode == 2 and run.stderr.startswith("review verify: ") and "Traceback" not in run.stderr


def test_every_event_type_written_by_the_code_has_a_schema_and_a_documentation():
    from review import consultations as cons
    from review import progress as pg
    written = {cons.ANNOUNCE, cons.EDIT, cons.CLOSE, cons.ANSWERED, cons.STANCE, cons.RESPONSE, cons.HIDE, comments.ADD, comments.EDIT, comments.RESOLVE, comments.REOPEN, comments.HIDE, pg.REPORT, pg.HIDE,
               am.OPEN, am.REVISE, am.UPDATE, am.WITHDRAW, am.REOPEN, am.REJECT, am.MERGE, am.MERGE_REPAIR,
               signoff.APPROVAL}
    assert written == set(eventschema.SCHEMAS)
    source = "\n".join(p.read_text() for p in (ROOT / "review").glob("*.py"))
    for etype in re.findall(r'"((?:comment|progress|amendment|consultation)-[a-z]+)"', source):
        assert etype in eventschema.SCHEMAS, etype
    doc = (ROOT / "docs/events.md").read_text()
    for etype in written:
        assert f"`{etype}`" in doc, f"{etype} is not documented in docs/events.md"


def test_schema_problems_are_named():
    ok = {"format": 1, "seq": 1, "id": "a" * 12, "type": "comment-hide", "actor": "lucie",
          "time": "2016-01-01T10:00:00Z", "target": "b" * 12, "reason": "spam"}
    assert eventschema.problems(ok) == []
    assert eventschema.problems({**ok, "reason": ""}) == ["comment-hide: 'reason' is '', not text"]
    assert "unexpected key(s) 'extra'" in eventschema.problems({**ok, "extra": 1})[0]
    assert "unknown event type 'x'" in eventschema.problems({**ok, "type": "x"})[0]
    assert eventschema.problems({**ok, "time": "yesterday"}) == ["'time' is 'yesterday', not a time"]
    assert eventschema.problems([]) == ["the event is not a JSON object"]


# -- the tamper suite -----------------------------------------------------------------------

def _events(repo, ref):
    return reviewlog.read_events(repo, ref)


def _event_path(e):
    return reviewlog.event_path(e.seq, e.id)


def _append_raw(repo, ref, event: dict, author, when=None, message=None):
    """Append one event file the way a tamperer with write access would (a fast-forward)."""
    body = json.dumps(event, ensure_ascii=False, indent=1).encode() + b"\n"
    msg = message or (f"Comment\n\nEvent: {event['type']}\nActor: {event['actor']}\n"
                      f"Event-Id: {event['id']}\nSeq: {event['seq']}\n")
    return repo.commit_on(ref, lambda tip: ({reviewlog.event_path(event["seq"], event["id"]): body}, msg),
                          author, when=when)[0]


def _forge_merge(repo, number, approvals, policy=None, extra=None, merger=("claire", "Claire Lemaire"), when=None,
                 trailers=(), tree=None, event_when=None):
    """Merge an amendment into main bypassing sign-off: the tree of a clean merge (plus `extra`
    changes, or `tree` as given), trailers as given, authored by a coordinator (or `merger`),
    dated now (or `when`); the log's merge event too (written raw, dated `event_when`, if given)."""
    a = am.get(repo, number)
    main = repo.resolve("main")
    if tree is None:
        tree, conflicts = repo.merge_trees(main, a.head)
        assert not conflicts
    if extra:
        tree = repo.write_tree(repo.create_commit(tree, [], reviewlog.identity("claire", "Claire Lemaire"), "tmp"), extra)
    policy = policy or repo.blob_id(main, "plan.yaml")
    lines = [f"Merge amendment {number}: {a.title}", "", f"Amendment: {number}"]
    lines += [f"Approved-by: {name} {handle} ({org}, {rev})" for name, handle, org, rev in approvals]
    lines += list(trailers)
    lines.append(f"Policy: {policy}")
    who = reviewlog.identity(*merger)
    merge = repo.create_commit(tree, [main, a.head], who, "\n".join(lines) + "\n", when=when)
    repo.update_ref("refs/heads/main", merge, main, "forged")
    data = {"revision": a.head, "merge": merge, "policy": policy,
            "approvals": [{"handle": h, "organisation": o, "revision": r} for _, h, o, r in approvals]}
    log = reviewlog.amendment_log(number)
    if event_when is None:
        reviewlog.append(repo, log, who, merger[0], am.MERGE, data, f"Merge amendment {number}",
                         trailers={"Amendment": str(number), "Revision": a.head, "Merge": merge})
    else:
        seq = _events(repo, log)[-1].seq + 1
        event = {"format": 1, "seq": seq, "id": "feedfacecafe", "type": am.MERGE, "actor": merger[0],
                 "time": _iso(event_when), **data}
        _append_raw(repo, log, event, who, when=event_when, message=_message("Merge", event, number))
    return merge, a


def _iso(when):
    return when.astimezone(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _message(summary, event, number):
    return (f"{summary}\n\nEvent: {event['type']}\nActor: {event['actor']}\nEvent-Id: {event['id']}\n"
            f"Seq: {event['seq']}\nAmendment: {number}\n")


def _raw_approval(repo, number, who, name, org, revision, when=None, eid="abcdefabcdef"):
    """An approval event appended to an amendment's log as a tamperer would, dated `when`."""
    log = reviewlog.amendment_log(number)
    when = when or dt.datetime.now(dt.timezone.utc)
    event = {"format": 1, "seq": _events(repo, log)[-1].seq + 1, "id": eid, "type": signoff.APPROVAL,
             "actor": who, "time": _iso(when), "revision": revision, "verdict": "approve", "comment": None,
             "name": name, "organisation": org, "entitled": ["civil-society"]}
    return _append_raw(repo, log, event, reviewlog.identity(who, name), when=when,
                       message=_message("Approve", event, number))


def _with_mode(repo, tmp_path, treeish, path, mode):
    """The tree of `treeish` with `path` given another mode, same blob (git plumbing)."""
    env = {**os.environ, "GIT_INDEX_FILE": str(tmp_path / "index")}
    run = lambda *a: subprocess.run(["git", *a], cwd=repo.path, env=env, check=True, capture_output=True,
                                    text=True).stdout.strip()
    run("read-tree", treeish)
    blob = run("rev-parse", f"{treeish}:{path}")
    run("update-index", "--cacheinfo", f"{mode},{blob},{path}")
    return run("write-tree")


ANTOINE = ("Antoine Girard", "antoine", "se-reforme-etat")
SOPHIE = ("Sophie Bernard", "sophie", "observatoire-citoyen")
CLAIRE = ("Claire Lemaire", "claire", "premier-ministre")


def test_tamper_edited_event(copy):
    repo, _ = copy
    ref = reviewlog.commitment_log(C4)
    first = _events(repo, ref)[0]
    raw = json.loads(repo.read_file(repo.resolve(ref), _event_path(first)))
    raw["body"] = "Un tout autre texte."
    karim = reviewlog.identity("karim", "Karim Haddad")
    repo.commit_on(ref, lambda tip: ({_event_path(first): json.dumps(raw).encode()}, "Fix\n"), karim)
    assert flagged(repo.path) == {(5, "event-changed")}


def test_tamper_deleted_event(copy):
    repo, _ = copy
    ref = reviewlog.commitment_log(C16)
    hide = _events(repo, ref)[-1]
    assert hide.type == comments.HIDE
    lucie = reviewlog.identity("lucie", "Lucie Fontaine")
    repo.commit_on(ref, lambda tip: ({_event_path(hide): None}, "Oops\n"), lucie)
    assert flagged(repo.path) == {(5, "event-deleted")}


def test_tamper_forged_approved_by(copy):
    """Sophie never approved amendment `quorum`: her Approved-by is forged to reach the quorum."""
    repo, n = copy
    head = am.get(repo, n["quorum"]).head
    _forge_merge(repo, n["quorum"], [(*ANTOINE, head), (*SOPHIE, head)])
    report = verify.verify(repo.path)
    assert {(v.rule, v.code) for v in report.violations} == {(2, "approval-missing"), (4, "not-satisfied")}
    forged = next(v for v in report.violations if v.rule == 2)
    assert "sophie" in forged.message and forged.ref == "refs/heads/main" and forged.commit == repo.resolve("main")


def test_tamper_approval_of_another_revision(copy):
    """Sophie approved the first revision; the merge of the second presents her approval."""
    repo, n = copy
    a = am.get(repo, n["other"])
    first, head = a.revisions[0].id, a.head
    assert first != head
    _forge_merge(repo, n["other"], [(*ANTOINE, head), (*SOPHIE, first)])
    assert flagged(repo.path) == {(2, "other-revision"), (4, "not-satisfied")}


def test_tamper_merge_without_quorum(copy):
    repo, n = copy
    head = am.get(repo, n["quorum"]).head
    _forge_merge(repo, n["quorum"], [(*ANTOINE, head)])
    report = verify.verify(repo.path)
    assert {(v.rule, v.code) for v in report.violations} == {(4, "not-satisfied")}
    assert "1 more civil-society" in report.violations[0].message


def test_tamper_policy_change_merged_without_sign_off(copy):
    """The plan's own policy is lowered and the merge claims the lowered policy applied to itself."""
    repo, n = copy
    a = am.get(repo, n["policy"])
    lowered = repo.blob_id(a.head, "plan.yaml")
    _forge_merge(repo, n["policy"], [(*CLAIRE, a.head)], policy=lowered)
    assert flagged(repo.path) == {(4, "policy-not-in-force"), (4, "not-satisfied")}


def test_tamper_hand_edit_inside_a_merge(copy):
    """A properly approved merge whose tree also changes another commitment."""
    repo, n = copy
    head = am.get(repo, n["quorum"]).head
    signoff.give_verdict(repo, _people(repo)["sophie"], n["quorum"], head, "approve")
    other = _text(repo, C16).replace("## Enjeux", "## Enjeux secrets").encode()
    _forge_merge(repo, n["quorum"], [(*ANTOINE, head), (*SOPHIE, head)], extra={fr(C16): other})
    assert flagged(repo.path) == {(1, "tree-differs")}


def test_tamper_direct_commit_on_main(copy):
    repo, _ = copy
    t = _text(repo, C16).replace("## Enjeux", "## Enjeux directs")
    repo.commit_on("refs/heads/main", lambda tip: ({fr(C16): t.encode()}, "Direct\n"),
                   reviewlog.identity("claire", "Claire Lemaire"))
    assert flagged(repo.path) == {(1, "not-a-merge")}


def test_tamper_main_rewritten_by_a_forced_update(copy, tmp_path):
    """main put back one merge with `git update-ref`: the log still records the dropped merge."""
    repo, n = copy
    dropped = repo.resolve("main")
    git("update-ref", "refs/heads/main", "refs/heads/main~1", cwd=repo.path)
    report = verify.verify(repo.path)
    assert {(v.rule, v.code) for v in report.violations} == {(2, "merge-not-on-main"), (8, "forced-update")}
    assert any(v.ref == reviewlog.amendment_log(n["merged"]) and dropped in v.message for v in report.violations)
    # A clone has no reflog: the review log still gives the rewrite away.
    assert flagged(mirror(repo.path, tmp_path)) == {(2, "merge-not-on-main")}


def _rewrite_log(repo, ref, new_body):
    """Rewrite a log from its first event on, keeping every author, date, message and sequence
    number: self-consistent, so only a recorded position (reflog, checkpoint) can tell."""
    chain = list(repo.first_parent_log(repo.resolve(ref)))[::-1]
    first = _events(repo, ref)[0]
    parent = None
    for i, info in enumerate(chain):
        changes = {}
        for ch in repo.changes(info.id):
            data = repo.read_blob(ch.new_id)
            if i == 0:
                raw = json.loads(data)
                raw["body"] = new_body
                data = json.dumps(raw, ensure_ascii=False, indent=1).encode() + b"\n"
            changes[ch.path] = data
        tree = repo.write_tree(parent, changes)
        parent = repo.create_commit(tree, [parent] if parent else [],
                                    reviewlog.identity(reviewlog.handle_of(info.author_email), info.author_name),
                                    info.message, when=info.time)
    git("update-ref", ref, parent, cwd=repo.path)
    assert _events(GitRepo(repo.path), ref)[0].data["body"] == new_body
    return first


def test_tamper_review_log_rewritten(copy):
    repo, _ = copy
    _rewrite_log(repo, reviewlog.commitment_log(C4), "Une question anodine.")
    report = verify.verify(repo.path)
    assert {(v.rule, v.code) for v in report.violations} == {(8, "forced-update")}
    assert report.violations[0].ref == reviewlog.commitment_log(C4)


def test_tamper_back_dated_event(copy):
    repo, _ = copy
    import datetime as dt
    ref = reviewlog.commitment_log(C4)
    last = _events(repo, ref)[-1]
    when = dt.datetime(2016, 1, 15, 9, 0, tzinfo=dt.timezone.utc)
    event = {"format": 1, "seq": last.seq + 1, "id": "0123456789ab", "type": "comment", "actor": "karim",
             "time": "2016-01-15T09:00:00Z", "commitment": C4, "body": "Écrit bien avant, paraît-il.",
             "rev": repo.resolve("main"), "blob": None, "lang": "fr", "anchor": None, "quote": None,
             "stance": None, "reply_to": None}
    _append_raw(repo, ref, event, reviewlog.identity("karim", "Karim Haddad"), when=when)
    assert flagged(repo.path) == {(7, "backwards")}


def test_tamper_event_whose_actor_is_not_its_commit_author(copy):
    repo, _ = copy
    ref = reviewlog.commitment_log(C4)
    last = _events(repo, ref)[-1]
    event = {"format": 1, "seq": last.seq + 1, "id": "ba9876543210", "type": "comment", "actor": "antoine",
             "time": reviewlog.now(), "commitment": C4, "body": "Antoine n'a jamais écrit ceci.",
             "rev": repo.resolve("main"), "blob": None, "lang": "fr", "anchor": None, "quote": None,
             "stance": None, "reply_to": None}
    _append_raw(repo, ref, event, reviewlog.identity("sophie", "Sophie Bernard"))
    report = verify.verify(repo.path)
    assert {(v.rule, v.code) for v in report.violations} == {(5, "actor-not-author")}
    assert "Sophie Bernard" in report.violations[0].message


def test_tamper_malformed_event(copy):
    repo, _ = copy
    ref = reviewlog.commitment_log(C4)
    last = _events(repo, ref)[-1]
    event = {"format": 1, "seq": last.seq + 1, "id": "aaaaaaaaaaaa", "type": "comment-hide", "actor": "lucie",
             "time": reviewlog.now(), "target": "not-an-id"}
    _append_raw(repo, ref, event, reviewlog.identity("lucie", "Lucie Fontaine"))
    report = verify.verify(repo.path)
    assert {(v.rule, v.code) for v in report.violations} == {(6, "schema")}
    assert "missing key 'reason'" in report.violations[0].message


def test_tamper_rewrite_hidden_behind_a_published_checkpoint(copy, tmp_path):
    """A checkpoint was published; later a log is rewritten and the reflogs are removed."""
    repo, _ = copy
    run = run_cli("checkpoint", repo.path)
    assert run.returncode == 0 and "refs/tags/checkpoints/" in run.stdout, run.stderr
    assert verify.verify(repo.path).clean
    _rewrite_log(repo, reviewlog.commitment_log(C4), "Une question anodine.")
    shutil.rmtree(Path(repo.path) / "logs")
    report = verify.verify(repo.path)
    assert {(v.rule, v.code) for v in report.violations} == {(8, "rewritten-since-checkpoint")}
    assert report.violations[0].ref == reviewlog.commitment_log(C4)
    # the same from a mirror clone, where the rewritten commits are not even present
    assert flagged(mirror(repo.path, tmp_path)) == {(8, "rewritten-since-checkpoint")}


def test_without_a_checkpoint_a_clone_cannot_see_a_consistent_rewrite(copy, tmp_path):
    """The limit that checkpoints exist for: documented, and checked so it stays true."""
    repo, _ = copy
    _rewrite_log(repo, reviewlog.commitment_log(C4), "Une question anodine.")
    assert flagged(mirror(repo.path, tmp_path)) == set()


def test_tampered_copy_exits_1_and_names_rule_ref_and_commit(copy):
    repo, n = copy
    head = am.get(repo, n["quorum"]).head
    merge, _ = _forge_merge(repo, n["quorum"], [(*ANTOINE, head)])
    run = run_cli("verify", repo.path)
    assert run.returncode == 1
    assert f"[rule 4] refs/heads/main {merge}:" in run.stdout and "(not-satisfied)" in run.stdout
    data = json.loads(run_cli("verify", "--json", repo.path).stdout)
    assert data["clean"] is False
    assert data["violations"] == [{"rule": 4, "code": "not-satisfied", "ref": "refs/heads/main", "commit": merge,
                                   "message": data["violations"][0]["message"]}]


# -- the new rules: dates, names, event ids, modes, branches, state at merge, repair, rule 3 ----------

KARIM = ("Karim Haddad", "karim", "observatoire-citoyen")
HOUR = dt.timedelta(hours=1)


def _sophie_approves(repo, n):
    head = am.get(repo, n).head
    signoff.give_verdict(repo, _people(repo)["sophie"], n, head, "approve")
    return head


def test_tamper_approval_dated_after_the_merge_commit(copy):
    """Sophie's approval is dated an hour after the merge commit that counts it: not counted."""
    repo, n = copy
    head = am.get(repo, n["quorum"]).head
    later = dt.datetime.now(dt.timezone.utc) + HOUR
    _raw_approval(repo, n["quorum"], "sophie", "Sophie Bernard", "observatoire-citoyen", head, when=later)
    _forge_merge(repo, n["quorum"], [(*ANTOINE, head), (*SOPHIE, head)], event_when=later + dt.timedelta(minutes=1))
    assert flagged(repo.path) == {(2, "approval-after-merge"), (4, "not-satisfied")}


def test_tamper_approval_after_the_logs_merge_event(copy):
    repo, n = copy
    head = am.get(repo, n["quorum"]).head
    _forge_merge(repo, n["quorum"], [(*ANTOINE, head), (*SOPHIE, head)])
    _raw_approval(repo, n["quorum"], "sophie", "Sophie Bernard", "observatoire-citoyen", head)
    report = verify.verify(repo.path)
    assert {(v.rule, v.code) for v in report.violations} == {(2, "approval-after-merge"), (4, "not-satisfied")}
    assert any("sophie" in v.message for v in report.violations if v.code == "approval-after-merge")


def test_tamper_merge_dated_before_its_parents(copy):
    """A merge back-dated to 2015: before its parents, and so before the approvals it counts."""
    repo, n = copy
    head = _sophie_approves(repo, n["quorum"])
    _forge_merge(repo, n["quorum"], [(*ANTOINE, head), (*SOPHIE, head)],
                 when=dt.datetime(2015, 7, 16, 9, 0, tzinfo=dt.timezone.utc))
    assert flagged(repo.path) == {(7, "merge-before-parent"), (2, "approval-after-merge"), (4, "not-satisfied")}


def test_tamper_a_name_in_a_trailer(copy):
    repo, n = copy
    head = _sophie_approves(repo, n["quorum"])
    _forge_merge(repo, n["quorum"], [("Le Président de la République", "antoine", "se-reforme-etat", head),
                                     (*SOPHIE, head)])
    report = verify.verify(repo.path)
    assert {(v.rule, v.code) for v in report.violations} == {(3, "name-differs")}
    assert "Le Président de la République" in report.violations[0].message


def test_tamper_a_name_on_an_events_commit(copy):
    repo, _ = copy
    ref = reviewlog.commitment_log(C4)
    event = {"format": 1, "seq": _events(repo, ref)[-1].seq + 1, "id": "a1b2c3d4e5f6", "type": "comment",
             "actor": "antoine", "time": reviewlog.now(), "commitment": C4, "body": "Au nom de l'État.",
             "rev": repo.resolve("main"), "blob": None, "lang": "fr", "anchor": None, "quote": None,
             "stance": None, "reply_to": None}
    _append_raw(repo, ref, event, reviewlog.identity("antoine", "Le Président de la République"))
    assert flagged(repo.path) == {(3, "name-differs")}


def test_tamper_approval_copied_into_another_amendments_log(copy):
    """Sophie's approval of amendment `other`, copied as it is into the log of `quorum`."""
    repo, n = copy
    source = reviewlog.amendment_log(n["other"])
    approval = next(e for e in _events(repo, source) if e.type == signoff.APPROVAL and e.actor == "sophie")
    raw = json.loads(repo.read_file(repo.resolve(source), _event_path(approval)))
    message = repo.commit_info(approval.commit).message
    target = reviewlog.amendment_log(n["quorum"])
    raw["seq"] = _events(repo, target)[-1].seq + 1
    message = re.sub(r"Seq: \d+", f"Seq: {raw['seq']}", message)
    _append_raw(repo, target, raw, reviewlog.identity("sophie", "Sophie Bernard"), message=message)
    assert flagged(repo.path) == {(5, "duplicate-event-id"), (5, "wrong-log")}


def test_tamper_merge_tree_with_another_mode(copy, tmp_path):
    """A properly approved merge whose tree makes a commitment's file executable (same blob)."""
    repo, n = copy
    head = _sophie_approves(repo, n["quorum"])
    tree, _ = repo.merge_trees(repo.resolve("main"), head)
    bad = _with_mode(repo, tmp_path, tree, fr(C25), "100755")
    assert repo.tree_entry_id(head, fr(C25)) != bad
    report = verify.verify(repo.path)
    assert report.clean
    _forge_merge(repo, n["quorum"], [(*ANTOINE, head), (*SOPHIE, head)], tree=bad)
    report = verify.verify(repo.path)
    assert {(v.rule, v.code) for v in report.violations} == {(1, "tree-differs"), (1, "not-a-regular-file")}
    assert any("mode 100644 -> 100755" in v.message for v in report.violations)


def test_tamper_symlink_in_an_approved_revision(copy, tmp_path):
    """A revision holding a symbolic link got onto the branch by other means and was approved:
    the merge is exactly the merge of its parents, but main now holds a symlink."""
    repo, n = copy
    p = _people(repo)
    a = am.get(repo, n["quorum"])
    bad = repo.create_commit(_with_mode(repo, tmp_path, a.head, f"commitments/{C25}/en.md", "120000"), [a.head],
                             reviewlog.identity("lucie", "Lucie Fontaine"), "lien\n")
    repo.update_ref(am.branch(a.number), bad, a.head)
    am.record_revision(repo, p["lucie"], a.number, bad, a.head, [f"commitments/{C25}/en.md"], "git")
    signoff.give_verdict(repo, p["antoine"], a.number, bad, "approve")
    signoff.give_verdict(repo, p["sophie"], a.number, bad, "approve")
    with pytest.raises(Exception, match="symbolic link"):
        signoff.merge(repo, p["claire"], a.number, bad)  # the core refuses it
    _forge_merge(repo, a.number, [(*ANTOINE, bad), (*SOPHIE, bad)])
    report = verify.verify(repo.path)
    assert {(v.rule, v.code) for v in report.violations} == {(1, "not-a-regular-file")}
    assert "120000" in report.violations[0].message


def test_tamper_revision_event_naming_a_commit_off_the_branch(copy):
    repo, n = copy
    a = am.get(repo, n["quorum"])
    stray = repo.create_commit(repo.commit_info(a.head).tree_id, [a.head], reviewlog.identity("lucie", "Lucie Fontaine"),
                               "ailleurs\n")
    am.record_revision(repo, _people(repo)["lucie"], a.number, stray, a.head, [fr(C25)], "git")
    assert flagged(repo.path) == {(2, "revision-not-on-branch"), (2, "tip-not-last-revision")}


def test_tamper_branch_moved_without_a_revision_event(copy):
    repo, n = copy
    a = am.get(repo, n["other"])
    t = _text(repo, C16, a.head).replace("## Son contexte", "## Un autre contexte")
    repo.commit_on(am.branch(a.number), lambda tip: ({fr(C16): t.encode()}, "en douce\n"),
                   reviewlog.identity("lucie", "Lucie Fontaine"))
    report = verify.verify(repo.path)
    assert {(v.rule, v.code) for v in report.violations} == {(2, "tip-not-last-revision")}
    assert report.violations[0].ref == am.branch(a.number)


def test_tamper_merge_of_a_withdrawn_amendment(copy):
    repo, n = copy
    head = _sophie_approves(repo, n["quorum"])
    am.withdraw(repo, _people(repo)["lucie"], n["quorum"], "Plus tard")
    _forge_merge(repo, n["quorum"], [(*ANTOINE, head), (*SOPHIE, head)])
    report = verify.verify(repo.path)
    assert {(v.rule, v.code) for v in report.violations} == {(2, "not-open-at-merge")}
    assert "withdrawn" in report.violations[0].message


def test_a_merge_without_its_event_is_a_violation_until_repaired(copy):
    """The process stopped between the merge commit and its event: flagged; the repair event clears it."""
    repo, n = copy
    p = _people(repo)
    _sophie_approves(repo, n["quorum"])
    a = am.get(repo, n["quorum"])
    ev = signoff.evaluate(repo, a)
    tree, _ = repo.merge_trees(ev.main, a.head)
    repo.commit_tree_on("refs/heads/main", tree, [ev.main, a.head], reviewlog.identity("claire", p["claire"].name),
                        signoff.merge_message(a, ev, core.read_plan(repo, ev.main)), ev.main)
    assert flagged(repo.path) == {(2, "no-merge-event")}
    assert am.repair_merge(repo, a.number).type == am.MERGE_REPAIR
    assert verify.verify(repo.path).clean


def test_tamper_approval_by_someone_not_entitled(copy):
    """Rule 3: karim (no signatory role) has an approval in the log, and the merge counts it."""
    repo, n = copy
    head = am.get(repo, n["quorum"]).head
    _raw_approval(repo, n["quorum"], "karim", "Karim Haddad", "observatoire-citoyen", head)
    _forge_merge(repo, n["quorum"], [(*ANTOINE, head), (*KARIM, head)])
    report = verify.verify(repo.path)
    assert {(v.rule, v.code) for v in report.violations} == {(3, "not-entitled"), (4, "not-satisfied")}
    assert "karim" in next(v for v in report.violations if v.rule == 3).message


def test_tamper_merged_by_someone_not_a_coordinator(copy):
    repo, n = copy
    head = _sophie_approves(repo, n["quorum"])
    _forge_merge(repo, n["quorum"], [(*ANTOINE, head), (*SOPHIE, head)], merger=("lucie", "Lucie Fontaine"))
    report = verify.verify(repo.path)
    assert {(v.rule, v.code) for v in report.violations} == {(3, "merger-not-coordinator")}
    assert "Lucie Fontaine" in report.violations[0].message


def _plan_amendment(repo, title, old, new):
    """An amendment of plan.yaml replacing `old` by `new`, proposed by lucie, approved by claire."""
    p = _people(repo)
    text = _plan_text(repo)
    assert old in text
    a = am.propose(repo, p["lucie"], am.PLAN_TARGET, title, "", {"plan.yaml": text.replace(old, new, 1)})
    signoff.give_verdict(repo, p["claire"], a.number, a.head, "approve")
    return a


def test_rule3_an_approver_made_entitled_by_the_merge_itself_does_not_count(copy):
    """Rule 3 reads the plan.yaml in force, the merge's first parent's: an amendment that makes
    karim a signatory cannot count karim's own approval (the merged plan.yaml would allow it)."""
    repo, _ = copy
    a = _plan_amendment(repo, "Karim signataire", "organisation: observatoire-citoyen, roles: [member]}",
                        "organisation: observatoire-citoyen, roles: [member, signatory]}")
    _raw_approval(repo, a.number, "karim", "Karim Haddad", "observatoire-citoyen", a.head)
    _forge_merge(repo, a.number, [(*CLAIRE, a.head), (*KARIM, a.head)])
    report = verify.verify(repo.path)
    assert {(v.rule, v.code) for v in report.violations} == {(3, "not-entitled"), (4, "not-satisfied")}
    assert "karim" in next(v for v in report.violations if v.rule == 3).message


def test_rule3_a_merger_made_coordinator_by_the_merge_itself_may_not_merge_it(copy):
    repo, _ = copy
    a = _plan_amendment(repo, "Lucie coordinatrice", "organisation: communs-numeriques, roles: [member, moderator]}",
                        "organisation: communs-numeriques, roles: [member, moderator, coordinator]}")
    signoff.give_verdict(repo, _people(repo)["sophie"], a.number, a.head, "approve")
    _forge_merge(repo, a.number, [(*CLAIRE, a.head), (*SOPHIE, a.head)], merger=("lucie", "Lucie Fontaine"))
    report = verify.verify(repo.path)
    assert {(v.rule, v.code) for v in report.violations} == {(3, "merger-not-coordinator")}


def test_tamper_merge_of_an_amendment_reaching_another_commitment(copy):
    """Opened on engagement-25, it also changes engagement-01, whose lead never approved."""
    repo, _ = copy
    p = _people(repo)
    c01 = "engagement-01"
    a = am.propose(repo, p["lucie"], C25, "Deux engagements", "",
                   {fr(C25): _text(repo, C25).replace("## Les enjeux", "## Les grands enjeux", 1),
                    fr(c01): _text(repo, c01).replace("## Enjeux", "## Les enjeux", 1)})
    signoff.give_verdict(repo, p["antoine"], a.number, a.head, "approve")
    signoff.give_verdict(repo, p["sophie"], a.number, a.head, "approve")
    _forge_merge(repo, a.number, [(*ANTOINE, a.head), (*SOPHIE, a.head)])
    report = verify.verify(repo.path)
    assert {(v.rule, v.code) for v in report.violations} == {(4, "not-satisfied")}
    assert f"1 more lead-signatories for {c01}" in report.violations[0].message


def test_tamper_touches_trailer(copy):
    repo, n = copy
    head = _sophie_approves(repo, n["quorum"])
    _forge_merge(repo, n["quorum"], [(*ANTOINE, head), (*SOPHIE, head)], trailers=["Touches: engagement-99"])
    assert flagged(repo.path) == {(4, "touches-differs")}


# -- checkpoints ------------------------------------------------------------------------------

def test_checkpoint_lists_every_ref_and_a_deleted_ref_is_flagged(copy):
    repo, _ = copy
    name, refs = verify.checkpoint(repo)
    assert name.startswith("checkpoints/") and "refs/heads/main" in refs and reviewlog.commitment_log(C4) in refs
    target, message, _ = repo.tag_object(repo.refs()[f"refs/tags/{name}"])
    assert target == repo.resolve("main")
    assert f"{reviewlog.commitment_log(C4)} {refs[reviewlog.commitment_log(C4)]}" in message.splitlines()
    second, _ = verify.checkpoint(repo)
    assert second != name  # a second checkpoint in the same second gets its own name
    assert verify.verify(repo.path).clean
    # Moving a log forward is fine; deleting it is not.
    comments.add(repo, _people(repo)["karim"], C4, "Encore une question.")
    assert verify.verify(repo.path).clean
    git("update-ref", "-d", reviewlog.commitment_log(C16), cwd=repo.path)
    assert flagged(repo.path) == {(8, "deleted-since-checkpoint")}


def test_checkpoint_command_refuses_a_folder_that_is_no_plan(tmp_path):
    run = run_cli("checkpoint", str(tmp_path))
    assert run.returncode == 1 and "neither a deployment folder nor a bare plan repository" in run.stderr


def test_checkpoint_command_takes_a_deployment_folder(deployment_dir):
    run = run_cli("checkpoint", str(deployment_dir))
    assert run.returncode == 0, run.stderr
    assert any(r.startswith("refs/tags/checkpoints/") for r in GitRepo(deployment_dir / "plan.git").refs())


# -- witnesses: a copy kept by someone else ------------------------------------------------------

def test_a_consistent_rewrite_is_caught_against_a_mirror_witness_and_not_without(copy, tmp_path):
    """An organisation keeps a mirror; later someone with full access rewrites a log
    consistently and wipes the reflogs: only the witness can tell."""
    repo, _ = copy
    witness = mirror(repo.path, tmp_path)
    report = verify.verify(repo.path, witness=witness)
    assert report.clean and report.counts["witness_refs"] == len(report.refs) > 10
    ref = reviewlog.commitment_log(C4)
    before = repo.resolve(ref)
    _rewrite_log(repo, ref, "Une question anodine.")
    shutil.rmtree(Path(repo.path) / "logs")
    assert verify.verify(repo.path).clean  # nothing inside the copy shows it
    report = verify.verify(repo.path, witness=witness)
    assert {(v.rule, v.code, v.ref, v.commit) for v in report.violations} == {
        (8, "rewritten-since-witness", ref, before)}
    run = run_cli("verify", repo.path, "--witness", str(witness))
    assert run.returncode == 1 and "(rewritten-since-witness)" in run.stdout and "witness: " in run.stdout
    # a ref deleted here but held by the witness
    git("update-ref", "-d", reviewlog.commitment_log(C16), cwd=repo.path)
    assert (8, "deleted-since-witness") in {(v.rule, v.code) for v in verify.verify(repo.path, witness=witness).violations}


def test_a_json_witness_written_by_verify_json(copy, tmp_path):
    repo, _ = copy
    run = run_cli("verify", "--json", repo.path)
    assert run.returncode == 0
    noted = json.loads(run.stdout)
    assert noted["refs"]["refs/heads/main"] == repo.resolve("main")
    (tmp_path / "noted.json").write_text(run.stdout)
    # the plan moves on normally: still clean against what was noted
    p = _people(repo)
    comments.add(repo, p["karim"], C4, "Une nouvelle question.")
    assert run_cli("verify", repo.path, "--witness", str(tmp_path / "noted.json")).returncode == 0
    ref = reviewlog.commitment_log(C4)
    _rewrite_log(repo, ref, "Une question anodine.")
    shutil.rmtree(Path(repo.path) / "logs")
    report = verify.verify(repo.path, witness=tmp_path / "noted.json")
    assert {(v.code, v.ref) for v in report.violations} == {("rewritten-since-witness", ref)}
    # a flat ref -> commit object works too; a file of anything else is unusable input (exit 2)
    (tmp_path / "flat.json").write_text(json.dumps({ref: noted["refs"][ref]}))
    assert {v.code for v in verify.verify(repo.path, witness=tmp_path / "flat.json").violations} == {
        "rewritten-since-witness"}
    (tmp_path / "bad.json").write_text('{"refs/heads/main": 3}')
    run = run_cli("verify", repo.path, "--witness", str(tmp_path / "bad.json"))
    assert run.returncode == 2 and "holds no object ref -> commit id" in run.stderr


def test_a_copy_older_than_its_witness_is_not_called_rewritten(copy, tmp_path):
    repo, _ = copy
    old = mirror(repo.path, tmp_path)
    comments.add(repo, _people(repo)["karim"], C4, "Plus tard.")
    report = verify.verify(old, witness=repo.path)
    assert report.clean and any("behind the witness" in w for w in report.warnings)


# -- a bug of the verifier is not a finding about the input ------------------------------------

def test_a_bug_inside_the_verifier_exits_3_with_its_traceback(clean, monkeypatch, capsys):
    from review import cli
    path, _ = clean

    def broken(self):
        raise ZeroDivisionError("a bug")
    monkeypatch.setattr(verify._Verifier, "checkpoints", broken)
    assert cli.main(["verify", str(path)]) == 3
    err = capsys.readouterr().err
    assert "Traceback" in err and "ZeroDivisionError: a bug" in err and "internal error of the verifier" in err
    assert "could not read" not in err
    assert cli.main(["verify", "--json", str(path)]) == 3
    out = capsys.readouterr().out
    assert json.loads(out)["error"] == "internal error of the verifier"
    monkeypatch.undo()
    assert cli.main(["verify", str(path / "nowhere")]) == 2
