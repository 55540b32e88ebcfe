"""How far the holiday data reaches from a day: ``guides calendar check`` and the year-end warning
of approve, publish, status and check (a bottom module: ``guides check`` imports no service)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from guidesrc.workdays import WorkCalendar, load_calendar

#: ``year_check`` warns this many days before the end of a year without next year's data.
WARN_DAYS = 60


@dataclass(frozen=True, slots=True)
class YearCheck:
    """Which years have holiday data: ``missing`` names the year without data that matters
    (this year's; or next year's, with ``days_left`` days of this year left); ``until``: the
    last day working days can be counted to."""

    calendar: WorkCalendar
    today: dt.date
    until: dt.date | None
    missing: int | None
    days_left: int


def year_check(root: Path, today: dt.date | None = None) -> YearCheck:
    """The holiday data as on ``today`` (default: today in the library's time zone)."""
    work = load_calendar(root)
    today = today or dt.datetime.now(work.zone).date()
    until = work.known_until(today)
    left = (dt.date(today.year + 1, 1, 1) - today).days
    missing = None
    if until is None:
        missing = today.year
    elif until.year == today.year and left <= WARN_DAYS:
        missing = today.year + 1
    return YearCheck(work, today, until, missing, left)
