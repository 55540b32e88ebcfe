"""The kiosk: its guides, its printing, and its web server (the shared stack of
:mod:`guidesrc.web.server`, uvicorn and Starlette, on 127.0.0.1 and ::1; the pages are
:mod:`guidesrc.kiosk.app`'s), pages from Jinja2 templates (autoescaped), nothing loaded from
elsewhere.

Requests are checked before anything else is done with them:

- the request line is at most :data:`MAX_TARGET` bytes (414), a search at most
  :data:`~guidesrc.kiosk.catalog.MAX_QUERY` characters (400), a form body at most 1 KB (413);
- the ``Host`` header must name this server (a page of another site that resolves its name to
  127.0.0.1 — DNS rebinding — is refused);
- a POST (打印) must come from a page of this server: its ``Origin`` must be this server's and it
  must carry the token of the page (a secret made when the kiosk starts), so no other page can make
  the kiosk print (CSRF);
- a guide id must match the id pattern before it is looked up; files are only those the bundle's
  manifest names, inside the bundle, with the SHA-256 it recorded.

Printing: one job per tap of 打印 (:mod:`guidesrc.kiosk.taps`: a double tap, or the same form
sent eight times at once, prints once), and one job at a time per kiosk (a second 打印 while one
prints is answered 409). Whether a job still prints is asked of CUPS, not of the page that
followed it (a citizen may leave mid-print), and a job counts as printing for at most
:data:`BUSY_LIMIT` seconds, so the kiosk is never left busy. The page after 打印 polls
``/api/print/<job>`` for the job's state; a completed job is counted once in the ledger's print
tally (day, guide, kiosk: no personal data).

The web server's limits (:class:`~guidesrc.web.server.Limits`): a request must arrive within
10 s, an idle connection is closed after 5 s, at most 64 connections, and a stop that waits at
most a few seconds for requests in progress.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from starlette.types import ASGIApp

from guidesrc import qr
from guidesrc.errors import KioskBusy, PrintProblem
from guidesrc.kiosk.app import kiosk_app
from guidesrc.kiosk.catalog import MAX_QUERY, Catalog, Entry, load_catalog
from guidesrc.kiosk.jobs import Job
from guidesrc.kiosk.taps import Taps
from guidesrc.ledger import Ledger
from guidesrc.print.bundle import Bundle
from guidesrc.print.queue import Queue
from guidesrc.print.signed_read import read_signed
from guidesrc.print.stats import record_print
from guidesrc.search.snippet import html as snippet_html
from guidesrc.statuses import FINAL_JOB_STATES, PrintJobState
from guidesrc.urls import guide_url
from guidesrc.web.server import LOOPBACK, Limits, Served, WebServer, allowed_hosts, bind

BUSY_LIMIT = 180.0  # seconds a job keeps the kiosk busy at most (a stuck job does not block it)
SUBMIT_WAIT = 60.0  # seconds a print request waits for another one being sent to the printer
ACTIVE = (
    PrintJobState.PENDING,
    PrintJobState.PROCESSING,
    PrintJobState.HELD,
)  # job states that keep the kiosk busy
log = logging.getLogger("guidesrc.kiosk")


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("guidesrc.kiosk", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["marked"] = snippet_html  # 【…】 of a search snippet → <mark>…</mark>
    return env


@dataclass
class Kiosk(Served):
    """One kiosk: its bundle, the queue it prints on, the ledger it counts prints in."""

    bundle: Bundle
    queue: Queue
    ledger: Ledger | None
    base_url: str
    timezone: str
    title: str = "办事指南自助查询打印"
    sockets: list[socket.socket] = field(default_factory=list)
    limits: Limits = field(default_factory=Limits)
    warnings: list[str] = field(default_factory=list)  # addresses it could not listen on
    notes: list[str] = field(default_factory=list)  # said at start-up: e.g. the printer paused
    token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    jobs: dict[int, Job] = field(default_factory=dict)
    extra_hosts: tuple[str, ...] = ()
    taps: Taps = field(default_factory=Taps)
    _catalog: Catalog | None = None
    _signature: tuple[int, int] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _submitting: threading.Lock = field(default_factory=threading.Lock)
    _server: WebServer | None = None
    _templates: jinja2.Environment = field(default_factory=lambda: _environment())

    # --- content -------------------------------------------------------------------------------

    @property
    def catalog(self) -> Catalog:
        """The bundle's guides; read again when the pdf channel has published."""
        with self._lock:
            signature = self.bundle.signature()
            if self._catalog is None or signature != self._signature:
                try:
                    self._catalog = load_catalog(self.bundle, self.ledger)
                    self._signature = signature
                except Exception:  # the ledger out of reach: keep showing what was loaded
                    if self._catalog is None:
                        raise
                    log.exception("the kiosk's guides could not be reloaded")
            return self._catalog

    def render(self, template: str, **values: Any) -> bytes:
        page = self._templates.get_template(template).render(
            title=self.title, token=self.token, max_query=MAX_QUERY, **values
        )
        return page.encode("utf-8")

    def qr_svg(self, guide_id: str) -> str:
        return qr.inline_svg(guide_url(self.base_url, guide_id), scale=6, border=2)

    # --- printing ------------------------------------------------------------------------------

    def start_print(self, entry: Entry) -> int:
        """Send the sheet in force to the kiosk's queue; the job id."""
        assert entry.current is not None
        if self.busy():
            raise KioskBusy()
        pdf = read_signed(self.bundle, entry.current, self.ledger, f"kiosk:{self.queue.name}")
        job_id = self.queue.submit(
            pdf,
            title=f"{entry.name} 第{entry.current.version}版",
            document=f"kiosk:{entry.id}@{entry.current.version}.pdf",
        )
        with self._lock:
            self.jobs[job_id] = Job(entry.id, entry.name, entry.current.pages)
        return job_id

    def print_once(self, tap: str, entry: Entry) -> int:
        """:meth:`start_print` once per tap of 打印 (repeated and concurrent requests of the tap
        get the first one's job), one request at a time."""

        def alone() -> int:
            if not self._submitting.acquire(timeout=SUBMIT_WAIT):
                raise KioskBusy()
            try:
                return self.start_print(entry)
            finally:
                self._submitting.release()

        return self.taps.once(f"{entry.id}/{tap}", alone, SUBMIT_WAIT)

    def busy(self) -> bool:
        """A job of this kiosk still prints: its state asked of CUPS (the page that followed it
        may be gone), for at most :data:`BUSY_LIMIT` seconds from its start."""
        now = time.monotonic()
        with self._lock:
            active = [i for i, j in self.jobs.items() if j.state in ACTIVE]
        for job_id in active:
            try:
                job = self.job_state(job_id)
            except PrintProblem:  # the queue paused or out of reach: sending says so plainly
                continue
            if job.state in ACTIVE and now - job.started < BUSY_LIMIT:
                return True
        return False

    def job_state(self, job_id: int) -> Job:
        job = self.jobs[job_id]
        if job.state in FINAL_JOB_STATES:
            return job
        state = self.queue.state(job_id)
        if state.state == PrintJobState.PENDING:
            self.queue.ready()  # a queue paused meanwhile: say so, not "waiting" for ever
        with self._lock:
            job.state = state.state
            count = job.state == PrintJobState.COMPLETED and not job.counted
            job.counted = job.counted or count
        if count:
            self._count(job)
        return job

    def _count(self, job: Job) -> None:
        if self.ledger is None:
            return
        day = dt.datetime.now(ZoneInfo(self.timezone)).date()
        try:
            record_print(self.ledger, day, job.guide_id, f"kiosk:{self.queue.name}", job.pages)
        except Exception:  # a print is never refused for want of statistics
            log.exception("the print could not be counted")

    # --- serving -------------------------------------------------------------------------------

    def hosts(self) -> list[str]:
        """The host names (``Host`` headers, without the port) this kiosk answers to."""
        return allowed_hosts([*self.extra_hosts, *(str(s.getsockname()[0]) for s in self.sockets)])

    def app(self) -> ASGIApp:
        return kiosk_app(self)

    def close(self) -> None:
        """Stop answering (within a bound, whatever the clients keep open)."""
        self.stop_serving()
        if self.ledger is not None:
            self.ledger.close()


def start_kiosk(kiosk: Kiosk, hosts: tuple[str, ...] = LOOPBACK, port: int = 8080) -> Kiosk:
    """Bind every host on ``port`` (0: any free port, the same for all) and load the guides."""
    kiosk.sockets, warnings = bind(hosts, port)
    kiosk.warnings += warnings
    kiosk.extra_hosts = tuple(h for h in hosts if h not in LOOPBACK)
    try:
        kiosk.catalog  # noqa: B018  (loaded now: a problem shows at start-up, not at a citizen)
    except BaseException:
        kiosk.close()
        raise
    return kiosk
