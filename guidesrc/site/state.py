"""The site's manifest on disk: a small top file and parts addressed by their hash.

::

    _state/manifest.json          format 4: build, fingerprint, forms, pinyin, and per shard
                                  the SHA-256 of its two parts
    _state/parts/<sha256>.json    one shard's listing part: its guides' records without their
                                  search texts, and their change notices without their texts
                                  (what the lists, facets, releases, API index and sitemap need)
    _state/parts/<sha256>.json    one shard's detail part: those search texts and notice texts,
                                  and the delivery keys applied

A shard is the guides whose id falls in it (by the first byte of the id's SHA-256). A publish
reads every listing part and the detail parts of the shards it changes only; the top file keeps
the texts of the newest notices (the feed's, the home and notices pages'); a few other guides'
texts are read when search or a whole ``api/notices.json`` needs them
(:meth:`guidesrc.site.data.Manifest.complete`). A part is read only if its bytes have the SHA-256
the top file names (a part edited by hand is refused: ``guides publish --rebuild``).

A publish that changes one guide writes its shard's two new parts and the top file, and keeps
the other parts as they are (the signed manifests keep their shards so too,
:mod:`guidesrc.manifest_shards`). New parts are written aside and renamed into place before the
top file is renamed over the old one (:mod:`guidesrc.site.store`), so a crash leaves the old top
file and every part it names; the parts no top file names any more are removed after it.
A manifest of format 3 or 2 (one part per shard) or 1 (one file, before the parts) is read as it
is, whole; the next publish writes every shard in two parts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import orjson

#: 4: each shard in two parts, its listings and notices apart from its search texts, notice
#: texts and applied delivery keys (an older guidesrc refuses it).
FORMAT = 4
#: One part per shard, listings keeping their search texts as one JSON text
#: (:func:`guidesrc.site.search.search_text`).
TEXT_FORMAT = 3
#: One part per shard, listings keeping their search texts as lists (a full build keeps them as
#: JSON text, :func:`guidesrc.site.search.keep_as_text`).
LIST_FORMAT = 2
SINGLE_FORMAT = 1  # the whole manifest in one file
PARTS = "_state/parts"

Section = dict[str, dict[str, Any]]
#: A shard's share of the manifest: its guides, notices and applied delivery keys.
SECTIONS = ("guides", "notices", "applied")


def shard_of(guide_id: str) -> str:
    return hashlib.sha256(guide_id.encode()).hexdigest()[:2]


def applied_guide(key: str) -> str:
    """The guide of a delivery key (``<guide>@<version>:<action>``)."""
    return key.rsplit("@", 1)[0]


def part_name(digest: str) -> str:
    return f"{PARTS}/{digest}.json"


def _body(data: Mapping[str, Any]) -> tuple[str, bytes]:
    out = orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(out).hexdigest(), out


def part_bodies(sections: Mapping[str, Section]) -> tuple[tuple[str, bytes], tuple[str, bytes]]:
    """A shard's two parts, each as (SHA-256, bytes): its listing part (the guides' records
    without their search texts, the notices without their texts) and its detail part (those
    texts, the applied delivery keys)."""
    guides: Section = {}
    search: dict[str, Any] = {}
    for gid, rec in sections["guides"].items():
        listing = rec["listing"]
        if listing is not None and "search" in listing:
            search[gid] = listing["search"]
            rec = {**rec, "listing": {k: v for k, v in listing.items() if k != "search"}}
        guides[gid] = rec
    notices: Section = {}
    texts: dict[str, str] = {}
    for key, summary in sections["notices"].items():
        if "text" in summary:
            texts[key] = summary["text"]
            summary = {k: v for k, v in summary.items() if k != "text"}
        notices[key] = summary
    listed = _body({"guides": guides, "notices": notices})
    detail = _body({"search": search, "texts": texts, "applied": sections["applied"]})
    return listed, detail


def split(guides: Section, notices: Section, applied: Section) -> dict[str, dict[str, Section]]:
    """Every shard's sections (the whole manifest, grouped)."""
    shards: dict[str, dict[str, Section]] = {}

    def into(shard: str) -> dict[str, Section]:
        return shards.setdefault(shard, {k: {} for k in SECTIONS})

    for gid, rec in guides.items():
        into(shard_of(gid))["guides"][gid] = rec
    for key, summary in notices.items():
        into(shard_of(summary["guide"]))["notices"][key] = summary
    for key, receipt in applied.items():
        into(shard_of(applied_guide(key)))["applied"][key] = receipt
    return shards


def read_part(folder: str, digest: str) -> Any:
    """A part's content, if its bytes have the SHA-256 they are named by (else ValueError)."""
    with open(f"{folder}/{digest}.json", "rb") as handle:
        data = handle.read()
    if hashlib.sha256(data).hexdigest() != digest:
        raise ValueError(f"{PARTS}/{digest}.json does not match its SHA-256 (edited?)")
    return orjson.loads(data)


def read_parts(root: Path, parts: Mapping[str, str]) -> dict[str, Any]:
    """The parts a top file names (shard → digest), read (plain names: no path objects)."""
    folder = f"{root}/{PARTS}"
    return {shard: read_part(folder, digest) for shard, digest in parts.items()}


def unused_parts(root: Path, keep: Iterable[str]) -> list[Path]:
    """The part files of ``root`` no top file names (replaced, or left by a crash)."""
    folder = root / PARTS
    wanted = {Path(part_name(digest)).name for digest in keep}
    try:
        return [p for p in folder.iterdir() if p.name not in wanted and not p.name.startswith(".")]
    except FileNotFoundError:
        return []
