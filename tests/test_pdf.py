"""The pdf channel: printed guides with Typst, checked the way a reader would check them.

The PDFs are read back with Debian's poppler-utils (pdftotext, pdffonts, pdftoppm) and zbar-tools
(zbarimg), which .ci/run installs, and with pypdf: the text of every section, the footer, the QR
code's address, the embedded fonts, the metadata, identical bytes for the same input, and content
that tries to be markup printed as the characters typed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import html
import io
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest

from guidesrc.adapters import Delivery
from guidesrc.adapters.pdf import PdfAdapter, PdfSettings
from guidesrc.compile import canonical_bytes
from guidesrc.errors import ChannelError
from guidesrc.print.batch import (
    PARALLEL_MIN,
    Batch,
    BatchJob,
    BatchPrinter,
    Item,
    checklist_data,
    deadline_text,
    print_batches,
)
from guidesrc.print.batch import token as batch_token
from guidesrc.print.fonts import find_fonts
from guidesrc.print.render import Renderer, RenderOptions, page_count, render_many
from guidesrc.print.sheet import SheetJob
from guidesrc.print.sheets_manifest import read_whole
from guidesrc.state import WorkingTree, load_state
from guidesrc.urls import guide_url
from guidesrc.workdays import read_config
from tests.conftest import EXAMPLE, NO_KEY, Library, invoke, said, withdraw

BASE_URL = "https://zwfw.example.gov.cn"  # example/ and `guides init`
GID = "hukou-qianru-fuqi-toukao"
HASH = hashlib.sha256(b"guide").hexdigest()
APPROVED = dt.datetime(2026, 11, 20, 8, 30, tzinfo=dt.UTC)
NOTICE = {
    "status": "changed",
    "effective_date": "2026-12-01",
    "items": [
        {
            "field": "promised_time_limit",
            "label": "承诺办结时限",
            "clauses": ["由 20 个工作日调整为 10 个工作日"],
        }
    ],
    "text": "承诺办结时限：由 20 个工作日调整为 10 个工作日。自 2026 年 12 月 1 日起实施。",
}
PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img onerror=alert(1)>',
    "{{ }}",
    "javascript:alert(1)",
    '#import "x"',
    '#read("/etc/passwd")',
    "$x$",
    "*bold*",
    "]",
    "[",
    "\\",
]


# --- helpers --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compiled() -> dict[str, dict[str, Any]]:
    """Every example guide as channels receive it: compiled, in canonical order (the ledger's)."""
    state = load_state(WorkingTree(EXAMPLE))
    ids = sorted(p.stem for p in (EXAMPLE / "guides").glob("*.yaml"))
    return {gid: orjson.loads(canonical_bytes(state.compiled(gid))) for gid in ids}


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(RenderOptions(find_fonts()))


def job(guide: dict[str, Any], kind: str = "current", **changes: Any) -> SheetJob:
    base = SheetJob(
        kind=kind,  # type: ignore[arg-type]
        guide_id=guide["id"],
        name=guide["name"],
        version=3,
        effective_date=dt.date(2026, 12, 1),
        approved_at=APPROVED,
        content_hash=HASH,
        guide=guide,
        notice=NOTICE,
        reason=None,
        url=guide_url(BASE_URL, guide["id"]),
    )
    return dataclasses.replace(base, **changes)


def tool(*args: str | Path, data: bytes | None = None) -> str:
    run = subprocess.run([str(a) for a in args], input=data, capture_output=True, check=True)
    return run.stdout.decode("utf-8")


def text_of(pdf: bytes) -> str:
    """The PDF's text in content order (pdftotext -raw)."""
    return tool("pdftotext", "-raw", "-enc", "UTF-8", "-", "-", data=pdf)


def squeeze(text: str) -> str:
    """Without white space: table cells and wrapped lines break text anywhere."""
    return re.sub(r"\s+", "", text)


def printed_lines(pdf: bytes) -> list[str]:
    """Every printed line (pdftotext's layout analysis, by position on the page)."""
    page = tool("pdftotext", "-bbox-layout", "-enc", "UTF-8", "-", "-", data=pdf)
    lines = re.findall(r"<line[^>]*>(.*?)</line>", page, re.S)
    return ["".join(html.unescape(w) for w in re.findall(r">([^<]*)</word>", x)) for x in lines]


def qr_codes(pdf: bytes, tmp_path: Path, page: int = 1) -> list[str]:
    """The QR codes zbarimg reads on a 150 dpi rendering of ``page``."""
    prefix = tmp_path / f"page{page}"
    tool(
        "pdftoppm",
        "-r",
        "150",
        "-f",
        str(page),
        "-l",
        str(page),
        "-png",
        "-singlefile",
        "-",
        prefix,
        data=pdf,
    )
    return tool("zbarimg", "--quiet", "--raw", f"{prefix}.png").split()


# --- a guide's sheet ------------------------------------------------------------------------------

SECTIONS = [
    "基本信息",
    "受理条件",
    "申请材料",
    "办理流程",
    "办结时限",
    "收费标准",
    "办理结果",
    "办理地点和时间",
    "咨询和投诉",
    "常见问题",
    "设定依据",
]


def test_a_sheet_prints_every_section_of_the_guide(
    compiled: dict[str, dict[str, Any]], renderer: Renderer
) -> None:
    guide = compiled[GID]
    text = squeeze(text_of(renderer.render(job(guide))))
    for section in SECTIONS:
        assert section in text, section
    # Each section's own text, as written in the library.
    expected = [
        guide["name"],
        "行政许可",  # item_type "01"
        "县级",  # exercise_level 4
        guide["implementation_code"],
        *guide["conditions"],
        *(m["name"] for m in guide["materials"]),
        *(m["notes"] for m in guide["materials"] if m["notes"]),
        "依据：《中华人民共和国民法典》第一千零四十九条",
        *(f"{s['name']}（1个工作日）" for s in guide["procedure"][:1]),
        *(s["description"] for s in guide["procedure"]),
        "法定办结时限20个工作日",
        "承诺办结时限10个工作日",
        "不收费。",
        *(r["name"] for r in guide["results"]),
        *(p["address"] for p in guide["places"]),
        "1号窗口（户籍业务）",
        *(h["hours"] for p in guide["places"] for h in p["hours"]),
        *(c["phone"] for c in guide["consult_phones"] + guide["complaint_phones"]),
        *(q["question"] for q in guide["faq"]),
        *(q["answer"] for q in guide["faq"]),
        *(b["title"] + (b["article"] or "") for b in guide["legal_basis"]),
        *(b["text"] for b in guide["legal_basis"]),
    ]
    for part in expected:
        assert squeeze(part) in text, part


def test_the_footer_names_the_version_the_effective_date_the_hash_and_the_pages(
    compiled: dict[str, dict[str, Any]], renderer: Renderer
) -> None:
    pdf = renderer.render(job(compiled[GID]))
    pages = page_count(pdf)
    assert pages == 2
    lines = printed_lines(pdf)
    footer = f"夫妻投靠户口迁入·第3版·自2026年12月1日起实施·{HASH[:12]}"
    for n in range(1, pages + 1):
        assert f"第{n}页/共{pages}页" in lines
    assert lines.count(footer) == pages


def test_the_qr_code_reads_as_the_guides_online_page(
    compiled: dict[str, dict[str, Any]], renderer: Renderer, tmp_path: Path
) -> None:
    pdf = renderer.render(job(compiled[GID]))
    assert qr_codes(pdf, tmp_path) == [f"{BASE_URL}/guides/{GID}.html"]


def test_fonts_are_embedded_subsets_of_noto_cjk(
    compiled: dict[str, dict[str, Any]], renderer: Renderer
) -> None:
    rows = tool("pdffonts", "-", data=renderer.render(job(compiled[GID]))).splitlines()[2:]
    fonts = {row.split()[0].split("+", 1)[1]: row.split()[-5:-2] for row in rows}
    assert set(fonts) == {
        "NotoSansCJKsc-Regular-Identity-H",
        "NotoSansCJKsc-Bold-Identity-H",
    }
    assert all(flags == ["yes", "yes", "yes"] for flags in fonts.values())  # emb, sub, uni
    assert all(re.fullmatch(r"[A-Z]{6}\+.*", row.split()[0]) for row in rows)  # subset tags


def test_metadata_names_the_guide_its_version_and_pdf_a(
    compiled: dict[str, dict[str, Any]], renderer: Renderer
) -> None:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(renderer.render(job(compiled[GID]))))
    info = reader.metadata
    assert info is not None
    assert info.title == "夫妻投靠户口迁入 办事指南"
    assert info.subject == "夫妻投靠户口迁入，第 3 版，自 2026 年 12 月 1 日起实施"
    assert info["/Keywords"] == f"办事指南, {GID}, 第 3 版, sha256:{HASH}"
    assert info.creation_date == APPROVED
    xmp = reader.xmp_metadata
    assert xmp is not None
    raw = xmp.stream.get_data().decode()
    assert "<pdfaid:part>2</pdfaid:part>" in raw
    assert "<pdfaid:conformance>B</pdfaid:conformance>" in raw
    assert "/OutputIntents" in reader.trailer["/Root"]


