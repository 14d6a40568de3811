"""A read-only reader of git's commit-graph file and its changed-path Bloom filters.

`git commit-graph write --reachable --changed-paths` (run by a maintained server after
`git gc`) stores, for every commit it covers, its parents and root tree, and a Bloom
filter of the paths that changed against its first parent. With those, the history of
one path only opens the trees of the few commits whose filter says "maybe": the others
certainly did not touch the path. This is how `git log -- path` is fast; libgit2 does not
read the filters, so this module does (format: git's Documentation/gitformat-commit-graph).

Pure file parsing, no pygit2: review/gitrepo/history.py uses it. Only a single-file graph
(`objects/info/commit-graph`) of SHA-1 commits is read; a split graph chain, a missing or
unreadable file give None and the caller walks the commits itself. A commit-graph only
ever describes commits, which never change, so a graph older than the newest commits is
still right about the commits it covers.
"""

from __future__ import annotations

import mmap
import os
import struct
import threading
from typing import Iterable

SIGNATURE = b"CGPH"
NO_PARENT = 0x70000000
HASH_LEN = 20
_CDAT_WIDTH = HASH_LEN + 16
_SEEDS = (0x293AE76F, 0x7E646E2C)
_U32 = struct.Struct(">I")
_U32X2 = struct.Struct(">II")


class CommitGraph:
    """The parsed chunks of one commit-graph file; build with `CommitGraph.open(gitdir)`."""

    def __init__(self, data, path: str):
        self.path = path
        self._data = data
        if len(data) < 8 or data[:4] != SIGNATURE:
            raise ValueError(f"{path}: not a commit-graph file")
        version, hash_version, chunks, bases = data[4], data[5], data[6], data[7]
        if version != 1 or hash_version != 1 or bases != 0:
            raise ValueError(f"{path}: commit-graph version {version}, hash {hash_version}, "
                             f"{bases} base graphs: not read")
        offsets = {}
        for i in range(chunks + 1):
            cid, off = struct.unpack_from(">4sQ", data, 8 + 12 * i)
            offsets[cid] = off
        for needed in (b"OIDF", b"OIDL", b"CDAT"):
            if needed not in offsets:
                raise ValueError(f"{path}: no {needed.decode()} chunk")
        self._fanout = offsets[b"OIDF"]
        self._oids = offsets[b"OIDL"]
        self._cdat = offsets[b"CDAT"]
        self.count = struct.unpack_from(">I", data, self._fanout + 255 * 4)[0]
        self._bidx = self._bdat = None
        self.bloom_version = self.bloom_hashes = 0
        if b"BIDX" in offsets and b"BDAT" in offsets:
            version, hashes, _bits = struct.unpack_from(">III", data, offsets[b"BDAT"])
            if version in (1, 2) and 0 < hashes <= 64:
                self._bidx = offsets[b"BIDX"]
                self._bdat = offsets[b"BDAT"] + 12
                self.bloom_version, self.bloom_hashes = version, hashes

    # -- opening, cached per process by the file's identity -----------------------------

    _cache: dict = {}
    _lock = threading.Lock()

    @classmethod
    def open(cls, gitdir: str) -> "CommitGraph | None":
        """The repository's commit-graph, or None when it has none that this module reads."""
        path = os.path.join(gitdir, "objects", "info", "commit-graph")
        try:
            st = os.stat(path)
        except OSError:
            return None
        ident = (st.st_ino, st.st_size, st.st_mtime_ns)
        with cls._lock:
            hit = cls._cache.get(path)
            if hit is not None and hit[0] == ident:
                return hit[1]
        graph = None
        try:
            with open(path, "rb") as f:
                # A new graph is written beside and renamed over: this mapping stays valid.
                data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
            graph = cls(data, path)
        except (OSError, ValueError, struct.error):
            graph = None
        with cls._lock:
            cls._cache[path] = (ident, graph)
        return graph

    # -- commits ------------------------------------------------------------------------

    def position(self, oid: bytes) -> int | None:
        """The position of a commit (20 raw bytes) in the graph, or None when not covered."""
        d, first = self._data, oid[0]
        lo = struct.unpack_from(">I", d, self._fanout + 4 * (first - 1))[0] if first else 0
        hi = struct.unpack_from(">I", d, self._fanout + 4 * first)[0]
        base = self._oids
        while lo < hi:
            mid = (lo + hi) // 2
            v = d[base + HASH_LEN * mid: base + HASH_LEN * (mid + 1)]
            if v < oid:
                lo = mid + 1
            elif v > oid:
                hi = mid
            else:
                return mid
        return None

    def oid(self, pos: int) -> bytes:
        return self._data[self._oids + HASH_LEN * pos: self._oids + HASH_LEN * (pos + 1)]

    def tree(self, pos: int) -> bytes:
        at = self._cdat + _CDAT_WIDTH * pos
        return self._data[at: at + HASH_LEN]

    def first_parent(self, pos: int) -> int | None:
        p = struct.unpack_from(">I", self._data, self._cdat + _CDAT_WIDTH * pos + HASH_LEN)[0]
        return None if p == NO_PARENT else p

    # -- changed-path filters -----------------------------------------------------------

    @property
    def has_filters(self) -> bool:
        return self._bidx is not None

    def bloom_keys(self, path: str) -> list[list[int]] | None:
        """The hash values of `path` and of each of its folders, or None when unusable.

        git adds every changed path and all its leading folders to a commit's filter; a
        commit that changed `path` has all of them, so testing them all only lowers the
        false positives.
        """
        if not self.has_filters:
            return None
        raw = path.strip("/").encode("utf-8")
        if self.bloom_version == 1 and any(b >= 0x80 for b in raw):
            return None  # version 1 hashed such bytes as signed chars: not reproduced here
        parts = raw.split(b"/")
        keys = []
        for i in range(1, len(parts) + 1):
            key = b"/".join(parts[:i])
            h0, h1 = (murmur3(seed, key) for seed in _SEEDS)
            keys.append([(h0 + j * h1) & 0xFFFFFFFF for j in range(self.bloom_hashes)])
        return keys

    def first_parent_maybes(self, start: int, keys: list[list[int]] | None,
                            stop: Iterable[int] = ()) -> tuple[list[int], int | None, bool]:
        """Walk first parents from position `start` (included).

        Returns (positions whose filter may contain the path, newest first; the position
        in `stop` the walk reached, not included, or None; True when the walk reached the
        root). Every commit not listed certainly did not change the path against its first
        parent. Without filters (keys None) every commit is listed.
        """
        d = self._data
        one, two = _U32.unpack_from, _U32X2.unpack_from
        frm = int.from_bytes
        cdat, bidx, bdat = self._cdat + HASH_LEN, self._bidx, self._bdat
        stop = frozenset(stop)
        masks: dict[int, int] = {}
        out: list[int] = []
        pos = start
        while True:
            if stop and pos in stop:
                return out, pos, False
            if keys is None:
                out.append(pos)
            else:
                if pos:
                    begin, end = two(d, bidx + 4 * pos - 4)
                else:
                    begin, end = 0, one(d, bidx)[0]
                size = end - begin
                if size <= 0:
                    out.append(pos)  # no filter was computed: maybe
                else:
                    mask = masks.get(size)
                    if mask is None:
                        mask = masks[size] = _mask(keys, size * 8)
                    if frm(d[bdat + begin: bdat + end], "little") & mask == mask:
                        out.append(pos)
            pos = one(d, cdat + _CDAT_WIDTH * pos)[0]
            if pos == NO_PARENT:
                return out, None, True


