"""Threads (issue 17, point 7): resolved threads folded with their count, unresolved threads on
the plan page, and what is new since a person's last visit, kept privately in the instance folder."""

from __future__ import annotations

import html as htmllib
import multiprocessing
import re
import sqlite3

import pytest

from review import comments, visits
from review.commitment import read_plan

from .conftest import api_post
from .test_people import sign_in

CID = "engagement-02"
URL = f"/api/v1/commitments/{CID}/comments"


def _people(repo):
    return read_plan(repo, repo.resolve("main")).people


# -- the visits store ------------------------------------------------------------------

def test_a_visit_returns_the_one_before_and_never_moves_back(tmp_path):
    v = visits.Visits(tmp_path)
    assert v.record("karim", "commitment:engagement-02", 4, "2026-01-01T10:00:00Z") is None
    assert v.record("karim", "commitment:engagement-02", 9, "2026-01-01T11:00:00Z") == visits.Visit(4, "2026-01-01T10:00:00Z")
    # a slower tab that read an older log position arrives late: the position stays at 9
    assert v.record("karim", "commitment:engagement-02", 6, "2026-01-01T11:00:01Z").seq == 9
    assert v.last("karim", ["commitment:engagement-02", "amendment:3"]) == {
        "commitment:engagement-02": visits.Visit(9, "2026-01-01T11:00:01Z")}
    assert v.last("sophie", ["commitment:engagement-02"]) == {}  # one person's visits are theirs alone


@pytest.mark.parametrize("handle, subject, seq", [
    ("Karim", "commitment:engagement-02", 1), ("karim", "commitment:../../x", 1), ("karim", "plan", 1),
    ("karim", "amendment:0", 1), ("karim", "amendment:12a", 1), ("karim", "commitment:engagement-02", -2),
    ("karim", "commitment:engagement-02", True), ("karim", None, 1),
])
def test_bad_visits_are_refused(tmp_path, handle, subject, seq):
    with pytest.raises(ValueError):  # a bug of the caller: handles and subjects come from the code
        visits.Visits(tmp_path).record(handle, subject, seq, "2026-01-01T10:00:00Z")


def test_visits_are_bounded_per_person_oldest_forgotten_first(tmp_path):
    v = visits.Visits(tmp_path, max_per_person=3)
    for i in range(1, 6):
        v.record("karim", f"amendment:{i}", i, f"2026-01-0{i}T10:00:00Z")
    v.record("sophie", "amendment:1", 1, "2026-01-01T10:00:00Z")
    kept = v.last("karim", [f"amendment:{i}" for i in range(1, 6)])
    assert sorted(kept) == ["amendment:3", "amendment:4", "amendment:5"]
    assert v.last("sophie", ["amendment:1"])  # another person's bound is their own
    with sqlite3.connect(tmp_path / visits.DB_FILE) as db:
        assert db.execute("SELECT count(*) FROM visits").fetchone()[0] == 4


def _writer(path, who, n):
    v = visits.Visits(path)
    for i in range(n):
        v.record(who, f"amendment:{1 + i % 7}", i, f"2026-01-01T10:{i // 60:02d}:{i % 60:02d}Z")


def test_concurrent_writers_lose_nothing_and_stay_bounded(tmp_path):
    visits.Visits(tmp_path).record("karim", "amendment:1", 0, "2026-01-01T09:00:00Z")  # the file exists
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), who, 60)) for who in ("karim", "sophie") * 3]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0] * len(procs)
    for who in ("karim", "sophie"):
        seen = visits.Visits(tmp_path).last(who, [f"amendment:{i}" for i in range(1, 8)])
        assert len(seen) == 7
        # every subject holds the furthest position any writer recorded for it
        assert {s: x.seq for s, x in seen.items()} == {f"amendment:{1 + i % 7}": i for i in range(60 - 7, 60)}


def test_a_broken_visits_file_never_breaks_a_page(tmp_path):
    (tmp_path / visits.DB_FILE).write_bytes(b"not a database" * 100)
    assert visits.Visits(tmp_path).record_quietly("karim", "amendment:1", 1, "2026-01-01T10:00:00Z") is None


