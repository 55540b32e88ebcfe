"""The ledger commands: ``guides approve``, ``publish``, ``withdraw``, ``status`` and ``log``."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import click
import orjson

from guidesrc.cli_options import (
    date_range_problem,
    free_text,
    library_argument,
    refused_by_option,
)
from guidesrc.errors import ApprovalError, ChannelError, StateInvalidError
from guidesrc.i18n import N_, _

if TYPE_CHECKING:
    from guidesrc.config_in_force import InForce
    from guidesrc.ledger import Ledger
    from guidesrc.model.library import LibraryConfig
    from guidesrc.parsecache import ParseCache
    from guidesrc.state import LibraryState

_DAY = dt.timedelta(days=1)

ACTIONS = {
    "publish": N_("publish"),
    "announce": N_("announce upcoming"),
    "activate": N_("switch to the new version"),
    "withdraw": N_("withdraw"),
}
STATUSES = {
    "queued": N_("pending"),
    "scheduled": N_("scheduled"),
    "sending": N_("sending"),
    "delivered": N_("delivered"),
    "failed": N_("failed"),
    "awaiting": N_("awaiting confirmation"),
}
EVENTS = {
    "approval": N_("approval"),
    "approval.forced": N_("approval (four eyes overridden)"),
    "approved": N_("approved"),
    "withdrawn": N_("withdrawn"),
    "withdrawal.requested": N_("withdrawal requested"),
    "withdrawal.cancelled": N_("withdrawal request cancelled"),
    "delivered": N_("delivered"),
    "delivery.failed": N_("delivery failed"),
    "queued.new-channel": N_("queued for a new channel"),
    "awaiting": N_("handed over, awaiting confirmation"),
    "handover.done": N_("handover confirmed"),
    "manifest.failed": N_("signed manifest not written"),
}


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def local_time(moment: dt.datetime, zone: ZoneInfo, *, end: bool = True) -> str:
    """``2026-09-30 16:00`` in the library's zone; a midnight that ends a day (a deadline) as
    ``2026-10-08 24:00``, one that starts a day (``end=False``) as ``2026-10-09 00:00``."""
    local = moment.astimezone(zone)
    if end and local.time() == dt.time(0):
        return f"{(local.date() - _DAY).isoformat()} 24:00"
    return local.strftime("%Y-%m-%d %H:%M")


def _config(root: Path) -> LibraryConfig:
    from guidesrc.workdays import read_config

    return read_config(root)


def open_for_command(root: Path) -> Ledger:
    """The library's ledger, closed when the command ends."""
    from guidesrc.ledger import open_ledger

    ledger = open_ledger(root)
    click.get_current_context().call_on_close(ledger.close)
    return ledger


