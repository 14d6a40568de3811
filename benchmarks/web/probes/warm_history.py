"""The warm history, in this one process holding one open repository (as a server worker
does): after a first call, `rounds` rounds each add one commit to main (alternately on the
commitment and on another one), then time, on the new tip and with libgit2's caches warm:

- ours as a worker answers it: `history()` with its cache (one new commit examined);
- ours with our history cache emptied first: the whole walk again;
- libgit2's own walk (benchmarks/web/probes/baseline.py) on a repository kept open.

The last two do the same work (a whole walk, warm), so they are compared with each other; the
first is set against the second: what the cache saves. Best round of each; the commit ids
of each, to be checked against `git log` by the caller.

    python -m benchmarks.web.probes.warm_history REPOSITORY COMMITMENT OTHER ROUNDS
"""

import json
import subprocess
import sys
import time

import pygit2

from review import commitment
from review.gitrepo import GitRepo, Identity

from ..tools import GIT_ENV
from .baseline import walk_history


def _empty_history_cache() -> None:
    cache = commitment._histories  # noqa: SLF001 - the benchmark measures the walk without it
    with cache.lock:
        cache.data.clear()
        cache.bytes = 0


def main(repo_path: str, cid: str, other: str, rounds: int) -> dict:
    repo = GitRepo(repo_path)
    raw = pygit2.Repository(repo_path)
    path = f"commitments/{cid}"
    commitment.history(repo, cid)
    walk_history(raw, path)
    best = {"cached": float("inf"), "uncached": float("inf"), "libgit2": float("inf")}
    same = True
    for i in range(rounds):
        target = cid if i % 2 == 0 else other
        changed = f"commitments/{target}/fr.md"
        repo.commit_on("refs/heads/main",
                       lambda tip: ({changed: repo.read_file(tip, changed) + f"\nTour {i + 1}.\n".encode()},
                                    f"Warm round {i + 1} on {target}"),
                       Identity("Benchmark", "bench@localhost"))
        t = time.perf_counter()
        cached = [c.id for c in commitment.history(repo, cid)]
        best["cached"] = min(best["cached"], time.perf_counter() - t)
        _empty_history_cache()
        t = time.perf_counter()
        uncached = [c.id for c in commitment.history(repo, cid)]
        best["uncached"] = min(best["uncached"], time.perf_counter() - t)
        t = time.perf_counter()
        baseline = walk_history(raw, path)
        best["libgit2"] = min(best["libgit2"], time.perf_counter() - t)
        log = subprocess.run(["git", "-C", repo_path, "log", "--first-parent", "--format=%H", "--", path],
                             capture_output=True, env=GIT_ENV, check=True, text=True).stdout.split()
        same = same and cached == uncached == baseline == log
    return {**{f"{k}_ms": v * 1e3 for k, v in best.items()}, "same": same}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))))
