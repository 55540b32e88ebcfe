"""``guides report``: what was approved, published and printed in a period."""

from __future__ import annotations

from pathlib import Path

import click

from guidesrc.cli.options import date_option, format_option, pass_library
from guidesrc.i18n import N_, _
from guidesrc.report import Report
from guidesrc.report.render import as_csv, html
from guidesrc.services import report as service
from guidesrc.services.library import Day, Library, open_library


@click.command(
    help=N_(
        "Figures for the annual report (政府信息公开年度报告): changes approved and published, major vs minor, on-time rate per channel, late items and withdrawals."
    )
)
@pass_library(open_library)
@click.option(
    "--year", type=click.IntRange(2000, 2999), help=N_("A calendar year (default: this year).")
)
@date_option("--from", "start", help=N_("First day of the period (YYYY-MM-DD)."))
@date_option("--to", "end", help=N_("Last day of the period (YYYY-MM-DD)."))
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
    library: Library,
    year: int | None,
    start: Day | None,
    end: Day | None,
    fmt: str,
    output: Path | None,
) -> None:
    built = service.report(library, year=year, start=start, end=end)
    if fmt == "html":
        text = html(built, library.config.name)
    elif fmt == "csv":
        text = as_csv(built)
    else:
        text = _report_text(built)
    if output is not None:
        output.write_text(text, encoding="utf-8", newline="")
        click.echo(_("written to {path}").format(path=output), err=True)
    else:
        click.echo(text, nl=False)


def _report_text(r: Report) -> str:
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
