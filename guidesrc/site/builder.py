"""Publishing to the static site: apply deliveries to the site's data, then write what changed.

The pipeline, top to bottom (:meth:`Site.publish`):

1. **load** the manifest of the build being served (none: a first build);
2. **apply** each delivery to its guide's document (:func:`guidesrc.site.data.apply`) and collect
   the change notices; deliveries the manifest already lists are done (their receipt is returned);
3. **plan**: a full build when there is no site yet, when the site was made by other code or
   settings (the fingerprint), or when the batch changes many guides; else an incremental one;
4. **render** the files: for an incremental publish only the changed guides' pages and documents,
   their notices, and the lists, feeds, search shards and sitemap entries that show them;
5. **write** them atomically for readers (:mod:`guidesrc.site.store`), the manifest last.
"""

from __future__ import annotations

import hashlib
import math
import multiprocessing
import os
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape as html_escape
from operator import itemgetter
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

import orjson

from guidesrc.adapters import Delivery, safe_id
from guidesrc.diff.batch import without_cycle_collection
from guidesrc.errors import ChannelError
from guidesrc.gaps import UNKNOWN_TYPE
from guidesrc.i18n import _
from guidesrc.model.codes import ITEM_TYPES, SERVICE_OBJECTS
from guidesrc.site import search
from guidesrc.site.data import (
    MANIFEST,
    Doc,
    Manifest,
    apply,
    empty_doc,
    notice_document,
    notice_key,
    notice_summary,
    record,
    release_key,
)
from guidesrc.site.render import HERE, JSON_OPTIONS, Renderer, SiteConfig, slug
from guidesrc.site.store import NewBuild, Update, current_build

#: A batch that changes more guides than this share of the site (and at least FULL_MIN) is
#: written as a new build: cheaper than thousands of renames, and one switch for readers.
FULL_SHARE = 0.1
FULL_MIN = 200
LATEST_NOTICES = 20  # on the home page and the notices page
FEED_ENTRIES = 50
SITEMAP_LIMIT = 50_000  # URLs per sitemap file (the protocol's limit)
PARALLEL_MIN = 400  # guides: below this a full build runs in one process
CHUNK = 50  # guides a process takes at a time in a parallel full build


def xml_escape(text: str) -> str:
    return html_escape(text, quote=False)


FACETS = (
    ("department", "部门"),
    ("theme", "主题"),
    ("object", "服务对象"),
    ("type", "事项类型"),
)


