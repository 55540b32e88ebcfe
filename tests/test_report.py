"""`guides report` over a simulated year of ledger history: the figures match the simulation."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from guidesrc.ledger import open_ledger
from guidesrc.report import build_report
from tests.conftest import invoke
from tests.history import CHANNELS, simulate

pytestmark = [pytest.mark.usefixtures("database"), pytest.mark.slow]
ZONE = ZoneInfo("Asia/Shanghai")


def test_a_year_of_history_is_reported_as_it_happened(tmp_path: Path) -> None:
    root = tmp_path / "library"
    expected = simulate(root)
    ledger = open_ledger(root)
    now = dt.datetime(2026, 12, 1, 12, tzinfo=ZONE)
    r = build_report(ledger, dt.date(2025, 12, 1), dt.date(2026, 11, 30), ZONE, now)
    ledger.close()
    assert r.approvals == expected.approvals
    assert (r.major, r.minor) == (expected.major + expected.withdrawn, expected.minor)
    assert r.changes["removed"] == len(r.withdrawals) == expected.withdrawn
    for c in r.channels:
        assert (c.channel, c.on_time, c.late, c.pending) == (
            c.channel,
            expected.on_time[c.channel],
            expected.late[c.channel],
            0,
        )
    assert [c.channel for c in r.channels] == sorted(CHANNELS)
    failed = [
        d for d in r.late if d.reason.startswith("送达失败 1 次，最后一次：大厅屏幕服务无响应")
    ]
    assert len(failed) == expected.late_with_failure
    no_run = [d for d in r.late if d.reason == "期限前没有运行发布（guides publish）"]
    assert len(no_run) == len(r.late) - expected.late_with_failure
    assert {m["month"]: m["changes"] for m in r.months if m["changes"]} == expected.monthly_changes
    assert sum(m["on_time"] for m in r.months) == sum(expected.on_time.values())

    # The same through the CLI: the text figures, the CSV rows, the HTML page.
    run = invoke("report", str(root), "--from", "2025-12-01", "--to", "2026-11-30")
    assert run.exit_code == 0, run.stderr
    assert f"审核批次：{expected.approvals}" in run.stdout
    run = invoke(
        "report", str(root), "--from", "2025-12-01", "--to", "2026-11-30", "--format", "csv"
    )
    rows = list(csv.reader(io.StringIO(run.stdout.lstrip("\ufeff"))))
    assert rows[0][:4] == ["事项标识", "事项名称", "版本", "渠道"]
    assert sum(row[8] == "否" for row in rows[1:]) == sum(expected.late.values())
    page = invoke("report", str(root), "--year", "2026", "--format", "html").stdout
    assert page.startswith("<!doctype html>") and "<svg" in page and "按时公开率" in page


def test_a_period_without_approvals_is_an_empty_report(tmp_path: Path) -> None:
    from guidesrc.scaffold import create_library

    root = tmp_path / "lib"
    create_library(root)
    run = invoke("report", str(root), "--year", "2024")
    assert run.exit_code == 0
    assert "按时公开率：—" in run.stdout
    run = invoke("report", str(root), "--from", "2026-05-01", "--to", "2026-04-01")
    assert (run.exit_code, run.stderr) == (2, "错误：--to 2026-04-01 早于 --from 2026-05-01\n")
