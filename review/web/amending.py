"""Amendments and their sign-off: pages, forms and the JSON API. Views call the core."""

from __future__ import annotations

import yaml
from flask import abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from .. import amendments as am
from .. import commitment as core
from .. import drafting, model, render, signoff
from ..errors import Damaged, Invalid, ReviewError
from .auth import allowed, require, require_signed_in
from . import params
from .errors import ApiError, api_write, json_object
from .messages import localise
from .i18n import current_lang
from .messages import localise
from .reading import repo

STATES = ("open", "withdrawn", "rejected", "merged")


# -- helpers -------------------------------------------------------------------------------

def _number(n: str) -> int:
    if not n.isdigit() or len(n) > 9:
        raise core.NotFound(f"there is no amendment {n!r}")
    return int(n)


def _get(n: str) -> am.Amendment:
    try:
        return am.get(repo(), _number(n))
    except Damaged:
        raise  # the page says what is damaged (503), not "no such amendment"
    except ReviewError as exc:
        raise core.NotFound(exc.message) from None




def _fields(d: dict, allowed: set[str]) -> None:
    unknown = set(d) - allowed
    if unknown:
        raise ApiError(400, f"unknown fields: {', '.join(sorted(unknown))} (allowed: {', '.join(sorted(allowed))})")


def amendment_json(a: am.Amendment, detail: bool = False) -> dict:
    r = repo()
    out = {"number": a.number, "commitment": a.commitment, "title": a.title, "author": a.author,
           "state": a.state, "state_reason": a.state_reason, "opened": a.opened, "revision": a.head,
           "url": url_for("amendment", n=a.number)}
    if detail:
        base = am.base_of(r, a)
        out.update({
            "rationale": a.rationale, "base": base, "behind_main": am.behind_main(r, a),
            "revisions": [{"revision": v.id, "time": v.time, "author": v.author, "message": v.message,
                           "merge_of_main": v.is_merge} for v in a.revisions],
            "diff": [{"path": ch.path, "summary": ch.summary, "mode": mode_json(ch),
                      "words": dict(zip(("inserted", "deleted"), render.diff_stats(render.word_diff(ch.old, ch.new))))}
                     for ch in am.compare(r, base, a.head)],
            "overlaps": [{"number": n, "path": p} for n, p in am.overlaps(r, a)],
            "merged_as": a.merged_as,
        })
    return out


# -- API ------------------------------------------------------------------------------------

def api_list():
    state = request.args.get("state") or None
    if state and state not in STATES:
        raise ApiError(400, f"state must be one of {', '.join(STATES)}")
    items = am.list_all(repo(), state=state, commitment=request.args.get("commitment") or None,
                        author=request.args.get("author") or None)
    return jsonify({"amendments": [amendment_json(a) for a in items]})


def api_propose():
    d = json_object()
    _fields(d, {"commitment", "title", "rationale", "files"})
    if not isinstance(d.get("commitment"), str):
        raise ApiError(400, "commitment must be a commitment id (or 'plan' for plan.yaml)")
    a = api_write(am.propose, d["commitment"], d.get("title"), d.get("rationale", ""), d.get("files"))
    return jsonify(amendment_json(a, detail=True)), 201


def api_get(n: str):
    return jsonify(amendment_json(_get(n), detail=True))


def api_revise(n: str):
    d = json_object()
    _fields(d, {"files", "expected_revision", "message"})
    a = api_write(am.revise, _number(n), d.get("files"), d.get("expected_revision"), d.get("message"))
    return jsonify(amendment_json(a, detail=True)), 201


def api_withdraw(n: str):
    d = request.get_json(silent=True) or {}
    return jsonify(amendment_json(api_write(am.withdraw, _number(n), d.get("reason")), detail=True))


def api_reopen(n: str):
    return jsonify(amendment_json(api_write(am.reopen, _number(n)), detail=True))


def api_reject(n: str):
    return jsonify(amendment_json(api_write(am.reject, _number(n), json_object().get("reason")), detail=True))


