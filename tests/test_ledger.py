"""The ledger, `guides approve`, `publish`, `withdraw`, `status` and `log`, on SQLite and PostgreSQL.

Every test runs twice (the ``database`` fixture): on the library's own SQLite file and on a fresh
PostgreSQL schema. Times are real; where a test needs another day it passes a clock to the API.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from guidesrc.compile import content_hash
from guidesrc.identity import os_account
from guidesrc.ledger import open_ledger
from guidesrc.ledger.store import SCHEMA_REVISION
from guidesrc.state import WorkingTree, load_state
from guidesrc.workdays import read_config
from tests.conftest import GUIDE, NO_KEY, Library, invoke, said, withdraw

pytestmark = pytest.mark.usefixtures("database")

GID = "jumin-shenfenzheng-huanling"
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
TODAY = dt.datetime.now(SHANGHAI).date()


def approve(lib: Library, *args: str) -> Any:
    return invoke("approve", str(lib.root), *args)


def publish(lib: Library, *args: str) -> Any:
    return invoke("publish", str(lib.root), *args)


def published(lib: Library, rel: str) -> dict[str, Any]:
    return dict(json.loads((lib.root / ".guides/published" / rel).read_text(encoding="utf-8")))


def rows(lib: Library, sql: str) -> list[tuple[Any, ...]]:
    ledger = open_ledger(lib.root)
    try:
        with ledger.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql))]
    finally:
        ledger.close()


def first_approval(lib: Library) -> None:
    run = approve(lib, "--effective", "today", "--note", "首次发布")
    assert run.exit_code == 0, run.stderr
    assert publish(lib).exit_code == 0


# --- the ledger itself --------------------------------------------------------------------------


def test_a_new_ledger_is_created_by_the_migrations(library: Library) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from guidesrc.ledger.models import SQLModel
    from guidesrc.ledger.store import _MIGRATIONS

    ledger = open_ledger(library.root)
    with ledger.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == (
            SCHEMA_REVISION
        )
        # The models and the migrations describe the same tables, indexes and constraints.
        assert compare_metadata(MigrationContext.configure(conn), SQLModel.metadata) == []
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == SCHEMA_REVISION
    ledger.close()


def test_the_default_ledger_is_a_file_in_the_library(library: Library, database: str) -> None:
    first_approval(library)
    assert (library.root / ".guides/ledger.sqlite").exists() == (database == "sqlite")


def test_a_wrong_database_url_is_a_clear_error(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GUIDES_DATABASE_URL", "mysql://localhost/x")
    run = invoke("status", str(library.root))
    assert run.exit_code == 2
    assert (
        run.stderr == "错误：GUIDES_DATABASE_URL：只支持 SQLite 和 PostgreSQL 台账，不支持 mysql\n"
    )
    monkeypatch.setenv("GUIDES_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    run = invoke("status", str(library.root))
    assert run.exit_code == 2
    assert run.stderr.startswith(
        "错误：无法打开台账 postgresql+psycopg://nobody@127.0.0.1:1/none："
    )


# --- approve ------------------------------------------------------------------------------------


def test_approve_then_publish_puts_the_compiled_guide_in_the_directory(library: Library) -> None:
    run = approve(library, "--effective", "today", "--note", "首次发布")
    assert run.exit_code == 0, run.stderr
    assert run.stdout == f"{GID}\tv1\n"
    assert f"已审核 1 项指南（审核记录 #1，审核人 {os_account().name}），" in run.stderr
    assert "已排队 1 次送达" in run.stderr
    run = publish(library)
    assert run.exit_code == 0, run.stderr
    assert run.stdout == f"已送达\t{GID} v1\tarchive\t发布\n"
    assert (
        said(run.stderr)
        == NO_KEY
        + "本次：已送达 1 次，0 次已印入换页批次、待大厅工作人员张贴，失败 0 次；留待以后运行 0 次（尚未到期或待重试）\n"
    )
    doc = published(library, f"guides/{GID}.json")
    state = load_state(WorkingTree(library.root))
    assert doc["content_hash"] == content_hash(state.compiled(GID))
    assert doc["guide"]["name"] == "居民身份证换领"
    assert doc["state"] == "current" and doc["version"] == 1
    index = published(library, "index.json")
    assert index["guides"][GID]["content_hash"] == doc["content_hash"]
    mode = (library.root / ".guides/published" / f"guides/{GID}.json").stat().st_mode
    assert mode & 0o777 == 0o644  # readable by the web server that serves the folder
    # Nothing new: nothing to approve, nothing to deliver.
    run = approve(library, "--effective", "today")
    assert (run.exit_code, run.stderr) == (0, "没有需要审核的变更：每项指南都与已审核版本一致\n")
    run = publish(library)
    assert (run.exit_code, run.stdout) == (0, "")


def test_a_change_is_approved_as_a_new_version_with_its_notice(library: Library) -> None:
    first_approval(library)
    library.edit(
        GUIDE,
        "promised_time_limit: {value: 20, unit: 自然日}",
        "promised_time_limit: {value: 10, unit: 自然日}",
    )
    run = invoke("diff", str(library.root), "--published")
    assert run.exit_code == 0
    assert "承诺办结时限" in run.stdout
    change_set = run.stderr.split("变更集 ")[1].split("：")[0]
    run = approve(library, "--effective", "today", "--note", "压缩时限", "--change-set", change_set)
    assert run.exit_code == 0, run.stderr
    assert run.stdout == f"{GID}\tv2\n"
    publish(library)
    doc = published(library, f"guides/{GID}.json")
    assert doc["version"] == 2
    assert doc["notice"]["text"].startswith("承诺办结时限：由 20 个自然日调整为 10 个自然日。")
    assert doc["notice"]["text"].endswith(
        f"自 {TODAY.year} 年 {TODAY.month} 月 {TODAY.day} 日起实施。"
    )


def test_a_major_change_needs_a_note(library: Library) -> None:
    run = approve(library, "--effective", "today")
    assert run.exit_code == 2
    assert run.stderr == "错误：这些变更包含实质性变更：必须填写变更说明，请用 --note 给出\n"
    assert rows(library, "SELECT count(*) FROM guide_version") == [(0,)]


def test_the_effective_date_cannot_be_in_the_past(library: Library) -> None:
    yesterday = (TODAY - dt.timedelta(days=1)).isoformat()
    run = approve(library, "--effective", yesterday, "--note", "x")
    assert run.exit_code == 2
    assert run.stderr == (
        f"错误：实施日期 {yesterday} 已经过去；请给出今天（{TODAY.isoformat()}）或以后的日期\n"
    )
    run = approve(library, "--effective", "12/01", "--note", "x")
    assert run.stderr == "错误：--effective：12/01 不是日期，应写成 2026-12-01 这样（或 today）\n"


def test_a_library_with_errors_cannot_be_approved(library: Library) -> None:
    library.edit(GUIDE, "promised_time_limit: {value: 20", "promised_time_limit: {value: 900")
    run = approve(library, "--effective", "today", "--note", "x")
    assert run.exit_code == 2
    assert run.stderr.startswith("错误：资料库在 `guides check` 中有 1 个错误；")
    assert rows(library, "SELECT count(*) FROM approval") == [(0,)]


def test_a_reviewed_change_set_that_moved_is_refused(library: Library) -> None:
    first_approval(library)
    library.edit(GUIDE, "promised_time_limit: {value: 20", "promised_time_limit: {value: 10")
    reviewed = invoke("diff", str(library.root), "--published").stderr.split("变更集 ")[1][:12]
    library.edit(GUIDE, "promised_time_limit: {value: 10", "promised_time_limit: {value: 5")
    run = approve(library, "--effective", "today", "--note", "x", "--change-set", reviewed)
    assert run.exit_code == 2
    assert run.stderr.startswith(
        f"错误：待审核的变更已不是您审阅过的那些（变更集 {reviewed}，现在是 "
    )
    assert rows(library, "SELECT max(version) FROM guide_version") == [(1,)]


def test_two_approvals_of_the_same_base_cannot_both_land(library: Library) -> None:
    """Optimistic locking in the database: the second approval of the same pending change fails."""
    from guidesrc.approve import Decision, pending_changes, record_approval
    from guidesrc.errors import ApprovalError

    ledger = open_ledger(library.root)
    state = load_state(WorkingTree(library.root))
    first = pending_changes(state, ledger)
    second = pending_changes(state, ledger)
    now = dt.datetime.now(dt.UTC)
    decision = Decision("审核员乙", "首次发布", TODAY, now, now + dt.timedelta(days=1))
    record_approval(library.root, state, ledger, first, decision, ["archive"])
    with pytest.raises(ApprovalError, match="另一项审核"):
        record_approval(library.root, state, ledger, second, decision, ["archive"])
    with ledger.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM approval")).scalar() == 1
    ledger.close()


def git(root: Path, user: str, *args: str) -> None:
    subprocess.run(
        ["git", "-c", f"user.name={user}", "-c", "user.email=x@example.invalid", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


# --- publish ------------------------------------------------------------------------------------


def test_a_future_effective_date_is_announced_then_switched(library: Library) -> None:
    from guidesrc.adapters.directory import DirectoryAdapter, DirectorySettings
    from guidesrc.publisher import publish as run_publish

    first_approval(library)
    library.edit(GUIDE, "promised_time_limit: {value: 20", "promised_time_limit: {value: 10")
    later = TODAY + dt.timedelta(days=5)
    run = approve(library, "--effective", later.isoformat(), "--note", "压缩时限")
    assert run.exit_code == 0, run.stderr
    run = publish(library)
    assert run.stdout == f"已送达\t{GID} v2\tarchive\t预告\n"
    assert (
        said(run.stderr)
        == "本次：已送达 1 次，0 次已印入换页批次、待大厅工作人员张贴，失败 0 次；留待以后运行 1 次（尚未到期或待重试）\n"
    )  # the key: said once
    assert published(library, f"guides/{GID}.json")["version"] == 1  # still in force
    upcoming = published(library, f"upcoming/{GID}.json")
    assert upcoming["version"] == 2 and upcoming["state"] == "upcoming"
    assert upcoming["notice"]["text"].endswith(
        f"自 {later.year} 年 {later.month} 月 {later.day} 日起实施。"
    )
    status = invoke("status", str(library.root)).stdout
    assert (
        f"{GID} v2\t居民身份证换领\tarchive\t生效切换\t待生效\t自 {later.isoformat()} 00:00"
        in status
    )
    # The effective date comes: the next run switches.
    ledger = open_ledger(library.root)
    adapter = DirectoryAdapter(
        "archive",
        DirectorySettings(path=".guides/published"),
        library.root,
        read_config(library.root),
    )
    switch_day = dt.datetime.combine(later, dt.time(0, 5), SHANGHAI)
    report = run_publish(
        ledger,
        {"archive": adapter},
        deadline_for=lambda t: t,
        timezone="Asia/Shanghai",
        clock=lambda: switch_day,
    )
    assert [(o.action, o.ok) for o in report.outcomes] == [("activate", True)]
    assert published(library, f"guides/{GID}.json")["version"] == 2
    assert not (library.root / f".guides/published/upcoming/{GID}.json").exists()
    assert published(library, "index.json")["guides"][GID]["version"] == 2
    ledger.close()


def test_a_failing_channel_does_not_stop_the_others(library: Library) -> None:
    library.edit(
        "library.yaml",
        "      path: .guides/published\n",
        "      path: .guides/published\n  broken:\n    type: directory\n    settings:\n      path: .guides/blocker/out\n",
    )
    library.write(".guides/blocker", "a file where the channel's folder should be")
    approve(library, "--effective", "today", "--note", "首次发布")
    run = publish(library)
    assert run.exit_code == 1
    assert f"已送达\t{GID} v1\tarchive\t发布" in run.stdout
    # The reason for staff in Chinese, without an exception class; the cause for IT beside it.
    out = library.root / ".guides/blocker/out"
    assert f"失败\t{GID} v1\tbroken\t发布\t输出路径中有一段是文件而不是文件夹：{out}" in run.stdout
    assert "NotADirectoryError" not in run.stdout
    assert (
        said(run.stderr)
        == NO_KEY
        + "本次：已送达 1 次，0 次已印入换页批次、待大厅工作人员张贴，失败 1 次；留待以后运行 1 次（尚未到期或待重试）\n"
    )
    status = invoke("status", str(library.root), "--format", "json")
    body = json.loads(status.stdout)
    failed = [d for d in body["deliveries"] if d["status"] == "failed"]
    assert failed[0]["channel"] == "broken" and failed[0]["attempts"] == 1
    assert failed[0]["error"].startswith("输出路径中有一段是文件而不是文件夹")
    assert "NotADirectoryError: [Errno 20]" in failed[0]["error_detail"]
    assert "Traceback (most recent call last)" in failed[0]["error_detail"]
    [line] = [x for x in invoke("status", str(library.root)).stdout.splitlines() if "broken" in x]
    assert "（技术原因：NotADirectoryError: [Errno 20] Not a directory" in line
    # Backoff: a second run right away leaves it; --retry-now tries again.
    assert publish(library).stdout == ""
    (library.root / ".guides/blocker").unlink()  # the folder can be made now
    run = publish(library, "--retry-now")
    assert (run.exit_code, run.stdout) == (0, f"已送达\t{GID} v1\tbroken\t发布\n")
    (attempts,) = rows(library, "SELECT attempts FROM publication WHERE channel = 'broken'")
    assert attempts == (2,)


def test_withdraw_takes_the_guide_down_with_its_reason(library: Library) -> None:
    first_approval(library)
    run = withdraw(library.root, GID, "该事项已划转至市公安局办理")
    assert run.stderr == f"{GID} withdrawn (v2)"
    run = publish(library)
    assert run.stdout == f"已送达\t{GID} v2\tarchive\t撤回\n"
    assert not (library.root / f".guides/published/guides/{GID}.json").exists()
    gone = published(library, f"withdrawn/{GID}.json")
    assert gone["reason"] == "该事项已划转至市公安局办理"
    assert published(library, "index.json")["guides"][GID]["state"] == "withdrawn"
    run = invoke("withdraw", GID, "--reason", "x", "--library", str(library.root))
    assert (run.exit_code, run.stderr) == (2, f"错误：{GID} 已经撤回\n")
    # Still in the library, but not approved again unless named.
    run = approve(library, "--effective", "today")
    assert f"已撤回、未再审核：{GID}" in run.stderr
    run = invoke("withdraw", "no-such-guide", "--reason", "x", "--library", str(library.root))
    assert run.stderr == "错误：no-such-guide 从未审核过，无可撤回\n"


def test_publish_refuses_a_misconfigured_channel(library: Library) -> None:
    from guidesrc.adapters import adapter_types

    approve(library, "--effective", "today", "--note", "首次发布")
    library.edit("library.yaml", "type: directory", "type: ftp")
    # The approved configuration is what publish uses: the unapproved edit is not applied.
    assert publish(library).exit_code == 0
    # A ledger from before configuration was reviewed: the working tree's library.yaml is used,
    # and publish refuses its misconfigured channel before anything runs.
    ledger = open_ledger(library.root)
    with ledger.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM config_version"))
    ledger.close()
    run = publish(library)
    assert run.exit_code == 2
    installed = ", ".join(sorted(adapter_types()))
    assert run.stderr.split("\n", 1)[1] == (
        "错误：library.yaml:9:11: channels.archive.type: 没有安装名为“ftp”的适配器"
        f"（修改建议：请使用以下之一：{installed}；或安装提供该适配器的软件包） [channel]\n"
    )
    library.edit("library.yaml", "type: ftp", "type: directory")
    library.edit("library.yaml", "path: .guides/published", "folder: out")
    run = publish(library)
    assert run.stderr.splitlines()[1:] == [
        "错误：library.yaml:10:5: channels.archive.settings: 缺少必填字段“path”（修改建议：请在此处添加“path:”） [channel]",
        "library.yaml:11:7: channels.archive.settings.folder: 未知字段“folder”（修改建议：请删除，或使用以下字段之一：path） [channel]",
    ]
    assert rows(library, "SELECT count(*) FROM publication WHERE status = 'delivered'") == [(1,)]


def test_publish_needs_a_channel(library: Library) -> None:
    text = library.read("library.yaml")
    library.write("library.yaml", text[: text.index("channels:")] + "channels: {}\nrules: {}\n")
    run = publish(library)
    assert run.exit_code == 2
    assert run.stderr == (
        "错误：library.yaml：channels：没有配置发布渠道，无处发布；请添加一个，例如目录渠道（见 README）\n"
    )


def test_a_second_publisher_stops_while_one_runs(library: Library) -> None:
    approve(library, "--effective", "today", "--note", "首次发布")
    ledger = open_ledger(library.root)
    with ledger.publish_lock(wait=False) as held:
        assert held
        run = publish(library)
        assert run.exit_code == 0
        assert run.stderr == (
            "另一个 guides publish 正在运行；本次不发布，直接退出（用 --wait 等它结束）\n"
        )
    ledger.close()
    assert publish(library).stdout == f"已送达\t{GID} v1\tarchive\t发布\n"


def test_status_flags_overdue_deliveries(library: Library) -> None:
    from guidesrc.approve import Decision, pending_changes, record_approval

    ledger = open_ledger(library.root)
    state = load_state(WorkingTree(library.root))
    then = dt.datetime(2026, 9, 30, 16, tzinfo=SHANGHAI)
    deadline = dt.datetime(2026, 10, 9, tzinfo=SHANGHAI)
    decision = Decision("审核员乙", "首次发布", TODAY, dt.datetime.now(dt.UTC), deadline)
    record_approval(
        library.root, state, ledger, pending_changes(state, ledger), decision, ["archive"]
    )
    ledger.close()
    assert then < deadline
    run = invoke("status", str(library.root), "--color")
    assert run.exit_code == 1
    assert "\x1b[31m" in run.stdout
    assert "已超期" in run.stdout and "（期限 2026-10-08 24:00）" in run.stdout
    body = json.loads(invoke("status", str(library.root), "--format", "json").stdout)
    assert body["overdue"] == 1 and body["deliveries"][0]["overdue"] is True
    run = publish(library)
    run = invoke("status", str(library.root))
    assert run.exit_code == 1  # delivered, but after the deadline: still shown as late
    assert "（逾期；期限 2026-10-08 24:00）" in run.stdout


def test_statuses_are_stored_as_their_strings_and_read_back_as_members(library: Library) -> None:
    """The action and status columns hold the plain strings (as ledgers written before do);
    read through the models they are the StrEnum members, equal to those strings."""
    from sqlmodel import select

    from guidesrc.ledger.models import Publication
    from guidesrc.statuses import Action, PublicationStatus

    first_approval(library)
    stored = rows(library, "SELECT action, status FROM publication")
    assert stored == [("publish", "delivered")]
    assert all(type(value) is str for value in stored[0])
    ledger = open_ledger(library.root)
    try:
        with ledger.engine.begin() as conn:  # as an older guidesrc would have left it
            conn.execute(sa.text("UPDATE publication SET status = 'failed'"))
        with ledger.session() as session:
            pub = session.exec(select(Publication)).one()
            assert pub.action is Action.PUBLISH and pub.status is PublicationStatus.FAILED
            assert (pub.action, pub.status) == ("publish", "failed")
    finally:
        ledger.close()


def test_the_event_log_is_append_only(library: Library) -> None:
    first_approval(library)
    ledger = open_ledger(library.root)
    for statement in ("UPDATE event SET actor = 'x'", "DELETE FROM event"):
        with (
            pytest.raises(sa.exc.DatabaseError, match="append-only"),
            ledger.engine.begin() as conn,
        ):
            conn.execute(sa.text(statement))
    with ledger.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM event WHERE actor = 'x'")).scalar() == 0
    ledger.close()


def test_a_ledger_of_an_older_schema_is_upgraded(library: Library) -> None:
    """A ledger left at the first migration is brought to the current schema when opened."""
    from alembic import command
    from alembic.config import Config

    from guidesrc.ledger.store import _MIGRATIONS

    first_approval(library)
    ledger = open_ledger(library.root)
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    with ledger.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0001")
    ledger.close()
    ledger = open_ledger(library.root)
    with ledger.engine.connect() as conn:
        assert (
            conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
            == SCHEMA_REVISION
        )
        assert conn.execute(sa.text("SELECT count(*) FROM guide_version")).scalar() == 1
    ledger.close()


def test_the_url_id_pattern_is_the_model_id_pattern() -> None:
    from guidesrc.model.common import ID_PATTERN
    from guidesrc.urls import ID_PATTERN as URL_PATTERN

    assert URL_PATTERN == ID_PATTERN


def test_published_lists_keep_the_editors_order(example: Library) -> None:
    """The hash ignores the order of materials; readers see them in the order editors wrote."""
    import re

    first_approval(example)
    written = re.findall(r"material: ([a-z0-9-]+)", example.read("guides/jiehun-dengji.yaml"))
    doc = published(example, "guides/jiehun-dengji.json")
    assert [m["id"] for m in doc["guide"]["materials"]] == written
    assert written != sorted(written)  # the case is meaningful


def test_status_warns_before_a_deadline_is_missed(library: Library) -> None:
    """Monitoring hears of an outage before the deadline passes, not after."""
    from guidesrc.approve import Decision, pending_changes, record_approval

    ledger = open_ledger(library.root)
    state = load_state(WorkingTree(library.root))
    now = dt.datetime.now(dt.UTC)
    decision = Decision("审核员乙", "首次发布", TODAY, now, now + dt.timedelta(hours=2))
    record_approval(
        library.root, state, ledger, pending_changes(state, ledger), decision, ["archive"]
    )
    ledger.close()
    run = invoke("status", str(library.root))
    assert run.exit_code == 1
    assert "1 次送达有逾期风险：距期限不足 4 小时仍未送达" in run.stderr
    body = json.loads(invoke("status", str(library.root), "--format", "json").stdout)
    assert (body["overdue"], body["at_risk"]) == (0, 1)
    assert invoke("status", str(library.root), "--warn-within", "1").exit_code == 0
    publish(library)
    assert invoke("status", str(library.root)).exit_code == 0


# --- integrity ----------------------------------------------------------------------------------


def test_a_damaged_sqlite_ledger_is_refused_at_open(library: Library, database: str) -> None:
    if database != "sqlite":
        return  # PostgreSQL checks its own pages
    first_approval(library)
    ledger = library.root / ".guides" / "ledger.sqlite"
    assert (library.root / ".guides" / "ledger.sqlite.checked").exists()  # found intact
    size = ledger.stat().st_size
    with ledger.open("r+b") as handle:
        handle.seek(size // 2)
        handle.write(b"\xff" * 4096)
    for command in ("status", "log", "publish"):
        run = invoke(command, str(library.root))
        assert run.exit_code == 2
        assert run.stderr.startswith(f"错误：{ledger}：台账数据库已损坏（")
        assert "请暂停发布，用最近一次的备份恢复这个文件后再运行本命令" in run.stderr


def test_a_ledger_changed_by_a_command_is_not_checked_whole_again_until_the_day_is_over(
    library: Library, database: str
) -> None:
    if database != "sqlite":
        return
    first_approval(library)
    ledger = library.root / ".guides" / "ledger.sqlite"
    stamp = library.root / ".guides" / "ledger.sqlite.checked"
    assert invoke("status", str(library.root)).exit_code == 0  # checks it whole (new stamp)
    library.edit(GUIDE, "promised_time_limit: {value: 20", "promised_time_limit: {value: 10")
    run = approve(library, "--effective", "today", "--note", "缩短时限")
    assert run.exit_code == 0, run.stderr
    recorded = json.loads(stamp.read_bytes())
    info, wal = ledger.stat(), ledger.with_name("ledger.sqlite-wal")
    assert recorded[:4] == [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino]
    assert len(recorded) == 9 and wal.exists() == (recorded[4] != -1)
    # Damage that left the stamp as recorded is found once the last whole check is a day old.
    with ledger.open("r+b") as handle:
        handle.seek(info.st_size // 2)
        handle.write(b"\xff" * 4096)
    stamp.write_bytes(json.dumps([*_stamp_of(ledger), recorded[8] - 86_401]).encode())
    run = invoke("log", str(library.root))
    assert run.exit_code == 2 and "台账数据库已损坏" in run.stderr


def _stamp_of(ledger: Path) -> list[int]:
    out = []
    for path in (ledger, ledger.with_name(ledger.name + "-wal")):
        if path.exists():
            info = path.stat()
            out += [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino]
        else:
            out += [-1, -1, -1, -1]
    return out


def test_a_database_error_during_a_command_is_one_clean_error(library: Library) -> None:
    first_approval(library)
    ledger = open_ledger(library.root)
    try:
        with ledger.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE event"))
    finally:
        ledger.close()
    run = invoke("log", str(library.root))
    assert run.exit_code == 2
    assert "：台账数据库出错（" in run.stderr and "event" in run.stderr
    assert "如果数据库已损坏，请用最近一次的备份恢复；如果无法连接，请稍后再试" in run.stderr
