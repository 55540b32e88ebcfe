"""Working days, held to the letter of the State Council's notice on the 2026 holidays.

国务院办公厅关于2026年部分节假日安排的通知 (2025-11-04). The package data is pinned to the years
2004–2026 (:data:`PACKAGE`), so that a chinese-calendar release that adds 2027 cannot silently turn
the "no 2027 data" tests into something else; the CLI tests pin it the same way.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import chinese_calendar  # type: ignore[import-untyped]
import pytest

from guidesrc import workdays
from guidesrc.errors import CalendarError, LibraryConfigError
from guidesrc.workdays import HolidayData, WorkCalendar, load_calendar, package_data
from tests.conftest import REPO, Library, invoke, invoke_raw

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
VERSION = chinese_calendar.__version__
D = dt.date.fromisoformat


def _pinned(last_year: int) -> HolidayData:
    """The package's data up to ``last_year``, whatever later years a newer release adds.

    A later year's notice may set days from December 25 on (元旦), so those are left out too.
    """
    data = package_data()
    assert last_year in data.years, f"chinese-calendar {VERSION} does not know {last_year}"
    end = dt.date(last_year, 12, 24)
    return HolidayData(
        data.source,
        frozenset(year for year in data.years if year <= last_year),
        {day: value for day, value in data.days.items() if day <= end},
    )


PACKAGE = _pinned(2026)

#: The notice, item by item: (holiday, first day off, last day off, makeup working days).
NOTICE_2026 = [
    ("元旦", "2026-01-01", "2026-01-03", ["2026-01-04"]),  # 1月1日至3日放假调休，1月4日（周日）上班
    ("春节", "2026-02-15", "2026-02-23", ["2026-02-14", "2026-02-28"]),  # 2月14日、28日（周六）上班
    ("清明", "2026-04-04", "2026-04-06", []),  # 4月4日（周六）至6日（周一）放假
    ("劳动节", "2026-05-01", "2026-05-05", ["2026-05-09"]),  # 5月9日（周六）上班
    ("端午", "2026-06-19", "2026-06-21", []),  # 6月19日（周五）至21日（周日）放假
    ("中秋", "2026-09-25", "2026-09-27", []),  # 9月25日（周五）至27日（周日）放假
    ("国庆节", "2026-10-01", "2026-10-07", ["2026-09-20", "2026-10-10"]),  # 9月20日（周日）、10月10日（周六）上班
]  # fmt: skip

#: A 2027 notice made up for the tests: the real one had not been published when they were written.
CALENDAR_2027 = """\
# yaml-language-server: $schema=schemas/calendar.schema.json
notices:
  - year: 2027
    title: 国务院办公厅关于2027年部分节假日安排的通知（测试用）
    holidays:
      - name: 元旦
        first_day: 2027-01-01
        last_day: 2027-01-03
      - name: 春节
        first_day: 2027-02-05
        last_day: 2027-02-13
        makeup_working_days: [2027-02-20]
"""

#: A mid-year change, made up for the tests: 国庆节 extended to 10月10日, which is no longer worked.
CALENDAR_CHANGE_2026 = """\
notices:
  - year: 2026
    title: 国务院办公厅关于调整2026年国庆节假期的通知（测试用）
    holidays:
      - name: 国庆节（延长）
        first_day: 2026-10-08
        last_day: 2026-10-10
