"""The site's search in Chromium (issue 19): what citizens type finds their guide, the hits show
the department and a marked snippet, and a search that finds nothing offers the nearest
spellings, the themes and the hotline. The example library is published through the real path
(`guides approve`, `guides publish`) with the test dictionary as its synonyms file and the guide
it lacks for 离婚 (tests/data/search/); the pages are served on 127.0.0.1."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from guidesrc.search import synonyms
from tests.conftest import EXAMPLE, Library, directory_only
from tests.test_browser import (
    CHROMIUM,
    chromium,
    clean_environment,
    cli,
    serve_folder,
    watched_page,
)
from tests.test_search import CITIZENS, DICTIONARY, DIVORCE

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("search-site") / "lib"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".guides"))
    directory_only(root)
    shutil.copy(DICTIONARY, root / synonyms.LIBRARY_FILE)
    shutil.copy(DIVORCE, root / "guides")
    Library(root).edit(
        "library.yaml",
        "      path: .guides/published\n",
        "      path: .guides/published\n  site:\n    type: site\n    settings:\n"
        "      path: .guides/site\n      title: 示例市网上办事大厅\n",
    )
    with clean_environment():
        cli("approve", str(root), "--effective", "today", "--note", "首次发布")
        cli("publish", str(root))
    with serve_folder(root / ".guides/site") as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser: Browser, base: str) -> Iterator[Page]:
    with watched_page(browser, base) as page:
        yield page


ISSUE = [
    "社保",
    "医保",
    "低保",
    "失业金",
    "出生证",
    "身份证补办",
    "离婚",
    "shebao",
    "醫保",
    "失业保验金",
]


@pytest.mark.parametrize("query", ISSUE)
def test_what_citizens_type_finds_their_guide(page: Page, base: str, query: str) -> None:
    page.goto(base + "search.html")
    page.locator("#search").fill(query)
    page.locator("#search").press("Enter")
    first = page.locator("#results li").first
    expect(first.locator("a")).to_have_attribute("href", f"guides/{CITIZENS[query]}.html")
    expect(page.locator("#search-status")).to_contain_text("找到 ")
    expect(first.locator(".meta")).not_to_be_empty()  # the department


def test_a_hit_shows_its_department_and_the_matched_words(page: Page, base: str) -> None:
    page.goto(base + "search.html?q=" + "失业金")
    first = page.locator("#results li").first
    expect(first.locator("a")).to_have_text("失业保险金申领")
    expect(first.locator(".meta")).to_have_text("示例市人力资源和社会保障局")
    expect(first.locator(".snippet")).to_have_text("结果：失业保险待遇核定结果")
    expect(first.locator(".snippet mark")).to_have_text("失业保险")
    first.locator("a").click()
    expect(page.locator("h1")).to_have_text("失业保险金申领")


def test_nothing_found_offers_spellings_themes_and_the_hotline(page: Page, base: str) -> None:
    page.goto(base + "search.html?q=" + "婚介所")
    expect(page.locator("#search-status")).to_have_text("没有找到与“婚介所”相关的事项。")
    help_ = page.locator("#search-help")
    expect(help_).to_contain_text("您是不是要找：")
    # dictionary words as near that no guide answers to (车管所, 律所) are not offered
    expect(help_.get_by_role("link", name="车管所")).to_have_count(0)
    expect(help_.get_by_role("link", name="律所")).to_have_count(0)
    expect(help_.locator(".theme-list li")).to_have_count(12)
    expect(help_).to_contain_text("请拨打 12345 政务服务便民热线咨询")
    help_.get_by_role("link", name="婚姻登记").first.click()
    expect(page).to_have_url(base + "search.html?q=%E5%A9%9A%E5%A7%BB%E7%99%BB%E8%AE%B0")
    expect(page.locator("#results")).to_contain_text("内地居民结婚登记")
