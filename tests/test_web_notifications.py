"""Issue 18: the watch buttons, /notifications, the header's unread count, @mentions as links,
and the JSON API (GET /api/v1/notifications, POST /api/v1/notifications/read, /api/v1/watches)."""

from __future__ import annotations

import re

from review import comments, progress
from review import commitment as core

from .conftest import api_post, bearer
from .test_people import _csrf, sign_in


def _people(repo):
    return core.read_plan(repo, repo.resolve("main")).people


def _watch_form(html: str) -> dict:
    m = re.search(r'<form method="post" action="/watch"[^>]*>(.*?)</form>', html, re.S)
    assert m, "no watch button on the page"
    return dict(re.findall(r'name="([^"]+)" value="([^"]*)"', m.group(1)))


def test_watch_button_then_a_comment_shows_in_the_header_and_the_list(client, repo):
    p = _people(repo)
    sign_in(client, "karim")
    html = client.get("/commitments/engagement-06").get_data(as_text=True)
    fields = _watch_form(html)
    assert fields["subject"] == "commitment/engagement-06" and fields["watch"] == "1"
    assert ">Suivre</button>" in html
    r = client.post("/watch", data=fields)
    assert r.status_code == 302 and r.headers["Location"] == "/commitments/engagement-06"
    html = client.get("/commitments/engagement-06").get_data(as_text=True)
    assert ">Ne plus suivre</button>" in html and _watch_form(html)["watch"] == "0"
    assert 'class="notifications-link">Notifications</a>' in html      # nothing unread yet

    c = comments.add(repo, p["lucie"], "engagement-06", "Un calendrier, @karim ?")
    html = client.get("/").get_data(as_text=True)
    assert '<span class="unread-count">(1 non lue)</span>' in html
    html = client.get("/notifications").get_data(as_text=True)
    assert "Vous avez été mentionné" in html and "Un calendrier, @karim ?" in html
    (nid,) = re.findall(r'href="/notifications/(\d+)"', html)
    r = client.get(f"/notifications/{nid}")
    assert r.status_code == 302 and r.headers["Location"] == f"/commitments/engagement-06#c-{c.id}"
    html = client.get("/").get_data(as_text=True)
    assert "unread-count" not in html
    page = client.get("/commitments/engagement-06").get_data(as_text=True)
    assert '<a href="/people/karim" class="mention">@karim</a>' in page


def test_mark_all_read_and_others_notifications_are_not_found(client, repo):
    p = _people(repo)
    sign_in(client, "antoine")  # his organisation leads engagement-04: watched without asking
    for i in range(3):
        comments.add(repo, p["lucie"], "engagement-04", f"Remarque {i}.")
    html = client.get("/notifications").get_data(as_text=True)
    assert html.count('class="notification unread"') == 3
    ids = re.findall(r'href="/notifications/(\d+)"', html)
    r = client.post("/notifications/read", data={"csrf_token": _csrf(html)})
    assert r.status_code == 302
    html = client.get("/notifications").get_data(as_text=True)
    assert 'class="notification unread"' not in html and "Aucune notification non lue." in html
    assert client.post("/notifications/read", data={}).status_code in (302, 400)  # no CSRF token: refused
    client.post("/signout", data={"csrf_token": _csrf(html)})
    sign_in(client, "sophie")
    assert client.get(f"/notifications/{ids[0]}").status_code == 404


def test_watch_form_checks_its_input(client, repo):
    sign_in(client, "karim")
    html = client.get("/").get_data(as_text=True)
    fields = _watch_form(html)
    assert fields["subject"] == "plan"
    for bad in ({"subject": "nothing/here", "watch": "1"}, {"subject": "commitment/engagement-99", "watch": "1"},
                {"subject": "plan", "watch": "yes"}):
        r = client.post("/watch", data={**fields, **bad, "next": "/"}, follow_redirects=True)
        assert r.status_code == 200 and 'class="flash flash-error"' in r.get_data(as_text=True)
    r = client.post("/watch", data={**fields, "next": "https://evil.example/"})
    assert r.status_code == 302 and "evil" not in r.headers["Location"]
    assert client.post("/watch", data={"subject": "plan", "watch": "1"}).status_code in (302, 400)  # no CSRF