"""


LIBRARY_YAML = """\
name: 示例市政务服务中心办事指南库
region_code: "990100"
base_url: https://zwfw.example.gov.cn/guides
timezone: Asia/Shanghai
"""


@pytest.fixture
def library(tmp_path: Path) -> Library:
    """A library with only what the calendar reads: library.yaml, and calendar.yaml per test."""
    library = Library(tmp_path / "lib")
    library.write("library.yaml", LIBRARY_YAML)
    library.path("guides").mkdir()
    return library


def _calendar(library: Library, package: HolidayData = PACKAGE) -> WorkCalendar:
    return load_calendar(library.root, package=package)


def _due(library: Library, approved_at: str) -> str:
    work = _calendar(library)
    return work.display(work.deadline(dt.datetime.fromisoformat(approved_at)))


@pytest.fixture
def pinned_package(monkeypatch: pytest.MonkeyPatch) -> None:
    """For the CLI: the package data as of 2026, whichever release is installed."""
    monkeypatch.setattr(workdays, "package_data", lambda: PACKAGE)


# --- the 2026 notice ----------------------------------------------------------------------------


def test_package_2026_is_the_notice_to_the_letter() -> None:
    off = {
        day
        for _name, first, last, _worked in NOTICE_2026
        for day in (D(first) + dt.timedelta(days=n) for n in range((D(last) - D(first)).days + 1))
    }
    worked = {D(day) for *_rest, days in NOTICE_2026 for day in days}
    first, end = D("2026-01-01"), D("2026-12-25")  # from 12-25 on: the 2027 notice (元旦)
    days = {d: day for d, day in package_data().days.items() if first <= d < end}
    assert {d for d, day in days.items() if not day.working} == off
    assert {d for d, day in days.items() if day.working} == worked
    assert len(off) == 3 + 9 + 3 + 5 + 3 + 3 + 7  # 共3天、共9天 … 共7天


def test_every_day_of_2026_follows_the_notice(library: Library) -> None:
    work = _calendar(library)
    day = D("2026-01-01")
    off = {d for d, value in PACKAGE.days.items() if d.year == 2026 and not value.working}
    worked = {d for d, value in PACKAGE.days.items() if d.year == 2026 and value.working}
    while day < D("2026-12-25"):
        expected = day in worked or (day.weekday() < 5 and day not in off)
        assert work.is_working_day(day) == expected, day
        day += dt.timedelta(days=1)


def test_package_holidays_carry_their_chinese_names(library: Library) -> None:
    assert _calendar(library).day(D("2026-02-14")) == workdays.Day(True, "春节")
    assert _calendar(library).day(D("2026-10-01")) == workdays.Day(False, "国庆节")
    assert _calendar(library).day(D("2026-03-02")) is None


# --- deadlines ----------------------------------------------------------------------------------


def test_deadline_after_national_day(library: Library) -> None:
    work = _calendar(library)
    due = work.deadline(dt.datetime(2026, 9, 30, 16, 0, tzinfo=SHANGHAI))
    assert due == dt.datetime(2026, 10, 9, 0, 0, tzinfo=SHANGHAI)
    assert due.tzinfo is not None and due.utcoffset() == dt.timedelta(hours=8)
    assert work.display(due) == "2026-10-08 24:00"


def test_deadline_on_a_makeup_saturday(library: Library) -> None:
    assert _due(library, "2026-02-13T16:00+08:00") == "2026-02-14 24:00"


def test_deadline_from_a_day_off_inside_spring_festival(library: Library) -> None:
    assert _due(library, "2026-02-21T10:00+08:00") == "2026-02-24 24:00"


def test_deadline_over_an_ordinary_weekend(library: Library) -> None:
    assert _due(library, "2026-03-06T17:00+08:00") == "2026-03-09 24:00"


def test_the_approval_day_is_taken_in_the_library_zone(library: Library) -> None:
    # 2026-09-30T17:30Z is already 2026-10-01 01:30 in Shanghai: a day off; still 10-08
    assert _due(library, "2026-09-30T17:30Z") == "2026-10-08 24:00"
    # 2026-02-13T16:30Z is 2026-02-14 00:30 in Shanghai, the makeup Saturday itself: the next
    # working day is after Spring Festival, not the Saturday that a UTC date would give
    assert _due(library, "2026-02-13T15:59Z") == "2026-02-14 24:00"
    assert _due(library, "2026-02-13T16:30Z") == "2026-02-24 24:00"


def test_a_library_in_another_zone_counts_its_own_days(library: Library) -> None:
    library.edit("library.yaml", "timezone: Asia/Shanghai", "timezone: UTC")
    work = _calendar(library)
    due = work.deadline(dt.datetime.fromisoformat("2026-02-13T16:30Z"))
    assert due == dt.datetime(2026, 2, 15, tzinfo=dt.UTC)
    assert work.display(due) == "2026-02-14 24:00"


def test_working_days_come_from_library_yaml(library: Library) -> None:
    library.write("library.yaml", LIBRARY_YAML + "publish_deadline:\n  working_days: 3\n")
    work = _calendar(library)
    counted = work.count(dt.datetime(2026, 9, 30, 16, tzinfo=SHANGHAI))
    assert counted.working_days == (D("2026-10-08"), D("2026-10-09"), D("2026-10-10"))
    assert work.display(counted.due) == "2026-10-10 24:00"
    assert [day for day, _reason in counted.days_off] == [D(f"2026-10-0{n}") for n in range(1, 8)]
    one = work.deadline(dt.datetime(2026, 9, 30, 16, tzinfo=SHANGHAI), working_days=1)
    assert work.display(one) == "2026-10-08 24:00"


def test_the_default_is_one_working_day(library: Library) -> None:
    assert _calendar(library).working_days == 1


def test_next_working_day_is_strictly_after(library: Library) -> None:
    work = _calendar(library)
    assert work.next_working_day(D("2026-02-12")) == D("2026-02-13")
    assert work.next_working_day(D("2026-02-13")) == D("2026-02-14")
    assert work.next_working_day(D("2026-02-14")) == D("2026-02-24")


def test_an_approval_time_without_zone_is_refused(library: Library) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        _calendar(library).deadline(dt.datetime(2026, 9, 30, 16))


# --- years nobody knows -------------------------------------------------------------------------

NO_2027 = (
    "{day}：没有 2027 年的放假调休安排（已有：2004–2026 年：chinese-calendar {version}）{why}\n"
    "国务院办公厅发布关于 2027 年部分节假日安排的通知后（通常在 2026 年 11 月），请照通知逐项添加到"
    "资料库根目录的 calendar.yaml（见 docs/calendar.md），或安装含 2027 年数据的 chinese-calendar 版本：\n"
    "notices:\n"
    "  - year: 2027\n"
    "    title: 国务院办公厅关于2027年部分节假日安排的通知\n"
    "    holidays:\n"
    "      - name: 元旦\n"
    "        first_day: 2027-01-01\n"
    "        last_day: 2027-01-01\n"
    "        makeup_working_days: []\n"
    "      # … 通知中的每个节日各写一项，连同它的调休上班日"
)
LATE_DECEMBER = "，而 12 月下旬的日期取决于下一年的元旦安排"


def test_year_end_without_2027_is_an_error_that_says_what_to_add(library: Library) -> None:
    work = _calendar(library)
    with pytest.raises(CalendarError) as caught:
        work.deadline(dt.datetime(2026, 12, 31, 10, tzinfo=SHANGHAI))
    # the first day counted is 2027-01-01
    assert caught.value.message == NO_2027.format(day="2027-01-01", version=VERSION, why="")
    assert caught.value.exit_code == 2
    with pytest.raises(CalendarError) as caught:
        work.is_working_day(D("2026-12-28"))
    assert caught.value.message == NO_2027.format(
        day="2026-12-28", version=VERSION, why=LATE_DECEMBER
    )


def test_the_last_days_of_december_wait_for_next_years_notice(library: Library) -> None:
    """2007-12-31 was a day off and 2018-12-29 a working Saturday, set by the next year's notice."""
    work = _calendar(library)
    assert work.is_working_day(D("2026-12-24"))
    with pytest.raises(CalendarError, match=r"^2026-12-25：没有 2027 年"):
        work.is_working_day(D("2026-12-25"))
    with pytest.raises(CalendarError, match=r"^2026-12-25：没有 2027 年"):
        work.deadline(dt.datetime(2026, 12, 24, 9, tzinfo=SHANGHAI))
    assert work.known_until(D("2026-11-26")) == D("2026-12-24")
    assert work.known_until(D("2026-12-25")) is None