def fingerprint(config: SiteConfig) -> str:
    """Changes with the site's code, templates, static files and settings: a site made by other
    ones is built afresh."""
    digest = hashlib.sha256(orjson.dumps(config.as_dict(), option=orjson.OPT_SORT_KEYS))
    for path in sorted(HERE.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".html", ".xml", ".css", ".js"):
            digest.update(path.relative_to(HERE).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


class Sink(Protocol):
    def write(self, rel: str, data: bytes, stage: int) -> None: ...


@dataclass(slots=True)
class Result:
    """What a publish did: a receipt per delivery (or the error), and the files written."""

    receipts: list[dict[str, Any] | Exception] = field(default_factory=list)
    mode: str = "none"  # "full", "incremental", or "none" (nothing to do)
    written: list[str] = field(default_factory=list)


class Site:
    """The static site at ``link`` (a symbolic link to the build being served)."""

    def __init__(self, link: Path, config: SiteConfig) -> None:
        self.link = link
        self.config = config
        self.render = Renderer(config)
        self.fingerprint = fingerprint(config)

    # --- reading ------------------------------------------------------------------------------

    def root(self) -> Path | None:
        return current_build(self.link)

    def manifest(self) -> Manifest | None:
        root = self.root()
        if root is None:
            return None
        try:
            return Manifest.loads((root / MANIFEST).read_bytes())
        except (OSError, ValueError, KeyError) as exc:
            raise ChannelError(
                _("the site's manifest {path} cannot be read: {reason}").format(
                    path=root / MANIFEST, reason=exc
                )
            ) from exc

    # --- publishing ---------------------------------------------------------------------------

    def publish(self, deliveries: Sequence[Delivery]) -> Result:
        """Apply the deliveries and write the site; a receipt or an exception per delivery."""
        # The manifest and the documents are hundreds of thousands of small objects and none
        # forms a cycle: the cyclic collector would only scan them again and again.
        with without_cycle_collection():
            return self._publish(deliveries)

    def _publish(self, deliveries: Sequence[Delivery]) -> Result:
        root = self.root()
        manifest = self.manifest() or Manifest()
        known = _Loader(root)
        docs: dict[str, Doc] = {}
        notices: dict[str, Doc] = {}
        before = {gid: rec["listing"] for gid, rec in manifest.guides.items()}
        result = Result()
        new_keys: list[tuple[int, str]] = []
        for delivery in deliveries:
            if delivery.key in manifest.applied:
                result.receipts.append(manifest.applied[delivery.key])
                continue
            try:
                self._apply(delivery, manifest, known, docs, notices)
            except Exception as exc:  # this delivery fails; the others go on
                result.receipts.append(exc)
                continue
            new_keys.append((len(result.receipts), delivery.key))
            result.receipts.append({})
        if not new_keys:
            return result
        for gid, doc in docs.items():
            manifest.guides[gid] = record(doc)
        for key, notice in notices.items():
            manifest.notices[key] = notice_summary(notice)
        full = (
            root is None
            or manifest.fingerprint != self.fingerprint
            or len(docs) > max(FULL_MIN, FULL_SHARE * len(manifest.guides))
        )
        manifest.fingerprint = self.fingerprint
        if full:
            manifest.build += 1
        receipt = {"site": str(self.link), "build": f"b{manifest.build:06d}"}
        for index, key in new_keys:
            manifest.applied[key] = {**receipt, "key": key}
            result.receipts[index] = manifest.applied[key]
        if full:
            result.mode = "full"
            build = NewBuild(self.link, manifest.build)
            result.written = self.write_all(
                build.root, manifest, lambda gid: docs.get(gid) or known.doc(gid), notices, known
            )
            build.switch(manifest.dumps())
        else:
            assert root is not None
            result.mode = "incremental"
            update = Update(root)
            self.write_changes(update, manifest, before, docs, notices, known)
            update.commit(manifest.dumps())
            result.written = update.written
        return result

    def _apply(
        self,
        delivery: Delivery,
        manifest: Manifest,
        known: _Loader,
        docs: dict[str, Doc],
        notices: dict[str, Doc],
    ) -> None:
        gid = safe_id(delivery.guide_id)
        if gid in docs:
            doc = dict(docs[gid])
        elif gid in manifest.guides:
            doc = dict(known.doc(gid))
        else:
            doc = empty_doc(gid, delivery.name, self.config.base_url)
        apply(doc, delivery)
        docs[gid] = doc
        key = notice_key(gid, delivery.version)
        if key not in manifest.notices and key not in notices:
            notices[key] = notice_document(delivery, self.config.base_url)

    # --- a full build -------------------------------------------------------------------------

    def write_all(
        self,
        out: Path,
        manifest: Manifest,
        doc: Callable[[str], Doc],
        notices: Mapping[str, Doc],
        known: _Loader,
        drafts: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> list[str]:
        """Every file of the site into the empty folder ``out`` (the manifest excepted)."""
        sink = _FolderSink(out)
        for rel, data in self.render.static_files().items():
            sink.write(rel, data, 0)
        by_guide: dict[str, list[str]] = {}
        for key, summary in manifest.notices.items():
            by_guide.setdefault(summary["guide"], []).append(key)

        def guides_part(ids: Sequence[str]) -> None:
            for gid in ids:
                self._guide_files(sink, doc(gid), (drafts or {}).get(gid), full=True)
                for key in by_guide.get(gid, []):
                    self._notice_page(sink, notice_of(key))

        def notice_of(key: str) -> Doc:
            return notices.get(key) or known.notice(key, manifest.notices[key]["approved_at"])

        def lists() -> None:
            # Notices of guides no longer in the manifest (none today; kept for safety).
            for gid in sorted(set(by_guide) - set(manifest.guides)):
                for key in by_guide[gid]:
                    self._notice_page(sink, notice_of(key))
            listings = manifest.listings()
            groups = facet_groups(listings)
            for kind, key in sorted(groups):
                self._facet_page(sink, groups, listings, kind, key)
            for rkey, members in releases(manifest.notices).items():
                self._release_files(sink, rkey, [notice_of(n["key"]) for n in members])
            for rel, data in search.build_index(listings).items():
                sink.write(rel, data, 2)
            self._global_files(sink, manifest, listings, groups)

        with without_cycle_collection():  # also for the preview, which calls this directly
            _shared_work(sorted(manifest.guides), guides_part, lists)
        return sink.written

    # --- an incremental publish ---------------------------------------------------------------

    def write_changes(
        self,
        update: Update,
        manifest: Manifest,
        before: Mapping[str, dict[str, Any] | None],
        docs: Mapping[str, Doc],
        notices: Mapping[str, Doc],
        known: _Loader,
    ) -> None:
        for gid in sorted(docs):
            self._guide_files(update, docs[gid], None, full=False)
        for key in sorted(notices):
            self._notice_page(update, notices[key])
        rkeys = {release_key(n["approved_at"]) for n in notices.values()}
        for rkey, members in releases(manifest.notices).items():
            if rkey in rkeys:
                full = [
                    notices.get(n["key"]) or known.notice(n["key"], n["approved_at"])
                    for n in members
                ]
                self._release_files(update, rkey, full)
        listings = manifest.listings()
        groups = facet_groups(listings)
        old_groups = {
            facet
            for gid in docs
            if before.get(gid) is not None
            for facet in facets_of(before[gid])  # type: ignore[arg-type]
        }
        touched = {
            facet
            for gid in docs
            if _entry(before.get(gid)) != _entry(listings.get(gid))
            for facet in (
                *(facets_of(before[gid]) if before.get(gid) else ()),  # type: ignore[arg-type]
                *(facets_of(listings[gid]) if gid in listings else ()),
            )
        }
        for kind, key in sorted(touched):
            if (kind, key) in groups:
                self._facet_page(update, groups, listings, kind, key)
            elif (kind, key) in old_groups:
                update.remove(f"by/{kind}/{key}.html")
        old_listings = {gid: entry for gid, entry in before.items() if entry is not None}
        changed_search = search.update_index(
            lambda rel: (update.root / rel).read_bytes(), old_listings, listings, docs
        )
        if changed_search is None:
            changed_search = search.build_index(listings)
            for old in (update.root / "search").glob("*.json"):
                if f"search/{old.name}" not in changed_search:
                    update.remove(f"search/{old.name}")
        for rel, data in changed_search.items():
            update.write(rel, data, 2)
        self._global_files(update, manifest, listings, groups)

    # --- the files ----------------------------------------------------------------------------

    def _guide_files(
        self, sink: Any, doc: Doc, draft: Mapping[str, Any] | None, *, full: bool
    ) -> None:
        gid = doc["id"]
        sink.write(f"guides/{gid}.html", self.render.guide_page(doc, draft), 0)
        sink.write(f"api/guides/{gid}.json", self.render.guide_document(doc), 0)
        if doc["upcoming"] is not None and doc["current"] is not None:
            sink.write(f"upcoming/{gid}.html", self.render.upcoming_page(doc), 0)
        elif not full:
            sink.remove(f"upcoming/{gid}.html")
        if doc["withdrawn"] is not None:
            sink.write(f"withdrawn/{gid}.html", self.render.withdrawn_page(doc), 0)
        elif not full:
            sink.remove(f"withdrawn/{gid}.html")

    def _notice_page(self, sink: Sink, notice: Doc) -> None:
        release = release_key(notice["approved_at"])
        sink.write(f"notices/{notice['key']}.html", self.render.notice_page(notice, release), 0)

    def _release_files(self, sink: Sink, rkey: str, members: list[Doc]) -> None:
        """A release (one approval): its page, and its notices in full (``api/releases/``: the
        notices' documents, one file per release rather than one per notice)."""
        page = self.render.release_page(
            members[0]["approved_at"], release_summary(members), members
        )
        sink.write(f"notices/{rkey}.html", page, 1)
        body = {
            "format": 1,
            "key": rkey,
            "approved_at": members[0]["approved_at"],
            "notices": members,
        }
        sink.write(f"api/releases/{rkey}.json", orjson.dumps(body, option=JSON_OPTIONS), 1)

    def _facet_page(
        self,
        sink: Sink,
        groups: Mapping[tuple[str, str], dict[str, Any]],
        listings: Mapping[str, Mapping[str, Any]],
        kind: str,
        key: str,
    ) -> None:
        group = groups[(kind, key)]
        entries = sorted(
            (list_entry(gid, listings[gid]) for gid in group["ids"]),
            key=lambda e: (e["name"], e["id"]),
        )
        page = self.render.facet_page(kind, group["title"], group["label"], entries)
        sink.write(f"by/{kind}/{key}.html", page, 1)

    def _global_files(
        self,
        sink: Sink,
        manifest: Manifest,
        listings: Mapping[str, dict[str, Any]],
        groups: Mapping[tuple[str, str], dict[str, Any]],
    ) -> None:
        latest = newest_first(manifest.notices.values())
        upcoming = sorted(
            (
                list_entry(gid, e)
                for gid, e in listings.items()
                if e["upcoming"] or e["state"] == "upcoming"
            ),
            key=lambda e: (e["upcoming"] or e["effective_date"], e["name"], e["id"]),
        )
        sink.write(
            "index.html",
            self.render.index(
                index_facets(groups), len(listings), latest[:LATEST_NOTICES], upcoming[:50]
            ),
            2,
        )
        sink.write("search.html", self.render.search_page(), 2)
        sink.write("404.html", self.render.not_found(), 2)
        withdrawn = sorted(
            (
                {"id": gid, "name": rec["name"], **rec["withdrawn"]}
                for gid, rec in manifest.guides.items()
                if rec["withdrawn"]
            ),
            key=lambda e: (e["name"], e["id"]),
        )
        sink.write("withdrawn/index.html", self.render.withdrawn_index(withdrawn), 2)
        sink.write(
            "notices/index.html",
            self.render.notices_index(latest[:LATEST_NOTICES], release_list(manifest.notices)),
            2,
        )
        sink.write("feed.xml", self.render.feed(latest[:FEED_ENTRIES]), 2)
        sink.write("api/notices.json", notices_api(latest), 2)
        sink.write("api/index.json", self.index_api(manifest), 2)
        for rel, data in self.sitemaps(listings).items():
            sink.write(rel, data, 2)
        for rel, data in self.gone_files(withdrawn).items():
            sink.write(rel, data, 2)

    def index_api(self, manifest: Manifest) -> bytes:
        """``api/index.json``: every guide. Built on every publish: dictionaries are made in a
        fixed key order and dumped as they are (the same bytes every time, no sorting)."""
        base = self.config.base_url
        entries = []
        guides = manifest.guides
        for gid in sorted(guides):
            rec = guides[gid]
            current, upcoming, withdrawn = rec["current"], rec["upcoming"], rec["withdrawn"]
            entry: dict[str, Any] = {
                "id": gid,
                "name": rec["name"],
                "state": rec["state"],
                "url": f"{base}/guides/{gid}.html",
                "document": f"guides/{gid}.json",
            }
            shown = current or upcoming
            if shown:
                listing = rec["listing"]
                entry["version"] = shown["version"]
                entry["effective_date"] = shown["effective_date"]
                entry["content_hash"] = shown["content_hash"]
                entry["department"] = listing["department"]
                entry["themes"] = listing["themes"]
                entry["service_objects"] = listing["objects"]
                if listing["type"]:  # unknown (待补充): left out, never null
                    entry["item_type"] = listing["type"]
            if current and upcoming:
                entry["upcoming"] = {
                    "version": upcoming["version"],
                    "effective_date": upcoming["effective_date"],
                    "content_hash": upcoming["content_hash"],
                }
            if withdrawn:
                entry["withdrawn"] = {
                    "version": withdrawn["version"],
                    "approved_at": withdrawn["approved_at"],
                    "reason": withdrawn["reason"],
                }
            entries.append(entry)
        body = {"format": 1, "title": self.config.title, "base_url": base, "guides": entries}
        return orjson.dumps(body)

    def sitemaps(self, listings: Mapping[str, Mapping[str, Any]]) -> dict[str, bytes]:
        """``sitemap.xml`` (and its parts beyond 50,000 addresses). Written without a template:
        it lists every guide on every publish. Ids are safe; ``lastmod`` is an ISO time."""
        base = xml_escape(self.config.base_url)
        urls = [
            f"<url><loc>{base}/index.html</loc></url>",
            f"<url><loc>{base}/notices/index.html</loc></url>",
        ]
        urls += [
            f"<url><loc>{base}/guides/{gid}.html</loc>"
            f"<lastmod>{xml_escape(listings[gid]['changed'])}</lastmod></url>"
            for gid in sorted(listings)
        ]
        if len(urls) <= SITEMAP_LIMIT:
            return {"sitemap.xml": _urlset(urls)}
        parts = math.ceil(len(urls) / SITEMAP_LIMIT)
        files = {
            f"sitemap-{k + 1}.xml": _urlset(urls[k * SITEMAP_LIMIT : (k + 1) * SITEMAP_LIMIT])
            for k in range(parts)
        }
        files["sitemap.xml"] = self.render.sitemap_index(f"{base}/{name}" for name in files)
        return files

    def gone_files(self, withdrawn: Sequence[Mapping[str, Any]]) -> dict[str, bytes]:
        """What a web server needs to answer 410 Gone for withdrawn guides, with the notice."""
        prefix = quote(urlsplit(self.config.base_url).path.rstrip("/"), safe="/")
        redirects = ["# guidesrc: withdrawn guides answer 410 Gone with their notice"]
        nginx = [
            "# guidesrc: withdrawn guides answer 410 Gone with their notice.",
            "# include this file in the server block that serves the site.",
        ]
        for entry in withdrawn:
            page, notice = (
                f"{prefix}/guides/{entry['id']}.html",
                f"{prefix}/withdrawn/{entry['id']}.html",
            )
            redirects.append(f"{page} {notice} 410")
            nginx.append(f"location = {page} {{ error_page 410 {notice}; return 410; }}")
        return {
            "_redirects": ("\n".join(redirects) + "\n").encode(),
            "_server/nginx-410.conf": ("\n".join(nginx) + "\n").encode(),
        }


# --- lists ------------------------------------------------------------------------------------


def _urlset(urls: Sequence[str]) -> bytes:
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
        ("type", slug(str(entry["type"])) if entry["type"] else "pending"),
    ]


def facet_groups(
    listings: Mapping[str, Mapping[str, Any]],
) -> dict[tuple[str, str], dict[str, Any]]:
    """Every list page: (kind, file name) → its title, label and guides (in id order).

    Runs on every publish over every guide: written for speed (one dictionary lookup per value).
    """
    titles = dict(FACETS)
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    ids: dict[tuple[str, str], list[str]] = {}

    def add(kind: str, key: str, label: str, gid: str) -> None:
        members = ids.get((kind, key))
        if members is None:
            members = ids[(kind, key)] = []
            groups[(kind, key)] = {"title": titles[kind], "label": label, "ids": members}
        members.append(gid)

    for gid in sorted(listings):
        entry = listings[gid]
        add("department", entry["department_id"], entry["department"], gid)
        for theme in entry["themes"]:
            add("theme", slug(str(theme)), str(theme), gid)
        for code in entry["objects"]:
            add("object", slug(str(code)), SERVICE_OBJECTS.get(code, str(code)), gid)
        kind = entry["type"]
        if kind:
            add("type", slug(str(kind)), ITEM_TYPES.get(kind, str(kind)), gid)
        else:
            add("type", "pending", UNKNOWN_TYPE, gid)
    return groups


def index_facets(groups: Mapping[tuple[str, str], dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for kind, title in FACETS:
        entries: list[dict[str, Any]] = [
            {"slug": key, "label": g["label"], "count": len(g["ids"])}
            for (k, key), g in groups.items()
            if k == kind
        ]
        by_label = kind in ("department", "theme")  # the others by code
        entries.sort(key=lambda e: (e["label"] if by_label else "", e["slug"]))
        out.append({"kind": kind, "title": title, "entries": entries})
    return out


def list_entry(gid: str, entry: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": gid,
        "name": entry["name"],
        "department": entry["department"],
        "type": entry["type"],
        "state": entry["state"],
        "effective_date": entry["effective_date"],
        "upcoming": entry["upcoming"],
    }


def _entry(listing: Mapping[str, Any] | None) -> Any:
    """What a list page shows of a guide, and where: a change here rewrites its list pages."""
    if listing is None:
        return None
    return (list_entry("", listing), facets_of(listing))


def newest_first(notices: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Notices by approval time, newest first; within one approval by guide, then version."""
    ordered = sorted(notices, key=lambda n: (n["guide"], -n["version"]))
    ordered.sort(key=itemgetter("approved_at"), reverse=True)  # stable: keeps the order above
    return ordered


def releases(notices: Mapping[str, Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    """Notices grouped by approval (release key), each group in guide order."""
    out: dict[str, list[Mapping[str, Any]]] = {}
    for summary in notices.values():
        out.setdefault(release_key(summary["approved_at"]), []).append(summary)
    return {
        k: sorted(v, key=lambda n: (n["name"], n["guide"], n["version"])) for k, v in out.items()
    }


def release_list(notices: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    groups = releases(notices)
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
    body = {
        "format": 1,
        "notices": [
            {**n, "document": f"releases/{release_key(n['approved_at'])}.json"} for n in latest
        ],
    }
    return orjson.dumps(body, option=JSON_OPTIONS)


# --- reading what the served build holds -------------------------------------------------------


class _Loader:
    """Guide and notice documents of the build being served (read when needed)."""

    def __init__(self, root: Path | None) -> None:
        self.root = root
        self._releases: dict[str, dict[str, Doc]] = {}

    def doc(self, gid: str) -> Doc:
        return self._read(f"api/guides/{gid}.json")

    def notice(self, key: str, approved_at: str) -> Doc:
        rkey = release_key(approved_at)
        if rkey not in self._releases:
            body = self._read(f"api/releases/{rkey}.json")
            self._releases[rkey] = {n["key"]: n for n in body["notices"]}
        try:
            return self._releases[rkey][key]
        except KeyError:
            raise ChannelError(
                _("the site has no {file}").format(file=f"api/releases/{rkey}.json#{key}")
            ) from None

    def _read(self, rel: str) -> Doc:
        if self.root is None:
            raise ChannelError(_("the site has no {file}").format(file=rel))
        try:
            body: Doc = orjson.loads((self.root / rel).read_bytes())
        except (OSError, orjson.JSONDecodeError) as exc:
            raise ChannelError(
                _("the site's document {path} cannot be read: {reason}").format(
                    path=self.root / rel, reason=exc
                )
            ) from exc
        return body


class _FolderSink:
    """Writes a new build's files directly (nothing serves the folder yet)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.written: list[str] = []
        self._folders: set[Path] = set()

    def write(self, rel: str, data: bytes, stage: int) -> None:
        path = self.root / rel
        if path.parent not in self._folders:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._folders.add(path.parent)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        self.written.append(rel)

    def remove(self, rel: str) -> None:
        (self.root / rel).unlink(missing_ok=True)


def _shared_work(
    ids: Sequence[str], work: Callable[[Sequence[str]], None], alone: Callable[[], None]
) -> None:
    """``work`` over ``ids`` in chunks, and ``alone`` once. Where forking is safe and useful, a
    forked worker takes chunks from the start while this process does ``alone`` and then takes
    chunks too (a shared counter hands them out), so both cores stay busy to the end."""
    from guidesrc.check.engine import can_fork

    if len(ids) < PARALLEL_MIN or (os.cpu_count() or 1) < 2 or not can_fork():
        alone()
        work(ids)
        return
    counter = multiprocessing.get_context("fork").Value("l", 0)

    def take_chunks() -> None:
        while True:
            with counter.get_lock():
                start = counter.value
                counter.value = start + CHUNK
            if start >= len(ids):
                return
            work(ids[start : start + CHUNK])

    pid = os.fork()
    if pid == 0:  # the worker: chunks, then exit without running the parent's clean-ups
        code = 1
        try:
            take_chunks()
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    try:
        alone()
        take_chunks()
    finally:
        _pid, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise ChannelError(_("building the site failed in a worker process (see above)"))
