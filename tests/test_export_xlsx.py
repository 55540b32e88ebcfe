"""`guides export --format xlsx`: the library in the import template; an unedited export imports
back as no change, an edited one as exactly the edits (issue 15, point 5)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml_rs
from openpyxl import load_workbook

from tests.conftest import Library, invoke
from tests.test_import import REAL


def snapshot(lib: Library) -> dict[str, Any]:
    """Every guide and catalogue of the library, as data."""
    out = {}
    for path in sorted(
        [*lib.path("guides").glob("*.yaml"), *lib.path("catalogues").glob("*.yaml")]
    ):
        out[str(path.relative_to(lib.root))] = yaml_rs.loads(
            path.read_text(encoding="utf-8"), parse_datetime=False
        )
    return out


def files(lib: Library) -> dict[str, bytes]:
    return {
        str(p.relative_to(lib.root)): p.read_bytes()
        for p in sorted(lib.root.rglob("*.yaml"))
        if ".guides" not in p.parts
    }


def round_trip(lib: Library, workbook: Path) -> Any:
    before = files(lib)
    run = invoke("import", str(workbook), "--into", str(lib.root), "--force")
    return run, before


def test_an_unedited_export_of_the_example_imports_as_no_change(
    example: Library, tmp_path: Path
) -> None:
    workbook = tmp_path / "指南.xlsx"
    run = invoke("export", str(example.root), "--format", "xlsx", "-o", str(workbook))
    assert run.lines == [
        f"已将 18 个指南写入 {workbook}；修改后用以下命令导入：guides import {workbook} --into {example.root}"
    ]
    book = load_workbook(workbook)
    assert book.sheetnames == ["说明", "事项", "申请材料", "法律法规", "办理地点"]
    assert book["事项"].max_row == 19 and book["申请材料"].max_row > 19
    run, before = round_trip(example, workbook)
    assert (run.exit_code, run.lines) == (0, [])
    assert "新增 0 个指南，更新 0 个，18 个未变" in run.stderr
    assert files(example) == before  # not a byte changed


def test_an_edited_export_imports_as_exactly_the_edits(example: Library, tmp_path: Path) -> None:
    workbook = tmp_path / "指南.xlsx"
    invoke("export", str(example.root), "-o", str(workbook))
    book = load_workbook(workbook)
    items = book["事项"]
    header = [c.value for c in items[1]]
    row = next(
        r
        for r in items.iter_rows(min_row=2)
        if r[header.index("标识")].value == "jumin-shenfenzheng-huanling"
    )
    row[header.index("承诺办结时限")].value = "15 个自然日"
    row[header.index("受理条件")].value += "\n新增的一条受理条件。"
    materials = book["申请材料"]
    mheader = [c.value for c in materials[1]]
    code = row[header.index("实施编码")].value
    mrow = next(r for r in materials.iter_rows(min_row=2) if r[0].value == code)
    mrow[mheader.index("复印件份数")].value = 2
    book.save(workbook)
    before = snapshot(example)
    run = invoke("import", str(workbook), "--into", str(example.root))
    assert (run.exit_code, run.lines) == (0, [])
    after = snapshot(example)
    changed = {rel for rel in after if after[rel] != before[rel]}
    assert changed == {"guides/jumin-shenfenzheng-huanling.yaml"}
    old, new = (
        before["guides/jumin-shenfenzheng-huanling.yaml"],
        after["guides/jumin-shenfenzheng-huanling.yaml"],
    )
    assert new["promised_time_limit"] == {**old["promised_time_limit"], "value": 15}  # note kept
    assert new["conditions"] == [*old["conditions"], "新增的一条受理条件。"]
    assert new["materials"][0] == {**old["materials"][0], "copy_count": 2}
    rest = {k for k in new if new[k] != old.get(k)}
    assert rest == {"promised_time_limit", "conditions", "materials"}
    assert new["materials"][1:] == old["materials"][1:]


def test_export_of_one_department(example: Library, tmp_path: Path) -> None:
    workbook = tmp_path / "公安.xlsx"
    run = invoke("export", str(example.root), "--department", "示例市公安局", "-o", str(workbook))
    assert run.exit_code == 0 and "已将 4 个指南写入" in run.stdout
    items = load_workbook(workbook)["事项"]
    bodies = {r[6].value for r in items.iter_rows(min_row=2)}
    assert bodies == {"示例市公安局"}
    run = invoke("export", str(example.root), "--department", "公安局", "-o", str(workbook))
    assert run.exit_code == 2
    assert run.stderr.startswith(
        "错误：没有实施主体为“公安局”的指南；实施主体有：示例市人力资源和社会保障局、"
    )


@pytest.mark.slow
@pytest.mark.skipif(
    not REAL.is_file(),
    reason="the real Guangdong export (../shared/data/gdzwfw-2021/guides.jsonl) is not on this machine",
)
def test_an_unedited_export_of_the_2262_real_guides_imports_as_no_change(tmp_path: Path) -> None:
    lib = Library(tmp_path / "gd")
    assert invoke("import", str(REAL), "--into", str(lib.root)).exit_code == 0
    workbook = tmp_path / "gd.xlsx"
    assert invoke("export", str(lib.root), "-o", str(workbook)).exit_code == 0
    shutil.rmtree(lib.path(".guides"))
    run, before = round_trip(lib, workbook)
    assert "新增 0 个指南，更新 0 个，2262 个未变" in run.stderr
    # the three warnings are the portal's own wrong check characters (credit-code in guides check)
    assert [line.split(": ", 2)[1] for line in run.lines] == ["实施主体编码"] * 3
    assert files(lib) == before


def test_fee_items_with_their_own_bases_and_results_of_several_kinds_round_trip(
    example: Library, tmp_path: Path
) -> None:
    example.edit(
        "guides/jumin-shenfenzheng-huanling.yaml",
        "      legal_basis: [shenfenzheng-fa-20, shenfenzheng-gongbenfei]\n",
        "      legal_basis: [shenfenzheng-fa-20, shenfenzheng-gongbenfei]\n"
        "    - name: 加急费\n      standard: 每证 40 元\n      legal_basis: [shenfenzheng-gongbenfei]\n",
    )
    example.edit(
        "guides/jumin-shenfenzheng-huanling.yaml",
        "    kind: 证照\n",
        "    kind: 证照\n  - name: 领取回执\n    kind: 其他\n",
    )
    workbook = tmp_path / "指南.xlsx"
    invoke("export", str(example.root), "-o", str(workbook))
    items = load_workbook(workbook)["事项"]
    header = [c.value for c in items[1]]
    row = next(
        r
        for r in items.iter_rows(min_row=2)
        if r[header.index("标识")].value == "jumin-shenfenzheng-huanling"
    )
    assert (row[header.index("收费依据")].value, row[header.index("结果类型")].value) == (
        None,
        None,
    )
    assert row[header.index("收费项目")].value == (
        "居民身份证工本费：每证 20 元；城市最低生活保障对象、农村特困人员换领时免收\n加急费：每证 40 元"
    )
    run, before = round_trip(example, workbook)
    assert (run.exit_code, run.lines) == (0, [])
    assert files(example) == before


def test_a_control_character_is_named_not_a_traceback(example: Library, tmp_path: Path) -> None:
    example.edit("guides/chusheng-dengji.yaml", "name: 出生登记", 'name: "出生\\x0b登记"')
    run = invoke("export", str(example.root), "-o", str(tmp_path / "x.xlsx"))
    assert (run.exit_code, run.stderr) == (
        2,
        "错误：chusheng-dengji：有一个值含控制字符，工作簿无法保存；请删除它（guides check 的 hidden-characters 规则会指出位置）\n",
    )
