"""A CUPS queue as hall staff see it: ready or not (and why, in words they can act on), a job
submitted, a job followed to its end.

Every failure is a :class:`~guidesrc.errors.PrintProblem` (its kinds are drawn in
:mod:`guidesrc.errors`) whose message says what happened and what to do; its ``transient``
tells the printer channel which kind of delivery error to raise.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from guidesrc.errors import (
    IppError,
    JobFailed,
    JobUnfinished,
    PrintRefused,
    QueueMissing,
    QueueRejecting,
    QueueStopped,
    ServerUnreachable,
)
from guidesrc.i18n import _
from guidesrc.print import ipp
from guidesrc.statuses import FINAL_JOB_STATES, PrintJobState

T = TypeVar("T")
LOCAL_SOCKET = "/run/cups/cups.sock"
POLL = 0.2  # seconds between two questions about a job's state
STATE_NAMES = {
    ipp.JOB_PENDING: PrintJobState.PENDING,
    ipp.JOB_HELD: PrintJobState.HELD,
    ipp.JOB_PROCESSING: PrintJobState.PROCESSING,
    ipp.JOB_STOPPED: PrintJobState.STOPPED,
    ipp.JOB_CANCELED: PrintJobState.CANCELED,
    ipp.JOB_ABORTED: PrintJobState.ABORTED,
    ipp.JOB_COMPLETED: PrintJobState.COMPLETED,
}


def default_server() -> str:
    """Where CUPS is, as its own clients look: ``CUPS_SERVER``, else the local socket, else
    localhost:631."""
    env = os.environ.get("CUPS_SERVER", "").strip()
    if env:
        return env
    return LOCAL_SOCKET if Path(LOCAL_SOCKET).exists() else "localhost:631"


@dataclass(frozen=True, slots=True)
class JobState:
    job_id: int
    state: PrintJobState
    reasons: tuple[str, ...]
    message: str
    document: str  # the document name it was submitted with

    @property
    def final(self) -> bool:
        return self.state in FINAL_JOB_STATES

    @classmethod
    def of(cls, attrs: ipp.Attributes) -> JobState:
        code = int(attrs.get("job-state", [ipp.JOB_PENDING])[0])
        return cls(
            job_id=int(attrs.get("job-id", [0])[0]),
            state=STATE_NAMES.get(code, PrintJobState.PENDING),
            reasons=tuple(str(r) for r in attrs.get("job-state-reasons", [])),
            message=str(attrs.get("job-printer-state-message", [""])[0] or ""),
            document=str(attrs.get("document-name-supplied", [""])[0] or ""),
        )


class Queue:
    """One CUPS queue on one server."""

    def __init__(self, name: str, server: str | None = None, timeout: float = 30.0) -> None:
        self.name = name
        self.server = server or default_server()
        self.client = ipp.Client(self.server, timeout=timeout)
        self._stop = threading.Event()  # never set: waits between polls, interruptible later

    # --- the queue --------------------------------------------------------------------------

    def ready(self) -> None:
        """Nothing if the queue takes and prints jobs now; else the problem."""
        attrs = self._call(lambda: self.client.printer(self.name))
        if int(attrs.get("printer-state", [ipp.PRINTER_IDLE])[0]) == ipp.PRINTER_STOPPED:
            raise QueueStopped(self._stopped_message(attrs))
        if not attrs.get("printer-is-accepting-jobs", [True])[0]:
            raise QueueRejecting(
                _(
                    "printer {queue} does not accept jobs: fix the printer, then run cupsaccept {queue} on the print server"
                ).format(queue=self.name)
            )

    def _stopped_message(self, attrs: ipp.Attributes) -> str:
        why = _reason(attrs.get("printer-state-message", [""]), attrs.get("printer-state-reasons"))
        text = _(
            "printer {queue} is paused: check the printer (paper, jams, power, cable), then resume it with cupsenable {queue} on the print server (or 'Resume printer' on its administration page); waiting sheets then print by themselves"
        ).format(queue=self.name)
        return text + (_(" (printer says: {reason})").format(reason=why) if why else "")

    # --- jobs -------------------------------------------------------------------------------

    def submit(self, pdf: bytes, *, title: str, document: str, copies: int = 1) -> int:
        """Check the queue, then hand it the PDF; the job id."""
        self.ready()
        return self._call(
            lambda: self.client.print_job(
                self.name, pdf, title=title, document=document, copies=copies
            )
        )

    def state(self, job_id: int) -> JobState:
        attrs = self._call(lambda: self.client.job(self.name, job_id))
        return JobState.of({**attrs, "job-id": [job_id]})

    def find(self, document: str) -> JobState | None:
        """The newest job submitted with ``document`` as its document name, if CUPS keeps it."""
        for attrs in self._call(lambda: self.client.jobs(self.name)):
            job = JobState.of(attrs)
            if job.document == document:
                return job
        return None

    def wait(self, job_id: int, timeout: float) -> JobState:
        """Follow the job until it ends: its state if completed; else the problem (the job
        aborted or cancelled, the queue stopped meanwhile, or still printing at ``timeout``)."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.state(job_id)
            if job.final:
                return self.outcome(job)
            if job.state in (PrintJobState.PENDING, PrintJobState.STOPPED, PrintJobState.HELD):
                self.ready()  # a queue paused with our job in it: say so now, not at timeout
            if time.monotonic() >= deadline:
                raise JobUnfinished(
                    _(
                        "print job {queue}-{job} has not finished after {seconds} s ({state}); it stays in the queue, and the next guides publish checks it again"
                    ).format(queue=self.name, job=job_id, seconds=int(timeout), state=job.state)
                )
            self._stop.wait(POLL)

    def outcome(self, job: JobState) -> JobState:
        """``job`` if it completed; JobFailed if it was aborted or cancelled."""
        if job.state == PrintJobState.COMPLETED:
            return job
        why = _reason([job.message], list(job.reasons))
        if job.state == PrintJobState.ABORTED:
            text = _(
                "print job {queue}-{job} was aborted by the print system: check the printer and its log; it is printed again at the next attempt"
            )
        else:
            text = _(
                "print job {queue}-{job} was cancelled; if the sheet is still needed, run guides publish --retry-now"
            )
        text = text.format(queue=self.name, job=job.job_id)
        detail = _(" (printer says: {reason})").format(reason=why) if why else ""
        raise JobFailed(text + detail, job.state)

    # --- errors -----------------------------------------------------------------------------

    def _call(self, call: Callable[[], T]) -> T:
        try:
            return call()
        except IppError as exc:
            if exc.status == ipp.NOT_FOUND:
                raise QueueMissing(
                    _(
                        'print queue "{queue}" does not exist on the print server ({server}): add it there (lpadmin -p {queue} …) or correct the queue name in library.yaml'
                    ).format(queue=self.name, server=self.server)
                ) from exc
            if exc.status == ipp.NOT_ACCEPTING_JOBS:
                raise QueueRejecting(
                    _(
                        "printer {queue} does not accept jobs: fix the printer, then run cupsaccept {queue} on the print server"
                    ).format(queue=self.name)
                ) from exc
            raise PrintRefused(
                _("the print server refused the job for {queue}: {reason}").format(
                    queue=self.name, reason=exc.reason or hex(exc.status)
                )
            ) from exc
        except OSError as exc:
            raise ServerUnreachable(
                _(
                    "cannot reach the print server (CUPS at {server}): {reason}; check that it is on and that the cups service runs"
                ).format(server=self.server, reason=exc.strerror or exc)
            ) from exc


def _reason(messages: list[object], reasons: list[object] | None) -> str:
    """The printer's own words: its state message, else its reasons other than "none"."""
    text = "；".join(str(m) for m in messages if m)
    if text:
        return text
    return "、".join(str(r) for r in reasons or [] if r not in ("none", "paused"))
