"""`guides kiosk` against a real CUPS scheduler: search in Chinese, read, print the published PDF
byte for byte, count it; refuse what must not print; and the same in real Chromium at kiosk size
(1080×1920), axe-core clean, with the screenshot in docs/kiosk.png."""

from __future__ import annotations

import datetime as dt
import http.client
import importlib
import json
import os
import re
import shutil
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from guidesrc.kiosk.server import Kiosk, start_kiosk
from guidesrc.print.bundle import Bundle
from guidesrc.print.ipp import Client
from guidesrc.print.queue import Queue
from guidesrc.search import synonyms
from guidesrc.urls import guide_url
from tests.conftest import EXAMPLE, REPO, Library, directory_only, invoke, withdraw
from tests.cups_server import Cups, cups  # noqa: F401  (the fixture)
from tests.test_qr import read_svg
from tests.test_search import CITIZENS, DICTIONARY

GID = "jiehun-dengji"
NAME = "内地居民结婚登记"
WITHDRAWN = "chusheng-dengji"
QUEUE = "kiosk-1"
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
ENVIRONMENT = ("GUIDES_LANG", "GUIDES_DATABASE_URL", "GUIDES_USER", "GUIDES_FAULT", "LANGUAGE")


def cli(*args: str) -> str:
    run = invoke(*args)
    assert run.exit_code == 0, run.stdout + run.stderr
    return run.stdout


