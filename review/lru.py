"""A bounded, thread-safe cache, least recently used out first.

Every cache of the project is keyed by ids of git objects (or values derived from them),
so an entry never goes stale: the bound only limits memory.
"""

from __future__ import annotations

import threading
from collections import OrderedDict


class LRU:
    """At most `size` entries and, when `max_bytes` is given, at most that many bytes of
    values (bytes or str values are weighed by their length, others count nothing)."""

    def __init__(self, size: int, max_bytes: int | None = None):
        self.size, self.max_bytes = size, max_bytes
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
            old = self.data.pop(key, None)
            self.bytes += _weight(value) - _weight(old)
            self.data[key] = value
            while len(self.data) > self.size or (
                    self.max_bytes is not None and self.bytes > self.max_bytes and len(self.data) > 1):
                _, dropped = self.data.popitem(last=False)
                self.bytes -= _weight(dropped)
        return value

    def __len__(self) -> int:
        return len(self.data)


def _weight(value) -> int:
    return len(value) if isinstance(value, (bytes, str)) else 0
