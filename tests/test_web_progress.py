"""Progress through the API, the commitment page's forms, the dashboard and its exports."""

from __future__ import annotations

import csv
import datetime as dt
import html as htmllib
import io
import xml.etree.ElementTree as ET

import pytest

from review import progress, reviewlog
from review import commitment as core

from .conftest import api_post
from .test_people import _csrf, sign_in

CID = "engagement-04"            # led by se-reforme-etat (antoine)
MILESTONE = "participation-citoyenne"
API = f"/api/v1/commitments/{CID}/progress"
URL = "https://www.modernisation.gouv.fr/evaluation"
ATOM = "{http://www.w3.org/2005/Atom}"


def _report(client, tokens, **extra):
    body = {"level": "substantial", "note": "Observatoire **ouvert**", "evidence": [URL], "milestone": MILESTONE, **extra}
    r = api_post(client, tokens["antoine"], API, body)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


# -- API -----------------------------------------------------------------------------------------

def test_api_report_answer_hide_and_list(client, tokens, repo):
    rep = _report(client, tokens)
    assert rep["revision"] == repo.resolve(reviewlog.commitment_log(CID))
    assert (rep["level"], rep["milestone"], rep["evidence"], rep["as_of"], rep["state"]) == (
        "substantial", MILESTONE, [URL], progress.today().isoformat(), "current")
    ans = api_post(client, tokens["sophie"], f"{API}/{rep['id']}/answers", {"body": "Rien en ligne", "stance": "contested"})
    assert ans.status_code == 201 and ans.get_json()["report"] == rep["id"]
    listing = client.get(API).get_json()
    assert [x["id"] for x in listing["reports"]] == [rep["id"]]
    got = listing["reports"][0]
    assert got["contested"] is True and got["answers"][0]["stance"] == "contested"
    assert client.get(f"/api/v1/commitments/{CID}/comments").get_json()["total"] == 0  # not a paragraph thread

    assert api_post(client, tokens["sophie"], f"{API}/{rep['id']}/hide", {"reason": "x"}).status_code == 403
    hidden = api_post(client, tokens["lucie"], f"{API}/{rep['id']}/hide", {"reason": "preuve fausse"})
    assert hidden.status_code == 200 and hidden.get_json()["state"] == "hidden" and hidden.get_json()["note"] is None
    r = api_post(client, tokens["lucie"], f"{API}/{rep['id']}/hide", {"reason": "encore"})
    assert r.status_code == 409
    r = api_post(client, tokens["sophie"], f"{API}/{rep['id']}/answers", {"body": "Et maintenant ?"})
    assert r.status_code == 400 and "hidden" in r.get_json()["error"]


@pytest.mark.parametrize("who, body, status, message", [
    ("antoine", {"level": "done"}, 400, "level must be one of"),
    ("antoine", {"level": "limited", "milestone": "nope"}, 400, "no milestone 'nope'"),
    ("antoine", {"level": "limited", "as_of": "2099-01-01"}, 400, "in the future"),
    ("antoine", {"level": "limited", "as_of": "2015-01-01"}, 400, "before the plan was adopted"),
    ("antoine", {"level": "limited", "as_of": 20160101}, 400, "YYYY-MM-DD"),
    ("antoine", {"level": "limited", "evidence": ["file:///etc/passwd"]}, 400, "not an http"),
    ("antoine", {"level": "limited", "milestone": ["x"]}, 400, "milestone must be"),
    ("antoine", {"level": "limited", "colour": "red"}, 400, "unknown fields: colour"),
    ("sophie", {"level": "limited"}, 403, "lead administrations"),
    (None, {"level": "limited"}, 401, "sign in"),
])
def test_api_bad_reports_write_nothing(client, tokens, repo, who, body, status, message):
    before = repo.refs()
    r = client.post(API, json=body, headers={"Authorization": f"Bearer {tokens[who]}"} if who else {})
    assert r.status_code == status and message in r.get_json()["error"]
    assert repo.refs() == before


