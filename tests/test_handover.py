"""Handovers: deliveries hall staff complete (`guides print list`, `guides print done`)."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import GUIDE, Library, invoke

pytestmark = pytest.mark.usefixtures("database")

GID = "jumin-shenfenzheng-huanling"

SHEETS = '''
from guidesrc.adapters import Adapter, AdapterSettings


class SheetSettings(AdapterSettings):
    window: str


class SheetAdapter(Adapter):
    """Hands each sheet to the staff of one window, in one batch per version."""

    Settings = SheetSettings

    def deliver(self, delivery):
        token = f"{self.settings.window}-v{delivery.version}"
        return {
            "file": f"{delivery.guide_id}.pdf",
            "handover": [{"token": token, "title": f"{self.settings.window} 窗口换页", "file": "batch.pdf"}],
        }
'''


@pytest.fixture
def sheets(library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Library]:
    """The library with a channel whose deliveries hall staff complete."""
    from guidesrc.adapters import adapter_types

    site = tmp_path / "site"
    dist = site / "guidesrc_sheets-1.0.dist-info"
    dist.mkdir(parents=True)
    (site / "guidesrc_sheets.py").write_text(SHEETS, encoding="utf-8")
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: guidesrc-sheets\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[guidesrc.adapters]\nsheets = guidesrc_sheets:SheetAdapter\n"
    )
    monkeypatch.syspath_prepend(str(site))
    adapter_types.cache_clear()
    library.edit(
        "library.yaml",
        "      path: .guides/published\n",
        "      path: .guides/published\n"
        + textwrap.indent("hall:\n  type: sheets\n  settings:\n    window: A1\n", "  "),
    )
    yield library
    adapter_types.cache_clear()


def test_a_handed_over_delivery_closes_when_staff_confirm(sheets: Library) -> None:
    run = invoke(
        "approve",
        str(sheets.root),
        "--effective",
        "today",
        "--note",
        "首次发布",
    )
    assert run.exit_code == 0, run.stderr
    run = invoke("publish", str(sheets.root))
    assert run.exit_code == 0, run.stderr
    assert f"待张贴\t{GID} v1\thall\t发布\tA1-v1" in run.stdout
    status = json.loads(invoke("status", str(sheets.root), "--format", "json").stdout)
    hall = [d for d in status["deliveries"] if d["channel"] == "hall"]
    assert [d["status"] for d in hall] == ["awaiting"]
    run = invoke("print", "list", "--library", str(sheets.root))
    assert run.stdout.startswith("A1-v1\thall\tA1 窗口换页\t1 项指南\t期限 ")
    assert run.stdout.rstrip().endswith("batch.pdf")
    assert run.stderr == "待张贴的批次 1 个\n"
    # Publishing again neither repeats the delivery nor closes it.
    assert invoke("publish", str(sheets.root)).stdout == ""
    run = invoke("print", "done", "A1-v1", "--by", "窗口人员丙", "--library", str(sheets.root))
    assert run.exit_code == 0
    assert run.stderr == (
        "A1-v1 已由 窗口人员丙 确认；渠道 hall 的 1 次送达已完成"
        "（一项指南的送达，要等张贴其样张的每个批次都确认后才完成）\n"
    )
    status = json.loads(invoke("status", str(sheets.root), "--format", "json").stdout)
    assert {d["status"] for d in status["deliveries"]} == {"delivered"}
    assert invoke("print", "list", "--library", str(sheets.root)).stdout == ""
    run = invoke("print", "done", "A1-v1", "--by", "窗口人员丁", "--library", str(sheets.root))
    assert (run.exit_code, run.stderr) == (2, "错误：A1-v1 已于此前由 窗口人员丙 确认\n")
    log = invoke("log", str(sheets.root)).stdout
    assert "窗口人员丙\t已确认交接" in log


def test_a_newer_version_retires_sheets_not_yet_posted(sheets: Library) -> None:
    invoke(
        "approve",
        str(sheets.root),
        "--effective",
        "today",
        "--note",
        "首次发布",
    )
    invoke("publish", str(sheets.root))
    sheets.edit(GUIDE, "promised_time_limit: {value: 20", "promised_time_limit: {value: 10")
    invoke(
        "approve",
        str(sheets.root),
        "--effective",
        "today",
        "--note",
        "压缩时限",
    )
    invoke("publish", str(sheets.root))
    run = invoke("print", "list", "--library", str(sheets.root))
    assert [line.split("\t")[0] for line in run.stdout.splitlines()] == ["A1-v1", "A1-v2"]
    assert "\t0 项指南\t" in run.stdout.splitlines()[0]  # nothing waits for v1's sheet any more
    run = invoke("print", "done", "A1-v2", "--by", "窗口人员丙", "--library", str(sheets.root))
    assert run.stderr.splitlines() == [
        "A1-v2 已由 窗口人员丙 确认；渠道 hall 的 1 次送达已完成"
        "（一项指南的送达，要等张贴其样张的每个批次都确认后才完成）",
        "渠道 hall 尚待张贴：A1-v1（A1 窗口换页）",  # the open batch, named
    ]


def test_an_unknown_batch_is_refused(sheets: Library) -> None:
    run = invoke("print", "done", "nope", "--by", "窗口人员丙", "--library", str(sheets.root))
    assert (run.exit_code, run.stderr) == (2, "错误：没有交接批次 nope；请查看 guides print list\n")
