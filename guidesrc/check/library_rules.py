"""Stage two of `guides check`: the rules that look across files.

They work on the facts of stage one (ids, codes, references), never on the models, so they run in
milliseconds on a 10,000-guide library whether or not its files came from the cache.
"""

from __future__ import annotations

import bisect
import datetime as dt
import difflib
from collections.abc import Container, Iterator
from dataclasses import dataclass, field

from guidesrc.check.facts import CatalogueFacts, GuideFacts, LegalFacts, Path_, Ref
from guidesrc.diagnostics import Diagnostic, RuleId, error_at
from guidesrc.i18n import N_

CATALOGUE_FILES = {
    "materials": "catalogues/materials.yaml",
    "legal-bases": "catalogues/legal-bases.yaml",
    "offices": "catalogues/offices.yaml",
    "faq": "catalogues/faq.yaml",
}
_KIND_CATALOGUE = {
    "legal_basis": "legal-bases",
    "material": "materials",
    "office": "offices",
    "faq": "faq",
}
_KIND_NAMES = {
    "legal_basis": N_("legal basis"),
    "material": N_("material"),
    "office": N_("office"),
    "faq": N_("FAQ entry"),
    "guide": N_("guide"),
}


@dataclass(frozen=True, slots=True)
class LibraryFacts:
    guides: dict[str, GuideFacts]  # by file
    catalogues: dict[str, CatalogueFacts]  # by kind; a missing or broken catalogue is absent
    files: frozenset[str]  # paths of attachments under files/
    complete: bool  # False when some file could not be read: "unused" cannot be judged then
    today: dt.date
    #: ids (file names) of guides that could not be read: references to them are not "unknown"
    unreadable: frozenset[str] = frozenset()


@dataclass(slots=True)
class GuideIndex:
    """What the library-wide rules need to know of every guide, kept up to date one guide at a
    time (:mod:`guidesrc.check.incremental`): a changed guide re-derives its own diagnostics and
    those of the guides sharing its id or code, never the whole library's."""

    ids: dict[str, list[str]] = field(default_factory=dict)  # guide id → files, sorted
    codes: dict[str, list[str]] = field(default_factory=dict)  # implementation code → files
    places: dict[str, list[str]] = field(default_factory=dict)  # file → office ids
    #: catalogue kind → entry id → how many references from guides
    used: dict[str, dict[str, int]] = field(default_factory=dict)
    real: int = 0  # guides whose code is not of the template's region

    def add(self, rel: str, guide: GuideFacts, sign: int = 1, refs: bool = True) -> None:
        """Count ``guide`` (from the file ``rel``) in; ``sign`` -1: count it out. ``refs``:
        count its references too (``used``; a whole check finds them as it checks them)."""
        for table, key in ((self.ids, guide.id), (self.codes, guide.implementation_code)):
            rels = table.setdefault(key, [])
            if sign > 0:
                bisect.insort(rels, rel)
            else:
                rels.remove(rel)
                if not rels:
                    del table[key]
        if sign > 0:
            self.places[rel] = list(guide.places)
        else:
            self.places.pop(rel, None)
        for kind, target, _path in guide.refs if refs else ():
            if (catalogue := _KIND_CATALOGUE.get(kind)) is not None:
                counts = self.used.setdefault(catalogue, {})
                counts[target] = counts.get(target, 0) + sign
                if not counts[target]:
                    del counts[target]
        self.real += sign * (guide.implementation_code[2:8] != TEMPLATE_REGION)

    @classmethod
    def of(cls, guides: dict[str, GuideFacts], refs: bool = True) -> GuideIndex:
        index = cls()
        for rel, guide in guides.items():
            index.add(rel, guide, refs=refs)
        return index


#: The ids each kind of reference may name (:func:`known_ids`), and the catalogue ids used so far.
_Seen = tuple[dict[str, tuple[Container[str], str] | None], dict[str, set[str]]]