def test_api_unknown_commitment_is_404(client, tokens, repo):
    before = repo.refs()
    assert api_post(client, tokens["antoine"], "/api/v1/commitments/engagement-99/progress", {"level": "limited"}).status_code == 404
    assert client.get("/api/v1/commitments/engagement-99/progress").status_code == 404
    assert repo.refs() == before


def test_api_dashboard_as_of(client, tokens):
    _report(client, tokens)
    now = client.get("/api/v1/progress").get_json()
    c4 = next(c for c in now["commitments"] if c["id"] == CID)
    assert next(m for m in c4["milestones"] if m["id"] == MILESTONE)["level"] == "substantial"
    yesterday = (progress.today() - dt.timedelta(days=1)).isoformat()
    old = client.get(f"/api/v1/progress?as_of={yesterday}").get_json()
    c4 = next(c for c in old["commitments"] if c["id"] == CID)
    assert old["as_of"] == yesterday and all(m["level"] is None for m in c4["milestones"])
    r = client.get("/api/v1/progress?as_of=2016-02-31")
    assert r.status_code == 400 and "YYYY-MM-DD" in r.get_json()["error"]


# -- the commitment page ----------------------------------------------------------------------------

def test_section_forms_by_role(client, tokens):
    rep = _report(client, tokens)
    page = client.get(f"/commitments/{CID}").get_data(as_text=True)
    assert 'id="progress"' in page and "Suivi" in page and "substantiel" in page
    assert f'id="r-{rep["id"]}"' in page and "<strong>ouvert</strong>" in page and URL in page
    assert 'id="report-form"' not in page and "Répondre à ce rapport" not in page
    sign_in(client, "sophie")
    page = client.get(f"/commitments/{CID}").get_data(as_text=True)
    assert 'id="report-form"' not in page and "Répondre à ce rapport" in page and "Masquer le rapport" not in page
    client.get("/")  # a fresh page for the next sign-in
    sign_in(client, "lucie")
    page = client.get(f"/commitments/{CID}").get_data(as_text=True)
    assert "Masquer le rapport" in page and 'id="report-form"' not in page
    sign_in(client, "antoine")
    page = client.get(f"/commitments/{CID}").get_data(as_text=True)
    assert 'id="report-form"' in page and f'value="{MILESTONE}"' in page


def test_report_answer_and_hide_through_the_forms(client, repo):
    sign_in(client, "antoine")
    html = client.get(f"/commitments/{CID}").get_data(as_text=True)
    r = client.post(f"/commitments/{CID}/progress", data={
        "csrf_token": _csrf(html), "level": "limited", "milestone": MILESTONE, "note": "Premiers ateliers",
        "evidence": f"{URL}\r\n\r\nhttps://example.org/b\r\n", "as_of": "2016-05-02"})
    assert r.status_code == 302 and "#r-" in r.headers["Location"]
    (rep,) = progress.reports(repo, CID)
    assert (rep.level, rep.milestone, rep.as_of, rep.evidence) == ("limited", MILESTONE, "2016-05-02", (URL, "https://example.org/b"))
    assert "Votre rapport d'avancement est publié." in htmllib.unescape(client.get(r.headers["Location"]).get_data(as_text=True))

    sign_in(client, "sophie")
    html = client.get(f"/commitments/{CID}").get_data(as_text=True)
    r = client.post(f"/commitments/{CID}/progress/{rep.id}/answer",
                    data={"csrf_token": _csrf(html), "body": "Aucun atelier **public**", "stance": "contested"})
    assert r.status_code == 302
    assert progress.get(repo, CID, rep.id).contested
    page = client.get(f"/commitments/{CID}").get_data(as_text=True)
    assert "contesté" in page and "<strong>public</strong>" in page

    sign_in(client, "lucie")
    html = client.get(f"/commitments/{CID}").get_data(as_text=True)
    step = client.post(f"/commitments/{CID}/progress/{rep.id}/hide", data={"csrf_token": _csrf(html), "reason": "hors sujet"})
    text = htmllib.unescape(step.get_data(as_text=True))  # a second step first: nothing hidden yet
    assert step.status_code == 200 and "Masquer ce rapport d'avancement ?" in text and "Premiers ateliers" in text
    assert not progress.get(repo, CID, rep.id).hidden
    r = client.post(f"/commitments/{CID}/progress/{rep.id}/hide",
                    data={"csrf_token": _csrf(html), "reason": "hors sujet", "confirm": "yes"})
    assert r.status_code == 302
    page = htmllib.unescape(client.get(f"/commitments/{CID}").get_data(as_text=True))
    assert "Premiers ateliers" not in page and "hors sujet" in page and "Masqué par la modération" in page
    assert f"Rapport d'avancement du {rep.time[:10]} de @antoine masqué : hors sujet" in page


