"""The one QR encoder (guidesrc/qr.py): every version 1–40 at level M reads back as its text, in
each of the three forms its users draw (the site's page, the printed sheet, the kiosk's page)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import typst

from guidesrc import qr

SITE_ROOT = "https://zwfw.example.gov.cn"
#: The byte counts that fill each version 1–40 at level M (ISO/IEC 18004, table 7).
CAPACITY = [
    14, 26, 42, 62, 84, 106, 122, 152, 180, 213, 251, 287, 331, 362, 412, 450, 504, 560, 624,
    666, 711, 779, 857, 911, 997, 1059, 1125, 1190, 1264, 1370, 1452, 1538, 1628, 1722, 1809,
    1911, 1989, 2099, 2213, 2331,
]  # fmt: skip
#: The longest text of versions across 1–40, and some between.
QR_LENGTHS = [1, 14, 15, 26, 42, 62, 84, 106, 122, 152, 180, 181, 213, 214, 450, 911, 1452, 2331]


def qr_version(length: int) -> int:
    """The smallest version that holds ``length`` bytes at level M."""
    return next(v for v, c in enumerate(CAPACITY, 1) if length <= c)


def address(length: int) -> str:
    return (f"{SITE_ROOT}/guides/" + "jiehun-dengji-" * 170)[:length]


def zbar(image: Path) -> str:
    read = subprocess.run(["zbarimg", "--quiet", "--raw", str(image)], capture_output=True)
    return read.stdout.decode().rstrip("\n")


def read_svg(svg: str, tmp_path: Path, name: str) -> str:
    """What zbarimg reads from ``svg`` drawn at 4 pixels a module (by Typst, as a sheet is)."""
    if "xmlns=" not in svg:  # an inline SVG: a file needs the namespace
        svg = svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
    side = int(re.search(r'viewBox="0 0 (\d+)', svg)[1]) if "viewBox" in svg else 0  # type: ignore[index]
    if not side:
        side = int(re.search(r'width="(\d+)"', svg)[1])  # type: ignore[index]
    scale = 6 if "scale(6)" in svg else 1
    source = tmp_path / f"{name}.typ"
    source.write_text(
        "#set page(width: auto, height: auto, margin: 0pt, fill: white)\n"
        f"#image(bytes(sys.inputs.svg), width: {side // scale * 3}pt)\n",
        encoding="utf-8",
    )
    png = typst.compile(str(source), format="png", ppi=96, sys_inputs={"svg": svg})
    assert isinstance(png, bytes)
    image = tmp_path / f"{name}.png"
    image.write_bytes(png)
    return zbar(image)


def test_codes_of_every_size_read_back_as_their_text(tmp_path: Path) -> None:
    """Versions across 1–40, read by zbarimg from a bitmap of the modules."""
    for n in QR_LENGTHS:
        text = address(n)
        rows = qr.matrix(text)
        assert rows is not None and len(rows) == 17 + 4 * qr_version(n)
        scale, margin = 4, qr.QUIET
        side = (len(rows) + 2 * margin) * scale
        lines = [
            " ".join(
                "1" if 0 <= y // scale - margin < len(rows) and 0 <= x // scale - margin < len(rows)
                and rows[y // scale - margin][x // scale - margin] else "0"
                for x in range(side)
            )
            for y in range(side)
        ]  # fmt: skip
        image = tmp_path / f"qr{n}.pbm"
        image.write_text(f"P1\n{side} {side}\n" + "\n".join(lines) + "\n", encoding="ascii")
        assert zbar(image) == text, n
    assert qr.matrix("x" * 2332) is None  # beyond version 40: no code


@pytest.mark.parametrize("length", [14, 122, 213, 911, 2331])
def test_the_sheets_and_the_kiosks_codes_read_back(tmp_path: Path, length: int) -> None:
    """The sheet's SVG (a unit a module, the 4-module quiet zone) and the kiosk's inline one
    (6 units a module, 2 modules of quiet zone), drawn as Typst draws the sheet's."""
    text = address(length)
    sheet = qr.sheet_svg(text)
    side = 17 + 4 * qr_version(length) + 2 * qr.QUIET
    assert f'width="{side}" height="{side}"' in sheet
    assert read_svg(sheet, tmp_path, "sheet") == text
    kiosk = qr.inline_svg(text, scale=6, border=2)
    assert kiosk.startswith(f'<svg viewBox="0 0 {(side - 4) * 6} {(side - 4) * 6}"')
    assert read_svg(kiosk, tmp_path, "kiosk") == text


def test_text_too_long_for_a_code_is_refused() -> None:
    with pytest.raises(ValueError, match="2332 bytes"):
        qr.sheet_svg("x" * 2332)
    assert qr.svg("x" * 2332, "t") is None  # the site's page shows no code
