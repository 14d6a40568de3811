"""GET / in this fresh interpreter (empty caches): the first request, then the same (a page
cache hit), then another query string (rendered again, from the parsed commitments kept).

    python -m benchmarks.web.probes.index DEPLOYMENT
"""

import json
import sys
import time

t0 = time.perf_counter()
from review.web import create_app  # noqa: E402  (the import is part of the app's cost, reported apart)


def main(dep_dir: str) -> dict:
    app = create_app(dep_dir)
    client = app.test_client()
    t1 = time.perf_counter()
    r1 = client.get("/")
    t2 = time.perf_counter()
    r2 = client.get("/")
    t3 = time.perf_counter()
    r3 = client.get("/?page-cache=another-key")
    t4 = time.perf_counter()
    return {"app_ms": (t1 - t0) * 1e3, "first_ms": (t2 - t1) * 1e3, "second_ms": (t3 - t2) * 1e3,
            "third_ms": (t4 - t3) * 1e3, "status": [r1.status_code, r2.status_code, r3.status_code],
            "cache": [r.headers.get("X-Review-Cache") for r in (r1, r2, r3)], "bytes": len(r1.data)}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])))
