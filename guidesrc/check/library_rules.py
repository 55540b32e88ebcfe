"""Stage two of `guides check`: the rules that look across files.

They work on the facts of stage one (ids, codes, references), never on the models, so they run in
milliseconds on a 10,000-guide library whether or not its files came from the cache.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterator
from dataclasses import dataclass

from guidesrc.check.analyse import CatalogueFacts, GuideFacts, LegalFacts, Ref
from guidesrc.diagnostics import Diagnostic
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


def library_rules(facts: LibraryFacts) -> Iterator[Diagnostic]:
    yield from _unique(facts)
    yield from _references(facts)
    yield from _legal_bases(facts)
    yield from _windows(facts)
    if facts.complete:
        yield from _unused(facts)


def _unique(facts: LibraryFacts) -> Iterator[Diagnostic]:
    ids: dict[str, str] = {}
    codes: dict[str, str] = {}
    for rel, guide in sorted(facts.guides.items()):
        if guide.id in ids:
            yield _diag(
                "duplicate-id", rel, ("id",),
                N_('the id "{id}" is also used by {other}'),
                N_("give each guide its own id; the id is part of its web address"),
                id=guide.id, other=ids[guide.id],
            )  # fmt: skip
        ids.setdefault(guide.id, rel)
        if guide.implementation_code in codes:
            yield _diag(
                "duplicate-code", rel, ("implementation_code",),
                N_("the implementation code {code} is also used by {other}"),
                N_("each service item has its own implementation code; check the catalogue"),
                code=guide.implementation_code, other=codes[guide.implementation_code],
            )  # fmt: skip
        codes.setdefault(guide.implementation_code, rel)


def _all_refs(facts: LibraryFacts) -> Iterator[tuple[str, Ref]]:
    for rel, guide in facts.guides.items():
        for ref in guide.refs:
            yield rel, ref
    for kind, catalogue in facts.catalogues.items():
        for ref in catalogue.refs:
            yield CATALOGUE_FILES[kind], ref


def _references(facts: LibraryFacts) -> Iterator[Diagnostic]:
    guide_ids = {g.id for g in facts.guides.values()} | facts.unreadable
    for rel, ref in _all_refs(facts):
        if ref.kind == "file":
            if ref.target not in facts.files:
                yield _diag(
                    "missing-file", rel, ref.path,
                    N_("the file {file} does not exist in the library"),
                    N_("put the file under files/, or correct the path"),
                    file=ref.target,
                )  # fmt: skip
            continue
        if ref.kind == "guide":
            known: set[str] | dict[str, object] = guide_ids
            where = "guides/"
        else:
            catalogue = facts.catalogues.get(_KIND_CATALOGUE[ref.kind])
            if catalogue is None:
                continue  # the missing or broken catalogue is reported once, not per reference
            known = catalogue.entries
            where = CATALOGUE_FILES[_KIND_CATALOGUE[ref.kind]]
        if ref.target not in known:
            close = difflib.get_close_matches(ref.target, list(known), n=1, cutoff=0.7)
            yield _diag(
                "unknown-reference", rel, ref.path,
                N_('unknown {kind} "{id}"'),
                N_('did you mean "{suggestion}"?') if close else N_("add it to {where}, or correct the id"),
                kind=_KIND_NAMES[ref.kind], id=ref.target, where=where,
                suggestion=close[0] if close else "",
            )  # fmt: skip


def _legal_bases(facts: LibraryFacts) -> Iterator[Diagnostic]:
    legal_cat = facts.catalogues.get("legal-bases")
    material_cat = facts.catalogues.get("materials")
    if legal_cat is None:
        return
    legal: dict[str, LegalFacts] = legal_cat.entries
    yield from _cycles(legal)
    for rel, ref in _all_refs(facts):
        if ref.kind != "legal_basis" or ref.target not in legal or ref.path[-1] == "replaced_by":
            continue
        when = _reference_date(facts, rel)
        basis = legal[ref.target]
        if basis.repealed_on is not None and basis.repealed_on <= when:
            yield _repealed(rel, ref, basis, legal)
        elif basis.in_force_from > when:
            yield _diag(
                "legal-basis-not-in-force", rel, ref.path,
                N_('"{title}" only takes effect on {start}, after {when}'),
                N_("cite the basis in force now, or set the guide's effective_date to {start} or later"),
                title=basis.title, start=basis.in_force_from.isoformat(), when=when.isoformat(),
            )  # fmt: skip
    if material_cat is None:
        return
    for rel, guide in facts.guides.items():
        when = max(facts.today, guide.effective_date)
        for path, material_id, extra in guide.materials:
            entry = material_cat.entries.get(material_id)
            if entry is None:
                continue
            name, basis_ids = entry
            if not any(_in_force(legal.get(i), when) for i in (*basis_ids, *extra)):
                yield _diag(
                    "material-legal-basis", rel, path,
                    N_('the material "{material}" has no legal basis in force (证明材料没有法律法规依据的一律取消)'),
                    N_("add its legal basis to {material_id} in catalogues/materials.yaml, or remove the material"),
                    material=name, material_id=material_id,
                )  # fmt: skip


def _reference_date(facts: LibraryFacts, rel: str) -> dt.date:
    """A guide must be lawful from when it takes effect, and from today on."""
    guide = facts.guides.get(rel)
    return max(facts.today, guide.effective_date) if guide else facts.today


def _in_force(basis: LegalFacts | None, when: dt.date) -> bool:
    if basis is None:
        return False
    return basis.in_force_from <= when and (basis.repealed_on is None or basis.repealed_on > when)


def _repealed(rel: str, ref: Ref, basis: LegalFacts, legal: dict[str, LegalFacts]) -> Diagnostic:
    assert basis.repealed_on is not None
    successor = _successor(ref.target, legal)
    args = {"title": basis.title, "date": basis.repealed_on.isoformat()}
    if successor is not None:
        hint = N_('cite "{replacement}" ({replacement_id}) instead')
        args |= {"replacement": legal[successor].title, "replacement_id": successor}
    else:
        hint = N_("remove it, or cite the basis that is in force now")
    return _diag(
        "legal-basis-repealed", rel, ref.path, N_('"{title}" was repealed on {date}'), hint, **args
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
            yield _diag(
                "reference-cycle", CATALOGUE_FILES["legal-bases"], ("entries", loop[-1], "replaced_by"),
                N_("replaced_by forms a loop: {cycle}"),
                N_("a basis cannot be replaced by itself, directly or through others; correct replaced_by"),
                cycle=" → ".join([*loop, loop[0]]),
            )  # fmt: skip


def _windows(facts: LibraryFacts) -> Iterator[Diagnostic]:
    offices = facts.catalogues.get("offices")
    if offices is None:
        return
    by_id = {g.id: g for g in facts.guides.values()}
    for office_id, windows in offices.entries.items():
        for window_id, items in windows.items():
            for n, guide_id in enumerate(items):
                guide = by_id.get(guide_id)
                if guide is not None and office_id not in guide.places:
                    yield _diag(
                        "window-place", CATALOGUE_FILES["offices"],
                        ("entries", office_id, "windows", window_id, "items", n),
                        N_('window "{window}" serves "{guide}", but that guide does not list {office} among its places'),
                        N_("add {office} to the guide's places, or remove the guide from this window"),
                        window=window_id, guide=guide_id, office=office_id,
                    )  # fmt: skip


def _unused(facts: LibraryFacts) -> Iterator[Diagnostic]:
    used: dict[str, set[str]] = {kind: set() for kind in CATALOGUE_FILES}
    for _rel, ref in _all_refs(facts):
        if ref.kind in _KIND_CATALOGUE and ref.path[-1] != "replaced_by":
            used[_KIND_CATALOGUE[ref.kind]].add(ref.target)
    for kind, catalogue in facts.catalogues.items():
        for entry_id in sorted(set(catalogue.entries) - used[kind]):
            yield _diag(
                "unused-entry", CATALOGUE_FILES[kind], ("entries", entry_id),
                N_('"{id}" is not used by any guide'),
                N_("remove the entry, or refer to it from the guides that need it"),
                id=entry_id, at_key=True,
            )  # fmt: skip


def _diag(
    rule: str, rel: str, path: tuple[str | int, ...], message: str, hint: str, **args: object
) -> Diagnostic:
    at_key = bool(args.pop("at_key", False))
    return Diagnostic(
        rule, "error", rel, path=path, message=message, hint=hint, args=args, at_key=at_key
    )