def test_signed_out_visitors_are_sent_to_sign_in_and_see_no_button(client):
    assert client.get("/notifications").status_code == 302
    assert 'action="/watch"' not in client.get("/commitments/engagement-06").get_data(as_text=True)


def test_buttons_on_amendment_axis_pages(client, repo):
    sign_in(client, "karim")
    c = core.read_commitment(repo, repo.resolve("main"), "engagement-06")
    html = client.get(f"/axes/{c.axis}").get_data(as_text=True)
    assert _watch_form(html)["subject"] == f"axis/{c.axis}"


def test_api_notifications_read_and_watches(client, tokens, repo):
    p = _people(repo)
    t = tokens["karim"]
    assert client.get("/api/v1/notifications").status_code == 401
    r = api_post(client, t, "/api/v1/watches", {"subject": "commitment/engagement-06", "watch": True})
    assert r.status_code == 200 and r.json == {"subject": "commitment/engagement-06", "watch": True,
                                               "automatic": None, "explicit": True}
    for body, code in (({"subject": "plan"}, 400), ({"subject": "x", "watch": True}, 400),
                       ({"subject": "amendment/7", "watch": True}, 404), ({"subject": "plan", "watch": 1}, 400),
                       ({"subject": "plan", "watch": True, "more": 1}, 400)):
        r = api_post(client, t, "/api/v1/watches", body)
        assert r.status_code == code, body
        assert "error" in r.json
    subjects = {w["subject"] for w in client.get("/api/v1/watches", headers=bearer(t)).json["watches"]}
    assert "commitment/engagement-06" in subjects
    for i in range(3):
        comments.add(repo, p["lucie"], "engagement-06", f"Point {i}.")
    r = client.get("/api/v1/notifications?limit=2", headers=bearer(t))
    assert r.status_code == 200 and r.json["unread"] == 3 and len(r.json["notifications"]) == 2
    first = r.json["notifications"][0]
    assert first["kind"] == "reply" and first["actor"] == "lucie" and first["excerpt"] == "Point 2."
    assert first["path"].startswith("/commitments/engagement-06#c-") and first["read"] is False
    r2 = client.get(f"/api/v1/notifications?limit=2&before={r.json['next']}", headers=bearer(t))
    assert [n["excerpt"] for n in r2.json["notifications"]] == ["Point 0."] and r2.json["next"] is None
    assert client.get("/api/v1/notifications?before=abc", headers=bearer(t)).status_code == 400
    assert client.get("/api/v1/notifications?limit=1000", headers=bearer(t)).status_code == 400
    r = api_post(client, t, "/api/v1/notifications/read", {"ids": [first["id"]]})
    assert r.json == {"marked": 1, "unread": 2}
    for bad in ({}, {"ids": "1"}, {"ids": [-1]}, {"all": "yes"}, {"ids": [1], "extra": 2}):
        r = api_post(client, t, "/api/v1/notifications/read", bad)
        assert r.status_code == 400 and "error" in r.json, bad
    r = api_post(client, tokens["sophie"], "/api/v1/notifications/read", {"all": True})
    assert r.json["marked"] == 0
    r = api_post(client, t, "/api/v1/notifications/read", {"all": True})
    assert r.json == {"marked": 2, "unread": 0}


def test_progress_note_and_rationale_render_mentions(client, repo):
    p = _people(repo)
    progress.report(repo, p["antoine"], "engagement-04", "limited", "Avec @ines, voir a@b.fr et @inconnu.")
    html = client.get("/commitments/engagement-04").get_data(as_text=True)
    assert '<a href="/people/ines" class="mention">@ines</a>' in html
    assert "@inconnu" in html and 'href="/people/inconnu"' not in html