def test_no_fallback_to_weekends_before_the_package(library: Library) -> None:
    with pytest.raises(CalendarError, match=r"^2003-06-02：没有 2003 年"):
        _calendar(library).is_working_day(D("2003-06-02"))


def test_2027_from_the_calendar_file(library: Library) -> None:
    library.write("calendar.yaml", CALENDAR_2027)
    work = _calendar(library)
    assert work.known_years() == [*range(2004, 2028)]
    assert _due(library, "2026-12-31T10:00+08:00") == "2027-01-04 24:00"
    assert work.is_working_day(D("2027-02-20"))  # the made-up makeup Saturday
    assert not work.is_working_day(D("2027-02-08"))
    assert work.sources() == [
        ((2004, 2026), (f"chinese-calendar {VERSION}",)),
        ((2027, 2027), ("calendar.yaml: 国务院办公厅关于2027年部分节假日安排的通知（测试用）",)),
    ]


def test_a_mid_year_change_overrides_the_package(library: Library) -> None:
    library.write("calendar.yaml", CALENDAR_CHANGE_2026)
    work = _calendar(library)
    assert not work.is_working_day(D("2026-10-10"))  # the package's makeup Saturday, cancelled
    assert work.is_working_day(D("2026-09-20"))  # the rest of the notice still holds
    assert work.is_working_day(D("2026-02-14"))
    assert _due(library, "2026-09-30T16:00+08:00") == "2026-10-12 24:00"
    assert work.sources()[-1] == (
        (2026, 2026),
        (
            f"chinese-calendar {VERSION}",
            "calendar.yaml: 国务院办公厅关于调整2026年国庆节假期的通知（测试用）",
        ),
    )


