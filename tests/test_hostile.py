"""Hostile input: YAML bombs, resource limits of the hooks, and (below) payloads sent to every input.

Each payload is answered with a clear 4xx or rendered inert; no input gives a server error.
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from review import model

from .test_githttp import FR, clone, commit, git, refs_of, server  # noqa: F401 - fixture

# -- YAML bombs -------------------------------------------------------------------------------------


def billion_laughs(levels: int = 9) -> str:
    lines = ['lol0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels + 1):
        lines.append(f"lol{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


YAML_REFUSALS = {
    "billion laughs": (billion_laughs(), "YAML anchors and aliases"),
    "one anchor": ("title: &t Bonjour\n", "YAML anchors and aliases"),
    "merge key": ("a: &a {x: 1}\nb:\n  <<: *a\n", "YAML anchors and aliases"),
    "python tag": ("x: !!python/object/apply:os.system [ls]\n", "YAML tags"),
    "custom tag": ("x: !secret 1\n", "YAML tags"),
    "binary tag": ("x: !!binary aGVsbG8=\n", "YAML tags"),
    "deep nesting": ("x: " + "[" * 5000 + "]" * 5000 + "\n", "nest"),
    "deep mappings": ("".join("  " * i + f"k{i}:\n" for i in range(60)) + "  " * 60 + "v\n", "nested more than"),
    "huge": ("x: '" + "a" * (model.MAX_YAML_BYTES + 1) + "'\n", "bytes; the limit is"),
    "many values": ("[" + "1," * (model.MAX_YAML_NODES + 1) + "]\n", "more than"),
    "bad date": ("due: 2015-13-45\n", "invalid YAML"),
    "huge integer": ("n: " + "9" * 6000 + "\n", "invalid YAML"),
    "syntax": ("a: [\n", "invalid YAML"),
}


@pytest.mark.parametrize("case", list(YAML_REFUSALS))
def test_the_bounded_loader_refuses_fast_with_path_and_line(case):
    text, message = YAML_REFUSALS[case]
    start = time.perf_counter()
    with pytest.raises(model.SchemaError) as exc:
        model.load_yaml(text, "plan.yaml")
    # a bomb is refused at once; a document of 1 MB or 100,000 values is read once (2 cores shared: slack)
    assert time.perf_counter() - start < (3.0 if case in ("huge", "many values") else 0.5)
    assert exc.value.problems[0].startswith("plan.yaml:") and message in exc.value.problems[0]


def test_a_front_matter_bomb_names_the_file_and_line(repo):
    main = repo.resolve("main")
    text = repo.read_file(main, FR).decode()
    bomb = text.replace("---\n", "---\n" + billion_laughs(), 1)
    plan = model.parse_plan(repo.read_file(main, "plan.yaml"))
    with pytest.raises(model.SchemaError) as exc:
        model.parse_commitment("engagement-04", bomb, plan, FR)
    assert exc.value.problems[0].startswith(f"{FR}:2: YAML anchors and aliases")


def test_a_pushed_billion_laughs_plan_is_refused_fast_and_changes_nothing(server, tokens, tmp_path):  # noqa: F811
    work = clone(server, tmp_path, handle="lucie", token=tokens["lucie"])
    (work / "plan.yaml").write_text((work / "plan.yaml").read_text() + billion_laughs())
    commit(work, "Des rires")
    before = refs_of(server.repo_path)
    start = time.monotonic()
    out = git("push", "origin", "HEAD:refs/for/engagement-04", cwd=work, check=False)
    assert time.monotonic() - start < 20  # a whole push round trip; the bomb itself is refused in microseconds
    assert out.returncode != 0
    assert "plan.yaml:" in out.stderr and "YAML anchors and aliases (& and *) are not allowed" in out.stderr, out.stderr
    assert "remote: review: nothing was changed: the whole push is refused" in out.stderr
    assert refs_of(server.repo_path) == before


_LIMITED = """
import os, sys
from review import hooks
hooks.limit_resources({"REVIEW_HOOK_MEMORY_MB": "%s", "REVIEW_HOOK_CPU_SECONDS": "%s"})
try:
    %s
except MemoryError:
    print("MemoryError"); sys.exit(3)
except Exception as exc:
    print(type(exc).__name__, exc); sys.exit(4)
