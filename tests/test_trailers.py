"""review/trailers.py reads trailers as git does: compared with `git interpret-trailers --parse`."""

from __future__ import annotations

import os
import subprocess

import pytest

from review import trailers

OID = "0123456789abcdef0123456789abcdef01234567"

MESSAGES = [
    # what the service writes
    "Comment on engagement-04\n\nEvent: comment\nActor: lucie\nEvent-Id: 0a1b2c3d4e5f\nSeq: 12\n",
    f"Merge amendment 3: Publier\n\nAmendment: 3\nApproved-by: Lucie Martin lucie (etalab, {OID})\n"
    f"Touches: engagement-04 plan\nPolicy: {OID}\nMerged-by: policy (auto_merge)\n",
    f"Import x\n\nSource-Commit: {OID}\nSource-Repository: https://example.org/plan.git\n",
    # a title alone, a single paragraph of trailers (the title is never trailers)
    "Amendment: 3\n",
    "Amendment: 3\nRevision: abc\n",
    "Title\nAmendment: 3\n",
    "",
    "\n\n",
    # a body whose last paragraph is not all trailers
    "Title\n\nBody text\nAmendment: 3\n",
    "Title\n\nAmendment: 3\nhttp is a protocol\n",
    # ... unless a git-generated trailer makes a quarter of it trailers
    "Title\n\nSigned-off-by: A <a@b>\nfree text\nmore text\n",
    "Title\n\nSigned-off-by: A <a@b>\nfree\nmore\nstill more\n",
    "Title\n\n(cherry picked from commit abc)\nKey: v\nsome words\n",
    # only the last paragraph
    "Title\n\nAmendment: 1\n\nAmendment: 2\n",
    "Title\n\nAmendment: 1\n\nNot a trailer.\n",
    # separators, blanks and keys
    "Title\n\nKey:value\nKey :  spaced  \nKey\t: tab\n",
    "Title\n\nKey with space: v\n",
    "Title\n\nKey: \nOther:\n",
    "Title\n\n:no key\n",
    "Title\n\nClé: v\n",
    "Title\n\nhttps://example.org/x\n",
    "Title\n\nA-b-9: v: w\n",
    # continuation lines
    "Title\n\nKey: v\n  continued\n\tand more\nNext: w\n",
    "Title\n\n  starts with blank\nKey: v\n",
    # comments, scissors, trailing blank lines, CRLF
    "Title\n\nA: b\n# a comment\nC: d\n",
    "Title\n\nA: b\n# c\n\n# d\n",
    "Title\n\nA: b\n\n\n\n",
    "# comment title\nTitle\n\nA: b\n",
    "Title\n\nA: b\n# ------------------------ >8 ------------------------\nB: c\n",
    "Title\r\n\r\nA: b\r\nC: d\r\n",
    "Title\n\nA: b\nConflicts:\n\tfile.txt\n",
    "Title\n\n   \nA: b\n",
    "Title\n\nA: b\n   \n",
    # a merge message forged with the trailers inside the body
    "Merge amendment 3: t\n\nAmendment: 3\nPolicy: zz\n\nThanks everyone.\n",
]


def _git_parse(message: str, tmp_path) -> list[tuple[str, str]]:
    env = {**os.environ, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path), "GIT_CONFIG_NOSYSTEM": "1"}
    out = subprocess.run(["git", "interpret-trailers", "--parse", "--no-divider"], input=message.encode(),
                         capture_output=True, check=True, env=env).stdout.decode()
    pairs = []
    for line in out.splitlines():
        key, _, value = line.partition(": ")
        pairs.append((key, value))
    return pairs


@pytest.mark.parametrize("message", MESSAGES)
def test_parse_reads_what_git_reads(message, tmp_path):
    assert trailers.parse(message) == _git_parse(message, tmp_path)


def test_the_cases_are_not_trivial(tmp_path):
    """The comparison above would pass with a parser that finds nothing: most cases have trailers."""
    found = [m for m in MESSAGES if _git_parse(m, tmp_path)]
    assert len(found) >= len(MESSAGES) // 2


