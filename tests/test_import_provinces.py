"""`guides import` of spreadsheets as other provinces publish them (issue 15): hyphenated codes,
every exercise level, places and phones as written, numbered lists, record numbers, folders."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from tests.conftest import Library, invoke
from tests.test_import import ITEM, LEGAL_ROWS, PLACE_ROWS, fill_csv, load, material_row

#: A Sichuan-style 实施编码: hyphenated, 54 characters.
SICHUAN = "11510100MB1A00010Q-510104-000-0001-0001-00-01-0001-01"


def write_sheets(
    folder: Path,
    items: list[dict[str, str]],
    places: list[dict[str, str]] | None = None,
    materials: list[dict[str, str]] | None = None,
    name: str = "指南",
) -> Path:
    """The documented CSV set (指南.csv, 指南-申请材料.csv …) in ``folder``; returns 指南.csv."""
    folder.mkdir(parents=True, exist_ok=True)
    main = folder / f"{name}.csv"
    invoke("import", "--template", str(main))
    for target, rows in (
        (main, items),
        (folder / f"{name}-申请材料.csv", materials if materials is not None else [material_row(i["实施编码"]) for i in items]),
        (folder / f"{name}-法律法规.csv", LEGAL_ROWS),
        (folder / f"{name}-办理地点.csv", places if places is not None else PLACE_ROWS),
    ):  # fmt: skip
        fill_csv(target, rows)
    return main


def item(**changes: Any) -> dict[str, str]:
    return {**ITEM, "标识": "", **changes}


def run_import(tmp_path: Path, items: list[dict[str, str]], **kw: Any) -> tuple[Any, Library]:
    source = write_sheets(tmp_path / "src", items, **kw)
    lib = Library(tmp_path / "lib")
    return invoke("import", str(source), "--into", str(lib.root)), lib


def test_a_hyphenated_54_character_code_is_the_guides_identity_on_reimport(
    tmp_path: Path,
) -> None:
    run, lib = run_import(tmp_path, [item(实施编码=SICHUAN)])
    assert (run.exit_code, run.lines) == (0, [])
    (path,) = lib.path("guides").iterdir()
    assert path.name == "11510100mb1a00010q-510104-000-0001-0001-00-01-0001-01.yaml"
    assert load(path)["implementation_code"] == SICHUAN  # verbatim, capitals and hyphens
    assert lib.check().exit_code == 0
    again = write_sheets(
        tmp_path / "src2", [item(实施编码=SICHUAN, 事项名称="居民身份证换领（成都）")]
    )
    run = invoke("import", str(again), "--into", str(lib.root))
    assert run.exit_code == 0 and "新增 0 个指南，更新 1 个" in run.stderr, run.stderr
    assert [p.name for p in lib.path("guides").iterdir()] == [path.name]
    assert load(path)["name"] == "居民身份证换领（成都）"


def test_every_exercise_level_and_why_a_level_or_type_is_not_read(tmp_path: Path) -> None:
    codes = [f"11990100MB1A00010Q70001070{n:02d}000" for n in range(6)]
    items = [
        item(实施编码=codes[0], 行使层级="乡级"),
        item(实施编码=codes[1], 行使层级="社区级"),
        item(实施编码=codes[2], 行使层级="乡（镇、街道）级"),
        item(实施编码=codes[3], 行使层级="街道级"),
        item(实施编码=codes[4], 行使层级="2,3"),
        item(实施编码=codes[5], 事项类型="99"),
    ]
    run, lib = run_import(tmp_path, items)
    assert run.lines == [
        "指南.csv:6: 行使层级: 警告：“2,3”给出了 2 个取值，只能填一个（国家级、省级、市级、县级、镇（乡、街道）级、村（社区）级、其他）；已标为待补充（修改建议：请填写适用的一个取值（事项在几个层级行使时，每个层级一个指南））",
        "指南.csv:7: 事项类型: 警告：“99”不是以下代码之一：01 行政许可、02 行政处罚、03 行政强制、04 行政征收、05 行政给付、06 行政检查、07 行政确认、08 行政奖励、09 行政裁决、10 其他行政权力、20 公共服务；已标为待补充（修改建议：请填写所列代码之一，或其名称）",
    ]
    levels = [load(lib.path(f"guides/{c.lower()}.yaml")).get("exercise_level") for c in codes]
    assert levels == [5, 6, 5, 5, None, 4]
    assert load(lib.path(f"guides/{codes[4].lower()}.yaml"))["pending"] == ["exercise_level"]


def test_places_split_only_at_the_documented_separators_and_every_place_row_is_used_or_warned(
    tmp_path: Path,
) -> None:
    places = [
        {**PLACE_ROWS[0], "地点名称": "示例市公安局户政大厅（受理，发证）"},
        {
            **PLACE_ROWS[0],
            "地点名称": "示例市政务服务中心",
            "地址": "示例市中心区民生路 1 号，A 座",
        },
        {
            "地点名称": "示例县政务服务中心",
            "地址": "示例县人民路 8 号",
            "办理时间": "周一至周五 9:00–17:00",
        },
    ]
    items = [item(办理地点="示例市公安局户政大厅（受理，发证）、示例市中心区民生路 1 号，A 座")]
    run, lib = run_import(tmp_path, items, places=places)
    assert run.lines == [
        "指南-办理地点.csv:4: 地点名称: 警告：没有事项在“办理地点”列中填写“示例县政务服务中心”；本行未导入（修改建议：请在相关事项的“办理地点”列填写该地点名称（多个用顿号分隔））"
    ]
    offices = load(lib.path("catalogues/offices.yaml"))["entries"]
    assert [(o["name"], o["address"]) for o in offices.values()] == [
        ("示例市公安局户政大厅（受理，发证）", "示例市中心区民生路 1 号"),
        ("示例市政务服务中心", "示例市中心区民生路 1 号，A 座"),
    ]  # matched by name and by address; the comma inside a name or address does not split
    guide = load(lib.path("guides/11990100mb1a00010q7000107001000.yaml"))
    assert guide["places"] == list(offices)


def test_several_rows_of_one_place_give_it_several_hour_ranges(tmp_path: Path) -> None:
    places = [
        {**PLACE_ROWS[0], "办理时间": "夏季（5月1日至9月30日）周一至周五 8:30–12:00，14:30–17:30"},
        {**PLACE_ROWS[0], "办理时间": "冬季（10月1日至次年4月30日）周一至周五 8:30–12:00，14:00–17:00\n周六 9:00–12:00"},
    ]  # fmt: skip
    run, lib = run_import(tmp_path, [item()], places=places)
    assert (run.exit_code, run.lines) == (0, [])
    (office,) = load(lib.path("catalogues/offices.yaml"))["entries"].values()
    assert office["hours"] == [
        {"days": "夏季（5月1日至9月30日）周一至周五", "hours": "8:30–12:00，14:30–17:30"},
        {"days": "冬季（10月1日至次年4月30日）周一至周五", "hours": "8:30–12:00，14:00–17:00"},
        {"days": "周六", "hours": "9:00–12:00"},
    ]


def test_labelled_phone_lists_keep_their_labels(tmp_path: Path) -> None:
    phones = "城东派出所电话：0431-81234567；城西派出所电话：0431-87654321、0431-87654322"
    run, lib = run_import(tmp_path, [item(咨询电话=phones)])
    assert run.exit_code == 0
    guide = load(lib.path("guides/11990100mb1a00010q7000107001000.yaml"))
    assert guide["consult_phones"] == [
        {"phone": "0431-81234567", "note": "城东派出所"},
        {"phone": "0431-87654321", "note": "城西派出所"},
        {"phone": "0431-87654322", "note": "城西派出所"},
    ]
    assert guide["complaint_phones"] == [{"phone": "12345"}]


def test_source_numbering_is_stripped_from_list_items(tmp_path: Path) -> None:
    conditions = (
        "1、申请人年满16周岁；\n2. 居民身份证有效期满的。\n（三）证件损坏，有效期3.5年以上的。"
    )
    steps = "1.受理：窗口核验原证件。\n2、审核：户政部门审核。"
    run, lib = run_import(tmp_path, [item(受理条件=conditions, 办理流程=steps)])
    assert run.exit_code == 0
    guide = load(lib.path("guides/11990100mb1a00010q7000107001000.yaml"))
    assert guide["conditions"] == [
        "申请人年满16周岁；", "居民身份证有效期满的。", "证件损坏，有效期3.5年以上的。",
    ]  # fmt: skip
    assert [s["name"] for s in guide["procedure"]] == ["受理", "审核"]


def test_warnings_name_the_record_not_the_physical_line(tmp_path: Path) -> None:
    first = item(受理条件="第一条。\n第二条。\n第三条。")  # one record over three lines
    second = item(实施编码="11990100MB1A00010Q7000107002000", 到办事现场次数="多次")
    run, _lib = run_import(tmp_path, [first, second])
    assert run.lines == [
        "指南.csv:3: 到办事现场次数: 警告：“多次”不是整数；已标为待补充（修改建议：请填写数字，例如 0 或 1）"
    ]


def test_a_folder_of_the_documented_csv_files_is_imported(tmp_path: Path) -> None:
    write_sheets(tmp_path / "src", [item()], name="吉林省示例市")
    lib = Library(tmp_path / "lib")
    run = invoke("import", str(tmp_path / "src"), "--into", str(lib.root))
    assert (run.exit_code, run.lines) == (0, [])
    assert "吉林省示例市.csv" in run.stderr
    assert load(lib.path("guides/11990100mb1a00010q7000107001000.yaml"))["legal_basis"]
    empty = tmp_path / "empty"
    empty.mkdir()
    run = invoke("import", str(empty), "--into", str(tmp_path / "lib2"))
    assert (run.exit_code, run.stderr) == (
        2,
        f"错误：{empty}：文件夹中没有可导入的文件（.csv、.xlsx 或 .jsonl）\n",
    )


def test_malformed_credit_codes_are_warned_with_the_row(tmp_path: Path) -> None:
    items = [
        item(实施主体编码="11990100MB1A00010X"),  # wrong check character
        item(实施编码="11990100MB1A00010Q7000107002000", 实施主体编码="1199010MB1A0001"),
    ]
    run, lib = run_import(tmp_path, items)
    assert run.lines == [
        "指南.csv:2: 实施主体编码: 警告：统一社会信用代码“11990100MB1A00010X”的校验位不对（应为 Q）：代码有误（修改建议：请从实施主体的证书上抄录 18 位统一社会信用代码）",
        "指南.csv:3: 实施主体编码: 警告：“1199010MB1A0001”不是统一社会信用代码（18 位）；已标为待补充（修改建议：请从实施主体的证书上抄录 18 位统一社会信用代码）",
    ]
    second = load(lib.path("guides/11990100mb1a00010q7000107002000.yaml"))
    assert second["implementing_body"]["pending"] == ["credit_code"]
    assert "credit-code" in lib.check().stdout  # the kept code with the typo is an error there


def test_fees_charged_without_items_are_charged_with_items_pending(tmp_path: Path) -> None:
    run, lib = run_import(tmp_path, [item(是否收费="是", 收费项目="", 收费依据="")])
    assert (run.exit_code, run.lines) == (0, [])
    guide = load(lib.path("guides/11990100mb1a00010q7000107001000.yaml"))
    assert guide["fees"] == {"pending": ["items"], "charged": True}
    check = lib.check()
    assert check.exit_code == 0
    assert [line for line in check.lines if "fees" in line] == [
        "guides/11990100mb1a00010q7000107001000.yaml:41:3: fees.pending: 警告：待补充 1 项：收费项目（修改建议：请向承办部门核实后补充，并从 pending 中删除） [to-complete]"
    ]


def test_import_report_counts_a_pending_body_and_pending_fees_as_pending(tmp_path: Path) -> None:
    items = [
        item(实施主体="", 实施主体编码="", 实施主体性质="", 是否收费="", 收费项目="", 收费依据="")
    ]
    run, lib = run_import(tmp_path, items)
    assert run.exit_code == 0
    coverage = lib.path(".guides/import/import-coverage.csv").read_text(encoding="utf-8-sig")
    rows = {r[0]: r[2:5] for r in csv.reader(io.StringIO(coverage))}
    assert rows["implementing_body"] == ["0", "1", "0"]  # filled, 待补充, empty
    assert rows["fees"] == ["0", "1", "0"]
    assert rows["name"] == ["1", "0", "0"]


#: A 设定依据 cell of a Liaoning catalogue: a law with its amendment note, the article, its text
#: over several lines (an annex, a numbered clause), and a second law.
LIAONING = (
    "《中华人民共和国专利法》（根据2020年10月17日第十三届全国人民代表大会常务委员会第二十二次会议"
    "《关于修改〈中华人民共和国专利法〉的决定》第四次修正）第十条：专利申请权和专利权可以转让。\n"
    "附件：专利权转让合同\n"
    "（三）卖空债券的，依照《中华人民共和国证券法》的规定处理。\n"
    "2.《中华人民共和国专利法实施细则》第十四条、第十五条"
)


def test_legal_bases_in_prose_are_law_and_article_never_fragments(tmp_path: Path) -> None:
    items = [
        item(设定依据=LIAONING),
        item(实施编码="11990100MB1A00010Q7000107002000", 设定依据="本事项依据国家有关规定办理，具体以窗口解释为准。"),
    ]  # fmt: skip
    run, lib = run_import(tmp_path, items)
    assert run.lines == [
        "指南.csv:3: 设定依据: 警告：“本事项依据国家有关规定办理，具体以窗口解释为准。”没有写明《名称》和条款；已整段作为一条法律法规依据（修改建议：请每行写一条，如《名称》第X条（条款原文填在“法律法规”表））"
    ]
    entries = load(lib.path("catalogues/legal-bases.yaml"))["entries"]
    first = load(lib.path("guides/11990100mb1a00010q7000107001000.yaml"))["legal_basis"]
    assert [(entries[i]["title"], entries[i].get("article")) for i in first] == [
        ("《中华人民共和国专利法》（根据2020年10月17日第十三届全国人民代表大会常务委员会第二十二次会议"
         "《关于修改〈中华人民共和国专利法〉的决定》第四次修正）", "第十条"),
        ("《中华人民共和国专利法实施细则》", "第十四条、第十五条"),
    ]  # fmt: skip
    assert entries[first[0]]["text"] == (
        "专利申请权和专利权可以转让。 附件：专利权转让合同 （三）卖空债券的，依照《中华人民共和国证券法》的规定处理。"
    )
    second = load(lib.path("guides/11990100mb1a00010q7000107002000.yaml"))["legal_basis"]
    assert [entries[i]["title"] for i in second] == [
        "本事项依据国家有关规定办理，具体以窗口解释为准"
    ]


def test_reimport_blank_keeps_the_value_and_the_clear_marker_removes_it(tmp_path: Path) -> None:
    run, lib = run_import(tmp_path, [item()])
    path = lib.path("guides/11990100mb1a00010q7000107001000.yaml")
    before = load(path)
    assert before["scope"] == "全省通办" and before["statutory_time_limit"]["value"] == 60
    edited = item(
        通办范围="（清空）",
        法定办结时限="(清空)",
        实施主体编码="（清空）",
        承诺办结时限="",
        支持物流快递="",
    )
    again = write_sheets(tmp_path / "src2", [edited])
    run = invoke("import", str(again), "--into", str(lib.root))
    assert (run.exit_code, run.lines) == (0, [])
    after = load(path)
    assert "scope" not in after and "statutory_time_limit" not in after  # cleared: not stated
    assert after["implementing_body"] == {
        "pending": ["credit_code"], "name": "示例市公安局", "nature": 1,
    }  # fmt: skip
    assert after["promised_time_limit"] == before["promised_time_limit"]  # blank keeps
    assert after["express_delivery"] is True
    assert {k: v for k, v in after.items() if k not in ("scope", "statutory_time_limit", "implementing_body")} == {
        k: v for k, v in before.items() if k not in ("scope", "statutory_time_limit", "implementing_body")
    }  # fmt: skip


def test_a_new_library_takes_name_region_and_address_from_the_options(tmp_path: Path) -> None:
    source = write_sheets(tmp_path / "src", [item(实施编码=SICHUAN)])
    plain = Library(tmp_path / "plain")
    assert invoke("import", str(source), "--into", str(plain.root)).exit_code == 0
    warned = [line for line in plain.check().lines if "template-placeholder" in line]
    assert [line.split(": ", 1)[0] for line in warned] == [
        "library.yaml:2:7", "library.yaml:3:14", "library.yaml:4:11",
    ]  # fmt: skip
    lib = Library(tmp_path / "lib")
    run = invoke(
        "import", str(source), "--into", str(lib.root), "--name", "成都市武侯区政务服务中心办事指南库",
        "--region-code", "510107", "--base-url", "https://zwfw.wuhou.example.cn/zhinan",
    )  # fmt: skip
    assert (run.exit_code, run.lines) == (0, [])
    config = load(lib.path("library.yaml"))
    assert (config["name"], config["region_code"], config["base_url"]) == (
        "成都市武侯区政务服务中心办事指南库", "510107", "https://zwfw.wuhou.example.cn/zhinan",
    )  # fmt: skip
    check = lib.check()
    assert check.exit_code == 0 and "template-placeholder" not in check.stdout
    again = invoke("import", str(source), "--into", str(lib.root), "--region-code", "510108")
    assert (again.exit_code, again.stderr) == (
        2,
        f"错误：{lib.root}：资料库已存在；--name、--region-code 和 --base-url 只用于新建资料库（请直接修改 library.yaml）\n",
    )
    bad = invoke("import", str(source), "--into", str(tmp_path / "x"), "--region-code", "51")
    assert bad.stderr == "错误：--region-code “51”：请填写 6 位行政区划代码，如 220100\n"


#: 设定依据 cells written as a Liaoning catalogue writes them (the laws' own text, which is not
#: protected by copyright: 著作权法 第五条): level markers, amendment notes, articles on the next
#: line or after a full stop, a title without 《》, document numbers, clause lists.
LIANONING_CELLS = [
    "【行政法规】《军人抚恤优待条例》（国务院、中央军委令第788号）第四十四条  国家对一级至六级残疾军人的医疗费用按照规定予以保障。\n"
    "【规范性文件】《优抚对象医疗保障办法》退役军人部发〔2022〕49号",
    "【规章】港口危险货物安全管理规定（中华人民共和国交通运输部令2017年第27号）第五十八条　危险货物港口经营人应当制定本单位危险货物事故专项应急预案。"
    "增补依据：【规章】港口经营管理规定（中华人民共和国交通运输部令2020年第21号）第二十九条 港口经营人应当依法制定本单位的危险货物事故应急预案。",
    "【法律】2.《中华人民共和国个人所得税法》\n第二条　下列各项个人所得，应当缴纳个人所得税：\n　　（一）工资、薪金所得；\n第六条  应纳税所得额的计算：（三）经营所得。",
    "《广播电视管理条例》（1997年8月11日国务院令第228号，2013年12月7日修改）第十一条：地方设立广播电台、电视台的，方可筹建。"
    "第十四条：广播电台、电视台终止，应当按照原审批程序申报。",
    ";1、《军人抚恤优待条例》第三十三条“义务兵服现役期间，其家庭由当地人民政府发给优待金。”",
]  # fmt: skip


def test_legal_bases_as_a_liaoning_catalogue_writes_them() -> None:
    from guidesrc.importer.sheet_cells import legal_refs

    found = [
        (ref.title, ref.article, ref.details.get("level"), ref.details.get("document_number"))
        for cell in LIANONING_CELLS
        for ref in legal_refs(cell)
    ]
    assert found == [
        ("《军人抚恤优待条例》", "第四十四条", "行政法规", "国务院、中央军委令第788号"),
        ("《优抚对象医疗保障办法》", None, "规范性文件", "退役军人部发〔2022〕49号"),
        ("《港口危险货物安全管理规定》", "第五十八条", None, "中华人民共和国交通运输部令2017年第27号"),
        ("《港口经营管理规定》", "第二十九条", None, "中华人民共和国交通运输部令2020年第21号"),
        ("《中华人民共和国个人所得税法》", "第二条", "法律", None),
        ("《中华人民共和国个人所得税法》", "第六条", "法律", None),
        ("《广播电视管理条例》（1997年8月11日国务院令第228号，2013年12月7日修改）", "第十一条", None, None),
        ("《广播电视管理条例》（1997年8月11日国务院令第228号，2013年12月7日修改）", "第十四条", None, None),
        ("《军人抚恤优待条例》", "第三十三条", None, None),
    ]  # fmt: skip
    texts = [ref.details.get("text") for ref in legal_refs(LIANONING_CELLS[2])]
    assert texts == [
        "下列各项个人所得，应当缴纳个人所得税： （一）工资、薪金所得",
        "应纳税所得额的计算：（三）经营所得。",
    ]
    assert not any(ref.whole for cell in LIANONING_CELLS for ref in legal_refs(cell))


def test_the_clear_marker_in_the_materials_sheet(tmp_path: Path) -> None:
    first = {
        **material_row(ITEM["实施编码"]),
        "适用情形": "委托他人办理的",
        "填报须知": "核验后退还",
    }
    run, lib = run_import(tmp_path, [item()], materials=[first])
    assert (run.exit_code, run.lines) == (0, [])
    path = lib.path("guides/11990100mb1a00010q7000107001000.yaml")
    assert load(path)["materials"][0]["condition"] == "委托他人办理的"
    edited = {**first, "适用情形": "（清空）", "填报须知": "", "原件份数": "（清空）"}
    again = write_sheets(tmp_path / "src2", [item()], materials=[edited])
    assert invoke("import", str(again), "--into", str(lib.root)).exit_code == 0
    (requirement,) = load(path)["materials"]
    assert "condition" not in requirement and "original_count" not in requirement
    assert requirement["notes"] == "核验后退还"  # blank keeps
    assert requirement["pending"] == ["original_count"]  # a required field cleared is 待补充


def test_facts_the_sheet_does_not_state_are_not_written(tmp_path: Path) -> None:
    blank = item(
        通办范围="", 支持预约办理="", 支持物流快递="", 支持网上支付="", 公开属性="", 事项状态=""
    )
    run, lib = run_import(tmp_path, [blank])
    assert (run.exit_code, run.lines) == (0, [])
    guide = load(lib.path("guides/11990100mb1a00010q7000107001000.yaml"))
    unstated = {
        "scope",
        "appointment",
        "express_delivery",
        "online_payment",
        "disclosure",
        "status",
        "online",
    }
    assert unstated.isdisjoint(guide)  # not 不通办, not false: not stated
    stated = item(支持网上支付="否")
    run, lib = run_import(tmp_path / "2", [stated])
    assert load(lib.path("guides/11990100mb1a00010q7000107001000.yaml"))["online_payment"] is False


def test_an_unreadable_statutory_time_limit_is_a_gap_not_the_law_setting_none(
    tmp_path: Path,
) -> None:
    """A Hunan-style 法定办结时限 of "20" (no unit) is 待补充, never left out: a guide without a
    statutory time limit says 法律法规未规定 on its page and sheet."""
    run, lib = run_import(tmp_path, [item(法定办结时限="20")])
    assert run.exit_code == 0, run.stderr
    (path,) = lib.path("guides").iterdir()
    data = load(path)
    assert "statutory_time_limit" in data["pending"]
    assert "statutory_time_limit" not in data
    assert any("法定办结时限" in line and "待补充" in line for line in run.lines), run.lines
