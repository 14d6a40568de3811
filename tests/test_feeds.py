"""Atom feeds of an amendment and of a commitment (review/web/feeds.py), parsed as XML."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET


from . import test_web_amendments as amendment_api
from .conftest import bearer

A = "{http://www.w3.org/2005/Atom}"
CID = "engagement-04"  # led by se-reforme-etat (antoine)
FR = f"commitments/{CID}/fr.md"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def _propose(client, tokens, repo, **kwargs):
    return amendment_api._propose(client, tokens, repo, **{"rationale": "Plus *clair*", **kwargs})


def _feed(client, url) -> ET.Element:
    r = client.get(url)
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.mimetype == "application/atom+xml"
    assert r.data.startswith(b"<?xml")
    root = ET.fromstring(r.data)
    _check_atom(root)
    return root


def _check_atom(root: ET.Element) -> None:
    """What RFC 4287 requires of a feed and of each entry."""
    assert root.tag == f"{A}feed"
    for tag in ("id", "title", "updated"):
        assert len(root.findall(f"{A}{tag}")) == 1, tag
    assert RFC3339.match(root.findtext(f"{A}updated"))
    assert root.find(f"{A}link[@rel='self']").get("type") == "application/atom+xml"
    ids = set()
    for e in root.findall(f"{A}entry"):
        for tag in ("id", "title", "updated"):
            assert len(e.findall(f"{A}{tag}")) == 1, (tag, ET.tostring(e))
        assert RFC3339.match(e.findtext(f"{A}updated")), e.findtext(f"{A}updated")
        assert e.findtext(f"{A}author/{A}name"), ET.tostring(e)
        assert e.find(f"{A}link[@rel='alternate']").get("href").startswith("http://")
        assert e.findtext(f"{A}id") not in ids
        ids.add(e.findtext(f"{A}id"))
    updated = [e.findtext(f"{A}updated") for e in root.findall(f"{A}entry")]
    assert updated == sorted(updated, reverse=True)  # newest first
    if updated:
        assert root.findtext(f"{A}updated") == updated[0]


def _plain(text: str) -> str:
    return text.replace("\xa0", " ")  # the drafting sentences put no-break spaces inside « »


def _entries(root):
    return [(e.findtext(f"{A}title"), e) for e in root.findall(f"{A}entry")]


def test_amendment_feed_follows_proposal_approval_and_merge(client, tokens, repo):
    a = _propose(client, tokens, repo)
    root = _feed(client, "/amendments/1/feed.atom")
    assert root.findtext(f"{A}id") == "tag:localhost,2015:amendment/1"
    assert root.findtext(f"{A}title") == "Amendement 1 : Reformuler"
    assert root.find(f"{A}link[@rel='alternate']").get("href") == "http://localhost/amendments/1"
    entries = _entries(root)
    assert [t for t, _ in entries] == ["Amendement 1 : ouverture par Lucie Fontaine"]
    opening = entries[0][1]
    assert re.match(r"^tag:localhost,2015:amendment/1/[0-9a-f]{12}$", opening.findtext(f"{A}id"))
    assert opening.findtext(f"{A}author/{A}name") == "Lucie Fontaine"
    assert opening.find(f"{A}link").get("href") == "http://localhost/amendments/1"
    content = opening.find(f"{A}content")
    assert content.get("type") == "html" and "<em>clair</em>" in content.text
    assert "L&#39;intitulé « Enjeux » est ainsi rédigé : « Les enjeux »" in _plain(content.text)

    r = client.post("/api/v1/amendments/1/approvals", headers=bearer(tokens["antoine"]),
                    json={"revision": a["revision"], "verdict": "approve", "comment": "D'accord <b>"})
    assert r.status_code == 201
    r = client.post("/api/v1/amendments/1/approvals", headers=bearer(tokens["sophie"]),
                    json={"revision": a["revision"], "verdict": "approve"})
    assert r.get_json()["satisfied"] is True
    root = _feed(client, "/amendments/1/feed.atom")
    titles = [t for t, _ in _entries(root)]
    # French elision before a vowel: « d'Antoine », « de Sophie »
    assert set(titles[:2]) == {"Amendement 1 : approbation d'Antoine Girard",
                               "Amendement 1 : approbation de Sophie Bernard"}
    assert titles[-1] == "Amendement 1 : ouverture par Lucie Fontaine"
    antoine = dict(_entries(root))["Amendement 1 : approbation d'Antoine Girard"]
    assert antoine.findtext(f"{A}author/{A}name") == "Antoine Girard"
    # the comment is text in the HTML content: escaped, never markup
    assert "accord &lt;b&gt;" in antoine.findtext(f"{A}content") and a["revision"][:12] in antoine.findtext(f"{A}content")

    r = client.post("/api/v1/amendments/1/merge", headers=bearer(tokens["claire"]), json={"revision": a["revision"]})
    assert r.status_code == 201, r.get_json()
    root = _feed(client, "/amendments/1/feed.atom")
    entries = _entries(root)
    assert entries[0][0] == "Amendement 1 : intégration au plan par Claire Lemaire"
    assert r.get_json()["merge"][:12] in entries[0][1].findtext(f"{A}content")
    assert len(entries) == 4 and len({e.findtext(f"{A}id") for _, e in entries}) == 4


def test_amendment_feed_records_revisions_and_state_changes(client, tokens, repo):
    a = _propose(client, tokens, repo)
    new = amendment_api._text(repo, a["revision"]).replace("## Contexte", "## Le contexte")
    r = client.post("/api/v1/amendments/1/revisions", headers=bearer(tokens["lucie"]),
                    json={"files": {FR: new}, "expected_revision": a["revision"]})
    assert r.status_code == 201
    assert client.post("/api/v1/amendments/1/withdraw", headers=bearer(tokens["lucie"]), json={"reason": "à revoir"}).status_code == 200
    assert client.post("/api/v1/amendments/1/reopen", headers=bearer(tokens["lucie"])).status_code == 200
    entries = _entries(_feed(client, "/amendments/1/feed.atom"))
    assert [t for t, _ in entries] == [
        "Amendement 1 : réouverture par Lucie Fontaine", "Amendement 1 : retrait par Lucie Fontaine",
        "Amendement 1 : révision de Lucie Fontaine", "Amendement 1 : ouverture par Lucie Fontaine"]
    revision = _plain(entries[2][1].findtext(f"{A}content"))
    assert "« Contexte »" in revision and "« Enjeux »" not in revision  # only what this revision changed
    assert "à revoir" in entries[1][1].findtext(f"{A}content")


def test_unknown_amendment_or_commitment_is_404(client, tokens, repo):
    assert client.get("/amendments/1/feed.atom").status_code == 404
    assert client.get("/amendments/abc/feed.atom").status_code == 404
    _propose(client, tokens, repo)
    assert client.get("/amendments/2/feed.atom").status_code == 404
    assert client.get("/commitments/engagement-99/feed.atom").status_code == 404


def test_commitment_feed_changes_amendments_and_comments(client, tokens, repo):
    root = _feed(client, f"/commitments/{CID}/feed.atom")
    assert root.findtext(f"{A}id") == f"tag:localhost,2015:commitment/{CID}"
    assert root.findtext(f"{A}title").startswith("Engagement 4 : Ouvrir l'accès aux évaluations")
    before = len(root.findall(f"{A}entry"))
    assert before >= 1  # the plan's first commit

    a = _propose(client, tokens, repo)
    _propose(client, tokens, repo, who="karim", old="## Contexte", new="## Le contexte")
    assert client.post("/api/v1/amendments/2/withdraw", headers=bearer(tokens["karim"]), json={}).status_code == 200
    r = client.post(f"/api/v1/commitments/{CID}/comments", headers=bearer(tokens["karim"]),
                    json={"body": "Quels **évaluateurs** ?", "anchor": "p-2"})
    assert r.status_code == 201, r.get_json()
    comment_id = r.get_json()["id"]
    titles = [t for t, _ in _entries(_feed(client, f"/commitments/{CID}/feed.atom"))]
    assert "Engagement 4 : amendement 1 (ouvert) : Reformuler" in titles
    assert not any("amendement 2" in t for t in titles)  # withdrawn: not followed
    assert titles[0] == "Engagement 4 : commentaire de Karim Haddad"

    for who in ("antoine", "sophie"):
        client.post("/api/v1/amendments/1/approvals", headers=bearer(tokens[who]),
                    json={"revision": a["revision"], "verdict": "approve"})
    merge = client.post("/api/v1/amendments/1/merge", headers=bearer(tokens["claire"]), json={"revision": a["revision"]}).get_json()["merge"]
    root = _feed(client, f"/commitments/{CID}/feed.atom")
    entries = dict(_entries(root))
    assert "Engagement 4 : amendement 1 (intégré) : Reformuler" in entries
    change = next(e for t, e in _entries(root) if t.startswith("Engagement 4 : modifié par l'amendement 1 "))
    assert change.findtext(f"{A}id") == f"tag:localhost,2015:commitment/{CID}/change/{merge}"
    assert change.findtext(f"{A}author/{A}name") == "Claire Lemaire"
    assert "Merge amendment 1: Reformuler" in change.findtext(f"{A}title")
    assert "http://localhost/amendments/1" in change.findtext(f"{A}content")
    comment = entries["Engagement 4 : commentaire de Karim Haddad"]
    assert comment.find(f"{A}link").get("href") == f"http://localhost/commitments/{CID}#c-{comment_id}"
    assert "<strong>évaluateurs</strong>" in comment.findtext(f"{A}content")
    assert len(root.findall(f"{A}entry")) == before + 3


def test_pages_link_to_their_feeds(client, tokens, repo):
    _propose(client, tokens, repo)
    page = client.get("/amendments/1").get_data(as_text=True)
    assert re.search(r'<a href="/amendments/1/feed.atom" rel="alternate" type="application/atom\+xml">Flux Atom</a>', page)
    page = client.get(f"/commitments/{CID}").get_data(as_text=True)
    assert f'href="/commitments/{CID}/feed.atom" rel="alternate" type="application/atom+xml"' in page


def test_amendment_feed_has_its_comments(client, tokens, repo):
    _propose(client, tokens, repo)
    r = client.post("/api/v1/amendments/1/comments", headers=bearer(tokens["sophie"]), json={"body": "Pourquoi *Les* ?"})
    assert r.status_code == 201, r.get_json()
    cid = r.get_json()["id"]
    r = client.post(f"/api/v1/amendments/1/comments/{cid}/edit", headers=bearer(tokens["sophie"]), json={"body": "Pourquoi *« Les »* ?"})
    assert r.status_code == 200, r.get_json()
    entries = dict(_entries(_feed(client, "/amendments/1/feed.atom")))
    comment = entries["Amendement 1 : commentaire de Sophie Bernard"]
    assert comment.findtext(f"{A}id") == f"tag:localhost,2015:amendment/1/comment/{cid}"
    assert comment.find(f"{A}link").get("href") == f"http://localhost/amendments/1#c-{cid}"
    assert "<em>« Les »</em>" in comment.findtext(f"{A}content")  # the edited text
    assert len(entries) == 2  # the opening and the comment (the edit updates the comment's entry)
