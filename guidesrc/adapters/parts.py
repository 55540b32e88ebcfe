"""Rendered pieces of an export's library-wide files, kept per guide between runs.

The hotline knowledge base and the mobile index hold one record per guide of the library. A run
that delivers one guide must not render the other 9,999 again: each guide's pieces (its JSON
record as it sits in the file, its CSV row) are kept in ``<path>/.<kind>-parts.json`` with the
guide's **token**, a digest of the delivery keys applied to it in the export's manifest. Pieces
are reused while the token, the header (the export's settings that shape every record) and the
code fingerprint are the same; anything else is rendered again. The combined files are then
joined from the pieces: their bytes are exactly those of a full rebuild (tests/test_exports.py
checks it), so the cache only saves time.

The pieces file lives in the channel's folder, which others may be able to write. So each
guide's pieces carry an HMAC under this machine's cache key (:mod:`guidesrc.cachekey`, kept
outside the library and the channel): pieces edited, planted or copied from elsewhere fail the
check and are rendered again, never joined into a file the next publish signs. Without a usable
key nothing is reused (slower, never wrong).
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any

import orjson

from guidesrc.adapters.batchfiles import write_if_changed
from guidesrc.cachekey import mac, machine_key
from guidesrc.fsio import note

PARTS_FORMAT = 2  # 2: each guide's pieces sealed with the machine's cache key
_INDENT = orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2

Pieces = list[Any]  # bytes, or memoryviews of the kept pieces


@cache
def code_fingerprint(*modules: str) -> str:
    """A digest of the named source files (relative to the package) and this module."""
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for name in modules:
        digest.update((package / name).read_bytes())
    return digest.hexdigest()


def token(state: dict[str, Any]) -> str:
    """What a guide's pieces are valid for: the delivery keys applied to it, in order."""
    return hashlib.sha1("\n".join(state["keys"]).encode(), usedforsecurity=False).hexdigest()


class Parts:
    """The pieces of every guide, as kept for ``header`` in ``<stem>.json`` (the index: per
    guide its token and where its pieces are) and ``<stem>.<n>.bin`` (the pieces' bytes, one after
    another). A run appends the pieces it renders to the bin and then replaces the index, so a
    run stopped between the two leaves the index pointing at bytes that are still there; when
    more than half the bin is pieces no longer used, :meth:`save` writes a new bin."""

    def __init__(self, stem: Path, header: dict[str, Any]) -> None:
        self.index_path = stem.with_name(stem.name + ".json")
        self.stem = stem
        self.header = {"format": PARTS_FORMAT, **header}
        self.guides: dict[str, list[Any]] = {}
        self.blob: memoryview | bytes = b""
        self.bin = 0
        self.fresh: dict[str, list[bytes]] = {}
        self.key = machine_key()
        self.macs: dict[str, str] = {}
        try:
            body = orjson.loads(self.index_path.read_bytes())
            if isinstance(body, dict) and body.get("header") == self.header:
                self.bin = int(body["bin"])
                blob = self._bin(self.bin).read_bytes()
                self.blob = memoryview(blob)[: int(body["size"])]
                if len(self.blob) == int(body["size"]) and self.key is not None:
                    self.guides = dict(body["guides"])
                    self.macs = {str(g): str(m) for g, m in dict(body["macs"]).items()}
        except (OSError, ValueError, KeyError, TypeError, orjson.JSONDecodeError):
            self.guides = {}  # none yet, or unreadable: everything is rendered again

    def _seal(self, gid: str, valid: str, pieces: Iterable[Any]) -> str:
        """The MAC of a guide's pieces for this export, under the machine's cache key."""
        assert self.key is not None
        parts = (self.stem.name.encode(), gid.encode(), valid.encode(), *map(bytes, pieces))
        return mac(self.key, b"guidesrc export parts", *parts).hex()

    def _bin(self, number: int) -> Path:
        return self.stem.with_name(f"{self.stem.name}.{number}.bin")

    def pieces(self, gid: str, state: dict[str, Any], render: Callable[[], Pieces]) -> Pieces:
        """The guide's pieces: kept ones if still valid, else ``render()`` (then kept)."""
        valid = token(state)
        kept = self.guides.get(gid)
        if isinstance(kept, list) and kept and kept[0] == valid and gid not in self.fresh:
            try:
                at, end = kept[1], kept[1] + sum(kept[2:])
                if 0 <= at <= end <= len(self.blob) and min(kept[2:]) >= 0:
                    out = []
                    for size in kept[2:]:
                        out.append(self.blob[at : at + size])
                        at += size
                    if self.macs.get(gid) == self._seal(gid, valid, out):
                        return out
            except (TypeError, ValueError, IndexError):
                pass  # not what save() writes: rendered again
        fresh = render()
        self.fresh[gid] = fresh
        self.guides[gid] = [valid]
        return fresh

    def save(self, shown: Iterable[str]) -> None:
        """Keep the pieces of the guides ``shown`` (others are gone from the export)."""
        if self.key is None:
            return  # nothing can be sealed, so nothing is kept
        guides = {gid: self.guides[gid] for gid in sorted(shown) if gid in self.guides}
        live = sum(sum(int(n) for n in p[2:]) for g, p in guides.items() if g not in self.fresh)
        number, size = self.bin, len(self.blob)
        if not self.fresh and len(guides) == len(self.guides) and self.index_path.exists():
            return
        if live * 2 < size or not self.index_path.exists():  # mostly unused: a new bin
            number, size, old = self.bin + 1, 0, self.blob
            chunks = []
            for gid, kept in guides.items():
                if gid in self.fresh:
                    continue
                at, length = int(kept[1]), sum(int(n) for n in kept[2:])
                chunks.append(old[at : at + length])
                guides[gid] = [kept[0], size, *kept[2:]]
                size += length
            _append(self._bin(number), b"".join(chunks), at=0)
        added = []
        for gid, fresh in self.fresh.items():
            if gid in guides:
                guides[gid] = [guides[gid][0], size, *(len(p) for p in fresh)]
                added += fresh
                size += sum(len(p) for p in fresh)
        _append(self._bin(number), b"".join(added), at=size - sum(len(p) for p in added))
        macs = {
            gid: self._seal(gid, entry[0], self.fresh[gid])
            if gid in self.fresh
            else self.macs.get(gid, "")
            for gid, entry in guides.items()
        }
        body = {"header": self.header, "bin": number, "size": size, "guides": guides, "macs": macs}
        write_if_changed(self.index_path, orjson.dumps(body))
        for stale in self.stem.parent.glob(f"{self.stem.name}.*.bin"):
            if stale != self._bin(number):
                stale.unlink(missing_ok=True)


