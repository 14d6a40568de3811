"""Read-only pages of the plan: every one takes ?rev= (branch, tag or commit id)."""

from __future__ import annotations

import gc

from flask import current_app, g, make_response, render_template, request
from markupsafe import Markup

from .. import commitment as core
from .. import amendments, audit, auditindex, axes, comments, logcounts, lru, pages, render, reviewlog, visits
from ..errors import Damaged
from ..gitrepo import GitRepo, open_cached
from .i18n import current_lang, switch_language
from . import fragments, pagecache, params, threads
from .messages import localise


def repo() -> GitRepo:
    ext = current_app.extensions
    path = ext.get("review.repo_path")
    if path is None:  # the path once per app, not a Path join per call (several per request)
        path = ext["review.repo_path"] = str(ext["review.deployment"].repo_path)
    return open_cached(path)


_HANDLES: dict = {}  # plan.yaml's blob id -> the people's handles (a few, kept per plan version)


def mention_handles() -> frozenset:
    """The handles of the people of plan.yaml on main: an `@handle` of them in a comment,
    a rationale or a progress note links to their profile (review.render.mentions)."""
    r = repo()
    main = core.resolve(r, "main")
    blob = core.plan_blob_id(r, main)
    found = _HANDLES.get(blob)
    if found is None:
        if len(_HANDLES) > 16:
            _HANDLES.clear()
        found = _HANDLES[blob] = frozenset(core.read_plan(r, main).people)
    return found


# -- the page cache: anonymous and signed-in readers (review/web/pagecache.py) -----------------

cached_page = pagecache.cached


def _rev():
    """(name the reader gave or None, commit id)."""
    name = params.rev()
    return name, core.resolve(repo(), name)


def _version(name, commit):
    info = repo().commit_info(commit)
    return {"name": name, "commit": commit, "short": commit[:12], "info": info}


def _axes_with(plan, summaries):
    by_axis = {a.id: [] for a in plan.axes}
    for s in summaries:
        by_axis.setdefault(s.axis, []).append(s)
    return [(a, by_axis.get(a.id, [])) for a in plan.axes]


def counts_store():
    """The deployment's file of each log's counts (review/logcounts.py)."""
    return logcounts.store_of(current_app.instance_path)


def audit_store():
    """The deployment's file of the audit log's rows (review/auditindex.py)."""
    return auditindex.store_of(current_app.instance_path)


def _overviews(r, cids) -> dict:
    """cid -> (summary, marks: comments.overviews) of each commitment's discussion; empty for a
    damaged log: its own page says what is wrong."""
    out = comments.overviews(r, cids, counts_store())
    for cid, hit in out.items():
        if hit is None:
            g.review_damaged = True
            out[cid] = (comments.Summary(0, 0, 0, -1), comments.NO_MARKS)
    return out


@cached_page
def index():
    name, commit = _rev()
    r = repo()
    plan = core.read_plan(r, commit)
    listed = core.list_commitments(r, commit)
    summaries = core.readable(listed)
    if len(summaries) != len(listed):
        g.review_damaged = True
    ctx = {"plan": plan, "count": len(summaries), "version": _version(name, commit), "rev": name}

    def body() -> str:
        overviews = _overviews(r, [s.id for s in summaries])
        counts = {cid: o[0].visible for cid, o in overviews.items()}
        unresolved = {cid: o[0].unresolved for cid, o in overviews.items()}
        by_state, open_by_commitment = amendments.tally(r)
        plan_pages, book = pages.read_book(r, commit)
        return render_template("plan/_index_body.html", **ctx, axes=_axes_with(plan, summaries),
                               pages=plan_pages, intros={(p.axis, p.theme): p for p in plan_pages if p.axis},
                               glossary=pages.glossary(plan_pages),
                               unreadable=[(s.id, localise(s.unreadable)) for s in listed if s.unreadable],
                               comment_counts=counts, unresolved=unresolved, new_counts=threads.new_counts(overviews),
                               open_amendments=open_by_commitment, amendment_states=by_state)
    # 5,000 cards are most of the page: rendered once per state of the refs (every log, amendment
    # and main), reader and their visits (the "new since your last visit" markers)
    ctx["body_html"] = fragments.cached("plan-index", (r.path, r.refs_fingerprint(), commit, threads.visits_key()),
                                        body)
    return render_template("plan/index.html", **ctx)


@cached_page
def whole_plan():
    name, commit = _rev()
    r = repo()
    plan = core.read_plan(r, commit)
    lang = current_lang()
    items = []
    listed = core.list_commitments(r, commit)
    if len(core.readable(listed)) != len(listed):
        g.review_damaged = True
    for s in core.readable(listed):
        c = core.read_commitment(r, commit, s.id)
        items.append((c, Markup(render.render_markdown(c.body_in(lang), anchors=False))))
    by_axis = {a.id: [] for a in plan.axes}
    for c, body in items:
        by_axis.setdefault(c.axis, []).append((c, body))
    return render_template("plan/print.html", plan=plan, axes=[(a, by_axis[a.id]) for a in plan.axes],
                           version=_version(name, commit), rev=name)


