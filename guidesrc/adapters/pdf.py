"""The print channel: one A4 PDF per guide for the physical hall (实体政务大厅), rendered with Typst.

::

    <path>/current/<id>.pdf      the version in force: every section, QR code to the online page
    <path>/upcoming/<id>.pdf     an approved version not yet in force: 即将实施, with the notice
    <path>/withdrawn/<id>.pdf    the notice that a guide was withdrawn, with the reason
    <path>/batches/<token>.pdf   a reprint batch: for one window (or office), the checklist of
                                 what to take down and put up by when, then the sheets to post
    <path>/manifest.json         every guide's sheets (version, hash, file, SHA-256, pages, the
                                 halls and windows that post it) and what each publish changed

Settings (``library.yaml``)::

    channels:
      print:
        type: pdf
        settings:
          path: .guides/print     # relative to the library, or absolute
          large_print: false      # true: bigger type, one column (for elderly readers)
          font_dir: null          # default: Debian fonts-noto-cjk, else where fontconfig has it
          pdf_a: true             # PDF/A-2b
          workers: null           # processes for large batches (default: one per CPU, at most 8)
          batches: true           # reprint batches for hall staff (false: sheets only)

Every file is replaced atomically (written beside, then renamed) and a sheet is a function of its
delivery, so delivering again writes the same bytes: deliveries are idempotent. The publisher hands
over every due delivery at once (``batch_size = None``): a large batch (the first publish of a
library, a catalogue change reaching many guides) is printed by a pool of processes
(:func:`guidesrc.parallel.parallel_map`), its sheets first, then its reprint batches. The manifest
keeps, per publish, which sheets were posted and removed where.

**Reprint batches** (``batches: true``, the default): after each publish, one batch per window
that serves a changed guide (an office without windows is one place), from the offices catalogue:
a PDF with the checklist (撤下 / 张贴, the deadline) and the sheets to post
(:mod:`guidesrc.print.batch`). A delivery posted somewhere is then a handover: ``awaiting``, still
counted against its deadline, until hall staff confirm every batch it is part of (``guides print
done TOKEN``; ``guides print list`` shows what is outstanding). A guide served at no window is
delivered when its sheet is written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import orjson
from pydantic import Field

from guidesrc.adapters.base import Delivery, FileAdapter, FolderSettings, Receipt, safe_id
from guidesrc.errors import ChannelError
from guidesrc.fsio import note, write_atomic
from guidesrc.gaps import UNKNOWN_PLACE
from guidesrc.parallel import default_workers
from guidesrc.print.batch import (
    FOLDER,
    Batch,
    BatchJob,
    checklist_data,
    deadline_text,
    plan,
    print_batches,
)
from guidesrc.print.fonts import FontSet, find_fonts
from guidesrc.print.render import Renderer, RenderOptions, page_count, render_many
from guidesrc.print.sheet import Kind, SheetJob
from guidesrc.statuses import Action
from guidesrc.urls import guide_url

if TYPE_CHECKING:
    from guidesrc.model.library import LibraryConfig

MANIFEST = "manifest.json"
FORMAT = 1
RUNS_KEPT = 100  # publishes whose changes the manifest keeps (newest last)
MAX_DEFAULT_WORKERS = 8  # each holds a Typst compiler and the fonts (~170 MB)
_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2

#: The folder (and the manifest's slot) of each action's sheet.
SLOT: dict[str, Kind] = {
    "publish": "current",
    "activate": "current",
    "announce": "upcoming",
    "withdraw": "withdrawn",
}


class PdfSettings(FolderSettings):
    large_print: bool = False
    font_dir: str | None = None  # a folder with Noto Sans CJK SC (regular and bold)
    pdf_a: bool = True
    workers: int | None = Field(default=None, ge=1, le=64)
    batches: bool = True  # reprint batches per window, each confirmed by hall staff


class PdfAdapter(FileAdapter[PdfSettings]):
    Settings = PdfSettings
    batch_size = None  # all due deliveries at once: large batches are printed in parallel
    incremental = True  # a sheet per delivered guide; the batches of the places they touch
    printable = True  # the printer channel and the kiosk print its sheets

    def __init__(
        self, channel: str, settings: PdfSettings, library: Path, config: LibraryConfig
    ) -> None:
        super().__init__(channel, settings, library, config)
        self.options = settings
        # Found once, at start-up. Missing fonts fail this channel's deliveries (recorded, retried
        # after the package is installed) and leave the other channels to publish.
        self.fonts: FontSet | ChannelError
        try:
            self.fonts = find_fonts(self._folder(settings.font_dir))
        except ChannelError as exc:
            self.fonts = exc
        self._renderer: Renderer | None = None

    @property
    def out(self) -> Path:
        return self.folder

    def _folder(self, path: str | None) -> Path | None:
        return None if path is None else self.library / path

    # --- the Adapter interface ---------------------------------------------------------------

    def deliver_many(self, work: Sequence[tuple[Delivery, bool]]) -> list[Receipt | Exception]:
        manifest = Manifest.load(self.out)
        results: list[dict[str, Any] | Exception | None] = [None] * len(work)
        todo: list[tuple[int, Delivery]] = []
        for i, (delivery, retry) in enumerate(work):
            try:
                safe_id(delivery.guide_id)
                receipt = manifest.receipt(self.out, delivery) if retry else None
            except Exception as exc:
                results[i] = exc
                continue
            if receipt is not None:
                results[i] = receipt
            else:
                todo.append((i, delivery))
        if todo and isinstance(self.fonts, ChannelError):
            for i, _delivery in todo:
                results[i] = self.fonts
            todo = []
        if todo:
            kept = _Kept(self.out) if self.options.batches else None
            try:
                changes = self._print(manifest, todo, results, kept)
                if changes and self.options.batches:
                    assert kept is not None
                    changes = self._batches(manifest, changes, results, kept)
            finally:
                if kept is not None:
                    kept.discard()
            for change in changes:
                del change["index"]
            for name in manifest.add_run(changes):
                (self.out / name).unlink(missing_ok=True)
            manifest.save(self.out)
        assert all(r is not None for r in results)
        return results  # type: ignore[return-value]

    def lookup(self, delivery: Delivery) -> dict[str, Any] | None:
        return Manifest.load(self.out).receipt(self.out, delivery)

    def close(self) -> None:
        self._renderer = None

    # --- printing ----------------------------------------------------------------------------

    def _print(
        self,
        manifest: Manifest,
        todo: list[tuple[int, Delivery]],
        results: list[dict[str, Any] | Exception | None],
        kept: _Kept | None,
    ) -> list[dict[str, Any]]:
        """Render the sheets (in parallel when many), then put each in place in order."""
        assert isinstance(self.fonts, FontSet)
        options = RenderOptions(self.fonts, pdf_a=self.options.pdf_a)
        jobs = []
        for i, delivery in list(todo):
            try:
                jobs.append(self._job(delivery))
            except Exception as exc:  # this delivery fails; the others go on
                results[i] = exc
                todo.remove((i, delivery))
        changes = []
        rendered = render_many(jobs, options, self._workers, local=self._local)
        for (i, delivery), pdf in zip(todo, rendered, strict=True):
            if isinstance(pdf, Exception):
                results[i] = pdf
                continue
            try:
                if kept is not None:
                    kept.keep(manifest, delivery.guide_id)
                receipt, change = manifest.apply(self.out, delivery, pdf)
            except Exception as exc:  # e.g. the disk is full: this delivery fails, others go on
                results[i] = exc
                continue
            results[i] = receipt
            if change is not None:
                change["index"] = i
                change["deadline"] = _utc_text(delivery.deadline)
                changes.append(change)
        return changes

    def _batches(
        self,
        manifest: Manifest,
        changes: list[dict[str, Any]],
        results: list[dict[str, Any] | Exception | None],
        kept: _Kept,
    ) -> list[dict[str, Any]]:
        """Print one reprint batch per place the run's changes touch, and make each delivery
        posted somewhere wait for its batches (the handovers in its receipt). A batch that cannot
        be printed fails the deliveries in it: their guides' sheets are put back as they were
        (``kept``), so a retry prints them and their batches again. The changes that stand."""
        config = self.config
        zone = ZoneInfo(config.timezone)
        day = dt.datetime.now(dt.UTC).astimezone(zone).date()
        seq = manifest.next_seq
        failed: dict[int, Exception] = {}
        for number, change in enumerate(changes):
            try:  # the places of this change make valid batch names
                plan([change], day, seq)
            except Exception as exc:
                failed[number] = exc
        # Dated by the publish's day, not its second: a batch written again (a run retried after
        # a crash) has the same bytes.
        dating = (dt.datetime.combine(day, dt.time(), zone), zone, config.name)
        while True:  # again without the changes of a batch that failed (they are in no batch)
            guides = {changes[n]["guide"]: error for n, error in failed.items()}
            for number, change in enumerate(changes):  # a guide fails with all its changes
                if change["guide"] in guides:
                    failed.setdefault(number, guides[change["guide"]])
            standing = [n for n in range(len(changes)) if n not in failed]
            batches = plan([changes[n] for n in standing], day, seq)
            printed = self._print_batches(batches, changes, standing, failed, kept, dating)
            if len(standing) + len(failed) == len(changes):
                break
        for batch in printed:  # staged by the workers: put in place, with the run's receipts
            kept.post(batch.file)
            for number in {standing[item.change] for item in batch.items}:
                changes[number].setdefault("batches", []).append(batch.token)
                receipt = results[changes[number]["index"]]
                assert isinstance(receipt, dict)
                receipt.setdefault("handover", []).append(batch.handover())
        return self._settle(manifest, changes, results, kept, failed, standing)

    def _print_batches(
        self,
        batches: list[Batch],
        changes: list[dict[str, Any]],
        standing: list[int],
        failed: dict[int, Exception],
        kept: _Kept,
        dating: tuple[dt.datetime, ZoneInfo, str],
    ) -> list[Batch]:
        """Print ``batches`` into ``kept``'s staging folder (in parallel when many): the
        checklist dated ``at``, deadlines in ``zone``, headed by the library's name. A batch that
        cannot be printed fails its changes (in ``failed``). The batches printed."""
        assert isinstance(self.fonts, FontSet)
        at, zone, library = dating
        jobs: list[tuple[Batch, BatchJob]] = []
        for batch in batches:
            try:
                items = [changes[standing[item.change]] for item in batch.items]
                due = [change["deadline"] for change in items]
                deadline = min((dt.datetime.fromisoformat(d) for d in due if d), default=None)
                data = checklist_data(batch, deadline_text(deadline, zone), library)
                sheets = tuple(self.out / item.post["file"] for item in batch.items if item.post)
                jobs.append((batch, BatchJob(data, at, sheets, kept.stage(batch.file))))
            except Exception as exc:  # this place's deliveries fail; other places go on
                for item in batch.items:
                    failed.setdefault(standing[item.change], exc)
        printed = []
        outcomes = print_batches([job for _batch, job in jobs], self.fonts, self._workers)
        for (batch, _job), error in zip(jobs, outcomes, strict=True):
            if error is None:
                printed.append(batch)
                continue
            for item in batch.items:
                failed.setdefault(standing[item.change], error)
        return printed

    def _settle(
        self,
        manifest: Manifest,
        changes: list[dict[str, Any]],
        results: list[dict[str, Any] | Exception | None],
        kept: _Kept,
        failed: dict[int, Exception],
        standing: list[int],
    ) -> list[dict[str, Any]]:
        """Put back the guides whose batch failed, note each standing sheet's handovers; the
        changes that stand."""
        for number, error in failed.items():
            change = changes[number]
            kept.restore(manifest, change["guide"])
            results[change["index"]] = error
        for number in standing:
            change = changes[number]
            receipt = results[change["index"]]
            assert isinstance(receipt, dict)
            if receipt.get("handover"):
                sheet = manifest.guides[change["guide"]][SLOT[change["action"]]]
                sheet["handover"] = receipt["handover"]
        return [changes[n] for n in standing]

    @property
    def _workers(self) -> int:
        """Processes for a large batch of sheets or reprint batches."""
        return self.options.workers or default_workers(MAX_DEFAULT_WORKERS)

    def _local(self, options: RenderOptions) -> Renderer:
        """This process's compiler, kept for the run (a small batch is printed here)."""
        if self._renderer is None:
            self._renderer = Renderer(options)
        return self._renderer

    def _job(self, delivery: Delivery) -> SheetJob:
        return SheetJob(
            kind=SLOT[delivery.action],
            url=guide_url(self.config.base_url, delivery.guide_id),
            large=self.options.large_print,
            **delivery.content(),
        )


