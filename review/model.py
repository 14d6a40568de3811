"""The plan's stored format: `plan.yaml` and commitment files (schema: docs/format.md).

Parsing is strict and every problem is reported as `path:line: what is wrong`, so that
`review init`, the web editor and the git hooks refuse the same malformed file the same way.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import yaml

try:
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

FORMAT_VERSION = 1
PLAN_PATH = "plan.yaml"
COMMITMENTS_DIR = "commitments"
LANGUAGES = ("fr", "en")
AUTHORITATIVE = "fr"
ROLES = ("member", "signatory", "coordinator", "moderator", "auditor")
ORG_KINDS = ("administration", "civil-society", "independent")
ID_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
HANDLE_RE = re.compile(r"^[a-z][a-z0-9_-]{1,31}$")
DUE_RE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")
MAX_ID_LEN = 64
MAX_FILE_BYTES = 200 * 1024
PAGES_DIR = "pages"
ASSETS_DIR = "assets"
SECTIONS = ("front", "back")   # a page is read before the axes or after them
ASSET_RE = re.compile(r"^assets/([a-z0-9]+(?:[._-][a-z0-9]+)*\.(?:png|jpe?g|gif|webp))$")
PAGE_PATH_RE = re.compile(r"^pages/([a-z0-9]+(?:-[a-z0-9]+)*)/(fr|en)\.md$")
MAX_ASSET_BYTES = 2 * 1024 * 1024
ASSET_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif",
               "webp": "image/webp"}
MAX_YAML_BYTES = 1024 * 1024  # plan.yaml or one front matter
MAX_YAML_DEPTH = 32  # nested mappings and lists
MAX_YAML_NODES = 100_000


def commitment_path(cid: str, lang: str = AUTHORITATIVE) -> str:
    return f"{COMMITMENTS_DIR}/{cid}/{lang}.md"


def page_path(slug: str, lang: str = AUTHORITATIVE) -> str:
    return f"{PAGES_DIR}/{slug}/{lang}.md"


def valid_id(value: str) -> bool:
    return isinstance(value, str) and len(value) <= MAX_ID_LEN and bool(ID_RE.match(value))


class SchemaError(Exception):
    """One or more problems, each `path:line: message`."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Organisation:
    id: str
    kind: str
    name: dict[str, str]

    def label(self, lang: str) -> str:
        return self.name.get(lang) or self.name[AUTHORITATIVE]


@dataclass(frozen=True)
class Person:
    handle: str
    name: str
    organisation: str | None
    roles: tuple[str, ...]

    def has(self, role: str) -> bool:
        return role in self.roles


@dataclass(frozen=True)
class Axis:
    id: str
    title: dict[str, str]
    themes: dict[str, dict[str, str]]


REQUIREMENT_KINDS = ("lead-signatories", "civil-society", "coordinators")


@dataclass(frozen=True)
class Requirement:
    """N approvals from people of one kind (see docs/format.md, sign-off)."""

    kind: str
    count: int


@dataclass(frozen=True)
class Policy:
    requirements: tuple[Requirement, ...]
    exclude_author_organisation: bool = True
    objections_block: bool = True
    auto_merge: bool = False


DEFAULT_POLICY = Policy((Requirement("lead-signatories", 1), Requirement("civil-society", 1)))
DEFAULT_PLAN_POLICY = Policy((Requirement("coordinators", 1), Requirement("civil-society", 1)))


@dataclass(frozen=True)
class Signoff:
    default: Policy = DEFAULT_POLICY
    plan: Policy = DEFAULT_PLAN_POLICY          # amendments that change plan.yaml
    commitments: dict = field(default_factory=dict)  # commitment id -> Policy

    def for_commitment(self, cid: str) -> Policy:
        return self.commitments.get(cid, self.default)


@dataclass(frozen=True)
class Plan:
    title: dict[str, str]
    country: str
    adopted: dt.date
    period: tuple[dt.date, dt.date]
    review_due: dt.date | None
    languages: tuple[str, ...]
    axes: tuple[Axis, ...]
    organisations: dict[str, Organisation]
    people: dict[str, Person]
    signoff: Signoff = field(default_factory=Signoff)
    raw: dict = field(repr=False, compare=False, default_factory=dict)
    cover: dict = field(default_factory=dict)   # lang -> assets/<name>

    def axis(self, axis_id: str) -> Axis | None:
        return next((a for a in self.axes if a.id == axis_id), None)


