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
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import orjson

from guidesrc.adapters import Delivery, safe_id
from guidesrc.diff.batch import without_cycle_collection
from guidesrc.errors import ChannelError
from guidesrc.i18n import _
from guidesrc.site import search
from guidesrc.site.collate import remember
from guidesrc.site.data import (
    MANIFEST,
    Doc,
    Manifest,
    applied_receipt,
    notice_summary,
    record,
    release_key,
    take,
)
from guidesrc.site.files import FolderSink, Loader, Sink, put_files, read_or_none
from guidesrc.site.forms import form_index, guide_forms, read_forms, unchanged_forms
from guidesrc.site.listings import (
    facet_groups,
    facets_of,
    list_entry,
    listing_entry,
    releases,
    xml_escape,
)
from guidesrc.site.pages import SitePages
from guidesrc.site.parallel import shared_work
from guidesrc.site.render import HERE, Renderer, SiteConfig
from guidesrc.site.splice import Served
from guidesrc.site.state import shard_of
from guidesrc.site.store import PENDING, NewBuild, Update, current_build

#: A batch that changes more guides than this share of the site (and at least FULL_MIN) is
#: written as a new build: cheaper than thousands of renames, and one switch for readers.
FULL_SHARE = 0.1
FULL_MIN = 200

T = TypeVar("T")


