"""Append-only review logs: one event per commit, in a sharded folder (docs/events.md).

A log is a ref (`refs/reviews/commitments/<id>`, `refs/reviews/amendments/<n>`) whose
commits each add exactly one file `events/<shard>/<seq>-<id>.json` to a cumulative tree.
The current state is folded from the events; folded states are cached by the tip's
commit id and extended incrementally when the log grows.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import sys
from dataclasses import dataclass
from typing import Callable

from . import trailers as trailer_format  # `append` takes a `trailers` argument
from .lru import LRU, MB
from .gitrepo import GitRepo, Identity

EVENT_FORMAT = 1
SHARD_SIZE = 100
EVENTS_DIR = "events"
EMAIL_DOMAIN = "review.invalid"


def commitment_log(cid: str) -> str:
    return f"refs/reviews/commitments/{cid}"


def amendment_log(number: int) -> str:
    return f"refs/reviews/amendments/{number}"


LOGS_PREFIX = "refs/reviews/"


def log_name(ref: str) -> tuple[str, str, int | None]:
    """(kind, name, amendment number) of a log's ref: ("amendments", "3", 3) or
    ("commitments", "engagement-04", None); the number is None unless the name is one."""
    kind, _, name = ref.removeprefix(LOGS_PREFIX).partition("/")
    number = int(name) if kind == "amendments" and name.isascii() and name.isdigit() else None
    return kind, name, number


def event_path(seq: int, event_id: str) -> str:
    return f"{EVENTS_DIR}/{seq // SHARD_SIZE:05d}/{seq:07d}-{event_id}.json"


def identity(handle: str, name: str) -> Identity:
    """A person as a git author: their name and their public handle."""
    return Identity(name, f"{handle}@{EMAIL_DOMAIN}")


def handle_of(email: str) -> str | None:
    local, _, domain = email.partition("@")
    # one string per person: the integrity check keeps the handle of every event of every log
    return sys.intern(local) if domain == EMAIL_DOMAIN else None


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Event:
    seq: int
    id: str
    type: str
    actor: str
    time: str
    data: dict
    commit: str | None = None

    def as_json(self) -> dict:
        return {"format": EVENT_FORMAT, "seq": self.seq, "id": self.id, "type": self.type,
                "actor": self.actor, "time": self.time, **self.data}


SHARED_LEN = 64  # strings up to this length in an event's data are shared (ids, handles, anchors)


def shared(value):
    """One string object for equal strings (sys.intern); other values as they are. What many cached
    events or audit rows repeat (types, handles, ids) is then kept once."""
    return sys.intern(value) if isinstance(value, str) else value


def parse_event(raw: bytes, commit: str | None = None) -> Event:
    d = json.loads(raw)
    core = {k: d.pop(k) for k in ("format", "seq", "id", "type", "actor", "time")}
    # the keys of the data, its short values (commit and blob ids, handles, anchors, languages) and
    # the type and actor repeat from event to event: one string each, not one per event (a cached
    # event of a comment held 2,100 bytes, a third of them copies of the same words)
    data = {sys.intern(k): shared(v) if isinstance(v, str) and len(v) <= SHARED_LEN else v for k, v in d.items()}
    return Event(core["seq"], core["id"], shared(core["type"]), shared(core["actor"]), core["time"], data, commit)


# What one event holds: its fields, data and commit id, as tracemalloc saw a comment's event of the
# generated 100,000-comment plan keep alive (960 bytes with its repeated strings shared; 2,100
# before, when 600 was assumed and the 16 MB cap held 57 MB).
EVENT_BYTES = 1000
# A list per log tip; the lists of one log share their Event objects, so each entry is
# weighed as if it held its events alone (an upper bound), without walking them.
_events_cache = LRU(256, 16 * MB, lambda key, events: 64 + EVENT_BYTES * len(events))


def read_events(repo: GitRepo, ref: str) -> list[Event]:
    """Every event of a log, oldest first (cached by tip; extended incrementally)."""
    tip = repo.ref_target(ref)
    return events_at(repo, tip) if tip else []


def events_at(repo: GitRepo, tip: str) -> list[Event]:
    """The events of a log as of one of its commits."""
    cached = _events_cache.get((repo.path, tip))
    if cached is not None:
        return cached
    new: list[Event] = []
    base: list[Event] = []
    for info in repo.first_parent_log(tip):
        hit = _events_cache.get((repo.path, info.id))
        if hit is not None:
            base = hit
            break
        event = _event_at(repo, info)
        if event is not None:  # else not an event commit (a tampered log): skipped; `review verify` reports it
            new.append(event)
    events = base + new[::-1]
    _events_cache.put((repo.path, tip), events)
    return events


def events_since(repo: GitRepo, tip: str, since: str | None) -> list[Event] | None:
    """The events a log gained after commit `since` up to `tip`, oldest first; every event when
    `since` is None; None when `since` is not on the log's line (a log is never rewritten, but a
    reader of it must not trust that: it then reads the log whole). Costs the new commits only,
    whatever the log's length (the search index follows logs this way)."""
    new: list[Event] = []
    for info in repo.first_parent_log(tip):
        if info.id == since:
            return new[::-1]
        event = _event_at(repo, info)
        if event is not None:
            new.append(event)
    return new[::-1] if since is None else None


def _event_at(repo: GitRepo, info) -> Event | None:
    """The event a log's commit records, or None when it is not an event commit."""
    try:
        found = trailer_format.values(info.message)
        seq, eid = int(found[trailer_format.SEQ]), found[trailer_format.EVENT_ID]
        return parse_event(repo.read_file(info.id, event_path(seq, eid)), info.id)
    except (KeyError, ValueError, TypeError, AttributeError):
        return None


def _next_seq(repo: GitRepo, tip: str | None) -> int:
    if tip is None:
        return 1
    try:
        return int(trailer_format.values(repo.commit_info(tip).message)[trailer_format.SEQ]) + 1
    except (KeyError, ValueError):  # not an event commit (a tampered log): count what can be read
        events = events_at(repo, tip)
        return (events[-1].seq + 1) if events else 1


def append(repo: GitRepo, ref: str, who: Identity, actor: str, etype: str, data: dict,
           summary: str, check: Callable[[list[Event]], None] | None = None,
           trailers: dict[str, str] | None = None) -> Event:
    """Append one event, compare-and-swap with retry.

    `check(events)` runs against the log as read at each attempt and raises to refuse
    (for instance: the comment replied to was hidden meanwhile); nothing is written then.
    """
    result: dict = {}

    def build(tip):
        if check is not None:
            events = events_at(repo, tip) if tip else []
            check(events)
            seq = (events[-1].seq + 1) if events else 1
        else:  # O(1): the tip's own Seq trailer, not the whole log (a cold log of 100,000 events)
            seq = _next_seq(repo, tip)
        event = Event(seq, secrets.token_hex(6), etype, actor, now(), data)
        message = trailer_format.message(summary, [
            (trailer_format.EVENT, etype), (trailer_format.ACTOR, actor), (trailer_format.EVENT_ID, event.id),
            (trailer_format.SEQ, seq), *(trailers or {}).items()])
        body = json.dumps(event.as_json(), ensure_ascii=False, indent=1, sort_keys=False).encode() + b"\n"
        result["event"] = event
        return {event_path(seq, event.id): body}, message

    commit, _ = repo.commit_on(ref, build, who)
    ev = result["event"]
    return Event(ev.seq, ev.id, ev.type, ev.actor, ev.time, ev.data, commit)