def test_the_same_input_prints_the_same_bytes(
    compiled: dict[str, dict[str, Any]], renderer: Renderer
) -> None:
    sheet = job(compiled[GID])
    first = renderer.render(sheet)
    other = Renderer(RenderOptions(find_fonts()))
    assert other.render(job(compiled["jiehun-dengji"])) != first
    assert other.render(sheet) == first
    # One more field changes the bytes.
    assert renderer.render(dataclasses.replace(sheet, version=4)) != first


@pytest.mark.slow
def test_workers_print_the_same_bytes_as_this_process(
    compiled: dict[str, dict[str, Any]], renderer: Renderer
) -> None:
    jobs = [job(g) for g in compiled.values()]
    assert len(jobs) >= 16  # enough for the pool
    options = RenderOptions(find_fonts())
    pooled = list(render_many(jobs, options, workers=2))
    assert pooled == [renderer.render(j) for j in jobs]


@pytest.mark.slow
def test_workers_print_the_same_batches_as_this_process(
    compiled: dict[str, dict[str, Any]], renderer: Renderer, tmp_path: Path
) -> None:
    sheet = tmp_path / "sheet.pdf"
    sheet.write_bytes(renderer.render(job(compiled[GID])))
    zone = ZoneInfo("Asia/Shanghai")
    at = dt.datetime(2026, 12, 4, tzinfo=zone)
    post = {"kind": "current", "version": 1, "effective_date": "2026-12-01", "pages": 2}
    jobs = []
    for n in range(PARALLEL_MIN):
        window = f"a-{n:02d}"
        batch = Batch(
            batch_token(at.date(), 1, "zhongxin", window), "zhongxin", "中心", window, window
        )
        batch.items.append(Item(GID, "名称", [], {**post, "file": "-", "hash": HASH}, 0))
        data = checklist_data(batch, deadline_text(at, zone), "示例库")
        jobs.append(BatchJob(data, at, (sheet,), tmp_path / "pooled" / batch.file))
    here = [dataclasses.replace(j, target=tmp_path / "here" / j.target.name) for j in jobs]
    assert list(print_batches(jobs, find_fonts(), workers=2)) == [None] * len(jobs)
    assert list(print_batches(here, find_fonts(), workers=1)) == [None] * len(jobs)
    for pooled, local in zip(jobs, here, strict=True):
        assert pooled.target.read_bytes() == local.target.read_bytes()
        text = squeeze(text_of(pooled.target.read_bytes()))
        assert f"换页清单{pooled.target.stem}" in text and "户口迁入" in text


