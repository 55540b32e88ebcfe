"""What the site shows, as data: one document per guide, one per change notice, and the
manifest that lists them; how a delivery changes them.

A guide's **document** (``api/guides/<id>.json``, part of the JSON API) holds everything its pages
are made from: the version in force (``current``), an approved version not yet in force
(``upcoming``), or the withdrawal (``withdrawn``), each with its compiled guide or reason and its
change notice. The compiled guide is kept **null-free** (document format 2): a value the guide
does not state is left out, and its path is in the guide's ``gaps`` list, as in the mobile feed
(:func:`guidesrc.gaps.null_free`). The pages are made from that same form, so what a page shows
and what the API says cannot differ, and a document read back from the served build renders
exactly as the delivery that made it. A **notice** document (``api/notices/<key>.json``, key ``<id>-v<version>``) is the
change notice of one version. The **manifest** (``_state/manifest.json``) is the site's own state:
per guide its versions (without the compiled text) and its listing entry (name, department,
themes … what lists, search and the sitemap need), every notice's summary, and the delivery keys
already applied (what :meth:`SiteAdapter.lookup` answers from).

Documents and manifest are a function of the deliveries applied, not of when or in which batches
they came, so an incremental publish and a full build give the same files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Container, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

from guidesrc.adapters import Delivery, safe_id
from guidesrc.gaps import UNKNOWN_BODY, null_free
from guidesrc.site.collate import pinyin
from guidesrc.site.forms import guide_forms
from guidesrc.site.render import slug
from guidesrc.site.search import search_text
from guidesrc.site.state import FORMAT as STATE_FORMAT
from guidesrc.site.state import (
    LIST_FORMAT,
    NOTICE_DETAIL,
    PARTS,
    SECTIONS,
    SINGLE_FORMAT,
    TEXT_FORMAT,
    apart,
    applied_guide,
    merge_detail,
    part_bodies,
    part_name,
    read_part,
    read_parts,
    shard_of,
    split,
)
from guidesrc.statuses import Action

FORMAT = 1  # the notices (the manifest's: guidesrc.site.state)
#: ``api/guides/<id>.json``. 2: the compiled guides null-free (unknowns left out, named in gaps).
DOC_FORMAT = 2
MANIFEST = "_state/manifest.json"

Doc = dict[str, Any]


@dataclass(slots=True)
class Manifest:
    """The site's state: guides (without compiled text), notices, applied delivery keys."""

    guides: dict[str, dict[str, Any]] = field(default_factory=dict)
    notices: dict[str, dict[str, Any]] = field(default_factory=dict)
    applied: dict[str, dict[str, Any]] = field(default_factory=dict)
    build: int = 0
    fingerprint: str = ""
    #: The forms published with the pages (:mod:`guidesrc.site.forms`): path → SHA-256, size.
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: The pinyin of the catalogue's labels and the withdrawn guides' names (text → pinyin;
    #: :mod:`guidesrc.site.collate`): a publish that shows no new one needs no pypinyin.
    pinyin: dict[str, str] = field(default_factory=dict)
    #: Each form's file status when it was last read (:func:`guidesrc.site.forms.file_status`):
    #: an incremental publish reads again only the forms whose status changed.
    form_status: dict[str, list[int]] = field(default_factory=dict)

    #: Shard → SHA-256 of its listing part, and of its detail part, as on disk
    #: (:mod:`guidesrc.site.state`).
    parts: dict[str, str] = field(default_factory=dict)
    details: dict[str, str] = field(default_factory=dict)
    #: The shards changed since the manifest was read; None: all (new, or read from an older
    #: format: every shard is written in the new one).
    dirty: set[str] | None = None
    #: The shards whose detail part (:data:`guidesrc.site.state.LISTING_DETAIL` …, the applied
    #: keys) is read; None: all. The records of the others lack those fields.
    loaded: set[str] | None = None
    #: Per shard, its parts as read (section → entries): the keys it held.
    as_read: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    #: Per shard, the keys of its guides, notices and applied deliveries put since.
    members: dict[str, tuple[set[str], ...]] = field(default_factory=dict)
    #: The build the manifest was read from (where :meth:`complete` reads detail parts).
    root: Path | None = None
    #: The keys of the newest notices, whose details the top file keeps (:meth:`newest`).
    recent: list[str] = field(default_factory=list)

    def put(self, section: str, key: str, value: dict[str, Any] | None, guide_id: str) -> None:
        """Set one entry of ``guides``, ``notices`` or ``applied`` (None: remove it), for the
        guide ``guide_id``: its shard is written again by :meth:`dump`."""
        shard = shard_of(guide_id)
        self.complete((shard,))
        entries: dict[str, dict[str, Any]] = getattr(self, section)
        if value is None:
            entries.pop(key, None)
        else:
            entries[key] = value
        members = self.members.setdefault(shard, tuple(set() for _ in SECTIONS))
        members[SECTIONS.index(section)].add(key)
        if self.dirty is not None:
            self.dirty.add(shard)

    def complete(self, shards: Iterable[str] | None = None) -> None:
        """Read the detail parts of ``shards`` (None: every shard) not read yet: their guides'
        records and notices get their details (search texts, versions, notice texts …), in
        place, and ``applied`` their delivery keys."""
        if self.loaded is None:
            return
        wanted = self.details.keys() if shards is None else shards
        todo = [s for s in wanted if s not in self.loaded and s in self.details]
        if not todo:
            return
        folder = f"{self.root}/{PARTS}"
        guides, notices = self.guides, self.notices
        for shard in todo:
            detail = read_part(folder, self.details[shard])
            merge_detail(guides, notices, detail)
            self.applied.update(detail["applied"])
            self.as_read[shard]["applied"] = detail["applied"]
            self.loaded.add(shard)
        if shards is None:
            self.loaded = None

    def newest(self, notices: Iterable[Mapping[str, Any]]) -> None:
        """``notices`` (summaries of this manifest, the newest) with their details (texts,
        headlines …): read from the detail parts those of the top file do not give; the top
        file keeps them from now on."""
        self.recent = [n["key"] for n in notices]
        self.complete({shard_of(n["guide"]) for n in notices if "text" not in n})

    def search_of(self, guide_id: str) -> None:
        """The guide's search texts read (its shard's detail part), if they are not yet."""
        if self.loaded is not None:
            self.complete((shard_of(guide_id),))

    def dump(self, every: bool = False) -> tuple[bytes, dict[str, bytes]]:
        """The top file and the parts to write (path → bytes): the changed shards' or, with
        ``every`` (a new build), all of them."""
        if self.dirty is None:
            shards = split(self.guides, self.notices, self.applied)
            self.parts, self.details = {}, {}
        else:
            self.complete(self.dirty)
            shards = {s: self._sections(s) for s in sorted(self.dirty)}
        new: dict[str, bytes] = {}
        for shard, sections in shards.items():
            if not any(sections.values()):
                self.parts.pop(shard, None)
                self.details.pop(shard, None)
                continue
            (listed, data), (detail, more) = part_bodies(sections)
            if self.parts.get(shard) != listed:
                new[part_name(listed)] = data
            if self.details.get(shard) != detail:
                new[part_name(detail)] = more
            self.parts[shard], self.details[shard] = listed, detail
        if every and self.dirty is not None:
            new = self._all_parts()
        top = {
            "format": STATE_FORMAT,
            "build": self.build,
            "fingerprint": self.fingerprint,
            "files": self.files,
            "pinyin": self.pinyin,
            "form_status": self.form_status,
            "parts": dict(sorted(self.parts.items())),
            "details": dict(sorted(self.details.items())),
            "recent": {
                k: apart(self.notices[k], NOTICE_DETAIL)[1]
                for k in self.recent
                if k in self.notices and "text" in self.notices[k]
            },
        }
        return orjson.dumps(top, option=orjson.OPT_SORT_KEYS), new

    def digests(self) -> list[str]:
        """The SHA-256 of every part the manifest names (the parts to keep)."""
        return [*self.parts.values(), *self.details.values()]

    def _sections(self, shard: str) -> dict[str, dict[str, dict[str, Any]]]:
        added = self.members.get(shard, tuple(set() for _ in SECTIONS))
        read = self.as_read.get(shard, {})
        out: dict[str, dict[str, dict[str, Any]]] = {}
        for section, names in zip(SECTIONS, added, strict=True):
            entries: dict[str, dict[str, Any]] = getattr(self, section)
            keys = names.union(read.get(section, ()))
            out[section] = {k: entries[k] for k in keys if k in entries}
        return out

    def _all_parts(self) -> dict[str, bytes]:
        """Every shard's parts (named by the SHA-256 of the bytes written: a full build may
        write a shard it did not change in another form, :func:`search.keep_as_text`)."""
        self.complete()
        out = {}
        for shard in self.parts:
            (listed, data), (detail, more) = part_bodies(self._sections(shard))
            self.parts[shard], self.details[shard] = listed, detail
            out[part_name(listed)], out[part_name(detail)] = data, more
        return out

    @classmethod
    def read(cls, root: Path, shards: Iterable[str] | None = None) -> Manifest:
        """The manifest of the build ``root``: its top file and the parts it names (of the
        detail parts, those of ``shards`` only; None: all), or the one file of an older guidesrc
        (its next publish writes every part)."""
        body = orjson.loads((root / MANIFEST).read_bytes())
        if body.get("format") == SINGLE_FORMAT:
            return cls(
                guides=body["guides"],
                notices=body["notices"],
                applied=body["applied"],
                build=body["build"],
                fingerprint=body["fingerprint"],
                files=body.get("files", {}),  # none before the forms were published
                pinyin=body.get("pinyin", {}),  # none before the pinyin was kept
            )
        if body.get("format") not in (LIST_FORMAT, TEXT_FORMAT, STATE_FORMAT):
            raise ValueError(f"manifest format {body.get('format')} is not {STATE_FORMAT}")
        manifest = cls(
            build=body["build"],
            fingerprint=body["fingerprint"],
            files=body["files"],
            pinyin=body["pinyin"],
            form_status=body.get("form_status", {}),  # none before it was kept
            root=root,
        )
        manifest.as_read = read_parts(root, body["parts"])
        for sections in manifest.as_read.values():
            manifest.guides.update(sections["guides"])
            manifest.notices.update(sections["notices"])
            manifest.applied.update(sections.get("applied", {}))
        # In id order, as the one file had them (the order the lists are made in).
        manifest.guides = dict(sorted(manifest.guides.items()))
        manifest.notices = dict(sorted(manifest.notices.items()))
        if body["format"] == STATE_FORMAT:  # older ones: one part a shard, written anew
            manifest.parts, manifest.details = body["parts"], body["details"]
            manifest.dirty, manifest.loaded = set(), set()
            for key, more in body["recent"].items():
                if key in manifest.notices:
                    manifest.notices[key].update(more)
            manifest.complete(shards)
        return manifest

    def listings(self) -> dict[str, dict[str, Any]]:
        """Every listed guide (not withdrawn): id → listing entry."""
        return {i: g["listing"] for i, g in self.guides.items() if g["listing"] is not None}


def applied_receipt(root: Path, key: str) -> dict[str, Any] | None:
    """The receipt of the delivery ``key`` in the manifest of the build ``root`` (the top file
    and one part read), or None."""
    body = orjson.loads((root / MANIFEST).read_bytes())
    form = body.get("format")
    if form not in (LIST_FORMAT, TEXT_FORMAT, STATE_FORMAT):
        return Manifest.read(root).applied.get(key)
    digest = body["details" if form == STATE_FORMAT else "parts"].get(shard_of(applied_guide(key)))
    if digest is None:
        return None
    receipt: dict[str, Any] | None = read_part(f"{root}/{PARTS}", digest)["applied"].get(key)
    return receipt


def iso(moment: dt.datetime) -> str:
    """A time as ISO 8601 in UTC, to the second (the data's own times, stable across runs)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def notice_key(guide_id: str, version: int) -> str:
    return f"{guide_id}-v{version}"


@lru_cache(maxsize=4096)
def release_key(approved_at: str) -> str:
    """The release (one approval) a notice belongs to: ``r-20260930T080000Z``."""
    return "r-" + approved_at.replace("-", "").replace(":", "")


def empty_doc(guide_id: str, name: str, base_url: str) -> Doc:
    return {
        "format": DOC_FORMAT,
        "id": guide_id,
        "name": name,
        "state": "current",
        "url": f"{base_url}/guides/{guide_id}.html",
        "current": None,
        "upcoming": None,
        "withdrawn": None,
    }


def _newest(doc: Doc) -> int:
    return max(
        (doc[k]["version"] for k in ("current", "upcoming", "withdrawn") if doc[k]), default=0
    )


def take(
    delivery: Delivery,
    docs: dict[str, Doc],
    notices: dict[str, Doc],
    base_url: str,
    earlier: Callable[[str], Doc | None] = lambda _gid: None,
    published: Container[str] = (),
) -> None:
    """Apply ``delivery`` to a copy of its guide's document (the one in ``docs``, else the one
    ``earlier`` gives, else a new one), put in ``docs``; its change notice goes to ``notices``
    unless it is there already or ``published``."""
    gid = delivery.guide_id
    found = docs.get(gid) or earlier(gid)
    doc = dict(found) if found is not None else empty_doc(gid, delivery.name, base_url)
    apply(doc, delivery)
    docs[gid] = doc
    key = notice_key(gid, delivery.version)
    if key not in published and key not in notices:
        notices[key] = notice_document(delivery, base_url)


def apply(doc: Doc, delivery: Delivery) -> bool:
    """Change a guide's document as the delivery says; False if it is older than what the
    document holds (a stale delivery changes nothing)."""
    version = {
        "version": delivery.version,
        "effective_date": delivery.effective_date.isoformat(),
        "approved_at": iso(delivery.approved_at),
        "content_hash": delivery.content_hash,
        "notice_key": notice_key(delivery.guide_id, delivery.version),
        "notice": notice_body(delivery),
        "guide": None if delivery.guide is None else null_free(delivery.guide),
    }
    newest = _newest(doc)
    if delivery.action == Action.WITHDRAW:
        if newest > delivery.version:
            return False
        doc["current"] = doc["upcoming"] = None
        doc["withdrawn"] = {
            "version": delivery.version,
            "effective_date": delivery.effective_date.isoformat(),
            "approved_at": iso(delivery.approved_at),
            "reason": delivery.reason or "",
            "notice_key": notice_key(delivery.guide_id, delivery.version),
        }
    elif delivery.action == Action.ANNOUNCE:
        if newest > delivery.version or (doc["current"] or {}).get("version") == delivery.version:
            return False
        if delivery.guide is None:
            raise ValueError(f"{delivery.key}: no compiled guide to announce")
        doc["upcoming"] = version
        doc["withdrawn"] = None
    else:  # publish, activate
        current = doc["current"]
        withdrawn = doc["withdrawn"]
        if (current and current["version"] >= delivery.version) or (
            withdrawn and withdrawn["version"] > delivery.version
        ):
            return False
        if delivery.guide is None:
            raise ValueError(f"{delivery.key}: no compiled guide to publish")
        doc["current"] = version
        doc["withdrawn"] = None
        if doc["upcoming"] and doc["upcoming"]["version"] <= delivery.version:
            doc["upcoming"] = None
    doc["name"] = delivery.name
    doc["state"] = "withdrawn" if doc["withdrawn"] else "current" if doc["current"] else "upcoming"
    return True


def current_form(doc: Doc) -> Doc:
    """A guide document read from a site built by an older guidesrc, in today's form: format 1
    held the compiled guides with their nulls (the next full build writes it again as format 2)."""
    if doc.get("format") == DOC_FORMAT:
        return doc
    out = {**doc, "format": DOC_FORMAT}
    for slot in ("current", "upcoming"):
        version = out.get(slot)
        if version and version.get("guide") is not None:
            out[slot] = {**version, "guide": null_free(version["guide"])}
    return out


def notice_body(delivery: Delivery) -> dict[str, Any]:
    """The words of a version's change notice: text, items (label and clauses), effective date."""
    notice = delivery.notice or {}
    withdrawn = delivery.action == Action.WITHDRAW
    return {
        "effective_date": notice.get("effective_date")
        or (None if withdrawn else delivery.effective_date.isoformat()),
        "text": str(notice.get("text") or ""),
        "items": [
            {
                "field": str(item.get("field", "")),
                "label": str(item.get("label", "")),
                "clauses": [str(c) for c in item.get("clauses", [])],
            }
            for item in notice.get("items", [])
        ],
    }


