"""What a server-side session costs a signed-in page (docs/security.md).

    .venv/bin/python benchmarks/sessions_bench.py           # 10,000 open sessions, about 20 s
    .venv/bin/python benchmarks/sessions_bench.py --quick   # 1,000 open sessions

In process, no server: a deployment of the sample plan in a temporary folder, its
session table filled with other people's open sessions, then (1) the lookup that every
signed-in request does (`Accounts.session_handle`), with the last use written at most once
a minute as in production, and with a write on every call (the worst case); (2) a signed-in
page (`/people`, which is never cached for signed-in readers) through Flask's test client,
to show the lookup's share of it. Like the other benchmarks it never fails on a figure.
"""

from __future__ import annotations

import argparse
import hashlib
import secrets
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from review import accounts, deployment  # noqa: E402

TARGET_LOOKUP_US = 100.0   # one indexed lookup, whatever the number of sessions
TARGET_SHARE = 0.10        # at most a tenth of a signed-in page


def _per_call(fn, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n * 1e6


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    others = 1_000 if args.quick else 10_000
    calls = 1_000 if args.quick else 5_000
    pages = 100 if args.quick else 300
    tmp = Path(tempfile.mkdtemp(prefix="review-sessions-bench-"))
    try:
        dep, _ = deployment.init(tmp / "dep")
        store = accounts.Accounts(dep)
        store.add("karim", "benchmark password")
        now = time.time()
        db = sqlite3.connect(store.path)
        db.executemany("INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?)",
                       [(hashlib.sha256(secrets.token_bytes(16)).hexdigest(), f"person{i % 500}", now, now,
                         "192.0.2.1", "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0") for i in range(others)])
        db.commit()
        db.close()
        lifetime = 12 * 3600
        secret = store.open_session("karim", "127.0.0.1", "bench", lifetime)
        assert store.session_handle(secret, lifetime) == "karim"
        db = sqlite3.connect(store.path)
        plan = db.execute("EXPLAIN QUERY PLAN SELECT handle, created, last_used FROM sessions WHERE id = ?",
                          ("x",)).fetchall()
        db.close()

        lookup = _per_call(lambda: store.session_handle(secret, lifetime), calls)
        tick = [now]

        def advancing():
            tick[0] += accounts.SESSION_TOUCH + 1
            return tick[0]
        writer = accounts.Accounts(dep, clock=advancing)
        writing = _per_call(lambda: writer.session_handle(secret, lifetime * 10_000), calls // 5)

        from review.web import create_app
        app = create_app(dep.root, {"TESTING": True})
        app.extensions["review.accounts"] = store
        client = app.test_client()
        with client.session_transaction() as s:
            s["sid"] = secret
        assert 'class="me"' in client.get("/people").get_data(as_text=True)
        page = _per_call(lambda: client.get("/people"), pages)
        share = lookup / page

        print(f"open sessions in the table: {others + 1:,}")
        print(f"query plan: {plan[0][-1]}")
        print(f"session lookup (last use written at most once a minute): {lookup:8.1f} us"
              f"   target < {TARGET_LOOKUP_US:.0f} us: {'target met' if lookup < TARGET_LOOKUP_US else 'target missed'}")
        print(f"session lookup with a last-use write on every call:        {writing:8.1f} us")
        print(f"signed-in page /people (test client):                      {page:8.1f} us")
        print(f"lookup's share of the signed-in page: {share:.1%}"
              f"   target < {TARGET_SHARE:.0%}: {'target met' if share < TARGET_SHARE else 'target missed'}")
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