def test_a_batch_is_the_checklist_then_each_sheet_whole_with_its_bookmarks(
    compiled: dict[str, dict[str, Any]], renderer: Renderer, tmp_path: Path
) -> None:
    from pypdf import PdfReader

    sheets = [renderer.render(job(compiled[gid])) for gid in (GID, "jiehun-dengji")]
    printer = BatchPrinter(find_fonts())
    zone = ZoneInfo("Asia/Shanghai")
    at = dt.datetime(2026, 12, 4, tzinfo=zone)
    batch = Batch(batch_token(at.date(), 1, "zhongxin", "a-03"), "zhongxin", "中心", "a-03", "A03")
    data = checklist_data(batch, deadline_text(at, zone), "示例库")
    checklist = printer.checklist(data, at)
    pdf = printer.batch(checklist, sheets, data["title"])
    assert printer.batch(checklist, sheets, data["title"]) == pdf  # the same bytes again

    reader = PdfReader(io.BytesIO(pdf))
    assert reader.metadata is not None and reader.metadata.title == data["title"]
    parts = [checklist, *sheets]
    assert len(reader.pages) == sum(page_count(p) for p in parts)
    first = page_count(checklist)
    assert qr_codes(pdf, tmp_path, page=first + 1) == [f"{BASE_URL}/guides/{GID}.html"]
    # Page for page the sheets as posted singly, each sheet's bookmarks pointing into its pages.
    offset = 0
    outline: list[Any] = []
    for part in parts:
        single = PdfReader(io.BytesIO(part))
        for number, page in enumerate(single.pages):
            assert reader.pages[offset + number].extract_text() == page.extract_text()
        outline += _bookmarks(single, single.outline, offset)
        offset += len(single.pages)
    assert outline and outline == _bookmarks(reader, reader.outline, 0)
    titles = [title for title, _page, depth in outline if depth == 0]
    assert titles == [compiled[GID]["name"], compiled["jiehun-dengji"]["name"]]


def test_the_checklist_is_for_hall_staff_a_tick_box_a_signature_and_no_command() -> None:
    zone = ZoneInfo("Asia/Shanghai")
    at = dt.datetime(2026, 12, 4, tzinfo=zone)
    batch = Batch(batch_token(at.date(), 1, "zhongxin", "a-03"), "zhongxin", "中心", "a-03", "A03")
    data = checklist_data(batch, deadline_text(at, zone), "示例库")
    pdf = BatchPrinter(find_fonts()).checklist(data, at)
    lines = printed_lines(pdf)
    text = squeeze(text_of(pdf))
    assert "完成" in lines and "打勾" in lines  # the column of tick boxes, headed 完成 / 打勾
    signing = ["张贴人（签名）：", "完成时间：", "年", "月", "日", "时"]
    checking = ["核对人（签名）：", "核对时间：", "年", "月", "日", "时"]
    at_sign = lines.index("张贴人（签名）：")
    assert lines[at_sign : at_sign + 13] == [*signing, *checking, "备注："]
    assert f"负责人凭批次编号{batch.token}登记完成" in text
    assert "guides" not in text and "printdone" not in text


def _bookmarks(reader: Any, items: list[Any], offset: int, depth: int = 0) -> list[Any]:
    """(title, page number + ``offset``, depth) of each bookmark, in order."""
    out: list[Any] = []
    for item in items:
        if isinstance(item, list):
            out += _bookmarks(reader, item, offset, depth + 1)
        else:
            out.append((item.title, offset + reader.get_destination_page_number(item), depth))
    return out


def test_no_printed_line_starts_with_closing_punctuation(
    compiled: dict[str, dict[str, Any]], renderer: Renderer
) -> None:
    closing = tuple("，。、；：？！）》」』”’】〕")
    for gid in ("shipin-jingying-xuke", GID, "zuidi-shenghuo-baozhang"):
        for large in (False, True):
            lines = printed_lines(renderer.render(job(compiled[gid], large=large)))
            assert [line for line in lines if line.startswith(closing)] == [], gid


