"""`guides import` of cells as Hunan guide records write them (issue 15): legal bases with a
document number after the title or several laws in one sentence-separated cell, numbered process
steps, counts exported as ``1.0``.

The legal texts are the laws' own wording (not protected by copyright: 著作权法 第五条); the
records they come from are not shipped (no licence)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import invoke
from tests.test_import import ITEM, load, material_row
from tests.test_import_provinces import item, run_import, write_sheets

GUIDE = "guides/11990100mb1a00010q7000107001000.yaml"
QIAOJUAN = "《中华人民共和国归侨侨眷权益保护法实施办法》"
HUNAN_BASIS = (
    f"{QIAOJUAN}（中华人民共和国国务院令〔2004〕第410号）第二条 本办法所称归侨是指回国定居的华侨。"
)


def legal_entries(lib: Any) -> dict[str, Any]:
    entries: dict[str, Any] = load(lib.path("catalogues/legal-bases.yaml"))["entries"]
    return entries


def test_a_document_number_after_the_title_is_the_entry_s_number_and_one_law_is_one_entry(
    tmp_path: Path,
) -> None:
    """The 令 number in brackets is neither cut into the title and the article (“…〔2004〕” /
    “第410号）第二条”) nor kept in the title: a 材料依据 that cites the law without its number
    is the same catalogue entry."""
    materials = [
        {**material_row(ITEM["实施编码"]), "材料依据": f"{QIAOJUAN}第二条"},
        {**material_row(ITEM["实施编码"], "归侨证明"), "材料依据": HUNAN_BASIS},
    ]
    run, lib = run_import(tmp_path, [item(设定依据=HUNAN_BASIS)], materials=materials)
    assert (run.exit_code, run.lines) == (0, [])
    entries = legal_entries(lib)
    (basis,) = load(lib.path(GUIDE))["legal_basis"]
    assert entries[basis] == {
        "title": QIAOJUAN,
        "article": "第二条",
        "text": "本办法所称归侨是指回国定居的华侨。",
        "document_number": "中华人民共和国国务院令〔2004〕第410号",
        "pending": ["issuer", "level", "in_force_from"],
    }
    cited = [entries[i]["title"] for i in entries]
    assert cited.count(QIAOJUAN) == 1, cited
    materials_ = load(lib.path("catalogues/materials.yaml"))["entries"]
    assert [m["legal_basis"] for m in materials_.values()] == [[basis], [basis]]


def test_a_bracketed_note_that_is_no_number_stays_in_the_title() -> None:
    from guidesrc.importer.sheet_cells import legal_refs

    refs = legal_refs(
        "《湖南省社会救助家庭经济状况核对办法》（试行）第三条 本办法适用于本省行政区域。\n"
        "《广播电视管理条例》（1997年8月11日国务院令第228号，2013年12月7日修改）第十一条\n"
        "《湖南省实施〈中华人民共和国归侨侨眷权益保护法〉办法》（第十二条）"
    )
    assert [(r.title, r.article, r.details) for r in refs] == [
        ("《湖南省社会救助家庭经济状况核对办法》（试行）", "第三条", {"text": "本办法适用于本省行政区域。"}),
        ("《广播电视管理条例》（1997年8月11日国务院令第228号，2013年12月7日修改）", "第十一条", {}),
        ("《湖南省实施〈中华人民共和国归侨侨眷权益保护法〉办法》", "第十二条", {}),
    ]  # fmt: skip


#: A Hunan 设定依据 cell: three laws separated by 。 on one line; the second law's text names a
#: fourth law (依照《港口法》的规定…), which is part of that text, not a basis of the item.
HAZCHEM = (
    "《市场准入负面清单》（发改经体〔2018〕1892号）。"
    "《危险化学品安全管理条例》第三十三条 国家对危险化学品经营实行许可制度。未经许可，任何单位和个人不得经营危险化学品。"
    "依照《中华人民共和国港口法》的规定取得港口经营许可证的港口经营人，在港区内从事危险化学品仓储经营，不需要取得危险化学品经营许可。"
    "《成品油市场管理办法》第七条 申请从事成品油批发经营资格的企业，应当具备下列条件"
)


def test_several_laws_separated_by_full_stops_are_several_bases(tmp_path: Path) -> None:
    run, lib = run_import(tmp_path, [item(设定依据=HAZCHEM)])
    assert (run.exit_code, run.lines) == (0, [])
    entries = legal_entries(lib)
    bases = [entries[i] for i in load(lib.path(GUIDE))["legal_basis"]]
    assert [(b["title"], b.get("article"), b.get("document_number")) for b in bases] == [
        ("《市场准入负面清单》", None, "发改经体〔2018〕1892号"),
        ("《危险化学品安全管理条例》", "第三十三条", None),
        ("《成品油市场管理办法》", "第七条", None),
    ]
    assert bases[1]["text"] == (
        "国家对危险化学品经营实行许可制度。未经许可，任何单位和个人不得经营危险化学品。"
        "依照《中华人民共和国港口法》的规定取得港口经营许可证的港口经营人，在港区内从事危险化学品仓储经营，不需要取得危险化学品经营许可。"
    )
    assert bases[2]["text"] == "申请从事成品油批发经营资格的企业，应当具备下列条件"
    assert "text" not in bases[0]


def test_numbered_process_steps_are_imported_as_steps(tmp_path: Path) -> None:
    items = [
        item(办理流程="1、提出申请。\n2、受理。\n3、审查。"),
        item(
            实施编码="11990100MB1A00010Q7000107002000",
            办理流程="（一）申请。申请人向窗口提交申请材料。（二）受理。窗口当场作出是否受理的决定。"
            "（三）决定：作出准予许可的决定。\n（四）申请人领取证件，窗口工作人员当场核验身份。",
        ),
    ]
    run, lib = run_import(tmp_path, items)
    assert (run.exit_code, run.lines) == (0, [])
    first = load(lib.path(GUIDE))
    assert "procedure" not in first.get("pending", [])
    assert first["procedure"] == [
        {"name": "提出申请", "description": "提出申请。"},
        {"name": "受理", "description": "受理。"},
        {"name": "审查", "description": "审查。"},
    ]
    second = load(lib.path("guides/11990100mb1a00010q7000107002000.yaml"))
    assert second["procedure"] == [
        {"name": "申请", "description": "申请人向窗口提交申请材料。"},
        {"name": "受理", "description": "窗口当场作出是否受理的决定。"},
        {"name": "决定", "description": "作出准予许可的决定。"},
        {"name": "申请人领取证件", "description": "申请人领取证件，窗口工作人员当场核验身份。"},
    ]
    assert lib.check().exit_code == 0


def test_a_step_that_is_only_a_number_is_pending_with_a_warning(tmp_path: Path) -> None:
    run, lib = run_import(tmp_path, [item(办理流程="1、受理：窗口核验。\n2、")])
    assert run.lines == [
        "指南.csv:2: 办理流程: 警告：环节“2、”只有序号，没有内容；已标为待补充（修改建议：请每个环节占一行，写作“名称：内容”）"
    ]
    guide = load(lib.path(GUIDE))
    assert "procedure" in guide["pending"] and "procedure" not in guide


def test_counts_written_as_integral_floats_are_counts(tmp_path: Path) -> None:
    materials = [
        {**material_row(ITEM["实施编码"]), "原件份数": "1.0", "复印件份数": "2.0"},
        {**material_row(ITEM["实施编码"], "户口簿"), "原件份数": "1.5"},
    ]
    run, lib = run_import(tmp_path, [item(到办事现场次数="1.0")], materials=materials)
    assert run.lines == [
        "指南-申请材料.csv:3: 原件份数: 警告：“1.5”不是整数；已标为待补充（修改建议：请填写数字，例如 0 或 1）"
    ]
    guide = load(lib.path(GUIDE))
    assert guide["onsite_visits"]["count"] == 1
    first, second = guide["materials"]
    assert (first["original_count"], first["copy_count"]) == (1, 2)
    assert "original_count" in second["pending"] and "original_count" not in second


def test_an_entry_imported_with_the_number_in_its_title_is_found_on_reimport(
    tmp_path: Path,
) -> None:
    """A library imported before numbers were read apart keeps its entry: re-importing the same
    cell cites it, and adds no second entry for the law."""
    run, lib = run_import(tmp_path, [item(设定依据=HUNAN_BASIS)])
    assert run.exit_code == 0
    (basis,) = load(lib.path(GUIDE))["legal_basis"]
    lib.edit(
        "catalogues/legal-bases.yaml",
        f"title: {QIAOJUAN}\n",
        f"title: {QIAOJUAN}（中华人民共和国国务院令〔2004〕第410号）\n",
    )
    lib.edit(
        "catalogues/legal-bases.yaml",
        "    document_number: 中华人民共和国国务院令〔2004〕第410号\n",
        "",
    )
    before = lib.read("catalogues/legal-bases.yaml")
    again = write_sheets(tmp_path / "src2", [item(设定依据=HUNAN_BASIS)])
    run = invoke("import", str(again), "--into", str(lib.root))
    assert run.exit_code == 0 and "新增 0 个指南，更新 0 个" in run.stderr, run.stderr
    assert load(lib.path(GUIDE))["legal_basis"] == [basis]
    assert lib.read("catalogues/legal-bases.yaml") == before