def _append(path: Path, data: bytes, *, at: int) -> None:
    """Write ``data`` into ``path`` from byte ``at`` on (what was there from ``at`` on, left by a
    run stopped before its index was written, goes), synced before the index names it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    with os.fdopen(fd, "r+b") as handle:
        handle.truncate(at)
        handle.seek(at)
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    note(path)  # written in place: the publish lists it as its own


# --- joining pieces into the bytes a full rebuild writes -----------------------------------------


def record(value: Any, depth: int = 2) -> bytes:
    """``value`` as ``json_bytes`` writes it as an item of a list ``depth`` levels deep."""
    return _indented(orjson.dumps(value, option=_INDENT), depth)


def _indented(data: bytes, depth: int) -> bytes:
    pad = b"  " * depth
    return pad + data.replace(b"\n", b"\n" + pad)


def json_object(fields: dict[str, Any], lists: dict[str, list[Any]]) -> bytes:
    """``json_bytes({**fields, **lists})``, where each list is given as its items' :func:`record`
    bytes: sorted keys, two-space indent, a final newline."""
    chunks: list[Any] = [b"{\n"]
    for n, key in enumerate(sorted({*fields, *lists})):
        chunks.append((b",\n  " if n else b"  ") + orjson.dumps(key) + b": ")
        if key not in lists:
            chunks.append(orjson.dumps(fields[key], option=_INDENT).replace(b"\n", b"\n  "))
        elif not lists[key]:
            chunks.append(b"[]")
        else:
            chunks.append(b"[\n")
            for i, item in enumerate(lists[key]):
                if i:
                    chunks.append(b",\n")
                chunks.append(item)
            chunks.append(b"\n  ]")
    chunks.append(b"\n}\n" if len(chunks) > 1 else b"}\n")
    return b"".join(chunks)


def csv_row(cells: list[str]) -> bytes:
    """One CSV row as ``csv.writer`` writes it (``\\r\\n`` at the end), in UTF-8."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue().encode("utf-8")
