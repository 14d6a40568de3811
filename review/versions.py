"""Published versions of the plan: annotated tags on commits of main.

A coordinator publishes a version (`refs/tags/versions/<name>`, an annotated tag whose tagger
is the coordinator: name and handle, like a commit author); the tag's message carries the
notes in both languages:

    Version 2016-bilan

    [fr]
    Le plan après le bilan de mi-parcours.

    [en]
    The plan after the mid-term review.

Every other tag except checkpoints (`checkpoints/...`, `review checkpoint`) is a published
version too, such as `adopted-2015-07-16` written by `review init` and `review import`; its
message is its note. Tags are never moved or deleted (the hooks refuse pushed tags; `review
verify` checks that each is an annotated tag on a commit and, with checkpoints, that none was
rewritten), so a version's name means one text for good.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from . import commitment as core
from . import model, reviewlog
from .errors import Conflict, Forbidden, Invalid
from .gitrepo import GitRepo
from .model import Person
from .permissions import why_not

PREFIX = "versions/"
CHECKPOINTS = "checkpoints/"
NAME_RE = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*$")
MAX_NAME = 64
MAX_NOTES = 5000
_MARK_RE = re.compile(r"^\[(fr|en)\]$")


@dataclass(frozen=True)
class Version:
    name: str                      # the tag's name: a revision anywhere (?rev=, /compare?from=)
    commit: str
    time: dt.datetime
    notes: dict                    # lang -> text; a tag without sections has its message under "fr"
    published_by: str | None       # the coordinator's handle; None for tags written by the service
    publisher_name: str | None
    tag: str | None                # the annotated tag object's id

    @property
    def short_name(self) -> str:
        return self.name[len(PREFIX):] if self.name.startswith(PREFIX) else self.name

    def notes_in(self, lang: str) -> str:
        return self.notes.get(lang) or self.notes.get(model.AUTHORITATIVE) or ""

    def as_json(self) -> dict:
        return {"name": self.name, "commit": self.commit, "time": self.time.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "notes": {lang: self.notes.get(lang, "") for lang in model.LANGUAGES},
                "published_by": self.published_by, "publisher_name": self.publisher_name, "tag": self.tag}


def message(name: str, notes: dict) -> str:
    parts = [f"Version {name}", ""]
    for lang in model.LANGUAGES:
        parts += [f"[{lang}]", notes[lang].strip(), ""]
    return "\n".join(parts)


def parse_notes(text: str) -> dict:
    """The notes per language of a tag's message; a message without sections is the French note."""
    lines = text.replace("\r\n", "\n").split("\n")
    marks = [(i, m.group(1)) for i, line in enumerate(lines) if (m := _MARK_RE.match(line.strip()))]
    if not marks:
        return {model.AUTHORITATIVE: text.strip()} if text.strip() else {}
    out = {}
    for k, (i, lang) in enumerate(marks):
        end = marks[k + 1][0] if k + 1 < len(marks) else len(lines)
        out[lang] = "\n".join(lines[i + 1:end]).strip()
    return out


def list_versions(repo: GitRepo) -> list[Version]:
    """Every published version, newest first (checkpoints are not versions)."""
    out = []
    for t in repo.tags():
        if t.name.startswith(CHECKPOINTS):
            continue
        ref = f"refs/tags/{t.name}"
        oid = repo.ref_target(ref)
        tag = repo.tag_object(oid) if oid else None
        handle, name = None, None
        if tag is not None:
            tagger = repo.tagger(oid)
            if tagger is not None:
                handle = reviewlog.handle_of(tagger[1])
                name = tagger[0] if handle else None
        out.append(Version(t.name, t.target, t.time, parse_notes(t.message), handle, name,
                           oid if tag is not None else None))
    return out


def get(repo: GitRepo, name: str) -> Version | None:
    return next((v for v in list_versions(repo) if v.name == name), None)


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not (NAME_RE.match(name) and len(name) <= MAX_NAME):
        raise Invalid("version.bad_name", n=MAX_NAME)
    return name


def check_notes(notes: dict) -> dict:
    out = {}
    for lang in model.LANGUAGES:
        text = (notes.get(lang) or "").replace("\r\n", "\n").strip()
        if not text:
            raise Invalid("version.notes_missing")
        if len(text) > MAX_NOTES:
            raise Invalid("version.notes_long", n=MAX_NOTES)
        if any(_MARK_RE.match(line.strip()) for line in text.split("\n")):
            raise Invalid("version.notes_marker")
        out[lang] = text
    return out


def publish_version(repo: GitRepo, person: Person | None, name: str, target: str | None, notes: dict) -> Version:
    """Tag a commit of main (default: its tip) as `versions/<name>` with notes in both languages."""
    refusal = why_not(person, "publish_version")
    if refusal:
        raise Forbidden(refusal)
    name = check_name(name)
    notes = check_notes(notes)
    main = core.resolve(repo, "main")
    target = (target or "").strip() or main
    try:
        commit = core.resolve(repo, target) if len(target) <= 200 else None
    except core.NotFound:
        commit = None
    if commit is None or not (commit == main or repo.contains(commit, main)):
        raise Invalid("version.not_on_main", rev=repr(target))
    tag_name = PREFIX + name
    if any(t.name == tag_name for t in repo.tags()):
        raise Conflict("version.exists", name=repr(name))
    oid = repo.create_tag_if_absent(tag_name, commit, reviewlog.identity(person.handle, person.name),
                                    message(name, notes))
    if oid is None:
        raise Conflict("version.exists", name=repr(name))
    version = get(repo, tag_name)
    assert version is not None
    return version
