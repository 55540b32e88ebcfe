"""What stage one of `guides check` learns about each file, for the library-wide rules.

Plain named tuples: cheap to build from the cache's JSON lists (:mod:`guidesrc.check.cachecodec`)
and to send back from worker processes, and importing this module imports no models.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

from guidesrc.diagnostics import Diagnostic, PathPart

Path_ = tuple[PathPart, ...]


#: A reference from a file, at a field path, to a catalogue entry, a guide or a file:
#: ``(kind, target id, path)`` with kind "legal_basis" | "material" | "office" | "faq" | "guide" |
#: "file". A plain tuple: there are ~10 per guide, and plain tuples load from the cache fastest.
Ref = tuple[str, str, Path_]


class GuideFacts(NamedTuple):
    id: str
    name: str
    implementation_code: str
    effective_date: dt.date | None  # None: still to be completed (待补充)
    places: tuple[str, ...]
    #: (path of the requirement, material id, extra legal basis ids given in the guide)
    materials: tuple[tuple[Path_, str, tuple[str, ...]], ...]
    refs: tuple[Ref, ...]


class LegalFacts(NamedTuple):
    title: str
    in_force_from: dt.date | None  # None: still to be completed (待补充)
    repealed_on: dt.date | None
    replaced_by: str | None


class CatalogueFacts(NamedTuple):
    kind: str
    #: id → name (FAQ: the question); legal bases: id → LegalFacts; materials: id → (name, legal
    #: basis ids, or None while they are to be completed); offices: id → {window id: guide ids}
    entries: dict[str, Any]
    refs: tuple[Ref, ...] = ()


class ConfigFacts(NamedTuple):
    timezone: str
    rules: dict[str, str]
    #: template-placeholder findings, reported once the library holds guides of a real region
    placeholders: tuple[Diagnostic, ...] = ()


class FileResult(NamedTuple):
    diagnostics: list[Diagnostic]
    facts: GuideFacts | CatalogueFacts | ConfigFacts | None
