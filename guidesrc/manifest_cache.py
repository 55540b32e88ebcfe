"""The publisher's stat cache of a channel's folder, in parts, so that a publish reads and writes
only what it touched.

``.guides/cache/manifest-<channel>.json`` (the head) binds the cache to the channel, the folder,
the ledger and the manifest signed with it, keeps each folder's (inode, ctime), the top file's
and shards' status, and lists every part of ``manifest-<channel>.d/`` with its SHA-256 and its
status [size, mtime, inode, ctime] when written. The head carries a MAC keyed by a secret only
the signing key's holder can compute. The parts:

``f-<hh>``   the files of manifest shard ``hh`` ([size, mtime, inode, SHA-256, ctime] each), the
             guides in that shard as the manifest lists them (the shard's key index) and their
             tallies (:class:`Shown`)
``i-<h16>``  one folder's files: name → inode (``h16``: the first 16 hex digits of the SHA-256
             of the folder's path)
``state``    the entries of the files in the state folders (the top, ``_state/``), which every
             publish checks by their status (also in their ``f-<hh>``)
``delta``    what changed in the ``f-<hh>`` and ``i-<h16>`` parts since they were written (shard →
             field → key → entry, folder → name → inode; null: gone), so that a publish writes
             one small part for a few changes; folded into them when it grows
             (:mod:`guidesrc.manifest_cache_save`)
``shown``    the mark and the total of what the manifest signed with the cache lists of the guides
             (:class:`Shown`: its guides and tallies are in the ``f-<hh>`` parts)

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
from guidesrc.library import STATE_DIR
from guidesrc.manifest_shards import shard_of
from guidesrc.shown import Overlay, Shown

if TYPE_CHECKING:
    from guidesrc.signing import SigningKey

CACHE_FORMAT = 7  # 2: each entry also holds the ctime; 3: MAC, the manifest signed with it;
# 4: the folders' (inode, ctime); 5: the manifest's own stat covers its shards; 6: in parts;
# 7: the guides shown and their tallies by shard, in the f-<hh> parts; the delta part
CACHE_CONTEXT = b"guidesrc manifest cache key, format 3"

Entry = list[Any]  # [size, mtime, inode, SHA-256, ctime]
#: The folders whose files are the channels' own state (an export's manifest and pieces, the
#: site's manifest): every file there is checked by its status at the start and at the end.
STATE_FOLDERS = ("", "_state/")
SHARDS = tuple(f"{n:02x}" for n in range(256))


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


class ByShard(Mapping[str, Any]):
    """Entries kept by manifest shard (a guide id's or a file path's); a shard's read when
    first asked for."""

    def __init__(self, load: Callable[[str], dict[str, Any]]) -> None:
        self._load = load
        self._shards: dict[str, dict[str, Any]] = {}

    def shard(self, hh: str) -> dict[str, Any]:
        found = self._shards.get(hh)
        if found is None:
            found = self._shards[hh] = self._load(hh)
        return found

    def __getitem__(self, key: str) -> Any:
        return self.shard(shard_of(key))[key]

    def __iter__(self) -> Iterator[str]:
        for hh in SHARDS:
            yield from self.shard(hh)

    def __len__(self) -> int:
        return sum(len(self.shard(hh)) for hh in SHARDS)


class ShardedFiles(ByShard):
    """The files' stat entries, by manifest shard; a shard's read when first asked for."""

    def __init__(
        self,
        load: Callable[[str], dict[str, Entry]],
        count: int,
        state: Callable[[], dict[str, Entry]] | None = None,
    ) -> None:
        super().__init__(load)
        self._count = count
        self._state = state  # the state folders' entries, read apart (no shard read for them)

    @classmethod
    def of(cls, files: Mapping[str, Entry]) -> ShardedFiles:
        split: dict[str, dict[str, Entry]] = {}
        for rel, entry in files.items():
            split.setdefault(shard_of(rel), {})[rel] = entry
        return cls(lambda hh: split.get(hh, {}), len(files))

    def __getitem__(self, rel: str) -> Entry:
        if self._state is not None and folder_of(rel) in STATE_FOLDERS:
            return self._state()[rel]
        found: Entry = self.shard(shard_of(rel))[rel]
        return found

    def __len__(self) -> int:
        return self._count


class FileStats(Overlay, MutableMapping[str, Entry]):
    """The files' stat entries now: those of the last signature (``base``) with this run's
    changes (``delta``: None for a file that is gone), counted as they change."""

    base: ShardedFiles

    def __init__(self, base: ShardedFiles) -> None:
        super().__init__(base, {})
        self._count = len(base)

    def __setitem__(self, rel: str, entry: Entry) -> None:
        self._count += rel not in self
        self.delta[rel] = entry

    def __delitem__(self, rel: str) -> None:
        if rel not in self:
            raise KeyError(rel)
        self._count -= 1
        self.delta[rel] = None

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
            FolderIndex(self, self.dirs) if parts is not None and self.dirs is not None else None
        )
        self._shown: Shown | None = None
        self._delta: dict[str, dict[str, Any]] | None = None

    def _files_of(self, hh: str) -> dict[str, Entry]:
        return self._of(hh, "files")

    def _of(self, hh: str, field: str) -> dict[str, Any]:
        """One field ("files", "guides", "tallies") of manifest shard ``hh``: its part's, with
        the delta's changes."""
        changes = self.delta()["f"].get(hh)
        return merged(self.written(f"f-{hh}", field), (changes or {}).get(field))

    def written(self, name: str, field: str | None = None) -> dict[str, Any]:
        """A part (or one field of it) as written, without the delta's changes."""
        part = self.parts.get(name) if self.parts is not None else None
        found = part.get(field) if field is not None and isinstance(part, dict) else part
        return found if isinstance(found, dict) else {}

    def delta(self) -> dict[str, dict[str, Any]]:
        """The delta part: {"f": shard → field → changes, "i": folder → changes}."""
        if self._delta is None:
            part = self.parts.get("delta") if self.parts is not None else None
            part = part if isinstance(part, dict) else {}
            self._delta = {k: v if isinstance(v := part.get(k), dict) else {} for k in "fi"}
        return self._delta

    def state_files(self) -> dict[str, Entry]:
        """The entries of the files in the state folders when the cache was written."""
        part = self.parts.get("state") if self.parts is not None else None
        return part if isinstance(part, dict) else {}

    def guide_ids(self, hh: str) -> list[str]:
        """The ids of the guides in manifest shard ``hh`` when the cache was written."""
        return list(self._of(hh, "guides"))

    def guides_of(self, hh: str) -> dict[str, Any]:
        """The guides in manifest shard ``hh`` (id → entry) when the cache was written."""
        return self._of(hh, "guides")

    def tallies_of(self, hh: str) -> dict[str, Any]:
        """The tallies of the guides in manifest shard ``hh`` when the cache was written."""
        return self._of(hh, "tallies")

    @property
    def shown(self) -> Shown | None:
        """What the manifest signed with the cache lists of the guides (read by shard)."""
        if self._shown is None and self.parts is not None and self.signed is not None:
            data = self.parts.get("shown")
            guides, tallies = ByShard(self.guides_of), ByShard(self.tallies_of)
            self._shown = Shown.of(data, guides, tallies) if isinstance(data, dict) else None
        return self._shown


