"""``guides withdraw``: one person requests a guide's withdrawal, another approves it."""

from __future__ import annotations

import click

from guidesrc.cli.common import local_time
from guidesrc.cli.options import pass_library, refused_by_option, text_option
from guidesrc.errors import ApprovalError
from guidesrc.i18n import N_, _
from guidesrc.services import withdraw as service
from guidesrc.services.library import Library, open_library


@click.command(
    help=N_(
        "Take a guide down from every channel, with the reason shown to the public: one person requests it (--reason), another approves it (--approve)."
    )
)
@click.argument("guide_id", metavar="ID")
@pass_library(open_library, alias=True)
@text_option("--reason", N_("Request: why it is withdrawn (public)."))
@click.option(
    "--approve", "approve", is_flag=True, help=N_("Approve the open request (another person).")
)
@click.option("--cancel", is_flag=True, help=N_("Cancel the open request."))
@refused_by_option
def withdraw(
    guide_id: str, library: Library, reason: str | None, approve: bool, cancel: bool
) -> None:
    if sum((reason is not None, approve, cancel)) != 1:
        raise ApprovalError(
            _(
                "give one of --reason TEXT (request a withdrawal), --approve (approve the open request, by another person) or --cancel"
            )
        )
    if cancel:
        dropped = service.cancel(library, guide_id)
        click.echo(
            _("withdrawal request #{request} of {id} cancelled").format(
                request=dropped.id, id=guide_id
            ),
            err=True,
        )
    elif reason is not None:
        request = service.request(library, guide_id, reason=reason)
        click.echo(
            _(
                "withdrawal of {id} requested (#{request}, by {by}); nothing is taken down until another person approves it: guides withdraw {id} --approve"
            ).format(id=guide_id, request=request.id, by=request.requested_by),
            err=True,
        )
    else:
        done = service.approve(library, guide_id)
        request = done.withdrawal.request
        click.echo(
            _(
                "{id} withdrawn (v{version}; requested by {requester}, approved by {by}, reason: {reason}); run guides publish to take it down from every channel, by {deadline}"
            ).format(
                id=guide_id,
                version=done.withdrawal.version,
                requester=request.requested_by,
                by=done.by,
                reason=request.reason,
                deadline=local_time(done.deadline, library.zone),
            ),
            err=True,
        )
