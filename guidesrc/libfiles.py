"""The library's source files as this machine last saw them: one listing, one read and one hash
per file, shared by ``guides check``, ``diff``, ``approve``, the library state and the calendar.

A file's SHA-256 (what ``guides check`` keys its results by) and git blob id (what the library
state compares with a revision) are kept in ``.guides/cache/files.json`` by the file's identity:
size, modification and change times (nanoseconds), inode and device. A file whose identity is as
recorded is not read again; a changed one is (its change time moves whatever its mtime says, and
no program can set it back). As git does with "racily clean" files, a file changed less than
:data:`RACY_SECONDS` before it was read is never recorded: a second change within the same tick
of the file system's clock could not be told apart.

Like every cache of guidesrc the file is sealed with this machine's key (:mod:`guidesrc.cachekey`):
one planted or copied from elsewhere is ignored, never believed. Entries are kept in this process
too (by library folder), so a check followed by a load of the working tree stats each file twice
but reads it once.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from pathlib import Path
from typing import Any, NamedTuple

from guidesrc import cachekey
from guidesrc.library import STATE_DIR, read_sized, refuse_link, size_limit

CACHE_FILE = "cache/files.json"
RACY_SECONDS = 2
#: What ``guides check`` hashes in place of a file over its size limit (the size follows).
OVERSIZE = b"\x00guides-oversize:"


class Hashes(NamedTuple):
    sha256: str  # of the bytes `guides check` analyses (a marker for an oversized file)
    blob: str  # git's blob id of the bytes read


#: (size, mtime_ns, ctime_ns, inode, device)
Identity = tuple[int, int, int, int, int]

#: Library folder → file → [size, mtime_ns, ctime_ns, inode, device, sha256, blob id], as the
#: cache file holds them: what this process knows, loaded from disk once. An entry is taken as
#: stored and its values checked when used (a value of another type matches no file).
_KNOWN: dict[str, dict[str, list[Any]]] = {}


def blob_id(data: bytes) -> str:
    """The id git gives these bytes as a file (``git hash-object``)."""
    digest = hashlib.sha1(b"blob %d\0" % len(data), usedforsecurity=False)
    digest.update(data)
    return digest.hexdigest()


class LibraryFiles:
    """The hashes and, when read, the bytes of a library's source files."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._path = root / STATE_DIR / CACHE_FILE
        self._known = _known(root, self._path)
        self._data: dict[str, bytes] = {}
        self._hashed: dict[str, Hashes] = {}  # asked for before: as then (one pass, one view)
        self._added = False
        self._started = time.time_ns()

    def hashes(self, rel: str, *, folders_checked: bool = False) -> Hashes | None:
        """The file's hashes (None: no such file), from its identity when it is as recorded.
        Asked again of the same instance, the same answer (a check and the state loaded after
        it see the files alike).

        Links and non-plain files are refused as :func:`guidesrc.library.read_sized` refuses them.
        """
        if rel in self._hashed:
            return self._hashed[rel]
        path = os.path.join(self.root, rel)
        if not folders_checked:
            parts = rel.split("/")
            for depth in range(1, len(parts)):
                refuse_link(self.root, "/".join(parts[:depth]))
        try:
            before = os.lstat(path)
        except (FileNotFoundError, NotADirectoryError):
            before = None
        known = self._known.get(rel)
        regular = before is not None and stat.S_ISREG(before.st_mode)
        if regular and known is not None and before is not None and _matches(known, before):
            self._hashed[rel] = found = Hashes(known[5], known[6])
            return found
        data = self.read(rel, folders_checked=True)
        if data is None:
            return None
        found = Hashes(hashlib.sha256(self.checked_bytes(rel)).hexdigest(), blob_id(data))
        within = len(data) <= size_limit(rel)
        if before is not None and within and self._settled(before, path):
            self._known[rel] = [*_identity(before), *found]
            self._added = True
        self._hashed[rel] = found
        return found

    def read(self, rel: str, *, folders_checked: bool = False) -> bytes | None:
        """The file's bytes (up to one past its size limit), read once; None: no such file."""
        if rel not in self._data:
            try:
                self._data[rel] = read_sized(self.root, rel, folders_checked=folders_checked)[0]
            except FileNotFoundError:
                return None
        return self._data[rel]

    def checked_bytes(self, rel: str) -> bytes:
        """What ``guides check`` analyses: the bytes, or for an oversized file a marker and its size."""
        data = self.read(rel, folders_checked=True) or b""
        return (
            data if len(data) <= size_limit(rel) else OVERSIZE + str(_size(self.root, rel)).encode()
        )

    def _settled(self, before: os.stat_result, path: str) -> bool:
        """The file was last changed well before it was read, and not while it was being read."""
        try:
            after = os.lstat(path)
        except OSError:
            return False
        newest = max(before.st_mtime_ns, before.st_ctime_ns)
        return (
            _identity(after) == _identity(before) and newest < self._started - RACY_SECONDS * 10**9
        )

    def save(self) -> None:
        """Record the hashes learnt in this process (only when there are new ones)."""
        if not self._added:
            return
        cachekey.write_sealed(self._path, {"root": str(self.root), "entries": self._known})
        self._added = False


def _identity(info: os.stat_result) -> Identity:
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev)


def _size(root: Path, rel: str) -> int:
    try:
        return os.lstat(os.path.join(root, rel)).st_size
    except OSError:
        return 0


def _known(root: Path, path: Path) -> dict[str, list[Any]]:
    """This process's entries for the library at ``root``, loaded from its cache file once."""
    key = str(root)
    if key not in _KNOWN:
        _KNOWN[key] = _load(root, cachekey.read_sealed(path))
    return _KNOWN[key]


def _load(root: Path, stored: Any) -> dict[str, list[Any]]:
    """The entries recorded for this very folder (a copied library is re-read)."""
    if not isinstance(stored, dict) or stored.get("root") != str(root):
        return {}
    entries = stored.get("entries")
    return entries if type(entries) is dict else {}


def _matches(entry: Any, info: os.stat_result) -> bool:
    """The entry is well formed and records the file with this identity."""
    return (
        type(entry) is list
        and len(entry) == 7
        and entry[:5]
        == [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev]
        and type(entry[5]) is str
        and type(entry[6]) is str
    )
