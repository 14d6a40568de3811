"""What the git layer hands out: plain values, no pygit2 object ever leaves the layer."""

from __future__ import annotations

import datetime as dt
import re
import sys
from dataclasses import dataclass

import pygit2

HEX_RE = re.compile(r"^[0-9a-f]{4,40}$")
SERVICE_NAME = "review"
SERVICE_EMAIL = "review@localhost"
REGULAR = 0o100644   # the only file mode the plan's tree may hold (see `irregular_entries`)
TREE_MODE = 0o040000


@dataclass(frozen=True)
class Identity:
    """Who acted: becomes the commit author. The committer is always the service."""

    name: str
    email: str


@dataclass(frozen=True)
class CommitInfo:
    id: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    time: dt.datetime
    committer_name: str
    message: str
    tree_id: str

    @property
    def summary(self) -> str:
        return self.message.split("\n", 1)[0]


@dataclass(frozen=True)
class Stamp:
    """A full git signature: name, e-mail, seconds since the epoch, UTC offset in minutes."""

    name: str
    email: str
    time: int
    offset: int

    @property
    def when(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.time, tz=dt.timezone(dt.timedelta(minutes=self.offset)))


@dataclass(frozen=True)
class TagInfo:
    name: str
    target: str
    time: dt.datetime | None
    message: str


@dataclass(frozen=True)
class Change:
    """One path changed between two revisions: status is 'A', 'M' or 'D'."""

    path: str
    status: str
    old_id: str | None
    new_id: str | None
    old_mode: int | None = None     # git file modes (0o100644 a regular file, 0o120000 a symlink...)
    new_mode: int | None = None

    @property
    def mode_changed(self) -> bool:
        return self.old_mode is not None and self.new_mode is not None and self.old_mode != self.new_mode


@dataclass(frozen=True)
class PathWalk:
    """What GitRepo.path_walk found: the changes to a path, newest first, and where it stopped.

    `stopped_at`: the commit of `stop_at` the walk reached (not examined: its own history is
    the caller's). `resume`: when `limit` stopped the walk, the first parent of the last
    change, where a later walk continues. Both None: the walk reached the first commit.
    """

    changes: tuple[CommitInfo, ...]
    stopped_at: str | None = None
    resume: str | None = None


def _utc(ts: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, tz=dt.timezone.utc)


def _info(commit: pygit2.Commit) -> CommitInfo:
    # names and addresses repeat from commit to commit (a few people write 100,000 events): one
    # string each, not one per commit, in what the integrity check keeps of every log
    return CommitInfo(
        id=str(commit.id),
        parents=tuple(str(p) for p in commit.parent_ids),
        author_name=sys.intern(commit.author.name),
        author_email=sys.intern(commit.author.email),
        time=_utc(commit.author.time),
        committer_name=sys.intern(commit.committer.name),
        message=commit.message,
        tree_id=str(commit.tree_id),
    )
