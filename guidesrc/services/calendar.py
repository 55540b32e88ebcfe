"""Working days: publication deadlines, and the holiday data behind them (the working tree's
``library.yaml`` and ``calendar.yaml``, as ``guides check`` reads them)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from guidesrc.workdays import LATE_DECEMBER, Day, Deadline, WorkCalendar, load_calendar
from guidesrc.year_check import YearCheck as YearCheck
from guidesrc.year_check import year_check as year_check

#: Consecutive dates with the same reason: ``(first, last, reason)`` (None: a weekend).
Run = tuple[dt.date, dt.date, Day | None]


@dataclass(frozen=True, slots=True)
class Counted:
    """A deadline counted, with the days off skipped and the makeup working days counted."""

    calendar: WorkCalendar
    deadline: Deadline
    days_off: list[Run]
    makeup: list[tuple[dt.date, str]]  # a makeup working day counted, and its holiday


def deadline(root: Path, approved_at: dt.datetime) -> Counted:
    """When a change approved at ``approved_at`` must be public (a time without an offset is in
    the library's time zone)."""
    work = load_calendar(root)
    if approved_at.tzinfo is None:
        approved_at = approved_at.replace(tzinfo=work.zone)
    counted = work.count(approved_at)
    makeup = []
    for date in counted.working_days:
        found = work.day(date)
        if found is not None and found.working:
            makeup.append((date, found.holiday))
    return Counted(work, counted, runs(counted.days_off), makeup)


def runs(days: Iterable[tuple[dt.date, Day | None]]) -> list[Run]:
    """Consecutive dates with the same reason, as ``(first, last, reason)``."""
    found: list[Run] = []
    for date, day in days:
        if found and found[-1][2] == day and found[-1][1] + dt.timedelta(days=1) == date:
            found[-1] = (found[-1][0], date, day)
        else:
            found.append((date, date, day))
    return found


@dataclass(frozen=True, slots=True)
class Holiday:
    """One holiday's arrangements in a year: days off (as runs of dates), makeup working days."""

    name: str
    days_off: list[tuple[dt.date, dt.date]]
    off_count: int
    makeup: list[dt.date]


@dataclass(frozen=True, slots=True)
class Year:
    """A year's holidays in order, where the data comes from, and the first day that depends on
    next year's notice (None: known to the end of the year)."""

    year: int
    sources: list[str]
    holidays: list[Holiday]
    unknown_from: dt.date | None


def year(root: Path, number: int) -> Year:
    """The days off and makeup working days of the year ``number``, holiday by holiday."""
    work = load_calendar(root)
    by_holiday: dict[str, list[tuple[dt.date, Day]]] = {}
    for date, day in sorted(work.year_days(number), key=lambda entry: entry[1].working):
        by_holiday.setdefault(day.holiday, []).append((date, day))  # in order of the days off
    holidays = []
    for name, entries in by_holiday.items():
        off = [date for date, day in entries if not day.working]
        spans = [(first, last) for first, last, _r in runs((d, None) for d in off)]
        holidays.append(Holiday(name, spans, len(off), [d for d, day in entries if day.working]))
    unknown = None
    if work.known_until(dt.date(number, 12, 31)) is None:
        unknown = dt.date(number, 12, LATE_DECEMBER)
    return Year(number, list(work.year_sources(number)), holidays, unknown)
