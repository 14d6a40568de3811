"""Full-text search over the plan and its review: an index derived from git (docs/search.md).

What is indexed: the text of every commitment and page on main (each paragraph apart, so a
hit links to its `#p-N`; titles, leads and milestones in one entry per commitment and
language), comments and replies (on commitments and amendments), amendments (title,
rationale, and the paragraphs their branch changes) and progress reports. Hidden comments and
reports are taken out of the index: their hidden text is never found.

The index is a SQLite file in the instance folder (FTS5). It is derived, never a source: it
remembers the tip of every ref it has read (`seen`) and, before each search, catches up from
there (`update`): the new events of a log since its last tip, the changed files of main, the
new revision of an amendment branch. A search therefore always sees the last write. Several
workers share the file: WAL, one write transaction per catch-up (`BEGIN IMMEDIATE`), and the
catch-up re-reads `seen` inside it, so two workers racing index each change once.
`review reindex DIR` deletes everything and reads git again.

Words are folded (case and accents) and stemmed (snowball, French and English) before they
reach FTS5; the query is parsed here into words and quoted phrases and the MATCH expression
is built from those stems alone, each quoted: nothing a reader types is FTS5 syntax.
"""

from __future__ import annotations

import functools
import os
import re
import sqlite3
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import snowballstemmer

from . import amendments as am
from . import commitment as core
from . import comments as cm
from . import derivedfile, frontmatter, model, pages, progress, render, reviewlog
from .errors import Invalid
from .gitrepo import GitRepo

SCHEMA = 1  # raise it when what is indexed changes: an index of another number is made again
FILE_NAME = "search.sqlite"
TYPES = ("commitment", "page", "comment", "amendment", "progress")
STATES = ("open", "resolved", "merged", "withdrawn", "rejected")
MAX_QUERY = 500          # characters of a query
MAX_TERMS = 16           # words and phrases of a query
MAX_PER_PAGE = 50
COUNT_LIMIT = 1000       # "more than 1000 results": a count is bounded like everything else
SNIPPET_WORDS = 30
MAX_INDEXED = 20_000     # characters of one entry's text that are indexed (a 200 KB paragraph is cut)
QUIET_NS = 1_000_000_000  # a ref store stamp older than this proves nothing moved since (GitRepo.refs_stamp)
STEM_CACHE = 20_000     # stems remembered per language and process (about 4 MB each at most)
WEIGHTS = (4.0, 1.0, 4.0, 1.0)  # bm25 weights of t_fr, b_fr, t_en, b_en: a title counts more

MAIN = core.MAIN
COMMITMENT_LOGS = "refs/reviews/commitments/"
AMENDMENT_LOGS = "refs/reviews/amendments/"

_WORD_RE = re.compile(r"[^\W_]+")
_MARKS_RE = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")  # combining marks
_STOP = frozenset("""le la les l de des du d un une et ou a au aux en pour par sur dans que qu qui est ce ces son sa
ses se ne pas plus the an of and or to in on for is are be by with as at it its this that from""".split())

_local = threading.local()


# -- words --------------------------------------------------------------------------------

def fold(text: str) -> str:
    """Lower case without accents: 'Données' -> 'donnees'."""
    text = text.lower()
    if text.isascii():
        return text
    return _MARKS_RE.sub("", unicodedata.normalize("NFKD", text))


def _stemmers():
    s = getattr(_local, "stemmers", None)
    if s is None:  # snowball stemmers keep state: one per thread
        s = _local.stemmers = (snowballstemmer.stemmer("french"), snowballstemmer.stemmer("english"))
    return s


@functools.lru_cache(maxsize=STEM_CACHE)  # words follow Zipf's law: most are seen again (snowball is pure Python)
def stem_fr(word: str) -> str:
    """The French stem of a folded word, with the plural and feminine endings snowball keeps
    once accents are gone ('publiee', 'publie', 'publies' -> 'publi')."""
    s = _stemmers()[0].stemWord(word)
    for end in ("s", "e"):
        if len(s) > 3 and s.endswith(end):
            s = s[:-1]
    return s


@functools.lru_cache(maxsize=STEM_CACHE)
def stem_en(word: str) -> str:
    return _stemmers()[1].stemWord(word)


def words(text: str) -> list[str]:
    return _WORD_RE.findall(fold(text))


