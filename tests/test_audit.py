"""Audit: the plan's history with approvals, blame per paragraph, the audit log, its exports,
the pages and the API."""

from __future__ import annotations

import csv
import io

import pytest

from review import amendments as am
from review import audit, comments, progress, signoff, trailers
from review import commitment as core
from review.errors import Invalid

C4, C25 = "engagement-04", "engagement-25"


def fr(cid):
    return f"commitments/{cid}/fr.md"


@pytest.fixture
def people(repo):
    return core.read_plan(repo, repo.resolve("main")).people


def _merge(repo, people, cid, old, new, who="lucie", lead="antoine", title="Reformuler"):
    t = repo.read_file(repo.resolve("main"), fr(cid)).decode()
    assert old in t
    a = am.propose(repo, people[who], cid, title, "Plus clair.", {fr(cid): t.replace(old, new, 1)})
    signoff.give_verdict(repo, people[lead], a.number, a.head, "approve")
    signoff.give_verdict(repo, people["sophie"], a.number, a.head, "approve")
    main = repo.resolve("main")
    return a, signoff.merge(repo, people["claire"], a.number, a.head), main


@pytest.fixture
def lived(repo, people):
    """Two merged amendments, comments, a progress report and an open amendment."""
    a1, m1, before1 = _merge(repo, people, C4, "## Enjeux", "## Les enjeux", title="Titre des enjeux")
    a2, m2, before2 = _merge(repo, people, C25, "## Contexte", "## Le contexte", lead="ines", title="Contexte")
    c = comments.add(repo, people["karim"], C4, "Pourquoi ?", anchor="p-2", stance="against")
    comments.add(repo, people["antoine"], C4, "Parce que.", reply_to=c.id)
    progress.report(repo, people["antoine"], C4, "limited", "", [])
    t = repo.read_file(repo.resolve("main"), fr(C4)).decode()
    opened = am.propose(repo, people["karim"], C4, "Ouvert", "", {fr(C4): t.replace("## Contexte", "## Cadre", 1)})
    return {"a1": a1, "m1": m1, "before1": before1, "a2": a2, "m2": m2, "opened": opened}


# -- history -----------------------------------------------------------------------------------

def test_history_shows_each_merge_with_its_amendment_approvals_and_policy(repo, lived):
    changes = audit.history(repo)
    assert [c.amendment for c in changes] == [2, 1, None]
    c1 = changes[1]
    assert c1.commit == lived["m1"] and c1.parents == (lived["before1"], lived["a1"].head)
    assert c1.title == "Titre des enjeux" and c1.amendment_author == "lucie" and c1.author == "claire"
    assert c1.target == C4 and c1.commitments == (C4,) and not c1.plan_changed
    assert [(a.handle, a.organisation, a.revision) for a in c1.approvals] == [
        ("antoine", "se-reforme-etat", lived["a1"].head), ("sophie", "observatoire-citoyen", lived["a1"].head)]
    assert c1.policy == repo.blob_id(lived["before1"], "plan.yaml") and not c1.auto
    assert changes[0].approvals[0].handle == "ines"
    initial = changes[-1]
    assert initial.initial and initial.author is None and initial.plan_changed and len(initial.commitments) == 26
    assert c1.as_json()["revision"] == lived["a1"].head


@pytest.mark.parametrize("args, expected", [
    ({"person": "ines"}, [2]),
    ({"person": "lucie"}, [2, 1]),               # the amendments' author
    ({"person": "claire"}, [2, 1]),              # who merged
    ({"person": "karim"}, []),
    ({"organisation": "min-ecologie"}, [2]),
    ({"organisation": "communs-numeriques"}, [2, 1]),
    ({"commitment": C4}, [1, None]),             # the initial import created it
    ({"amendment": "2"}, [2]),
    ({"until": "2015-07-16"}, [None]),
    ({"since": "2015-07-17"}, [2, 1]),
])
def test_history_filters(repo, lived, args, expected):
    assert [c.amendment for c in audit.history(repo, audit.parse_filters(args))] == expected


