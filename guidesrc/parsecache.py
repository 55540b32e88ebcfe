"""Validated guides and content hashes, kept between runs in ``.guides/cache/guides.sqlite``.

A diff or a publish needs the guides whose file, or whose catalogue entries, changed; a change to
one office can touch thousands of guides whose files did not change. Reading and validating a
guide costs ~0.25 ms; taking its validated data from here costs a tenth of that. Entries are keyed
by content id (the git blob id of the file's bytes) and by the code that validated them, so a
changed file or a new guidesrc never reads a stale entry.

A guide's content hash (of its compiled form) is kept too, keyed by the guide's content id and by
an id of everything else it is compiled from: the catalogues' bytes and the compiler (see
:attr:`guidesrc.state.LibraryState.compiled_from`). Compiling and hashing 2,000 guides costs
~0.3 s; reading their hashes, a few milliseconds.

The cache is an optimisation only: any error opening, reading or writing it is ignored. Its
folder is one an editor can fill (a committed ``.guides/cache``), so every row carries a MAC
under this machine's cache key (:mod:`guidesrc.cachekey`) over the code fingerprint, the row's
key and its value: a row this machine did not write is skipped (the guide is validated again),
never believed. Without a key nothing is cached.
"""

from __future__ import annotations

import hmac
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from guidesrc import cachekey

CACHE_FILE = "cache/guides.sqlite"

#: Rows asked for in one query (SQLite allows 999 parameters in older builds).
_CHUNK = 500


@dataclass(slots=True)
class CacheEntries:
    """Entries added in one process and not yet written: sent back by worker processes."""

    guides: dict[str, bytes] = field(default_factory=dict)  # content id → orjson data
    hashes: dict[tuple[str, str], str] = field(default_factory=dict)  # (id, compiled from) → hash

    def update(self, other: CacheEntries) -> None:
        self.guides.update(other.guides)
        self.hashes.update(other.hashes)


class ParseCache:
    def __init__(self, state_dir: Path | None, fingerprint: str) -> None:
        self._db: sqlite3.Connection | None = None
        self._pending = CacheEntries()
        self._fingerprint = fingerprint.encode()
        self._key = cachekey.machine_key()
        if state_dir is None or self._key is None:
            return
        try:
            self._db = _open(state_dir / CACHE_FILE, fingerprint)
        except (OSError, sqlite3.Error):
            self._db = None

    def _mac(self, *parts: str | bytes) -> bytes:
        assert self._key is not None
        raw = [p.encode() if isinstance(p, str) else p for p in parts]
        return cachekey.mac(self._key, self._fingerprint, *raw)

    def get_many(self, content_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The validated data of those guides that are in the cache, by content id."""
        out = {}
        for key, data, tag in self._select(
            "SELECT id, data, mac FROM parsed WHERE", (), content_ids
        ):
            if _same(tag, self._mac("guide", key, data)):
                try:
                    value = orjson.loads(data)
                except orjson.JSONDecodeError:
                    continue
                if isinstance(value, dict):
                    out[key] = value
        return out

    def hashes(self, compiled_from: str, content_ids: Iterable[str]) -> dict[str, str]:
        """The content hashes known for these guides compiled from ``compiled_from``."""
        query = "SELECT id, hash, mac FROM hashed WHERE compiled_from = ? AND"
        return {
            key: value
            for key, value, tag in self._select(query, (compiled_from,), content_ids)
            if _same(tag, self._mac("hash", key, compiled_from, value))
        }

    def _select(
        self, query: str, params: tuple[str, ...], content_ids: Iterable[str]
    ) -> Iterator[tuple[str, Any, Any]]:
        """Rows of ``query … id IN (…)``, asked in chunks; nothing more once an error occurs."""
        if self._db is None:
            return
        wanted = list(dict.fromkeys(content_ids))
        try:
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                yield from self._db.execute(f"{query} id IN ({marks})", (*params, *chunk))
        except sqlite3.Error:
            return

    def put(self, content_id: str, data: dict[str, Any]) -> None:
        self._pending.guides[content_id] = orjson.dumps(data)

    def put_hash(self, compiled_from: str, content_id: str, value: str) -> None:
        self._pending.hashes[content_id, compiled_from] = value

    def unsaved(self) -> CacheEntries:
        """A copy of the entries added since the last :meth:`flush`."""
        return CacheEntries(dict(self._pending.guides), dict(self._pending.hashes))

    def add(self, entries: CacheEntries) -> None:
        """Entries made elsewhere (a worker process), to be written with this cache's own."""
        self._pending.update(entries)

    def flush(self) -> None:
        if self._db is None or not (self._pending.guides or self._pending.hashes):
            return
        try:
            with self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO parsed VALUES (?, ?, ?)",
                    (
                        (i, data, self._mac("guide", i, data))
                        for i, data in self._pending.guides.items()
                    ),
                )
                self._db.executemany(
                    "INSERT OR REPLACE INTO hashed VALUES (?, ?, ?, ?)",
                    (
                        (i, source, value, self._mac("hash", i, source, value))
                        for (i, source), value in self._pending.hashes.items()
                    ),
                )
        except sqlite3.Error:
            pass
        self._pending = CacheEntries()


def _same(tag: Any, expected: bytes) -> bool:
    return isinstance(tag, bytes) and hmac.compare_digest(tag, expected)


def _open(path: Path, fingerprint: str) -> sqlite3.Connection:
    """The cache database, emptied when the code changed (tables of older guidesrc dropped)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=1)
    db.execute("DROP TABLE IF EXISTS guides")  # unsigned rows an older guidesrc wrote
    db.execute("DROP TABLE IF EXISTS hashes")
    tables = {
        "parsed": "id TEXT PRIMARY KEY, data BLOB NOT NULL, mac BLOB NOT NULL",
        "hashed": "id TEXT NOT NULL, compiled_from TEXT NOT NULL, hash TEXT NOT NULL,"
        " mac BLOB NOT NULL, PRIMARY KEY (compiled_from, id)",
    }
    return of_code(db, fingerprint, tables)


def of_code(db: sqlite3.Connection, fingerprint: str, tables: dict[str, str]) -> sqlite3.Connection:
    """``db`` with ``tables`` (name → columns), emptied when they were filled by other code (a
    ``meta`` table holds the code fingerprint they were filled by)."""
    db.execute("CREATE TABLE IF NOT EXISTS meta (fingerprint TEXT NOT NULL)")
    for name, columns in tables.items():
        db.execute(f"CREATE TABLE IF NOT EXISTS {name} ({columns})")
    row = db.execute("SELECT fingerprint FROM meta").fetchone()
    if row is None or row[0] != fingerprint:
        with db:
            for name in (*tables, "meta"):
                db.execute(f"DELETE FROM {name}")
            db.execute("INSERT INTO meta VALUES (?)", (fingerprint,))
    return db
