"""One page through the Flask test client, page cache off, in this fresh interpreter: the first
request, then the median of `runs` more; with `profile`, a cProfile of 5 more (stderr).

    python -m benchmarks.web.probes.page DEPLOYMENT PATH RUNS PROFILE(0|1)
"""

import cProfile
import io
import json
import os
import pstats
import statistics
import sys
import time

from review.web import create_app


def main(dep_dir: str, path: str, runs: int, profile: bool) -> dict:
    app = create_app(dep_dir, {"PAGE_CACHE_SIZE": 0})
    client = app.test_client()
    t = time.perf_counter()
    first = client.get(path)
    first_ms = (time.perf_counter() - t) * 1e3
    times, statuses = [], {first.status_code}
    for _ in range(runs):
        t = time.perf_counter()
        r = client.get(path)
        times.append((time.perf_counter() - t) * 1e3)
        statuses.add(r.status_code)
    if profile:
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(5):
            client.get(path)
        prof.disable()
        root = os.getcwd()
        for order, title, restrict in (("tottime", "own time, every function", ()),
                                       ("cumulative", "cumulative time, the review package and its templates",
                                        ("/review/",))):
            text = io.StringIO()
            pstats.Stats(prof, stream=text).sort_stats(order).print_stats(*restrict, 18)
            body = text.getvalue()
            body = body[body.find("   ncalls"):].rstrip().replace(root + "/", "").replace(sys.prefix + "/", "")
            print(f"(5 rendered requests; {title})\n" + body + "\n", file=sys.stderr)
    return {"first_ms": first_ms, "median_ms": statistics.median(times), "best_ms": min(times),
            "bytes": len(first.data), "statuses": sorted(statuses), "cache": first.headers.get("X-Review-Cache")}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1")))
