"""One test per rule of `review verify`, calling each rule's function on what it judges
(tests/test_verify.py tampers with whole repositories; these pin each rule down on its own).
Each test shows the rule passing a sound input and flagging a broken one, so that a rule that
flags nothing, or everything, fails here."""

from __future__ import annotations

import datetime as dt
import json
import os

import pytest

from review import amendments as am
from review import commitment as core
from review import model, reviewlog, signoff, trailers, verify
from review.gitrepo import Change, CommitInfo, Identity

C25 = "engagement-25"
NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


class Flags(list):
    """A `flag` that remembers (rule, code) of each violation."""

    def __call__(self, rule, code, ref, commit, message):
        assert isinstance(message, str) and message
        self.append((rule, code))


def info(message="Merge\n", parents=("a" * 40, "b" * 40), handle="claire", name="Claire Lemaire", when=NOW,
         cid="c" * 40) -> CommitInfo:
    return CommitInfo(cid, tuple(parents), name, f"{handle}@{reviewlog.EMAIL_DOMAIN}", when, "review", message,
                      "d" * 40)


@pytest.fixture
def merged(repo):
    """A real merge of an amendment of engagement-25, approved by antoine (its lead) and sophie
    (civil society), merged by claire (coordinator): (repo, amendment, merge commit info)."""
    people = core.read_plan(repo, repo.resolve("main")).people
    path = model.commitment_path(C25)
    text = repo.read_file(repo.resolve("main"), path).decode()
    a = am.propose(repo, people["lucie"], C25, "Reformuler", "", {path: text.replace("## Enjeux", "## Les enjeux", 1)})
    signoff.give_verdict(repo, people["antoine"], a.number, a.head, "approve")
    signoff.give_verdict(repo, people["sophie"], a.number, a.head, "approve")
    merge = signoff.merge(repo, people["claire"], a.number, a.head)
    return repo, am.get(repo, a.number), repo.commit_info(merge)


def context(repo, merge_info):
    """What `_Verifier.approvals` hands the rules 2, 3 and 4 for this merge."""
    first, revision = merge_info.parents
    t = trailers.parse_merge(merge_info.message)
    events = reviewlog.read_events(repo, reviewlog.amendment_log(t.amendment))
    at = verify.rule2_log_at_merge(merge_info, t, revision, events, Flags())
    plan = core.read_plan(repo, first)
    scopes = signoff.scopes_for(plan, [C25], signoff.leads_reader(repo, first, revision))
    return t, at, plan, scopes


def plan_with(repo, old: str, new: str) -> model.Plan:
    text = repo.read_file(repo.resolve("main"), model.PLAN_PATH).decode()
    assert old in text
    return model.parse_plan(text.replace(old, new, 1))


# -- rule 0 ---------------------------------------------------------------------------------------

def test_rule0_refs_and_objects(repo):
    main = repo.resolve("main")
    blob = repo.blob_id(main, model.PLAN_PATH)
    flags = Flags()
    assert verify.rule0_refs(repo, {"refs/heads/main": main}, flags) == set() and flags == []
    broken = verify.rule0_refs(repo, {"refs/heads/main": main, "refs/heads/blob": blob,
                                      "refs/heads/gone": "f" * 40}, flags)
    assert broken == {"refs/heads/blob", "refs/heads/gone"}
    assert sorted(flags) == [(0, "missing-object"), (0, "ref-not-a-commit")]
    flags = Flags()
    verify.rule0_loose_objects(repo, flags)
    assert flags == []
    folder = os.path.join(repo.git_dir, "objects", "ab")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "c" * 38), "wb") as f:
        f.write(b"not zlib at all")
    verify.rule0_loose_objects(repo, flags)
    assert flags == [(0, "damaged-object")]


# -- rule 1 ---------------------------------------------------------------------------------------

def test_rule1_merge_and_modes(merged):
    repo, a, m = merged
    refs, merges, flags = repo.refs(), {}, Flags()
    t = verify.rule1_merge(repo, refs, m, merges, flags)
    assert flags == [] and t.amendment == a.number and merges == {a.number: m.id}
    assert verify.rule1_merge(repo, refs, m, merges, flags) is not None and flags == [(1, "merged-twice")]
    flags = Flags()
    assert verify.rule1_merge(repo, refs, info(parents=m.parents[:1]), {}, flags) is None
    assert verify.rule1_merge(repo, refs, info(message="Merge\n\nThanks.\n", parents=m.parents), {}, flags) is None
    no_policy = m.message.replace(f"Policy: {trailers.parse_merge(m.message).policy}\n", "")
    assert verify.rule1_merge(repo, refs, info(no_policy, m.parents, cid=m.id), {}, flags) is not None
    assert flags == [(1, "not-a-merge"), (1, "no-trailers"), (1, "no-policy")]
    flags = Flags()
    line = list(repo.first_parent_log(repo.resolve("main")))[::-1]
    verify.rule1_modes(repo, line, flags)
    assert flags == []