@dataclass
class Hall:
    lib: Library
    kiosk: Kiosk
    cups: Cups
    output: Path  # where the kiosk's queue prints

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.kiosk.port}"

    @property
    def base(self) -> str:
        return f"http://{self.host}/"

    def published(self, gid: str = GID) -> bytes:
        return (self.lib.root / f".guides/print/current/{gid}.pdf").read_bytes()


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory, cups: Cups) -> Iterator[Hall]:  # noqa: F811
    """The example library published to a pdf channel, one guide withdrawn, and a kiosk on it."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ENVIRONMENT:
            patch.delenv(name, raising=False)
        root = tmp_path_factory.mktemp("kiosk") / "lib"
        shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".guides"))
        directory_only(root)
        lib = Library(root)
        lib.edit(
            "library.yaml",
            "rules: {}",
            "  print:\n    type: pdf\n    settings:\n      path: .guides/print\nrules: {}",
        )
        cli("approve", str(root), "--effective", "today", "--note", "首次发布")
        cli("publish", str(root))
        withdraw(root, WITHDRAWN, "该事项已调整至市卫生健康委员会办理")
        cli("publish", str(root))
        from guidesrc.ledger import open_ledger

        output = cups.add_queue(QUEUE)
        kiosk = Kiosk(
            bundle=Bundle(root / ".guides/print"),
            queue=Queue(QUEUE, cups.server),
            ledger=open_ledger(root),
            base_url="https://zwfw.example.gov.cn/guides",
            timezone="Asia/Shanghai",
        )
        start_kiosk(kiosk, port=0)
        kiosk.serve()
        try:
            yield Hall(lib, kiosk, cups, output)
        finally:
            kiosk.close()


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage  # names are case-insensitive, as in HTTP
    body: str

    def json(self) -> Any:
        return json.loads(self.body)


def request(
    hall: Hall, method: str, path: str, *, body: str = "", headers: dict[str, str] | None = None
) -> Answer:
    connection = http.client.HTTPConnection("127.0.0.1", hall.kiosk.port, timeout=60)
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        sent = {"Host": hall.host, **(headers or {})}
        if method == "POST":
            sent.setdefault("Content-Type", "application/x-www-form-urlencoded")
            sent.setdefault("Content-Length", str(len(body.encode())))
        for key, value in sent.items():
            connection.putheader(key, value)
        connection.endheaders(body.encode() if body else None)
        answer = connection.getresponse()
        return Answer(answer.status, answer.msg, answer.read().decode("utf-8"))
    finally:
        connection.close()


def print_form(hall: Hall, gid: str, **headers: str) -> Answer:
    return request(
        hall,
        "POST",
        f"/guide/{gid}/print",
        body=f"token={hall.kiosk.token}",
        headers={"Origin": f"http://{hall.host}", **headers},
    )


def until_done(hall: Hall, job: str) -> dict[str, Any]:
    """The job's state from the kiosk's JSON endpoint, asked until it says the job ended
    (bounded by count; each answer is CUPS' own state, no timer)."""
    for _ in range(5000):
        body: dict[str, Any] = request(hall, "GET", f"/api/print/{job}").json()
        if body["done"]:
            return body
    raise AssertionError("the print job did not end")


def jobs(hall: Hall) -> int:
    return len(Client(hall.cups.server).jobs(QUEUE))


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- finding and reading -----------------------------------------------------------------------


def test_kiosk_search_by_name_or_department_in_chinese(hall: Hall) -> None:
    page = request(hall, "GET", "/search?q=" + urllib.parse.quote("结婚"))
    assert page.status == 200
    found = re.findall(r'<li><a href="/guide/([a-z0-9-]+)">', page.body)
    assert found[0] == GID  # the name first; guides asking for a 结婚证 after it
    assert f"找到 {len(found)} 项与“结婚”相关的事项。" in page.body
    assert "<mark>结婚</mark>证" in page.body  # 结婚证 among the materials, marked
    page = request(hall, "GET", "/search?q=" + urllib.parse.quote("民政局"))
    assert GID in page.body
    page = request(hall, "GET", "/search?q=" + urllib.parse.quote("jiehun"))  # pinyin
    assert re.findall(r'<li><a href="/guide/([a-z0-9-]+)">', page.body)[0] == GID
    page = request(hall, "GET", "/search?q=" + urllib.parse.quote("火星移民"))
    assert "没有找到与“火星移民”相关的事项。" in page.body
    help_ = text(page.body[page.body.index('id="search-help"') :])
    assert "按主题查找" in help_ and "社会保障" in help_ and "12345" in help_
    page = request(hall, "GET", "/search?q=" + urllib.parse.quote("婚介所"))
    offered = re.findall(r'<a href="/search\?q=[^"]+">([^<]+)</a>', page.body)
    assert "婚姻登记" in offered, offered  # the nearest spellings, each a link to its search
    # A withdrawn guide is not found.
    assert WITHDRAWN not in request(hall, "GET", "/search?q=" + urllib.parse.quote("出生")).body


def test_kiosk_guide_page_shows_version_date_qr_and_the_print_button(
    hall: Hall, tmp_path: Path
) -> None:
    page = request(hall, "GET", f"/guide/{GID}")
    assert page.status == 200
    today = dt.datetime.now(SHANGHAI).date()
    assert f"第 1 版 · 自 {today.year} 年 {today.month} 月 {today.day} 日起实施" in text(page.body)
    assert "用手机扫码查看本指南" in page.body
    code = re.search(r"<svg viewBox=.*?</svg>", page.body)
    assert code is not None  # the page's QR code reads as the guide's online page
    assert read_svg(code[0], tmp_path, "kiosk") == guide_url(hall.kiosk.base_url, GID)
    assert 'id="print"' in page.body and hall.kiosk.token in page.body
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert not re.search(r'(src|href)="(https?:)?//', page.body)  # nothing from elsewhere
    home = request(hall, "GET", "/")
    assert "按主题查找" in home.body and 'href="/theme/0"' in home.body
    theme = request(hall, "GET", "/theme/0")
    assert theme.status == 200 and "/guide/" in theme.body


def test_kiosk_withdrawn_guide_shows_the_notice_and_no_print_button(hall: Hall) -> None:
    page = request(hall, "GET", f"/guide/{WITHDRAWN}")
    assert page.status == 200
    assert "本事项已停止办理" in page.body and "该事项已调整至市卫生健康委员会办理" in page.body
    assert 'id="print"' not in page.body


# --- printing ----------------------------------------------------------------------------------


def test_kiosk_prints_the_published_pdf_and_counts_it(hall: Hall) -> None:
    answer = print_form(hall, GID)
    assert answer.status == 303, answer.body
    job = answer.headers["Location"].rsplit("/", 1)[1]
    assert answer.headers["Location"] == f"/print/{job}"
    page = request(hall, "GET", f"/print/{job}")
    assert f"打印：{NAME}" in page.body
    assert until_done(hall, job) == {
        "state": "completed",
        "done": True,
        "message": "打印完成，请在打印机出纸口取走办事指南。",
    }
    assert hall.output.read_bytes() == hall.published()

    from sqlmodel import select

    from guidesrc.ledger.models import PrintTally

    assert hall.kiosk.ledger is not None
    with hall.kiosk.ledger.session() as session:
        rows = session.exec(select(PrintTally)).all()
    pages = hall.kiosk.catalog.entries[GID].current.pages  # type: ignore[union-attr]
    assert [(r.day, r.guide_id, r.source, r.prints, r.pages) for r in rows] == [
        (dt.datetime.now(SHANGHAI).date(), GID, f"kiosk:{QUEUE}", 1, pages)
    ]
    # Asking again does not count it again; `guides status` shows it.
    until_done(hall, job)
    run = invoke("status", str(hall.lib.root))
    assert f"打印：近 30 天自助终端打印 1 次、{pages} 页" in run.stderr


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        (f"/guide/{WITHDRAWN}/print", 410, "该事项已停止办理，不能打印办事指南。"),
        ("/guide/no-such-guide/print", 404, "没有找到这项办事指南。"),
        ("/guide/..%2F..%2Fetc%2Fpasswd/print", 400, "事项编号无效。"),
        ("/guide/%2e%2e/print", 400, "事项编号无效。"),
        ("/guide/Jiehun/print", 400, "事项编号无效。"),
    ],
)
def test_kiosk_refuses_to_print_what_it_must_not(
    hall: Hall, path: str, status: int, message: str
) -> None:
    before = jobs(hall)
    answer = request(
        hall, "POST", path, body=f"token={hall.kiosk.token}",
        headers={"Origin": f"http://{hall.host}"},
    )  # fmt: skip
    assert answer.status == status
    assert message in answer.body
    assert jobs(hall) == before


