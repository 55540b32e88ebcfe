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

from typing import Any, ClassVar

from pydantic import Field

from guidesrc.adapters.base import Delivery
from guidesrc.adapters.batchfiles import (
    BatchExport,
    ExportSettings,
    Files,
    Manifest,
    digest,
    index_bytes,
    json_bytes,
    remove,
    touched,
    write_if_changed,
)
from guidesrc.adapters.shards import code_fingerprint
from guidesrc.gaps import null_free
from guidesrc.model.codes import HANDLING_FORMS, ITEM_TYPES, ONLINE_DEPTHS, SERVICE_OBJECTS
from guidesrc.urls import guide_url

FORMAT = 2  # 2: the index in parts, one per shard of the guides (format 1: one file)
CHANGES_FORMAT = 1  # changes.json
_SHOWN = ("current", "upcoming")
#: The guide document's format. 2: no nulls; unknown facts left out and named in "gaps".
DOC_FORMAT = 2


class MobileSettings(ExportSettings):
    #: How many changes changes.json keeps; a client further behind reloads the index.
    changes_kept: int = Field(default=1000, ge=1, le=100_000)


class MobileAdapter(BatchExport[MobileSettings]):
    Settings = MobileSettings
    kind: ClassVar[str] = "mobile"
    legacy = (".mobile-parts.json", ".mobile-parts.*.bin")
    incremental = True  # a document per changed guide; the index joined from kept entries

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: The documents serialised by :meth:`extract` this run, by etag: written as they are.
        self._documents: dict[str, bytes] = {}

    def extract(self, delivery: Delivery) -> dict[str, Any]:
        doc = document(delivery, guide_url(self.config.base_url, delivery.guide_id))
        data = json_bytes(doc, compact=True)
        etag = f'"{digest(data)}"'
        self._documents[etag] = data
        return {"etag": etag, "bytes": len(data), "document": doc}

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
        json_bytes(_index_item(gid, guide))

    def render(self, manifest: Manifest, changed: set[str]) -> None:
        out = self.out
        for gid in sorted(changed):
            state = manifest["guides"][gid]
            for folder, entry in (("guides", state["current"]), ("upcoming", state["upcoming"])):
                path = out / folder / f"{gid}.json"
                if entry is None:
                    remove(path)
                elif "document" in entry["data"]:  # delivered in this run (else unchanged)
                    data = self._documents.get(entry["data"]["etag"])
                    write_if_changed(
                        path, data or json_bytes(entry["data"]["document"], compact=True)
                    )
        self._documents.clear()
        # the index: the part of each shard this run changed, and the top naming every part
        library = self.config.name
        made = {"library": library, "code": code_fingerprint("adapters/mobile.py")}
        guides = manifest["guides"]
        everything = bool(manifest.get("rebuild")) or manifest.get("made_with") != made
        shards = guides.shards() if everything else touched(manifest, changed)
        files = Files(self.out, {} if everything else manifest.get("files") or {})
        for shard in shards:
            files.put(f"index/{shard}.json", index_part(guides.in_shard(shard), shard))
        top = index_bytes(files.meta, library, seq=manifest["seq"])
        write_if_changed(self.out / "index.json", top)
        write_if_changed(self.out / "changes.json", json_bytes(changes(manifest)))
        manifest["files"], manifest["made_with"] = files.meta, made

    def stored(self, state: dict[str, Any]) -> dict[str, Any]:
        # The documents are files of their own: the manifest keeps their etags, not their text.
        return _slim(state)


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


def index_part(states: list[tuple[str, dict[str, Any]]], shard: str) -> tuple[bytes, int]:
    """``index/<hh>.json``: the entries of the guides of one shard, and their number."""
    guides = [_index_item(gid, state) for gid, state in states]
    return json_bytes({"format": FORMAT, "shard": shard, "guides": guides}), len(guides)


def index(manifest: Manifest, library: str) -> dict[str, bytes]:
    """The index's files, built whole from the manifest (what :meth:`MobileAdapter.render`
    writes shard by shard): path → bytes."""
    guides = manifest["guides"]
    files = Files(None, {})
    for shard in guides.shards():
        files.put(f"index/{shard}.json", index_part(guides.in_shard(shard), shard))
    files.data["index.json"] = index_bytes(files.meta, library, seq=manifest["seq"])
    return files.data


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
        "format": CHANGES_FORMAT,
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
