"""How long `review verify` takes on a big history: 500 merged amendments, 10,000 events.

    .venv/bin/python benchmarks/verify_bench.py            # 500 amendments, 10,000 events
    .venv/bin/python benchmarks/verify_bench.py --quick    # 50 amendments, 1,000 events

The repository is generated through the core (review.amendments, review.signoff,
review.comments), exactly as the web would write it: each amendment is proposed, approved
by a lead signatory and by civil society, and merged by a coordinator (five events); the
rest of the events are comments, replies, edits and resolutions on the commitments.
It then runs `review verify` in a fresh process (`python -m review verify`), the way an
auditor would, and prints the time against the target. Like benchmarks/run.py it never
fails on a figure: it exits 0 once it has measured.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from review import amendments as am  # noqa: E402
from review import comments, deployment, signoff  # noqa: E402
from review import commitment as core  # noqa: E402

TARGET_SECONDS = 10.0
# Commitments led by se-reforme-etat (antoine) or min-ecologie (ines): a lead signatory exists.
LED = ["engagement-01", "engagement-04", "engagement-08", "engagement-09", "engagement-11", "engagement-12",
       "engagement-13", "engagement-15", "engagement-16", "engagement-17", "engagement-18", "engagement-21",
       "engagement-22", "engagement-24", "engagement-25", "engagement-26"]
ANTOINE_LEADS = {"engagement-04", "engagement-11", "engagement-12", "engagement-13", "engagement-15",
                 "engagement-16", "engagement-17", "engagement-18", "engagement-21", "engagement-22",
                 "engagement-25", "engagement-26"}
EVENTS_PER_AMENDMENT = 4  # open, two approvals, merge


def generate(root: Path, amendments: int, events: int) -> Path:
    d, _ = deployment.init(root)
    repo = d.open_repo()
    people = core.read_plan(repo, repo.resolve("main")).people
    for i in range(amendments):
        cid = LED[i % len(LED)]
        path = f"commitments/{cid}/fr.md"
        text = repo.read_file(repo.resolve("main"), path).decode()
        marker = "\n\nMise à jour n° "
        head, sep, _ = text.rpartition(marker)
        text = (head if sep else text.rstrip("\n")) + f"{marker}{i + 1} : précision apportée au texte.\n"
        author = people["lucie" if i % 2 else "claire"]
        a = am.propose(repo, author, cid, f"Précision {i + 1}", "Pour la clarté.", {path: text})
        lead = people["antoine" if cid in ANTOINE_LEADS else "ines"]
        signoff.give_verdict(repo, lead, a.number, a.head, "approve")
        signoff.give_verdict(repo, people["sophie"], a.number, a.head, "approve")
        signoff.merge(repo, people["claire"], a.number, a.head)
    left = events - amendments * EVENTS_PER_AMENDMENT
    talkers = [people[h] for h in ("karim", "sophie", "lucie", "antoine")]
    threads: dict[str, list] = {}
    i = 0
    while left > 0:
        cid = f"engagement-{i % 26 + 1:02d}"
        who = talkers[i % len(talkers)]
        mine = threads.setdefault(cid, [])
        step = i % 10
        if step in (3, 6) and mine:
            comments.add(repo, who, cid, f"Réponse {i}.", reply_to=mine[-1].id)
        elif step == 8 and mine and mine[-1].author == who.handle and not mine[-1].resolved:
            mine[-1] = comments.edit(repo, who, cid, mine[-1].id, f"Commentaire {i}, précisé.")
        elif step == 9 and mine and not mine[-1].resolved and mine[-1].author == who.handle:
            mine[-1] = comments.resolve(repo, who, cid, mine[-1].id)
        else:
            mine.append(comments.add(repo, who, cid, f"Commentaire {i} sur ce passage.", anchor="p-2",
                                     stance=("for", "against", "neutral", None)[i % 4]))
        left -= 1
        i += 1
    return d.repo_path


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="50 amendments and 1,000 events")
    p.add_argument("--keep", action="store_true", help="keep the generated repository and print its path")
    args = p.parse_args(argv)
    amendments, events = (50, 1_000) if args.quick else (500, 10_000)
    tmp = Path(tempfile.mkdtemp(prefix="verify-bench-"))
    try:
        t0 = time.perf_counter()
        repo_path = generate(tmp / "dep", amendments, events)
        built = time.perf_counter() - t0
        print(f"generated {amendments} merged amendments and {events:,} events through the core in {built:.1f} s")
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        t0 = time.perf_counter()
        run = subprocess.run([sys.executable, "-m", "review", "verify", "--json", str(repo_path)],
                             capture_output=True, text=True, env=env, cwd=str(ROOT))
        wall = time.perf_counter() - t0
        if run.returncode not in (0, 1):
            print(f"review verify could not run (exit {run.returncode}): {run.stderr.strip()}", file=sys.stderr)
            return 1
        import json
        report = json.loads(run.stdout)
        c = report["counts"]
        print(f"review verify: {c['main_commits']} main commits, {c['merges']} merges, {c['logs']} logs, "
              f"{c['events']:,} events -> {'clean' if report['clean'] else 'VIOLATIONS'} (exit {run.returncode})")
        verdict = "target met" if wall < TARGET_SECONDS else "target missed"
        print(f"review verify wall time (process start to exit): {wall:.2f} s; verification itself "
              f"{report['seconds']:.2f} s; target < {TARGET_SECONDS:.0f} s: {verdict}")
        if args.keep:
            print(f"kept: {repo_path}")
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
