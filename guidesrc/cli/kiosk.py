"""``guides kiosk``: the hall's touch-screen kiosk, on 127.0.0.1 and ::1 (see docs/kiosk.md)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import click

from guidesrc.cli.common import start_listening
from guidesrc.cli.options import library_argument
from guidesrc.errors import ChannelError
from guidesrc.i18n import N_, _

if TYPE_CHECKING:
    from guidesrc.kiosk.server import Kiosk


@click.command(
    help=N_(
        "Serve the touch-screen kiosk of a hall: find, read and print the guides of the last published print bundle."
    )
)
@library_argument
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
@click.option(
    "--host",
    "hosts",
    multiple=True,
    metavar="ADDRESS",
    help=N_("Address to listen on; repeatable (default: 127.0.0.1 and ::1)."),
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8080,
    show_default=True,
    help=N_("Port to listen on (0: any free port)."),
)
def kiosk(
    library: Path,
    queue: str,
    channel: str | None,
    server: str | None,
    hosts: tuple[str, ...],
    port: int,
) -> None:
    from guidesrc.adapters.printer import QUEUE_PATTERN
    from guidesrc.config_in_force import in_force
    from guidesrc.kiosk.server import Kiosk, start_kiosk
    from guidesrc.ledger import open_ledger
    from guidesrc.library import find_root
    from guidesrc.print.bundle import Bundle
    from guidesrc.print.queue import Queue
    from guidesrc.web.server import LOOPBACK

    root = find_root(library)
    ledger = open_ledger(root)
    config = in_force(root, ledger).config  # the channels as approved, not as edited since
    if not re.match(QUEUE_PATTERN, queue):
        raise ChannelError(_("--queue: {queue} is not a CUPS queue name").format(queue=queue))
    pdf = {name: c for name, c in config.channels.items() if c.type == "pdf"}
    if channel is None and len(pdf) == 1:
        channel = next(iter(pdf))
    if channel not in pdf:
        raise ChannelError(
            _("name the pdf channel to serve with --channel: one of {names}").format(
                names=", ".join(sorted(pdf)) or "-"
            )
        )
    folder = root / str(pdf[channel].settings["path"])
    kiosk_app = Kiosk(
        bundle=Bundle(folder, root, channel),
        queue=Queue(queue, server),
        ledger=ledger,
        base_url=config.base_url,
        timezone=config.timezone,
    )
    start_listening(lambda: start_kiosk(kiosk_app, hosts or LOOPBACK, port), port)
    _serve(kiosk_app, folder, queue)


def _serve(kiosk_app: Kiosk, folder: Path, queue: str) -> None:
    """Answer until Ctrl-C or SIGTERM, then stop within a bound."""
    from guidesrc.web.server import wait_for_stop

    try:
        kiosk_app.serve()
        click.echo(
            _(
                "kiosk of {count} guide(s) from {folder}, printing on {queue}, at {urls} (Ctrl-C stops)"
            ).format(
                count=len(kiosk_app.catalog.entries),
                folder=folder,
                queue=queue,
                urls=" ".join(kiosk_app.urls),
            ),
            err=True,
        )
        wait_for_stop()
    finally:
        kiosk_app.close()
