"""The print bundle: what the pdf channel published (its folder and ``manifest.json``, in parts:
:mod:`guidesrc.print.sheets_manifest`), read by the printer channel and the kiosk, never written
by them. A sheet is found by reading only its guide's part of the manifest.

A sheet is read only through :meth:`Bundle.read`, which checks the bytes against the SHA-256 the
manifest recorded and, when the bundle knows its library, against the channel's signed manifest
(:mod:`guidesrc.print.signed_sheets`): what goes to a printer is byte for byte what was published.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from guidesrc.errors import SheetProblem
from guidesrc.i18n import _
from guidesrc.print.sheets_manifest import MANIFEST, read_guides, read_whole
from guidesrc.print.signed_sheets import check_signed
from guidesrc.urls import is_guide_id

SLOTS = ("current", "upcoming", "withdrawn")


@dataclass(frozen=True, slots=True)
class Sheet:
    guide_id: str
    name: str
    slot: str  # current | upcoming | withdrawn
    key: str  # the delivery that wrote it
    version: int
    effective_date: str
    content_hash: str | None
    file: str  # relative to the bundle
    sha256: str
    pages: int
    places: list[dict[str, Any]]
    reason: str | None = None


class Bundle:
    def __init__(
        self, folder: Path, library: Path | None = None, channel: str | None = None
    ) -> None:
        self.folder = folder
        self.library = library  # None: the signed manifest is not checked (tests of the format)
        self.channel = channel

    def manifest(self) -> dict[str, Any]:
        """The whole manifest (every guide, every publish kept), as one dict."""
        return read_whole(self.folder)

    def signature(self) -> tuple[int, int] | None:
        """Changes when the pdf channel publishes (the manifest is replaced last)."""
        try:
            st = (self.folder / MANIFEST).stat()
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def sheets(self, manifest: dict[str, Any] | None = None) -> dict[str, dict[str, Sheet]]:
        """Every guide's sheets by slot."""
        guides = read_guides(self.folder) if manifest is None else manifest.get("guides", {})
        return _sheets(guides)

    def sheet(self, guide_id: str, slot: str) -> Sheet | None:
        """The guide's sheet in ``slot``: only the guide's part of the manifest is read."""
        if not is_guide_id(guide_id):
            return None
        return _sheets(read_guides(self.folder, guide_id)).get(guide_id, {}).get(slot)

    def read(self, sheet: Sheet) -> bytes:
        """The sheet's bytes, exactly as published; SheetProblem if they are not."""
        path = (self.folder / sheet.file).resolve()
        if not path.is_relative_to(self.folder.resolve()):
            raise SheetProblem(_("{file} is outside the print bundle").format(file=sheet.file))
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise SheetProblem(
                _("the sheet {file} cannot be read: {reason}").format(
                    file=sheet.file, reason=exc.strerror or exc
                )
            ) from exc
        if hashlib.sha256(data).hexdigest() != sheet.sha256:
            raise SheetProblem(
                _(
                    "the sheet {file} is not the one published (its SHA-256 differs from the manifest's)"
                ).format(file=sheet.file)
            )
        check_signed(self.folder, sheet.file, data, self.library)
        return data


def _sheets(guides: dict[str, Any]) -> dict[str, dict[str, Sheet]]:
    found: dict[str, dict[str, Sheet]] = {}
    for gid, entry in guides.items():
        if not is_guide_id(gid):
            continue  # never a path from an id that is not one
        slots = {s: _sheet(gid, entry, s) for s in SLOTS if isinstance(entry.get(s), dict)}
        found[gid] = slots
    return found


def _sheet(gid: str, entry: dict[str, Any], slot: str) -> Sheet:
    s = entry[slot]
    return Sheet(
        guide_id=gid,
        name=str(entry.get("name", gid)),
        slot=slot,
        key=str(s.get("key", "")),
        version=int(s.get("version", 0)),
        effective_date=str(s.get("effective_date", "")),
        content_hash=s.get("content_hash"),
        file=str(s.get("file", f"{slot}/{gid}.pdf")),
        sha256=str(s.get("sha256", "")),
        pages=int(s.get("pages", 0) or 0),
        places=list(s.get("places", [])),
        reason=s.get("reason"),
    )
