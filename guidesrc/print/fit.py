"""How full a sheet's last page is: a sheet that would leave a few lines on a page of their own is
printed again "fitted" (the same type, with less leading, spacing and margin) and the fitted one
is kept when it has fewer pages (:meth:`guidesrc.print.render.Renderer.render`).

The measure reads the last page's content stream (pikepdf): the lowest line of text above the
footer, as a share of the page's text area. Typst places every run of text with a ``cm``
transformation, so the text's position is the current transformation applied to the text matrix.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

import pikepdf

MM = 72 / 25.4
#: The text area of an A4 sheet not yet fitted (guide.typ's page margins), in points.
TOP = 14 * MM
BOTTOM = {False: 18 * MM, True: 22 * MM}  # regular, large print
#: A last page whose text fills less than this share of the text area is worth fitting.
SHORT = 0.25

_Matrix = tuple[float, float, float, float, float, float]
_IDENTITY: _Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _times(m: _Matrix, n: _Matrix) -> _Matrix:
    """``m`` then ``n`` (PDF order: the new cm's matrix multiplies the current one from the left)."""
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (
        a * a2 + b * c2,
        a * b2 + b * d2,
        c * a2 + d * c2,
        c * b2 + d * d2,
        e * a2 + f * c2 + e2,
        e * b2 + f * d2 + f2,
    )


def _text_heights(page: pikepdf.Page) -> list[float]:
    """The height above the page's bottom edge of every text matrix set on ``page``."""
    stack: list[_Matrix] = []
    ctm = _IDENTITY
    heights = []
    for instruction in pikepdf.parse_content_stream(page):
        if isinstance(instruction, pikepdf.ContentStreamInlineImage):
            continue
        operands, op = instruction.operands, str(instruction.operator)
        if op == "q":
            stack.append(ctm)
        elif op == "Q" and stack:
            ctm = stack.pop()
        elif op == "cm":
            ctm = _times(_matrix(operands), ctm)
        elif op == "Tm":
            heights.append(_times(_matrix(operands), ctm)[5])
    return heights


def _matrix(operands: Iterable[Any]) -> _Matrix:
    a, b, c, d, e, f = (float(x) for x in operands)
    return (a, b, c, d, e, f)


def last_page_fill(pdf: bytes, large: bool) -> float:
    """The share of the text area that the last page's text takes (1.0 when unknown)."""
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        page = doc.pages[-1]
        height = float(page.mediabox[3]) - float(page.mediabox[1])
        bottom = BOTTOM[large]
        body = [y for y in _text_heights(page) if y > bottom]
    if not body:
        return 1.0
    area = height - TOP - bottom
    return max(0.0, min(1.0, (height - TOP - min(body)) / area))


def worth_fitting(pdf: bytes, pages: int, large: bool) -> bool:
    """A sheet of more than one page whose last page holds only a few lines."""
    return pages > 1 and last_page_fill(pdf, large) < SHORT
