"""The server's incremental check (review/integrity.py) says what `review verify` says, after
every write, normal or tampered, while re-checking only what moved."""

from __future__ import annotations

import datetime as dt

from review import integrity, reviewlog, signoff, verify
from review import amendments as am
from review import comments

from .test_verify import (ANTOINE, C4, SOPHIE, _append_raw, _events, _forge_merge, _people,  # noqa: F401
                          _raw_approval, clean, copy)


def _same_as_full_verify(monitor, repo):
    state = monitor.current(repo)
    full = verify.verify(repo.path)
    key = lambda vs: sorted((v.rule, v.code, v.ref, v.commit, v.message) for v in vs)  # noqa: E731
    assert key(state.violations) == key(full.violations)
    assert state.clean == full.clean and state.verified_tip == repo.resolve("main")
    return state


def test_the_incremental_check_follows_every_write_like_verify(copy):
    repo, n = copy
    monitor = integrity.Monitor(repo.path)
    assert _same_as_full_verify(monitor, repo).clean
    p = _people(repo)
    # a normal write: one log moved, the state is clean again, and only that log was read again
    comments.add(repo, p["karim"], C4, "Une question de plus.")
    logs_before = dict(monitor.memo.logs)
    state = _same_as_full_verify(monitor, repo)
    assert state.clean and state.as_json()["refs"]["refs/heads/main"] == repo.resolve("main")
    changed = {ref for ref, m in monitor.memo.logs.items() if logs_before.get(ref) is not m}
    assert changed == {reviewlog.commitment_log(C4)}  # only that log was checked, and only its new event
    assert monitor.memo.logs[reviewlog.commitment_log(C4)].tip == repo.resolve(reviewlog.commitment_log(C4))
    # a forged comment (actor is not the author), then more normal writes: still flagged
    ref = reviewlog.commitment_log(C4)
    event = {"format": 1, "seq": _events(repo, ref)[-1].seq + 1, "id": "ba9876543210", "type": "comment",
             "actor": "antoine", "time": reviewlog.now(), "commitment": C4, "body": "Jamais écrit.",
             "rev": repo.resolve("main"), "blob": None, "lang": "fr", "anchor": None, "quote": None,
             "stance": None, "reply_to": None}
    forged = _append_raw(repo, ref, event, reviewlog.identity("sophie", "Sophie Bernard"))
    state = _same_as_full_verify(monitor, repo)
    assert not state.clean and state.by_commit()[forged][0].code == "actor-not-author"
    comments.add(repo, p["karim"], "engagement-16", "Ailleurs.")
    assert forged in _same_as_full_verify(monitor, repo).by_commit()
    assert monitor.fast_checks == 3  # three writes to commitments' logs only: the fast path, same verdict
    # a comment reusing the id of another log's event: the fast path hands over to the full check
    reused = _events(repo, reviewlog.commitment_log("engagement-16"))[-1].id
    event = dict(event, seq=_events(repo, ref)[-1].seq + 1, id=reused, actor="karim", body="Copie.")
    _append_raw(repo, ref, event, reviewlog.identity("karim", "Karim Haddad"))
    assert "duplicate-event-id" in {v.code for v in _same_as_full_verify(monitor, repo).violations}
    assert monitor.fast_checks == 3
    # an approval copied into another log: the cross-log rule still sees it
    source = reviewlog.amendment_log(n["other"])
    approval = next(e for e in _events(repo, source) if e.type == signoff.APPROVAL)
    raw = repo.read_file(repo.resolve(source), reviewlog.event_path(approval.seq, approval.id))
    import json
    raw = json.loads(raw)
    raw["seq"] = _events(repo, reviewlog.amendment_log(n["quorum"]))[-1].seq + 1
    _append_raw(repo, reviewlog.amendment_log(n["quorum"]), raw, reviewlog.identity(raw["actor"], approval.data.get("name") or raw["actor"]))
    assert "duplicate-event-id" in {v.code for v in _same_as_full_verify(monitor, repo).violations}
    # a merge without quorum, then a normal approval elsewhere
    head = am.get(repo, n["policy"]).head
    merge, _ = _forge_merge(repo, n["quorum"], [(*ANTOINE, am.get(repo, n["quorum"]).head)])
    assert "not-satisfied" in {v.code for v in _same_as_full_verify(monitor, repo).by_commit()[merge]}
    signoff.give_verdict(repo, p["sophie"], n["policy"], head, "approve")
    _same_as_full_verify(monitor, repo)
    # a rewritten main (update-ref backwards): the reflog and the log give it away
    repo.update_ref("refs/heads/main", repo.commit_info(merge).parents[0], merge, "rewind")
    assert {"forced-update", "merge-not-on-main"} <= {v.code for v in _same_as_full_verify(monitor, repo).violations}


def test_an_unusable_repository_is_not_clean(tmp_path):
    from review.gitrepo import GitRepo
    repo = GitRepo.init_bare(tmp_path / "empty.git")
    state = integrity.Monitor(repo.path).current(repo)
    assert state.clean is False and "no refs/heads/main" in state.error
    assert state.as_json()["error"] == state.error
    _ = dt, SOPHIE, _raw_approval


# -- on the site -------------------------------------------------------------------------------

def _forge_comment(repo, cid="engagement-04"):
    ref = reviewlog.commitment_log(cid)
    events = _events(repo, ref)
    event = {"format": 1, "seq": (events[-1].seq if events else 0) + 1, "id": "ba9876543210", "type": "comment",
             "actor": "antoine", "time": reviewlog.now(), "commitment": cid, "body": "Jamais écrit.",
             "rev": repo.resolve("main"), "blob": None, "lang": "fr", "anchor": None, "quote": None,
             "stance": None, "reply_to": None}
    return _append_raw(repo, ref, event, reviewlog.identity("sophie", "Sophie Bernard"))


