"""What a kiosk shows: the guides of the last published print bundle, searchable and by theme.

The bundle (the pdf channel's folder and manifest) decides which guides exist, in which version,
in force from when, and which are withdrawn; the text shown on screen is that same version's
compiled guide from the ledger, used only when its content hash is the one printed on the sheet.
Sections are laid out by :func:`guidesrc.print.sheet.guide_sections`, the very data the sheet
was printed from, so the screen and the paper say the same.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlmodel import col, select

from guidesrc.ledger import Ledger
from guidesrc.ledger.models import GuideVersion
from guidesrc.print.bundle import Bundle, Sheet
from guidesrc.print.sheet import cn_date, guide_sections
from guidesrc.search import synonyms
from guidesrc.search.documents import document
from guidesrc.search.index import Hit, SearchIndex

MAX_QUERY = 40  # characters of a search (a service name is rarely longer than 30)


@dataclass(frozen=True, slots=True)
class Entry:
    id: str
    name: str
    department: str
    themes: tuple[str, ...]
    current: Sheet | None  # the sheet in force: what 打印 prints
    upcoming: Sheet | None
    withdrawn: Sheet | None
    sections: dict[str, Any] | None  # guide_sections() of the version shown; None if unknown

    @property
    def shown(self) -> Sheet:
        sheet = self.withdrawn or self.current or self.upcoming
        assert sheet is not None
        return sheet

    @property
    def printable(self) -> bool:
        return self.withdrawn is None and self.current is not None

    def date(self, sheet: Sheet) -> str:
        return cn_date(sheet.effective_date) if sheet.effective_date else ""


@dataclass(frozen=True, slots=True)
class Catalog:
    entries: dict[str, Entry]
    themes: list[tuple[str, int]] = field(default_factory=list)  # name, guides; most first
    departments: list[tuple[str, int]] = field(default_factory=list)
    index: SearchIndex | None = None  # of the listed guides (guidesrc.search: as the site's)

    def listed(self) -> list[Entry]:
        """The guides a citizen can find (withdrawn ones only by their address)."""
        return sorted(
            (e for e in self.entries.values() if e.withdrawn is None), key=lambda e: e.name
        )

    def search(self, query: str) -> list[Entry]:
        """The listed guides answering ``query``, best first (the site's ranking)."""
        return [entry for entry, _hit in self.hits(query)]

    def hits(self, query: str, limit: int = 50) -> list[tuple[Entry, Hit]]:
        if self.index is None:
            return []
        found = self.index.search(query, limit)
        return [(self.entries[h.id], h) for h in found if h.id in self.entries]

    def suggestions(self, query: str) -> list[str]:
        """The nearest spellings of a query that found nothing."""
        return self.index.suggestions(query) if self.index is not None else []

    def in_theme(self, index: int) -> tuple[str, list[Entry]] | None:
        if not 0 <= index < len(self.themes):
            return None
        name = self.themes[index][0]
        return name, [e for e in self.listed() if name in e.themes]

    def in_department(self, index: int) -> tuple[str, list[Entry]] | None:
        if not 0 <= index < len(self.departments):
            return None
        name = self.departments[index][0]
        return name, [e for e in self.listed() if e.department == name]


def load_catalog(bundle: Bundle, ledger: Ledger | None) -> Catalog:
    """The bundle's guides, with their text from the ledger when it has the printed version."""
    sheets = bundle.sheets()
    compiled = _compiled(ledger, sheets) if ledger is not None else {}
    entries: dict[str, Entry] = {}
    documents: list[dict[str, Any]] = []
    for gid, slots in sheets.items():
        current, upcoming, withdrawn = (slots.get(s) for s in ("current", "upcoming", "withdrawn"))
        shown = withdrawn or current or upcoming
        if shown is None:
            continue
        guide = None if withdrawn else compiled.get((gid, (current or shown).content_hash))
        department = (guide["implementing_body"].get("name") or "") if guide else ""
        themes = tuple(guide.get("themes", [])) if guide else ()
        entries[gid] = Entry(
            id=gid,
            name=shown.name,
            department=department,
            themes=themes,
            current=current,
            upcoming=upcoming,
            withdrawn=withdrawn,
            sections=guide_sections(guide) if guide else None,
        )
        if withdrawn is None:
            documents.append(document(guide or {"id": gid, "name": shown.name}))
    listed = [e for e in entries.values() if e.withdrawn is None]
    by_theme = Counter(t for e in listed for t in e.themes)
    by_department = Counter(e.department for e in listed if e.department)
    return Catalog(
        entries,
        sorted(by_theme.items(), key=lambda kv: (-kv[1], kv[0])),
        sorted(by_department.items(), key=lambda kv: (-kv[1], kv[0])),
        SearchIndex.from_documents(documents, synonyms.load(bundle.library)),
    )


def _compiled(
    ledger: Ledger, sheets: dict[str, dict[str, Sheet]]
) -> dict[tuple[str, str | None], dict[str, Any]]:
    """The compiled guide of every printed version, by (guide, content hash)."""
    wanted = {
        (gid, sheet.version): sheet.content_hash
        for gid, slots in sheets.items()
        for sheet in slots.values()
        if sheet.content_hash
    }
    found: dict[tuple[str, str | None], dict[str, Any]] = {}
    if not wanted:
        return found
    ids = sorted({gid for gid, _v in wanted})
    with ledger.session() as session:
        for chunk in range(0, len(ids), 500):
            query = select(GuideVersion).where(
                col(GuideVersion.guide_id).in_(ids[chunk : chunk + 500])
            )
            for version in session.exec(query):
                expected = wanted.get((version.guide_id, version.version))
                if expected and version.content_hash == expected and version.compiled:
                    found[(version.guide_id, expected)] = orjson.loads(version.compiled)
    return found
