"""The core's messages in the reader's language, for HTML pages only.

The core (review/*.py) raises errors and gives permission reasons in English; the JSON API
returns them unchanged (a stable contract). Pages show them through `localise`, which
recognises a message by its pattern and answers with the translated template, filled with
the message's own values. A message no pattern knows is shown as it is.

One entry per message, in the order of the core modules; a message raised in several places
has one entry, where it first appears (a permission reason under review/permissions.py). The
English reader gets the message as the core wrote it. Each pattern is anchored (^...$) and its named groups
are the template's %(name)s placeholders. A few groups hold English words of their own (an
amendment's state, a role, a policy's requirements, a nested message): `_VALUES` translates them.
"""

from __future__ import annotations

import re

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from .i18n import REQUIREMENT_NAMES, ROLE_NAMES, STATE_NAMES


def _m(pattern: str, template):
    return re.compile(f"^{pattern}$", re.DOTALL), template


_REPR = r"(?P<{}>'.*'|\".*\")"  # a value written {x!r}
_PATH = r"(?P<path>plan\.yaml|(?:commitments|pages)/[\w-]+/\w+\.md|assets/[\w.-]+)"  # a path of the plan (review.amendments.in_plan)
_COMMIT = r"commit (?P<commit>[0-9a-f]{12}) \((?P<summary>[^\n]*?)\)"  # review.hooks._short

