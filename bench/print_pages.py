"""Print sample sheets of the example library and render their pages as PNG images for docs/.

    .venv/bin/python bench/print_pages.py [--dpi 100]

Writes ``docs/print-*.png`` (needs pdftoppm from Debian poppler-utils; zbarimg from zbar-tools,
when present, checks that each first page's QR code reads back as the guide's address):

- ``print-1page.png``: a short guide, one page (an example guide cut to two materials, no FAQ
  entries and one legal basis);
- ``print-3pages-p1.png`` … ``-p3.png``: the next version of 食品经营许可（新办）, marked 即将实施
  with its change notice; its materials table runs onto the second page under its repeated
  header;
- ``print-large-p2.png``: the large-print variant of the upcoming sheet (its materials table, and
  the footer that breaks between its parts: 即将实施 whole on a second line);
- ``print-withdrawn.png``: a withdrawal sheet.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import orjson

from guidesrc.compile import canonical_bytes
from guidesrc.print.fonts import find_fonts
from guidesrc.print.render import Renderer, RenderOptions, page_count
from guidesrc.print.sheet import SheetJob
from guidesrc.state import WorkingTree, load_state
from guidesrc.urls import guide_url
from guidesrc.workdays import read_config

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "example"
DOCS = REPO / "docs"
APPROVED = dt.datetime(2026, 11, 20, 8, 30, tzinfo=dt.UTC)
NOTICE = {
    "status": "changed",
    "effective_date": "2026-12-01",
    "items": [
        {
            "field": "promised_time_limit",
            "label": "承诺办结时限",
            "clauses": ["由 10 个工作日调整为 5 个工作日"],
        },
        {
            "field": "materials",
            "label": "申请材料",
            "clauses": ["删除《营业执照》（改为共享核验）"],
        },
    ],
    "text": "",
}


def compiled(gid: str) -> dict[str, Any]:
    state = load_state(WorkingTree(EXAMPLE))
    return dict(orjson.loads(canonical_bytes(state.compiled(gid))))


def job(compiled_guide: dict[str, Any], **changes: Any) -> SheetJob:
    guide = compiled_guide
    base = SheetJob(
        kind="current",
        guide_id=guide["id"],
        name=guide["name"],
        version=3,
        effective_date=dt.date(2026, 12, 1),
        approved_at=APPROVED,
        content_hash=orjson.dumps(guide).hex()[:64],  # stands for the content hash
        guide=guide,
        notice=NOTICE,
        reason=None,
        url=guide_url(read_config(EXAMPLE).base_url, guide["id"]),
    )
    return dataclasses.replace(base, **changes)


def short_guide() -> dict[str, Any]:
    guide = compiled("chusheng-yixue-zhengming-bufa")
    return {
        **guide,
        "materials": guide["materials"][:2],
        "faq": [],
        "legal_basis": guide["legal_basis"][:1],
    }


def pages(pdf: bytes, name: str, dpi: int, which: list[int] | None = None) -> list[Path]:
    """PNG images of ``pdf``'s pages (all, or ``which``) as docs/<name>[-pN].png."""
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "sheet.pdf"
        source.write_bytes(pdf)
        count = page_count(pdf)
        for n in which or range(1, count + 1):
            target = DOCS / (f"{name}.png" if count == 1 else f"{name}-p{n}.png")
            prefix = Path(tmp) / f"p{n}"
            page = ["-f", str(n), "-l", str(n)]
            subprocess.run(
                [
                    "pdftoppm",
                    "-r",
                    str(dpi),
                    *page,
                    "-png",
                    "-singlefile",
                    str(source),
                    str(prefix),
                ],
                check=True,
            )
            shutil.move(f"{prefix}.png", target)
            written.append(target)
    return written


def qr_reads(png: Path) -> str:
    if shutil.which("zbarimg") is None:
        return "(zbarimg not installed)"
    run = subprocess.run(["zbarimg", "--quiet", "--raw", str(png)], capture_output=True, text=True)
    return run.stdout.strip() or "(no QR code read)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dpi", type=int, default=100, help="resolution of the images")
    args = parser.parse_args(argv)
    renderer = Renderer(RenderOptions(find_fonts()))
    food = compiled("shipin-jingying-xuke")
    sheets = [
        ("print-1page", job(short_guide()), None),
        ("print-3pages", job(food, kind="upcoming", version=4), None),
        ("print-large", job(food, kind="upcoming", version=4, large=True), [2]),
        (
            "print-withdrawn",
            job(
                food,
                kind="withdrawn",
                version=5,
                guide=None,
                content_hash=None,
                reason="该事项已划转至示例市行政审批局办理",
            ),
            None,
        ),
    ]
    for name, sheet, which in sheets:
        pdf = renderer.render(sheet)
        for png in pages(pdf, name, args.dpi, which):
            note = f"QR: {qr_reads(png)}" if png.name.endswith(("p1.png", "1page.png")) else ""
            print(f"{png.relative_to(REPO)}  ({page_count(pdf)} pages) {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
