"""Issue 20: cursor pages of long lists, and the caches of signed-in pages (each must see a write
at once: a test writes, then reads)."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from review import accounts, amendments as am, audit, comments, cursors, foryou, visits
from review import commitment as core
from review.errors import Invalid
from review.gitrepo import Identity

CID = "engagement-02"
WHO = Identity("Bench", "bench@review.invalid")


@pytest.fixture
def people(repo):
    return core.read_plan(repo, repo.resolve("main")).people


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def _sign_in(client, handle="antoine"):
    html = client.get("/signin").get_data(as_text=True)
    r = client.post("/signin", data={"handle": handle, "password": accounts.demo_password(handle),
                                     "csrf_token": _csrf(html)})
    assert r.status_code == 302


def _propose(repo, people, n: int):
    path = f"commitments/{CID}/fr.md"
    text = repo.read_file(repo.resolve("main"), path).decode()
    return [am.propose(repo, people["lucie"], CID, f"Proposition {i}", "Plus clair.",
                       {path: text.replace("## Enjeux", f"## Les enjeux ({i})", 1)}) for i in range(n)]


def _follow(client, url: str, key: str) -> tuple[list, int]:
    """Every item of a list read page by page through the API's `next` cursors."""
    items, pages = [], 0
    while url:
        body = client.get(url).get_json()
        items += body[key]
        pages += 1
        nxt = body["next"]
        url = (re.sub(r"([?&])after=[^&]*", "", url).rstrip("?&") + ("&" if "?" in url else "?") + f"after={nxt}"
               if nxt else None)
    return items, pages


# -- cursors ------------------------------------------------------------------------------------

def test_a_cursor_is_checked_on_the_way_in():
    token = cursors.encode(("2016-01-01T00:00:00Z", "refs/reviews/amendments/1", 3))
    assert cursors.decode(token, audit.AUDIT_CURSOR) == ("2016-01-01T00:00:00Z", "refs/reviews/amendments/1", 3)
    assert cursors.decode("", (int,)) is None
    for bad in ("garbage!", cursors.encode((1, 2)), cursors.encode(("a",)), cursors.encode((True,)), "A" * 500):
        with pytest.raises(Invalid) as exc:
            cursors.decode(bad, (int,))
        assert exc.value.code == "cursor.bad"
    assert cursors.limit(None) == 50 and cursors.limit("200") == 200
    for bad in ("0", "201", "x", "-1"):
        with pytest.raises(Invalid) as exc:
            cursors.limit(bad)
        assert exc.value.code == "cursor.bad_limit"