"""


def test_the_hook_process_runs_under_a_memory_bound():
    code = _LIMITED % ("300", "0", "b = bytearray(1 << 30)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 3 and "MemoryError" in proc.stdout, proc


def test_the_hook_process_runs_under_a_cpu_bound():
    code = _LIMITED % ("0", "1", "any(i < 0 for i in range(10 ** 12))")
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 4 and "CPU time" in proc.stdout, proc
    assert time.monotonic() - start < 15


# -- word diff cost -----------------------------------------------------------------------------

def _sides(d):
    return ("".join(s.text for s in d if s.op != "insert"), "".join(s.text for s in d if s.op != "delete"))


def test_a_huge_paragraph_with_scattered_edits_is_compared_word_by_word_fast():
    import random

    from review import render
    r = random.Random(7)
    vocab = [f"mot{i}" for i in range(500)] + ["de", "la", "le", "et", "des", "les"] * 50
    old = [r.choice(vocab) for _ in range(20000)]
    new = list(old)
    for k in r.sample(range(20000), 2000):
        new[k] += "x"
    a, b = " ".join(old), " ".join(new)
    start = time.perf_counter()
    d = render.word_diff(a, b)
    assert time.perf_counter() - start < 2.0
    assert _sides(d) == (a, b)
    assert not d.coarse and render.diff_stats(d) == (2000, 2000)


def test_a_diff_too_costly_word_by_word_is_coarse_and_still_exact():
    from review import render
    a, b = "a b " * 10000, "b a " * 10000
    start = time.perf_counter()
    d = render.word_diff(a, b)
    assert time.perf_counter() - start < 2.0
    assert d.coarse and _sides(d) == (a, b)
    assert render.word_diff("le chat noir", "la chienne noire").coarse is False


# -- Markdown cost -----------------------------------------------------------------------------

COSTLY_COMMENTS = {
    "wide table filled out": "|" + "a|" * 1600 + "\n|" + "-|" * 1600 + "\n" + "x\n" * 3000,
    "long table": "|a|b|c|\n|-|-|-|\n" + "|x|y|z|\n" * 1400,
    "emphasis": "*a " * 3300,
    "links": "[a](b)" * 1600,
    "brackets": "[" * 5000 + "x" + "](y)" * 1000,
    "nesting": ">" * 5000 + " x",
    "lists": "".join("  " * i + "- x\n" for i in range(300)),
    "footnotes": "".join(f"[^{i}]" for i in range(1500)),
    "entities": "&amp;" * 2000,
}


@pytest.mark.parametrize("case", list(COSTLY_COMMENTS))
def test_a_comment_costs_little_whatever_its_markup(case):
    from review import render
    text = COSTLY_COMMENTS[case][:10_000]
    start = time.perf_counter()
    out = render.render_comment(text, "c-x")
    assert time.perf_counter() - start < 0.05
    assert len(out) <= render.MAX_COMMENT_HTML + 2 * len(text)
    assert "<script" not in out


def test_footnote_ids_are_prefixed_by_the_comment():
    from review import render
    a = render.render_comment("voir[^1]\n\n[^1]: note", "c-1")
    b = render.render_comment("voir[^1]\n\n[^1]: note", "c-2")
    assert 'id="c-1-fn1"' in a and 'href="#c-1-fn1"' in a and 'id="c-2-fn1"' in b


# -- the hostile-input suite -------------------------------------------------------------------
# Every payload is sent to every input, in-process with the Flask test client: each is answered
# with a 4xx or stored and then rendered inert (escaped), and nothing answers 5xx. The feeds are
# parsed by an XML parser afterwards.

import json  # noqa: E402
from html.parser import HTMLParser  # noqa: E402
import xml.etree.ElementTree as ET  # noqa: E402


def _payloads() -> list[str]:
    marks = "window.__pwned=1"
    xss = [
        f"<script>{marks}</script>", f"<img src=x onerror=\"{marks}\">", f"<svg onload={marks}>",
        f"<iframe src=\"javascript:{marks}\"></iframe>", f"<a href=\"javascript:{marks}\">x</a>",
        f"[clic](javascript:{marks})", f"[clic](JaVaScRiPt:{marks})", f"[clic](  javascript:{marks})",
        f"[clic](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", f"![x](javascript:{marks})",
        f"<body onload={marks}>", f"\"><script>{marks}</script>", f"'><script>{marks}</script>",
        f"</textarea><script>{marks}</script>", f"</title><script>{marks}</script>",
        f"<style>@import 'javascript:{marks}';</style>", f"<math><mtext><table><mglyph><style><img src=x onerror={marks}>",
        f"<details open ontoggle={marks}>", f"<input autofocus onfocus={marks}>", f"<video><source onerror={marks}>",
        f"<object data=\"javascript:{marks}\">", f"<embed src=\"javascript:{marks}\">", f"<base href=\"javascript:{marks}//\">",
        f"<meta http-equiv=\"refresh\" content=\"0;url=javascript:{marks}\">", f"<form action=\"javascript:{marks}\"><button>x",
        f"<a href=\"&#106;avascript:{marks}\">x</a>", f"[x](&#106;avascript:{marks})", f"<x onclick={marks}>clic</x>",
        f"<<script>script>{marks}<</script>/script>", f"<scr<script>ipt>{marks}</script>", f"`<script>{marks}</script>`",
        f"```html\n<script>{marks}</script>\n```", f"<!--<script>{marks}</script>-->", f"<![CDATA[<script>{marks}</script>]]>",
        f"{{{{ {marks} }}}}", "{{ 7*7 }}", "{% for x in () %}{% endfor %}", "${7*7}", "#{7*7}", "<%= 7*7 %>",
        f"\u003cscript\u003e{marks}\u003c/script\u003e", f"＜script＞{marks}＜/script＞",
        f"<a href=\"https://example.org\" onmouseover=\"{marks}\">x</a>", f"[x](https://example.org \"title\" onmouseover={marks})",
        f"<https://example.org/\"onmouseover=\"{marks}>", f"<javascript:{marks}>", f"[^1]\n\n[^1]: <script>{marks}</script>",
        f"| a | b |\n|---|---|\n| <script>{marks}</script> | x |", f"> <script>{marks}</script>", f"- <img src=x onerror={marks}>",
    ]
    controls = ["\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b[31mrouge\x1b[0m", "\x7f", "\u0085", "\ufffe", "\uffff",
                "\ufeff", "\u200b", "\u202e\u202dtxt", "\u2028", "\u2029", "a\rb", "a\r\nb", "\r\n\r\n", "\t\t"]
    controls = [f"texte {c} fin" for c in controls] + ["\x00" * 50, "".join(chr(i) for i in range(32))]
    unicode = ["é" * 3000, "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "👩‍👩‍👧‍👦" * 50, "Z̷̢̛̛̭͎͈͕̗̱̼͈̩̦̝͕̟̓͒͐̍̓͊͐̃̃̎̋͘͝a̷l̷g̷o̷" * 20, "ﷺ" * 100,
               "\u0301" * 500, "a\u0300" * 1000, "הלו עולם", "مرحبا بالعالم", "你好世界" * 100, "\U0010ffff", "\ue000"]
    markdown = ["*a " * 3300, "[a](b)" * 1600, "[" * 5000, "]" * 5000, ">" * 5000 + " x", "`" * 5000,
                "|" + "a|" * 1600 + "\n|" + "-|" * 1600 + "\n" + "x\n" * 3000, "".join(f"[^{i}]" for i in range(1500)),
                "".join("  " * i + "- x\n" for i in range(300)), "&amp;" * 2000, "&#0;&#xD800;&#1114112;", "\\" * 5000,
                "#" * 200 + " titre", "***" * 3000, "_" * 9000, "~~" * 4000, "- " * 4000, "1. " * 3000,
                "".join(f"[a{i}]: /u\n" for i in range(800)) + "[a1]" * 1000]
    yaml_like = [billion_laughs(), "&a [*a]", "!!python/object/apply:os.system ['id']", "--- !ruby/object {}",
                 "---\ntitle: x\n---", "key: &x val\nother: *x", "{ a: [ { b: [ ] } ] }", "? complex\n: key"]
    paths = ["../../../../etc/passwd", "..\\..\\windows\\win.ini", "/etc/shadow", "file:///etc/passwd",
             "refs/heads/main", "HEAD~1", "main^{tree}", "main@{0}", "-n", "--upload-pack=touch /tmp/x", "a" * 300,
             "%2e%2e%2f%2e%2e%2f", "%00", "%0d%0aSet-Cookie: x=1", "plan.yaml", ".git/config", "commitments/../plan.yaml"]
    injection = ["' OR '1'='1", "\"; DROP TABLE accounts; --", "1; SELECT * FROM tokens", "$(id)", "`id`", "| id",
                 "; rm -rf /", "{{config}}", "{{request.application.__globals__}}", "%s%s%s%n", "%(x)s", "{0.__class__}",
                 "\r\nSet-Cookie: session=x", "\nremote: review: fake message", "\x1b]0;title\x07", "<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><x>&e;</x>",
                 "<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;\">]><x>&lol2;</x>"]
    numbers = ["0", "-1", "1e308", "NaN", "Infinity", "9" * 5000, "0x41", "1.5", "  7  ", "٣", "²", "2016-02-30",
               "2016-13-01", "9999-12-31", "0000-00-00", "2016-07-16T00:00:00Z", "16/07/2016", "demain", "", " "]
    sizes = ["x" * 10_001, "x" * 100_000, "mot " * 30_000]
    out = xss + controls + unicode + markdown + yaml_like + paths + injection + numbers + sizes
    return list(dict.fromkeys(out))


PAYLOADS = _payloads()


def test_there_are_enough_payloads():
    assert len(PAYLOADS) >= 150  # times the inputs below: well over 300 combinations


class _Scan(HTMLParser):
    """The elements of a page that could run a script a payload brought."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.bad: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag, attrs):
        if tag in ("iframe", "object", "embed", "base", "svg", "math", "frame", "meta") and tag != "meta":
            self.bad.append(f"<{tag}>")
        if tag == "meta" and any(k == "http-equiv" for k, _ in attrs):
            self.bad.append("<meta http-equiv>")
        for k, v in attrs:
            if k.startswith("on"):
                self.bad.append(f"<{tag} {k}>")
            if k in ("href", "src", "action", "formaction", "data") and v and \
                    re.sub(r"[\x00-\x20]", "", v).lower().startswith(("javascript:", "data:text/html", "vbscript:")):
                self.bad.append(f"<{tag} {k}={v[:30]}>")
        self.in_script = tag == "script"

    def handle_endtag(self, tag):
        self.in_script = False

    def handle_data(self, data):
        if self.in_script and "__pwned" in data:
            self.bad.append("<script> with a payload")


