"""Sign-off: approvals of a precise revision, the policy, and the merge."""

from __future__ import annotations

import multiprocessing

import pytest

from review import amendments as am
from review import commitment as core
from review import signoff
from review.errors import Conflict, Forbidden, Invalid
from review.gitrepo import GitRepo, Identity

CID = "engagement-04"  # led by se-reforme-etat (antoine)
FR = f"commitments/{CID}/fr.md"


@pytest.fixture
def people(repo):
    return core.read_plan(repo, repo.resolve("main")).people


def _open(repo, people, who="lucie", old="## Enjeux", new="## Les enjeux"):
    t = repo.read_file(repo.resolve("main"), FR).decode()
    return am.propose(repo, people[who], CID, "Reformuler", "Plus clair.", {FR: t.replace(old, new, 1)})


def test_policy_evaluation_and_merge_with_trailers(repo, people):
    a = _open(repo, people)
    ev = signoff.evaluate(repo, a)
    assert not ev.satisfied and [r.missing for r in ev.requirements] == [1, 1]
    signoff.give_verdict(repo, people["antoine"], 1, a.head, "approve", "OK")
    ev = signoff.give_verdict(repo, people["sophie"], 1, a.head, "approve")
    assert ev.satisfied
    assert [(r.kind, [v.handle for v in r.by]) for r in ev.requirements] == [("lead-signatories", ["antoine"]), ("civil-society", ["sophie"])]
    main_before = repo.resolve("main")
    policy_blob = repo.blob_id(main_before, "plan.yaml")
    merge = signoff.merge(repo, people["claire"], 1, a.head)
    info = repo.commit_info(merge)
    assert info.parents == (main_before, a.head)
    assert info.author_name == "Claire Lemaire" and info.committer_name == "review"
    assert "Amendment: 1" in info.message
    assert f"Approved-by: Antoine Girard antoine (se-reforme-etat, {a.head})" in info.message
    assert f"Approved-by: Sophie Bernard sophie (observatoire-citoyen, {a.head})" in info.message
    assert f"Policy: {policy_blob}" in info.message
    assert "## Les enjeux" in repo.read_file(merge, FR).decode()
    assert am.get(repo, 1).state == "merged"
    with pytest.raises(Conflict, match="merged already"):
        signoff.merge(repo, people["claire"], 1, a.head)


def test_new_revision_makes_approvals_stale(repo, people):
    a = _open(repo, people)
    signoff.give_verdict(repo, people["antoine"], 1, a.head, "approve")
    t = repo.read_file(a.head, FR).decode()
    b = am.revise(repo, people["lucie"], 1, {FR: t.replace("## Les enjeux", "## Les grands enjeux")}, a.head)
    ev = signoff.evaluate(repo, b)
    [v] = ev.verdicts
    assert v.stale and v.not_counted.startswith("stale")
    assert not ev.requirements[0].satisfied


@pytest.mark.parametrize("who, verdict, error, message", [
    ("karim", "approve", Forbidden, "signatory"),           # not a signatory
    ("ines", "approve", Forbidden, "not entitled"),          # signatory of an administration that does not lead it
    ("sophie", "maybe", Invalid, "verdict"),
])
def test_who_may_approve(repo, people, who, verdict, error, message):
    a = _open(repo, people, who="lucie")
    before = repo.refs()
    with pytest.raises(error, match=message):
        signoff.give_verdict(repo, people[who], 1, a.head, verdict)
    assert repo.refs() == before


def test_own_organisation_and_old_revision_refused(repo, people):
    a = _open(repo, people, who="karim")  # karim is of sophie's organisation
    before = repo.refs()
    with pytest.raises(Forbidden, match="author's own organisation"):
        signoff.give_verdict(repo, people["sophie"], 1, a.head, "approve")
    with pytest.raises(Conflict, match="not the amendment's current revision"):
        signoff.give_verdict(repo, people["antoine"], 1, "0" * 40, "approve")
    assert repo.refs() == before


