"""The site keeps the pinyin it has worked out: a publish that shows no new name or label does
not load pypinyin (its dictionaries cost ≈ 0.4 s), and writes the same site as a full build."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from pypinyin import Style, lazy_pinyin

from guidesrc.adapters import Delivery
from guidesrc.site import collate
from guidesrc.site.builder import Site
from tests.conftest import REPO
from tests.test_site import example_config, example_deliveries, files_of

#: Publishes the pickled deliveries to the site in a fresh process; prints whether pypinyin
#: was loaded.
PUBLISH = """
import pickle, sys
from pathlib import Path
from guidesrc.site.builder import Site
link, config, deliveries = pickle.loads(Path(sys.argv[1]).read_bytes())
result = Site(Path(link), config).publish(deliveries)
assert result.mode == "incremental", result.mode
print(sorted(m for m in sys.modules if m.split(".")[0] == "pypinyin")[:1])
"""


def changed(delivery: Delivery, name: str | None = None) -> Delivery:
    """The delivery's guide, version 2, a day later: a condition added, renamed if ``name``."""
    assert delivery.guide is not None
    guide = copy.deepcopy(delivery.guide)
    guide["conditions"] = [*guide.get("conditions", []), "申请人本人到场办理。"]
    if name is not None:
        guide["name"] = name
    return dataclasses.replace(
        delivery,
        version=2,
        name=guide["name"],
        approved_at=delivery.approved_at + dt.timedelta(days=1),
        content_hash="v2-" + (delivery.content_hash or ""),
        guide=guide,
    )


def publish_in_a_new_process(tmp_path: Path, link: Path, deliveries: list[Delivery]) -> str:
    work = tmp_path / "work.pickle"
    work.write_bytes(pickle.dumps((str(link), example_config(), deliveries)))
    run = subprocess.run(
        [sys.executable, "-c", PUBLISH, str(work)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    return run.stdout.strip()


def manifest_pinyin(link: Path) -> dict[str, str]:
    return json.loads((link / "_state/manifest.json").read_bytes())["pinyin"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("renamed", [False, True])
def test_a_change_loads_pypinyin_only_for_a_new_name(tmp_path: Path, renamed: bool) -> None:
    deliveries = example_deliveries()
    change = changed(deliveries[0], "居民重新申领结婚证" if renamed else None)
    Site(tmp_path / "site", example_config()).publish(deliveries)
    loaded = publish_in_a_new_process(tmp_path, tmp_path / "site", [change])
    assert loaded == ("['pypinyin']" if renamed else "[]")
    Site(tmp_path / "full", example_config()).publish([*deliveries, change])
    assert files_of(tmp_path / "site") == files_of(tmp_path / "full")
    assert manifest_pinyin(tmp_path / "site") == manifest_pinyin(tmp_path / "full") != {}


def test_the_kept_pinyin_is_pypinyins() -> None:
    names = [d.name for d in example_deliveries()] + [
        "重庆市银行业务",
        "长江",
        "行长",
        "内地居民结婚登记（预约制）",
        "ICP备案2026年度 变更",
        "〇号楼·长者服务",
    ]
    for name in names:
        assert collate.pinyin(name) == " ".join(lazy_pinyin(name, style=Style.TONE3))
    assert collate.stored(names) == {n: collate.pinyin(n) for n in sorted(set(names))}