def stems(text: str, lang: str) -> str:
    """The text as FTS5 will hold it: folded stems in one language, separated by spaces."""
    stem = stem_fr if lang == "fr" else stem_en
    return " ".join(stem(w) for w in words(text[:MAX_INDEXED]))


# -- queries ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]   # folded words
    phrase: bool

    def stems(self, lang: str) -> tuple[str, ...]:
        stem = stem_fr if lang == "fr" else stem_en
        return tuple(stem(w) for w in self.words)


def parse_query(q) -> list[Term]:
    """Words and "quoted phrases" of a query. A quote left open runs to the end; any other
    character than a letter or a digit only separates words (so `*`, `:`, `NEAR(`, `-` are
    never operators)."""
    if not isinstance(q, str) or not q.strip():
        raise Invalid("search.empty")
    if len(q) > MAX_QUERY:
        raise Invalid("search.too_long", n=MAX_QUERY)
    terms: list[Term] = []
    for i, part in enumerate(q.split('"')):
        found = words(part)
        if not found:
            continue
        if i % 2 == 1 and len(found) > 1:  # inside quotes
            terms.append(Term(tuple(found), True))
        else:
            terms.extend(Term((w,), False) for w in found)
    if not terms:
        raise Invalid("search.no_words")
    kept = [t for t in terms if t.phrase or t.words[0] not in _STOP]
    terms = kept or terms
    seen, unique = set(), []
    for t in terms:
        if t not in seen:
            seen.add(t)
            unique.append(t)
    if len(unique) > MAX_TERMS:
        raise Invalid("search.too_many_words", n=MAX_TERMS)
    return unique


