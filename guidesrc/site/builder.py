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
import shutil
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape as html_escape
from operator import itemgetter
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

import orjson

from guidesrc.adapters import Delivery, FailedElsewhere, safe_id
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
    current_form,
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
        new_keys: list[tuple[int, str, str]] = []  # (receipt index, delivery key, guide)
        for delivery in deliveries:
            if delivery.key in manifest.applied:
                result.receipts.append(manifest.applied[delivery.key])
                continue
            try:
                self._apply(delivery, manifest, known, docs, notices)
            except Exception as exc:  # this delivery fails; the others go on
                result.receipts.append(exc)
                continue
            new_keys.append((len(result.receipts), delivery.key, delivery.guide_id))
            result.receipts.append({})
        if not new_keys:
            return result
        full = (
            root is None
            or manifest.fingerprint != self.fingerprint
            or len(docs) > max(FULL_MIN, FULL_SHARE * len(manifest.guides))
        )
        # Each changed guide's own work first, under its own try: its manifest record and its
        # share of the lists, search and sitemap; for an incremental publish also its pages (kept,
        # so they are rendered once). A guide that fails keeps what the site shows of it now.
        failed: dict[str, Exception] = {}
        records: dict[str, dict[str, Any]] = {}
        for gid, doc in docs.items():
            try:
                records[gid] = record(doc)
                _check_listing(gid, records[gid]["listing"])
            except Exception as exc:
                failed[gid] = exc
        own: dict[str, list[tuple[str, bytes | None, int]]] = {}
        if not full:
            by_guide: dict[str, list[Doc]] = {}
            for notice in notices.values():
                by_guide.setdefault(notice["guide"], []).append(notice)
            for gid in sorted(set(docs) - set(failed)):
                try:
                    own[gid] = self._own_files(docs[gid], None, full=False) + [
                        self._notice_file(notice) for notice in by_guide.get(gid, [])
                    ]
                except Exception as exc:
                    failed[gid] = exc
        old = {gid: manifest.guides.get(gid) for gid in docs}
        _drop(failed, docs, notices)
        if not docs:
            return _failures(result, new_keys, failed)
        for gid in docs:
            manifest.guides[gid] = records[gid]
        for key, notice in notices.items():
            manifest.notices[key] = notice_summary(notice)
        manifest.fingerprint = self.fingerprint
        if full:
            manifest.build += 1
        receipt = {"site": str(self.link), "build": f"b{manifest.build:06d}"}
        for _index, key, gid in new_keys:
            if gid not in failed:
                manifest.applied[key] = {**receipt, "key": key}
        if full:
            result.mode = "full"
            build = NewBuild(self.link, manifest.build)
            broken: dict[str, Exception] = {}
            shared: list[str] = []
            ever_shared: set[str] = set()
            redo: list[str] | None = None
            while True:
                written = self.write_all(
                    build.root,
                    manifest,
                    lambda gid: docs.get(gid) or known.doc(gid),
                    notices,
                    known,
                    failures=broken,
                    shared=shared,
                    redo=redo,
                )
                if redo is None:
                    result.written = written
                else:
                    result.written = sorted(set(result.written) | set(written))
                ever_shared |= set(shared)
                if not broken:
                    break
                # A changed guide's pages failed (nothing of it was written): it keeps its
                # previous version, or stays out. Its previous pages and the library-wide files
                # are written again, and those of the files no longer wanted are removed.
                unchanged = sorted(set(broken) - set(docs))
                if unchanged:
                    raise ChannelError(
                        _(
                            "the site cannot be built: the published guide {guide} fails to render with this version of guidesrc ({error})"
                        ).format(guide=unchanged[0], error=broken[unchanged[0]])
                    ) from broken[unchanged[0]]
                failed |= broken
                _revert(manifest, broken, old, notices, new_keys)
                _drop(broken, docs, notices)
                if not docs:
                    shutil.rmtree(build.root, ignore_errors=True)
                    return _failures(result, new_keys, failed)
                redo = sorted(gid for gid in broken if gid in manifest.guides)
                shared, broken = [], {}
            for rel in ever_shared - set(shared):  # a list only a failed guide was on, say
                (build.root / rel).unlink(missing_ok=True)
                result.written.remove(rel)
            build.switch(manifest.dumps())
        else:
            assert root is not None
            result.mode = "incremental"
            update = Update(root)
            self.write_changes(update, manifest, before, docs, notices, known, own)
            update.commit(manifest.dumps())
            result.written = update.written
        for index, key, gid in new_keys:
            if gid not in failed:
                result.receipts[index] = manifest.applied[key]
        return _failures(result, new_keys, failed)

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
        failures: dict[str, Exception] | None = None,
        shared: list[str] | None = None,
        redo: Sequence[str] | None = None,
    ) -> list[str]:
        """Every file of the site into the empty folder ``out`` (the manifest excepted).

        With ``failures``, a guide whose pages fail to render is left out (nothing of it is
        written) and its exception put there, by id; without, the exception ends the build.
        ``shared`` receives the library-wide files written (lists, search, indexes, feeds).
        ``redo``: the build is in ``out`` already and the manifest changed since (failed guides
        reverted): write only these guides' files, and every library-wide file again."""
        sink = _FolderSink(out)
        lists_sink = _FolderSink(out)
        if redo is None:
            for rel, data in self.render.static_files().items():
                sink.write(rel, data, 0)
        by_guide: dict[str, list[str]] = {}
        for key, summary in manifest.notices.items():
            by_guide.setdefault(summary["guide"], []).append(key)

        def guides_part(ids: Sequence[str]) -> dict[str, Exception]:
            broken: dict[str, Exception] = {}
            for gid in ids:
                try:
                    files = self._own_files(doc(gid), (drafts or {}).get(gid), full=True)
                    files += [self._notice_file(notice_of(key)) for key in by_guide.get(gid, [])]
                except Exception as exc:
                    if failures is None:
                        raise
                    broken[gid] = exc
                    continue
                _put(sink, files)
            return broken

        def notice_of(key: str) -> Doc:
            return notices.get(key) or known.notice(key, manifest.notices[key]["approved_at"])

        def lists() -> None:
            out = lists_sink
            # Notices of guides no longer in the manifest (none today; kept for safety).
            for gid in sorted(set(by_guide) - set(manifest.guides)):
                for key in by_guide[gid]:
                    self._notice_page(out, notice_of(key))
            listings = manifest.listings()
            groups = facet_groups(listings)
            for kind, key in sorted(groups):
                self._facet_page(out, groups, listings, kind, key)
            for rkey, members in releases(manifest.notices).items():
                self._release_files(out, rkey, [notice_of(n["key"]) for n in members])
            for rel, data in search.build_index(listings).items():
                out.write(rel, data, 2)
            self._global_files(out, manifest, listings, groups)

        with without_cycle_collection():  # also for the preview, which calls this directly
            if redo is None:
                broken = _shared_work(sorted(manifest.guides), guides_part, lists)
            else:
                lists()
                broken = guides_part(redo)
        if failures is not None:
            failures.update(broken)
        if shared is not None:
            shared += lists_sink.written
        return sink.written + lists_sink.written

    # --- an incremental publish ---------------------------------------------------------------

    def write_changes(
        self,
        update: Update,
        manifest: Manifest,
        before: Mapping[str, dict[str, Any] | None],
        docs: Mapping[str, Doc],
        notices: Mapping[str, Doc],
        known: _Loader,
        own: Mapping[str, list[tuple[str, bytes | None, int]]] | None = None,
    ) -> None:
        """``own``: the changed guides' own files (pages, documents, notices), rendered already."""
        for gid in sorted(docs):
            if own is not None and gid in own:
                _put(update, own[gid])
            else:
                self._guide_files(update, docs[gid], None, full=False)
        for key in sorted(notices):
            if own is None or notices[key]["guide"] not in own:
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
        _put(sink, self._own_files(doc, draft, full=full))

    def _own_files(
        self, doc: Doc, draft: Mapping[str, Any] | None, *, full: bool
    ) -> list[tuple[str, bytes | None, int]]:
        """A guide's own files, rendered (None: remove the file), written by :func:`_put`."""
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


