"""The site's manifest in parts (guidesrc.site.state): a publish of one guide writes one part and
the top file, keeps the others; a site whose manifest is still one file is taken over."""

from __future__ import annotations

from pathlib import Path

import orjson

from guidesrc.site.builder import Site
from guidesrc.site.data import Manifest
from tests.test_site import example_config, example_deliveries, files_of
from tests.test_site_pinyin import changed


def parts_of(link: Path) -> set[str]:
    return {p.name for p in (link / "_state/parts").iterdir()}


def test_one_change_writes_one_part_and_keeps_the_others(tmp_path: Path) -> None:
    deliveries = example_deliveries()
    link = tmp_path / "site"
    Site(link, example_config()).publish(deliveries)
    before = Manifest.read(link)
    old_parts = parts_of(link)
    assert old_parts == {f"{digest}.json" for digest in before.parts.values()}
    assert len(old_parts) > 1
    new = changed(deliveries[0])
    assert Site(link, example_config()).publish([new]).mode == "incremental"
    after = Manifest.read(link)
    assert len(parts_of(link) - old_parts) == len(old_parts - parts_of(link)) == 1
    assert parts_of(link) == {f"{digest}.json" for digest in after.parts.values()}
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
    key = deliveries[0].key
    assert Site(link, example_config()).receipt(key) == whole.applied[key]
    new = changed(deliveries[0])
    assert Site(link, example_config()).publish([new]).mode == "incremental"
    after = Manifest.read(link)
    assert (
        orjson.loads((state / "manifest.json").read_bytes())["format"] == 3
    )  # parts, the search texts as JSON text
    assert parts_of(link) == {f"{digest}.json" for digest in after.parts.values()}
    assert set(after.applied) == {*whole.applied, new.key}
    assert set(after.guides) == set(whole.guides)
    assert set(after.notices) == {*whole.notices, f"{new.guide_id}-v2"}
    fresh = tmp_path / "fresh"
    Site(fresh, example_config()).publish([*deliveries, new])
    assert files_of(fresh) == files_of(link)
