"""What the server commands (``guides serve``, ``guides kiosk``) share: listening, serving until
Ctrl-C or SIGTERM, and stopping within a bound."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol, TypeVar

import click

from guidesrc.errors import GuidesError
from guidesrc.i18n import _
from guidesrc.web.server import wait_for_stop


class _Server(Protocol):
    warnings: list[str]

    def serve(self) -> None: ...

    def close(self) -> None: ...


_S = TypeVar("_S", bound=_Server)


def start_listening(start: Callable[[], _S], port: int) -> _S:
    """Start a server (``guides serve``, ``guides kiosk``): a port that cannot be had is a clean
    error; an address it could not listen on as well is said, not fatal."""
    try:
        server = start()
    except OSError as exc:
        raise GuidesError(
            _("cannot listen on port {port}: {reason}").format(
                port=port, reason=exc.strerror or exc
            )
        ) from exc
    for warning in server.warnings:
        click.echo(_("not listening on {address}").format(address=warning), err=True)
    return server


@contextmanager
def serving(server: _S) -> Iterator[_S]:
    """Serve; the body says where (stderr), then the server answers until Ctrl-C or SIGTERM, and
    is closed within a bound."""
    try:
        server.serve()
        yield server
        wait_for_stop()
    finally:
        server.close()