@pytest.mark.parametrize(
    ("headers", "body", "status", "message"),
    [
        ({"Origin": "http://evil.example"}, "token=", 403, "只能在本机自助终端的页面上打印。"),
        ({}, "token=", 403, "只能在本机自助终端的页面上打印。"),
        (None, "token=wrong", 403, "页面已过期，请返回首页重新操作。"),
        ({"Host": "evil.example:80"}, "token=", 400, "请求的主机名不属于本机自助终端"),
    ],
)
def test_kiosk_prints_only_for_its_own_pages(
    hall: Hall, headers: dict[str, str] | None, body: str, status: int, message: str
) -> None:
    before = jobs(hall)
    sent = {"Origin": f"http://{hall.host}"} if headers is None else headers
    if body == "token=":
        body += hall.kiosk.token
    answer = request(hall, "POST", f"/guide/{GID}/print", body=body, headers=sent)
    assert (answer.status, message in answer.body) == (status, True), answer.body
    assert jobs(hall) == before


def test_kiosk_refuses_huge_queries(hall: Hall) -> None:
    answer = request(hall, "GET", "/search?q=" + urllib.parse.quote("办" * 41))
    assert answer.status == 400 and "搜索内容过长：请输入不超过 40 个字。" in answer.body
    answer = request(hall, "GET", "/search?q=" + "a" * 5000)
    assert answer.status == 414 and "请求地址过长，已拒绝。" in answer.body
    answer = request(hall, "GET", "/api/print/99999999999999")
    assert answer.status == 404 and answer.json()["message"] == "没有找到这份打印任务。"


def test_kiosk_paused_printer_is_said_plainly_and_nothing_is_sent(hall: Hall) -> None:
    hall.cups.admin("cupsdisable", QUEUE)
    try:
        before = jobs(hall)
        answer = print_form(hall, GID)
        assert answer.status == 503
        assert (
            "打印机暂时无法使用。请到服务台咨询，或扫描页面上的二维码在手机上查看。" in answer.body
        )
        assert jobs(hall) == before
    finally:
        hall.cups.admin("cupsenable", QUEUE)


def test_kiosk_paused_printer_page_shows_the_qr_code_and_the_way_back(hall: Hall) -> None:
    hall.cups.admin("cupsdisable", QUEUE)
    try:
        answer = print_form(hall, GID)
    finally:
        hall.cups.admin("cupsenable", QUEUE)
    assert answer.status == 503
    assert "<svg" in answer.body and f"用手机扫码查看“{NAME}”办事指南" in text(answer.body)
    assert (
        f'<a class="button primary" id="back" href="/guide/{GID}">返回事项页面</a>' in answer.body
    )


# --- starting it: what hall staff are told ----------------------------------------------------


def test_kiosk_without_a_pdf_channel_says_the_library_has_none_and_how_to_add_one(
    library: Library,
) -> None:
    assert "type: pdf" not in library.read("library.yaml")  # guides init: a directory channel
    run = invoke("kiosk", str(library.root), "--queue", QUEUE)
    assert run.exit_code == 2 and "之一" not in run.stderr
    assert run.stderr == (
        "错误：资料库没有 PDF 渠道，自助终端没有可显示和打印的办事指南：请在 library.yaml 中添加一个"
        "（channels: print: type: pdf, settings: path: .guides/print），运行 guides approve 和 "
        "guides publish 后再启动自助终端（见 docs/kiosk.md）\n"
    )


