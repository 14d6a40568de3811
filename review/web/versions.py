"""Published versions: /versions (list, publish, downloads) and GET/POST /api/v1/versions."""

from __future__ import annotations

import threading
from urllib.parse import urlencode

from flask import abort, current_app, flash, g, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from .. import commitment as core
from .. import model, publish, versions
from ..errors import ReviewError
from ..permissions import can
from .auth import allowed
from .errors import ApiError, api_write, json_object
from .i18n import current_lang
from .messages import localise
from .reading import repo

CACHE_DIR = "publish-cache"
_building = threading.Lock()  # one build at a time per worker: a PDF takes seconds and a core


def _downloads(v: versions.Version) -> dict:
    return {f: url_for("version_download", name=v.name, filename=f) for f in publish.DOWNLOADS}


def compare_url(a: str, b: str, external: bool = False) -> str:
    """The comparison of two revisions (/compare, CONTRACT.md)."""
    root = request.url_root if external else request.script_root + "/"
    return root + "compare?" + urlencode({"from": a, "to": b})


def _version_json(v: versions.Version) -> dict:
    out = v.as_json()
    out["downloads"] = {f: url_for("version_download", name=v.name, filename=f, _external=True)
                        for f in publish.DOWNLOADS}
    out["compare_with_main"] = compare_url(v.name, "main", external=True)
    return out


def _form() -> dict:
    f = request.form
    return {"name": (f.get("name") or "").strip()[:200], "target": (f.get("target") or "").strip()[:200],
            "notes_fr": (f.get("notes_fr") or "")[:versions.MAX_NOTES + 100],
            "notes_en": (f.get("notes_en") or "")[:versions.MAX_NOTES + 100]}


def _list_page(form: dict):
    r = repo()
    return render_template("versions/list.html", versions=versions.list_versions(r), downloads=_downloads,
                           compare=compare_url, lang=current_lang(), main=core.resolve(r, "main"), form=form,
                           can_publish=can(g.person, "publish_version"))


def page():
    return _list_page({})


def publish_version():
    """A coordinator publishes a version; a second step (without JavaScript) asks first."""
    if not allowed("publish_version"):
        return redirect(url_for("versions_page"))
    r = repo()
    form = _form()
    notes = {"fr": form["notes_fr"], "en": form["notes_en"]}
    try:
        name = versions.check_name(form["name"])
        versions.check_notes(notes)
        if request.form.get("confirm") != "yes":
            target = form["target"] or core.resolve(r, "main")
            return render_template("versions/confirm.html", form=form, name=name, target=target)
        v = versions.publish_version(r, g.person, name, form["target"], notes)
    except ReviewError as exc:
        flash(localise(exc), "error")
        return _list_page(form), exc.status
    flash(_("Version %(name)s published: revision %(rev)s, tag %(tag)s", name=v.short_name, rev=v.commit[:7],
            tag=v.name), "info")
    return redirect(url_for("versions_page") + f"#version-{v.name.replace('/', '-')}")


def _cache() -> publish.DownloadCache:
    folder = current_app.extensions["review.deployment"].instance_path / CACHE_DIR
    return publish.DownloadCache(folder, int(current_app.config.get("PUBLISH_CACHE_BYTES", 256 * 1024 * 1024)))


def base_url() -> str:
    """The public address the books link back to: BASE_URL, else the address of this request."""
    return publish.check_base_url(current_app.config.get("BASE_URL")) or request.url_root.rstrip("/")


def download(name: str, filename: str):
    """The PDF, EPUB or zipped static site of a published version, built on first demand."""
    if filename not in publish.DOWNLOADS or len(name) > 200:
        abort(404)
    r = repo()
    v = versions.get(r, name)
    if v is None:
        abort(404)
    try:
        with _building:
            path = _cache().get(r, v.commit, v.name, filename, base_url())
    except publish.PublishError as exc:   # a damaged object at that revision, a bad BASE_URL
        current_app.logger.error("cannot build %s of %s: %s", filename, v.name, exc)
        abort(503)
    kind = {"pdf": "application/pdf", "epub": "application/epub+zip", "zip": "application/zip"}[filename.rsplit(".", 1)[1]]
    label = v.name.replace("/", "-")
    return send_file(path, mimetype=kind, as_attachment=True, download_name=f"{label}-{filename}", max_age=300)


def api_list():
    return jsonify({"versions": [_version_json(v) for v in versions.list_versions(repo())]})


def api_publish():
    body = json_object()
    unknown = set(body) - {"name", "target", "notes"}
    if unknown:
        raise ApiError(400, f"unknown field(s): {', '.join(sorted(unknown))}; send name, notes {{fr, en}} and target")
    notes = body.get("notes")
    if not isinstance(notes, dict) or not all(isinstance(notes.get(k, ""), str) for k in model.LANGUAGES):
        raise ApiError(400, "notes must be an object {\"fr\": \"...\", \"en\": \"...\"}")
    name, target = body.get("name"), body.get("target")
    if not isinstance(name, str) or (target is not None and not isinstance(target, str)):
        raise ApiError(400, "name must be a string, and target (optional) a commit of main")
    v = api_write(versions.publish_version, name, target, notes)
    return jsonify(_version_json(v)), 201
