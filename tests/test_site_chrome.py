"""The online hall's chrome and lists (issue 18): the government-website marks in the footer, a
library's theme over the built-in templates, the 长辈版 switch, and a home page that puts the
catalogue first, in pinyin order or the library's.

The sites are built from the example library through the real path (``guides approve``,
``guides publish``) and read in Debian's headless Chromium (tests/test_browser.py's helpers:
served on 127.0.0.1, every page watched for dialogs, script errors and outside requests).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import pytest
from playwright.sync_api import Browser, Page, expect

from guidesrc.errors import ChannelError
from guidesrc.site.render import Renderer, SiteConfig
from guidesrc.site.theme import load_theme
from tests.conftest import EXAMPLE, Library, directory_only, invoke
from tests.test_browser import (
    CHANGED_CONDITION,
    CONDITION,
    DESKTOP,
    GID,
    GUIDE_FILE,
    PHONE,
    UPCOMING,
    assert_accessible,
    chromium,
    clean_environment,
    cli,
    guides_serve,
    serve_folder,
    watched_page,
)

pytestmark = pytest.mark.slow

MARKS = """      government:
        sponsor: 示例市人民政府办公室
        operator: 示例市政务服务中心
        site_code: "9901000001"
        icp: 示ICP备12345678号-1
        police: 示公网安备 99010002000001号
        conac_id: 0123456789ABCDEF0123456789ABCDEF
"""
THEME = """      theme: theme
      order:
        departments: [示例市民政局, 示例市医疗保障局]
        themes: [社会救助]
"""
#: The footer's lines for MARKS, as a citizen reads them.
FOOTER = [
    "主办单位：示例市人民政府办公室",
    "承办单位：示例市政务服务中心",
    "网站标识码：9901000001",
    "ICP 备案号：示ICP备12345678号-1",
    "公安机关备案号：示公网安备 99010002000001号",
    "党政机关网站标识：查看开办信息",
]
HEADER = """<header class="site-header themed-header">
<div class="wrap header-top">
<p class="site-title"><img src="{{ root }}static/emblem.svg" alt="示例市徽" width="40" height="40">
<a href="{{ root }}index.html">{{ text }}</a></p>
{% include "_elder_switch.html" %}
</div>
</header>
"""
EMBLEM = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40">'
    '<circle cx="20" cy="20" r="18" fill="#c00"/></svg>'
)
THEME_CSS = ".themed-header { border-bottom-color: rgb(0, 102, 51); }\n"
ROOT_FONT = "getComputedStyle(document.body).fontSize"


def site_block(extra: str) -> str:
    return (
        "      path: .guides/published\n  site:\n    type: site\n    settings:\n"
        "      path: .guides/site\n      title: 示例市网上办事大厅\n" + extra
    )


def write_theme(lib: Library, header_text: str) -> None:
    lib.write("theme/templates/_header.html", HEADER.replace("{{ text }}", header_text))
    lib.write("theme/static/emblem.svg", EMBLEM)
    lib.write("theme/static/theme.css", THEME_CSS)


def build(root: Path, extra: str, *, theme: bool, signed: bool = False) -> Library:
    """The example library with a site channel (``extra``: more settings), published, and a
    change to 内地居民结婚登记 announced (an upcoming change and two notices on the home page)."""
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".guides"))
    directory_only(root)
    lib = Library(root)
    lib.edit("library.yaml", "      path: .guides/published\n", site_block(extra))
    if theme:
        write_theme(lib, "示例市人民政府 网上办事大厅")
    if signed:  # guides verify reads the signed manifests back
        cli("keys", "init", "--library", str(root))
    cli("approve", str(root), "--effective", "today", "--note", "首次发布")
    cli("publish", str(root))
    lib.edit(GUIDE_FILE, CONDITION, CHANGED_CONDITION)
    cli("approve", str(root), "--effective", UPCOMING.isoformat(), "--note", "受理条件调整")
    cli("publish", str(root))
    return lib


@dataclass
class Hall:
    lib: Library
    base: str


def serve(lib: Library) -> Iterator[Hall]:
    with serve_folder(lib.root / ".guides/site") as base:
        yield Hall(lib, base)


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hall]:
    """The built-in templates, the government marks set."""
    with clean_environment():
        lib = build(tmp_path_factory.mktemp("hall") / "lib", MARKS, theme=False)
    yield from serve(lib)


@pytest.fixture(scope="module")
def themed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hall]:
    """A theme (header, emblem, CSS) and the library's own order; no government marks."""
    with clean_environment():
        lib = build(tmp_path_factory.mktemp("themed") / "lib", THEME, theme=True)
    yield from serve(lib)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser: Browser, hall: Hall) -> Iterator[Page]:
    with watched_page(browser, hall.base) as page:
        yield page


