"""The publisher's stat cache of a channel's folder, in parts, so that a publish reads and writes
only what it touched.

``.guides/cache/manifest-<channel>.json`` (the head) binds the cache to the channel, the folder,
the ledger and the manifest signed with it, keeps each folder's (inode, ctime), the top file's
and shards' status, and lists every part of ``manifest-<channel>.d/`` with its SHA-256 and its
status [size, mtime, inode, ctime] when written. The head carries a MAC keyed by a secret only
the signing key's holder can compute. The parts:

``f-<hh>``   the files of manifest shard ``hh`` ([size, mtime, inode, SHA-256, ctime] each) and the
             ids of the guides in that shard (the shard's key index)
``i-<h16>``  one folder's files: name → inode (``h16``: the first 16 hex digits of the SHA-256
             of the folder's path)
``state``    the entries of the files in the state folders (the top, ``_state/``), which every
             publish checks by their status (also in their ``f-<hh>``)
``shown``    what the manifest signed with the cache lists of the guides (:class:`Shown`)

A part is read only when needed, and then its SHA-256 must be the head's. Every part's status
is checked when the cache is loaded (a stat each, no reading): a part written since the head
(its ctime, which no user can set back, changed), removed or replaced makes the whole cache
lost, as a head that fails its MAC does: the publish hashes every file (the safe fallback).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from guidesrc.errors import LibraryIOError
from guidesrc.fsio import write_atomic
from guidesrc.library import STATE_DIR
from guidesrc.manifest_shards import shard_of
from guidesrc.shown import Shown

if TYPE_CHECKING:
    from guidesrc.signing import SigningKey

CACHE_FORMAT = 6  # 2: each entry also holds the ctime; 3: MAC, the manifest signed with it;
# 4: the folders' (inode, ctime); 5: the manifest's own stat covers its shards; 6: in parts
CACHE_CONTEXT = b"guidesrc manifest cache key, format 3"

Entry = list[Any]  # [size, mtime, inode, SHA-256, ctime]
#: The folders whose files are the channels' own state (an export's manifest and pieces, the
#: site's manifest): every file there is checked by its status at the start and at the end.
STATE_FOLDERS = ("", "_state/")


def cache_path(root: Path, channel: str) -> Path:
    return root / STATE_DIR / "cache" / f"manifest-{channel}.json"


def parts_folder(head: Path) -> Path:
    return head.with_suffix(".d")


def index_part(folder: str) -> str:
    return "i-" + hashlib.sha256(folder.encode()).hexdigest()[:16]


def _status(path: Path | str) -> list[int] | None:
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns]


class Parts:
    """The parts a head lists (name → [SHA-256, size, mtime, inode, ctime]), read when asked."""

    def __init__(self, folder: Path, table: dict[str, list[Any]]) -> None:
        self.folder = folder
        self.table = table
        self._read: dict[str, Any] = {}

    def intact(self) -> bool:
        at = f"{self.folder}{os.sep}"
        return all(_status(f"{at}{n}.json") == e[1:] for n, e in self.table.items())

    def get(self, name: str) -> Any:
        """The part's content; None when the head lists no such part."""
        if name in self._read:
            return self._read[name]
        entry = self.table.get(name)
        if entry is None:
            return None
        # A part not as its head names it: never for a cache the publisher wrote and nobody
        # touched (its status was checked with the head); signing stops, the cache is removed.
        path = self.folder / f"{name}.json"
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise LibraryIOError(str(path)) from exc
        if hashlib.sha256(data).hexdigest() != entry[0]:
            raise LibraryIOError(str(path))
        self._read[name] = found = orjson.loads(data)
        return found


