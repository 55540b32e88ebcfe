"""The print channel: one A4 PDF per guide for the physical hall (实体政务大厅), rendered with Typst.

::

    <path>/current/<id>.pdf      the version in force: every section, QR code to the online page
    <path>/upcoming/<id>.pdf     an approved version not yet in force: 即将实施, with the notice
    <path>/withdrawn/<id>.pdf    the notice that a guide was withdrawn, with the reason
    <path>/batches/<token>.pdf   a reprint batch: for one window (or office), the checklist of
                                 what to take down and put up by when, then the sheets to post
    <path>/manifest.json         every guide's sheets (version, hash, file, SHA-256, pages, the
                                 halls and windows that post it) and what each publish changed:
                                 a top file, parts and a file per publish in <path>/_state/
                                 (:mod:`guidesrc.print.sheets_manifest`)

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
import os
import shutil
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from pydantic import Field

from guidesrc.adapters.base import Delivery, FileAdapter, FolderSettings, Receipt, safe_id
from guidesrc.adapters.pdf_manifest import SLOT as SLOT  # the printer channel imports it here
from guidesrc.adapters.pdf_manifest import Manifest
from guidesrc.errors import ChannelError
from guidesrc.fsio import note
from guidesrc.parallel import default_workers
from guidesrc.print.batch import (
    Batch,
    BatchJob,
    checklist_data,
    deadline_text,
    plan,
    print_batches,
)
from guidesrc.print.fonts import FontSet, find_fonts
from guidesrc.print.render import Renderer, RenderOptions, render_many
from guidesrc.print.sheet import SheetJob
from guidesrc.urls import guide_url

if TYPE_CHECKING:
    from guidesrc.model.library import LibraryConfig

MAX_DEFAULT_WORKERS = 8  # each holds a Typst compiler and the fonts (~170 MB)


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
        self._renderer: Renderer | None = None

    @cached_property
    def fonts(self) -> FontSet | ChannelError:
        """The fonts, found once, when a sheet is first to be printed: in the channel's own
        delivery thread (Typst reads every font file's tables, ~50 ms, holding the GIL), never
        by a run that prints nothing. Missing fonts fail this channel's deliveries (recorded,
        retried after the package is installed) and leave the other channels to publish."""
        try:
            return find_fonts(self._folder(self.options.font_dir))
        except ChannelError as exc:
            return exc

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


def _utc_text(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(dt.UTC).isoformat(timespec="seconds")