def test_later_notices_override_earlier_ones(library: Library) -> None:
    library.write(
        "calendar.yaml",
        CALENDAR_2027
        + "  - year: 2027\n"
        + "    title: 国务院办公厅关于调整2027年春节假期的通知（测试用）\n"
        + "    holidays:\n"
        + "      - name: 春节（调整）\n"
        + "        first_day: 2027-02-20\n",
    )
    assert not _calendar(library).is_working_day(D("2027-02-20"))


def test_the_package_is_used_without_a_pin(library: Library) -> None:
    work = load_calendar(library.root)
    assert set(range(2004, 2027)) <= set(work.known_years())
    assert work.display(work.deadline(dt.datetime(2026, 9, 30, 16, tzinfo=SHANGHAI))) == (
        "2026-10-08 24:00"
    )


# --- wrong calendar files -----------------------------------------------------------------------

_HEAD = "notices:\n  - year: 2027\n    title: 国务院办公厅关于2027年部分节假日安排的通知\n    holidays:\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'notices:\n  - year: 2027\n    title: "国务院办公厅\n    holidays: []\n',
            "calendar.yaml:3:12: 此处的引号没有闭合（修改建议：请补上右引号，或删除左引号） [yaml-syntax]",
        ),
        (
            _HEAD + "      - name: 元旦\n        first_day: 2027-01-01\n        makeup_days: [2026-12-26]\n",
            "calendar.yaml:7:9: notices[0].holidays[0].makeup_days: 未知字段“makeup_days”"
            "（修改建议：是不是要写“makeup_working_days”？） [schema]",
        ),
        (
            _HEAD + "      - name: 春节\n        first_day: 2027-02-30\n",
            "calendar.yaml:6:20: notices[0].holidays[0].first_day: “2027-02-30”不是有效日期"
            "（修改建议：日期请写成 年-月-日，例如 2026-12-01） [schema]",
        ),
        (
            "notices:\n  - year: 2027\n    holidays:\n      - name: 元旦\n        first_day: 2027-01-01\n",
            "calendar.yaml:2:5: notices[0]: 缺少必填字段“title”（修改建议：请在此处添加“title:”） [schema]",
        ),
        (
            'notices:\n  - year: "2027"\n    title: x\n    holidays: [{name: 元旦, first_day: 2027-01-01}]\n',
            "calendar.yaml:2:11: notices[0].year: 此处应为整数，实际为文字“2027”"
            "（修改建议：请填写不带引号的整数，例如 20） [schema]",
        ),
        (
            "",
            "calendar.yaml:1:1: 文件是空的（修改建议：请填写内容，或删除该文件） [yaml-structure]",
        ),
        (
            _HEAD + "      - name: 元旦\n        first_day: 2027-01-03\n        last_day: 2027-01-01\n",
            "calendar.yaml:7:19: notices[0].holidays[0].last_day: 放假末日 2027-01-01 早于放假首日 "
            "2027-01-03（修改建议：请更正其中一个日期） [calendar]",
        ),
        (
            _HEAD + "      - name: 劳动节\n        first_day: 2027-05-01\n        last_day: 2027-12-05\n",
            "calendar.yaml:7:19: notices[0].holidays[0].last_day: 2027-05-01 至 2027-12-05 共放假 "
            "219 天，超过了 31 天（修改建议：请对照通知核对这两个日期的月份） [calendar]",
        ),
        (
            _HEAD + "      - name: 国庆节\n        first_day: 2027-10-01\n        last_day: 2027-10-07\n"
            "        makeup_working_days: [2027-09-26, 2027-10-07]\n",
            "calendar.yaml:8:43: notices[0].holidays[0].makeup_working_days[1]: 2027-10-07 在本通知中"
            "既是放假日又是调休上班日（修改建议：调休上班日不在放假日期之内，请对照通知核对） [calendar]",
        ),
    ],
    ids=[
        "yaml-syntax",
        "unknown-field",
        "no-such-date",
        "missing-title",
        "year-as-text",
        "empty",
        "last-before-first",
        "too-long",
        "off-and-worked",
    ],
)  # fmt: skip
def test_a_wrong_calendar_file_is_refused_with_file_line_and_fix(
    library: Library, text: str, expected: str
) -> None:
    library.write("calendar.yaml", text)
    with pytest.raises(CalendarError) as caught:
        _calendar(library)
    assert caught.value.message == expected


