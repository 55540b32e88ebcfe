"""A gap looks like a gap, in every channel (issue 15).

Two guides that leave almost everything unknown are published through the site, the printed
sheets (read back with pdftotext), the kiosk, the hotline, mobile, CPSV-AP and directory exports
and the change notices. Nothing may say ``None``, ``null``, ``undefined`` or ``无`` for what the
source does not state, nor claim a default the source never made (不通办, 不支持, 无需提交申请材料,
不收费); each gap says 待补充 and where to ask. A library refuses to approve such guides unless it
allows incomplete ones, and then every page, sheet and kiosk page says that parts are still being
completed.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from guidesrc.gaps import INCOMPLETE_NOTICE
from tests import exports_read
from tests.conftest import EXPORTS, GUIDE, Library, channel_entries, invoke
from tests.test_exports import schema
from tests.test_site import assert_api_valid

#: A guide with nothing known beyond its name and code: not even the implementing body.
BARE_ID = "quanbu-daibuchong"
BARE = """\
id: quanbu-daibuchong
name: 待核实事项
implementation_code: "11990100MB1A00010Q7000107009999"
pending: [basic_code, item_type, exercise_level, service_objects, legal_basis, conditions,
  materials, procedure, promised_time_limit, case_type, results, places, consult_phones,
  complaint_phones, handling_forms, effective_date]
implementing_body:
  pending: [name, credit_code, nature]
fees:
  pending: [charged]
onsite_visits:
  pending: [count]
