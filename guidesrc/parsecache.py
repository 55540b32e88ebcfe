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

The cache is an optimisation only: any error opening, reading or writing it is ignored.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

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
        if state_dir is None:
            return
        try:
            path = state_dir / CACHE_FILE
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(path, timeout=1)
            db.execute("CREATE TABLE IF NOT EXISTS meta (fingerprint TEXT NOT NULL)")
            db.execute(
                "CREATE TABLE IF NOT EXISTS guides (id TEXT PRIMARY KEY, data BLOB NOT NULL)"
            )
            db.execute(
                "CREATE TABLE IF NOT EXISTS hashes (id TEXT NOT NULL, compiled_from TEXT NOT NULL,"
                " hash TEXT NOT NULL, PRIMARY KEY (compiled_from, id))"
            )
            row = db.execute("SELECT fingerprint FROM meta").fetchone()
            if row is None or row[0] != fingerprint:
                with db:
                    db.execute("DELETE FROM guides")
                    db.execute("DELETE FROM hashes")
                    db.execute("DELETE FROM meta")
                    db.execute("INSERT INTO meta VALUES (?)", (fingerprint,))
            self._db = db
        except (OSError, sqlite3.Error):
            self._db = None

    def get_many(self, content_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The validated data of those guides that are in the cache, by content id."""
        return {
            key: orjson.loads(data)
            for key, data in self._select("SELECT id, data FROM guides WHERE", (), content_ids)
        }

    def hashes(self, compiled_from: str, content_ids: Iterable[str]) -> dict[str, str]:
        """The content hashes known for these guides compiled from ``compiled_from``."""
        query = "SELECT id, hash FROM hashes WHERE compiled_from = ? AND"
        return dict(self._select(query, (compiled_from,), content_ids))

    def _select(
        self, query: str, params: tuple[str, ...], content_ids: Iterable[str]
    ) -> Iterator[tuple[str, Any]]:
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
                    "INSERT OR REPLACE INTO guides VALUES (?, ?)", self._pending.guides.items()
                )
                self._db.executemany(
                    "INSERT OR REPLACE INTO hashes VALUES (?, ?, ?)",
                    ((i, source, value) for (i, source), value in self._pending.hashes.items()),
                )
        except sqlite3.Error:
            pass
        self._pending = CacheEntries()
