"""The site's manifest on disk: a small top file and parts addressed by their hash.

::

    _state/manifest.json          format 4: build, fingerprint, forms, pinyin, and per shard
                                  the SHA-256 of its two parts
    _state/parts/<sha256>.json    one shard's listing part: of its guides' records and change
                                  notices what the lists, facets, releases, upcoming changes and
                                  forms need of every guide
    _state/parts/<sha256>.json    one shard's detail part: the rest (search texts, versions,
                                  notice texts …) and the delivery keys applied

A shard is the guides whose id falls in it (by the first byte of the id's SHA-256). A publish
reads every listing part and the detail parts of the shards it changes only; the top file keeps
the details of the newest notices (the feed's, the home and notices pages'); the detail parts of
other shards are read when search needs a few guides' texts, or when a whole ``api/index.json``,
``api/notices.json`` or ``sitemap.xml`` is written
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


#: What a shard's listing part leaves to its detail part, of a guide's record, of its listing
#: and of a notice: what no library-wide file needs of a guide a publish does not change (the
#: feed's notices excepted: the top file keeps those of the newest notices).
RECORD_DETAIL = ("current", "upcoming")
LISTING_DETAIL = ("search", "version", "content_hash", "changed")
NOTICE_DETAIL = ("text", "headline", "url", "effective_date", "action", "status")


def apart(
    entry: Mapping[str, Any], fields: tuple[str, ...]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``entry`` without ``fields``, and those of them it has."""
    return {k: v for k, v in entry.items() if k not in fields}, {
        k: entry[k] for k in fields if k in entry
    }


def part_bodies(sections: Mapping[str, Section]) -> tuple[tuple[str, bytes], tuple[str, bytes]]:
    """A shard's two parts, each as (SHA-256, bytes): its listing part (its guides' records and
    notices without their details) and its detail part (those details and the applied keys)."""
    guides: Section = {}
    more_guides: Section = {}
    for gid, rec in sections["guides"].items():
        kept, more = apart(rec, RECORD_DETAIL)
        if rec["listing"] is not None:
            kept["listing"], more["listing"] = apart(rec["listing"], LISTING_DETAIL)
        guides[gid], more_guides[gid] = kept, more
    notices: Section = {}
    more_notices: Section = {}
    for key, summary in sections["notices"].items():
        notices[key], more_notices[key] = apart(summary, NOTICE_DETAIL)
    listed = _body({"guides": guides, "notices": notices})
    detail = _body({"guides": more_guides, "notices": more_notices, "applied": sections["applied"]})
    return listed, detail


def merge_detail(guides: Section, notices: Section, detail: Mapping[str, Section]) -> None:
    """A shard's detail part put back into its guides' records and notices (as read from its
    listing part)."""
    for gid, more in detail["guides"].items():
        rec = guides[gid]
        listing = more.pop("listing", None)
        rec.update(more)
        if listing is not None:
            rec["listing"].update(listing)
    for key, more in detail["notices"].items():
        notices[key].update(more)


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
