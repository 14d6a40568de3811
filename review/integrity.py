"""The site's own verdict on its history: `review verify`, run again as refs move, cheaply.

`Monitor.current(repo)` answers the state of the repository as it is now: clean or not,
main's tip that was verified, the violations (as `review verify` names them) and every
ref's tip. The answer is kept under every ref's tip, read in one pass over the ref store
(the same reading then feeds the check): reads between two writes cost that pass only.

After a write, the same rules run again (`review.verify`), but what depends only on a few
refs is remembered across runs:

- a review log's checks (rules 5, 6, 7: its events, their schema, sequence and dates) and
  what it contributes to the cross-log checks (event ids, authors, an amendment's events),
  keyed by (log, tip): a comment re-reads one log, never the others;
- a merge of main (rules 1 to 4: trailers, the recomputed three-way merge, approvals,
  policy), keyed by (merge, its amendment's log tip, its branch tip);
- the names on a log's events (rule 3), keyed by (log, tip, main's tip); the branch of an
  amendment against its log (rule 2), keyed by (amendment, log tip, branch tip); the modes of
  main (rule 1), keyed by main's tip; each ref's reflog (rule 8), keyed by (ref, tip).

The whole-repository checks that remain (event ids unique across logs, every merge event
naming a merge of main, checkpoints) run on the remembered parts every time. Entries for
tips that moved on are dropped after each run. `benchmarks/integrity_bench.py` measures the
cost of one write's check.
"""

from __future__ import annotations

import datetime as dt
import logging
import itertools
import sys
import threading
import time
from array import array
from dataclasses import dataclass, field

from . import reviewlog, trailers, verify
from . import amendments as am
from .gitrepo import GitRepo

log = logging.getLogger(__name__)
COMMITMENT_LOGS = "refs/reviews/commitments/"


@dataclass
class State:
    clean: bool
    verified_tip: str | None
    violations: list[verify.Violation] = field(default_factory=list)
    refs: dict[str, str] = field(default_factory=dict)
    checked_at: str = ""
    seconds: float = 0.0
    error: str | None = None

    def as_json(self) -> dict:
        out = {"clean": self.clean, "verified_tip": self.verified_tip,
               "violations": [v.as_json() for v in self.violations], "checked_at": self.checked_at,
               "refs": dict(sorted(self.refs.items()))}
        if self.error:
            out["error"] = self.error
        return out

    def by_commit(self) -> dict[str, list[verify.Violation]]:
        """Each commit that breaks a rule, with its violations (for the history, audit and
        amendment pages)."""
        out: dict[str, list[verify.Violation]] = {}
        for v in self.violations:
            if v.commit:
                out.setdefault(v.commit, []).append(v)
        return out


class _Memo:
    def __init__(self):
        self.logs: dict = {}
        self.merges: dict = {}
        self.names: dict = {}
        self.branches: dict = {}
        self.modes: dict = {}
        self.reflogs: dict = {}
        self.parsed: dict = {}                      # merge commit -> amendment number of its trailers
        self.ids: set | None = None                 # every event id of every log
        self.id_flags: list = []                    # the duplicate-event-id violations of that pass
        self.id_logs: dict = {}                     # log -> the _Log entry that pass used
        self.main_tip: str | None = None
        self.refs: dict | None = None               # every ref's tip, as read for this check
        self.main_line: list | None = None          # main's first-parent line from main_tip, newest first
        self.used: dict[str, set] = {}

    def begin(self) -> None:
        self.used = {k: set() for k in ("logs", "merges", "names", "branches", "modes", "reflogs")}

    def get(self, table: str, key):
        self.used[table].add(key)
        return getattr(self, table).get(key)

    def put(self, table: str, key, value) -> None:
        self.used[table].add(key)
        getattr(self, table)[key] = value

    def end(self) -> None:
        """Forget what no ref of this run needed (tips that moved on)."""
        for table, keys in self.used.items():
            setattr(self, table, {k: v for k, v in getattr(self, table).items() if k in keys})


