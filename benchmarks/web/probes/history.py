"""One history in this fresh interpreter, timed from the opening of the repository (the
imports are not timed): ours (`review.commitment.history`) or the baseline (libgit2's own
walk, benchmarks/web/probes/baseline.py). The caller also times the whole process.

    python -m benchmarks.web.probes.history ours|libgit2 REPOSITORY COMMITMENT PROFILE(0|1)
"""

import cProfile
import io
import json
import pstats
import sys
import time

import pygit2

from review import commitment
from review.gitrepo import GitRepo

from .baseline import walk_history


def main(impl: str, repo_path: str, cid: str, profile: bool) -> dict:
    if profile:
        prof = cProfile.Profile()
        prof.enable()
    t = time.perf_counter()
    if impl == "ours":
        ids = [c.id for c in commitment.history(GitRepo(repo_path), cid)]  # opening it is part of the cost
    else:
        ids = walk_history(pygit2.Repository(repo_path), f"commitments/{cid}")
    elapsed = time.perf_counter() - t
    if profile:
        prof.disable()
        text = io.StringIO()
        pstats.Stats(prof, stream=text).sort_stats("tottime").print_stats(12)
        print(text.getvalue(), file=sys.stderr)
    return {"ms": elapsed * 1e3, "ids": ids}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1")))
