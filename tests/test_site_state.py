"""The site's manifest in parts (guidesrc.site.state): a publish of one guide writes one part and
the top file, keeps the others; a site whose manifest is still one file is taken over."""

from __future__ import annotations

import hashlib
from pathlib import Path

import orjson
import pytest

from guidesrc.adapters import Delivery
from guidesrc.errors import ChannelError
from guidesrc.site.builder import Site
from guidesrc.site.data import MANIFEST, Manifest
from guidesrc.site.state import PARTS, SECTIONS, part_name, shard_of, split
from tests.test_site import example_config, example_deliveries, files_of
from tests.test_site_pinyin import changed


def write_older(root: Path, manifest: Manifest, form: int) -> None:
    """Write ``manifest`` into the build ``root`` as a guidesrc before format 4 did: format 3
    or 2, one part a shard (its guides, notices and applied keys), the old parts removed."""
    for old in (root / PARTS).iterdir():
        old.unlink()
    digests = {}
    for shard, sections in split(manifest.guides, manifest.notices, manifest.applied).items():
        data = orjson.dumps({k: sections[k] for k in SECTIONS}, option=orjson.OPT_SORT_KEYS)
        digests[shard] = hashlib.sha256(data).hexdigest()
        (root / part_name(digests[shard])).write_bytes(data)
    top = {
        "format": form,
        "build": manifest.build,
        "fingerprint": manifest.fingerprint,
        "files": manifest.files,
        "pinyin": manifest.pinyin,
        "form_status": manifest.form_status,
        "parts": dict(sorted(digests.items())),
    }
    (root / MANIFEST).write_bytes(orjson.dumps(top, option=orjson.OPT_SORT_KEYS))


def parts_of(link: Path) -> set[str]:
    return {p.name for p in (link / "_state/parts").iterdir()}


def named(manifest: Manifest) -> set[str]:
    return {f"{digest}.json" for digest in manifest.digests()}


def taken_over(
    link: Path, whole: Manifest, deliveries: list[Delivery]
) -> tuple[Delivery, Manifest]:
    """An older manifest read as it is (a receipt found), then one change published
    incrementally, which writes the state in format 4: the change, and the manifest after."""
    key = deliveries[0].key
    assert Site(link, example_config()).receipt(key) == whole.applied[key]
    new = changed(deliveries[0])
    assert Site(link, example_config()).publish([new]).mode == "incremental"
    assert orjson.loads((link / MANIFEST).read_bytes())["format"] == 4  # in two parts a shard
    return new, Manifest.read(link)


def test_one_change_writes_its_shards_parts_and_keeps_the_others(tmp_path: Path) -> None:
    deliveries = example_deliveries()
    link = tmp_path / "site"
    Site(link, example_config()).publish(deliveries)
    before = Manifest.read(link)
    old_parts = parts_of(link)
    assert old_parts == named(before)
    assert len(old_parts) > 2
    new = changed(deliveries[0])
    assert Site(link, example_config()).publish([new]).mode == "incremental"
    after = Manifest.read(link)
    # The shard's listing part and its detail part (search texts, applied keys).
    assert len(parts_of(link) - old_parts) == len(old_parts - parts_of(link)) == 2
    assert parts_of(link) == named(after)
    assert after.guides[new.guide_id]["current"]["version"] == 2
    assert new.key in after.applied
    # The adapter's lookup reads the top file and one part.
    assert Site(link, example_config()).receipt(new.key) == after.applied[new.key]
    assert Site(link, example_config()).receipt(f"{new.guide_id}@9:publish") is None
    assert {k: v for k, v in after.guides.items() if k != new.guide_id} == {
        k: v for k, v in before.guides.items() if k != new.guide_id
    }
    fresh = tmp_path / "fresh"
    Site(fresh, example_config()).publish([*deliveries, new])
    assert files_of(fresh) == files_of(link)
    assert Manifest.read(fresh).guides == after.guides


def test_a_manifest_in_one_file_is_taken_over_by_the_next_publish(tmp_path: Path) -> None:
    """A site built before the parts (format 1: one file) is read, and written in parts."""
    deliveries = example_deliveries()
    link = tmp_path / "site"
    Site(link, example_config()).publish(deliveries)
    whole = Manifest.read(link)
    state = link / "_state"
    for part in (state / "parts").iterdir():
        part.unlink()
    (state / "parts").rmdir()
    single = {
        "format": 1,
        "build": whole.build,
        "fingerprint": whole.fingerprint,
        "guides": whole.guides,
        "notices": whole.notices,
        "applied": whole.applied,
        "files": whole.files,
        "pinyin": whole.pinyin,
    }
    (state / "manifest.json").write_bytes(orjson.dumps(single, option=orjson.OPT_SORT_KEYS))
    assert Manifest.read(link).applied == whole.applied  # read as it is
    new, after = taken_over(link, whole, deliveries)
    assert parts_of(link) == named(after)
    assert set(after.applied) == {*whole.applied, new.key}
    assert set(after.guides) == set(whole.guides)
    assert set(after.notices) == {*whole.notices, f"{new.guide_id}-v2"}
    fresh = tmp_path / "fresh"
    Site(fresh, example_config()).publish([*deliveries, new])
    assert files_of(fresh) == files_of(link)


