"""The hall's touch-screen kiosk: the guides of a pdf channel's last published print bundle,
printed on a CUPS queue (docs/kiosk.md)."""

from __future__ import annotations

import re

from guidesrc.adapters import adapter_types, make_adapter
from guidesrc.adapters.printer import QUEUE_PATTERN
from guidesrc.errors import ChannelError
from guidesrc.i18n import _
from guidesrc.kiosk.server import Kiosk
from guidesrc.print.bundle import Bundle
from guidesrc.print.queue import Queue
from guidesrc.services.library import Library


def kiosk(
    library: Library, *, queue: str, channel: str | None = None, server: str | None = None
) -> Kiosk:
    """A kiosk (not listening yet) serving the sheets of the pdf ``channel`` (default: the
    library's only pdf channel) and printing on the CUPS ``queue`` of ``server`` (default:
    ``CUPS_SERVER``, else the local CUPS)."""
    config = library.config  # the channels as approved, not as edited since
    if not re.match(QUEUE_PATTERN, queue):
        raise ChannelError(_("--queue: {queue} is not a CUPS queue name").format(queue=queue))
    types = adapter_types()
    pdf = {n for n, c in config.channels.items() if c.type in types and types[c.type].printable}
    if channel is None and len(pdf) == 1:
        channel = next(iter(pdf))
    if channel not in pdf:
        raise ChannelError(
            _("name the pdf channel to serve with --channel: one of {names}").format(
                names=", ".join(sorted(pdf)) or "-"
            )
        )
    folder = make_adapter(library.root, config, channel).folder  # handed the configuration in force
    assert folder is not None  # a printable channel is a file channel
    return Kiosk(
        bundle=Bundle(folder, library.root, channel),
        queue=Queue(queue, server),
        ledger=library.ledger,
        base_url=config.base_url,
        timezone=config.timezone,
    )
