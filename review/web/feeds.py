"""Atom 1.0 feeds of an amendment (its whole review log) and of a commitment (its changes on
main, the amendments touching it, its comments). Built with ElementTree, never by hand.

Ids are tag URIs that never change: `tag:<host>,2015:amendment/<n>/<event id>`,
`tag:<host>,2015:commitment/<id>/...`. An entry whose subject changes later (a comment
edited or hidden, an amendment merged) keeps its id and gets a new `updated`.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

from flask import Response, request, url_for
from flask_babel import gettext as _
from markupsafe import escape

from .. import amendments as am
from .. import comments as cm
from .. import commitment as core
from .. import render, reviewlog, signoff, trailers
from ..errors import ReviewError
from .i18n import STATE_NAMES, current_lang
from . import params, xmlsafe
from .reading import repo

ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
TAG_DATE = "2015"  # part of every id: must never change once feeds are published
MAX_ENTRIES = 200


# -- building blocks ----------------------------------------------------------------------------

def _host() -> str:
    return request.host.split(":")[0] or "localhost"


def _tag(path: str) -> str:
    return f"tag:{_host()},{TAG_DATE}:{path}"


def _utc(t) -> str:
    """RFC 3339 for a datetime or an event's ISO string."""
    if isinstance(t, str):
        return t
    if t.tzinfo is not None:
        t = t.astimezone(dt.timezone.utc)
    return t.replace(microsecond=0).isoformat().replace("+00:00", "Z")


class Feed:
    """An Atom 1.0 feed: every feed of the site (amendments, commitments, progress) is built with it."""

    def __init__(self, feed_id: str, title: str, self_url: str, page_url: str):
        ET.register_namespace("", ATOM)
        self.root = ET.Element(self._q("feed"), {XML_LANG: current_lang()})
        self._sub(self.root, "id", feed_id)
        self._sub(self.root, "title", title)
        self.updated = self._sub(self.root, "updated")
        self._sub(self.root, "link", rel="self", type="application/atom+xml", href=self_url)
        self._sub(self.root, "link", rel="alternate", type="text/html", href=page_url)
        self._sub(self.root, "generator", "review")
        self.entries: list[tuple[str, ET.Element]] = []

    @staticmethod
    def _q(tag: str) -> str:
        return f"{{{ATOM}}}{tag}"

    def _sub(self, parent, tag, text=None, **attrs):
        el = ET.SubElement(parent, self._q(tag), attrs)
        if text is not None:
            el.text = text
        return el

    def author(self, name: str) -> None:
        a = self._sub(self.root, "author")
        self._sub(a, "name", name)

    def entry(self, entry_id: str, title: str, updated: str, link: str, author: str,
              html: str | None = None, published: str | None = None) -> None:
        e = ET.Element(self._q("entry"))
        self._sub(e, "id", entry_id)
        self._sub(e, "title", title)
        self._sub(e, "updated", updated)
        if published and published != updated:
            self._sub(e, "published", published)
        self._sub(e, "link", rel="alternate", type="text/html", href=link)
        a = self._sub(e, "author")
        self._sub(a, "name", author)
        if html:
            self._sub(e, "content", str(html), type="html")
        self.entries.append((updated, e))

    def response(self, fallback_updated: str) -> Response:
        # newest first (times are UTC ISO 8601, so they sort as strings); within one second,
        # the later-added entry first: events are added in log order
        order = sorted(range(len(self.entries)), key=lambda i: (self.entries[i][0], i), reverse=True)
        self.updated.text = self.entries[order[0]][0] if order else fallback_updated
        for i in order[:MAX_ENTRIES]:
            e = self.entries[i][1]
            self.root.append(e)
        body = xmlsafe.tostring(self.root)
        return Response(body, mimetype="application/atom+xml")


_MARK = "\x00"
_ELIDE = re.compile(r"\bde \x00(?=[AEIOUYÀÂÉÈÊËÎÏÔÙÛaeiouyàâéèêëîïôùû])")


def _el(text: str) -> str:
    """French elision before a person's name marked with _MARK: « approbation d'Antoine Girard »."""
    return _ELIDE.sub("d'", text).replace(_MARK, "")


def _name(plan, handle: str, fallback: str | None = None) -> str:
    p = plan.people.get(handle)
    return p.name if p else (fallback or handle)