class _Kept:
    """What a guide's sheets were before this run changed them (its manifest entry, and its
    files as hard links in a hidden folder): put back when its reprint batch fails. The same
    folder stages the run's reprint batches until every one is printed (:meth:`stage`)."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.folder = out / f".kept-{os.getpid()}"
        self.entries: dict[str, dict[str, Any] | None] = {}
        self.files: dict[str, list[str]] = {}

    def keep(self, manifest: Manifest, gid: str) -> None:
        if gid in self.entries:
            return  # the first state of this run is the one to go back to
        entry = manifest.guides.get(gid)
        self.entries[gid] = dict(entry) if entry is not None else None
        self.files[gid] = []
        for slot in ("current", "upcoming", "withdrawn"):
            if entry is not None and slot in entry:
                rel = entry[slot]["file"]
                target = self.folder / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.link(self.out / rel, target)
                except FileNotFoundError:
                    continue
                self.files[gid].append(rel)

    def restore(self, manifest: Manifest, gid: str) -> None:
        for slot in ("current", "upcoming", "withdrawn"):
            (self.out / f"{slot}/{gid}.pdf").unlink(missing_ok=True)
        for rel in self.files.get(gid, []):
            os.replace(self.folder / rel, self.out / rel)
            note(self.out / rel)  # put back by this run: the journal names it (channel_audit)
        entry = self.entries.get(gid)
        if entry is None:
            manifest.guides.pop(gid, None)
        else:
            manifest.guides[gid] = entry

    def stage(self, rel: str) -> Path:
        """Where the file ``rel`` of the channel is written before it is put in place."""
        return self.folder / "staged" / rel

    def post(self, rel: str) -> None:
        """Put the staged file ``rel`` in place (an atomic rename: the file was written whole)."""
        target = self.out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.stage(rel), target)
        note(target)  # written by this run (in a worker): the journal names it (channel_audit)

    def discard(self) -> None:
        if self.folder.exists():
            shutil.rmtree(self.folder, ignore_errors=True)


# --- the manifest -------------------------------------------------------------------------------


class Manifest:
    """``manifest.json``: the sheets each guide has in the channel, and each publish's changes.

    Per guide: ``current``, ``upcoming`` and ``withdrawn`` (each present when that sheet exists)
    with the delivery key that wrote it, the version, content hash, effective date, file, its
    SHA-256 and pages, and the places (halls, windows) that serve the guide. ``runs``: per
    publish, which sheets were posted and removed, and where.
    """

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    @classmethod
    def load(cls, out: Path) -> Manifest:
        try:
            data = orjson.loads((out / MANIFEST).read_bytes())
        except FileNotFoundError:
            data = {"format": FORMAT, "guides": {}, "runs": []}
        return cls(data)

    @property
    def guides(self) -> dict[str, dict[str, Any]]:
        guides: dict[str, dict[str, Any]] = self.data["guides"]
        return guides

    def save(self, out: Path) -> None:
        self.data["guides"] = dict(sorted(self.guides.items()))
        write_atomic(out / MANIFEST, orjson.dumps(self.data, option=_OPTIONS))

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
        runs: list[dict[str, Any]] = self.data.get("runs") or []
        return int(runs[-1]["seq"]) + 1 if runs else 1

    def add_run(self, changes: list[dict[str, Any]]) -> list[str]:
        """Record one publish's changes (kept for the newest :data:`RUNS_KEPT` publishes).
        Returns the batch files of the publishes no longer kept, to delete."""
        if not changes:
            return []
        runs: list[dict[str, Any]] = self.data.setdefault("runs", [])
        seq = self.next_seq
        at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        runs.append({"seq": seq, "at": at, "changes": changes})
        dropped = runs[:-RUNS_KEPT]
        del runs[:-RUNS_KEPT]
        return sorted(
            {
                f"{FOLDER}/{token}.pdf"
                for run in dropped
                for change in run["changes"]
                for token in change.get("batches", [])
            }
        )


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


def _utc_text(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(dt.UTC).isoformat(timespec="seconds")


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
