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
