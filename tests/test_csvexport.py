"""CSV exports are safe to open in a spreadsheet: a text that would be a formula is quoted."""

from __future__ import annotations

import csv
import io

from review import commitment as core
from review import csvexport, progress, selfassessment


def test_a_formula_is_quoted_and_plain_values_are_kept():
    text = csvexport.table(("a", "b", "c"), [["=HYPERLINK(\"http://x\")", "+1", 3], ["@SUM(A1)", "-2", "plain"],
                                              ["\tx", "a=b", ""]])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["a", "b", "c"]
    assert rows[1] == ["'=HYPERLINK(\"http://x\")", "'+1", "3"]
    assert rows[2] == ["'@SUM(A1)", "'-2", "plain"]
    assert rows[3] == ["'\tx", "a=b", ""]
    assert text.endswith("\r\n")


def test_a_progress_note_written_as_a_formula_reaches_the_self_assessment_quoted(repo):
    people = core.read_plan(repo, repo.resolve("main")).people
    progress.report(repo, people["antoine"], "engagement-04", "substantial",
                    '=HYPERLINK("http://evil.example","clic")', milestone="observatoire-evaluation")
    text = selfassessment.to_csv(selfassessment.build(repo))
    notes = [row["note"] for row in csv.DictReader(io.StringIO(text)) if row["note"]]
    assert notes == ['\'=HYPERLINK("http://evil.example","clic")']