def _inert(html: str) -> list[str]:
    scan = _Scan()
    scan.feed(html)
    return scan.bad


import re  # noqa: E402


def _xml_ok(client, url: str) -> None:
    r = client.get(url)
    assert r.status_code == 200, (url, r.status_code)
    ET.fromstring(r.data)  # raises on a malformed feed


def _bearer(tokens, who):
    return {"Authorization": f"Bearer {tokens[who]}"}


def _check(failures: list, label: str, payload: str, r) -> None:
    if r.status_code >= 500:
        failures.append(f"{label} {payload[:40]!r}: {r.status_code}")


def _jsonable(p: str) -> bytes:
    return json.dumps(p).encode()


def test_comment_bodies(client, tokens):
    failures: list[str] = []
    h = {**_bearer(tokens, "karim"), "Content-Type": "application/json"}
    for p in PAYLOADS:
        r = client.post("/api/v1/commitments/engagement-02/comments", data=b'{"body": ' + _jsonable(p) + b"}", headers=h)
        _check(failures, "comment", p, r)
        assert r.status_code < 500 and (r.status_code < 300 or r.is_json and r.json.get("error")), (p[:40], r.status_code)
    for url in ("/commitments/engagement-02", "/commitments/engagement-02?page=2", "/commitments/engagement-02?page=3"):
        r = client.get(url)
        assert r.status_code == 200
        assert not _inert(r.get_data(as_text=True)), _inert(r.get_data(as_text=True))
    _xml_ok(client, "/commitments/engagement-02/feed.atom")
    assert client.get("/api/v1/commitments/engagement-02/comments").status_code == 200
    assert not failures, failures