def notice_document(delivery: Delivery, base_url: str) -> Doc:
    """``api/notices/<key>.json``: the change notice of the delivered version."""
    key = notice_key(safe_id(delivery.guide_id), delivery.version)
    notice = delivery.notice or {}
    withdrawn = delivery.action == Action.WITHDRAW
    if withdrawn:
        headline = f"撤回事项：{delivery.name}"
    else:
        headline = {"added": "新增事项", "removed": "取消事项"}.get(
            str(notice.get("status")), "变更事项"
        ) + f"：{delivery.name}"
    return {
        "format": FORMAT,
        "key": key,
        "guide": delivery.guide_id,
        "version": delivery.version,
        "name": delivery.name,
        "action": "withdraw" if withdrawn else "change",
        "status": "withdrawn" if withdrawn else str(notice.get("status") or "changed"),
        "approved_at": iso(delivery.approved_at),
        "headline": headline,
        **notice_body(delivery),
        "reason": delivery.reason if withdrawn else None,
        "url": f"{base_url}/notices/{key}.html",
        "guide_url": f"{base_url}/guides/{delivery.guide_id}.html",
    }


def notice_summary(notice: Mapping[str, Any]) -> dict[str, Any]:
    """What the manifest, the lists, the feed and ``api/notices.json`` keep of a notice."""
    return {
        k: notice[k]
        for k in (
            "key",
            "guide",
            "version",
            "name",
            "action",
            "status",
            "approved_at",
            "effective_date",
            "headline",
            "text",
            "url",
        )
    }


