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
    assert time.perf_counter() - start < 0.5
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
