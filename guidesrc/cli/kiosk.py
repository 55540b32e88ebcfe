"""``guides kiosk``: the hall's touch-screen kiosk, on 127.0.0.1 and ::1 (see docs/kiosk.md)."""

from __future__ import annotations

import click

from guidesrc.cli.options import pass_library, port_option, repeatable
from guidesrc.cli.serving import serving, start_listening
from guidesrc.i18n import N_, _
from guidesrc.kiosk.server import Kiosk, start_kiosk
from guidesrc.services.kiosk import kiosk as kiosk_app
from guidesrc.services.library import Library, open_library
from guidesrc.web.server import LOOPBACK


@click.command(
    help=N_(
        "Serve the touch-screen kiosk of a hall: find, read and print the guides of the last published print bundle."
    )
)
@pass_library(open_library)
@click.option("--queue", required=True, metavar="NAME", help=N_("The CUPS queue it prints on."))
@click.option(
    "--channel",
    metavar="NAME",
    help=N_("The pdf channel whose sheets it serves (default: the library's only pdf channel)."),
)
@click.option(
    "--server",
    metavar="HOST:PORT",
    help=N_("The CUPS server (default: CUPS_SERVER, else the local CUPS)."),
)
@repeatable(
    "--host",
    "hosts",
    "ADDRESS",
    N_("Address to listen on; repeatable (default: 127.0.0.1 and ::1)."),
)
@port_option(8080)
def kiosk(
    library: Library,
    queue: str,
    channel: str | None,
    server: str | None,
    hosts: tuple[str, ...],
    port: int,
) -> None:
    app = kiosk_app(library, queue=queue, channel=channel, server=server)
    with serving(
        start_listening(lambda: start_kiosk(app, hosts or LOOPBACK, port), port)
    ) as running:
        click.echo(
            _(
                "kiosk of {count} guide(s) from {folder}, printing on {queue}, at {urls} (Ctrl-C stops)"
            ).format(
                count=len(running.catalog.entries),
                folder=app.bundle.folder,
                queue=queue,
                urls=" ".join(running.urls),
            ),
            err=True,
        )
        for note in _start_notes(app, len(running.catalog.entries)):
            click.echo(_("warning: {message}").format(message=note), err=True)


def _start_notes(app: Kiosk, guides: int) -> list[str]:
    """What hall staff must know before citizens use it: nothing to show, a printer not ready."""
    notes = list(app.notes)
    if guides == 0:
        notes.insert(
            0,
            _(
                "the kiosk has no guides to show: the pdf channel {channel} has published no sheets yet; run guides approve and guides publish (the kiosk shows them as soon as they are published)"
            ).format(channel=app.bundle.channel),
        )
    return notes