def test_every_problem_is_reported_at_once(library: Library) -> None:
    """Last year's lines pasted under a new year: each date is named, on its own line."""
    library.write(
        "calendar.yaml",
        _HEAD + "      - name: 春节\n        first_day: 2026-02-15\n        last_day: 2026-02-23\n"
        "        makeup_working_days: [2026-12-26, 2026-02-14]\n",
    )  # fmt: skip
    hint = "（修改建议：请更正日期中的年份（2027 年的通知最早可写到 2026-12-25），或更正本条通知的 year） [calendar]"
    with pytest.raises(CalendarError) as caught:
        _calendar(library)
    assert caught.value.message.splitlines() == [
        f"calendar.yaml:6:20: notices[0].holidays[0].first_day: 2026-02-15 不在本通知所安排的 2027 年内{hint}",
        f"calendar.yaml:7:19: notices[0].holidays[0].last_day: 2026-02-23 不在本通知所安排的 2027 年内{hint}",
        f"calendar.yaml:8:43: notices[0].holidays[0].makeup_working_days[1]: 2026-02-14 不在本通知所安排的 2027 年内{hint}",
    ]  # fmt: skip


def test_a_wrong_deadline_setting_is_a_config_error(library: Library) -> None:
    library.write(
        "library.yaml", LIBRARY_YAML + "publish_deadline:\n  working_days: 0\n  days: 1\n"
    )
    with pytest.raises(LibraryConfigError) as caught:
        _calendar(library)
    assert caught.value.message.splitlines() == [
        "library.yaml:6:17: publish_deadline.working_days: 不能小于 1（修改建议：请更正数值） [schema]",
        "library.yaml:7:3: publish_deadline.days: 未知字段“days”（修改建议：请删除，或使用以下字段之一：working_days） [schema]",
    ]  # fmt: skip


# --- the command line ---------------------------------------------------------------------------


@pytest.mark.usefixtures("pinned_package")
def test_cli_deadline(library: Library) -> None:
    run = invoke("calendar", "deadline", "2026-09-30T16:00+08:00", "--library", str(library.root))
    assert (run.exit_code, run.stderr) == (0, "")
    assert run.lines == [
        "审核通过：2026-09-30 16:00（Asia/Shanghai）",
        "公开期限：2026-10-08 24:00（审核通过当天之后第 1 个工作日结束）",
        "  休息日：2026-10-01 至 2026-10-07（国庆节）",
    ]