# -- rule 2 ---------------------------------------------------------------------------------------

def test_rule2_the_log_at_the_merge_and_each_approval(merged):
    repo, a, m = merged
    t, at, plan, scopes = context(repo, m)
    flags = Flags()
    assert verify.rule2_approvals(m.id, t.approvals, a.head, at, flags) == list(t.approvals) and flags == []
    karim = trailers.Approval("Karim Haddad", "karim", "observatoire-citoyen", a.head)
    first = a.revisions[0].id  # another revision: its last digit changed (a "0" there would leave it the same)
    other = trailers.Approval("Sophie Bernard", "sophie", "observatoire-citoyen",
                              first[:39] + ("1" if first.endswith("0") else "0"))
    moved = trailers.Approval("Sophie Bernard", "sophie", "communs-numeriques", a.head)
    assert verify.rule2_approvals(m.id, [karim, other, moved], a.head, at, flags) == [moved]
    assert flags == [(2, "approval-missing"), (2, "other-revision"), (2, "organisation-differs")]
    flags = Flags()
    assert verify.rule2_log_at_merge(m, t, a.head, None, flags) is None and flags == [(2, "no-log")]
    events = reviewlog.read_events(repo, reviewlog.amendment_log(a.number))
    flags = Flags()
    verify.rule2_log_at_merge(m, t, a.head, [e for e in events if e.type not in am.MERGED], flags)
    assert flags == [(2, "no-merge-event")]
    flags = Flags()
    verify.rule2_merges_on_main([m], {a.number: m.id}, {a.number: events}, flags)
    verify.rule2_branches(repo, repo.refs(), {a.number: events}, flags)
    assert flags == []
    verify.rule2_merges_on_main([], {}, {a.number: events}, flags)
    assert flags == [(2, "merge-not-on-main")]


# -- rule 3: the approver's entitlement and the merger's role, in the plan.yaml in force ------------

def test_rule3_each_approver_is_entitled_under_the_plan_in_force(merged):
    repo, a, m = merged
    t, at, plan, scopes = context(repo, m)
    flags = Flags()
    verify.rule3_approvers(m.id, plan, scopes, t.approvals, flags)
    assert flags == []  # antoine (a lead signatory) and sophie (civil society)
    karim = trailers.Approval("Karim Haddad", "karim", "observatoire-citoyen", a.head)  # a member, no signatory
    verify.rule3_approvers(m.id, plan, scopes, [karim], flags)
    assert flags == [(3, "not-entitled")]
    # what counts is the plan.yaml given (the merge's first parent's), not any other version
    promoted = plan_with(repo, 'organisation: observatoire-citoyen, roles: [member]}',
                         'organisation: observatoire-citoyen, roles: [member, signatory]}')
    flags = Flags()
    verify.rule3_approvers(m.id, promoted, scopes, [karim], flags)
    assert flags == []
    demoted = plan_with(repo, 'organisation: se-reforme-etat, roles: [member, signatory]}',
                        'organisation: se-reforme-etat, roles: [member]}')
    verify.rule3_approvers(m.id, demoted, scopes, t.approvals, flags)
    assert flags == [(3, "not-entitled")]  # antoine, no longer a signatory


def test_rule3_each_approver_is_who_the_plan_in_force_says(merged):
    repo, a, m = merged
    t, at, plan, scopes = context(repo, m)
    antoine = next(x for x in t.approvals if x.handle == "antoine")
    flags = Flags()
    verify.rule3_approvers(m.id, plan, scopes, [
        trailers.Approval("Nobody", "nobody", "se-reforme-etat", a.head),
        trailers.Approval("Le Président", "antoine", antoine.organisation, a.head),
        trailers.Approval(antoine.name, "antoine", "min-ecologie", a.head)], flags)
    assert flags == [(3, "not-a-person"), (3, "name-differs"), (3, "organisation-differs")]