def test_the_materials_header_repeats_on_every_page_the_table_spans(
    compiled: dict[str, dict[str, Any]], renderer: Renderer
) -> None:
    guide = dict(compiled[GID])
    guide["materials"] = [
        {**m, "id": f"{m['id']}-{i}", "name": f"{m['name']}（第 {i} 份）"}
        for i in range(6)
        for m in compiled[GID]["materials"]
    ]
    pdf = renderer.render(job(guide))
    from pypdf import PdfReader

    pages = [squeeze(p.extract_text()) for p in PdfReader(io.BytesIO(pdf)).pages]
    spanned = [p for p in pages if "（第" in p and "份）" in p]
    assert len(spanned) >= 2
    assert all("材料名称形式及份数载体及来源填报要求及说明" in p for p in spanned)


# --- other sheets ---------------------------------------------------------------------------------


def test_an_upcoming_version_prints_as_its_own_sheet_with_the_notice(
    compiled: dict[str, dict[str, Any]], renderer: Renderer, tmp_path: Path
) -> None:
    pdf = renderer.render(job(compiled[GID], "upcoming"))
    text = squeeze(text_of(pdf))
    assert text.startswith(
        "即将实施自2026年12月1日起实施变更内容：承诺办结时限：由20个工作日调整为10个工作日。"
    )
    assert "在此之前，仍按现行办事指南办理。" in text
    assert "·即将实施" in text  # in the footer of every page
    assert all(s in text for s in SECTIONS)  # the whole new version follows
    assert qr_codes(pdf, tmp_path) == [f"{BASE_URL}/guides/{GID}.html"]


def test_a_withdrawn_guide_prints_a_withdrawal_sheet_with_the_reason(renderer: Renderer) -> None:
    sheet = SheetJob(
        kind="withdrawn",
        guide_id=GID,
        name="夫妻投靠户口迁入",
        version=4,
        effective_date=dt.date(2026, 12, 1),
        approved_at=APPROVED,
        content_hash=None,
        guide=None,
        notice={},
        reason="该事项已划转至市公安局出入境管理支队办理",
        url=guide_url(BASE_URL, GID),
    )
    pdf = renderer.render(sheet)
    assert page_count(pdf) == 1
    assert squeeze(text_of(pdf)) == squeeze(
        "夫妻投靠户口迁入 停止办理 "
        "“夫妻投靠户口迁入”事项自 2026 年 12 月 1 日起停止办理，原办事指南不再使用。"
        "原因：该事项已划转至市公安局出入境管理支队办理。"
        "请勿再按原办事指南准备材料。如有疑问，请拨打 12345 政务服务便民热线咨询。"
        "夫妻投靠户口迁入 · 第 4 版 · 自 2026 年 12 月 1 日起停止办理 第 1 页/共 1 页"
    )


def test_a_new_items_upcoming_sheet_says_when_it_starts_not_that_a_current_guide_holds(
    compiled: dict[str, dict[str, Any]], renderer: Renderer
) -> None:
    """A brand-new item has no guide in force: its upcoming sheet must not send people to one."""
    added = {"status": "added", "effective_date": "2026-12-01", "items": [], "text": ""}
    text = squeeze(text_of(renderer.render(job(compiled[GID], "upcoming", notice=added))))
    assert text.startswith(
        "即将实施自2026年12月1日起实施新增事项：“夫妻投靠户口迁入”为新增事项，此前没有现行办事指南。"
        "本事项自2026年12月1日起开始受理。"
    )
    assert "现行办事指南办理" not in text and "变更内容" not in text


@pytest.mark.parametrize(
    ("reason", "printed"),
    [
        ("该事项已划转至市公安局办理", "原因：该事项已划转至市公安局办理。"),
        ("该事项已划转至市公安局办理。", "原因：该事项已划转至市公安局办理。"),
        ("为什么停办？", "原因：为什么停办？"),
        ("依法取消！", "原因：依法取消！"),
        ("职责调整；", "原因：职责调整。"),
        ("见《关于调整的通知》", "原因：见《关于调整的通知》。"),
        ("见通知（已公布。）", "原因：见通知（已公布。）"),
    ],
)
def test_a_withdrawal_reason_ends_its_sentence_once(
    renderer: Renderer, reason: str, printed: str
) -> None:
    sheet = dataclasses.replace(
        job({"id": GID, "name": "夫妻投靠户口迁入"}, "withdrawn"),
        guide=None,
        content_hash=None,
        reason=reason,
    )
    lines = printed_lines(renderer.render(sheet))
    assert printed in lines  # a line of its own, ending its sentence once
    after = lines[lines.index(printed) + 1]
    assert after.startswith("请勿再按原办事指南准备材料。")


def footer_parts(pdf: bytes) -> list[str]:
    """The sheet's footer as printed: the lines at the foot of each page, page number apart."""
    return [line for line in printed_lines(pdf) if "·" in line or line == "即将实施"]