def test_objection_blocks_until_withdrawn(repo, people):
    a = _open(repo, people, who="lucie")
    signoff.give_verdict(repo, people["antoine"], 1, a.head, "approve")
    signoff.give_verdict(repo, people["sophie"], 1, a.head, "approve")
    ev = signoff.give_verdict(repo, people["sophie"], 1, a.head, "object", "Non, finalement")
    assert not ev.satisfied and [o.handle for o in ev.objections] == ["sophie"]
    before = repo.refs()
    with pytest.raises(Conflict, match="objections withdrawn: sophie"):
        signoff.merge(repo, people["claire"], 1, a.head)
    assert repo.refs() == before
    ev = signoff.give_verdict(repo, people["sophie"], 1, a.head, "approve")
    assert ev.satisfied


def test_merge_refusals(repo, people):
    a = _open(repo, people, who="lucie")
    before = repo.refs()
    with pytest.raises(Conflict, match="not satisfied"):
        signoff.merge(repo, people["claire"], 1, a.head)
    signoff.give_verdict(repo, people["antoine"], 1, a.head, "approve")
    signoff.give_verdict(repo, people["sophie"], 1, a.head, "approve")
    before = repo.refs()
    with pytest.raises(Forbidden, match="coordinator"):
        signoff.merge(repo, people["antoine"], 1, a.head)
    with pytest.raises(Conflict, match="not the current revision"):
        signoff.merge(repo, people["claire"], 1, "f" * 40)
    # main changed the same passage: the merge would conflict
    t = repo.read_file(repo.resolve("main"), FR).decode()
    repo.commit_on("refs/heads/main", lambda tip: ({FR: t.replace("## Enjeux", "## Enjeux majeurs", 1).encode()}, "x"),
                   Identity("E", "e@example.org"))
    before = repo.refs()
    with pytest.raises(Conflict, match="does not merge cleanly"):
        signoff.merge(repo, people["claire"], 1, a.head)
    assert repo.refs() == before


def test_plan_amendments_follow_the_plan_section(repo, people):
    t = repo.read_file(repo.resolve("main"), "plan.yaml").decode()
    a = am.propose(repo, people["lucie"], am.PLAN_TARGET, "Karim signataire", "",
                   {"plan.yaml": t.replace("roles: [member]}", "roles: [member, signatory]}", 1)})
    with pytest.raises(Forbidden, match="not entitled"):
        signoff.give_verdict(repo, people["antoine"], a.number, a.head, "approve")
    signoff.give_verdict(repo, people["claire"], a.number, a.head, "approve")
    ev = signoff.give_verdict(repo, people["sophie"], a.number, a.head, "approve")
    assert ev.satisfied and [r.kind for r in ev.requirements] == ["coordinators", "civil-society"]


def _merge_in_process(path, number, revision, q):
    from review.model import Person
    repo = GitRepo(path)
    try:
        q.put(signoff.merge(repo, Person("claire", "Claire Lemaire", "premier-ministre", ("member", "coordinator")), number, revision))
    except Conflict as exc:
        q.put("conflict: " + exc.message)


@pytest.mark.slow
def test_two_coordinators_merging_at_once_make_one_merge(repo, people):
    a = _open(repo, people, who="lucie")
    signoff.give_verdict(repo, people["antoine"], 1, a.head, "approve")
    signoff.give_verdict(repo, people["sophie"], 1, a.head, "approve")
    main = repo.resolve("main")
    ctx = multiprocessing.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=_merge_in_process, args=(repo.path, 1, a.head, q)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    results = [q.get(timeout=5) for _ in procs]
    merges = [r for r in results if not r.startswith("conflict")]
    assert len(merges) == 1, results
    fresh = GitRepo(repo.path)
    assert fresh.commit_info(fresh.resolve("main")).parents == (main, a.head)


