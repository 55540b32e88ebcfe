"""A simulated year of ledger history: approvals, publishing runs (some late, some failing),
withdrawals — through the real approval and publishing code, with a moving clock.

The simulation keeps its own account of what should be counted (``Expected``), which
``tests/test_report.py`` compares with ``guides report``. Run as a script to write a year's report
for the docs::

    .venv/bin/python -m tests.history OUT_DIR
"""

from __future__ import annotations

import datetime as dt
import random
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from guidesrc.adapters import Adapter, AdapterSettings, Delivery
from guidesrc.adapters.directory import DirectoryAdapter, DirectorySettings
from guidesrc.approve import Decision, pending_changes, record_approval
from guidesrc.approvers import Approver
from guidesrc.identity import Person
from guidesrc.ledger import Ledger, open_ledger
from guidesrc.model.library import LibraryConfig
from guidesrc.publisher import publish
from guidesrc.state import WorkingTree, load_state
from guidesrc.workdays import WorkCalendar, load_calendar, read_config
from tests.conftest import directory_only

ZONE = ZoneInfo("Asia/Shanghai")
EXAMPLE = Path(__file__).resolve().parent.parent / "example"
CHANNELS = ("archive", "hall")


class Flaky(Adapter[AdapterSettings]):
    """A channel that fails the deliveries it is told to fail, once each."""

    def __init__(self, config: LibraryConfig) -> None:
        super().__init__("hall", AdapterSettings(), Path("."), config)
        self.fail_next: set[str] = set()
        self.delivered: set[str] = set()

    def deliver(self, delivery: Delivery) -> dict[str, Any]:
        if delivery.key in self.fail_next:
            self.fail_next.discard(delivery.key)
            raise ConnectionError("大厅屏幕服务无响应")
        self.delivered.add(delivery.key)
        return {"key": delivery.key}


@dataclass
class Expected:
    approvals: int = 0
    major: int = 0
    minor: int = 0
    withdrawn: int = 0
    on_time: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CHANNELS, 0))
    late: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CHANNELS, 0))
    late_with_failure: int = 0
    monthly_changes: dict[str, int] = field(default_factory=dict)


def _edit(root: Path, rng: random.Random, n: int) -> tuple[str, bool]:
    """Change one guide: a condition reworded (实质性变更) or its name (一般性修改)."""
    files = sorted((root / "guides").glob("*.yaml"))
    path = rng.choice(files)
    text = path.read_text(encoding="utf-8")
    major = rng.random() < 0.6
    if major:
        text = re.sub(
            r"(^conditions:\n  - )(.*?)(（第 \d+ 次修订）)?$",
            rf"\g<1>\g<2>（第 {n} 次修订）",
            text,
            count=1,
            flags=re.M,
        )
    else:
        text = re.sub(r"^(name: .*?)(（\d+）)?$", rf"\g<1>（{n}）", text, count=1, flags=re.M)
    path.write_text(text, encoding="utf-8")
    return path.stem, major


def simulate(root: Path, seed: int = 2026, per_month: tuple[int, int] = (3, 7)) -> Expected:
    """Twelve months, 2025-12 to 2026-11, on a copy of the example library at ``root``."""
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".guides"))
    directory_only(root)
    for path in (root / "guides").glob("*.yaml"):  # in force before the simulated year begins
        text = path.read_text(encoding="utf-8")
        path.write_text(
            re.sub(r"^effective_date: .*$", "effective_date: 2025-01-01", text, flags=re.M),
            encoding="utf-8",
        )
    rng = random.Random(seed)
    ledger = open_ledger(root)
    calendar = load_calendar(root)
    config = read_config(root)
    flaky = Flaky(config)
    adapters: dict[str, Adapter[Any]] = {
        "archive": DirectoryAdapter("archive", DirectorySettings(path="out"), root, config),
        "hall": flaky,
    }
    expected = Expected()
    # The initial approval of the whole library, published at once (on time), on 2025-12-01.
    start = dt.datetime(2025, 12, 1, 9, 30, tzinfo=ZONE)
    _approve(root, ledger, calendar, start, expected, "首次发布")
    _run(ledger, adapters, calendar, start + dt.timedelta(minutes=5))
    n = 0
    month = dt.date(2025, 12, 1)
    while month <= dt.date(2026, 11, 1):
        days = [
            month + dt.timedelta(days=k)
            for k in range(28)
            if calendar.is_working_day(month + dt.timedelta(days=k))
        ]
        for day in sorted(rng.sample(days, rng.randint(*per_month))):
            n += 1
            at = dt.datetime.combine(
                day, dt.time(rng.randint(9, 16), rng.choice((0, 15, 30, 45))), ZONE
            )
            if at <= start:
                continue
            if rng.random() < 0.06:
                guide = rng.choice(sorted(p.stem for p in (root / "guides").glob("*.yaml")))
                if _withdraw(root, ledger, calendar, guide, at, adapters, expected):
                    continue
            guide, major = _edit(root, rng, n)
            _approve(root, ledger, calendar, at, expected, "调整受理条件" if major else "")
            deadline = calendar.deadline(at)
            fate = rng.random()
            keys = {f"{guide}@{_latest(ledger, guide)}:publish"}
            if fate < 0.12:  # the hall channel fails once; the retry comes after the deadline
                flaky.fail_next |= keys
                _run(ledger, adapters, calendar, at + dt.timedelta(minutes=10))
                _run(ledger, adapters, calendar, deadline + dt.timedelta(hours=3), retry=True)
                expected.on_time["archive"] += 1
                expected.late["hall"] += 1
                expected.late_with_failure += 1
            elif fate < 0.20:  # nobody ran the publisher before the deadline
                _run(ledger, adapters, calendar, deadline + dt.timedelta(hours=9))
                expected.late["archive"] += 1
                expected.late["hall"] += 1
            else:  # published the same day or the next morning: on time
                _run(ledger, adapters, calendar, at + dt.timedelta(hours=rng.choice((0.2, 1, 18))))
                expected.on_time["archive"] += 1
                expected.on_time["hall"] += 1
            key = f"{at.year}-{at.month:02d}"
            expected.monthly_changes[key] = expected.monthly_changes.get(key, 0) + 1
        month = (month + dt.timedelta(days=32)).replace(day=1)
    ledger.close()
    return expected