def record(doc: Doc) -> dict[str, Any]:
    """The manifest's entry for a guide: its versions without the compiled text, its listing."""

    def bare(version: Mapping[str, Any] | None) -> dict[str, Any] | None:
        if version is None:
            return None
        return {k: v for k, v in version.items() if k not in ("guide", "notice")}

    return {
        "name": doc["name"],
        "state": doc["state"],
        "current": bare(doc["current"]),
        "upcoming": bare(doc["upcoming"]),
        "withdrawn": doc["withdrawn"],
        "listing": listing(doc),
        "forms": guide_forms(doc),
    }


def listing(doc: Doc) -> dict[str, Any] | None:
    """A listed guide's entry: what the lists, search, sitemap and the API index show. No value
    is null: an item type not known is left out (the lists show 事项类型待补充); a manifest
    written by an older guidesrc may hold ``"type": null``, which reads the same."""
    if doc["state"] == "withdrawn":
        return None
    shown = doc["current"] or doc["upcoming"]
    guide = shown["guide"]
    body = guide.get("implementing_body") or {}
    upcoming = doc["upcoming"] if doc["current"] else None
    changed = max(v["approved_at"] for v in (doc["current"], doc["upcoming"]) if v)
    return {
        "name": guide["name"],
        "sort": pinyin(guide["name"]),  # the lists' order (guidesrc.site.collate)
        **department(body),
        "themes": sorted(set(guide.get("themes", []))),
        "objects": sorted(set(guide.get("service_objects", []))),
        **({"type": guide["item_type"]} if guide.get("item_type") else {}),  # unknown: left out
        "state": doc["state"],
        "version": shown["version"],
        "content_hash": shown["content_hash"],
        "effective_date": shown["effective_date"],
        "upcoming": upcoming["effective_date"] if upcoming else None,
        "changed": changed,
        "search": search_text(guide),
    }


#: The department list of the guides whose implementing body is not known (待补充).
PENDING_DEPARTMENT = {"department": UNKNOWN_BODY, "department_id": "pending"}


def department(body: Mapping[str, Any]) -> dict[str, str]:
    """A guide's department on the lists: by credit code, else by name; the guides whose body
    is unknown share one list titled as a gap (never one department's name)."""
    name, code = body.get("name"), body.get("credit_code")
    if not name:
        return PENDING_DEPARTMENT
    return {"department": name, "department_id": slug(str(code)) if code else slug("名称:" + name)}
