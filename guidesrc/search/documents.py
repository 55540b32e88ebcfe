"""A guide as search sees it: its texts by field (see :data:`guidesrc.search.build.FIELDS`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from guidesrc.gaps import UNKNOWN_BODY


def document(guide: Mapping[str, Any]) -> dict[str, Any]:
    """The search document of a compiled guide (or of its validated data: materials are then
    catalogue ids, FAQ entries ids — searched as such)."""
    body = guide.get("implementing_body") or {}
    department = body.get("name") or UNKNOWN_BODY  # shown; searched only when known
    faq = [e for e in guide.get("faq", []) if isinstance(e, dict)]
    materials = [m.get("name") or "" for m in guide.get("materials", []) if isinstance(m, dict)]
    return {
        "id": guide["id"],
        "name": guide["name"],
        "department": department,
        "themes": list(guide.get("themes", [])),
        "results": [r["name"] for r in guide.get("results", [])],
        "faq": [e.get("question") or "" for e in faq] + [t for e in faq for t in e.get("tags", [])],
        "materials": materials,
        "conditions": list(guide.get("conditions", [])),
        "body": [
            *guide.get("handling_bodies", []),
            *(p.get("name") or "" for p in guide.get("procedure", [])),
            guide.get("basic_code") or "",
            guide.get("implementation_code") or "",
        ],
    }


def search_fields(guide: Mapping[str, Any]) -> dict[str, list[str]]:
    """A compiled guide's texts by field, without its id, name and department (a listing's)."""
    return {k: v for k, v in document(guide).items() if k not in ("id", "name", "department")}
