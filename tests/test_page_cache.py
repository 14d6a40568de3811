"""The cache of rendered read pages for readers who are not signed in (review/web/pagecache.py)."""

from __future__ import annotations

import pytest

from review import comments
from review.gitrepo import Identity

from .test_people import sign_in

FR2 = "commitments/engagement-02/fr.md"
PAGES = ["/", "/plan", "/commitments/engagement-02", "/commitments/engagement-02/history",
         "/commitments/engagement-02/diff?from=adopted-2015-07-16&to=main"]
ALICE = Identity("Alice Martin", "alice@example.org")


def _cache(r):
    return r.headers.get("X-Review-Cache")


def _edit(repo, old=b"commande", new=b"achat"):
    text = repo.read_file(repo.resolve("main"), FR2)
    body = text.index(b"\n---\n", 4)
    changed = text[:body] + text[body:].replace(old, new, 1)
    commit, _ = repo.commit_on("refs/heads/main", lambda tip: ({FR2: changed}, "Change a word"), ALICE)
    return commit


@pytest.mark.parametrize("path", PAGES)
def test_second_anonymous_request_is_a_hit_and_identical(client, path):
    first = client.get(path)
    assert first.status_code == 200 and _cache(first) == "miss"
    second = client.get(path)
    assert second.status_code == 200 and _cache(second) == "hit"
    assert second.data == first.data
    assert second.headers["Content-Type"] == first.headers["Content-Type"]


def test_query_string_is_part_of_the_key(client):
    assert _cache(client.get("/commitments/engagement-02")) == "miss"
    r = client.get("/commitments/engagement-02?rev=adopted-2015-07-16")
    assert _cache(r) == "miss" and 'value="adopted-2015-07-16" selected' in r.get_data(as_text=True)
    assert _cache(client.get("/commitments/engagement-02?rev=adopted-2015-07-16")) == "hit"


def test_new_comment_is_shown_at_once(client, repo, app):
    page = "/commitments/engagement-02"
    client.get(page)
    assert _cache(client.get(page)) == "hit"
    people = app.extensions["review.deployment"].open_repo()
    from review import commitment
    sophie = commitment.read_plan(people, people.resolve("main")).people["sophie"]
    comments.add(repo, sophie, "engagement-02", "Un commentaire tout neuf sur la commande publique.")
    r = client.get(page)
    assert _cache(r) == "miss" and "Un commentaire tout neuf" in r.get_data(as_text=True)
    index = client.get("/")
    assert _cache(index) == "miss"  # comment counts on the plan page


def test_new_commit_on_main_is_shown_at_once(client, repo):
    page = "/commitments/engagement-02"
    before = client.get(page).get_data(as_text=True)
    assert _cache(client.get(page)) == "hit"
    new = _edit(repo)
    r = client.get(page)
    html = r.get_data(as_text=True)
    assert _cache(r) == "miss" and html != before and new[:12] in html
    assert _cache(client.get("/commitments/engagement-02/history")) == "miss"


def test_new_tag_and_new_amendment_branch_invalidate(client, repo):
    page = "/commitments/engagement-02"
    client.get(page)
    repo.create_tag("v-test", repo.resolve("main"), ALICE, "a published version")
    r = client.get(page)
    assert _cache(r) == "miss" and 'value="v-test"' in r.get_data(as_text=True)
    assert _cache(client.get(page)) == "hit"
    repo.update_ref("refs/heads/amendments/99", repo.resolve("main"), None)
    assert _cache(client.get(page)) == "miss"
    repo.update_ref("refs/reviews/anything/new", repo.resolve("main"), None)
    assert _cache(client.get(page)) == "miss"


def test_language_is_part_of_the_key(client):
    page = "/commitments/engagement-02"
    fr = client.get(page)
    assert '<html lang="fr">' in fr.get_data(as_text=True)
    client.set_cookie("lang", "en")
    en = client.get(page)
    assert _cache(en) == "miss" and '<html lang="en">' in en.get_data(as_text=True)
    assert _cache(client.get(page)) == "hit"
    client.delete_cookie("lang")
    again = client.get(page)
    assert _cache(again) == "hit" and again.data == fr.data
    by_arg = client.get(page + "?lang=en")
    assert _cache(by_arg) == "miss" and '<html lang="en">' in by_arg.get_data(as_text=True)


def test_signed_in_reader_is_never_served_the_anonymous_page(client):
    page = "/commitments/engagement-02"
    client.get(page)
    assert _cache(client.get(page)) == "hit"
    sign_in(client, "sophie")
    r = client.get(page)
    html = r.get_data(as_text=True)
    assert _cache(r) != "hit" and "Sophie Bernard" in html and 'id="comment-form"' in html
    # their own pages are kept for them: tests/test_page_cache_signed_in.py


def test_anonymous_page_kept_while_a_reader_is_signed_in_has_no_personal_content(app):
    signed, anonymous = app.test_client(), app.test_client()
    sign_in(signed, "sophie")
    signed.get("/commitments/engagement-02")
    r = anonymous.get("/commitments/engagement-02")
    html = r.get_data(as_text=True)
    assert _cache(r) == "miss" and "Sophie Bernard" not in html and "csrf_token" not in html


@pytest.mark.parametrize("who", [None, "sophie"])
def test_flashed_message_is_shown_not_cached(client, who):
    page = "/commitments/engagement-02"
    if who:
        sign_in(client, who)
    hows = []
    while "hit" not in hows and len(hows) < 8:  # signed in, a first visit is recorded: rendered again
        hows.append(_cache(client.get(page)))
    assert hows[-1] == "hit", hows
    # Commenting while signed out flashes "sign in first" and redirects to the sign-in page.
    with client.session_transaction() as s:
        s["_flashes"] = [("error", "Un message à montrer une fois.")]
    r = client.get(page)
    assert _cache(r) == "bypass" and "Un message à montrer une fois." in r.get_data(as_text=True)
    r = client.get(page)
    assert _cache(r) == "hit" and "Un message à montrer une fois." not in r.get_data(as_text=True)


def test_errors_are_not_cached(client):
    assert client.get("/commitments/nope").status_code == 404
    r = client.get("/commitments/nope")
    assert r.status_code == 404 and _cache(r) is None
    r = client.get("/commitments/engagement-02?rev=no-such-tag")
    assert r.status_code == 404


def test_cache_is_bounded(deployment_dir):
    from review.web import create_app
    app = create_app(deployment_dir, {"TESTING": True, "PAGE_CACHE_SIZE": 2})
    c = app.test_client()
    for path in ("/", "/plan", "/commitments/engagement-02"):
        assert _cache(c.get(path)) == "miss"
    assert _cache(c.get("/commitments/engagement-02")) == "hit"
    assert _cache(c.get("/")) == "miss"  # the oldest went first
    assert len(app.extensions["review.page_cache"].data) == 2
