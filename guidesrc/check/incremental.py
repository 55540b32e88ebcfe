"""The last check's report and what it was made from, so that the next check does the work of
what changed only (``.guides/cache/check-last.json``, sealed with this machine's cache key).

Kept: the code fingerprint, the day and time zone, the SHA-256 of every source file and of the
list of attachments, the :class:`~guidesrc.check.library_rules.GuideIndex` (id, code and places
of every guide readable, and how often each catalogue entry is referred to), and the findings,
levels applied and located: per file those of the file alone and, for a guide, of the library
rules in it; apart, those of the catalogue-level rules.

When nothing changed the report is the one kept. When only guide files (or ``approvers.yaml``)
changed, :func:`update` re-derives the changed guides' findings, the duplicate-id and
duplicate-code findings of the guides sharing their old or new id or code, and the
catalogue-level rules (which see every guide only through the index); each changed guide's old
facts are taken from its row in :mod:`guidesrc.check.resultcache` and must match the index.
Anything else (the configuration, a catalogue, an attachment, the day, the code changed, a row
missing or unsealed) falls back to the whole check. A test holds the two to the same report.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from guidesrc import cachekey
from guidesrc.check import cachecodec
from guidesrc.check.facts import CatalogueFacts, ConfigFacts, FileResult, GuideFacts
from guidesrc.check.findings import Locator, apply_levels, library_own, ordered
from guidesrc.check.library_rules import (
    CATALOGUE_FILES,
    TEMPLATE_REGION,
    GuideIndex,
    LibraryFacts,
    catalogue_rules,
    duplicates,
    guide_library_rules,
    known_ids,
    template_placeholders,
)
from guidesrc.check.resultcache import ResultCache
from guidesrc.diagnostics import Diagnostic, RuleId
from guidesrc.library import CONFIG_FILE, LibraryLayout

_DUPLICATES = (RuleId.DUPLICATE_ID, RuleId.DUPLICATE_CODE)
#: A changed file of these makes the whole check run again.
_SHARED = frozenset((CONFIG_FILE, *CATALOGUE_FILES.values()))
#: A guide: id, implementation code, places.
GuideKey = tuple[str, str, tuple[str, ...]]


@dataclass(slots=True)
class LastCheck:
    fingerprint: str
    made_on: str  # the day of the check (ISO), in ``timezone``
    timezone: str | None
    attachments: str  # SHA-256 of the attachments' paths
    sources: dict[str, str]  # file → SHA-256
    guides: dict[str, GuideKey]  # readable guide file → id, code, places
    used: dict[str, dict[str, int]]  # catalogue kind → entry id → references from guides
    own: dict[str, list[Diagnostic]] = field(default_factory=dict)  # file → its findings
    library: list[Diagnostic] = field(default_factory=list)  # the catalogue-level findings
    counts: tuple[int, int] = (0, 0)  # guides, files

    def diagnostics(self) -> list[Diagnostic]:
        return ordered([*(d for found in self.own.values() for d in found), *self.library])

    def index(self) -> GuideIndex:
        index = GuideIndex(used={kind: dict(counts) for kind, counts in self.used.items()})
        for rel in sorted(self.guides):
            id_, code, places = self.guides[rel]
            index.ids.setdefault(id_, []).append(rel)
            index.codes.setdefault(code, []).append(rel)
            index.places[rel] = list(places)
            index.real += code[2:8] != TEMPLATE_REGION
        return index


def attachments_digest(files: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(sorted(files)).encode()).hexdigest()


def guide_key(guide: GuideFacts) -> GuideKey:
    return guide.id, guide.implementation_code, tuple(guide.places)


# --- the whole check's findings, kept ---------------------------------------------------------


def whole(
    facts: LibraryFacts, results: Mapping[str, FileResult], config: ConfigFacts | None
) -> tuple[dict[str, list[Diagnostic]], list[Diagnostic], GuideIndex]:
    """Every finding (unlocated, levels not applied): per file, and the catalogue-level ones."""
    index = GuideIndex.of(facts.guides)
    own = {rel: list(result.diagnostics) for rel, result in results.items()}
    used: dict[str, set[str]] = {kind: set() for kind in CATALOGUE_FILES}
    seen = (known_ids(facts, index), used)
    for rel, guide in facts.guides.items():
        own[rel] += guide_library_rules(facts, index, rel, guide, seen)
    library = _library_level(facts, index, used, config)
    return own, library, index


def _library_level(
    facts: LibraryFacts, index: GuideIndex, used: dict[str, set[str]], config: ConfigFacts | None
) -> list[Diagnostic]:
    library = list(catalogue_rules(facts, index, used))
    if config is not None:
        library += template_placeholders(index.real > 0, config.placeholders)
    return library


# --- the incremental check --------------------------------------------------------------------


@dataclass(slots=True)
class Change:
    """What the check sees now."""

    layout: LibraryLayout
    sources: dict[str, str]
    read: Callable[[str], bytes]  # the bytes of a file, as analysed
    analyse: Callable[[list[str]], dict[str, FileResult]]  # results of these files, analysed now


def update(
    last: LastCheck, now: Change, cache: ResultCache
) -> tuple[LastCheck, dict[str, FileResult]] | None:
    """The last check brought up to date with ``now``, and the results of the files analysed;
    None when only the whole check can tell."""
    changed = sorted(
        rel
        for rel in now.sources.keys() | last.sources.keys()
        if now.sources.get(rel) != last.sources.get(rel)
    )
    if _SHARED.intersection(changed):
        return None
    wanted = {rel: now.sources[rel] for rel in _SHARED if rel in now.sources}
    wanted |= {rel: last.sources[rel] for rel in changed if rel in last.guides}
    rows = cache.get_many(wanted)
    if len(rows) != len(wanted):
        return None  # a row missing, unsealed or of another content
    fresh = now.analyse([rel for rel in changed if rel in now.sources])
    index = last.index()
    guides = dict(last.guides)
    touched: set[tuple[int, str]] = set()  # (0, id) or (1, code) of the guides changed
    for rel in changed:
        old = rows[rel].facts if rel in last.guides else None
        if old is not None:
            if not isinstance(old, GuideFacts) or guide_key(old) != last.guides[rel]:
                return None
            index.add(rel, old, -1)
            del guides[rel]
            touched |= {(0, old.id), (1, old.implementation_code)}
        new = fresh[rel].facts if rel in fresh else None
        if isinstance(new, GuideFacts):
            index.add(rel, new)
            guides[rel] = guide_key(new)
            touched |= {(0, new.id), (1, new.implementation_code)}
    facts = library_facts(now.layout, rows, guides, dt.date.fromisoformat(last.made_on))
    config = rows[CONFIG_FILE].facts if CONFIG_FILE in rows else None
    config = config if isinstance(config, ConfigFacts) else None
    levels = config.rules if config else {}
    sharing = {rel for kind, key in touched for rel in (index.ids, index.codes)[kind].get(key, ())}
    found = _found(last, now, facts, index, (changed, fresh, sharing - set(changed), levels))
    library = _library_level(facts, index, _used(index), config)
    library += library_own(now.sources, len(now.layout.guides))
    locate = Locator(now.read, last.library)
    kept = LastCheck(
        last.fingerprint,
        last.made_on,
        last.timezone,
        last.attachments,
        dict(now.sources),
        guides,
        index.used,
        found,
        locate(apply_levels(library, levels, strict=False)),
        (len(now.layout.guides), len(now.sources)),
    )
    return kept, fresh


def _found(
    last: LastCheck,
    now: Change,
    facts: LibraryFacts,
    index: GuideIndex,
    what: tuple[list[str], dict[str, FileResult], set[str], dict[str, str]],
) -> dict[str, list[Diagnostic]]:
    """Each file's findings: kept, or re-derived for the files changed and, for duplicates,
    for the guides sharing an id or a code with them."""
    changed, fresh, sharing, levels = what
    own = dict(last.own)
    seen = (known_ids(facts, index), _used(index))
    locate = Locator(now.read)
    for rel in changed:
        own.pop(rel, None)
        if rel not in fresh:
            continue  # removed
        found = list(fresh[rel].diagnostics)
        guide = fresh[rel].facts
        if isinstance(guide, GuideFacts):
            found += guide_library_rules(facts, index, rel, guide, seen)
        if found := locate(apply_levels(found, levels, strict=False)):
            own[rel] = found
    for rel in sharing:
        before = own.pop(rel, [])
        id_, code, _places = last.guides[rel]
        again = apply_levels(duplicates(index, rel, id_, code), levels, strict=False)
        found = [d for d in before if d.rule not in _DUPLICATES]
        found += Locator(now.read, before)(again)
        if found:
            own[rel] = found
    return own


def _used(index: GuideIndex) -> dict[str, set[str]]:
    return {kind: set(index.used.get(kind, ())) for kind in CATALOGUE_FILES}


def library_facts(
    layout: LibraryLayout,
    results: Mapping[str, FileResult],
    readable: Collection[str],
    today: dt.date,
    guides: dict[str, GuideFacts] | None = None,
) -> LibraryFacts:
    """The facts of the library-wide rules: the catalogues' from ``results``, the guides
    ``readable`` (and their facts, ``guides``, when the rules look at every guide)."""
    catalogues = {
        kind: facts
        for kind, rel in CATALOGUE_FILES.items()
        if rel in results and isinstance(facts := results[rel].facts, CatalogueFacts)
    }
    complete = len(readable) == len(layout.guides) and len(catalogues) == len(CATALOGUE_FILES)
    unreadable = frozenset(Path(rel).stem for rel in layout.guides if rel not in readable)
    return LibraryFacts(guides or {}, catalogues, layout.files, complete, today, unreadable)


# --- kept between runs ------------------------------------------------------------------------


def load(path: Path) -> LastCheck | None:
    """The last check as this machine kept it, or None (missing, unsealed, of another shape)."""
    try:
        return _decode(cachekey.read_sealed(path))
    except (cachecodec.BadShape, ValueError, TypeError, KeyError):
        return None


def save(path: Path, last: LastCheck) -> None:
    data = {
        "fingerprint": last.fingerprint,
        "made_on": last.made_on,
        "timezone": last.timezone,
        "attachments": last.attachments,
        "sources": last.sources,
        "guides": last.guides,
        "used": last.used,
        "own": {rel: [cachecodec.diagnostic_data(d) for d in ds] for rel, ds in last.own.items()},
        "library": [cachecodec.diagnostic_data(d) for d in last.library],
        "counts": last.counts,
    }
    cachekey.write_sealed(path, data)


def _decode(data: Any) -> LastCheck | None:
    if type(data) is not dict:
        return None
    sources = _str_map(data["sources"])
    guides = {}
    for rel, value in _dict(data["guides"]).items():
        if type(value) is not list or len(value) != 3:
            raise cachecodec.BadShape("guide expected")
        id_, code, places = value
        if type(id_) is not str or type(code) is not str or type(places) is not list:
            raise cachecodec.BadShape("guide expected")
        guides[rel] = (id_, code, tuple(_str_list(places)))
    used = {}
    for kind, counts in _dict(data["used"]).items():
        if kind not in CATALOGUE_FILES or any(type(n) is not int for n in _dict(counts).values()):
            raise cachecodec.BadShape("counts expected")
        used[kind] = counts
    own = {rel: cachecodec.diagnostics(found) for rel, found in _dict(data["own"]).items()}
    counts = data["counts"]
    if type(counts) is not list or len(counts) != 2 or any(type(n) is not int for n in counts):
        raise cachecodec.BadShape("counts expected")
    timezone = data["timezone"]
    return LastCheck(
        _str(data["fingerprint"]),
        _str(data["made_on"]),
        None if timezone is None else _str(timezone),
        _str(data["attachments"]),
        sources,
        guides,
        used,
        own,
        cachecodec.diagnostics(data["library"]),
        (counts[0], counts[1]),
    )


def _dict(value: Any) -> dict[str, Any]:
    if type(value) is not dict:
        raise cachecodec.BadShape("mapping expected")
    return value


def _str(value: Any) -> str:
    if type(value) is not str:
        raise cachecodec.BadShape("text expected")
    return value


def _str_list(value: list[Any]) -> list[str]:
    if any(type(v) is not str for v in value):
        raise cachecodec.BadShape("text expected")
    return value


def _str_map(value: Any) -> dict[str, str]:
    found = _dict(value)
    if any(type(v) is not str for v in found.values()):
        raise cachecodec.BadShape("text expected")
    return found