"""
#: The skeleton's guide, at an office without an address or hours, with material attributes
#: and the result's kind unknown, and no yes/no fact stated.
GID = "jumin-shenfenzheng-huanling"
PHONE = "0990-12345678"
CHANNELS = channel_entries(site="site .guides/site", print="pdf .guides/pdf", **EXPORTS)
ALLOW = "completeness:\n  allow_incomplete: true\n"

#: Words that must never stand for something the source did not say.
DEFAULT_CLAIMS = ("不通办", "不支持", "无需提交申请材料", "无需提交材料", "不收费", "无证照或批文")
LEAKS = re.compile(r"None|null|undefined|：无(?![\w])|>无<|（无）")


def gapped(library: Library) -> None:
    """Turn the skeleton library into one with the two gap-ridden guides and every channel."""
    library.edit("library.yaml", "rules: {}", CHANNELS + "rules: {}")
    text = library.read(GUIDE)
    for old, new in [
        ('basic_code: "000107001000"\n', ""),
        ('item_type: "20"\n', ""),
        ("  nature: 1\n", ""),
        ("  credit_code: 11990100MB1A00010Q\n", "  pending: [credit_code, nature]\n"),
        (
            "    form: 原件\n    medium: 纸质\n    original_count: 1\n    copy_count: 0\n"
            "    source: 政府部门核发\n    necessity: 必要\n",
            "    pending: [form, medium, original_count, copy_count, source, necessity]\n",
        ),
        ("    kind: 证照\n", "    pending: [kind]\n"),
        ("statutory_time_limit: {value: 60, unit: 自然日}\n", ""),
        ("promised_time_limit: {value: 20, unit: 自然日}\n", ""),
        ("case_type: 承诺件\n", ""),
        (
            "fees:\n  charged: true\n  items:\n    - name: 居民身份证工本费\n"
            "      standard: 每证 20 元\n      legal_basis: [shenfenzheng-gongbenfei]\n",
            "fees:\n  pending: [charged]\n",
        ),
        ("  count: 1\n  reason: 需现场采集人像和指纹信息。\n", "  pending: [count, reason]\n"),
        (
            "handling_forms: [1]\n",
            "handling_forms: [1, 2]\nonline:\n  url: https://zwfw.example.gov.cn/ol/1\n",
        ),
        ("scope: 全省通办\nexpress_delivery: true\n", ""),
    ]:
        assert old in text, old
        text = text.replace(old, new, 1)
    text = text.replace(
        "legal_basis: [shenfenzheng-fa-11]\n",
        "legal_basis: [shenfenzheng-fa-11]\n"
        "pending: [promised_time_limit, basic_code, item_type, case_type]\n",
        1,
    )
    library.write(GUIDE, text)
    library.edit("catalogues/offices.yaml", "    address: 示例市中心区民生路 1 号\n", "")
    library.edit(
        "catalogues/offices.yaml",
        "    hours:\n      - days: 周一至周五（法定节假日除外）\n        hours: 9:00–12:00，13:30–17:30\n",
        "    pending: [address, hours]\n",
    )
    library.write(f"guides/{BARE_ID}.yaml", BARE)


def approve(library: Library) -> Any:
    return invoke("approve", str(library.root), "--effective", "today", "--note", "导入")


def pdf_text(path: Path) -> str:
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    return "".join(out.stdout.split())


def assert_no_leak(where: str, text: str) -> None:
    found = LEAKS.search(text)
    assert found is None, f"{where}: {text[max(0, found.start() - 80) : found.end() + 80]!r}"
    for claim in DEFAULT_CLAIMS:
        assert claim not in text, f"{where}: says {claim} though the source says nothing"


def test_approval_refuses_a_guide_that_lacks_a_core_element(library: Library) -> None:
    gapped(library)
    run = approve(library)
    assert run.exit_code != 0
    message = run.stderr
    # file:line, the field, the guide, the element and the fix, in Chinese
    assert (
        f"guides/{BARE_ID}.yaml:4: pending[5]: {BARE_ID}：受理条件尚待补充，资料库要求审核前必须已知；"
        "请向责任部门核实后填写，再重新审核" in message
    )
    assert (
        f"catalogues/offices.yaml:10: entries.zhongxin-dating.pending: {GID}：办理地点尚待补充"
        in message
    )
    assert f"{GUIDE}:13: pending[0]: {GID}：办结时限尚待补充" in message
    assert f"{GUIDE}:28: fees.pending: {GID}：收费尚待补充" in message
    assert "2 项指南缺少资料库完整性要求" in message and "本次没有审核通过任何指南" in message
    assert "Traceback" not in message
    status = invoke("status", str(library.root))
    assert "v1" not in status.stdout  # nothing recorded
    # the check says the same, as a warning under its rule
    check = library.check()
    assert any(
        line.startswith(f"guides/{BARE_ID}.yaml:4:1: pending: 警告：实施主体、受理条件、申请材料")
        and line.endswith("[incomplete-guide]")
        for line in check.lines
    ), check.stdout


@pytest.mark.slow
def test_every_channel_shows_gaps_as_gaps(library: Library) -> None:
    gapped(library)
    library.edit("library.yaml", "rules: {}", ALLOW + "rules: {}")
    run = approve(library)
    assert run.exit_code == 0, run.stdout + run.stderr
    run = invoke("publish", str(library.root))
    assert run.exit_code == 0, run.stdout + run.stderr
    root = library.root

    # the site: the page of each guide, the lists, the search index, the JSON-LD
    for gid, ask in ((GID, f"待补充，请咨询 {PHONE}"), (BARE_ID, "待补充，请向办理窗口咨询")):
        page = (root / f".guides/site/guides/{gid}.html").read_text(encoding="utf-8")
        body = page[page.index("<article") : page.index("</article>")]
        assert_no_leak(f"site {gid}", body)
        assert ask in body
        assert INCOMPLETE_NOTICE in body
        jsonld = page[page.index('"application/ld+json">') : page.index("</script>")]
        assert "null" not in jsonld and "None" not in jsonld
    page = (root / f".guides/site/guides/{GID}.html").read_text(encoding="utf-8")
    assert f"<dt>通办范围</dt><dd>待补充，请咨询 {PHONE}</dd>" in page
    assert f"<dt>预约办理</dt><dd>待补充，请咨询 {PHONE}</dd>" in page
    assert f"<dt>事项类型</dt><dd>待补充，请咨询 {PHONE}</dd>" in page
    assert f"<dt>承诺办结时限</dt><dd>待补充，请咨询 {PHONE}</dd>" in page
    assert "<dt>法定办结时限</dt><dd>法律法规未规定</dd>" in page  # left out: the law sets none
    assert "支持网上办理，<a href" in page
    assert '<td data-label="形式和份数">形式待补充，原件份数待补充，复印件份数待补充</td>' in page
    assert f"待补充：收费情况尚未确认，请咨询 {PHONE}" in page
    bare = (root / f".guides/site/guides/{BARE_ID}.html").read_text(encoding="utf-8")
    assert "待补充：申请材料尚未确认，请向办理窗口咨询" in bare
    for rel in (".guides/site/index.html", ".guides/site/by/department/pending.html"):
        assert_no_leak(rel, (root / rel).read_text(encoding="utf-8"))
    for shard in (root / ".guides/site/search").glob("d*.json"):
        assert "null" not in shard.read_text(encoding="utf-8")
    assert_api_valid(root / ".guides/site")  # the JSON API's schemas allow the gaps

    # the printed sheets, and the kiosk pages made of the same sections
    for gid in (GID, BARE_ID):
        text = pdf_text(root / f".guides/pdf/current/{gid}.pdf")
        assert_no_leak(f"sheet {gid}", text)
        assert "".join(INCOMPLETE_NOTICE.split()) in text
        assert "待补充" in text
    assert f"一楼A区，地址待补充，请咨询{PHONE}" in pdf_text(
        root / f".guides/pdf/current/{GID}.pdf"
    )
    kiosk = kiosk_pages(root)
    for gid in (GID, BARE_ID):
        assert_no_leak(f"kiosk {gid}", kiosk[gid])
        assert INCOMPLETE_NOTICE in kiosk[gid]
    assert f"待补充，请咨询 {PHONE}" in kiosk[GID]

    # the exports: text says 待补充; JSON holds no null for an unknown, and names it in gaps
    for part in sorted((root / "out/hotline/json").glob("*.json")):
        jsonschema.validate(json.loads(part.read_bytes()), schema("hotline"))
    cards = exports_read.hotline_body(root / "out/hotline")["cards"]
    for card in cards:
        assert_no_leak(f"hotline {card['guide_id']}", card["text"] + card["issuer"])
        assert "待补充" in card["text"] and card["gaps"]
    for part in sorted((root / "out/hotline/items").glob("*.csv")):
        assert_no_leak(f"hotline {part.name}", part.read_text(encoding="utf-8-sig"))
    for gid in (GID, BARE_ID):
        raw = (root / f"out/mobile/guides/{gid}.json").read_text(encoding="utf-8")
        assert_no_leak(f"mobile {gid}", raw)
        doc = json.loads(raw)
        jsonschema.validate(doc, schema("mobile-guide"))
        assert "scope" not in doc and "appointment" not in doc and "charged" not in doc["fees"]
        assert {"scope", "appointment", "fees.charged"} <= set(doc["gaps"])
        directory = json.loads((root / f".guides/published/guides/{gid}.json").read_text("utf-8"))
        assert_no_leak(f"directory {gid}", json.dumps(directory["guide"], ensure_ascii=False))
        assert "scope" in directory["guide"]["gaps"]
    cpsv = (root / "out/cpsv/cpsv-ap.jsonld").read_text(encoding="utf-8")
    assert_no_leak("cpsv", cpsv)
    assert "organisation/None" not in cpsv and "收费情况尚未确认" in cpsv

    # a change notice from a stated fact to a gap: said as 待补充, not as 不收费 or "None"
    text = library.read(GUIDE).replace(
        "places: [zhongxin-dating]\n", "places: [zhongxin-dating]\nscope: 全市通办\n"
    )
    library.write(GUIDE, text)
    assert approve(library).exit_code == 0
    assert invoke("publish", str(root)).exit_code == 0
    text = library.read(GUIDE).replace("scope: 全市通办\n", "")
    library.write(GUIDE, text)
    run = invoke("diff", str(library.root), "--published")
    assert "由“全市通办”调整为待补充" in run.stdout, run.stdout
    assert approve(library).exit_code == 0
    assert invoke("publish", str(root)).exit_code == 0
    notice = (root / f".guides/site/notices/{GID}-v3.html").read_text(encoding="utf-8")
    assert "由“全市通办”调整为待补充" in notice
    assert_no_leak("notice", notice[notice.index("<main") :])


def kiosk_pages(root: Path) -> dict[str, str]:
    """The kiosk's page of each guide, rendered by the kiosk from the published bundle."""
    from guidesrc.kiosk.server import Kiosk
    from guidesrc.ledger import open_ledger
    from guidesrc.print.bundle import Bundle
    from guidesrc.print.queue import Queue

    kiosk = Kiosk(
        bundle=Bundle(root / ".guides/pdf"),
        queue=Queue("kiosk-1", "127.0.0.1:1"),
        ledger=open_ledger(root),
        base_url="https://zwfw.example.gov.cn/guides",
        timezone="Asia/Shanghai",
    )
    entries = kiosk.catalog.entries
    return {
        gid: kiosk.render("guide.html", entry=entries[gid], qr="", query="").decode()
        for gid in (GID, BARE_ID)
    }


