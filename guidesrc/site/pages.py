"""The files of a site, rendered: each guide's own pages and documents, the notices and releases,
the facet pages, and the site-wide files (home page, lists, feed, API indexes, sitemaps, gone
pages). :class:`SitePages` is the half of :class:`~guidesrc.site.builder.Site` that renders;
the other half decides what to write."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

import orjson

from guidesrc.site.collate import pinyin_key, stored
from guidesrc.site.data import (
    Doc,
    Manifest,
    release_key,
)
from guidesrc.site.files import Sink, put_files
from guidesrc.site.listings import (
    NOTICES_HEAD,
    by_name,
    index_facets,
    list_entry,
    newest_first,
    notice_entry,
    notices_api,
    release_list,
    release_summary,
    urlset,
    xml_escape,
)
from guidesrc.site.render import JSON_OPTIONS, Renderer, SiteConfig
from guidesrc.site.splice import Entries, Served, index_entries, spliced, spliced_notices

LATEST_NOTICES = 20  # on the notices page
HOME_ITEMS = 5  # notices and upcoming changes on the home page, below the catalogue
FEED_ENTRIES = 50
SITEMAP_LIMIT = 50_000  # URLs per sitemap file (the protocol's limit)
_URLSET_END = b"\n</urlset>\n"


class SitePages:
    """Renders a site's files into a sink."""

    config: SiteConfig
    render: Renderer

    def _guide_files(
        self, sink: Any, doc: Doc, draft: Mapping[str, Any] | None, *, full: bool
    ) -> None:
        put_files(sink, self._own_files(doc, draft, full=full))

    def _own_files(
        self, doc: Doc, draft: Mapping[str, Any] | None, *, full: bool
    ) -> list[tuple[str, bytes | None, int]]:
        """A guide's own files, rendered (None: remove the file), written by :func:`put_files`."""
        gid = doc["id"]
        files: list[tuple[str, bytes | None, int]] = [
            (f"guides/{gid}.html", self.render.guide_page(doc, draft), 0),
            (f"api/guides/{gid}.json", self.render.guide_document(doc), 0),
        ]
        if doc["upcoming"] is not None and doc["current"] is not None:
            files.append((f"upcoming/{gid}.html", self.render.upcoming_page(doc), 0))
        elif not full:
            files.append((f"upcoming/{gid}.html", None, 0))
        if doc["withdrawn"] is not None:
            files.append((f"withdrawn/{gid}.html", self.render.withdrawn_page(doc), 0))
        elif not full:
            files.append((f"withdrawn/{gid}.html", None, 0))
        return files

    def _notice_file(self, notice: Doc) -> tuple[str, bytes, int]:
        release = release_key(notice["approved_at"])
        return (f"notices/{notice['key']}.html", self.render.notice_page(notice, release), 0)

    def _notice_page(self, sink: Sink, notice: Doc) -> None:
        rel, data, stage = self._notice_file(notice)
        sink.write(rel, data, stage)

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
        entries = by_name(list_entry(gid, listings[gid]) for gid in group["ids"])
        page = self.render.facet_page(kind, group["title"], group["label"], entries)
        sink.write(f"by/{kind}/{key}.html", page, 1)

    def _global_files(
        self,
        sink: Sink,
        manifest: Manifest,
        listings: Mapping[str, dict[str, Any]],
        groups: Mapping[tuple[str, str], dict[str, Any]],
        release_groups: Mapping[str, Sequence[Mapping[str, Any]]],
        served: Served | None = None,
    ) -> None:
        """The site-wide files; ``served``: an incremental publish's API files as served, their
        entries of the changed guides and the new notices spliced in (:mod:`.splice`)."""
        latest = newest_first(manifest.notices.values())
        manifest.newest(latest[:FEED_ENTRIES])  # their texts (the others' are not read)
        upcoming = by_name(
            list_entry(gid, e)
            for gid, e in listings.items()
            if e["upcoming"] or e["state"] == "upcoming"
        )
        upcoming.sort(key=lambda e: e["upcoming"] or e["effective_date"])  # stable: by name within
        facets = index_facets(groups, self.config.order)
        home = self.render.index(
            facets, len(listings), latest[:HOME_ITEMS], upcoming[:HOME_ITEMS], len(upcoming)
        )
        sink.write("index.html", home, 2)
        sink.write("upcoming.html", self.render.upcoming_index(upcoming), 2)
        sink.write("search.html", self.render.search_page(), 2)
        sink.write("404.html", self.render.not_found(), 2)
        withdrawn = sorted(
            (
                {"id": gid, "name": rec["name"], **rec["withdrawn"]}
                for gid, rec in manifest.guides.items()
                if rec["withdrawn"]
            ),
            key=lambda e: (pinyin_key(e["name"]), e["id"]),
        )
        sink.write("withdrawn/index.html", self.render.withdrawn_index(withdrawn), 2)
        labels = [
            e["label"] for f in facets if f["kind"] in ("department", "theme") for e in f["entries"]
        ]
        manifest.pinyin = stored([*labels, *(e["name"] for e in withdrawn)])
        sink.write(
            "notices/index.html",
            self.render.notices_index(latest[:LATEST_NOTICES], release_list(release_groups)),
            2,
        )
        sink.write("feed.xml", self.render.feed(latest[:FEED_ENTRIES]), 2)
        sink.write("api/notices.json", self._notices_api(latest, manifest, served), 2)
        sink.write("api/index.json", self._index_api(manifest, served), 2)
        for rel, data in self._sitemaps(listings, served, manifest).items():
            sink.write(rel, data, 2)
        for rel, data in self.gone_files(withdrawn).items():
            sink.write(rel, data, 2)

    def _notices_api(
        self, latest: Sequence[Mapping[str, Any]], manifest: Manifest, served: Served | None
    ) -> bytes:
        if served is not None:
            new = [
                (n, orjson.dumps(notice_entry(n), option=JSON_OPTIONS))
                for n in map(manifest.notices.get, sorted(served.new_notices))
                if n is not None
            ]
            spliced = spliced_notices(served.notices, NOTICES_HEAD, latest, new)
            if spliced is not None:
                return spliced
        manifest.complete()  # every notice's details (put into the summaries of ``latest``)
        return notices_api(latest)

    def _index_api(self, manifest: Manifest, served: Served | None) -> bytes:
        if served is not None:
            guides = manifest.guides
            form = index_entries(self.config.title, self.config.base_url)
            entries: dict[str, bytes | None] = {
                gid: orjson.dumps(self.index_entry(gid, guides[gid]))
                for gid in served.guides
                if gid in guides
            }
            data = spliced(served.index, form, entries, lambda: sorted(guides))
            if data is not None:
                return data
        manifest.complete()  # every guide's versions
        return self.index_api(manifest)

    def index_api(self, manifest: Manifest) -> bytes:
        """``api/index.json``: every guide. Dictionaries are made in a fixed key order and
        dumped as they are (the same bytes every time, no sorting)."""
        guides = manifest.guides
        entries = [self.index_entry(gid, guides[gid]) for gid in sorted(guides)]
        base = self.config.base_url
        body = {"format": 1, "title": self.config.title, "base_url": base, "guides": entries}
        return orjson.dumps(body)

    def index_entry(self, gid: str, rec: Mapping[str, Any]) -> dict[str, Any]:
        """A guide's entry in ``api/index.json`` (from its manifest record)."""
        base = self.config.base_url
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
            if listing.get("type"):  # unknown (待补充): left out, never null
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
        return entry

    def _sitemaps(
        self, listings: Mapping[str, Mapping[str, Any]], served: Served | None, manifest: Manifest
    ) -> dict[str, bytes]:
        if served is not None and len(listings) + len(self._site_urls()) <= SITEMAP_LIMIT:
            base = xml_escape(self.config.base_url)
            head = urlset(self._site_urls())[: -len(_URLSET_END)] + b"\n"
            form = Entries(
                head,
                f"<url><loc>{base}/guides/".encode(),
                b".html</loc>",
                b"\n",
                _URLSET_END,
            )
            lines = {
                gid: self._sitemap_url(gid, listings[gid]).encode() if gid in listings else None
                for gid in served.guides
            }
            data = spliced(served.sitemap, form, lines, lambda: sorted(listings))
            if data is not None:
                return {"sitemap.xml": data}
        manifest.complete()  # every guide's last change (put into its listing)
        return self.sitemaps(listings)

    def _site_urls(self) -> list[str]:
        base = xml_escape(self.config.base_url)
        return [
            f"<url><loc>{base}/index.html</loc></url>",
            f"<url><loc>{base}/notices/index.html</loc></url>",
        ]

    def _sitemap_url(self, gid: str, listing: Mapping[str, Any]) -> str:
        base = xml_escape(self.config.base_url)
        return (
            f"<url><loc>{base}/guides/{gid}.html</loc>"
            f"<lastmod>{xml_escape(listing['changed'])}</lastmod></url>"
        )

    def sitemaps(self, listings: Mapping[str, Mapping[str, Any]]) -> dict[str, bytes]:
        """``sitemap.xml`` (and its parts beyond 50,000 addresses). Written without a template:
        it lists every guide on every publish. Ids are safe; ``lastmod`` is an ISO time."""
        base = xml_escape(self.config.base_url)
        urls = self._site_urls()
        urls += [self._sitemap_url(gid, listings[gid]) for gid in sorted(listings)]
        if len(urls) <= SITEMAP_LIMIT:
            return {"sitemap.xml": urlset(urls)}
        parts = math.ceil(len(urls) / SITEMAP_LIMIT)
        files = {
            f"sitemap-{k + 1}.xml": urlset(urls[k * SITEMAP_LIMIT : (k + 1) * SITEMAP_LIMIT])
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
