"""Published versions: annotated tags of main with notes in both languages, /versions, the API,
the audit log, `review verify`, and the downloads built on demand into the instance folder."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from review import audit, verify, versions
from review import commitment as core
from review.errors import Conflict, Forbidden, Invalid

from .conftest import api_post
from .test_people import _csrf, sign_in
from .webforms import form_fields

NOTES = {"fr": "Le plan après le bilan.\nDeuxième ligne.", "en": "The plan after the review.\nSecond line."}


def _person(repo, handle):
    return core.read_plan(repo, core.resolve(repo, "main")).people[handle]


def test_a_coordinator_publishes_a_version_as_an_annotated_tag(repo):
    main = core.resolve(repo, "main")
    v = versions.publish_version(repo, _person(repo, "claire"), "2016-bilan", None, NOTES)
    assert v.name == "versions/2016-bilan" and v.commit == main and v.published_by == "claire"
    assert v.notes == {"fr": NOTES["fr"], "en": NOTES["en"]} and v.tag and v.publisher_name == "Claire Lemaire"
    target, message, _ = repo.tag_object(repo.ref_target("refs/tags/versions/2016-bilan"))
    assert target == main and message.startswith("Version 2016-bilan\n\n[fr]\nLe plan")
    listed = versions.list_versions(repo)
    assert [x.name for x in listed][:1] == ["versions/2016-bilan"]
    adopted = next(x for x in listed if x.name == "adopted-2015-07-16")   # review init's tag is a version too
    assert adopted.published_by is None and "adopted" in adopted.notes_in("en")
    assert verify.verify(repo.path).clean


@pytest.mark.parametrize("handle, name, target, notes, error", [
    ("sophie", "v1", None, NOTES, Forbidden),                        # a signatory, not a coordinator
    ("claire", "V 1", None, NOTES, Invalid),
    ("claire", "a" * 65, None, NOTES, Invalid),
    ("claire", "v1", None, {"fr": "seulement en français"}, Invalid),
    ("claire", "v1", None, {"fr": "x" * 5001, "en": "y"}, Invalid),
    ("claire", "v1", None, {"fr": "a\n[en]\nb", "en": "c"}, Invalid),
    ("claire", "v1", "0" * 40, NOTES, Invalid),
    ("claire", "v1", "amendments/1", NOTES, Invalid),
])
def test_refusals_write_nothing(repo, handle, name, target, notes, error):
    before = repo.tags()
    with pytest.raises(error):
        versions.publish_version(repo, _person(repo, handle), name, target, notes)
    assert repo.tags() == before


def test_a_name_is_published_once_and_an_older_commit_of_main_can_be_tagged(repo, client, tokens):
    claire = _person(repo, "claire")
    first = core.resolve(repo, "main")
    api_post(client, tokens["lucie"], "/api/v1/amendments", {
        "commitment": "engagement-01", "title": "t", "rationale": "r",
        "files": {"commitments/engagement-01/fr.md": repo.read_file(first, "commitments/engagement-01/fr.md").decode()
                  .replace("## Enjeux", "## Les enjeux")}})
    versions.publish_version(repo, claire, "v1", first[:10], NOTES)
    with pytest.raises(Conflict):
        versions.publish_version(repo, claire, "v1", None, NOTES)
    amendment_head = repo.resolve("amendments/1")
    with pytest.raises(Invalid, match="not a commit of main"):
        versions.publish_version(repo, claire, "v2", amendment_head, NOTES)


def test_the_audit_log_records_who_published_which_version(repo):
    versions.publish_version(repo, _person(repo, "claire"), "2016-bilan", None, NOTES)
    rows = [r for r in audit.audit_log(repo) if r.type == audit.VERSION_PUBLISHED]
    assert len(rows) == 1
    r = rows[0]
    assert (r.actor, r.target, r.revision, r.log) == ("claire", "versions/2016-bilan", core.resolve(repo, "main"),
                                                      "refs/tags/versions/2016-bilan")
    assert r.organisation == "premier-ministre"
    assert audit.audit_log(repo, audit.parse_filters({"amendment": "1"})) == []


def test_publishing_from_the_web_asks_first_then_says_what_happened(client, repo):
    sign_in(client, "claire")
    page = client.get("/versions").get_data(as_text=True)
    assert "adopted-2015-07-16" in page and 'action="/versions"' in page
    fields = form_fields(page[page.index('action="/versions"') - 200:]).to_dict()
    fields.update({"name": "2016-bilan", "notes_fr": NOTES["fr"], "notes_en": NOTES["en"]})
    step = client.post("/versions", data=fields)
    assert step.status_code == 200
    confirm = step.get_data(as_text=True)
    assert "Publier la version 2016-bilan" in confirm and repo.ref_target("refs/tags/versions/2016-bilan") is None
    fields = form_fields(confirm[confirm.index('<form method="post"'):])
    assert fields["confirm"] == "yes" and fields["target"] == core.resolve(repo, "main")
    done = client.post("/versions", data=fields, follow_redirects=True)
    html = done.get_data(as_text=True)
    assert done.status_code == 200 and "Version 2016-bilan publiée" in html
    assert 'href="/compare?from=versions%2F2016-bilan&amp;to=main"' in html
    assert 'href="/compare?from=adopted-2015-07-16&amp;to=versions%2F2016-bilan"' in html
    assert "/versions/versions/2016-bilan/plan-fr.pdf" in html
    assert repo.ref_target("refs/tags/versions/2016-bilan") is not None
    again = client.post("/versions", data=fields)
    assert again.status_code == 409 and "déjà publiée" in again.get_data(as_text=True)
    log = client.get("/audit?type=version-published").get_data(as_text=True)
    assert "version publiée" in log and "versions/2016-bilan" in log
    integrity = client.get("/api/v1/integrity").json   # the server's own check of the history stays clean
    assert integrity["clean"] and integrity["refs"]["refs/tags/versions/2016-bilan"]


def test_only_coordinators_see_and_use_the_form(client, repo):
    assert 'action="/versions"' not in client.get("/versions").get_data(as_text=True)
    sign_in(client, "sophie")
    page = client.get("/versions").get_data(as_text=True)
    assert 'action="/versions"' not in page
    csrf = _csrf(client.get("/people/sophie").get_data(as_text=True))
    r = client.post("/versions", data={"csrf_token": csrf, "name": "x", "notes_fr": "a", "notes_en": "b",
                                       "confirm": "yes"})
    assert r.status_code == 302 and repo.ref_target("refs/tags/versions/x") is None


def test_api_lists_and_publishes(client, tokens, repo):
    r = client.get("/api/v1/versions")
    assert r.status_code == 200 and r.json["versions"][0]["name"] == "adopted-2015-07-16"
    r = api_post(client, tokens["sophie"], "/api/v1/versions", {"name": "v1", "notes": NOTES})
    assert r.status_code == 403
    r = api_post(client, tokens["claire"], "/api/v1/versions", {"name": "v1", "notes": "both"})
    assert r.status_code == 400
    r = api_post(client, tokens["claire"], "/api/v1/versions", {"name": "v1", "notes": NOTES, "extra": 1})
    assert r.status_code == 400
    r = api_post(client, tokens["claire"], "/api/v1/versions", {"name": "v1", "notes": NOTES})
    assert r.status_code == 201 and r.json["name"] == "versions/v1" and r.json["published_by"] == "claire"
    assert r.json["downloads"]["plan-fr.pdf"].endswith("/versions/versions/v1/plan-fr.pdf")
    assert r.json["notes"] == NOTES
    assert api_post(client, tokens["claire"], "/api/v1/versions", {"name": "v1", "notes": NOTES}).status_code == 409
    listed = client.get("/api/v1/versions").json["versions"]
    assert [v["name"] for v in listed] == ["versions/v1", "adopted-2015-07-16"]


def test_downloads_are_built_once_into_the_instance_folder(client, dep):
    assert client.get("/versions/adopted-2015-07-16/nothing.pdf").status_code == 404
    assert client.get("/versions/nothing/plan-fr.epub").status_code == 404
    r = client.get("/versions/adopted-2015-07-16/plan-en.epub")
    assert r.status_code == 200 and r.mimetype == "application/epub+zip"
    assert r.data[:4] == b"PK\x03\x04" and zipfile.ZipFile(io.BytesIO(r.data)).read("mimetype") == b"application/epub+zip"
    cached = list((dep.instance_path / "publish-cache").glob("*/plan-en.epub"))
    assert len(cached) == 1
    stamp = cached[0].stat().st_mtime_ns
    assert client.get("/versions/adopted-2015-07-16/plan-en.epub").data == r.data
    assert cached[0].stat().st_mtime_ns >= stamp and len(list((dep.instance_path / "publish-cache").glob("*/*"))) == 1
    site = client.get("/versions/adopted-2015-07-16/site.zip")
    names = zipfile.ZipFile(io.BytesIO(site.data)).namelist()
    assert "plan-adopted-2015-07-16/fr/commitments/engagement-01.html" in names


def test_the_download_cache_is_bounded(repo, tmp_path):
    from review import publish
    cache = publish.DownloadCache(tmp_path / "cache", max_bytes=1)
    first = cache.get(repo, "main", "main", "plan-fr.epub", None)
    assert first.is_file()
    second = cache.get(repo, "adopted-2015-07-16", "adopted-2015-07-16", "plan-en.epub", "https://plan.example.org")
    assert second.is_file() and not first.exists()   # the least recently used goes first
    with pytest.raises(publish.PublishError):
        cache.get(repo, "main", "main", "../../etc/passwd", None)


def _git_tag(repo, *args, name="Claire Lemaire", email="claire@review.invalid"):
    """A tag written with a shell on the server, around every check of the core."""
    import os
    import subprocess
    env = {**os.environ, "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email}
    subprocess.run(["git", "-C", str(repo.path), "tag", *args], check=True, env=env, capture_output=True)


def _version_violations(repo):
    return sorted((v.code, v.ref) for v in verify.verify(repo.path).violations if v.ref.startswith("refs/tags/"))


def test_verify_flags_a_version_tag_written_around_the_core(repo):
    """Only a coordinator publishes a version, on a commit of main (review.versions): a tag made
    with git on the server that breaks either is named by `review verify`, rule 3."""
    main = core.resolve(repo, "main")
    versions.publish_version(repo, _person(repo, "claire"), "2016-bilan", None, NOTES)
    assert _version_violations(repo) == []
    _git_tag(repo, "-a", "versions/by-karim", "-m", "Version by-karim", main,
             name="Karim Haddad", email="karim@review.invalid")
    text = repo.read_file(main, "commitments/engagement-04/fr.md").decode()
    from review import amendments as am
    a = am.propose(repo, _person(repo, "lucie"), "engagement-04", "Titre", "Raison.",
                   {"commitments/engagement-04/fr.md": text.replace("## Enjeux", "## Les enjeux", 1)})
    _git_tag(repo, "-a", "versions/off-main", "-m", "Version off-main", a.head)
    _git_tag(repo, "versions/light", main)
    _git_tag(repo, "-a", "versions/misnamed", "-m", "Version misnamed", main, name="C. Lemaire")
    assert _version_violations(repo) == [
        ("name-differs", "refs/tags/versions/misnamed"),
        ("version-not-annotated", "refs/tags/versions/light"),
        ("version-not-by-coordinator", "refs/tags/versions/by-karim"),
        ("version-not-on-main", "refs/tags/versions/off-main"),
    ]
    assert all(v.rule == 3 for v in verify.verify(repo.path).violations if v.ref.startswith("refs/tags/versions/"))