def _mask(keys: list[list[int]], bits: int) -> int:
    """The filter bits of every key, as an integer over the filter's little-endian bytes.

    git tests bit (h % bits) as byte (h % bits) // 8, bit (h % bits) % 8: the same bit
    of the filter read as one little-endian integer.
    """
    m = 0
    for key in keys:
        for h in key:
            m |= 1 << (h % bits)
    return m


def murmur3(seed: int, data: bytes) -> int:
    """MurmurHash3 x86 32-bit, as git's bloom.c computes it for paths."""
    c1, c2 = 0xCC9E2D51, 0x1B873593
    h = seed & 0xFFFFFFFF
    n = len(data) // 4
    for i in range(n):
        k = int.from_bytes(data[4 * i: 4 * i + 4], "little")
        k = (k * c1) & 0xFFFFFFFF
        k = ((k << 15) | (k >> 17)) & 0xFFFFFFFF
        k = (k * c2) & 0xFFFFFFFF
        h ^= k
        h = ((h << 13) | (h >> 19)) & 0xFFFFFFFF
        h = (h * 5 + 0xE6546B64) & 0xFFFFFFFF
    tail = data[4 * n:]
    k = 0
    if len(tail) >= 3:
        k ^= tail[2] << 16
    if len(tail) >= 2:
        k ^= tail[1] << 8
    if tail:
        k ^= tail[0]
        k = (k * c1) & 0xFFFFFFFF
        k = ((k << 15) | (k >> 17)) & 0xFFFFFFFF
        k = (k * c2) & 0xFFFFFFFF
        h ^= k
    h ^= len(data)
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & 0xFFFFFFFF
    h ^= h >> 16
    return h
