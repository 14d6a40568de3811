"""Read-only pages of the plan: every one takes ?rev= (branch, tag or commit id)."""

from __future__ import annotations

from flask import current_app, render_template, request
from markupsafe import Markup

from .. import commitment as core
from .. import comments, render
from ..gitrepo import GitRepo, open_cached
from .i18n import current_lang, switch_language


def repo() -> GitRepo:
    return open_cached(str(current_app.extensions["review.deployment"].repo_path))


def _rev():
    """(name the reader gave or None, commit id)."""
    name = request.args.get("rev") or None
    return name, core.resolve(repo(), name)


def _version(name, commit):
    info = repo().commit_info(commit)
    return {"name": name, "commit": commit, "short": commit[:12], "info": info}


def _axes_with(plan, summaries):
    by_axis = {a.id: [] for a in plan.axes}
    for s in summaries:
        by_axis.setdefault(s.axis, []).append(s)
    return [(a, by_axis.get(a.id, [])) for a in plan.axes]


def index():
    name, commit = _rev()
    r = repo()
    plan = core.read_plan(r, commit)
    summaries = core.list_commitments(r, commit)
    counts = {s.id: comments.count(r, s.id) for s in summaries}
    return render_template("plan/index.html", plan=plan, axes=_axes_with(plan, summaries),
                           count=len(summaries), version=_version(name, commit), rev=name,
                           comment_counts=counts)


def whole_plan():
    name, commit = _rev()
    r = repo()
    plan = core.read_plan(r, commit)
    lang = current_lang()
    items = []
    for s in core.list_commitments(r, commit):
        c = core.read_commitment(r, commit, s.id)
        items.append((c, Markup(render.render_markdown(c.body_in(lang), anchors=False))))
    by_axis = {a.id: [] for a in plan.axes}
    for c, body in items:
        by_axis.setdefault(c.axis, []).append((c, body))
    return render_template("plan/print.html", plan=plan, axes=[(a, by_axis[a.id]) for a in plan.axes],
                           version=_version(name, commit), rev=name)


def commitment_page(cid: str):
    name, commit = _rev()
    r = repo()
    c = core.read_commitment(r, commit, cid)
    plan = core.read_plan(r, commit)
    lang = current_lang()
    text = c.body_in(lang)
    blocks = [(Markup(b.html), b.anchors) for b in render.render_blocks(text)]
    recent = core.history(r, cid, core.resolve(r, "main"), limit=10)
    discussion = _discussion(r, cid, text, commit, lang)
    paragraphs = [(f"p-{i + 1}", render.plain_text(b.text)[:70]) for i, b in enumerate(render.source_blocks(text))]
    return render_template("plan/commitment.html", c=c, plan=plan, blocks=blocks,
                           translated=lang in c.bodies, version=_version(name, commit),
                           rev=name, tags=r.tags(), recent=recent, paragraphs=paragraphs,
                           draft=request.args.get("draft", ""), draft_anchor=request.args.get("anchor", ""),
                           render_comment=lambda t: Markup(render.render_comment(t)), **discussion)


THREADS_PER_PAGE = 50


def _discussion(r, cid, text, commit, lang):
    """Threads placed on the text shown, grouped by paragraph, one page of them."""
    roots = comments.threads(r, cid)
    path = f"commitments/{cid}/{lang}.md"
    comments.place(roots, text, r.blob_id(commit, path) or r.blob_id(commit, f"commitments/{cid}/fr.md"))
    counts: dict[str, int] = {}
    for t in roots:
        if t.placed_at:
            counts[t.placed_at] = counts.get(t.placed_at, 0) + 1 + len(t.replies)
    try:
        page = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page = 1
    pages = max(1, -(-len(roots) // THREADS_PER_PAGE))
    shown = roots[(page - 1) * THREADS_PER_PAGE: page * THREADS_PER_PAGE]
    return {"threads": shown, "counts": counts, "page": page, "pages": pages, "total": len(roots)}


def commitment_history(cid: str):
    name, commit = _rev()
    r = repo()
    c = core.read_commitment(r, commit, cid)
    changes = core.history(r, cid, commit)
    return render_template("plan/history.html", c=c, changes=changes, version=_version(name, commit), rev=name)


def commitment_diff(cid: str):
    r = repo()
    to_name = request.args.get("to") or "main"
    to = core.resolve(r, to_name)
    from_name = request.args.get("from")
    if from_name:
        frm = core.resolve(r, from_name)
    else:
        parents = r.commit_info(to).parents
        frm = parents[0] if parents else to
    lang = current_lang()
    old_files = _files_or_empty(r, frm, cid)
    new_files = _files_or_empty(r, to, cid)
    if not old_files and not new_files:
        raise core.NotFound(f"no commitment {cid!r} at either revision")
    c = core.read_commitment(r, to, cid) if new_files else core.read_commitment(r, frm, cid)
    segments = render.word_diff(old_files.get(lang, old_files.get("fr", "")),
                                new_files.get(lang, new_files.get("fr", "")))
    inserted, deleted = render.diff_stats(segments)
    return render_template("plan/diff.html", c=c, diff=Markup(render.diff_html(segments)),
                           inserted=inserted, deleted=deleted,
                           old=_version(from_name, frm), new=_version(to_name, to))


def _files_or_empty(r, commit, cid):
    try:
        return core.read_files(r, commit, cid)
    except core.NotFound:
        return {}


def set_language(lang: str):
    return switch_language(lang)
