"""Amendments as branches, through the core."""

from __future__ import annotations

import multiprocessing
import subprocess

import pytest

from review import amendments as am
from review import commitment as core
from review import reviewlog
from review.errors import Conflict, Forbidden, Invalid, Missing
from review.gitrepo import GitRepo, Identity

CID = "engagement-02"
FR = f"commitments/{CID}/fr.md"
EN = f"commitments/{CID}/en.md"


@pytest.fixture
def people(repo):
    return core.read_plan(repo, repo.resolve("main")).people


def text(repo, path=FR, rev="main"):
    return repo.read_file(repo.resolve(rev), path).decode()


def replaced(repo, old, new, path=FR, rev="main"):
    t = text(repo, path, rev)
    assert old in t, old
    return t.replace(old, new, 1)


def test_propose_creates_branch_and_log(repo, people):
    main = repo.resolve("main")
    a = am.propose(repo, people["karim"], CID, "Préciser les montants", "Parce que.",
                   {FR: replaced(repo, "sommes considérables", "sommes très considérables")})
    assert (a.number, a.state, a.author, a.commitment) == (1, "open", "karim", CID)
    head = repo.commit_info(a.head)
    assert head.parents == (main,) and head.author_name == "Karim Haddad" and head.committer_name == "review"
    assert repo.resolve("amendments/1") == a.head
    assert "très considérables" in text(repo, rev="amendments/1")
    assert text(repo) == text(repo, rev=main)  # main untouched
    log = repo.commit_info(repo.resolve(reviewlog.amendment_log(1)))
    assert "Event: amendment-open" in log.message and f"Revision: {a.head}" in log.message
    assert [r.id for r in a.revisions] == [a.head]
    b = am.propose(repo, people["sophie"], CID, "Autre", "", {EN: replaced(repo, "Stakes", "Issues", EN)})
    assert b.number == 2


def test_revise_is_a_new_commit_never_a_rewrite(repo, people):
    a = am.propose(repo, people["karim"], CID, "T", "", {FR: replaced(repo, "sommes considérables", "sommes X")})
    first = a.head
    b = am.revise(repo, people["karim"], 1, {FR: replaced(repo, "sommes X", "sommes Y", rev=first)}, first)
    assert repo.commit_info(b.head).parents == (first,)
    assert [r.id for r in b.revisions] == [first, b.head]
    with pytest.raises(Conflict, match="changed since you opened it"):  # two tabs from the same revision
        am.revise(repo, people["karim"], 1, {FR: replaced(repo, "sommes X", "sommes Z", rev=first)}, first)
    assert repo.resolve("amendments/1") == b.head


@pytest.mark.parametrize("make, error, message", [
    (lambda r: {FR: replaced(r, "axis: rendre-des-comptes", "axis: nulle-part")}, Invalid, r"commitments/engagement-02/fr.md:\d+: axis"),
    (lambda r: {FR: text(r)}, Invalid, "identical"),
    (lambda r: {FR: text(r) + "x" * 210_000}, Invalid, "limit is 204800"),
    (lambda r: {"../etc/passwd": "x"}, Invalid, "outside the plan"),
    (lambda r: {"commitments/engagement-02/de.md": "x"}, Invalid, "outside the plan"),
    (lambda r: {}, Invalid, "at least one path"),
    (lambda r: {FR: None}, Invalid, "removing a file"),
    (lambda r: {FR: replaced(r, "number: 2", "number: 3")}, Invalid, "already used by engagement-03"),
    (lambda r: {"plan.yaml": text(r, "plan.yaml").replace("kind: civil-society", "kind: club", 1)}, Invalid, r"plan.yaml:\d+: organisation kind"),
])
def test_bad_proposals_write_nothing(repo, people, make, error, message):
    before = repo.refs()
    with pytest.raises(error, match=message):
        am.propose(repo, people["karim"], CID, "Titre", "", make(repo))
    assert repo.refs() == before


