"""Options shared by the ``guides`` commands, written once: the library every command acts on
(:func:`pass_library`), dates (:data:`DATE`), ``--format``, free text and ports."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, TypeVar

import click

from guidesrc.check.freetext import check_free_text
from guidesrc.errors import ApprovalError, GuidesError
from guidesrc.i18n import N_, _
from guidesrc.library import find_root

F = TypeVar("F", bound=Callable[..., Any])
_PATH = click.Path(path_type=Path)


def pass_library(
    opener: Callable[[Path], Any] = find_root, *, alias: bool = False
) -> Callable[[F], F]:
    """The command's ``[LIBRARY]`` argument (default: here), opened once and passed as
    ``library``: ``opener(folder)`` gives it (default: the library's root folder;
    :func:`guidesrc.services.library.open_library`: the library with its ledger and the
    configuration in force, closed when the command ends). ``alias``: ``--library DIR`` is
    accepted too (hidden), as the command took it before."""

    def decorate(command: F) -> F:
        @functools.wraps(command)
        def run(*args: Any, library: Path | None, library_alias: Path | None = None,
                **kwargs: Any) -> Any:  # fmt: skip
            opened = opener(_one_library(library, library_alias))
            if isinstance(opened, AbstractContextManager) and not isinstance(opened, Path):
                with opened as entered:
                    return command(*args, library=entered, **kwargs)
            return command(*args, library=opened, **kwargs)

        run = click.argument("library", required=False, type=_PATH, metavar="[LIBRARY]")(run)
        if alias:
            run = click.option("--library", "library_alias", hidden=True, type=_PATH)(run)
        return run  # type: ignore[return-value]

    return decorate


def _one_library(argument: Path | None, option: Path | None) -> Path:
    if argument is not None and option is not None and argument != option:
        raise GuidesError(
            _("the library is given twice ({first} and --library {second}): give it once").format(
                first=argument, second=option
            )
        )
    return argument or option or Path(".")


def format_option(choices: Sequence[str], help: str) -> Callable[[F], F]:
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


def repeatable(name: str, dest: str, metavar: str, help: str) -> Callable[[F], F]:
    """An option given any number of times (``--guide A --guide B``), passed as a tuple."""
    return click.option(name, dest, multiple=True, metavar=metavar, help=help)


def flag(name: str, help: str) -> Callable[[F], F]:
    """An on/off option, off by default."""
    return click.option(name, is_flag=True, help=help)


def color_option(help: str) -> Callable[[F], F]:
    """``--color/--no-color`` (passed as ``color``; None: when stdout is a terminal)."""
    return click.option("--color/--no-color", default=None, help=help)


def port_option(default: int) -> Callable[[F], F]:
    """``--port`` of a server (0: any free port)."""
    return click.option(
        "--port",
        type=click.IntRange(0, 65535),
        default=default,
        show_default=True,
        help=N_("Port to listen on (0: any free port)."),
    )


def free_text(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A click callback: the option's text passes the rules of guide text (personal data, hidden
    characters; :mod:`guidesrc.check.freetext`): ``@click.option("--note", callback=free_text)``."""
    if value is None:
        return None
    return check_free_text(value, _option_name(param))


def text_option(name: str, help: str, **extra: Any) -> Callable[[F], F]:
    """An option of free text (a note, a reason), checked as guide text is."""
    extra.setdefault("metavar", "TEXT")
    return click.option(name, callback=free_text, help=help, **extra)


def _option_name(param: click.Parameter) -> str:
    return max(param.opts, key=len) if param.opts else f"--{param.name}"


def _refuse_by(_ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
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


#: The dates a command accepts: schedules, deadlines and reports are counted for these years (a
#: date such as 9999-12-31 has no next day to count to, and no holiday data will ever cover it).
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2999, 12, 31)
TODAY_WORDS = ("today", "今天", "今日")


def date_range_problem(value: str, day: dt.date) -> str | None:
    """The message for a date outside :data:`FIRST_DAY` … :data:`LAST_DAY` (None: within)."""
    if FIRST_DAY <= day <= LAST_DAY:
        return None
    return _("{value} is outside the dates guidesrc counts with ({first} to {last})").format(
        value=value, first=FIRST_DAY.isoformat(), last=LAST_DAY.isoformat()
    )


class DateType(click.ParamType[Any]):
    """A day: ``2026-12-01``, or ``today`` (今天) in the library's time zone, passed as
    ``"today"`` (:data:`guidesrc.services.library.Day`). A mistake is the command's error,
    naming the option."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, dt.date) or value == "today":
            return value
        text = str(value).strip()
        option = _option_name(param) if param is not None else "DATE"
        if text.lower() in TODAY_WORDS:
            return "today"
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            raise GuidesError(
                _("{option}: {value} is not a date such as 2026-12-01 (or today)").format(
                    option=option, value=value
                )
            ) from None
        if problem := date_range_problem(str(value), day):
            raise GuidesError(f"{option}: {problem}")
        return day


class MomentType(click.ParamType[Any]):
    """A date and time such as ``2026-09-30T16:00+08:00`` (without an offset: in the library's
    time zone)."""

    name = "datetime"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, dt.datetime):
            return value
        try:
            moment = dt.datetime.fromisoformat(str(value))
        except ValueError:
            self.fail(
                _('"{value}" is not a date and time such as 2026-09-30T16:00+08:00').format(
                    value=value
                ),
                param,
                ctx,
            )
        if problem := date_range_problem(str(value), moment.date()):
            self.fail(problem, param, ctx)
        return moment


#: Every option or argument that takes a day.
DATE = DateType()
#: Every option or argument that takes a date and time.
MOMENT = MomentType()


def date_option(*decls: str, help: str, **extra: Any) -> Callable[[F], F]:
    """An option that takes a day (:data:`DATE`)."""
    return click.option(*decls, type=DATE, metavar="DATE", help=help, **extra)
