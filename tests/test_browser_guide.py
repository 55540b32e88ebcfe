"""The guide page in Chromium: the order citizens read it in, the materials as cards on a phone,
the forms and the printable sheet downloaded from it, and printing it from the browser.

The hall is the example library with a site **and** a pdf channel (the page links the sheet the
pdf channel prints, and printing the page is compared with that sheet), published, then a change
to 内地居民结婚登记 announced (the banner). The library's ``.guides`` folder is served, so the
site's relative link to the pdf channel's folder (``../print/``) resolves as on a server that
serves both.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from guidesrc.site.data import Manifest
from tests.conftest import EXAMPLE, Library, directory_only
from tests.test_browser import (
    CHANGED_CONDITION,
    CONDITION,
    GID,
    GUIDE_FILE,
    NAME,
    PHONE,
    SHANGHAI,
    UPCOMING,
    Hall,
    assert_accessible,
    clean_environment,
    cli,
    date_cn,
    serve_folder,
    watched_page,
)
from tests.test_browser import browser as browser
from tests.test_browser import page as page
from tests.test_browser import pytestmark as pytestmark
from tests.test_pdf import qr_codes

FORM = "files/jiehun-dengji-shengmingshu-yangbiao.txt"
ADDRESS = f"https://zwfw.example.gov.cn/guides/{GID}.html"
CHANNELS = """  site:
    type: site
    settings:
      path: .guides/site
      title: 示例市网上办事大厅
  print:
    type: pdf
    settings:
      path: .guides/print
      batches: false
