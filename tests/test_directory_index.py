"""The directory channel's index.json: a run of a few deliveries changes their entries in the
file's bytes; the bytes are those of the index written whole. Real files, real adapter."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

from guidesrc.adapters.base import Delivery
from guidesrc.adapters.directory import DirectoryAdapter, DirectorySettings
from guidesrc.statuses import Action
from guidesrc.workdays import read_config
from tests.conftest import Library

DAY = dt.date(2026, 12, 1)
ACTIONS = [Action.PUBLISH, Action.PUBLISH, Action.ANNOUNCE, Action.ACTIVATE, Action.WITHDRAW]


def delivery(action: Action, gid: str, version: int) -> Delivery:
    withdraw = action == Action.WITHDRAW
    return Delivery(
        action=action,
        guide_id=gid,
        version=version,
        name=f"指南 {gid}（第 {version} 版）",
        effective_date=DAY + dt.timedelta(days=version),
        approved_at=dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC) + dt.timedelta(hours=version),
        content_hash=None if withdraw else f"{version:064x}",
        guide=None if withdraw else {"name": gid, "conditions": ["年满 18 周岁"], "fees": None},
        notice={"text": f"第 {version} 版。", "effective_date": None},
        reason="该事项已划转" if withdraw else None,
    )


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*.json"))}


def test_an_index_changed_in_place_has_the_bytes_of_one_written_whole(example: Library) -> None:
    config = read_config(example.root)
    rng = random.Random(17)
    versions: dict[str, int] = {}
    work = []
    for _step in range(80):  # new guides before, between and after the others; every action
        gid = rng.choice([f"g{n:02d}" for n in range(1, 40)])
        versions[gid] = versions.get(gid, 0) + 1
        work.append((delivery(rng.choice(ACTIONS), gid, versions[gid]), False))
    runs = DirectoryAdapter("runs", DirectorySettings(path="runs"), example.root, config)
    start = 0
    while start < len(work):  # runs of one to five deliveries: their entries changed in place
        size = rng.randint(1, 5)
        assert not [
            r for r in runs.deliver_many(work[start : start + size]) if isinstance(r, Exception)
        ]
        start += size
    whole = DirectoryAdapter("whole", DirectorySettings(path="whole"), example.root, config)
    assert not [r for r in whole.deliver_many(work) if isinstance(r, Exception)]  # one batch
    written = files(example.root / "runs")
    assert written == files(example.root / "whole")
    index = json.loads(written["index.json"])
    assert list(index["guides"]) == sorted(versions)
    assert {e["state"] for e in index["guides"].values()} == {"current", "upcoming", "withdrawn"}
