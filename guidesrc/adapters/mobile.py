"""The mobile / mini-program feed (两微一端): compact JSON per guide, an index with ETags, and a
change feed for incremental sync.

::

    <path>/guides/<id>.json     the version in force, compact (schemas/mobile-guide.schema.json)
    <path>/upcoming/<id>.json   a version announced for later, with its change notice
    <path>/index.json           every guide: id, name, version, content hash, etag, updated,
                                state (current / upcoming / withdrawn), the upcoming version
    <path>/changes.json         the last ``changes_kept`` changes, numbered (``seq``): a client
                                that has seen seq N applies the entries after N

A document's ``etag`` is the SHA-256 of its bytes (quoted, as in an HTTP ETag header); it
changes exactly when the document does. The sync protocol is in docs/exports.md.
"""

from __future__ import annotations

from functools import partial
from typing import Any, ClassVar

from pydantic import Field

from guidesrc.adapters.base import Delivery
from guidesrc.adapters.batchfiles import (
    BatchExport,
    ExportSettings,
    Manifest,
    digest,
    json_bytes,
    remove,
    shown,
    write_if_changed,
)
from guidesrc.adapters.parts import Parts, code_fingerprint, json_object, record
from guidesrc.gaps import null_free
from guidesrc.model.codes import HANDLING_FORMS, ITEM_TYPES, ONLINE_DEPTHS, SERVICE_OBJECTS
from guidesrc.urls import guide_url

FORMAT = 1
_SHOWN = ("current", "upcoming")
#: The guide document's format. 2: no nulls; unknown facts left out and named in "gaps".
DOC_FORMAT = 2


class MobileSettings(ExportSettings):
    #: How many changes changes.json keeps; a client further behind reloads the index.
    changes_kept: int = Field(default=1000, ge=1, le=100_000)


class MobileAdapter(BatchExport[MobileSettings]):
    Settings = MobileSettings
    kind: ClassVar[str] = "mobile"
    incremental = True  # a document per changed guide; the index joined from kept entries

    def extract(self, delivery: Delivery) -> dict[str, Any]:
        doc = document(delivery, guide_url(self.config.base_url, delivery.guide_id))
        data = json_bytes(doc, compact=True)
        return {"etag": f'"{digest(data)}"', "bytes": len(data), "document": doc}

    def applied(self, manifest: Manifest, delivery: Delivery, result: str) -> None:
        state = manifest["guides"][delivery.guide_id]
        entry = state["upcoming"] if result == "upcoming" else state["current"]
        change: dict[str, Any] = {
            "seq": manifest["seq"],
            "id": delivery.guide_id,
            "action": delivery.action,
            "state": result,
            "version": delivery.version,
            "effective_date": delivery.effective_date.isoformat(),
        }
        if entry is not None:
            change |= {
                "content_hash": entry["content_hash"],
                "etag": entry["data"]["etag"],
                "updated": entry["approved_at"],
                "notice": entry["notice"]["text"],
            }
        else:
            change |= {
                "updated": state["withdrawn"]["approved_at"],
                "reason": state["withdrawn"]["reason"],
            }
        changes = [*manifest.get("changes", []), change]
        manifest["changes"] = changes[-self.settings.changes_kept :]

    def check(self, gid: str, guide: dict[str, Any]) -> None:
        """The guide's entry in the index, as :meth:`render` will make it."""
        super().check(gid, guide)
        json_bytes(index({"seq": 0, "guides": {gid: guide}}))

    def render(self, manifest: Manifest, changed: set[str]) -> None:
        for gid in sorted(changed):
            state = manifest["guides"][gid]
            for folder, entry in (("guides", state["current"]), ("upcoming", state["upcoming"])):
                path = self.out / folder / f"{gid}.json"
                if entry is None:
                    remove(path)
                elif "document" in entry["data"]:  # delivered in this run (else unchanged)
                    write_if_changed(path, json_bytes(entry["data"]["document"], compact=True))
        # index.json joined from each guide's entry, kept between runs: a full rebuild's bytes
        code = code_fingerprint("adapters/mobile.py")
        parts = Parts(self.out / ".mobile-parts", {"code": code})
        entries = [
            parts.pieces(gid, state, partial(_index_piece, gid, state))[0]
            for gid, state in shown(manifest)
        ]
        body = json_object({"format": FORMAT, "seq": manifest["seq"]}, {"guides": entries})
        write_if_changed(self.out / "index.json", body)
        write_if_changed(self.out / "changes.json", json_bytes(changes(manifest)))
        parts.save(manifest["guides"])

    def save(self, manifest: Manifest) -> None:
        # The documents are files of their own: the manifest keeps their etags, not their text.
        slim = {**manifest, "guides": {gid: _slim(s) for gid, s in manifest["guides"].items()}}
        super().save(slim)


def _slim(state: dict[str, Any]) -> dict[str, Any]:
    if not any(state[n] is not None and "document" in state[n]["data"] for n in _SHOWN):
        return state  # delivered before this run: already slim
    out = dict(state)
    for name in ("current", "upcoming"):
        if out[name] is not None:
            data = {k: v for k, v in out[name]["data"].items() if k != "document"}
            out[name] = {**out[name], "data": data}
    return out


def _summary(entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": entry["version"],
        "content_hash": entry["content_hash"],
        "etag": entry["data"]["etag"],
        "updated": entry["approved_at"],
        "effective_date": entry["effective_date"],
    }