def guide_library_rules(
    facts: LibraryFacts, index: GuideIndex, rel: str, guide: GuideFacts, seen: _Seen
) -> Iterator[Diagnostic]:
    """The library-wide rules' findings in one guide (its catalogues, files and duplicates)."""
    yield from duplicates(index, rel, guide.id, guide.implementation_code)
    when = max(facts.today, guide.effective_date or facts.today)
    yield from _references(facts, rel, guide.refs, when, seen)
    yield from _materials(facts, rel, guide)


def catalogue_rules(
    facts: LibraryFacts, index: GuideIndex, used: dict[str, set[str]]
) -> Iterator[Diagnostic]:
    """The library-wide rules' findings in the catalogues (they depend on every guide only
    through ``index`` and ``used``, the catalogue ids the guides use)."""
    seen = (known_ids(facts, index), used)
    for kind, catalogue in facts.catalogues.items():
        rel = CATALOGUE_FILES[kind]
        yield from _references(facts, rel, catalogue.refs, facts.today, seen)
    legal = facts.catalogues.get("legal-bases")
    if legal is not None:
        yield from _cycles(legal.entries)
    yield from _windows(facts, index)
    if facts.complete:
        yield from _unused(facts, used)


def duplicates(index: GuideIndex, rel: str, id_: str, code: str) -> Iterator[Diagnostic]:
    """duplicate-id and duplicate-code: every guide but the first (by file) with an id or code."""
    for rule, key, arg, value, files, message, hint in (
        (
            RuleId.DUPLICATE_ID, "id", "id", id_, index.ids,
            N_('the id "{id}" is also used by {other}'),
            N_("give each guide its own id; the id is part of its web address"),
        ),
        (
            RuleId.DUPLICATE_CODE, "implementation_code", "code", code, index.codes,
            N_("the implementation code {code} is also used by {other}"),
            N_("each service item has its own implementation code; check the catalogue"),
        ),
    ):  # fmt: skip
        first = files[value][0]
        if first != rel:
            yield error_at(rule, rel, (key,), message, hint, **{arg: value}, other=first)


def _references(
    facts: LibraryFacts, rel: str, refs: tuple[Ref, ...], when: dt.date, seen: _Seen
) -> Iterator[Diagnostic]:
    """One file's references: unknown ids, missing files, repealed or future bases.

    Fills ``used`` (catalogue kind → ids referenced) for the unused-entry rule.
    """
    known, used = seen
    legal_cat = facts.catalogues.get("legal-bases")
    legal: dict[str, LegalFacts] = legal_cat.entries if legal_cat else {}
    for kind, target, path in refs:
        if kind == "file":
            if target not in facts.files:
                yield _missing_file(rel, path, target)
            continue
        entry = known[kind]
        if entry is None:
            continue
        ids, where = entry
        if target not in ids:
            yield _unknown(rel, path, kind, target, ids, where)
            continue
        if path[-1] == "replaced_by" or kind == "guide":
            continue
        used[_KIND_CATALOGUE[kind]].add(target)
        if kind == "legal_basis":
            problem = _legal_status(rel, path, target, legal, when)
            if problem is not None:
                yield problem


def known_ids(
    facts: LibraryFacts, index: GuideIndex
) -> dict[str, tuple[Container[str], str] | None]:
    """The ids a reference of each kind may name, and where they are kept."""
    known: dict[str, tuple[Container[str], str] | None] = {
        "guide": (_Either(index.ids, facts.unreadable), "guides/")
    }
    for kind, name in _KIND_CATALOGUE.items():
        catalogue = facts.catalogues.get(name)  # a missing one is reported once, not per reference
        known[kind] = (catalogue.entries, CATALOGUE_FILES[name]) if catalogue else None
    return known


class _Either:
    """Membership in either of two containers (the guide ids read, and those unreadable)."""

    def __init__(self, first: Container[str], second: Container[str]) -> None:
        self.first, self.second = first, second

    def __contains__(self, item: object) -> bool:
        return item in self.first or item in self.second

    def __iter__(self) -> Iterator[str]:
        yield from self.first  # type: ignore[misc]
        yield from self.second  # type: ignore[misc]


