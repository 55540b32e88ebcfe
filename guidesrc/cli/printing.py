"""``guides print``: the reprint batches hall staff must post, and recording that they did."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from guidesrc.cli.common import local_time, open_for_command
from guidesrc.cli.options import free_text, library_option
from guidesrc.i18n import N_, _


@click.group(
    name="print",
    help=N_("Printed sheets: the batches hall staff must post, and confirming that they did."),
)
def print_group() -> None:
    pass


@print_group.command(name="list", help=N_("List the batches not yet confirmed, oldest first."))
@library_option
@click.option("--channel", metavar="NAME", help=N_("Only this channel's batches."))
def list_batches(library: Path, channel: str | None) -> None:
    from guidesrc.library import find_root
    from guidesrc.print.handover import open_handovers
    from guidesrc.workdays import read_config

    root = find_root(library)
    zone = ZoneInfo(read_config(root).timezone)
    found = open_handovers(open_for_command(root), channel)
    for h in found:
        deadline = local_time(h.deadline, zone) if h.deadline else "-"
        click.echo(
            "\t".join(
                [
                    h.token,
                    h.channel,
                    h.title,
                    _("{count} guide(s)").format(count=h.deliveries),
                    _("deadline {deadline}").format(deadline=deadline),
                    str(h.detail.get("file", "")),
                ]
            ).rstrip()
        )
    click.echo(_("{count} batch(es) to post").format(count=len(found)), err=True)


@print_group.command(
    name="done", help=N_("Record that hall staff posted batch TOKEN (closes its deliveries).")
)
@click.argument("token")
@click.option(
    "--by",
    metavar="NAME",
    callback=free_text,
    help=N_("The hall staff member who posted it (required)."),
)
@library_option
def done(token: str, by: str | None, library: Path) -> None:
    from guidesrc.errors import ApprovalError
    from guidesrc.identity import display_name, identity_key
    from guidesrc.library import find_root
    from guidesrc.print.handover import confirm

    who = display_name(by or "")
    if not identity_key(who):
        raise ApprovalError(
            _(
                "print done needs --by NAME: the hall staff member who posted the batch, by name (it is not taken from git or the computer's account)"
            )
        )
    root = find_root(library)
    channel, closed = confirm(open_for_command(root), token, who, dt.datetime.now(dt.UTC))
    click.echo(
        _("{token} confirmed by {by}; {count} delivery(ies) on {channel} closed").format(
            token=token, by=who, count=closed, channel=channel
        ),
        err=True,
    )