def api_update(n: str):
    d = request.get_json(silent=True) or {}
    a, conflicts = api_write(am.update_from_main, _number(n), d.get("resolutions"), d.get("expected_revision"))
    if conflicts:
        return jsonify({"error": "the plan changed the same passages: send 'resolutions' with the resolved "
                                 "full text of each conflicting file", "conflicts": conflicts}), 409
    return jsonify(amendment_json(a, detail=True))


def api_policy(n: str):
    return jsonify(signoff.evaluate(repo(), _get(n)).as_json())


def api_approve(n: str):
    d = json_object()
    _fields(d, {"revision", "verdict", "comment"})
    ev = api_write(signoff.give_verdict, _number(n), d.get("revision"), d.get("verdict"), d.get("comment"))
    return jsonify(ev.as_json()), 201


def api_merge(n: str):
    d = json_object()
    _fields(d, {"revision"})
    commit = api_write(signoff.merge, _number(n), d.get("revision"))
    return jsonify({**amendment_json(_get(n), detail=True), "merge": commit}), 201


# -- pages ------------------------------------------------------------------------------------

def list_page():
    state = request.args.get("state") or None
    if state not in (None, *STATES):
        state = None
    r = repo()
    unreadable: list = []
    items = am.list_all(r, state=state, commitment=request.args.get("commitment") or None,
                        author=request.args.get("author") or None, unreadable=unreadable)
    everything = am.list_all(r)
    counts = {s: sum(1 for a in everything if a.state == s) for s in STATES}
    main = core.resolve(r, "main")
    return render_template("amendments/list.html", items=items, counts=counts, state=state,
                           unreadable=[(n, localise(why)) for n, why in unreadable],
                           commitments=core.list_commitments(r, main), plan=core.read_plan(r, main),
                           filters={"commitment": request.args.get("commitment", ""),
                                    "author": request.args.get("author", "")})


def _diff_rows(changes, side: bool):
    """(rows, coarse): each changed file's changed blocks with one block of context (None marks a
    gap); coarse when some change is shown as whole paragraphs (render.word_diff caps its work)."""
    import html as _html
    rows, coarse = [], False
    for ch in changes:
        pairs = drafting.around_changes(drafting.aligned_blocks(ch.old, ch.new))
        cells, parts = [], []
        for p in pairs:
            if p is None:
                cells.append(None)
                parts.append("…")
            elif p[0] == p[1]:
                cells.append((Markup(_html.escape(p[0])), Markup(_html.escape(p[1]))))
                parts.append(_html.escape(p[0]))
            elif p[0] is None or p[1] is None:
                cells.append(tuple(Markup(x) for x in drafting.side_cells(p[0], p[1])))
                parts.append(render.diff_html(render.word_diff(p[0] or "", p[1] or "")))
            else:
                d = render.word_diff(p[0], p[1])
                coarse = coarse or d.coarse
                cells.append(tuple(Markup(x) for x in render.side_html(d)))
                parts.append(render.diff_html(d))
        rows.append((ch, cells if side else Markup("\n\n".join(parts))))
    return rows, coarse


def page(n: str):
    a = _get(n)
    r = repo()
    main = core.resolve(r, "main")
    base = am.base_of(r, a)
    against = request.args.get("against", "base")
    frm, to = base, a.head
    if against == "main":
        frm = main
    elif against == "revisions":
        ids = [v.id for v in a.revisions]
        frm = request.args.get("from") if request.args.get("from") in ids else base
        to = request.args.get("to") if request.args.get("to") in ids else a.head
    side = request.args.get("view") == "side"
    changes = am.compare(r, frm, to)
    rows, coarse = _diff_rows(changes, side)
    ev = signoff.evaluate(r, a)
    plan = core.read_plan(r, main)
    me = g.person
    can_verdict = signoff.can_give_verdict(r, me, a, ev)  # the template explains the author's-organisation rule
    own_organisation = can_verdict and signoff.own_organisation_excluded(plan, me, a.author, [s.scope for s in ev.scopes])
    return render_template(
        "amendments/page.html", **_discussion(r, a), a=a, changes=rows, coarse=coarse, side=side, against=against,
        frm=frm, to=to, base=base, behind=am.behind_main(r, a), overlaps=am.overlaps(r, a), ev=ev, plan=plan,
        can_verdict=can_verdict, own_organisation=own_organisation, titles=_titles(r, main), mode_name=am.mode_name, rationale=Markup(render.render_comment(a.rationale)) if a.rationale else "",
        commitment=_commitment_or_none(r, main, a.commitment), all_commitments=core.list_commitments(r, main))


