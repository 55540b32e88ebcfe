"""What the batch file exports (hotline, mobile, cpsv) share: a manifest, a run's deliveries
applied to it at once, and atomic writes of only the files whose bytes change.

Each export keeps a **manifest** in its folder (``.<type>-manifest.json`` and its shards in
``_state/``, :mod:`guidesrc.adapters.shards`): per guide, the version shown now, the one
announced, or the withdrawal, plus every delivery key applied. A run applies its deliveries to
the manifest in order (reading only the shards of the guides it touches), renders the files of
the shards it changed, writes those whose bytes changed with the manifest's changed shards (temp
files flushed to disk together, then renamed: a reader never sees half a file,
:func:`guidesrc.fsio.staged`), and commits the manifest last. A run killed before the commit leaves the
delivery unrecorded, and the next attempt renders the same bytes again;
:meth:`BatchExport.lookup` answers from the manifest, so a delivery is applied once however often
it is attempted.

Output depends only on what was delivered (versions, hashes, approval times), never on the clock,
so delivering the same versions always writes the same bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import orjson
from pydantic import Field

from guidesrc import faults
from guidesrc.adapters.base import Delivery, FileAdapter, FolderSettings, Receipt, safe_id
from guidesrc.adapters.shards import GuideStates, not_ours, shard_of
from guidesrc.errors import ChannelError
from guidesrc.fsio import staged, write_atomic
from guidesrc.i18n import _
from guidesrc.statuses import Action

MANIFEST_FORMAT = 2  # 2: the guides in shards (guidesrc/adapters/shards.py)

Manifest = dict[str, Any]
Entry = dict[str, Any]


class ExportSettings(FolderSettings):
    path: str = Field(min_length=1)  # the output folder; relative to the library, or absolute


E = TypeVar("E", bound=ExportSettings)


def utc_text(moment: dt.datetime) -> str:
    """``2026-11-30T08:00:00Z``: approval times as integrators compare them (naive means UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def json_bytes(body: Any, *, compact: bool = False) -> bytes:
    option = orjson.OPT_SORT_KEYS | (0 if compact else orjson.OPT_INDENT_2)
    return orjson.dumps(body, option=option) + (b"" if compact else b"\n")


def write_if_changed(path: Path, data: bytes) -> bool:
    """Replace ``path`` atomically with ``data``, unless it already holds exactly that."""
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    write_atomic(path, data, 0o644)  # published files: readable by the web server or sync job
    return True


def remove(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


class BatchExport(FileAdapter[E], abstract=True):
    """A channel that builds library-wide files: it takes all of a run's deliveries at once.

    Subclasses set ``Settings`` and ``kind`` and implement :meth:`extract` (what to keep of a
    version) and :meth:`render` (write the files from the manifest).
    """

    Settings = ExportSettings
    batch_size: ClassVar[int | None] = None
    kind: ClassVar[str] = "export"
    #: Files of the one-file layout (manifest format 1) removed when it is taken over.
    legacy: ClassVar[tuple[str, ...]] = ()

    @property
    def out(self) -> Path:
        return self.folder

    @property
    def manifest_path(self) -> Path:
        return self.out / f".{self.kind}-manifest.json"

    # --- what subclasses provide ------------------------------------------------------------

    def extract(self, delivery: Delivery) -> dict[str, Any]:
        """What this export keeps of a version that is shown (publish, activate, announce)."""
        raise NotImplementedError

    def render(self, manifest: Manifest, changed: set[str]) -> None:
        """Write the files from the manifest; ``changed`` holds the guides this run touched."""
        raise NotImplementedError

    def applied(self, manifest: Manifest, delivery: Delivery, result: str) -> None:
        """Called once per delivery that changed the manifest (the mobile feed logs it)."""

    def check(self, gid: str, guide: dict[str, Any]) -> None:
        """Render what the library-wide files will hold of this guide in its new state, and
        raise if it cannot be: the delivery then fails alone, before the manifest is changed.
        The default serialises the guide's state as its shard keeps it; exports that derive
        more override it."""
        json_bytes(self.stored(guide), compact=True)

    # --- the adapter interface ---------------------------------------------------------------

    def deliver_many(self, work: Sequence[tuple[Delivery, bool]]) -> list[Receipt | Exception]:
        manifest = self.load()
        changed: set[str] = set()
        results: list[dict[str, Any] | Exception] = []
        for delivery, _retry in work:
            try:
                results.append(self._apply(manifest, delivery, changed))
            except Exception as exc:  # this delivery fails; the others go on
                results.append(exc)
        if not changed:
            return results
        try:
            # The files, and the manifest's changed shards, reach the disk together (one flush
            # for a batch, not one per file), before the top file that commits them.
            with staged():
                self.render(manifest, changed)
                shards = manifest["guides"].save(self.stored)
            faults.point(f"{self.kind}.written")
            self.commit(manifest, shards)
        except Exception as exc:  # nothing recorded: every delivery of the run is retried
            return [exc] * len(work)
        return results

    def lookup(self, delivery: Delivery) -> dict[str, Any] | None:
        guide = self.load()["guides"].get(safe_id(delivery.guide_id))
        if guide is None or delivery.key not in guide["keys"]:
            return None
        return {"channel": self.channel, "key": delivery.key, "found": True}

    # --- the manifest -------------------------------------------------------------------------

    def load(self) -> Manifest:
        """The top of the manifest (seq, the export's own state) with its guides read shard by
        shard as they are asked for (:mod:`guidesrc.adapters.shards`). A manifest of format 1
        (one file) is taken over: its guides go to the shards, and every file is rendered again
        (``rebuild``)."""
        try:
            manifest: Manifest = orjson.loads(self.manifest_path.read_bytes())
        except FileNotFoundError:
            manifest = {"format": MANIFEST_FORMAT, "kind": self.kind, "seq": 0, "shards": {}}
        except (OSError, orjson.JSONDecodeError) as exc:
            raise ChannelError(
                _("the {kind} manifest {path} cannot be read: {reason}").format(
                    kind=self.kind, path=self.manifest_path, reason=exc
                )
            ) from exc
        if (
            not isinstance(manifest, dict)
            or manifest.get("format") not in (1, MANIFEST_FORMAT)
            or manifest.get("kind") != self.kind
        ):
            raise not_ours(self.manifest_path, self.kind)
        if manifest["format"] == 1:  # one file: taken over into shards
            guides = GuideStates(self.out, self.kind, {})
            for gid, state in sorted(dict(manifest.pop("guides", {})).items()):
                guides[gid] = state
            manifest |= {"format": MANIFEST_FORMAT, "shards": {}, "rebuild": True}
        else:
            guides = GuideStates(self.out, self.kind, dict(manifest.get("shards") or {}))
        manifest["guides"] = guides
        return manifest

    def commit(self, manifest: Manifest, shards: dict[str, int]) -> None:
        """Commit the manifest, its changed shards written (``shards``: the generations, from
        :meth:`GuideStates.save`): the top file naming them (the commit point), then the
        superseded shard files removed."""
        guides: GuideStates = manifest["guides"]
        top = {k: v for k, v in manifest.items() if k not in ("guides", "rebuild")}
        top["shards"] = shards
        write_if_changed(self.manifest_path, json_bytes(top, compact=True))
        guides.clean()
        if manifest.get("rebuild"):
            for pattern in self.legacy:
                for path in self.out.glob(pattern):
                    remove(path)

    def stored(self, state: dict[str, Any]) -> dict[str, Any]:
        """A guide's state as its shard keeps it (the mobile feed leaves its documents out)."""
        return state

    def _apply(self, manifest: Manifest, delivery: Delivery, changed: set[str]) -> dict[str, Any]:
        gid = safe_id(delivery.guide_id)
        guide = manifest["guides"].get(gid) or {
            "name": delivery.name,
            "floor": 0,
            "current": None,
            "upcoming": None,
            "withdrawn": None,
            "keys": [],
        }
        if delivery.key in guide["keys"]:  # delivered before (a retry after a crash): as lookup
            return {"channel": self.channel, "key": delivery.key, "found": True}
        entry = None if delivery.action == Action.WITHDRAW else self._entry(delivery)
        # On a copy: a delivery that cannot be exported leaves the guide as it was.
        guide = {**guide, "keys": [*guide["keys"], delivery.key]}
        result = _transition(guide, delivery, entry)
        self.check(gid, guide)
        manifest["guides"][gid] = guide
        changed.add(gid)
        if result != "superseded":
            manifest["seq"] += 1
            self.applied(manifest, delivery, result)
        return {"channel": self.channel, "key": delivery.key, "result": result}

    def _entry(self, delivery: Delivery) -> Entry:
        if delivery.guide is None or delivery.content_hash is None:
            raise ChannelError(
                _("{key}: the delivery carries no compiled guide").format(key=delivery.key)
            )
        return {
            "version": delivery.version,
            "content_hash": delivery.content_hash,
            "effective_date": delivery.effective_date.isoformat(),
            "approved_at": utc_text(delivery.approved_at),
            "notice": {
                "text": str(delivery.notice.get("text", "")),
                "effective_date": delivery.notice.get("effective_date"),
            },
            "data": self.extract(delivery),
        }


def _transition(guide: dict[str, Any], delivery: Delivery, entry: Entry | None) -> str:
    """Apply one delivery to one guide's state; the state's name after it, or "superseded"
    for a delivery older than what the guide already shows (it changes nothing)."""
    floor = guide["floor"]
    if delivery.action == Action.ANNOUNCE:
        upcoming = guide["upcoming"]
        if delivery.version <= floor or (upcoming and upcoming["version"] > delivery.version):
            return "superseded"
        guide["upcoming"] = entry
        guide["name"] = guide["name"] if guide["current"] else delivery.name
        return "upcoming"
    if delivery.version < floor:
        return "superseded"
    guide["floor"] = delivery.version
    guide["name"] = delivery.name
    if delivery.action == Action.WITHDRAW:
        guide["current"] = guide["upcoming"] = None
        guide["withdrawn"] = {
            "version": delivery.version,
            "effective_date": delivery.effective_date.isoformat(),
            "approved_at": utc_text(delivery.approved_at),
            "reason": delivery.reason or "",
        }
        return "withdrawn"
    guide["current"] = entry
    guide["withdrawn"] = None
    if guide["upcoming"] and guide["upcoming"]["version"] <= delivery.version:
        guide["upcoming"] = None
    return "current"


def shown(manifest: Manifest) -> list[tuple[str, dict[str, Any]]]:
    """Every guide of the manifest, by id (reads every shard)."""
    return sorted(manifest["guides"].items())


def touched(manifest: Manifest, changed: set[str]) -> list[str]:
    """The shards a run must render again: those of the guides it changed, or every shard when
    the manifest was taken over from the one-file layout."""
    guides: GuideStates = manifest["guides"]
    if manifest.get("rebuild"):
        return guides.shards()
    return sorted({shard_of(gid) for gid in changed})


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Files:
    """The files of an export written by a run, and per file its SHA-256 and number of items
    (``meta``, kept in the manifest for the export's ``index.json``). With ``out`` None the
    bytes are collected in ``data`` instead (a full rebuild, for comparison)."""

    def __init__(self, out: Path | None, meta: dict[str, list[Any]]) -> None:
        self.out = out
        self.meta = dict(meta)
        self.data: dict[str, bytes] = {}

    def put(self, rel: str, made: tuple[bytes, int] | None) -> None:
        """Write ``rel`` (bytes, number of items), or remove it (None)."""
        if made is None:
            self.meta.pop(rel, None)
            if self.out is not None:
                remove(self.out / rel)
            return
        data, items = made
        self.meta[rel] = [digest(data), items]
        if self.out is None:
            self.data[rel] = data
        else:
            write_if_changed(self.out / rel, data)

    def put_all(self, files: dict[str, tuple[bytes, int] | None]) -> None:
        for rel, made in files.items():
            self.put(rel, made)


def index_bytes(meta: dict[str, list[Any]], library: str, **fields: Any) -> bytes:
    """An export's ``index.json``: per file (by path), its SHA-256 and number of items."""
    listed = {rel: {"sha256": m[0], "items": m[1]} for rel, m in sorted(meta.items())}
    return json_bytes({"format": 2, "library": library, **fields, "files": listed})