def test_guides_of_unknown_departments_are_listed_as_such(library: Library) -> None:
    """Guides whose implementing body is unknown are on one list titled as a gap, not under one
    of them; a body known by name only has its own list."""
    library.edit("library.yaml", "rules: {}", CHANNELS.split("  print:")[0] + ALLOW + "rules: {}")
    for n in range(3):
        library.write(
            f"guides/bumen-{n}.yaml",
            BARE.replace(BARE_ID, f"bumen-{n}").replace("9999", f"999{n}"),
        )
    named = (
        BARE.replace(BARE_ID, "bumen-named")
        .replace("9999", "9980")
        .replace(
            "  pending: [name, credit_code, nature]\n",
            "  name: 示例市某街道办事处\n  pending: [credit_code, nature]\n",
        )
    )
    library.write("guides/bumen-named.yaml", named)
    assert approve(library).exit_code == 0
    run = invoke("publish", str(library.root))
    assert run.exit_code == 0, run.stdout + run.stderr
    site = library.root / ".guides/site"
    pending = (site / "by/department/pending.html").read_text(encoding="utf-8")
    assert "<h1>实施主体待补充</h1>" in pending and "共 3 项" in pending
    assert "bumen-named" not in pending and "示例市公安局" not in pending
    lists = {p.name: p.read_text(encoding="utf-8") for p in (site / "by/department").glob("*.html")}
    assert len(lists) == 3  # 示例市公安局, 示例市某街道办事处, 实施主体待补充
    assert sum("<h1>示例市某街道办事处</h1>" in page for page in lists.values()) == 1
    assert "None" not in "".join(lists.values())
    search = "".join(p.read_text(encoding="utf-8") for p in (site / "search").glob("*.json"))
    assert "null" not in search and "None" not in search