PDF_CHANNEL = "  print:\n    type: pdf\n    settings:\n      path: .guides/print\nrules: {}"


def with_pdf_channel(library: Library) -> None:
    library.edit("library.yaml", "rules: {}", PDF_CHANNEL)
    cli("approve", str(library.root), "--effective", "today", "--note", "首次发布")


def test_kiosk_refuses_a_queue_that_does_not_exist(
    library: Library,
    cups: Cups,  # noqa: F811
) -> None:
    with_pdf_channel(library)
    run = invoke("kiosk", str(library.root), "--queue", "no-such", "--server", cups.server)
    assert run.exit_code == 2
    assert run.stderr == (
        f"错误：--queue no-such：打印服务器（{cups.server}）上没有这个打印队列：请在打印服务器上添加"
        "（lpadmin -p no-such …），或用已有队列的名称启动自助终端（lpstat -p 可列出）\n"
    )


def test_kiosk_with_no_guides_and_a_paused_printer_says_both_at_start(
    library: Library,
    cups: Cups,  # noqa: F811
) -> None:
    """Approved, not yet published: nothing to show. It starts (sheets appear once published)
    and says so, and that its printer is paused, before the address."""
    import signal
    import subprocess
    import sys

    with_pdf_channel(library)
    cups.add_queue("paused-kiosk")
    cups.admin("cupsdisable", "paused-kiosk")
    env = {k: v for k, v in os.environ.items() if k not in ENVIRONMENT}
    env["PYTHONPATH"] = str(REPO)
    args = ["kiosk", str(library.root), "--queue", "paused-kiosk", "--server", cups.server]
    process = subprocess.Popen(
        [sys.executable, "-m", "guidesrc", *args, "--port", "0"],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stderr is not None
        lines = [process.stderr.readline() for _ in range(3)]
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=60)
    assert lines[0].startswith("自助终端已启动：0 项指南")
    assert lines[1] == (
        "警告：自助终端没有可显示的办事指南：PDF 渠道 print 尚未发布任何打印稿；"
        "请运行 guides approve 和 guides publish（发布后自助终端即会显示）\n"
    )
    assert lines[2].startswith("警告：自助终端暂时无法打印：打印机 paused-kiosk 已暂停")


# --- the print tally, on both ledgers -------------------------------------------------------------


@pytest.mark.usefixtures("database")
def test_the_print_tally_counts_per_day_guide_and_kiosk(library: Library) -> None:
    from guidesrc.ledger import open_ledger
    from guidesrc.print.stats import print_summary, record_print

    ledger = open_ledger(library.root)
    try:
        day = dt.date(2026, 11, 26)
        for _ in range(3):
            record_print(ledger, day, GID, "kiosk:a", 2)
        record_print(ledger, day, "x", "kiosk:b", 1)
        record_print(ledger, day - dt.timedelta(days=40), GID, "kiosk:a", 2)
        summary = print_summary(ledger, set(), day - dt.timedelta(days=29))
        assert (summary.kiosk_prints, summary.kiosk_pages) == (4, 7)
    finally:
        ledger.close()


# --- in a real browser ---------------------------------------------------------------------------

KIOSK_SIZE = {"width": 1080, "height": 1920}


@pytest.mark.slow
def test_browser_kiosk_search_open_print_and_see_it_done(hall: Hall, tmp_path: Path) -> None:
    pytest.importorskip("playwright")
    from playwright.sync_api import expect

    from tests.test_browser import CHROMIUM, assert_accessible, chromium, watched_page

    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed")
    # GUIDES_SCREENSHOTS=1 writes the committed screenshots (docs/kiosk.png, kiosk-printed.png).
    shots = REPO / "docs" if os.environ.get("GUIDES_SCREENSHOTS") else tmp_path
    with chromium() as browser, watched_page(browser, hall.base, viewport=KIOSK_SIZE) as page:
        page.goto(hall.base)
        expect(page.locator("h1")).to_have_text("查询和打印办事指南")
        assert_accessible(page)
        page.locator("#search").fill("结婚")
        page.locator("#search").press("Enter")
        expect(page.locator("#search-status")).to_contain_text("项与“结婚”相关的事项。")
        assert_accessible(page)
        page.locator("#results").get_by_role("link", name=NAME).click()
        expect(page.locator("h1")).to_have_text(NAME)
        expect(page.locator(".version-info")).to_contain_text("第 1 版")
        assert_accessible(page)
        page.screenshot(path=str(shots / "kiosk.png"))
        before = hall.output.stat().st_mtime_ns if hall.output.exists() else 0
        page.get_by_role("button", name=re.compile("^打印")).click()
        status = page.locator("#print-status")
        expect(status).to_have_text("打印完成，请在打印机出纸口取走办事指南。", timeout=60_000)
        assert_accessible(page)
        page.screenshot(path=str(shots / "kiosk-printed.png"))
    assert hall.output.stat().st_mtime_ns >= before
    assert hall.output.read_bytes() == hall.published()


