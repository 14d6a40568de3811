"""The deployments measured: a generated plan of 5,000 commitments, comments written through
the core, and a long history added with `git fast-import`."""

from __future__ import annotations

import io
import random
import re
import shutil
from pathlib import Path

from review import comments, commitment, deployment, render
from review.permissions import can
from review.gitrepo import GitRepo

from .tools import SAMPLE_PLAN, BenchError, git


def make_scale_plan(target: Path, n: int) -> None:
    """plan.yaml of the sample plan and commitments engagement-0001..n cycling over its 26."""
    shutil.copy(SAMPLE_PLAN / "plan.yaml", target / "plan.yaml")
    sources = sorted(p for p in (SAMPLE_PLAN / "commitments").iterdir() if p.is_dir())
    texts = [((s / "fr.md").read_text(encoding="utf-8"), (s / "en.md").read_bytes()) for s in sources]
    for i in range(1, n + 1):
        fr, en = texts[(i - 1) % len(texts)]
        fr, count = re.subn(r"(?m)\A(---\n(?:.*\n)*?)number:[^\n]*\n", rf"\g<1>number: {i}\n", fr, count=1)
        if count != 1:
            raise BenchError(f"no 'number:' line in the front matter of {sources[(i - 1) % len(texts)]}")
        folder = target / "commitments" / f"engagement-{i:04d}"
        folder.mkdir(parents=True)
        (folder / "fr.md").write_text(fr, encoding="utf-8")
        (folder / "en.md").write_bytes(en)


def add_history(repo_path: Path, cids: list[str], commits: int) -> None:
    """`commits` commits on main, each changing one commitment's fr.md, cycling over `cids`.

    Built with `git fast-import` (one pack, seconds instead of minutes), then packed and
    given a commit-graph with changed-path Bloom filters, as a maintained server would be.
    """
    repo = GitRepo(repo_path)
    tip = repo.resolve("main")
    start = repo.commit_info(tip).time
    originals = {cid: repo.read_file(tip, f"commitments/{cid}/fr.md") for cid in cids}
    if any(v is None for v in originals.values()):
        raise BenchError(f"{repo_path}: missing one of {cids}")
    out = io.BytesIO()

    def data(payload: bytes) -> None:
        out.write(b"data %d\n" % len(payload))
        out.write(payload)
        out.write(b"\n")

    for i in range(commits):
        cid = cids[i % len(cids)]
        when = int(start.timestamp()) + 3600 * (i + 1)
        body = originals[cid].rstrip(b"\n") + f"\n\nRévision n° {i + 1} du banc d'essai.\n".encode()
        out.write(b"commit refs/heads/main\n")
        out.write(b"author Benchmark <bench@localhost> %d +0000\n" % when)
        out.write(b"committer review <review@localhost> %d +0000\n" % when)
        data(f"Revise {cid} ({i + 1})\n".encode())
        if i == 0:
            out.write(b"from %s\n" % tip.encode())
        out.write(b"M 100644 inline commitments/%s/fr.md\n" % cid.encode())
        data(body)
    git("-C", str(repo_path), "fast-import", "--quiet", input=out.getvalue())
    count = int(git("-C", str(repo_path), "rev-list", "--count", "refs/heads/main"))
    first = int(git("-C", str(repo_path), "rev-list", "--count", "--first-parent", "refs/heads/main"))
    if count != commits + 1 or first != count:
        raise BenchError(f"{repo_path}: main has {count} commits ({first} first-parent), "
                         f"expected a chain of {commits + 1}")
    git("-C", str(repo_path), "gc", "-q")
    git("-C", str(repo_path), "commit-graph", "write", "--reachable", "--changed-paths")


# Comment bodies: Markdown as people write it (a few sentences, sometimes emphasis, a list or a link).
_SENTENCES = [
    "Le calendrier proposé paraît ambitieux au regard des moyens annoncés.",
    "Qui publiera ces données, et sous quelle licence ?",
    "Il faudrait préciser les seuils dont il est question ici.",
    "Les collectivités territoriales sont-elles concernées au même titre que l'État ?",
    "Nous proposons d'ajouter un indicateur de suivi **trimestriel**.",
    "Le format commun devrait reprendre un standard international existant plutôt que d'en créer un.",
    "Cette formulation reste vague : *inciter* n'engage à rien.",
    "Voir le rapport de l'observatoire : <https://example.org/rapport-2014>.",
    "D'accord sur le principe, mais le délai d'un an pour l'étude est trop long.",
    "Les entreprises ont besoin de données exploitables, pas de documents scannés.",
    "Merci pour cette précision, elle répond à ma question.",
    "La défense et la sécurité ne doivent pas devenir une exception générale.",
]


def _comment_body(rng: random.Random, i: int) -> str:
    body = " ".join(rng.sample(_SENTENCES, rng.randint(1, 3)))
    if i % 7 == 0:
        body += "\n\n- " + "\n- ".join(rng.sample(_SENTENCES, 2))
    return f"{body}\n\n(Remarque n° {i + 1}.)"


def add_comments(dep_dir: Path, cid: str, n: int, seed: int = 2015) -> tuple[int, int]:
    """`n` comments on `cid` through the core (review.comments.add), as the web writes them.

    By the people of the deployment's plan.yaml who may comment (not the auditor), in turn;
    threads spread at random over the text's paragraphs (headings left out), one root in 10 on the whole commitment, one in 3
    quoting a few words of its paragraph (the others quote the whole paragraph); one comment
    in 4 is a reply to an earlier thread; stances cycle. Returns (threads, replies).
    """
    repo = GitRepo(dep_dir / deployment.REPO_DIR)
    main = repo.resolve("main")
    people = [p for p in commitment.read_plan(repo, main).people.values() if can(p, "comment")]  # not the auditor
    blocks = [(i, render.plain_text(b.text)) for i, b in
              enumerate(render.source_blocks(commitment.read_commitment(repo, main, cid).body_in("fr")))
              if not b.text.startswith("#")]
    rng = random.Random(seed)
    roots: list[str] = []
    replies = 0
    for i in range(n):
        who, body, stance = people[i % len(people)], _comment_body(rng, i), (None, "for", "against", "neutral")[i % 4]
        if i % 4 == 3 and roots:
            comments.add(repo, who, cid, body, reply_to=rng.choice(roots), stance=stance)
            replies += 1
            continue
        anchor = quote = None
        if i % 10 != 0:
            k, plain = rng.choice(blocks)
            anchor, words = f"p-{k + 1}", plain.split()
            if i % 3 == 0 and len(words) > 6:
                j = rng.randrange(len(words) - 4)
                quote = " ".join(words[j:j + 4])
        roots.append(comments.add(repo, who, cid, body, anchor=anchor, quote=quote, stance=stance).id)
    return len(roots), replies
