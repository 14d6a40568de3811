"""A bounded, thread-safe cache, least recently used out first.

Every cache of the project is keyed by ids of git objects (or values derived from them),
so an entry never goes stale: the bound only limits memory.
"""

from __future__ import annotations

import threading
from collections import OrderedDict


class LRU:
    def __init__(self, size: int):
        self.size, self.data, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key):
        with self.lock:
            value = self.data.get(key)
            if value is not None:
                self.data.move_to_end(key)
            return value

    def put(self, key, value):
        """Store and return the value (so `return cache.put(k, compute())` reads well)."""
        with self.lock:
            self.data[key] = value
            self.data.move_to_end(key)
            while len(self.data) > self.size:
                self.data.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self.data)
