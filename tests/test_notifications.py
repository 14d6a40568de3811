"""Issue 18, watching and notifications: derived from the events in git (review.notifications)."""

from __future__ import annotations

import multiprocessing
import shutil
import sqlite3

import pytest

from review import amendments as am
from review import comments, notifications, progress, reviewlog, signoff
from review import commitment as core
from review.deployment import Deployment
from review.errors import Invalid, Missing


def _people(repo):
    return core.read_plan(repo, repo.resolve("main")).people


def _open(repo, person, cid="engagement-04", rationale="Plus clair."):
    path = f"commitments/{cid}/fr.md"
    t = repo.read_file(repo.resolve("main"), path).decode()
    return am.propose(repo, person, cid, "Reformuler", rationale, {path: t.replace("## Enjeux", "## Les enjeux", 1)})


def _mine(dep, handle):
    return [(n.kind, n.actor) for n in reversed(notifications.list_for(dep, handle).items)]


def _rows(dep):
    db = sqlite3.connect(notifications.store_of(dep).path)
    try:
        return sorted(db.execute("SELECT handle, kind, time, actor, event, thread, path, title_fr, title_en, excerpt "
                                 "FROM notes").fetchall())
    finally:
        db.close()


def test_a_comment_on_a_watched_commitment_notifies_the_watcher_not_the_actor(dep, repo):
    p = _people(repo)
    notifications.set_watch(dep, p["karim"], "commitment/engagement-06", True)
    notifications.set_watch(dep, p["lucie"], "commitment/engagement-06", True)
    c = comments.add(repo, p["lucie"], "engagement-06", "Quel calendrier ?")
    assert _mine(dep, "karim") == [("reply", "lucie")]
    assert _mine(dep, "lucie") == []          # never one's own act
    (n,) = notifications.list_for(dep, "karim").items
    assert n.path == f"/commitments/engagement-06#c-{c.id}" and n.thread == f"comment/{c.id}"
    assert n.excerpt == "Quel calendrier ?" and n.event == c.id and not n.read
    assert n.title["fr"] and n.title["en"]
    assert notifications.unread_count(dep, "karim") == 1
    assert _mine(dep, "sophie") == []         # not watching


def test_automatic_watches_replies_leads_authors_signatories(dep, repo):
    p = _people(repo)
    c = comments.add(repo, p["karim"], "engagement-06", "Quand ?")
    comments.add(repo, p["ines"], "engagement-06", "En 2016.", reply_to=c.id)
    assert ("reply", "ines") in _mine(dep, "karim")          # a thread he wrote in
    a = _open(repo, p["lucie"])                              # engagement-04: led by antoine's organisation
    assert ("amendment", "lucie") in _mine(dep, "antoine")   # leads it, and can approve
    assert ("amendment", "lucie") in _mine(dep, "sophie")    # a civil-society signatory who can approve
    assert ("amendment", "lucie") not in _mine(dep, "karim")  # no role to approve, nor leads it
    signoff.give_verdict(repo, p["sophie"], a.number, a.head, "object", "Non.")
    assert ("objection", "sophie") in _mine(dep, "lucie")    # her own amendment
    assert ("objection", "sophie") in _mine(dep, "antoine")
    r = progress.report(repo, p["antoine"], "engagement-04", "limited", "Commencé.")
    progress.answer(repo, p["sophie"], "engagement-04", r.id, "Pas d'accord.", stance="contested")
    assert ("contest", "sophie") in _mine(dep, "antoine")    # his report was contested
    mine = notifications.list_for(dep, "antoine").items[0]
    assert mine.thread == f"report/{r.id}" and mine.path.startswith("/commitments/engagement-04#c-")


def test_an_unwatch_turns_an_automatic_watch_off_from_then_on(dep, repo):
    p = _people(repo)
    notifications.set_watch(dep, p["antoine"], "commitment/engagement-04", False)
    w = notifications.watch_state(dep, p["antoine"], "commitment/engagement-04")
    assert (w.watch, w.automatic, w.explicit) == (False, "lead", True)
    comments.add(repo, p["lucie"], "engagement-04", "Une remarque.")
    assert _mine(dep, "antoine") == []
    notifications.set_watch(dep, p["antoine"], "commitment/engagement-04", True)
    comments.add(repo, p["lucie"], "engagement-04", "Une autre.")
    assert _mine(dep, "antoine") == [("reply", "lucie")]


