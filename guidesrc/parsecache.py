"""Validated guides by content id, kept between runs in ``.guides/cache/guides.sqlite``.

A diff or a publish needs the guides whose file, or whose catalogue entries, changed; a change to
one office can touch thousands of guides whose files did not change. Reading and validating a
guide costs ~0.25 ms; taking its validated data from here costs a tenth of that. Entries are keyed
by content id (git blob id, or SHA-256 of the bytes) and by the code that validated them, so a
changed file or a new guidesrc never reads a stale entry. The cache is an optimisation only: any
error opening or writing it is ignored.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

CACHE_FILE = "cache/guides.sqlite"


class ParseCache:
    def __init__(self, state_dir: Path | None, fingerprint: str) -> None:
        self._db: sqlite3.Connection | None = None
        self._pending: dict[str, bytes] = {}
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
            row = db.execute("SELECT fingerprint FROM meta").fetchone()
            if row is None or row[0] != fingerprint:
                with db:
                    db.execute("DELETE FROM guides")
                    db.execute("DELETE FROM meta")
                    db.execute("INSERT INTO meta VALUES (?)", (fingerprint,))
            self._db = db
        except (OSError, sqlite3.Error):
            self._db = None

    def get_many(self, content_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        if self._db is None:
            return {}
        wanted = list(dict.fromkeys(content_ids))
        found: dict[str, dict[str, Any]] = {}
        try:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for key, data in self._db.execute(
                    f"SELECT id, data FROM guides WHERE id IN ({marks})", chunk
                ):
                    found[key] = orjson.loads(data)
        except sqlite3.Error:
            return found
        return found

    def put(self, content_id: str, data: dict[str, Any]) -> None:
        self._pending[content_id] = orjson.dumps(data)

    def pending_raw(self) -> dict[str, bytes]:
        return dict(self._pending)

    def put_raw(self, entries: dict[str, bytes]) -> None:
        self._pending.update(entries)

    def flush(self) -> None:
        if self._db is None or not self._pending:
            return
        try:
            with self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO guides VALUES (?, ?)", self._pending.items()
                )
        except sqlite3.Error:
            pass
        self._pending.clear()
