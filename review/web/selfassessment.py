"""The end-of-term self-assessment: the printable page, its CSV and JSON exports and the API.

Views are thin: review.selfassessment reads everything, as of the term's end. The CSV columns
are documented in docs/self-assessment.md.
"""

from __future__ import annotations

from flask import Response, jsonify, render_template, request
from markupsafe import Markup

from .. import progress, render, selfassessment
from ..errors import Invalid
from .errors import ApiError
from .progress import ANSWER_STANCES, LEVEL_NAMES
from .reading import repo


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
                           answer_stances=ANSWER_STANCES, not_reported=selfassessment.NOT_REPORTED,
                           levels=(*progress.LEVELS, selfassessment.NOT_REPORTED),
                           render_note=lambda t, prefix="": Markup(render.render_comment(t, prefix)))


def export_csv():
    a = _report()
    name = f"self-assessment-{a.term.start.isoformat()}-{a.term.end.isoformat()}.csv"
    return Response(selfassessment.to_csv(a), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def export_json():
    return jsonify(_report().as_json())


def api():
    return jsonify(_report().as_json())
