"""An export's manifest kept in shards, so that one changed guide reads and writes O(1) files.

A batch export (:mod:`guidesrc.adapters.batchfiles`) keeps, per guide, what its channel shows and
every delivery key applied. Kept as one file, a library of 10,000 guides made every publish read
and rewrite the whole of it (31 MB for the hotline). Now the guides are spread over
:data:`SHARDS` shards by a digest of their id (:func:`shard_of`)::

    <path>/.<kind>-manifest.json        format, kind, seq, the export's own small state, and per
                                        shard its generation (the commit point)
    <path>/_state/<kind>-<hh>.<n>.json  the guides of shard ``hh``, generation ``n``

A run reads the top file and only the shards of the guides it touches, writes each changed shard
as a new generation (a new file, synced), then replaces the top file, which names the new
generations: a run killed before that leaves the top file naming the previous generations, still
there, so the manifest is either wholly the old one or wholly the new one. The superseded files
are removed after the commit (and any left by a killed run at the next commit). The hotline's
FAQ state is kept in shards the same way, by FAQ id (:mod:`guidesrc.adapters.hotline_faq`).

``_state/`` is one of the state folders the signing step checks file by file
(:mod:`guidesrc.channel_audit`): a shard edited in the channel's folder holds the channel before a
run builds on it, as the single manifest did.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

import orjson

from guidesrc.errors import ChannelError
from guidesrc.fsio import write_atomic
from guidesrc.i18n import _

SHARDS = 256
STATE = "_state"


@cache
def code_fingerprint(*modules: str) -> str:
    """A digest of the named source files (relative to the package) and this module: what an
    export's rendered files depend on besides the manifest."""
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for name in modules:
        digest.update((package / name).read_bytes())
    return digest.hexdigest()


def shard_of(gid: str) -> str:
    """The shard of a guide: two hex digits of the SHA-256 of its id (stable, evenly spread)."""
    return hashlib.sha256(gid.encode()).hexdigest()[:2]


def not_ours(path: Path, kind: str) -> ChannelError:
    """A state or manifest file of an export channel that this guidesrc did not write."""
    return ChannelError(
        _("{path} is not a manifest of a {kind} channel written by this guidesrc").format(
            path=path, kind=kind
        )
    )


class GuideStates:
    """The guides of a sharded manifest, read shard by shard as they are asked for; a guide set
    marks its shard to be written (:meth:`dirty`), and the state it had before the run is kept
    (:attr:`before`)."""

    #: The key of a shard file that holds its records (a subclass keeps other records by id).
    field: ClassVar[str] = "guides"

    def __init__(self, folder: Path, kind: str, generations: dict[str, int]) -> None:
        self.folder = folder
        self.kind = kind
        self.generations = dict(generations)
        self._shards: dict[str, dict[str, dict[str, Any]]] = {}
        self.dirty: set[str] = set()
        #: Per guide set this run, its state as committed before (None: it had none)
        self.before: dict[str, dict[str, Any] | None] = {}
        #: Other files of ``_state/`` named ``<kind>-…`` that the export keeps (see :meth:`clean`)
        self.extra: set[str] = set()

    def path(self, shard: str, generation: int) -> Path:
        return self.folder / STATE / f"{self.kind}-{shard}.{generation}.json"

    def shard(self, shard: str) -> dict[str, dict[str, Any]]:
        """The guides of one shard (read once)."""
        found = self._shards.get(shard)
        if found is not None:
            return found
        generation = self.generations.get(shard)
        guides: dict[str, dict[str, Any]] = {}
        if generation is not None:
            path = self.path(shard, generation)
            try:
                body = orjson.loads(path.read_bytes())
            except (OSError, orjson.JSONDecodeError) as exc:
                raise ChannelError(
                    _("the {kind} manifest {path} cannot be read: {reason}").format(
                        kind=self.kind, path=path, reason=exc
                    )
                ) from exc
            if not isinstance(body, dict) or (body.get("kind"), body.get("shard")) != (
                self.kind,
                shard,
            ):
                raise not_ours(path, self.kind)
            guides = dict(body.get(self.field) or {})
        self._shards[shard] = guides
        return guides

    def get(self, gid: str, default: Any = None) -> Any:
        return self.shard(shard_of(gid)).get(gid, default)

    def __getitem__(self, gid: str) -> dict[str, Any]:
        return self.shard(shard_of(gid))[gid]

    def __setitem__(self, gid: str, state: dict[str, Any]) -> None:
        shard = shard_of(gid)
        guides = self.shard(shard)
        if gid not in self.before:
            self.before[gid] = guides.get(gid)
        guides[gid] = state
        self.dirty.add(shard)

    def __delitem__(self, gid: str) -> None:
        shard = shard_of(gid)
        guides = self.shard(shard)
        if gid not in self.before:
            self.before[gid] = guides.get(gid)
        del guides[gid]
        self.dirty.add(shard)

    def reset(self) -> None:
        """Empty every shard (each written anew, as a new generation, by :meth:`save`)."""
        self._shards = {shard: {} for shard in self.generations}
        self.dirty = set(self.generations)
        self.before = {}

    def names(self) -> set[str]:
        """The files of the generations named now (after :meth:`save`: those to commit)."""
        return {self.path(s, g).name for s, g in self.generations.items()}

    def __contains__(self, gid: object) -> bool:
        return isinstance(gid, str) and gid in self.shard(shard_of(gid))

    def shards(self) -> list[str]:
        """Every shard that holds guides (read or not)."""
        return sorted({*self.generations, *self._shards})

    def in_shard(self, shard: str) -> list[tuple[str, dict[str, Any]]]:
        """The guides of one shard, by id."""
        return sorted(self.shard(shard).items())

    def items(self) -> list[tuple[str, dict[str, Any]]]:
        """Every guide, by id (reads every shard)."""
        return sorted(kv for shard in self.shards() for kv in self.shard(shard).items())

    def __iter__(self) -> Iterator[str]:
        return iter([gid for gid, _state in self.items()])

    def __len__(self) -> int:
        return sum(len(self.shard(shard)) for shard in self.shards())

    def save(self, slim: Any = None) -> dict[str, int]:
        """Write the dirty shards as new generations (each guide passed through ``slim`` first);
        the generations the top file must name to commit them."""
        for shard in sorted(self.dirty):
            generation = self.generations.get(shard, 0) + 1
            guides = self._shards[shard]
            if slim is not None:
                guides = {gid: slim(state) for gid, state in guides.items()}
            body = {"kind": self.kind, "shard": shard, self.field: guides}
            data = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
            write_atomic(self.path(shard, generation), data, 0o644)
            self.generations[shard] = generation
        return dict(sorted(self.generations.items()))

    def clean(self) -> None:
        """Remove the files ``_state/<kind>-….json`` that neither the committed generations nor
        :attr:`extra` name (superseded, or left by a run killed before its commit)."""
        folder = self.folder / STATE
        named = self.names() | self.extra
        prefix = f"{self.kind}-"
        try:
            listing = list(os.scandir(folder))
        except FileNotFoundError:
            return
        for entry in listing:
            name = entry.name
            ours = name.startswith(prefix) and name.endswith(".json") and name not in named
            if ours and entry.is_file(follow_symlinks=False):
                Path(entry.path).unlink(missing_ok=True)