def _missing_file(rel: str, path: Path_, target: str) -> Diagnostic:
    return error_at(
        RuleId.MISSING_FILE, rel, path,
        N_("the file {file} does not exist in the library"),
        N_("put the file under files/, or correct the path"),
        file=target,
    )  # fmt: skip


def _unknown(
    rel: str, path: Path_, kind: str, target: str, ids: Container[str], where: str
) -> Diagnostic:
    close = difflib.get_close_matches(target, list(ids), n=1, cutoff=0.7)  # type: ignore[call-overload]
    return error_at(
        RuleId.UNKNOWN_REFERENCE, rel, path,
        N_('unknown {kind} "{id}"'),
        N_('did you mean "{suggestion}"?') if close else N_("add it to {where}, or correct the id"),
        kind=_KIND_NAMES[kind], id=target, where=where, suggestion=close[0] if close else "",
    )  # fmt: skip


def _legal_status(
    rel: str, path: Path_, target: str, legal: dict[str, LegalFacts], when: dt.date
) -> Diagnostic | None:
    basis = legal[target]
    if basis.repealed_on is not None and basis.repealed_on <= when:
        return _repealed(rel, path, target, legal)
    if basis.in_force_from is not None and basis.in_force_from > when:
        return error_at(
            RuleId.LEGAL_BASIS_NOT_IN_FORCE, rel, path,
            N_('"{title}" only takes effect on {start}, after {when}'),
            N_("cite the basis in force now, or set the guide's effective_date to {start} or later"),
            title=basis.title, start=basis.in_force_from.isoformat(), when=when.isoformat(),
        )  # fmt: skip
    return None


def _materials(facts: LibraryFacts, rel: str, guide: GuideFacts) -> Iterator[Diagnostic]:
    legal_cat = facts.catalogues.get("legal-bases")
    material_cat = facts.catalogues.get("materials")
    if legal_cat is None or material_cat is None:
        return
    legal: dict[str, LegalFacts] = legal_cat.entries
    when = max(facts.today, guide.effective_date or facts.today)
    for path, material_id, extra in guide.materials:
        entry = material_cat.entries.get(material_id)
        if entry is None:
            continue
        name, basis_ids = entry
        if basis_ids is None:
            continue  # to be completed (待补充): reported once, in the catalogue
        if not any(_in_force(legal.get(i), when) for i in (*basis_ids, *extra)):
            yield error_at(
                RuleId.MATERIAL_LEGAL_BASIS, rel, path,
                N_('the material "{material}" has no legal basis in force (证明材料没有法律法规依据的一律取消)'),
                N_("add its legal basis to {material_id} in catalogues/materials.yaml, or remove the material"),
                material=name, material_id=material_id,
            )  # fmt: skip


def _in_force(basis: LegalFacts | None, when: dt.date) -> bool:
    if basis is None:
        return False
    started = basis.in_force_from is None or basis.in_force_from <= when  # None: to be completed
    return started and (basis.repealed_on is None or basis.repealed_on > when)


def _repealed(rel: str, path: Path_, target: str, legal: dict[str, LegalFacts]) -> Diagnostic:
    basis = legal[target]
    assert basis.repealed_on is not None
    successor = _successor(target, legal)
    args = {"title": basis.title, "date": basis.repealed_on.isoformat()}
    if successor is not None:
        hint = N_('cite "{replacement}" ({replacement_id}) instead')
        args |= {"replacement": legal[successor].title, "replacement_id": successor}
    else:
        hint = N_("remove it, or cite the basis that is in force now")
    return error_at(
        RuleId.LEGAL_BASIS_REPEALED, rel, path, N_('"{title}" was repealed on {date}'), hint, **args
    )