@dataclass(frozen=True)
class Milestone:
    id: str
    title: dict[str, str]
    due: str | None
    lead: str | None


@dataclass(frozen=True)
class Part:
    """A sub-commitment: its title per language and its own lead administrations."""

    title: dict[str, str]
    leads: tuple[str, ...]


@dataclass(frozen=True)
class Page:
    """A page of the plan outside the commitments (preface, annex, glossary, an axis or theme
    introduction): `pages/<slug>/{fr,en}.md`."""

    slug: str
    title: str
    section: str
    position: int
    axis: str | None
    theme: str | None
    glossary: bool
    body: str
    titles: dict[str, str]
    bodies: dict[str, str]

    def title_in(self, lang: str) -> str:
        return self.titles.get(lang) or self.title

    def body_in(self, lang: str) -> str:
        return self.bodies.get(lang) or self.body


@dataclass(frozen=True)
class Commitment:
    id: str
    number: int
    title: str
    axis: str
    theme: str | None
    leads: tuple[str, ...]
    milestones: tuple[Milestone, ...]
    body: str
    titles: dict[str, str]
    bodies: dict[str, str]
    parts: tuple[Part, ...] = ()

    def title_in(self, lang: str) -> str:
        return self.titles.get(lang) or self.title

    def body_in(self, lang: str) -> str:
        return self.bodies.get(lang) or self.body


# -- YAML with line numbers ---------------------------------------------------

