"""CSV for spreadsheets, safe to open: one writer for every export of the site.

A cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to
LibreOffice Calc and Excel: a comment or a progress note written as `=HYPERLINK(...)` would run
in the auditor's spreadsheet. Such a text cell gets a leading apostrophe, as OWASP advises
("CSV injection"); the apostrophe is shown and says the text was quoted. Numbers stay numbers.
Files are UTF-8 with CRLF line ends and one header row.
"""

from __future__ import annotations

import csv
import io

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def table(columns, rows) -> str:
    """The CSV text of a header and rows (iterables of cells)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(columns)
    for row in rows:
        w.writerow([cell(v) for v in row])
    return out.getvalue()
