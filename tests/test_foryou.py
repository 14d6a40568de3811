"""Issue 17, point 4: "For you", derived from git (review.foryou), and its page and count."""

from __future__ import annotations

import time

from review import amendments as am
from review import comments, foryou, progress, reviewlog, signoff
from review import commitment as core

from .conftest import bearer
from .test_people import sign_in


def _people(repo):
    return core.read_plan(repo, repo.resolve("main")).people


def _open(repo, person, cid):
    path = f"commitments/{cid}/fr.md"
    t = repo.read_file(repo.resolve("main"), path).decode()
    return am.propose(repo, person, cid, "Reformuler", "Plus clair.", {path: t.replace("## Enjeux", "## Les enjeux", 1)})


def test_approvals_replies_led_commitments_and_own_amendments(repo):
    p = _people(repo)
    a = _open(repo, p["lucie"], "engagement-04")        # antoine (lead) and sophie (civil society) can approve
    stuck = _open(repo, p["karim"], "engagement-06")    # nobody can
    c = comments.add(repo, p["karim"], "engagement-04", "Quand ?", anchor="p-1")
    comments.add(repo, p["antoine"], "engagement-04", "En 2016.", reply_to=c.id)
    r = progress.report(repo, p["antoine"], "engagement-04", "limited", "")
    progress.answer(repo, p["sophie"], "engagement-04", r.id, "Pas d'accord.", stance="contested")

    antoine = foryou.compute(repo, p["antoine"])
    assert [x.number for x, _ in antoine.approvals] == [a.number]
    assert "engagement-04" in antoine.led and [x.number for x in antoine.led_amendments] == [a.number]
    assert [x.id for x in antoine.led_reports] == [r.id]
    assert [(x.report, x.comment.author) for x in antoine.replies] == [(r.id, "sophie")]  # an answer on his report
    assert antoine.count == 2

    karim = foryou.compute(repo, p["karim"])
    assert [(x.commitment, x.comment.author, x.amendment) for x in karim.replies] == [("engagement-04", "antoine", None)]
    assert karim.approvals == [] and karim.count == 1
    (mine,) = karim.mine
    assert mine.amendment.number == stuck.number and not mine.satisfied
    assert {u.kind for u in mine.unmet if u.blocked} == {"lead-signatories", "civil-society"}

    comments.add(repo, p["karim"], "engagement-04", "Merci.", reply_to=c.id)  # he answered: nothing waits
    assert foryou.compute(repo, p["karim"]).replies == []
    signoff.give_verdict(repo, p["antoine"], a.number, a.head, "approve")
    assert foryou.compute(repo, p["antoine"]).approvals == []


def test_amendment_discussions_count_too(repo):
    p = _people(repo)
    a = _open(repo, p["lucie"], "engagement-04")
    log = reviewlog.amendment_log(a.number)
    c = comments.add(repo, p["lucie"], a.commitment, "Relisez le deuxième paragraphe.", log=log)
    comments.add(repo, p["sophie"], a.commitment, "D'accord.", reply_to=c.id, log=log)
    lucie = foryou.compute(repo, p["lucie"])
    assert [(x.amendment, x.comment.author) for x in lucie.replies] == [(a.number, "sophie")]


def test_the_cached_result_follows_every_ref(repo):
    p = _people(repo)
    first = foryou.for_person(repo, p["antoine"])
    assert foryou.for_person(repo, p["antoine"]) is first
    _open(repo, p["lucie"], "engagement-04")
    again = foryou.for_person(repo, p["antoine"])
    assert again is not first and len(again.approvals) == 1


def test_page_header_count_and_api(client, tokens, repo):
    p = _people(repo)
    _open(repo, p["lucie"], "engagement-04")
    sign_in(client, "antoine")
    html = client.get("/").get_data(as_text=True)
    assert 'href="/for-you" class="for-you">Pour vous (1)</a>' in html
    assert 'href="/amendments/pending"' in html
    html = client.get("/for-you").get_data(as_text=True)
    assert "Approbations que vous pouvez donner (1)" in html and 'href="/amendments/pending"' in html
    assert client.get("/api/v1/for-you", headers=bearer(tokens["antoine"])).get_json()["count"] == 1
    assert client.get("/api/v1/for-you").status_code == 401