class ShardedFiles(Mapping[str, Entry]):
    """The files' stat entries, by manifest shard; a shard's read when first asked for."""

    def __init__(
        self,
        load: Callable[[str], dict[str, Entry]],
        count: int,
        state: Callable[[], dict[str, Entry]] | None = None,
    ) -> None:
        self._load = load
        self._shards: dict[str, dict[str, Entry]] = {}
        self._count = count
        self._state = state  # the state folders' entries, read apart (no shard read for them)

    @classmethod
    def of(cls, files: Mapping[str, Entry]) -> ShardedFiles:
        split: dict[str, dict[str, Entry]] = {}
        for rel, entry in files.items():
            split.setdefault(shard_of(rel), {})[rel] = entry
        return cls(lambda hh: split.get(hh, {}), len(files))

    def shard(self, hh: str) -> dict[str, Entry]:
        found = self._shards.get(hh)
        if found is None:
            found = self._shards[hh] = self._load(hh)
        return found

    def __getitem__(self, rel: str) -> Entry:
        if self._state is not None and folder_of(rel) in STATE_FOLDERS:
            return self._state()[rel]
        return self.shard(shard_of(rel))[rel]

    def __iter__(self) -> Iterator[str]:
        for hh in (f"{n:02x}" for n in range(256)):
            yield from self.shard(hh)

    def __len__(self) -> int:
        return self._count


class FileStats(MutableMapping[str, Entry]):
    """The files' stat entries now: those of the last signature (``base``) with this run's
    changes (``delta``: None for a file that is gone)."""

    def __init__(self, base: ShardedFiles) -> None:
        self.base = base
        self.delta: dict[str, Entry | None] = {}
        self._count = len(base)

    def __getitem__(self, rel: str) -> Entry:
        if rel in self.delta:
            entry = self.delta[rel]
            if entry is None:
                raise KeyError(rel)
            return entry
        return self.base[rel]

    def __setitem__(self, rel: str, entry: Entry) -> None:
        self._count += rel not in self
        self.delta[rel] = entry

    def __delitem__(self, rel: str) -> None:
        if rel not in self:
            raise KeyError(rel)
        self._count -= 1
        self.delta[rel] = None

    def __iter__(self) -> Iterator[str]:
        yield from (rel for rel in self.base if rel not in self.delta)
        yield from (rel for rel, entry in self.delta.items() if entry is not None)

    def __len__(self) -> int:
        return self._count

    def shard(self, hh: str) -> dict[str, Entry]:
        """The entries of one manifest shard."""
        found = dict(self.base.shard(hh))
        for rel, entry in self.delta.items():
            if shard_of(rel) == hh:
                if entry is None:
                    found.pop(rel, None)
                else:
                    found[rel] = entry
        return found


class Listing(Mapping[str, dict[str, Any]]):
    """The files as a manifest lists them (SHA-256, size), from their stat entries."""

    def __init__(self, stats: Mapping[str, Entry]) -> None:
        self._stats = stats

    def __getitem__(self, rel: str) -> dict[str, Any]:
        entry = self._stats[rel]
        return {"sha256": entry[3], "size": entry[0]}

    def __iter__(self) -> Iterator[str]:
        return iter(self._stats)

    def __len__(self) -> int:
        return len(self._stats)


