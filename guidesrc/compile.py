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
import json
from dataclasses import dataclass, field
from typing import Any

from guidesrc.model.catalogues import FaqEntry, LegalBasis, Material, Office
from guidesrc.model.guide import Guide

#: Bumped when the compiled form changes shape, so that stored hashes are not compared across forms.
COMPILED_FORMAT = 1

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
}


@dataclass(frozen=True, slots=True)
class Catalogues:
    """The four shared catalogues of one library state, as validated models."""

    materials: dict[str, Material] = field(default_factory=dict)
    legal_bases: dict[str, LegalBasis] = field(default_factory=dict)
    offices: dict[str, Office] = field(default_factory=dict)
    faq: dict[str, FaqEntry] = field(default_factory=dict)


def compile_guide(guide: Guide, catalogues: Catalogues) -> dict[str, Any]:
    """The guide with every reference resolved. References must exist (``guides check``)."""
    data = guide.model_dump(mode="json")
    data["legal_basis"] = [_legal(i, catalogues) for i in guide.legal_basis]
    data["materials"] = [
        _material(req.material, n, data, catalogues) for n, req in enumerate(guide.materials)
    ]
    for item in data["fees"]["items"]:
        item["legal_basis"] = [_legal(i, catalogues) for i in item["legal_basis"]]
    data["places"] = [_office(i, guide.id, catalogues) for i in guide.places]
    data["faq"] = [{"id": i, **catalogues.faq[i].model_dump(mode="json")} for i in guide.faq]
    return {"format": COMPILED_FORMAT, **data}


def _legal(basis_id: str, catalogues: Catalogues) -> dict[str, Any]:
    return {"id": basis_id, **catalogues.legal_bases[basis_id].model_dump(mode="json")}


def _material(
    material_id: str, index: int, data: dict[str, Any], catalogues: Catalogues
) -> dict[str, Any]:
    requirement = data["materials"][index]
    entry = catalogues.materials[material_id]
    basis_ids = list(dict.fromkeys([*entry.legal_basis, *requirement.pop("legal_basis")]))
    del requirement["material"]
    return {
        "id": material_id,
        "name": entry.name,
        "kind": entry.kind,
        "issuer": entry.issuer,
        "description": entry.description,
        **requirement,
        "legal_basis": [_legal(i, catalogues) for i in basis_ids],
    }


def _office(office_id: str, guide_id: str, catalogues: Catalogues) -> dict[str, Any]:
    office = catalogues.offices[office_id]
    data = office.model_dump(mode="json")
    data["windows"] = [
        {"id": window_id, "name": window.name}
        for window_id, window in office.windows.items()
        if guide_id in window.items
    ]
    return {"id": office_id, **data}


def canonical(value: Any, key: str | None = None) -> Any:
    """``value`` with every order-free list sorted by identity (dict keys are sorted on output)."""
    if isinstance(value, dict):
        return {k: canonical(v, k) for k, v in value.items()}
    if isinstance(value, list):
        items = [canonical(v) for v in value]
        if key in ORDERLESS:
            ident = ORDERLESS[key]
            items.sort(key=lambda v: _sort_key(v[ident] if ident and isinstance(v, dict) else v))
        return items
    return value


def _sort_key(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def canonical_bytes(compiled: dict[str, Any]) -> bytes:
    return json.dumps(
        canonical(compiled), ensure_ascii=False, sort_keys=True, separators=(",", ":")
    ).encode("utf-8")


def content_hash(compiled: dict[str, Any]) -> str:
    """SHA-256 (hex) of the canonical bytes: the identity of what a guide says."""
    return hashlib.sha256(canonical_bytes(compiled)).hexdigest()
