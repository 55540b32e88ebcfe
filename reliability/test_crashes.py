"""Crashes: the publisher killed with SIGKILL at a random step of a random delivery, 20 times on
each ledger, then run again: nothing lost, nothing delivered twice, the ledger consistent."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from guidesrc.ledger import open_ledger
from tests.conftest import Library
from tests.test_publish_crash import POINTS, publish

pytestmark = pytest.mark.section("Crashes")

ROUNDS = 20
_SEEN: Counter[str] = Counter()


def _outcome(lib: Library) -> tuple[int, int, int]:
    """(lost, duplicated, inconsistent) for the 18 guides × 2 channels of the example library."""
    journal = (lib.root / "journal.txt").read_text(encoding="utf-8").splitlines()
    keys = Counter(line.split()[0] for line in journal)
    duplicated = sum(n - 1 for n in keys.values())
    index = json.loads((lib.root / ".guides/published/index.json").read_text(encoding="utf-8"))
    lost = (18 - len(keys)) + (18 - len(index["guides"]))
    ledger = open_ledger(lib.root)
    with ledger.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT channel, status FROM publication")).all()
        events = conn.execute(
            sa.text("SELECT count(*) FROM event WHERE kind = 'delivered'")
        ).scalar()
    ledger.close()
    inconsistent = sum(status != "delivered" for _channel, status in rows)
    inconsistent += abs(len(rows) - 36) + abs((events or 0) - 36)
    return lost, duplicated, inconsistent


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_killed_at_a_random_point(
    database: str, approved: Library, plugin: Path, round_: int
) -> None:
    """(``database`` first: the ledger is chosen before ``approved`` approves.)"""
    rng = random.Random(f"{database}-{round_}")
    point = rng.choice(POINTS)
    nth = 1 if point == "publish.locked" else rng.randint(1, 18)
    crashed = publish(approved, plugin, GUIDES_FAULT=f"{point}@{nth}")
    killed = crashed.returncode == -9
    resumed = publish(approved, plugin)
    assert resumed.returncode == 0, resumed.stderr
    lost, duplicated, inconsistent = _outcome(approved)
    _SEEN[f"{database} runs"] += 1
    _SEEN[f"{database} killed"] += killed
    _SEEN[f"{database} lost"] += lost
    _SEEN[f"{database} duplicated"] += duplicated
    _SEEN[f"{database} inconsistent"] += inconsistent
    assert (lost, duplicated, inconsistent) == (0, 0, 0), f"{point}@{nth}"


def test_crash_figures(figures: object) -> None:
    for db in ("sqlite", "postgresql"):
        add = figures.add  # type: ignore[attr-defined]
        add(
            f"{db}: publisher runs killed with SIGKILL at a random step",
            f"{_SEEN[db + ' killed']} of {_SEEN[db + ' runs']} (a point past the last delivery is not reached)",
        )
        add(f"{db}: deliveries lost", _SEEN[f"{db} lost"], "0")
        add(f"{db}: deliveries duplicated", _SEEN[f"{db} duplicated"], "0")
        add(
            f"{db}: ledger inconsistent (rows not delivered, missing or extra rows and events)",
            _SEEN[f"{db} inconsistent"],
            "0",
        )