def test_bad_form_report_writes_nothing_and_keeps_the_text(client, repo):
    sign_in(client, "antoine")
    html = client.get(f"/commitments/{CID}").get_data(as_text=True)
    before = repo.refs()
    r = client.post(f"/commitments/{CID}/progress", data={
        "csrf_token": _csrf(html), "level": "complete", "note": "Ma note", "evidence": "ftp://example.org/x",
        "as_of": ""}, follow_redirects=True)
    page = r.get_data(as_text=True)
    assert "pas une adresse http:// ou https://" in page and ">Ma note</textarea>" in page
    assert repo.refs() == before
    r = client.post(f"/commitments/{CID}/progress", data={"level": "complete"}, follow_redirects=True)
    assert "Le formulaire a expiré" in htmllib.unescape(r.get_data(as_text=True)) and repo.refs() == before  # no CSRF token


def test_someone_else_cannot_report_through_the_form(client, repo):
    sign_in(client, "karim")
    html = client.get(f"/commitments/{CID}").get_data(as_text=True)
    before = repo.refs()
    r = client.post(f"/commitments/{CID}/progress", data={"csrf_token": _csrf(html), "level": "complete"},
                    follow_redirects=True)
    assert "réservée aux membres des administrations porteuses" in r.get_data(as_text=True) and repo.refs() == before


# -- the dashboard and its exports -----------------------------------------------------------------

def test_dashboard_levels_overdue_contested_and_as_of(client, tokens):
    rep = _report(client, tokens)
    api_post(client, tokens["sophie"], f"{API}/{rep['id']}/answers", {"body": "Non", "stance": "contested"})
    html = client.get("/progress").get_data(as_text=True)
    assert "<h1>Suivi du plan</h1>" in html and 'href="/progress">Suivi</a>' in html
    row = html.split('id="progress-engagement-04"')[1].split("</tr>")[0]
    assert "substantiel" in row and "1 contesté" in row and progress.today().isoformat() in row
    row17 = html.split('id="progress-engagement-17"')[1].split("</tr>")[0]
    assert "(échéance 2016-01)" in row17 and "(échéance 2015-12)" in row17  # overdue today
    yesterday = (progress.today() - dt.timedelta(days=1)).isoformat()
    old = client.get(f"/progress?as_of={yesterday}").get_data(as_text=True)
    row = old.split('id="progress-engagement-04"')[1].split("</tr>")[0]
    assert "substantiel" not in row and "contesté" not in row and "non renseigné" in row
    on_adoption = client.get("/progress?as_of=2015-07-16").get_data(as_text=True)
    row17 = on_adoption.split('id="progress-engagement-17"')[1].split("</tr>")[0]
    assert '<td class="overdue">aucun</td>' in row17 and "échéance" not in row17


@pytest.mark.parametrize("value, status, message", [
    ("2016-7-1", 400, "n'est pas une date"), ("demain", 400, "n'est pas une date"),
    ("2015-01-01", 400, "entre l'adoption du plan et aujourd'hui"), ("2999-01-01", 400, "entre l'adoption"),
])
def test_dashboard_bad_date_is_a_clear_400_page(client, value, status, message):
    r = client.get(f"/progress?as_of={value}")
    page = htmllib.unescape(r.get_data(as_text=True))
    assert r.status_code == status and message in page and "<h1>Erreur 400</h1>" in page