def test_pending_approvals(repo, people):
    a = _open(repo, people, who="lucie")
    assert [x.number for x, _ in signoff.pending_for(repo, people["antoine"])] == [1]
    assert signoff.pending_for(repo, people["ines"]) == []
    signoff.give_verdict(repo, people["antoine"], 1, a.head, "approve")
    assert signoff.pending_for(repo, people["antoine"]) == []


def test_pending_skips_the_authors_organisation(repo, people):
    _open(repo, people, who="karim")  # sophie is of karim's organisation: her approval would not count
    assert signoff.pending_for(repo, people["sophie"]) == []
    assert [a.number for a, _ in signoff.pending_for(repo, people["antoine"])] == [1]


def test_a_merged_amendment_still_shows_its_changes(repo, people):
    a = _open(repo, people)
    signoff.give_verdict(repo, people["antoine"], 1, a.head, "approve")
    signoff.give_verdict(repo, people["sophie"], 1, a.head, "approve")
    signoff.merge(repo, people["claire"], 1, a.head)
    merged = am.get(repo, 1)
    [change] = am.compare(repo, am.base_of(repo, merged), merged.head)
    assert change.path == FR and "## Les enjeux" in change.new and "## Enjeux" in change.old


# -- every commitment an amendment changes, and the plan itself ---------------------------------

C01 = "engagement-01"  # led by min-interieur, min-fonction-publique and min-ecologie (ines)
FR01 = f"commitments/{C01}/fr.md"


def _text(repo, path, rev="main"):
    return repo.read_file(repo.resolve(rev), path).decode()


def test_an_amendment_needs_the_sign_off_of_every_commitment_it_changes(repo, people):
    """Opened on engagement-04, it also changes engagement-01: ines (a lead of engagement-01)
    must approve too, whatever commitment the amendment was declared for."""
    files = {FR: _text(repo, FR).replace("## Enjeux", "## Les enjeux", 1),
             FR01: _text(repo, FR01).replace("## Enjeux", "## Les enjeux", 1)}
    a = am.propose(repo, people["lucie"], CID, "Deux engagements", "", files)
    signoff.give_verdict(repo, people["antoine"], a.number, a.head, "approve")
    ev = signoff.give_verdict(repo, people["sophie"], a.number, a.head, "approve")
    assert ev.targets == [C01, CID] and not ev.satisfied
    assert [(s.scope.target, s.satisfied) for s in ev.scopes] == [(C01, False), (CID, True)]
    # sophie counts for civil society in both; antoine only where his administration leads
    assert {(r.target, r.kind): [v.handle for v in r.by] for r in ev.requirements} == {
        (C01, "lead-signatories"): [], (C01, "civil-society"): ["sophie"],
        (CID, "lead-signatories"): ["antoine"], (CID, "civil-society"): ["sophie"]}
    before = repo.refs()
    with pytest.raises(Conflict, match=f"1 more lead-signatories for {C01}"):
        signoff.merge(repo, people["claire"], a.number, a.head)
    assert repo.refs() == before
    ev = signoff.give_verdict(repo, people["ines"], a.number, a.head, "approve")  # entitled through engagement-01 only
    assert ev.satisfied
    merge = signoff.merge(repo, people["claire"], a.number, a.head)
    message = repo.commit_info(merge).message
    assert f"Touches: {C01} {CID}" in message and "Approved-by: Inès Moreau ines (min-ecologie" in message
    from review import verify
    assert verify.verify(repo.path).clean


def test_a_revision_reaching_another_commitment_brings_its_requirements(repo, people):
    a = _open(repo, people)
    signoff.give_verdict(repo, people["antoine"], a.number, a.head, "approve")
    signoff.give_verdict(repo, people["sophie"], a.number, a.head, "approve")
    assert signoff.evaluate(repo, am.get(repo, a.number)).satisfied
    b = am.revise(repo, people["lucie"], a.number, {FR01: _text(repo, FR01).replace("## Enjeux", "## Les enjeux", 1)},
                  a.head)
    ev = signoff.evaluate(repo, b)
    assert ev.targets == [C01, CID] and not ev.satisfied
    assert signoff.why_no_verdict(repo, people["ines"], b) is None  # ines may now approve