@pytest.mark.usefixtures("pinned_package")
def test_cli_deadline_reads_a_time_without_offset_in_the_library_zone(library: Library) -> None:
    run = invoke("calendar", "deadline", "2026-02-13T23:30", "--library", str(library.root))
    assert run.lines == [
        "审核通过：2026-02-13 23:30（Asia/Shanghai）",
        "公开期限：2026-02-14 24:00（审核通过当天之后第 1 个工作日结束）",
        "  2026-02-14（周六）是调休上班日（春节）",
    ]
    utc = invoke("calendar", "deadline", "2026-02-13T16:30Z", "--library", str(library.root))
    assert utc.lines == [
        "审核通过：2026-02-14 00:30（Asia/Shanghai）",
        "公开期限：2026-02-24 24:00（审核通过当天之后第 1 个工作日结束）",
        "  休息日：2026-02-15 至 2026-02-23（春节）",
    ]


@pytest.mark.usefixtures("pinned_package")
def test_cli_deadline_names_the_weekend(library: Library) -> None:
    run = invoke("calendar", "deadline", "2026-03-06T17:00", "--library", str(library.root))
    assert run.lines[-1] == "  休息日：2026-03-07 至 2026-03-08（周末）"


@pytest.mark.usefixtures("pinned_package")
def test_cli_deadline_without_next_years_data(library: Library) -> None:
    run = invoke("calendar", "deadline", "2026-12-31T10:00+08:00", "--library", str(library.root))
    assert run.exit_code == 2
    assert run.stdout == ""
    expected = NO_2027.format(day="2027-01-01", version=VERSION, why="")
    assert run.stderr == f"错误：{expected}\n"
    library.write("calendar.yaml", CALENDAR_2027)
    run = invoke("calendar", "deadline", "2026-12-31T10:00+08:00", "--library", str(library.root))
    assert run.exit_code == 0
    assert run.lines[1:] == [
        "公开期限：2027-01-04 24:00（审核通过当天之后第 1 个工作日结束）",
        "  休息日：2027-01-01 至 2027-01-03（元旦）",
    ]


def test_cli_deadline_refuses_a_bad_time(library: Library) -> None:
    run = invoke("calendar", "deadline", "2026-09-31T16:00", "--library", str(library.root))
    assert run.exit_code == 2
    # (click's own words are translated by the real entry point, see test_cli.py)
    assert run.stderr.endswith(
        "'APPROVED_AT': “2026-09-31T16:00”不是日期和时间，应写成 2026-09-30T16:00+08:00 这样\n"
    )


@pytest.mark.usefixtures("pinned_package")
def test_cli_check_near_year_end_without_next_years_data(library: Library) -> None:
    run = invoke_raw("calendar", "check", "--library", str(library.root), "--today", "2026-11-26")
    assert run.exit_code == 1
    assert run.stdout == f"放假调休数据：2004–2026 年：chinese-calendar {VERSION}\n"
    assert run.stderr.splitlines()[:2] == [
        "警告：还没有 2027 年的放假调休数据，而 2026 年还有 36 天就结束了：2026-12-24 之后的工作日将无法计算",
        "国务院办公厅发布关于 2027 年部分节假日安排的通知后（通常在 2026 年 11 月），请照通知逐项添加到"
        "资料库根目录的 calendar.yaml（见 docs/calendar.md），或安装含 2027 年数据的 chinese-calendar 版本：",
    ]  # fmt: skip
    assert "  - year: 2027" in run.stderr.splitlines()


@pytest.mark.usefixtures("pinned_package")
def test_cli_check_with_next_years_data(library: Library) -> None:
    library.write("calendar.yaml", CALENDAR_2027)
    run = invoke("calendar", "check", "--library", str(library.root), "--today", "2026-12-31")
    assert (run.exit_code, run.stderr) == (0, "")
    assert run.lines == [
        f"放假调休数据：2004–2026 年：chinese-calendar {VERSION}；"
        "2027 年：calendar.yaml: 国务院办公厅关于2027年部分节假日安排的通知（测试用）",
        "工作日可计算至 2027-12-24",
    ]


