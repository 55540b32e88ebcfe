"""Options shared by the ``guides`` commands, written once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from guidesrc.i18n import N_, _

#: ``--library DIR`` for commands whose argument is something else (an entry, a guide, a token).
library_option = click.option(
    "--library",
    default=".",
    type=click.Path(path_type=Path),
    help=N_("The library (default: here)."),
)

#: ``[LIBRARY]`` for commands that act on a library as a whole.
library_argument = click.argument("library", default=".", type=click.Path(path_type=Path))


#: The dates a command accepts: schedules, deadlines and reports are counted for these years (a
#: date such as 9999-12-31 has no next day to count to, and no holiday data will ever cover it).
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2999, 12, 31)


def date_range_problem(value: str, day: dt.date) -> str | None:
    """The message for a date outside :data:`FIRST_DAY` … :data:`LAST_DAY` (None: within)."""
    if FIRST_DAY <= day <= LAST_DAY:
        return None
    return _("{value} is outside the dates guidesrc counts with ({first} to {last})").format(
        value=value, first=FIRST_DAY.isoformat(), last=LAST_DAY.isoformat()
    )
