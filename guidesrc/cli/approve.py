"""``guides approve``: record the pending changes as approved versions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import click

from guidesrc.cli.common import (
    library_config,
    local_time,
    open_for_command,
    utcnow,
)
from guidesrc.cli.options import (
    date_range_problem,
    free_text,
    library_argument,
    refused_by_option,
)
from guidesrc.errors import ApprovalError, StateInvalidError
from guidesrc.i18n import N_, _
from guidesrc.worktree import working_state

if TYPE_CHECKING:
    from guidesrc.approve import Approved, Pending


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
    from guidesrc.config_in_force import after_approval
    from guidesrc.library import find_root
    from guidesrc.workdays import load_calendar

    root = find_root(library)
    _check_force(force, reason)
    config = library_config(root)
    zone = ZoneInfo(config.timezone)
    now = utcnow()
    effective_date = _effective(effective, now.astimezone(zone).date())
    ledger = open_for_command(root)
    # Before any work: a key not on the approved approvers list is refused at once.
    approver = current_approver(root, now, ledger)
    _require_no_errors(root)
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
    _echo_approved(done, pending, who, effective_date, local_time(deadline, zone))
    _withdrawn_note(pending.withdrawn_present)


def _check_force(force: bool, reason: str | None) -> None:
    """``--force`` needs ``--reason``, and ``--reason`` goes only with ``--force``."""
    if force and not (reason and reason.strip()):
        raise ApprovalError(_("--force needs --reason: say why four eyes cannot apply"))
    if reason and not force:
        raise ApprovalError(_("--reason goes with --force"))


def _require_no_errors(root: Path) -> None:
    """An approval needs a library that `guides check` passes."""
    from guidesrc.check.engine import check_library

    report = check_library(root)
    if report.errors:
        raise StateInvalidError(
            _(
                "the library has {count} error(s) in `guides check`; an approval needs a library without errors: fix them first"
            ).format(count=report.errors)
        )


def _echo_approved(
    done: Approved, pending: Pending, who: str, effective_date: dt.date, deadline: str
) -> None:
    """The versions recorded (stdout) and what the approval means (stderr)."""
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
            deadline=deadline,
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
