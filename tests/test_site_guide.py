"""The guide page's own parts, without a browser: the forms published with the site (their hashes
in the site's manifest and the signed manifest, a tampered one found by ``guides verify``), the
link to the printable sheet (or the words saying there is none), the material counts said once,
an empty FAQ left out, and the page's address without a doubled ``guides/``."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
from lxml import html as lxml_html

from guidesrc import gaps
from guidesrc.adapters import Delivery
from guidesrc.manifest_shards import read_manifest
from guidesrc.site.builder import Site
from guidesrc.site.data import Manifest
from guidesrc.site.render import SiteConfig, css_string, near_duplicate
from guidesrc.state import WorkingTree, load_state
from guidesrc.urls import guide_url
from tests.conftest import EXAMPLE, Library, invoke
from tests.test_verify import _channels, findings, flip, publish, verify

GID = "jiehun-dengji"
FORM = "files/jiehun-dengji-shengmingshu-yangbiao.txt"
SITE_ROOT = "https://zwfw.example.gov.cn"
DAY = dt.date(2026, 9, 30)
NOW = dt.datetime(2026, 9, 30, 8, tzinfo=dt.UTC)


def compiled(gid: str = GID) -> dict[str, Any]:
    return load_state(WorkingTree(EXAMPLE)).compiled(gid)


def guide_page(
    tmp_path: Path, guide: dict[str, Any], action: str = "publish", **config: Any
) -> Any:
    """The guide's page on a site of that one guide, parsed."""
    settings = {"title": "示例", "library": "示例", "base_url": SITE_ROOT, **config}
    notice = {"status": "added", "effective_date": DAY.isoformat(), "items": [], "text": "新增"}
    delivery = Delivery(action, GID, 1, guide["name"], DAY, NOW, "0" * 64, guide, notice)  # type: ignore[arg-type]
    folder = tmp_path / "site"
    result = Site(folder, SiteConfig(**settings), EXAMPLE).publish([delivery])
    assert not [r for r in result.receipts if isinstance(r, Exception)]
    return lxml_html.fromstring((folder / f"guides/{GID}.html").read_bytes())


def xpath_of(selector: str) -> str:
    """The XPath of a simple CSS selector (``tag.class``, ``#id``, ``tag[attr=value]``, and
    descendants of those): enough for these tests, without the cssselect package."""
    steps = []
    for part in selector.split():
        m = re.fullmatch(r"([a-z0-9]*)(?:#([\w-]+))?(?:\.([\w-]+))?(?:\[(\w+)=(\w+)\])?", part)
        assert m, part
        tag, ident, cls, attr, value = m.groups()
        step = tag or "*"
        if ident:
            step += f"[@id='{ident}']"
        if cls:
            step += f"[contains(concat(' ', normalize-space(@class), ' '), ' {cls} ')]"
        if attr:
            step += f"[@{attr}='{value}']"
        steps.append(step)
    return ".//" + "//".join(steps)


def find(page: Any, selector: str) -> list[Any]:
    return list(page.xpath(xpath_of(selector)))


def text(page: Any, selector: str) -> str:
    return " ".join("".join(e.itertext()) for e in find(page, selector))


# --- forms ------------------------------------------------------------------------------------


def test_forms_are_published_with_their_hashes_and_linked(tmp_path: Path) -> None:
    page = guide_page(tmp_path, compiled())
    (link,) = find(page, "a.form-link")
    assert link.get("href") == f"../{FORM}"
    data = (EXAMPLE / FORM).read_bytes()
    site = tmp_path / "site"
    assert (site / FORM).read_bytes() == data
    manifest = Manifest.read(site)
    assert manifest.files == {FORM: {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}}
    assert manifest.guides[GID]["forms"] == [FORM]
    assert "示例样表：jiehun-dengji-shengmingshu-yangbiao.txt（点击下载）" in text(
        page, "#sec-materials"
    )


def test_a_results_sample_is_published_and_linked_too(tmp_path: Path) -> None:
    guide = compiled()
    guide["results"][0]["sample"] = "files/jumin-shenfenzheng-shenling-dengjibiao.txt"
    page = guide_page(tmp_path, guide)
    (link,) = find(page, "section#sec-results a.form-link")
    assert link.get("href") == "../files/jumin-shenfenzheng-shenling-dengjibiao.txt"
    assert "结果样本：" in text(page, "#sec-results")
    manifest = Manifest.read(tmp_path / "site")
    assert sorted(manifest.files) == [FORM, "files/jumin-shenfenzheng-shenling-dengjibiao.txt"]


def test_a_form_the_library_lacks_is_named_and_sent_to_the_window(tmp_path: Path) -> None:
    guide = compiled()
    guide["materials"][1]["sample_form"] = "files/no-such-form.txt"
    page = guide_page(tmp_path, guide)
    assert find(page, "a.form-link") == []
    assert "示例样表：no-such-form.txt（可在办理窗口查阅）" in text(page, "#sec-materials")
    assert not (tmp_path / "site/files").exists()


