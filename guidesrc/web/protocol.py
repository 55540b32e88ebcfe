"""uvicorn's HTTP/1.1 protocol (h11, pure Python) with a bound on slow clients.

uvicorn closes a keep-alive connection left idle after an answer (``timeout_keep_alive``), but
arms no timer before the first request, and cancels that one at the first byte of the next: a
client that connects and sends nothing, or sends a request a byte at a time, holds its connection
(and a place under the connection cap) for ever. This protocol gives every request a deadline:
it must arrive in full (head and body) within ``request_timeout`` seconds of the connection
opening or of the previous answer, and a client that stops reading an answer is cut after the
same time. Then the connection is closed; nothing else changes.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol


class Config(uvicorn.Config):
    """uvicorn's configuration plus the request deadline (seconds)."""

    def __init__(self, *args: Any, request_timeout: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request_timeout = request_timeout


class BoundedH11Protocol(H11Protocol):
    _deadline: asyncio.TimerHandle | None = None
    _write_deadline: asyncio.TimerHandle | None = None

    @property
    def _timeout(self) -> float:
        config = self.config
        return config.request_timeout if isinstance(config, Config) else 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self._write_deadline is not None:
            self._write_deadline.cancel()
            self._write_deadline = None
        super().connection_lost(exc)

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state is not h11.IDLE and self.conn.their_state is not h11.SEND_BODY:
            self._disarm()  # the request is in (or the connection is ending)

    def on_response_complete(self) -> None:
        if not self.transport.is_closing():
            self._arm()  # before the next request is read (a pipelined one may be in already)
        super().on_response_complete()

    def pause_writing(self) -> None:
        super().pause_writing()
        if self._write_deadline is None:
            self._write_deadline = self.loop.call_later(self._timeout, self._expire)

    def resume_writing(self) -> None:
        if self._write_deadline is not None:
            self._write_deadline.cancel()
            self._write_deadline = None
        super().resume_writing()

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(self._timeout, self._expire)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.transport.close()
