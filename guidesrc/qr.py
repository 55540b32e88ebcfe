"""QR codes of guides' addresses: the site's pages, the printed sheets and the kiosk draw them.

One encoder for the three (issue 17), fast enough to draw a code on every page and every sheet of
a full build (a sheet's code in about 0.2 ms of CPU, where segno, general — every mode, level
and mask — took 1.4 ms even with its mask fixed). It does the one case the guides need: byte
mode, error correction level M, any version 1–40 (up to 2,331 bytes; longer text gets no code),
mask pattern 0 (any mask is a valid code: choosing the best is an optimisation for scanners of
damaged prints), with each version's layout (function patterns, the order of the data modules
and their mask bits) worked out once per process. The module layout follows ISO/IEC
18004:2015; a test reads codes of versions across 1–40 back with zbarimg, others the printed
sheet's, the kiosk page's and (in the browser tests) the site page's.

Outputs: :func:`svg` for the site (sized by CSS), :func:`sheet_svg` for the Typst sheet (a unit
per module, the 4-module quiet zone, in the form segno wrote it) and :func:`inline_svg` for the
kiosk's pages (scaled, inline in HTML).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

#: Level M, per version: error correction codewords per block, and (blocks, data codewords) groups
#: (ISO/IEC 18004:2015, table 9).
_BLOCKS: dict[int, tuple[int, tuple[tuple[int, int], ...]]] = {
    1: (10, ((1, 16),)), 2: (16, ((1, 28),)), 3: (26, ((1, 44),)), 4: (18, ((2, 32),)),
    5: (24, ((2, 43),)), 6: (16, ((4, 27),)), 7: (18, ((4, 31),)),
    8: (22, ((2, 38), (2, 39))), 9: (22, ((3, 36), (2, 37))), 10: (26, ((4, 43), (1, 44))),
    11: (30, ((1, 50), (4, 51))), 12: (22, ((6, 36), (2, 37))), 13: (22, ((8, 37), (1, 38))),
    14: (24, ((4, 40), (5, 41))), 15: (24, ((5, 41), (5, 42))), 16: (28, ((7, 45), (3, 46))),
    17: (28, ((10, 46), (1, 47))), 18: (26, ((9, 43), (4, 44))), 19: (26, ((3, 44), (11, 45))),
    20: (26, ((3, 41), (13, 42))), 21: (26, ((17, 42),)), 22: (28, ((17, 46),)),
    23: (28, ((4, 47), (14, 48))), 24: (28, ((6, 45), (14, 46))), 25: (28, ((8, 47), (13, 48))),
    26: (28, ((19, 46), (4, 47))), 27: (28, ((22, 45), (3, 46))), 28: (28, ((3, 45), (23, 46))),
    29: (28, ((21, 45), (7, 46))), 30: (28, ((19, 47), (10, 48))), 31: (28, ((2, 46), (29, 47))),
    32: (28, ((10, 46), (23, 47))), 33: (28, ((14, 46), (21, 47))), 34: (28, ((14, 46), (23, 47))),
    35: (28, ((12, 47), (26, 48))), 36: (28, ((6, 47), (34, 48))), 37: (28, ((29, 46), (14, 47))),
    38: (28, ((13, 46), (32, 47))), 39: (28, ((40, 47), (7, 48))), 40: (28, ((18, 47), (31, 48))),
}  # fmt: skip
VERSIONS = range(1, 41)


@cache
def _alignment(version: int) -> tuple[int, ...]:
    """The rows (and columns) of a version's alignment pattern centres (ISO/IEC 18004, annex E):
    6, then evenly spaced (an even step) up to 7 modules from the far edge."""
    if version == 1:
        return ()
    count = version // 7 + 2
    step = (version * 8 + count * 3 + 5) // (count * 4 - 4) * 2
    last = 17 + 4 * version - 7
    return (6, *(last - step * i for i in range(count - 2, -1, -1)))


_FORMAT_M_MASK0 = 0x5412  # level M (00), mask 0 (000): BCH remainder 0, XOR the format mask
QUIET = 4  # modules of light margin around the code
_RUNS = re.compile("0+|1+")
#: A run of light modules moves the pen; a run of dark ones draws (a horizontal line).
_STEP = {bit * n: (f"h{n}" if bit == "1" else f"m{n} 0") for bit in "01" for n in range(1, 178)}

_EXP = [0] * 512
_LOG = [0] * 256
_value = 1
for _i in range(255):
    _EXP[_i] = _value
    _LOG[_value] = _i
    _value <<= 1
    if _value & 0x100:
        _value ^= 0x11D
for _i in range(255, 512):
    _EXP[_i] = _EXP[_i - 255]


def _multiply(a: int, b: int) -> int:
    return 0 if a == 0 or b == 0 else _EXP[_LOG[a] + _LOG[b]]


@cache
def _divisor(degree: int) -> tuple[int, ...]:
    """The Reed–Solomon generator polynomial's coefficients (highest first, monic term left out)."""
    result = [0] * (degree - 1) + [1]
    root = 1
    for _ in range(degree):
        for j in range(degree):
            result[j] = _multiply(result[j], root)
            if j + 1 < degree:
                result[j] ^= result[j + 1]
        root = _multiply(root, 2)
    return tuple(result)