@cached_page
def commitment_page(cid: str):
    name, commit = _rev()
    r = repo()
    c = core.read_commitment(r, commit, cid)
    plan = core.read_plan(r, commit)
    lang = current_lang()
    text = c.body_in(lang)
    blocks = [(Markup(b.html), b.anchors) for b in render.render_blocks(text)]
    try:
        recent = core.history(r, cid, core.resolve(r, "main"), limit=10)
    except core.NotFound:  # removed from main since this version: its changes up to this version
        recent = core.history(r, cid, commit, limit=10)
    discussion = _discussion(r, cid, text, commit, lang)
    paragraphs = [(f"p-{i + 1}", render.plain_text(b.text)[:70]) for i, b in enumerate(render.source_blocks(text))]
    _, book = pages.read_book(r, commit)
    previous, following = pages.neighbours(book, "commitment", cid)
    ctx = dict(c=c, plan=plan, blocks=blocks, previous=previous, following=following,
               translated=lang in c.bodies, version=_version(name, commit),
               rev=name, tags=r.tags(), recent=recent, paragraphs=paragraphs,
               draft=request.args.get("draft", ""), draft_anchor=request.args.get("anchor", ""),
               render_comment=lambda t, prefix="": Markup(render.render_comment(t, prefix, mention_handles())),
               **discussion)
    # the discussion: rendered once per log tip, text, commit shown, main (people and roles),
    # reader and unread markers (review/web/fragments.py)
    parts = (r.path, cid, r.ref_target(reviewlog.commitment_log(cid)), commit, core.resolve(r, "main"),
             frozenset(discussion["unread"]), discussion["last_visit"])
    ctx["discussion_html"] = fragments.cached("commitment-discussion", parts,
                                              lambda: render_template("plan/_comments.html", **ctx))
    return render_template("plan/commitment.html", **ctx)


@cached_page
def page_view(slug: str):
    """A page of the plan (preface, annex, glossary, an axis or theme introduction), with the
    previous and next stops of the reading order."""
    name, commit = _rev()
    r = repo()
    page = pages.read_page(r, commit, slug)
    plan = core.read_plan(r, commit)
    lang = current_lang()
    plan_pages, book = pages.read_book(r, commit)
    previous, following = pages.neighbours(book, "page", slug)
    in_axis = [s for s in core.list_commitments(r, commit) if page.axis and s.axis == page.axis
               and (page.theme is None or s.theme == page.theme)]
    return render_template("plan/page.html", page=page, plan=plan, translated=lang in page.bodies,
                           body=Markup(render.render_markdown(page.body_in(lang))), previous=previous,
                           following=following, in_axis=in_axis, version=_version(name, commit), rev=name)


def asset(name: str):
    """An image of the plan (assets/<name>), as stored: never sniffed, cached by its revision."""
    _, commit = _rev()
    data, kind = pages.read_asset(repo(), commit, name)
    resp = make_response(data)
    resp.headers["Content-Type"] = kind
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "public, max-age=300"
    return resp


THREADS_PER_PAGE = 50


def folded_log(r, cid: str) -> tuple[list, dict]:
    """The events of a commitment's review log and their fold (review.comments.fold), once per
    request and tip: a commitment page's discussion and its progress section share them."""
    tip = r.ref_target(reviewlog.commitment_log(cid))
    memo = g.setdefault("review_folded_logs", {})
    key = (r.path, cid, tip)
    if key not in memo:
        events = reviewlog.events_at(r, tip) if tip else []
        memo[key] = (events, comments.fold(events))
    return memo[key]