def test_the_site_shows_its_verdict_and_marks_the_commits_that_break_a_rule(client, repo):
    from review import signoff as so  # noqa: F401
    api = client.get("/api/v1/integrity").get_json()
    assert api["clean"] is True and api["violations"] == [] and api["verified_tip"] == repo.resolve("main")
    assert api["refs"]["refs/heads/main"] == repo.resolve("main")
    page = client.get("/").get_data(as_text=True)
    assert 'class="integrity-ok">historique vérifié</a>' in page
    assert "history verified" in client.get("/?lang=en").get_data(as_text=True)
    assert "L'historique est vérifié" in client.get("/integrity").get_data(as_text=True)
    # a normal write: still clean; a forged one: named everywhere
    p = _people(repo)
    comments.add(repo, p["karim"], C4, "Une question.")
    assert client.get("/api/v1/integrity").get_json()["clean"] is True
    forged = _forge_comment(repo)
    api = client.get("/api/v1/integrity").get_json()
    assert api["clean"] is False and [(v["code"], v["commit"]) for v in api["violations"]] == [("actor-not-author", forged)]
    page = client.get("/").get_data(as_text=True)
    assert "1 violation dans l'historique" in page and 'href="/integrity"' in page
    page = client.get("/integrity").get_data(as_text=True)
    assert f'id="c-{forged[:12]}"' in page and "actor-not-author" in page
    audit_page = client.get("/audit").get_data(as_text=True)
    assert "integrity-badge" in audit_page and "enfreint la règle 5 : actor-not-author" in audit_page
    assert f"/integrity#c-{forged[:12]}" in audit_page


def test_a_forged_merge_is_marked_on_the_history_and_the_amendment_page(client, repo):
    p = _people(repo)
    t = repo.read_file(repo.resolve("main"), f"commitments/{C4}/fr.md").decode()
    a = am.propose(repo, p["lucie"], C4, "Reformuler", "", {f"commitments/{C4}/fr.md": t.replace("## Enjeux", "## Les enjeux", 1)})
    signoff.give_verdict(repo, p["antoine"], a.number, a.head, "approve")
    assert client.get("/api/v1/integrity").get_json()["clean"] is True
    merge, _ = _forge_merge(repo, a.number, [(*ANTOINE, a.head)])  # no civil society: the policy was not met
    history = client.get("/history").get_data(as_text=True)
    assert "integrity-flagged" in history and "not-satisfied" in history
    page = client.get(f"/amendments/{a.number}").get_data(as_text=True)
    assert "L'historique de cet amendement enfreint des règles de review verify" in page and "not-satisfied" in page
    assert merge[:12] in page


def test_the_memo_keeps_each_log_in_columns_and_checks_names_again_from_them(copy):
    """What the server keeps of each log between checks (issue 20: 100,000 events on a big
    plan) is kept in columns, not in rows: the rows it gives back are those the check read, and
    a wrong name is flagged as `review verify` flags it, on the fast path and after main moved
    (every event's name checked again from the columns)."""
    repo, n = copy
    monitor = integrity.Monitor(repo.path)
    _same_as_full_verify(monitor, repo)
    ref = reviewlog.commitment_log(C4)
    fresh = verify._Verifier(repo, verify.Report(repo.path))
    fresh.log(ref)
    kept = monitor.memo.logs[ref]
    assert kept.authors.rows() == fresh.event_authors and len(kept.authors) == len(fresh.event_authors) > 3
    assert kept.ids.as_dict() == fresh.event_ids
    assert kept.authors.rows(2) == fresh.event_authors[2:]
    p = _people(repo)
    event = {"format": 1, "seq": _events(repo, ref)[-1].seq + 1, "id": "abcabcabc123", "type": "comment",
             "actor": "karim", "time": reviewlog.now(), "commitment": C4, "body": "Signé d'un autre nom.",
             "rev": repo.resolve("main"), "blob": None, "lang": "fr", "anchor": None, "quote": None,
             "stance": None, "reply_to": None}
    wrong = _append_raw(repo, ref, event, reviewlog.identity("karim", "Karim l'Imposteur"))
    assert [v.code for v in _same_as_full_verify(monitor, repo).by_commit()[wrong]] == ["name-differs"]
    comments.add(repo, p["karim"], C4, "Encore une.")  # the fast path: only the new event's name is read
    assert wrong in _same_as_full_verify(monitor, repo).by_commit()
    assert monitor.fast_checks == 2
    assert monitor.memo.logs[ref].authors.commit(-1) == repo.resolve(ref)
    again = verify._Verifier(repo, verify.Report(repo.path))  # the columns extended, not made again: the same
    again.log(ref)
    extended = monitor.memo.logs[ref]
    assert extended.extends is None and extended.ids.as_dict() == again.event_ids
    assert extended.authors.rows() == again.event_authors and len(again.event_authors) == len(fresh.event_authors) + 2
    head = am.get(repo, n["policy"]).head
    signoff.give_verdict(repo, p["sophie"], n["policy"], head, "approve")
    before = repo.resolve("main")
    signoff.merge(repo, p["claire"], n["policy"], head)
    assert repo.resolve("main") != before
    state = _same_as_full_verify(monitor, repo)  # main moved: every name checked again, from the columns
    assert [v.code for v in state.by_commit()[wrong]] == ["name-differs"]