@click.command(help=N_("Approve the pending changes (all, or the guides named with --guide)."))
@library_argument
@click.option(
    "--guide",
    "guides",
    multiple=True,
    metavar="ID",
    help=N_("Approve only this guide; repeatable."),
)
@refused_by_option
@click.option(
    "--effective",
    metavar="DATE",
    required=True,
    help=N_("具体实施时间: when the changes take effect, today or later (YYYY-MM-DD, or today)."),
)
@click.option(
    "--note",
    default="",
    metavar="TEXT",
    callback=free_text,
    help=N_("Change note; required for 实质性变更."),
)
@click.option(
    "--change-set",
    "expect",
    metavar="ID",
    help=N_("The change set you reviewed (from guides diff --published); refuse anything else."),
)
@click.option(
    "--force", is_flag=True, help=N_("Approve your own edits (four eyes); needs --reason.")
)
@click.option(
    "--reason",
    metavar="TEXT",
    callback=free_text,
    help=N_("Why --force is needed; kept in the log."),
)
def approve(
    library: Path,
    guides: tuple[str, ...],
    effective: str,
    note: str,
    expect: str | None,
    force: bool,
    reason: str | None,
) -> None:
    from guidesrc.approve import Decision, pending_changes, record_approval
    from guidesrc.approvers import current_approver
    from guidesrc.check.engine import check_library
    from guidesrc.config_in_force import after_approval
    from guidesrc.library import find_root
    from guidesrc.workdays import load_calendar

    root = find_root(library)
    if force and not (reason and reason.strip()):
        raise ApprovalError(_("--force needs --reason: say why four eyes cannot apply"))
    if reason and not force:
        raise ApprovalError(_("--reason goes with --force"))
    config = _config(root)
    zone = ZoneInfo(config.timezone)
    now = _utcnow()
    effective_date = _effective(effective, now.astimezone(zone).date())
    ledger = open_for_command(root)
    # Before any work: a key not on the approved approvers list is refused at once.
    approver = current_approver(root, now, ledger)
    report = check_library(root)
    if report.errors:
        raise StateInvalidError(
            _(
                "the library has {count} error(s) in `guides check`; an approval needs a library without errors: fix them first"
            ).format(count=report.errors)
        )
    load_calendar(root, config).deadline(now)  # the working calendar must know the year too
    state, cache = working_state(root)
    pending = pending_changes(state, ledger, guides, config.change_policy)
    cache.flush()
    if not pending:
        click.echo(_("nothing to approve: every guide is as approved"), err=True)
        _withdrawn_note(pending.withdrawn_present)
        return
    settings = after_approval(root, ledger, pending.config)  # channels and calendar to apply
    deadline = settings.calendar().deadline(now)  # refuses before anything is recorded
    who = approver.name
    decision = Decision(
        by=who,
        note=note,
        effective_date=effective_date,
        now=now,
        deadline=deadline,
        force_reason=reason.strip() if force and reason else None,
        expect=expect,
        approver=approver,
    )
    done = record_approval(root, state, ledger, pending, decision, settings.config.channels)
    for guide_id, number in done.versions:
        click.echo(f"{guide_id}\tv{number}")
    click.echo(
        _(
            "approved {count} guide(s) as approval #{id} by {by}, in effect from {date}; {deliveries} deliveries queued, to be public by {deadline}: run guides publish"
        ).format(
            count=len(done.versions),
            id=done.approval_id,
            by=who,
            date=effective_date.isoformat(),
            deliveries=done.publications,
            deadline=local_time(deadline, zone),
        ),
        err=True,
    )
    if done.config_version is not None:
        click.echo(
            _(
                "configuration approved as version {version} ({files}): guides publish uses it from now on"
            ).format(
                version=done.config_version,
                files="、".join(pending.config.changed_files if pending.config else []),
            ),
            err=True,
        )
    if done.forced:
        click.echo(
            _("four eyes overridden (--force): the log records it with the reason"), err=True
        )
    _withdrawn_note(pending.withdrawn_present)


def _withdrawn_note(ids: list[str]) -> None:
    if ids:
        click.echo(
            _(
                "withdrawn and not approved again: {ids} (name them with --guide to publish them again)"
            ).format(ids="、".join(ids)),
            err=True,
        )


def _effective(value: str, today: dt.date) -> dt.date:
    if value.strip().lower() in ("today", "今天", "今日"):
        return today
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ApprovalError(
            _("--effective: {value} is not a date such as 2026-12-01 (or today)").format(
                value=value
            )
        ) from None
    if problem := date_range_problem(value, day):
        raise ApprovalError(f"--effective: {problem}")
    return day


def working_state(root: Path) -> tuple[LibraryState, ParseCache]:
    """The working tree as a library state, with the parse cache (flush it when done)."""
    from guidesrc.check.engine import code_fingerprint
    from guidesrc.library import STATE_DIR
    from guidesrc.parsecache import ParseCache
    from guidesrc.state import WorkingTree, load_state

    cache = ParseCache(root / STATE_DIR, code_fingerprint())
    return load_state(WorkingTree(root, label=_("working tree")), cache), cache


