"""The end-of-term self-assessment: the printable page, its CSV and JSON exports and the API.

Views are thin: review.selfassessment reads everything, as of the term's end. The CSV columns
are documented in docs/self-assessment.md.
"""

from __future__ import annotations

import re
from pathlib import Path

from flask import Response, jsonify, render_template, request
from markupsafe import Markup

from .. import progress, render, selfassessment
from ..errors import Invalid
from .errors import ApiError
from .progress import ANSWER_STANCES, LEVEL_NAMES
from .consulting import OUTCOME_NAMES
from .reading import mention_handles, repo


def _report() -> selfassessment.SelfAssessment:
    """The self-assessment of ?from= .. ?to= (dates or version names); a bad bound is a 400 that names it."""
    try:
        return selfassessment.build(repo(), request.args.get("from") or None, request.args.get("to") or None)
    except Invalid as exc:
        raise ApiError(400, exc) from None


def _args() -> dict:
    """The query that names the same term (kept in the page's export links)."""
    return {k: v for k, v in (("from", request.args.get("from", "").strip()),
                              ("to", request.args.get("to", "").strip())) if v}


def page():
    a = _report()
    return render_template("selfassessment/report.html", a=a, args=_args(), level_names=LEVEL_NAMES,
                           outcome_names=OUTCOME_NAMES,
                           answer_stances=ANSWER_STANCES, not_reported=selfassessment.NOT_REPORTED,
                           levels=(*progress.LEVELS, selfassessment.NOT_REPORTED),
                           render_note=lambda t, prefix="": Markup(render.render_comment(t, prefix, mention_handles())))


def export_csv():
    a = _report()
    name = f"self-assessment-{a.term.start.isoformat()}-{a.term.end.isoformat()}.csv"
    return Response(selfassessment.to_csv(a), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def export_json():
    return jsonify(_report().as_json())


def api():
    return jsonify(_report().as_json())


# -- the page as one file, for `review self-assessment --format html` -------------------------

_STYLESHEET_RE = re.compile(r'<link rel="stylesheet" href="/static/([A-Za-z0-9_./-]+\.css)"( media="print")?>')
_SCRIPT_RE = re.compile(r'\s*<script src="/static/[^"]*"( defer)?></script>')
_LOCAL_LINK_RE = re.compile(r'(href|action)="/(?!/)')


def standalone_page(deployment_dir, start: str | None, end: str | None, lang: str, base_url: str | None) -> str:
    """The page as the site renders it, made to stand alone: its stylesheets inlined, no script,
    and the site's own links made absolute on `base_url` when it is known."""
    from . import create_app
    app = create_app(deployment_dir)
    query = {k: v for k, v in (("from", start), ("to", end), ("lang", lang)) if v}
    response = app.test_client().get("/self-assessment", query_string=query)
    html = response.get_data(as_text=True)
    if response.status_code != 200:
        raise RuntimeError(f"/self-assessment answered {response.status_code}")
    static = Path(app.static_folder)

    def inline(m: re.Match) -> str:
        css = (static / m.group(1)).resolve()
        if static.resolve() not in css.parents or not css.is_file():
            return m.group(0)
        media = m.group(2) or ""
        return f"<style{media}>\n{css.read_text(encoding='utf-8')}\n</style>"

    html = _SCRIPT_RE.sub("", _STYLESHEET_RE.sub(inline, html))
    if base_url:
        html = _LOCAL_LINK_RE.sub(lambda m: f'{m.group(1)}="{base_url.rstrip("/")}/', html)
    return html