# --- one guide's failure ----------------------------------------------------------------------


def _put(sink: Any, files: Iterable[tuple[str, bytes | None, int]]) -> None:
    for rel, data, stage in files:
        if data is None:
            sink.remove(rel)
        else:
            sink.write(rel, data, stage)


def _check_listing(gid: str, listing: Mapping[str, Any] | None) -> None:
    """Derive a guide's share of the lists, the search index, the sitemap and the API index, so
    that a guide whose listing cannot be shown fails alone (before any library-wide file)."""
    if listing is None:
        return
    search.searchable_text(listing)  # text (indexing any text works): not its terms, for speed
    facets_of(listing)
    list_entry(gid, listing)
    xml_escape(listing["changed"])
    orjson.dumps(listing)


def _drop(failed: Mapping[str, Exception], docs: dict[str, Doc], notices: dict[str, Doc]) -> None:
    """Leave the failed guides' changes out of this publish."""
    for gid in failed:
        docs.pop(gid, None)
    for key in [k for k, n in notices.items() if n["guide"] in failed]:
        del notices[key]


def _revert(
    manifest: Manifest,
    failed: Mapping[str, Exception],
    old: Mapping[str, dict[str, Any] | None],
    notices: Mapping[str, Doc],
    new_keys: Sequence[tuple[int, str, str]],
) -> None:
    """Put the failed guides back in the manifest as they were before this publish."""
    for gid in failed:
        if old.get(gid) is None:
            manifest.guides.pop(gid, None)
        else:
            manifest.guides[gid] = old[gid]  # type: ignore[assignment]
    for key, notice in notices.items():
        if notice["guide"] in failed:
            manifest.notices.pop(key, None)
    for _index, key, gid in new_keys:
        if gid in failed:
            manifest.applied.pop(key, None)


