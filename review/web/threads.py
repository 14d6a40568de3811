"""What is new in a discussion since the signed-in person's last visit (review.visits), and the
counts of threads the plan page shows."""

from __future__ import annotations

from flask import current_app, g

from .. import comments, reviewlog, visits
from . import pagecache


def store() -> visits.Visits:
    ext = current_app.extensions
    v = ext.get("review.visits")
    if v is None:
        v = ext.setdefault("review.visits", visits.Visits(current_app.instance_path))
    return v


def news(subject: str, roots: list, last_seq: int) -> dict:
    """For the template: `unread` (ids of the comments new to the reader) and `last_visit`;
    records this visit. Nothing for a reader who is not signed in."""
    person = g.get("person")
    if person is None:
        return {"unread": set(), "last_visit": None}
    before = store().record_quietly(person.handle, subject, last_seq, reviewlog.now(),
                                    on_error=pagecache.uncacheable)
    return {"unread": comments.unread(roots, before.seq if before else None, person.handle),
            "last_visit": before}


def visits_key() -> frozenset | None:
    """The signed-in reader's visits (subject, position), for the key of a cached part that shows
    their "new since your last visit" markers; None when nobody is signed in."""
    person = g.get("person")
    if person is None:
        return None
    try:
        return frozenset((s, v.seq) for s, v in store().all_of(person.handle).items())
    except Exception:  # noqa: BLE001 - a broken visits file only hides the markers (new_counts logs it)
        pagecache.uncacheable()
        return frozenset()


def new_counts(summaries: dict[str, tuple[comments.Summary, str]]) -> dict[str, int]:
    """Commitment id -> number of comments new to the signed-in reader (empty when signed out
    or never visited). `summaries` maps each id to its summary and marks (comments.overviews)."""
    person = g.get("person")
    if person is None or not summaries:
        return {}
    try:
        seen = store().last(person.handle, [visits.commitment_subject(cid) for cid in summaries])
    except Exception:  # noqa: BLE001 - a broken visits file only hides the markers
        current_app.logger.exception("could not read the visits of %s", person.handle)
        pagecache.uncacheable()
        return {}
    out = {}
    for cid, (summary, marks) in summaries.items():
        v = seen.get(visits.commitment_subject(cid))
        if v is not None and summary.last_seq > v.seq:
            n = comments.unread_count(marks, v.seq, person.handle)
            if n:
                out[cid] = n
    return out