def test_signed_out_visitors_are_sent_to_sign_in(client):
    r = client.get("/for-you")
    assert r.status_code == 302 and "/signin" in r.headers["Location"]


def test_for_you_is_fast_from_the_cache(repo):
    p = _people(repo)
    for who in ("lucie", "karim"):
        _open(repo, p[who], "engagement-04")
    foryou.for_person(repo, p["antoine"])
    start = time.perf_counter()
    for _ in range(100):
        foryou.for_person(repo, p["antoine"])
    assert (time.perf_counter() - start) / 100 < 0.005  # a cache hit: a digest of the refs


def test_with_the_audit_file_only_the_logs_a_person_wrote_in_or_leads_are_read(dep, repo, monkeypatch):
    """The same result for everyone, whether each log is read or the audit file says which logs
    a person wrote in (review.audit.logs_acted_in)."""
    from review import audit, auditindex
    p = _people(repo)
    _open(repo, p["lucie"], "engagement-04")
    c = comments.add(repo, p["karim"], "engagement-04", "Quand ?", anchor="p-1")
    comments.add(repo, p["antoine"], "engagement-04", "En 2016.", reply_to=c.id)
    r = progress.report(repo, p["antoine"], "engagement-04", "limited", "")
    progress.answer(repo, p["sophie"], "engagement-04", r.id, "Pas d'accord.", stance="contested")
    d = comments.add(repo, p["karim"], "engagement-07", "Et ici ?")
    comments.add(repo, p["lucie"], "engagement-07", "Ici aussi.", reply_to=d.id)
    comments.add(repo, p["sophie"], "engagement-09", "Rien pour karim ici.")
    store = auditindex.store_of(dep.instance_path)
    read = []
    real = foryou._log_part
    monkeypatch.setattr(foryou, "_log_part", lambda r_, cid, *a, **k: read.append(cid) or real(r_, cid, *a, **k))
    for who in ("antoine", "karim", "sophie", "lucie", "claire"):
        want = foryou.compute(repo, p[who])
        read.clear()
        acted = audit.logs_acted_in(repo, store, who)
        assert acted is not None
        got = foryou.compute(repo, p[who], acted=acted)
        assert got.as_json() == want.as_json(), who
        led = {s for s in got.led}
        wrote = {reviewlog.commitment_log(x) for x in ("engagement-04", "engagement-07", "engagement-09")} & acted[1]
        assert set(read) <= led | {reviewlog.log_name(x)[1] for x in wrote}, (who, read)
    assert foryou.compute(repo, p["karim"], acted=audit.logs_acted_in(repo, store, "karim")).count == 2
    # an answer given after the file was read: the fingerprint differs, every log is read again
    stale = audit.logs_acted_in(repo, store, "karim")
    comments.add(repo, p["lucie"], "engagement-04", "Toujours 2016.", reply_to=c.id)
    read.clear()
    assert foryou.compute(repo, p["karim"], acted=stale).count == 3
    assert "engagement-09" in read  # where karim never wrote: read since the file's answer is stale


def test_the_header_count_does_not_fill_the_audit_file(dep, repo):
    """With more logs to read into the audit file than `most`, it is not filled (a page's header
    has 50 ms): the answer is None and for-you reads the logs itself, with the same result."""
    from review import audit, auditindex
    p = _people(repo)
    for cid in ("engagement-02", "engagement-03", "engagement-05"):
        comments.add(repo, p["karim"], cid, "Un avis.")
    store = auditindex.store_of(dep.instance_path)
    assert audit.logs_acted_in(repo, store, "karim", most=2) is None
    assert store.tips() == {}  # nothing read into it
    acted = audit.logs_acted_in(repo, store, "karim", most=3)
    assert acted is not None and len(acted[1]) == 3
    comments.add(repo, p["sophie"], "engagement-06", "Un autre.")
    assert audit.logs_acted_in(repo, store, "karim", most=1)[1] == acted[1]  # one log to read: within 1
    assert foryou.compute(repo, p["karim"], acted=None).as_json() == \
        foryou.compute(repo, p["karim"], acted=audit.logs_acted_in(repo, store, "karim")).as_json()
