"""The core's English messages in the reader's language on HTML pages (review/web/messages.py);
the JSON API keeps them in English."""

from __future__ import annotations

import ast
import itertools
import re
from pathlib import Path

import pytest
from flask_babel import gettext

from review.web.messages import MESSAGES, localise

from .test_people import _csrf, sign_in

CORE = Path(__file__).resolve().parent.parent / "review"
CID = "engagement-02"

# One realistic message per entry of the table, in its order (review/web/messages.py).
EXAMPLES = [
    # review/accounts.py
    "the password is too short: use at least 12 characters",
    "the password is too long: use at most 1024 characters",
    "'zoe' is not a person of plan.yaml on main: add them to plan.yaml (through an amendment) before creating "
    "their account",
    "'karim' already has an account: use 'review user passwd' to change the password",
    "'zoe' has no account: create it with 'review user add'",
    "the token name is too long: use at most 100 characters",
    # review/amendments.py
    "there is no amendment 42",
    "files must map at least one path of the plan to its full new text",
    "'README.md' is outside the plan: amendments change plan.yaml, commitments/<id>/fr.md and en.md, "
    "pages/<slug>/fr.md and en.md, or assets/<image>",
    "commitments/engagement-02/fr.md: removing a file is not something an amendment can do here; send its full new text",
    "commitments/engagement-02/en.md: the text is not valid UTF-8",
    "plan.yaml: the text must be a string",
    "commitments/engagement-02/fr.md is 300000 bytes; the limit is 204800 bytes (200 KB)",
    "the text does not fit the plan's format: commitments/engagement-02/fr.md:7: due 'bientôt' must be written "
    "YYYY, YYYY-MM or YYYY-MM-DD",
    "give the amendment a title",
    "the title is too long: at most 200 characters",
    "the title must be one line, without control characters",
    "the rationale must be text",
    "the rationale is too long: at most 20000 characters",
    "there is no commitment 'engagement-99' in the plan",
    "the text is identical to the plan: change something before proposing",
    "could not allocate an amendment number: try again",
    "'Engagement 4' is not a commitment id: push to refs/for/<commitment-id> (for instance refs/for/engagement-04), "
    "or refs/for/plan to amend plan.yaml",
    "this commit shares no history with the plan: clone the plan and commit on top of main",
    "this commit is already part of the plan: commit your change on top of main first",
    "say which revision you edited (expected_revision): it guards against overwriting someone else's revision",
    "this amendment changed since you opened it: reload it and apply your changes again "
    "(current revision 3f2a9c0d1e4b)",
    "nothing changed compared to the current revision",
    "this amendment changed since you opened it: reload it and apply your changes again",
    "the amendment became withdrawn meanwhile: reload it",
    "give the reason for rejecting: the author and the public will read it",
    "this amendment changed since you opened it: reload it",
    "the amendment is already up to date with the plan",
    "this amendment changed meanwhile: reload it",
    "amendment 3 is recorded as merged already",
    "commitments/engagement-02/fr.md would be a symbolic link (mode 120000): the plan holds only regular files "
    "(mode 100644); make it a plain, non-executable file (git update-index --chmod=-x, or replace the link by the "
    "file) and commit again",
    # review/audit.py
    "person is too long",
    "since must be a date written YYYY-MM-DD, for example 2016-07-16, not '16/07/2016'",
    "amendment must be an amendment number, not 'deux'",
    "since is after until: give since on or before until",
    "page and per_page must be whole numbers",
    "page starts at 1 and per_page is from 1 to 1000",
    # review/comments.py
    "no comment 'c-1a2b3c' on engagement-02",
    "the comment is empty: write something",
    "the comment is 10001 characters long; the limit is 10000",
    "the comment is not valid UTF-8 text",
    "stance must be one of for, against, neutral (or left out), not 'maybe'",
    "an answer on a progress report takes no reply_to, anchor or quote",
    "lang must be one of fr, en",
    "revision 'v9' does not exist: give a commit id, a tag or 'main'",
    "this discussion has no paragraphs to anchor in: leave anchor and quote out",
    "no commitment 'engagement-99' at revision main",
    "a reply takes its thread's place: leave anchor and quote out",
    "anchor 'p-40' is not a paragraph of this revision (p-1 to p-12)",
    "the quote must be text of at most 2000 characters",
    "the quoted words are not in paragraph p-2 of this revision: quote them exactly",
    "a quote needs the anchor of its paragraph (p-1, p-2, ...)",
    "there is no comment 'c-9' to reply to on engagement-02",
    "this comment was hidden by moderation: it takes no more replies",
    "this comment was hidden by moderation",
    "the new text is the same as the current one",
    "resolve the thread's first comment, not a reply",
    "this thread is already resolved",
    "this thread is open already",
    "give the reason for hiding this comment: it is shown in its place",
    "the reason is too long: at most 500 characters",
    # review/gitrepo.py
    "the repository is damaged: object 8134746a0d738f566390e2941996b6b7f5dc70ce is truncated; an administrator must "
    "restore it",
    "refs/reviews/commitments/engagement-02 is locked by another write: try again in 42 seconds",
    "the server's disk is full: nothing was written; try again later",
    # review/hooks.py
    "more than 200 new commits in one push: squash them (git rebase -i) into fewer revisions",
    "commit 0123456789ab (Préciser le calendrier) merges 2 branches: an amendment only merges main in",
    "commit 0123456789ab (Merge branch 'x') merges something that is not the plan's main: an amendment may only "
    "bring main in (git fetch origin && git merge origin/main)",
    "commit 0123456789ab (Initial) has no parent: commit on top of the plan (clone it and start from main)",
    "commit 0123456789ab (wip) changes nothing: drop it or fold it into another commit (git rebase -i)",
    "commit 0123456789ab (Nettoyage) deletes commitments/engagement-02/en.md: an amendment changes texts, it does "
    "not remove files; restore the file (git checkout origin/main -- PATH) and commit again",
    "commit 0123456789ab (Préciser): the title must be one line, without control characters",
    "main changes only when a coordinator merges an approved amendment; to propose a change, push it to "
    "refs/for/<commitment-id> (git push origin HEAD:refs/for/engagement-04)",
    "review logs are written by the server only: comment, approve or withdraw on the web or through the API",
    "tags are published by the server only (checkpoints and adopted versions); tag your own commits in your "
    "clone without pushing them",
    "refs/heads/feature does not take pushes: push a revision of your own amendment to refs/heads/amendments/<n>, "
    "or a new amendment to refs/for/<commitment-id>",
    "amendment branches are never deleted, so every revision stays on record; to give up amendment 3, withdraw "
    "it on its page",
    "amendment branches are created by the server: open a new amendment by pushing to refs/for/<commitment-id>",
    "there is no amendment 7: open one by pushing to refs/for/<commitment-id>",
    "amendment 3 is @karim's: only its author pushes revisions; comment on it, or open your own amendment with "
    "refs/for/engagement-02",
    "amendment 3: the amendment is merged: it can no longer change",
    "this is a forced update: amendment branches only move forward, so every revision anyone approved stays "
    "reachable; fetch amendments/3, put your commits on top of it (git pull --rebase) and push again without --force",
    "amendments/3 must stay the first parent of your commits: merge main into the amendment (git merge origin/main), "
    "not the amendment into main",
    "refs/for/engagement-02 only takes new amendments: there is nothing to delete",
    "refs/for/engagement-02 is busy: another amendment of engagement-02 is being opened; push again",
    # review/permissions.py
    "sign in first",
    "only a coordinator may do this",
    "only its author may do this",
    "the amendment is rejected: it can no longer change",
    "only a withdrawn amendment can be reopened (this one is open)",
    "only members of this commitment's lead administrations may do this",
    "only the comment's author, a member of a lead administration or a moderator may do this",
    "you cannot reply to a hidden comment",
    "the amendment is merged",
    "only a signatory (or a coordinator, for the plan's own rules) may approve",
    "the amendment is withdrawn: approvals are closed",
    "you can only manage your own tokens",
    "you can only manage your own account",
    "only members of the plan's organisations take part in the review: an auditor reads and verifies",
    # review/progress.py
    "as_of must be a date written YYYY-MM-DD (for example 2016-07-16), not '16 juillet'",
    "as_of 2031-01-01 is in the future: give today (2026-11-27) or an earlier date",
    "as_of 2010-01-01 is before the plan was adopted (2015-07-16): give a later date",
    "there is no progress report 'r-1' on engagement-02 to answer",
    "this progress report was hidden by moderation: it takes no more answers",
    "no progress report 'r-1' on engagement-02",
    "evidence must be a list of links (http:// or https:// addresses)",
    "evidence link 12 is not text: give http:// or https:// addresses",
    "evidence link 'ftp://example.org' is not an http:// or https:// address (at most 2000 characters, no spaces): "
    "fix or remove it",
    "11 evidence links given; the limit is 10: keep the most telling ones",
    "the note must be text (Markdown)",
    "the note is 2001 characters long; the limit is 2000: shorten it, and link to the details as evidence",
    "no commitment 'engagement-99' in the plan",
    "level must be one of not-started, limited, substantial, completed (the OGP IRM scale), not 'done'",
    "milestone must be a milestone id (text), or left out for the whole commitment",
    "engagement-02 has no milestone 'j9' (its milestones: j1, j2); leave it out to report on the whole commitment",
    "give the reason for hiding this report: it is shown in its place",
    "this report is hidden already",
    "the plan did not exist yet on 2001-01-01: give a later date",
    # review/signoff.py
    "verdict must be one of approve, object, withdraw, not 'maybe'",
    "the comment must be text of at most 5000 characters",
    "revision 3f2a9c0d1e4b is not the amendment's current revision (9b8a7c6d5e4f): read the current text and "
    "approve that",
    "you are not entitled to approve this amendment: the policy asks for 1 lead-signatories, 1 civil-society",
    "under this policy, approvals from the author's own organisation do not count",
    "a new revision arrived meanwhile: read it and approve that",
    "amendment 3 is merged already",
    "the amendment is withdrawn: only an open amendment can be merged",
    "amendment 3 is withdrawn: only an open amendment can be merged",
    "revision 3f2a9c0d1e4b is not the current revision (9b8a7c6d5e4f): merge only what you have read",
    "the policy is not satisfied at this revision: needs 1 more lead-signatories; 1 more civil-society",
    "the amendment does not merge cleanly with the plan: its author must update it with the plan first "
    "(conflicts in commitments/engagement-02/fr.md, plan.yaml)",
    "the plan changed meanwhile (another merge?): reload and try again",
    "merged already",
    "unknown revision 'v9'",
    "the plan did not exist yet on 2014-01-01",
    "unknown commitment 'ENGAGEMENT'",
    "no commitment 'engagement-99' at this revision",
    "no commitment 'engagement-99' at either revision",
    "no commitment 'engagement-99' to amend",
    "there is no amendment 'abc'",
    "no person 'nobody' in the plan",
    # review/web/params.py
    "rev must name a branch, a tag or a commit id (letters, digits, '-', '_', '.', '/')",
    "page must be a whole number from 1 to 1000000",
    "as_of must be a date written YYYY-MM-DD (for example 2016-07-16)",
    # review/search.py and review/web/search.py
    "the search is empty: type one or more words",
    "the search is too long: at most 500 characters",
    "the search has no words: type letters or digits",
    "the search has too many words: at most 16",
    "the type filter must be one of commitment, page, comment, amendment, progress, not 'x'",
    "axis 'nope' is not in the plan: give the id of one of its axes",
    "theme 'nope' is not in the plan: give the id of one of its themes",
    "lead 'nope' is not in the plan: give the id of one of its organisations",
    "axis is too long: at most 100 characters",
]


