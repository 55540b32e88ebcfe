"""Writing the publisher's stat cache (:mod:`guidesrc.manifest_cache`): only what a run changed.

A publish that builds on the cache it loaded writes its changes (the files' entries, the guides'
entries and tallies, the folders' names → inodes) into the one small ``delta`` part, over the
changes of the runs before; when the delta holds more than :data:`DELTA_LIMIT` entries, it is
folded into the ``f-<hh>`` and ``i-<h16>`` parts it changes and emptied. Then the head, MAC'd,
binds every part by its SHA-256 and status (the delta too). A run that does not build on the
cache writes every part.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from guidesrc.fsio import write_atomic
from guidesrc.manifest_cache import (
    STATE_FOLDERS,
    Cache,
    Entry,
    FileStats,
    folder_of,
    index_part,
    mac,
    merged,
    parts_folder,
)
from guidesrc.manifest_shards import shard_of
from guidesrc.shown import Shown

if TYPE_CHECKING:
    from guidesrc.signing import SigningKey

#: The delta's entries above which it is folded into the parts it changes.
DELTA_LIMIT = 1500
FIELDS = ("files", "guides", "tallies")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _status(path: Path) -> list[int]:
    st = os.lstat(path)
    return [st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns]


class _Writer:
    """The parts of a cache being written: name → [SHA-256, status]."""

    def __init__(self, folder: Path, table: dict[str, list[Any]]) -> None:
        self.folder = folder
        self.table = table
        folder.mkdir(parents=True, exist_ok=True)
        self.dropped: set[str] = set()

    def put(self, name: str, content: Any) -> None:
        if not content:
            if self.table.pop(name, None) is not None:
                self.dropped.add(name)
            return
        data = orjson.dumps(content)
        if (known := self.table.get(name)) is not None and known[0] == _sha256(data):
            return  # the same bytes: the part stays as it is
        path = self.folder / f"{name}.json"
        # a cache: torn in a crash, its status is not the head's and every file is hashed
        write_atomic(path, data, 0o600, durable=False)
        self.table[name] = [_sha256(data), *_status(path)]


def save_cache(
    path: Path,
    head: dict[str, Any],
    key: SigningKey,
    stats: Mapping[str, Entry],
    guides: Mapping[str, Any],
    shown: Shown | None,
    old: Cache,
    changes: set[str] | None,
) -> None:
    """Write the parts that changed since ``old`` (``changes``: the guides whose entry or tally
    changed; every part when ``stats`` does not build on it or ``changes`` is None), then the
    head (``head``: binding, signed, dirs, own), MAC'd; then remove the parts it no longer
    names."""
    reuse = (
        isinstance(stats, FileStats)
        and old.parts is not None
        and stats.base is old.files
        and changes is not None
    )
    writer = _Writer(parts_folder(path), dict(old.parts.table) if reuse and old.parts else {})
    counts = dict(old.counts) if reuse else {}
    tallies = shown.tallies if shown is not None else {}
    if isinstance(stats, FileStats) and reuse and changes is not None:
        _put_changes(writer, counts, stats, old, (guides, tallies), changes)
    else:
        _put_everything(writer, counts, stats, guides, tallies)
    if shown is None or head.get("signed") is None:
        writer.put("shown", None)
    else:
        writer.put("shown", shown.head())
    head = {**head, "counts": dict(sorted(counts.items())), "parts": writer.table}
    data = orjson.dumps(head)
    write_atomic(path, data[:-1] + b',"mac":"' + mac(key, data) + b'"}', 0o600, durable=False)
    if reuse:
        for name in writer.dropped - writer.table.keys():
            (writer.folder / f"{name}.json").unlink(missing_ok=True)
        return
    for entry in os.scandir(writer.folder):  # written whole: nothing else stays
        if entry.name.removesuffix(".json") not in writer.table:
            os.unlink(entry.path)


def _put_changes(
    writer: _Writer,
    counts: dict[str, int],
    stats: FileStats,
    old: Cache,
    now: tuple[Mapping[str, Any], Mapping[str, Any]],
    changes: set[str],
) -> None:
    """This run's changes since ``old`` (``now``: the guides and the tallies) into the delta
    (folded into the parts when it grows), and the state part when a state file changed."""
    was = old.delta()
    shards = {hh: {f: dict(c) for f, c in fields.items()} for hh, fields in was["f"].items()}
    folders = {folder: dict(names) for folder, names in was["i"].items()}
    touched: set[str] = set()
    for rel, entry in stats.delta.items():
        touched.add(hh := shard_of(rel))
        shards.setdefault(hh, {}).setdefault("files", {})[rel] = entry
        folder = folder_of(rel)
        inode = None if entry is None else int(entry[2])
        folders.setdefault(folder, {})[rel[len(folder) :]] = inode
    for gid in changes:
        touched.add(hh := shard_of(gid))
        for field, items in zip(FIELDS[1:], now, strict=True):
            shards.setdefault(hh, {}).setdefault(field, {})[gid] = items.get(gid)
    for hh in touched:
        files = merged(old.written(f"f-{hh}", "files"), shards[hh].get("files"))
        _count(counts, hh, files)
    size = sum(len(c) for fields in shards.values() for c in fields.values())
    if size + sum(len(names) for names in folders.values()) > DELTA_LIMIT:
        _fold(writer, counts, old, shards, folders)
    else:
        writer.put("delta", {"f": shards, "i": folders})
    state = [rel for rel in stats.delta if folder_of(rel) in STATE_FOLDERS]
    if state:
        rels = [*old.state_files(), *state]
        writer.put("state", {rel: stats[rel] for rel in rels if rel in stats})


def _fold(
    writer: _Writer,
    counts: dict[str, int],
    old: Cache,
    shards: dict[str, dict[str, dict[str, Any]]],
    folders: dict[str, dict[str, Any]],
) -> None:
    """Write the parts the delta changes, as changed, and empty it."""
    for hh, fields in shards.items():
        found = [merged(old.written(f"f-{hh}", f), fields.get(f)) for f in FIELDS]
        _put_shard(writer, counts, hh, *found)
    for folder, names in folders.items():
        writer.put(index_part(folder), merged(old.written(index_part(folder)), names))
    writer.put("delta", None)


def _count(counts: dict[str, int], hh: str, files: Mapping[str, Any]) -> None:
    if files:
        counts[hh] = len(files)
    else:
        counts.pop(hh, None)


def _put_shard(
    writer: _Writer,
    counts: dict[str, int],
    hh: str,
    files: Mapping[str, Entry],
    guides: Mapping[str, Any],
    tallies: Mapping[str, Any],
) -> None:
    content = {
        "files": dict(files),
        "guides": dict(sorted(guides.items())),
        "tallies": dict(sorted(tallies.items())),
    }
    writer.put(f"f-{hh}", content if files or guides or tallies else None)
    _count(counts, hh, files)


def _put_everything(
    writer: _Writer,
    counts: dict[str, int],
    stats: Mapping[str, Entry],
    guides: Mapping[str, Any],
    tallies: Mapping[str, Any],
) -> None:
    files: dict[str, dict[str, Entry]] = {}
    index: dict[str, dict[str, int]] = {}
    for rel, entry in stats.items():
        files.setdefault(shard_of(rel), {})[rel] = entry
        folder = folder_of(rel)
        index.setdefault(folder, {})[rel[len(folder) :]] = int(entry[2])
    split: list[dict[str, dict[str, Any]]] = [{}, {}]
    for at, items in enumerate((guides, tallies)):
        for gid, entry in items.items():
            split[at].setdefault(shard_of(gid), {})[gid] = entry
    writer.put("state", {r: e for r, e in stats.items() if folder_of(r) in STATE_FOLDERS})
    for hh in files.keys() | split[0].keys() | split[1].keys():
        _put_shard(
            writer, counts, hh, files.get(hh, {}), split[0].get(hh, {}), split[1].get(hh, {})
        )
    for folder, names in index.items():
        writer.put(index_part(folder), names)