def test_verify_finds_a_tampered_published_form(example: Library, database: str) -> None:
    _channels(example)
    assert invoke("keys", "init", "--library", str(example.root)).exit_code == 0
    assert (
        invoke("approve", str(example.root), "--effective", "today", "--note", "首次发布").exit_code
        == 0
    )
    publish(example)
    published = example.path(f".guides/site/{FORM}")
    signed = read_manifest(example.path(".guides/site").resolve())  # the top file and its shards
    assert signed["files"][FORM]["sha256"] == hashlib.sha256(published.read_bytes()).hexdigest()
    assert verify(example).exit_code == 0
    flip(published, "申请结婚登记".encode(), "申请离婚登记".encode())
    run = verify(example)
    assert run.exit_code == 1
    assert findings(run) == [f"modified .guides/site/{FORM}"]


# --- the printable sheet ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pdf_url", "href"),
    [
        ("../print/", f"../../print/current/{GID}.pdf"),
        ("../print", f"../../print/current/{GID}.pdf"),
        ("/print/", f"/print/current/{GID}.pdf"),
        ("https://files.example.gov.cn/print", f"https://files.example.gov.cn/print/current/{GID}.pdf"),
    ],
)  # fmt: skip
def test_the_page_links_its_printable_sheet(tmp_path: Path, pdf_url: str, href: str) -> None:
    page = guide_page(tmp_path, compiled(), pdf_url=pdf_url)
    (link,) = find(page, "a.pdf-link")
    assert (link.get("href"), link.text_content()) == (href, "下载打印版（PDF）")
    assert find(page, ".no-pdf") == []


def test_an_announced_guide_links_its_upcoming_sheet(tmp_path: Path) -> None:
    page = guide_page(tmp_path, compiled(), "announce", pdf_url="../print/")
    assert find(page, "a.pdf-link")[0].get("href") == f"../../print/upcoming/{GID}.pdf"


def test_without_a_pdf_channel_the_page_says_no_sheet_is_published(tmp_path: Path) -> None:
    page = guide_page(tmp_path, compiled())
    assert find(page, "a.pdf-link") == []
    assert text(page, ".page-tools .no-pdf") == "本事项未发布打印版（PDF）"


# --- what the page says -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("material", "shown"),
    [
        ({"form": "原件", "original_count": 2, "copy_count": 0}, "原件 2 份"),
        ({"form": "复印件", "original_count": 0, "copy_count": 1}, "复印件 1 份"),
        ({"form": "原件和复印件", "original_count": 1, "copy_count": 2}, "原件 1 份，复印件 2 份"),
        ({"form": "复印件", "original_count": 0}, "复印件，复印件份数待补充"),
        ({}, "形式待补充，原件份数待补充，复印件份数待补充"),
    ],
)  # fmt: skip
def test_a_materials_form_and_counts_are_said_once(material: dict[str, Any], shown: str) -> None:
    assert gaps.copies(material) == shown


def test_every_note_of_a_material_is_labelled_and_a_repeated_description_dropped(
    tmp_path: Path,
) -> None:
    guide = compiled("linshi-jumin-shenfenzheng")
    page = guide_page(tmp_path, guide)
    assert "原件，原件" not in text(page, "#sec-materials")
    for cell in find(page, "td.notes"):
        for p in find(cell, "p"):
            assert find(p, "span.label"), lxml_html.tostring(p, encoding="unicode")
    # 申请领取、换领、补领居民身份证时窗口出具的领取凭证 / …受理窗口出具的回执: one is shown.
    repeated = [m for m in guide["materials"] if m.get("notes") and m.get("description")
                and near_duplicate(m["notes"], m["description"])]  # fmt: skip
    assert repeated
    for material in repeated:
        assert material["notes"] in text(page, "#sec-materials")
        assert material["description"] not in text(page, "#sec-materials")


def test_an_empty_faq_is_left_out_of_the_page_and_its_table_of_contents(tmp_path: Path) -> None:
    guide = compiled()
    assert guide["faq"]
    with_faq = guide_page(tmp_path / "a", guide)
    assert "常见问题" in text(with_faq, "nav.toc") and find(with_faq, "#sec-faq")
    guide["faq"] = []
    without = guide_page(tmp_path / "b", guide)
    assert "常见问题" not in text(without, "nav.toc")
    assert find(without, "#sec-faq") == []
    assert "暂无" not in text(without, "main")


def test_the_guides_address_has_one_guides_folder(tmp_path: Path) -> None:
    config = (EXAMPLE / "library.yaml").read_text(encoding="utf-8")
    assert f"base_url: {SITE_ROOT}\n" in config
    page = guide_page(tmp_path, compiled())
    address = f"{SITE_ROOT}/guides/{GID}.html"
    assert guide_url(SITE_ROOT, GID) == guide_url(SITE_ROOT + "/", GID) == address
    assert text(page, ".page-address .url") == address
    assert find(page, "link[rel=canonical]")[0].get("href") == address


def test_the_print_footer_is_a_css_string_no_text_can_end() -> None:
    assert css_string('名"</style>\\') == '"名\\000022\\00003c/style\\00003e\\00005c"'