def _capture(v: verify._Verifier, run):
    """Run `run()` with fresh violation and warning lists; returns (result, violations, warnings)."""
    saved = v.report.violations, v.report.warnings
    v.report.violations, v.report.warnings = [], []
    try:
        result = run()
        return result, v.report.violations, v.report.warnings
    finally:
        got = v.report.violations, v.report.warnings
        v.report.violations, v.report.warnings = saved[0], saved[1]
        del got


_UTC = dt.timezone.utc


class _Column:
    """Commit ids kept as one bytes string of their binary forms (20 bytes each for SHA-1,
    instead of a 89-byte str): what the memo keeps for every event of every log."""
    __slots__ = ("raw", "width")

    def __init__(self, ids: list[str], before: "_Column | None" = None):
        self.width = before.width if before is not None and before.raw else (len(ids[0]) // 2 if ids else 20)
        self.raw = (before.raw if before is not None else b"") + b"".join(bytes.fromhex(i) for i in ids)

    def __len__(self) -> int:
        return len(self.raw) // self.width

    def __getitem__(self, i: int) -> str:
        if i < 0:
            i += len(self)
        return self.raw[i * self.width:(i + 1) * self.width].hex()


class _Authors:
    """The (log, commit, handle, time, name) of each event of one log, in order (rule 3's
    names), kept in columns: a commit id in 20 bytes, the time as seconds, the handle and the
    name one shared string each. On a plan of 100,000 events this is what keeps each
    server process's memo of the check small (issue 20); `rows()` gives the tuples back."""
    __slots__ = ("ref", "commits", "handles", "times", "names")

    def __init__(self, ref: str, rows: list, before: "_Authors | None" = None):
        self.ref = ref
        self.commits = _Column([r[1] for r in rows], before.commits if before is not None else None)
        self.handles = (before.handles if before is not None else ()) + tuple(sys.intern(r[2]) for r in rows)
        self.times = array("q", before.times if before is not None else ())
        self.times.extend(int(r[3].timestamp()) for r in rows)
        self.names = (before.names if before is not None else ()) + tuple(
            sys.intern(r[4]) if isinstance(r[4], str) else r[4] for r in rows)

    def __len__(self) -> int:
        return len(self.handles)

    def commit(self, i: int) -> str:
        return self.commits[i]

    def rows(self, start: int = 0) -> list:
        return [(self.ref, self.commits[i], self.handles[i], dt.datetime.fromtimestamp(self.times[i], tz=_UTC),
                 self.names[i]) for i in range(start, len(self.handles))]


class _Ids:
    """The event ids first seen in one log, with the commit of each (rule 5's unique ids), as
    a tuple and a `_Column`: the same pairs as the dict the check fills, in less memory."""
    __slots__ = ("ref", "eids", "commits")

    def __init__(self, ref: str, seen: dict, before: "_Ids | None" = None):
        """`seen`: event id -> (log, commit), those of `before` (the same log at an earlier tip) left out."""
        self.ref = ref
        self.eids = (before.eids if before is not None else ()) + tuple(seen)
        self.commits = _Column([c for _, c in seen.values()], before.commits if before is not None else None)

    def items(self):
        """(event id, (log, commit)) pairs, as `verify.rule5_unique_id` keeps them."""
        for i, eid in enumerate(self.eids):
            yield eid, (self.ref, self.commits[i])

    def as_dict(self) -> dict:
        return dict(self.items())


@dataclass
class _Log:
    """What one log contributed at one tip, and where its checks stood (to go on from there).
    Its commits are not kept: rule 8's `on_line` asks the commit graph."""
    tip: str
    number: int | None
    count: int
    violations: list
    warnings: list
    events: list
    prev_seq: int
    latest: dt.datetime | None
    ids: _Ids
    authors: _Authors
    extends: "_Log | None" = None   # the entry this one went on from (until the ids pass used it)
    new_ids: dict = field(default_factory=dict)


def _log_number(ref: str) -> int | None:
    return reviewlog.log_name(ref)[2]


class _Repo:
    """The repository, with main's first-parent line remembered (and extended, not walked
    again, when main moved forward). Everything else goes to the git layer."""

    def __init__(self, repo: GitRepo, memo: "_Memo"):
        self._repo, self._memo = repo, memo

    def __getattr__(self, name):
        return getattr(self._repo, name)

    def refs(self, prefix: str = "refs/") -> dict[str, str]:
        """The refs read once for this check (Monitor.current read them already)."""
        known = self._memo.refs
        if known is None:
            return self._repo.refs(prefix)
        return dict(known) if prefix == "refs/" else {r: o for r, o in known.items() if r.startswith(prefix)}

    def first_parent_log(self, start: str, limit: int | None = None):
        known = self._memo.main_line
        if limit is not None or start != self._memo.main_tip:
            return self._repo.first_parent_log(start, limit)
        if known is None or known[0].id != start:
            fresh = []
            for info in self._repo.first_parent_log(start):
                if known is not None and info.id == known[0].id:
                    fresh.extend(known)
                    break
                fresh.append(info)
            self._memo.main_line = known = fresh
        return iter(known)


def incremental_verifier(memo: _Memo):
    """A `review.verify._Verifier` that remembers per-ref results in `memo`."""

    class Incremental(verify._Verifier):
        def loose_objects(self):  # re-hashing every loose object on each write costs too much: a damaged
            pass                  # object is named when a rule reads it; `review verify` scans them all

        def log_commits(self, *args):
            self._log_state = verify._Verifier.log_commits(self, *args)
            return self._log_state

        def _run_log(self, ref: str, base: _Log | None, new: list | None) -> _Log:
            """Check a whole log (`base` None), or only the commits `new` it gained since `base`."""
            ids, authors = self.event_ids, self.event_authors
            self.event_ids, self.event_authors = (base.ids.as_dict() if base else {}), []
            try:
                if base is None:
                    self._log_state = (0, None)
                    before = dict(self.amendment_events)
                    count, flagged, warned = _capture(self, lambda: verify._Verifier.log(self, ref))
                    number = _log_number(ref)
                    events = self.amendment_events.get(number) if number is not None else []
                    if number is not None and before.get(number) is not None:
                        self.amendment_events[number] = before[number]
                    prev_seq, latest = getattr(self, "_log_state", (0, None))
                    self.chains.pop(ref, None)  # on_line falls back on the commit graph: not kept for 100,000 commits
                    return _Log(self.refs[ref], number, count, flagged, warned, events or [], prev_seq, latest,
                                _Ids(ref, self.event_ids), _Authors(ref, self.event_authors))
                events = list(base.events)
                self._log_state = (base.prev_seq, base.latest)
                _, flagged, warned = _capture(self, lambda: self.log_commits(ref, base.number, new, events,
                                                                            base.prev_seq, base.latest))
                prev_seq, latest = self._log_state
                gained = dict(itertools.islice(self.event_ids.items(), len(base.ids.eids), None))  # the dict keeps order
                return _Log(self.refs[ref], base.number, base.count + len(new), base.violations + flagged,
                            base.warnings + warned, events, prev_seq, latest, _Ids(ref, gained, base.ids),
                            _Authors(ref, self.event_authors, base.authors), base, gained)
            finally:
                self.event_ids, self.event_authors = ids, authors

        def _gained(self, ref: str, base: _Log) -> list | None:
            """The commits from `base.tip` (excluded) to the ref's tip, oldest first, when the
            log only moved forward by single-parent commits; else None (check it all again)."""
            new, c = [], self.refs[ref]
            while c != base.tip:
                try:
                    info = self.repo.commit_info(c)
                except Exception:  # noqa: BLE001 - a missing commit: the whole check names it
                    return None
                if len(info.parents) != 1 or len(new) > 10_000:
                    return None
                new.append(info)
                c = info.parents[0]
            return new[::-1]

        def _hit(self, ref: str) -> _Log:
            tip = self.refs[ref]
            hit = memo.get("logs", ref)
            if hit is None or hit.tip != tip:
                new = self._gained(ref, hit) if hit is not None else None
                hit = self._run_log(ref, hit if new is not None else None, new)
                memo.put("logs", ref, hit)
            return hit

        def _apply(self, ref: str, hit: _Log) -> None:
            self.report.violations.extend(hit.violations)
            self.report.warnings.extend(hit.warnings)
            if hit.number is not None:
                self.amendment_events[hit.number] = hit.events

        def logs(self) -> None:
            """verify's logs(), with the pass on event ids (unique across logs) redone only
            when it must: a log that only gained events whose ids are new anywhere changes
            nothing of what that pass found before."""
            refs = sorted(r for r in self.refs if r.startswith("refs/reviews/"))
            self.report.counts["logs"] = len(refs)
            hits = {ref: self._hit(ref) for ref in refs}
            self._hits = hits
            for ref in refs:
                self._apply(ref, hits[ref])
            self.report.counts["events"] = sum(h.count for h in hits.values())
            known, flags = memo.ids, memo.id_flags
            if known is not None and set(memo.id_logs) == set(refs):
                added: dict = {}
                for ref, hit in hits.items():
                    before = memo.id_logs[ref]
                    if hit is before:
                        continue
                    if hit.extends is not before:
                        known = None
                        break
                    for eid, where in hit.new_ids.items():
                        if eid in known or eid in added:
                            known = None
                            break
                        added[eid] = where
                    if known is None:
                        break
                if known is not None:
                    known.update(added)
            if known is None:  # the whole pass, as verify does it
                known, flags = {}, []
                for ref in refs:
                    for eid, (where, commit) in hits[ref].ids.items():
                        verify.rule5_unique_id(eid, where, commit, known,
                                               lambda *found: flags.append(verify.Violation(*found)))
                known = set(known)  # the ids only: the pass above has the log and commit of each when it needs them
            for hit in hits.values():
                hit.extends, hit.new_ids = None, {}
            memo.ids, memo.id_flags, memo.id_logs = known, flags, dict(hits)
            self.report.violations.extend(flags)

        def merge(self, info) -> int:
            n = memo.parsed.get(info.id, False)
            if n is False:
                t = trailers.parse_merge(info.message)
                n = memo.parsed[info.id] = t.amendment if t is not None else None
            key = (info.id, n, self.refs.get(reviewlog.amendment_log(n)) if n is not None else None,
                   self.refs.get(am.branch(n)) if n is not None else None, self.merges.get(n))
            hit = memo.get("merges", key)
            if hit is None:
                before = dict(self.merges)
                count, flagged, _ = _capture(self, lambda: verify._Verifier.merge(self, info))
                hit = (count, flagged, {k: c for k, c in self.merges.items() if before.get(k) != c})
                memo.put("merges", key, hit)
            else:
                self.merges.update(hit[2])
            self.report.violations.extend(hit[1])
            return hit[0]

        def modes(self) -> None:
            key = self.main_line[-1].id
            hit = memo.get("modes", key)
            if hit is None:
                hit = _capture(self, lambda: verify._Verifier.modes(self))[1]
                memo.put("modes", key, hit)
            self.report.violations.extend(hit)

        def branches(self) -> None:
            everything = self.amendment_events
            try:
                for number, events in sorted(everything.items()):
                    key = (number, self.refs.get(reviewlog.amendment_log(number)), self.refs.get(am.branch(number)))
                    hit = memo.get("branches", key)
                    if hit is None:
                        self.amendment_events = {number: events}
                        hit = _capture(self, lambda: verify._Verifier.branches(self))[1]
                        memo.put("branches", key, hit)
                    self.report.violations.extend(hit)
            finally:
                self.amendment_events = everything

        def names(self) -> None:
            """Per log, and per event: a log that gained events since the last check, with main
            unchanged, has only its new events' names checked."""
            everything = self.event_authors
            main = self.main_line[-1].id
            try:
                for ref, hit in sorted(getattr(self, "_hits", {}).items()):
                    key = (ref, main)
                    done = memo.get("names", key)
                    if done is None or done[0] != hit.tip:
                        checked, found = (done[1], done[2]) if done is not None and done[1] <= len(hit.authors) \
                            and (done[1] == 0 or hit.authors.commit(done[1] - 1) == done[3]) else (0, [])
                        self.event_authors = hit.authors.rows(checked)
                        more = _capture(self, lambda: verify._Verifier.names(self))[1]
                        last = hit.authors.commit(-1) if len(hit.authors) else None
                        done = (hit.tip, len(hit.authors), found + more, last)
                        memo.put("names", key, done)
                    self.report.violations.extend(done[2])
            finally:
                self.event_authors = everything

        def _reflog(self, ref: str, since: tuple | None = None) -> tuple:
            """(has a reflog, violations, entries checked); `since`: the entry of an earlier tip
            the ref moved forward from, whose entries stay on the (longer) line: only the
            entries written since are checked."""
            key = (ref, self.refs[ref])
            hit = memo.get("reflogs", key)
            if hit is None:
                entries = self.repo.reflog(ref)
                start = since[2] if since is not None and not since[1] and since[2] <= len(entries) else 0
                flagged: list = []
                verify.rule8_reflog(ref, entries[start:], self.on_line,
                                    lambda *found: flagged.append(verify.Violation(*found)))
                hit = (bool(entries), flagged, len(entries))
                memo.put("reflogs", key, hit)
            return hit

        def reflogs(self) -> None:
            with_log = 0
            for ref in sorted(r for r in self.refs if r.startswith(verify.MANAGED)):
                hit = self._reflog(ref)
                with_log += hit[0]
                self.report.violations.extend(hit[1])
            self.report.counts["reflogs"] = with_log
            if not with_log and not self.report.counts.get("checkpoints"):
                self.report.warnings.append("no reflog and no checkpoint: a rewrite made before this copy was taken "
                                            "cannot be detected; publish checkpoints with `review checkpoint`")

    return Incremental


class Monitor:
    """One per server process: the latest state, and what the next check can reuse."""

    def __init__(self, repo_path):
        self.path = str(repo_path)
        self.memo = _Memo()
        self.lock = threading.Lock()
        self.key: tuple | None = None
        self.state: State | None = None
        self.last_seconds = 0.0
        self.prev_refs: dict | None = None   # the refs of the last full check, or of a fast one since
        self.others: list | None = None      # its violations but those of the commitments' logs
        self.fast_checks = 0                 # how many checks took the fast path (for tests and benchmarks)

    def current(self, repo: GitRepo) -> State:
        """The state for the refs as they are now (checked again only when a ref moved). The
        refs are read once: the same reading keys the state and feeds the check."""
        key = repo.refs_fingerprint()  # kept by the git layer while no ref moves: no copy of 9,000 refs a page
        if key == self.key and self.state is not None:
            return self.state
        with self.lock:
            key, refs = repo.refs_state()  # the digest and the refs of one reading
            if key == self.key and self.state is not None:
                return self.state
            self.state = self.check(repo, refs)
            self.key = key
            return self.state

    def check(self, repo: GitRepo, refs: dict | None = None) -> State:
        started = time.perf_counter()
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
        if refs is not None:
            try:
                fast = self._fast(repo, refs)
            except Exception:  # noqa: BLE001 - the full check below decides, and logs a real bug
                log.exception("the fast integrity check failed; checking everything")
                fast = None
            if fast is not None:
                self.fast_checks += 1
                self.last_seconds = time.perf_counter() - started
                return State(not fast, refs.get(verify.MAIN), fast, dict(refs), now, self.last_seconds)
        self.prev_refs = self.others = None
        self.memo.begin()
        try:
            if repo.ref_target(verify.MAIN) is None:
                raise verify.Unusable(f"{self.path} has no refs/heads/main: it is not a plan repository")
            self.memo.refs = refs
            self.memo.main_tip = refs.get(verify.MAIN) if refs is not None else repo.ref_target(verify.MAIN)
            report = verify.verify(self.path, repo=_Repo(repo, self.memo), verifier=incremental_verifier(self.memo))
        except verify.Unusable as exc:
            return State(False, repo.ref_target(verify.MAIN), [], {}, now, time.perf_counter() - started, str(exc))
        except Exception as exc:  # noqa: BLE001 - a bug of the verifier never breaks the site's pages
            log.exception("the integrity check failed")
            self.memo = _Memo()
            self.memo.begin()
            return State(False, repo.ref_target(verify.MAIN), [], {}, now, time.perf_counter() - started,
                         f"internal error of the verifier ({type(exc).__name__}): see the server's log")
        finally:
            self.memo.end()
        if refs is not None:
            mine = {id(x) for ref in refs if ref.startswith(COMMITMENT_LOGS) for x in self._parts(ref, refs)}
            self.others = [x for x in report.violations if id(x) not in mine]
            self.prev_refs = dict(refs)
        self.last_seconds = time.perf_counter() - started
        return State(report.clean, report.refs.get(verify.MAIN), report.violations, report.refs, now,
                     self.last_seconds)

    def _parts(self, ref: str, refs: dict) -> list:
        """What a commitment's log contributes to the violations: its own checks, the names
        on its events, its reflog."""
        memo = self.memo
        hit = memo.logs.get(ref)
        names = memo.names.get((ref, memo.main_tip))
        reflog = memo.reflogs.get((ref, refs[ref]))
        return (hit.violations if hit else []) + (names[2] if names else []) + (reflog[1] if reflog else [])

    def _fast(self, repo: GitRepo, refs: dict) -> list | None:
        """The violations after a write that only moved commitments' logs forward (comments,
        progress reports: most writes), or None when the full check is needed.

        Nothing else depends on a commitment's log: merges, branches and the merge events
        read amendments' logs; modes read main; a checkpoint's or reflog's earlier position
        stays on a line that only grew. So the violations are those of the last check but the
        parts of the commitments' logs, plus those parts, the moved ones checked from where
        they stood. A new event id that is already used anywhere takes the full check."""
        prev, memo = self.prev_refs, self.memo
        if prev is None or self.others is None or memo.ids is None or memo.main_line is None or refs.keys() != prev.keys():
            return None
        changed = [r for r, t in refs.items() if prev[r] != t]
        if not changed or not all(r.startswith(COMMITMENT_LOGS) for r in changed):
            return None
        memo.refs = refs
        v = incremental_verifier(memo)(_Repo(repo, memo), verify.Report(self.path))
        hits = {}
        for ref in changed:
            old = memo.logs.get(ref)
            gained = v._gained(ref, old) if old is not None else None
            if gained is None:
                return None
            hits[ref] = v._run_log(ref, old, gained)
        added: dict = {}
        for hit in hits.values():
            for eid, where in hit.new_ids.items():
                if eid in memo.ids or eid in added:
                    return None
                added[eid] = where
        # from here on the memo moves to the new refs
        memo.ids.update(added)
        before = {}
        for ref, hit in hits.items():
            hit.extends, hit.new_ids = None, {}
            memo.logs[ref] = memo.id_logs[ref] = hit
            before[ref] = memo.reflogs.pop((ref, prev[ref]), None)
        v.main_line = memo.main_line[::-1]
        v._hits = hits
        v.names()
        for ref in changed:
            v._reflog(ref, before[ref])
        self.prev_refs = dict(refs)
        out = list(self.others)
        for ref in refs:
            if ref.startswith(COMMITMENT_LOGS):
                out.extend(self._parts(ref, refs))
        out.sort(key=lambda x: (x.rule, x.ref, x.commit or ""))
        return out
