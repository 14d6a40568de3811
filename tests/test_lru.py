"""The bounded cache every derived cache uses."""

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
