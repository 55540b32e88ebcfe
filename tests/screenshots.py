"""The README's and docs/site.md's screenshots of the online hall: a guide page at desktop and
phone width, and the same page printed from the browser; the home page at desktop and phone width
and in the 长辈版 (with the government-website marks set).

    .venv/bin/python -m tests.screenshots [OUT]     # default docs/: site-guide-{desktop,phone,print}.png,
                                                    # site-home-{desktop,phone}.png, site-elder.png

Builds the example library's site and printed sheets the way tests/test_browser_guide.py does (a
change to 内地居民结婚登记 announced, so the page shows the upcoming-change banner), serves the
library's ``.guides`` folder on 127.0.0.1 (the page's link to its PDF sheet resolves) and
photographs ``site/guides/jiehun-dengji.html`` in Debian's headless Chromium: 1280 × 900, and
390 × 844 at device scale 2; the print is the browser's PDF of the page (print media, A4), its
first page at 110 dpi. The dates on the page are today's, so each run gives slightly different
pictures.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Browser

from tests.conftest import REPO
from tests.test_browser import ENVIRONMENT, GID, chromium, serve_folder, shoot, watched_page
from tests.test_browser_guide import build_printed_hall
from tests.test_site_chrome import MARKS, build, shoot_home


def shoot_print(browser: Browser, base: str, out: Path) -> Path:
    """The guide page printed by the browser (print media, A4): its first page as a PNG."""
    with watched_page(browser, base) as page:
        page.goto(base + f"guides/{GID}.html")
        page.emulate_media(media="print")
        pdf = page.pdf(format="A4")
    prefix = out / "site-guide-print"
    subprocess.run(
        ["pdftoppm", "-r", "110", "-f", "1", "-l", "1", "-png", "-singlefile", "-", str(prefix)],
        input=pdf,
        check=True,
    )
    return prefix.with_suffix(".png")


def main(argv: list[str]) -> None:
    out = Path(argv[0]) if argv else REPO / "docs"
    for name in ENVIRONMENT:  # the example's own SQLite ledger, in a temporary copy
        os.environ.pop(name, None)
    with tempfile.TemporaryDirectory() as tmp:
        lib = build_printed_hall(Path(tmp) / "lib")
        with serve_folder(lib.root / ".guides") as served, chromium() as browser:
            base = served + "site/"
            for path in [*shoot(browser, base, out), shoot_print(browser, base, out)]:
                print(path)
        home = build(Path(tmp) / "home", MARKS, theme=False)
        with serve_folder(home.root / ".guides/site") as base, chromium() as browser:
            for path in shoot_home(browser, base, out):
                print(path)


if __name__ == "__main__":
    main(sys.argv[1:])
