"""What an imported guide lacks (待补充) is shown as missing on the site and on paper, never as a
fact: a pending fee block is not "不收费", pending materials are not "无需提交申请材料"."""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import GUIDE, Library, invoke

GID = "jumin-shenfenzheng-huanling"
CHANNELS = (
    "  site:\n    type: site\n    settings:\n      path: .guides/site\n"
    "  print:\n    type: pdf\n    settings:\n      path: .guides/pdf\n"
)


@pytest.mark.slow
def test_gaps_are_shown_as_gaps(library: Library) -> None:
    # a library that publishes incomplete guides (with a notice) rather than refusing them
    library.edit(
        "library.yaml",
        "rules: {}",
        CHANNELS + "completeness:\n  allow_incomplete: true\nrules: {}",
    )
    text = library.read(GUIDE)
    start, end = text.index("materials:\n"), text.index("procedure:\n")
    text = text[:start] + "materials: []\n" + text[end:]
    start, end = text.index("fees:\n"), text.index("results:\n")
    text = text[:start] + "fees:\n  charged: false\n  pending: [charged]\n" + text[end:]
    text = text.replace(
        "legal_basis: [shenfenzheng-fa-11]\n",
        "legal_basis: [shenfenzheng-fa-11]\npending: [materials]\n",
        1,
    )
    library.write(GUIDE, text)
    run = invoke("check", str(library.root))
    assert "[to-complete]" in run.stdout
    run = invoke("approve", str(library.root), "--effective", "today", "--note", "导入")
    assert run.exit_code == 0, run.stdout + run.stderr
    run = invoke("publish", str(library.root))
    assert run.exit_code == 0, run.stdout + run.stderr
    page = (library.root / f".guides/site/guides/{GID}.html").read_text(encoding="utf-8")
    assert "待补充：申请材料尚未确认" in page and "无需提交申请材料" not in page
    assert "待补充：收费情况尚未确认" in page and "不收费" not in page
    assert "本指南部分内容正在完善中，以窗口答复为准。" in page
    pdf = library.root / f".guides/pdf/current/{GID}.pdf"
    printed = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = "".join(printed.split())
    assert "待补充：申请材料尚未确认" in flat and "无需提交申请材料" not in flat
    assert "待补充：收费情况尚未确认" in flat and "不收费" not in flat


SITE_ONLY = "  site:\n    type: site\n    settings:\n      path: .guides/site\n"


def test_the_site_api_leaves_unknowns_out_and_names_them_in_gaps(library: Library) -> None:
    """api/guides/<id>.json (document format 2) holds no null: a field the guide does not state
    is absent and its path is in the guide's gaps; the page, made from the same document, says
    待补充 for it."""
    import json

    from guidesrc.gaps import has_null

    library.edit(
        "library.yaml",
        "rules: {}",
        SITE_ONLY + "completeness:\n  allow_incomplete: true\nrules: {}",
    )
    text = library.read(GUIDE)
    text = text.replace('basic_code: "000107001000"\n', "", 1)
    text = text.replace('item_type: "20"\n', "pending: [basic_code, item_type]\n", 1)
    library.write(GUIDE, text)
    run = invoke(
        "approve", str(library.root), "--by", "审核员乙", "--effective", "today", "--note", "导入"
    )
    assert run.exit_code == 0, run.stdout + run.stderr
    run = invoke("publish", str(library.root))
    assert run.exit_code == 0, run.stdout + run.stderr
    site = library.root / ".guides/site"
    doc = json.loads((site / f"api/guides/{GID}.json").read_text(encoding="utf-8"))
    guide = doc["current"]["guide"]
    assert doc["format"] == 2 and not has_null(doc["current"])
    assert "basic_code" not in guide and "item_type" not in guide
    assert {"basic_code", "item_type", "appointment"} <= set(guide["gaps"])
    assert "appointment" not in guide  # a yes/no fact not stated: absent, never false
    page = (site / f"guides/{GID}.html").read_text(encoding="utf-8")
    assert "<dt>事项类型</dt><dd>待补充，请咨询" in page
    index = json.loads((site / "api/index.json").read_text(encoding="utf-8"))
    assert not has_null(index) and "item_type" not in index["guides"][0]


def test_a_site_document_of_format_1_reads_as_format_2() -> None:
    """A site built by an older guidesrc held the compiled guides with their nulls."""
    from guidesrc.site.data import current_form

    old = {
        "format": 1,
        "id": "x",
        "current": {
            "version": 1,
            "guide": {"name": "办证", "item_type": None, "fees": {"a": None}},
        },
        "upcoming": None,
        "withdrawn": None,
    }
    new = current_form(old)
    assert new["format"] == 2 and new["current"]["guide"] == {"name": "办证", "fees": {}}
    assert new["upcoming"] is None and current_form(new) is new