class FolderIndex(Mapping[str, Mapping[str, int]]):
    """Per folder ("" the top, "a/b/" below), its files' names → inodes; read when asked for."""

    def __init__(self, cache: Cache, dirs: Mapping[str, Any]) -> None:
        self._cache = cache
        self._dirs = dirs

    def __getitem__(self, folder: str) -> Mapping[str, int]:
        changes = self._cache.delta()["i"].get(folder)
        if changes is None and not self._written(folder):
            raise KeyError(folder)
        return merged(self._cache.written(index_part(folder)), changes)

    def _written(self, folder: str) -> bool:
        parts = self._cache.parts
        return parts is not None and index_part(folder) in parts.table

    def __iter__(self) -> Iterator[str]:
        changed = self._cache.delta()["i"]
        return (d for d in self._dirs if self._written(d) or d in changed)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _cache_secret(key: SigningKey) -> bytes:
    """A secret only the signing key's holder can compute (Ed25519 signs deterministically):
    the cache's MAC key, so that nobody who cannot sign can make the publisher trust a cache."""
    return hashlib.sha256(b"guidesrc manifest cache\n" + key.sign(CACHE_CONTEXT)).digest()


def mac(key: SigningKey, data: bytes) -> bytes:
    return hmac.new(_cache_secret(key), data, hashlib.sha256).hexdigest().encode()


def load_cache(path: Path, binding: Mapping[str, str], key: SigningKey) -> Cache:
    """The cache, if its head's MAC, its binding (channel, folder, ledger) and every part's
    status hold; else an empty one (every file is hashed)."""
    try:
        raw = path.read_bytes()
    except OSError:
        return Cache()
    at = raw.rfind(b',"mac":"')
    if at < 0 or not hmac.compare_digest(raw[at + 8 : -2], mac(key, raw[:at] + b"}")):
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


def folder_of(rel: str) -> str:
    return rel[: rel.rfind("/") + 1]


def merged(base: dict[str, Any], changes: Mapping[str, Any] | None) -> dict[str, Any]:
    """``base`` with ``changes`` put over it (None: the key is gone); ``base`` itself when
    there are none (never to be changed: a part as read)."""
    if not changes:
        return base
    found = dict(base)
    for key, entry in (changes or {}).items():
        if entry is None:
            found.pop(key, None)
        else:
            found[key] = entry
    return found
