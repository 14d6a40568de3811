"""The end-of-term self-assessment (core): reports, contests and merges inside and outside the
term, the level as of the term's end with only what was recorded by then, late milestones."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from review import amendments as am
from review import comments, progress, reviewlog, selfassessment, signoff, versions
from review import commitment as core
from review.errors import Invalid
from review.gitrepo import GitRepo

from .conftest import corpus_or_skip

CID = "engagement-17"            # leads: premier-ministre, se-reforme-etat
M_2015 = "cadre-etat-plateforme"  # due "2015"
M_DEC = "forge-api"               # due "2015-12"
M_JAN = "france-connect"          # due "2016-01"
M_NONE = "sensibilisation-api"    # no due date
C4 = "engagement-04"
URL = "https://www.modernisation.gouv.fr/etat-plateforme"
TERM = ("2015-07-16", "2017-07-15")


@pytest.fixture
def people(repo):
    return core.read_plan(repo, repo.resolve("main")).people


@pytest.fixture
def at(monkeypatch):
    """at("2016-03-01") makes the next events and commits record that time, as if written then."""
    signature = GitRepo._signature

    def set_time(day: str, hour: str = "10:00:00"):
        when = dt.datetime.fromisoformat(f"{day}T{hour}+00:00")
        monkeypatch.setattr(reviewlog, "now", lambda: f"{day}T{hour}Z")
        monkeypatch.setattr(GitRepo, "_signature", lambda self, who, w=None: signature(self, who, w or when))
    return set_time


def _merge(repo, people, cid, old, new, title):
    path = f"commitments/{cid}/fr.md"
    text = repo.read_file(repo.resolve("main"), path).decode()
    assert old in text
    a = am.propose(repo, people["lucie"], cid, title, "Plus clair.", {path: text.replace(old, new, 1)})
    signoff.give_verdict(repo, people["antoine"], a.number, a.head, "approve")
    signoff.give_verdict(repo, people["sophie"], a.number, a.head, "approve")
    return a.number, signoff.merge(repo, people["claire"], a.number, a.head)


@pytest.fixture
def lived(repo, people, at):
    """Two years of a plan: reports (one written after the term), a contest and its answer, a
    hidden report, merges before, during and after a term."""
    ant, lucie = people["antoine"], people["lucie"]
    at("2015-10-01")
    n0, m0 = _merge(repo, people, C4, "## Enjeux", "## Les enjeux", "Avant le bilan")
    at("2016-01-10")
    dec = progress.report(repo, ant, CID, "complete", "La **forge** est ouverte.", [URL], milestone=M_DEC,
                          as_of="2016-01-05")          # due 2015-12: completed late
    jan = progress.report(repo, ant, CID, "substantial", "", milestone=M_JAN, as_of="2016-01-10")
    at("2016-02-01")
    contest = progress.answer(repo, people["karim"], CID, dec.id, "La forge n'est pas ouverte.", stance="contested")
    comments.add(repo, ant, CID, "Elle l'est : voir le lien.", reply_to=contest.id)
    progress.answer(repo, people["karim"], CID, jan.id, "Bien.", stance="for")
    at("2016-03-01")
    hidden = progress.report(repo, ant, CID, "complete", "", milestone=M_NONE, as_of="2016-03-01")
    progress.hide_report(repo, lucie, CID, hidden.id, "erreur")
    n1, m1 = _merge(repo, people, CID, "## Contexte", "## Le contexte", "Pendant le mandat")
    at("2016-03-02")
    versions.publish_version(repo, people["claire"], "2016-bilan", m1, {"fr": "Bilan.", "en": "Review."})
    at("2017-09-01")                                   # after the term: neither counts at its end
    late = progress.report(repo, ant, CID, "complete", "", milestone=M_JAN, as_of="2017-07-01")
    n2, m2 = _merge(repo, people, CID, "## Le contexte", "## Contexte", "Après le mandat")
    return {"dec": dec, "jan": jan, "contest": contest, "late": late, "hidden": hidden,
            "merges": {n0: m0, n1: m1, n2: m2}, "n": (n0, n1, n2)}


def _entry(a, cid=CID):
    return next(c for c in a.commitments if c.id == cid)


def test_levels_and_evidence_as_of_the_terms_end(repo, lived):
    a = selfassessment.build(repo, *TERM)
    assert (a.term.start, a.term.end) == (dt.date(2015, 7, 16), dt.date(2017, 7, 15))
    assert a.revision == lived["merges"][lived["n"][1]]  # main as it stood at the end of the term
    c = _entry(a)
    assert c.leads == ("premier-ministre", "se-reforme-etat")
    ms = {m.milestone.id: m for m in c.milestones}
    assert ms[M_JAN].level == "substantial"  # the report written after the term does not count
    assert ms[M_JAN].report.id == lived["jan"].id
    dec = ms[M_DEC].report
    assert (dec.level, dec.note, dec.evidence, dec.author, dec.as_of) == (
        "complete", "La **forge** est ouverte.", (URL,), "antoine", "2016-01-05")
    assert ms[M_NONE].level is None  # hidden by moderation
    # late: due before the end and not complete, or completed after it was due
    assert {k: (m.late, m.overdue, m.due_by_end) for k, m in ms.items()} == {
        M_2015: (True, True, True), M_DEC: (True, False, True), M_JAN: (True, True, True),
        M_NONE: (False, False, False)}
    # the same term a year on is read the same way: nothing written after its end counts
    assert selfassessment.build(repo, *TERM).as_json() == a.as_json()


def test_the_state_after_the_late_report_in_a_later_term(repo, lived):
    a = selfassessment.build(repo, "2017-07-16", "2017-09-01")
    ms = {m.milestone.id: m for m in _entry(a).milestones}
    assert ms[M_JAN].level == "complete" and ms[M_JAN].late and not ms[M_JAN].overdue
    assert [x.number for x in a.amendments] == [lived["n"][2]]
    assert _entry(a).reports == 1 and _entry(a).contested == []  # the contest was in an earlier term


def test_contested_reports_with_their_answers(repo, lived):
    c = _entry(selfassessment.build(repo, *TERM))
    assert [r.id for r in c.contested] == [lived["dec"].id]  # the other answer is "for": not a contest
    answer = c.contested[0].answers[0]
    assert (answer.author, answer.stance, answer.body) == ("karim", "contested", "La forge n'est pas ouverte.")
    assert [x.body for x in answer.replies] == ["Elle l'est : voir le lien."]
    assert c.reports == 2  # visible reports written in the term (the hidden one and the later one are not)
    # a term that ended before the contest was written knows the report, not the contest
    early = _entry(selfassessment.build(repo, "2015-07-16", "2016-01-31"))
    assert early.contested == [] and early.reports == 2


def test_amendments_merged_during_the_term_only(repo, lived, people):
    n0, n1, n2 = lived["n"]
    a = selfassessment.build(repo, "2015-11-01", TERM[1])
    assert [x.number for x in a.amendments] == [n1]  # n0 before the term, n2 after it
    x = a.amendments[0]
    assert (x.title, x.merged.date(), x.merged_by, x.target, x.commitments) == (
        "Pendant le mandat", dt.date(2016, 3, 1), "claire", CID, (CID,))
    assert [(p.handle, p.organisation) for p in x.approvals] == [
        ("antoine", people["antoine"].organisation), ("sophie", people["sophie"].organisation)]
    assert [y.number for y in _entry(a).amendments] == [n1] and _entry(a, C4).amendments == []
    assert [y.number for y in selfassessment.build(repo, *TERM).amendments] == [n0, n1]
    assert a.as_json()["amendments"][0]["approvals"][0]["handle"] == "antoine"


def test_plan_figures(repo, lived):
    f = selfassessment.build(repo, *TERM).figures
    assert f.commitments == 26 and f.commitments_by_level["not-reported"] == 26
    assert sum(f.milestones_by_level.values()) == f.milestones
    assert f.milestones_by_level["complete"] == f.milestones_complete == 1
    assert f.milestones_by_level["substantial"] == 1
    assert f.milestones_late == f.milestones_overdue + 1  # M_DEC was completed late
    assert f.milestones_due >= f.milestones_late
    assert (f.amendments_merged, f.reports, f.contested_reports, f.consultations) == (2, 2, 1, 0)


def test_term_bounds_as_versions_and_defaults(repo, lived):
    a = selfassessment.build(repo, "adopted-2015-07-16", "2016-bilan")
    assert (a.term.start, a.term.end) == (dt.date(2015, 7, 16), dt.date(2016, 3, 1))  # the days of their commits
    assert (a.term.start_version, a.term.end_version) == ("adopted-2015-07-16", "versions/2016-bilan")
    assert selfassessment.build(repo, None, "versions/2016-bilan").term == a.term  # default: the first version
    assert selfassessment.build(repo).term.end == progress.today()


def test_default_start_without_versions_is_the_first_commit(repo, monkeypatch):
    monkeypatch.setattr(versions, "list_versions", lambda r: [])
    assert selfassessment.term_of(repo).start == dt.date(2015, 7, 16)


@pytest.mark.parametrize("start, end, code", [
    ("16/07/2015", None, "selfassessment.bad_bound"),
    ("2016-02-30", None, "selfassessment.bad_bound"),
    ("no-such-version", None, "selfassessment.bad_bound"),
    ("x" * 300, None, "selfassessment.bad_bound"),
    (None, "2016-13-01", "selfassessment.bad_bound"),
    ("2017-01-01", "2016-01-01", "selfassessment.start_after_end"),
    (None, (dt.date.today() + dt.timedelta(days=3)).isoformat(), "progress.future"),
    (None, "2015-01-01", "progress.before_adoption"),
])
def test_bad_bounds_are_refused_with_a_code(repo, start, end, code):
    with pytest.raises(Invalid) as exc:
        selfassessment.build(repo, start, end)
    assert exc.value.text.code == code


def test_csv_one_row_per_milestone(repo, lived):
    a = selfassessment.build(repo, *TERM)
    rows = list(csv.DictReader(io.StringIO(selfassessment.to_csv(a))))
    assert tuple(rows[0]) == selfassessment.CSV_COLUMNS
    assert len(rows) == sum(max(1, len(c.milestones)) for c in a.commitments)
    dec = next(r for r in rows if r["milestone"] == M_DEC)
    assert (dec["commitment"], dec["level"], dec["level_as_of"], dec["report_author"], dec["evidence"],
            dec["late"], dec["overdue"], dec["contested_reports"], dec["amendments"]) == (
        CID, "complete", "2016-01-05", "antoine", URL, "yes", "no", "1", str(lived["n"][1]))
    assert (dec["term_from"], dec["term_to"], dec["due"]) == ("2015-07-16", "2017-07-15", "2015-12")


def test_json_carries_an_empty_consultations_list(repo, lived):
    j = selfassessment.build(repo, *TERM).as_json()
    assert j["consultations"] == [] and j["term"]["known"] == "2017-07-15"
    c = next(x for x in j["commitments"] if x["id"] == CID)
    m = next(x for x in c["milestones"] if x["id"] == M_DEC)
    assert m["evidence"]["links"] == [URL] and m["evidence"]["author_name"] and m["late"] is True
    assert c["contested"][0]["answers"][0]["stance"] == "contested"


def test_every_commitment_of_the_2015_corpus_is_assessed(repo):
    """The real plan of 2015 (read at run time): each of its 26 commitments has its section, in order."""
    from .test_plan_format import _corpus_titles
    theirs = _corpus_titles(corpus_or_skip())
    a = selfassessment.build(repo, *TERM)
    assert {c.number: c.titles["fr"] for c in a.commitments} == theirs
    assert [c.number for _, items in a.by_axis() for c in items] == sorted(theirs)
    assert a.figures.milestones == sum(len(c.milestones) for c in a.commitments) > 26


def test_every_csv_column_is_documented():
    from .conftest import ROOT
    doc = (ROOT / "docs" / "self-assessment.md").read_text(encoding="utf-8")
    missing = [c for c in selfassessment.CSV_COLUMNS if f"`{c}`" not in doc]
    assert not missing, f"docs/self-assessment.md does not document {missing}"