def test_written_messages_read_back_and_keep_the_stored_format(tmp_path):
    pairs = [("Event", "comment"), ("Actor", "lucie"), ("Seq", 12), ("Revision", OID)]
    text = trailers.message("Comment on engagement-04", pairs)
    assert text == f"Comment on engagement-04\n\nEvent: comment\nActor: lucie\nSeq: 12\nRevision: {OID}\n"
    assert trailers.parse(text) == [(k, str(v)) for k, v in pairs] == _git_parse(text, tmp_path)
    with_body = trailers.message("Title", [("A", "b")], body="A body.\n\nTwo paragraphs.")
    assert with_body == "Title\n\nA body.\n\nTwo paragraphs.\n\nA: b\n"
    assert trailers.values(with_body) == {"A": "b"}


@pytest.mark.parametrize("key, value", [("Two words", "v"), ("Clé", "v"), ("", "v"), ("A:", "v"),
                                        ("A", "two\nlines"), ("A", " padded"), ("A", "cr\r")])
def test_writing_refuses_what_would_read_back_differently(key, value):
    with pytest.raises(ValueError):
        trailers.block([(key, value)])


def test_values_keeps_the_last_of_a_repeated_key():
    assert trailers.values("T\n\nSeq: 1\nSeq: 2\n") == {"Seq": "2"}


def test_parse_merge():
    t = trailers.parse_merge(f"Merge amendment 3: t\n\nAmendment: 3\nApproved-by: Lucie Martin lucie (-, {OID})\n"
                             f"Touches: engagement-04 plan\nPolicy: {OID}\nMerged-by: policy (auto_merge)\n")
    assert t == trailers.MergeTrailers(3, (trailers.Approval("Lucie Martin", "lucie", None, OID),), OID, True, (),
                                       ("engagement-04", "plan"))
    assert t.approvals[0].trailer() == ("Approved-by", f"Lucie Martin lucie (-, {OID})")
    # trailers above a closing paragraph are not trailers (git would not show them either)
    assert trailers.parse_merge("Merge amendment 3: t\n\nAmendment: 3\n\nThanks everyone.\n") is None
    assert trailers.parse_merge(f"Merge\n\nAmendment: ²\nPolicy: {OID}\n").unreadable == ("Amendment: ²",)


def test_the_core_writes_the_stored_format_of_existing_repositories(repo):
    """Byte for byte what earlier versions wrote, so that existing repositories read and verify the same."""
    from review import amendments as am
    from review import commitment as core
    from review import model, reviewlog, signoff
    people = core.read_plan(repo, repo.resolve("main")).people
    path = model.commitment_path("engagement-25")
    text = repo.read_file(repo.resolve("main"), path).decode()
    a = am.propose(repo, people["lucie"], "engagement-25", "Reformuler", "",
                   {path: text.replace("## Enjeux", "## Les enjeux", 1)})
    opened = reviewlog.read_events(repo, reviewlog.amendment_log(a.number))[0]
    assert repo.commit_info(opened.commit).message == (
        f"Open amendment {a.number}: Reformuler\n\nEvent: amendment-open\nActor: lucie\nEvent-Id: {opened.id}\n"
        f"Seq: 1\nAmendment: {a.number}\nRevision: {a.head}\n")
    policy = repo.blob_id(repo.resolve("main"), model.PLAN_PATH)
    signoff.give_verdict(repo, people["antoine"], a.number, a.head, "approve")
    signoff.give_verdict(repo, people["sophie"], a.number, a.head, "approve")
    merge = signoff.merge(repo, people["claire"], a.number, a.head)
    assert repo.commit_info(merge).message == (
        f"Merge amendment {a.number}: Reformuler\n\nAmendment: {a.number}\n"
        f"Approved-by: Antoine Girard antoine (se-reforme-etat, {a.head})\n"
        f"Approved-by: Sophie Bernard sophie (observatoire-citoyen, {a.head})\n"
        f"Touches: engagement-25\nPolicy: {policy}\n")