@pytest.mark.usefixtures("pinned_package")
def test_cli_check_is_quiet_until_60_days_before_year_end(library: Library) -> None:
    run = invoke("calendar", "check", "--library", str(library.root), "--today", "2026-11-01")
    assert (run.exit_code, run.lines[-1]) == (0, "工作日可计算至 2026-12-24")
    run = invoke("calendar", "check", "--library", str(library.root), "--today", "2026-11-02")
    assert run.exit_code == 1


@pytest.mark.usefixtures("pinned_package")
def test_cli_check_in_a_year_nobody_knows(library: Library) -> None:
    run = invoke_raw("calendar", "check", "--library", str(library.root), "--today", "2027-03-01")
    assert run.exit_code == 1
    assert run.stderr.splitlines()[0] == "警告：没有 2027 年的放假调休数据，无法计算任何期限"


@pytest.mark.usefixtures("pinned_package")
def test_cli_show_lists_a_year_as_the_notice_does(library: Library) -> None:
    run = invoke("calendar", "show", "2026", "--library", str(library.root))
    assert run.exit_code == 0
    assert run.lines == [
        f"2026 年：chinese-calendar {VERSION}",
        "  元旦：放假 3 天：2026-01-01 至 2026-01-03；调休上班：2026-01-04（周日）",
        "  春节：放假 9 天：2026-02-15 至 2026-02-23；调休上班：2026-02-14（周六）、2026-02-28（周六）",
        "  清明：放假 3 天：2026-04-04 至 2026-04-06",
        "  劳动节：放假 5 天：2026-05-01 至 2026-05-05；调休上班：2026-05-09（周六）",
        "  端午：放假 3 天：2026-06-19 至 2026-06-21",
        "  中秋：放假 3 天：2026-09-25 至 2026-09-27",
        "  国庆节：放假 7 天：2026-10-01 至 2026-10-07；调休上班：2026-09-20（周日）、2026-10-10（周六）",
        "2026-12-25 起的日期取决于 2027 年的通知，该通知尚未录入",
    ]  # fmt: skip


def test_cli_reports_a_wrong_calendar_file(library: Library) -> None:
    library.write("calendar.yaml", "notices: []\n")
    run = invoke("calendar", "check", "--library", str(library.root))
    assert run.exit_code == 2
    assert run.stderr == (
        "错误：calendar.yaml:1:1: notices: 至少需要 1 项（修改建议：请填写该字段，或将其删除） [schema]\n"
    )


def test_english_messages(library: Library, pinned_package: None) -> None:
    run = invoke(
        "--lang", "en", "calendar", "deadline", "2026-09-30T16:00", "--library", str(library.root)
    )
    assert run.lines == [
        "approved: 2026-09-30 16:00 (Asia/Shanghai)",
        "must be public by: 2026-10-08 24:00 (the end of working day 1 after the approval day)",
        "  days off: 2026-10-01 to 2026-10-07 (国庆节)",
    ]


def test_root_is_found_from_a_sub_folder(
    library: Library, monkeypatch: pytest.MonkeyPatch, pinned_package: None
) -> None:
    monkeypatch.chdir(library.path("guides"))
    assert (
        invoke("calendar", "deadline", "2026-02-21T10:00")
        .lines[1]
        .startswith("公开期限：2026-02-24 24:00")
    )


def test_the_example_in_the_docs_is_the_2026_notice(library: Library) -> None:
    docs = (REPO / "docs" / "calendar.md").read_text(encoding="utf-8")
    example = next(block for block in docs.split("```yaml\n")[1:] if "notices:" in block)
    library.write("calendar.yaml", example.split("```", 1)[0])
    work = _calendar(library)
    from_docs = {d: value.working for d, value in work.layers[-1].days.items()}
    assert from_docs == {d: value.working for d, value in PACKAGE.days.items() if d.year == 2026}
