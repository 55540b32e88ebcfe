"""The fill check reads a sheet's last page from Typst's bytes, as pikepdf reads it: the sheets
fitted (and so what is printed) are the same as when every sheet was parsed whole."""

from __future__ import annotations

import io
from typing import Any

import pikepdf
import pytest

from guidesrc.print import fit
from guidesrc.print.render import Renderer, page_count
from guidesrc.print.sheet import sheet_data
from guidesrc.qr import sheet_svg
from tests.test_pdf import compiled, job, renderer  # noqa: F401  (the fixtures)


def parsed_last_page(pdf: bytes) -> tuple[float, bytes]:
    """The last page's height and content stream, pikepdf parsing the whole document."""
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        page = doc.pages[-1]
        height = float(page.mediabox[3]) - float(page.mediabox[1])
        return height, fit._content(page)


@pytest.mark.parametrize("large", [False, True])
def test_the_last_page_read_from_typsts_bytes_is_the_one_pikepdf_reads(
    compiled: dict[str, dict[str, Any]],  # noqa: F811
    renderer: Renderer,  # noqa: F811
    large: bool,
) -> None:
    pages = set()
    for guide in compiled.values():
        for kind in ("current", "upcoming"):
            sheet = job(guide, kind, large=large)
            data, qr = sheet_data(sheet), sheet_svg(sheet.url)
            for fitted in (False, True):
                pdf = renderer._compile(sheet, data | {"fit": fitted}, qr)
                pages.add(page_count(pdf))
                assert fit._last_page_fast(pdf) == parsed_last_page(pdf), guide["id"]
    assert len(pages) > 1  # sheets of several lengths, fitted and not


def test_a_pdf_not_laid_out_as_typst_writes_it_is_read_through_pikepdf(
    compiled: dict[str, dict[str, Any]],  # noqa: F811
    renderer: Renderer,  # noqa: F811
) -> None:
    pdf = renderer.render(job(compiled["shipin-jingying-xuke"]))
    assert page_count(pdf) == 2
    with pikepdf.open(io.BytesIO(pdf)) as doc:  # the same pages, written by qpdf
        out = io.BytesIO()
        doc.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    resaved = out.getvalue()
    assert fit._last_page_fast(resaved) is None
    assert fit.last_page_fill(resaved, False) == fit.last_page_fill(pdf, False) < 1.0