def test_rule3_the_merger_is_a_coordinator_unless_the_policy_auto_merges(merged):
    repo, a, m = merged
    t, at, plan, scopes = context(repo, m)
    flags = Flags()
    verify.rule3_merger(m, plan, scopes, t, flags)
    assert flags == []  # claire, a coordinator
    lucie = info(m.message, m.parents, handle="lucie", name="Lucie Fontaine")  # a moderator
    verify.rule3_merger(lucie, plan, scopes, t, flags)
    assert flags == [(3, "merger-not-coordinator")]
    # the coordinator's role is read in the plan.yaml given: without it, claire may not merge
    no_coordinator = plan_with(repo, "roles: [member, coordinator]}", "roles: [member]}")
    flags = Flags()
    verify.rule3_merger(m, no_coordinator, scopes, t, flags)
    assert flags == [(3, "merger-not-coordinator")]
    # "Merged-by: policy (auto_merge)" only stands when every scope's policy auto-merges
    # and the merger is one of the approvers
    auto = trailers.MergeTrailers(t.amendment, t.approvals, t.policy, True, (), t.touches)
    antoine = info(m.message, m.parents, handle="antoine", name="Antoine Girard")
    flags = Flags()
    verify.rule3_merger(antoine, plan, scopes, auto, flags)
    assert flags == [(3, "merger-not-coordinator")]  # auto_merge: false in the plan in force
    auto_plan = plan_with(repo, "auto_merge: false", "auto_merge: true")
    auto_scopes = signoff.scopes_for(auto_plan, [C25], signoff.leads_reader(repo, *m.parents))
    flags = Flags()
    verify.rule3_merger(antoine, auto_plan, auto_scopes, auto, flags)
    assert flags == []
    verify.rule3_merger(lucie, auto_plan, auto_scopes, auto, flags)  # not an approver
    assert flags == [(3, "merger-not-coordinator")]
    flags = Flags()
    verify.rule3_merger(info(m.message, m.parents, handle="claire", name="Claire L."), plan, scopes, t, flags)
    assert flags == [(3, "name-differs")]


def test_rule3_names_on_event_commits(merged):
    repo, a, m = merged
    line = list(repo.first_parent_log(repo.resolve("main")))[::-1]
    flags = Flags()
    verify.rule3_names(repo, line, [("log", "e" * 40, "antoine", NOW, "Antoine Girard")], flags)
    assert flags == []
    verify.rule3_names(repo, line, [("log", "e" * 40, "antoine", NOW, "Quelqu'un d'autre")], flags)
    assert flags == [(3, "name-differs")]
    flags = Flags()
    approval = {"type": signoff.APPROVAL, "name": "Antoine Girard"}
    verify.rule3_approval_name("log", info(handle="antoine", name="Antoine Girard"), approval, flags)
    assert flags == []
    verify.rule3_approval_name("log", info(handle="antoine", name="Sophie Bernard"), approval, flags)
    assert flags == [(3, "name-differs")]


# -- rule 4 ---------------------------------------------------------------------------------------

def test_rule4_the_policy_in_force_is_satisfied(merged):
    repo, a, m = merged
    t, at, plan, scopes = context(repo, m)
    in_force = repo.blob_id(m.parents[0], model.PLAN_PATH)
    flags = Flags()
    verify.rule4_policy(m.id, plan, scopes, t, [C25], in_force, "lucie", a.head, at.verdicts, flags)
    assert flags == []
    only_antoine = [v for v in at.verdicts if v.handle == "antoine"]
    verify.rule4_policy(m.id, plan, scopes, t, ["engagement-01"], "0" * 40, "lucie", a.head, only_antoine, flags)
    assert flags == [(4, "touches-differs"), (4, "policy-not-in-force"), (4, "not-satisfied")]


# -- rules 5, 6, 7: the review logs -----------------------------------------------------------------