# --- the government website's marks -------------------------------------------------------------


def test_footer_carries_the_government_website_marks_with_their_links(
    page: Page, hall: Hall
) -> None:
    for rel in ("index.html", f"guides/{GID}.html", "notices/index.html", "upcoming.html"):
        page.goto(hall.base + rel)
        assert page.locator("footer .gov-mark").all_inner_texts() == FOOTER
        assert_accessible(page)
    links = {
        a.inner_text(): a.get_attribute("href") for a in page.locator("footer .gov-mark a").all()
    }
    assert links == {
        "示ICP备12345678号-1": "https://beian.miit.gov.cn/",
        "示公网安备 99010002000001号": "https://beian.mps.gov.cn/#/query/webSearch?code=99010002000001",
        "查看开办信息": "https://bszs.conac.cn/sitename?method=show&id=0123456789ABCDEF0123456789ABCDEF",
    }


def footer_of(browser: Browser, config: SiteConfig) -> list[str]:
    """The footer's marks of a page rendered with ``config``, as Chromium reads them."""
    html = Renderer(config).not_found().decode()
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.set_content(html)
        return page.locator("footer .gov-mark").all_inner_texts()
    finally:
        context.close()


def test_footer_shows_no_mark_it_is_not_given(browser: Browser) -> None:
    base = (
        "示例市网上办事大厅",
        "示例市政务服务中心办事指南库",
        "https://zwfw.example.gov.cn/guides",
    )
    assert footer_of(browser, SiteConfig(*base)) == []  # not a declared government site
    partial = {"sponsor": "示例市人民政府办公室", "icp": "示ICP备12345678号"}
    assert footer_of(browser, SiteConfig(*base, government=partial)) == [
        "主办单位：示例市人民政府办公室",
        "网站标识码：待补充",
        "ICP 备案号：示ICP备12345678号",
        "公安机关备案号：待补充",
        "党政机关网站标识：待补充",
    ]


def test_check_refuses_marks_in_the_wrong_format(library: Library) -> None:
    library.edit(
        "library.yaml",
        "      path: .guides/published\n",
        site_block(
            "      government:\n        sponsor: 示例市人民政府办公室\n"
            '        site_code: "99010001"\n        icp: 示ICP备12345678\n'
            "        police: 示公网安备 9901000200号\n"
            "        conac_id: 0123456789ABCDEF0123456789ABCDEF\n"
        ),
    )
    run = library.check()
    assert run.exit_code == 1
    assert run.lines == [
        "library.yaml:19:20: channels.site.settings.government.site_code: “99010001”的格式不正确"
        '（修改建议：请照政府网站信息报表填写网站标识码，并加引号：10 位数字，如 "4403000001"，'
        "或 bm 加 8 位数字） [channel]",
        "library.yaml:20:14: channels.site.settings.government.icp: “示ICP备12345678”的格式不正确"
        "（修改建议：请照备案填写 ICP 备案号，如 粤ICP备12345678号 或 粤ICP备12345678号-1） [channel]",
        "library.yaml:21:17: channels.site.settings.government.police: “示公网安备 9901000200号”的格式不正确"
        "（修改建议：请照备案填写公安机关备案号，如 粤公网安备 44030002000001号（14 位数字）） [channel]",
    ]


# --- the library's theme ------------------------------------------------------------------------


def test_theme_replaces_the_header_and_adds_its_css_and_images(
    browser: Browser, themed: Hall
) -> None:
    with watched_page(browser, themed.base) as page:
        for rel in ("index.html", f"guides/{GID}.html", "by/type/01.html"):
            page.goto(themed.base + rel)
            header = page.locator("header.themed-header")
            expect(header.locator(".site-title")).to_have_text("示例市人民政府 网上办事大厅")
            emblem = header.locator("img")
            expect(emblem).to_have_attribute("alt", "示例市徽")
            assert emblem.evaluate("img => img.complete && img.naturalWidth") == 40
            color = header.evaluate("h => getComputedStyle(h).borderBottomColor")
            assert color == "rgb(0, 102, 51)"  # theme.css, loaded after site.css
            expect(page.locator("#search")).to_have_count(0)  # the built-in header is gone
            expect(page.locator("footer.site-footer")).to_be_visible()  # the built-in footer
            assert page.locator("footer .gov-mark").count() == 0  # no marks set: none shown


