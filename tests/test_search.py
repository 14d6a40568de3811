"""The search index (review/search.py): derived from git, caught up before each search."""

from __future__ import annotations

import multiprocessing
import sqlite3

import pytest

from review import amendments as am
from review import comments, progress, search
from review import commitment as core
from review.errors import Invalid
from review.search import Filters

CID = "engagement-02"
FR = f"commitments/{CID}/fr.md"


@pytest.fixture
def people(repo):
    return core.read_plan(repo, repo.resolve("main")).people


@pytest.fixture
def index(dep):
    return search.Index.of(dep.instance_path)


def find(index, repo, q, **filters):
    return search.search(index, repo, q, Filters(**filters), per_page=50)


def keys(results):
    return [h.key for h in results.hits]


def test_accents_and_case_do_not_matter(index, repo, people):
    c = comments.add(repo, people["karim"], CID, "Les DONNÉES des marchés doivent être réutilisables.")
    for q in ("données réutilisables", "donnees reutilisables", "DONNEES REUTILISABLES", "Données Réutilisables"):
        hits = find(index, repo, q, type="comment").hits
        assert [h.anchor for h in hits] == [f"c-{c.id}"], q


def test_french_stemming_finds_other_forms(index, repo, people):
    c = comments.add(repo, people["karim"], CID, "Il faudrait publier les contrats attribués.")
    for q in ("publiée", "Publier", "publier contrat", "contrats attribue", "attribuées"):
        assert f"c-{c.id}" in [h.anchor for h in find(index, repo, q, type="comment").hits], q
    assert find(index, repo, "publiquement inexistant", type="comment").hits == []


def test_english_stemming_and_english_text_of_commitments(index, repo, people):
    hits = find(index, repo, "transparent procurements", lang="en").hits
    assert hits and all(h.lang == "en" for h in hits)
    assert any(h.commitment == CID for h in hits)
    c = comments.add(repo, people["sophie"], CID, "Publishing the awarded contracts matters.", lang="en")
    assert f"c-{c.id}" in [h.anchor for h in find(index, repo, "published contract", type="comment").hits]


def test_commitment_paragraphs_link_to_their_anchor_and_titles_are_found(index, repo):
    main = repo.resolve("main")
    c = core.read_commitment(repo, main, CID)
    hits = find(index, repo, '"commande publique"', type="commitment", lang="fr").hits
    assert hits
    para = [h for h in hits if h.anchor]
    assert para and all(h.commitment == CID for h in para)
    # the paragraph the hit names holds the words
    from review import render
    blocks = render.source_blocks(c.body_in("fr"))
    for h in para:
        text = search.fold(render.plain_text(blocks[int(h.anchor[2:]) - 1].text))
        assert "commande publique" in text
    # the title entry: found by a word of the title, and by a lead administration's name
    assert any(h.anchor is None and h.commitment == CID for h in find(index, repo, "Accroître transparence commande").hits)
    assert any(h.anchor is None and h.commitment == CID for h in find(index, repo, "ministère finances comptes").hits)


def test_phrases_need_the_words_together(index, repo, people):
    a = comments.add(repo, people["karim"], CID, "Le budget ouvert reste un objectif.")
    b = comments.add(repo, people["karim"], CID, "Ouvert au public, ce budget est clair.")
    loose = [h.anchor for h in find(index, repo, "budget ouvert", type="comment").hits]
    assert f"c-{a.id}" in loose and f"c-{b.id}" in loose
    assert [h.anchor for h in find(index, repo, '"budget ouvert"', type="comment").hits] == [f"c-{a.id}"]
    # a quote left open runs to the end of the query
    assert [h.anchor for h in find(index, repo, '"budget ouvert', type="comment").hits] == [f"c-{a.id}"]


def test_fts5_syntax_typed_by_a_reader_is_only_words(index, repo, people):
    c = comments.add(repo, people["karim"], CID, "NEAR the budget: column* and OR NOT things")
    for q in ('budget*', 'NEAR(budget things)', 'column: budget', '{column} : budget', 'budget OR', '"budget" AND ("',
              "budget -things", "^budget", "budget\x00"):
        assert f"c-{c.id}" in [h.anchor for h in find(index, repo, q, type="comment").hits], q
    expr = search.match_expression(search.parse_query('x" OR "y NEAR( * :'))
    assert expr.count('"') % 2 == 0 and "NEAR(" not in expr


@pytest.mark.parametrize("q, message", [
    ("", "the search is empty: type one or more words"),
    ("   ", "the search is empty: type one or more words"),
    ("x" * 501, "the search is too long: at most 500 characters"),
    ('" * : () -', "the search has no words: type letters or digits"),
    (" ".join(f"mot{i}" for i in range(17)), "the search has too many words: at most 16"),
])
def test_bad_queries_are_refused_clearly(index, repo, q, message):
    with pytest.raises(Invalid) as exc:
        find(index, repo, q)
    assert exc.value.message == message


