"""The pdf channel's manifest as a publish uses it: each guide's sheets, and each publish's
changes (on disk in parts: :mod:`guidesrc.print.sheets_manifest`).

Per guide: ``current``, ``upcoming`` and ``withdrawn`` (each present when that sheet exists)
with the delivery key that wrote it, the version, content hash, effective date, file, its
SHA-256 and pages, and the places (halls, windows) that serve the guide. Per publish (kept for
the newest :data:`RUNS_KEPT`): which sheets were posted and removed, and where.

A publish reads only the parts of the guides it delivers (and the top file), and writes only
the parts it changed, its run's file and the top file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any

from guidesrc.adapters.base import Delivery
from guidesrc.fsio import write_atomic
from guidesrc.gaps import UNKNOWN_PLACE
from guidesrc.print import sheets_manifest as store
from guidesrc.print.batch import FOLDER
from guidesrc.print.render import page_count
from guidesrc.print.sheet import Kind
from guidesrc.statuses import Action

RUNS_KEPT = 100  # publishes whose changes the manifest keeps (newest last)

#: The folder (and the manifest's slot) of each action's sheet.
SLOT: dict[str, Kind] = {
    "publish": "current",
    "activate": "current",
    "announce": "upcoming",
    "withdraw": "withdrawn",
}


class Guides(MutableMapping[str, dict[str, Any]]):
    """The guides' entries, read part by part when first needed. A part is written again when
    one of its entries was handed out for change (``[]``, ``setdefault``, ``pop``, assignment);
    :meth:`get` is for reading only."""

    def __init__(self, folder: Path, parts: dict[str, str]) -> None:
        self.folder = folder
        self.parts = parts  # shard -> digest, as the top file names them
        self.shards: dict[str, store.Entries] = {}
        self.dirty: set[str] = set()

    def shard(self, hh: str) -> store.Entries:
        found = self.shards.get(hh)
        if found is None:
            digest = self.parts.get(hh)
            found = {} if digest is None else store.read_part(self.folder, digest)
            self.shards[hh] = found
        return found

    def get(self, gid: str, default: Any = None) -> Any:
        return self.shard(store.shard_of(gid)).get(gid, default)

    def __getitem__(self, gid: str) -> dict[str, Any]:
        hh = store.shard_of(gid)
        entry = self.shard(hh)[gid]
        self.dirty.add(hh)
        return entry

    def __setitem__(self, gid: str, entry: dict[str, Any]) -> None:
        hh = store.shard_of(gid)
        self.shard(hh)[gid] = entry
        self.dirty.add(hh)

    def __delitem__(self, gid: str) -> None:
        hh = store.shard_of(gid)
        del self.shard(hh)[gid]
        self.dirty.add(hh)

    def __iter__(self) -> Iterator[str]:
        for hh in sorted(set(self.parts) | set(self.shards)):
            yield from sorted(self.shard(hh))

    def __len__(self) -> int:
        return sum(len(self.shard(hh)) for hh in set(self.parts) | set(self.shards))

    def changed_parts(self) -> tuple[dict[str, str], dict[str, bytes]]:
        """Every shard's digest after the changes, and the bytes of the parts that are new."""
        parts = dict(self.parts)
        new: dict[str, bytes] = {}
        for hh in sorted(self.dirty):
            entries = self.shards[hh]
            if not entries:
                parts.pop(hh, None)
                continue
            digest, data = store.part_body(entries)  # its keys sorted in the bytes
            if self.parts.get(hh) != digest:
                parts[hh] = digest
                new[digest] = data
        return dict(sorted(parts.items())), new


