"""An incremental publish edits the site's API indexes in their bytes (guidesrc.site.splice):
the entries of the changed guides replaced or inserted in ``api/index.json``, the new notices
put into ``api/notices.json``, the search documents made only for the changed guides. The
files are byte for byte those of a full build of the same deliveries."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import orjson

from guidesrc.adapters import Action, Delivery
from guidesrc.site.builder import Site
from guidesrc.site.data import Manifest
from guidesrc.site.listings import NOTICES_HEAD, notice_entry
from guidesrc.site.render import JSON_OPTIONS
from guidesrc.site.splice import spliced_notices
from tests.test_site import example_config, example_deliveries, files_of
from tests.test_site_state import write_older

LATER = dt.datetime(2026, 10, 9, 8, tzinfo=dt.UTC)


def changed(delivery: Delivery) -> Delivery:
    """The guide's version 2, approved later, with another name (its lists and index move)."""
    assert delivery.guide is not None
    guide = {**delivery.guide, "name": delivery.guide["name"] + "（变更）"}
    return dataclasses.replace(
        delivery, version=2, name=guide["name"], guide=guide, approved_at=LATER
    )


def withdrawn(delivery: Delivery) -> Delivery:
    return dataclasses.replace(
        delivery,
        action=Action.WITHDRAW,
        version=2,
        approved_at=LATER,
        content_hash=None,
        guide=None,
        reason="已划转",
    )


def test_an_incremental_publish_splices_the_api_indexes_as_a_full_build_writes_them(
    tmp_path: Path,
) -> None:
    first, *rest = example_deliveries()
    *kept, last = rest
    site = Site(tmp_path / "site", example_config())
    assert site.publish(kept).mode == "full"
    # The first and the last guide come (inserted at both ends of the index), one changes,
    # one is withdrawn: all in one incremental publish.
    batch = [first, last, changed(kept[0]), withdrawn(kept[1])]
    result = site.publish(batch)
    assert result.mode == "incremental"
    assert {"api/index.json", "api/notices.json"} <= set(result.written)
    fresh = Site(tmp_path / "fresh", example_config())
    assert fresh.publish([first, *kept, last, *batch[2:]]).mode == "full"
    assert files_of(tmp_path / "site") == files_of(tmp_path / "fresh")
    index = json.loads((tmp_path / "site/api/index.json").read_bytes())["guides"]
    assert [g["id"] for g in index] == sorted(d.guide_id for d in [first, *rest])
    assert (
        index[[g["id"] for g in index].index(kept[1].guide_id)]["withdrawn"]["reason"] == "已划转"
    )


def test_notices_a_file_already_holds_are_not_put_in_again(tmp_path: Path) -> None:
    """A publish cut short after ``api/notices.json`` was renamed into place leaves the new
    notices in it: the file is not spliced (it is made whole instead)."""
    deliveries = example_deliveries()
    site = Site(tmp_path / "site", example_config())
    site.publish(deliveries)
    manifest = site.manifest()
    assert manifest is not None
    latest = sorted(manifest.notices.values(), key=lambda n: n["key"])
    whole = orjson.dumps(
        {"format": 1, "notices": [notice_entry(n) for n in latest]}, option=JSON_OPTIONS
    )
    new = [(latest[0], orjson.dumps(notice_entry(latest[0]), option=JSON_OPTIONS))]
    assert spliced_notices(whole, NOTICES_HEAD, latest, new) is None
    without = orjson.dumps(
        {"format": 1, "notices": [notice_entry(n) for n in latest[1:]]}, option=JSON_OPTIONS
    )
    assert spliced_notices(without, NOTICES_HEAD, latest, new) == whole
    assert spliced_notices(None, NOTICES_HEAD, latest, new) is None


def test_listings_that_keep_their_search_texts_as_lists_are_read_and_taken_over(
    tmp_path: Path,
) -> None:
    """A site whose manifest an older guidesrc wrote (each listing's search texts as lists, not
    as one JSON text) publishes incrementally as before; its next full build keeps them as text."""
    first, *rest = example_deliveries()
    site = Site(tmp_path / "site", example_config())
    site.publish(rest)
    root = (tmp_path / "site").resolve()
    older = Manifest.read(root)
    for rec in older.guides.values():
        rec["listing"]["search"] = json.loads(rec["listing"]["search"])
    write_older(root, older, 2)
    batch = [first, changed(rest[0])]
    assert site.publish(batch).mode == "incremental"
    fresh = Site(tmp_path / "fresh", example_config())
    fresh.publish([first, *rest, *batch[1:]])
    assert files_of(tmp_path / "site") == files_of(tmp_path / "fresh")
    # Other settings: a full build, which keeps every listing's texts as JSON text.
    renamed = dataclasses.replace(example_config(), title="示例市办事指南")
    again = Site(tmp_path / "site", renamed).publish([withdrawn(rest[1])])
    assert again.mode == "full"
    kinds = {
        type(r["listing"]["search"])
        for r in Manifest.read((tmp_path / "site").resolve()).guides.values()
        if r["listing"]
    }
    assert kinds == {str}
    Site(tmp_path / "renamed", renamed).publish([first, *rest, *batch[1:], withdrawn(rest[1])])
    assert files_of(tmp_path / "site") == files_of(tmp_path / "renamed")
