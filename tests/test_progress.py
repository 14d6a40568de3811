"""Progress reports in the commitment's review log, and the plan's state on a day (core)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from review import comments, progress, reviewlog
from review import commitment as core
from review.errors import Conflict, Forbidden, Invalid, Missing

CID = "engagement-17"           # leads: premier-ministre, se-reforme-etat
M_2015 = "cadre-etat-plateforme"  # due "2015"
M_DEC = "forge-api"              # due "2015-12"
M_JAN = "france-connect"         # due "2016-01"
M_NONE = "sensibilisation-api"   # no due date
URL = "https://www.modernisation.gouv.fr/etat-plateforme"


@pytest.fixture
def people(repo):
    return core.read_plan(repo, repo.resolve("main")).people


@pytest.fixture
def at(monkeypatch):
    """at("2016-03-01") makes the next events record that time, as if reported then."""
    def set_time(day: str, hour: str = "10:00:00"):
        monkeypatch.setattr(reviewlog, "now", lambda: f"{day}T{hour}Z")
    return set_time


def _state(repo, day, cid=CID, known=None):
    """known="same": as it could be read on that day (only the events recorded by then)."""
    known = str(day) if known == "same" else known
    return next(c for c in progress.state_as_of(repo, day, known).commitments if c.id == cid)


def _levels(cs):
    return {m.milestone.id: m.level for m in cs.milestones}


# -- writing ----------------------------------------------------------------------------------

def test_report_is_one_event_in_the_commitment_log(repo, people):
    main = repo.resolve("main")
    r = progress.report(repo, people["antoine"], CID, "substantial", "La **forge** est ouverte.",
                        [URL, URL, "http://example.org/a"], milestone=M_DEC, as_of="2016-01-20")
    assert (r.level, r.milestone, r.as_of, r.author, r.evidence) == (
        "substantial", M_DEC, "2016-01-20", "antoine", (URL, "http://example.org/a"))
    tip = repo.resolve(reviewlog.commitment_log(CID))
    assert r.revision == tip
    info = repo.commit_info(tip)
    assert info.author_email == "antoine@review.invalid"
    assert "Event: progress-report" in info.message and f"Revision: {main}" in info.message
    data = json.loads(repo.read_file(tip, reviewlog.event_path(1, r.id)))
    assert {k: data[k] for k in ("type", "commitment", "milestone", "level", "note", "evidence", "as_of")} == {
        "type": "progress-report", "commitment": CID, "milestone": M_DEC, "level": "substantial",
        "note": "La **forge** est ouverte.", "evidence": [URL, "http://example.org/a"], "as_of": "2016-01-20"}


def test_whole_commitment_report_defaults_to_today(repo, people):
    r = progress.report(repo, people["claire"], CID, "limited", "")
    assert r.milestone is None and r.as_of == progress.today().isoformat()
    assert _state(repo, None).level == "limited"


BAD = [
    ({"milestone": "nope"}, Invalid, "has no milestone 'nope'"),
    ({"level": "almost"}, Invalid, "level must be one of"),
    ({"level": None}, Invalid, "level must be one of"),
    ({"as_of": (dt.date.today() + dt.timedelta(days=2)).isoformat()}, Invalid, "in the future"),
    ({"as_of": "2015-07-15"}, Invalid, "before the plan was adopted"),
    ({"as_of": "16/07/2016"}, Invalid, "YYYY-MM-DD"),
    ({"as_of": "2016-02-30"}, Invalid, "YYYY-MM-DD"),
    ({"evidence": ["ftp://example.org/file"]}, Invalid, "not an http"),
    ({"evidence": ["javascript:alert(1)"]}, Invalid, "not an http"),
    ({"evidence": ["https://"]}, Invalid, "not an http"),
    ({"evidence": ["https://exa mple.org"]}, Invalid, "not an http"),
    ({"evidence": "https://example.org"}, Invalid, "must be a list"),
    ({"evidence": [f"https://example.org/{i}" for i in range(11)]}, Invalid, "limit is 10"),
    ({"note": "x" * 2001}, Invalid, "limit is 2000"),
    ({"person": "sophie"}, Forbidden, "lead administrations"),
    ({"person": "ines"}, Forbidden, "lead administrations"),
    ({"person": "lucie"}, Forbidden, "lead administrations"),
    ({"person": None}, Forbidden, "sign in"),
    ({"cid": "engagement-99"}, Missing, "no commitment"),
]


@pytest.mark.parametrize("change, error, message", BAD)
def test_bad_report_is_refused_and_writes_nothing(repo, people, change, error, message):
    progress.report(repo, people["antoine"], CID, "limited", "avant")  # the log exists already
    args = {"person": "antoine", "cid": CID, "level": "substantial", "note": "ok", "evidence": [URL],
            "milestone": M_DEC, "as_of": "2016-01-20", **change}
    before = repo.refs()
    with pytest.raises(error) as exc:
        progress.report(repo, people.get(args.pop("person") or ""), args.pop("cid"), args.pop("level"), **args)
    assert message in exc.value.message
    assert repo.refs() == before


def test_first_bad_report_creates_no_log(repo, people):
    before = repo.refs()
    with pytest.raises(Forbidden):
        progress.report(repo, people["sophie"], CID, "complete", "")
    assert repo.refs() == before and reviewlog.commitment_log(CID) not in before


def test_a_later_report_supersedes_a_backdated_one_does_not(repo, people):
    a = progress.report(repo, people["antoine"], CID, "limited", "", milestone=M_DEC, as_of="2016-01-05")
    b = progress.report(repo, people["antoine"], CID, "substantial", "", milestone=M_DEC, as_of="2016-03-01")
    back = progress.report(repo, people["antoine"], CID, "not-started", "", milestone=M_DEC, as_of="2015-10-01")
    other = progress.report(repo, people["antoine"], CID, "complete", "", milestone=M_JAN, as_of="2016-01-05")
    items = {r.id: r for r in progress.reports(repo, CID)}
    assert [r.id for r in progress.reports(repo, CID)] == [a.id, b.id, back.id, other.id]  # log order
    assert items[back.id].superseded_by == a.id and items[a.id].superseded_by == b.id
    assert items[b.id].superseded_by is None and items[other.id].superseded_by is None
    assert items[b.id].as_json()["state"] == "current" and items[a.id].as_json()["state"] == "superseded"
    assert _levels(_state(repo, None))[M_DEC] == "substantial"


def test_moderator_hides_a_report_it_stays_as_a_stub(repo, people):
    a = progress.report(repo, people["antoine"], CID, "limited", "", milestone=M_DEC, as_of="2016-01-05")
    b = progress.report(repo, people["antoine"], CID, "complete", "Tout est fait", [URL], milestone=M_DEC)
    for who in ("antoine", "sophie"):
        before = repo.refs()
        with pytest.raises(Forbidden):
            progress.hide_report(repo, people[who], CID, b.id, "faux")
        assert repo.refs() == before
    before = repo.refs()
    with pytest.raises(Invalid, match="reason"):
        progress.hide_report(repo, people["lucie"], CID, b.id, "  ")
    with pytest.raises(Missing):
        progress.hide_report(repo, people["lucie"], CID, "000000000000", "faux")
    assert repo.refs() == before
    hidden = progress.hide_report(repo, people["lucie"], CID, b.id, "preuve invalide")
    assert hidden.hidden["reason"] == "preuve invalide" and hidden.hidden["by"] == "lucie"
    j = hidden.as_json()
    assert j["state"] == "hidden" and j["note"] is None and j["evidence"] == [] and j["level"] is None
    with pytest.raises(Conflict):
        progress.hide_report(repo, people["lucie"], CID, b.id, "encore")
    items = {r.id: r for r in progress.reports(repo, CID)}
    assert b.id in items and items[a.id].superseded_by is None  # the hidden one no longer counts
    assert _levels(_state(repo, None))[M_DEC] == "limited"
    events = reviewlog.read_events(repo, reviewlog.commitment_log(CID))
    assert [e.type for e in events] == ["progress-report", "progress-report", "progress-hide"]


def test_answers_contest_a_report_and_stay_out_of_paragraph_threads(repo, people):
    r = progress.report(repo, people["antoine"], CID, "complete", "", milestone=M_DEC)
    paragraph = comments.add(repo, people["karim"], CID, "Un commentaire ordinaire")
    plain = progress.answer(repo, people["karim"], CID, r.id, "Bien", stance="for")
    assert not progress.get(repo, CID, r.id).contested
    contest = progress.answer(repo, people["sophie"], CID, r.id, "Rien n'est en ligne.", stance="contested")
    assert contest.report == r.id and contest.anchor is None and contest.reply_to is None
    got = progress.get(repo, CID, r.id)
    assert got.contested and [c.id for c in got.answers] == [plain.id, contest.id]
    assert [c.id for c in comments.report_thread(repo, CID, r.id)] == [plain.id, contest.id]
    assert [c.id for c in comments.threads(repo, CID)] == [paragraph.id]
    assert _state(repo, None).contested == 1
    # a contest hidden by moderation no longer counts
    comments.hide(repo, people["lucie"], CID, contest.id, "injurieux")
    assert not progress.get(repo, CID, r.id).contested and _state(repo, None).contested == 0


@pytest.mark.parametrize("kwargs, message", [
    ({"stance": "contested"}, "stance must be one of for, against, neutral"),  # not on a paragraph
    ({"on_report": "000000000000"}, "no progress report"),
    ({"on_report": "HIDDEN"}, "hidden by moderation"),
    ({"on_report": "REPORT", "anchor": "p-1"}, "takes no reply_to, anchor or quote"),
    ({"on_report": "REPORT", "stance": "furious"}, "contested"),
])
def test_bad_answers_write_nothing(repo, people, kwargs, message):
    r = progress.report(repo, people["antoine"], CID, "complete", "", milestone=M_DEC)
    h = progress.report(repo, people["antoine"], CID, "limited", "", milestone=M_JAN)
    progress.hide_report(repo, people["lucie"], CID, h.id, "doublon")
    kwargs = {k: {"REPORT": r.id, "HIDDEN": h.id}.get(v, v) for k, v in kwargs.items()}
    if "on_report" in kwargs:  # what review.progress.answer passes, with the extras it does not take
        kwargs["answerable"] = lambda events: progress.check_answerable(events, CID, kwargs["on_report"])
    before = repo.refs()
    with pytest.raises(Invalid, match=message):
        comments.add(repo, people["sophie"], CID, "Non.", **kwargs)
    assert repo.refs() == before


def test_an_answer_on_a_report_comes_through_progress(repo, people):
    r = progress.report(repo, people["antoine"], CID, "complete", "", milestone=M_DEC)
    with pytest.raises(TypeError, match="review.progress.answer"):
        comments.add(repo, people["sophie"], CID, "Non.", on_report=r.id)
    with pytest.raises(Invalid, match="no progress report"):
        progress.answer(repo, people["sophie"], CID, "000000000000", "Non.")


# -- the state on a day -------------------------------------------------------------------------

def test_due_dates_cover_their_whole_period():
    assert progress.due_end("2016") == dt.date(2016, 12, 31)
    assert progress.due_end("2016-06") == dt.date(2016, 6, 30)
    assert progress.due_end("2016-02") == dt.date(2016, 2, 29)
    assert progress.due_end("2016-06-15") == dt.date(2016, 6, 15)
    assert progress.due_end(None) is None


def test_state_as_of_a_day_uses_as_of_and_when_it_was_reported(repo, people, at):
    ant = people["antoine"]
    at("2016-01-10")
    progress.report(repo, ant, CID, "limited", "", milestone=M_DEC, as_of="2016-01-05")
    at("2016-03-01")
    progress.report(repo, ant, CID, "complete", "", milestone=M_DEC, as_of="2016-02-15")
    progress.report(repo, ant, CID, "complete", "", milestone=M_2015, as_of="2015-12-20")  # reported late
    progress.report(repo, ant, CID, "substantial", "", as_of="2016-03-01")
    at("2016-04-01")
    late = progress.report(repo, ant, CID, "limited", "", milestone=M_JAN, as_of="2016-03-20")
    at("2016-04-02")
    progress.hide_report(repo, people["lucie"], CID, late.id, "erreur")

    s = _state(repo, "2016-01-04")
    assert _levels(s) == {M_2015: "complete", M_DEC: None, M_JAN: None, M_NONE: None}  # reported late, as of 2015
    assert {m.milestone.id for m in s.overdue} == {M_DEC}
    s = _state(repo, "2016-01-04", known="same")
    assert _levels(s) == {M_2015: None, M_DEC: None, M_JAN: None, M_NONE: None}
    assert {m.milestone.id for m in s.overdue} == {M_2015, M_DEC} and s.last_report is None

    s = _state(repo, dt.date(2016, 1, 10), known="same")
    assert _levels(s)[M_DEC] == "limited" and s.last_report.level == "limited" and s.reports == 1

    # the "complete" of 15 February was only reported on 1 March: it speaks for 20 February...
    s = _state(repo, "2016-02-20")
    assert _levels(s)[M_DEC] == "complete" and s.level is None
    # ...but a reader on 20 February could not know it yet
    s = _state(repo, "2016-02-20", known="same")
    assert _levels(s)[M_DEC] == "limited" and s.level is None
    assert {m.milestone.id for m in s.overdue} == {M_2015, M_DEC, M_JAN}

    s = _state(repo, "2016-03-01")
    assert _levels(s) == {M_2015: "complete", M_DEC: "complete", M_JAN: None, M_NONE: None}
    assert [m.milestone.id for m in s.overdue] == [M_JAN] and s.level == "substantial"
    assert s.last_report.time.startswith("2016-03-01") and s.reports == 4

    assert _levels(_state(repo, "2016-04-01", known="same"))[M_JAN] == "limited"   # hidden only the next day
    assert _levels(_state(repo, "2016-04-01"))[M_JAN] is None   # hidden since: it no longer counts
    assert _levels(_state(repo, "2016-04-02"))[M_JAN] is None
    assert _state(repo, "2016-04-02").overdue[0].milestone.id == M_JAN

    state = progress.state_as_of(repo, "2016-03-01")
    assert state.revision == repo.resolve("main") and len(state.commitments) == 26
    assert [a.id for a, _ in state.by_axis()] == [a.id for a in state.plan.axes]
    j = state.as_json()
    c17 = next(c for c in j["commitments"] if c["id"] == CID)
    assert c17["overdue"] == [M_JAN] and c17["level"] == "substantial"
    assert next(m for m in c17["milestones"] if m["id"] == M_DEC)["level_as_of"] == "2016-02-15"


@pytest.mark.parametrize("day, message", [
    ("2016-13-01", "YYYY-MM-DD"), ("yesterday", "YYYY-MM-DD"), ("2015-07-15", "before the plan was adopted"),
    ((dt.date.today() + dt.timedelta(days=2)).isoformat(), "in the future"),
])
def test_state_refuses_bad_days(repo, day, message):
    with pytest.raises(Invalid, match=message):
        progress.state_as_of(repo, day)


def test_state_reads_the_plan_as_it_stood_that_day(repo, people):
    """A milestone added to main today is not in the state of an earlier day."""
    path = f"commitments/{CID}/fr.md"
    text = repo.read_file(repo.resolve("main"), path).decode()
    new = text.replace("milestones:\n", 'milestones:\n  - id: nouveau-jalon\n    title: {fr: "Nouveau", en: "New"}\n    due: "2016"\n', 1)
    assert new != text
    from review.gitrepo import Identity
    repo.commit_on("refs/heads/main", lambda tip: ({path: new.encode()}, "Add a milestone"), Identity("T", "t@example.org"))
    assert "nouveau-jalon" in _levels(_state(repo, None))
    assert "nouveau-jalon" not in _levels(_state(repo, "2016-06-01"))
    progress.report(repo, people["antoine"], CID, "limited", "", milestone="nouveau-jalon")


def test_a_report_speaks_for_its_as_of_date_not_the_day_it_was_written(repo, people, at):
    """Issue 17, point 8: "complete as of 2016-06-30", written in September, is complete on 2016-07-01."""
    at("2016-09-15")
    r = progress.report(repo, people["antoine"], CID, "complete", "", milestone=M_DEC, as_of="2016-06-30")
    assert r.as_of == "2016-06-30" and r.time.startswith("2016-09-15")
    assert _levels(_state(repo, "2016-07-01"))[M_DEC] == "complete"
    assert _levels(_state(repo, "2016-06-29"))[M_DEC] is None
    assert _levels(_state(repo, "2016-07-01", known="2016-07-01"))[M_DEC] is None
    j = progress.state_as_of(repo, "2016-07-01").as_json()
    last = next(c for c in j["commitments"] if c["id"] == CID)["last_report"]
    assert last["as_of"] == "2016-06-30" and last["written"] == "2016-09-15"
    with pytest.raises(Invalid, match="known .* is in the future"):
        progress.state_as_of(repo, "2016-07-01", (dt.date.today() + dt.timedelta(days=3)).isoformat())


def test_an_old_report_without_as_of_speaks_for_the_day_it_was_written(repo, people, at):
    at("2016-05-04")
    reviewlog.append(repo, reviewlog.commitment_log(CID), reviewlog.identity("antoine", "Antoine Girard"), "antoine",
                     progress.REPORT, {"commitment": CID, "milestone": M_DEC, "level": "limited", "note": "",
                                       "evidence": []}, "Progress (an old report, before as_of)")
    (r,) = progress.reports(repo, CID)
    assert r.as_of == "2016-05-04"
    assert _levels(_state(repo, "2016-05-04"))[M_DEC] == "limited"
    assert _levels(_state(repo, "2016-05-03"))[M_DEC] is None