def _latest(ledger: Ledger, guide: str) -> int:
    from guidesrc.approve import latest_versions

    return latest_versions(ledger)[guide].version


def _approve(
    root: Path,
    ledger: Ledger,
    calendar: WorkCalendar,
    at: dt.datetime,
    expected: Expected,
    note: str,
) -> None:
    state = load_state(WorkingTree(root))
    pending = pending_changes(state, ledger)
    decision = Decision("审核员乙", note, at.date(), at, calendar.deadline(at))
    record_approval(root, state, ledger, pending, decision, CHANNELS)
    expected.approvals += 1
    for g in pending.changes.guides:
        if g.major:
            expected.major += 1
        else:
            expected.minor += 1
    if at.date() == dt.date(2025, 12, 1):  # the first approval: every guide added, all on time
        expected.on_time["archive"] += len(pending.changes.guides)
        expected.on_time["hall"] += len(pending.changes.guides)
        expected.monthly_changes["2025-12"] = len(pending.changes.guides)


def _withdraw(
    root: Path,
    ledger: Ledger,
    calendar: WorkCalendar,
    guide: str,
    at: dt.datetime,
    adapters: dict[str, Adapter],
    expected: Expected,
) -> bool:
    from guidesrc.approve import latest_versions

    latest = latest_versions(ledger).get(guide)
    if latest is None or latest.withdrawn:
        return False
    from guidesrc.withdrawals import approve_withdrawal, request_withdrawal

    request_withdrawal(ledger, guide, "事项划转至其他部门办理", Approver(Person("编辑甲")), at)
    approve_withdrawal(
        ledger,
        guide,
        Approver(Person("审核员乙")),
        at,
        calendar.deadline(at),
        CHANNELS,
        "Asia/Shanghai",
    )
    (root / "guides" / f"{guide}.yaml").unlink()
    _run(ledger, adapters, calendar, at + dt.timedelta(minutes=30))
    expected.withdrawn += 1
    expected.on_time["archive"] += 1
    expected.on_time["hall"] += 1
    key = f"{at.year}-{at.month:02d}"
    expected.monthly_changes[key] = expected.monthly_changes.get(key, 0) + 1
    return True


def _run(
    ledger: Ledger,
    adapters: dict[str, Adapter],
    calendar: WorkCalendar,
    at: dt.datetime,
    retry: bool = False,
) -> None:
    publish(
        ledger,
        adapters,
        deadline_for=calendar.deadline,
        timezone="Asia/Shanghai",
        clock=lambda: at,
        retry_now=retry,
    )


if __name__ == "__main__":  # write a year's report for the docs
    import subprocess

    out = Path(sys.argv[1])
    if out.exists():
        shutil.rmtree(out)
    expected = simulate(out / "library")
    print(expected)
    for fmt, name in (("html", "report.html"), ("csv", "report.csv"), ("text", "report.txt")):
        subprocess.run(
            [
                sys.executable,
                "-m",
                "guidesrc",
                "report",
                str(out / "library"),
                "--from",
                "2025-12-01",
                "--to",
                "2026-11-30",
                "--format",
                fmt,
                "--output",
                str(out / name),
            ],
            check=True,
        )
