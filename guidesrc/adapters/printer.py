"""The printer channel: the pdf channel's sheets, printed on the halls' CUPS queues.

Settings (``library.yaml``)::

    channels:
      print:
        type: pdf
        settings: {path: .guides/print}
      printers:
        type: printer
        settings:
          source: print                 # the pdf channel whose sheets are printed
          queues:                       # office id, or office id/window id → CUPS queue
            zhongxin-dating: hall-a-laser
            zhongxin-dating/a-03: a03-window
          default_queue: null           # guides served in no mapped place (null: not printed:
                                        # such a delivery fails as 未打印, retried hourly)
          server: null                  # CUPS: host:port or a socket path (default: as lp finds it)
          wait: 300                     # seconds to wait for each job to finish

Per delivery, the sheet the pdf channel wrote for the same delivery (``current/``, ``upcoming/``
or ``withdrawn/<id>.pdf``, checked against the manifest's SHA-256 and the channel's signed
manifest, :mod:`guidesrc.print.signed_sheets`: byte for byte what was published and signed) is printed once per window that serves the guide, on the queue mapped to that window
(else to its office, else ``default_queue``): one job per queue, with that many copies.

A delivery is done when every job **completed** (the receipt: queue, job id, copies, pages and
final state). The publisher hands over every due delivery at once (``batch_size = None``): all jobs
are submitted, then followed to their end. Posting the printed sheets is hall staff's work, which
the pdf channel's handovers track (``guides print list/done``); this channel only answers "is it
printed". Errors are the queue's own words for hall staff (:mod:`guidesrc.print.queue`): a
paused or rejecting queue, CUPS out of reach, a job still printing are transient (retried on the
outbox's backoff); a missing queue, an aborted or cancelled job are permanent (retried hourly).

Idempotent per delivery key: each job carries the document name ``<channel>:<key>.pdf``. Before a
second attempt the channel asks CUPS for the newest job of that name on each queue: a job that
completed is the receipt, one still waiting is followed, one aborted or cancelled is printed again.
So a crash between submitting and recording prints nothing twice, as long as CUPS keeps the job
in its history (``PreserveJobHistory``, the default; ``MaxJobs`` 500).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from functools import cached_property
from typing import Any, ClassVar

from pydantic import Field, field_validator

from guidesrc.adapters import PermanentDeliveryError, TransientDeliveryError
from guidesrc.adapters.base import Adapter, AdapterSettings, Delivery, Receipt, safe_id
from guidesrc.adapters.pdf import SLOT
from guidesrc.adapters.registry import adapter_types
from guidesrc.errors import ChannelError, PrintProblem, SheetProblem
from guidesrc.i18n import _
from guidesrc.print.bundle import Bundle, Sheet
from guidesrc.print.queue import JobState, Queue
from guidesrc.statuses import PrintJobState

#: A CUPS queue name as lpadmin accepts it, kept to plain characters.
QUEUE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,126}$"
_PLACE = re.compile(r"^[a-z0-9][a-z0-9_-]*(/[a-z0-9][a-z0-9_-]*)?$")
_QUEUE = re.compile(QUEUE_PATTERN)


class PrinterSettings(AdapterSettings):
    source: str = Field(min_length=1)  # the pdf channel's name in library.yaml
    queues: dict[str, str] = Field(default_factory=dict)
    default_queue: str | None = Field(default=None, pattern=QUEUE_PATTERN)
    server: str | None = Field(default=None, min_length=1)
    wait: int = Field(default=300, ge=1, le=3600)

    @field_validator("queues")
    @classmethod
    def _places_and_queues(cls, value: dict[str, str]) -> dict[str, str]:
        for place, queue in value.items():
            if not _PLACE.match(place):
                raise ValueError(f"{place!r}: an office id, or office id/window id")
            if not _QUEUE.match(queue):
                raise ValueError(f"{queue!r} is not a CUPS queue name")
        return value


def route(places: list[dict[str, Any]], settings: PrinterSettings) -> dict[str, int]:
    """Copies per queue: one per window serving the guide (an office without windows: one),
    on the window's queue, else its office's, else the default queue."""
    copies: Counter[str] = Counter()
    for place in places:
        office = str(place.get("id", ""))
        windows = place.get("windows") or [{}]
        for window in windows:
            wid = window.get("id")
            queue = (
                (settings.queues.get(f"{office}/{wid}") if wid else None)
                or settings.queues.get(office)
                or settings.default_queue
            )
            if queue:
                copies[queue] += 1
    if not places and settings.default_queue:
        copies[settings.default_queue] = 1
    return dict(sorted(copies.items()))


class PrinterAdapter(Adapter[PrinterSettings]):
    Settings = PrinterSettings
    batch_size: ClassVar[int | None] = None  # submit every job, then follow them all
    incremental = True  # the jobs of the run's deliveries

    @property
    def options(self) -> PrinterSettings:
        return self.settings

    @cached_property
    def bundle(self) -> Bundle:
        """The printable channel (the pdf channel) named by ``source``."""
        channel = self.config.channels.get(self.options.source)
        kind = None if channel is None else adapter_types().get(channel.type)
        folder = None
        if channel is not None and kind is not None and kind.printable:
            folder = kind.folder_for(self.library, kind.Settings.model_validate(channel.settings))
        if folder is None:
            raise ChannelError(
                _("channel {channel}: source {source} is not a pdf channel of library.yaml").format(
                    channel=self.channel, source=self.options.source
                )
            )
        return Bundle(folder, self.library, self.options.source)

    def queue(self, name: str) -> Queue:
        return Queue(name, self.options.server)

    def document(self, delivery: Delivery) -> str:
        """The document name that finds this delivery's jobs again."""
        return f"{self.channel}:{delivery.key}.pdf"

    # --- the Adapter interface ---------------------------------------------------------------

    def deliver_many(self, work: Sequence[tuple[Delivery, bool]]) -> list[Receipt | Exception]:
        started: list[_Print | dict[str, Any] | Exception] = []
        for delivery, retry in work:
            try:
                started.append(self._start(delivery, retry))
            except Exception as exc:  # this delivery fails; the others go on
                started.append(_mapped(exc))
        results: list[dict[str, Any] | Exception] = []
        for item in started:
            if isinstance(item, _Print):
                try:
                    results.append(self._finish(item))
                except Exception as exc:
                    results.append(_mapped(exc))
            else:
                results.append(item)
        return results

    def lookup(self, delivery: Delivery) -> dict[str, Any] | None:
        try:
            found = self._sheet(delivery)
        except Exception:
            return None
        if not isinstance(found, Sheet):
            return found
        targets = route(found.places, self.options)
        if not targets:  # nothing was printed: never a receipt
            return None
        jobs = {}
        for queue, _copies in targets.items():
            job = self.queue(queue).find(self.document(delivery))
            if job is None or job.state != PrintJobState.COMPLETED:
                return None
            jobs[queue] = job
        return self._receipt(found, route(found.places, self.options), jobs)

    # --- printing ----------------------------------------------------------------------------

    def _sheet(self, delivery: Delivery) -> Sheet | dict[str, Any]:
        """The pdf channel's sheet of this delivery; a receipt if a newer version replaced it."""
        safe_id(delivery.guide_id)
        sheet = self.bundle.sheet(delivery.guide_id, SLOT[delivery.action])
        if sheet is not None and sheet.key == delivery.key:
            return sheet
        if sheet is not None and sheet.version > delivery.version:
            return {"jobs": [], "superseded_by": sheet.version}
        raise TransientDeliveryError(
            _(
                "{guide} v{version}: the pdf channel {source} has not printed this sheet yet; it is printed once that channel has"
            ).format(guide=delivery.guide_id, version=delivery.version, source=self.options.source)
        )

    def _start(self, delivery: Delivery, retry: bool) -> _Print | dict[str, Any]:
        found = self._sheet(delivery)
        if not isinstance(found, Sheet):
            return found
        targets = route(found.places, self.options)
        if not targets:
            raise self._unmapped(found)
        pdf = self.bundle.read(found)
        title = f"{found.name} 第{found.version}版"
        jobs: dict[str, int | JobState] = {}
        for queue, copies in targets.items():
            q = self.queue(queue)
            earlier = q.find(self.document(delivery)) if retry else None
            if earlier is not None and earlier.state not in (
                PrintJobState.ABORTED,
                PrintJobState.CANCELED,
            ):
                jobs[queue] = earlier if earlier.final else earlier.job_id
                continue
            jobs[queue] = q.submit(
                pdf, title=title, document=self.document(delivery), copies=copies
            )
        return _Print(found, targets, jobs)

    def _unmapped(self, sheet: Sheet) -> PermanentDeliveryError:
        """Nothing to print on: no queue for any place serving the guide, and no default queue.
        A failure, not a delivery (nothing was printed), retried hourly until a queue is set."""
        places = "、".join(_place_names(sheet.places)) or _("it is served nowhere")
        return PermanentDeliveryError(
            _(
                "not printed: no print queue is set for the places that serve {guide} ({places}); in library.yaml, map them under queues of channel {channel} (office id, or office id/window id) or set default_queue, and the sheet is printed on the next attempt"
            ).format(guide=sheet.name, places=places, channel=self.channel)
        )

    def _finish(self, item: _Print) -> dict[str, Any]:
        done: dict[str, JobState] = {}
        for queue, job in item.jobs.items():
            q = self.queue(queue)
            done[queue] = (
                q.outcome(job) if isinstance(job, JobState) else q.wait(job, self.options.wait)
            )
        return self._receipt(item.sheet, item.targets, done)

    def _receipt(
        self, sheet: Sheet, targets: dict[str, int], jobs: dict[str, JobState]
    ) -> dict[str, Any]:
        return {
            "file": sheet.file,
            "sha256": sheet.sha256,
            "version": sheet.version,
            "pages": sheet.pages,
            "jobs": [
                {
                    "queue": queue,
                    "job": jobs[queue].job_id,
                    "copies": copies,
                    "state": jobs[queue].state,
                }
                for queue, copies in targets.items()
            ],
            "pages_printed": sheet.pages * sum(targets.values()),
        }


class _Print:
    """A delivery whose jobs are submitted (job ids), or found finished (states)."""

    def __init__(
        self, sheet: Sheet, targets: dict[str, int], jobs: dict[str, int | JobState]
    ) -> None:
        self.sheet, self.targets, self.jobs = sheet, targets, jobs


def _place_names(places: list[dict[str, Any]]) -> list[str]:
    """示例市政务服务中心 A03窗口, for each window serving the guide (else for the office)."""
    names = []
    for place in places:
        office = str(place.get("name") or place.get("id", ""))
        windows = place.get("windows") or []
        names += [f"{office} {w.get('name') or w.get('id')}" for w in windows] or [office]
    return names


def _mapped(exc: Exception) -> Exception:
    """Queue problems and damaged sheets as the publisher's two kinds of delivery error."""
    if isinstance(exc, PrintProblem):
        kind = TransientDeliveryError if exc.transient else PermanentDeliveryError
        error = kind(exc.message)
    elif isinstance(exc, SheetProblem):
        error = PermanentDeliveryError(
            _(
                "{problem}: it is not printed; find what changed with guides verify, put the published file back (or approve the guide again), and it is printed on the next attempt"
            ).format(problem=exc)
        )
    else:
        return exc
    error.__cause__ = exc
    return error