MESSAGES = [
    # -- review/accounts.py -------------------------------------------------------------------
    _m(r"the password is too short: use at least (?P<n>\d+) characters",
       _l("the password is too short: use at least %(n)s characters")),
    _m(r"the password is too long: use at most (?P<n>\d+) characters",
       _l("the password is too long: use at most %(n)s characters")),
    _m(r"(?P<handle>'.*') is not a person of plan\.yaml on main: add them to plan\.yaml \(through an amendment\) "
       r"before creating their account",
       _l("%(handle)s is not a person of plan.yaml on main: add them to plan.yaml (through an amendment) "
          "before creating their account")),
    _m(r"(?P<handle>'.*') already has an account: use 'review user passwd' to change the password",
       _l("%(handle)s already has an account: use 'review user passwd' to change the password")),
    _m(r"(?P<handle>'.*') has no account: create it with 'review user add'",
       _l("%(handle)s has no account: create it with 'review user add'")),
    _m(r"the token name is too long: use at most (?P<n>\d+) characters",
       _l("the token name is too long: use at most %(n)s characters")),

    # -- review/amendments.py -----------------------------------------------------------------
    _m(r"there is no amendment (?P<number>\d+)",
       _l("there is no amendment %(number)s")),
    _m(r"files must map at least one path of the plan to its full new text",
       _l("files must map at least one path of the plan to its full new text")),
    _m(_REPR.format("path") + r" is outside the plan: amendments change plan\.yaml, commitments/<id>/fr\.md and en\.md, "
       r"pages/<slug>/fr\.md and en\.md, or assets/<image>",
       _l("%(path)s is outside the plan: amendments change plan.yaml, commitments/<id>/fr.md and en.md, "
          "pages/<slug>/fr.md and en.md, or assets/<image>")),
    _m(_PATH + r": removing a file is not something an amendment can do here; send its full new text",
       _l("%(path)s: removing a file is not something an amendment can do here; send its full new text")),
    _m(_PATH + r": the text is not valid UTF-8",
       _l("%(path)s: the text is not valid UTF-8")),
    _m(_PATH + r": the text must be a string",
       _l("%(path)s: the text must be a string")),
    _m(_PATH + r" is (?P<size>\d+) bytes; the limit is (?P<limit>\d+) bytes \(200 KB\)",
       _l("%(path)s is %(size)s bytes; the limit is %(limit)s bytes (200 KB)")),
    # review.model.SchemaError problems, wrapped by validate_change; the `path:line: ...` details stay as they are
    _m(r"the text does not fit the plan's format: (?P<problems>.*)",
       _l("the text does not fit the plan's format: %(problems)s")),
    _m(r"give the amendment a title",
       _l("give the amendment a title")),
    _m(r"the title is too long: at most (?P<n>\d+) characters",
       _l("the title is too long: at most %(n)s characters")),
    _m(r"the title must be one line, without control characters",
       _l("the title must be one line, without control characters")),
    _m(r"the rationale must be text",
       _l("the rationale must be text")),
    _m(r"the rationale is too long: at most (?P<n>\d+) characters",
       _l("the rationale is too long: at most %(n)s characters")),
    _m(r"there is no commitment (?P<commitment>.+) in the plan",
       _l("there is no commitment %(commitment)s in the plan")),
    _m(r"the text is identical to the plan: change something before proposing",
       _l("the text is identical to the plan: change something before proposing")),
    _m(r"could not allocate an amendment number: try again",
       _l("could not allocate an amendment number: try again")),
    _m(_REPR.format("commitment") + r" is not a commitment id: push to refs/for/<commitment-id> \(for instance "
       r"refs/for/engagement-04\), or refs/for/(?P<plan>\S+) to amend plan\.yaml",
       _l("%(commitment)s is not a commitment id: push to refs/for/<commitment-id> (for instance "
          "refs/for/engagement-04), or refs/for/%(plan)s to amend plan.yaml")),
    _m(r"this commit shares no history with the plan: clone the plan and commit on top of main",
       _l("this commit shares no history with the plan: clone the plan and commit on top of main")),
    _m(r"this commit is already part of the plan: commit your change on top of main first",
       _l("this commit is already part of the plan: commit your change on top of main first")),
    _m(r"say which revision you edited \(expected_revision\): it guards against overwriting someone else's revision",
       _l("say which revision you edited (expected_revision): it guards against overwriting someone else's "
          "revision")),
    _m(r"this amendment changed since you opened it: reload it and apply your changes again "
       r"\(current revision (?P<revision>[0-9a-f]+)\)",
       _l("this amendment changed since you opened it: reload it and apply your changes again "
          "(current revision %(revision)s)")),
    _m(r"nothing changed compared to the current revision",
       _l("nothing changed compared to the current revision")),
    _m(r"this amendment changed since you opened it: reload it and apply your changes again",
       _l("this amendment changed since you opened it: reload it and apply your changes again")),
    _m(r"the amendment became (?P<state>\w+) meanwhile: reload it",
       _l("the amendment became %(state)s meanwhile: reload it")),
    _m(r"give the reason for rejecting: the author and the public will read it",
       _l("give the reason for rejecting: the author and the public will read it")),
    _m(r"this amendment changed since you opened it: reload it",
       _l("this amendment changed since you opened it: reload it")),
    _m(r"the amendment is already up to date with the plan",
       _l("the amendment is already up to date with the plan")),
    _m(r"this amendment changed meanwhile: reload it",
       _l("this amendment changed meanwhile: reload it")),
    _m(r"amendment (?P<number>\d+) is recorded as merged already",
       _l("amendment %(number)s is recorded as merged already")),
    _m(r"(?P<path>\S+) would be (?P<kind>.+?) \(mode (?P<mode>\d+)\): the plan holds only regular files "
       r"\(mode 100644\); make it a plain, non-executable file \(git update-index --chmod=-x, or replace the link "
       r"by the file\) and commit again",
       _l("%(path)s would be %(kind)s (mode %(mode)s): the plan holds only regular files (mode 100644); make "
          "it a plain, non-executable file (git update-index --chmod=-x, or replace the link by the file) and "
          "commit again")),

    # -- review/audit.py ----------------------------------------------------------------------
    _m(r"(?P<key>\w+) is too long",
       _l("%(key)s is too long")),
    _m(r"(?P<key>\w+) must be a date written YYYY-MM-DD, for example 2016-07-16, not (?P<value>.+)",
       _l("%(key)s must be a date written YYYY-MM-DD, for example 2016-07-16, not %(value)s")),
    _m(r"amendment must be an amendment number, not (?P<value>.+)",
       _l("amendment must be an amendment number, not %(value)s")),
    _m(r"since is after until: give since on or before until",
       _l("since is after until: give since on or before until")),
    _m(r"page and per_page must be whole numbers",
       _l("page and per_page must be whole numbers")),
    _m(r"page starts at 1 and per_page is from 1 to (?P<maximum>\d+)",
       _l("page starts at 1 and per_page is from 1 to %(maximum)s")),

    # -- review/comments.py -------------------------------------------------------------------
    _m(r"no comment (?P<comment>.+) on (?P<commitment>\S+)",
       _l("no comment %(comment)s on %(commitment)s")),
    _m(r"the comment is empty: write something",
       _l("the comment is empty: write something")),
    _m(r"the comment is (?P<length>\d+) characters long; the limit is (?P<limit>\d+)",
       _l("the comment is %(length)s characters long; the limit is %(limit)s")),
    _m(r"the comment is not valid UTF-8 text",
       _l("the comment is not valid UTF-8 text")),
    _m(r"stance must be one of (?P<choices>.+) \(or left out\), not (?P<value>.+)",
       _l("stance must be one of %(choices)s (or left out), not %(value)s")),
    _m(r"an answer on a progress report takes no reply_to, anchor or quote",
       _l("an answer on a progress report takes no reply_to, anchor or quote")),
    _m(r"lang must be one of (?P<choices>.+)",
       _l("lang must be one of %(choices)s")),
    _m(r"revision (?P<revision>.+) does not exist: give a commit id, a tag or 'main'",
       _l("revision %(revision)s does not exist: give a commit id, a tag or 'main'")),
    _m(r"this discussion has no paragraphs to anchor in: leave anchor and quote out",
       _l("this discussion has no paragraphs to anchor in: leave anchor and quote out")),
    _m(r"no commitment (?P<commitment>.+) at revision (?P<revision>.+)",
       _l("no commitment %(commitment)s at revision %(revision)s")),
    _m(r"a reply takes its thread's place: leave anchor and quote out",
       _l("a reply takes its thread's place: leave anchor and quote out")),
    _m(r"anchor (?P<anchor>.+) is not a paragraph of this revision \(p-1 to p-(?P<last>\d+)\)",
       _l("anchor %(anchor)s is not a paragraph of this revision (p-1 to p-%(last)s)")),
    _m(r"the quote must be text of at most (?P<n>\d+) characters",
       _l("the quote must be text of at most %(n)s characters")),
    _m(r"the quoted words are not in paragraph (?P<anchor>.+) of this revision: quote them exactly",
       _l("the quoted words are not in paragraph %(anchor)s of this revision: quote them exactly")),
    _m(r"a quote needs the anchor of its paragraph \(p-1, p-2, \.\.\.\)",
       _l("a quote needs the anchor of its paragraph (p-1, p-2, ...)")),
    _m(r"there is no comment (?P<comment>.+) to reply to on (?P<commitment>\S+)",
       _l("there is no comment %(comment)s to reply to on %(commitment)s")),
    _m(r"this comment was hidden by moderation: it takes no more replies",
       _l("this comment was hidden by moderation: it takes no more replies")),
    _m(r"this comment was hidden by moderation",
       _l("this comment was hidden by moderation")),
    _m(r"the new text is the same as the current one",
       _l("the new text is the same as the current one")),
    _m(r"resolve the thread's first comment, not a reply",
       _l("resolve the thread's first comment, not a reply")),
    _m(r"this thread is already resolved",
       _l("this thread is already resolved")),
    _m(r"this thread is open already",
       _l("this thread is open already")),
    _m(r"give the reason for hiding this comment: it is shown in its place",
       _l("give the reason for hiding this comment: it is shown in its place")),
    _m(r"the reason is too long: at most (?P<n>\d+) characters",  # also review/progress.py
       _l("the reason is too long: at most %(n)s characters")),

    # -- review/gitrepo.py (a damaged repository) ---------------------------------------------
    _m(r"the repository is damaged: object (?P<oid>[0-9a-f]{40}) is (?P<problem>missing|truncated|corrupt|unreadable|"
       r"a (?:blob|tree|tag|commit) where a commit was expected); an administrator must restore it",
       _l("the repository is damaged: object %(oid)s is %(problem)s; an administrator must restore it")),
    _m(r"(?P<ref>refs/[\w./-]+) is locked by another write: try again in (?P<n>\d+) seconds",
       _l("%(ref)s is locked by another write: try again in %(n)s seconds")),
    _m(r"the server's disk is full: nothing was written; try again later",
       _l("the server's disk is full: nothing was written; try again later")),

    # -- review/hooks.py (git pushes) ---------------------------------------------------------
    _m(r"more than (?P<n>\d+) new commits in one push: squash them \(git rebase -i\) into fewer revisions",
       _l("more than %(n)s new commits in one push: squash them (git rebase -i) into fewer revisions")),
    _m(_COMMIT + r" merges (?P<n>\d+) branches: an amendment only merges main in",
       _l("commit %(commit)s (%(summary)s) merges %(n)s branches: an amendment only merges main in")),
    _m(_COMMIT + r" merges something that is not the plan's main: an amendment may only bring main in "
       r"\(git fetch origin && git merge origin/main\)",
       _l("commit %(commit)s (%(summary)s) merges something that is not the plan's main: an amendment may "
          "only bring main in (git fetch origin && git merge origin/main)")),
    _m(_COMMIT + r" has no parent: commit on top of the plan \(clone it and start from main\)",
       _l("commit %(commit)s (%(summary)s) has no parent: commit on top of the plan (clone it and start "
          "from main)")),
    _m(_COMMIT + r" changes nothing: drop it or fold it into another commit \(git rebase -i\)",
       _l("commit %(commit)s (%(summary)s) changes nothing: drop it or fold it into another commit "
          "(git rebase -i)")),
    _m(_COMMIT + r" deletes (?P<path>.+): an amendment changes texts, it does not remove files; restore the "
       r"file \(git checkout origin/main -- PATH\) and commit again",
       _l("commit %(commit)s (%(summary)s) deletes %(path)s: an amendment changes texts, it does not remove "
          "files; restore the file (git checkout origin/main -- PATH) and commit again")),
    _m(_COMMIT + r": (?P<reason>.+)",  # a check of validate_change on one pushed commit
       _l("commit %(commit)s (%(summary)s): %(reason)s")),
    _m(r"main changes only when a coordinator merges an approved amendment; to propose a change, push it to "
       r"refs/for/<commitment-id> \(git push origin HEAD:refs/for/engagement-04\)",
       _l("main changes only when a coordinator merges an approved amendment; to propose a change, push it "
          "to refs/for/<commitment-id> (git push origin HEAD:refs/for/engagement-04)")),
    _m(r"review logs are written by the server only: comment, approve or withdraw on the web or through the API",
       _l("review logs are written by the server only: comment, approve or withdraw on the web or through "
          "the API")),
    _m(r"tags are published by the server only \(checkpoints and adopted versions\); tag your own commits in "
       r"your clone without pushing them",
       _l("tags are published by the server only (checkpoints and adopted versions); tag your own commits "
          "in your clone without pushing them")),
    _m(r"(?P<ref>\S+) does not take pushes: push a revision of your own amendment to refs/heads/amendments/<n>, "
       r"or a new amendment to refs/for/<commitment-id>",
       _l("%(ref)s does not take pushes: push a revision of your own amendment to refs/heads/amendments/<n>, "
          "or a new amendment to refs/for/<commitment-id>")),
    _m(r"amendment branches are never deleted, so every revision stays on record; to give up amendment "
       r"(?P<number>\d+), withdraw it on its page",
       _l("amendment branches are never deleted, so every revision stays on record; to give up amendment "
          "%(number)s, withdraw it on its page")),
    _m(r"amendment branches are created by the server: open a new amendment by pushing to "
       r"refs/for/<commitment-id>",
       _l("amendment branches are created by the server: open a new amendment by pushing to "
          "refs/for/<commitment-id>")),
    _m(r"there is no amendment (?P<number>\d+): open one by pushing to refs/for/<commitment-id>",
       _l("there is no amendment %(number)s: open one by pushing to refs/for/<commitment-id>")),
    _m(r"amendment (?P<number>\d+) is @(?P<author>\S+)'s: only its author pushes revisions; comment on it, or "
       r"open your own amendment with refs/for/(?P<commitment>\S+)",
       _l("amendment %(number)s is @%(author)s's: only its author pushes revisions; comment on it, or open "
          "your own amendment with refs/for/%(commitment)s")),
    _m(r"amendment (?P<number>\d+): (?P<reason>.+)",  # a permission reason about a pushed revision
       _l("amendment %(number)s: %(reason)s")),
    _m(r"this is a forced update: amendment branches only move forward, so every revision anyone approved "
       r"stays reachable; fetch amendments/(?P<number>\d+), put your commits on top of it \(git pull --rebase\) "
       r"and push again without --force",
       _l("this is a forced update: amendment branches only move forward, so every revision anyone approved "
          "stays reachable; fetch amendments/%(number)s, put your commits on top of it (git pull --rebase) "
          "and push again without --force")),
    _m(r"amendments/(?P<number>\d+) must stay the first parent of your commits: merge main into the amendment "
       r"\(git merge origin/main\), not the amendment into main",
       _l("amendments/%(number)s must stay the first parent of your commits: merge main into the amendment "
          "(git merge origin/main), not the amendment into main")),
    _m(r"(?P<ref>\S+) only takes new amendments: there is nothing to delete",
       _l("%(ref)s only takes new amendments: there is nothing to delete")),
    _m(r"(?P<ref>\S+) is busy: another amendment of (?P<commitment>\S+) is being opened; push again",
       _l("%(ref)s is busy: another amendment of %(commitment)s is being opened; push again")),

    # -- review/permissions.py (why_not's reasons) --------------------------------------------
    _m(r"sign in first",  # also raised by review/comments.py and review/progress.py
       _l("sign in first")),
    _m(r"only a (?P<role>\w+) may do this",
       _l("only a %(role)s may do this")),
    _m(r"only its author may do this",
       _l("only its author may do this")),
    _m(r"the amendment is (?P<state>\w+): it can no longer change",
       _l("the amendment is %(state)s: it can no longer change")),
    _m(r"only a withdrawn amendment can be reopened \(this one is (?P<state>\w+)\)",
       _l("only a withdrawn amendment can be reopened (this one is %(state)s)")),
    _m(r"only members of this commitment's lead administrations may do this",
       _l("only members of this commitment's lead administrations may do this")),
    _m(r"only the comment's author, a member of a lead administration or a moderator may do this",
       _l("only the comment's author, a member of a lead administration or a moderator may do this")),
    _m(r"you cannot reply to a hidden comment",
       _l("you cannot reply to a hidden comment")),
    _m(r"the amendment is (?P<state>\w+)",
       _l("the amendment is %(state)s")),
    _m(r"only a signatory \(or a coordinator, for the plan's own rules\) may approve",
       _l("only a signatory (or a coordinator, for the plan's own rules) may approve")),
    _m(r"the amendment is (?P<state>\w+): approvals are closed",  # also review/signoff.py
       _l("the amendment is %(state)s: approvals are closed")),
    _m(r"you can only manage your own tokens",
       _l("you can only manage your own tokens")),
    _m(r"you can only manage your own account",
       _l("you can only manage your own account")),
    _m(r"only members of the plan's organisations take part in the review: an auditor reads and verifies",
       _l("only members of the plan's organisations take part in the review: an auditor reads and verifies")),

    # -- review/progress.py -------------------------------------------------------------------
    _m(r"(?P<what>\w+) must be a date written YYYY-MM-DD \(for example 2016-07-16\), not (?P<value>.+)",
       _l("%(what)s must be a date written YYYY-MM-DD (for example 2016-07-16), not %(value)s")),
    _m(r"(?P<what>\w+) (?P<day>[\d-]+) is in the future: give today \((?P<today>[\d-]+)\) or an earlier date",
       _l("%(what)s %(day)s is in the future: give today (%(today)s) or an earlier date")),
    _m(r"(?P<what>\w+) (?P<day>[\d-]+) is before the plan was adopted \((?P<adopted>[\d-]+)\): give a later date",
       _l("%(what)s %(day)s is before the plan was adopted (%(adopted)s): give a later date")),
    _m(r"there is no progress report (?P<report>.+) on (?P<commitment>\S+) to answer",
       _l("there is no progress report %(report)s on %(commitment)s to answer")),
    _m(r"this progress report was hidden by moderation: it takes no more answers",
       _l("this progress report was hidden by moderation: it takes no more answers")),
    _m(r"no progress report (?P<report>.+) on (?P<commitment>\S+)",
       _l("no progress report %(report)s on %(commitment)s")),
    _m(r"evidence must be a list of links \(http:// or https:// addresses\)",
       _l("evidence must be a list of links (http:// or https:// addresses)")),
    _m(r"evidence link (?P<link>.+) is not text: give http:// or https:// addresses",
       _l("evidence link %(link)s is not text: give http:// or https:// addresses")),
    _m(r"evidence link (?P<link>.+) is not an http:// or https:// address \(at most (?P<n>\d+) characters, "
       r"no spaces\): fix or remove it",
       _l("evidence link %(link)s is not an http:// or https:// address (at most %(n)s characters, no "
          "spaces): fix or remove it")),
    _m(r"(?P<count>\d+) evidence links given; the limit is (?P<limit>\d+): keep the most telling ones",
       _l("%(count)s evidence links given; the limit is %(limit)s: keep the most telling ones")),
    _m(r"the note must be text \(Markdown\)",
       _l("the note must be text (Markdown)")),
    _m(r"the note is (?P<length>\d+) characters long; the limit is (?P<limit>\d+): shorten it, and link to the "
       r"details as evidence",
       _l("the note is %(length)s characters long; the limit is %(limit)s: shorten it, and link to the "
          "details as evidence")),
    _m(r"no commitment (?P<commitment>.+) in the plan",
       _l("no commitment %(commitment)s in the plan")),
    _m(r"level must be one of (?P<choices>.+) \(the OGP IRM scale\), not (?P<value>.+)",
       _l("level must be one of %(choices)s (the OGP IRM scale), not %(value)s")),
    _m(r"milestone must be a milestone id \(text\), or left out for the whole commitment",
       _l("milestone must be a milestone id (text), or left out for the whole commitment")),
    _m(r"(?P<commitment>\S+) has no milestone (?P<milestone>.+) \(its milestones: (?P<known>.*)\); leave it out "
       r"to report on the whole commitment",
       _l("%(commitment)s has no milestone %(milestone)s (its milestones: %(known)s); leave it out to report "
          "on the whole commitment")),
    _m(r"give the reason for hiding this report: it is shown in its place",
       _l("give the reason for hiding this report: it is shown in its place")),
    _m(r"this report is hidden already",
       _l("this report is hidden already")),
    _m(r"the plan did not exist yet on (?P<day>[\d-]+): give a later date",
       _l("the plan did not exist yet on %(day)s: give a later date")),

    # -- review/signoff.py --------------------------------------------------------------------
    _m(r"verdict must be one of (?P<choices>.+), not (?P<value>.+)",
       _l("verdict must be one of %(choices)s, not %(value)s")),
    _m(r"the comment must be text of at most (?P<n>\d+) characters",
       _l("the comment must be text of at most %(n)s characters")),
    _m(r"revision (?P<revision>.+) is not the amendment's current revision \((?P<current>[0-9a-f]+)\): read the "
       r"current text and approve that",
       _l("revision %(revision)s is not the amendment's current revision (%(current)s): read the current "
          "text and approve that")),
    _m(r"you are not entitled to approve this amendment: the policy asks for (?P<requirements>.*)",
       _l("you are not entitled to approve this amendment: the policy asks for %(requirements)s")),
    _m(r"under this policy, approvals from the author's own organisation do not count",
       _l("under this policy, approvals from the author's own organisation do not count")),
    _m(r"a new revision arrived meanwhile: read it and approve that",
       _l("a new revision arrived meanwhile: read it and approve that")),
    _m(r"amendment (?P<number>\d+) is merged already",
       _l("amendment %(number)s is merged already")),
    _m(r"the amendment is (?P<state>\w+): only an open amendment can be merged",  # review/permissions.py
       _l("the amendment is %(state)s: only an open amendment can be merged")),
    _m(r"amendment (?P<number>\d+) is (?P<state>\w+): only an open amendment can be merged",
       _l("amendment %(number)s is %(state)s: only an open amendment can be merged")),
    _m(r"revision (?P<revision>.+) is not the current revision \((?P<current>[0-9a-f]+)\): merge only what you "
       r"have read",
       _l("revision %(revision)s is not the current revision (%(current)s): merge only what you have read")),
    _m(r"the policy is not satisfied at this revision: needs (?P<missing>.+)",
       _l("the policy is not satisfied at this revision: needs %(missing)s")),
    _m(r"the amendment does not merge cleanly with the plan: its author must update it with the plan first "
       r"\(conflicts in (?P<paths>.+)\)",
       _l("the amendment does not merge cleanly with the plan: its author must update it with the plan "
          "first (conflicts in %(paths)s)")),
    _m(r"the plan changed meanwhile \(another merge\?\): reload and try again",
       _l("the plan changed meanwhile (another merge?): reload and try again")),
    _m(r"merged already",
       _l("merged already")),

    # -- not found (review/commitment.py and the views): the 404 pages ----------------------
    _m(r"unknown revision " + _REPR.format("rev"),
       _l("unknown revision %(rev)s")),
    _m(r"the plan did not exist yet on (?P<day>\d{4}-\d\d-\d\d)",
       _l("the plan did not exist yet on %(day)s")),
    _m(r"unknown commitment " + _REPR.format("cid"),
       _l("unknown commitment %(cid)s")),
    _m(r"no commitment " + _REPR.format("cid") + r" at this revision",
       _l("no commitment %(cid)s at this revision")),
    _m(r"no commitment " + _REPR.format("cid") + r" at either revision",
       _l("no commitment %(cid)s at either revision")),
    _m(r"no commitment " + _REPR.format("cid") + r" to amend",
       _l("no commitment %(cid)s to amend")),
    _m(r"there is no amendment " + _REPR.format("n"),
       _l("there is no amendment %(n)s")),
    _m(r"no person (?P<handle>'.*') in the plan",
       _l("no person %(handle)s in the plan")),

    # -- review/web/params.py (query parameters, read alike on pages, feeds and the API) -------
    _m(r"(?P<name>\w+) must name a branch, a tag or a commit id \(letters, digits, '-', '_', '\.', '/'\)",
       _l("%(name)s must name a branch, a tag or a commit id (letters, digits, '-', '_', '.', '/')")),
    _m(r"(?P<name>\w+) must be a whole number from 1 to (?P<n>\d+)",
       _l("%(name)s must be a whole number from 1 to %(n)s")),
    _m(r"(?P<name>\w+) must be a date written YYYY-MM-DD \(for example 2016-07-16\)",
       _l("%(name)s must be a date written YYYY-MM-DD (for example 2016-07-16)")),

    # -- review/search.py and review/web/search.py ----------------------------------------------
    _m(r"the search is empty: type one or more words",
       _l("the search is empty: type one or more words")),
    _m(r"the search is too long: at most (?P<n>\d+) characters",
       _l("the search is too long: at most %(n)s characters")),
    _m(r"the search has no words: type letters or digits",
       _l("the search has no words: type letters or digits")),
    _m(r"the search has too many words: at most (?P<n>\d+)",
       _l("the search has too many words: at most %(n)s")),
    _m(r"the (?P<name>type|state|lang) filter must be one of (?P<choices>.+), not (?P<value>.+)",
       _l("the %(name)s filter must be one of %(choices)s, not %(value)s")),
    _m(r"axis (?P<value>'.*'|\".*\") is not in the plan: give the id of one of its axes",
       _l("axis %(value)s is not in the plan: give the id of one of its axes")),
    _m(r"theme (?P<value>'.*'|\".*\") is not in the plan: give the id of one of its themes",
       _l("theme %(value)s is not in the plan: give the id of one of its themes")),
    _m(r"lead (?P<value>'.*'|\".*\") is not in the plan: give the id of one of its organisations",
       _l("lead %(value)s is not in the plan: give the id of one of its organisations")),
    _m(r"(?P<name>type|axis|theme|lead|state|lang) is too long: at most (?P<n>\d+) characters",
       _l("%(name)s is too long: at most %(n)s characters")),
]


