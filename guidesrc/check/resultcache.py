"""Stage one's results by file, in ``.guides/cache/check.sqlite``: one row per file, read and
written by file, so that a check after one change reads the rows of the changed files only.

A row holds the file's path, the SHA-256 of its bytes and the result of analysing them (JSON,
:mod:`guidesrc.check.cachecodec`), with a MAC under this machine's cache key
(:mod:`guidesrc.cachekey`) over the code fingerprint, the path, the hash and the result: a row
planted, copied or damaged fails it and its file is analysed again, never believed. The table is
emptied when the code changes (another fingerprint). Any error opening, reading or writing the
database is ignored: the cache is an optimisation only.
"""

from __future__ import annotations

import hmac
import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import orjson

from guidesrc import cachekey
from guidesrc.check import cachecodec
from guidesrc.check.facts import FileResult
from guidesrc.parsecache import of_code

CACHE_FILE = "cache/check.sqlite"
_CHUNK = 500  # rows asked for in one query
_ALL = 2000  # from this many files on, every row is read in one scan


class ResultCache:
    """Analysis results by file and content hash. The database is opened when first used, and
    again after :meth:`close` (close it before a fork: a child opens its own connection)."""

    def __init__(self, path: Path, fingerprint: str) -> None:
        self._key = cachekey.machine_key()
        self._path = path
        self._fingerprint = fingerprint.encode()
        self._db: sqlite3.Connection | None = None
        self._failed = self._key is None

    def _connect(self) -> sqlite3.Connection | None:
        if self._db is None and not self._failed:
            try:
                self._db = _open(self._path, self._fingerprint.decode())
            except (OSError, sqlite3.Error):
                self._failed = True
        return self._db

    def _mac(self, rel: str, digest: str, data: bytes) -> bytes:
        assert self._key is not None
        return cachekey.mac(self._key, self._fingerprint, rel.encode(), digest.encode(), data)

    def get_many(self, wanted: Mapping[str, str]) -> dict[str, FileResult]:
        """The results of those files (path → SHA-256) whose row is here, sealed and well formed."""
        out = {}
        for rel, digest, data, tag in self._rows(list(wanted)):
            if wanted.get(rel) != digest or not isinstance(data, bytes):
                continue
            if not (
                isinstance(tag, bytes) and hmac.compare_digest(tag, self._mac(rel, digest, data))
            ):
                continue
            try:
                out[rel] = cachecodec.result(orjson.loads(data))
            except (cachecodec.BadShape, ValueError, TypeError):
                continue
        return out

    def _rows(self, rels: list[str]) -> Iterable[tuple[Any, Any, Any, Any]]:
        db = self._connect() if rels else None
        if db is None:
            return []
        query = "SELECT rel, digest, data, mac FROM results"
        try:
            if len(rels) >= _ALL:
                return db.execute(query).fetchall()
            rows = []
            for start in range(0, len(rels), _CHUNK):
                chunk = rels[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                rows += db.execute(f"{query} WHERE rel IN ({marks})", chunk).fetchall()
            return rows
        except sqlite3.Error:
            return []

    def put_many(self, entries: Mapping[str, tuple[str, FileResult]]) -> None:
        """Keep these results (path → (SHA-256, result)), replacing the files' older rows."""
        db = self._connect() if entries else None
        if db is None:
            return
        rows = []
        for rel, (digest, result) in entries.items():
            data = orjson.dumps(cachecodec.result_data(result), default=_plain)
            rows.append((rel, digest, data, self._mac(rel, digest, data)))
        try:
            with db:
                db.executemany("INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?)", rows)
        except sqlite3.Error:
            pass

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


def _plain(value: Any) -> Any:
    """Named tuples (facts) as JSON lists."""
    if isinstance(value, tuple):
        return list(value)
    raise TypeError


def _open(path: Path, fingerprint: str) -> sqlite3.Connection:
    """The database, emptied when the code changed, made anew when it is not one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return _prepare(sqlite3.connect(path, timeout=1), fingerprint)
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, sqlite3.OperationalError):
            raise  # locked, read-only: not damaged
        path.unlink(missing_ok=True)
        return _prepare(sqlite3.connect(path, timeout=1), fingerprint)


def _prepare(db: sqlite3.Connection, fingerprint: str) -> sqlite3.Connection:
    columns = "rel TEXT PRIMARY KEY, digest TEXT NOT NULL, data BLOB NOT NULL, mac BLOB NOT NULL"
    try:
        return of_code(db, fingerprint, {"results": columns})
    except sqlite3.Error:
        db.close()
        raise