def _entries(message: str) -> list[int]:
    return [i for i, (pattern, _t) in enumerate(MESSAGES) if pattern.match(message)]


def test_each_example_matches_its_own_entry_and_no_other():
    assert len(EXAMPLES) == len(MESSAGES)
    for i, example in enumerate(EXAMPLES):
        assert _entries(example) == [i], example


def test_patterns_are_anchored_and_groups_are_the_placeholders():
    for pattern, template in MESSAGES:
        msgid = template._args[0]
        assert pattern.pattern.startswith("^") and pattern.pattern.endswith("$"), msgid
        assert set(pattern.groupindex) == set(re.findall(r"%\((\w+)\)s", msgid)), msgid


@pytest.mark.parametrize("example", EXAMPLES)
def test_french_reader_gets_french_and_english_reader_english(app, example):
    with app.test_request_context("/?lang=fr"):
        fr = localise(example)
        msgid = MESSAGES[_entries(example)[0]][1]._args[0]
        assert gettext(msgid) != msgid, f"no French translation of {msgid!r}"
        assert fr != example and "%(" not in fr
    with app.test_request_context("/?lang=en"):
        assert localise(example) == example


def test_values_are_kept_and_english_words_among_them_translated(app):
    with app.test_request_context("/?lang=fr"):
        assert localise("the comment is 10001 characters long; the limit is 10000") == \
            "le commentaire fait 10001 caractères ; la limite est de 10000"
        assert localise("the quoted words are not in paragraph p-2 of this revision: quote them exactly") == \
            "les mots cités ne sont pas dans le paragraphe p-2 de cette révision : citez-les exactement"
        assert localise("the amendment is withdrawn: approvals are closed") == \
            "l'amendement est retiré : les approbations sont closes"
        assert localise("only a coordinator may do this") == "action réservée à un·e coordinateur·rice"
        assert "signataire d'une administration porteuse × 1" in \
            localise("the policy is not satisfied at this revision: needs 1 more lead-signatories; 1 more civil-society")
        assert localise("amendment 3: the amendment is merged: it can no longer change") == \
            "amendement 3 : l'amendement est intégré : il ne peut plus changer"
        # SchemaError details stay as the core wrote them; only the sentence around them is translated
        assert localise("the text does not fit the plan's format: plan.yaml:3: title: missing") == \
            "le texte ne respecte pas le format du plan : plan.yaml:3: title: missing"
        assert localise("a message nobody knows") == "a message nobody knows"