def fingerprint(config: SiteConfig) -> str:
    """Changes with the site's code, templates, static files and settings: a site made by other
    ones is built afresh."""
    digest = hashlib.sha256(orjson.dumps(config.as_dict(), option=orjson.OPT_SORT_KEYS))
    digest.update(orjson.dumps(config.synonyms))  # they make the search index
    for path in sorted(HERE.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".html", ".xml", ".css", ".js"):
            digest.update(path.relative_to(HERE).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


@dataclass(slots=True)
class Result:
    """What a publish did: a receipt per delivery (or the error), and the files written."""

    receipts: list[dict[str, Any] | Exception] = field(default_factory=list)
    mode: str = "none"  # "full", "incremental", or "none" (nothing to do)
    written: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Batch:
    """One publish's work in progress: the documents and notices it changes, what failed."""

    manifest: Manifest
    known: Loader
    docs: dict[str, Doc] = field(default_factory=dict)
    notices: dict[str, Doc] = field(default_factory=dict)
    result: Result = field(default_factory=Result)
    new_keys: list[tuple[int, str, str]] = field(default_factory=list)  # (receipt, key, guide)
    failed: dict[str, Exception] = field(default_factory=dict)
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    own: dict[str, list[tuple[str, bytes | None, int]]] = field(default_factory=dict)
    old: dict[str, Any] = field(default_factory=dict)  # the changed guides' records before
    before: dict[str, Any] = field(init=False)  # every guide's listing before

    def __post_init__(self) -> None:
        self.before = {gid: rec["listing"] for gid, rec in self.manifest.guides.items()}


def _refuse_unchanged(broken: Mapping[str, Exception], docs: Mapping[str, Doc]) -> None:
    """A guide this publish does not change fails to render: the site cannot be built."""
    unchanged = sorted(set(broken) - set(docs))
    if unchanged:
        raise ChannelError(
            _(
                "the site cannot be built: the published guide {guide} fails to render with this version of guidesrc ({error})"
            ).format(guide=unchanged[0], error=broken[unchanged[0]])
        ) from broken[unchanged[0]]


class Site(SitePages):
    """The static site at ``link`` (a symbolic link to the build being served)."""

    def __init__(self, link: Path, config: SiteConfig, library: Path | None = None) -> None:
        self.link = link
        self.config = config
        self.library = library  # where the forms (files/…) are read; None: none published
        self.render = Renderer(config)
        self.fingerprint = fingerprint(config)
        self.form_files: dict[str, bytes] = {}

    # --- reading ------------------------------------------------------------------------------

    def root(self) -> Path | None:
        return current_build(self.link)

    def manifest(self, guides: Iterable[str] | None = None) -> Manifest | None:
        """The site's manifest; with ``guides``, the detail parts of their shards only."""
        shards = None if guides is None else {shard_of(gid) for gid in guides}
        return self._state(lambda root: Manifest.read(root, shards))

    def receipt(self, key: str) -> dict[str, Any] | None:
        """The receipt of the delivery ``key`` if the site has it (one part of the manifest read)."""
        return self._state(lambda root: applied_receipt(root, key))

    def _state(self, read: Callable[[Path], T]) -> T | None:
        root = self.root()
        if root is None:
            return None
        try:
            return read(root)
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
        manifest = self.manifest(d.guide_id for d in deliveries) or Manifest()
        remember(manifest.guides, manifest.pinyin)
        batch = _Batch(manifest, Loader(root))
        self._apply_all(deliveries, batch)
        if not batch.new_keys:
            return batch.result
        full = (
            root is None
            or manifest.fingerprint != self.fingerprint
            or len(batch.docs) > max(FULL_MIN, FULL_SHARE * len(manifest.guides))
        )
        if full:
            manifest.complete()  # every part is written anew
        self.read_forms(manifest, batch.docs, full)
        self._prepare_guides(batch, full)
        batch.old = {gid: manifest.guides.get(gid) for gid in batch.docs}
        _drop(batch.failed, batch.docs, batch.notices)
        if not batch.docs:
            return _failures(batch.result, batch.new_keys, batch.failed)
        self._record(batch, full)
        if full:
            search.keep_as_text(manifest.listings().values())
            if not self._full_build(batch):
                return _failures(batch.result, batch.new_keys, batch.failed)
        else:
            assert root is not None
            batch.result.mode = "incremental"
            # After a crash the files as served may hold what the manifest does not: the API
            # indexes are then made whole, not spliced (Update removes the crash's pending list).
            crashed = (root / PENDING).exists()
            update = Update(root)
            self._form_changes(update, manifest)
            self.write_changes(
                update,
                manifest,
                batch.before,
                batch.docs,
                batch.notices,
                batch.known,
                batch.own,
                None if crashed else Served.read(root, list(batch.docs), list(batch.notices)),
            )
            top, parts = manifest.dump()
            update.commit(top, parts, manifest.digests())
            batch.result.written = update.written
        for index, key, gid in batch.new_keys:
            if gid not in batch.failed:
                batch.result.receipts[index] = manifest.applied[key]
        return _failures(batch.result, batch.new_keys, batch.failed)

    def read_forms(self, manifest: Manifest, docs: Mapping[str, Doc], full: bool) -> None:
        """The forms the guides on the site name, read from the library for this publish; the
        pages link those found (:mod:`guidesrc.site.forms`). An incremental publish reads only
        the forms whose file changed since it was read (or that are new to the site)."""
        paths = {
            p
            for gid, rec in manifest.guides.items()
            if gid not in docs
            for p in rec.get("forms", ())
        }
        paths.update(p for doc in docs.values() for p in guide_forms(doc))
        if self.library is None:
            self.form_files, self.render.forms = {}, {}
            return
        kept, manifest.form_status = unchanged_forms(
            self.library, sorted(paths), {} if full else manifest.form_status, manifest.files
        )
        self.form_files = read_forms(self.library, sorted(paths - set(kept)))
        self.render.forms = dict(sorted((kept | form_index(self.form_files)).items()))

    def _form_changes(self, update: Update, manifest: Manifest) -> None:
        """An incremental publish: the forms whose bytes changed written, those no guide names
        any more removed; one the library no longer has stays as published (pages link it)."""
        named = {p for rec in manifest.guides.values() for p in rec.get("forms", ())}
        old, new = manifest.files, dict[str, Any](self.render.forms)
        for rel, data in self.form_files.items():
            if old.get(rel) != new[rel]:
                update.write(rel, data, 0)
        for rel in sorted(set(old) - set(new)):
            if rel in named:
                new[rel] = old[rel]
            else:
                update.remove(rel)
        manifest.files = dict(sorted(new.items()))
        self.render.forms = manifest.files

    def _apply_all(self, deliveries: Sequence[Delivery], batch: _Batch) -> None:
        """Each delivery applied to its guide's document; one that fails is its own failure."""
        for delivery in deliveries:
            if delivery.key in batch.manifest.applied:
                batch.result.receipts.append(batch.manifest.applied[delivery.key])
                continue
            try:
                self._apply(delivery, batch.manifest, batch.known, batch.docs, batch.notices)
            except Exception as exc:  # this delivery fails; the others go on
                batch.result.receipts.append(exc)
                continue
            batch.new_keys.append((len(batch.result.receipts), delivery.key, delivery.guide_id))
            batch.result.receipts.append({})

    def _prepare_guides(self, batch: _Batch, full: bool) -> None:
        """Each changed guide's own work first, under its own try: its manifest record and its
        share of the lists, search and sitemap; for an incremental publish also its pages (kept,
        so they are rendered once). A guide that fails keeps what the site shows of it now."""
        for gid, doc in batch.docs.items():
            try:
                batch.records[gid] = record(doc)
                _check_listing(gid, batch.records[gid]["listing"])
            except Exception as exc:
                batch.failed[gid] = exc
        if full:
            return
        by_guide: dict[str, list[Doc]] = {}
        for notice in batch.notices.values():
            by_guide.setdefault(notice["guide"], []).append(notice)
        for gid in sorted(set(batch.docs) - set(batch.failed)):
            try:
                batch.own[gid] = self._own_files(batch.docs[gid], None, full=False) + [
                    self._notice_file(notice) for notice in by_guide.get(gid, [])
                ]
            except Exception as exc:
                batch.failed[gid] = exc

    def _record(self, batch: _Batch, full: bool) -> None:
        """The changed guides and notices in the manifest, and a receipt per new delivery."""
        manifest = batch.manifest
        for gid in batch.docs:
            manifest.put("guides", gid, batch.records[gid], gid)
        for key, notice in batch.notices.items():
            manifest.put("notices", key, notice_summary(notice), notice["guide"])
        manifest.fingerprint = self.fingerprint
        if full:
            manifest.build += 1
        receipt = {"site": str(self.link), "build": f"b{manifest.build:06d}"}
        for _index, key, gid in batch.new_keys:
            if gid not in batch.failed:
                manifest.put("applied", key, {**receipt, "key": key}, gid)

    def _full_build(self, batch: _Batch) -> bool:
        """A new build, switched to at once; False when every changed guide failed (nothing
        is switched). A changed guide whose pages fail keeps its previous version, or stays out:
        its previous pages and the library-wide files are written again, and those of the files
        no longer wanted are removed."""
        result, manifest, docs, known = batch.result, batch.manifest, batch.docs, batch.known
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
                batch.notices,
                known,
                failures=broken,
                shared=shared,
                redo=redo,
            )
            result.written = written if redo is None else sorted(set(result.written) | set(written))
            ever_shared |= set(shared)
            if not broken:
                break
            _refuse_unchanged(broken, docs)
            batch.failed |= broken
            _revert(manifest, broken, batch.old, batch.notices, batch.new_keys)
            _drop(broken, docs, batch.notices)
            if not docs:
                shutil.rmtree(build.root, ignore_errors=True)
                return False
            redo = sorted(gid for gid in broken if gid in manifest.guides)
            shared, broken = [], {}
        for rel in ever_shared - set(shared):  # a list only a failed guide was on, say
            (build.root / rel).unlink(missing_ok=True)
            result.written.remove(rel)
        build.switch(*manifest.dump(every=True))
        return True

    def _apply(
        self,
        delivery: Delivery,
        manifest: Manifest,
        known: Loader,
        docs: dict[str, Doc],
        notices: dict[str, Doc],
    ) -> None:
        safe_id(delivery.guide_id)  # refused before anything of it is made
        take(
            delivery,
            docs,
            notices,
            self.config.base_url,
            lambda g: known.doc(g) if g in manifest.guides else None,
            manifest.notices,
        )

    # --- a full build -------------------------------------------------------------------------

    def write_all(
        self,
        out: Path,
        manifest: Manifest,
        doc: Callable[[str], Doc],
        notices: Mapping[str, Doc],
        known: Loader,
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
        sink = FolderSink(out)
        lists_sink = FolderSink(out)
        if redo is None:
            self._fixed_files(sink, manifest)
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
                put_files(sink, files)
            return broken

        def notice_of(key: str) -> Doc:
            return notices.get(key) or known.notice(key, manifest.notices[key]["approved_at"])

        def lists() -> None:
            self._library_files(lists_sink, manifest, by_guide, notice_of)

        with without_cycle_collection():  # also for the preview, which calls this directly
            if redo is None:
                broken = shared_work(sorted(manifest.guides), guides_part, lists)
            else:
                lists()
                broken = guides_part(redo)
        if failures is not None:
            failures.update(broken)
        if shared is not None:
            shared += lists_sink.written
        return sink.written + lists_sink.written

    def _fixed_files(self, sink: Sink, manifest: Manifest) -> None:
        """A new build's static files and the library's forms (listed in the manifest)."""
        for rel, data in self.render.static_files().items():
            sink.write(rel, data, 0)
        for rel, data in self.form_files.items():
            sink.write(rel, data, 0)
        manifest.files = form_index(self.form_files)

    def _library_files(
        self,
        out: Sink,
        manifest: Manifest,
        by_guide: Mapping[str, list[str]],
        notice_of: Callable[[str], Doc],
    ) -> None:
        """The library-wide files of a full build: facet pages, releases, search, lists, feeds."""
        # Notices of guides no longer in the manifest (none today; kept for safety).
        for gid in sorted(set(by_guide) - set(manifest.guides)):
            for key in by_guide[gid]:
                self._notice_page(out, notice_of(key))
        listings = manifest.listings()
        groups = facet_groups(listings)
        for kind, key in sorted(groups):
            self._facet_page(out, groups, listings, kind, key)
        release_groups = releases(manifest.notices)
        for rkey, members in release_groups.items():
            self._release_files(out, rkey, [notice_of(n["key"]) for n in members])
        for rel, data in search.build_index(listings, self.config.synonyms_list()).items():
            out.write(rel, data, 2)
        self._global_files(out, manifest, listings, groups, release_groups)

    # --- an incremental publish ---------------------------------------------------------------

    def write_changes(
        self,
        update: Update,
        manifest: Manifest,
        before: Mapping[str, dict[str, Any] | None],
        docs: Mapping[str, Doc],
        notices: Mapping[str, Doc],
        known: Loader,
        own: Mapping[str, list[tuple[str, bytes | None, int]]] | None = None,
        served: Served | None = None,
    ) -> None:
        """``own``: the changed guides' own files (pages, documents, notices), rendered already;
        ``served``: the API indexes as served, to splice the changes into (:mod:`.splice`)."""
        for gid in sorted(docs):
            if own is not None and gid in own:
                put_files(update, own[gid])
            else:
                self._guide_files(update, docs[gid], None, full=False)
        for key in sorted(notices):
            if own is None or notices[key]["guide"] not in own:
                self._notice_page(update, notices[key])
        rkeys = {release_key(n["approved_at"]) for n in notices.values()}
        release_groups = releases(manifest.notices, rkeys)
        for rkey, members in release_groups.items():
            if rkey in rkeys:
                full = [
                    notices.get(n["key"]) or known.notice(n["key"], n["approved_at"])
                    for n in members
                ]
                self._release_files(update, rkey, full)
        listings = manifest.listings()
        groups = facet_groups(listings)
        self._facet_changes(update, before, docs, listings, groups)
        self._search_changes(update, before, docs, listings, manifest.search_of)
        self._global_files(update, manifest, listings, groups, release_groups, served)

    def _facet_changes(
        self,
        update: Update,
        before: Mapping[str, dict[str, Any] | None],
        docs: Mapping[str, Doc],
        listings: Mapping[str, dict[str, Any]],
        groups: Mapping[tuple[str, str], dict[str, Any]],
    ) -> None:
        """The facet pages a changed guide joins or leaves, written again or removed."""
        old_groups = {
            facet
            for gid in docs
            if before.get(gid) is not None
            for facet in facets_of(before[gid])  # type: ignore[arg-type]
        }
        touched = {
            facet
            for gid in docs
            if listing_entry(before.get(gid)) != listing_entry(listings.get(gid))
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

    def _search_changes(
        self,
        update: Update,
        before: Mapping[str, dict[str, Any] | None],
        docs: Mapping[str, Doc],
        listings: Mapping[str, dict[str, Any]],
        texts: Callable[[str], None],
    ) -> None:
        """The search files the changed guides touch (written again when guides came or went);
        ``texts`` reads a guide's search texts into its listing, when search needs them."""
        folder = update.root / "search"
        present = [f"search/{p.name}" for p in folder.glob("*.json")] if folder.is_dir() else []
        old = {gid: before.get(gid) for gid in docs}
        changed, gone = search.update_index(
            lambda rel: read_or_none(update.root / rel),
            present,
            old,
            listings,
            self.config.synonyms_list(),
            texts,
        )
        for rel in gone:
            update.remove(rel)
        for rel, data in changed.items():
            update.write(rel, data, 2)


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
        manifest.put("guides", gid, old.get(gid), gid)
    for key, notice in notices.items():
        if notice["guide"] in failed:
            manifest.put("notices", key, None, notice["guide"])
    for _index, key, gid in new_keys:
        if gid in failed:
            manifest.put("applied", key, None, gid)


def _failures(
    result: Result, new_keys: Sequence[tuple[int, str, str]], failed: Mapping[str, Exception]
) -> Result:
    """Each delivery of a failed guide gets its guide's exception as its result."""
    for index, _key, gid in new_keys:
        if gid in failed:
            result.receipts[index] = failed[gid]
    return result