@pytest.mark.parametrize("args, message", [
    ({"since": "16/07/2016"}, "since must be a date written YYYY-MM-DD"),
    ({"since": "2016-07-17", "until": "2016-07-16"}, "since is after until"),
    ({"amendment": "un"}, "amendment must be an amendment number"),
])
def test_malformed_filters_say_how_to_write_them(args, message):
    with pytest.raises(Invalid, match=message):
        audit.parse_filters(args)


def test_merge_trailers_read_back_what_signoff_writes(repo, people):
    a, _, _ = _merge(repo, people, C4, "## Enjeux", "## Les enjeux")
    ev = signoff.evaluate(repo, am.get(repo, a.number))
    plan = core.read_plan(repo, repo.resolve("main"))
    for v in ev.verdicts:
        v.organisation = None  # an approver without organisation is written "-"
    t = trailers.parse_merge(signoff.merge_message(am.get(repo, a.number), ev, plan, auto=True))
    assert t.amendment == a.number and t.auto and t.unreadable == ()
    assert t.policy == ev.policy_blob
    assert [(x.name, x.handle, x.organisation) for x in t.approvals] == [
        ("Antoine Girard", "antoine", None), ("Sophie Bernard", "sophie", None)]
    assert trailers.parse_merge("Adopt the plan\n\nImported by review init.") is None
    bad = trailers.parse_merge("Merge\n\nAmendment: 3\nApproved-by: nobody\nPolicy: zz\n")
    assert bad.amendment == 3 and bad.policy is None and len(bad.unreadable) == 2


# -- blame -------------------------------------------------------------------------------------

def test_blame_names_the_change_that_last_shaped_each_paragraph(repo, people, lived):
    lang, shaped = audit.blame(repo, C4, repo.resolve("main"))
    assert lang == "fr"
    by = {s.anchor: s for s in shaped}
    assert by["p-1"].text == "## Les enjeux" and by["p-1"].change.amendment == 1
    assert by["p-1"].change.approvals[1].handle == "sophie"
    assert all(s.change.initial for s in shaped if s.anchor != "p-1")
    # a second amendment reshapes the same paragraph: the newest merge is named
    _merge(repo, people, C4, "## Les enjeux", "## Les grands enjeux")
    _, shaped = audit.blame(repo, C4, repo.resolve("main"))
    assert shaped[0].change.amendment == 4 and shaped[0].text == "## Les grands enjeux"
    # at an earlier revision, the earlier text and change
    _, old = audit.blame(repo, C4, lived["m1"])
    assert old[0].change.amendment == 1
    # the English text was never amended
    lang, en = audit.blame(repo, C4, repo.resolve("main"), "en")
    assert lang == "en" and all(s.change.initial for s in en)


def test_blame_of_an_unknown_commitment_is_not_found(repo):
    with pytest.raises(core.NotFound):
        audit.blame(repo, "engagement-99", repo.resolve("main"))


# -- the audit log -----------------------------------------------------------------------------

def test_audit_log_holds_every_event_in_time_order(repo, lived):
    rows = audit.audit_log(repo)
    assert [r.time for r in rows] == sorted(r.time for r in rows)
    types = [r.type for r in rows]
    assert types.count("approval") == 4 and types.count("amendment-merge") == 2 and types.count("amendment-open") == 3
    assert types.count("comment") == 2 and types.count("progress-report") == 1
    merge = next(r for r in rows if r.type == "amendment-merge" and r.amendment == 1)
    assert merge.detail == f"merged as {lived['m1']}" and merge.commitment == C4 and merge.actor == "claire"
    approval = next(r for r in rows if r.type == "approval" and r.actor == "ines")
    assert approval.organisation == "min-ecologie" and approval.revision == lived["a2"].head and approval.detail == "approve"
    comment = next(r for r in rows if r.type == "comment" and r.actor == "karim")
    assert comment.log == f"refs/reviews/commitments/{C4}" and comment.detail == "p-2, against"
    assert comment.organisation == "observatoire-citoyen" and comment.amendment is None