@pytest.mark.slow
def test_browser_kiosk_paused_printer_shows_the_qr_code_and_goes_back(
    hall: Hall, tmp_path: Path
) -> None:
    """打印 on a paused printer: the page says so, shows the guide's QR code (the page the
    message tells to scan) and leads back to the guide."""
    pytest.importorskip("playwright")
    from playwright.sync_api import expect

    from tests.test_browser import CHROMIUM, Watch, assert_accessible, chromium

    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed")
    shots = REPO / "docs" if os.environ.get("GUIDES_SCREENSHOTS") else tmp_path
    watch = Watch(hall.base)
    hall.cups.admin("cupsdisable", QUEUE)
    try:
        with chromium() as browser:
            context = browser.new_context(locale="zh-CN", viewport=KIOSK_SIZE)
            watch.attach(context)
            page = context.new_page()
            page.goto(f"{hall.base}guide/{GID}")
            before = jobs(hall)
            page.get_by_role("button", name=re.compile("^打印")).click()
            expect(page.locator("h1")).to_have_text("打印机暂不可用")
            expect(page.locator("#message")).to_contain_text("扫描页面上的二维码")
            qr = page.locator("figure.qr svg")
            expect(qr).to_be_visible()
            box = qr.bounding_box()
            assert box is not None and box["width"] >= 200 and box["height"] >= 200
            expect(page.locator("figure.qr figcaption")).to_have_text(
                f"用手机扫码查看“{NAME}”办事指南"
            )
            assert_accessible(page)
            page.screenshot(path=str(shots / "kiosk-paused.png"))
            assert jobs(hall) == before
            page.get_by_role("link", name="返回事项页面").click()
            expect(page.locator("h1")).to_have_text(NAME)
            expect(page.get_by_role("button", name=re.compile("^打印"))).to_be_visible()
            context.close()
    finally:
        hall.cups.admin("cupsenable", QUEUE)
    # The browser logs the page's own status (503: the printer is unavailable); nothing else.
    refused = f"status of 503 (Service Unavailable) at {hall.base}guide/{GID}/print"
    watch.errors = [e for e in watch.errors if not e.endswith(refused)]
    watch.check()


# --- the on-screen keyboard and theme tiles (issue 19) -----------------------------------------


def test_kiosk_no_result_page_offers_the_theme_tiles_and_the_keyboard(hall: Hall) -> None:
    page = request(hall, "GET", "/search?q=" + urllib.parse.quote("火星移民"))
    assert "没有找到与“火星移民”相关的事项。" in text(page.body)
    themes = re.findall(r'<a class="tile" href="/theme/(\d+)">([^<]+)<', page.body)
    assert [name for _n, name in themes] == [name for name, _c in hall.kiosk.catalog.themes]
    assert 'id="keyboard"' in page.body and 'data-key="backspace"' in page.body
    theme = request(hall, "GET", "/theme/0")
    assert 'id="keyboard"' not in theme.body, "a theme's list is not a search page"


def _engine_present() -> bool:
    """Issue 19's search engine (guidesrc.search, built apart from the keyboard) is installed:
    guidesrc/search/ alone (the synonyms file) is not enough."""
    try:
        module = importlib.import_module("guidesrc.search.index")
    except ImportError:
        return False
    return hasattr(module, "SearchIndex")


