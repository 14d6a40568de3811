"""Cost of hostile content, in-process (Flask test client, server time only, no network).

    .venv/bin/python benchmarks/hostile_bench.py

1. Word diff: a 20,000-word commitment (text of the real 2015 plan from ../shared/corpus, in
   paragraphs of about 100 words, and a second run with the whole body as ONE paragraph) changed
   by an amendment with 2,000 scattered edits, in two revisions of 1,000 each. Every view of the
   amendment page is timed: against its base, against the plan, between revisions, side by side.
   Target: each under 1 s. Baselines measured in the same run: the same views of a small
   amendment (one heading changed), and difflib's SequenceMatcher (the former algorithm) on one
   paragraph of 1,000 words with 100 edits.
2. Comments: the first view of a commitment with 50 worst-case comments (each 10,000 characters
   of the costliest Markdown: wide tables, emphasis, links, brackets, footnotes), render caches
   emptied. Target: under 500 ms. Baseline: the same page with 50 plain comments of the same size.

It never fails on a figure; it prints each with `target met` or `target missed`.
"""

from __future__ import annotations

import difflib
import glob
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CORPUS = ROOT.parent / "shared" / "corpus" / "fr-ogp-2015" / "fr"

from review import amendments as am  # noqa: E402
from review import comments, deployment, render, signoff  # noqa: E402
from review import commitment as core  # noqa: E402

CID = "engagement-04"  # led by se-reforme-etat: antoine signs for the lead
FR = f"commitments/{CID}/fr.md"


def _words() -> list[str]:
    files = sorted(glob.glob(str(CORPUS / "**" / "*.md"), recursive=True))
    if not files:
        sys.exit(f"the corpus is absent ({CORPUS}): the benchmark needs its text")
    words = []
    for f in files:
        body = Path(f).read_text(encoding="utf-8").split("\n---\n", 1)[-1]
        words += [w for w in body.split() if w.strip("#*|-") and not w.startswith(("[", "<"))]
    return words


def _timed(client, url: str, repeat: int = 1) -> float:
    best = None
    for _ in range(repeat):
        start = time.perf_counter()
        r = client.get(url)
        elapsed = time.perf_counter() - start
        assert r.status_code == 200, (url, r.status_code)
        best = elapsed if best is None else min(best, elapsed)
    return best


def _clear_caches() -> None:
    for cache in (render._markdown_cache, render._comment_cache, render._blocks_cache, render._plain_cache):
        with cache.lock:
            cache.data.clear()
            cache.bytes = 0


def _line(label: str, seconds: float, target: float | None = None, baseline: float | None = None) -> None:
    extra = f"  ({seconds / baseline:.1f}x the baseline)" if baseline else ""
    verdict = "" if target is None else ("  target met" if seconds < target else "  target missed")
    print(f"  {label:<58} {seconds * 1000:9.1f} ms{extra}{verdict}")