def test_comment_bodies_with_lone_surrogates_and_bad_json(client, tokens):
    h = {**_bearer(tokens, "karim"), "Content-Type": "application/json"}
    for raw in (b'{"body": "a\\ud800b"}', b'{"body": "\\udfff"}', b'{"body": "\\u0000"}', b'{"body": ',
                b'\xff\xfe{}', b'[]', b'null', b'{"body": 12}', b'{"body": ["x"]}', b'{"body": {"a": 1}}',
                b'{"body": "x", "anchor": "' + b"p-" + b"9" * 5000 + b'"}', b'{"body": "x", "reply_to": "../.."}',
                b'{"body": "x", "stance": "<script>"}', b'{"body": "x", "lang": "../../etc"}', b'{"body": "x", "rev": "..;"}',
                b'{"body": "x", "quote": "' + b"q" * 20000 + b'"}', b'{' * 10000 + b'}' * 10000):
        r = client.post("/api/v1/commitments/engagement-02/comments", data=raw, headers=h)
        assert 200 <= r.status_code < 500, (raw[:40], r.status_code)
    assert client.get("/commitments/engagement-02").status_code == 200
    _xml_ok(client, "/commitments/engagement-02/feed.atom")


def test_amendment_titles_and_rationales(client, tokens, repo):
    from review import commitment as core
    failures: list[str] = []
    h = {**_bearer(tokens, "lucie"), "Content-Type": "application/json"}
    text = repo.read_file(core.resolve(repo, "main"), FR).decode()
    numbers = []
    for i, p in enumerate(PAYLOADS[::2]):
        for field in ("title", "rationale"):
            body = {"commitment": "engagement-04", "title": f"Titre {i}", "rationale": "Pour la clarté.",
                    "files": {FR: text.replace("## Enjeux", f"## Enjeux {field} {i}", 1)}}
            body[field] = p
            r = client.post("/api/v1/amendments", data=json.dumps(body), headers=h)
            _check(failures, field, p, r)
            if r.status_code < 300:
                numbers.append(r.json["number"])
    assert numbers
    for n in numbers[:: max(1, len(numbers) // 25)]:
        r = client.get(f"/amendments/{n}")
        assert r.status_code == 200 and not _inert(r.get_data(as_text=True)), (n, r.status_code)
        _xml_ok(client, f"/amendments/{n}/feed.atom")
    for url in ("/amendments", "/amendments?state=open", "/", "/audit", "/history", "/commitments/engagement-04"):
        r = client.get(url)
        assert r.status_code == 200 and not _inert(r.get_data(as_text=True)), url
    _xml_ok(client, "/commitments/engagement-04/feed.atom")
    assert not failures, failures


def test_front_matter_fields_and_files(client, tokens, repo):
    import yaml

    from review import commitment as core
    failures: list[str] = []
    h = {**_bearer(tokens, "lucie"), "Content-Type": "application/json"}
    text = repo.read_file(core.resolve(repo, "main"), FR).decode()
    for i, p in enumerate(PAYLOADS[1::2]):
        fm_title = yaml.safe_dump({"title": p}, allow_unicode=True).strip()
        variants = {
            "title field": text.replace(text.split("\n")[1], fm_title, 1) if text.split("\n")[1].startswith("title:") else text,
            "raw front matter": text.replace("---\n", f"---\n{p}\n", 1),
            "body": text + "\n" + p + "\n",
            "whole file": p,
        }
        for label, new in variants.items():
            body = {"commitment": "engagement-04", "title": f"Essai {i}", "rationale": "x", "files": {FR: new}}
            r = client.post("/api/v1/amendments", data=json.dumps(body), headers=h)
            _check(failures, label, p, r)
            if r.status_code < 300 and i % 10 == 0:
                page = client.get(f"/amendments/{r.json['number']}")
                assert page.status_code == 200 and not _inert(page.get_data(as_text=True))
                assert client.get(f"/amendments/{r.json['number']}?view=side").status_code == 200
    assert not failures, failures


def test_progress_notes_and_evidence(client, tokens):
    failures: list[str] = []
    h = {**_bearer(tokens, "antoine"), "Content-Type": "application/json"}
    for i, p in enumerate(PAYLOADS):
        for body in ({"level": "limited", "note": p}, {"level": "limited", "note": "x", "evidence": [p]},
                     {"level": p, "note": "x"}, {"level": "limited", "note": "x", "as_of": p}):
            r = client.post("/api/v1/commitments/engagement-04/progress", data=json.dumps(body), headers=h)
            _check(failures, "progress", p, r)
    for url in ("/progress", "/commitments/engagement-04", "/progress.csv", "/progress.json"):
        r = client.get(url)
        assert r.status_code == 200 and not _inert(r.get_data(as_text=True)), url
    _xml_ok(client, "/progress.atom")
    _xml_ok(client, "/commitments/engagement-04/feed.atom")
    assert not failures, failures


def test_token_labels(client, dep):
    from .test_people import _csrf, sign_in
    sign_in(client, "karim")
    failures: list[str] = []
    for p in PAYLOADS:
        html = client.get("/people/karim").get_data(as_text=True)
        r = client.post("/people/karim", data={"csrf_token": _csrf(html), "label": p})
        _check(failures, "token label", p, r)
    r = client.get("/people/karim")
    assert r.status_code == 200 and not _inert(r.get_data(as_text=True))
    assert not failures, failures


URLS = ["/", "/plan", "/commitments/engagement-02", "/commitments/engagement-02/history", "/commitments/engagement-02/diff",
        "/commitments/engagement-02/blame", "/amendments", "/amendments/1", "/progress", "/progress.atom", "/progress.csv",
        "/history", "/audit", "/audit.csv", "/audit.json", "/people", "/commitments/engagement-02/feed.atom",
        "/api/v1/commitments", "/api/v1/commitments/engagement-02", "/api/v1/commitments/engagement-02/comments",
        "/api/v1/history", "/api/v1/audit", "/api/v1/progress", "/api/v1/amendments", "/signin",
        "/self-assessment", "/self-assessment.csv", "/api/v1/self-assessment"]
PARAMS = ["rev", "page", "per_page", "as_of", "from", "to", "lang", "next", "state", "commitment", "author", "against", "view"]


def test_query_parameters(client, repo):
    from urllib.parse import quote

    from review import amendments as am
    from review import commitment as core
    text = repo.read_file(core.resolve(repo, "main"), FR).decode().replace("## Enjeux", "## Les enjeux", 1)
    am.propose(repo, core.read_plan(repo, core.resolve(repo, "main")).people["lucie"], "engagement-04", "T", "R", {FR: text})
    failures: list[str] = []
    sample = [p for p in PAYLOADS if len(p) < 2000]
    for k, p in enumerate(sample):
        url = URLS[k % len(URLS)]
        for name in PARAMS:
            r = client.get(f"{url}?{name}={quote(p.encode('utf-8', 'surrogatepass'), safe='')}")
            _check(failures, f"{url}?{name}=", p, r)
            if r.status_code == 200 and r.mimetype == "text/html":
                if _inert(r.get_data(as_text=True)):
                    failures.append(f"{url}?{name}= {p[:40]!r}: {_inert(r.get_data(as_text=True))}")
    takes = {"/progress.atom": {"as_of"}, "/api/v1/commitments": {"rev"}, "/commitments/engagement-02": {"rev", "page"},
             "/api/v1/audit": {"page", "per_page"}, "/api/v1/commitments/engagement-02/comments": {"page", "per_page"},
             "/commitments/engagement-02/diff": {"from", "to"}, "/progress": {"as_of"}, "/api/v1/progress": {"as_of"},
             "/self-assessment": {"from"}, "/self-assessment.csv": {"from"}, "/api/v1/self-assessment": {"from"}}
    values = {"as_of": "garbage", "rev": "..%00", "from": "a..b", "to": "%0a", "page": "abc", "per_page": "-5"}
    for url, names in takes.items():  # malformed values answer 400 alike on pages, feeds and the API
        for name in names:
            r = client.get(f"{url}?{name}={values[name]}")
            assert r.status_code == 400, (url, name, r.status_code)
    assert not failures, failures


def test_headers(client, tokens):
    failures: list[str] = []
    sample = [p for p in PAYLOADS if len(p) < 4000]
    for k, p in enumerate(sample):
        v = p.encode("utf-8", "surrogatepass").decode("latin-1").replace("\n", " ").replace("\r", " ").replace("\x00", " ")
        url = URLS[k % len(URLS)]
        for headers in ({"Accept-Language": v}, {"Authorization": f"Bearer {v}"}, {"Authorization": v},
                        {"Cookie": f"session={v}; lang={v}"}, {"If-None-Match": v}, {"If-Modified-Since": v},
                        {"Accept": v}, {"Referer": v}, {"X-Forwarded-For": v}, {"Content-Type": v}):
            r = client.get(url, headers=headers)
            _check(failures, f"{url} {list(headers)[0]}", p, r)
        r = client.post("/api/v1/commitments/engagement-02/comments", data=b"{}", headers={
            "Authorization": f"Bearer {v}", "Content-Type": "application/json"})
        _check(failures, "post", p, r)
    assert not failures, failures


def test_json_errors_are_english(client):
    r = client.post("/api/v1/commitments/engagement-02/comments", data=b"x" * (20 << 20),
                    headers={"Accept-Language": "fr", "Content-Type": "application/json"})
    assert r.status_code == 413 and r.json["error"] == "The request is too large."
    r = client.get("/api/v1/commitments/nope", headers={"Accept-Language": "fr"})
    assert r.status_code == 404 and r.json["error"].startswith("Not found")


def test_pushed_commit_messages_and_files(server, tokens, tmp_path):  # noqa: F811
    """Commit messages and files pushed with the git CLI: refused with a `remote:` line or shown inert."""
    from urllib.request import urlopen
    work = clone(server, tmp_path, handle="lucie", token=tokens["lucie"])
    messages = [p for p in PAYLOADS if p.strip() and "\x00" not in p and len(p) < 3000][:40]
    fr = work / FR
    for i, msg in enumerate(messages):
        fr.write_text(fr.read_text().replace("## Enjeux", f"## Enjeux {i}", 1) if i == 0 else
                      fr.read_text().replace(f"## Enjeux {i - 1}", f"## Enjeux {i}", 1))
        (work / "msg.txt").write_bytes(msg.encode("utf-8", "surrogatepass"))
        git("commit", "-q", "-a", "--allow-empty-message", "-F", "msg.txt", cwd=work)
    (work / "msg.txt").unlink()
    out = git("push", "origin", "HEAD:refs/for/engagement-04", cwd=work, check=False)
    assert "internal error" not in out.stderr and "Traceback" not in out.stderr, out.stderr
    for path in ("/amendments", "/amendments/1", "/audit", "/history", "/commitments/engagement-04/feed.atom"):
        try:
            with urlopen(server.base + path.lstrip("/"), timeout=30) as r:
                body = r.read()
                assert r.status == 200
        except Exception as exc:  # an HTTPError: only 4xx would be acceptable, and none is expected here
            raise AssertionError((path, exc)) from None
        if path.endswith(".atom"):
            ET.fromstring(body)
        else:
            assert not _inert(body.decode("utf-8")), path
    before = refs_of(server.repo_path)
    for i, p in enumerate([q for q in PAYLOADS if "\x00" not in q][:12]):
        git("reset", "-q", "--hard", "origin/main", cwd=work)
        fr.write_bytes(fr.read_bytes().replace(b"---\n", b"---\n" + p.encode("utf-8", "surrogatepass") + b"\n", 1))
        commit(work, f"fichier {i}")
        out = git("push", "origin", "HEAD:refs/for/engagement-04", cwd=work, check=False)
        assert "internal error" not in out.stderr and "Traceback" not in out.stderr, out.stderr
        if out.returncode != 0:
            assert "remote: review:" in out.stderr
    after = refs_of(server.repo_path)
    assert {k: v for k, v in after.items() if k in before} == before


def test_the_editor_opens_and_saves_a_file_with_crlf_line_endings(client, tokens, repo):
    from review import commitment as core

    from .test_people import sign_in
    from .webforms import form_fields
    text = repo.read_file(core.resolve(repo, "main"), FR).decode().replace("## Enjeux", "## Les enjeux", 1)
    r = client.post("/api/v1/amendments", json={"commitment": "engagement-04", "title": "CRLF", "rationale": "x",
                                                "files": {FR: text.replace("\n", "\r\n")}},
                    headers={"Authorization": f"Bearer {tokens['lucie']}"})
    assert r.status_code == 201, r.get_data(as_text=True)
    n = r.json["number"]
    sign_in(client, "lucie")
    page = client.get(f"/amendments/{n}/edit")
    assert page.status_code == 200
    f = form_fields(page.get_data(as_text=True), "editor")
    assert "\r" not in f["body_fr"] and "## Les enjeux" in f["body_fr"]
    f["body_fr"] = f["body_fr"].replace("## Les enjeux", "## Les vrais enjeux", 1).replace("\n", "\r\n")
    f["action"] = "save"
    r = client.post(f"/amendments/{n}/edit", data=f)
    assert r.status_code == 302, r.status_code
    saved = repo.read_file(core.resolve(repo, f"amendments/{n}"), FR).decode()
    assert "## Les vrais enjeux" in saved and "\r" not in saved