def test_a_manifest_of_format_3_is_taken_over_by_the_next_publish(tmp_path: Path) -> None:
    """A site whose manifest is in one part a shard (format 3) publishes incrementally; the
    publish writes every shard in two parts (format 4) and removes the old parts after the top
    file; its files are those of a full build."""
    deliveries = example_deliveries()
    link = tmp_path / "site"
    Site(link, example_config()).publish(deliveries)
    whole = Manifest.read(link)
    write_older(link.resolve(), whole, 3)
    old_parts = parts_of(link)
    assert Manifest.read(link).guides == whole.guides  # read as it is
    new, after = taken_over(link, whole, deliveries)
    assert parts_of(link) == named(after)
    assert not parts_of(link) & old_parts
    assert set(after.parts) == set(after.details) == set(whole.parts)
    assert set(after.applied) == {*whole.applied, new.key}
    fresh = tmp_path / "fresh"
    Site(fresh, example_config()).publish([*deliveries, new])
    assert files_of(fresh) == files_of(link)
    assert Manifest.read(fresh).guides == after.guides
    assert after.parts == Manifest.read(fresh).parts  # the listing parts (no receipts)


def test_a_publish_reads_the_search_texts_of_the_shards_it_changes_only(tmp_path: Path) -> None:
    """Every shard's listing part is read; the detail parts (search texts, applied keys) of the
    changed guides' shards only, those of others when search needs their texts."""
    deliveries = example_deliveries()
    link = tmp_path / "site"
    Site(link, example_config()).publish(deliveries)
    gid = deliveries[0].guide_id
    manifest = Site(link, example_config()).manifest([gid])
    assert manifest is not None
    assert manifest.loaded == {shard_of(gid)}
    assert set(manifest.guides) == {d.guide_id for d in deliveries}  # every guide listed
    others = [g for g in manifest.guides if shard_of(g) != shard_of(gid)]
    assert others
    assert "search" in manifest.guides[gid]["listing"]
    assert all("search" not in manifest.guides[g]["listing"] for g in others)
    assert all("current" not in manifest.guides[g] for g in others)
    assert set(manifest.applied) == {
        d.key for d in deliveries if shard_of(d.guide_id) == shard_of(gid)
    }
    manifest.complete()
    assert manifest.applied == Manifest.read(link).applied
    assert manifest.guides == Manifest.read(link).guides


def test_a_part_edited_by_hand_is_refused(tmp_path: Path) -> None:
    """A part is read only with the SHA-256 it is named by: edited, the publish stops with the
    reason (``guides publish --rebuild`` writes the channel again from the ledger)."""
    deliveries = example_deliveries()
    link = tmp_path / "site"
    Site(link, example_config()).publish(deliveries)
    manifest = Manifest.read(link)
    new = changed(deliveries[0])
    for digest in (
        manifest.parts[shard_of(new.guide_id)],
        manifest.details[shard_of(new.guide_id)],
    ):
        part = link / part_name(digest)
        kept = part.read_bytes()
        part.write_bytes(kept + b"\n")  # the same content, other bytes
        with pytest.raises(ChannelError, match="SHA-256"):
            Site(link, example_config()).publish([new])
        part.write_bytes(kept)
    assert Site(link, example_config()).publish([new]).mode == "incremental"


def test_texts_of_unchanged_shards_read_when_a_whole_file_needs_them(tmp_path: Path) -> None:
    """A new guide renumbers the search index (every guide's search texts), a missing
    ``api/notices.json``, ``api/index.json`` or ``sitemap.xml`` is written whole (every
    notice's text, every guide's versions): the detail parts are read then, and the files are
    those of a full build."""
    first, *rest = example_deliveries()
    link = tmp_path / "site"
    Site(link, example_config()).publish(rest)
    manifest = Site(link, example_config()).manifest([first.guide_id])
    assert manifest is not None
    recent = set(orjson.loads((link / MANIFEST).read_bytes())["recent"])
    assert recent and recent <= set(manifest.notices)
    assert all("text" in manifest.notices[key] for key in recent)  # the top file's
    for rel in ("api/notices.json", "api/index.json", "sitemap.xml"):
        (link / rel).unlink()
    assert Site(link, example_config()).publish([first]).mode == "incremental"
    fresh = tmp_path / "fresh"
    Site(fresh, example_config()).publish([first, *rest])
    assert files_of(fresh) == files_of(link)