@cache
def _products(degree: int) -> tuple[int, ...]:
    """The generator polynomial times each byte value, as ``degree``-byte integers: dividing by
    it is then one shift and one XOR per data byte."""
    divisor = _divisor(degree)
    return tuple(
        int.from_bytes(bytes(_multiply(c, factor) for c in divisor), "big") for factor in range(256)
    )


def _remainder(data: list[int], degree: int) -> list[int]:
    products = _products(degree)
    top, mask = 8 * (degree - 1), (1 << 8 * degree) - 1
    result = 0
    for byte in data:
        result = (result << 8 & mask) ^ products[byte ^ result >> top]
    return list(result.to_bytes(degree, "big"))


def _data_capacity(version: int) -> int:
    return sum(count * size for count, size in _BLOCKS[version][1])


def _codewords(data: bytes, version: int) -> list[int]:
    """The data in byte mode, padded, split into blocks, each with its error correction, and
    interleaved as the symbol holds them."""
    capacity = _data_capacity(version) * 8
    count_bits = 8 if version < 10 else 16
    bits = (0b0100 << count_bits | len(data)) << 8 * len(data) | int.from_bytes(data, "big")
    length = 4 + count_bits + 8 * len(data)
    terminator = min(4, capacity - length)
    bits <<= terminator
    length += terminator
    pad = -length % 8
    bits <<= pad
    length += pad
    words = list(bits.to_bytes(length // 8, "big"))
    words += [(0xEC, 0x11)[i % 2] for i in range(capacity // 8 - len(words))]
    ec, groups = _BLOCKS[version]
    blocks: list[list[int]] = []
    start = 0
    for count, size in groups:
        for _ in range(count):
            blocks.append(words[start : start + size])
            start += size
    out = [b[i] for i in range(max(len(b) for b in blocks)) for b in blocks if i < len(b)]
    checks = [_remainder(b, ec) for b in blocks]
    out += [c[i] for i in range(ec) for c in checks]
    return out


@cache
def _layout(version: int) -> tuple[tuple[tuple[bool, ...], ...], tuple[tuple[int, int, bool], ...]]:
    """A version's function patterns (the modules every code of it shares, format and version
    information included, the mask applied to the remainder bits) and its data modules in
    placement order, each with its mask bit."""
    size = 17 + 4 * version
    dark = [[False] * size for _ in range(size)]
    function = [[False] * size for _ in range(size)]

    def put(x: int, y: int, value: bool) -> None:
        dark[y][x] = value
        function[y][x] = True

    for i in range(size):
        put(6, i, i % 2 == 0)
        put(i, 6, i % 2 == 0)
    for cx, cy in ((3, 3), (size - 4, 3), (3, size - 4)):
        for dy in range(-4, 5):
            for dx in range(-4, 5):
                if 0 <= cx + dx < size and 0 <= cy + dy < size:
                    put(cx + dx, cy + dy, max(abs(dx), abs(dy)) not in (2, 4))
    positions = _alignment(version)
    last = len(positions) - 1
    for i, ay in enumerate(positions):
        for j, ax in enumerate(positions):
            if (i, j) in ((0, 0), (0, last), (last, 0)):
                continue
            for dy in range(-2, 3):
                for dx in range(-2, 3):
                    put(ax + dx, ay + dy, max(abs(dx), abs(dy)) != 1)
    bit = [bool(_FORMAT_M_MASK0 >> i & 1) for i in range(15)]
    for i in range(6):
        put(8, i, bit[i])
    put(8, 7, bit[6])
    put(8, 8, bit[7])
    put(7, 8, bit[8])
    for i in range(9, 15):
        put(14 - i, 8, bit[i])
    for i in range(8):
        put(size - 1 - i, 8, bit[i])
    for i in range(8, 15):
        put(8, size - 15 + i, bit[i])
    put(8, size - 8, True)
    _version_info(version, put)
    return _place(version, dark, function)


def _version_info(version: int, put: Callable[[int, int, bool], None]) -> None:
    """Versions 7 and up: the version number, BCH-coded, in two 6 × 3 blocks."""
    size = 17 + 4 * version
    if version >= 7:
        remainder = version
        for _ in range(12):
            remainder = (remainder << 1) ^ ((remainder >> 11) * 0x1F25)
        info = version << 12 | remainder
        for i in range(18):
            a, b, on = size - 11 + i % 3, i // 3, bool(info >> i & 1)
            put(a, b, on)
            put(b, a, on)


def _place(
    version: int, dark: list[list[bool]], function: list[list[bool]]
) -> tuple[tuple[tuple[bool, ...], ...], tuple[tuple[int, int, bool], ...]]:
    """The data modules in placement order (two columns at a time, up then down, right to left),
    each with its mask bit; the remainder bits after them are left light, then masked."""
    size = len(dark)
    order: list[tuple[int, int, bool]] = []
    right = size - 1
    while right >= 1:
        if right == 6:
            right = 5
        for vert in range(size):
            for j in range(2):
                x = right - j
                y = size - 1 - vert if (right + 1) & 2 == 0 else vert
                if not function[y][x]:
                    order.append((x, y, (x + y) % 2 == 0))
        right -= 2
    words = _data_capacity(version) + _BLOCKS[version][0] * sum(c for c, _ in _BLOCKS[version][1])
    for x, y, flip in order[words * 8 :]:  # remainder bits: light, then masked
        dark[y][x] = flip
    return tuple(tuple(row) for row in dark), tuple(order[: words * 8])


@cache
def _template(version: int) -> tuple[list[str], tuple[int, ...], int]:
    """A version's modules in raster order as "0"/"1" (data modules "0"), the raster index of
    each data bit in placement order, and the mask over the data bits as one integer."""
    base, order = _layout(version)
    size = len(base)
    cells = ["1" if dark else "0" for row in base for dark in row]
    mask = 0
    for x, y, flip in order:
        cells[y * size + x] = "0"
        mask = mask << 1 | flip
    return cells, tuple(y * size + x for x, y, _flip in order), mask


def _version(length: int) -> int | None:
    """The smallest version (1–40) whose level-M data holds ``length`` bytes."""
    for version in _BLOCKS:
        if 4 + (8 if version < 10 else 16) + 8 * length <= _data_capacity(version) * 8:
            return version
    return None


def rows(text: str) -> list[str] | None:
    """The code's modules, a string of "0" and "1" (dark) per row, without the quiet zone; None
    when the text is longer than version 40 holds."""
    data = text.encode("utf-8")
    version = _version(len(data))
    if version is None:
        return None
    cells, where, mask = _template(version)
    cells = list(cells)
    bits = format(int.from_bytes(bytes(_codewords(data, version)), "big") ^ mask, "b")
    bits = bits.rjust(len(where), "0")
    for index, bit in zip(where, bits, strict=True):
        cells[index] = bit
    size = 17 + 4 * version
    joined = "".join(cells)
    return [joined[y * size : (y + 1) * size] for y in range(size)]


def matrix(text: str) -> list[list[bool]] | None:
    """:func:`rows` as booleans (dark = True)."""
    found = rows(text)
    return None if found is None else [[c == "1" for c in row] for row in found]


def svg(text: str, title: str) -> str | None:
    """The code as an SVG element, for a page to size with CSS (a module per unit, the quiet
    zone included; one path: per row, a move to each dark run and a 1-unit-wide stroke along it);
    None when the text is too long for a code."""
    found = rows(text)
    if found is None:
        return None
    path = "".join(
        f"M{QUIET} {y + QUIET}.5" + "".join(_STEP[run] for run in _RUNS.findall(row))
        for y, row in enumerate(found)
    )
    side = len(found) + 2 * QUIET
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}" role="img" '
        f'shape-rendering="crispEdges"><title>{title}</title>'
        f'<rect width="{side}" height="{side}" fill="#fff"/>'
        f'<path stroke="#000" d="{path}"/></svg>'
    )


def _relative_path(found: list[str], border: int) -> str:
    """A path of the dark runs, row by row: a move relative to the last run's end, then a
    1-unit-wide horizontal stroke (the first move absolute, at the quiet zone's corner)."""
    parts = []
    pen: tuple[int, int] | None = None
    for y, row in enumerate(found):
        body = row.strip("0")
        if not body:
            continue
        start = row.index("1")
        if pen is None:
            parts.append(f"M{start + border} {y + border}.5")
        else:
            parts.append(f"m{start - pen[0]} {y - pen[1]}")
        parts.extend(_STEP[run] for run in _RUNS.findall(body))
        pen = (start + len(body), y)
    return "".join(parts)


def _rows_or_fail(text: str) -> list[str]:
    found = rows(text)
    if found is None:
        raise ValueError(f"{len(text.encode())} bytes do not fit in a QR code of level M")
    return found


def sheet_svg(text: str) -> str:
    """The code as a standalone SVG file for a printed sheet: a unit per module, the standard
    4-module quiet zone included in its width and height (the template scales it); ValueError
    when the text is too long for a code."""
    found = _rows_or_fail(text)
    side = len(found) + 2 * QUIET
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{side}" height="{side}" class="segno">'
        f'<path class="qrline" stroke="#000" d="{_relative_path(found, QUIET)}"/></svg>\n'
    )


def inline_svg(text: str, scale: int, border: int) -> str:
    """The code as an SVG element inline in HTML: ``scale`` units a module, ``border`` modules
    of quiet zone, no size of its own (the page's CSS gives it); ValueError when the text is too
    long for a code."""
    found = _rows_or_fail(text)
    side = (len(found) + 2 * border) * scale
    return (
        f'<svg viewBox="0 0 {side} {side}" class="segno"><title></title>'
        f'<path transform="scale({scale})" class="qrline" stroke="#000" '
        f'd="{_relative_path(found, border)}"/></svg>'
    )
