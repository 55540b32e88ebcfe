"""The year-end warning: from 60 days before the holiday data ends (``guides calendar check``),
``guides approve``, ``publish``, ``status`` and ``check`` say so once per run, with the
``calendar.yaml`` lines to add (docs/calendar.md)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from guidesrc.errors import GuidesError
from guidesrc.i18n import _
from guidesrc.workdays import how_to_add
from guidesrc.year_check import YearCheck, year_check


def year_end_warning(found: YearCheck) -> str | None:
    """The warning with the lines to add (None: the data reaches far enough)."""
    if found.until is None:
        message = _("warning: no holiday data for {year}: no deadline can be counted")
        return message.format(year=found.today.year) + "\n" + how_to_add(found.today.year)
    if found.missing is None:
        return None
    message = _(
        "warning: no holiday data for {year} yet, and {this_year} ends in {days} day(s): "
        "deadlines cannot be counted after {until}"
    ).format(
        year=found.missing,
        this_year=found.today.year,
        days=found.days_left,
        until=found.until.isoformat(),
    )
    return message + "\n" + how_to_add(found.missing)


def warn_year_end(root: Path, today: dt.date | None = None) -> YearCheck | None:
    """Echo the warning (stderr) when it applies, once; None when library.yaml or the calendar
    cannot be read (the command itself then says why)."""
    try:
        found = year_check(root, today)
    except GuidesError:  # the command itself says what is wrong with the files
        return None
    if (warning := year_end_warning(found)) is not None:
        click.echo(warning, err=True)
    return found
