"""The year-end warning (guidesrc/cli/year_end.py): from 60 days before the holiday data ends,
approve, publish, status and check say so once per run with the calendar.yaml lines to add, and
``guides status`` fails while a deadline cannot be counted. Dates are injected (the library's
``now``, ``year_check``'s ``today``); the commands' own runs are checked against what the same
functions say for the real date, so no test depends on it."""

from __future__ import annotations

import datetime as dt

import pytest

from guidesrc.cli.year_end import year_end_warning
from guidesrc.services import status as status_service
from guidesrc.services.library import open_library
from guidesrc.year_check import year_check
from tests.conftest import Library, invoke_raw
from tests.test_calendar import CALENDAR_2027, pinned_package  # noqa: F401  (the fixture)

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
FIRST_LINE = "警告：还没有 2027 年的放假调休数据"


def _warning(library: Library, today: dt.date) -> str | None:
    return year_end_warning(year_check(library.root, today))


@pytest.mark.usefixtures("pinned_package")
def test_the_warning_starts_60_days_before_the_data_ends_with_the_lines_to_add(
    library: Library,
) -> None:
    assert _warning(library, dt.date(2026, 11, 1)) is None
    warning = _warning(library, dt.date(2026, 12, 5))
    assert warning is not None
    lines = warning.splitlines()
    assert lines[0] == (
        "警告：还没有 2027 年的放假调休数据，而 2026 年还有 27 天就结束了："
        "2026-12-24 之后的工作日将无法计算"
    )
    assert "calendar.yaml" in lines[1]
    assert lines[2:6] == [
        "notices:",
        "  - year: 2027",
        "    title: 国务院办公厅关于2027年部分节假日安排的通知",
        "    holidays:",
    ]
    library.write("calendar.yaml", CALENDAR_2027)
    assert _warning(library, dt.date(2026, 12, 5)) is None


@pytest.mark.usefixtures("pinned_package")
def test_status_fails_while_a_deadline_cannot_be_counted(library: Library) -> None:
    late = dt.datetime(2026, 12, 28, 10, 0, tzinfo=SHANGHAI)
    with open_library(library.root, now=late) as lib:
        found = status_service.status(lib)
    assert found.alarm
    assert found.uncountable is not None and "2027" in found.uncountable
    early = dt.datetime(2026, 12, 5, 10, 0, tzinfo=SHANGHAI)
    with open_library(library.root, now=early) as lib:
        found = status_service.status(lib)
    assert (found.uncountable, found.alarm) == (None, False)


@pytest.mark.usefixtures("pinned_package")
def test_approve_publish_status_and_check_warn_once_per_run(library: Library) -> None:
    """Each command says it once when the date calls for it (today, in the library's zone), and
    not at all once calendar.yaml has next year's notice."""
    today = dt.datetime.now(SHANGHAI).date()
    expected = 1 if _warning(library, today) is not None else 0
    root = str(library.root)
    runs = [
        invoke_raw("check", root),
        invoke_raw("approve", root, "--effective", "today", "--note", "首次发布"),
        invoke_raw("publish", root),
        invoke_raw("status", root),
    ]
    assert [run.stderr.count(FIRST_LINE) for run in runs] == [expected] * 4
    library.write("calendar.yaml", CALENDAR_2027)
    assert FIRST_LINE not in invoke_raw("status", root).stderr
