"""What a signed-in page costs in process, against a Flask hello-world measured in the same run.

    .venv/bin/python benchmarks/signed_in_bench.py            # median of 50 requests a page
    .venv/bin/python benchmarks/signed_in_bench.py --runs 200
    .venv/bin/python benchmarks/signed_in_bench.py --profile  # also a cProfile of the commitment page
    .venv/bin/python benchmarks/signed_in_bench.py --profile '/commitments/engagement-02?lang=en'

No server: a demo deployment of the sample plan in a temporary folder, with 200 comments on
engagement-02 (written through the core, as benchmarks/web/data.py does), 10 open amendments and
3 progress reports on it. A Flask test client signs in through /signin (a real session cookie,
sent over https since the cookie is Secure), then each page is requested a few times to warm up and
timed `--runs` times; the figure is the median. The hello-world app of benchmarks/hello_app.py is
timed the same way in the same process: the ratio (hello-world time / page time) is the share of
the framework's floor the page reaches, the figure issue 20 sets targets on (0.3 for the commitment
page, 0.25 for the others, under a server's load; in process they are only indicative).
Like the other benchmarks it never fails on a figure.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from review import accounts, amendments, deployment, progress  # noqa: E402
from review import commitment as core  # noqa: E402
from review.gitrepo import GitRepo  # noqa: E402
from review.permissions import Subject, can  # noqa: E402

CID = "engagement-02"
COMMENTS = 200
AMENDMENTS = 10
WARM_UP = 5
WHO = "antoine"


def _median_ms(client, url: str, runs: int) -> float:
    for _ in range(WARM_UP):
        r = client.get(url)
        assert r.status_code == 200, (url, r.status_code)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def _fill(root: Path) -> tuple[str, int]:
    from benchmarks.web.data import add_comments
    add_comments(root, CID, COMMENTS)
    repo = GitRepo(root / deployment.REPO_DIR)
    main = repo.resolve("main")
    plan = core.read_plan(repo, main)
    people = plan.people
    path = f"commitments/{CID}/fr.md"
    text = repo.read_file(main, path).decode()
    first = None
    for i in range(AMENDMENTS):
        a = amendments.propose(repo, people["lucie"], CID, f"Reformuler {i + 1}", "Plus clair.",
                               {path: text.replace("## Enjeux", f"## Les enjeux ({i + 1})", 1)})
        first = first or a.number
    c = core.read_commitment(repo, main, CID)
    lead = next(p for p in people.values() if can(p, "report_progress", Subject(leads=c.leads)))
    for level in ("limited", "substantial", "complete"):
        progress.report(repo, lead, CID, level, f"Avancement : {level}.", [])
    return CID, first


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--profile", metavar="URL", nargs="?", const=f"/commitments/{CID}",
                    help="also print a cProfile of 20 requests of URL (default: the commitment page)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="review-signed-in-bench-"))
    try:
        root = tmp / "dep"
        dep, _ = deployment.init(root)
        accounts.create_demo_accounts(dep)
        cid, number = _fill(root)

        from benchmarks.hello_app import app as hello
        from review.web import create_app
        app = create_app(root, {"TESTING": True})
        client = app.test_client()
        client.environ_base["wsgi.url_scheme"] = "https"  # the session cookie is Secure
        html = client.get("/signin").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
        r = client.post("/signin", data={"handle": WHO, "password": accounts.demo_password(WHO),
                                         **({"csrf_token": token.group(1)} if token else {})})
        assert r.status_code == 302, r.get_data(as_text=True)[:500]
        page = client.get(f"/commitments/{cid}").get_data(as_text=True)
        assert f'href="/people/{WHO}" class="me"' in page, "not signed in"

        hello_client = hello.test_client()
        floor = _median_ms(hello_client, "/", args.runs)
        pages = [("commitment page (200 comments, 10 open amendments)", f"/commitments/{cid}"),
                 ("commitment page in English", f"/commitments/{cid}?lang=en"),
                 ("commitment page without comments", "/commitments/engagement-04"),
                 ("amendment page", f"/amendments/{number}"),
                 ("progress (/progress)", "/progress")]
        print(f"signed in as {WHO}, median of {args.runs} requests after {WARM_UP} of warm-up, Flask test client")
        print(f"{'hello-world (benchmarks/hello_app.py)':55} {floor:8.3f} ms")
        for label, url in pages:
            ms = _median_ms(client, url, args.runs)
            print(f"{label:55} {ms:8.3f} ms   ratio {floor / ms:.3f} of hello-world   ({url})")
        if args.profile:
            import cProfile
            import pstats
            prof = cProfile.Profile()
            for _ in range(5):
                client.get(args.profile)  # kept by now: the profile is of what a reader meets again
            prof.enable()
            for _ in range(200):
                client.get(args.profile)
            prof.disable()
            pstats.Stats(prof).sort_stats("cumulative").print_stats(30)
            pstats.Stats(prof).sort_stats("tottime").print_stats(25)
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