def test_the_audit_log_read_with_cursors_is_the_whole_log_in_order(client, repo, people):
    for i in range(7):
        comments.add(repo, people["karim"], CID, f"Remarque {i}.")
    _propose(repo, people, 2)
    whole = client.get("/api/v1/audit?per_page=1000").get_json()
    assert whole["next"] is None and whole["total"] >= 9
    items, pages = _follow(client, "/api/v1/audit?limit=2", "events")
    assert items == whole["events"] and pages == -(-whole["total"] // 2)
    first = client.get("/api/v1/audit?per_page=2").get_json()  # numbered pages give a cursor too
    assert first["page"] == 1 and first["total"] == whole["total"] and first["next"]
    after = client.get(f"/api/v1/audit?after={first['next']}&limit=3").get_json()
    assert after["events"] == whole["events"][2:5] and after["limit"] == 3
    only_karim, _ = _follow(client, "/api/v1/audit?limit=3&person=karim", "events")
    assert only_karim == [e for e in whole["events"] if e["actor"] == "karim"]


def test_a_new_event_is_on_the_next_page_at_once(client, repo, people):
    comments.add(repo, people["karim"], CID, "Premier.")
    body = client.get("/api/v1/audit?limit=200").get_json()
    assert body["next"] is None
    last = cursors.encode((body["events"][-1]["time"], body["events"][-1]["log"], body["events"][-1]["seq"]))
    assert client.get(f"/api/v1/audit?after={last}").get_json()["events"] == []
    comments.add(repo, people["karim"], CID, "Tout de suite après.")
    new = client.get(f"/api/v1/audit?after={last}").get_json()["events"]
    assert [e["type"] for e in new] == ["comment"] and new[0]["seq"] == body["events"][-1]["seq"] + 1


def test_bad_cursors_and_limits_are_400_with_their_code(client, repo):
    for url, code in (("/api/v1/audit?after=%%%", "cursor.bad"), ("/api/v1/audit?limit=0", "cursor.bad_limit"),
                      ("/api/v1/history?after=zzz", "cursor.bad"), ("/api/v1/amendments?limit=1000", "cursor.bad_limit"),
                      ("/api/v1/amendments?after=" + cursors.encode(("x",)), "cursor.bad"),
                      ("/api/v1/history?after=" + cursors.encode(("0" * 40,)), "cursor.not_in_list")):
        r = client.get(url)
        assert r.status_code == 400, url
        body = r.get_json()
        assert body["code"] == code and "after" in body["error"] or "limit" in body["error"], (url, body)
    r = client.get("/audit?after=nonsense")
    assert r.status_code == 400 and "after" in r.get_data(as_text=True)


def test_history_pages_follow_main_from_the_cursor(client, repo, people):
    main = repo.resolve("main")
    for i in range(4):
        repo.commit_on("refs/heads/main", lambda tip, i=i: ({"pages/note-%d.md" % i: b"x\n"}, f"Note {i}\n"), WHO)
    whole = client.get("/api/v1/history?per_page=100").get_json()["changes"]
    assert len(whole) == 5 and whole[-1]["commit"] == main
    items, pages = _follow(client, "/api/v1/history?limit=2", "changes")
    assert items == whole and pages == 3
    html = client.get("/history?limit=2").get_data(as_text=True)
    assert 'rel="next"' in html and "after=" in html


def test_amendments_list_pages(client, repo, people):
    made = _propose(repo, people, 5)
    items, pages = _follow(client, "/api/v1/amendments?limit=2", "amendments")
    assert [a["number"] for a in items] == [a.number for a in made] and pages == 3
    assert client.get("/api/v1/amendments").get_json()["next"] is None  # the whole list, as before
    html = client.get("/amendments?limit=2").get_data(as_text=True)
    nxt = re.search(r'href="([^"]*after=[^"]*)" rel="next"', html).group(1).replace("&amp;", "&")
    second = client.get(nxt).get_data(as_text=True)
    assert f'href="/amendments/{made[2].number}"' in second and f'href="/amendments/{made[0].number}"' not in second
    am.withdraw(repo, people["lucie"], made[3].number, "plus utile")
    open_only, _ = _follow(client, "/api/v1/amendments?limit=2&state=open", "amendments")
    assert [a["number"] for a in open_only] == [a.number for a in made if a is not made[3]]


# -- caches see every write at once -------------------------------------------------------------

def test_the_signed_in_discussion_shows_a_new_comment_at_once(client, repo, people):
    _sign_in(client)
    html = client.get(f"/commitments/{CID}").get_data(as_text=True)
    assert "Une remarque toute neuve." not in html
    again = client.get(f"/commitments/{CID}").get_data(as_text=True)  # from the fragment cache
    token = _csrf(again)
    assert token in again and "\x00" not in again
    c = comments.add(repo, people["karim"], CID, "Une remarque toute neuve.")
    html = client.get(f"/commitments/{CID}").get_data(as_text=True)
    assert "Une remarque toute neuve." in html and f'id="c-{c.id}"' in html


def test_the_discussion_is_the_readers_own(client, repo, people):
    c = comments.add(repo, people["karim"], CID, "Mon avis.")
    _sign_in(client, "karim")
    mine = client.get(f"/commitments/{CID}").get_data(as_text=True)
    assert f'id="edit-{c.id}"' in mine  # karim may edit his own comment
    client.post("/signout", data={"csrf_token": _csrf(mine)})
    _sign_in(client, "lucie")
    theirs = client.get(f"/commitments/{CID}").get_data(as_text=True)
    assert "Mon avis." in theirs and f'id="edit-{c.id}"' not in theirs


def test_the_amendment_page_shows_a_new_state_and_comment_at_once(client, repo, people):
    _sign_in(client)
    a = _propose(repo, people, 1)[0]
    client.get(f"/amendments/{a.number}")
    comments.add(repo, people["karim"], CID, "Sur l'amendement.", log=f"refs/reviews/amendments/{a.number}",
                 rev=a.head)
    am.withdraw(repo, people["lucie"], a.number, "plus utile")
    html = client.get(f"/amendments/{a.number}").get_data(as_text=True)
    assert "Sur l&#39;amendement." in html or "Sur l'amendement." in html
    assert am.get(repo, a.number).state == "withdrawn"


def test_an_amendment_read_twice_is_a_copy(repo, people):
    a = _propose(repo, people, 1)[0]
    first = am.get(repo, a.number)
    first.state = "changed by a caller"
    assert am.get(repo, a.number).state == "open"


def test_the_ref_store_reading_is_kept_only_while_nothing_moved(repo):
    past = time.time() - 30
    for root, dirs, _files in os.walk(os.path.join(repo.path, "refs")):
        os.utime(root, (past, past))
    packed = os.path.join(repo.path, "packed-refs")
    if os.path.exists(packed):
        os.utime(packed, (past, past))
    before = repo.refs()
    assert repo.refs() == before and repo._refs_memo[1] is not None  # quiet for long: kept
    main = repo.resolve("main")
    repo.update_ref("refs/heads/perf-test", main, None)
    assert repo.refs()["refs/heads/perf-test"] == main  # written then read at once
    fingerprint = repo.refs_fingerprint()
    repo.commit_on("refs/heads/perf-test", lambda tip: ({"x.md": b"x\n"}, "x\n"), WHO)
    assert repo.refs_fingerprint() != fingerprint
    assert repo.ref_snapshot()["refs/heads/perf-test"] == repo.resolve("perf-test")


def test_a_visit_that_sees_nothing_new_writes_nothing(tmp_path):
    v = visits.Visits(tmp_path)
    v.record("karim", "commitment:engagement-02", 4, "2026-01-01T10:00:00Z")
    assert v.record("karim", "commitment:engagement-02", 4, "2026-01-01T10:01:00Z") == visits.Visit(4, "2026-01-01T10:00:00Z")
    assert v.last("karim", ["commitment:engagement-02"])["commitment:engagement-02"].time == "2026-01-01T10:00:00Z"
    v.record("karim", "commitment:engagement-02", 4, "2026-01-01T10:06:00Z")  # after REFRESH_SECONDS
    assert v.last("karim", ["commitment:engagement-02"])["commitment:engagement-02"].time == "2026-01-01T10:06:00Z"
    v.record("karim", "commitment:engagement-02", 5, "2026-01-01T10:06:01Z")  # something new: at once
    assert v.last("karim", ["commitment:engagement-02"])["commitment:engagement-02"] == visits.Visit(5, "2026-01-01T10:06:01Z")


def test_for_you_with_no_time_left_raises_and_keeps_what_it_read(repo, people):
    c = comments.add(repo, people["antoine"], CID, "Ma question.")
    comments.add(repo, people["karim"], CID, "Ma réponse.", reply_to=c.id)
    foryou._cache.data.clear()
    foryou._parts.data.clear()
    with pytest.raises(foryou.OutOfTime):
        foryou.for_person(repo, people["antoine"], budget=-1)
    n = foryou.for_person(repo, people["antoine"]).count
    assert n >= 1
    assert foryou.for_person(repo, people["antoine"], budget=-1).count == n  # nothing moved: kept
    comments.add(repo, people["sophie"], CID, "Une autre réponse.", reply_to=c.id)
    with pytest.raises(foryou.OutOfTime):  # the log moved: it must be read again
        foryou.for_person(repo, people["antoine"], budget=-1)
    assert foryou.for_person(repo, people["antoine"]).count == n + 1


def test_a_worker_reads_the_plan_before_it_serves(app, repo):
    from review.web import integrity as web_integrity
    from review.web.reading import warm_up
    main = repo.resolve("main")
    key = (repo.tree_entry_id(main, "commitments"), core.plan_blob_id(repo, main))
    core._indexes.data.clear()
    core._commitments.data.clear()
    app.extensions[web_integrity.KEY].state = None
    people = core.read_plan(repo, main).people
    comments.add(repo, people["karim"], "engagement-02", "Un avis.")
    path = "commitments/engagement-02/fr.md"
    text = repo.read_file(main, path).decode("utf-8")
    am.propose(repo, people["lucie"], "engagement-02", "Reformuler", "Plus clair.", {path: text + "\nUne phrase.\n"})
    from review.gitrepo import objects
    objects._DIFFS.data.clear()
    assert warm_up(app) >= 0
    # the diff of each open amendment ("for you", overlaps), kept for the process (a fork inherits it)
    opened = am.list_all(repo, state="open")
    keys = [(repo.path, am.base_of(repo, a), a.head, "") for a in opened]
    assert opened and all(k in objects._DIFFS.data for k in keys)
    objects._DIFFS.data.clear()
    assert am.open_diffs(repo) == len(opened) and all(k in objects._DIFFS.data for k in keys)
    assert core._indexes.get(key) is not None  # the list of commitments
    # ... made without keeping each commitment parsed: 24 MB of the master (and so of each
    # worker) on a plan of 5,000, for pages nobody asked for yet (the open amendment's is read)
    assert {k[0] for k in core._commitments.data} <= {a.commitment for a in opened}
    core._commitments.data.clear()
    assert core.read_commitment(repo, main, "engagement-03") is core.read_commitment(repo, main, "engagement-03")
    assert len(core._commitments.data) == 1
    assert app.extensions[web_integrity.KEY].state is not None  # the integrity verdict
    # the plan page's counts of every log, kept on disk for the next worker (review/logcounts.py)
    from review import logcounts
    assert (Path(app.instance_path) / logcounts.FILE_NAME).exists()


def test_the_wsgi_entry_point_warms_up_then_freezes_what_it_read(deployment_dir):
    """review/web/wsgi.py, as gunicorn --preload imports it in the master: after the warm-up
    the objects read are out of the collector's reach (gc.freeze), so the forked workers share
    their pages; without the warm-up nothing is frozen."""
    import subprocess
    import sys
    code = "import gc, review.web.wsgi; print(gc.get_freeze_count())"
    root = Path(__file__).resolve().parents[1]
    for warm, frozen in (("1", True), ("0", False)):
        env = dict(os.environ, REVIEW_DIR=str(deployment_dir), REVIEW_WARM_UP=warm)
        out = subprocess.run([sys.executable, "-c", code], env=env, cwd=root, capture_output=True, text=True,
                             timeout=300)
        assert out.returncode == 0, out.stderr[-2000:]
        assert (int(out.stdout.split()[-1]) > 10_000) is frozen, (warm, out.stdout)
