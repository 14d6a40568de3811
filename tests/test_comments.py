"""Comments in the commitment's review log, through the core."""

from __future__ import annotations

import multiprocessing
import subprocess

import pytest

from review import comments, reviewlog
from review import commitment as core
from review.errors import Conflict, Forbidden, Invalid, Missing
from review.gitrepo import GitRepo, Identity

CID = "engagement-02"
FR = f"commitments/{CID}/fr.md"


@pytest.fixture
def people(repo):
    return core.read_plan(repo, repo.resolve("main")).people


def _log(repo):
    return reviewlog.commitment_log(CID)


def _snapshot(repo):
    return repo.refs()


def test_comment_on_a_passage_records_revision_blob_anchor_quote(repo, people):
    main = repo.resolve("main")
    c = comments.add(repo, people["karim"], CID, "Trop vague.", anchor="p-2", quote="sommes considérables", stance="against")
    assert (c.author, c.anchor, c.quote, c.rev, c.stance) == ("karim", "p-2", "sommes considérables", main, "against")
    assert c.blob == repo.blob_id(main, FR)
    tip = repo.resolve(_log(repo))
    info = repo.commit_info(tip)
    assert (info.author_name, info.author_email, info.committer_name) == ("Karim Haddad", "karim@review.invalid", "review")
    assert "Event: comment" in info.message and f"Revision: {main}" in info.message
    assert info.parents == ()
    assert repo.list_dir(tip, "events/00000") == [(reviewlog.event_path(1, c.id).rsplit("/", 1)[1], "blob")]


def test_whole_paragraph_comment_quotes_the_paragraph(repo, people):
    c = comments.add(repo, people["karim"], CID, "Sur tout le paragraphe", anchor="p-2")
    assert c.quote.startswith("La commande publique")
    whole = comments.add(repo, people["karim"], CID, "Sur tout l'engagement")
    assert whole.anchor is None and whole.quote is None


def test_thread_reply_edit_resolve_reopen(repo, people):
    C4 = "engagement-04"  # led by antoine's administration
    root = comments.add(repo, people["karim"], C4, "Question ?", anchor="p-3")
    reply = comments.add(repo, people["antoine"], C4, "Réponse.", reply_to=root.id)
    nested = comments.add(repo, people["karim"], C4, "Merci.", reply_to=reply.id)
    assert nested.reply_to == root.id  # replies attach to the thread
    edited = comments.edit(repo, people["karim"], C4, root.id, "Question précise ?")
    assert edited.body == "Question précise ?" and edited.versions[0][1] == "Question ?"
    with pytest.raises(Forbidden):
        comments.edit(repo, people["antoine"], C4, root.id, "not mine")
    with pytest.raises(Forbidden):  # sophie: not the author, not a lead, not a moderator
        comments.resolve(repo, people["sophie"], C4, root.id)
    assert comments.resolve(repo, people["antoine"], C4, root.id).state == "resolved"  # lead administration
    with pytest.raises(Conflict):
        comments.resolve(repo, people["karim"], C4, root.id)
    assert comments.reopen(repo, people["karim"], C4, root.id).state == "open"
    [thread] = comments.threads(repo, C4)
    assert [r.body for r in thread.replies] == ["Réponse.", "Merci."]


def test_hide_leaves_a_stub_and_replies(repo, people):
    root = comments.add(repo, people["karim"], CID, "Propos déplacés", anchor="p-2")
    comments.add(repo, people["sophie"], CID, "Réponse", reply_to=root.id)
    with pytest.raises(Forbidden):
        comments.hide(repo, people["sophie"], CID, root.id, "no")
    with pytest.raises(Invalid, match="reason"):
        comments.hide(repo, people["lucie"], CID, root.id, "  ")
    hidden = comments.hide(repo, people["lucie"], CID, root.id, "propos injurieux")
    assert hidden.state == "hidden" and hidden.hidden["reason"] == "propos injurieux"
    assert hidden.as_json()["body"] is None
    assert len(hidden.replies) == 1
    with pytest.raises(Invalid, match="hidden"):
        comments.add(repo, people["karim"], CID, "encore", reply_to=root.id)
    # nothing erased from git: the original text is still in the log's history
    events = reviewlog.read_events(repo, _log(repo))
    assert events[0].data["body"] == "Propos déplacés"


@pytest.mark.parametrize("kwargs, error, message", [
    ({"body": ""}, Invalid, "empty"),
    ({"body": "   \n"}, Invalid, "empty"),
    ({"body": "x" * 10_001}, Invalid, "limit is 10000"),
    ({"body": "bad \udcff"}, Invalid, "UTF-8"),
    ({"anchor": "p-99"}, Invalid, "not a paragraph of this revision"),
    ({"anchor": "paragraph"}, Invalid, "not a paragraph"),
    ({"anchor": "p-2", "quote": "mots absents du texte"}, Invalid, "not in paragraph p-2"),
    ({"quote": "sommes"}, Invalid, "needs the anchor"),
    ({"rev": "0" * 40}, Invalid, "does not exist"),
    ({"rev": "nosuchtag"}, Invalid, "does not exist"),
    ({"reply_to": "abcdefabcdef"}, Invalid, "no comment"),
    ({"reply_to": "abcdefabcdef", "anchor": "p-2"}, Invalid, "leave anchor and quote out"),
    ({"stance": "maybe"}, Invalid, "stance"),
])
def test_bad_input_is_refused_and_writes_nothing(repo, people, kwargs, error, message):
    args = {"body": "Un commentaire", **kwargs}
    before = _snapshot(repo)
    with pytest.raises(error, match=message):
        comments.add(repo, people["karim"], CID, **args)
    assert _snapshot(repo) == before