def test_a_changed_theme_is_on_every_page_after_the_next_publish(tmp_path: Path) -> None:
    with clean_environment():
        lib = build(tmp_path / "lib", THEME, theme=True, signed=True)
    site = lib.root / ".guides/site"
    write_theme(lib, "示例市网上政务服务大厅（新）")
    lib.edit(GUIDE_FILE, "内地居民结婚登记", "内地居民结婚登记（新）")
    cli("approve", str(lib.root), "--effective", "today", "--note", "名称调整")
    cli("publish", str(lib.root))
    pages = sorted(site.resolve().rglob("*.html"))
    assert len(pages) > 40
    old = [p.name for p in pages if "示例市人民政府 网上办事大厅" in p.read_text(encoding="utf-8")]
    new = [p for p in pages if "示例市网上政务服务大厅（新）" in p.read_text(encoding="utf-8")]
    assert old == [] and len(new) == len(pages)
    run = invoke("verify", str(lib.root))
    assert run.exit_code == 0, run.stdout + run.stderr
    (site / "static/theme.css").write_text("body { display: none; }\n", encoding="utf-8")
    run = invoke("verify", str(lib.root))
    assert run.exit_code != 0 and "static/theme.css" in run.stdout + run.stderr
    # A theme change without a delivery: applied at once by a rebuild, signed again.
    write_theme(lib, "示例市政务服务网")
    cli("publish", str(lib.root), "--rebuild", "site")
    pages = sorted(site.resolve().rglob("*.html"))
    assert all("示例市政务服务网" in p.read_text(encoding="utf-8") for p in pages)
    run = invoke("verify", str(lib.root))
    assert run.exit_code == 0, run.stdout + run.stderr


@pytest.mark.parametrize(
    ("setup", "setting", "refusal"),
    [
        (lambda root: None, "../theme", "请填写资料库内的文件夹"),
        (lambda root: None, "/etc", "请填写资料库内的文件夹"),
        (lambda root: (root / "t").symlink_to(root.parent), "t", "它指向资料库以外"),
        (lambda root: None, "missing", "没有这个文件夹"),
        (
            lambda root: (
                (root / "t/templates").mkdir(parents=True)
                or (root / "t/templates/base.html").symlink_to("/etc/passwd")
            ),
            "t",
            "templates/base.html：只能是普通文件",
        ),
        (
            lambda root: (
                (root / "t/static").mkdir(parents=True)
                or (root / "t/static/run.sh").write_text("x")
            ),
            "t",
            "static/run.sh：请使用简单的文件名，并以下列后缀之一结尾：.css",
        ),
        (
            lambda root: (root / "t/scripts").mkdir(parents=True),
            "t",
            "scripts：主题文件夹中只能有 templates/ 和 static/ 两个文件夹",
        ),
    ],
)
def test_a_theme_that_leads_out_of_its_folder_is_refused(
    tmp_path: Path, setup: Any, setting: str, refusal: str
) -> None:
    root = tmp_path / "lib"
    root.mkdir()
    setup(root)
    with pytest.raises(ChannelError) as raised:
        load_theme(root, setting)
    assert f"网上办事大厅的主题文件夹 {setting} 不能使用：{refusal}" in str(raised.value)


def test_publish_names_the_refused_theme_file(tmp_path: Path) -> None:
    with clean_environment():
        lib = build(tmp_path / "lib", THEME, theme=True)
        (lib.root / "theme/templates/_footer.html").symlink_to("/etc/hostname")
        lib.edit(GUIDE_FILE, "内地居民结婚登记", "内地居民结婚登记（新）")
        cli("approve", str(lib.root), "--effective", "today", "--note", "名称调整")
        run = invoke("publish", str(lib.root))
    assert run.exit_code != 0
    assert (
        "网上办事大厅的主题文件夹 theme 不能使用：templates/_footer.html：只能是普通文件（不能是链接或文件夹）"
        in (run.stdout + run.stderr)
    )


# --- 长辈版 ---------------------------------------------------------------------------------------


def font_px(page: Page) -> float:
    return float(page.evaluate(ROOT_FONT).removesuffix("px"))