def _discussion(r, cid, text, commit, lang):
    """Threads placed on the text shown, grouped by paragraph, one page of them."""
    summary, roots = comments.summarize(*folded_log(r, cid))
    path = f"commitments/{cid}/{lang}.md"
    comments.place(roots, text, r.blob_id(commit, path) or r.blob_id(commit, f"commitments/{cid}/fr.md"))
    counts: dict[str, int] = {}
    for t in roots:
        if t.placed_at:
            counts[t.placed_at] = counts.get(t.placed_at, 0) + 1 + len(t.replies)
    page = params.page()
    pages = max(1, -(-len(roots) // THREADS_PER_PAGE))
    shown = roots[(page - 1) * THREADS_PER_PAGE: page * THREADS_PER_PAGE]
    return {"threads": shown, "counts": counts, "page": page, "pages": pages, "total": len(roots),
            "resolved_total": summary.resolved,
            **threads.news(visits.commitment_subject(cid), roots, summary.last_seq)}


@cached_page
def commitment_history(cid: str):
    name, commit = _rev()
    r = repo()
    c = core.read_commitment(r, commit, cid)
    changes = core.history(r, cid, commit)
    imported = {h.id for h in changes if audit.imported_source(h)}
    return render_template("plan/history.html", c=c, changes=changes, version=_version(name, commit), rev=name,
                           imported=imported, tags=r.tags()[:50])


def set_language(lang: str):
    return switch_language(lang)


@cached_page
def axis_page(axis_id: str, theme_id: str | None = None):
    """An axis or one of its themes: its introduction, its commitments in plan order, their progress."""
    name, commit = _rev()
    r = repo()
    sec = axes.section(r, commit, axis_id, theme_id)
    lang = current_lang()
    intro = Markup(render.render_markdown(sec.intro.body_in(lang))) if sec.intro else None
    return render_template("plan/axis.html", sec=sec, plan=core.read_plan(r, commit), intro=intro,
                           intro_translated=bool(sec.intro and lang in sec.intro.bodies),
                           version=_version(name, commit), rev=name)


def theme_page(axis_id: str, theme_id: str):
    return axis_page(axis_id, theme_id)


def warm_up(app) -> float:
    """Read what every page needs before a worker serves its first request (review/web/wsgi.py):
    the plan and the list of its commitments at main, the counts of every commitment's log and
    the amendments' tallies (the plan page), the notifications derived from every log (the header
    of a signed-in page), the diff of each open amendment (a person's "for you", the overlaps on
    an amendment page), the audit log's rows, and the integrity check of every ref (on a plan of 5,000 commitments and
    100,000 comments: seconds of front matter parsed, and the events of every log checked; the
    worker pays it while starting, not a reader; issue 20). The logs' counts, the
    notifications and the audit log's rows are kept on disk by the refs' tips
    (DIR/instance/logcounts.sqlite, notifications.sqlite, audit.sqlite): a later start reads only
    the logs that moved.
    The repository opened here is this process's (open_cached is per process): a fork opens its own.
    Returns the seconds it took."""
    import time
    started = time.perf_counter()
    with app.app_context():
        r = repo()
        try:
            main = core.resolve(r, "main")
            core.read_plan(r, main)
            listed = core.list_commitments(r, main)
            pages.read_book(r, main)
            comments.overviews(r, [s.id for s in core.readable(listed)], counts_store())
            amendments.tally(r)
            amendments.open_diffs(r)
            audit.sync_index(r, audit_store())
        except Exception:  # noqa: BLE001 - a damaged plan is each page's to say, never a failed start
            app.logger.exception("warm-up: the plan could not be read")
        try:
            from .. import notifications
            notifications.catch_up(app.extensions["review.deployment"], r)
        except Exception:  # noqa: BLE001 - the header's count says it, never a failed start
            app.logger.exception("warm-up: the notifications could not be caught up")
        from . import integrity
        integrity.warm_up()  # the site's verdict on its history (every page's footer): a full check
        release_memory()
    return time.perf_counter() - started


def release_memory() -> None:
    """Give back what reading many objects left behind (libgit2's caches of this process's
    repository, memory freed by the caches): after the warm-up, before gunicorn forks the
    workers, after a request slower than RELEASE_AFTER_SECONDS, and once the process grew by
    RELEASE_AFTER_GROWTH_MB since the last time (review/web/__init__.py: many short requests
    that each read a little, such as a person's first "for you" read 50 ms per page)."""
    global resident_floor, _asked_since
    gc.collect()  # repositories other threads opened and dropped (the integrity check's) go first:
    repo().release()  # libgit2 shares a pack's caches between them
    lru.give_back_freed()
    resident_floor, _asked_since = lru.resident_bytes(), 0


resident_floor: int | None = None  # this process's resident size after its last release_memory()
_asked_since = 0  # requests that asked grew_by since then
GROWTH_GAP = 50  # requests between two releases for growth, at least: reading more after one costs
GROWTH_READ_EVERY = 10  # requests between two reads of the resident size, after the gap


def grew_by(limit_bytes: int) -> bool:
    """Whether this process's resident size grew by more than `limit_bytes` since its last
    release_memory() (since its start when it never released: the first such check sets it),
    and GROWTH_GAP requests asked since (it reads the resident size once in GROWTH_READ_EVERY
    requests then, not on each one: a read of /proc was 4% of an API hit). A release costs the next request the object database opened again (about
    100 ms on the big plan): while a person's first "for you" reads 50 ms of logs per page,
    growing by 20-25 MB each time, a release after every other page made those pages slow; with
    the gap it is one in 50 at most."""
    global resident_floor, _asked_since
    _asked_since += 1
    if _asked_since < GROWTH_GAP or (_asked_since - GROWTH_GAP) % GROWTH_READ_EVERY:
        return False  # /proc read once in 10 requests after the gap, not on each one
    now = lru.resident_bytes()
    if now is None:
        return False
    if resident_floor is None:
        resident_floor = now
    return now - resident_floor > limit_bytes