class Cache:
    """A channel's stat cache as loaded (nothing usable: ``written_at`` None)."""

    def __init__(
        self,
        files: Mapping[str, Entry] | None = None,
        written_at: dt.datetime | None = None,
        head: Mapping[str, Any] | None = None,
        parts: Parts | None = None,
    ) -> None:
        head = head or {}
        self.written_at = written_at
        self.parts = parts
        signed, dirs = head.get("signed"), head.get("dirs")
        #: The SHA-256 of the manifest signed when the cache was written (its files are then
        #: that manifest's files, as the cache lists them); None if written without one.
        self.signed: str | None = signed if isinstance(signed, str) else None
        #: Each folder's (inode, ctime) when the cache was written ("" the top, "a/b/" below).
        self.dirs: dict[str, tuple[int, int]] | None = (
            {str(k): (int(v[0]), int(v[1])) for k, v in dirs.items()}
            if isinstance(dirs, dict)
            else None
        )
        counts = head.get("counts")
        #: Per manifest shard, how many files it lists.
        self.counts: dict[str, int] = (
            {str(k): int(v) for k, v in counts.items()} if isinstance(counts, dict) else {}
        )
        own = head.get("own")
        #: The manifest file's and its shards' [size, mtime, inode, ctime] then.
        self.own: list[int] | None = [int(n) for n in own] if isinstance(own, list) else None
        self.files: Mapping[str, Entry] = files if files is not None else {}
        if parts is not None:
            count = sum(self.counts.values())
            self.files = ShardedFiles(self._files_of, count, self.state_files)
        self.index: Mapping[str, Mapping[str, int]] | None = (
            FolderIndex(parts, self.dirs) if parts is not None and self.dirs is not None else None
        )
        self._shown: Shown | None = None

    def _files_of(self, hh: str) -> dict[str, Entry]:
        part = self.parts.get(f"f-{hh}") if self.parts is not None else None
        return dict(part["files"]) if isinstance(part, dict) else {}

    def state_files(self) -> dict[str, Entry]:
        """The entries of the files in the state folders when the cache was written."""
        part = self.parts.get("state") if self.parts is not None else None
        return part if isinstance(part, dict) else {}

    def guide_ids(self, hh: str) -> list[str]:
        """The ids of the guides in manifest shard ``hh`` when the cache was written."""
        part = self.parts.get(f"f-{hh}") if self.parts is not None else None
        return list(part["guides"]) if isinstance(part, dict) else []

    @property
    def shown(self) -> Shown | None:
        """What the manifest signed with the cache lists of the guides."""
        if self._shown is None and self.parts is not None and self.signed is not None:
            data = self.parts.get("shown")
            self._shown = Shown.from_dict(data) if isinstance(data, dict) else None
        return self._shown


class FolderIndex(Mapping[str, Mapping[str, int]]):
    """Per folder ("" the top, "a/b/" below), its files' names → inodes; read when asked for."""

    def __init__(self, parts: Parts, dirs: Mapping[str, Any]) -> None:
        self._parts = parts
        self._dirs = dirs

    def __getitem__(self, folder: str) -> Mapping[str, int]:
        part = self._parts.get(index_part(folder))
        if not isinstance(part, dict):
            raise KeyError(folder)
        return part

    def __iter__(self) -> Iterator[str]:
        return (d for d in self._dirs if index_part(d) in self._parts.table)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _cache_secret(key: SigningKey) -> bytes:
    """A secret only the signing key's holder can compute (Ed25519 signs deterministically):
    the cache's MAC key, so that nobody who cannot sign can make the publisher trust a cache."""
    return hashlib.sha256(b"guidesrc manifest cache\n" + key.sign(CACHE_CONTEXT)).digest()


def _mac(key: SigningKey, data: bytes) -> bytes:
    return hmac.new(_cache_secret(key), data, hashlib.sha256).hexdigest().encode()


def load_cache(path: Path, binding: Mapping[str, str], key: SigningKey) -> Cache:
    """The cache, if its head's MAC, its binding (channel, folder, ledger) and every part's
    status hold; else an empty one (every file is hashed)."""
    try:
        raw = path.read_bytes()
    except OSError:
        return Cache()
    at = raw.rfind(b',"mac":"')
    if at < 0 or not hmac.compare_digest(raw[at + 8 : -2], _mac(key, raw[:at] + b"}")):
        return Cache()  # not written by this key's holder: hash everything
    try:
        head = orjson.loads(raw)
        written = dt.datetime.fromisoformat(str(head.get("written_at")))
    except (orjson.JSONDecodeError, ValueError):
        return Cache()
    if head.get("format") != CACHE_FORMAT or any(head.get(k) != v for k, v in binding.items()):
        return Cache()  # another build of the site, another ledger: hash everything
    table = head.get("parts")
    parts = Parts(parts_folder(path), table if isinstance(table, dict) else {})
    if not parts.intact():
        return Cache()  # a part written, removed or replaced since: hash everything
    return Cache(None, written, head, parts)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def folder_of(rel: str) -> str:
    return rel[: rel.rfind("/") + 1]


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
        self.table[name] = [_sha256(data), *(_status(path) or [])]


