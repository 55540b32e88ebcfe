"""``guides status``: each guide's deliveries per channel."""

from __future__ import annotations

import datetime as dt
import sys
from zoneinfo import ZoneInfo

import click

from guidesrc.cli.common import ACTIONS, STATUSES, echo_json, local_time, with_cause
from guidesrc.cli.options import color_option, format_option, pass_library, repeatable
from guidesrc.cli.year_end import warn_year_end
from guidesrc.i18n import N_, _
from guidesrc.print.stats import PrintSummary
from guidesrc.services import status as service
from guidesrc.services.library import Library, open_library
from guidesrc.status import Row, error_cause
from guidesrc.statuses import PublicationStatus


@click.command(help=N_("Each guide's deliveries per channel: pending, delivered, failed, overdue."))
@pass_library(open_library)
@repeatable("--guide", "guides", "ID", N_("Only this guide; repeatable."))
@click.option("--all", "everything", is_flag=True, help=N_("Also older versions' deliveries."))
@format_option(["text", "json"], N_("text: for people; json: for monitoring."))
@color_option(N_("Colour the output (default: when it is a terminal)."))
@click.option(
    "--warn-within",
    type=click.FloatRange(0),
    default=4,
    show_default=True,
    metavar="HOURS",
    help=N_("A delivery not made this close to its deadline is at risk (exit 1)."),
)
def status(
    library: Library,
    guides: tuple[str, ...],
    everything: bool,
    fmt: str,
    color: bool | None,
    warn_within: float,
) -> None:
    warn_year_end(library.root, library.today)
    margin = dt.timedelta(hours=warn_within)
    found = service.status(library, guides=guides, everything=everything, warn_within=margin)
    if fmt == "json":
        echo_json(found.as_dict())
    else:
        use_color = sys.stdout.isatty() if color is None else color
        _echo_rows(found, library.zone, use_color)
        _echo_totals(found, warn_within)
        for line in [*_print_lines(found.printed), *found.signing]:
            click.echo(line, err=True)
    if found.uncountable is not None:
        click.echo(_("error: {message}").format(message=found.uncountable), err=True)
    if found.alarm:
        sys.exit(1)


def _echo_rows(found: service.Status, zone: ZoneInfo, use_color: bool) -> None:
    """One line per delivery: overdue in red, at risk in yellow."""
    now = found.now
    for r in found.rows:
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
        colour = "red" if r.overdue(now) else "yellow" if r.at_risk(now, found.margin) else None
        click.echo(click.style(line, fg=colour) if colour and use_color else line, color=use_color)


def _echo_totals(found: service.Status, warn_within: float) -> None:
    click.echo(
        _(
            "{count} deliveries: {delivered} delivered, {awaiting} printed and awaiting posting by hall staff, {scheduled} scheduled for a later effective date, {pending} due and not delivered ({overdue} overdue)"
        ).format(
            count=len(found.rows),
            delivered=found.count(PublicationStatus.DELIVERED),
            awaiting=found.count(PublicationStatus.AWAITING),
            scheduled=found.count(PublicationStatus.SCHEDULED),
            pending=found.pending,
            overdue=len(found.overdue),
        ),
        err=True,
    )
    if found.at_risk:
        click.echo(
            _(
                "{count} delivery(ies) at risk: less than {hours} h to the deadline and not delivered"
            ).format(count=len(found.at_risk), hours=f"{warn_within:g}"),
            err=True,
        )


def _print_lines(printed: PrintSummary) -> list[str]:
    """Pages printed in the last 30 days and the reprint batches not posted yet."""
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


def _when(row: Row, now: dt.datetime, zone: ZoneInfo) -> str:
    deadline = local_time(row.deadline, zone)
    if row.status == PublicationStatus.DELIVERED:
        assert row.delivered_at is not None
        text = _("at {time}").format(time=local_time(row.delivered_at, zone))
        if row.overdue(now):
            text += " " + _("(late; deadline {deadline})").format(deadline=deadline)
        return text
    if row.status == PublicationStatus.SCHEDULED:
        return _("from {time}").format(time=local_time(row.due_at, zone, end=False))
    left = row.deadline - now
    if left.total_seconds() < 0:
        text = _("OVERDUE by {span} (deadline {deadline})").format(
            span=_span(-left), deadline=deadline
        )
    else:
        text = _("deadline {deadline}, {span} left").format(deadline=deadline, span=_span(left))
    if row.error:
        text += " — " + with_cause(row.error, error_cause(row.error_detail, row.error))
    return text


def _span(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("{days} d {hours} h").format(days=days, hours=hours)
    return _("{hours} h {minutes} min").format(hours=hours, minutes=minutes)
