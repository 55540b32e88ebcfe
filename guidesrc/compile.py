"""The compiled guide: one guide with every reference resolved, the unit that is diffed,
published and verified.

A compiled guide is plain JSON data: the guide's fields in the order the editor wrote them, with
each catalogue reference replaced by the entry it names (materials with their legal bases, offices
with the windows that serve this guide, FAQ entries). Its **content hash** is the SHA-256 of its
canonical bytes: keys sorted, no insignificant white space, and the lists whose order carries no
meaning (materials, legal bases, conditions, places …) sorted by identity. So reformatting the YAML
or reordering such a list changes neither the content nor the hash, while a change to a shared
catalogue entry changes the hash of every guide that uses it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from operator import itemgetter
from pathlib import Path
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel

from guidesrc.gaps import gap_paths
from guidesrc.model.catalogues import FaqEntry, LegalBasis, Material, Office
from guidesrc.model.guide import Guide

M = TypeVar("M", bound=BaseModel)

#: Bumped when the compiled form changes shape, so that stored hashes are not compared across forms.
COMPILED_FORMAT = 2  # 2: the ``gaps`` list; materials and results never null


@cache
def compiler_fingerprint() -> str:
    """Changes with this module's code: content hashes kept by another compiler are not reused."""
    here = Path(__file__)
    # gaps.py computes the compiled "gaps" list: its code is part of the compiler's
    return hashlib.sha256(here.read_bytes() + (here.parent / "gaps.py").read_bytes()).hexdigest()


#: Lists whose order carries no meaning, with the key that identifies an item (None: the item).
ORDERLESS: dict[str, str | None] = {
    "handling_bodies": None,
    "joint_bodies": None,
    "service_objects": None,
    "themes": None,
    "legal_basis": "id",
    "conditions": None,
    "materials": "id",
    "results": "name",
    "places": "id",
    "windows": "id",
    "phones": None,
    "consult_phones": "phone",
    "complaint_phones": "phone",
    "handling_forms": None,
    "faq": "id",
    "tags": None,
    "items": "name",  # fee items
    "gaps": None,
}


@dataclass(frozen=True)
class Catalogues:
    """The four shared catalogues of one library state, as validated models.

    Each entry is turned into JSON data once per state and shared by every compiled guide that
    uses it: treat compiled guides as read-only.
    """

    materials: Mapping[str, Material] = field(default_factory=dict)
    legal_bases: Mapping[str, LegalBasis] = field(default_factory=dict)
    offices: Mapping[str, Office] = field(default_factory=dict)
    faq: Mapping[str, FaqEntry] = field(default_factory=dict)

    @cached_property
    def _legal_data(self) -> Dumped:
        return Dumped(self.legal_bases)

    @cached_property
    def _faq_data(self) -> Dumped:
        return Dumped(self.faq)

    @cached_property
    def _office_data(self) -> Dumped:
        return Dumped(self.offices, exclude={"windows"})

    @cached_property
    def _windows(self) -> dict[str, dict[str, list[dict[str, str]]]]:
        """Office id → guide id → the windows of that office serving that guide, for the
        offices asked about so far (one changed guide needs its own offices only)."""
        return {}

    def _serving(self, office_id: str) -> dict[str, list[dict[str, str]]]:
        if office_id not in self._windows:
            out: dict[str, list[dict[str, str]]] = {}
            for window_id, window in self.offices[office_id].windows.items():
                for guide_id in window.items:
                    out.setdefault(guide_id, []).append({"id": window_id, "name": window.name})
            self._windows[office_id] = out
        return self._windows[office_id]

    def legal(self, basis_id: str) -> dict[str, Any]:
        return self._legal_data[basis_id]

    def faq_entry(self, faq_id: str) -> dict[str, Any]:
        return self._faq_data[faq_id]

    def offices_data(self) -> Mapping[str, dict[str, Any]]:
        return self._office_data

    def office(self, office_id: str, guide_id: str) -> dict[str, Any]:
        base = self._office_data[office_id]
        return {**base, "windows": self._serving(office_id).get(guide_id, [])}


class Validated(Mapping[str, M]):
    """A catalogue's entries, each validated when first asked for, from the catalogue's data
    (``entries`` as parsed): for data the whole catalogue model validated before (the same bytes,
    the same code: :class:`guidesrc.parsecache.ParseCache`), so that a state that compiles one
    guide validates the few entries it names, not thousands."""

    def __init__(self, raw: dict[str, Any], model: type[M]) -> None:
        self.raw = raw
        self._model = model
        self._entries: dict[str, M] = {}

    def __getitem__(self, key: str) -> M:
        found = self._entries.get(key)
        if found is None:
            found = self._entries[key] = self._model.model_validate(self.raw[key])
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self.raw)

    def __len__(self) -> int:
        return len(self.raw)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Validated) and other.raw == self.raw:
            return True  # the same data: the same entries (validated alike)
        return super().__eq__(other)

    __hash__ = None  # type: ignore[assignment]


class Dumped(Mapping[str, dict[str, Any]]):
    """Catalogue entries as JSON data (``{"id": …, **entry}``), each dumped when first asked
    for: a compile touches the few entries its guides name, not the whole catalogue."""

    def __init__(self, entries: Mapping[str, BaseModel], exclude: set[str] | None = None) -> None:
        self._entries = entries
        self._exclude = exclude
        self._data: dict[str, dict[str, Any]] = {}

    def __getitem__(self, key: str) -> dict[str, Any]:
        found = self._data.get(key)
        if found is None:  # KeyError for an unknown id, as a dict raises it
            entry = self._entries[key].model_dump(mode="json", exclude=self._exclude)
            found = self._data[key] = {"id": key, **entry}
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)


