"""The site's lists built from the guides' listings and the change notices: facets (department,
theme, service object, item type), list entries, releases, the notices' API, sitemap files."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Container, Iterable, Mapping, Sequence
from html import escape as html_escape
from operator import itemgetter
from typing import Any

import orjson

from guidesrc.gaps import UNKNOWN_TYPE
from guidesrc.model.codes import ITEM_TYPES, SERVICE_OBJECTS
from guidesrc.site.collate import pinyin, pinyin_key
from guidesrc.site.data import (
    release_key,
)
from guidesrc.site.render import JSON_OPTIONS, slug


def xml_escape(text: str) -> str:
    return html_escape(text, quote=False)


FACETS = (
    ("department", "部门"),
    ("theme", "主题"),
    ("object", "服务对象"),
    ("type", "事项类型"),
)


def urlset(urls: Sequence[str]) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + "\n".join(urls)
        + "\n</urlset>\n"
    ).encode()


def facets_of(entry: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The list pages a guide appears on: (kind, file name)."""
    return [
        ("department", entry["department_id"]),
        *(("theme", slug(str(t))) for t in entry["themes"]),
        *(("object", slug(str(o))) for o in entry["objects"]),
        ("type", slug(str(entry["type"])) if entry.get("type") else "pending"),
    ]


def facet_groups(
    listings: Mapping[str, Mapping[str, Any]],
) -> dict[tuple[str, str], dict[str, Any]]:
    """Every list page: (kind, file name) → its title, label and guides (in id order).

    Runs on every publish over every guide: written for speed. The guides are grouped by the
    values themselves first (a tight loop per kind), each value named once after; values that
    share a file name (not seen in practice) take the slower way of :func:`_facet_groups`,
    which gives the same groups.
    """
    ids = sorted(listings)
    entries = [listings[gid] for gid in ids]
    by_value: dict[str, defaultdict[Any, list[str]]] = {k: defaultdict(list) for k, _t in FACETS}
    for gid, value in zip(ids, map(itemgetter("department_id"), entries), strict=True):
        by_value["department"][value].append(gid)
    for kind, field in (("theme", "themes"), ("object", "objects")):
        grouped = by_value[kind]
        for gid, values in zip(ids, map(itemgetter(field), entries), strict=True):
            for value in values:
                grouped[value].append(gid)
    for gid, entry in zip(ids, entries, strict=True):
        by_value["type"][entry.get("type") or None].append(gid)
    titles = dict(FACETS)
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for kind, values in by_value.items():
        for value, members in values.items():
            key = (
                value if kind == "department" else "pending" if value is None else slug(str(value))
            )
            if (kind, key) in groups:
                return _facet_groups(listings)
            label = _label(kind, value, listings[members[0]])
            groups[(kind, key)] = {"title": titles[kind], "label": label, "ids": members}
    return groups


def _label(kind: str, value: Any, first: Mapping[str, Any]) -> str:
    """A list page's label: its value's name (a department's: the name of its first guide)."""
    if kind == "department":
        return first["department"]  # type: ignore[no-any-return]
    if kind == "object":
        return SERVICE_OBJECTS.get(value, str(value))
    if kind == "type":
        return UNKNOWN_TYPE if value is None else ITEM_TYPES.get(value, str(value))
    return str(value)


def _facet_groups(
    listings: Mapping[str, Mapping[str, Any]],
) -> dict[tuple[str, str], dict[str, Any]]:
    """:func:`facet_groups` value by value: a page's label is its first guide's value."""
    titles = dict(FACETS)
    groups: dict[tuple[str, str], dict[str, Any]] = {}

    def add(kind: str, key: str, label: str, gid: str) -> None:
        if (kind, key) not in groups:
            groups[(kind, key)] = {"title": titles[kind], "label": label, "ids": []}
        groups[(kind, key)]["ids"].append(gid)

    for gid in sorted(listings):
        entry = listings[gid]
        add("department", entry["department_id"], entry["department"], gid)
        for theme in entry["themes"]:
            add("theme", slug(str(theme)), str(theme), gid)
        for code in entry["objects"]:
            add("object", slug(str(code)), SERVICE_OBJECTS.get(code, str(code)), gid)
        kind = entry.get("type")
        if kind:
            add("type", slug(str(kind)), ITEM_TYPES.get(kind, str(kind)), gid)
        else:
            add("type", "pending", UNKNOWN_TYPE, gid)
    return groups