def test_csv_export_columns_and_rows(client, tokens, repo):
    _report(client, tokens, as_of="2016-05-02")
    r = client.get("/progress.csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    from review.web.progress import CSV_COLUMNS
    assert tuple(rows[0].keys()) == CSV_COLUMNS
    main = repo.resolve("main")
    n_milestones = sum(len(core.read_commitment(repo, main, s.id).milestones) for s in core.list_commitments(repo, main))
    assert len(rows) == 26 + n_milestones
    row = next(x for x in rows if x["commitment"] == CID and x["milestone"] == MILESTONE)
    assert (row["level"], row["level_as_of"], row["overdue"], row["as_of"]) == ("substantial", "2016-05-02", "no", progress.today().isoformat())
    whole = next(x for x in rows if x["commitment"] == CID and x["milestone"] == "")
    assert whole["level"] == "" and whole["last_report"].startswith(progress.today().isoformat())
    old = list(csv.DictReader(io.StringIO(client.get("/progress.csv?as_of=2016-05-01").get_data(as_text=True))))
    assert next(x for x in old if x["commitment"] == CID and x["milestone"] == MILESTONE)["level"] == ""
    assert client.get("/progress.csv?as_of=nope").status_code == 400


def test_json_export_matches_the_api(client, tokens):
    _report(client, tokens)
    j = client.get("/progress.json").get_json()
    assert j == client.get("/api/v1/progress").get_json()
    assert j["levels"] == list(progress.LEVELS) and len(j["commitments"]) == 26


def test_atom_feed_is_valid_atom(client, tokens):
    empty = ET.fromstring(client.get("/progress.atom").data)
    assert empty.tag == f"{ATOM}feed" and empty.find(f"{ATOM}entry") is None and empty.find(f"{ATOM}updated").text
    rep = _report(client, tokens)
    r = client.get("/progress.atom")
    assert r.mimetype == "application/atom+xml"
    feed = ET.fromstring(r.data)
    for tag in ("id", "title", "updated"):
        assert feed.find(f"{ATOM}{tag}").text
    (entry,) = feed.findall(f"{ATOM}entry")
    for tag in ("id", "title", "updated", "content"):
        assert entry.find(f"{ATOM}{tag}").text, tag
    assert entry.find(f"{ATOM}id").text.endswith(f"progress/{CID}/{rep['id']}")
    assert entry.find(f"{ATOM}link").get("href").endswith(f"/commitments/{CID}#r-{rep['id']}")
    assert entry.find(f"{ATOM}author/{ATOM}name").text == "Antoine Girard"
    assert "substantiel" in entry.find(f"{ATOM}title").text
    assert "<strong>ouvert</strong>" in entry.find(f"{ATOM}content").text and URL in entry.find(f"{ATOM}content").text
    dt.datetime.fromisoformat(entry.find(f"{ATOM}updated").text.replace("Z", "+00:00"))


def test_commitment_page_folds_its_log_once(client, tokens, monkeypatch):
    from review import comments
    rep = _report(client, tokens)
    api_post(client, tokens["sophie"], f"{API}/{rep['id']}/answers", {"body": "Rien en ligne", "stance": "contested"})
    api_post(client, tokens["sophie"], f"/api/v1/commitments/{CID}/comments", {"body": "Un fil sur le texte"})
    sign_in(client, "antoine")
    client.get(f"/commitments/{CID}")  # the header's "for you" count, kept while no ref moves, is computed here
    folds = []
    real = comments.fold
    monkeypatch.setattr(comments, "fold", lambda events: folds.append(len(events)) or real(events))
    html = client.get(f"/commitments/{CID}").get_data(as_text=True)
    assert "Rien en ligne" in html and "Un fil sur le texte" in html  # the answer and the thread, from one fold
    assert folds == [3]  # the report, its answer, the thread: the discussion and the progress section share it