THREADS_PER_PAGE = 50


def _discussion(r, a: am.Amendment) -> dict:
    """The amendment's comment threads, placed on its current text (same machinery as commitments)."""
    from types import SimpleNamespace
    from .. import comments, reviewlog, visits
    from . import threads
    lang = current_lang()
    summary, roots = comments.overview(r, a.commitment, reviewlog.amendment_log(a.number))
    c = _commitment_or_none(r, a.head, a.commitment)
    paragraphs = []
    if c is not None:
        text = c.body_in(lang)
        comments.place(roots, text, r.blob_id(a.head, model.commitment_path(a.commitment, lang)))
        paragraphs = [(f"p-{i + 1}", render.plain_text(b.text)[:70]) for i, b in enumerate(render.source_blocks(text))]
    page = params.page()
    return {"c": c or SimpleNamespace(id=a.commitment), "threads": roots[(page - 1) * THREADS_PER_PAGE: page * THREADS_PER_PAGE],
            "total": len(roots), "page": page, "pages": max(1, -(-len(roots) // THREADS_PER_PAGE)),
            "paragraphs": paragraphs, "version": {"commit": a.head}, "draft": request.args.get("draft", ""),
            "draft_anchor": request.args.get("anchor", ""), "counts": {},
            "comment_base": url_for("amendment", n=a.number) + "/comments",
            "comment_page_url": lambda p: url_for("amendment", n=a.number, page=p),
            "render_comment": lambda t, prefix="": Markup(render.render_comment(t, prefix)),
            "resolved_total": summary.resolved,
            **threads.news(visits.amendment_subject(a.number), roots, summary.last_seq)}


def _titles(r, main) -> dict[str, str]:
    """Commitment id -> "N. title" in the reader's language, to name the targets of a sign-off."""
    lang = current_lang()
    return {s.id: f"{s.number}. {s.title_in(lang)}" for s in core.list_commitments(r, main)}


def mode_json(ch) -> dict | None:
    """A file's mode change as the API shows it (None when the mode did not change)."""
    if not ch.mode_changed:
        return None
    return {"old": am.mode_name(ch.old_mode), "new": am.mode_name(ch.new_mode)}


def _commitment_or_none(r, commit, cid):
    try:
        return core.read_commitment(r, commit, cid)
    except core.NotFound:
        return None


# -- the editor --------------------------------------------------------------------------------

_split, _join = model.split_source, model.join_source


def _dump(data: dict) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)


def _editor_state(r, commit: str, cid: str) -> dict:
    files = {lang: model.normalise_newlines(t) for lang, t in core.read_files(r, commit, cid).items()}
    fr_fm, _, fr_body = _split(files["fr"])
    meta = model.load_yaml(fr_fm, model.commitment_path(cid), 2)
    en_title, en_body = "", ""
    if "en" in files:
        en_fm, _, en_body = _split(files["en"])
        en_title = (model.load_yaml(en_fm, model.commitment_path(cid, "en"), 2) or {}).get("title", "")
    return {"files": files, "meta": meta, "title_fr": meta.get("title", ""), "title_en": en_title,
            "body_fr": fr_body, "body_en": en_body, "leads": list(meta.get("leads", [])),
            "milestones": [dict(m) for m in meta.get("milestones", [])]}


def _form_state(state: dict) -> dict:
    """The editor's fields as posted (kept on error so nothing typed is lost)."""
    f = request.form
    ms = []
    for i in range(int(f.get("milestone_rows", "0") or 0)):
        row = {k: f.get(f"ms_{k}_{i}", "").strip() for k in ("id", "title_fr", "title_en", "due", "lead")}
        if any(row.values()):
            ms.append(row)
    return {**state, "title_fr": f.get("title_fr", ""), "title_en": f.get("title_en", ""),
            "body_fr": f.get("body_fr", "").replace("\r\n", "\n"), "body_en": f.get("body_en", "").replace("\r\n", "\n"),
            "leads": f.getlist("leads"), "milestone_rows": ms,
            "amendment_title": f.get("amendment_title", ""), "rationale": f.get("rationale", ""),
            "message": f.get("message", "")}


def _milestones_from_rows(rows: list[dict]) -> list[dict]:
    out = []
    for row in rows:
        m = {"id": row["id"], "title": {"fr": row["title_fr"], "en": row["title_en"]} if row["title_en"] else {"fr": row["title_fr"]}}
        if row["due"]:
            m["due"] = row["due"]
        if row["lead"]:
            m["lead"] = row["lead"]
        out.append(m)
    return out


def _normalised(ms: list[dict]) -> list[dict]:
    return [{k: (str(v) if k == "due" else v) for k, v in m.items()} for m in ms]


def _texts_from_form(state: dict, cid: str) -> dict[str, str]:
    """The full new text of each file the editor changed."""
    files = state["files"]
    fr_fm, fr_sep, fr_body = _split(files["fr"])
    meta = dict(state["meta"])
    new_meta = dict(meta)
    new_meta["title"] = state["title_fr"].strip()
    new_meta["leads"] = state["leads"]
    new_ms = _milestones_from_rows(state["milestone_rows"])
    if new_ms or meta.get("milestones"):
        if new_ms != _normalised(meta.get("milestones", [])):
            new_meta["milestones"] = new_ms
    if not new_ms:
        new_meta.pop("milestones", None)
    fm = fr_fm if new_meta == meta else _dump(new_meta)
    out = {model.commitment_path(cid): _join(fm, fr_sep, state["body_fr"])}
    if files.get("en") or state["body_en"].strip() or state["title_en"].strip():
        if files.get("en"):
            en_fm, en_sep, _ = _split(files["en"])
            old_title = (model.load_yaml(en_fm, model.commitment_path(cid, "en"), 2) or {}).get("title", "")
            en_fm = en_fm if state["title_en"].strip() == old_title else _dump({"title": state["title_en"].strip()})
        else:
            en_fm, en_sep = _dump({"title": state["title_en"].strip()}), "\n"
        out[model.commitment_path(cid, "en")] = _join(en_fm, en_sep, state["body_en"])
    return {p: t for p, t in out.items() if t != files.get(p.rsplit("/", 1)[1][:2])}


def _render_editor(cid, state, commit, plan, a=None, preview=None, status=200):
    r = repo()
    c = core.read_commitment(r, commit, cid)
    return render_template("amendments/editor.html", cid=cid, c=c, s=state, plan=plan, a=a, preview=preview,
                           base_commit=commit, signoff_targets=_editor_targets(r, a, cid)), status


def _editor_targets(r, a, cid) -> list[str]:
    """What the amendment will touch once this commitment is saved in it: when that is more
    than the commitment it was opened on, the editor says whose sign-off will then apply."""
    if a is None:
        return []
    _, targets = am.touched(r, a)
    after = set(targets) | {cid}
    return am.targets_of([f"commitments/{t}/" if t != am.PLAN_TARGET else model.PLAN_PATH
                          for t in after]) if after != {a.commitment} else []


def _rows(state):
    return state.get("milestone_rows") or [
        {"id": m.get("id", ""), "title_fr": m.get("title", {}).get("fr", ""), "title_en": m.get("title", {}).get("en", ""),
         "due": str(m.get("due", "") or ""), "lead": m.get("lead", "") or ""} for m in state["milestones"]]


def editor(cid: str, n: str | None = None):
    """Propose an amendment to a commitment, or (with n) revise it."""
    require("propose_amendment")
    r = repo()
    a = _get(n) if n else None
    if a is not None:
        require("revise_amendment", a.subject())
    commit = a.head if a else core.resolve(r, "main")
    try:
        state = _editor_state(r, commit, cid)
    except core.NotFound:
        raise core.NotFound(f"no commitment {cid!r} to amend") from None
    plan = core.read_plan(r, commit)
    state["milestone_rows"] = _rows(state)
    if request.method == "GET":
        state.update({"amendment_title": "", "rationale": "", "message": ""})
        return _render_editor(cid, state, commit, plan, a)
    posted = _form_state(state)
    if a is not None and request.form.get("expected_revision") != a.head:
        flash(_("This amendment changed since you opened it: your text is kept below; compare it with the "
                "current revision and save again."), "error")
        return _render_editor(cid, posted, commit, plan, a, status=409)
    texts = _texts_from_form(posted, cid)
    if request.form.get("action") == "preview":
        preview = {"fr": Markup(render.render_markdown(posted["body_fr"], anchors=False)),
                   "en": Markup(render.render_markdown(posted["body_en"], anchors=False)),
                   "summary": [s for p, t in texts.items() if p.endswith("fr.md")
                               for s in drafting.drafting_summary(posted["files"]["fr"], t)]}
        return _render_editor(cid, posted, commit, plan, a, preview=preview)
    try:
        if a is None:
            a = am.propose(r, g.person, cid, posted["amendment_title"], posted["rationale"], texts)
            flash(_("Amendment %(n)d is open.", n=a.number), "info")
        else:
            if not texts:
                raise Invalid(_("nothing changed compared to the current revision"))
            a = am.revise(r, g.person, a.number, texts, request.form.get("expected_revision"), posted["message"])
            flash(_("A new revision of amendment %(n)d is saved.", n=a.number), "info")
    except ReviewError as exc:
        flash(localise(exc.message), "error")
        return _render_editor(cid, posted, commit, plan, a if n else None, status=exc.status)
    return redirect(url_for("amendment", n=a.number))


def revise_editor(n: str):
    """?file= names what to edit in the amendment: a commitment id, or pages/<slug> for a page."""
    a = _get(n)
    target = request.args.get("file") or request.form.get("file") or a.commitment
    if target.startswith(model.PAGES_DIR + "/"):
        return page_editor(target[len(model.PAGES_DIR) + 1:], n)
    if target == am.PLAN_TARGET or not model.valid_id(target):
        abort(404)
    return editor(target, n)


def _page_state(r, commit: str, slug: str) -> dict:
    fr = r.read_file(commit, model.page_path(slug)) if model.valid_id(slug) else None
    if fr is None:
        raise core.NotFound(f"no page {slug!r} at this revision")
    files = {"fr": fr.decode("utf-8")}
    en = r.read_file(commit, model.page_path(slug, "en"))
    if en is not None:
        files["en"] = en.decode("utf-8")
    fr_fm, _, fr_body = _split(files["fr"])
    en_title, en_body = "", ""
    if "en" in files:
        en_fm, _, en_body = _split(files["en"])
        en_title = (model.load_yaml(en_fm, model.page_path(slug, "en"), 2) or {}).get("title", "")
    meta = model.load_yaml(fr_fm, model.page_path(slug), 2) or {}
    return {"files": files, "meta": meta, "title_fr": meta.get("title", ""),
            "title_en": en_title, "body_fr": fr_body, "body_en": en_body}


def _page_texts(state: dict, posted: dict, slug: str) -> dict[str, str]:
    """The full new text of each language file of the page that the form changed."""
    files = state["files"]
    fr_fm, fr_sep, _ = _split(files["fr"])
    if posted["title_fr"].strip() != state["title_fr"]:
        fr_fm = _dump({**state["meta"], "title": posted["title_fr"].strip()})
    out = {model.page_path(slug): _join(fr_fm, fr_sep, posted["body_fr"])}
    if files.get("en") or posted["body_en"].strip() or posted["title_en"].strip():
        en_fm, en_sep = (_split(files["en"])[:2] if files.get("en") else ("", "\n"))
        if not files.get("en") or posted["title_en"].strip() != state["title_en"]:
            en_fm = _dump({"title": posted["title_en"].strip()})
        out[model.page_path(slug, "en")] = _join(en_fm, en_sep, posted["body_en"])
    return {p: t for p, t in out.items() if t != files.get(p.rsplit("/", 1)[1][:2])}


def page_editor(slug: str, n: str | None = None):
    """Propose an amendment to a page of the plan (signed off by the plan-level policy), or
    (with n) revise one."""
    require("propose_amendment")
    r = repo()
    a = _get(n) if n else None
    if a is not None:
        require("revise_amendment", a.subject())
    commit = a.head if a else core.resolve(r, "main")
    state = _page_state(r, commit, slug)
    posted = dict(state, amendment_title="", rationale="", message="")
    if request.method == "POST":
        f = request.form
        posted.update({k: f.get(k, "").replace("\r\n", "\n") for k in
                       ("title_fr", "title_en", "body_fr", "body_en", "amendment_title", "rationale", "message")})
        try:
            texts = _page_texts(state, posted, slug)
            if a is None:
                a = am.propose(r, g.person, am.PLAN_TARGET, posted["amendment_title"], posted["rationale"], texts)
                flash(_("Amendment %(n)d is open.", n=a.number), "info")
            else:
                if not texts:
                    raise Invalid(_("nothing changed compared to the current revision"))
                a = am.revise(r, g.person, a.number, texts, f.get("expected_revision"), posted["message"])
                flash(_("A new revision of amendment %(n)d is saved.", n=a.number), "info")
            return redirect(url_for("amendment", n=a.number))
        except ReviewError as exc:
            flash(localise(exc.message), "error")
            return render_template("amendments/page_editor.html", slug=slug, s=posted, a=a if n else None), exc.status
    return render_template("amendments/page_editor.html", slug=slug, s=posted, a=a)


_ACT_RIGHTS = {"withdraw": "withdraw_amendment", "reopen": "reopen_amendment", "reject": "reject_amendment",
               "update": "update_amendment", "approve": "approve_amendment", "object": "approve_amendment",
               "withdraw-verdict": "approve_amendment", "merge": "merge_amendment"}


_CONFIRMED = ("withdraw", "reject", "merge")  # cannot be undone: a second step asks first


def act(n: str, action: str):
    """Withdraw, reopen, reject, update with main, approve or object, merge: one form each."""
    if action not in _ACT_RIGHTS:
        abort(404)
    a = _get(n)
    number = a.number
    if not allowed(_ACT_RIGHTS[action], a.subject()):
        return redirect(url_for("amendment", n=number))
    r = repo()
    f = request.form
    if action in _CONFIRMED and f.get("confirm") != "yes":
        # the second step, without JavaScript: the same form again, with what will happen
        kept = [(k, v) for k, v in f.items() if k not in ("csrf_token", "confirm")]
        return render_template("amendments/confirm.html", a=a, action=action, kept=kept)
    done = _("Done.")
    try:
        if action == "withdraw":
            am.withdraw(r, g.person, number, f.get("reason"))
            done = _("Amendment %(n)d withdrawn.", n=number)
        elif action == "reopen":
            am.reopen(r, g.person, number)
        elif action == "reject":
            am.reject(r, g.person, number, f.get("reason", ""))
            done = _("Amendment %(n)d rejected: %(reason)s", n=number, reason=f.get("reason", ""))
        elif action == "update":
            resolutions = {k[len("resolve:"):]: v.replace("\r\n", "\n") for k, v in f.items() if k.startswith("resolve:")}
            a, conflicts = am.update_from_main(r, g.person, number, resolutions or None, f.get("expected_revision"))
            if conflicts:
                flash(_("The plan changed the same passages: resolve each conflict below, then save."), "error")
                return render_template("amendments/conflicts.html", a=a, conflicts=conflicts), 409
        elif action in ("approve", "object", "withdraw-verdict"):
            verdict = "withdraw" if action == "withdraw-verdict" else action
            signoff.give_verdict(r, g.person, number, f.get("revision", ""), verdict, f.get("comment") or None)
        elif action == "merge":
            commit = signoff.merge(r, g.person, number, f.get("revision", ""))
            done = _("Amendment %(n)d merged into the plan: revision %(rev)s", n=number, rev=commit[:7])
        else:
            abort(404)
        flash(done, "info")
    except ReviewError as exc:
        flash(localise(exc.message), "error")
    return redirect(url_for("amendment", n=number))


def pending():
    require_signed_in()  # the list is the acting person's own: empty for those who approve nothing
    items = signoff.pending_for(repo(), g.person)
    return render_template("amendments/pending.html", items=items)
