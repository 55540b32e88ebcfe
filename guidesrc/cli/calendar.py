"""``guides calendar``: publication deadlines in working days, and the holiday data behind them."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import NoReturn

import click

from guidesrc.cli.options import date_range_problem, library_option
from guidesrc.i18n import N_, _
from guidesrc.workdays import (
    LATE_DECEMBER,
    Day,
    Deadline,
    WorkCalendar,
    describe_sources,
    how_to_add,
    load_calendar,
    weekday,
)

#: `guides calendar check` warns this many days before the end of a year without next year's data.
WARN_DAYS = 60


@click.group(
    name="calendar",
    help=N_("Working days: publication deadlines and the holiday calendar they use."),
)
def calendar() -> None:
    pass


def _open(library: Path) -> WorkCalendar:
    from guidesrc.library import find_root

    return load_calendar(find_root(library))


def _parse_time(_ctx: click.Context, _param: click.Parameter, value: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            _('"{value}" is not a date and time such as 2026-09-30T16:00+08:00').format(value=value)
        ) from None
    if problem := date_range_problem(value, moment.date()):
        raise click.BadParameter(problem)
    return moment


def _parse_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dt.date | None:
    try:
        day = None if value is None else dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            _('"{value}" is not a date such as 2026-12-01').format(value=value)
        ) from None
    if value is not None and day is not None and (problem := date_range_problem(value, day)):
        raise click.BadParameter(problem)
    return day


@calendar.command(
    help=N_(
        "When a change approved at APPROVED_AT must be public: the end of the N-th working day "
        "after the day of the approval (N: publish_deadline in library.yaml, default 1). "
        "A time without an offset is in the library's time zone."
    )
)
@click.argument("approved_at", metavar="APPROVED_AT", callback=_parse_time)
@library_option
def deadline(approved_at: dt.datetime, library: Path) -> None:
    work = _open(library)
    if approved_at.tzinfo is None:
        approved_at = approved_at.replace(tzinfo=work.zone)
    counted = work.count(approved_at)
    zone = work.zone.key
    approved = counted.approved_at.strftime("%Y-%m-%d %H:%M")
    click.echo(_("approved: {time} ({zone})").format(time=approved, zone=zone))
    click.echo(
        _("must be public by: {time} (the end of working day {n} after the approval day)").format(
            time=work.display(counted.due), n=len(counted.working_days)
        )
    )
    for line in _explain(counted, work):
        click.echo(line)


def _explain(counted: Deadline, work: WorkCalendar) -> list[str]:
    """The days off skipped, and the makeup working days counted."""
    lines = []
    for first, last, day in _runs(counted.days_off):
        what = day.holiday if day is not None else _("weekend")
        lines.append(_("  days off: {days} ({what})").format(days=_range(first, last), what=what))
    for date in counted.working_days:
        found = work.day(date)
        if found is not None and found.working:
            lines.append(
                _("  {day} ({weekday}) is a makeup working day ({holiday})").format(
                    day=date.isoformat(), weekday=weekday(date), holiday=found.holiday
                )
            )
    return lines


def _runs(
    days: Iterable[tuple[dt.date, Day | None]],
) -> list[tuple[dt.date, dt.date, Day | None]]:
    """Consecutive dates with the same reason, as ``(first, last, reason)``."""
    runs: list[tuple[dt.date, dt.date, Day | None]] = []
    for date, day in days:
        if runs and runs[-1][2] == day and runs[-1][1] + dt.timedelta(days=1) == date:
            runs[-1] = (runs[-1][0], date, day)
        else:
            runs.append((date, date, day))
    return runs


def _range(first: dt.date, last: dt.date) -> str:
    if first == last:
        return first.isoformat()
    return _("{first} to {last}").format(first=first.isoformat(), last=last.isoformat())


@calendar.command(
    help=N_(
        "Which years have holiday data and from where; exit 1 when this year's is missing, "
        "or next year's while the year ends within 60 days."
    )
)
@library_option
@click.option(
    "--today",
    metavar="DATE",
    callback=_parse_date,
    help=N_("Check as on this date (default: today in the library's time zone)."),
)
def check(library: Path, today: dt.date | None) -> None:
    work = _open(library)
    today = today or dt.datetime.now(work.zone).date()
    click.echo(_("holiday data: {sources}").format(sources=describe_sources(work) or "-"))
    until = work.known_until(today)
    left = (dt.date(today.year + 1, 1, 1) - today).days
    if until is None:
        message = _("warning: no holiday data for {year}: no deadline can be counted")
        _warn(message.format(year=today.year), today.year)
    if until.year == today.year and left <= WARN_DAYS:
        message = _(
            "warning: no holiday data for {year} yet, and {this_year} ends in {days} day(s): "
            "deadlines cannot be counted after {until}"
        )
        _warn(
            message.format(
                year=today.year + 1, this_year=today.year, days=left, until=until.isoformat()
            ),
            today.year + 1,
        )
    click.echo(_("working days can be counted until {day}").format(day=until.isoformat()))


def _warn(message: str, year: int) -> NoReturn:
    click.echo(message + "\n" + how_to_add(year), err=True)
    sys.exit(1)


@calendar.command(help=N_("List the days off and makeup working days of YEAR, holiday by holiday."))
@click.argument("year", type=click.IntRange(1900, 2999))
@library_option
def show(year: int, library: Path) -> None:
    work = _open(library)
    by_holiday: dict[str, list[tuple[dt.date, Day]]] = {}
    for date, day in sorted(work.year_days(year), key=lambda entry: entry[1].working):
        by_holiday.setdefault(day.holiday, []).append((date, day))  # in order of the days off
    sources = " + ".join(work.year_sources(year))
    click.echo(_("{year}: {sources}").format(year=year, sources=sources))
    for holiday, entries in by_holiday.items():
        click.echo(_show_holiday(holiday, entries))
    if work.known_until(dt.date(year, 12, 31)) is None:
        first = dt.date(year, 12, LATE_DECEMBER).isoformat()
        message = _("days from {day} on depend on the notice for {year}, not known yet")
        click.echo(message.format(day=first, year=year + 1))


def _show_holiday(holiday: str, entries: list[tuple[dt.date, Day]]) -> str:
    off = [date for date, day in entries if not day.working]
    worked = [date for date, day in entries if day.working]
    parts = []
    if off:
        runs = _(", ").join(
            _range(first, last) for first, last, _r in _runs((d, None) for d in off)
        )
        parts.append(_("{count} day(s) off: {days}").format(count=len(off), days=runs))
    if worked:
        dated = (
            _("{day} ({weekday})").format(day=d.isoformat(), weekday=weekday(d)) for d in worked
        )
        days = _(", ").join(dated)
        parts.append(_("makeup working days: {days}").format(days=days))
    return _("  {holiday}: {arrangements}").format(
        holiday=holiday, arrangements=_("; ").join(parts)
    )