def test_filters(index, repo, people):
    plan = core.read_plan(repo, repo.resolve("main"))
    c = comments.add(repo, people["karim"], CID, "Les marchés publics et leurs données.")
    assert f"c-{c.id}" in [h.anchor for h in find(index, repo, "données", axis="rendre-des-comptes", type="comment").hits]
    assert find(index, repo, "données", axis="climat", type="comment").hits == []
    assert find(index, repo, "données", theme="transparence-depense-et-comptes-publics", type="comment").hits
    assert find(index, repo, "données", theme="deontologie", type="comment").hits == []
    assert all(h.commitment == CID for h in find(index, repo, "données", lead="min-finances", type="commitment").hits
               if h.commitment in ("engagement-02",)) and find(index, repo, "données", lead="min-finances").hits
    led = {h.commitment for h in find(index, repo, "données", lead="min-finances").hits}
    assert led and all("min-finances" in core.read_commitment(repo, repo.resolve("main"), x).leads for x in led)
    assert find(index, repo, "données", state="resolved", type="comment").hits == []
    comments.resolve(repo, people["karim"], CID, c.id)
    assert [h.anchor for h in find(index, repo, "données", state="resolved").hits] == [f"c-{c.id}"]
    with pytest.raises(Invalid, match="the type filter must be one of commitment, page, comment, amendment, progress, not 'x'"):
        search.check_filters(plan, Filters(type="x"))
    with pytest.raises(Invalid, match="axis 'nope' is not in the plan"):
        search.check_filters(plan, Filters(axis="nope"))
    with pytest.raises(Invalid, match="lead 'nope' is not in the plan"):
        search.check_filters(plan, Filters(lead="nope"))
    with pytest.raises(Invalid, match="theme 'nope' is not in the plan"):
        search.check_filters(plan, Filters(theme="nope"))
    with pytest.raises(Invalid, match="the lang filter must be one of fr, en, not 'de'"):
        search.check_filters(plan, Filters(lang="de"))


def test_hidden_and_edited_comments(index, repo, people):
    c = comments.add(repo, people["karim"], CID, "Un mot grossier: zorglub.")
    assert find(index, repo, "zorglub").hits
    comments.hide(repo, people["lucie"], CID, c.id, "Injure")
    assert find(index, repo, "zorglub").hits == []
    d = comments.add(repo, people["karim"], CID, "Première version: bidulemachin.")
    comments.edit(repo, people["karim"], CID, d.id, "Deuxième version: trucmuche.")
    assert find(index, repo, "bidulemachin").hits == []
    assert [h.anchor for h in find(index, repo, "trucmuche").hits] == [f"c-{d.id}"]
    # after a rebuild too, the hidden text is not found
    search.rebuild(index, repo)
    assert find(index, repo, "zorglub").hits == [] and find(index, repo, "trucmuche").hits


def test_amendments_and_their_changed_text_and_progress_reports(index, repo, people):
    text = repo.read_file(repo.resolve("main"), FR).decode()
    a = am.propose(repo, people["karim"], CID, "Préciser les échéances", "Pour que les citoyens suivent le calendrier.",
                   {FR: text.replace("sommes considérables", "sommes faramineuses")})
    hits = find(index, repo, "échéance", type="amendment").hits
    assert [(h.amendment, h.state) for h in hits] == [(a.number, "open")]
    changed = find(index, repo, "faramineuses").hits
    assert [(h.type, h.amendment) for h in changed] == [("amendment", a.number)]
    am.withdraw(repo, people["karim"], a.number)
    assert find(index, repo, "échéance", state="withdrawn").hits and not find(index, repo, "échéance", state="open").hits
    ac = comments.add(repo, people["sophie"], CID, "Un amendement bienvenu.", log=f"refs/reviews/amendments/{a.number}",
                      rev=a.head)
    hits = find(index, repo, "bienvenu").hits
    assert [(h.type, h.amendment, h.anchor) for h in hits] == [("comment", a.number, f"c-{ac.id}")]
    r = progress.report(repo, people["antoine"], "engagement-04", "substantial",
                        note="Les avis d'attribution sont en ligne.")
    hits = find(index, repo, "avis attribution", type="progress").hits
    assert [(h.commitment, h.anchor) for h in hits] == [("engagement-04", f"r-{r.id}")]
    progress.hide_report(repo, people["lucie"], "engagement-04", r.id, "Hors sujet")
    assert find(index, repo, "avis attribution", type="progress").hits == []