def _successor(start: str, legal: dict[str, LegalFacts]) -> str | None:
    """Follow replaced_by to the first basis not repealed (None on a loop or a dead end)."""
    seen = {start}
    current = legal[start].replaced_by
    while current is not None and current in legal and current not in seen:
        if legal[current].repealed_on is None:
            return current
        seen.add(current)
        current = legal[current].replaced_by
    return None


def _cycles(legal: dict[str, LegalFacts]) -> Iterator[Diagnostic]:
    reported: set[str] = set()
    for start in sorted(legal):
        chain = [start]
        current = legal[start].replaced_by
        while current is not None and current in legal and current not in chain:
            chain.append(current)
            current = legal[current].replaced_by
        if current is not None and current in chain and current not in reported:
            loop = chain[chain.index(current) :]
            reported.update(loop)
            yield error_at(
                RuleId.REFERENCE_CYCLE, CATALOGUE_FILES["legal-bases"], ("entries", loop[-1], "replaced_by"),
                N_("replaced_by forms a loop: {cycle}"),
                N_("a basis cannot be replaced by itself, directly or through others; correct replaced_by"),
                cycle=" → ".join([*loop, loop[0]]),
            )  # fmt: skip


def _windows(facts: LibraryFacts, index: GuideIndex) -> Iterator[Diagnostic]:
    offices = facts.catalogues.get("offices")
    if offices is None:
        return
    for office_id, windows in offices.entries.items():
        for window_id, items in windows.items():
            for n, guide_id in enumerate(items):
                rels = index.ids.get(guide_id)
                # with a duplicate id, the last file's guide (as the library is read)
                if rels and office_id not in index.places[rels[-1]]:
                    yield error_at(
                        RuleId.WINDOW_PLACE, CATALOGUE_FILES["offices"],
                        ("entries", office_id, "windows", window_id, "items", n),
                        N_('window "{window}" serves "{guide}", but that guide does not list {office} among its places'),
                        N_("add {office} to the guide's places, or remove the guide from this window"),
                        window=window_id, guide=guide_id, office=office_id,
                    )  # fmt: skip


def _unused(facts: LibraryFacts, used: dict[str, set[str]]) -> Iterator[Diagnostic]:
    for kind, catalogue in facts.catalogues.items():
        for entry_id in sorted(set(catalogue.entries) - used[kind]):
            entry = catalogue.entries[entry_id]
            if isinstance(entry, LegalFacts) and entry.repealed_on is not None:
                continue  # a repealed basis is kept on record, for its successor and history
            yield error_at(
                RuleId.UNUSED_ENTRY, CATALOGUE_FILES[kind], ("entries", entry_id),
                N_('"{id}" is not used by any guide'),
                N_("remove the entry, or refer to it from the guides that need it"),
                id=entry_id, at_key=True,
            )  # fmt: skip


def where_used(facts: LibraryFacts, entry: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The catalogues that hold ``entry``, and the guides (file, name) whose compiled form uses it.

    A legal basis is also used by every guide that needs a material citing it.
    """
    kinds = [
        kind for kind, catalogue in sorted(facts.catalogues.items()) if entry in catalogue.entries
    ]
    materials = facts.catalogues.get("materials")
    citing = {
        material_id
        for material_id, (_name, basis) in (materials.entries.items() if materials else [])
        if entry in (basis or ())
    }
    users = []
    for rel, guide in sorted(facts.guides.items()):
        targets = {target for kind, target, _path in guide.refs if kind != "file"}
        if entry in targets or citing & {m for _p, m, _e in guide.materials}:
            users.append((rel, guide.name))
    return kinds, users


#: The template's region (示例市, GB/T 2260 has no province 99): the example and the skeleton's
#: guides carry it in their codes.
TEMPLATE_REGION = "990100"


def template_placeholders(real: bool, placeholders: tuple[Diagnostic, ...]) -> list[Diagnostic]:
    """library.yaml's template values, once the library holds a guide of a real region
    (``real``, :attr:`GuideIndex.real`): its implementation code does not carry the template's
    division code (the unified social credit code in front of it does, at characters 3–8)."""
    return list(placeholders) if real else []