def index(manifest: Manifest) -> dict[str, Any]:
    """index.json's body, built whole (what :meth:`MobileAdapter.render` joins from pieces)."""
    guides = [_index_item(gid, state) for gid, state in shown(manifest)]
    return {"format": FORMAT, "seq": manifest["seq"], "guides": guides}


def _index_piece(gid: str, state: dict[str, Any]) -> list[bytes]:
    return [record(_index_item(gid, state))]


def _index_item(gid: str, state: dict[str, Any]) -> dict[str, Any]:
    item: dict[str, Any] = {"id": gid, "name": state["name"]}
    if state["current"]:
        item |= {"state": "current", **_summary(state["current"])}
    elif state["withdrawn"]:
        w = state["withdrawn"]
        item |= {
            "state": "withdrawn",
            "version": w["version"],
            "updated": w["approved_at"],
            "effective_date": w["effective_date"],
            "reason": w["reason"],
        }
    else:
        item |= {"state": "upcoming"}
    upcoming = state["upcoming"]
    item["upcoming"] = (
        {**_summary(upcoming), "notice": upcoming["notice"]["text"]} if upcoming else None
    )
    return item


def changes(manifest: Manifest) -> dict[str, Any]:
    kept = manifest.get("changes", [])
    return {
        "format": FORMAT,
        "first_seq": kept[0]["seq"] if kept else manifest["seq"] + 1,
        "last_seq": manifest["seq"],
        "changes": kept,
    }


# --- the compact document -----------------------------------------------------------------------


def document(delivery: Delivery, page: str) -> dict[str, Any]:
    """What a phone needs to show the guide: labels instead of codes, catalogue entries trimmed
    to what a citizen reads, no file paths, no internal identifiers beyond the guide's own.

    No value is ever null: what the source does not state is left out and its path listed in
    ``gaps`` (the compiled guide's gaps), so an app cannot mistake an unknown for a fact."""
    g = delivery.guide or {}
    item_type = g.get("item_type")
    doc = {
        "format": DOC_FORMAT,
        "id": delivery.guide_id,
        "name": g.get("name", delivery.name),
        "version": delivery.version,
        "content_hash": delivery.content_hash,
        "effective_date": delivery.effective_date.isoformat(),
        "url": page,
        "notice": {
            "text": str(delivery.notice.get("text", "")),
            "effective_date": delivery.notice.get("effective_date"),
        },
        "item_type": ITEM_TYPES.get(item_type, str(item_type)) if item_type else None,
        "implementing_body": (g.get("implementing_body") or {}).get("name"),
        "service_objects": [SERVICE_OBJECTS.get(c, str(c)) for c in g.get("service_objects", [])],
        "themes": g.get("themes", []),
        **_handling(g),
        "legal_basis": [f"{b['title']}{b.get('article') or ''}" for b in g.get("legal_basis", [])],
        "faq": [
            {"id": q["id"], "question": q["question"], "answer": q["answer"]}
            for q in g.get("faq", [])
        ],
        "gaps": list(g.get("gaps") or []),
    }
    return null_free(doc)


def _handling(g: dict[str, Any]) -> dict[str, Any]:
    """How the guide is handled: conditions, materials, steps, time limits, fees, places."""
    online = g.get("online") or {}
    fees = g.get("fees") or {}
    fees_known = fees.get("charged") is not None and "charged" not in (fees.get("pending") or ())
    return {
        "conditions": g.get("conditions", []),
        "materials": [_material(m) for m in g.get("materials") or []],
        "procedure": [
            {"name": s["name"], "description": s["description"], "time_limit": s.get("time_limit")}
            for s in g.get("procedure", [])
        ],
        "statutory_time_limit": g.get("statutory_time_limit"),
        "promised_time_limit": g.get("promised_time_limit"),
        "case_type": g.get("case_type"),
        "fees": {
            "charged": bool(fees["charged"]) if fees_known else None,
            "items": [
                {"name": i["name"], "standard": i["standard"]} for i in fees.get("items", [])
            ],
        },
        "results": [{"name": r["name"], "kind": r.get("kind")} for r in g.get("results") or []],
        "places": [_place(p) for p in g.get("places", [])],
        "consult_phones": [_phone(p) for p in g.get("consult_phones", [])],
        "complaint_phones": [_phone(p) for p in g.get("complaint_phones", [])],
        "onsite_visits": {k: (g.get("onsite_visits") or {}).get(k) for k in ("count", "reason")},
        "handling_forms": [HANDLING_FORMS.get(c, str(c)) for c in g.get("handling_forms", [])],
        "online": {"url": online.get("url"), "depth": ONLINE_DEPTHS.get(online.get("depth") or 0)},
        "scope": g.get("scope"),
        "appointment": g.get("appointment"),
        "express_delivery": g.get("express_delivery"),
        "online_payment": g.get("online_payment"),
    }


def _material(m: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "name", "form", "medium", "original_count", "copy_count", "source")
    return {
        **{k: m.get(k) for k in keys},
        "necessity": m.get("necessity"),
        "condition": m.get("condition"),
        "notes": m.get("notes"),
    }


def _place(p: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": p["id"],
        "name": p.get("name"),
        "hall": p.get("hall"),
        "address": p.get("address"),
        "windows": [w["name"] for w in p.get("windows", [])],
        "hours": [{"days": h["days"], "hours": h["hours"]} for h in p.get("hours") or []],
        "phones": p.get("phones", []),
        "transport": p.get("transport"),
    }


def _phone(p: dict[str, Any]) -> dict[str, Any]:
    return {"phone": p["phone"], "note": p.get("note")}
