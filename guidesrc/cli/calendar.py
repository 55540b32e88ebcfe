"""``guides calendar``: publication deadlines in working days, and the holiday data behind them."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from guidesrc.cli.options import MOMENT, date_option, pass_library
from guidesrc.cli.year_end import year_end_warning
from guidesrc.i18n import N_, _
from guidesrc.services import calendar as service
from guidesrc.services.library import Day
from guidesrc.workdays import describe_sources, weekday


@click.group(
    name="calendar",
    help=N_("Working days: publication deadlines and the holiday calendar they use."),
)
def calendar() -> None:
    pass


@calendar.command(
    help=N_(
        "When a change approved at APPROVED_AT must be public: the end of the N-th working day "
        "after the day of the approval (N: publish_deadline in library.yaml, default 1). "
        "A time without an offset is in the library's time zone."
    )
)
@click.argument("approved_at", metavar="APPROVED_AT", type=MOMENT)
@pass_library(alias=True)
def deadline(approved_at: dt.datetime, library: Path) -> None:
    found = service.deadline(library, approved_at)
    work, counted = found.calendar, found.deadline
    approved = counted.approved_at.strftime("%Y-%m-%d %H:%M")
    click.echo(_("approved: {time} ({zone})").format(time=approved, zone=work.zone.key))
    click.echo(
        _("must be public by: {time} (the end of working day {n} after the approval day)").format(
            time=work.display(counted.due), n=len(counted.working_days)
        )
    )
    for first, last, day in found.days_off:
        what = day.holiday if day is not None else _("weekend")
        click.echo(_("  days off: {days} ({what})").format(days=_range(first, last), what=what))
    for date, holiday in found.makeup:
        click.echo(
            _("  {day} ({weekday}) is a makeup working day ({holiday})").format(
                day=date.isoformat(), weekday=weekday(date), holiday=holiday
            )
        )


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
@pass_library(alias=True)
@date_option(
    "--today", help=N_("Check as on this date (default: today in the library's time zone).")
)
def check(library: Path, today: Day | None) -> None:
    found = service.year_check(library, None if today == "today" else today)
    click.echo(_("holiday data: {sources}").format(sources=describe_sources(found.calendar) or "-"))
    if (warning := year_end_warning(found)) is not None:
        click.echo(warning, err=True)
        sys.exit(1)
    assert found.until is not None
    click.echo(_("working days can be counted until {day}").format(day=found.until.isoformat()))


@calendar.command(help=N_("List the days off and makeup working days of YEAR, holiday by holiday."))
@click.argument("year", type=click.IntRange(1900, 2999))
@pass_library(alias=True)
def show(year: int, library: Path) -> None:
    found = service.year(library, year)
    click.echo(_("{year}: {sources}").format(year=year, sources=" + ".join(found.sources)))
    for holiday in found.holidays:
        click.echo(_show_holiday(holiday))
    if found.unknown_from is not None:
        message = _("days from {day} on depend on the notice for {year}, not known yet")
        click.echo(message.format(day=found.unknown_from.isoformat(), year=year + 1))


def _show_holiday(holiday: service.Holiday) -> str:
    parts = []
    if holiday.off_count:
        runs = _(", ").join(_range(first, last) for first, last in holiday.days_off)
        parts.append(_("{count} day(s) off: {days}").format(count=holiday.off_count, days=runs))
    if holiday.makeup:
        dated = (
            _("{day} ({weekday})").format(day=d.isoformat(), weekday=weekday(d))
            for d in holiday.makeup
        )
        parts.append(_("makeup working days: {days}").format(days=_(", ").join(dated)))
    return _("  {holiday}: {arrangements}").format(
        holiday=holiday.name, arrangements=_("; ").join(parts)
    )