def compile_guide(guide: Guide, catalogues: Catalogues) -> dict[str, Any]:
    """The guide with every reference resolved. References must exist (``guides check``)."""
    return compile_data(guide.model_dump(mode="json"), catalogues)


def compile_data(data: dict[str, Any], catalogues: Catalogues) -> dict[str, Any]:
    """:func:`compile_guide` from a guide's validated data (``model_dump(mode="json")``).

    ``data`` is not modified.
    """
    resolved = {name: resolve(data, catalogues) for name, resolve in _RESOLVERS.items()}
    return {"format": COMPILED_FORMAT, **data, **resolved}


def compile_fields(
    data: dict[str, Any], catalogues: Catalogues, fields: Iterable[str]
) -> dict[str, Any]:
    """Only these fields of the compiled guide (those ``data`` has, and those resolved): for a
    guide whose data is the same in two states, the fields the changed catalogues feed."""
    return {
        name: _RESOLVERS[name](data, catalogues) if name in _RESOLVERS else data[name]
        for name in fields
        if name in _RESOLVERS or name in data
    }


def _fees(data: dict[str, Any], catalogues: Catalogues) -> dict[str, Any]:
    fees = data["fees"]
    items = [
        {**item, "legal_basis": [catalogues.legal(i) for i in item["legal_basis"]]}
        for item in fees["items"]
    ]
    return {**fees, "items": items}


#: Each field that references catalogues, with how to resolve it.
_RESOLVERS: dict[str, Callable[[dict[str, Any], Catalogues], Any]] = {
    "legal_basis": lambda data, c: [c.legal(i) for i in data["legal_basis"]],
    "materials": lambda data, c: [_material(req, c) for req in data.get("materials") or ()],
    "results": lambda data, c: data.get("results") or [],
    "fees": _fees,
    "places": lambda data, c: [c.office(i, data["id"]) for i in data["places"]],
    "faq": lambda data, c: [c.faq_entry(i) for i in data["faq"]],
    # Every unknown fact, by path (guidesrc.gaps): pending fields, the offices' pending fields,
    # yes/no facts not stated, materials or results not stated.
    "gaps": lambda data, c: gap_paths(data, c.offices_data()),
}

#: Which compiled fields each catalogue feeds (a legal basis reaches materials and fees too).
FIELDS_FED_BY = {
    "materials": ("materials",),
    "legal_bases": ("legal_basis", "materials", "fees"),
    "offices": ("places", "gaps"),
    "faq": ("faq",),
}


def _material(requirement: dict[str, Any], catalogues: Catalogues) -> dict[str, Any]:
    entry = catalogues.materials[requirement["material"]]
    basis_ids = list(dict.fromkeys([*entry.legal_basis, *requirement["legal_basis"]]))
    own = {k: v for k, v in requirement.items() if k not in ("material", "legal_basis")}
    return {
        "id": requirement["material"],
        "name": entry.name,
        "kind": entry.kind,
        "issuer": entry.issuer,
        "description": entry.description,
        **own,
        "legal_basis": [catalogues.legal(i) for i in basis_ids],
    }


def canonical(compiled: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``compiled`` with every order-free list sorted by identity.

    Written for the compiled guide's known shape (not a generic walk): hashing 10,000 guides is
    on the hot path of diff, publish and verify.
    """
    return {name: canonical_field(name, value) for name, value in compiled.items()}


def canonical_field(name: str, value: Any) -> Any:
    """One top-level field of a compiled guide in canonical order."""
    if not isinstance(value, list | dict):
        return value
    if name in ORDERLESS and isinstance(value, list):
        value = _sorted(value, ORDERLESS[name])
    if name == "materials":
        return [_sorted_in(m, "legal_basis", "id") for m in value]
    if name == "places":
        return [_sorted_in(_sorted_in(p, "windows", "id"), "phones", None) for p in value]
    if name == "faq":
        return [_sorted_in(q, "tags", None) for q in value]
    if name == "fees" and isinstance(value, dict):
        items = [_sorted_in(i, "legal_basis", "id") for i in value.get("items", [])]
        return {**value, "items": _sorted(items, "name")}
    return value


def _sorted(items: list[Any], ident: str | None) -> list[Any]:
    # The schema makes every order-free list homogeneous (all text, or all numbers) and its
    # identities text, so plain comparisons are enough.
    if len(items) < 2:
        return items
    return sorted(items) if ident is None else sorted(items, key=itemgetter(ident))


def _sorted_in(item: dict[str, Any], name: str, ident: str | None) -> dict[str, Any]:
    return {**item, name: _sorted(item[name], ident)} if item.get(name) else item


def canonical_bytes(compiled: dict[str, Any]) -> bytes:
    """Sorted keys, no insignificant white space, UTF-8: the bytes the content hash is taken of."""
    return orjson.dumps(canonical(compiled), option=orjson.OPT_SORT_KEYS)


def content_hash(compiled: dict[str, Any], reuse: dict[tuple[str, int], Any] | None = None) -> str:
    """SHA-256 (hex) of the canonical bytes: the identity of what a guide says.

    ``reuse`` ((field, value id) → canonical value) lets two versions of a guide that share most
    of their fields put those in canonical order once.
    """
    if reuse is None:
        return hashlib.sha256(canonical_bytes(compiled)).hexdigest()
    canon = {}
    for name, value in compiled.items():
        key = (name, id(value))
        if key not in reuse:
            reuse[key] = canonical_field(name, value)
        canon[name] = reuse[key]
    return hashlib.sha256(orjson.dumps(canon, option=orjson.OPT_SORT_KEYS)).hexdigest()