def test_watching_an_axis_or_the_plan(dep, repo):
    p = _people(repo)
    axis = core.read_commitment(repo, repo.resolve("main"), "engagement-06").axis
    notifications.set_watch(dep, p["paul"], f"axis/{axis}", True)
    notifications.set_watch(dep, p["karim"], "plan", True)
    comments.add(repo, p["lucie"], "engagement-06", "Bien.")
    assert _mine(dep, "paul") == [("reply", "lucie")]
    assert _mine(dep, "karim") == [("reply", "lucie")]
    kinds = {w.subject: w for w in notifications.watches(dep, p["karim"])}
    assert kinds["plan"].watch and kinds["plan"].explicit


def test_mentions_notify_once_and_only_known_people(dep, repo):
    p = _people(repo)
    notifications.set_watch(dep, p["karim"], "commitment/engagement-06", True)
    comments.add(repo, p["lucie"], "engagement-06",
                 "Voir @karim et @nobody, `@sophie` en code, écrire à ines@example.org, et moi @lucie.")
    assert _mine(dep, "karim") == [("mention", "lucie")]   # a mention, not also a reply
    assert _mine(dep, "sophie") == [] and _mine(dep, "ines") == [] and _mine(dep, "lucie") == []
    _open(repo, p["lucie"], "engagement-06", rationale="Demandé par @paul.")
    assert ("mention", "lucie") in _mine(dep, "paul")
    progress.report(repo, p["antoine"], "engagement-04", "limited", "Avec @ines.")
    assert _mine(dep, "ines")[-1] == ("mention", "antoine")


def test_a_mention_added_by_an_edit_notifies_and_a_hide_blanks_the_excerpt(dep, repo):
    p = _people(repo)
    c = comments.add(repo, p["lucie"], "engagement-06", "Texte.")
    comments.edit(repo, p["lucie"], "engagement-06", c.id, "Texte, pour @sophie.")
    comments.edit(repo, p["lucie"], "engagement-06", c.id, "Texte, pour @sophie, encore.")
    assert _mine(dep, "sophie") == [("mention", "lucie")]
    comments.hide(repo, p["lucie"], "engagement-06", c.id, "Hors sujet")
    (n,) = notifications.list_for(dep, "sophie").items
    assert n.excerpt == ""


def test_rebuild_gives_the_same_rows_and_keeps_read_marks(dep, repo, tmp_path):
    p = _people(repo)
    notifications.set_watch(dep, p["karim"], "plan", True)
    c = comments.add(repo, p["lucie"], "engagement-06", "Un @paul.")
    comments.add(repo, p["sophie"], "engagement-06", "Oui.", reply_to=c.id)
    a = _open(repo, p["lucie"])
    signoff.give_verdict(repo, p["antoine"], a.number, a.head, "approve")
    notifications.catch_up(dep)  # incremental, bit by bit
    comments.add(repo, p["karim"], "engagement-04", "Et ensuite ?")
    notifications.catch_up(dep)
    before = _rows(dep)
    assert len(before) > 6
    first = notifications.list_for(dep, "karim").items
    notifications.mark_read(dep, "karim", everything=True)
    assert notifications.rebuild(dep) == len(before)
    assert _rows(dep) == before
    assert [n.id for n in notifications.list_for(dep, "karim").items] == [n.id for n in first]
    assert notifications.unread_count(dep, "karim") == 0
    # a new file derived from scratch: the same rows (the watches were copied)
    other = tmp_path / "other"
    shutil.copytree(dep.root, other, symlinks=True)
    d2 = Deployment.open(other)
    db = sqlite3.connect(notifications.store_of(d2).path)
    db.execute("DELETE FROM notes")
    db.execute("DELETE FROM seen")
    db.execute("DELETE FROM meta WHERE key = 'refs'")
    db.commit()
    db.close()
    notifications.rebuild(d2)
    assert _rows(d2) == before


def _catch_up_in(root: str) -> None:
    from review import notifications as n
    from review.deployment import Deployment as D
    n.catch_up(D.open(root))


def test_two_processes_catching_up_at_once_write_each_row_once(dep, repo):
    p = _people(repo)
    notifications.set_watch(dep, p["karim"], "plan", True)
    for i in range(15):
        comments.add(repo, p["lucie"], "engagement-06", f"Commentaire {i}.")
    _open(repo, p["lucie"])
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_catch_up_in, args=(str(dep.root),)) for _ in range(2)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
        assert proc.exitcode == 0
    rows = _rows(dep)
    keys = [(r[0], r[4], r[1]) for r in rows]
    assert len(keys) == len(set(keys))
    assert sum(1 for r in rows if r[0] == "karim") == 16