@pytest.mark.slow
def test_browser_kiosk_keyboard_types_by_touch_and_tiles_open_themes(
    hall: Hall, tmp_path: Path
) -> None:
    pytest.importorskip("playwright")
    from playwright.sync_api import expect

    from tests.test_browser import CHROMIUM, assert_accessible, chromium, watched_page

    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed")
    # GUIDES_SCREENSHOTS=1 writes the committed screenshot docs/kiosk-keyboard.png.
    shots = REPO / "docs" if os.environ.get("GUIDES_SCREENSHOTS") else tmp_path
    options = {"viewport": KIOSK_SIZE, "has_touch": True, "is_mobile": True}
    with chromium() as browser, watched_page(browser, hall.base, **options) as page:
        page.goto(hall.base)
        pad, box = page.locator("#keyboard"), page.locator("#search")
        expect(pad).to_be_visible()
        expect(box).to_have_attribute("inputmode", "none")

        def tap(*keys: str) -> None:
            for key in keys:
                pad.locator(f'button[data-key="{key}"]').tap()

        tap(*"shebaoo", "backspace")
        expect(box).to_have_value("shebao")
        tap("clear")
        expect(box).to_have_value("")
        tap("search")  # nothing typed: nothing is searched
        expect(page.locator("h1")).to_have_text("查询和打印办事指南")
        tap(*"shebao")
        for key in pad.locator("button").all():  # every key is big enough for a finger
            size = key.bounding_box()
            assert size and size["width"] >= 80 and size["height"] >= 90, key.text_content()
        assert_accessible(page)
        page.screenshot(path=str(shots / "kiosk-keyboard.png"), full_page=False)
        tap("search")
        page.wait_for_url(re.compile(r"/search\?q=shebao$"))
        expect(page.locator("h1")).to_have_text("搜索结果")
        expect(box).to_have_value("shebao")
        expect(page.locator("#keyboard")).to_be_visible()
        if _engine_present():  # issue 19's engine (guidesrc.search) understands pinyin
            expect(page.locator("#results")).to_contain_text("用人单位社会保险登记")
        assert_accessible(page)
        first, count = hall.kiosk.catalog.themes[0]
        page.locator("#theme-tiles a.tile").first.tap()
        expect(page.locator("h1")).to_have_text(first)
        expect(page.locator("#results li")).to_have_count(count)


@pytest.mark.slow
def test_browser_kiosk_finds_what_citizens_type_and_tap(hall: Hall) -> None:
    """Issue 19's queries at the kiosk in Chromium, with the built-in dictionary alone: typed (a
    physical keyboard or the system's input method) and tapped on the on-screen keyboard.
    (身份证补办 is left to the tests with the library's synonyms: the example has no 补领 guide,
    and only a library can say that its 换领 serves a lost card.)"""
    pytest.importorskip("playwright")
    from playwright.sync_api import expect

    from tests.test_browser import CHROMIUM, chromium, watched_page

    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed")
    typed = ["社保", "医保", "低保", "失业金", "出生证", "醫保", "最低生活保證"]
    tapped = ["shebao", "sb", "dibao", "shiye"]
    options = {"viewport": KIOSK_SIZE, "has_touch": True, "is_mobile": True}
    with chromium() as browser, watched_page(browser, hall.base, **options) as page:
        pad, box = page.locator("#keyboard"), page.locator("#search")
        for query in typed + tapped:
            page.goto(hall.base)
            if query in typed:
                box.fill(query)
                box.press("Enter")
            else:
                for key in [*query, "search"]:
                    pad.locator(f'button[data-key="{key}"]').tap()
            expect(page.locator("h1")).to_have_text("搜索结果")
            first = page.locator("#results li a").first
            expect(first).to_have_attribute("href", f"/guide/{CITIZENS[query]}")


def test_kiosk_finds_what_citizens_type_with_the_library_synonyms(hall: Hall) -> None:
    """The kiosk of `guides kiosk` reads the library's synonyms file (here the test dictionary
    of tests/test_search.py) beside the built-in one: the issue's queries find their guide."""
    from guidesrc.ledger import open_ledger

    root = hall.lib.root
    shutil.copy(DICTIONARY, root / synonyms.LIBRARY_FILE)
    kiosk = Kiosk(
        bundle=Bundle(root / ".guides/print", root, "print"),
        queue=Queue(QUEUE, hall.cups.server),
        ledger=open_ledger(root),
        base_url="https://zwfw.example.gov.cn/guides",
        timezone="Asia/Shanghai",
    )
    try:
        for query in [
            "社保",
            "医保",
            "低保",
            "失业金",
            "出生证",
            "身份证补办",
            "shebao",
            "sb",
            "醫保",
        ]:
            hits = kiosk.catalog.hits(query)
            assert hits and hits[0][0].id == CITIZENS[query], query
        assert WITHDRAWN not in [e.id for e, _h in kiosk.catalog.hits("出生登记")]
    finally:
        (root / synonyms.LIBRARY_FILE).unlink()
        kiosk.ledger.close()