def test_a_notice_says_a_fact_became_unknown_or_known() -> None:
    """Change notices: a fact that becomes unknown is 调整为待补充 (not 删除, not 不收费, not the
    list of pending names); one that becomes known is 由待补充调整为…"""
    import copy

    from guidesrc.diff.changeset import DEFAULT_POLICY, GuideChange, field_changes
    from guidesrc.diff.notice import notice
    from guidesrc.state import WorkingTree, load_state
    from tests.conftest import EXAMPLE

    known = load_state(WorkingTree(EXAMPLE)).compiled("jiehun-dengji")
    unknown = copy.deepcopy(known)
    unknown.update(pending=["case_type", "conditions"], case_type=None, conditions=[])
    unknown["implementing_body"] = {**known["implementing_body"], "name": None, "pending": ["name"]}
    unknown["fees"] = {"charged": None, "items": [], "pending": ["charged"]}
    unknown["appointment"] = None
    unknown["scope"] = None

    def text(old: dict[str, Any], new: dict[str, Any]) -> str:
        changes = list(field_changes(old, new, tuple(DEFAULT_POLICY.items())))
        change = GuideChange(
            "jiehun-dengji", "结婚登记", "changed", "f", "a", "b", None, changes, old, new
        )
        return str(notice(change).as_dict()["text"])

    gone = text(known, unknown)
    assert "实施主体：由“示例市民政局”调整为待补充" in gone
    assert "受理条件：调整为待补充" in gone and "删除" not in gone
    assert "办件类型：由“即办件”调整为待补充" in gone
    assert "收费：由不收费调整为待补充" in gone
    assert "支持预约办理：由支持调整为待补充" in gone
    assert f"通办范围：由“{known['scope']}”调整为待补充" in gone
    assert_no_leak("notice", gone.replace("由不收费调整为", ""))
    assert "name" not in gone and "case_type" not in gone
    back = text(unknown, known)
    assert "实施主体：由待补充调整为“示例市民政局”" in back
    assert "收费：由待补充调整为不收费" in back
    assert "None" not in back