def save_cache(
    path: Path,
    head: dict[str, Any],
    key: SigningKey,
    stats: Mapping[str, Entry],
    guides: Mapping[str, Any],
    shown: Shown | None,
    old: Cache,
    changed_guides: set[str],
) -> None:
    """Write the parts that changed since ``old`` (every part when ``stats`` does not build on
    it), then the head (``head``: binding, signed, dirs, own), MAC'd; then remove the parts it
    no longer names."""
    reuse = isinstance(stats, FileStats) and old.parts is not None and stats.base is old.files
    writer = _Writer(parts_folder(path), dict(old.parts.table) if reuse and old.parts else {})
    counts = dict(old.counts) if reuse else {}
    if isinstance(stats, FileStats) and reuse:
        shards = {shard_of(rel) for rel in stats.delta} | {shard_of(g) for g in changed_guides}
        for hh in shards:
            ids = {g for g in [*old.guide_ids(hh), *changed_guides] if g in guides}
            _put_shard(writer, counts, hh, stats.shard(hh), {g for g in ids if shard_of(g) == hh})
        for folder, names in _folder_changes(stats, old).items():
            writer.put(index_part(folder), names)
        state = [rel for rel in stats.delta if folder_of(rel) in STATE_FOLDERS]
        if state:
            rels = [*old.state_files(), *state]
            writer.put("state", {rel: stats[rel] for rel in rels if rel in stats})
    else:
        _put_everything(writer, counts, stats, guides)
    if shown is None or head.get("signed") is None:
        writer.put("shown", None)
    elif not (reuse and shown is old.shown and "shown" in writer.table):
        writer.put("shown", shown.as_dict())
    head = {**head, "counts": dict(sorted(counts.items())), "parts": writer.table}
    data = orjson.dumps(head)
    write_atomic(path, data[:-1] + b',"mac":"' + _mac(key, data) + b'"}', 0o600, durable=False)
    if reuse:
        for name in writer.dropped - writer.table.keys():
            (writer.folder / f"{name}.json").unlink(missing_ok=True)
        return
    for entry in os.scandir(writer.folder):  # written whole: nothing else stays
        if entry.name.removesuffix(".json") not in writer.table:
            os.unlink(entry.path)


def _put_shard(
    writer: _Writer, counts: dict[str, int], hh: str, files: dict[str, Entry], ids: set[str]
) -> None:
    writer.put(f"f-{hh}", {"files": files, "guides": sorted(ids)} if files or ids else None)
    if files:
        counts[hh] = len(files)
    else:
        counts.pop(hh, None)


def _put_everything(
    writer: _Writer, counts: dict[str, int], stats: Mapping[str, Entry], guides: Mapping[str, Any]
) -> None:
    files: dict[str, dict[str, Entry]] = {}
    ids: dict[str, set[str]] = {}
    index: dict[str, dict[str, int]] = {}
    for rel, entry in stats.items():
        files.setdefault(shard_of(rel), {})[rel] = entry
        folder = folder_of(rel)
        index.setdefault(folder, {})[rel[len(folder) :]] = int(entry[2])
    for gid in guides:
        ids.setdefault(shard_of(gid), set()).add(gid)
    writer.put("state", {r: e for r, e in stats.items() if folder_of(r) in STATE_FOLDERS})
    for hh in files.keys() | ids.keys():
        _put_shard(writer, counts, hh, files.get(hh, {}), ids.get(hh, set()))
    for folder, names in index.items():
        writer.put(index_part(folder), names)


def _folder_changes(stats: FileStats, old: Cache) -> dict[str, dict[str, int]]:
    """The index of each folder where ``stats`` changed something."""
    found: dict[str, dict[str, int]] = {}
    for rel, entry in stats.delta.items():
        folder = folder_of(rel)
        names = found.get(folder)
        if names is None:
            kept = old.index.get(folder) if old.index is not None else None
            names = found[folder] = dict(kept or {})
        if entry is None:
            names.pop(rel[len(folder) :], None)
        else:
            names[rel[len(folder) :]] = int(entry[2])
    return found
