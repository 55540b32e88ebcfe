"""The README's screenshots of the online hall: a guide page at desktop and phone width; the home
page at desktop and phone width and in the 长辈版 (with the government-website marks set).

    .venv/bin/python -m tests.screenshots [OUT]     # default docs/: site-guide-{desktop,phone}.png,
                                                    # site-home-{desktop,phone}.png, site-elder.png

Builds the example library's site the way tests/test_browser.py does (a change to 内地居民结婚登记
announced, so the page shows the upcoming-change banner), serves it on 127.0.0.1 and photographs
``guides/jiehun-dengji.html`` in Debian's headless Chromium: 1280 × 900, and 390 × 844 at device
scale 2. The dates on the page are today's, so each run gives slightly different pictures.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from tests.conftest import REPO
from tests.test_browser import ENVIRONMENT, build_hall, chromium, serve_folder, shoot
from tests.test_site_chrome import MARKS, build, shoot_home


def main(argv: list[str]) -> None:
    out = Path(argv[0]) if argv else REPO / "docs"
    for name in ENVIRONMENT:  # the example's own SQLite ledger, in a temporary copy
        os.environ.pop(name, None)
    with tempfile.TemporaryDirectory() as tmp:
        lib = build_hall(Path(tmp) / "lib")
        with serve_folder(lib.root / ".guides/site") as base, chromium() as browser:
            for path in shoot(browser, base, out):
                print(path)
        home = build(Path(tmp) / "home", MARKS, theme=False)
        with serve_folder(home.root / ".guides/site") as base, chromium() as browser:
            for path in shoot_home(browser, base, out):
                print(path)


if __name__ == "__main__":
    main(sys.argv[1:])