def test_empty_title_unknown_commitment_and_anonymous(repo, people):
    files = {FR: replaced(repo, "sommes considérables", "sommes X")}
    before = repo.refs()
    with pytest.raises(Invalid, match="title"):
        am.propose(repo, people["karim"], CID, "  ", "", files)
    with pytest.raises(Missing):
        am.propose(repo, people["karim"], "engagement-99", "T", "", files)
    with pytest.raises(Forbidden):
        am.propose(repo, None, CID, "T", "", files)
    assert repo.refs() == before
    with pytest.raises(Missing):
        am.get(repo, 42)


def test_states_withdraw_reopen_reject(repo, people):
    a = am.propose(repo, people["karim"], CID, "T", "", {FR: replaced(repo, "sommes considérables", "sommes X")})
    with pytest.raises(Forbidden):
        am.withdraw(repo, people["sophie"], 1)
    assert am.withdraw(repo, people["karim"], 1, "plus tard").state == "withdrawn"
    before = repo.refs()
    with pytest.raises(Forbidden, match="withdrawn"):
        am.revise(repo, people["karim"], 1, {FR: replaced(repo, "sommes X", "sommes Y", rev=a.head)}, a.head)
    assert repo.refs() == before
    assert am.reopen(repo, people["karim"], 1).state == "open"
    with pytest.raises(Forbidden, match="coordinator"):
        am.reject(repo, people["sophie"], 1, "non")
    with pytest.raises(Invalid, match="reason"):
        am.reject(repo, people["claire"], 1, " ")
    r = am.reject(repo, people["claire"], 1, "hors sujet")
    assert (r.state, r.state_reason) == ("rejected", "hors sujet")
    with pytest.raises(Forbidden):
        am.reopen(repo, people["karim"], 1)
    with pytest.raises(Forbidden):  # someone else's amendment
        am.revise(repo, people["sophie"], 1, {FR: "x"}, a.head)


def _move_main(repo, old, new, path=FR):
    t = text(repo, path)
    repo.commit_on("refs/heads/main", lambda tip: ({path: t.replace(old, new, 1).encode()}, "main moves"),
                   Identity("Editor", "e@example.org"))


def test_update_from_main_clean_merge(repo, people):
    a = am.propose(repo, people["karim"], CID, "T", "", {FR: replaced(repo, "sommes considérables", "sommes X")})
    assert not am.behind_main(repo, a)
    _move_main(repo, "## Contexte", "## Contexte et enjeux")
    assert am.behind_main(repo, am.get(repo, 1))
    b, conflicts = am.update_from_main(repo, people["karim"], 1)
    assert conflicts == {}
    merge = repo.commit_info(b.head)
    assert merge.parents == (a.head, repo.resolve("main"))
    t = text(repo, rev="amendments/1")
    assert "sommes X" in t and "## Contexte et enjeux" in t
    assert not am.behind_main(repo, b)
    event = reviewlog.read_events(repo, reviewlog.amendment_log(1))[-1]
    # the same event as a pushed merge of main (review/hooks.py): only `via` differs
    assert event.type == am.UPDATE and event.data == {"revision": b.head, "previous": a.head,
                                                      "main": repo.resolve("main"), "via": "web"}
    with pytest.raises(Invalid, match="already up to date"):
        am.update_from_main(repo, people["karim"], 1)


def test_update_from_main_with_conflict_then_resolution(repo, people):
    a = am.propose(repo, people["karim"], CID, "T", "", {FR: replaced(repo, "sommes considérables", "sommes X")})
    _move_main(repo, "sommes considérables", "sommes énormes")
    before = repo.refs()
    same, conflicts = am.update_from_main(repo, people["karim"], 1)
    assert list(conflicts) == [FR] and "<<<<<<<" in conflicts[FR] and "sommes X" in conflicts[FR]
    assert repo.refs() == before  # nothing written
    resolved = text(repo).replace("sommes énormes", "sommes X et énormes")
    b, conflicts = am.update_from_main(repo, people["karim"], 1, {FR: resolved})
    assert conflicts == {} and "sommes X et énormes" in text(repo, rev="amendments/1")
    assert repo.commit_info(b.head).parents == (a.head, repo.resolve("main"))


