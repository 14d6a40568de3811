"""Who pushes: a proof the web server hands to the server hooks, which nobody else can make.

The smart-HTTP view (review/web/githttp.py) checks the pusher's personal access token,
reads the ref updates at the head of the push (the `old new ref` commands that precede the
pack) and signs them: an HMAC-SHA256, with the instance's push secret, over the pusher, the
time, a random nonce and every update. It passes the pusher, the updates and the signature to
`git http-backend` in the environment; git passes them on to the hooks.

pre-receive (review/hooks.py) reads the updates git is about to make on its standard input,
and accepts the pusher only if the signature is valid, not older than `MAX_AGE`, and covers
every one of those updates. So `REVIEW_PUSHER=lucie git push /srv/dep/plan.git` on the server
is refused: without the secret, nobody can write a signature, and a signature seen once only
covers the very updates it was made for, for a few minutes.

The secret is `DIR/instance/push.key` (created with mode 0600 on first use, in the instance
folder, which `review init` makes 0700): the hook finds it from the repository's own path
(`DIR/plan.git` -> `DIR/instance`), never from the environment. Whoever can read the
instance folder (the server's own account, root) can sign; any other account on the machine,
even one that may write into plan.git, cannot.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from pathlib import Path

KEY_FILE = "push.key"
VERSION = "v1"
MAX_AGE = 15 * 60           # seconds between the signature (start of the push) and the hook
CLOCK_SKEW = 60             # a signature dated this far in the future is still accepted
MAX_UPDATES = 1000          # ref updates one push may sign (they travel in the environment)
ENV_PUSHER, ENV_UPDATES, ENV_PROOF = "REVIEW_PUSHER", "REVIEW_PUSH_UPDATES", "REVIEW_PUSH_PROOF"


class BadProof(Exception):
    """The push carries no valid proof of its pusher; the message says why."""


def key_path(instance_path: str | os.PathLike) -> Path:
    return Path(instance_path) / KEY_FILE


def secret(instance_path: str | os.PathLike, create: bool = False) -> bytes | None:
    """The instance's push secret; created (0600, atomically) when asked and absent."""
    path = key_path(instance_path)
    try:
        data = path.read_bytes().strip()
        if data:
            return data
    except FileNotFoundError:
        pass
    except OSError:  # not readable by this account: no secret for it
        return None
    if not create:
        return None
    value = secrets.token_hex(32).encode()
    tmp = path.with_name(f".{KEY_FILE}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(value + b"\n")
    try:
        os.link(tmp, path)  # never replaces a secret another process wrote first
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_bytes().strip()


def _message(pusher: str, when: int, nonce: str, updates: list[str]) -> bytes:
    return "\n".join([f"review push {VERSION}", pusher, str(when), nonce, *sorted(updates), ""]).encode()


def sign(key: bytes, pusher: str, updates: list[str], when: int | None = None) -> dict[str, str]:
    """The environment that proves `pusher` asked for `updates` ("old new ref" lines) now."""
    when = int(time.time()) if when is None else when
    nonce = secrets.token_hex(12)
    mac = hmac.new(key, _message(pusher, when, nonce, updates), hashlib.sha256).hexdigest()
    return {ENV_PUSHER: pusher, ENV_UPDATES: "\n".join(updates),
            ENV_PROOF: f"{VERSION}:{when}:{nonce}:{mac}"}


def check(key: bytes | None, env, updates: list[str], now: float | None = None) -> str:
    """The pusher, when `env` holds a valid, fresh signature covering every update of `updates`;
    raises BadProof otherwise."""
    pusher, proof = env.get(ENV_PUSHER), env.get(ENV_PROOF)
    if not pusher or not proof:
        raise BadProof("the push carries no proof of who pushes")
    if key is None:
        raise BadProof("the push secret of this instance cannot be read here")
    parts = proof.split(":")
    if len(parts) != 4 or parts[0] != VERSION or not parts[1].isdigit():
        raise BadProof("the proof of who pushes is malformed")
    _, when, nonce, mac = parts
    signed = [line for line in (env.get(ENV_UPDATES) or "").split("\n") if line]
    expected = hmac.new(key, _message(pusher, int(when), nonce, signed), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, mac):
        raise BadProof("the proof of who pushes is not valid")
    age = (time.time() if now is None else now) - int(when)
    if age > MAX_AGE or age < -CLOCK_SKEW:
        raise BadProof(f"the proof of who pushes is {int(age)} s old (at most {MAX_AGE} s)")
    unsigned = [u for u in updates if u not in set(signed)]
    if unsigned:
        raise BadProof(f"the proof of who pushes does not cover the update {unsigned[0]}")
    return pusher


# -- the commands at the head of a git-receive-pack request ---------------------------------------

class _Head:
    """Reads pkt-lines from a stream, keeping every byte read so it can be replayed."""

    def __init__(self, stream, limit: int):
        self.stream, self.limit, self.data = stream, limit, bytearray()

    def read(self, n: int) -> bytes:
        out = b""
        while len(out) < n:
            chunk = self.stream.read(n - len(out))
            if not chunk:
                raise ValueError("the push request ended before its list of ref updates did")
            out += chunk
        self.data += out
        if len(self.data) > self.limit:
            raise ValueError(f"the push's list of ref updates is longer than {self.limit} bytes")
        return out


def read_commands(stream, limit: int = 1024 * 1024) -> tuple[bytes, list[str]]:
    """Read the pkt-lines of a receive-pack request up to the first flush packet: returns the
    bytes read (to pass on to git unchanged) and the updates as "old new ref" lines."""
    head = _Head(stream, limit)
    updates: list[str] = []
    while True:
        size_hex = head.read(4)
        try:
            size = int(size_hex, 16)
        except ValueError:
            raise ValueError("the push request is not in git's pkt-line format") from None
        if size == 0:
            break
        if size < 4:
            raise ValueError("the push request is not in git's pkt-line format")
        line = head.read(size - 4).split(b"\0", 1)[0].rstrip(b"\n").decode("utf-8", "replace")
        parts = line.split(" ")
        if len(parts) == 3 and all(len(p) in (40, 64) for p in parts[:2]):
            updates.append(line)
        if len(updates) > MAX_UPDATES:
            raise ValueError(f"a push may update at most {MAX_UPDATES} refs")
    return bytes(head.data), updates
