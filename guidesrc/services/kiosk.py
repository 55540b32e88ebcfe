"""The hall's touch-screen kiosk: the guides of a pdf channel's last published print bundle,
printed on a CUPS queue (docs/kiosk.md)."""

from __future__ import annotations

import re

from guidesrc.adapters import adapter_types, make_adapter
from guidesrc.adapters.printer import QUEUE_PATTERN
from guidesrc.errors import ChannelError, PrintProblem, QueueMissing
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
    channel = _pdf_channel(pdf, channel)
    folder = make_adapter(library.root, config, channel).folder  # handed the configuration in force
    assert folder is not None  # a printable channel is a file channel
    printer = Queue(queue, server)
    warnings = _queue_warnings(printer)
    return Kiosk(
        bundle=Bundle(folder, library.root, channel),
        queue=printer,
        notes=warnings,
        ledger=library.ledger,
        base_url=config.base_url,
        timezone=config.timezone,
    )


def _pdf_channel(pdf: set[str], channel: str | None) -> str:
    """The pdf channel the kiosk serves: the one named, else the library's only one."""
    if not pdf:
        raise ChannelError(
            _(
                "the library has no pdf channel, so the kiosk has no sheets to show or print: add one to library.yaml (channels: print: type: pdf, settings: path: .guides/print), run guides approve and guides publish, then start the kiosk (docs/kiosk.md)"
            )
        )
    if channel is None and len(pdf) == 1:
        return next(iter(pdf))
    if channel is None:
        raise ChannelError(
            _(
                "the library has several pdf channels: name the one to serve with --channel ({names})"
            ).format(names=", ".join(sorted(pdf)))
        )
    if channel not in pdf:
        raise ChannelError(
            _(
                "--channel {channel} is not a pdf channel of the library; its pdf channels: {names}"
            ).format(channel=channel, names=", ".join(sorted(pdf)))
        )
    return channel


def _queue_warnings(printer: Queue) -> list[str]:
    """A queue that does not exist is refused before the kiosk starts; one paused or a print
    server out of reach is said (the kiosk starts: citizens can still find and read guides)."""
    try:
        printer.ready()
    except QueueMissing as exc:
        raise ChannelError(
            _(
                "--queue {queue}: there is no such print queue on the print server ({server}): add it there (lpadmin -p {queue} …), or start the kiosk with the name of a queue that exists (lpstat -p lists them)"
            ).format(queue=printer.name, server=printer.server)
        ) from exc
    except PrintProblem as exc:
        return [_("the kiosk cannot print yet: {problem}").format(problem=exc.message)]
    return []
