"""``guides print``: the reprint batches hall staff must post, and recording that they did."""

from __future__ import annotations

import click

from guidesrc.cli.common import local_time
from guidesrc.cli.options import pass_library, text_option
from guidesrc.i18n import N_, _
from guidesrc.services import printing as service
from guidesrc.services.library import Library, open_library


@click.group(
    name="print",
    help=N_("Printed sheets: the batches hall staff must post, and confirming that they did."),
)
def print_group() -> None:
    pass


@print_group.command(name="list", help=N_("List the batches not yet confirmed, oldest first."))
@pass_library(open_library, alias=True)
@click.option("--channel", metavar="NAME", help=N_("Only this channel's batches."))
def list_batches(library: Library, channel: str | None) -> None:
    found = service.batches(library, channel=channel)
    for h in found:
        deadline = local_time(h.deadline, library.zone) if h.deadline else "-"
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
@pass_library(open_library, alias=True)
@text_option("--by", N_("The hall staff member who posted it (required)."), metavar="NAME")
def done(token: str, library: Library, by: str | None) -> None:
    posted = service.posted(library, token, by=by or "")
    click.echo(
        _(
            "{token} confirmed by {by}; {count} delivery(ies) on {channel} closed (a guide's delivery closes once every batch that posts its sheet is confirmed)"
        ).format(token=token, by=posted.by, count=posted.closed, channel=posted.channel),
        err=True,
    )
    still = service.batches(library, channel=posted.channel)
    if still:
        click.echo(
            _("still to post on {channel}: {batches}").format(
                channel=posted.channel,
                batches="、".join(f"{h.token}（{h.title}）" for h in still),
            ),
            err=True,
        )
