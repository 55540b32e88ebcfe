"""How full a sheet's last page is: a sheet that would leave a few lines on a page of their own is
printed again "fitted" (the same type, with less leading, spacing and margin) and the fitted one
is kept when it has fewer pages (:meth:`guidesrc.print.render.Renderer.render`).

The measure reads the last page's content stream: the lowest line of text above the footer, as a
share of the page's text area. The stream is found in the PDF's bytes as Typst writes them (one
page tree, each page's dictionary and its one Flate-compressed content stream as plain objects),
which costs a fraction of parsing the document; a PDF laid out otherwise is read through pikepdf. Typst places every run of text with a ``cm``
transformation, so the text's position is the current transformation applied to the text matrix.
"""

from __future__ import annotations

import io
import re
import zlib
from collections.abc import Iterable
from typing import Any

import pikepdf

MM = 72 / 25.4
#: The text area of an A4 sheet not yet fitted (guide.typ's page margins), in points.
TOP = 14 * MM
BOTTOM = {False: 18 * MM, True: 22 * MM}  # regular, large print
#: A last page whose text fills less than this share of the text area is worth fitting.
SHORT = 0.25
#: What fitting can gain, as a share of a text area per page before the last: the fitted template
#: (less leading, spacing, padding and margin; the same type) takes about an eighth less height,
#: so a last page fuller than ``(pages - 1) * GAIN`` is left as it is rather than printed again
#: (≈ 20 ms of Typst) to no avail. Regular print, 1,000 generated sheets: every two-page sheet
#: whose last page went had it at most 0.178 full; of those 0.2 full or more (about ten lines)
#: none went, and they were 31 of the 100 sheets printed again. Large print: every sheet printed
#: again was kept (200 sheets), so it is not narrowed.
GAIN = {False: 0.2, True: SHORT}

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


#: The operators that place text, read straight from the content stream's bytes (a full parse
#: took ~3 ms a page, this well under 1): save and restore the graphics state, ``cm`` and ``Tm``
#: with their six numbers. Typst writes text as hex strings, in which none of these can occur.
_OPERATORS = re.compile(
    rb"(?<![^\s])(?=[-0-9.qQ])(?:((?:-?[0-9.]+\s+){6})(cm|Tm)|(q|Q))(?![A-Za-z0-9*'\"])",
)


def _text_heights(content: bytes) -> list[float]:
    """The height above the page's bottom edge of every text matrix set in ``content``."""
    stack: list[_Matrix] = []
    ctm = _IDENTITY
    heights = []
    for numbers, operator, state in _OPERATORS.findall(content):
        if state == b"q":
            stack.append(ctm)
        elif state == b"Q":
            ctm = stack.pop() if stack else _IDENTITY
        elif operator == b"cm":
            ctm = _times(_matrix(numbers.split()), ctm)
        else:
            heights.append(_times(_matrix(numbers.split()), ctm)[5])
    return heights


def _matrix(operands: Iterable[Any]) -> _Matrix:
    a, b, c, d, e, f = (float(x) for x in operands)
    return (a, b, c, d, e, f)


def _content(page: pikepdf.Page) -> bytes:
    contents = page.obj.get("/Contents")
    if isinstance(contents, pikepdf.Array):
        return b"\n".join(part.read_bytes() for part in contents)
    return contents.read_bytes() if isinstance(contents, pikepdf.Stream) else b""


#: Typst's page tree (one node), a page's media box and single content stream, and a Flate
#: stream with a direct length.
_KIDS = re.compile(rb"<</Type/Pages/Count [0-9]+/Kids\[(?:[0-9]+ 0 R )*([0-9]+) 0 R\]>>")
_PAGE = re.compile(
    rb"<</Type/Page/[^>]*?/MediaBox\[(-?[0-9.]+) (-?[0-9.]+) (-?[0-9.]+) (-?[0-9.]+)\]"
    rb"[^>]*?/Contents ([0-9]+) 0 R[/>]"
)
_STREAM = re.compile(rb"<</Length ([0-9]+)/Filter/FlateDecode>>\nstream\n")


def _object(pdf: bytes, number: bytes) -> int:
    """Where object ``number``'s body starts (-1 when it is not written plainly)."""
    head = b"\n" + number + b" 0 obj\n"
    start = pdf.find(head)
    return -1 if start < 0 else start + len(head)


def _last_page_fast(pdf: bytes) -> tuple[float, bytes] | None:
    """The last page's height and decompressed content, straight from Typst's bytes; None when
    the PDF is not laid out as Typst writes it."""
    kids = _KIDS.search(pdf)
    if kids is None:
        return None
    start = _object(pdf, kids[1])
    page = _PAGE.match(pdf, start) if start >= 0 else None
    if page is None:
        return None
    start = _object(pdf, page[5])
    stream = _STREAM.match(pdf, start) if start >= 0 else None
    if stream is None:
        return None
    data = pdf[stream.end() : stream.end() + int(stream[1])]
    try:
        content = zlib.decompress(data)
    except zlib.error:
        return None
    return float(page[4]) - float(page[2]), content


def _last_page(pdf: bytes) -> tuple[float, bytes]:
    """The last page's height and content stream."""
    found = _last_page_fast(pdf)
    if found is not None:
        return found
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        page = doc.pages[-1]
        return float(page.mediabox[3]) - float(page.mediabox[1]), _content(page)


def last_page_fill(pdf: bytes, large: bool) -> float:
    """The share of the text area that the last page's text takes (1.0 when unknown)."""
    height, content = _last_page(pdf)
    bottom = BOTTOM[large]
    body = [y for y in _text_heights(content) if y > bottom]
    if not body:
        return 1.0
    area = height - TOP - bottom
    return max(0.0, min(1.0, (height - TOP - min(body)) / area))


def worth_fitting(pdf: bytes, pages: int, large: bool) -> bool:
    """A sheet of more than one page whose last page holds only a few lines, few enough that
    fitting can save that page."""
    return pages > 1 and last_page_fill(pdf, large) < min(SHORT, (pages - 1) * GAIN[large])