def test_plan_yaml_with_a_commitment_needs_both_policies(repo, people):
    plan = _text(repo, "plan.yaml").replace("review_due: 2016-07-16", "review_due: 2016-09-16")
    a = am.propose(repo, people["lucie"], am.PLAN_TARGET, "Échéance et texte", "",
                   {"plan.yaml": plan, FR: _text(repo, FR).replace("## Enjeux", "## Les enjeux", 1)})
    signoff.give_verdict(repo, people["claire"], a.number, a.head, "approve")
    ev = signoff.give_verdict(repo, people["sophie"], a.number, a.head, "approve")
    assert ev.targets == [am.PLAN_TARGET, CID] and not ev.satisfied
    assert [s.satisfied for s in ev.scopes] == [True, False]  # the plan's policy yes, engagement-04's lead no
    ev = signoff.give_verdict(repo, people["antoine"], a.number, a.head, "approve")
    assert ev.satisfied
    data = ev.as_json()
    assert [c["commitment"] for c in data["commitments"]] == ["plan", CID] and data["satisfied"] is True
    assert all(c["satisfied"] for c in data["commitments"]) and data["commitments"][1]["files"] == [FR]


@pytest.mark.parametrize("close", ["withdraw", "reject"])
def test_a_withdrawn_or_rejected_amendment_cannot_be_merged(repo, people, close):
    a = _open(repo, people)
    signoff.give_verdict(repo, people["antoine"], a.number, a.head, "approve")
    signoff.give_verdict(repo, people["sophie"], a.number, a.head, "approve")
    if close == "withdraw":
        am.withdraw(repo, people["lucie"], a.number, "Plus tard")
    else:
        am.reject(repo, people["claire"], a.number, "Non")
    before = repo.refs()
    with pytest.raises(Conflict, match="only an open amendment can be merged"):
        signoff.merge(repo, people["claire"], a.number, a.head)
    assert repo.refs() == before


# -- a merge whose event did not reach the log ----------------------------------------------------

def _merge_without_event(repo, people, a):
    """The first of the merge's two writes only, as when the process stops between them."""
    ev = signoff.evaluate(repo, am.get(repo, a.number))
    tree, conflicts = repo.merge_trees(ev.main, a.head)
    assert not conflicts
    plan = core.read_plan(repo, ev.main)
    claire = people["claire"]
    return repo.commit_tree_on("refs/heads/main", tree, [ev.main, a.head], Identity(claire.name, "claire@review.invalid"),
                               signoff.merge_message(am.get(repo, a.number), ev, plan), ev.main)


def test_a_merge_without_its_event_reads_as_merged_and_is_repaired(repo, people):
    from review import reviewlog, verify
    a = _open(repo, people)
    signoff.give_verdict(repo, people["antoine"], a.number, a.head, "approve")
    signoff.give_verdict(repo, people["sophie"], a.number, a.head, "approve")
    merge = _merge_without_event(repo, people, a)
    got = am.get(repo, a.number)
    assert got.state == "merged" and got.merged_as == merge  # derived from main
    report = verify.verify(repo.path)
    assert {(v.rule, v.code) for v in report.violations} == {(2, "no-merge-event")}
    # the next write to the amendment records it first (and is then refused: it is merged)
    with pytest.raises(Forbidden):
        am.withdraw(repo, people["lucie"], a.number)
    [repair] = [e for e in reviewlog.read_events(repo, reviewlog.amendment_log(a.number)) if e.type == am.MERGE_REPAIR]
    assert repair.actor == "claire" and repair.data["merge"] == merge and repair.data["revision"] == a.head
    assert {x["handle"] for x in repair.data["approvals"]} == {"antoine", "sophie"}
    assert verify.verify(repo.path).clean
    assert am.repair_merge(repo, a.number) is None  # once only
