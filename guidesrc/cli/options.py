"""Options shared by the ``guides`` commands, written once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

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


def format_option(choices: Sequence[str], help: str) -> Callable[[Any], Any]:
    """``--format`` (passed as ``fmt``): one of ``choices``, the first by default; ``help`` is a
    message id (``N_("text: …; json: …")``)."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(list(choices)),
        default=choices[0],
        show_default=True,
        help=help,
    )


def _refuse_by(_ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    from guidesrc.errors import ApprovalError
    from guidesrc.i18n import _

    if value is not None:
        raise ApprovalError(
            _(
                "--by is no longer accepted: the approver is who runs the command, proven by their approver key (approvers.yaml, guides approvers key) or, without approvers.yaml, their operating-system account; see docs/security.md"
            )
        )


#: ``--by NAME`` named the approver in earlier versions: now refused with the reason.
refused_by_option = click.option(
    "--by", hidden=True, expose_value=False, callback=_refuse_by, metavar="NAME"
)


def free_text(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A click callback: the option's text passes the rules of guide text (personal data, hidden
    characters; :mod:`guidesrc.check.freetext`): ``@click.option("--note", callback=free_text)``."""
    if value is None:
        return None
    from guidesrc.check.freetext import check_free_text

    return check_free_text(value, max(param.opts, key=len) if param.opts else f"--{param.name}")


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