@pytest.mark.parametrize("args, count", [
    ({"type": "approval"}, 4),
    ({"person": "karim"}, 2),                   # a comment and an amendment opened
    ({"organisation": "min-ecologie"}, 1),
    ({"amendment": "1"}, 4),
    ({"commitment": C25}, 4),                   # amendment 2's log
    ({"commitment": C4, "type": "comment"}, 2),
    ({"until": "2015-12-31"}, 0),
])
def test_audit_log_filters(repo, lived, args, count):
    assert len(audit.audit_log(repo, audit.parse_filters(args))) == count


# -- pages, exports, API -----------------------------------------------------------------------

def test_history_page_shows_approvals_and_filters(client, lived):
    html = client.get("/history").get_data(as_text=True)
    assert 'href="/amendments/1"' in html and "Titre des enjeux" in html
    assert "Antoine Girard" in html and "Inès Moreau" in html and lived["a1"].head[:12] in html
    assert "Le plan adopté (importé par review init)" in html
    html = client.get("/history?person=ines").get_data(as_text=True)
    assert 'href="/amendments/2"' in html and 'href="/amendments/1"' not in html
    r = client.get("/history?since=hier")
    assert r.status_code == 400 and "AAAA-MM-JJ" in r.get_data(as_text=True)


def test_blame_page_links_each_paragraph_to_its_amendment(client, lived):
    html = client.get(f"/commitments/{C4}/blame").get_data(as_text=True)
    assert html.count('class="blame-row"') >= 8
    row = html[html.index('id="blame-p-1"'):html.index('id="blame-p-2"')]
    assert "Les enjeux" in row and 'href="/amendments/1"' in row and "Proposé par Lucie Fontaine" in row
    assert "Sophie Bernard" in row and f"to={lived['m1']}" in row
    assert "Dans le plan adopté" in html[html.index('id="blame-p-2"'):]
    assert client.get("/commitments/engagement-99/blame").status_code == 404
    page = client.get(f"/commitments/{C4}").get_data(as_text=True)
    assert f'href="/commitments/{C4}/blame"' in page and 'href="/audit"' in page


def test_audit_page_and_its_exports_agree(client, lived):
    html = client.get("/audit?type=approval").get_data(as_text=True)
    assert html.count("avis sur une révision") >= 4 and 'href="/audit.csv?type=approval"' in html
    r = client.get("/audit.csv?type=approval")
    assert r.status_code == 200 and r.mimetype == "text/csv" and "attachment" in r.headers["Content-Disposition"]
    text = r.get_data(as_text=True)
    assert text.startswith(",".join(audit.COLUMNS) + "\r\n")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 4 and {r["actor"] for r in rows} == {"antoine", "sophie", "ines"}
    j = client.get("/audit.json?type=approval").get_json()
    assert j["columns"] == list(audit.COLUMNS) and j["total"] == 4
    assert [e["event"] for e in j["events"]] == [r["event"] for r in rows]
    assert j["events"][0]["amendment"] == 1 and rows[0]["amendment"] == "1"


def test_api_audit_and_history_are_paginated(client, lived):
    full = client.get("/api/v1/audit").get_json()
    page = client.get("/api/v1/audit?per_page=3&page=2").get_json()
    assert page["total"] == full["total"] and page["pages"] == -(-full["total"] // 3)
    assert page["events"] == full["events"][3:6]
    r = client.get("/api/v1/audit?per_page=0")
    assert r.status_code == 400 and "per_page" in r.get_json()["error"]
    r = client.get("/api/v1/audit?since=x")
    assert r.status_code == 400 and "YYYY-MM-DD" in r.get_json()["error"]
    h = client.get(f"/api/v1/history?commitment={C25}").get_json()
    assert [c["amendment"] for c in h["changes"]] == [2, None]
    assert h["changes"][0]["approvals"][0] == {"name": "Inès Moreau", "handle": "ines",
                                               "organisation": "min-ecologie", "revision": lived["a2"].head}
    assert client.get("/api/v1/history?rev=nope").status_code == 404