def _summary_html(repo_, old: str, new: str, folder: str = "") -> str:
    """The French drafting sentences of a change (of the files under `folder`), as an HTML list."""
    if not old or not new:
        return ""
    lines = [s for ch in am.compare(repo_, old, new) if ch.path.startswith(folder) for s in ch.summary]
    if not lines:
        return ""
    return '<ol lang="fr">' + "".join(f"<li>{escape(s)}</li>" for s in lines) + "</ol>"


def _comment_entries(feed: Feed, plan, events, prefix: str, link: str, what: str) -> None:
    """One entry per comment of a log, in its current state (edited, resolved, hidden)."""
    last: dict[str, str] = {}
    for e in events:
        target = e.id if e.type == cm.ADD else e.data.get("target")
        if e.type in (cm.ADD, cm.EDIT, cm.RESOLVE, cm.REOPEN, cm.HIDE) and target:
            last[target] = e.time
    for c in cm.fold(events).values():
        name = _name(plan, c.author)
        if c.report:
            title = _el(_("%(what)s: answer by %(name)s on a progress report", what=what, name=_MARK + name))
        elif c.reply_to:
            title = _el(_("%(what)s: reply by %(name)s", what=what, name=_MARK + name))
        else:
            title = _el(_("%(what)s: comment by %(name)s", what=what, name=_MARK + name))
        if c.hidden:
            html = str(escape(_("This comment was hidden by moderation: %(reason)s", reason=c.hidden["reason"])))
        else:
            html = ""
            if c.quote:
                html += f"<blockquote>{escape(c.quote)}</blockquote>"
            html += render.render_comment(c.body)
        feed.entry(_tag(f"{prefix}/comment/{c.id}"), title, last.get(c.id, c.time), f"{link}#c-{c.id}",
                   name, html, published=c.time)


# -- the amendment's feed -------------------------------------------------------------------------

def _amendment_event(a: am.Amendment, e, plan, r) -> tuple[str, str] | None:
    """(title, html content) of one event of the amendment's log; None for comment events
    (they get one entry per comment) and for types this reader does not know."""
    d = e.data
    who = _name(plan, e.actor, d.get("name"))
    n = a.number
    if e.type == am.OPEN:
        html = f"<p><strong>{escape(d.get('title', a.title))}</strong></p>"
        if d.get("rationale"):
            html += render.render_comment(d["rationale"])
        html += _summary_html(r, d.get("base", ""), d.get("revision", ""))
        return _el(_("Amendment %(n)d: opened by %(name)s", n=n, name=_MARK + who)), html
    if e.type == am.REVISE:
        html = f"<p>{escape(_('Revision %(r)s', r=d.get('revision', '')[:12]))}</p>"
        html += _summary_html(r, d.get("previous", ""), d.get("revision", ""))
        return _el(_("Amendment %(n)d: revision by %(name)s", n=n, name=_MARK + who)), html
    if e.type == am.UPDATE:
        return (_el(_("Amendment %(n)d: updated with the plan by %(name)s", n=n, name=_MARK + who)),
                str(escape(_("Revision %(r)s", r=d.get("revision", "")[:12]))))
    if e.type == am.WITHDRAW:
        return _el(_("Amendment %(n)d: withdrawn by %(name)s", n=n, name=_MARK + who)), str(escape(d.get("reason") or ""))
    if e.type == am.REOPEN:
        return _el(_("Amendment %(n)d: reopened by %(name)s", n=n, name=_MARK + who)), ""
    if e.type == am.REJECT:
        return _el(_("Amendment %(n)d: rejected by %(name)s", n=n, name=_MARK + who)), str(escape(d.get("reason") or ""))
    if e.type in am.MERGED:
        return (_el(_("Amendment %(n)d: merged into the plan by %(name)s", n=n, name=_MARK + who)),
                str(escape(_("Merge commit %(r)s", r=(d.get("merge") or "")[:12]))))
    if e.type == signoff.APPROVAL:
        titles = {"approve": _el(_("Amendment %(n)d: approval by %(name)s", n=n, name=_MARK + who)),
                  "object": _el(_("Amendment %(n)d: objection by %(name)s", n=n, name=_MARK + who)),
                  "withdraw": _el(_("Amendment %(n)d: %(name)s withdraws their verdict", n=n, name=_MARK + who))}
        if d.get("verdict") not in titles:
            return None
        html = f"<p>{escape(_('Revision %(r)s', r=d.get('revision', '')[:12]))}</p>"
        if d.get("comment"):
            html += f"<blockquote>{escape(d['comment'])}</blockquote>"
        return titles[d["verdict"]], html
    return None


