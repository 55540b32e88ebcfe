"""The directory channel: compiled JSON per guide plus an index, for integrators who pull files.

::

    <path>/guides/<id>.json      the version in force: compiled guide, version, hash, notice
    <path>/upcoming/<id>.json    an approved version not yet in force (自 X 起实施), with its notice
    <path>/withdrawn/<id>.json   a guide taken down, with the reason
    <path>/index.json            every guide: name, version, hash, effective date, state

Every file is replaced atomically (written beside, then renamed), so a reader never sees half a
file, and delivering the same version twice writes the same bytes: deliveries are idempotent.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from guidesrc import faults
from guidesrc.adapters.base import Delivery, FileAdapter, FolderSettings, Receipt, safe_id
from guidesrc.fsio import fsync_path, syncfs, write_atomic
from guidesrc.gaps import strip_nulls
from guidesrc.statuses import Action

FORMAT = 1
_SYNC_EACH = 16  # deliveries in a run up to which each file is synced by itself
_FOLDERS = ("guides", "upcoming", "withdrawn")
_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2


class DirectorySettings(FolderSettings):
    pass


class DirectoryAdapter(FileAdapter[DirectorySettings]):
    Settings = DirectorySettings
    incremental = True  # a file per delivered guide, the index entry of each
    #: Deliveries applied together: the index is rewritten and the disk flushed once per batch,
    #: not once per guide (a first publish of 10,000 guides: 5 batches), and memory stays bounded.
    batch_size = 2000
    _sync_each = False  # set per run: sync each file (a few deliveries) or syncfs (a batch)

    @property
    def out(self) -> Path:
        return self.folder

    def deliver_many(self, work: Sequence[tuple[Delivery, bool]]) -> list[Receipt | Exception]:
        """Write each delivery's file, then the index once, then flush the lot to disk: a
        receipt means the files are there (the same bytes again if delivered twice)."""
        # A few files are synced one by one (with their folders); a batch, by one syncfs,
        # which also flushes whatever else was written to the disk: slow for one change.
        self._sync_each = len(work) <= _SYNC_EACH
        # A few deliveries change their entries in the index's bytes; a batch, the whole index.
        index = Index.read(self.out / "index.json", whole=not self._sync_each)
        results: list[dict[str, Any] | Exception] = []
        for delivery, _retry in work:
            try:
                entry = index.entry(delivery.guide_id)
                receipt = self._apply(delivery)
                index.set(delivery.guide_id, _index_entry(entry, delivery))
            except Exception as exc:  # this delivery fails; the others go on
                results.append(exc)
                continue
            results.append(receipt)
        if any(not isinstance(r, Exception) for r in results):
            try:
                write_atomic(self.out / "index.json", index.data(), 0o644, durable=self._sync_each)
                if not self._sync_each:
                    syncfs(self.out)  # once per batch rather than an fsync per file
                for folder in (self.out, *(self.out / f for f in _FOLDERS)):
                    if self._sync_each and folder.is_dir():
                        fsync_path(folder)  # the renames and removals in it
            except OSError as exc:
                return [exc] * len(results)
        return results

    def lookup(self, delivery: Delivery) -> dict[str, Any] | None:
        # Delivering again is idempotent (the same bytes, the same index entry), and cheaper to
        # reason about than a partial check: say "not known" and let the publisher deliver.
        return None

    def _apply(self, delivery: Delivery) -> dict[str, Any]:
        gid = safe_id(delivery.guide_id)
        body = _document(delivery)
        if delivery.action == Action.WITHDRAW:
            written = self._write(self.out / "withdrawn" / f"{gid}.json", body)
            faults.point("directory.written")
            _remove(self.out / "guides" / f"{gid}.json")
            _remove(self.out / "upcoming" / f"{gid}.json")
        elif delivery.action == Action.ANNOUNCE:
            written = self._write(self.out / "upcoming" / f"{gid}.json", body)
            faults.point("directory.written")
        else:  # publish, activate: this version is the guide now
            written = self._write(self.out / "guides" / f"{gid}.json", body)
            faults.point("directory.written")
            _remove(self.out / "withdrawn" / f"{gid}.json")
            upcoming = self.out / "upcoming" / f"{gid}.json"
            shown = _version_in(upcoming)
            if shown is not None and shown <= delivery.version:
                _remove(upcoming)
        return written

    def _write(self, path: Path, body: dict[str, Any]) -> dict[str, Any]:
        return _write(path, body, fsync=self._sync_each)


class Index:
    """``index.json``: read whole and written whole (a batch), or kept as its bytes with the
    entries of a few guides read and replaced in them (an incremental publish: the other
    entries are neither parsed nor rendered again). Both write the same bytes: the index
    rendered whole, its entries sorted by guide id."""

    def __init__(self, whole: dict[str, Any] | None, data: bytes | None) -> None:
        self.whole = whole
        self.raw = data
        self.changed: dict[str, dict[str, Any]] = {}

    @classmethod
    def read(cls, path: Path, *, whole: bool) -> Index:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return cls({"format": FORMAT, "guides": {}}, None)
        if whole or not data.startswith(_SPLICEABLE):
            return cls(dict(orjson.loads(data)), None)
        return cls(None, data)

    def entry(self, gid: str) -> dict[str, Any]:
        """The entry of a guide ({} when the index has none)."""
        if gid in self.changed:
            return dict(self.changed[gid])
        if self.whole is not None:
            return dict(self.whole["guides"].get(gid, {}))
        assert self.raw is not None
        found = _block(self.raw, gid)
        return dict(orjson.loads(b"{" + self.raw[found[0] : found[1]] + b"}")[gid]) if found else {}

    def set(self, gid: str, entry: dict[str, Any]) -> None:
        if self.whole is not None:
            self.whole["guides"][gid] = entry
        else:
            self.changed[gid] = entry

    def data(self) -> bytes:
        if self.whole is not None:
            self.whole["guides"] = dict(sorted(self.whole["guides"].items()))
            return orjson.dumps(self.whole, option=_OPTIONS)
        assert self.raw is not None
        data = self.raw
        for gid, entry in self.changed.items():
            data = _spliced(data, gid, entry)
        return data


#: How an index written whole starts (with at least one entry): its entries can be spliced.
_SPLICEABLE = b'{\n  "format": %d,\n  "guides": {\n    "' % FORMAT
_END = b"\n    }"  # the end of an entry (its fields are indented further)
_KEY = re.compile(rb'\n    "([a-z0-9_-]+)": \{')


def _block(data: bytes, gid: str) -> tuple[int, int] | None:
    """Where the entry of ``gid`` is in an index's bytes: from the newline before its key to
    the end of its closing brace; None when it has none."""
    start = data.find(b'\n    "' + gid.encode() + b'": {')
    if start < 0:
        return None
    return start, data.index(_END, start) + len(_END)


def _spliced(data: bytes, gid: str, entry: dict[str, Any]) -> bytes:
    """``data`` with the entry of ``gid`` replaced by ``entry``, or inserted in id order."""
    alone = orjson.dumps({"guides": {gid: entry}}, option=_OPTIONS)
    block = alone[alone.index(b"\n    ") : alone.rindex(_END) + len(_END)]
    found = _block(data, gid)
    if found is not None:
        return data[: found[0]] + block + data[found[1] :]
    key = gid.encode()
    for match in _KEY.finditer(data):
        if match.group(1) > key:  # the first entry after it: inserted before that one
            return data[: match.start()] + block + b"," + data[match.start() :]
    last = data.rindex(_END) + len(_END)  # after the last entry
    return data[:last] + b"," + block + data[last:]


def _index_entry(entry: dict[str, Any], delivery: Delivery) -> dict[str, Any]:
    """The index entry of a guide after ``delivery`` (``entry``: before it; {} if none)."""
    info = {
        "version": delivery.version,
        "content_hash": delivery.content_hash,
        "effective_date": delivery.effective_date.isoformat(),
    }
    if delivery.action == Action.WITHDRAW:
        entry = {"name": delivery.name, "state": "withdrawn", "reason": delivery.reason, **info}
    elif delivery.action == Action.ANNOUNCE:
        entry.setdefault("name", delivery.name)
        entry.setdefault("state", "upcoming")
        entry["upcoming"] = info
    else:
        upcoming = entry.get("upcoming")
        entry = {"name": delivery.name, "state": "current", **info}
        if upcoming and upcoming["version"] > delivery.version:
            entry["upcoming"] = upcoming
    return entry


def _document(delivery: Delivery) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "id": delivery.guide_id,
        "name": delivery.name,
        "version": delivery.version,
        "state": {"withdraw": "withdrawn", "announce": "upcoming"}.get(delivery.action, "current"),
        "effective_date": delivery.effective_date.isoformat(),
        "approved_at": delivery.approved_at.isoformat(),
        "content_hash": delivery.content_hash,
        "notice": delivery.notice,
        "reason": delivery.reason,
        # The compiled guide without nulls: what the source does not state is left out and
        # named in the guide's "gaps" list (docs/exports.md), never a null that reads as a fact.
        "guide": strip_nulls(delivery.guide) if delivery.guide is not None else None,
    }


def _version_in(path: Path) -> int | None:
    try:
        version = orjson.loads(path.read_bytes())["version"]
    except FileNotFoundError:
        return None
    return int(version)


def _write(path: Path, body: dict[str, Any], *, fsync: bool = False) -> dict[str, Any]:
    data = orjson.dumps(body, option=_OPTIONS)
    write_atomic(path, data, 0o644, durable=fsync)  # readers are web servers
    return {"path": str(path), "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)