def word_diff_bench(root: Path, words: list[str], paragraph: int | None) -> None:
    from review.web import create_app
    d, _ = deployment.init(root)
    repo = d.open_repo()
    people = core.read_plan(repo, repo.resolve("main")).people
    text = repo.read_file(repo.resolve("main"), FR).decode()
    head = text.split("\n---\n", 1)[0] + "\n---\n\n"
    body_words = (words * (20000 // len(words) + 1))[:20000]
    r = random.Random(2015)

    def body(ws):
        size = paragraph or len(ws)
        return "\n\n".join(" ".join(ws[i:i + size]) for i in range(0, len(ws), size)) + "\n"

    # the small amendment (the baseline) is proposed on the demo text
    small = am.propose(repo, people["lucie"], CID, "Petit", "x", {FR: text.replace("## Enjeux", "## Les enjeux", 1)})
    big = am.propose(repo, people["lucie"], CID, "Texte long", "x", {FR: head + body(body_words)})
    signoff.give_verdict(repo, people["antoine"], big.number, big.head, "approve")
    signoff.give_verdict(repo, people["sophie"], big.number, big.head, "approve")
    signoff.merge(repo, people["claire"], big.number, big.head)
    edits = r.sample(range(len(body_words)), 2000)
    first = list(body_words)
    for k in edits[:1000]:
        first[k] = first[k] + "s"
    second = list(first)
    for k in edits[1000:]:
        second[k] = "modifié"
    a = am.propose(repo, people["lucie"], CID, "Corrections", "x", {FR: head + body(first)})
    rev1 = a.head
    a = am.revise(repo, people["lucie"], a.number, {FR: head + body(second)}, rev1, "Encore")
    app = create_app(root, {"TESTING": True})
    client = app.test_client()
    views = {"against its base": "", "against the plan": "?against=main",
             "between revisions": f"?against=revisions&from={rev1}&to={a.head}", "side by side": "?view=side"}
    shape = f"paragraphs of {paragraph} words" if paragraph else "ONE paragraph"
    print(f"\n20,000-word commitment ({shape}), 2,000 scattered edits in 2 revisions; first view each:")
    for label, q in views.items():
        base = _timed(client, f"/amendments/{small.number}{q.replace(rev1, small.head).replace(a.head, small.head)}", 3)
        t = _timed(client, f"/amendments/{a.number}{q}")
        _line(f"{label}", t, 1.0, base)
        _line("  baseline: small amendment, same view", base)
    t = _timed(client, f"/commitments/{CID}/diff?from={rev1}&to={a.head}")
    _line("commitment diff page between the revisions", t, 1.0)


COSTLY = [
    "|" + "a|" * 1600 + "\n|" + "-|" * 1600 + "\n" + "x\n" * 3000,
    "|a|b|c|d|e|\n|-|-|-|-|-|\n" + "|x|*y*|[z](/u)|`w`|v|\n" * 400,
    "*a " * 3300, "[a](b)" * 1600, "[" * 5000 + "x" + "](y)" * 1000,
    "".join(f"[^{i}]" for i in range(1500)), "**a** _b_ `c` [d](/e) " * 450,
    "".join("  " * (i % 20) + "- *x* [y](/z)\n" for i in range(400)),
]


def comments_bench(root: Path) -> None:
    from review.web import create_app
    d, _ = deployment.init(root)
    repo = d.open_repo()
    karim = core.read_plan(repo, repo.resolve("main")).people["karim"]
    plain_root = root.parent / "plain"
    shutil.copytree(root, plain_root, symlinks=True)
    plain_repo = deployment.Deployment.open(plain_root).open_repo()
    for i in range(50):
        body = (COSTLY[i % len(COSTLY)] + f" {i}")[:10_000]
        comments.add(repo, karim, "engagement-02", body)
        comments.add(plain_repo, karim, "engagement-02", ("Un commentaire ordinaire sur ce passage. " * 250)[:10_000])
    print("\nFirst view of a commitment with 50 comments of 10,000 characters (render caches emptied):")
    results = {}
    for label, folder in (("plain comments (baseline)", plain_root), ("worst-case comments", root)):
        app = create_app(folder, {"TESTING": True})
        client = app.test_client()
        _clear_caches()
        results[label] = _timed(client, "/commitments/engagement-02")
    base = results["plain comments (baseline)"]
    _line("plain comments (baseline)", base)
    _line("worst-case comments", results["worst-case comments"], 0.5, base)
    print(f"  render caches: at most {render.CACHE_BYTES >> 20} MB per worker (review/render.py CACHE_BYTES)")


def difflib_baseline(words: list[str]) -> None:
    r = random.Random(1)
    old = (words * 2)[:1000]
    new = list(old)
    for k in r.sample(range(1000), 100):
        new[k] += "s"
    a, b = " ".join(old), " ".join(new)
    start = time.perf_counter()
    difflib.SequenceMatcher(None, render.tokens(a), render.tokens(b), autojunk=False).get_opcodes()
    former = time.perf_counter() - start
    start = time.perf_counter()
    render.word_diff(a, b)
    now = time.perf_counter() - start
    print("\nOne paragraph of 1,000 words with 100 edits:")
    _line("former word diff (difflib, autojunk off)", former)
    _line("word diff now (paragraphs, then patience anchors)", now, None, former)


def main() -> int:
    words = _words()
    tmp = Path(tempfile.mkdtemp(prefix="hostile-bench-"))
    try:
        print("in-process (Flask test client): server time only")
        difflib_baseline(words)
        word_diff_bench(tmp / "a" / "dep", words, 100)
        word_diff_bench(tmp / "b" / "dep", words, None)
        comments_bench(tmp / "c" / "dep")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