def test_a_long_footer_breaks_between_its_parts_never_inside_one(
    compiled: dict[str, dict[str, Any]], renderer: Renderer
) -> None:
    """Large print: 名称 · 第 N 版 · 自…起实施 · hash · 即将实施 does not fit one line."""
    guide = compiled["shipin-jingying-xuke"]
    pdf = renderer.render(job(guide, "upcoming", large=True))
    pages = page_count(pdf)
    lines = printed_lines(pdf)
    first = f"{guide['name']}·第3版·自2026年12月1日起实施·{HASH[:12]}·"
    assert lines.count(first) == pages and lines.count("即将实施") == pages
    assert not [line for line in lines if line in ("施", "将实施", "实施") or line.endswith("·即")]
    for n in range(1, pages + 1):
        assert f"第{n}页/共{pages}页" in lines


def _sizes(pdf: bytes) -> list[tuple[float, str]]:
    """(size in points, text) of every run of text, on every page."""
    from pypdf import PdfReader

    runs: list[tuple[float, str]] = []
    for page in PdfReader(io.BytesIO(pdf)).pages:

        def visit(text: str, _cm: Any, tm: Any, _font: Any, size: float) -> None:
            if text.strip():
                runs.append((round(size * tm[0], 1), text))

        page.extract_text(visitor_text=visit)
    return runs


def test_table_text_is_at_least_10_pt_only_the_footer_and_the_qr_caption_are_smaller(
    compiled: dict[str, dict[str, Any]], renderer: Renderer
) -> None:
    guide = compiled["shipin-jingying-xuke"]
    runs = _sizes(renderer.render(job(guide)))
    table = ("形式及份数", "载体及来源", "填报要求及说明", "纸质或电子", "申请人自备")
    assert {size for size, text in runs if any(t in text for t in table)} == {10.0}
    small = {squeeze(text) for size, text in runs if size < 10}
    allowed = (
        "食品经营许可",
        "第3版",
        "自2026年12月1日",
        HASH[:12],
        "页/共",
        "扫码查看网上办事指南",
    )
    assert small and all(any(a in text for a in allowed) for text in small), small


def lines_on_last_page(pdf: bytes) -> int:
    """Printed lines on the last page, its footer apart (pdftotext's layout)."""
    n = page_count(pdf)
    page = tool("pdftotext", "-f", str(n), "-l", str(n), "-layout", "-", "-", data=pdf)
    return len([line for line in page.splitlines() if line.strip()]) - 1


@pytest.mark.parametrize(
    ("gid", "kind", "large", "pages"),
    [
        ("shipin-jingying-xuke", "current", False, 2),  # 3 pages, 5 lines on the 3rd, before
        ("yiliao-jigou-zhiye-dengji", "upcoming", False, 2),
        ("jiehun-dengji", "current", True, 3),
        ("shiye-baoxianjin-shenling", "current", True, 3),
    ],
)
def test_no_sheet_leaves_a_few_lines_on_a_page_of_their_own(
    compiled: dict[str, dict[str, Any]],
    renderer: Renderer,
    gid: str,
    kind: str,
    large: bool,
    pages: int,
) -> None:
    """Sheets that would leave a few lines on a last page are fitted onto one page fewer, with
    the same type sizes and the same text."""
    pdf = renderer.render(job(compiled[gid], kind, large=large))
    assert page_count(pdf) == pages
    assert lines_on_last_page(pdf) >= 10
    text = squeeze(text_of(pdf))
    guide = compiled[gid]
    for part in [*SECTIONS[:-2], *guide["conditions"], *(b["title"] for b in guide["legal_basis"])]:
        assert squeeze(part) in text
    sizes = {size for size, _text in _sizes(pdf)}
    assert (15.0 if large else 10.5) in sizes and (13.5 if large else 10.0) in sizes


def test_large_print_has_bigger_type_and_the_same_text(
    compiled: dict[str, dict[str, Any]], renderer: Renderer
) -> None:
    from pypdf import PdfReader

    regular = renderer.render(job(compiled[GID]))
    large = renderer.render(job(compiled[GID], large=True))
    assert page_count(large) > page_count(regular)
    text = squeeze(text_of(large))
    for part in [*SECTIONS, *compiled[GID]["conditions"], "第3版", HASH[:12]]:
        assert squeeze(part) in text

    def body_size(pdf: bytes) -> float:
        sizes: dict[float, int] = {}

        def visit(text: str, _cm: Any, tm: Any, _font: Any, size: float) -> None:
            scaled = round(size * tm[0], 1)
            sizes[scaled] = sizes.get(scaled, 0) + len(text)

        PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
        return max(sizes, key=lambda s: sizes[s])  # the size most characters are printed in

    assert body_size(regular) < 11 < 13 < body_size(large)