def test_elder_switch_enlarges_the_text_and_is_remembered(page: Page, hall: Hall) -> None:
    page.goto(hall.base + "index.html")
    assert font_px(page) == 16
    expect(page.locator("#elder-off")).to_be_hidden()
    page.locator("#elder-on").click()
    assert font_px(page) == 22
    expect(page.locator("#elder-off")).to_be_visible()
    expect(page.locator("#elder-on")).to_be_hidden()
    assert page.evaluate("getComputedStyle(document.body).color") == "rgb(0, 0, 0)"
    page.goto(hall.base + f"guides/{GID}.html")  # another page, another day: still on
    assert font_px(page) == 22
    assert_accessible(page)  # contrast, names, landmarks in the elder layout too
    page.locator("#elder-off").click()
    assert font_px(page) == 16
    page.goto(hall.base + "notices/index.html")
    assert font_px(page) == 16


def test_elder_version_by_address_with_and_without_javascript(browser: Browser, hall: Hall) -> None:
    with watched_page(browser, hall.base) as page:
        page.goto(hall.base + "search.html?elder=1")
        assert font_px(page) == 22
        page.goto(hall.base + "index.html")  # remembered
        assert font_px(page) == 22
        page.goto(hall.base + "index.html?elder=0")
        assert font_px(page) == 16
    with watched_page(browser, hall.base, java_script_enabled=False) as page:
        page.goto(hall.base + "index.html")
        assert font_px(page) == 16
        page.locator("#elder-on").click()  # a plain link to #elder
        assert page.url.endswith("index.html#elder")
        assert font_px(page) == 22
        page.locator("#elder-off").click()
        assert font_px(page) == 16
        page.goto(hall.base + f"guides/{GID}.html#elder")
        assert font_px(page) == 22


def test_elder_version_is_one_column_on_a_wide_screen(page: Page, hall: Hall) -> None:
    page.goto(hall.base + "index.html?elder=1")
    assert page.locator(".facet-list").first.evaluate("e => getComputedStyle(e).columnCount") == "1"
    page.goto(hall.base + "index.html?elder=0")
    assert page.locator(".facet-list").first.evaluate("e => getComputedStyle(e).columnCount") == "2"


def test_every_page_has_the_accessibility_basics(page: Page, hall: Hall) -> None:
    for rel in ("index.html", "upcoming.html", f"guides/{GID}.html", "by/type/01.html"):
        page.goto(hall.base + rel)
        assert page.evaluate("document.documentElement.lang") == "zh-CN"
        expect(page.locator("a.skip-link")).to_have_attribute("href", "#main")
        assert page.locator("img:not([alt])").count() == 0
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip-link"
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline == "solid"


# --- the home page and the lists ----------------------------------------------------------------


def test_home_page_shows_the_catalogue_on_the_first_phone_screen(
    browser: Browser, hall: Hall
) -> None:
    with watched_page(browser, hall.base, viewport=PHONE) as page:
        page.goto(hall.base + "index.html")
        h2 = [t.strip() for t in page.locator("main h2").all_inner_texts()]
        assert h2[:4] == ["按部门查找", "按主题查找", "按服务对象查找", "按事项类型查找"]
        first = page.locator("#h-department + .facet-list li").first.bounding_box()
        assert first is not None and first["y"] + first["height"] < PHONE["height"]
        updates = page.locator("#home-updates")
        updates.get_by_role("link", name="即将实施的调整（1 项）").click()
        expect(page.locator("h1")).to_have_text("即将实施的调整")
        assert page.locator(".guide-list li > a").all_inner_texts() == ["内地居民结婚登记"]


def test_home_page_lists_at_most_five_notices_and_links_to_all(page: Page, hall: Hall) -> None:
    page.goto(hall.base + "index.html")
    notices = page.locator("#h-latest + .notice-list li")
    assert notices.count() == 5  # of 19 (18 first versions and the announced change)
    page.locator("#h-latest ~ p.more a").click()
    expect(page.locator(".notice-list li")).to_have_count(19)  # waits for the page to load


def department_labels(page: Page) -> list[str]:
    return page.locator("#h-department + .facet-list li > a").all_inner_texts()


PINYIN_DEPARTMENTS = [
    "示例市公安局",  # gōng
    "示例市民政局",  # mín
    "示例市人力资源和社会保障局",  # rén
    "示例市市场监督管理局",  # shì
    "示例市卫生健康委员会",  # wèi
    "示例市医疗保障局",  # yī
]


