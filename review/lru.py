"""A bounded, thread-safe cache, least recently used out first.

Every cache of the project is keyed by ids of git objects (or values derived from them),
so an entry never goes stale: the bound only limits memory.
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
from collections import OrderedDict

MB = 1 << 20


class LRU:
    """At most `size` entries and, when `max_bytes` is given, at most that many bytes: each
    entry weighs `weigh(key, value)` (by default the length of a bytes or str value, and of a
    tuple or list of them; other values count nothing)."""

    def __init__(self, size: int, max_bytes: int | None = None, weigh=None):
        self.size, self.max_bytes = size, max_bytes
        self.weigh = weigh or (lambda key, value: _weight(value))
        self.data, self.lock, self.bytes = OrderedDict(), threading.Lock(), 0

    def get(self, key):
        with self.lock:
            value = self.data.get(key)
            if value is not None:
                self.data.move_to_end(key)
            return value

    def put(self, key, value):
        """Store and return the value (so `return cache.put(k, compute())` reads well)."""
        with self.lock:
            if key in self.data:
                self.bytes -= self.weigh(key, self.data.pop(key))
            self.bytes += self.weigh(key, value)
            self.data[key] = value
            while len(self.data) > self.size or (
                    self.max_bytes is not None and self.bytes > self.max_bytes and len(self.data) > 1):
                dropped_key, dropped = self.data.popitem(last=False)
                self.bytes -= self.weigh(dropped_key, dropped)
        return value

    def __len__(self) -> int:
        return len(self.data)


def _weight(value) -> int:
    if isinstance(value, (bytes, str)):
        return len(value)
    if isinstance(value, (tuple, list)):
        return sum(len(v) for v in value if isinstance(v, (bytes, str)))
    return 0


def approx_size(value, budget: int = 200_000) -> int:
    """Bytes held by `value` and what it refers to (containers, dataclasses, slotted
    objects), each object counted once; at most `budget` objects are visited, so that
    weighing stays cheap (a larger value is counted as that much)."""
    seen, stack, total = set(), [value], 0
    while stack and len(seen) < budget:
        obj = stack.pop()
        if id(obj) in seen or obj is None or isinstance(obj, (bool, int, float, type)):
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj)
        if isinstance(obj, (str, bytes)):
            continue
        if isinstance(obj, dict):
            stack.extend(obj.keys())
            stack.extend(obj.values())
        elif isinstance(obj, (list, tuple, set, frozenset)):
            stack.extend(obj)
        else:
            held = getattr(obj, "__dict__", None)
            if held is not None:
                stack.append(held)
            for name in getattr(type(obj), "__slots__", ()):
                stack.append(getattr(obj, name, None))
    return total


def sized(key, value) -> int:
    """A weigh function for caches of parsed objects: the key and value's approximate size."""
    return approx_size((key, value))


def resident_bytes() -> int | None:
    """This process's resident set size now (Linux's /proc/self/statm), None where it cannot be
    read: a few microseconds, asked after each request (review/web/__init__.py)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return None


try:
    _PAGE = os.sysconf("SC_PAGE_SIZE")
except (AttributeError, ValueError, OSError):
    _PAGE = 4096


MAP_FROM = 128 * 1024  # bytes: glibc's own first threshold


def map_large_blocks(threshold: int = MAP_FROM) -> None:
    """Have every allocation of at least `threshold` bytes served by a mapping of its own, given
    back to the system when freed. glibc starts there but raises the threshold each time such a
    block is freed (up to 32 MB): after the first rendered page of a big plan (a 2.4 MB body, its
    parts), the next ones land in the heap among small objects that outlive them, and the holes
    they leave stay resident. Setting it once turns that raising off (mallopt(M_MMAP_THRESHOLD)).
    For the server's workers (review/web/wsgi.py, `review serve`): on the big plan a worker ends
    5 to 12 MB smaller under load (benchmarks/README.md). Not for the integrity checker: each
    block mapped costs its pages' first touch again, and its first verdict on the big plan took
    41.5 s instead of 37.9. A no-op where the C library has no mallopt."""
    try:
        ctypes.CDLL(None).mallopt(-3, threshold)  # M_MMAP_THRESHOLD
    except (OSError, AttributeError):
        pass


def give_back_freed() -> None:
    """Return to the system the memory that dropped entries (and libgit2's released caches) left
    free: glibc's malloc keeps freed memory in its arenas, so a worker's resident size only grew.
    A no-op where the C library has no malloc_trim. Collect cycles first (gc.collect) for what
    they hold to be freed too."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):
        pass