def _quoted(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def match_expression(terms: list[Term]) -> str:
    """The FTS5 MATCH expression: every term (AND), in French stems on the French columns or in
    English stems on the English ones. Only quoted stems, built here: no syntax of the reader's."""
    parts = []
    for lang, cols in (("fr", "{t_fr b_fr}"), ("en", "{t_en b_en}")):
        inner = " AND ".join(_quoted(" ".join(t.stems(lang))) for t in terms)
        parts.append(f"{cols} : ({inner})")
    return " OR ".join(parts)


# -- the index file -----------------------------------------------------------------------

_DDL = [
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS seen(ref TEXT PRIMARY KEY, tip TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS docs(
        id INTEGER PRIMARY KEY,
        key TEXT UNIQUE NOT NULL,
        source TEXT NOT NULL,
        type TEXT NOT NULL,
        subject TEXT,
        commitment TEXT,
        amendment INTEGER,
        page TEXT,
        lang TEXT NOT NULL,
        state TEXT,
        thread TEXT,
        title TEXT NOT NULL,
        body TEXT NOT NULL,
        anchor TEXT,
        author TEXT,
        time TEXT)""",
    "CREATE INDEX IF NOT EXISTS docs_source ON docs(source)",
    "CREATE INDEX IF NOT EXISTS docs_thread ON docs(source, thread)",
    "CREATE INDEX IF NOT EXISTS docs_amendment ON docs(amendment)",
    "CREATE TABLE IF NOT EXISTS subjects(subject TEXT PRIMARY KEY, axis TEXT, theme TEXT)",
    "CREATE TABLE IF NOT EXISTS leads(subject TEXT NOT NULL, org TEXT NOT NULL, PRIMARY KEY(subject, org))",
    "CREATE INDEX IF NOT EXISTS leads_org ON leads(org)",
    "CREATE TABLE IF NOT EXISTS amendments(number INTEGER PRIMARY KEY, commitment TEXT, base TEXT)",
    "CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(t_fr, b_fr, t_en, b_en, "
    "tokenize='unicode61 remove_diacritics 2')",
]


class Index:
    """The search index of one deployment (DIR/instance/search.sqlite)."""

    def __init__(self, path: str | os.PathLike):
        self.path = str(path)
        self._ready = False
        self._lock = threading.Lock()
        self._seen_cache: tuple[str, dict] | None = None  # (fingerprint written, seen) of this process
        self._quiet: tuple | None = None  # a ref store stamp under which the index was known current
        self._file = None

    @classmethod
    def of(cls, instance_path: str | os.PathLike) -> "Index":
        return cls(Path(instance_path) / FILE_NAME)

    def _file_id(self):
        try:
            st = os.stat(self.path)
            return st.st_dev, st.st_ino
        except OSError:
            return None

    def connect(self) -> sqlite3.Connection:
        if self._ready and self._file_id() != self._file:  # deleted (or replaced) under us: start again
            self._ready, self._quiet, self._seen_cache = False, None, None
        ready = self._ready
        db = derivedfile.connect(self.path, SCHEMA, _DDL, ("seen", "docs", "subjects", "leads", "amendments", "fts"),
                                 ready, self._lock)
        if not ready:
            self._ready = True
            self._file = self._file_id()
        return db

    def fingerprint(self, db: sqlite3.Connection) -> str | None:
        row = db.execute("SELECT value FROM meta WHERE key = 'refs'").fetchone()
        return row[0] if row else None


def fingerprint(repo: GitRepo) -> str:
    return repo.refs_fingerprint().hex()


# -- writing entries ------------------------------------------------------------------------

@dataclass
class Doc:
    key: str
    source: str
    type: str
    lang: str
    title: str
    body: str
    subject: str | None = None
    commitment: str | None = None
    amendment: int | None = None
    page: str | None = None
    state: str | None = None
    thread: str | None = None
    anchor: str | None = None
    author: str | None = None
    time: str | None = None
    both: bool = False  # people's words (comments, rationales, notes): stemmed in both languages
    titled: bool = True  # the title is indexed (a paragraph shows its commitment's title but is found by its words)


def _fts_row(doc: Doc) -> tuple[str, str, str, str]:
    title = doc.title if doc.titled else ""
    if doc.both:
        return stems(title, "fr"), stems(doc.body, "fr"), stems(title, "en"), stems(doc.body, "en")
    if doc.lang == "en":
        return "", "", stems(title, "en"), stems(doc.body, "en")
    return stems(title, "fr"), stems(doc.body, "fr"), "", ""


def put(db: sqlite3.Connection, doc: Doc) -> None:
    """Add or replace one entry (idempotent: keyed by `doc.key`)."""
    remove(db, doc.key)
    cur = db.execute(
        "INSERT INTO docs(key, source, type, subject, commitment, amendment, page, lang, state, thread, title, body, "
        "anchor, author, time) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (doc.key, doc.source, doc.type, doc.subject, doc.commitment, doc.amendment, doc.page, doc.lang, doc.state,
         doc.thread, doc.title, doc.body, doc.anchor, doc.author, doc.time))
    db.execute("INSERT INTO fts(rowid, t_fr, b_fr, t_en, b_en) VALUES (?,?,?,?,?)", (cur.lastrowid, *_fts_row(doc)))


def remove(db: sqlite3.Connection, key: str) -> None:
    row = db.execute("SELECT id FROM docs WHERE key = ?", (key,)).fetchone()
    if row is not None:
        db.execute("DELETE FROM fts WHERE rowid = ?", (row[0],))
        db.execute("DELETE FROM docs WHERE id = ?", (row[0],))


def remove_source(db: sqlite3.Connection, source: str, prefix: str | None = None) -> None:
    """Every entry one ref produced (optionally only those whose key starts with `prefix`, which
    ends with ':': a range of the key's index, never a scan)."""
    if prefix is None:
        ids = db.execute("SELECT id FROM docs WHERE source = ?", (source,)).fetchall()
    else:
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        ids = db.execute("SELECT id FROM docs WHERE key >= ? AND key < ? AND +source = ?",
                         (prefix, upper, source)).fetchall()
    db.executemany("DELETE FROM fts WHERE rowid = ?", ids)
    db.executemany("DELETE FROM docs WHERE id = ?", ids)


def _edit_body(db: sqlite3.Connection, key: str, body: str) -> None:
    row = db.execute("SELECT id, key, source, type, lang, title, subject, commitment, amendment, page, state, thread, "
                     "anchor, author, time FROM docs WHERE key = ?", (key,)).fetchone()
    if row is None:
        return
    doc = Doc(key=row[1], source=row[2], type=row[3], lang=row[4], title=row[5], body=body, subject=row[6],
              commitment=row[7], amendment=row[8], page=row[9], state=row[10], thread=row[11], anchor=row[12],
              author=row[13], time=row[14], both=True)
    put(db, doc)


# -- what git holds, as entries ---------------------------------------------------------------

def _paragraph_docs(source: str, kind: str, ident: str, lang: str, title: str, body: str,
                    subject: str) -> list[Doc]:
    out = []
    for i, block in enumerate(render.source_blocks(body)):
        text = render.plain_text(block.text)
        if not text.strip():
            continue
        out.append(Doc(key=f"{kind[0]}:{ident}:{lang}:p-{i + 1}", source=source, type=kind, lang=lang,
                       title=title, body=text, subject=subject, anchor=f"p-{i + 1}", titled=False,
                       commitment=ident if kind == "commitment" else None, page=ident if kind == "page" else None))
    return out


def commitment_docs(c: model.Commitment, plan: model.Plan) -> list[Doc]:
    """A commitment on main: per language, one entry for its title, leads and milestones, and one per paragraph."""
    subject = f"c:{c.id}"
    out = []
    for lang, body in c.bodies.items():
        title = c.title_in(lang)
        leads = [plan.organisations[o].label(lang) for o in c.leads if o in plan.organisations]
        milestones = [m.title.get(lang) or m.title.get(model.AUTHORITATIVE, "") for m in c.milestones]
        parts = [p.title.get(lang) or p.title.get(model.AUTHORITATIVE, "") for p in c.parts]
        out.append(Doc(key=f"c:{c.id}:{lang}:title", source=MAIN, type="commitment", lang=lang, title=title,
                       body=" · ".join(x for x in (*leads, *parts, *milestones) if x), subject=subject, commitment=c.id))
        out += _paragraph_docs(MAIN, "commitment", c.id, lang, title, body, subject)
    return out


def page_docs(p: model.Page) -> list[Doc]:
    out = []
    for lang, body in p.bodies.items():
        out += _paragraph_docs(MAIN, "page", p.slug, lang, p.title_in(lang), body, f"p:{p.slug}")
    return out


def comment_doc(source: str, e: reviewlog.Event, subject: str | None, commitment: str | None,
                amendment: int | None) -> Doc:
    d = e.data
    root = d.get("reply_to") or e.id
    return Doc(key=f"k:{source}:{e.id}", source=source, type="comment", lang=d.get("lang") or model.AUTHORITATIVE,
               title="", body=d.get("body") or "", subject=subject, commitment=commitment, amendment=amendment,
               state="open", thread=root, anchor=f"c-{e.id}", author=e.actor, time=e.time, both=True)


def report_doc(source: str, e: reviewlog.Event, cid: str) -> Doc:
    d = e.data
    return Doc(key=f"r:{source}:{e.id}", source=source, type="progress", lang=model.AUTHORITATIVE,
               title=d.get("milestone") or "", body=d.get("note") or "", subject=f"c:{cid}", commitment=cid,
               state=None, anchor=f"r-{e.id}", author=e.actor, time=e.time, both=True)


def _set_state(db, where: str, args: tuple, state: str) -> None:
    db.execute(f"UPDATE docs SET state = ? WHERE {where}", (state, *args))


def apply_events(db: sqlite3.Connection, ref: str, events: list[reviewlog.Event]) -> None:
    """Index what a log's new events say (the same function for a catch-up, a rebuild and the
    benchmark's generated rows)."""
    number = None
    if ref.startswith(AMENDMENT_LOGS):
        tail = ref[len(AMENDMENT_LOGS):]
        number = int(tail) if tail.isdigit() else None
        row = db.execute("SELECT commitment FROM amendments WHERE number = ?", (number,)).fetchone()
        cid = row[0] if row else None
    else:
        cid = ref[len(COMMITMENT_LOGS):]
    for e in events:
        d = e.data
        subject = f"c:{cid}" if cid and model.valid_id(cid) else None
        if e.type == cm.ADD:
            put(db, comment_doc(ref, e, subject, cid, number))
        elif e.type == cm.EDIT:
            _edit_body(db, f"k:{ref}:{d.get('target')}", d.get("body") or "")
        elif e.type == cm.HIDE:
            remove(db, f"k:{ref}:{d.get('target')}")
        elif e.type in (cm.RESOLVE, cm.REOPEN):
            state = "resolved" if e.type == cm.RESOLVE else "open"
            _set_state(db, "source = ? AND (thread = ?)", (ref, d.get("target")), state)
        elif e.type == progress.REPORT and cid:
            put(db, report_doc(ref, e, cid))
        elif e.type == progress.HIDE:
            remove(db, f"r:{ref}:{d.get('target')}")
        elif number is not None and e.type == am.OPEN:
            cid = d.get("commitment")
            db.execute("INSERT OR REPLACE INTO amendments VALUES (?, ?, ?)",
                       (number, cid, d.get("base") or d.get("revision")))
            put(db, Doc(key=f"a:{number}", source=ref, type="amendment", lang=model.AUTHORITATIVE,
                        title=d.get("title") or "", body=d.get("rationale") or "",
                        subject=f"c:{cid}" if cid and model.valid_id(cid) else None, commitment=cid,
                        amendment=number, state="open", author=e.actor, time=e.time, both=True))
        elif number is not None and e.type in (am.WITHDRAW, am.REOPEN, am.REJECT, *am.MERGED):
            state = {am.WITHDRAW: "withdrawn", am.REOPEN: "open", am.REJECT: "rejected"}.get(e.type, "merged")
            _set_state(db, "amendment = ? AND type = 'amendment'", (number,), state)


def _index_main(db, repo: GitRepo, old: str | None, new: str) -> None:
    """Main moved from `old` to `new`: index again the commitments and pages whose files changed
    (all of them when plan.yaml changed: names of leads, axes)."""
    plan = core.read_plan(repo, new)
    everything = old is None or not repo.has_object(old)
    changed_c, changed_p = set(), set()
    if not everything:
        for ch in repo.diff(old, new):
            if ch.path == model.PLAN_PATH:
                everything = True
                break
            parts = ch.path.split("/")
            if len(parts) >= 2 and parts[0] == model.COMMITMENTS_DIR:
                changed_c.add(parts[1])
            elif len(parts) >= 2 and parts[0] == model.PAGES_DIR:
                changed_p.add(parts[1])
    if everything:
        remove_source(db, MAIN)
        db.execute("DELETE FROM subjects")
        db.execute("DELETE FROM leads")
        changed_c = set(core.commitment_ids(repo, new))
        changed_p = set(pages.page_slugs(repo, new))
    for cid in sorted(changed_c):
        if not everything:  # (everything was removed above)
            remove_source(db, MAIN, f"c:{cid}:")
            db.execute("DELETE FROM subjects WHERE subject = ?", (f"c:{cid}",))
            db.execute("DELETE FROM leads WHERE subject = ?", (f"c:{cid}",))
        try:
            c = core.read_commitment(repo, new, cid)
        except (core.NotFound, model.SchemaError, Exception):  # noqa: BLE001 - a damaged file is not searchable, the rest is
            continue
        index_commitment(db, c, plan)
    for slug in sorted(changed_p):
        if not everything:
            remove_source(db, MAIN, f"p:{slug}:")
            db.execute("DELETE FROM subjects WHERE subject = ?", (f"p:{slug}",))
        try:
            p = pages.read_page(repo, new, slug)
        except Exception:  # noqa: BLE001 - as above
            continue
        index_page(db, p)


def index_commitment(db, c: model.Commitment, plan: model.Plan) -> None:
    db.execute("INSERT OR REPLACE INTO subjects VALUES (?, ?, ?)", (f"c:{c.id}", c.axis, c.theme))
    db.executemany("INSERT OR IGNORE INTO leads VALUES (?, ?)", [(f"c:{c.id}", o) for o in c.leads])
    for doc in commitment_docs(c, plan):
        put(db, doc)


def index_page(db, p: model.Page) -> None:
    db.execute("INSERT OR REPLACE INTO subjects VALUES (?, ?, ?)", (f"p:{p.slug}", p.axis, p.theme))
    for doc in page_docs(p):
        put(db, doc)


def _index_branch(db, repo: GitRepo, ref: str, head: str) -> None:
    """An amendment's branch at `head`: the paragraphs it changes (against the base it was opened
    on), one entry per changed file."""
    remove_source(db, ref)
    tail = ref[len(am.BRANCH_PREFIX):]
    if not tail.isdigit():
        return
    number = int(tail)
    row = db.execute("SELECT commitment, base FROM amendments WHERE number = ?", (number,)).fetchone()
    base = row[1] if row and row[1] and repo.has_object(row[1]) else None
    main = repo.ref_target(MAIN)
    if base is None and main:
        base = repo.merge_base(head, main)
    if base is None:
        return
    state = db.execute("SELECT state FROM docs WHERE key = ?", (f"a:{number}",)).fetchone()
    for ch in repo.diff(base, head):
        m = am.PATH_RE.match(ch.path) or model.PAGE_PATH_RE.match(ch.path)
        if m is None or ch.new_id is None:
            continue
        ident, lang = m.group(1), m.group(2)
        try:
            new_text = frontmatter.split(repo.read_blob(ch.new_id).decode("utf-8")).body
            old_text = frontmatter.split(repo.read_blob(ch.old_id).decode("utf-8")).body if ch.old_id else ""
        except (UnicodeDecodeError, ValueError, KeyError, model.SchemaError):
            continue
        before = {b.text.strip() for b in render.source_blocks(old_text)}
        changed = [render.plain_text(b.text) for b in render.source_blocks(new_text) if b.text.strip() not in before]
        if not changed:
            continue
        subject = f"c:{ident}" if ch.path.startswith(model.COMMITMENTS_DIR + "/") else f"p:{ident}"
        put(db, Doc(key=f"a:{number}:{ch.path}", source=ref, type="amendment", lang=lang,
                    title=ch.path, body="\n".join(changed), subject=subject, titled=False,
                    commitment=row[0] if row else None, amendment=number,
                    state=state[0] if state else "open"))


def _wanted(ref: str) -> bool:
    return ref == MAIN or ref.startswith((COMMITMENT_LOGS, AMENDMENT_LOGS, am.BRANCH_PREFIX))


def _order(ref: str) -> int:
    """Main first (subjects), then logs (amendments' bases), then branches."""
    return 0 if ref == MAIN else 2 if ref.startswith(am.BRANCH_PREFIX) else 1


def update(index: Index, repo: GitRepo, db: sqlite3.Connection | None = None, _again: bool = False) -> int:
    """Catch up with git: index what changed since the tips last seen. Returns the number of refs
    read again (0 when nothing moved: one digest of the ref store and one row read)."""
    stamp, newest = repo.refs_stamp()
    taken = time.time_ns()
    if not _again and index._quiet is not None and index._quiet == stamp and index._file == index._file_id():
        return 0  # no ref moved since the index was known current (a few stat calls)
    own = db is None
    db = db or index.connect()
    try:
        raw, all_refs = repo.refs_state()  # read after the stamp: a write in between makes the next search look
        fp = raw.hex()
        if not _again and index.fingerprint(db) == fp:
            index._quiet = stamp if newest < taken - QUIET_NS else None
            return 0
        db.execute("BEGIN IMMEDIATE")
        try:
            if _again:  # review reindex: forget everything, in the same transaction as the reading
                for table in ("seen", "docs", "subjects", "leads", "amendments", "fts"):
                    db.execute(f"DELETE FROM {table}")
                db.execute("DELETE FROM meta WHERE key = 'refs'")
                index._seen_cache = None
            written = index.fingerprint(db)
            if written == fp:  # another worker caught up meanwhile
                db.execute("COMMIT")
                index._quiet = stamp if newest < taken - QUIET_NS else None
                return 0
            cached = index._seen_cache
            if cached is not None and written is not None and cached[0] == written:
                seen = dict(cached[1])
            else:
                seen = dict(db.execute("SELECT ref, tip FROM seen").fetchall())
            refs = {r: t for r, t in all_refs.items() if _wanted(r)}
            moved = 0
            for ref in sorted(set(refs) | set(seen), key=lambda r: (_order(r), r)):
                old, new = seen.get(ref), refs.get(ref)
                if old == new:
                    continue
                moved += 1
                _catch_up(db, repo, ref, old, new)
                if new is None:
                    db.execute("DELETE FROM seen WHERE ref = ?", (ref,))
                    seen.pop(ref, None)
                else:
                    db.execute("INSERT OR REPLACE INTO seen VALUES (?, ?)", (ref, new))
                    seen[ref] = new
            db.execute("INSERT OR REPLACE INTO meta VALUES ('refs', ?)", (fp,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            index._seen_cache = index._quiet = None
            raise
        index._seen_cache = (fp, seen)
        index._quiet = stamp if newest < taken - QUIET_NS else None
        return moved
    finally:
        if own:
            db.close()


def _catch_up(db, repo: GitRepo, ref: str, old: str | None, new: str | None) -> None:
    if ref == MAIN:
        if new is None:
            remove_source(db, MAIN)
        else:
            _index_main(db, repo, old, new)
    elif ref.startswith(am.BRANCH_PREFIX):
        if new is None:
            remove_source(db, ref)
        else:
            _index_branch(db, repo, ref, new)
    else:
        events = reviewlog.events_since(repo, new, old) if new else []
        if events is None or new is None:  # not a continuation of what was indexed: read the log whole
            remove_source(db, ref)
            events = reviewlog.events_since(repo, new, None) if new else []
        apply_events(db, ref, events)


def rebuild(index: Index, repo: GitRepo) -> int:
    """Forget everything and index the repository again, in one transaction (readers keep the
    old index until it commits). Returns the number of entries."""
    db = index.connect()
    try:
        update(index, repo, db, _again=True)
        return db.execute("SELECT count(*) FROM docs").fetchone()[0]
    finally:
        db.close()


# -- searching --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Filters:
    type: str | None = None
    axis: str | None = None
    theme: str | None = None
    lead: str | None = None
    state: str | None = None
    lang: str | None = None


def check_filters(plan: model.Plan, f: Filters) -> Filters:
    """Each filter must name something that exists: a clear refusal otherwise, never an empty list."""
    if f.type not in (None, *TYPES):
        raise Invalid("search.bad_filter", name="type", choices=', '.join(TYPES), value=repr(f.type))
    if f.state not in (None, *STATES):
        raise Invalid("search.bad_filter", name="state", choices=', '.join(STATES), value=repr(f.state))
    if f.lang not in (None, *model.LANGUAGES):
        raise Invalid("search.bad_filter", name="lang", choices=', '.join(model.LANGUAGES), value=repr(f.lang))
    if f.axis is not None and plan.axis(f.axis) is None:
        raise Invalid("search.unknown_axis", value=repr(f.axis))
    themes = {t for a in plan.axes for t in a.themes}
    if f.theme is not None and f.theme not in themes:
        raise Invalid("search.unknown_theme", value=repr(f.theme))
    if f.lead is not None and f.lead not in plan.organisations:
        raise Invalid("search.unknown_lead", value=repr(f.lead))
    return f


@dataclass
class Hit:
    type: str
    key: str
    title: str
    snippet: list[tuple[str, bool]]     # (text, highlighted) pieces
    title_marks: list[tuple[str, bool]]
    lang: str
    commitment: str | None
    amendment: int | None
    page: str | None
    anchor: str | None
    state: str | None
    author: str | None
    time: str | None
    thread: str | None = None   # a comment's thread (its first comment's id)

    def snippet_text(self) -> str:
        return "".join(t for t, _ in self.snippet)


@dataclass
class Results:
    query: str
    terms: list[Term]
    hits: list[Hit] = field(default_factory=list)
    total: int = 0
    more: bool = False       # more than COUNT_LIMIT matched (total says COUNT_LIMIT)
    page: int = 1
    per_page: int = 20


def _where(f: Filters) -> tuple[str, list]:
    sql, args = [], []
    for col in ("type", "state", "lang"):
        value = getattr(f, col)
        if value is not None:
            sql.append(f"d.{col} = ?")
            args.append(value)
    if f.axis is not None:
        sql.append("d.subject IN (SELECT subject FROM subjects WHERE axis = ?)")
        args.append(f.axis)
    if f.theme is not None:
        sql.append("d.subject IN (SELECT subject FROM subjects WHERE theme = ?)")
        args.append(f.theme)
    if f.lead is not None:
        sql.append("d.subject IN (SELECT subject FROM leads WHERE org = ?)")
        args.append(f.lead)
    return "".join(f" AND {s}" for s in sql), args


def search(index: Index, repo: GitRepo, q, filters: Filters = Filters(), page: int = 1,
           per_page: int = 20) -> Results:
    """Hits for a query, best first, after catching up with git (never stale)."""
    terms = parse_query(q)
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise Invalid("param.number", name="per_page", n=MAX_PER_PAGE)
    expr = match_expression(terms)
    db = index.connect()
    try:
        update(index, repo, db)
        where, args = _where(filters)
        cols = ("d.type, d.key, d.title, d.body, d.lang, d.commitment, d.amendment, d.page, d.anchor, d.state, "
                "d.author, d.time, d.thread")
        bm25 = f"bm25(fts, {', '.join(map(str, WEIGHTS))})"
        if not where:  # rank and count in FTS5 alone; join only the page of results shown
            total = db.execute("SELECT count(*) FROM (SELECT 1 FROM fts WHERE fts MATCH ? LIMIT ?)",
                               (expr, COUNT_LIMIT + 1)).fetchone()[0]
            rows = db.execute(
                f"SELECT {cols} FROM (SELECT rowid AS r, {bm25} AS score FROM fts WHERE fts MATCH ? "
                f"ORDER BY score, rowid LIMIT ? OFFSET ?) m JOIN docs d ON d.id = m.r ORDER BY m.score, d.id",
                (expr, per_page, (page - 1) * per_page)).fetchall()
        else:
            base = f"FROM fts JOIN docs d ON d.id = fts.rowid WHERE fts MATCH ?{where}"
            total = db.execute(f"SELECT count(*) FROM (SELECT 1 {base} LIMIT ?)",
                               (expr, *args, COUNT_LIMIT + 1)).fetchone()[0]
            rows = db.execute(f"SELECT {cols} {base} ORDER BY {bm25}, d.id LIMIT ? OFFSET ?",
                              (expr, *args, per_page, (page - 1) * per_page)).fetchall()
    finally:
        db.close()
    hits = [Hit(type=r[0], key=r[1], title=r[2], snippet=snippet(r[3], terms), title_marks=highlight(r[2], terms),
                lang=r[4], commitment=r[5], amendment=r[6], page=r[7], anchor=r[8], state=r[9], author=r[10],
                time=r[11], thread=r[12]) for r in rows]
    return Results(str(q), terms, hits, min(total, COUNT_LIMIT), total > COUNT_LIMIT, page, per_page)


# -- snippets ---------------------------------------------------------------------------------

def _matcher(terms: list[Term]):
    fr = {s for t in terms for s in t.stems("fr")}
    en = {s for t in terms for s in t.stems("en")}
    seen: dict[str, bool] = {}

    def matches(word: str) -> bool:
        found = seen.get(word)
        if found is None:
            w = fold(word)
            found = seen[word] = stem_fr(w) in fr or stem_en(w) in en
        return found
    return matches


def highlight(text: str, terms: list[Term], matches=None) -> list[tuple[str, bool]]:
    """The whole text in pieces, the words of the query marked."""
    matches = matches or _matcher(terms)
    out, pos = [], 0
    for m in _WORD_RE.finditer(text):
        if matches(m.group()):
            if m.start() > pos:
                out.append((text[pos:m.start()], False))
            out.append((m.group(), True))
            pos = m.end()
    if pos < len(text):
        out.append((text[pos:], False))
    return out


def snippet(text: str, terms: list[Term], size: int = SNIPPET_WORDS) -> list[tuple[str, bool]]:
    """About `size` words of the text around its densest run of query words, marked; '…' where cut."""
    text = text[:MAX_INDEXED]
    found = list(_WORD_RE.finditer(text))
    matches = _matcher(terms)
    if len(found) <= size:
        return highlight(text, terms, matches)
    hit = [1 if matches(m.group()) else 0 for m in found]
    best, best_i, run = -1, 0, sum(hit[:size])
    for i in range(0, len(found) - size + 1):
        if i:
            run += hit[i + size - 1] - hit[i - 1]
        if run > best:
            best, best_i = run, i
    first = next((j for j in range(best_i, len(found)) if hit[j]), best_i)
    start = max(0, min(first - size // 4, len(found) - size))  # the first word found, a few words in
    end = min(len(found), start + size)
    a = found[start].start() if start else 0
    b = found[end - 1].end() if end < len(found) else len(text)
    out = highlight(text[a:b], terms, matches)
    if a:
        out.insert(0, ("… ", False))
    if b < len(text):
        out.append((" …", False))
    return out


def snippet_words(pieces: list[tuple[str, bool]]) -> list[str]:
    return _WORD_RE.findall("".join(t for t, _ in pieces))