def index_facets(
    groups: Mapping[tuple[str, str], dict[str, Any]],
    order: Mapping[str, Sequence[str]] | None = None,
) -> list[dict[str, Any]]:
    """The catalogue's facets: departments and themes in the library's ``order`` (a value listed
    there, by label or by file name, comes first, in that order), then by pinyin; service
    objects and item types in their official code order."""
    out = []
    for kind, title in FACETS:
        entries: list[dict[str, Any]] = [
            {"slug": key, "label": g["label"], "count": len(g["ids"])}
            for (k, key), g in groups.items()
            if k == kind
        ]
        if kind in ("department", "theme"):
            rank = {value: n for n, value in enumerate((order or {}).get(kind, ()))}
            last = len(rank)
            entries.sort(
                key=lambda e: (
                    min(rank.get(e["label"], last), rank.get(e["slug"], last)),
                    pinyin_key(e["label"]),
                    e["slug"],
                )
            )
        else:
            entries.sort(key=lambda e: e["slug"])
        out.append({"kind": kind, "title": title, "entries": entries})
    return out


def by_name(entries: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """List entries (:func:`list_entry`) by the pinyin of their names (kept in the listing; a
    manifest written before lists were in pinyin order has none), then by name and id."""
    return sorted(entries, key=lambda e: (e["sort"] or pinyin(e["name"]), e["name"], e["id"]))


def list_entry(gid: str, entry: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": gid,
        "name": entry["name"],
        "department": entry["department"],
        "type": entry.get("type"),
        "state": entry["state"],
        "effective_date": entry["effective_date"],
        "upcoming": entry["upcoming"],
        "sort": entry.get("sort"),
    }


def listing_entry(listing: Mapping[str, Any] | None) -> Any:
    """What a list page shows of a guide, and where: a change here rewrites its list pages."""
    if listing is None:
        return None
    return (list_entry("", listing), facets_of(listing))


def newest_first(notices: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Notices by approval time, newest first; within one approval by guide, then version."""
    ordered = sorted(notices, key=lambda n: (n["guide"], -n["version"]))
    ordered.sort(key=itemgetter("approved_at"), reverse=True)  # stable: keeps the order above
    return ordered


def releases(
    notices: Mapping[str, Mapping[str, Any]], only: Container[str] | None = None
) -> dict[str, list[Mapping[str, Any]]]:
    """Notices grouped by approval (release key), each group in guide order; with ``only``,
    the groups of the other releases as they come (enough for :func:`release_list`: they are
    sorted still if their notices' times differ)."""
    out: dict[str, list[Mapping[str, Any]]] = {}
    for summary in notices.values():
        out.setdefault(release_key(summary["approved_at"]), []).append(summary)
    return {
        k: sorted(v, key=lambda n: (n["name"], n["guide"], n["version"]))
        if only is None or k in only or len({n["approved_at"] for n in v}) > 1
        else v
        for k, v in out.items()
    }


def release_list(groups: Mapping[str, Sequence[Mapping[str, Any]]]) -> list[dict[str, Any]]:
    """The releases, newest first (``groups``: as :func:`releases` gives them)."""
    return [
        {"key": k, "approved_at": groups[k][0]["approved_at"], "count": len(groups[k])}
        for k in sorted(groups, reverse=True)
    ]


def release_summary(members: Sequence[Mapping[str, Any]]) -> str:
    counts = {
        "changed": sum(n["status"] == "changed" for n in members),
        "added": sum(n["status"] == "added" for n in members),
        "removed": sum(n["status"] in ("removed", "withdrawn") for n in members),
    }
    parts = [
        f"{label} {counts[k]} 项"
        for k, label in (("changed", "变更"), ("added", "新增"), ("removed", "取消或撤回"))
        if counts[k]
    ]
    return f"本次调整办事指南 {len(members)} 项（{'、'.join(parts)}）。"


def notices_api(latest: Sequence[Mapping[str, Any]]) -> bytes:
    body = {"format": 1, "notices": [notice_entry(n) for n in latest]}
    return orjson.dumps(body, option=JSON_OPTIONS)


#: How ``api/notices.json`` begins, up to its first notice.
NOTICES_HEAD = orjson.dumps({"format": 1, "notices": []}, option=JSON_OPTIONS)[:-2]


def notice_entry(notice: Mapping[str, Any]) -> dict[str, Any]:
    """A notice as ``api/notices.json`` lists it."""
    return {**notice, "document": f"releases/{release_key(notice['approved_at'])}.json"}