"""
#: The sections of a guide page, top to bottom: what a citizen needs first, codes last.
ORDER = [
    "h-conditions", "h-toc", "h-materials", "h-places", "h-procedure", "h-time", "h-fees",
    "h-contact", "h-faq", "h-results", "h-basis", "h-basic",
]  # fmt: skip


def build_printed_hall(root: Path) -> Library:
    """The example with a site and a pdf channel, published; then a change announced."""
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".guides"))
    directory_only(root)
    lib = Library(root)
    lib.edit("library.yaml", "rules: {}", CHANNELS + "rules: {}")
    cli("approve", str(root), "--effective", "today", "--note", "首次发布")
    cli("publish", str(root))
    lib.edit(GUIDE_FILE, CONDITION, CHANGED_CONDITION)
    cli("approve", str(root), "--effective", UPCOMING.isoformat(), "--note", "受理条件调整")
    cli("publish", str(root))
    return lib


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hall]:
    with clean_environment():
        lib = build_printed_hall(tmp_path_factory.mktemp("printed") / "lib")
    with serve_folder(lib.root / ".guides") as base:
        yield Hall(lib, base + "site/")


@pytest.fixture
def phone(browser: Browser, hall: Hall) -> Iterator[Page]:
    with watched_page(browser, hall.base, viewport=PHONE, device_scale_factor=2) as page:
        page.goto(hall.base + f"guides/{GID}.html")
        yield page


def top(page: Page, selector: str) -> float:
    return float(page.locator(selector).evaluate("e => e.getBoundingClientRect().top + scrollY"))


def test_a_phone_shows_the_conditions_on_the_first_screen_and_the_codes_last(
    phone: Page,
) -> None:
    expect(phone.locator(".upcoming-banner")).to_be_visible()  # the tallest case: with a banner
    assert top(phone, "#h-conditions") + 40 <= PHONE["height"]  # its heading and a line below
    assert top(phone, "#h-conditions") > top(phone, "h1")
    ids = phone.locator("article.guide h2").evaluate_all("hs => hs.map(h => h.id)")
    assert ids == ORDER
    assert top(phone, ".version-info code.hash") > top(phone, "#sec-contact")
    assert top(phone, "#sec-basic") > top(phone, "#sec-faq")


def test_the_banner_says_the_new_versions_date_once(phone: Page) -> None:
    banner = phone.locator(".upcoming-banner")
    assert banner.inner_text().count(date_cn(UPCOMING)) == 1
    expect(banner).to_contain_text(f"新版本自 {date_cn(UPCOMING)}起实施。")


def test_a_phone_shows_each_material_as_a_card_with_its_notes_in_view(phone: Page) -> None:
    width = phone.evaluate("document.documentElement.clientWidth")
    assert phone.evaluate("document.documentElement.scrollWidth") == width
    region = phone.locator("#sec-materials .table-wrap")
    assert region.evaluate("e => e.scrollWidth - e.clientWidth") == 0
    rows = phone.locator("table.materials tbody tr")
    expect(rows).to_have_count(3)
    for n in range(3):
        notes = rows.nth(n).locator("td[data-label=说明]")
        expect(notes).to_be_visible()
        box = notes.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
        label = notes.evaluate("e => getComputedStyle(e, '::before').content")
        assert label == '"说明："'
    expect(rows.nth(0).locator("td[data-label=形式和份数]")).to_have_text("原件 2 份")
    expect(phone.locator("#sec-materials")).not_to_contain_text("原件，原件")
    assert_accessible(phone)


def test_the_form_and_the_printable_sheet_download_from_the_page(
    page: Page,
    hall: Hall,
) -> None:
    page.goto(hall.base + f"guides/{GID}.html")
    form = page.locator("a.form-link")
    expect(form).to_have_text(FORM.removeprefix("files/"))
    response = page.request.get(form.evaluate("a => a.href"))
    assert response.ok and response.body() == (EXAMPLE / FORM).read_bytes()

    pdf = page.locator("a.pdf-link")
    expect(pdf).to_have_text("下载打印版（PDF）")
    assert pdf.get_attribute("href") == f"../../print/current/{GID}.pdf"
    response = page.request.get(pdf.evaluate("a => a.href"))
    sheet = hall.lib.path(f".guides/print/current/{GID}.pdf").read_bytes()
    assert response.ok and response.body() == sheet

    page.goto(hall.base + f"upcoming/{GID}.html")  # the new version links the new sheet
    response = page.request.get(page.locator("a.pdf-link").evaluate("a => a.href"))
    assert response.ok
    assert response.body() == hall.lib.path(f".guides/print/upcoming/{GID}.pdf").read_bytes()


def pages_of(pdf: bytes) -> int:
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout
    return int(next(x for x in info.decode().splitlines() if x.startswith("Pages:")).split()[1])


def lines_of(pdf: bytes) -> list[str]:
    out = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"], input=pdf,
                         capture_output=True, check=True).stdout.decode()  # fmt: skip
    return ["".join(line.split()) for line in out.splitlines()]


def test_printing_the_page_gives_the_sheets_look(
    page: Page,
    hall: Hall,
    tmp_path: Path,
) -> None:
    page.goto(hall.base + f"guides/{GID}.html")
    page.emulate_media(media="print")
    expect(page.locator(".print-qr svg")).to_be_visible()
    expect(page.locator(".site-nav")).to_be_hidden()
    printed = page.pdf(format="A4")  # what the browser's 打印 → 另存为 PDF gives
    sheet = hall.lib.path(f".guides/print/current/{GID}.pdf").read_bytes()
    pages = pages_of(printed)
    assert pages <= pages_of(sheet)
    lines = lines_of(printed)
    site = Manifest.read(hall.lib.path(".guides/site").resolve())
    digest = site.guides[GID]["current"]["content_hash"][:12]
    today = date_cn(dt.datetime.now(SHANGHAI).date())  # the first version: effective today
    footer = f"{NAME}·第1版·自{today.replace(' ', '')}起实施·{digest}"
    for n in range(1, pages + 1):
        assert [x for x in lines if x.startswith(footer) and x.endswith(f"第{n}页/共{pages}页")]
    assert "扫码查看网上办事指南" in "".join(lines)
    assert qr_codes(printed, tmp_path) == [ADDRESS]
    assert page.locator(".page-address .url").inner_text() == ADDRESS


def test_every_guide_prints_on_no_more_pages_than_its_sheet(
    page: Page,
    hall: Hall,
) -> None:
    sheets = sorted(hall.lib.path(".guides/print/current").glob("*.pdf"))
    assert len(sheets) == 18
    page.emulate_media(media="print")
    printed = {}
    for sheet in sheets:
        page.goto(hall.base + f"guides/{sheet.stem}.html")
        printed[sheet.stem] = (pages_of(page.pdf(format="A4")), pages_of(sheet.read_bytes()))
    assert [gid for gid, (ours, theirs) in printed.items() if ours > theirs] == [], printed
