"""Reprint batches: after a publish, what hall staff must take down and put up, window by window.

A publish of the pdf channel changes sheets (a new version in force, an upcoming version, a
withdrawal). Each change is posted at every window that serves the guide (from the offices
catalogue; an office without windows is one place) and taken down wherever the guide is no longer
served. :func:`plan` groups a publish's changes into one :class:`Batch` per place; each batch is
printed as one PDF: a checklist (撤下 / 张贴, with the deadline) followed by the sheets to post, in
the checklist's order. The batch's token names the handover that ``guides print done`` confirms.

The wording is public text for hall staff in Simplified Chinese, so it is not translated.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pikepdf
import typst

from guidesrc.errors import ChannelError
from guidesrc.fsio import write_atomic
from guidesrc.i18n import _
from guidesrc.parallel import parallel_map
from guidesrc.print.fonts import FontSet
from guidesrc.print.sheet import cn_date, short_hash

CHECKLIST = Path(__file__).resolve().with_name("checklist.typ")
FOLDER = "batches"
#: Fewer batches than this are printed in the publishing process (a worker's start costs about
#: as much as printing this many).
PARALLEL_MIN = 8
_TOKEN = re.compile(r"^[0-9]{8}-[0-9]{1,9}-[a-z0-9_-]+(\.[a-z0-9_-]+)?$")

#: What each kind of sheet is called on the checklist.
SHEET_NAMES = {
    "current": "办事指南",
    "upcoming": "即将实施告知页",
    "withdrawn": "停止办理告知页",
}


@dataclass(slots=True)
class Item:
    """One guide at one place: the sheets to take down, and the one to put up (if any)."""

    guide: str
    name: str
    remove: list[dict[str, Any]]  # {"kind", "version", "effective_date"} of each old sheet
    post: dict[str, Any] | None  # {"kind", "version", "effective_date", "file", "pages", "hash"}
    change: int  # the index of the change (and so of the delivery) it belongs to


@dataclass(slots=True)
class Batch:
    token: str
    office: str
    office_name: str
    window: str | None
    window_name: str | None
    items: list[Item] = field(default_factory=list)

    @property
    def file(self) -> str:
        return f"{FOLDER}/{self.token}.pdf"

    @property
    def place(self) -> str:
        return f"{self.office_name} {self.window_name}" if self.window_name else self.office_name

    @property
    def title(self) -> str:
        return f"{self.place} 换页（{len(self.items)} 项）"

    def handover(self) -> dict[str, Any]:
        """What a delivery's receipt says of this batch (see :mod:`guidesrc.print.handover`)."""
        return {
            "token": self.token,
            "title": self.title,
            "file": self.file,
            "hall": self.office_name,
            "office": self.office,
            "window": self.window,
            "place": self.place,
        }


def token(day: dt.date, seq: int, office: str, window: str | None) -> str:
    """``20261204-12-zhongxin-dating.a-03``: the day and number of the publish, then the place
    (``.`` cannot occur in an id, so office and window are never confused)."""
    text = f"{day:%Y%m%d}-{seq}-{office}" + (f".{window}" if window else "")
    if not _TOKEN.match(text):  # ids come from the catalogue; never let one shape a path
        raise ChannelError(_('"{id}" is not a valid guide id').format(id=text))
    return text


def plan(changes: list[dict[str, Any]], day: dt.date, seq: int) -> list[Batch]:
    """One batch per place that a change touches, places and items in the changes' order."""
    batches: dict[tuple[str, str | None], Batch] = {}

    def at(place: dict[str, Any], window: dict[str, Any] | None) -> Batch:
        wid = window["id"] if window else None
        key = (str(place["id"]), wid)
        if key not in batches:
            batches[key] = Batch(
                token(day, seq, key[0], wid),
                key[0],
                str(place["name"]),
                wid,
                str(window["name"]) if window else None,
            )
        return batches[key]

    for index, change in enumerate(changes):
        now = set()
        for place, window in _spots(change["places"]):
            now.add((place["id"], window["id"] if window else None))
            at(place, window).items.append(
                Item(change["guide"], change["name"], change["replaces"], change["post"], index)
            )
        for place, window in _spots(change.get("previous_places") or []):
            if (place["id"], window["id"] if window else None) in now:
                continue
            # No longer served here: take down whatever hangs here, put nothing up.
            down = change.get("was") or change["replaces"]
            at(place, window).items.append(Item(change["guide"], change["name"], down, None, index))
    return list(batches.values())


