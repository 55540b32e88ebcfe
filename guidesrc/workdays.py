"""Working days in mainland China: weekends, public holidays and makeup working days (调休).

The rule this serves: a guide changed by an approval must be public by the end of the first working
day after the day of the approval (``publish_deadline.working_days`` in ``library.yaml``).

Which days are worked is set each year by a State Council notice (国务院办公厅关于某年部分节假日安排
的通知, usually published in November of the year before). Two sources hold the notices:

1. the ``chinese-calendar`` package, which ships every notice since 2004 and never extrapolates;
2. the library's optional ``calendar.yaml`` (:mod:`guidesrc.model.calendar`), for years the
   package does not know yet and for mid-year changes; its dates override the package's.

A date whose year neither knows is a :class:`CalendarError` that says what to add, never a guess.
The last days of December count as known only once the next year is known too: a notice may move
元旦 into them (2007-12-31 was a day off, 2018-12-29 a working Saturday).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TypeVar
from zoneinfo import ZoneInfo

import chinese_calendar  # type: ignore[import-untyped]

from guidesrc.check.loader import load_bytes
from guidesrc.diagnostic_lines import located_lines
from guidesrc.diagnostics import Diagnostic, PathPart, RuleId
from guidesrc.errors import CalendarError, LibraryConfigError, LibraryIOError
from guidesrc.i18n import N_, _
from guidesrc.library import CALENDAR_FILE, CONFIG_FILE, read_sized
from guidesrc.model.calendar import CalendarFile
from guidesrc.model.library import LibraryConfig

if TYPE_CHECKING:
    from pydantic import BaseModel

    from guidesrc.model.calendar import Holiday, Notice
    from guidesrc.yamlio import Source

#: From this day of December on, a date also depends on the next year's notice (元旦).
LATE_DECEMBER = 25
#: A holiday longer than this is a typo in a date (the longest so far: 春节 2020, 10 days).
MAX_HOLIDAY_DAYS = 31
DEFAULT_ZONE = "Asia/Shanghai"

WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))

_DAY = dt.timedelta(days=1)
_M = TypeVar("_M", bound="BaseModel")


class Day(NamedTuple):
    """A date that differs from the Monday-to-Friday week, and the holiday that makes it so."""

    working: bool  # True: a makeup working day (调休上班); False: a day off (放假)
    holiday: str  # e.g. 春节


@dataclass(frozen=True, slots=True)
class HolidayData:
    """The days one source sets, for the years it covers (its notices)."""

    source: str  # shown to people: "chinese-calendar 1.11.0", "calendar.yaml: 国务院办公厅关于…"
    years: frozenset[int]
    days: dict[dt.date, Day]


@dataclass(frozen=True, slots=True)
class Deadline:
    """A publication deadline and how it was counted."""

    approved_at: dt.datetime  # in the library's time zone
    due: dt.datetime  # the end of the last working day counted: next day 00:00, library zone
    working_days: tuple[dt.date, ...]  # the working days counted, the last one is the deadline
    days_off: tuple[tuple[dt.date, Day | None], ...]  # skipped; None: an ordinary weekend day


class WorkCalendar:
    """Working days from layers of holiday data; a later layer overrides an earlier one."""

    def __init__(
        self,
        layers: Sequence[HolidayData],
        zone: ZoneInfo | str = DEFAULT_ZONE,
        working_days: int = 1,
    ) -> None:
        self.layers = tuple(layers)
        self.zone = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
        self.working_days = working_days
        self._days: dict[dt.date, Day] = {}
        for layer in self.layers:
            self._days.update(layer.days)
        self._years = frozenset().union(*(layer.years for layer in self.layers))

    def known_years(self) -> list[int]:
        return sorted(self._years)

    def day(self, day: dt.date) -> Day | None:
        """What the notices say about ``day`` (None: an ordinary day); CalendarError if unknown."""
        self._require(day)
        return self._days.get(day)

    def is_working_day(self, day: dt.date) -> bool:
        found = self.day(day)
        return found.working if found is not None else day.weekday() < 5

    def next_working_day(self, day: dt.date) -> dt.date:
        """The first working day strictly after ``day``."""
        day += _DAY
        while not self.is_working_day(day):
            day += _DAY
        return day

    def deadline(self, approved_at: dt.datetime, working_days: int | None = None) -> dt.datetime:
        """The end of the N-th working day after the day (in the library's zone) of the approval.

        ``approved_at`` must be timezone-aware. The result is an aware datetime in the library's
        zone: 00:00 of the calendar day after the last working day counted, i.e. that day's 24:00
        (:meth:`display` writes it so). N is ``working_days``, else the library's setting.
        """
        return self.count(approved_at, working_days).due

    def count(self, approved_at: dt.datetime, working_days: int | None = None) -> Deadline:
        """:meth:`deadline` with the working days counted and the days off skipped."""
        if approved_at.tzinfo is None or approved_at.utcoffset() is None:
            raise ValueError("approved_at must be timezone-aware")
        n = self.working_days if working_days is None else working_days
        if n < 1:
            raise ValueError("working_days must be at least 1")
        local = approved_at.astimezone(self.zone)
        counted: list[dt.date] = []
        skipped: list[tuple[dt.date, Day | None]] = []
        day = local.date()
        while len(counted) < n:
            day += _DAY
            if self.is_working_day(day):
                counted.append(day)
            else:
                skipped.append((day, self._days.get(day)))
        due = dt.datetime.combine(day + _DAY, dt.time(0), tzinfo=self.zone)
        return Deadline(local, due, tuple(counted), tuple(skipped))

    def display(self, deadline: dt.datetime) -> str:
        """A deadline as people write it, in the library's zone: ``2026-10-08 24:00``."""
        local = deadline.astimezone(self.zone)
        if local.time() == dt.time(0):
            return f"{(local.date() - _DAY).isoformat()} 24:00"
        return local.strftime("%Y-%m-%d %H:%M")

    def sources(self) -> list[tuple[tuple[int, int], tuple[str, ...]]]:
        """Runs of known years, ``((first, last), sources)``, for people to read."""
        runs: list[tuple[tuple[int, int], tuple[str, ...]]] = []
        for year in self.known_years():
            names = self.year_sources(year)
            if runs and runs[-1][1] == names and runs[-1][0][1] == year - 1:
                runs[-1] = ((runs[-1][0][0], year), names)
            else:
                runs.append(((year, year), names))
        return runs

    def year_sources(self, year: int) -> tuple[str, ...]:
        return tuple(layer.source for layer in self.layers if year in layer.years)

    def known_until(self, day: dt.date) -> dt.date | None:
        """The last date, from ``day`` on, whose status is known (None: not even ``day``'s)."""
        year = day.year
        while year + 1 in self._years:
            year += 1
        last = dt.date(year, 12, LATE_DECEMBER - 1)
        return last if day.year in self._years and day <= last else None

    def year_days(self, year: int) -> list[tuple[dt.date, Day]]:
        """The days off and makeup working days in ``year``, by date."""
        self._require(dt.date(year, 1, 1))
        return sorted((d, day) for d, day in self._days.items() if d.year == year)

    def _require(self, day: dt.date) -> None:
        if day.year not in self._years:
            raise CalendarError(self._unknown(day, day.year))
        if (day.month, day.day) >= (12, LATE_DECEMBER) and day.year + 1 not in self._years:
            raise CalendarError(self._unknown(day, day.year + 1))

    def _unknown(self, day: dt.date, year: int) -> str:
        if year == day.year:
            message = _("{day}: the holiday arrangements for {year} are not known ({known})")
        else:
            message = _(
                "{day}: the holiday arrangements for {year} are not known ({known}); "
                "the last days of December depend on them (元旦)"
            )
        known = describe_sources(self) or _("no year is known")
        return message.format(day=day.isoformat(), year=year, known=known) + "\n" + how_to_add(year)


def how_to_add(year: int) -> str:
    """What to do when ``year`` is missing, with the ``calendar.yaml`` lines to fill in."""
    return _(
        "when the State Council publishes its notice on the {year} holidays (usually in "
        "November {previous}), add it to {file} at the library root, line by line as the "
        "notice reads (see docs/calendar.md), or install a chinese-calendar version that "
        "has {year}:\n{snippet}"
    ).format(year=year, previous=year - 1, file=CALENDAR_FILE, snippet=snippet(year))


def snippet(year: int) -> str:
    """The ``calendar.yaml`` lines to fill in for ``year``."""
    return _(
        "notices:\n"
        "  - year: {year}\n"
        "    title: 国务院办公厅关于{year}年部分节假日安排的通知\n"
        "    holidays:\n"
        "      - name: 元旦\n"
        "        first_day: {year}-01-01\n"
        "        last_day: {year}-01-01\n"
        "        makeup_working_days: []\n"
        "      # … one item for each holiday of the notice, with its makeup working days"
    ).format(year=year)


def describe_sources(calendar: WorkCalendar) -> str:
    """``2004–2026: chinese-calendar 1.11.0; 2027: calendar.yaml: …`` in the current language."""
    parts = []
    for (first, last), names in calendar.sources():
        years = str(first) if first == last else f"{first}–{last}"
        parts.append(_("{years}: {sources}").format(years=years, sources=" + ".join(names)))
    return _("; ").join(parts)


def weekday(day: dt.date) -> str:
    return _(WEEKDAYS[day.weekday()])


# --- loading ------------------------------------------------------------------------------------


def load_calendar(
    root: Path, config: LibraryConfig | None = None, *, package: HolidayData | None = None
) -> WorkCalendar:
    """The working-day calendar of the library at ``root``.

    ``config`` is read from ``library.yaml`` when not given (time zone, deadline in working days);
    ``package`` replaces the ``chinese-calendar`` data (tests pin it to the years they mean).
    """
    if config is None:
        config = read_config(root)
    layers = [package_data() if package is None else package, *read_calendar_file(root)]
    return WorkCalendar(layers, config.timezone, config.publish_deadline.working_days)


def calendar_from(
    config: LibraryConfig, calendar_text: bytes | None, *, package: HolidayData | None = None
) -> WorkCalendar:
    """The working-day calendar of a configuration given as text (the approved one in the
    ledger, :mod:`guidesrc.config_in_force`); ``calendar_text`` None: no ``calendar.yaml``."""
    layers = [package_data() if package is None else package]
    if calendar_text is not None:
        layers += calendar_layers(calendar_text)
    return WorkCalendar(layers, config.timezone, config.publish_deadline.working_days)


@cache
def package_data() -> HolidayData:
    """Every notice the ``chinese-calendar`` package ships (2004 to its last release's year)."""
    chinese = {holiday.value: holiday.chinese for holiday in chinese_calendar.Holiday}
    days = {d: Day(False, chinese.get(v, v)) for d, v in chinese_calendar.holidays.items()}
    days |= {d: Day(True, chinese.get(v, v)) for d, v in chinese_calendar.workdays.items()}
    years = {d.year for d in chinese_calendar.holidays}
    return HolidayData(
        f"chinese-calendar {chinese_calendar.__version__}",
        frozenset(range(min(years), max(years) + 1)),
        days,
    )


def read_config(root: Path) -> LibraryConfig:
    config, _source = _read_model(root, CONFIG_FILE, LibraryConfig, LibraryConfigError)
    return config


def config_from(data: bytes) -> LibraryConfig:
    """``library.yaml`` given as bytes (the approved one in the ledger), validated."""
    config, _source = _model_from(data, CONFIG_FILE, LibraryConfig, LibraryConfigError)
    return config


def read_calendar_file(root: Path) -> list[HolidayData]:
    """One layer per notice in ``calendar.yaml``, in file order; none without the file."""
    if not os.path.lexists(root / CALENDAR_FILE):  # a link is refused when read
        return []
    calendar, source = _read_model(root, CALENDAR_FILE, CalendarFile, CalendarError)
    return _notice_layers(calendar, source)


def calendar_layers(data: bytes) -> list[HolidayData]:
    """One layer per notice of a ``calendar.yaml`` given as bytes."""
    calendar, source = _model_from(data, CALENDAR_FILE, CalendarFile, CalendarError)
    return _notice_layers(calendar, source)


def _notice_layers(calendar: CalendarFile, source: Source) -> list[HolidayData]:
    problems = check_notices(calendar)
    if problems:
        raise CalendarError(_report(source, problems))
    return [_layer(notice) for notice in calendar.notices]


def _layer(notice: Notice) -> HolidayData:
    days: dict[dt.date, Day] = {}
    for holiday in notice.holidays:
        for day in _days_off(holiday):
            days[day] = Day(False, holiday.name)
        for day in holiday.makeup_working_days:
            days[day] = Day(True, holiday.name)
    return HolidayData(f"{CALENDAR_FILE}: {notice.title}", frozenset({notice.year}), days)


def _span(first: dt.date, last: dt.date) -> Iterable[dt.date]:
    day = first
    while day <= last:
        yield day
        day += _DAY


def check_notices(calendar: CalendarFile) -> list[Diagnostic]:
    """What the schema cannot say: dates in order, in the notice's year, not both off and worked."""
    problems: list[Diagnostic] = []
    for n, notice in enumerate(calendar.notices):
        days_off = {d for holiday in notice.holidays for d in _days_off(holiday)}
        for h, holiday in enumerate(notice.holidays):
            at = ("notices", n, "holidays", h)
            problems += _check_dates(at, holiday, notice.year)
            problems += [
                _problem(
                    (*at, "makeup_working_days", i),
                    N_("{day} is both a day off and a makeup working day in this notice"),
                    N_("a makeup working day is a day outside the days off; check the notice"),
                    day=day.isoformat(),
                )
                for i, day in enumerate(holiday.makeup_working_days)
                if day in days_off
            ]
    return problems


def _days_off(holiday: Holiday) -> Iterable[dt.date]:
    return _span(holiday.first_day, holiday.last_day or holiday.first_day)


def _check_dates(at: tuple[PathPart, ...], holiday: Holiday, year: int) -> list[Diagnostic]:
    dated: list[tuple[tuple[PathPart, ...], dt.date | None]] = [
        (("first_day",), holiday.first_day),
        (("last_day",), holiday.last_day),
        *((("makeup_working_days", i), d) for i, d in enumerate(holiday.makeup_working_days)),
    ]
    earliest = dt.date(year - 1, 12, LATE_DECEMBER)
    problems = [
        _problem(
            (*at, *field),
            N_("{day} is not in {year}, the year of this notice"),
            N_(
                "correct the year of the date (a notice for {year} may name days from "
                "{previous}-12-{earliest} on), or the year of the notice"
            ),
            day=day.isoformat(),
            year=year,
            previous=year - 1,
            earliest=LATE_DECEMBER,
        )
        for field, day in dated
        if day is not None and not earliest <= day <= dt.date(year, 12, 31)
    ]
    first, last = holiday.first_day, holiday.last_day or holiday.first_day
    if last < first:
        problems.append(
            _problem(
                (*at, "last_day"),
                N_("the last day off {last} is before the first day off {first}"),
                N_("correct one of the two dates"),
                first=first.isoformat(),
                last=last.isoformat(),
            )
        )
    elif (last - first).days + 1 > MAX_HOLIDAY_DAYS:
        problems.append(
            _problem(
                (*at, "last_day"),
                N_("{days} days off from {first} to {last}: more than {limit}"),
                N_("check the month of both dates against the notice"),
                days=(last - first).days + 1,
                first=first.isoformat(),
                last=last.isoformat(),
                limit=MAX_HOLIDAY_DAYS,
            )
        )
    return problems


def _problem(path: tuple[PathPart, ...], message: str, hint: str, **args: object) -> Diagnostic:
    return Diagnostic(RuleId.CALENDAR, "error", CALENDAR_FILE, path, message, hint, dict(args))


def _read_model(
    root: Path, rel: str, model: type[_M], error: type[CalendarError | LibraryConfigError]
) -> tuple[_M, Source]:
    """Parse and validate one file of the library, or raise ``error`` listing every problem."""
    try:
        data, size = read_sized(root, rel)
    except OSError as exc:
        raise LibraryIOError(
            _("{path}: cannot read: {error}").format(path=root / rel, error=exc.strerror)
        ) from exc
    return _model_from(data, rel, model, error, size)


def _model_from(
    data: bytes,
    rel: str,
    model: type[_M],
    error: type[CalendarError | LibraryConfigError],
    size: int | None = None,
) -> tuple[_M, Source]:
    source, loaded, problems = load_bytes(data, rel, model, size)
    if problems or not isinstance(loaded, model):
        raise error(_report(source, problems))
    return loaded, source


def _report(source: Source, problems: list[Diagnostic]) -> str:
    """One line per problem, as `guides check` prints them: ``file:line:col: field: message``."""
    return located_lines(source, problems)
