"""Browser tests: Playwright drives Debian's chromium against a real WSGI server.

No browser download is possible here: pytest-playwright's `--browser-channel` cannot
take a path, so `browser_type_launch_args` is overridden to point at /usr/bin/chromium.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
BLOCKING_IMPACTS = ("serious", "critical")


def pytest_collection_modifyitems(config, items):
    """Every test in this folder drives a browser: mark it so `-m "not browser"` skips them."""
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `bash scripts/setup.sh --test`", pytrace=False)
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"],
    }


@dataclass
class LiveServer:
    url: str
    dir: Path


@pytest.fixture
def live_server(deployment_dir):
    """The app on a real threaded WSGI server on a free port, for one test."""
    from werkzeug.serving import make_server

    from review.web import create_app

    app = create_app(deployment_dir, {"TESTING": True})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", dir=Path(deployment_dir))
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _format_violations(url: str, violations: list[dict]) -> str:
    lines = [f"axe found {len(violations)} serious or critical accessibility violation(s) on {url}:"]
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']}  <{v.get('helpUrl', '')}>")
        for node in v.get("nodes", [])[:3]:
            target = " ".join(str(t) for t in node.get("target", []))
            lines.append(f"    at {target}")
        if len(v.get("nodes", [])) > 3:
            lines.append(f"    ... and {len(v['nodes']) - 3} more element(s)")
    return "\n".join(lines)


@pytest.fixture
def axe():
    """`axe(page)` runs axe-core on the page and fails on serious or critical violations."""
    if not AXE_JS.is_file():
        pytest.fail(f"axe-core is missing ({AXE_JS}): run `bash scripts/setup.sh --test`", pytrace=False)

    def check(page) -> list[dict]:
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            # evaluated by the driver, not as an inline <script>: the site's CSP forbids those
            page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;void 0")
        results = page.evaluate("async () => await axe.run()")
        blocking = [v for v in results["violations"] if v.get("impact") in BLOCKING_IMPACTS]
        if blocking:
            pytest.fail(_format_violations(page.url, blocking), pytrace=False)
        return results["violations"]

    return check
