"""The online hall in a real browser: Debian's headless Chromium, driven by Playwright.

The site is built from the example library through the real path (`guides approve`, `guides
publish` with a site channel) on the SQLite ledger: the pages are the same bytes whichever ledger
recorded the approvals (test_site.py runs the ledger side on both), so a browser run per ledger
would only double the time. The folder is served by ``http.server`` on 127.0.0.1, and every page
is checked for what it must not do: open a dialog, log a console or script error, load anything
from elsewhere. axe-core (vendored in ``tests/vendor/axe-core``, nothing fetched at run time) must
find no serious or critical violation.

Nothing waits by sleeping: Playwright waits for the elements and states it is told to expect.
Without Chromium the tests are skipped on a developer's machine; in CI (``CI`` set) they fail.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Dialog,
    Page,
    WebError,
    expect,
    sync_playwright,
)

from tests.conftest import EXAMPLE, Library, directory_only, invoke

CHROMIUM = shutil.which("chromium")
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
GID = "jiehun-dengji"
NAME = "内地居民结婚登记"
GUIDE_FILE = f"guides/{GID}.yaml"
CONDITION = "  - 男女双方均无配偶。"
CHANGED_CONDITION = "  - 男女双方均无配偶（以婚姻登记信息系统的查询结果为准）。"
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
UPCOMING = dt.datetime.now(SHANGHAI).date() + dt.timedelta(days=45)
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
#: Variables that would point the CLI at another ledger or language (conftest clears them per
#: test; the module-scoped site is built before that).
ENVIRONMENT = ("GUIDES_LANG", "GUIDES_DATABASE_URL", "GUIDES_USER", "GUIDES_FAULT", "LANGUAGE")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None and not os.environ.get("CI"),
        reason="Debian's chromium is not installed (apt-get install chromium; .ci/run does)",
    ),
]


def date_cn(day: dt.date) -> str:
    return f"{day.year} 年 {day.month} 月 {day.day} 日"


# --- the site, served ---------------------------------------------------------------------------


def cli(*args: str) -> str:
    run = invoke(*args)
    assert run.exit_code == 0, run.stdout + run.stderr
    return run.stdout


def build_hall(root: Path, upcoming: dt.date = UPCOMING) -> Library:
    """The example library with a site channel, published, then a change to 内地居民结婚登记
    approved to take effect on ``upcoming`` and published (announced: the banner)."""
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".guides"))
    directory_only(root)
    lib = Library(root)
    lib.edit(
        "library.yaml",
        "      path: .guides/published\n",
        "      path: .guides/published\n  site:\n    type: site\n    settings:\n"
        "      path: .guides/site\n      title: 示例市网上办事大厅\n",
    )
    cli("approve", str(root), "--effective", "today", "--note", "首次发布")
    cli("publish", str(root))
    lib.edit(GUIDE_FILE, CONDITION, CHANGED_CONDITION)
    cli("approve", str(root), "--effective", upcoming.isoformat(),
        "--note", "受理条件以婚姻登记信息系统为准")  # fmt: skip
    cli("publish", str(root))
    return lib


class _StaticHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve_folder(folder: Path) -> Iterator[str]:
    """``folder`` over HTTP on 127.0.0.1 (the socket is listening before the thread starts)."""
    handler = functools.partial(_StaticHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def clean_environment() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        for name in ENVIRONMENT:
            patch.delenv(name, raising=False)
        yield


@dataclass
class Hall:
    lib: Library
    base: str  # the served site's root URL


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hall]:
    with clean_environment():
        lib = build_hall(tmp_path_factory.mktemp("hall") / "lib")
    with serve_folder(lib.root / ".guides/site") as base:
        yield Hall(lib, base)


@contextmanager
def chromium() -> Iterator[Browser]:
    if CHROMIUM is None:
        pytest.fail("chromium is not installed: .ci/run installs Debian's chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


@dataclass
class Watch:
    """What the pages of a browser context did that they must not: dialogs, script errors,
    console errors, requests to anywhere but the served site."""

    origin: str
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def attach(self, context: BrowserContext) -> None:
        context.on("dialog", self._dialog)
        context.on("console", self._console)
        context.on("weberror", self._weberror)
        context.on("request", lambda request: self.requests.append(request.url))

    def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def _console(self, message: ConsoleMessage) -> None:
        # The browser asks every host for /favicon.ico; the site has none (nor must it).
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            self.errors.append(f"console: {message.text} at {message.location.get('url')}")

    def _weberror(self, error: WebError) -> None:
        self.errors.append(f"script: {error.error}")

    def check(self) -> None:
        assert self.dialogs == []
        assert self.errors == []
        assert [url for url in self.requests if not url.startswith(self.origin)] == []


@contextmanager
def watched_page(browser: Browser, origin: str, **options: Any) -> Iterator[Page]:
    context = browser.new_context(locale="zh-CN", **{"viewport": DESKTOP, **options})
    watch = Watch(origin)
    watch.attach(context)
    try:
        yield context.new_page()
    finally:
        context.close()
    watch.check()


@pytest.fixture
def page(browser: Browser, hall: Hall) -> Iterator[Page]:
    with watched_page(browser, hall.base) as page:
        yield page


# --- axe-core -----------------------------------------------------------------------------------


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        lines += [f"  {n['target']}: {n['failureSummary']}" for n in v["nodes"]]
    return "\n".join(lines)


def assert_accessible(page: Page) -> None:
    violations = axe_violations(page)
    assert not violations, f"axe-core on {page.url}:\n{describe(violations)}"


# --- finding and reading a guide ----------------------------------------------------------------


def result_names(page: Page) -> list[str]:
    return page.locator("#results li > a").all_inner_texts()


def test_browser_search_by_a_chinese_keyword_reaches_the_guide(page: Page, hall: Hall) -> None:
    page.goto(hall.base + "index.html")
    page.locator("#search").fill("结婚")
    page.locator("#search").press("Enter")
    expect(page).to_have_url(re.compile(r"/search\.html\?q=%E7%BB%93%E5%A9%9A$"))
    # the name first; the guides asking for a 结婚证 after it
    expect(page.locator("#search-status")).to_have_text("找到 3 项。")
    assert result_names(page)[0] == NAME
    page.locator("#results").get_by_role("link", name=NAME).click()
    expect(page).to_have_url(hall.base + f"guides/{GID}.html")
    expect(page.locator("h1")).to_have_text(NAME)

    # A two-character word in the middle of a name, typed into the box of the search page
    # itself (the results follow the typing).
    page.goto(hall.base + "search.html")
    page.locator("#search").press_sequentially("身份")
    expect(page.locator("#search-status")).to_have_text("找到 18 项。")  # every 居民身份证
    assert result_names(page)[:2] == ["居民身份证换领", "临时居民身份证申领"]
    page.locator("#results").get_by_role("link", name="临时居民身份证申领").click()
    expect(page).to_have_url(hall.base + "guides/linshi-jumin-shenfenzheng.html")
    expect(page.locator("h1")).to_have_text("临时居民身份证申领")


def test_browser_search_without_a_match_says_so(page: Page, hall: Hall) -> None:
    page.goto(hall.base + "search.html?q=" + "火星移民")
    expect(page.locator("#search-status")).to_have_text("没有找到与“火星移民”相关的事项。")
    expect(page.locator("#results li")).to_have_count(0)
    expect(page.locator("#search-help")).to_contain_text("12345 政务服务便民热线")


def test_browser_materials_table_matches_the_compiled_guide(page: Page, hall: Hall) -> None:
    from guidesrc.state import WorkingTree, load_state

    # In the order the editors wrote them (the content hash ignores that order; readers do not).
    materials = load_state(WorkingTree(EXAMPLE)).compiled(GID)["materials"]
    page.goto(hall.base + f"guides/{GID}.html")
    table = page.locator("table.materials")
    expect(table).to_be_visible()
    expect(table.locator("caption")).to_have_text(f"申请材料清单（共 {len(materials)} 项）")
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(len(materials))
    assert rows.locator("th[scope=row]").all_inner_texts() == [m["name"] for m in materials]
    assert rows.locator("td:first-child").all_inner_texts() == [
        str(n) for n in range(1, len(materials) + 1)
    ]
    assert table.locator("thead th").all_inner_texts() == [
        "序号", "材料名称", "形式和份数", "载体", "来源渠道", "必要性", "说明",
    ]  # fmt: skip


def test_browser_upcoming_change_shows_its_date_and_notice(page: Page, hall: Hall) -> None:
    page.goto(hall.base + "index.html")
    upcoming = page.locator("section", has=page.locator("#h-upcoming"))
    expect(upcoming).to_contain_text(f"自 {date_cn(UPCOMING)}起调整")
    upcoming.get_by_role("link", name=NAME).click()

    expect(page).to_have_url(hall.base + f"guides/{GID}.html")
    banner = page.locator(".upcoming-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text(f"本事项办事指南将调整，新版本自 {date_cn(UPCOMING)}起实施。")
    expect(banner).to_contain_text(
        "受理条件：删除“男女双方均无配偶”；新增“男女双方均无配偶（以婚姻登记信息系统的查询结果为准）”。"
    )
    expect(page.locator(".version-info")).to_contain_text("第 1 版（现行有效）")
    expect(page.locator("#sec-conditions")).not_to_contain_text("以婚姻登记信息系统")

    banner.get_by_role("link", name="查看新版本全文").click()
    expect(page).to_have_url(hall.base + f"upcoming/{GID}.html")
    expect(page.locator(".upcoming-banner")).to_contain_text(
        f"本页为自 {date_cn(UPCOMING)}起实施的新版本（第 2 版）。"
    )
    expect(page.locator("#sec-conditions")).to_contain_text(CHANGED_CONDITION.strip(" -"))

    page.go_back()
    page.locator(".upcoming-banner a.notice-link").click()
    expect(page).to_have_url(hall.base + f"notices/{GID}-v2.html")
    expect(page.locator("h1")).to_have_text(f"变更事项：{NAME}")


def test_browser_change_notice_is_reached_from_the_notices_list(page: Page, hall: Hall) -> None:
    page.goto(hall.base + "index.html")
    page.locator(".site-nav").get_by_role("link", name="变更公告").click()
    expect(page).to_have_url(hall.base + "notices/index.html")
    link = page.locator(".notice-list a.notice-link", has_text=f"变更事项：{NAME}")
    expect(link).to_have_count(1)
    link.click()

    expect(page).to_have_url(hall.base + f"notices/{GID}-v2.html")
    expect(page.locator("h1")).to_have_text(f"变更事项：{NAME}")
    facts = page.locator(".version-info")
    expect(facts).to_contain_text("第 2 版")
    expect(facts).to_contain_text(f"实施日期{date_cn(UPCOMING)}")
    expect(page.locator("main")).to_contain_text(
        "新增“男女双方均无配偶（以婚姻登记信息系统的查询结果为准）”"
    )
    facts.get_by_role("link", name=NAME).click()
    expect(page).to_have_url(hall.base + f"guides/{GID}.html")


def test_browser_site_works_without_javascript(browser: Browser, hall: Hall) -> None:
    with watched_page(browser, hall.base, java_script_enabled=False) as page:
        page.goto(hall.base + "index.html")
        page.locator(".facet-list").get_by_role("link", name="示例市民政局").click()
        expect(page.locator("h1")).to_have_text("示例市民政局")
        page.locator(".guide-list").get_by_role("link", name=NAME).click()
        expect(page).to_have_url(hall.base + f"guides/{GID}.html")
        expect(page.locator("h1")).to_have_text(NAME)
        expect(page.locator("table.materials tbody tr")).to_have_count(3)
        expect(page.locator(".upcoming-banner")).to_be_visible()
        # The search box still submits, to a page that says search needs JavaScript. Chromium
        # under Playwright parses <noscript> as if scripts ran (playwright#32542): its text is
        # in the page, not shown, so the test reads it rather than looking at it.
        page.locator("#search").fill("结婚")
        page.locator("#search").press("Enter")
        expect(page).to_have_url(re.compile(r"/search\.html\?q=%E7%BB%93%E5%A9%9A$"))
        expect(page.locator("main noscript")).to_have_count(1)
        assert "搜索需要启用浏览器的 JavaScript" in (
            page.locator("main noscript").text_content() or ""
        )
        expect(page.locator("#results li")).to_have_count(0)


# --- keyboard -----------------------------------------------------------------------------------

FOCUS_RING = """e => {
  const style = getComputedStyle(e);
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).slice(0, 3).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(v => v / 255)
    .map(v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)
    .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  let node = e.parentElement, bg = "rgb(255, 255, 255)";
  for (; node; node = node.parentElement) {
    const c = getComputedStyle(node).backgroundColor;
    if (c !== "rgba(0, 0, 0, 0)" && c !== "transparent") { bg = c; break; }
  }
  const [a, b] = [lum(rgb(style.outlineColor)), lum(rgb(bg))];
  return {
    focusVisible: e.matches(":focus-visible"),
    style: style.outlineStyle,
    width: parseFloat(style.outlineWidth),
    contrast: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05),
  };
}"""


def assert_focus_ring(page: Page, selector: str) -> None:
    """The element has the keyboard focus and a visible outline: at least 2 px, and 3:1
    against the background behind it (WCAG 2.x 1.4.11, 2.4.7)."""
    element = page.locator(selector)
    expect(element).to_be_focused()
    ring = element.evaluate(FOCUS_RING)
    assert ring["focusVisible"] and ring["style"] != "none", ring
    assert ring["width"] >= 2 and ring["contrast"] >= 3, ring
    box = element.bounding_box()
    assert box is not None and box["y"] >= 0 and box["x"] >= 0, box  # on screen, not off it


def focused(page: Page) -> str:
    return str(
        page.evaluate(
            "() => { const e = document.activeElement;"
            " return e.id ? '#' + e.id : e.textContent.trim(); }"
        )
    )


def test_browser_keyboard_reaches_skip_link_and_search_with_a_visible_focus(
    page: Page, hall: Hall
) -> None:
    page.goto(hall.base + f"guides/{GID}.html")
    page.keyboard.press("Tab")
    assert_focus_ring(page, ".skip-link")
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()

    page.goto(hall.base + f"guides/{GID}.html")
    order = []
    for _ in range(7):
        page.keyboard.press("Tab")
        order.append(focused(page))
    assert order == [
        "跳到主要内容",
        "示例市网上办事大厅",
        "#elder-on",  # 长辈版
        "事项目录",
        "变更公告",
        "搜索",
        "#search",
    ]
    assert_focus_ring(page, "#search")
    # Search and open a result with the keyboard only: the results come after the header.
    page.keyboard.type("结婚")
    page.keyboard.press("Enter")
    expect(page.locator("#results li")).to_have_count(3)
    for _ in range(9):
        page.keyboard.press("Tab")
    assert_focus_ring(page, "#results li:first-child > a")
    page.keyboard.press("Enter")
    expect(page).to_have_url(hall.base + f"guides/{GID}.html")


def test_browser_phone_width_never_scrolls_sideways(browser: Browser, hall: Hall) -> None:
    with watched_page(browser, hall.base, viewport=PHONE, device_scale_factor=2) as page:
        for rel in ("index.html", f"notices/{GID}-v2.html", f"guides/{GID}.html"):
            page.goto(hall.base + rel)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow == 0, (rel, overflow)
        # The materials are cards (test_browser_guide.py), not a table scrolled sideways.
        region = page.locator("#sec-materials .table-wrap")
        assert region.evaluate("e => e.scrollWidth - e.clientWidth") == 0


# --- axe-core -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rel",
    [
        "index.html",
        f"guides/{GID}.html",
        f"notices/{GID}-v2.html",
        "notices/index.html",
        f"upcoming/{GID}.html",
        "search.html?q=身份",
        "search.html?q=婚介所",  # nothing found: spellings, themes, the hotline
    ],
)
def test_browser_axe_finds_no_serious_or_critical_violation(
    page: Page, hall: Hall, rel: str
) -> None:
    page.goto(hall.base + rel)
    if rel.endswith("身份"):
        expect(page.locator("#results li")).to_have_count(18)
    elif rel.startswith("search"):
        expect(page.locator("#search-help")).to_contain_text("12345")
    assert_accessible(page)


# --- injection ----------------------------------------------------------------------------------

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{7*7}}",
    "javascript:alert(1)",
]
PAYLOAD = "".join(PAYLOADS)


def hostile(value: Any) -> Any:
    """Every text of a compiled guide (but its id) replaced by all the payloads."""
    if isinstance(value, dict):
        return {k: v if k == "id" else hostile(v) for k, v in value.items()}
    if isinstance(value, list):
        return [hostile(v) for v in value]
    return PAYLOAD if isinstance(value, str) else value


def build_hostile_site(folder: Path) -> None:
    """The injection guide of test_site.py: in force, announced, and a withdrawn neighbour."""
    from guidesrc.adapters import Delivery
    from guidesrc.site.builder import Site
    from guidesrc.site.render import SiteConfig
    from guidesrc.state import WorkingTree, load_state

    evil = hostile(load_state(WorkingTree(EXAMPLE)).compiled(GID))
    evil["online"]["url"] = "javascript:alert(1)"
    evil["consult_phones"][0]["phone"] = "javascript:alert(1)"
    day = dt.date(2026, 9, 30)
    now = dt.datetime(2026, 9, 30, 8, tzinfo=dt.UTC)
    notice = {"status": "changed", "effective_date": day.isoformat(),
              "items": [{"field": "conditions", "label": PAYLOAD, "clauses": PAYLOADS}],
              "text": PAYLOAD}  # fmt: skip

    def delivery(gid: str, action: Any, version: int) -> Delivery:
        withdraw = action == "withdraw"
        return Delivery(action, gid, version, PAYLOAD, day, now, None if withdraw else "0" * 64,
                        None if withdraw else evil, notice, PAYLOAD if withdraw else None)  # fmt: skip

    config = SiteConfig(PAYLOAD, PAYLOAD, "https://zwfw.example.gov.cn/guides")
    result = Site(folder, config).publish(
        [
            delivery(GID, "publish", 1),
            delivery(GID, "announce", 2),
            delivery("other-guide", "publish", 1),
            delivery("other-guide", "withdraw", 2),
        ]
    )
    assert not [r for r in result.receipts if isinstance(r, Exception)]


LIVE_MARKUP = """() => ({
  images: document.images.length,
  scripts: Array.from(document.scripts)
    .filter(s => s.type !== "application/ld+json" && !/static\\/(search|elder)\\.js/.test(s.src)).length,
  handlers: Array.from(document.querySelectorAll("*"))
    .flatMap(e => e.getAttributeNames().filter(n => n.startsWith("on"))),
  scriptLinks: Array.from(document.querySelectorAll("a[href]"))
    .filter(a => a.protocol === "javascript:").length,
})"""


def test_browser_injection_payloads_stay_inert(browser: Browser, tmp_path: Path) -> None:
    folder = tmp_path / "site"
    build_hostile_site(folder)
    built = folder.resolve()  # the link to the build
    pages = sorted(p.relative_to(built).as_posix() for p in built.rglob("*.html"))
    assert len(pages) > 10
    with serve_folder(folder) as base, watched_page(browser, base) as page:
        for rel in pages:
            page.goto(base + rel)
            assert page.evaluate(LIVE_MARKUP) == {
                "images": 0, "scripts": 0, "handlers": [], "scriptLinks": 0,
            }, rel  # fmt: skip
        page.goto(base + f"guides/{GID}.html")
        for payload in PAYLOADS:  # shown as text, {{7*7}} not evaluated
            expect(page.locator("h1")).to_contain_text(payload)
            expect(page.locator("#sec-materials")).to_contain_text(payload)
        assert page.title() == f"{PAYLOAD} - {PAYLOAD}"
        # Search: the payload typed in, the hostile name listed as text.
        page.goto(base + "search.html")
        page.locator("#search").fill(PAYLOADS[0])
        page.locator("#search").press("Enter")
        expect(page.locator("#search-status")).to_have_text("找到 1 项。")
        expect(page.locator("#results li > a")).to_have_text(PAYLOAD)
        page.locator("#results li > a").click()
        expect(page).to_have_url(base + f"guides/{GID}.html")
        page.goto(base + "search.html?q=" + "%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E")
        expect(page.locator("#search-status")).to_contain_text("找到")
        assert page.evaluate(LIVE_MARKUP)["images"] == 0


# --- guides serve -------------------------------------------------------------------------------


@contextmanager
def guides_serve(library: Path) -> Iterator[str]:
    """`guides serve LIBRARY --port 0` as its own process; yields its 127.0.0.1 address, then
    stops it with Ctrl-C (SIGINT) and expects a clean exit."""
    process = subprocess.Popen(
        [sys.executable, "-m", "guidesrc", "serve", str(library), "--port", "0"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    said: list[str] = []
    watchdog = threading.Timer(60, process.kill)  # a preview that never comes up fails the test
    watchdog.start()
    try:
        address = None
        for line in process.stderr:
            said.append(line)
            if found := re.search(r"http://127\.0\.0\.1:\d+/", line):
                address = found.group(0)
                break
        watchdog.cancel()
        if address is None:
            pytest.fail("guides serve stopped before serving:\n" + "".join(said))
        yield address
    finally:
        watchdog.cancel()
        process.send_signal(signal.SIGINT)
        stopper = threading.Timer(30, process.kill)  # nor one that does not stop
        stopper.start()
        said += process.stderr.readlines()  # to the end: the process has closed it
        process.stderr.close()
        code = process.wait()
        stopper.cancel()
    assert code == 0, "".join(said)


def test_serve_shows_a_pending_change_as_a_draft_with_its_redline(
    browser: Browser, hall: Hall, tmp_path: Path
) -> None:
    root = tmp_path / "lib"
    shutil.copytree(hall.lib.root, root, symlinks=True)
    Library(root).edit(GUIDE_FILE, "男女双方应当亲自到", "男女双方必须亲自到")  # not approved
    with guides_serve(root) as base, watched_page(browser, base) as page:
        page.goto(base + f"guides/{GID}.html")
        draft = page.locator(".draft-banner")
        expect(draft).to_be_visible()
        expect(draft).to_contain_text("草稿，未经审核")
        redline = page.locator("#sec-redline")
        expect(redline.locator("del", has_text="应当")).to_be_visible()
        expect(redline.locator("ins", has_text="必须")).to_be_visible()
        expect(page.locator(".version-info")).to_contain_text("（草稿）")
        assert_accessible(page)
        page.goto(base + "guides/chusheng-dengji.html")  # no pending change: no draft
        expect(page.locator("h1")).to_have_text("出生登记")
        expect(page.locator(".draft-banner")).to_have_count(0)


# --- screenshots for the README -----------------------------------------------------------------

#: name, viewport, device scale factor
SHOTS = [("desktop", DESKTOP, 1), ("phone", PHONE, 2)]


def shoot(browser: Browser, base: str, out: Path) -> list[Path]:
    """A guide page (with its upcoming-change banner) at desktop and phone width."""
    paths = []
    for name, viewport, scale in SHOTS:
        with watched_page(browser, base, viewport=viewport, device_scale_factor=scale) as page:
            page.goto(base + f"guides/{GID}.html")
            expect(page.locator(".upcoming-banner")).to_be_visible()
            path = out / f"site-guide-{name}.png"
            page.screenshot(path=path)
            paths.append(path)
    return paths


def test_browser_screenshots_have_the_sizes_the_readme_shows(
    browser: Browser, hall: Hall, tmp_path: Path
) -> None:
    desktop, phone = shoot(browser, hall.base, tmp_path)
    for path, (width, height) in ((desktop, (1280, 900)), (phone, (780, 1688))):
        header = path.read_bytes()[:24]
        assert header[:8] == b"\x89PNG\r\n\x1a\n"
        assert (int.from_bytes(header[16:20]), int.from_bytes(header[20:24])) == (width, height)
