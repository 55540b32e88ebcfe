"""The key that makes a cache this machine's own: caches hold data, never code, and only data
this machine wrote is believed.

The caches live in the library's ``.guides/cache`` folder, which an editor with commit rights can
fill (``git add -f``). So a cache is never unpickled (it is JSON or SQLite rows of JSON), and
every cache entry carries an HMAC-SHA256 under a random key kept outside the library, in the
user's cache folder (``$XDG_CACHE_HOME/guidesrc/cache-key``, else ``~/.cache/guidesrc/``, mode
0600). A cache file planted in the library, copied from another machine or damaged fails its
check and is ignored: its results are computed again, never trusted. Without a usable key
(a read-only home) nothing is cached: slower, never wrong.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import stat
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import orjson

from guidesrc.fsio import write_atomic

KEY_FILE = "cache-key"
_KEY_BYTES = 32
MAC_BYTES = 32


def key_path() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "guidesrc" / KEY_FILE


@cache
def _key_at(path: Path) -> bytes | None:
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    except OSError:
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{KEY_FILE}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(_KEY_BYTES))
        try:
            os.link(tmp, path)  # atomic, and never replaces a key another process made first
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
        return _read_key(path)
    except OSError:
        return None


def _read_key(path: Path) -> bytes | None:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as handle:
        key = handle.read(_KEY_BYTES + 1)
    return key if len(key) == _KEY_BYTES else None


def machine_key() -> bytes | None:
    """This user's cache key on this machine (made on first use), or None when none can be kept."""
    return _key_at(key_path())


def mac(key: bytes, *parts: bytes) -> bytes:
    """HMAC-SHA256 of ``parts``, each prefixed by its length (so no two splits sign alike)."""
    message = b"".join(len(part).to_bytes(8, "big") + part for part in parts)
    return hmac.digest(key, message, hashlib.sha256)


def seal(key: bytes, context: bytes, payload: bytes) -> bytes:
    """``payload`` with its MAC in front, for a cache file."""
    return mac(key, context, payload) + payload


def unseal(key: bytes, context: bytes, blob: bytes) -> bytes | None:
    """The payload of a sealed cache file, or None when it was not sealed here for ``context``."""
    tag, payload = blob[:MAC_BYTES], blob[MAC_BYTES:]
    if len(tag) != MAC_BYTES or not hmac.compare_digest(tag, mac(key, context, payload)):
        return None
    return payload


def read_sealed(path: Path) -> Any:
    """The data of a cache file this machine wrote, or None (missing, damaged, planted)."""
    key = machine_key()
    if key is None:
        return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return None
            blob = fh.read()
    except OSError:
        return None
    payload = unseal(key, path.name.encode(), blob)
    try:
        return None if payload is None else orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None


def write_sealed(path: Path, value: object, default: Callable[[Any], Any] | None = None) -> None:
    """Write ``value`` as sealed JSON so that readers see the old file or the new one, never half."""
    key = machine_key()
    if key is None:
        return  # no key to seal with: nothing is cached
    try:
        payload = orjson.dumps(value, default=default)
    except TypeError:
        return
    with contextlib.suppress(OSError):  # a read-only library still checks, only slower next time
        write_atomic(path, seal(key, path.name.encode(), payload), durable=False)
