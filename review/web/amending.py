"""Amendments and their sign-off: pages, forms and the JSON API. Views call the core."""

from __future__ import annotations

from flask import abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from ..lru import LRU

from .. import amendments as am
from .. import commitment as core
from .. import consultations, drafting, frontmatter, model, render, reviewlog, signoff
from ..errors import Damaged, Invalid, ReviewError
from .auth import allowed, require, require_signed_in
from . import fragments, pagecache, params
from .. import cursors
from .errors import ApiError, api_write, json_object
from .i18n import current_lang
from .messages import localise
from .reading import mention_handles, repo

STATES = ("open", "withdrawn", "rejected", "merged")


# -- helpers -------------------------------------------------------------------------------

def _get(n: str) -> am.Amendment:
    try:
        return am.get(repo(), params.amendment_number(n))
    except Damaged:
        raise  # the page says what is damaged (503), not "no such amendment"
    except ReviewError as exc:
        raise core.NotFound(exc.text or exc.message) from None




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
            "diff": [{"path": ch.path, "summary": ch.summary, "summary_en": ch.summary_en, "mode": mode_json(ch),
                      "words": dict(zip(("inserted", "deleted"), render.diff_stats(render.word_diff(ch.old, ch.new))))}
                     for ch in am.compare(r, base, a.head)],
            "overlaps": [{"number": n, "path": p} for n, p in am.overlaps(r, a)],
            "merged_as": a.merged_as,
        })
    return out


# -- API ------------------------------------------------------------------------------------

def _cursor() -> tuple[int | None, int]:
    """`?after=&limit=` of a list of amendments (review/cursors.py)."""
    try:
        after = cursors.decode(request.args.get("after"), (int,))
        return (after[0] if after else None), cursors.limit(request.args.get("limit"))
    except ReviewError as exc:
        raise ApiError(exc.status, exc.text or exc.message) from None


@pagecache.cached
def api_list():
    state = request.args.get("state") or None
    if state and state not in STATES:
        raise ApiError(400, f"state must be one of {', '.join(STATES)}")
    filters = {"state": state, "commitment": request.args.get("commitment") or None,
               "author": request.args.get("author") or None}
    if "after" in request.args or "limit" in request.args:  # a page read with a cursor
        after, limit = _cursor()
        items, nxt = am.list_page(repo(), after, limit, **filters)
        return jsonify({"amendments": [amendment_json(a) for a in items], "limit": limit, "next": nxt})
    items = am.list_all(repo(), **filters)  # the whole list, as before cursors
    return jsonify({"amendments": [amendment_json(a) for a in items], "next": None})


def api_propose():
    d = json_object({"commitment", "title", "rationale", "files"})
    if not isinstance(d.get("commitment"), str):
        raise ApiError(400, "commitment must be a commitment id (or 'plan' for plan.yaml)")
    a = api_write(am.propose, d["commitment"], d.get("title"), d.get("rationale", ""), d.get("files"))
    return jsonify(amendment_json(a, detail=True)), 201


@pagecache.cached
def api_get(n: str):
    return jsonify(amendment_json(_get(n), detail=True))


def api_revise(n: str):
    d = json_object({"files", "expected_revision", "message"})
    a = api_write(am.revise, params.amendment_number(n), d.get("files"), d.get("expected_revision"), d.get("message"))
    return jsonify(amendment_json(a, detail=True)), 201


def api_withdraw(n: str):
    d = request.get_json(silent=True) or {}
    return jsonify(amendment_json(api_write(am.withdraw, params.amendment_number(n), d.get("reason")), detail=True))


def api_reopen(n: str):
    return jsonify(amendment_json(api_write(am.reopen, params.amendment_number(n)), detail=True))


def api_reject(n: str):
    return jsonify(amendment_json(api_write(am.reject, params.amendment_number(n), json_object().get("reason")), detail=True))


def api_update(n: str):
    d = request.get_json(silent=True) or {}
    a, conflicts = api_write(am.update_from_main, params.amendment_number(n), d.get("resolutions"), d.get("expected_revision"))
    if conflicts:
        return jsonify({"error": "the plan changed the same passages: send 'resolutions' with the resolved "
                                 "full text of each conflicting file", "conflicts": conflicts}), 409
    return jsonify(amendment_json(a, detail=True))


def api_policy(n: str):
    a = _get(n)
    ev = signoff.evaluate(repo(), a)
    return jsonify({**ev.as_json(), "unmet": [u.as_json() for u in signoff.explain(repo(), a, ev)]})


def api_approve(n: str):
    d = json_object({"revision", "verdict", "comment"})
    ev = api_write(signoff.give_verdict, params.amendment_number(n), d.get("revision"), d.get("verdict"), d.get("comment"))
    return jsonify(ev.as_json()), 201


def api_merge(n: str):
    d = json_object({"revision"})
    commit = api_write(signoff.merge, params.amendment_number(n), d.get("revision"))
    return jsonify({**amendment_json(_get(n), detail=True), "merge": commit}), 201


# -- pages ------------------------------------------------------------------------------------

