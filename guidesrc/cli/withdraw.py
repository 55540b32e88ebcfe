"""``guides withdraw``: one person requests a guide's withdrawal, another approves it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from guidesrc.cli.common import configuration_in_force, local_time, open_for_command
from guidesrc.cli.options import free_text, library_option, refused_by_option
from guidesrc.errors import ApprovalError
from guidesrc.i18n import N_, _


@click.command(
    help=N_(
        "Take a guide down from every channel, with the reason shown to the public: one person requests it (--reason), another approves it (--approve)."
    )
)
@click.argument("guide_id", metavar="ID")
@click.option(
    "--reason",
    metavar="TEXT",
    callback=free_text,
    help=N_("Request: why it is withdrawn (public)."),
)
@click.option(
    "--approve", "approve", is_flag=True, help=N_("Approve the open request (another person).")
)
@click.option("--cancel", is_flag=True, help=N_("Cancel the open request."))
@refused_by_option
@library_option
def withdraw(guide_id: str, reason: str | None, approve: bool, cancel: bool, library: Path) -> None:
    from guidesrc.approvers import current_approver
    from guidesrc.library import find_root
    from guidesrc.withdrawals import approve_withdrawal, cancel_withdrawal, request_withdrawal

    if sum((reason is not None, approve, cancel)) != 1:
        raise ApprovalError(
            _(
                "give one of --reason TEXT (request a withdrawal), --approve (approve the open request, by another person) or --cancel"
            )
        )
    root = find_root(library)
    now = dt.datetime.now(dt.UTC)
    ledger = open_for_command(root)
    who = current_approver(root, now, ledger)
    settings = configuration_in_force(root, ledger)  # the approved channels and calendar
    config = settings.config
    if cancel:
        dropped = cancel_withdrawal(ledger, guide_id, who, now)
        click.echo(
            _("withdrawal request #{request} of {id} cancelled").format(
                request=dropped.id, id=guide_id
            ),
            err=True,
        )
        return
    if reason is not None:
        request = request_withdrawal(ledger, guide_id, reason, who, now)
        click.echo(
            _(
                "withdrawal of {id} requested (#{request}, by {by}); nothing is taken down until another person approves it: guides withdraw {id} --approve"
            ).format(id=guide_id, request=request.id, by=request.requested_by),
            err=True,
        )
        return
    deadline = settings.calendar().deadline(now)
    done = approve_withdrawal(
        ledger, guide_id, who, now, deadline, config.channels, config.timezone
    )
    click.echo(
        _(
            "{id} withdrawn (v{version}; requested by {requester}, approved by {by}, reason: {reason}); run guides publish to take it down from every channel, by {deadline}"
        ).format(
            id=guide_id,
            version=done.version,
            requester=done.request.requested_by,
            by=who.name,
            reason=done.request.reason,
            deadline=local_time(deadline, ZoneInfo(config.timezone)),
        ),
        err=True,
    )