def _requirements(text: str, item: str) -> str:
    """'2 lead-signatories, 1 civil-society' (or '1 more coordinators; ...') with each kind named in
    the reader's language, as the amendment page writes them: 'name × count'."""
    out = []
    for part in re.split(r"(, |; )", text):  # the separators are kept: several targets join with "; "
        m = re.fullmatch(item + r"(?: for (\S+))?", part.strip())  # "... for engagement-04": one touched target's
        if part in (", ", "; ") or m is None or m.group(2) not in REQUIREMENT_NAMES:
            out.append(part)
        else:
            out.append(f"{REQUIREMENT_NAMES[m.group(2)]} × {m.group(1)}" + (f" ({m.group(3)})" if m.group(3) else ""))
    return "".join(out)


_MODE_KINDS = {"a symbolic link": _l("a symbolic link"), "a submodule (gitlink)": _l("a submodule (gitlink)"),
               "an executable file": _l("an executable file"), "a folder": _l("a folder"),
               "not a regular file": _l("not a regular file")}  # review.amendments.MODE_KINDS

_PROBLEMS = {"missing": _l("missing"), "truncated": _l("truncated"), "corrupt": _l("corrupt"),
             "unreadable": _l("unreadable"),
             "a blob where a commit was expected": _l("a blob where a commit was expected"),
             "a tree where a commit was expected": _l("a tree where a commit was expected"),
             "a tag where a commit was expected": _l("a tag where a commit was expected")}  # review.gitrepo

_VALUES = {
    "state": lambda v: str(STATE_NAMES.get(v, v)),
    "role": lambda v: str(ROLE_NAMES.get(v, v)),
    "reason": lambda v: localise(v),
    "requirements": lambda v: _requirements(v, r"(\d+) (\S+)"),
    "missing": lambda v: _requirements(v, r"(\d+) more (\S+)"),
    "kind": lambda v: str(_MODE_KINDS.get(v, v)),
    "problem": lambda v: str(_PROBLEMS.get(v, v)),
}


def localise(message: str) -> str:
    """The core's English message in the reader's language, or the message unchanged when no
    pattern knows it. For HTML pages only: the JSON API keeps the English message."""
    if not isinstance(message, str) or str(get_locale()) == "en":  # the core writes English already
        return message
    for pattern, template in MESSAGES:
        m = pattern.match(message)
        if m is None:
            continue
        values = {k: _VALUES[k](v) if k in _VALUES else v for k, v in m.groupdict().items()}
        text = str(template)
        return text % values if values else text
    return message