def _failures(
    result: Result, new_keys: Sequence[tuple[int, str, str]], failed: Mapping[str, Exception]
) -> Result:
    """Each delivery of a failed guide gets its guide's exception as its result."""
    for index, _key, gid in new_keys:
        if gid in failed:
            result.receipts[index] = failed[gid]
    return result


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
        ("type", slug(str(entry["type"])) if entry.get("type") else "pending"),
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
        kind = entry.get("type")
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
        "type": entry.get("type"),
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
        return current_form(self._read(f"api/guides/{gid}.json"))

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
    ids: Sequence[str],
    work: Callable[[Sequence[str]], dict[str, Exception]],
    alone: Callable[[], None],
) -> dict[str, Exception]:
    """``work`` over ``ids`` in chunks, and ``alone`` once; the guides ``work`` could not do.
    Where forking is safe and useful, a forked worker takes chunks from the start while this
    process does ``alone`` and then takes chunks too (a shared counter hands them out), so both
    cores stay busy to the end. The worker sends its failures back through a pipe (the
    message and the traceback: :class:`FailedElsewhere`)."""
    from guidesrc.check.engine import can_fork

    if len(ids) < PARALLEL_MIN or (os.cpu_count() or 1) < 2 or not can_fork():
        alone()
        return work(ids)
    counter = multiprocessing.get_context("fork").Value("l", 0)
    broken: dict[str, Exception] = {}

    def take_chunks() -> None:
        while True:
            with counter.get_lock():
                start = counter.value
                counter.value = start + CHUNK
            if start >= len(ids):
                return
            broken.update(work(ids[start : start + CHUNK]))

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the worker: chunks, then exit without running the parent's clean-ups
        code = 1
        try:
            os.close(read_end)
            take_chunks()
            sent = {
                gid: [str(exc), "".join(traceback.format_exception(exc))]
                for gid, exc in broken.items()
            }
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(orjson.dumps(sent))
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    os.close(write_end)
    try:
        alone()
        take_chunks()
    finally:
        with os.fdopen(read_end, "rb") as incoming:
            received = incoming.read()
        _pid, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise ChannelError(_("building the site failed in a worker process (see above)"))
    for gid, (message, detail) in orjson.loads(received or b"{}").items():
        broken[gid] = FailedElsewhere(message, detail)
    return broken