def _with_payload(value: Any, key: str = "") -> Any:
    """Every text field of a compiled guide with every payload appended."""
    keep = {"id", "format", "effective_date", "in_force_from", "repealed_on", "replaced_by"}
    if isinstance(value, dict):
        return {k: _with_payload(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_payload(v, key) for v in value]
    if isinstance(value, str) and key not in keep:
        return f"{value} {' '.join(PAYLOADS)}"
    return value


def test_markup_in_the_content_prints_as_literal_text(
    compiled: dict[str, dict[str, Any]], renderer: Renderer, tmp_path: Path
) -> None:
    guide = _with_payload(compiled[GID])
    marked = " ".join(PAYLOADS)
    sheet = job(
        guide,
        "upcoming",
        name=guide["name"],
        notice={**NOTICE, "items": _with_payload(NOTICE["items"])},
    )
    pdf = renderer.render(sheet)
    text = squeeze(text_of(pdf))
    together = squeeze(marked)
    # Every field still prints, in full, with the payloads as the characters typed.
    assert text.count(together) >= 60
    for field in ("事项类型", "实施主体", "承诺办结时限", "地址", "咨询电话", "常见问题"):
        assert field in text
    assert squeeze(f"{compiled[GID]['name']} {marked}") in text
    assert "root:x:0" not in text  # #read("/etc/passwd") did not run
    withdrawn = dataclasses.replace(
        sheet, kind="withdrawn", guide=None, content_hash=None, reason=marked
    )
    assert together in squeeze(text_of(renderer.render(withdrawn)))
    assert qr_codes(pdf, tmp_path) == [f"{BASE_URL}/guides/{GID}.html"]


# --- fonts ----------------------------------------------------------------------------------------


def test_a_missing_font_is_an_error_naming_the_debian_package(tmp_path: Path) -> None:
    empty = tmp_path / "fonts"
    empty.mkdir()
    with pytest.raises(ChannelError) as caught:
        find_fonts(empty)
    assert str(caught.value) == (
        f"打印渠道需要字体 Noto Sans CJK SC（常规体和粗体），但 {empty} 中没有；"
        "请安装 Debian 软件包 fonts-noto-cjk（apt-get install fonts-noto-cjk），"
        "并把 font_dir 设为它的文件夹 /usr/share/fonts/opentype/noto，或设为存放该字体的文件夹"
    )


def test_a_font_folder_without_the_bold_weight_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "regular-only"
    folder.mkdir()
    (folder / "NotoSansCJK-Regular.ttc").symlink_to(
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
    )
    with pytest.raises(ChannelError, match="fonts-noto-cjk"):
        find_fonts(folder)


# --- the adapter ----------------------------------------------------------------------------------


def delivery(
    guide: dict[str, Any], action: str = "publish", version: int = 1, **kw: Any
) -> Delivery:
    return Delivery(
        action=action,  # type: ignore[arg-type]
        guide_id=guide["id"],
        version=version,
        name=guide["name"],
        effective_date=dt.date(2026, 12, 1),
        approved_at=APPROVED,
        content_hash=None if action == "withdraw" else HASH,
        guide=None if action == "withdraw" else guide,
        notice=NOTICE,
        **kw,
    )


@pytest.fixture
def channel(tmp_path: Path) -> Iterator[PdfAdapter]:
    (tmp_path / "library.yaml").write_text((EXAMPLE / "library.yaml").read_text("utf-8"), "utf-8")
    adapter = PdfAdapter(
        "print", PdfSettings(path="print", batches=False), tmp_path, read_config(tmp_path)
    )
    yield adapter
    adapter.close()


def manifest(adapter: PdfAdapter) -> dict[str, Any]:
    return read_whole(adapter.out)


def test_a_batch_written_again_after_a_crash_is_the_same_bytes(
    tmp_path: Path, compiled: dict[str, dict[str, Any]]
) -> None:
    (tmp_path / "library.yaml").write_text((EXAMPLE / "library.yaml").read_text("utf-8"), "utf-8")
    adapter = PdfAdapter("print", PdfSettings(path="print"), tmp_path, read_config(tmp_path))
    receipt = adapter.deliver(delivery(compiled[GID]))
    tokens = [h["token"] for h in receipt["handover"]]
    assert tokens and all(h["file"] == f"batches/{h['token']}.pdf" for h in receipt["handover"])
    first = {t: (adapter.out / f"batches/{t}.pdf").read_bytes() for t in tokens}
    (adapter.out / "manifest.json").unlink()  # as if the run died before it recorded anything
    assert adapter.deliver(delivery(compiled[GID])) == receipt
    assert {t: (adapter.out / f"batches/{t}.pdf").read_bytes() for t in tokens} == first
    adapter.close()


def test_the_adapter_writes_sheets_and_a_manifest_and_answers_lookup(
    channel: PdfAdapter, compiled: dict[str, dict[str, Any]]
) -> None:
    guide = compiled[GID]
    first = delivery(guide)
    receipt = channel.deliver(first)
    pdf = (channel.out / f"current/{GID}.pdf").read_bytes()
    assert receipt == {
        "file": f"current/{GID}.pdf",
        "sha256": hashlib.sha256(pdf).hexdigest(),
        "bytes": len(pdf),
        "pages": 2,
    }
    entry = manifest(channel)["guides"][GID]
    assert entry["current"]["key"] == f"{GID}@1:publish"
    assert entry["current"]["places"] == [
        {
            "id": "minsheng-paichusuo",
            "name": "示例市公安局中心区分局民生派出所",
            "windows": [{"id": "huji-1", "name": "1 号窗口（户籍业务）"}],
        }
    ]
    assert channel.lookup(first) == receipt
    assert channel.lookup(delivery(guide, "announce", 2)) is None
    # Delivering again writes the same bytes; a damaged file is not taken for the delivery.
    assert channel.deliver(first) == receipt
    (channel.out / f"current/{GID}.pdf").write_bytes(b"%PDF-")
    assert channel.lookup(first) is None
    assert channel.deliver_many([(first, True)]) == [receipt]
    assert not [p for p in channel.out.rglob(".*")]  # no temporary files left


def test_announce_activate_and_withdraw_move_the_sheets(
    channel: PdfAdapter, compiled: dict[str, dict[str, Any]]
) -> None:
    guide = compiled[GID]
    results = channel.deliver_many(
        [(delivery(guide), False), (delivery(guide, "announce", 2), False)]
    )
    assert [r["file"] for r in results] == [f"current/{GID}.pdf", f"upcoming/{GID}.pdf"]  # type: ignore[index]
    assert "即将实施" in text_of((channel.out / f"upcoming/{GID}.pdf").read_bytes())
    channel.deliver(delivery(guide, "activate", 2))
    assert sorted(p.relative_to(channel.out).as_posix() for p in channel.out.rglob("*.pdf")) == [
        f"current/{GID}.pdf"
    ]
    assert manifest(channel)["guides"][GID]["current"]["version"] == 2
    # A late retry of version 1 does not replace version 2.
    assert channel.deliver(delivery(guide)) == {"file": None, "superseded_by": 2}
    channel.deliver(delivery(guide, "withdraw", 3, reason="已划转"))
    assert sorted(p.relative_to(channel.out).as_posix() for p in channel.out.rglob("*.pdf")) == [
        f"withdrawn/{GID}.pdf"
    ]
    runs = manifest(channel)["runs"]
    assert [
        (c["action"], c["version"], c["posted"], c["removed"]) for r in runs for c in r["changes"]
    ] == [
        ("publish", 1, f"current/{GID}.pdf", []),
        ("announce", 2, f"upcoming/{GID}.pdf", []),
        ("activate", 2, f"current/{GID}.pdf", [f"upcoming/{GID}.pdf"]),
        ("withdraw", 3, f"withdrawn/{GID}.pdf", [f"current/{GID}.pdf"]),
    ]
    # The withdrawal sheet goes where the guide's sheet hung.
    assert runs[-1]["changes"][0]["places"][0]["windows"] == [
        {"id": "huji-1", "name": "1 号窗口（户籍业务）"}
    ]
    # One run per batch: the first delivered two sheets.
    assert [(r["seq"], len(r["changes"])) for r in runs] == [(1, 2), (2, 1), (3, 1)]


def test_missing_fonts_fail_each_delivery_with_the_chinese_error(
    tmp_path: Path, compiled: dict[str, dict[str, Any]]
) -> None:
    (tmp_path / "empty").mkdir()
    adapter = PdfAdapter(
        "print", PdfSettings(path="print", font_dir="empty"), tmp_path, read_config(EXAMPLE)
    )
    [result] = adapter.deliver_many([(delivery(compiled[GID]), False)])
    assert isinstance(result, ChannelError)
    assert "请安装 Debian 软件包 fonts-noto-cjk" in str(result)
    assert not (tmp_path / "print").exists()


# --- guides publish, end to end -------------------------------------------------------------------


def publish(lib: Library) -> Any:
    """``guides publish --wait``: on PostgreSQL the one-publisher lock is one per server, and other
    test runs on the same server may hold it for a moment."""
    return invoke("publish", str(lib.root), "--wait")


PRINT_CHANNEL = "  print:\n    type: pdf\n    settings:\n      path: .guides/print\n"


def _add_print_channel(lib: Library, settings: str = "") -> None:
    lib.edit("library.yaml", "rules: {}", PRINT_CHANNEL + settings + "rules: {}")


@pytest.mark.slow
@pytest.mark.usefixtures("database")
def test_guides_publish_prints_the_example_library(example: Library, tmp_path: Path) -> None:
    _add_print_channel(example)
    assert example.check().exit_code == 0
    run = invoke(
        "approve",
        str(example.root),
        "--effective",
        "today",
        "--note",
        "首次发布",
    )
    assert run.exit_code == 0, run.stderr
    run = publish(example)
    assert run.exit_code == 0, run.stdout + run.stderr
    assert said(run.stderr) == NO_KEY + (
        "本次：已送达 18 次，18 次已印入换页批次、待大厅工作人员张贴，失败 0 次；留待以后运行 0 次（尚未到期或待重试）\n"
        "换页批次：见 guides print list，张贴后执行 guides print done 批次编号\n"
    )
    out = example.root / ".guides/print"
    # One batch per window serving a guide; each lists what it posts, and its sheets follow.
    batches = sorted(p.stem for p in (out / "batches").iterdir())
    assert len(batches) == 14 and any(b.endswith("-1-zhongxin-dating.a-03") for b in batches)
    sheets = sorted(p.name for p in (out / "current").iterdir())
    assert len(sheets) == 18 and f"{GID}.pdf" in sheets
    entries = read_whole(out)["guides"]
    pdf = (out / f"current/{GID}.pdf").read_bytes()
    assert entries[GID]["current"]["sha256"] == hashlib.sha256(pdf).hexdigest()
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    footer = f"第1版·自{today.year}年{today.month}月{today.day}日起实施·{entries[GID]['current']['content_hash'][:12]}"
    assert footer in squeeze(text_of(pdf))
    assert qr_codes(pdf, tmp_path) == [f"{BASE_URL}/guides/{GID}.html"]
    assert publish(example).stdout == ""


@pytest.mark.slow
@pytest.mark.usefixtures("database")
def test_guides_publish_announces_then_withdraws_on_print(library: Library) -> None:
    gid = "jumin-shenfenzheng-huanling"
    _add_print_channel(library, "      large_print: true\n")
    run = invoke(
        "approve",
        str(library.root),
        "--effective",
        "today",
        "--note",
        "首次发布",
    )
    assert run.exit_code == 0, run.stderr
    assert publish(library).exit_code == 0
    library.edit(
        "guides/jumin-shenfenzheng-huanling.yaml",
        "promised_time_limit: {value: 20",
        "promised_time_limit: {value: 10",
    )
    later = dt.date.today() + dt.timedelta(days=10)
    run = invoke(
        "approve",
        str(library.root),
        "--effective",
        later.isoformat(),
        "--note",
        "压缩时限",
    )
    assert run.exit_code == 0, run.stderr
    run = publish(library)
    assert f"待张贴\t{gid} v2\tprint\t预告\t" in run.stdout
    out = library.root / ".guides/print"
    # The reprint batch of a window serving the guide: the checklist, then the sheet to post.
    [announced] = (out / "batches").glob("*-2-zhongxin-dating.a-03.pdf")
    batch = squeeze(text_of(announced.read_bytes()))
    assert "换页清单张贴地点示例市政务服务中心A03窗口（户政业务）" in batch
    assert f"即将实施告知页第2版（自{later.year}年{later.month}月{later.day}日起实施）" in batch
    # Hall staff sign and date it and hand it in: no command on paper.
    assert f"负责人凭批次编号{announced.stem}登记完成" in batch
    assert "张贴人（签名）：完成时间：年月日时核对人（签名）：核对时间：年月日时备注：" in batch
    assert "guides" not in batch.split("备注：")[0]
    assert "承诺办结时限：由20个自然日调整为10个自然日。" in batch  # the sheet itself follows
    text = squeeze(text_of((out / f"upcoming/{gid}.pdf").read_bytes()))
    assert f"即将实施自{later.year}年{later.month}月{later.day}日起实施" in text
    assert "承诺办结时限：由20个自然日调整为10个自然日。" in text
    assert "第1版" in squeeze(text_of((out / f"current/{gid}.pdf").read_bytes()))
    run = withdraw(library.root, gid, "该事项已划转至市公安局办理")
    assert run.exit_code == 0, run.stderr
    run = publish(library)
    assert f"待张贴\t{gid} v3\tprint\t撤回\t" in run.stdout
    assert sorted(
        p.relative_to(out).as_posix() for p in out.rglob("*.pdf") if p.parent.name != "batches"
    ) == [f"withdrawn/{gid}.pdf"]
    [withdrawn] = (out / "batches").glob("*-3-zhongxin-dating.a-03.pdf")
    batch = squeeze(text_of(withdrawn.read_bytes()))
    assert "办事指南第1版（自" in batch and "即将实施告知页第2版（自" in batch  # to take down
    assert "停止办理告知页第3版" in batch  # to put up
    listed = invoke("print", "list", "--library", str(library.root))
    assert withdrawn.stem in listed.stdout and announced.stem in listed.stdout
    for token in [announced.stem, withdrawn.stem]:
        done = invoke("print", "done", token, "--by", "窗口甲", "--library", str(library.root))
        assert done.exit_code == 0, done.stderr
    done = invoke("print", "done", withdrawn.stem, "--by", "窗口甲", "--library", str(library.root))
    assert done.exit_code != 0 and "已于此前由 窗口甲 确认" in done.stderr
    assert "原因：该事项已划转至市公安局办理" in squeeze(
        text_of((out / f"withdrawn/{gid}.pdf").read_bytes())
    )


@pytest.mark.usefixtures("database")
def test_guides_publish_reports_missing_fonts_and_the_other_channels_go_on(
    library: Library,
) -> None:
    (library.root / "no-fonts").mkdir()
    _add_print_channel(library, "      font_dir: no-fonts\n")
    invoke(
        "approve",
        str(library.root),
        "--effective",
        "today",
        "--note",
        "首次发布",
    )
    run = publish(library)
    assert run.exit_code == 1
    gid = "jumin-shenfenzheng-huanling"
    assert f"已送达\t{gid} v1\tarchive\t发布\n" in run.stdout
    assert (
        f"失败\t{gid} v1\tprint\t发布\t打印渠道需要字体 Noto Sans CJK SC（常规体和粗体），"
        f"但 {library.root / 'no-fonts'} 中没有；请安装 Debian 软件包 fonts-noto-cjk" in run.stdout
    )


def test_guides_check_refuses_unknown_print_settings(library: Library) -> None:
    _add_print_channel(library, "      large_type: true\n")
    run = library.check()
    assert run.exit_code == 1
    assert "channels.print.settings.large_type" in run.stdout