def test_rule5_one_event_per_commit_in_sequence_by_its_actor_in_its_log():
    path = reviewlog.event_path(3, "abcdefabcdef")
    added = Change(path, "A", None, "e" * 40)
    flags = Flags()
    assert verify.rule5_event_file([added], "log", info(), 2, flags) == (path, 3, "abcdefabcdef", "e" * 40)
    assert flags == []
    verify.rule5_event_file([added], "log", info(), 5, flags)
    verify.rule5_event_file([added, Change("events/x.json", "A", None, "f" * 40)], "log", info(), 2, flags)
    verify.rule5_event_file([Change(path, "M", "e" * 40, "f" * 40)], "log", info(), 2, flags)
    verify.rule5_event_file([Change("notes.txt", "A", None, "f" * 40)], "log", info(), 2, flags)
    assert flags == [(5, "sequence"), (5, "not-one-event"), (5, "event-changed"), (5, "bad-path")]
    data = {"seq": 3, "id": "abcdefabcdef", "type": "comment", "actor": "karim"}
    message = trailers.message("Comment", [("Event", "comment"), ("Actor", "karim"), ("Event-Id", "abcdefabcdef"),
                                           ("Seq", 3), ("Amendment", 4)])
    flags = Flags()
    said = verify.rule5_event_commit("log", info(message, handle="karim"), path, 3, "abcdefabcdef", data, flags)
    verify.rule5_in_its_log("log", 4, info(message), data, said, flags)
    assert flags == []
    verify.rule5_event_commit("log", info(message, handle="sophie"), path, 3, "abcdefabcdef", data, flags)
    verify.rule5_event_commit("log", info("Comment\n", handle="karim"), path, 3, "abcdefabcdef", data, flags)
    verify.rule5_in_its_log("log", 5, info(message), data, said, flags)
    seen = {}
    verify.rule5_unique_id("abcdefabcdef", "log", "1" * 40, seen, flags)
    verify.rule5_unique_id("abcdefabcdef", "other", "2" * 40, seen, flags)
    assert flags == [(5, "actor-not-author"), (5, "trailers"), (5, "wrong-log"), (5, "duplicate-event-id")]


def test_rule6_every_event_matches_its_schema():
    good = {"format": 1, "seq": 1, "id": "abcdefabcdef", "type": "amendment-withdraw", "actor": "karim",
            "time": "2016-01-01T10:00:00Z", "reason": "Trop tôt"}
    flags = Flags()
    data, ok = verify.rule6_event_data(json.dumps(good).encode(), "log", info(), "p", flags)
    assert (data, ok, flags) == (good, True, [])
    assert verify.rule6_event_data(b"{not json", "log", info(), "p", flags) == (None, False)
    assert verify.rule6_event_data(json.dumps({**good, "reason": 3}).encode(), "log", info(), "p", flags)[1] is False
    assert flags == [(6, "not-json"), (6, "schema")]


def test_rule7_dates_go_forward(merged):
    repo, a, m = merged
    flags = Flags()
    at = lambda when: {"time": when.isoformat().replace("+00:00", "Z")}
    latest = verify.rule7_event_date("log", info(when=NOW), 1, at(NOW), None, flags)
    assert latest == NOW and flags == []
    hour = dt.timedelta(hours=1)
    verify.rule7_event_date("log", info(when=NOW - hour), 2, at(NOW - hour), latest, flags)
    verify.rule7_event_date("log", info(when=NOW), 3, at(NOW + hour), latest, flags)
    assert flags == [(7, "backwards"), (7, "commit-time")]
    flags = Flags()
    verify.rule7_merge_date(repo, m, flags)
    assert flags == []
    verify.rule7_merge_date(repo, info(m.message, m.parents, when=dt.datetime(2015, 1, 1, tzinfo=dt.timezone.utc)),
                            flags)
    assert flags == [(7, "merge-before-parent")]


# -- rule 8 ---------------------------------------------------------------------------------------

def test_rule8_recorded_positions_stay_on_their_ref(repo):
    main = repo.resolve("main")
    on_line = lambda ref, oid: oid == main
    flags = Flags()
    verify.rule8_reflog("refs/heads/main", [(verify.ZERO, main, "init")], on_line, flags)
    assert flags == []
    verify.rule8_reflog("refs/heads/main", [(verify.ZERO, "a" * 40, "x"), (verify.ZERO, "b" * 40, "y")],
                        on_line, flags)
    assert flags == [(8, "forced-update")]  # the first rewrite is named
    refs = {"refs/heads/main": main}
    tag = ("t", f"Checkpoint\n\nrefs/heads/main {main}\nrefs/reviews/commitments/x {'a' * 40}\n", None)
    flags = Flags()
    verify.rule8_checkpoint("refs/tags/checkpoints/1", "t" * 40, tag, refs, set(), lambda oid: True, on_line, flags)
    verify.rule8_checkpoint("refs/tags/checkpoints/2", "t" * 40, None, refs, set(), lambda oid: True, on_line, flags)
    assert flags == [(8, "deleted-since-checkpoint"), (8, "checkpoint-not-annotated")]