@click.command(
    help=N_("Deliver every approved version not yet delivered to every channel (run it from cron).")
)
@library_argument
@click.option(
    "--wait", is_flag=True, help=N_("If another publisher runs, wait for it instead of exiting.")
)
@click.option(
    "--retry-now",
    is_flag=True,
    help=N_("Retry failed deliveries now, without waiting out the backoff."),
)
@click.option(
    "--rebuild",
    metavar="CHANNEL",
    help=N_(
        "Rewrite a file channel from the ledger's approved versions and sign it (after files were planted or changed in its folder); the old folder is kept under .guides/quarantine."
    ),
)
def publish(library: Path, wait: bool, retry_now: bool, rebuild: str | None) -> None:
    from guidesrc.library import find_root
    from guidesrc.publisher import channel_adapters
    from guidesrc.publisher import publish as run

    root = find_root(library)
    ledger = open_for_command(root)
    settings = _in_force(root, ledger, warn=True)
    adapters = channel_adapters(root, settings.config, settings.library_yaml())
    if not adapters:
        raise ChannelError(
            _(
                "library.yaml: channels: no channel is configured, so there is nowhere to publish; add one, e.g. a directory channel (see README)"
            )
        )
    if rebuild is not None:
        from guidesrc.cli_recovery import run_rebuild

        return run_rebuild(root, adapters, rebuild, wait)
    report = run(
        ledger,
        adapters,
        deadline_for=_deadline_function(settings),
        timezone=settings.config.timezone,
        wait=wait,
        retry_now=retry_now,
    )
    if report.locked_out:
        click.echo(
            _(
                "another guides publish is running; this one stops without publishing (use --wait to wait for it)"
            ),
            err=True,
        )
        return
    for o in report.outcomes:
        if o.handed_over:
            line = _("to post\t{guide} v{version}\t{channel}\t{action}\t{batches}")
        elif o.ok:
            line = _("delivered\t{guide} v{version}\t{channel}\t{action}")
        else:
            line = _("failed\t{guide} v{version}\t{channel}\t{action}\t{error}")
        fields = {"guide": o.guide_id, "version": o.version, "channel": o.channel}
        click.echo(
            line.format(**fields, action=_(ACTIONS[o.action]), batches=o.detail, error=o.detail)
        )
    _warn_unsigned(root, adapters)
    click.echo(
        _("{delivered} delivered, {failed} failed, {later} still open").format(
            delivered=len(report.delivered), failed=len(report.failed), later=report.later
        ),
        err=True,
    )
    handed = sum(o.handed_over for o in report.outcomes)
    if handed:
        click.echo(
            _(
                "{count} of them printed in reprint batches for hall staff to post: see guides print list, then guides print done BATCH"
            ).format(count=handed),
            err=True,
        )
    if report.refused:
        from guidesrc.cli_recovery import echo_refused

        echo_refused(report.refused, adapters)
    if report.failed or report.refused:
        sys.exit(1)


def _warn_unsigned(root: Path, adapters: dict[str, Any]) -> None:
    """File channels get a signed manifest only when a signing key is configured."""
    from guidesrc.signing import SigningKeyError, signing_key

    if not any("path" in type(a.settings).model_fields for a in adapters.values()):
        return
    try:
        key = signing_key(root)
    except SigningKeyError:
        return  # the publisher logged the problem; `guides keys status` explains it
    if key is None:
        click.echo(
            _(
                "no signing key: the channels' folders get no signed manifest, so `guides verify` cannot prove them; create one with guides keys init"
            ),
            err=True,
        )


def _deadline_function(settings: InForce) -> Callable[[dt.datetime], dt.datetime]:
    def deadline_for(moment: dt.datetime) -> dt.datetime:
        return settings.calendar().deadline(moment)

    return deadline_for


def _in_force(root: Path, ledger: Ledger, *, warn: bool = False) -> InForce:
    """The approved configuration (the working tree's until the first approval records it)."""
    from guidesrc.config_in_force import approvals_recorded, in_force

    settings = in_force(root, ledger)
    if warn and not settings.approved and approvals_recorded(ledger):
        click.echo(
            _(
                "no approved configuration in the ledger yet: library.yaml and calendar.yaml are used as they are; the next guides approve records them for review"
            ),
            err=True,
        )
    return settings


@click.command(help=N_("Each guide's deliveries per channel: pending, delivered, failed, overdue."))
@library_argument
@click.option(
    "--guide", "guides", multiple=True, metavar="ID", help=N_("Only this guide; repeatable.")
)
@click.option("--all", "everything", is_flag=True, help=N_("Also older versions' deliveries."))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help=N_("text: for people; json: for monitoring."),
)
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
    from guidesrc.library import find_root
    from guidesrc.status import status_rows

    root = find_root(library)
    ledger = open_for_command(root)
    config = _in_force(root, ledger).config
    zone = ZoneInfo(config.timezone)
    now = _utcnow()
    rows = status_rows(ledger, now, guides, everything)
    overdue = [r for r in rows if r.overdue(now)]
    margin = dt.timedelta(hours=warn_within)
    at_risk = [r for r in rows if r.at_risk(now, margin)]
    printed = _print_summary(ledger, config, now.astimezone(zone).date())
    from guidesrc.recovery import alerts

    unsigned = alerts(ledger, sorted(config.channels))
    if fmt == "json":
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
    else:
        use_color = sys.stdout.isatty() if color is None else color
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
            click.echo(
                click.style(line, fg=colour) if colour and use_color else line, color=use_color
            )
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
        for line in [*_print_lines(printed), *unsigned]:
            click.echo(line, err=True)
    if overdue or at_risk or unsigned:
        sys.exit(1)