def test_anonymous_and_unknown_commitment(repo, people):
    with pytest.raises(Forbidden, match="sign in"):
        comments.add(repo, None, CID, "x")
    with pytest.raises(Missing):
        comments.add(repo, people["karim"], "engagement-99", "x")
    with pytest.raises(Missing):
        comments.resolve(repo, people["karim"], CID, "abcdefabcdef")


def _rewrite(repo, old, new):
    text = repo.read_file(repo.resolve("main"), FR).decode()
    assert old in text
    repo.commit_on("refs/heads/main", lambda tip: ({FR: text.replace(old, new).encode()}, "edit"),
                   Identity("Editor", "e@example.org"))


def test_comments_survive_revisions(repo, people):
    exact = comments.add(repo, people["karim"], CID, "a", anchor="p-2", quote="sommes considérables")
    close = comments.add(repo, people["karim"], CID, "b", anchor="p-3")  # quotes the whole paragraph
    gone = comments.add(repo, people["karim"], CID, "c", anchor="p-5", quote="fragmentaire")
    # a new paragraph before p-2 moves everything down; p-3 gets one word changed; p-5's words vanish
    _rewrite(repo, "## Enjeux\n", "## Enjeux\n\nUn nouveau paragraphe d'introduction.\n")
    p3 = close.quote.split()
    _rewrite(repo, p3[3], p3[3] + "s")
    _rewrite(repo, "fragmentaire", "partielle")
    main = repo.resolve("main")
    c = core.read_commitment(repo, main, CID)
    roots = {t.body: t for t in comments.threads(repo, CID)}
    assert set(roots) == {"a", "b", "c"}
    comments.place(list(roots.values()), c.body, repo.blob_id(main, FR))
    assert (roots["a"].placement, roots["a"].placed_at) == ("moved", "p-3")
    assert (roots["b"].placement, roots["b"].placed_at) == ("close", "p-4")
    assert roots["c"].placement == "outdated" and roots["c"].placed_at is None
    assert roots["c"].rev != main  # the version it was written on stays linked
    del exact, gone


def test_placements_are_kept_by_text_quote_and_paragraph(repo, people, monkeypatch):
    comments.add(repo, people["karim"], CID, "a", anchor="p-2", quote="sommes considérables")
    _rewrite(repo, "## Enjeux\n", "## Enjeux\n\nUn nouveau paragraphe d'introduction.\n")
    main = repo.resolve("main")
    body = core.read_commitment(repo, main, CID).body
    comments.place(comments.threads(repo, CID), body, repo.blob_id(main, FR))
    searched = []
    real = comments._find
    monkeypatch.setattr(comments, "_find", lambda *a: searched.append(a) or real(*a))
    again = comments.threads(repo, CID)
    comments.place(again, body, repo.blob_id(main, FR))
    assert (again[0].placement, again[0].placed_at) == ("moved", "p-3") and searched == []  # kept
    comments.place(again, body.replace("## Enjeux\n", "## Enjeux\n\nEncore un.\n"), repo.blob_id(main, FR))
    assert (again[0].placement, again[0].placed_at) == ("moved", "p-4") and searched  # another text: searched


def test_event_files_are_sharded(repo, people):
    for i in range(3):
        comments.add(repo, people["karim"], CID, f"n{i}")
    tip = repo.resolve(_log(repo))
    assert repo.list_dir(tip, "events") == [("00000", "tree")]
    assert reviewlog.event_path(12345, "abc") == "events/00123/0012345-abc.json"


def _add_many(path: str, worker: int, n: int) -> None:
    from review import commitment as core2
    from review.model import Person
    repo = GitRepo(path)
    person = Person(f"w{worker}", f"Worker {worker}", "observatoire-citoyen", ("member",))
    for i in range(n):
        comments.add(repo, person, CID, f"worker {worker} comment {i}")
    del core2


@pytest.mark.slow
def test_eight_processes_add_800_comments_none_lost(repo):
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_add_many, args=(repo.path, w, 100)) for w in range(8)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(300)
        assert p.exitcode == 0
    fresh = GitRepo(repo.path)
    all_comments = comments.fold(reviewlog.read_events(fresh, _log(fresh)))
    assert len(all_comments) == 800
    assert len({c.id for c in all_comments.values()}) == 800
    assert sorted(c.body for c in all_comments.values()) == sorted(f"worker {w} comment {i}" for w in range(8) for i in range(100))
    events = reviewlog.read_events(fresh, _log(fresh))
    assert [e.seq for e in events] == list(range(1, 801))
    fsck = subprocess.run(["git", "-C", repo.path, "fsck", "--strict"], capture_output=True, text=True)
    assert fsck.returncode == 0, fsck.stderr
