"""The local web servers' stack: Starlette apps served by uvicorn on sockets bound here.

``guides serve`` and ``guides kiosk`` (and the editors' workbench to come) are built the same way:
:func:`make_app` makes the Starlette app from the server's routes, :func:`bind` binds its
listening sockets (127.0.0.1 and ::1 by default, one port), and :class:`WebServer` answers on them
in a thread of its own until :meth:`WebServer.stop`. What each of them gets:

- **a Host allow-list** (Starlette's ``TrustedHostMiddleware``): ``localhost``, ``127.0.0.1``,
  ``[::1]`` and the addresses it listens on. Any other ``Host`` (a page of another site whose name
  is made to resolve to 127.0.0.1 — DNS rebinding) gets 400 and a page saying why;
- **error pages in Chinese** for every refusal and failure (never an empty reply);
- **timeouts** (:class:`Limits`): a request must arrive in full within ``request`` seconds of the
  connection opening or of the previous answer, an idle keep-alive connection is closed after
  ``keep_alive`` seconds (see :mod:`guidesrc.web.protocol`);
- **a connection cap**: with ``connections`` connections open, a request gets 503;
- **a bounded stop**: the sockets close, idle connections are closed at once, requests in progress
  get ``shutdown`` seconds, and :meth:`WebServer.stop` returns within a bound whatever the clients
  do (a browser's keep-alive and pre-connected sockets included).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from types import FrameType
from typing import Any

import jinja2
import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from guidesrc.i18n import N_, _
from guidesrc.web.protocol import BoundedH11Protocol, Config

LOOPBACK = ("127.0.0.1", "::1")
log = logging.getLogger("guidesrc.web")

#: A page for a refusal or a failure: (status, heading, message) → the response.
PageMaker = Callable[[int, str, str], Response]

_HEADINGS = {
    400: N_("Bad request"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    405: N_("Bad request"),
    413: N_("Bad request"),
    414: N_("Bad request"),
    500: N_("Something went wrong"),
    503: N_("Busy, please try again"),
}
_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("guidesrc.web", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


@dataclass(frozen=True)
class Limits:
    """What one client may take of a server (seconds; connections)."""

    request: float = 10.0  # to send a whole request (and to read on when an answer is paused)
    keep_alive: int = 5  # an idle keep-alive connection is closed after this
    connections: int = 64  # open connections (and requests in progress) before 503
    shutdown: int = 3  # given to requests in progress when the server stops


def heading(status: int) -> str:
    """The page heading of an HTTP status, translated."""
    return _(_HEADINGS.get(status, N_("Something went wrong")))


def problem_page(status: int, title: str, message: str, problems: Sequence[str] = ()) -> Response:
    """The shared error page: a heading, what happened, and the problems (one a line)."""
    body = _TEMPLATES.get_template("problem.html").render(
        title=title, message=message, problems=list(problems), lang="zh-CN"
    )
    return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


def allowed_hosts(hosts: Iterable[str] = ()) -> list[str]:
    """Host names a local server answers to: the loopback names and ``hosts`` (IPv6 bracketed,
    as they appear in a ``Host`` header)."""
    names = ["localhost", "127.0.0.1", "[::1]"]
    for host in hosts:
        name = f"[{host}]" if ":" in host and not host.startswith("[") else host
        if name not in names and name not in ("0.0.0.0", "[::]"):
            names.append(name)
    return names


class HostAllowList(TrustedHostMiddleware):
    """Starlette's trusted-host check, with the refusal on the server's own page (in Chinese)
    instead of its plain-text "Invalid host header"."""

    def __init__(
        self, app: ASGIApp, allowed_hosts: Sequence[str], page: PageMaker, message: str
    ) -> None:
        async def passed(scope: Scope, receive: Receive, send: Send) -> None:
            scope["guidesrc.host_allowed"] = True
            await app(scope, receive, send)

        super().__init__(passed, allowed_hosts=allowed_hosts, www_redirect=False)
        self.page = page
        self.message = message

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        refused = False

        async def guarded(message: Message) -> None:
            nonlocal refused
            if scope.get("guidesrc.host_allowed"):
                await send(message)
            else:  # the middleware's own refusal: replaced below
                refused = True

        await super().__call__(scope, receive, guarded)
        if refused:
            await self.page(400, heading(400), self.message)(scope, receive, send)


def make_app(
    routes: Sequence[BaseRoute],
    hosts: Iterable[str] = (),
    page: PageMaker | None = None,
    refused_host: str | None = None,
) -> Starlette:
    """A Starlette app answering ``routes``, behind the Host allow-list (:func:`allowed_hosts`
    of ``hosts``), whose every refusal (400 for another Host, saying ``refused_host``; 404, 405
    …) and failure (500) is a page made by ``page`` (the shared page by default)."""
    shown: PageMaker = page or (lambda status, title, text: problem_page(status, title, text))
    host_message = refused_host or _(
        "The host name of this request does not belong to this computer; refused."
    )

    async def refusal(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        response = shown(status, heading(status), _(_MESSAGES.get(status, _REFUSED)))
        if isinstance(exc, HTTPException) and exc.headers:
            response.headers.update(exc.headers)
        return response

    async def failure(request: Request, exc: Exception) -> Response:
        # Starlette raises it on after this answer: uvicorn logs the traceback.
        return shown(500, heading(500), _(_MESSAGES[500]))

    return Starlette(
        routes=list(routes),
        middleware=[
            Middleware(
                HostAllowList, allowed_hosts=allowed_hosts(hosts), page=shown, message=host_message
            )
        ],
        exception_handlers={HTTPException: refusal, Exception: failure},
    )


_REFUSED = N_("The request could not be answered.")
_MESSAGES = {
    404: N_("There is no such page here."),
    405: N_("This page does not take that kind of request."),
    500: N_("The page could not be made. The error has been logged; please try again later."),
}


def bind(hosts: Sequence[str], port: int) -> tuple[list[socket.socket], list[str]]:
    """Listening sockets on every host, all on one port (0: the first host's free port). The
    first host must bind (its OSError is raised); another that cannot is left out, with a
    warning ``host:port: reason``."""
    sockets: list[socket.socket] = []
    warnings: list[str] = []
    for host in hosts:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        wanted = sockets[0].getsockname()[1] if sockets else port
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind((host, wanted))
            sock.listen(128)
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            if not sockets:
                raise
            shown = f"[{host}]" if ":" in host else host
            warnings.append(f"{shown}:{wanted}: {exc.strerror or exc}")
            continue
        sockets.append(sock)
    return sockets, warnings


class _Server(uvicorn.Server):
    """uvicorn's server, saying when it answers (or that it could not start)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets)
        finally:
            self.ready.set()


class WebServer:
    """An app answering on bound sockets, in a thread of its own, until :meth:`stop`."""

    def __init__(self, app: ASGIApp, sockets: list[socket.socket], limits: Limits) -> None:
        self.app = app
        self.sockets = sockets
        self.limits = limits
        self.port = int(sockets[0].getsockname()[1])
        self.hosts = [str(s.getsockname()[0]) for s in sockets]
        config = Config(
            app,
            request_timeout=limits.request,
            http=BoundedH11Protocol,
            ws="none",
            lifespan="off",
            interface="asgi3",
            log_config=None,
            log_level="error",
            access_log=False,
            proxy_headers=False,
            server_header=False,
            limit_concurrency=limits.connections,
            timeout_keep_alive=limits.keep_alive,
            timeout_graceful_shutdown=limits.shutdown,
        )
        self._server = _Server(config)
        self._thread: threading.Thread | None = None

    @property
    def urls(self) -> list[str]:
        return http_urls(self.hosts, self.port)

    def start(self) -> None:
        """Answer from now on (returns once the server is listening)."""
        self._thread = threading.Thread(
            target=self._run, name=f"guides-web-{self.port}", daemon=True
        )
        self._thread.start()
        if not self._server.ready.wait(60):
            raise RuntimeError("the web server did not start")

    def _run(self) -> None:
        asyncio.run(self._server.serve(sockets=self.sockets))

    def stop(self) -> None:
        """Stop answering; returns within about ``limits.shutdown`` + 5 seconds whatever the
        clients do (a request still running after that is abandoned with its thread)."""
        thread = self._thread
        if thread is None:
            for sock in self.sockets:
                sock.close()
            return
        self._server.should_exit = True
        thread.join(self.limits.shutdown + 2)
        if thread.is_alive():
            self._server.force_exit = True
            thread.join(3)
        if thread.is_alive():
            log.error("the web server on port %s did not stop in time; left behind", self.port)
        for sock in self.sockets:
            sock.close()
        self._thread = None


def http_urls(hosts: Iterable[str], port: int) -> list[str]:
    """``http://host:port/`` for each host (an IPv6 address in brackets)."""
    return [f"http://[{h}]:{port}/" if ":" in h else f"http://{h}:{port}/" for h in hosts]


class Served:
    """A local server (``guides serve``, ``guides kiosk``): its bound sockets, and the web server
    answering on them with the app a subclass gives (:meth:`app`)."""

    sockets: list[socket.socket]
    limits: Limits
    _server: WebServer | None

    def app(self) -> ASGIApp:
        raise NotImplementedError

    @property
    def port(self) -> int:
        return int(self.sockets[0].getsockname()[1])

    @property
    def urls(self) -> list[str]:
        return http_urls((str(s.getsockname()[0]) for s in self.sockets), self.port)

    def serve(self) -> None:
        """Answer requests (returns at once)."""
        self._server = WebServer(self.app(), self.sockets, self.limits)
        self._server.start()

    def stop_serving(self) -> None:
        """Stop answering (within a bound, whatever the clients keep open); close the sockets."""
        if self._server is not None:
            self._server.stop()
            self._server = None
        for sock in self.sockets:
            sock.close()


def wait_for_stop() -> None:
    """Block until Ctrl-C (SIGINT) or SIGTERM; both end the wait the same way."""

    def interrupt(signum: int, frame: FrameType | None) -> Any:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
