"""Issue 17, point 3: for each requirement not met, who can approve it, or that nobody can
and what would unblock it (review.signoff.unmet / explain / forecast)."""

from __future__ import annotations

import pytest

from review import amendments as am
from review import commitment as core
from review import signoff


@pytest.fixture
def people(repo):
    return core.read_plan(repo, repo.resolve("main")).people


def _open(repo, person, cid):
    path = f"commitments/{cid}/fr.md"
    t = repo.read_file(repo.resolve("main"), path).decode()
    return am.propose(repo, person, cid, "Reformuler", "Plus clair.", {path: t.replace("## Enjeux", "## Les enjeux", 1)})


def test_karims_amendment_on_commitment_6_names_what_would_unblock_it(repo, people):
    a = _open(repo, people["karim"], "engagement-06")  # led by hatvp: no signatory of it in the demo
    items = signoff.explain(repo, a, signoff.evaluate(repo, a))
    lead = next(u for u in items if u.kind == "lead-signatories")
    assert lead.blocked and lead.people == [] and lead.unblock == "add-lead-signatory"
    assert lead.unblock_organisations == ["hatvp"]
    cs = next(u for u in items if u.kind == "civil-society")
    # sophie is karim's organisation: excluded; no other civil-society signatory in the demo
    assert cs.excluded == ["sophie"] and cs.people == [] and cs.blocked
    assert cs.unblock == "add-civil-society-signatory"
    assert "observatoire-citoyen" not in cs.unblock_organisations and "communs-numeriques" in cs.unblock_organisations
    api = signoff.unmet(core.read_plan(repo, repo.resolve("main")), [s.scope for s in signoff.evaluate(repo, a).scopes],
                        a.author)[0].as_json()
    assert api["kind"] == "lead-signatories" and api["blocked"] is True


def test_requirements_that_people_can_meet_name_them_and_vanish_once_met(repo, people):
    a = _open(repo, people["lucie"], "engagement-04")  # led by se-reforme-etat (antoine)
    items = signoff.explain(repo, a, signoff.evaluate(repo, a))
    assert [(u.kind, u.people, u.blocked) for u in items] == [
        ("lead-signatories", ["antoine"], False), ("civil-society", ["sophie"], False)]
    signoff.give_verdict(repo, people["antoine"], a.number, a.head, "approve")
    a = am.get(repo, a.number)
    items = signoff.explain(repo, a, signoff.evaluate(repo, a))
    assert [u.kind for u in items] == ["civil-society"]


def test_forecast_warns_the_author_before_proposing(repo):
    blocked = signoff.forecast(repo, "karim", ["engagement-06"])
    assert {u.kind for u in blocked} == {"lead-signatories", "civil-society"}
    assert signoff.forecast(repo, "lucie", ["engagement-04"]) == []
    # the plan-level policy: claire coordinates, sophie is civil society
    assert signoff.forecast(repo, "lucie", ["plan"]) == []
