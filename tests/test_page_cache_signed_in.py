"""Whole responses kept for signed-in readers and for the API (review/web/pagecache.py, issue 20):
a kept page is only ever served to the same person, with a CSRF token of this session, and never
stale: a write to git or to a private file of the instance folder (by any process) gives a new key."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from review import accounts, comments, notifications
from review import commitment as core

from .test_people import _csrf, sign_in

PAGE = "/commitments/engagement-02"
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="[^"]+"')


def _cache(r):
    return r.headers.get("X-Review-Cache")


def _get(client, path):
    """The page once what the previous steps left has settled: a message flashed by the previous
    step is shown (not kept), and a first visit of a discussion is recorded (visits.sqlite changes,
    so the page is rendered once more). Returns the first response served from the cache."""
    seen = []
    for _ in range(8):  # a count cut short by its time budget on a busy machine is not kept either
        r = client.get(path)
        assert r.status_code == 200, (path, r.status_code)
        if _cache(r) == "hit":
            return r
        seen.append(_cache(r))
    raise AssertionError(f"{path} was never served from the cache: {seen}")


def _people(repo):
    return core.read_plan(repo, repo.resolve("main")).people


@pytest.mark.parametrize("path", [PAGE, "/", "/amendments", "/history", "/audit", "/progress", "/for-you",
                                  "/commitments/engagement-02/history"])
def test_a_signed_in_page_is_kept_and_served_again_with_this_requests_token(client, path):
    sign_in(client, "sophie")
    first = _get(client, path)
    second = client.get(path)
    assert _cache(second) == "hit" and "Sophie Bernard" in second.get_data(as_text=True)
    same = TOKEN.sub("TOKEN", first.get_data(as_text=True))
    assert TOKEN.sub("TOKEN", second.get_data(as_text=True)) == same
    assert "csrf-token" not in second.get_data(as_text=True)  # the placeholder never leaves the server


def test_the_token_of_a_kept_page_is_valid_for_this_session(client):
    sign_in(client, "sophie")
    _get(client, PAGE)
    hit = client.get(PAGE)
    assert _cache(hit) == "hit"
    token = _csrf(hit.get_data(as_text=True))
    r = client.post(PAGE + "/comments", data={"body": "Posté depuis une page gardée.", "csrf_token": token})
    assert r.status_code == 302
    html = _get(client, PAGE).get_data(as_text=True)
    assert "Posté depuis une page gardée." in html


def test_a_page_kept_for_one_person_is_never_served_to_another(app):
    sophie, karim, anonymous = app.test_client(), app.test_client(), app.test_client()
    sign_in(sophie, "sophie")
    sign_in(karim, "karim")
    _get(sophie, PAGE)
    first = karim.get(PAGE)
    assert _cache(first) != "hit"
    karim_name = _people(app.extensions["review.deployment"].open_repo())["karim"].name
    for r in (first, _get(karim, PAGE)):
        html = r.get_data(as_text=True)
        assert "Sophie Bernard" not in html and karim_name in html
    r = anonymous.get(PAGE)
    html = r.get_data(as_text=True)
    assert _cache(r) == "miss" and "Sophie Bernard" not in html and "csrf_token" not in html


def test_two_sessions_of_one_person_share_the_page_each_with_its_own_token(app):
    one, two = app.test_client(), app.test_client()
    sign_in(one, "sophie")
    sign_in(two, "sophie")
    _get(one, PAGE)
    r = _get(two, PAGE)
    assert _cache(r) == "hit"
    token = _csrf(r.get_data(as_text=True))
    assert two.post(PAGE + "/comments", data={"body": "Depuis la seconde session.", "csrf_token": token}).status_code == 302
    assert "Depuis la seconde session." in _get(one, PAGE).get_data(as_text=True)


def test_sessions_taking_turns_on_one_kept_page_each_get_their_own_token(app):
    """The page is kept once, with the token of the session that asked last: each turn puts the
    asking session's token in place of it, everywhere on the page, and never leaves the other's."""
    one, two = app.test_client(), app.test_client()
    sign_in(one, "sophie")
    sign_in(two, "sophie")
    pages = [_get(c, PAGE) for c in (one, two, one, one, two, two, one)]
    assert [_cache(r) for r in pages[1:]] == ["hit"] * 6
    tokens = [set(TOKEN.findall(r.get_data(as_text=True))) for r in pages]
    assert all(len(t) == 1 for t in tokens)
    mine, theirs = tokens[0] | tokens[2], tokens[1] | tokens[4]
    assert len(mine) == 1 and len(theirs) == 1 and mine != theirs
    assert tokens == [mine, theirs, mine, mine, theirs, theirs, mine]
    forms = pages[0].get_data(as_text=True).count('name="csrf_token"')
    assert forms > 1 and all(r.get_data(as_text=True).count('name="csrf_token"') == forms for r in pages)


def test_news_by_someone_else_shows_at_once_with_its_marker_then_the_marker_goes(client, repo):
    sign_in(client, "sophie")
    _get(client, PAGE)
    comments.add(repo, _people(repo)["karim"], "engagement-02", "Une remarque toute neuve.")
    r = client.get(PAGE)
    html = r.get_data(as_text=True)
    assert _cache(r) == "miss" and "Une remarque toute neuve." in html
    assert "unread-marker" in html
    # that visit was recorded (visits.sqlite changed): the next request renders the page without the marker
    r = client.get(PAGE)
    assert _cache(r) == "miss" and "unread-marker" not in r.get_data(as_text=True)
    assert _cache(client.get(PAGE)) == "hit"


@pytest.mark.parametrize("elsewhere", [False, True], ids=["this-process", "another-process"])
def test_marking_notifications_read_shows_in_the_header_at_once(client, repo, app, deployment_dir, elsewhere):
    dep = app.extensions["review.deployment"]
    people = _people(repo)
    notifications.set_watch(dep, people["sophie"], "commitment/engagement-06", True)
    comments.add(repo, people["karim"], "engagement-06", "Une question pour les suiveurs.")
    sign_in(client, "sophie")
    assert "unread-count" in _get(client, PAGE).get_data(as_text=True)
    # no ref moves: only notifications.sqlite changes, here or in another process (a CLI, a worker)
    if elsewhere:
        code = ("import sys; from review.deployment import Deployment; from review import notifications as n; "
                "n.mark_read(Deployment.open(sys.argv[1]), 'sophie', everything=True)")
        subprocess.run([sys.executable, "-c", code, str(deployment_dir)], check=True, timeout=60)
    else:
        notifications.mark_read(dep, "sophie", everything=True)
    r = client.get(PAGE)
    assert _cache(r) == "miss" and "unread-count" not in r.get_data(as_text=True)


def test_the_watch_button_follows_a_watch_set_elsewhere(client, repo, app):
    dep = app.extensions["review.deployment"]
    sign_in(client, "sophie")
    assert ">Suivre</button>" in _get(client, "/commitments/engagement-06").get_data(as_text=True)
    notifications.set_watch(dep, _people(repo)["sophie"], "commitment/engagement-06", True)  # e.g. through the API
    r = client.get("/commitments/engagement-06")
    assert _cache(r) == "miss" and ">Ne plus suivre</button>" in r.get_data(as_text=True)


def test_an_ended_session_is_never_served_the_kept_page(client, app):
    sign_in(client, "sophie")
    _get(client, PAGE)
    accounts_store = accounts.Accounts(app.extensions["review.deployment"])
    assert accounts_store.end_sessions("sophie") >= 1
    r = client.get(PAGE)
    html = r.get_data(as_text=True)
    assert "Sophie Bernard" not in html and "csrf_token" not in html


def test_a_role_given_in_plan_yaml_shows_at_once(client, repo):
    sign_in(client, "sophie")
    _get(client, "/amendments")
    from review.gitrepo import Identity
    text = repo.read_file(repo.resolve("main"), "plan.yaml").decode()
    changed = text.replace("Sophie Bernard", "Sophie Bernard-Morel", 1)
    assert changed != text
    repo.commit_on("refs/heads/main", lambda tip: ({"plan.yaml": changed.encode()}, "Rename"),
                   Identity("Alice Martin", "alice@example.org"))
    r = client.get("/amendments")
    assert _cache(r) == "miss" and "Sophie Bernard-Morel" in r.get_data(as_text=True)


def test_a_count_cut_short_by_its_time_budget_is_not_kept(client, monkeypatch):
    from review import foryou
    sign_in(client, "sophie")

    def out_of_time(*args, **kwargs):
        if kwargs.get("budget") is not None:
            raise foryou.OutOfTime()
        return real(*args, **kwargs)
    real = foryou.for_person
    monkeypatch.setattr(foryou, "for_person", out_of_time)
    assert _cache(client.get(PAGE)) == "bypass"
    assert _cache(client.get(PAGE)) == "bypass"
    monkeypatch.setattr(foryou, "for_person", real)
    assert _cache(client.get(PAGE)) == "miss"
    assert _cache(client.get(PAGE)) == "hit"


@pytest.mark.parametrize("path", ["/api/v1/amendments", "/api/v1/commitments", "/api/v1/audit", "/api/v1/history",
                                  "/api/v1/people", "/api/v1/commitments/engagement-02/comments",
                                  "/api/v1/commitments/engagement-02"])
def test_api_reads_are_kept_and_identical(client, path):
    first = client.get(path)
    assert first.status_code == 200 and _cache(first) == "miss"
    second = client.get(path)
    assert _cache(second) == "hit" and second.data == first.data
    assert second.headers["Content-Type"] == first.headers["Content-Type"] == "application/json"
    assert second.headers["Access-Control-Allow-Origin"] == "*"


def test_api_with_a_token_has_its_own_entries_and_sees_a_new_comment(client, repo, app):
    store = accounts.Accounts(app.extensions["review.deployment"])
    token = store.create_token("sophie", "test")[1]
    headers = {"Authorization": f"Bearer {token}"}
    path = "/api/v1/commitments/engagement-02/comments"
    anonymous = client.get(path)
    r = client.get(path, headers=headers)
    assert _cache(anonymous) == "miss" and _cache(r) == "miss"
    assert _cache(client.get(path, headers=headers)) == "hit"
    comments.add(repo, _people(repo)["karim"], "engagement-02", "Vu par l'API aussitôt.")
    r = client.get(path, headers=headers)
    assert _cache(r) == "miss" and [c["body"] for c in r.get_json()["comments"]] == ["Vu par l'API aussitôt."]
