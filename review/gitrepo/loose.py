"""Loose objects read (and written) in Python, so that a damaged one fails at once."""

from __future__ import annotations

import os
import random
import threading
import zlib

import pygit2
from pygit2.enums import ObjectType

from .errors import DamagedObject

_KINDS = {b"commit": int(ObjectType.COMMIT), b"tree": int(ObjectType.TREE),
          b"blob": int(ObjectType.BLOB), b"tag": int(ObjectType.TAG)}
MAX_LOOSE_OBJECT = 512 * 1024 * 1024


class _LooseGuard(pygit2.OdbBackend):
    """Reads loose objects in Python, ahead of libgit2's own loose backend.

    libgit2 1.9 spins forever on a truncated loose object (the inflate loop never ends):
    one damaged file would hang every worker that reads it. Here the file is inflated
    with a bounded decompressor and its header length checked, so a damaged object fails
    at once with DamagedObject naming it. Objects not stored loose (packed) are left to
    libgit2 (KeyError passes the read on to the next backend).
    """

    def __init__(self, objects_dir: str):
        super().__init__()
        self.dir = objects_dir

    def _file(self, hexid: str) -> str:
        return os.path.join(self.dir, hexid[:2], hexid[2:])

    def _load(self, hexid: str):
        try:
            with open(self._file(hexid), "rb") as f:
                raw = f.read()
        except (FileNotFoundError, NotADirectoryError):
            raise KeyError(hexid) from None
        except OSError:
            raise DamagedObject(hexid, "unreadable") from None
        d = zlib.decompressobj()
        try:
            head = d.decompress(raw, 64)
            nul = head.find(b"\0")
            if nul < 0:
                raise DamagedObject(hexid, "corrupt")
            kind, _, size = head[:nul].partition(b" ")
            if kind not in _KINDS or not size.isdigit() or int(size) > MAX_LOOSE_OBJECT:
                raise DamagedObject(hexid, "corrupt")
            size = int(size)
            body = head[nul + 1:] + d.decompress(d.unconsumed_tail, size + 1 - (len(head) - nul - 1))
        except zlib.error:
            raise DamagedObject(hexid, "corrupt") from None
        if not d.eof or len(body) != size:
            raise DamagedObject(hexid, "truncated")
        return _KINDS[kind], body

    def read_cb(self, oid):
        return self._load(str(oid))

    def read_prefix_cb(self, oid):
        hexid = str(oid)
        if len(hexid) < 40:
            folder = os.path.join(self.dir, hexid[:2])
            try:
                names = [n for n in os.listdir(folder) if n.startswith(hexid[2:])]
            except FileNotFoundError:
                names = []
            if len(names) != 1:
                raise KeyError(hexid)
            hexid = hexid[:2] + names[0]
        kind, body = self._load(hexid)
        return kind, body, pygit2.Oid(hex=hexid)

    def read_header_cb(self, oid):
        kind, body = self._load(str(oid))
        return kind, len(body)

    def exists_cb(self, oid):
        return os.path.exists(self._file(str(oid)))

    def exists_prefix_cb(self, oid):
        return self.read_prefix_cb(oid)[2]

    def refresh_cb(self):
        pass

    def write_cb(self, oid, data, kind):
        """git's loose format: a temporary file in the object's folder, renamed into place."""
        hexid = str(oid)
        path = self._file(hexid)
        if os.path.exists(path):
            return
        name = {v: k for k, v in _KINDS.items()}[int(kind)]
        payload = zlib.compress(name + b" " + str(len(data)).encode() + b"\0" + bytes(data), 1)
        folder = os.path.dirname(path)
        os.makedirs(folder, exist_ok=True)
        tmp = os.path.join(folder, f"tmp_obj_{os.getpid()}_{threading.get_ident()}_{random.getrandbits(32):08x}")
        try:
            with open(tmp, "wb") as f:
                f.write(payload)
            os.chmod(tmp, 0o444)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise

    def __iter__(self):
        return iter(())
