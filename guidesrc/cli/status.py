"""``guides status``: each guide's deliveries per channel."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import click
import orjson

from guidesrc.cli.common import (
    ACTIONS,
    STATUSES,
    local_time,
    open_ledger_view,
    with_cause,
)
from guidesrc.cli.options import (
    format_option,
    library_argument,
)
from guidesrc.i18n import N_, _

if TYPE_CHECKING:
    from guidesrc.ledger import Ledger
    from guidesrc.model.library import LibraryConfig


@click.command(help=N_("Each guide's deliveries per channel: pending, delivered, failed, overdue."))
@library_argument
@click.option(
    "--guide", "guides", multiple=True, metavar="ID", help=N_("Only this guide; repeatable.")
)
@click.option("--all", "everything", is_flag=True, help=N_("Also older versions' deliveries."))
@format_option(["text", "json"], N_("text: for people; json: for monitoring."))
@click.option(
    "--color/--no-color",
    default=None,
    help=N_("Colour the output (default: when it is a terminal)."),
)
@click.option(
    "--warn-within",
    type=click.FloatRange(0),
    default=4,
    show_default=True,
    metavar="HOURS",
    help=N_("A delivery not made this close to its deadline is at risk (exit 1)."),
)
def status(
    library: Path,
    guides: tuple[str, ...],
    everything: bool,
    fmt: str,
    color: bool | None,
    warn_within: float,
) -> None:
    from guidesrc.signing_alerts import alerts
    from guidesrc.status import status_rows

    view = open_ledger_view(library)
    now, margin = view.now, dt.timedelta(hours=warn_within)
    rows = status_rows(view.ledger, now, guides, everything)
    overdue = [r for r in rows if r.overdue(now)]
    at_risk = [r for r in rows if r.at_risk(now, margin)]
    printed = _print_summary(view.ledger, view.config, now.astimezone(view.zone).date())
    unsigned = alerts(view.ledger, sorted(view.config.channels))
    if fmt == "json":
        _echo_json(rows, now, margin, overdue, at_risk, unsigned, printed)
    else:
        use_color = sys.stdout.isatty() if color is None else color
        _echo_rows(rows, now, margin, view.zone, use_color)
        _echo_totals(rows, overdue, at_risk, warn_within)
        for line in [*_print_lines(printed), *unsigned]:
            click.echo(line, err=True)
    if overdue or at_risk or unsigned:
        sys.exit(1)


def _echo_json(
    rows: list[Any],
    now: dt.datetime,
    margin: dt.timedelta,
    overdue: list[Any],
    at_risk: list[Any],
    unsigned: list[str],
    printed: Any,
) -> None:
    body = {
        "now": now.isoformat(),
        "overdue": len(overdue),
        "at_risk": len(at_risk),
        "signing": unsigned,
        "deliveries": [{**r.as_dict(now), "at_risk": r.at_risk(now, margin)} for r in rows],
    }
    if not printed.empty:
        body["print"] = printed.as_dict()
    click.echo(orjson.dumps(body, option=orjson.OPT_INDENT_2).decode())


def _echo_rows(
    rows: list[Any], now: dt.datetime, margin: dt.timedelta, zone: ZoneInfo, use_color: bool
) -> None:
    """One line per delivery: overdue in red, at risk in yellow."""
    for r in rows:
        line = "\t".join(
            [
                f"{r.guide_id} v{r.version}",
                r.name,
                r.channel,
                _(ACTIONS.get(r.action, r.action)),
                _(STATUSES.get(r.status, r.status)),
                _when(r, now, zone),
            ]
        )
        colour = "red" if r.overdue(now) else "yellow" if r.at_risk(now, margin) else None
        click.echo(click.style(line, fg=colour) if colour and use_color else line, color=use_color)


def _echo_totals(
    rows: list[Any], overdue: list[Any], at_risk: list[Any], warn_within: float
) -> None:
    click.echo(
        _("{count} deliveries, {pending} not delivered, {overdue} overdue").format(
            count=len(rows),
            pending=sum(r.status != "delivered" for r in rows),
            overdue=len(overdue),
        ),
        err=True,
    )
    if at_risk:
        click.echo(
            _(
                "{count} delivery(ies) at risk: less than {hours} h to the deadline and not delivered"
            ).format(count=len(at_risk), hours=f"{warn_within:g}"),
            err=True,
        )


def _print_summary(ledger: Ledger, config: LibraryConfig, today: dt.date) -> Any:
    """Pages printed in the last 30 days and the reprint batches not posted yet."""
    from guidesrc.print.stats import print_summary

    printers = {name for name, c in config.channels.items() if c.type == "printer"}
    return print_summary(ledger, printers, today - dt.timedelta(days=29))


def _print_lines(printed: Any) -> list[str]:
    if printed.empty:
        return []
    lines = [
        _(
            "printed in the last 30 days: {prints} kiosk print(s), {pages} page(s); {channel_pages} page(s) by printer channels"
        ).format(
            prints=printed.kiosk_prints,
            pages=printed.kiosk_pages,
            channel_pages=sum(printed.channel_pages.values()),
        )
    ]
    if printed.outstanding:
        halls = "、".join(
            _("{hall}: {count}").format(hall=hall, count=count)
            for hall, count in sorted(printed.outstanding.items())
        )
        lines.append(_("batches to post, per hall: {halls}").format(halls=halls))
    return lines


def _when(row: Any, now: dt.datetime, zone: ZoneInfo) -> str:
    deadline = local_time(row.deadline, zone)
    if row.status == "delivered":
        text = _("at {time}").format(time=local_time(row.delivered_at, zone))
        if row.overdue(now):
            text += " " + _("(late; deadline {deadline})").format(deadline=deadline)
        return text
    if row.status == "scheduled":
        return _("from {time}").format(time=local_time(row.due_at, zone, end=False))
    left = row.deadline - now
    if left.total_seconds() < 0:
        text = _("OVERDUE by {span} (deadline {deadline})").format(
            span=_span(-left), deadline=deadline
        )
    else:
        text = _("deadline {deadline}, {span} left").format(deadline=deadline, span=_span(left))
    if row.error:
        from guidesrc.status import error_cause

        text += " — " + with_cause(row.error, error_cause(row.error_detail))
    return text


def _span(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("{days} d {hours} h").format(days=days, hours=hours)
    return _("{hours} h {minutes} min").format(hours=hours, minutes=minutes)
