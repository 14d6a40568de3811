"""The bounded cache every derived cache uses."""

import pytest

from review.lru import LRU


def test_least_recently_used_goes_first():
    c = LRU(2)
    c.put("a", 1)
    c.put("b", 2)
    assert c.get("a") == 1  # a is now the most recent
    c.put("c", 3)
    assert c.get("b") is None and c.get("a") == 1 and c.get("c") == 3


def test_bytes_bound_evicts_big_values_but_keeps_the_newest():
    c = LRU(100, max_bytes=10)
    c.put("a", b"12345")
    c.put("b", b"12345")
    assert len(c) == 2 and c.bytes == 10
    c.put("c", b"123")
    assert c.get("a") is None and c.bytes == 8
    c.put("big", b"x" * 50)  # larger than the bound alone: kept, everything else goes
    assert len(c) == 1 and c.get("big") is not None
    c.put("big", b"y")  # replacing a value re-weighs it
    assert c.bytes == 1


def test_a_weigh_function_counts_keys_and_values():
    c = LRU(100, max_bytes=20, weigh=lambda k, v: len(k) + len(v))
    c.put("aaaa", "x" * 6)  # 10
    c.put("bbbb", "y" * 6)  # 20
    assert c.bytes == 20 and len(c) == 2
    c.put("cc", "z")  # 23 > 20: the oldest goes
    assert c.get("aaaa") is None and c.bytes == 13
    c.put("cc", "zzzz")  # replacing re-weighs key and value
    assert c.bytes == 16


def test_tuples_of_strings_are_weighed_by_default():
    c = LRU(10, max_bytes=100)
    c.put("k", ("abc", b"de", 7))
    assert c.bytes == 5


def test_every_render_cache_is_bounded_in_bytes():
    from review import render
    for cache in (render._markdown_cache, render._comment_cache, render._blocks_cache, render._plain_cache):
        assert cache.max_bytes is not None
    for i in range(300):
        render.render_comment(f"commentaire {i} " + "x" * 60_000)
    assert render._comment_cache.bytes <= render._comment_cache.max_bytes


def test_every_cache_of_parsed_objects_is_bounded_in_bytes():
    from review import audit, commitment, pages, reviewlog
    caches = [commitment._plans, commitment._commitments, commitment._indexes, commitment._histories,
              pages._pages, audit._changes, audit._histories, audit._blocks, audit._blames, audit._rows,
              reviewlog._events_cache]
    assert all(cache.max_bytes is not None for cache in caches)


def test_approx_size_counts_what_a_value_holds_once():
    from dataclasses import dataclass

    from review.lru import approx_size

    @dataclass(frozen=True)
    class Doc:
        title: str
        body: str

    body = "x" * 100_000
    one = approx_size(Doc("t", body))
    assert 100_000 < one < 101_000
    shared = approx_size([Doc("a", body), Doc("b", body)])  # the same body, counted once
    assert shared < one + 1_000
    words = [str(i) * 10 for i in range(10)]
    assert approx_size(words, budget=3) < approx_size(words)


def test_the_commitments_cache_drops_old_entries_past_its_bytes(repo):
    from review import commitment
    from review.lru import LRU, sized
    saved = commitment._commitments
    commitment._commitments = LRU(20000, 64 * 1024, sized)
    try:
        main = commitment.resolve(repo, "main")
        for s in commitment.list_commitments(repo, main):
            commitment.read_commitment(repo, main, s.id)
        assert 0 < commitment._commitments.bytes <= 64 * 1024 or len(commitment._commitments) == 1
        assert len(commitment._commitments) < 26
    finally:
        commitment._commitments = saved


MAPPED = """
import re, sys
sys.path.insert(0, {root!r})
from review import lru
def rss():
    return int(re.search(r"VmRSS:\\s+(\\d+)", open("/proc/self/status").read()).group(1)) >> 10
if {on}:
    lru.map_large_blocks()
start = rss()
x = bytearray(8 << 20); del x  # glibc would raise its threshold past 8 MB at this free
keep, big = [], []
for i in range(100):  # big blocks (rendered pages) among smaller survivors (64 KB: from the heap too)
    big.append(bytearray(1 << 20))
    keep.append(bytearray(64 << 10))
del big
print(rss() - start)
"""


@pytest.mark.parametrize("on", [True, False])
def test_large_blocks_freed_are_given_back_at_once(on):
    """With map_large_blocks() (the server's processes), 100 MB of large blocks freed among small
    objects that outlive them leave nothing resident; glibc's default keeps about all of it (the
    second case: what the setting is for, measured in the same run)."""
    import subprocess
    import sys
    from pathlib import Path
    code = MAPPED.format(root=str(Path(__file__).resolve().parent.parent), on=on)
    grown = int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    assert (grown < 20) if on else (grown > 60), grown