def test_incremental_update_reads_only_what_moved_and_never_twice(index, repo, people):
    db = index.connect()
    search.update(index, repo, db)
    assert search.update(index, repo, db) == 0
    count = db.execute("SELECT count(*) FROM docs").fetchone()[0]
    comments.add(repo, people["karim"], CID, "Encore un commentaire.")
    assert search.update(index, repo, db) == 1      # one log moved
    assert db.execute("SELECT count(*) FROM docs").fetchone()[0] == count + 1
    assert search.update(index, repo, db) == 0
    # another process's index object (a second worker) finds nothing left to do
    other = search.Index.of(index.path.rsplit("/", 1)[0])
    assert search.update(other, repo) == 0
    db.close()


def test_rebuild_gives_the_same_entries(index, repo, people):
    comments.add(repo, people["karim"], CID, "Texte à retrouver après reconstruction.")
    db = index.connect()
    search.update(index, repo, db)
    before = sorted(db.execute("SELECT key, body, state FROM docs").fetchall())
    n = search.rebuild(index, repo)
    after = sorted(db.execute("SELECT key, body, state FROM docs").fetchall())
    assert before == after and n == len(after)
    db.close()


def test_a_deleted_index_file_is_made_again(index, repo, people, dep):
    c = comments.add(repo, people["karim"], CID, "Persistant.")
    assert find(index, repo, "persistant").hits
    for suffix in ("", "-wal", "-shm"):
        (dep.instance_path / f"search.sqlite{suffix}").unlink(missing_ok=True)
    fresh = search.Index.of(dep.instance_path)
    assert [h.anchor for h in find(fresh, repo, "persistant").hits] == [f"c-{c.id}"]


def test_snippets_mark_the_words_around_the_best_place():
    terms = search.parse_query("données")
    text = " ".join(["mot"] * 100 + ["les", "Données", "ouvertes"] + ["fin"] * 100)
    pieces = search.snippet(text, terms)
    assert ("Données", True) in pieces
    assert pieces[0] == ("… ", False) and pieces[-1] == (" …", False)
    assert len(search.snippet_words(pieces)) <= search.SNIPPET_WORDS + 2


def _update_in_process(path, repo_path, q):
    from review.gitrepo import GitRepo
    ix = search.Index(path)
    q.put(search.update(ix, GitRepo(repo_path)))


def test_two_workers_catching_up_at_once_index_each_change_once(index, repo, people):
    search.update(index, repo)
    for i in range(5):
        comments.add(repo, people["karim"], CID, f"Commentaire concurrent {i}.")
    ctx = multiprocessing.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=_update_in_process, args=(index.path, str(repo.path), q)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    moved = sorted(q.get(timeout=5) for _ in procs)
    assert moved[-1] == 1 and moved[:-1] == [0, 0]     # one caught up, the others found it done
    db = sqlite3.connect(index.path)
    assert db.execute("SELECT count(*) FROM docs WHERE body LIKE 'Commentaire concurrent%'").fetchone()[0] == 5
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_main_moving_reindexes_only_the_changed_commitment(index, repo):
    from review.gitrepo import Identity
    db = index.connect()
    search.update(index, repo, db)
    other = db.execute("SELECT id, key FROM docs WHERE key LIKE 'c:engagement-01:%' ORDER BY id").fetchall()
    text = repo.read_file(repo.resolve("main"), FR).decode()
    assert "sommes considérables" in text and not find(index, repo, "mirobolantes").hits
    repo.commit_on("refs/heads/main", lambda tip: ({FR: text.replace("sommes considérables", "sommes mirobolantes").encode()},
                                                   "Merge an amendment (test)\n"), Identity("T", "t@review.invalid"))
    hits = find(index, repo, "mirobolantes").hits
    assert [(h.type, h.commitment, h.lang) for h in hits] == [("commitment", CID, "fr")] and hits[0].anchor.startswith("p-")
    assert not [h for h in find(index, repo, '"sommes considérables"', type="commitment").hits if h.commitment == CID]
    # the entries of another commitment were not written again (same row ids)
    assert db.execute("SELECT id, key FROM docs WHERE key LIKE 'c:engagement-01:%' ORDER BY id").fetchall() == other
    db.close()


def test_a_quiet_ref_store_is_not_read_again_and_any_write_is_still_seen(index, repo, people, monkeypatch):
    import os
    import time as _time
    git_dir = repo.git_dir
    old = _time.time() - 60

    def age_refs():  # as if the last write was a minute ago
        for rel in ("packed-refs", *repo.REF_FOLDERS):
            path = os.path.join(git_dir, rel)
            if os.path.exists(path):
                os.utime(path, (old, old))
    age_refs()
    search.update(index, repo)
    search.update(index, repo)  # known current under an old stamp
    reads = []
    real = repo.refs_state
    monkeypatch.setattr(repo, "refs_state", lambda: reads.append(1) or real())
    assert search.update(index, repo) == 0 and reads == []      # a few stat calls, no pass over the refs
    c = comments.add(repo, people["karim"], CID, "Écrit juste après une recherche.")
    assert [h.anchor for h in find(index, repo, "juste après").hits] == [f"c-{c.id}"] and reads