def test_since_is_oldest_first_and_mark_read_is_per_person(dep, repo):
    p = _people(repo)
    notifications.set_watch(dep, p["karim"], "plan", True)
    notifications.set_watch(dep, p["paul"], "plan", True)
    for i in range(3):
        comments.add(repo, p["lucie"], "engagement-06", f"N{i}")
    got = notifications.since(dep, 0)
    assert [n.id for n in got] == sorted(n.id for n in got) and len(got) == 6
    assert notifications.since(dep, got[-1].id) == []
    assert [n.excerpt for n in notifications.since(dep, got[1].id, limit=2)] == ["N1", "N1"]
    karim = notifications.list_for(dep, "karim", limit=2)
    assert len(karim.items) == 2 and karim.next is not None
    rest = notifications.list_for(dep, "karim", before=karim.next, limit=2)
    assert len(rest.items) == 1 and rest.next is None
    paul_ids = [n.id for n in notifications.list_for(dep, "paul").items]
    assert notifications.mark_read(dep, "karim", ids=paul_ids) == 0     # not his
    assert notifications.mark_read(dep, "karim", ids=[karim.items[0].id]) == 1
    assert notifications.unread_count(dep, "karim") == 2 and notifications.unread_count(dep, "paul") == 3
    with pytest.raises(Missing):
        notifications.get(dep, "karim", paul_ids[0])
    for bad in ([], ["1"], [True], list(range(1, 600))):
        with pytest.raises(Invalid):
            notifications.mark_read(dep, "karim", ids=bad)


def test_subjects_are_checked(dep, repo):
    p = _people(repo)
    for bad in ("", "commitment/", "commitment/../x", "amendment/0", "everything", 3):
        with pytest.raises(Invalid):
            notifications.set_watch(dep, p["karim"], bad, True)
    for missing in ("commitment/engagement-99", "amendment/42", "axis/nope"):
        with pytest.raises(Missing):
            notifications.set_watch(dep, p["karim"], missing, True)
    with pytest.raises(Invalid):
        notifications.set_watch(dep, p["karim"], "plan", "yes")


def test_merge_and_revision_reach_the_amendments_watchers(dep, repo):
    p = _people(repo)
    a = _open(repo, p["lucie"])
    notifications.set_watch(dep, p["paul"], f"amendment/{a.number}", True)
    path = "commitments/engagement-04/fr.md"
    t = repo.read_file(a.head, path).decode()
    a = am.revise(repo, p["lucie"], a.number, {path: t + "\nUn ajout.\n"}, a.head)
    signoff.give_verdict(repo, p["antoine"], a.number, a.head, "approve")
    signoff.give_verdict(repo, p["sophie"], a.number, a.head, "approve")
    if am.get(repo, a.number).state != "merged":
        signoff.merge(repo, p["claire"], a.number, a.head)
    assert [k for k, _ in _mine(dep, "paul")][-4:] == ["revision", "approval", "approval", "merge"]
    assert ("merge", "lucie") not in _mine(dep, "lucie")
    assert reviewlog.amendment_log(a.number)


def test_catch_up_reads_only_the_logs_that_moved(dep, repo):
    p = _people(repo)
    comments.add(repo, p["lucie"], "engagement-06", "Un.")
    comments.add(repo, p["lucie"], "engagement-04", "Deux.")
    assert notifications.catch_up(dep) >= 2
    assert notifications.catch_up(dep) == 0          # nothing moved: nothing read
    comments.add(repo, p["lucie"], "engagement-06", "Trois.")
    assert notifications.catch_up(dep) == 1          # one log moved


def test_mentions_render_as_links_outside_code_and_links_only():
    from review import render
    known = frozenset({"alice", "bob"})
    cases = {
        "hi @alice and @carol": ('<a href="/people/alice" class="mention">@alice</a> and @carol', ["alice"]),
        "mail a@b.fr, (@bob).": ('(<a href="/people/bob" class="mention">@bob</a>).', ["bob"]),
        "`@alice` code": ("<code>@alice</code>", []),
        "[@alice](https://example.org) link": ('rel="nofollow ugc">@alice</a>', []),
        "@alice.fr and @alice@b.fr": ("@alice.fr and @alice@b.fr", []),
        "    @alice in a code block": ("<pre><code>@alice", []),
    }
    for text, (html, found) in cases.items():
        assert html in render.render_comment(text, "", known), text
        assert render.mentions(text, known) == found, text
    assert 'class="mention"' not in render.render_comment("hi @alice", "")  # nobody known: plain text
    assert render.mentions("@bob @bob @alice", known) == ["bob", "alice"]