def _print_summary(ledger: Ledger, config: LibraryConfig, today: dt.date) -> Any:
    """Pages printed in the last 30 days and the reprint batches not posted yet."""
    from guidesrc.printing.stats import print_summary

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

        text += " — " + _with_cause(row.error, error_cause(row.error_detail))
    return text


def _with_cause(error: str, cause: str) -> str:
    """The reason for staff, then the technical cause for IT (when there is one)."""
    return _("{error} (cause: {cause})").format(error=error, cause=cause) if cause else error


def _span(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("{days} d {hours} h").format(days=days, hours=hours)
    return _("{hours} h {minutes} min").format(hours=hours, minutes=minutes)


@click.command(name="log", help=N_("The history of a guide, or of the whole library."))
@library_argument
@click.option("--guide", metavar="ID", help=N_("Only this guide's events."))
@click.option("--limit", type=click.IntRange(1), metavar="N", help=N_("Only the last N events."))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help=N_("text: for people; json: for programs."),
)
def log(library: Path, guide: str | None, limit: int | None, fmt: str) -> None:
    from guidesrc.library import find_root
    from guidesrc.status import event_detail, events

    root = find_root(library)
    ledger = open_for_command(root)
    zone = ZoneInfo(_in_force(root, ledger).config.timezone)
    found = events(ledger, guide, limit)
    if fmt == "json":
        body = [
            {
                "at": e.at.isoformat(),
                "actor": e.actor,
                "kind": e.kind,
                "guide": e.guide_id,
                "version": e.version,
                "channel": e.channel,
                "detail": event_detail(e),
            }
            for e in found
        ]
        click.echo(orjson.dumps(body, option=orjson.OPT_INDENT_2).decode())
        return
    for e in found:
        what = _(EVENTS.get(e.kind, e.kind))
        target = f"{e.guide_id} v{e.version}" if e.guide_id else ""
        detail = event_detail(e)
        extra = _event_extra(e.kind, detail)
        parts = [local_time(e.at, zone), e.actor, what, target, e.channel or "", extra]
        click.echo("\t".join(parts).rstrip())


def _event_extra(kind: str, detail: dict[str, Any]) -> str:
    if kind.startswith("approval"):
        text = _("{guides} guide(s), change set {id}").format(
            guides=detail.get("guides"), id=detail.get("change_set")
        )
        if detail.get("config"):
            text += _(", configuration version {version}").format(version=detail["config"])
        if detail.get("note"):
            text += _(", note: {note}").format(note=detail["note"])
        if detail.get("reason"):
            text += _(", forced because: {reason}").format(reason=detail["reason"])
        return text
    if kind == "delivered":
        return _(ACTIONS.get(str(detail.get("action")), ""))
    if kind == "delivery.failed":
        error = _with_cause(str(detail.get("error")), str(detail.get("cause") or ""))
        return f"{_(ACTIONS.get(str(detail.get('action')), ''))}: {error}"
    if kind == "withdrawn" and detail.get("requested_by"):
        return _("{reason} (requested by {by})").format(
            reason=detail.get("reason", ""), by=detail["requested_by"]
        )
    if kind in ("withdrawn", "withdrawal.requested"):
        return str(detail.get("reason", ""))
    if kind == "approved":
        return _("effective {date}").format(date=detail.get("effective_date"))
    return ""


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
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "html", "csv"]),
    default="text",
    show_default=True,
    help=N_("text: the figures; html: a page with a chart; csv: one row per delivery."),
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
    from guidesrc.library import find_root
    from guidesrc.report import build_report
    from guidesrc.report.render import as_csv, html

    root = find_root(library)
    ledger = open_for_command(root)
    config = _in_force(root, ledger).config
    zone = ZoneInfo(config.timezone)
    now = _utcnow()
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


COMMANDS = [approve, publish, status, log, report]