def _spots(places: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
    """Each window of each place; a place without windows is one spot."""
    return [(p, w) for p in places for w in (p.get("windows") or [None])]


def deadline_text(due: dt.datetime | None, zone: ZoneInfo) -> str:
    """``2026 年 12 月 7 日 24:00 前`` (a deadline at midnight is the end of the day before)."""
    if due is None:
        return "见 guides print list"
    local = due.astimezone(zone)
    if local.time() == dt.time():
        return f"{cn_date(local.date() - dt.timedelta(days=1))} 24:00 前"
    return f"{cn_date(local.date())} {local:%H:%M} 前"


def _sheet_text(sheet: dict[str, Any]) -> str:
    since = cn_date(sheet["effective_date"])
    text = f"{SHEET_NAMES[sheet['kind']]} 第 {sheet['version']} 版"
    if sheet["kind"] == "withdrawn":
        return f"{text}（自 {since} 起停止办理）"
    return f"{text}（自 {since} 起实施）"


def checklist_data(batch: Batch, deadline: str, library: str) -> dict[str, Any]:
    """The JSON the checklist template reads."""
    rows = []
    pages = 0
    for no, item in enumerate(batch.items, 1):
        post = item.post
        if post is not None:
            pages += int(post["pages"])
        rows.append(
            {
                "no": str(no),
                "name": item.name,
                "guide": item.guide,
                "remove": "；".join(_sheet_text(s) for s in item.remove) or "无",
                "post": (
                    f"{_sheet_text(post)}，{post['pages']} 页，校验码 {short_hash(post['hash'])}"
                    if post
                    else "无（本处不再办理此事项）"
                ),
            }
        )
    return {
        "library": library,
        "place": batch.place,
        "token": batch.token,
        "deadline": deadline,
        "rows": rows,
        "pages": str(pages),
        "title": f"换页清单 {batch.token}",
    }


def _failed(batch: str, reason: str) -> ChannelError:
    return ChannelError(
        _("reprint batch {token}: Typst could not print the checklist: {reason}").format(
            token=batch, reason=reason
        )
    )


class BatchPrinter:
    """Prints batches: the checklist with Typst, then the posted sheets appended to it."""

    def __init__(self, fonts: FontSet) -> None:
        self._compiler = typst.Compiler(
            str(CHECKLIST),
            root=str(CHECKLIST.parent),
            font_paths=fonts.typst(),
            ignore_system_fonts=True,
        )

    def checklist(self, data: dict[str, Any], at: dt.datetime) -> bytes:
        try:
            pdf, warnings = self._compiler.compile_with_warnings(
                format="pdf",
                sys_inputs={"data": orjson.dumps(data).decode()},
                timestamp=int(at.timestamp()),
            )
        except typst.TypstError as exc:
            raise _failed(data["token"], exc.message) from exc
        if warnings:
            raise _failed(data["token"], "; ".join(w.message for w in warnings))
        assert isinstance(pdf, bytes)
        return pdf

    def batch(self, checklist: bytes, sheets: list[bytes], title: str) -> bytes:
        """One PDF: the checklist, then each sheet whole (the same pages as posted singly, each
        sheet's bookmarks under its title). No clock and no random file identifier: the same batch
        is the same bytes."""
        out = pikepdf.new()
        bookmarks: list[pikepdf.Object] = []
        for part in [checklist, *sheets]:
            source = pikepdf.open(io.BytesIO(part))
            out.pages.extend(source.pages)
            bookmarks += _top_bookmarks(out, source)
        for page in out.pages:  # the sheets' tags stay behind (their structure tree is not copied)
            if "/StructParents" in page.obj:
                del page.obj["/StructParents"]
        if bookmarks:
            out.Root.Outlines = _outline(out, bookmarks)
        out.docinfo["/Title"] = title
        out.docinfo["/Producer"] = "guidesrc"
        buffer = io.BytesIO()
        out.save(buffer, deterministic_id=True)
        return buffer.getvalue()


def _top_bookmarks(out: pikepdf.Pdf, source: pikepdf.Pdf) -> list[pikepdf.Object]:
    """The top-level bookmarks of ``source``, copied into ``out`` with their children (after its
    pages, so that their destinations are the copied pages)."""
    outlines = source.Root.get("/Outlines")
    if not isinstance(outlines, pikepdf.Dictionary) or "/First" not in outlines:
        return []
    item = out.copy_foreign(outlines).First
    items = [item]
    while "/Next" in item:
        item = item.Next
        items.append(item)
    return items


def _outline(out: pikepdf.Pdf, items: list[pikepdf.Object]) -> pikepdf.Object:
    """An outline of ``items`` (top-level bookmarks, in order), each kept as its sheet had it."""
    root = out.make_indirect(
        pikepdf.Dictionary(Type=pikepdf.Name.Outlines, First=items[0], Last=items[-1])
    )
    root.Count = len(items)
    for number, item in enumerate(items):
        item.Parent = root
        for key, neighbour in (("/Prev", number - 1), ("/Next", number + 1)):
            if 0 <= neighbour < len(items):
                item[key] = items[neighbour]
            elif key in item:
                del item[key]
    return root


@dataclass(frozen=True, slots=True)
class BatchJob:
    """One batch to print: the checklist's data and date, the sheets after it, where it goes."""

    data: dict[str, Any]  # :func:`checklist_data`
    at: dt.datetime  # the checklist's creation date
    sheets: tuple[Path, ...]  # the posted sheets, in the checklist's order
    target: Path  # written atomically


def print_batch(printer: BatchPrinter, job: BatchJob) -> Exception | None:
    """Print and write one batch; the exception that stopped it, if any (other batches go on)."""
    try:
        checklist = printer.checklist(job.data, job.at)
        sheets = [path.read_bytes() for path in job.sheets]
        write_atomic(job.target, printer.batch(checklist, sheets, job.data["title"]))
    except Exception as exc:
        return exc
    return None


def print_batches(
    jobs: Sequence[BatchJob], fonts: FontSet, workers: int
) -> Iterator[Exception | None]:
    """Print the batches, by ``workers`` processes when there are many; each one's outcome."""
    return parallel_map(print_batch, jobs, workers, BatchPrinter, (fonts,), min_items=PARALLEL_MIN)