class Manifest:
    """The channel's manifest: :attr:`guides` (read part by part) and the publishes kept."""

    def __init__(self, folder: Path, top: dict[str, Any]) -> None:
        self.folder = folder
        self.runs: list[dict[str, Any]] = []  # seq, at, file (the changes: in that file)
        self.pending: dict[int, list[dict[str, Any]]] = {}  # changes not written yet, by seq
        if top.get("format", store.SINGLE_FORMAT) == store.SINGLE_FORMAT:
            # Taken over: every part and every run's file is written by the next save.
            self.guides = Guides(folder, {})
            for gid, entry in (top.get("guides") or {}).items():
                self.guides[gid] = entry
            for run in top.get("runs") or []:
                self.runs.append(
                    {"seq": run["seq"], "at": run["at"], "file": store.run_rel(run["seq"])}
                )
                self.pending[int(run["seq"])] = run["changes"]
        else:
            self.guides = Guides(folder, dict(top.get("parts") or {}))
            self.runs = list(top.get("runs") or [])

    @classmethod
    def load(cls, out: Path) -> Manifest:
        return cls(out, store.read_top(out) or store.empty_top())

    def save(self, out: Path) -> None:
        """Write the changed parts, the new runs' files, then the top file."""
        parts, new = self.guides.changed_parts()
        runs = {store.run_rel(seq): changes for seq, changes in self.pending.items()}
        top = {"format": store.FORMAT, "parts": parts, "runs": self.runs}
        store.write(out, top, new, runs)
        self.guides.parts, self.guides.dirty = parts, set()
        self.pending = {}

    def receipt(self, out: Path, delivery: Delivery) -> dict[str, Any] | None:
        """The receipt of ``delivery`` if its sheet is in place, intact; else None."""
        sheet = self.guides.get(delivery.guide_id, {}).get(SLOT[delivery.action])
        if not sheet or sheet["key"] != delivery.key:
            return None
        try:
            data = (out / sheet["file"]).read_bytes()
        except FileNotFoundError:
            return None
        if hashlib.sha256(data).hexdigest() != sheet["sha256"]:
            return None
        return _receipt(sheet)

    def apply(
        self, out: Path, delivery: Delivery, pdf: bytes
    ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """Put ``pdf`` in place for ``delivery``; the receipt, and the change (None if stale)."""
        gid = delivery.guide_id
        entry = self.guides.setdefault(gid, {"name": delivery.name})
        newer = _newer_version(entry, delivery)
        if newer is not None:
            # A late retry of an older version never replaces what a newer one put in place.
            return {"file": None, "superseded_by": newer}, None
        slot = SLOT[delivery.action]
        rel = f"{slot}/{gid}.pdf"
        sheet = {
            "key": delivery.key,
            "version": delivery.version,
            "content_hash": delivery.content_hash,
            "effective_date": delivery.effective_date.isoformat(),
            "file": rel,
            "sha256": hashlib.sha256(pdf).hexdigest(),
            "bytes": len(pdf),
            "pages": page_count(pdf),
            "places": _places(delivery.guide) if delivery.guide else _where(entry),
        }
        if delivery.reason is not None:
            sheet["reason"] = delivery.reason
        was = _where(entry)
        old = entry.get(slot)
        replaces = [_shown(slot, old)] if old else []
        # What hangs now where the guide is served (for a place that no longer serves it).
        hanging = [_shown(s, entry[s]) for s in ("current", "upcoming", "withdrawn") if s in entry]
        write_atomic(out / rel, pdf)
        removed: list[str] = []
        if slot == "withdrawn":
            removed = [s for s in ("current", "upcoming") if s in entry]
        elif slot == "current":
            removed = [s for s in ("withdrawn",) if s in entry]
            upcoming = entry.get("upcoming")
            if upcoming and upcoming["version"] <= delivery.version:
                removed.append("upcoming")
        replaces += [_shown(s, entry[s]) for s in removed]
        files = [entry.pop(s)["file"] for s in removed]
        for name in files:
            (out / name).unlink(missing_ok=True)
        entry[slot] = sheet
        entry["name"] = delivery.name
        change = {
            "guide": gid,
            "name": delivery.name,
            "action": delivery.action,
            "version": delivery.version,
            "posted": rel,
            "removed": files,
            "places": sheet["places"],
            "replaces": replaces,
            "was": hanging,
            "post": {**_shown(slot, sheet), "file": rel, "pages": sheet["pages"]},
        }
        if was != sheet["places"]:
            change["previous_places"] = was
        return _receipt(sheet), change

    @property
    def next_seq(self) -> int:
        return int(self.runs[-1]["seq"]) + 1 if self.runs else 1

    def add_run(self, changes: list[dict[str, Any]]) -> list[str]:
        """Record one publish's changes (kept for the newest :data:`RUNS_KEPT` publishes).
        Returns the batch files of the publishes no longer kept, to delete."""
        if not changes:
            return []
        seq = self.next_seq
        at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        self.runs.append({"seq": seq, "at": at, "file": store.run_rel(seq)})
        self.pending[seq] = changes
        dropped = self.runs[:-RUNS_KEPT]
        del self.runs[:-RUNS_KEPT]
        files: set[str] = set()
        for run in dropped:
            old = self.pending.pop(int(run["seq"]), None)
            if old is None:
                try:
                    old = store.read_run(self.folder, run)
                except FileNotFoundError:
                    old = []
            files.update(
                f"{FOLDER}/{token}.pdf" for change in old for token in change.get("batches", [])
            )
        return sorted(files)


def _receipt(sheet: dict[str, Any]) -> dict[str, Any]:
    receipt = {k: sheet[k] for k in ("file", "sha256", "bytes", "pages")}
    if sheet.get("handover"):
        receipt["handover"] = sheet["handover"]
    return receipt


def _shown(slot: str, sheet: dict[str, Any]) -> dict[str, Any]:
    """A sheet as the checklist names it: its kind, version, effective date and hash."""
    return {
        "kind": slot,
        "version": sheet["version"],
        "effective_date": sheet["effective_date"],
        "hash": sheet.get("content_hash"),
    }


def _newer_version(entry: dict[str, Any], delivery: Delivery) -> int | None:
    """The version already shown that makes ``delivery`` stale, if any."""
    shown = [entry[s]["version"] for s in ("current", "withdrawn") if s in entry]
    latest = max(shown, default=0)
    if delivery.action == Action.ANNOUNCE:
        return latest if latest >= delivery.version else None
    return latest if latest > delivery.version else None


def _places(guide: dict[str, Any]) -> list[dict[str, Any]]:
    """Where the guide is served: each office and the windows there (for hall staff)."""
    return [
        {
            "id": p["id"],
            # hall staff find an office whose name is pending by its id in offices.yaml
            "name": p.get("name") or f"{UNKNOWN_PLACE}（{p['id']}）",
            "windows": [{"id": w["id"], "name": w["name"]} for w in p.get("windows", [])],
        }
        for p in guide.get("places", [])
    ]


def _where(entry: dict[str, Any]) -> list[dict[str, Any]]:
    """Where the guide's posted sheet hangs now (the current one, else the upcoming one)."""
    for slot in ("current", "upcoming", "withdrawn"):
        if slot in entry:
            places: list[dict[str, Any]] = entry[slot]["places"]
            return places
    return []
