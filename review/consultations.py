"""Consultations of the public: announced, open, closed, answered (docs/consultations.md).

Each consultation is a review log `refs/reviews/consultations/<id>` (review.reviewlog). It holds
the announcement (titles and descriptions in French and English, scope, announce, open and close
dates), edits, the early close, the comments contributed during it (`comment` events with a
`consultation` key, anchored in the commitment's text as on its page), the stances (support or
oppose, one per person per contribution, the latest counts), the reasoned responses, and the
final "answered" mark. Amendments proposed during it live in their own logs; their opening
event names the consultation.

The state follows from the events and the day: announced (before `opens`), open (from `opens` to
`closes`, both included, unless closed early), closed, answered. Every function that depends on
the day takes `today` (default: the UTC date now), so tests walk the calendar without waiting.

Public API (the end-of-term report reads consultations through these):
`list_all`, `get`, `contributions`, `participation`, `report`; writes: `announce`, `edit`,
`close`, `contribute_comment`, `contribute_amendment`, `take_stance`, `respond`, `mark_answered`,
`hide_contribution`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from . import amendments as am
from . import comments
from . import commitment as core
from . import csvexport, model, reviewlog
from .errors import Conflict, Forbidden, Invalid, Missing
from .gitrepo import GitRepo, RefMoved
from .model import Person
from .permissions import Subject, require

PREFIX = "refs/reviews/consultations/"
NOTICE_DAYS = 14  # CONSULTATION_NOTICE_DAYS: the least days between announcement and opening
MAX_DAYS = 366
MAX_TITLE = 200
MAX_DESCRIPTION = 20_000
MAX_REASON = 5_000
MAX_COMMITMENTS = 100
ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_ID = 60
SCOPES = ("plan", "commitments", "draft")
STANCES = ("support", "oppose", "none")
OUTCOMES = ("retained", "partly-retained", "not-retained", "out-of-scope")
CARRIED_RE = re.compile(r"^(amendments/([1-9][0-9]{0,8})|commitments/([a-z0-9]+(?:-[a-z0-9]+)*))$")

ANNOUNCE, EDIT, CLOSE, ANSWERED, STANCE, RESPONSE, HIDE = (
    "consultation-announce", "consultation-edit", "consultation-close", "consultation-answered",
    "consultation-stance", "consultation-response", "consultation-hide")


def log_ref(cid: str) -> str:
    return f"{PREFIX}{cid}"


def valid_id(cid) -> bool:
    return isinstance(cid, str) and len(cid) <= MAX_ID and bool(ID_RE.match(cid))


def _today(today: dt.date | None) -> dt.date:
    return today or dt.datetime.now(dt.timezone.utc).date()


# -- the model ----------------------------------------------------------------------------------

@dataclass
class Response:
    outcome: str
    reason: str
    carried_by: str | None
    by: str
    name: str
    organisation: str | None
    time: str
    event: str

    def as_json(self) -> dict:
        return {"outcome": self.outcome, "reason": self.reason, "carried_by": self.carried_by, "by": self.by,
                "name": self.name, "organisation": self.organisation, "time": self.time, "event": self.event}


@dataclass
class Contribution:
    key: str                     # comment-<event id> or amendment-<n>
    kind: str                    # comment | amendment
    author: str                  # ~pseudonym or a handle of plan.yaml
    time: str
    commitment: str
    text: str                    # the comment's body, or the amendment's title and rationale
    anchor: str | None = None
    quote: str | None = None
    amendment: int | None = None
    hidden: dict | None = None
    stances: dict[str, str] = field(default_factory=dict)  # person -> support | oppose
    response: Response | None = None
    responses: list[Response] = field(default_factory=list)  # every response given, oldest first
    order: int = 0               # a comment's place in the consultation's log, an amendment's number

    @property
    def supports(self) -> int:
        return sum(1 for s in self.stances.values() if s == "support")

    @property
    def oppositions(self) -> int:
        return sum(1 for s in self.stances.values() if s == "oppose")

    @property
    def waiting(self) -> bool:
        """Waits for a response (a hidden contribution, moderated away, does not)."""
        return self.response is None and not self.hidden

    def as_json(self) -> dict:
        return {"key": self.key, "kind": self.kind, "author": self.author, "time": self.time,
                "commitment": self.commitment, "text": None if self.hidden else self.text,
                "anchor": self.anchor, "quote": None if self.hidden else self.quote, "amendment": self.amendment,
                "hidden": self.hidden, "supports": self.supports, "oppositions": self.oppositions,
                "waiting": self.waiting, "response": self.response.as_json() if self.response else None,
                "responses": [r.as_json() for r in self.responses]}


@dataclass
class Consultation:
    id: str
    title: dict[str, str]
    description: dict[str, str]
    scope: str
    commitments: list[str]
    draft: str | None
    draft_commit: str | None
    announced: str
    opens: str
    closes: str
    by: str
    time: str
    closed_early: str | None = None   # time of an early close
    close_reason: str | None = None
    answered: str | None = None       # time it was marked answered
    events: list = field(default_factory=list)

    def state(self, today: dt.date | None = None) -> str:
        day = _today(today).isoformat()
        if self.answered:
            return "answered"
        if self.closed_early or day > self.closes:
            return "closed"
        if day < self.opens:
            return "announced"
        return "open"

    def covers(self, commitment: str) -> bool:
        return self.scope != "commitments" or commitment in self.commitments

    def title_in(self, lang: str) -> str:
        return self.title.get(lang) or self.title["fr"]

    def description_in(self, lang: str) -> str:
        return self.description.get(lang) or self.description["fr"]

    def as_json(self, today: dt.date | None = None) -> dict:
        return {"id": self.id, "title": self.title, "description": self.description, "scope": self.scope,
                "commitments": self.commitments, "draft": self.draft, "draft_commit": self.draft_commit,
                "announced": self.announced, "opens": self.opens, "closes": self.closes, "by": self.by,
                "time": self.time, "state": self.state(today), "closed_early": self.closed_early,
                "close_reason": self.close_reason, "answered": self.answered}


def _fold(cid: str, events) -> Consultation | None:
    c = None
    for e in events:
        d = e.data
        if e.type == ANNOUNCE:
            c = Consultation(cid, {"fr": d["title_fr"], "en": d["title_en"]},
                             {"fr": d["description_fr"], "en": d["description_en"]}, d["scope"],
                             list(d["commitments"]), d.get("draft"), d.get("draft_commit"), d["announced"],
                             d["opens"], d["closes"], e.actor, e.time)
        elif c is None:
            continue
        elif e.type == EDIT:
            c.title = {"fr": d["title_fr"], "en": d["title_en"]}
            c.description = {"fr": d["description_fr"], "en": d["description_en"]}
            c.closes = d["closes"]
        elif e.type == CLOSE:
            c.closed_early, c.close_reason = e.time, d.get("reason")
        elif e.type == ANSWERED:
            c.answered = e.time
    if c is not None:
        c.events = list(events)
    return c


# -- reading --------------------------------------------------------------------------------------

def ids(repo: GitRepo) -> list[str]:
    return sorted(r[len(PREFIX):] for r in repo.refs(PREFIX) if valid_id(r[len(PREFIX):]))


def get(repo: GitRepo, cid: str) -> Consultation:
    if not valid_id(cid):
        raise Missing("consultation.missing", consultation=repr(cid))
    c = _fold(cid, reviewlog.read_events(repo, log_ref(cid)))
    if c is None:
        raise Missing("consultation.missing", consultation=repr(cid))
    return c


def list_all(repo: GitRepo, state: str | None = None, today: dt.date | None = None) -> list[Consultation]:
    """Every consultation, the latest to open first; with `state`, only those in it today."""
    out = []
    for cid in ids(repo):
        try:
            c = get(repo, cid)
        except Missing:
            continue
        if state is None or c.state(today) == state:
            out.append(c)
    return sorted(out, key=lambda c: (c.opens, c.id), reverse=True)


def _proposed_in(repo: GitRepo, cid: str) -> list[am.Amendment]:
    """The amendments opened in this consultation, from the list of amendments kept per state of
    the refs (no log read again for a page of the consultation)."""
    return [a for a in am.list_all(repo) if a.consultation == cid]


def contributions(repo: GitRepo, cid: str, c: Consultation | None = None) -> list[Contribution]:
    """Every contribution of a consultation, oldest first, with its stances and response."""
    c = c or get(repo, cid)
    out: dict[str, Contribution] = {}
    on = {e.id: e.data.get("commitment", "") for e in c.events if e.type == comments.ADD}
    for cm in comments.fold(c.events).values():
        if cm.consultation != cid or cm.reply_to:
            continue
        out[f"comment-{cm.id}"] = Contribution(f"comment-{cm.id}", "comment", cm.author, cm.time, on[cm.id],
                                               cm.body, cm.anchor, cm.quote, hidden=cm.hidden, order=cm.seq)
    for a in _proposed_in(repo, cid):
        text = a.title + ("\n\n" + a.rationale if a.rationale else "")
        out[f"amendment-{a.number}"] = Contribution(f"amendment-{a.number}", "amendment", a.author, a.opened,
                                                    a.commitment, text, amendment=a.number, order=a.number)
    for e in c.events:
        target = out.get(e.data.get("contribution", ""))
        if target is None:
            continue
        if e.type == HIDE:  # an amendment contributed, hidden by moderation (a comment is hidden in its log)
            target.hidden = {"by": e.actor, "time": e.time, "reason": e.data["reason"]}
        elif e.type == STANCE:
            if e.data["stance"] == "none":
                target.stances.pop(e.actor, None)
            else:
                target.stances[e.actor] = e.data["stance"]
        elif e.type == RESPONSE:
            d = e.data
            r = Response(d["outcome"], d["reason"], d.get("carried_by"), e.actor, d["name"], d.get("organisation"),
                         e.time, e.id)
            target.responses.append(r)
            target.response = r
    return sorted(out.values(), key=lambda x: (x.time, x.kind, x.order))  # oldest first; one second: log order


def contribution(repo: GitRepo, cid: str, key: str, c: Consultation | None = None) -> Contribution:
    for x in contributions(repo, cid, c):
        if x.key == key:
            return x
    raise Missing("consultation.no_contribution", contribution=repr(key), consultation=cid)


@dataclass(frozen=True)
class Participation:
    contributions: int
    comments: int
    amendments: int
    contributors: int       # distinct authors
    participants: int       # distinct authors who are participants (~pseudonym)
    stances: int
    supports: int
    oppositions: int
    answered: int
    waiting: int
    hidden: int
    outcomes: dict          # outcome -> count

    def as_json(self) -> dict:
        return dict(self.__dict__)


def participation(repo: GitRepo, cid: str, items: list[Contribution] | None = None) -> Participation:
    items = contributions(repo, cid) if items is None else items
    authors = {x.author for x in items}
    outcomes = {o: sum(1 for x in items if x.response and x.response.outcome == o) for o in OUTCOMES}
    return Participation(len(items), sum(1 for x in items if x.kind == "comment"),
                         sum(1 for x in items if x.kind == "amendment"), len(authors),
                         sum(1 for a in authors if a.startswith("~")),
                         sum(len(x.stances) for x in items), sum(x.supports for x in items),
                         sum(x.oppositions for x in items), sum(1 for x in items if x.response),
                         sum(1 for x in items if x.waiting), sum(1 for x in items if x.hidden), outcomes)


def waiting(items: list[Contribution]) -> list[Contribution]:
    """The contributions that wait for a response, oldest first."""
    return [x for x in items if x.waiting]


# -- the report ------------------------------------------------------------------------------------

REPORT_COLUMNS = ("contribution", "kind", "time", "author", "commitment", "anchor", "text", "supports",
                  "oppositions", "outcome", "reason", "carried_by", "responded_by", "responded_at")


def report(repo: GitRepo, cid: str, today: dt.date | None = None) -> dict:
    """The reasoned-response report: the consultation, its figures and every contribution."""
    c = get(repo, cid)
    items = contributions(repo, cid, c)
    return {"consultation": c.as_json(today), "participation": participation(repo, cid, items).as_json(),
            "contributions": [x.as_json() for x in items]}


def report_csv(repo: GitRepo, cid: str, outcome_names: dict | None = None, header: list | None = None) -> str:
    """The report as CSV, one row per contribution (`outcome_names`/`header`: the reader's language);
    a text a spreadsheet would run as a formula is quoted (review/csvexport.py)."""
    names = outcome_names or {}
    rows = ([x.key, x.kind, x.time, x.author, x.commitment, x.anchor or "", "" if x.hidden else x.text,
             x.supports, x.oppositions, names.get(r.outcome, r.outcome) if r else "", r.reason if r else "",
             (r.carried_by or "") if r else "", r.by if r else "", r.time if r else ""]
            for x in contributions(repo, cid) for r in [x.response])
    return csvexport.table(header or REPORT_COLUMNS, rows)


# -- writing ------------------------------------------------------------------------------------

def _date(value, what: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else _bad_date(what, value)
    except ValueError:
        return _bad_date(what, value)


def _bad_date(what, value):
    raise Invalid("consultation.bad_date", field=what, value=repr(value))


def _words(title_fr, title_en, description_fr, description_en) -> dict:
    if not isinstance(title_fr, str) or not title_fr.strip():
        raise Invalid("consultation.no_title")
    for t in (title_fr, title_en or ""):
        if not isinstance(t, str) or len(t) > MAX_TITLE or any(ch < " " for ch in t):
            raise Invalid("consultation.bad_title", n=MAX_TITLE)
    for d in (description_fr or "", description_en or ""):
        if not isinstance(d, str) or len(d) > MAX_DESCRIPTION:
            raise Invalid("consultation.description_long", n=MAX_DESCRIPTION)
    return {"title_fr": title_fr.strip(), "title_en": (title_en or "").strip(),
            "description_fr": (description_fr or "").strip().replace("\r\n", "\n"),
            "description_en": (description_en or "").strip().replace("\r\n", "\n")}


def announce(repo: GitRepo, person: Person | None, cid: str, title_fr: str, opens, closes, *,
             title_en: str = "", description_fr: str = "", description_en: str = "", scope: str = "plan",
             commitments_: list[str] | None = None, draft: str | None = None,
             notice_days: int = NOTICE_DAYS, announced: dt.date | None = None) -> Consultation:
    """Announce a consultation (coordinators): it opens on `opens`, at least `notice_days` after
    the announcement, and closes at the end of `closes`. `announced` (default: today) lets a test
    setup date an announcement in the past; pages and commands never pass it."""
    require(person, "manage_consultation")
    if not valid_id(cid):
        raise Invalid("consultation.bad_id", consultation=repr(cid), n=MAX_ID)
    words = _words(title_fr, title_en, description_fr, description_en)
    day = _today(announced)
    opens_d, closes_d = _date(opens, "opens"), _date(closes, "closes")
    if (opens_d - day).days < notice_days:
        raise Invalid("consultation.short_notice", opens=opens_d.isoformat(), days=notice_days,
                      earliest=(day + dt.timedelta(days=notice_days)).isoformat())
    if closes_d < opens_d or (closes_d - opens_d).days > MAX_DAYS:
        raise Invalid("consultation.bad_window", n=MAX_DAYS)
    if scope not in SCOPES:
        raise Invalid("consultation.bad_scope", value=repr(scope), choices=", ".join(SCOPES))
    main = core.resolve(repo, "main")
    chosen: list[str] = []
    draft_commit = None
    if scope == "commitments":
        known = {s.id for s in core.list_commitments(repo, main)}
        chosen = sorted(set(commitments_ or []))
        if not chosen or len(chosen) > MAX_COMMITMENTS:
            raise Invalid("consultation.no_commitments", n=MAX_COMMITMENTS)
        unknown = [x for x in chosen if x not in known]
        if unknown:
            raise Invalid("consultation.unknown_commitments", commitments=", ".join(map(repr, unknown)))
    elif scope == "draft":
        if not isinstance(draft, str) or not draft.strip():
            raise Invalid("consultation.no_draft")
        try:
            draft_commit = core.resolve(repo, draft.strip())
        except core.NotFound:
            raise Invalid("consultation.unknown_draft", draft=repr(draft)) from None
        draft = draft.strip()
    data = {"consultation": cid, **words, "scope": scope, "commitments": chosen,
            "draft": draft if scope == "draft" else None, "draft_commit": draft_commit,
            "announced": day.isoformat(), "opens": opens_d.isoformat(), "closes": closes_d.isoformat()}

    def check(events):
        if events:
            raise Conflict("consultation.exists", consultation=cid)

    try:
        reviewlog.append(repo, log_ref(cid), reviewlog.identity(person.handle, person.name), person.handle, ANNOUNCE,
                         data, f"Announce consultation {cid}: {words['title_fr'][:60]}", check,
                         {"Consultation": cid})
    except RefMoved:  # pragma: no cover - created by someone else between two reads
        raise Conflict("consultation.exists", consultation=cid) from None
    return get(repo, cid)


def _act(repo, person, cid, etype, data, summary, check_state) -> Consultation:
    def check(events):
        c = _fold(cid, events)
        if c is None:
            raise Missing("consultation.missing", consultation=repr(cid))
        check_state(c, events)

    if person is None:
        raise Forbidden("permission.sign_in")
    reviewlog.append(repo, log_ref(cid), reviewlog.identity(person.handle, person.name), person.handle, etype,
                     data, summary, check, {"Consultation": cid})
    return get(repo, cid)


def edit(repo: GitRepo, person: Person | None, cid: str, title_fr: str, closes, *, title_en: str = "",
         description_fr: str = "", description_en: str = "", today: dt.date | None = None) -> Consultation:
    """Change the words or the closing date (not the opening: the notice was given for it)."""
    require(person, "manage_consultation")
    words = _words(title_fr, title_en, description_fr, description_en)
    closes_d = _date(closes, "closes")

    def state(c, _events):
        if c.state(today) in ("closed", "answered"):
            raise Conflict("consultation.over", consultation=cid, state=c.state(today))
        if closes_d.isoformat() < c.opens or (closes_d - dt.date.fromisoformat(c.opens)).days > MAX_DAYS:
            raise Invalid("consultation.bad_window", n=MAX_DAYS)
        if closes_d < _today(today) and c.state(today) == "open":
            raise Invalid("consultation.closes_past")

    return _act(repo, person, cid, EDIT, {**words, "closes": closes_d.isoformat()}, f"Edit consultation {cid}", state)


def close(repo: GitRepo, person: Person | None, cid: str, reason: str | None = None,
          today: dt.date | None = None) -> Consultation:
    """Close an open (or still only announced) consultation now."""
    require(person, "manage_consultation")
    if reason is not None and (not isinstance(reason, str) or len(reason) > MAX_REASON):
        raise Invalid("consultation.reason_long", n=MAX_REASON)

    def state(c, _events):
        if c.state(today) in ("closed", "answered"):
            raise Conflict("consultation.over", consultation=cid, state=c.state(today))

    return _act(repo, person, cid, CLOSE, {"reason": (reason or "").strip() or None}, f"Close consultation {cid}", state)


def mark_answered(repo: GitRepo, person: Person | None, cid: str, today: dt.date | None = None) -> Consultation:
    """Close a consultation as answered: refused while it is open or any contribution waits."""
    require(person, "manage_consultation")
    def check_state(c, events):
        s = c.state(today)
        if s == "answered":
            raise Conflict("consultation.over", consultation=cid, state=s)
        if s != "closed":
            raise Conflict("consultation.not_closed", consultation=cid, state=s)
        c.events = list(events)
        left = waiting(contributions(repo, cid, c))
        if left:
            raise Conflict("consultation.waiting", consultation=cid, n=len(left))

    return _act(repo, person, cid, ANSWERED, {}, f"Consultation {cid} answered", check_state)


def _open_guard(cid: str, commitment: str, today: dt.date | None):
    def guard(events):
        c = _fold(cid, events)
        if c is None:
            raise Missing("consultation.missing", consultation=repr(cid))
        state = c.state(today)
        if state != "open":
            raise Forbidden("consultation.not_open", consultation=cid, state=state)
        if commitment and not c.covers(commitment):
            raise Forbidden("consultation.out_of_scope", commitment=commitment, consultation=cid)
    return guard


def _open(repo, cid, commitment, today) -> Consultation:
    c = get(repo, cid)
    _open_guard(cid, commitment, today)(c.events)
    return c


def contribute_comment(repo: GitRepo, person: Person | None, cid: str, commitment: str, body: str,
                       anchor: str | None = None, quote: str | None = None, lang: str = model.AUTHORITATIVE,
                       today: dt.date | None = None) -> Contribution:
    """Comment on a passage of a commitment the open consultation covers (participants and
    participating roles); the comment goes to the consultation's log."""
    require(person, "contribute")
    c = _open(repo, cid, commitment, today)
    rev = c.draft_commit if c.scope == "draft" else None
    cm = comments.add(repo, person, commitment, body, rev=rev, anchor=anchor, quote=quote, lang=lang,
                      log=log_ref(cid), consultation=cid, guard=_open_guard(cid, commitment, today))
    return contribution(repo, cid, f"comment-{cm.id}")


def contribute_amendment(repo: GitRepo, person: Person | None, cid: str, commitment: str, title: str,
                         rationale: str, files, today: dt.date | None = None) -> Contribution:
    """Propose an amendment during an open consultation (not a draft's: drafts take comments)."""
    require(person, "contribute")
    c = _open(repo, cid, commitment, today)
    if c.scope == "draft":
        raise Invalid("consultation.draft_amendment", consultation=cid)
    for path in files or {}:
        m = am.TARGET_RE.match(path) if isinstance(path, str) else None
        if not c.covers(m.group(1) if m else am.PLAN_TARGET):
            raise Forbidden("consultation.out_of_scope", commitment=m.group(1) if m else am.PLAN_TARGET,
                            consultation=cid)
    a = am.propose(repo, person, commitment, title, rationale, files, consultation=cid)
    return contribution(repo, cid, f"amendment-{a.number}")


def take_stance(repo: GitRepo, person: Person | None, cid: str, key: str, stance: str,
                today: dt.date | None = None) -> Contribution:
    """Support or oppose a contribution (`none` withdraws one's stance); one stance per person
    per contribution, changeable while the consultation is open."""
    require(person, "contribute")
    if stance not in STANCES:
        raise Invalid("consultation.bad_stance", value=repr(stance), choices=", ".join(STANCES))
    c = get(repo, cid)
    target = contribution(repo, cid, key, c)
    if target.hidden:
        raise Conflict("consultation.hidden")
    if target.author == person.handle:
        raise Invalid("consultation.own_contribution")

    def state(now, events):
        _open_guard(cid, "", today)(events)
        current = None
        for e in events:
            if e.type == STANCE and e.actor == person.handle and e.data["contribution"] == key:
                current = e.data["stance"]
        if (current or "none") == stance:
            raise Invalid("consultation.same_stance", stance=stance)

    _act(repo, person, cid, STANCE, {"contribution": key, "stance": stance},
         f"Stance on {key} in consultation {cid}: {stance}", state)
    return contribution(repo, cid, key)


def respond(repo: GitRepo, person: Person | None, cid: str, key: str, outcome: str, reason: str,
            carried_by: str | None = None) -> Contribution:
    """The reasoned response to a contribution (a coordinator, or a member of a lead
    administration of its commitment): retained, partly retained, not retained or out of scope,
    with a reason; a retained one names the amendment or commitment that carries it out
    (`amendments/<n>` or `commitments/<id>`). A later response replaces the earlier one (both stay
    in the log) until the consultation is marked answered."""
    if person is None:
        raise Forbidden("permission.sign_in")
    c = get(repo, cid)
    target = contribution(repo, cid, key, c)
    leads = core.leads_on_main(repo, target.commitment) if model.valid_id(target.commitment) else ()
    require(person, "respond_contribution", Subject(leads=leads))
    if outcome not in OUTCOMES:
        raise Invalid("consultation.bad_outcome", value=repr(outcome), choices=", ".join(OUTCOMES))
    if not isinstance(reason, str) or not reason.strip():
        raise Invalid("consultation.no_reason")
    if len(reason) > MAX_REASON:
        raise Invalid("consultation.reason_long", n=MAX_REASON)
    carried_by = (carried_by or "").strip() or None
    if outcome in ("retained", "partly-retained"):
        if carried_by is None:
            raise Invalid("consultation.no_link")
    if carried_by is not None:
        m = CARRIED_RE.match(carried_by)
        if m is None:
            raise Invalid("consultation.bad_link", value=repr(carried_by))
        try:
            if m.group(2):
                am.get(repo, int(m.group(2)))
            else:
                core.read_commitment(repo, core.resolve(repo, "main"), m.group(3))
        except (Missing, core.NotFound):
            raise Invalid("consultation.unknown_link", value=carried_by) from None

    def state(now, _events):
        if now.answered:
            raise Conflict("consultation.over", consultation=cid, state="answered")

    _act(repo, person, cid, RESPONSE,
         {"contribution": key, "outcome": outcome, "reason": reason.strip().replace("\r\n", "\n"),
          "carried_by": carried_by, "name": person.name, "organisation": person.organisation},
         f"Response to {key} in consultation {cid}: {outcome}", state)
    return contribution(repo, cid, key)


def hide_contribution(repo: GitRepo, person: Person | None, cid: str, key: str, reason: str) -> Contribution:
    """Moderation: hide a contribution; a stub with the reason stays. A comment is hidden in the
    log it was written in (as any comment); an amendment by a `consultation-hide` event in the
    consultation's log: its title and rationale give way to the stub on the consultation's pages,
    in its report and on the amendment's page. Hiding does not decide the amendment: a
    coordinator still rejects it (or a response answers it) as for any other."""
    target = contribution(repo, cid, key)
    if target.kind == "comment":
        comments.hide(repo, person, target.commitment, key.removeprefix("comment-"), reason, log=log_ref(cid))
        return contribution(repo, cid, key)
    require(person, "hide")
    if not isinstance(reason, str) or not reason.strip():
        raise Invalid("comment.no_hide_reason")
    if len(reason) > comments.MAX_REASON:
        raise Invalid("moderation.reason_long", n=comments.MAX_REASON)

    def check_state(c, events):
        if any(e.type == HIDE and e.data.get("contribution") == key for e in events):
            raise Conflict("consultation.hidden")

    _act(repo, person, cid, HIDE, {"contribution": key, "reason": reason.strip()},
         f"Hide contribution {key} of consultation {cid}", check_state)
    return contribution(repo, cid, key)


def hidden_amendment(repo: GitRepo, amendment: am.Amendment) -> dict | None:
    """The moderation stub of an amendment contributed to a consultation and hidden there
    ({"by", "time", "reason"}), or None."""
    if not amendment.consultation or not valid_id(amendment.consultation):
        return None
    key = f"amendment-{amendment.number}"
    try:
        events = reviewlog.read_events(repo, log_ref(amendment.consultation))
    except Missing:
        return None
    for e in events:
        if e.type == HIDE and e.data.get("contribution") == key:
            return {"by": e.actor, "time": e.time, "reason": e.data.get("reason", "")}
    return None
