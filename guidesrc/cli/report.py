"""``guides report``: what was approved, published and printed in a period."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from guidesrc.cli.common import (
    open_ledger_view,
)
from guidesrc.cli.options import (
    date_range_problem,
    format_option,
    library_argument,
)
from guidesrc.errors import ApprovalError
from guidesrc.i18n import N_, _


@click.command(
    help=N_(
        "Figures for the annual report (政府信息公开年度报告): changes approved and published, major vs minor, on-time rate per channel, late items and withdrawals."
    )
)
@library_argument
@click.option(
    "--year", type=click.IntRange(2000, 2999), help=N_("A calendar year (default: this year).")
)
@click.option("--from", "start", metavar="DATE", help=N_("First day of the period (YYYY-MM-DD)."))
@click.option("--to", "end", metavar="DATE", help=N_("Last day of the period (YYYY-MM-DD)."))
@format_option(
    ["text", "html", "csv"],
    N_("text: the figures; html: a page with a chart; csv: one row per delivery."),
)
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path),
    help=N_("Write to this file instead of the screen."),
)
def report(
    library: Path,
    year: int | None,
    start: str | None,
    end: str | None,
    fmt: str,
    output: Path | None,
) -> None:
    from guidesrc.report import build_report
    from guidesrc.report.render import as_csv, html

    view = open_ledger_view(library)
    ledger, config, zone, now = view.ledger, view.config, view.zone, view.now
    today = now.astimezone(zone).date()
    if year is not None and (start or end):
        raise ApprovalError(_("give either --year or --from/--to, not both"))
    first = _day("--from", start) if start else dt.date(year or today.year, 1, 1)
    last = _day("--to", end) if end else (dt.date(year, 12, 31) if year else today)
    if last < first:
        raise ApprovalError(_("--to {end} is before --from {start}").format(end=last, start=first))
    built = build_report(ledger, first, last, zone, now)
    if fmt == "html":
        text = html(built, config.name)
    elif fmt == "csv":
        text = as_csv(built)
    else:
        text = _report_text(built)
    if output is not None:
        output.write_text(text, encoding="utf-8", newline="")
        click.echo(_("written to {path}").format(path=output), err=True)
    else:
        click.echo(text, nl=False)


def _day(option: str, value: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise ApprovalError(
            _("{option}: {value} is not a date such as 2026-12-01").format(
                option=option, value=value
            )
        ) from None
    if problem := date_range_problem(value, day):
        raise ApprovalError(f"{option}: {problem}")
    return day


def _report_text(r: Any) -> str:
    def pct(rate: float | None) -> str:
        return "—" if rate is None else f"{rate * 100:.1f}%"

    lines = [
        _("period: {start} to {end}").format(start=r.start, end=r.end),
        _(
            "approvals: {n}; guide changes: {changes} ({guides} guides; added {added}, changed {changed}, withdrawn {removed})"
        ).format(
            n=r.approvals,
            changes=sum(r.changes.values()),
            guides=r.guides,
            added=r.changes["added"],
            changed=r.changes["changed"],
            removed=r.changes["removed"],
        ),
        _("major changes: {major}; minor: {minor}").format(major=r.major, minor=r.minor),
        _("published on time: {rate}").format(rate=pct(r.rate)),
    ]
    for c in r.channels:
        lines.append(
            _(
                "  {channel}: {n} deliveries, {on_time} on time, {late} late, {pending} not yet due; {rate} on time"
            ).format(
                channel=c.channel,
                n=c.deliveries,
                on_time=c.on_time,
                late=c.late,
                pending=c.pending,
                rate=pct(c.rate),
            )
        )
    for d in r.late:
        lines.append(
            _("late: {guide} v{version} {channel}: {reason}").format(
                guide=d.guide_id, version=d.version, channel=d.channel, reason=d.reason
            )
        )
    for w in r.withdrawals:
        lines.append(
            _("withdrawn: {guide} ({name}): {reason}").format(
                guide=w.guide_id, name=w.name, reason=w.reason
            )
        )
    return "\n".join(lines) + "\n"
