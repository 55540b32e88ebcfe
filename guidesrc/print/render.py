"""Sheets to PDF with Typst: one compiler per process, a pool of processes for large batches.

A compiler keeps the template parsed and the fonts loaded, so the second sheet of a process costs a
fraction of the first (NOTES: ~45 ms warm against ~0.25 s for a new process). Typst's compiler is
not shared between processes: each worker builds its own, and workers are new interpreters
(:func:`guidesrc.parallel.parallel_map`), never forks of a process that has run Typst's threads.

The output is a function of the job alone: the creation date is the approval time, the fonts are
the ones found at start-up and no others, and the PDF/A metadata is derived from the document, so
printing the same version again writes the same bytes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import orjson
import typst

from guidesrc.errors import ChannelError
from guidesrc.i18n import _
from guidesrc.parallel import parallel_map
from guidesrc.print.fit import worth_fitting
from guidesrc.print.fonts import FontSet
from guidesrc.print.sheet import SheetJob, sheet_data
from guidesrc.qr import sheet_svg

TEMPLATE = Path(__file__).resolve().with_name("guide.typ")
#: Fewer sheets than this are printed in this process: starting workers (each loads Typst and the
#: fonts) costs about as much as printing this many sheets.
PARALLEL_MIN = 16
PDF_A: Final = "a-2b"


@dataclass(frozen=True, slots=True)
class RenderOptions:
    fonts: FontSet
    pdf_a: bool = True  # PDF/A-2b (archival: fonts and colour profile embedded, XMP metadata)


class Renderer:
    """One Typst compiler for the sheet template; renders one job at a time."""

    def __init__(self, options: RenderOptions) -> None:
        self.options = options
        self._compiler = typst.Compiler(
            str(TEMPLATE),
            root=str(TEMPLATE.parent),
            font_paths=options.fonts.typst(),
            ignore_system_fonts=True,
        )

    def render(self, job: SheetJob) -> bytes:
        """The PDF of ``job``; ChannelError naming the guide if Typst refuses or warns.

        A sheet that would leave a few lines on a last page of their own is printed again fitted
        (:mod:`guidesrc.print.fit`), and the fitted one kept when it has fewer pages."""
        data = sheet_data(job)
        qr = sheet_svg(job.url)
        pdf = self._compile(job, data, qr)
        pages = page_count(pdf)
        if worth_fitting(pdf, pages, job.large):
            fitted = self._compile(job, data | {"fit": True}, qr)
            if page_count(fitted) < pages:
                return fitted
        return pdf

    def _compile(self, job: SheetJob, data: dict[str, Any], qr: str) -> bytes:
        inputs = {"data": orjson.dumps(data).decode(), "qr": qr}
        try:
            pdf, warnings = self._compiler.compile_with_warnings(
                format="pdf",
                sys_inputs=inputs,
                timestamp=_seconds(job.approved_at),
                pdf_standards=[PDF_A] if self.options.pdf_a else [],
            )
        except typst.TypstError as exc:
            raise _failed(job, exc.message) from exc
        # A warning (an unknown font, a missing glyph's fallback) means a sheet that is not what
        # the template promises: refuse it rather than post it in a hall.
        if warnings:
            raise _failed(job, "; ".join(w.message for w in warnings))
        assert isinstance(pdf, bytes)
        return pdf


def _failed(job: SheetJob, reason: str) -> ChannelError:
    return ChannelError(
        _("{id} v{version}: Typst could not print the sheet: {reason}").format(
            id=job.guide_id, version=job.version, reason=reason
        )
    )


def _seconds(moment: dt.datetime) -> int:
    if moment.tzinfo is None:  # the ledger stores UTC
        moment = moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp())


_PAGE = re.compile(rb"/Type\s*/Page[^s]")


def page_count(pdf: bytes) -> int:
    """Pages of a PDF Typst wrote (its page objects are not in compressed object streams)."""
    return len(_PAGE.findall(pdf))


# --- many sheets ----------------------------------------------------------------------------------


def render_job(renderer: Renderer, job: SheetJob) -> bytes | Exception:
    """The PDF of ``job``, or the exception that stopped it (the other jobs go on)."""
    try:
        return renderer.render(job)
    except Exception as exc:
        return exc


def render_many(
    jobs: Sequence[SheetJob],
    options: RenderOptions,
    workers: int,
    local: Callable[[RenderOptions], Renderer] = Renderer,
) -> Iterator[bytes | Exception]:
    """The PDF (or the exception) of each job, in order.

    Fewer than :data:`PARALLEL_MIN` jobs, or with one worker, are printed here (by the renderer
    ``local`` gives, so a caller can keep one); more go to ``workers`` processes, each with its
    own compiler.
    """
    return parallel_map(
        render_job,
        jobs,
        workers,
        Renderer,
        (options,),
        min_items=PARALLEL_MIN,
        here=lambda: local(options),
    )
