"""`review import SOURCE DIR [--orgs FILE] [--dry-run]`: a deployment made from a GitBook
repository, a repository in our own format, or a plain folder of Markdown, keeping its
history (docs/format.md, docs/audit.md: the imported segment).

Modules: `gitbook` (the GitBook reader), `ourformat` (a source already in our format),
`folder` (a folder without history), `orgs` (the organisation map), `emit` (a book -> plan
files), `replay` (the history), `report` (what is printed). Nothing is written before every
state has been converted and validated with the schema of `review init`.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path


from .. import commitment as core
from .. import deployment, hooks, model, trailers
from ..gitrepo import GitRepo, Identity
from . import emit, folder, gitbook, ourformat, replay
from .orgs import MapError, OrgMap
from .report import Report, StateNote

ORGS_FILE = "import-orgs.yaml"


class ImportFailed(Exception):
    """The import cannot start (bad SOURCE, DIR exists, unreadable map); the message says why."""


def _reader(tip_files: dict[str, bytes]):
    if ourformat.is_plan(tip_files):
        return "plan", ourformat.read
    if gitbook.is_gitbook(tip_files):
        return "gitbook", gitbook.read
    return "markdown", gitbook.read_folder


def _found(book, files: dict[str, bytes], orgs: OrgMap) -> dict:
    plan, commitments = core.validate_files(files)
    pages = [p for p in files if model.PAGE_PATH_RE.match(p) and p.endswith("/fr.md")]
    return {"languages": list(plan.languages), "axes": len(plan.axes),
            "themes": sum(len(a.themes) for a in plan.axes), "commitments": len(commitments),
            "parts": sum(len(c.parts) for c in commitments), "pages": len(pages),
            "images": sum(1 for p in files if p.startswith(model.ASSETS_DIR + "/")),
            "organisations": len(plan.organisations)}


def _mapping(book) -> list[tuple[str, str]]:
    out = []
    for c in book.commitments:
        for lang, src in c.sources.items():
            out.append((src, model.commitment_path(c.id, lang)))
    for p in book.pages:
        for lang, src in p.sources.items():
            out.append((src, model.page_path(p.slug, lang)))
    return out


def run(source: str | os.PathLike, root: str | os.PathLike, orgs_file: str | None = None,
        dry_run: bool = False, today: dt.date | None = None) -> Report:
    source = os.fspath(source)
    root = Path(root).resolve()
    if not os.path.isdir(source):
        raise ImportFailed(f"{source} is not a folder: give a git repository (bare or a work tree) or a folder of Markdown")
    if root.exists() and not dry_run:
        raise ImportFailed(f"{root} exists: review import makes a new deployment; choose a new folder")
    repo = replay.open_source(source)
    label = os.path.abspath(source)
    if repo is not None:
        states = replay.git_states(repo)
        if not states:
            raise ImportFailed(f"{source} is a git repository without commits: nothing to import")
    else:
        states = [replay.SourceState("", "folder " + label, "", None, None, folder.read_folder(source))]
    kind, reader = _reader(states[-1].files)
    report = Report(source=label, kind=kind if repo is not None else f"{kind} folder, no history")
    books = [reader(s.files) for s in states]
    try:
        orgs = OrgMap.load(orgs_file) if orgs_file else OrgMap.propose([b.lead_names() for b in books if b])
    except MapError as exc:
        raise ImportFailed(str(exc)) from None
    report.orgs_source = orgs_file or f"proposed; written to {root / deployment.INSTANCE_DIR / ORGS_FILE}"
    tip_time = states[-1].author.when.date() if states[-1].author else (today or dt.date.today())
    meta = emit.plan_meta(tip_time, orgs.plan)

    written: list[tuple[replay.SourceState, dict[str, bytes]]] = []
    previous: dict[str, bytes] | None = None
    seen_problems: set[str] = set()
    for state, book in zip(states, books):
        note = StateNote(state.id, state.summary, False)
        report.states.append(note)
        if book is None:
            note.why = "no French book in this state"
            continue
        files, problems = emit.files_of(book, orgs, meta)
        unmapped = [p for p in problems if "is not in the organisation map" in p]
        report.invalid += [f"{state.id[:12] or 'folder'}: {p}" for p in unmapped if p not in seen_problems]
        new = [p for p in book.problems + problems if p not in seen_problems]
        seen_problems.update(new)
        note.problems = new
        if files == previous:
            note.why = "changes nothing imported"
            continue
        try:
            core.validate_files(files)
        except model.SchemaError as exc:
            report.invalid += [f"{state.id[:12] or 'folder'}: {p}" for p in exc.problems]
        note.imported = True
        previous = files
        written.append((state, files))
    if not written:
        report.invalid.append("no state of the source holds a French book or a plan: nothing to import")
        report.orgs_text = orgs.dump()
        return report
    last_book = next(b for b in reversed(books) if b is not None)
    report.ignored = last_book.ignored
    report.mapping = _mapping(last_book)
    final = dict(written[-1][1])
    if orgs.people and last_book.files is None:
        final, _ = emit.files_of(last_book, orgs, meta, people=orgs.people)
    try:
        report.found = _found(last_book, final, orgs)
    except model.SchemaError as exc:
        report.invalid += [f"adoption: {p}" for p in exc.problems]
    report.orgs_text = orgs.dump()
    if dry_run or report.invalid:
        return report
    report.written = _write(root, written, final, states[-1], label, orgs, meta)
    return report


def _write(root: Path, written, final, tip, label: str, orgs: OrgMap, meta: dict) -> dict:
    root.mkdir(parents=True)
    try:
        d = deployment.Deployment(root)
        repo = GitRepo.init_bare(d.repo_path)
        parent = None
        for state, files in written:
            tree = repo.write_tree(None, files)
            if state.author is None:  # a folder: one commit by the service
                parent = repo.create_commit(tree, [], Identity("review", "review@localhost"), trailers.message(
                    f"Import {label}", [(trailers.SOURCE_COMMIT, "none (a folder without history)"),
                                        (trailers.SOURCE_REPOSITORY, label)]))
            else:
                parent = repo.create_commit_stamped(tree, [parent] if parent else [], state.author,
                                                    state.committer, replay.message_of(state, label))
        tree = repo.write_tree(None, final)
        service = Identity("review", "review@localhost")
        adoption = repo.create_commit(tree, [parent], service, trailers.message(
            "Adopt the imported plan",
            [(trailers.IMPORTED_FROM, tip.id or "folder"), (trailers.SOURCE_REPOSITORY, label)],
            body=f"Imported by review import from {label}: the commits before this one are its history, "
                 "not reviewed here."))
        repo.update_ref(core.MAIN, adoption, None, "review: import")
        adopted = meta["adopted"]
        tag = f"adopted-{adopted.isoformat() if isinstance(adopted, dt.date) else adopted}"
        repo.create_tag(tag, adoption, service, f"The plan as imported from {label}.")
        hooks.install(d.repo_path)
        deployment.make_instance(d)
        orgs_path = d.instance_path / ORGS_FILE
        orgs_path.write_text(orgs.dump(), encoding="utf-8")
        return {"repo": str(d.repo_path), "main": adoption, "tag": tag, "orgs": str(orgs_path),
                "commits": len(written)}
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
