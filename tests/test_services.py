"""The service layer called directly, as the web workbench will call it: no click, results as
values, errors as GuidesError. Ledger use cases run on SQLite and PostgreSQL (``database``)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import pytest

from guidesrc.errors import ApprovalError, ChannelError, GuidesError, LedgerError
from guidesrc.identity import os_account
from guidesrc.services import (
    approve,
    approvers,
    calendar,
    importing,
    printing,
    publish,
    report,
    status,
    tree,
    verify,
    withdraw,
)
from guidesrc.services.library import Library, open_existing, open_library
from tests.conftest import GUIDE
from tests.conftest import Library as Lib

GID = "jumin-shenfenzheng-huanling"
CHANGE = ("promised_time_limit: {value: 20,", "promised_time_limit: {value: 15,")


def opened(lib: Lib) -> Library:
    return open_library(lib.root)


def approved(lib: Lib) -> approve.ApproveResult:
    with opened(lib) as library:
        return approve.approve(library, effective="today", note="首次发布")


# --- approve ------------------------------------------------------------------------------------


@pytest.mark.usefixtures("database")
def test_approve_records_the_pending_guides_then_nothing(library: Lib) -> None:
    with opened(library) as lib:
        assert [g.id for g in approve.pending(lib).changes.guides] == [GID]
        done = approve.approve(lib, effective="today", note="首次发布")
    assert done.approved is not None and done.approved.versions == [(GID, 1)]
    assert done.by == os_account().name and done.effective == lib.today
    assert done.deadline is not None and done.deadline > lib.now
    assert done.config_files == ["library.yaml"]
    with opened(library) as lib:
        again = approve.approve(lib, effective="today")
        assert again.approved is None and not again.pending
        assert not approve.pending(lib)


@pytest.mark.usefixtures("database")
def test_approve_refuses_a_library_with_errors_and_a_past_date(library: Lib) -> None:
    with opened(library) as lib, pytest.raises(ApprovalError, match="已经过去"):
        approve.approve(lib, effective=lib.today - dt.timedelta(days=1), note="x")
    library.edit(GUIDE, "name: 居民身份证换领", "name: ''")
    with opened(library) as lib, pytest.raises(GuidesError, match="guides check"):
        approve.approve(lib, effective="today", note="x")


# --- publish, status, history, report ----------------------------------------------------------


@pytest.mark.usefixtures("database")
def test_publish_delivers_and_status_follows(library: Lib) -> None:
    approved(library)
    with opened(library) as lib:
        before = status.status(lib)
        assert [(r.guide_id, r.status) for r in before.rows] == [(GID, "queued")]
        assert before.pending == 1 and not before.overdue
        done = publish.publish(lib)
    assert [(o.guide_id, o.channel, o.ok) for o in done.run.outcomes] == [(GID, "archive", True)]
    assert done.ok and done.unsigned and not done.locked_out and not done.refusals
    assert (library.root / ".guides/published/guides" / f"{GID}.json").is_file()
    with opened(library) as lib:
        after = status.status(lib)
        assert [r.status for r in after.rows] == ["delivered"] and not after.alarm
        assert after.as_dict()["deliveries"][0]["status"] == "delivered"
        kinds = [entry.event.kind for entry in status.history(lib, guide=GID)]
        assert kinds[-1] == "delivered" and "approved" in kinds
        assert len(status.history(lib, limit=1)) == 1
        figures = report.report(lib, year=lib.today.year)
    assert figures.approvals == 1 and figures.changes["added"] == 1


@pytest.mark.usefixtures("database")
def test_status_flags_a_delivery_near_its_deadline(library: Lib) -> None:
    approved(library)
    with opened(library) as lib:
        found = status.status(lib, warn_within=dt.timedelta(days=30))
    assert len(found.at_risk) == 1 and found.alarm
    assert json.loads(json.dumps(found.as_dict()))["at_risk"] == 1


def test_publish_needs_a_channel(library: Lib) -> None:
    text = library.read("library.yaml")
    library.write("library.yaml", text.split("channels:")[0] + "channels: {}\nrules: {}\n")
    with opened(library) as lib, pytest.raises(ChannelError, match="channels"):
        publish.publish(lib)


def test_report_periods() -> None:
    today = dt.date(2026, 6, 30)
    assert report.period(today, None, None, None) == (dt.date(2026, 1, 1), today)
    assert report.period(today, 2025, None, None) == (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    with pytest.raises(ApprovalError):
        report.period(today, 2025, today, None)
    with pytest.raises(ApprovalError):
        report.period(today, None, today, dt.date(2026, 1, 1))


# --- withdraw -----------------------------------------------------------------------------------


@pytest.mark.usefixtures("database")
def test_withdraw_requests_refuses_own_approval_and_cancels(library: Lib) -> None:
    approved(library)
    with opened(library) as lib:
        asked = withdraw.request(lib, GID, reason="事项已取消")
        assert (asked.guide_id, asked.version, asked.reason) == (GID, 1, "事项已取消")
        with pytest.raises(ApprovalError, match=r"#\d+"):
            withdraw.approve(lib, GID)  # the same person requested it
        dropped = withdraw.cancel(lib, GID)
        assert dropped.id == asked.id
        with pytest.raises(ApprovalError):
            withdraw.cancel(lib, GID)


# --- verify -------------------------------------------------------------------------------------


@pytest.mark.usefixtures("database")
def test_verify_needs_keys_then_proves_the_published_folder(library: Lib) -> None:
    approved(library)
    with opened(library) as lib, pytest.raises(GuidesError, match="keys/"):
        verify.verify(lib)
    made = verify.make_keys(library.root)
    keys = verify.keys(library.root)
    assert keys.known and keys.signer is not None and keys.signer.id == made.id
    with opened(library) as lib:
        assert publish.publish(lib).ok
        found = verify.verify(lib)
        assert found.ok and not found.failed
        assert found.checks[0].channel == "archive"
        with pytest.raises(GuidesError, match="nosuch"):
            verify.verify(lib, channels=["nosuch"])


def test_verify_refuses_to_make_a_ledger(library: Lib) -> None:
    with pytest.raises(LedgerError):
        open_existing(library.root)
    assert not (library.root / ".guides/ledger.sqlite").exists()


# --- the working tree: changes, where used, calendar; import -----------------------------------


def test_tree_changes_and_where_used(library: Lib) -> None:
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "start"]):
        subprocess.run(["git", *args], cwd=library.root, check=True)
    assert not tree.changes(library.root)
    library.edit(GUIDE, *CHANGE)
    found = tree.changes(library.root)
    assert [(g.id, g.status) for g in found.guides] == [(GID, "changed")]
    used = tree.where_used(library.root, "jumin-shenfenzheng")
    assert [rel for rel, _name in used] == [GUIDE]
    with pytest.raises(GuidesError):
        tree.where_used(library.root, "no-such-entry")


def test_calendar_deadline_year_and_check(library: Lib) -> None:
    counted = calendar.deadline(library.root, dt.datetime(2026, 9, 30, 16, 0))
    assert counted.deadline.approved_at.tzinfo is not None
    assert counted.days_off and counted.days_off[0][2] is not None  # 国庆 skipped
    year = calendar.year(library.root, 2026)
    assert "国庆节" in [h.name for h in year.holidays]
    check = calendar.year_check(library.root, dt.date(2026, 3, 1))
    assert check.missing is None and check.until is not None


def test_import_template_then_an_import_of_it(tmp_path: Path) -> None:
    written = importing.template(tmp_path / "模板.xlsx")
    assert [p.name for p in written] == ["模板.xlsx"]
    done = importing.import_guides(written[0], tmp_path / "lib", name="测试指南库")
    assert done.written and done.rows == 0 and not done.errors
    files = importing.write_report(done, tmp_path / "lib")
    assert files[0] == tmp_path / "lib/.guides/import/import-report.md" and files[0].is_file()


# --- approvers and printing ---------------------------------------------------------------------


@pytest.mark.usefixtures("database")
def test_whoami_and_print_batches(library: Lib) -> None:
    with opened(library) as lib:
        assert approvers.whoami(lib).name == os_account().name
        assert printing.batches(lib) == []
        with pytest.raises(ApprovalError, match="--by"):
            printing.posted(lib, "B1", by=" ")
        with pytest.raises(ApprovalError, match="B1"):
            printing.posted(lib, "B1", by="张三")
