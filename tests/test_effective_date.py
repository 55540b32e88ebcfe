"""The guide file's ``effective_date`` is the editor's proposed 具体实施时间: ``guides approve``
applies it (or today, or refuses it), ``--effective`` overrides it and says so, ``guides diff``
previews the notice with the date approval would give, ``guides check`` warns of a past one."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from typing import Any

import pytest

from tests.conftest import GUIDE, Library, invoke
from tests.test_ledger import GID, TODAY, approve, first_approval, rows

pytestmark = pytest.mark.usefixtures("database")

LATER = TODAY + dt.timedelta(days=30)
SHORTER = ("promised_time_limit: {value: 20", "promised_time_limit: {value: 10")


def _approved(library: Library) -> list[tuple[int, str, dict[str, Any]]]:
    """Each version's number, its effective date and the approval event's date fields."""
    found = rows(
        library,
        "SELECT v.version, v.effective_date, e.detail FROM guide_version v JOIN event e"
        " ON e.guide_id = v.guide_id AND e.version = v.version AND e.kind = 'approved'"
        " ORDER BY v.version",
    )
    out = []
    for version, date, detail in found:
        detail = json.loads(detail) if isinstance(detail, str) else detail
        keys = ("effective_date", "effective_from", "file_effective_date")
        out.append((version, str(date), {k: detail.get(k) for k in keys}))
    return out


def test_approve_without_effective_takes_the_date_in_the_file(library: Library) -> None:
    library.edit(GUIDE, "effective_date: 2026-01-01", f"effective_date: {LATER}")
    run = approve(library, "--note", "首次发布")
    assert run.exit_code == 0, run.stderr
    lines = run.stderr.splitlines()
    assert f"，自 {LATER} 起实施；" in lines[0]
    assert lines[1] == f"1 项指南按其文件中的具体实施时间（effective_date）实施：{GID} {LATER}"
    assert _approved(library) == [
        (1, str(LATER), {"effective_date": str(LATER), "effective_from": "file",
                         "file_effective_date": str(LATER)}),
    ]  # fmt: skip
    (approval_date,) = rows(library, "SELECT effective_date FROM approval")
    assert str(approval_date[0]) == str(LATER)  # the approval's own: the earliest of its guides


def test_a_past_date_new_in_the_file_is_refused(library: Library) -> None:
    refusal = (
        f"错误：{GUIDE}：effective_date：文件中的具体实施时间 {{date}} 已过（今天是 {TODAY}），"
        "且不是现行版本的日期；请在 effective_date 中写上变更实施的日期（今天或以后），"
        "或审核时用 guides approve --effective 日期 指定\n本次没有审核任何内容\n"
    )
    run = approve(library, "--note", "首次发布")  # a new guide dated 2026-01-01
    assert (run.exit_code, run.stderr) == (2, refusal.format(date="2026-01-01"))
    assert rows(library, "SELECT count(*) FROM approval") == [(0,)]
    first_approval(library)
    library.edit(GUIDE, *SHORTER)
    library.edit(GUIDE, "effective_date: 2026-01-01", "effective_date: 2025-06-01")
    run = approve(library, "--note", "压缩时限")
    assert (run.exit_code, run.stderr) == (2, refusal.format(date="2025-06-01"))
    assert rows(library, "SELECT count(*) FROM guide_version") == [(1,)]


def test_a_past_date_kept_from_the_version_in_force_means_today(library: Library) -> None:
    first_approval(library)
    library.edit(GUIDE, *SHORTER)
    run = approve(library, "--note", "压缩时限")
    assert run.exit_code == 0, run.stderr
    assert run.stderr.splitlines()[1] == (
        f"1 项指南自今天（{TODAY}）起实施：其文件中的具体实施时间已过，且没有随本次变更更新："
        f"{GID}（2026-01-01）"
    )
    assert _approved(library)[1] == (
        2, str(TODAY), {"effective_date": str(TODAY), "effective_from": "today",
                        "file_effective_date": "2026-01-01"},
    )  # fmt: skip


def test_effective_moving_the_files_date_is_allowed_and_said(library: Library) -> None:
    library.edit(GUIDE, "effective_date: 2026-01-01", f"effective_date: {LATER}")
    run = approve(library, "--effective", "today", "--note", "首次发布")
    assert run.exit_code == 0, run.stderr
    lines = run.stderr.splitlines()
    assert f"，自 {TODAY} 起实施；" in lines[0]
    assert lines[1] == (
        f"1 项指南按 --effective 于 {TODAY} 实施，而不是其文件中的具体实施时间（effective_date）："
        f"{GID}（{LATER}）"
    )
    assert _approved(library) == [
        (1, str(TODAY), {"effective_date": str(TODAY), "effective_from": "option",
                         "file_effective_date": str(LATER)}),
    ]  # fmt: skip


def _committed(library: Library) -> None:
    subprocess.run(["git", "init", "-q"], cwd=library.root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=library.root, check=True)
    subprocess.run(["git", "commit", "-qm", "base"], cwd=library.root, check=True)


def _cn(day: dt.date) -> str:
    return f"自 {day.year} 年 {day.month} 月 {day.day} 日起实施"


def test_diff_previews_the_notice_with_the_date_approval_gives(library: Library) -> None:
    """The file's past date kept from before: the notice is dated today, as approving would; a
    past date newly written: marked as one approval refuses; a date ahead: the file's."""
    _committed(library)
    library.edit(GUIDE, *SHORTER)
    run = invoke("diff", str(library.root))
    assert _cn(TODAY) in run.stdout and "2026 年 1 月 1 日" not in run.stdout
    assert (
        f"  实施日期：审核当天（公告按今天 {TODAY} 预览）——文件中的具体实施时间 2026-01-01 已过，"
        "且没有随本次变更更新\n"
    ) in run.stdout
    library.edit(GUIDE, "effective_date: 2026-01-01", "effective_date: 2020-01-01")
    run = invoke("diff", str(library.root))
    assert _cn(dt.date(2020, 1, 1)) in run.stdout
    assert (
        "  注意：文件中的具体实施时间 2020-01-01 已过，且不是现行版本的日期：不加 --effective 时 "
        "guides approve 会拒绝；请把 effective_date 改为今天或以后的日期，或审核时用 --effective 指定\n"
    ) in run.stdout
    library.edit(GUIDE, "effective_date: 2020-01-01", f"effective_date: {LATER}")
    run = invoke("diff", str(library.root), "--format", "json")
    (guide,) = json.loads(run.stdout)["guides"]
    assert guide["effective_date"] == guide["file_effective_date"] == str(LATER)
    assert guide["effective_from"] == "file"
    assert run.stderr == ""