# -- what is new, and the counts -----------------------------------------------------------

def test_unread_is_what_others_wrote_after_the_visit(repo):
    p = _people(repo)
    first = comments.add(repo, p["karim"], CID, "Premier")
    summary, roots = comments.overview(repo, CID)
    seen = summary.last_seq
    reply = comments.add(repo, p["antoine"], CID, "Réponse", reply_to=first.id)
    own = comments.add(repo, p["karim"], CID, "Le mien")
    other = comments.add(repo, p["sophie"], CID, "Autre fil")
    hidden = comments.add(repo, p["sophie"], CID, "À masquer")
    comments.hide(repo, p["lucie"], CID, hidden.id, "hors sujet")
    summary, roots = comments.overview(repo, CID)
    assert comments.unread(roots, seen, "karim") == {reply.id, other.id}  # not his own, not a hidden one
    assert comments.unread(roots, None, "karim") == set()  # a first visit marks nothing
    assert comments.unread(roots, summary.last_seq, "karim") == set()
    comments.resolve(repo, p["karim"], CID, first.id)
    summary, _ = comments.overview(repo, CID)
    assert (summary.visible, summary.unresolved, summary.resolved) == (4, 2, 1)


# -- the pages ------------------------------------------------------------------------------

def _text(client, url):
    return htmllib.unescape(client.get(url).get_data(as_text=True))


def test_plan_page_counts_unresolved_threads(client, tokens):
    a = api_post(client, tokens["karim"], URL, {"body": "Un"}).get_json()
    api_post(client, tokens["karim"], URL, {"body": "Deux"})
    assert re.search(r"2 discussions non résolues", _text(client, "/"))
    api_post(client, tokens["karim"], f"{URL}/{a['id']}/resolve", {})
    page = _text(client, "/")
    assert "1 discussion non résolue" in page and "2 discussions non résolues" not in page


def test_resolved_threads_are_folded_with_their_count(client, tokens):
    a = api_post(client, tokens["karim"], URL, {"body": "Réglé"}).get_json()
    api_post(client, tokens["antoine"], URL, {"body": "Oui", "reply_to": a["id"]})
    api_post(client, tokens["karim"], URL, {"body": "Encore ouvert"})
    api_post(client, tokens["karim"], f"{URL}/{a['id']}/resolve", {})
    page = _text(client, f"/commitments/{CID}")
    assert "1 discussion résolue, repliée" in page
    folded = re.search(r'<details class="thread-resolved" id="thread-%s">(.*?)</details>\s*(?=<h3|<p|<nav|<form)' % a["id"],
                       page, re.S)
    assert folded and "Discussion résolue : 2 messages" in folded.group(1) and "Réglé" in folded.group(1)
    assert "Encore ouvert" not in folded.group(1)
    assert '<details class="thread-resolved" id="thread-%s" open' % a["id"] not in page


def test_new_comments_are_marked_since_the_last_visit(client, tokens, deployment_dir, repo):
    sign_in(client, "antoine")
    page = _text(client, f"/commitments/{CID}")
    assert "Nouveau" not in page and "depuis votre dernière visite" not in page  # first visit: nothing marked
    c = api_post(client, tokens["karim"], URL, {"body": "Du neuf"}).get_json()
    assert "1 nouveau depuis votre dernière visite" in _text(client, "/")  # the plan page says where
    page = _text(client, f"/commitments/{CID}")
    assert f'class="comment comment-open unread" id="c-{c["id"]}"' in page
    assert "1 nouveau commentaire depuis votre dernière visite" in page and f'href="#c-{c["id"]}"' in page
    page = _text(client, f"/commitments/{CID}")  # seen now
    assert "unread" not in page and "depuis votre dernière visite" not in page
    assert "nouveau depuis votre dernière visite" not in _text(client, "/")
    # kept privately in the instance folder, not in git
    assert (deployment_dir / "instance" / visits.DB_FILE).is_file()
    assert not any("visit" in ref for ref in repo.refs())