def amendment_feed(n: str):
    r = repo()
    try:
        a = am.get(r, params.amendment_number(n))
    except ReviewError as exc:
        raise core.NotFound(exc.text or exc.message) from None
    main = core.resolve(r, "main")
    plan = core.read_plan(r, main)
    page = url_for("amendment", n=a.number, _external=True)
    feed = Feed(_tag(f"amendment/{a.number}"), _("Amendment %(n)d: %(title)s", n=a.number, title=a.title),
                url_for("amendment_feed", n=a.number, _external=True), page)
    feed.author(_name(plan, a.author))
    for e in a.events:
        shown = _amendment_event(a, e, plan, r)
        if shown is None:
            continue
        title, html = shown
        feed.entry(_tag(f"amendment/{a.number}/{e.id}"), title, e.time, page,
                   _name(plan, e.actor, e.data.get("name")), html or None)
    _comment_entries(feed, plan, a.events, f"amendment/{a.number}", page,
                     _("Amendment %(n)d", n=a.number))
    return feed.response(a.opened)


# -- the commitment's feed ------------------------------------------------------------------------

def _touches(r, a: am.Amendment, cid: str) -> bool:
    if a.commitment == cid:
        return True
    folder = f"commitments/{cid}/"
    return any(ch.path.startswith(folder) for ch in am.changes(r, a))


def commitment_feed(cid: str):
    r = repo()
    main = core.resolve(r, "main")
    c = core.read_commitment(r, main, cid)  # NotFound -> 404
    plan = core.read_plan(r, main)
    lang = current_lang()
    page = url_for("commitment", cid=cid, _external=True)
    what = _("Commitment %(n)d", n=c.number)
    feed = Feed(_tag(f"commitment/{cid}"), _("%(what)s: %(title)s", what=what, title=c.title_in(lang)),
                url_for("commitment_feed", cid=cid, _external=True), page)
    for o in c.leads:
        feed.author(plan.organisations[o].label(lang) if o in plan.organisations else o)

    # Changes on main, with the amendment that brought each (the merge's "Amendment:" trailer).
    for h in core.history(r, cid, main, limit=MAX_ENTRIES):
        merge = trailers.parse_merge(h.message)
        number = merge.amendment if merge else None
        if number is not None:
            title = _("%(what)s: changed by amendment %(a)s (%(summary)s)", what=what, a=number, summary=h.summary)
        else:
            title = _("%(what)s: changed (%(summary)s)", what=what, summary=h.summary)
        link = (url_for("commitment_diff", cid=cid, _external=True, **{"from": h.parents[0], "to": h.id})
                if h.parents else url_for("commitment", cid=cid, rev=h.id, _external=True))
        html = _summary_html(r, h.parents[0], h.id, f"commitments/{cid}/") if h.parents else ""
        if number is not None:
            html += f'<p><a href="{escape(url_for("amendment", n=number, _external=True))}">{escape(_("Amendment %(n)d", n=number))}</a></p>'
        feed.entry(_tag(f"commitment/{cid}/change/{h.id}"), title, _utc(h.time), link, h.author_name, html or None)

    # Open and merged amendments touching it: one entry each, updated with its last event.
    for a in am.list_all(r):
        if a.state not in ("open", "merged") or not _touches(r, a, cid):
            continue
        last = a.events[-1].time if a.events else a.opened
        title = _("%(what)s: amendment %(n)d (%(state)s): %(title)s", what=what, n=a.number,
                  state=str(STATE_NAMES[a.state]), title=a.title)
        html = render.render_comment(a.rationale) if a.rationale else ""
        feed.entry(_tag(f"commitment/{cid}/amendment/{a.number}"), title, last,
                   url_for("amendment", n=a.number, _external=True), _name(plan, a.author), html or None,
                   published=a.opened)

    _comment_entries(feed, plan, reviewlog.read_events(r, reviewlog.commitment_log(cid)),
                     f"commitment/{cid}", page, what)
    return feed.response(_utc(r.commit_info(main).time))