def test_departments_and_guides_are_in_pinyin_order(page: Page, hall: Hall) -> None:
    page.goto(hall.base + "index.html")
    assert department_labels(page) == PINYIN_DEPARTMENTS  # code points: 人 公 医 卫 市 民
    page.get_by_role("link", name="示例市公安局").click()
    # the department's page, once loaded (expect waits for it; reading at once may find none)
    expect(page.locator(".guide-list li > a")).to_have_text(
        [
            "出生登记",  # chū
            "夫妻投靠户口迁入",  # fū
            "居民身份证换领",  # jū
            "临时居民身份证申领",  # lín (first by code point)
        ]
    )


def test_the_library_sets_the_order_of_departments_and_themes(
    browser: Browser, themed: Hall
) -> None:
    with watched_page(browser, themed.base, viewport=DESKTOP) as page:
        page.goto(themed.base + "index.html")
        assert department_labels(page) == [
            "示例市民政局",
            "示例市医疗保障局",
            *(d for d in PINYIN_DEPARTMENTS if d not in ("示例市民政局", "示例市医疗保障局")),
        ]
        themes = page.locator("#h-theme + .facet-list li > a").all_inner_texts()
        assert themes[0] == "社会救助"
        assert themes[1:4] == ["户籍办理", "婚姻登记", "就业创业"]  # hù, hūn, jiù …


# --- screenshots for docs/site.md -----------------------------------------------------------------

#: file name, viewport, device scale factor, address, full page
HOME_SHOTS = [
    ("site-home-desktop.png", DESKTOP, 1, "index.html?elder=0", True),
    ("site-home-phone.png", PHONE, 2, "index.html?elder=0", False),
    ("site-elder.png", PHONE, 2, "index.html?elder=1", False),
]


def shoot_home(browser: Browser, base: str, out: Path) -> list[Path]:
    """The home page at desktop width (whole page, down to the footer's marks), at phone width,
    and in the 长辈版 at phone width."""
    paths = []
    for name, viewport, scale, rel, full in HOME_SHOTS:
        with watched_page(browser, base, viewport=viewport, device_scale_factor=scale) as page:
            page.goto(base + rel)
            expect(page.locator("#h-department")).to_be_visible()
            path = out / name
            page.screenshot(path=path, full_page=full)
            paths.append(path)
    return paths


def test_home_screenshots_have_the_sizes_docs_show(
    browser: Browser, hall: Hall, tmp_path: Path
) -> None:
    desktop, phone, elder = shoot_home(browser, hall.base, tmp_path)
    for path in (desktop, phone, elder):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    size = [int.from_bytes(desktop.read_bytes()[16:20]), int.from_bytes(elder.read_bytes()[16:20])]
    assert size == [1280, 780]


def test_printing_leaves_the_switch_out_and_the_elder_sizes_behind(page: Page, hall: Hall) -> None:
    page.goto(hall.base + f"guides/{GID}.html?elder=1")
    assert font_px(page) == 22
    page.emulate_media(media="print")
    expect(page.locator(".elder-switch")).to_be_hidden()
    assert page.evaluate("getComputedStyle(document.documentElement).fontSize") == "16px"


def test_theme_templates_cannot_reach_python_internals(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    (root / "theme/templates").mkdir(parents=True)
    (root / "theme/templates/_footer.html").write_text(
        "{{ site.__class__.__mro__[1].__subclasses__() }}", encoding="utf-8"
    )
    base = (
        "示例市网上办事大厅",
        "示例市政务服务中心办事指南库",
        "https://zwfw.example.gov.cn/guides",
    )
    renderer = Renderer(SiteConfig(*base, theme=load_theme(root, "theme")))
    with pytest.raises(jinja2.TemplateError):  # the sandbox refuses it: the build fails
        renderer.not_found()
    (root / "theme/templates/_footer.html").write_text(
        "<footer>{{ site.library }}</footer>", encoding="utf-8"
    )
    renderer = Renderer(SiteConfig(*base, theme=load_theme(root, "theme")))
    assert "<footer>示例市政务服务中心办事指南库</footer>" in renderer.not_found().decode()


def test_serve_previews_the_theme(browser: Browser, themed: Hall, tmp_path: Path) -> None:
    root = tmp_path / "lib"
    shutil.copytree(themed.lib.root, root, symlinks=True)
    write_theme(Library(root), "新的页头")  # not published: the preview shows it
    with guides_serve(root) as base, watched_page(browser, base) as page:
        for rel in ("index.html", f"guides/{GID}.html"):
            page.goto(base + rel)
            expect(page.locator("header.themed-header")).to_contain_text("新的页头")