# -- every message the core can raise or give has an entry --------------------------------------

_ERRORS = {"Invalid", "Forbidden", "Missing", "Conflict", "AccountError"}
# what a formatted value of a core message can look like: a number, a repr, a revision, a state, a date,
# a path, a ref, a commit as review.hooks._short writes it, a word
_SAMPLES = ["12", "'x'", "3f2a9c0d1e4b", "open", "2016-07-16", "commitments/engagement-02/fr.md",
            "refs/for/engagement-02", "commit 0123456789ab (Préciser)", "1 lead-signatories", "engagement-02"]


def _parts(node) -> list | None:
    """A message expression as a list of literal strings and None (a value computed at run time)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return [v.value if isinstance(v, ast.Constant) else None for v in node.values]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _parts(node.left), _parts(node.right)
        return None if left is None or right is None else left + right
    if isinstance(node, ast.Call):  # ", ".join(...)
        return [None]
    return None


def _core_messages() -> list[tuple[str, list]]:
    """(where, parts) of every message the core raises, or returns as a permission reason."""
    found = []
    for path in sorted(CORE.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            exprs = []
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _ERRORS and node.args:
                exprs = [node.args[0]]
            elif path.name == "permissions.py" and isinstance(node, ast.Return) and node.value is not None:
                exprs = [node.value.body, node.value.orelse] if isinstance(node.value, ast.IfExp) else [node.value]
            elif isinstance(node, ast.Assign) and [ast.unparse(t) for t in node.targets] == ["reason"]:
                exprs = [node.value]  # a reason built before it is raised (review/hooks.py)
            elif isinstance(node, ast.FunctionDef) and node.name.startswith("why_") and path.name != "permissions.py":
                exprs = [r.value for r in ast.walk(node) if isinstance(r, ast.Return) and r.value is not None]
            for expr in exprs:
                parts = _parts(expr)
                if parts is not None and any(p for p in parts):
                    found.append((f"{path.name}:{node.lineno}", parts))
    return found


def _matches_some_entry(parts: list) -> bool:
    holes = parts.count(None)
    for values in itertools.product(_SAMPLES, repeat=holes):
        it = iter(values)
        message = "".join(p if p is not None else next(it) for p in parts)
        if _entries(message):
            return True
    return False


def test_every_message_of_the_core_has_an_entry():
    messages = _core_messages()
    assert len(messages) > 120  # the walk found the core's raises
    unknown = [where for where, parts in messages if not _matches_some_entry(parts)]
    assert not unknown, f"add these messages to review/web/messages.py: {unknown}"


# -- on the pages ----------------------------------------------------------------------------

def test_page_form_error_is_in_french_and_the_api_keeps_english(client, repo, dep):
    from review import accounts
    sign_in(client, "karim")
    html = client.get(f"/commitments/{CID}").get_data(as_text=True)
    before = repo.refs()
    r = client.post(f"/commitments/{CID}/comments", data={"csrf_token": _csrf(html), "body": "Mon texte",
                                                          "anchor": "p-2", "quote": "mots absents"},
                    follow_redirects=True)
    page = r.get_data(as_text=True)
    assert "les mots cités ne sont pas dans le paragraphe p-2 de cette révision : citez-les exactement" in page
    assert "quote them exactly" not in page
    token = accounts.Accounts(dep).create_token("karim", "test")[1]
    api = client.post(f"/api/v1/commitments/{CID}/comments", json={"body": "x", "anchor": "p-2", "quote": "mots absents"},
                      headers={"Authorization": f"Bearer {token}", "Cookie": "lang=fr"})
    assert api.status_code == 400
    assert api.get_json() == {"error": "the quoted words are not in paragraph p-2 of this revision: quote them exactly"}
    assert repo.refs() == before


def test_error_page_is_in_the_readers_language_and_the_api_in_english(client):
    page = client.get("/audit?since=hier")
    assert page.status_code == 400
    assert "le paramètre since doit être une date écrite AAAA-MM-JJ, par exemple 2016-07-16, et non" \
        in page.get_data(as_text=True)
    assert "must be a date written" in client.get("/audit?since=hier&lang=en").get_data(as_text=True)
    api = client.get("/api/v1/audit?since=hier&lang=fr")
    assert api.status_code == 400
    assert api.get_json() == {"error": "since must be a date written YYYY-MM-DD, for example 2016-07-16, not 'hier'"}


def test_404_pages_are_in_french(client):
    html = client.get("/commitments/engagement-99").get_data(as_text=True)
    assert "pas d'engagement" in html.lower() or "aucun engagement" in html.lower(), html[-800:]


def test_requirements_of_several_commitments_are_translated_each(app):
    with app.test_request_context("/?lang=fr"):
        out = localise("the policy is not satisfied at this revision: needs 1 more lead-signatories for engagement-01; "
                       "1 more civil-society for engagement-04")
        assert "signataire d'une administration porteuse × 1 (engagement-01)" in out and "more" not in out
        out = localise("you are not entitled to approve this amendment: the policy asks for 1 lead-signatories, "
                       "1 civil-society for engagement-01; 1 coordinators, 1 civil-society for plan")
        assert "lead-signatories" not in out and "(plan)" in out and "; " in out