def _propose_one(path, worker):
    from review.model import Person
    repo = GitRepo(path)
    t = repo.read_file(repo.resolve("main"), FR).decode()
    a = am.propose(repo, Person(f"w{worker}", f"W {worker}", "observatoire-citoyen", ("member",)), CID, f"A{worker}", "",
                   {FR: t.replace("sommes considérables", f"sommes {worker}", 1)})
    print(a.number)


@pytest.mark.slow
def test_eight_processes_get_eight_distinct_numbers(repo):
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_propose_one, args=(repo.path, w)) for w in range(8)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    fresh = GitRepo(repo.path)
    assert am.numbers(fresh) == list(range(1, 9))
    titles = sorted(am.get(fresh, n).title for n in range(1, 9))
    assert titles == sorted(f"A{w}" for w in range(8))
    fsck = subprocess.run(["git", "-C", repo.path, "fsck", "--strict"], capture_output=True, text=True)
    assert fsck.returncode == 0, fsck.stderr


def test_list_filters(repo, people):
    am.propose(repo, people["karim"], CID, "A", "", {FR: replaced(repo, "sommes considérables", "sommes X")})
    am.propose(repo, people["sophie"], "engagement-04", "B", "",
               {"commitments/engagement-04/fr.md": replaced(repo, "## Enjeux", "## Les enjeux", "commitments/engagement-04/fr.md")})
    am.withdraw(repo, people["sophie"], 2)
    assert [a.number for a in am.list_all(repo)] == [1, 2]
    assert [a.number for a in am.list_all(repo, state="open")] == [1]
    assert [a.number for a in am.list_all(repo, commitment="engagement-04")] == [2]
    assert [a.number for a in am.list_all(repo, author="karim")] == [1]


def test_overlap_is_flagged_on_both_sides(repo, people):
    am.propose(repo, people["karim"], CID, "A", "", {FR: replaced(repo, "sommes considérables", "sommes X")})
    am.propose(repo, people["sophie"], CID, "B", "", {FR: replaced(repo, "considérables", "colossales")})
    am.propose(repo, people["lucie"], CID, "C", "", {FR: replaced(repo, "## Contexte", "## Le contexte")})
    assert am.overlaps(repo, am.get(repo, 1)) == [(2, FR)]
    assert am.overlaps(repo, am.get(repo, 2)) == [(1, FR)]
    assert am.overlaps(repo, am.get(repo, 3)) == []


def test_compare_gives_french_drafting_summary(repo, people):
    a = am.propose(repo, people["karim"], CID, "A", "", {FR: replaced(repo, "sommes considérables", "sommes modestes")})
    [change] = am.compare(repo, am.base_of(repo, a), a.head)
    assert change.path == FR
    assert change.summary == ["Au premier alinéa, le mot\u00a0: «\u00a0considérables\u00a0» est remplacé par le mot\u00a0: «\u00a0modestes\u00a0»."]
    assert change.summary_en == ["In the first paragraph, the word “considérables” is replaced by the word “modestes”."]


def test_title_must_be_one_line(repo, people):
    before = repo.refs()
    with pytest.raises(Invalid, match="one line"):
        am.propose(repo, people["karim"], CID, "Titre\nAmendment: 99", "", {FR: replaced(repo, "sommes considérables", "sommes X")})
    assert repo.refs() == before


def test_a_log_commit_that_is_not_an_event_does_not_break_reading(repo, people):
    from review import comments
    comments.add(repo, people["karim"], CID, "premier")
    log = reviewlog.commitment_log(CID)
    repo.commit_on(log, lambda tip: ({"stray.txt": b"x"}, "not an event"), Identity("X", "x@example.org"))
    assert [c.body for c in comments.threads(repo, CID)] == ["premier"]