@pagecache.cached
def list_page():
    state = request.args.get("state") or None
    if state not in (None, *STATES):
        state = None
    r = repo()
    unreadable: list = []
    after, limit = _cursor()
    items, nxt = am.list_page(r, after, limit, state=state, commitment=request.args.get("commitment") or None,
                              author=request.args.get("author") or None, unreadable=unreadable)
    counts = am.state_counts(r)
    counts = {s: counts.get(s, 0) for s in STATES}
    main = core.resolve(r, "main")
    return render_template("amendments/list.html", items=items, counts=counts, state=state, next=nxt,
                           after=request.args.get("after"), limit=request.args.get("limit"),
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


@pagecache.cached
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
    why_not_me = None
    if me is not None and a.state == "open" and not can_verdict:
        reason = signoff.why_no_verdict(r, me, a)
        why_not_me = localise(reason) if reason else None
    discussion = _discussion(r, a)
    moderated = consultations.hidden_amendment(r, a)  # a contribution hidden by moderation: a stub
    # rendered once per log tip, amendment head, main (people and roles), reader and unread
    # markers (review/web/fragments.py)
    parts = (r.path, a.number, r.ref_target(reviewlog.amendment_log(a.number)), a.head, main,
             frozenset(discussion["unread"]), discussion["last_visit"])
    discussion["discussion_html"] = fragments.cached(
        "amendment-discussion", parts, lambda: render_template("plan/_comments.html", **discussion))
    return render_template(
        "amendments/page.html", **discussion, a=a, changes=rows, coarse=coarse, side=side, against=against,
        frm=frm, to=to, base=base, behind=am.behind_main(r, a), overlaps=am.overlaps(r, a), ev=ev, plan=plan,
        can_verdict=can_verdict, own_organisation=own_organisation, why_not_me=why_not_me,
        unmet=signoff.explain(r, a, ev) if a.state == "open" else [], titles=_titles(r, main), mode_name=am.mode_name, moderated=moderated,
        rationale=Markup(render.render_comment(a.rationale, "", mention_handles())) if a.rationale and not moderated
        else "",
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
            "render_comment": lambda t, prefix="": Markup(render.render_comment(t, prefix, mention_handles())),
            "resolved_total": summary.resolved,
            **threads.news(visits.amendment_subject(a.number), roots, summary.last_seq)}


_title_maps = LRU(8)


def _titles(r, main) -> dict[str, str]:
    """Commitment id -> "N. title" in the reader's language, to name the targets of a sign-off
    (kept per list of commitments and language: 5,000 strings a page otherwise)."""
    lang = current_lang()
    listed = core.list_commitments(r, main)
    key = (id(listed), len(listed), lang)  # the list is the cache's own object while it is kept
    hit = _title_maps.get(key)
    if hit is None or hit[0] is not listed:
        hit = _title_maps.put(key, (listed, {s.id: f"{s.number}. {s.title_in(lang)}" for s in listed}))
    return hit[1]


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

def _editor_state(r, commit: str, cid: str) -> dict:
    files = core.read_files(r, commit, cid)
    meta = frontmatter.fields(files["fr"], model.commitment_path(cid))
    en_title, en_body = "", ""
    if "en" in files:
        en_title = frontmatter.fields(files["en"], model.commitment_path(cid, "en")).get("title", "")
        en_body = frontmatter.split(files["en"]).body
    return {"files": files, "meta": meta, "title_fr": meta.get("title", ""), "title_en": en_title,
            "body_fr": frontmatter.split(files["fr"]).body, "body_en": en_body,
            "leads": list(meta.get("leads", [])), "milestones": [dict(m) for m in meta.get("milestones", [])]}


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


def _translation(files: dict, path: str, title: str, body: str) -> str | None:
    """The new text of a translation file, or None when there is none and none is typed."""
    if files.get("en"):
        return frontmatter.edit(files["en"], {"title": title}, body, path)
    if body.strip() or title:
        return frontmatter.new_file({"title": title}, body, frontmatter.newline_of(files["fr"]))
    return None


def _exact(texts: dict[str, str]) -> dict[str, bytes]:
    """The editor's texts as bytes: written as they are (a CRLF file stays CRLF), where text
    sent to the API has its line endings made LF."""
    return {p: t.encode("utf-8") for p, t in texts.items()}


def _changed(files: dict, out: dict[str, str]) -> dict[str, str]:
    return {p: t for p, t in out.items() if t != files.get(p.rsplit("/", 1)[1][:2])}


def _texts_from_form(state: dict, cid: str) -> dict[str, str]:
    """The full new text of each file the editor changed: the smallest edit of each (the
    front matter's unchanged values keep their text, the file its line endings)."""
    files = state["files"]
    path = model.commitment_path(cid)
    ms = _milestones_from_rows(state["milestone_rows"])
    old_leads = list(state["meta"].get("leads", []))
    # checkboxes carry no order: the leads kept stay in the file's order, new ones come after
    leads = [o for o in old_leads if o in state["leads"]] + [o for o in state["leads"] if o not in old_leads]
    fields = {"title": state["title_fr"].strip(), "leads": leads,
              "milestones": ms or None}
    out = {path: frontmatter.edit(files["fr"], fields, state["body_fr"], path)}
    en = _translation(files, model.commitment_path(cid, "en"), state["title_en"].strip(), state["body_en"])
    if en is not None:
        out[model.commitment_path(cid, "en")] = en
    return _changed(files, out)


def _render_editor(cid, state, commit, plan, a=None, preview=None, status=200):
    r = repo()
    c = core.read_commitment(r, commit, cid)
    targets = _editor_targets(r, a, cid)
    blocked = signoff.forecast(r, a.author if a else g.person.handle, targets or [cid])
    return render_template("amendments/editor.html", cid=cid, c=c, s=state, plan=plan, a=a, preview=preview,
                           base_commit=commit, signoff_targets=targets, blocked=blocked,
                           titles=_titles(r, core.resolve(r, "main"))), status


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
        raise core.NotFound("notfound.commitment_to_amend", cid=repr(cid)) from None
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
    try:
        texts = _texts_from_form(posted, cid)
    except model.SchemaError as exc:  # the file at this revision cannot be edited as it is
        flash(localise(Invalid("amendment.bad_format", problems="; ".join(exc.problems))), "error")
        return _render_editor(cid, posted, commit, plan, a, status=400)
    if request.form.get("action") == "preview":
        preview = {"fr": Markup(render.render_markdown(posted["body_fr"], anchors=False)),
                   "en": Markup(render.render_markdown(posted["body_en"], anchors=False)),
                   "summary": [s for p, t in texts.items() if p.endswith("fr.md")
                               for s in drafting.drafting_summary(posted["files"]["fr"], t, current_lang())]}
        return _render_editor(cid, posted, commit, plan, a, preview=preview)
    try:
        if a is None:
            a = am.propose(r, g.person, cid, posted["amendment_title"], posted["rationale"], _exact(texts))
            flash(_("Amendment %(n)d is open.", n=a.number), "info")
            _warn_if_blocked(r, a)
        else:
            if not texts:
                raise Invalid(_("nothing changed compared to the current revision"))
            a = am.revise(r, g.person, a.number, _exact(texts), request.form.get("expected_revision"), posted["message"])
            flash(_("A new revision of amendment %(n)d is saved.", n=a.number), "info")
    except ReviewError as exc:
        flash(localise(exc), "error")
        return _render_editor(cid, posted, commit, plan, a if n else None, status=exc.status)
    return redirect(url_for("amendment", n=a.number))


def _warn_if_blocked(r, a: am.Amendment) -> None:
    """Right after opening: say so when some requirement can be met by nobody in the plan."""
    ev = signoff.evaluate(r, a)
    if any(u.blocked for u in signoff.explain(r, a, ev)):
        flash(_("Warning: nobody in the plan can give some of the approvals this amendment needs; "
                "see the sign-off section for what would unblock it."), "warning")


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
        raise core.NotFound("notfound.page_at", slug=repr(slug))
    files = {"fr": fr.decode("utf-8")}
    en = r.read_file(commit, model.page_path(slug, "en"))
    if en is not None:
        files["en"] = en.decode("utf-8")
    en_title, en_body = "", ""
    if "en" in files:
        en_title = frontmatter.fields(files["en"], model.page_path(slug, "en")).get("title", "")
        en_body = frontmatter.split(files["en"]).body
    meta = frontmatter.fields(files["fr"], model.page_path(slug))
    return {"files": files, "meta": meta, "title_fr": meta.get("title", ""),
            "title_en": en_title, "body_fr": frontmatter.split(files["fr"]).body, "body_en": en_body}


def _page_texts(state: dict, posted: dict, slug: str) -> dict[str, str]:
    """The full new text of each language file of the page that the form changed."""
    files = state["files"]
    path = model.page_path(slug)
    out = {path: frontmatter.edit(files["fr"], {"title": posted["title_fr"].strip()}, posted["body_fr"], path)}
    en = _translation(files, model.page_path(slug, "en"), posted["title_en"].strip(), posted["body_en"])
    if en is not None:
        out[model.page_path(slug, "en")] = en
    return _changed(files, out)


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
                a = am.propose(r, g.person, am.PLAN_TARGET, posted["amendment_title"], posted["rationale"], _exact(texts))
                flash(_("Amendment %(n)d is open.", n=a.number), "info")
                _warn_if_blocked(r, a)
            else:
                if not texts:
                    raise Invalid(_("nothing changed compared to the current revision"))
                a = am.revise(r, g.person, a.number, _exact(texts), f.get("expected_revision"), posted["message"])
                flash(_("A new revision of amendment %(n)d is saved.", n=a.number), "info")
            return redirect(url_for("amendment", n=a.number))
        except ReviewError as exc:
            flash(localise(exc), "error")
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
        flash(localise(exc), "error")
    return redirect(url_for("amendment", n=number))


def pending():
    require_signed_in()  # the list is the acting person's own: empty for those who approve nothing
    items = signoff.pending_for(repo(), g.person)
    return render_template("amendments/pending.html", items=items)