def _bounded_yaml(text: str, path: str, first_line: int = 1):
    """(node, data) of a YAML document from a user, refused in linear time (`path:line: ...`) when it
    holds what the plan's format never uses and a hostile file would: anchors and aliases (the
    "billion laughs"), explicit tags, nesting deeper than MAX_YAML_DEPTH, more than MAX_YAML_NODES
    nodes or more than MAX_YAML_BYTES."""
    offset = first_line - 1

    def refuse(line: int, message: str):
        raise SchemaError([f"{path}:{line + offset}: {message}"])

    if not isinstance(text, str):
        refuse(1, "invalid YAML: the text must be a string")
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_YAML_BYTES:
        refuse(1, f"the YAML is {size} bytes; the limit is {MAX_YAML_BYTES} bytes")
    depth = nodes = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            line = event.start_mark.line + 1 if event.start_mark else 1
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                refuse(line, "YAML anchors and aliases (& and *) are not allowed: write each value out")
            if getattr(event, "tag", None) and not (isinstance(event, yaml.ScalarEvent) and event.implicit[0]):
                refuse(line, f"YAML tags ({event.tag}) are not allowed: write plain values")
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_YAML_DEPTH:
                    refuse(line, f"the YAML is nested more than {MAX_YAML_DEPTH} levels deep")
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
            if isinstance(event, (yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                nodes += 1
                if nodes > MAX_YAML_NODES:
                    refuse(line, f"the YAML has more than {MAX_YAML_NODES} values")
        node = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        refuse(mark.line + 1 if mark else 1, f"invalid YAML: {problem}")
    except (ValueError, OverflowError, RecursionError) as exc:  # a date like 2015-13-45, a 5,000-digit number
        refuse(1, f"invalid YAML: {str(exc)[:200]}")
    return node, data


def load_yaml(text: str, path: str, first_line: int = 1):
    """A YAML document written by a user (plan.yaml, a front matter), bounded: raises SchemaError."""
    return _bounded_yaml(text, path, first_line)[1]


class _Doc:
    """Parsed YAML plus the line of each node, addressed by its key path."""

    def __init__(self, path: str, text: str, first_line: int = 1):
        self.path = path
        self.offset = first_line - 1
        self.lines: dict[tuple, int] = {}
        self.problems: list[str] = []
        node, self.data = _bounded_yaml(text, path, first_line)
        if node is not None:
            self._index(node, ())

    def _index(self, node, key: tuple) -> None:
        self.lines[key] = node.start_mark.line + 1 + self.offset
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                self.lines[key + (k.value,)] = k.start_mark.line + 1 + self.offset
                self._index(v, key + (k.value,))
                self.lines[key + (k.value,)] = k.start_mark.line + 1 + self.offset
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                self._index(v, key + (i,))

    def line(self, key: tuple) -> int:
        while key and key not in self.lines:
            key = key[:-1]
        return self.lines.get(key, 1 + self.offset)

    def error(self, key: tuple, message: str) -> None:
        self.problems.append(f"{self.path}:{self.line(key)}: {message}")

    def check(self) -> None:
        if self.problems:
            raise SchemaError(self.problems)


def _where(key: tuple) -> str:
    return ".".join(str(k) for k in key) or "document"


def _mapping(doc: _Doc, value, key: tuple, required: dict, optional: dict) -> dict | None:
    """Check a mapping's keys: required and optional map key -> human type."""
    if not isinstance(value, dict):
        doc.error(key, f"{_where(key)} must be a mapping")
        return None
    for k in required:
        if k not in value:
            doc.error(key, f"{_where(key)}: missing key '{k}' ({required[k]})")
    for k in value:
        if k not in required and k not in optional:
            allowed = ", ".join(list(required) + list(optional))
            doc.error(key + (k,), f"{_where(key)}: unknown key '{k}' (allowed: {allowed})")
    return value


def _text(doc: _Doc, value, key: tuple, max_len: int = 500) -> str | None:
    if not isinstance(value, str) or not value.strip():
        doc.error(key, f"{_where(key)} must be a non-empty string")
        return None
    if len(value) > max_len:
        doc.error(key, f"{_where(key)} is longer than {max_len} characters")
    return value


def _i18n(doc: _Doc, value, key: tuple) -> dict[str, str]:
    m = _mapping(doc, value, key, {AUTHORITATIVE: "text"}, {"en": "text"})
    if m is None:
        return {}
    return {lang: m[lang] for lang in LANGUAGES if lang in m and _text(doc, m[lang], key + (lang,))}


def as_date(value) -> dt.date | None:
    """A date given as a date, a datetime or a `YYYY-MM-DD` string; None for anything else."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and len(value) == 10:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _date(doc: _Doc, value, key: tuple) -> dt.date | None:
    day = as_date(value)
    if day is None:
        doc.error(key, f"{_where(key)} must be a date written YYYY-MM-DD")
    return day


def _id(doc: _Doc, value, key: tuple, what: str) -> str | None:
    if not valid_id(value):
        doc.error(key, f"{_where(key)}: {what} {value!r} must be lowercase letters, digits "
                       f"and single hyphens, at most {MAX_ID_LEN} characters")
        return None
    return value


def _list(doc: _Doc, value, key: tuple) -> list:
    if not isinstance(value, list):
        doc.error(key, f"{_where(key)} must be a list")
        return []
    return value


# -- plan.yaml ----------------------------------------------------------------

def parse_plan(text: str | bytes, path: str = PLAN_PATH) -> Plan:
    if isinstance(text, bytes):
        text = _decode(text, path)
    doc = _Doc(path, text)
    top = _mapping(doc, doc.data, (), {
        "format": "1", "title": "fr/en text", "adopted": "date", "period": "start/end dates",
        "axes": "list", "organisations": "list", "people": "list",
    }, {"country": "code", "review_due": "date", "languages": "list", "signoff": "policy",
        "cover": "fr/en asset paths"})
    if top is None:
        doc.check()
    if top.get("format") not in (None, FORMAT_VERSION):
        doc.error(("format",), f"format must be {FORMAT_VERSION} (this version of review reads format {FORMAT_VERSION})")
    title = _i18n(doc, top.get("title"), ("title",))
    adopted = _date(doc, top.get("adopted"), ("adopted",)) if "adopted" in top else None
    period = (None, None)
    p = _mapping(doc, top.get("period", {}), ("period",), {"start": "date", "end": "date"}, {})
    if p:
        period = (_date(doc, p.get("start"), ("period", "start")) if "start" in p else None,
                  _date(doc, p.get("end"), ("period", "end")) if "end" in p else None)
        if period[0] and period[1] and period[1] < period[0]:
            doc.error(("period", "end"), "period.end is before period.start")
    review_due = _date(doc, top["review_due"], ("review_due",)) if "review_due" in top else None
    languages = tuple(top.get("languages") or LANGUAGES)
    if not set(languages) <= set(LANGUAGES) or languages[0] != AUTHORITATIVE:
        doc.error(("languages",), f"languages must list {', '.join(LANGUAGES)}, '{AUTHORITATIVE}' first")

    axes: list[Axis] = []
    seen: set[str] = set()
    for i, a in enumerate(_list(doc, top.get("axes", []), ("axes",))):
        key = ("axes", i)
        a = _mapping(doc, a, key, {"id": "id", "title": "fr/en text"}, {"themes": "list"})
        if a is None:
            continue
        aid = _id(doc, a.get("id"), key + ("id",), "axis id")
        if aid in seen:
            doc.error(key + ("id",), f"axis id '{aid}' is used twice")
        seen.add(aid)
        themes = {}
        for j, t in enumerate(_list(doc, a.get("themes", []), key + ("themes",))):
            tk = key + ("themes", j)
            t = _mapping(doc, t, tk, {"id": "id", "title": "fr/en text"}, {})
            if t is None:
                continue
            tid = _id(doc, t.get("id"), tk + ("id",), "theme id")
            if tid in themes:
                doc.error(tk + ("id",), f"theme id '{tid}' is used twice")
            themes[tid] = _i18n(doc, t.get("title"), tk + ("title",))
        axes.append(Axis(aid, _i18n(doc, a.get("title"), key + ("title",)), themes))
    if not axes:
        doc.error(("axes",), "axes must list at least one axis")

    orgs: dict[str, Organisation] = {}
    for i, o in enumerate(_list(doc, top.get("organisations", []), ("organisations",))):
        key = ("organisations", i)
        o = _mapping(doc, o, key, {"id": "id", "kind": "|".join(ORG_KINDS), "name": "fr/en text"}, {})
        if o is None:
            continue
        oid = _id(doc, o.get("id"), key + ("id",), "organisation id")
        if oid in orgs:
            doc.error(key + ("id",), f"organisation id '{oid}' is used twice")
        if o.get("kind") not in ORG_KINDS:
            doc.error(key + ("kind",), f"organisation kind must be one of {', '.join(ORG_KINDS)}, not {o.get('kind')!r}")
        if oid:
            orgs[oid] = Organisation(oid, o.get("kind"), _i18n(doc, o.get("name"), key + ("name",)))

    people: dict[str, Person] = {}
    for i, p in enumerate(_list(doc, top.get("people", []), ("people",))):
        key = ("people", i)
        p = _mapping(doc, p, key, {"handle": "handle", "name": "text", "roles": "list"},
                     {"organisation": "organisation id"})
        if p is None:
            continue
        handle = p.get("handle")
        if not isinstance(handle, str) or not HANDLE_RE.match(handle):
            doc.error(key + ("handle",), f"handle {handle!r} must be 2-32 characters: a lowercase "
                                         "letter, then lowercase letters, digits, '_' or '-'")
            continue
        if handle in people:
            doc.error(key + ("handle",), f"handle '{handle}' is used twice")
        name = _text(doc, p.get("name"), key + ("name",), 120)
        org = p.get("organisation")
        if org is not None and org not in orgs:
            doc.error(key + ("organisation",), f"organisation '{org}' is not listed under organisations")
        roles = _list(doc, p.get("roles", []), key + ("roles",))
        for j, r in enumerate(roles):
            if r not in ROLES:
                doc.error(key + ("roles", j), f"role {r!r} is not one of {', '.join(ROLES)}")
        if ("member" in roles or "signatory" in roles) and org is None:
            doc.error(key + ("roles",), "a member or signatory needs an organisation")
        people[handle] = Person(handle, name or handle, org, tuple(roles))
    signoff = _signoff(doc, top.get("signoff"), ("signoff",)) if "signoff" in top else Signoff()
    cover = _i18n(doc, top["cover"], ("cover",)) if "cover" in top else {}
    for lang, c in cover.items():
        if not ASSET_RE.match(c):
            doc.error(("cover", lang), f"cover.{lang} {c!r} must name an image under assets/ "
                                       "(lowercase name ending .png, .jpg, .gif or .webp)")
    doc.check()
    return Plan(title=title, country=str(top.get("country", "")), adopted=adopted,
                period=period, review_due=review_due, languages=languages, axes=tuple(axes),
                organisations=orgs, people=people, signoff=signoff, raw=top, cover=cover)


def _policy(doc: _Doc, value, key: tuple, fallback: Policy) -> Policy:
    m = _mapping(doc, value, key, {}, {"requirements": "list", "exclude_author_organisation": "true|false",
                                       "objections_block": "true|false", "auto_merge": "true|false"})
    if m is None:
        return fallback
    reqs = []
    for i, r in enumerate(_list(doc, m.get("requirements", []), key + ("requirements",))):
        rk = key + ("requirements", i)
        r = _mapping(doc, r, rk, {"kind": "|".join(REQUIREMENT_KINDS), "count": "whole number"}, {})
        if r is None:
            continue
        if r.get("kind") not in REQUIREMENT_KINDS:
            doc.error(rk + ("kind",), f"requirement kind must be one of {', '.join(REQUIREMENT_KINDS)}, not {r.get('kind')!r}")
        count = r.get("count")
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 50:
            doc.error(rk + ("count",), f"count must be a whole number from 1 to 50, not {count!r}")
        reqs.append(Requirement(r.get("kind"), count if isinstance(count, int) else 1))
    if "requirements" in m and not reqs:
        doc.error(key + ("requirements",), "a policy needs at least one requirement")
    flags = {}
    for name in ("exclude_author_organisation", "objections_block", "auto_merge"):
        if name in m:
            if not isinstance(m[name], bool):
                doc.error(key + (name,), f"{name} must be true or false")
            else:
                flags[name] = m[name]
    return Policy(tuple(reqs) or fallback.requirements,
                  flags.get("exclude_author_organisation", fallback.exclude_author_organisation),
                  flags.get("objections_block", fallback.objections_block),
                  flags.get("auto_merge", fallback.auto_merge))


def _signoff(doc: _Doc, value, key: tuple) -> Signoff:
    m = _mapping(doc, value, key, {}, {"default": "policy", "plan": "policy", "commitments": "id -> policy"})
    if m is None:
        return Signoff()
    default = _policy(doc, m["default"], key + ("default",), DEFAULT_POLICY) if "default" in m else DEFAULT_POLICY
    plan = _policy(doc, m["plan"], key + ("plan",), DEFAULT_PLAN_POLICY) if "plan" in m else DEFAULT_PLAN_POLICY
    per = {}
    overrides = m.get("commitments", {}) or {}
    if not isinstance(overrides, dict):
        doc.error(key + ("commitments",), "signoff.commitments must map commitment ids to policies")
        overrides = {}
    for cid, pol in overrides.items():
        if not valid_id(cid):
            doc.error(key + ("commitments", cid), f"{cid!r} is not a commitment id")
            continue
        per[cid] = _policy(doc, pol, key + ("commitments", cid), default)
    return Signoff(default, plan, per)


# -- commitment files ---------------------------------------------------------

def _decode(data: bytes, path: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise SchemaError([f"{path}:{line}: not valid UTF-8 (byte {exc.start}): save the file as UTF-8"]) from None


def split_front_matter(text: str, path: str) -> tuple[str, str, int]:
    """(front matter YAML, body, line where the YAML starts)."""
    if not text.startswith("---\n") and not text.startswith("---\r\n"):
        raise SchemaError([f"{path}:1: a commitment file must start with a '---' line opening its front matter"])
    lines = text.split("\n")
    for i in range(1, len(lines)):
        if lines[i].rstrip("\r") == "---":
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1:]).lstrip("\n"), 2
    raise SchemaError([f"{path}:1: the front matter is not closed: add a '---' line after it"])


def normalise_newlines(text: str) -> str:
    """LF line endings (a file saved with CRLF or CR reads the same)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _translated(title: str, body: str, translations: dict | None, path_of) -> tuple[dict, dict]:
    """Titles and bodies by language: the authoritative ones, then each translation's, read
    from its file (`path_of(lang)`); every translation's problems at once."""
    titles, bodies = {AUTHORITATIVE: title}, {AUTHORITATIVE: body}
    problems = []
    for lang, tdata in (translations or {}).items():
        try:
            titles[lang], bodies[lang] = parse_translation(tdata, path_of(lang))
        except SchemaError as exc:
            problems += exc.problems
    if problems:
        raise SchemaError(problems)
    return titles, bodies


def parse_translation(data: bytes | str, path: str) -> tuple[str, str]:
    """A non-authoritative language file -> (title, body)."""
    text = _decode(data, path) if isinstance(data, bytes) else data
    fm, body, first = split_front_matter(text, path)
    doc = _Doc(path, fm, first)
    m = _mapping(doc, doc.data, (), {"title": "text"}, {})
    title = _text(doc, m.get("title"), ("title",)) if m is not None else None
    doc.check()
    return title, body


def _front_matter_doc(data: bytes | str, path: str) -> tuple["_Doc", str]:
    """A plan file within the size limit, decoded, split: its front matter as a _Doc, and its body."""
    if len(data) > MAX_FILE_BYTES:
        raise SchemaError([f"{path}:1: the file is {len(data)} bytes; the limit is {MAX_FILE_BYTES} bytes"])
    text = _decode(data, path) if isinstance(data, bytes) else data
    fm, body, first = split_front_matter(text, path)
    return _Doc(path, fm, first), body


def parse_commitment(cid: str, data: bytes | str, plan: Plan, path: str | None = None,
                     translations: dict[str, bytes | str] | None = None) -> Commitment:
    """The authoritative file (and optionally its translations) -> Commitment."""
    path = path or commitment_path(cid)
    doc, body = _front_matter_doc(data, path)
    m = _mapping(doc, doc.data, (), {"number": "integer", "title": "text", "axis": "axis id",
                                     "leads": "organisation ids"},
                 {"theme": "theme id", "milestones": "list", "parts": "list"})
    if m is None:
        doc.check()
    number = m.get("number")
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        doc.error(("number",), f"number must be a whole number from 1, not {number!r}")
    title = _text(doc, m.get("title"), ("title",))
    axis = plan.axis(m.get("axis")) if isinstance(m.get("axis"), str) else None
    if "axis" in m and axis is None:
        doc.error(("axis",), f"axis {m.get('axis')!r} is not one of plan.yaml's axes: "
                             + ", ".join(a.id for a in plan.axes))
    theme = m.get("theme")
    if theme is not None and axis is not None and theme not in axis.themes:
        doc.error(("theme",), f"theme {theme!r} is not a theme of axis '{axis.id}'"
                  + (f" (themes: {', '.join(axis.themes)})" if axis.themes else " (it has none)"))
    leads = _list(doc, m.get("leads", []), ("leads",))
    if "leads" in m and not leads:
        doc.error(("leads",), "leads must name at least one organisation")
    for i, org in enumerate(leads):
        _lead(doc, plan, org, ("leads", i))
    parts: list[Part] = []
    for i, pt in enumerate(_list(doc, m.get("parts", []), ("parts",))):
        key = ("parts", i)
        pt = _mapping(doc, pt, key, {"title": "fr/en text", "leads": "organisation ids"}, {})
        if pt is None:
            continue
        pleads = _list(doc, pt.get("leads", []), key + ("leads",))
        if "leads" in pt and not pleads:
            doc.error(key + ("leads",), f"parts.{i}.leads must name at least one organisation")
        for j, org in enumerate(pleads):
            _lead(doc, plan, org, key + ("leads", j))
        parts.append(Part(_i18n(doc, pt.get("title"), key + ("title",)),
                          tuple(o for o in pleads if isinstance(o, str))))
    # a part's leads count among the commitment's leads (sign-off, progress, permissions)
    leads = list(leads) + [o for p in parts for o in p.leads if o not in leads]
    leads = list(dict.fromkeys(leads))
    milestones: list[Milestone] = []
    seen: set[str] = set()
    for i, ms in enumerate(_list(doc, m.get("milestones", []), ("milestones",))):
        key = ("milestones", i)
        ms = _mapping(doc, ms, key, {"id": "id", "title": "fr/en text"}, {"due": "date", "lead": "organisation id"})
        if ms is None:
            continue
        mid = _id(doc, ms.get("id"), key + ("id",), "milestone id")
        if mid in seen:
            doc.error(key + ("id",), f"milestone id '{mid}' is used twice")
        seen.add(mid)
        due = ms.get("due")
        if isinstance(due, dt.date):
            due = due.isoformat()
        elif isinstance(due, int):
            due = str(due)
        if due is not None and not (isinstance(due, str) and DUE_RE.match(due)):
            doc.error(key + ("due",), f"due {due!r} must be written YYYY, YYYY-MM or YYYY-MM-DD")
        lead = ms.get("lead")
        if lead is not None and lead not in leads:
            doc.error(key + ("lead",), f"milestone lead {lead!r} must be one of the commitment's leads")
        milestones.append(Milestone(mid, _i18n(doc, ms.get("title"), key + ("title",)), due, lead))
    doc.check()
    titles, bodies = _translated(title, body, translations, lambda lang: commitment_path(cid, lang))
    return Commitment(id=cid, number=number, title=title, axis=axis.id, theme=theme,
                      leads=tuple(leads), milestones=tuple(milestones), body=body,
                      titles=titles, bodies=bodies, parts=tuple(parts))


def _lead(doc: _Doc, plan: Plan, org, key: tuple) -> None:
    o = plan.organisations.get(org) if isinstance(org, str) else None
    if o is None:
        doc.error(key, f"lead {org!r} is not an organisation of plan.yaml")
    elif o.kind != "administration":
        doc.error(key, f"lead '{org}' is a {o.kind} organisation; leads are administrations")


# -- pages ----------------------------------------------------------------------

def parse_page(slug: str, data: bytes | str, plan: Plan, path: str | None = None,
               translations: dict[str, bytes | str] | None = None) -> Page:
    """`pages/<slug>/fr.md` (and optionally its translations) -> Page."""
    path = path or page_path(slug)
    doc, body = _front_matter_doc(data, path)
    m = _mapping(doc, doc.data, (), {"title": "text"},
                 {"section": "|".join(SECTIONS), "position": "integer", "axis": "axis id",
                  "theme": "theme id", "glossary": "true|false"})
    if m is None:
        doc.check()
    title = _text(doc, m.get("title"), ("title",))
    section = m.get("section", "front")
    if section not in SECTIONS:
        doc.error(("section",), f"section must be one of {', '.join(SECTIONS)}, not {section!r}")
    position = m.get("position", 0)
    if not isinstance(position, int) or isinstance(position, bool) or not 0 <= position <= 100000:
        doc.error(("position",), f"position must be a whole number from 0 to 100000, not {position!r}")
    axis = plan.axis(m.get("axis")) if isinstance(m.get("axis"), str) else None
    if "axis" in m and axis is None:
        doc.error(("axis",), f"axis {m.get('axis')!r} is not one of plan.yaml's axes: "
                             + ", ".join(a.id for a in plan.axes))
    theme = m.get("theme")
    if theme is not None and "axis" not in m:
        doc.error(("theme",), "a page that introduces a theme names its axis too (axis: ...)")
    elif theme is not None and axis is not None and theme not in axis.themes:
        doc.error(("theme",), f"theme {theme!r} is not a theme of axis '{axis.id}'")
    glossary = m.get("glossary", False)
    if not isinstance(glossary, bool):
        doc.error(("glossary",), "glossary must be true or false")
    doc.check()
    titles, bodies = _translated(title, body, translations, lambda lang: page_path(slug, lang))
    return Page(slug=slug, title=title, section=section, position=position if isinstance(position, int) else 0,
                axis=axis.id if axis else None, theme=theme, glossary=bool(glossary), body=body,
                titles=titles, bodies=bodies)


def load_front_matter(text: str) -> dict:
    """The front matter of a file already known to be valid (fast path, no line numbers)."""
    fm, _, line = split_front_matter(text, "")
    data = load_yaml(fm, "front matter", line)
    return data if isinstance(data, dict) else {}
