"""The self-assessment pages: the printable report in both languages, its CSV and JSON exports,
the API, bad parameters, the link from /progress."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from markupsafe import escape

from review import commitment as core
from review import selfassessment

from .test_selfassessment import CID, M_DEC, TERM, URL, at, lived, people  # noqa: F401 (fixtures)

Q = f"from={TERM[0]}&to={TERM[1]}"


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_page_in_french_and_english(client, lived, repo):
    fr = client.get(f"/self-assessment?{Q}").get_data(as_text=True)
    assert 'lang="fr"' in fr and "Autoévaluation de fin de mandat" in fr
    assert "Période : du 2015-07-16 au 2017-07-15." in _text(fr)
    assert 'class="sa-toc"' in fr and 'href="#sa-engagement-17"' in fr and 'id="sa-engagement-17"' in fr
    assert 'id="sa-figures"' in fr and 'id="sa-amendments"' in fr and 'id="sa-consultations"' in fr
    # the milestone's level and evidence at the term's end, and that it was late
    row = fr[fr.index(f'id="sa-{CID}-{M_DEC}"'):]
    row = row[:row.index("</tr>")]
    assert "achevé" in row and f'href="{URL}"' in row and "<strong>forge</strong>" in row
    assert "achevé en retard" in row and "2016-01-05" in row
    # the contest, its answer and the reply; the amendment merged during the term
    assert "La forge n'est pas ouverte." in fr and "Elle l'est : voir le lien." in fr
    assert "Pendant le mandat" in fr and "Avant le bilan" in fr and "Après le mandat" not in fr
    en = client.get(f"/self-assessment?{Q}&lang=en").get_data(as_text=True)
    assert 'lang="en"' in en and "End-of-term self-assessment" in en and "completed late" in en
    assert "Term: from 2015-07-16 to 2017-07-15." in _text(en)
    titles = {k: str(escape(v)) for k, v in core.read_commitment(repo, repo.resolve("main"), CID).titles.items()}
    assert titles["en"] in en and titles["fr"] not in en and titles["fr"] in fr  # plan text in the reader's language
    # export links keep the term
    assert f'href="/self-assessment.csv?from={TERM[0]}&amp;to={TERM[1]}"' in en


def test_default_term_page(client):
    html = client.get("/self-assessment").get_data(as_text=True)
    assert "adopted-2015-07-16" in html and "Aucune consultation" in html and "Aucun amendement" in html


def test_csv_and_json_exports(client, lived, repo):
    r = client.get(f"/self-assessment.csv?{Q}")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert 'filename="self-assessment-2015-07-16-2017-07-15.csv"' in r.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert tuple(rows[0]) == selfassessment.CSV_COLUMNS
    assert next(x for x in rows if x["milestone"] == M_DEC)["late"] == "yes"
    j = client.get(f"/self-assessment.json?{Q}").get_json()
    assert j == client.get(f"/api/v1/self-assessment?{Q}").get_json()
    assert j == selfassessment.build(repo, *TERM).as_json()
    assert j["figures"]["contested_reports"] == 1 and j["consultations"] == []
    # the language of the reader changes no export
    assert client.get(f"/self-assessment.json?{Q}&lang=en").get_json() == j


def test_versions_as_bounds(client, lived):
    j = client.get("/api/v1/self-assessment?from=adopted-2015-07-16&to=2016-bilan").get_json()
    assert j["term"] == {"from": "2015-07-16", "to": "2016-03-01", "from_version": "adopted-2015-07-16",
                         "to_version": "versions/2016-bilan", "known": "2016-03-01"}


BAD = [
    ("from=16%2F07%2F2015", "selfassessment.bad_bound", "from must be a date", "from doit être une date"),
    ("to=nope", "selfassessment.bad_bound", "not 'nope'", "et non 'nope'"),
    ("from=2017-01-01&to=2016-01-01", "selfassessment.start_after_end", "cannot start (2017-01-01)",
     "ne peut pas commencer (2017-01-01)"),
    ("to=2999-01-01", "progress.future", "is in the future", "futur"),
    ("to=2014-01-01", "progress.before_adoption", "before the plan was adopted", "précède l'adoption"),
    ("from=" + "x" * 500, "selfassessment.bad_bound", "published version", "version publiée"),
]


@pytest.mark.parametrize("query, code, english, french", BAD)
def test_bad_parameters_are_a_clear_400(client, query, code, english, french):
    api = client.get(f"/api/v1/self-assessment?{query}")
    assert api.status_code == 400 and api.get_json()["code"] == code and english in api.get_json()["error"]
    for url in ("/self-assessment.csv", "/self-assessment.json"):
        assert client.get(f"{url}?{query}").status_code == 400
    page = client.get(f"/self-assessment?{query}")
    assert page.status_code == 400 and french in _text(page.get_data(as_text=True)).replace("&#39;", "'")
    en = client.get(f"/self-assessment?{query}&lang=en")
    assert en.status_code == 400 and english in en.get_data(as_text=True).replace("&#39;", "'")


def test_linked_from_the_progress_dashboard(client):
    html = client.get("/progress").get_data(as_text=True)
    assert 'href="/self-assessment"' in html


# -- review self-assessment DIR --out FILE ------------------------------------------------------

def test_cli_writes_html_csv_and_json(deployment_dir, lived, repo, tmp_path, capsys):
    from review import cli
    for fmt in ("html", "csv", "json"):
        out = tmp_path / f"report.{fmt}"
        assert cli.main(["self-assessment", str(deployment_dir), "--out", str(out), "--format", fmt, "--lang", "en",
                         "--from", TERM[0], "--to", TERM[1]]) == 0
        assert f"from 2015-07-16 to 2017-07-15 ({fmt})" in capsys.readouterr().out
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert 'lang="en"' in html and 'class="sa-toc"' in html and "completed late" in html
    assert '<style media="print">' in html and "<script" not in html and 'rel="stylesheet"' not in html
    rows = list(csv.DictReader(io.StringIO((tmp_path / "report.csv").read_text(encoding="utf-8"))))
    assert next(x for x in rows if x["milestone"] == M_DEC)["late"] == "yes"
    assert json.loads((tmp_path / "report.json").read_text(encoding="utf-8")) == \
        selfassessment.build(repo, *TERM).as_json()


def test_cli_refuses_a_bad_term_and_writes_nothing(deployment_dir, tmp_path, capsys):
    from review import cli
    out = tmp_path / "report.html"
    assert cli.main(["self-assessment", str(deployment_dir), "--out", str(out), "--to", "nope"]) == 1
    assert "to must be a date written YYYY-MM-DD" in capsys.readouterr().err and not out.exists()
    assert cli.main(["self-assessment", str(deployment_dir), "--out", str(tmp_path / "no" / "x.csv")]) == 1
    assert "must be a file in an existing folder" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["dep"]  # the deployment only: no report, no temporary file
