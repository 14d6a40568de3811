"""The public JSON API under /api/v1/ (described by openapi.yaml beside this file)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from flask import g, jsonify, url_for

from .. import commitment as core
from .. import model
from . import pagecache, params
from .errors import ApiError
from .reading import repo


def _commit():
    return core.resolve(repo(), params.rev())


def _summary_json(s, commit: str) -> dict:
    return {"id": s.id, "number": s.number, "title": s.titles, "axis": s.axis, "theme": s.theme,
            "leads": list(s.leads), "path": model.commitment_path(s.id),
            "url": url_for("commitment", cid=s.id, _external=False)}


def _info_json(info) -> dict:
    return {"revision": info.id, "time": info.time.isoformat().replace("+00:00", "Z"),
            "author": {"name": info.author_name, "email": info.author_email},
            "message": info.message.strip(), "parents": list(info.parents)}


@pagecache.cached
def commitments():
    commit = _commit()
    items = core.list_commitments(repo(), commit)
    return jsonify({"revision": commit, "commitments": [_summary_json(s, commit) for s in items]})


@pagecache.cached
def commitment(cid: str):
    r = repo()
    commit = _commit()
    c = core.read_commitment(r, commit, cid)
    files = core.read_files(r, commit, cid)
    return jsonify({
        "id": c.id, "number": c.number, "title": c.titles, "axis": c.axis, "theme": c.theme,
        "leads": list(c.leads), "revision": commit,
        "milestones": [{"id": m.id, "title": m.title, "due": m.due, "lead": m.lead} for m in c.milestones],
        "path": model.commitment_path(cid),
        "text": files[model.AUTHORITATIVE],
        "files": {model.commitment_path(cid, lang): text for lang, text in files.items()},
    })


@pagecache.cached
def commitment_history(cid: str):
    r = repo()
    commit = _commit()
    return jsonify({"id": cid, "changes": [_info_json(i) for i in core.history(r, cid, commit)]})


@pagecache.cached
def people():
    r = repo()
    plan = core.read_plan(r, _commit())
    return jsonify({"people": [
        {"handle": p.handle, "name": p.name, "organisation": p.organisation,
         "organisation_kind": plan.organisations[p.organisation].kind if p.organisation else None,
         "roles": list(p.roles)} for p in plan.people.values()]})


def me():
    """Who the bearer token belongs to: lets a tool check its token."""
    p = g.person
    if p is None:
        raise ApiError(401, "no token: send 'Authorization: Bearer <token>' (create one on your profile page)")
    return jsonify({"handle": p.handle, "name": p.name, "organisation": p.organisation, "roles": list(p.roles)})


@lru_cache(maxsize=1)
def openapi_document() -> dict:
    return yaml.safe_load((Path(__file__).parent / "openapi.yaml").read_text(encoding="utf-8"))


def openapi():
    return jsonify(openapi_document())