def test_diff_published_previews_what_approve_will_record(library: Library) -> None:
    first_approval(library)
    library.edit(GUIDE, *SHORTER)
    run = invoke("diff", str(library.root), "--published", "--format", "markdown")
    assert _cn(TODAY) in run.stdout
    assert f"| 居民身份证换领 | `{GUIDE}` | 变更 | 实质性变更 | {TODAY} |" in run.stdout
    approve(library, "--note", "压缩时限")
    assert _approved(library)[1][1] == str(TODAY)


def test_check_warns_of_a_changed_guide_whose_date_has_passed(library: Library) -> None:
    """Against the last commit: the guide as committed says nothing (its past date is the one in
    force); changed with its date left in the past, or set to another past day, it warns; with
    a date ahead, nothing; rules: effective-date-past: off silences it."""
    _committed(library)
    assert library.check().stdout == ""
    library.edit(GUIDE, *SHORTER)
    run = library.check()
    assert (run.exit_code, run.stdout) == (
        0,
        f"{GUIDE}:59:1: effective_date: 警告：指南已修改，但其具体实施时间 2026-01-01 已过（今天是 {TODAY}）："
        "guides approve 对与现行版本相同的日期按今天实施，对新写的过去日期拒绝审核"
        "（修改建议：请写上变更实施的日期，今天或以后） [effective-date-past]\n",
    )
    assert library.check("--strict").exit_code == 1
    library.edit(GUIDE, "effective_date: 2026-01-01", f"effective_date: {LATER}")
    assert library.check().stdout == ""
    library.edit(GUIDE, f"effective_date: {LATER}", "effective_date: 2025-06-01")
    assert "[effective-date-past]" in library.check().stdout
    library.edit("library.yaml", "rules: {}", "rules: {effective-date-past: off}")
    assert library.check().stdout == ""


def test_guides_approved_together_each_take_their_own_date(library: Library) -> None:
    text = library.read(GUIDE).replace("effective_date: 2026-01-01", f"effective_date: {LATER}")
    library.write(GUIDE, text)
    later_still = LATER + dt.timedelta(days=10)
    library.write(
        "guides/jumin-shenfenzheng-buling.yaml",
        text.replace(f"id: {GID}", "id: jumin-shenfenzheng-buling")
        .replace("name: 居民身份证换领", "name: 居民身份证补领")
        .replace("7000107001000", "7000107002000")
        .replace(f"effective_date: {LATER}", f"effective_date: {later_still}"),
    )
    run = approve(library, "--note", "首次发布")
    assert run.exit_code == 0, run.stderr
    lines = run.stderr.splitlines()
    assert "，自 下列日期 起实施；" in lines[0]
    assert lines[1] == (
        "2 项指南按其文件中的具体实施时间（effective_date）实施："
        f"jumin-shenfenzheng-buling {later_still}、{GID} {LATER}"
    )
    found = rows(library, "SELECT guide_id, effective_date FROM guide_version ORDER BY guide_id")
    assert [(g, str(d)) for g, d in found] == [
        ("jumin-shenfenzheng-buling", str(later_still)),
        (GID, str(LATER)),
    ]
