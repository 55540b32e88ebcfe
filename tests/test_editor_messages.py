"""What an editor reads from ``guides check`` (issue 18, "Editors"): every problem of a file at
once even with a misspelt field, codes with their meanings, the code of a name written instead,
and indentation errors in Chinese with their line."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from guidesrc.compile import content_hash
from guidesrc.model.code_labels import (
    BODY_NATURES,
    EXERCISE_LEVELS,
    HANDLING_FORMS,
    ITEM_TYPES,
    ONLINE_DEPTHS,
    SERVICE_OBJECTS,
)
from guidesrc.state import WorkingTree, load_state
from tests.conftest import GUIDE, Library, invoke

GUIDE_ID = "jumin-shenfenzheng-huanling"


def _lines(library: Library) -> list[str]:
    run = library.check("--no-cache")
    assert run.exit_code == 1
    return run.stdout.splitlines()


def test_a_misspelt_field_does_not_hide_the_other_problems(library: Library) -> None:
    library.edit(GUIDE, "handling_forms:", "handling_form:")
    library.edit(GUIDE, "promised_time_limit: {value: 20", "promised_time_limit: {value: 90")
    assert _lines(library) == [
        f"{GUIDE}:2:1: 缺少必填字段“handling_forms”（修改建议：请在此处添加“handling_forms:”） [schema]",
        f"{GUIDE}:35:30: promised_time_limit.value: 承诺办结时限（90 个自然日）超过了法定办结时限"
        "（60 个自然日）（修改建议：承诺时限不得超过法定时限，请缩短） [time-limit-exceeds]",
        f"{GUIDE}:55:1: handling_form: 未知字段“handling_form”（修改建议：是不是要写“handling_forms”？） [schema]",
    ]  # fmt: skip


def test_an_unknown_field_left_out_still_lets_the_rules_run(library: Library) -> None:
    library.edit(GUIDE, "  name: 示例市公安局\n", "  name: 示例市公安局\n  colour: 蓝\n")
    library.edit(GUIDE, "promised_time_limit: {value: 20", "promised_time_limit: {value: 90")
    found = _lines(library)
    assert [line.rsplit(" ", 1)[1] for line in found] == ["[schema]", "[time-limit-exceeds]"]


def test_an_enum_error_lists_the_codes_with_their_meanings(library: Library) -> None:
    library.edit(GUIDE, 'item_type: "20"', 'item_type: "30"')
    assert _lines(library) == [
        f"{GUIDE}:6:12: item_type: “30”不是允许的取值（修改建议：请填写以下代码之一或其名称："
        "01 行政许可, 02 行政处罚, 03 行政强制, 04 行政征收, 05 行政给付, 06 行政检查, "
        "07 行政确认, 08 行政奖励, 09 行政裁决, 10 其他行政权力, 20 公共服务） [schema]"
    ]


_AS_NAMES = [  # the skeleton guide's codes → their names, as the import sheets take them
    ('item_type: "20"', "item_type: 公共服务"),
    ("exercise_level: 4", "exercise_level: 县级"),
    ("  nature: 1", "  nature: 法定机关"),
    ("service_objects: [1]", "service_objects: [自然人, 2]"),
    ("handling_forms: [1]", "handling_forms: [窗口办理, 网上办理]\nonline: {url: https://x.gov.cn/a, depth: 全程网办}"),
]  # fmt: skip


def _compiled(root: Path) -> tuple[dict[str, Any], str]:
    state = load_state(WorkingTree(root))
    compiled = state.compiled(GUIDE_ID)
    return compiled, content_hash(compiled)


def test_names_of_codes_check_clean_and_compile_to_the_codes(library: Library) -> None:
    """`item_type: 公共服务` means "20": check passes, the compiled guide (and its hash) is the one
    the codes give, and `guides diff` sees no change between the two."""
    subprocess.run(["git", "init", "-q"], cwd=library.root, check=True)
    # a date ahead: a changed file with a past one is warned of (effective-date-past)
    library.edit(GUIDE, "effective_date: 2026-01-01", "effective_date: 2999-01-01")
    for old, new in _AS_NAMES:
        library.edit(GUIDE, old, new.split(": ", 1)[0] + ": " + _codes(new.split(": ", 1)[1]))
    subprocess.run(["git", "add", "-A"], cwd=library.root, check=True)
    subprocess.run(["git", "commit", "-qm", "codes"], cwd=library.root, check=True)
    with_codes = _compiled(library.root)
    for _old, new in _AS_NAMES:
        library.edit(GUIDE, new.split(": ", 1)[0] + ": " + _codes(new.split(": ", 1)[1]), new)
    run = library.check("--no-cache")
    assert (run.exit_code, run.stdout) == (0, ""), run.stdout
    with_names = _compiled(library.root)
    assert with_names == with_codes
    assert with_names[0]["item_type"] == "20" and with_names[0]["service_objects"] == [1, 2]
    assert with_names[0]["online"]["depth"] == 4 and with_names[0]["handling_forms"] == [1, 2]
    diff = invoke("diff", str(library.root), "--exit-code")
    assert (diff.exit_code, diff.stdout) == (
        0,
        "HEAD (" + _head(library.root) + ") 与 工作区 之间没有变更\n",
    )


def _head(root: Path) -> str:
    run = subprocess.run(
        ["git", "rev-parse", "--short=10", "HEAD"], cwd=root, check=True, capture_output=True
    )
    return run.stdout.decode().strip()


def _codes(text: str) -> str:
    """The YAML of ``text`` with every name of a code written as the code."""
    for table in (ITEM_TYPES, EXERCISE_LEVELS, BODY_NATURES, SERVICE_OBJECTS, HANDLING_FORMS):
        for code, label in table.items():
            text = text.replace(label, f'"{code}"' if isinstance(code, str) else str(code))
    for code, label in ONLINE_DEPTHS.items():
        text = text.replace(f"depth: {label}", f"depth: {code}")
    return text


def test_a_misspelt_name_is_refused_with_the_codes_and_their_meanings(library: Library) -> None:
    library.edit(GUIDE, 'item_type: "20"', "item_type: 公共服务类")
    library.edit(GUIDE, "service_objects: [1]", "service_objects: [自然]")
    library.edit(GUIDE, "exercise_level: 4", "exercise_level: 乡级")
    assert _lines(library) == [
        f"{GUIDE}:6:12: item_type: “公共服务类”不是允许的取值（修改建议：是不是要写“公共服务”？请填写以下代码之一或其名称："
        "01 行政许可, 02 行政处罚, 03 行政强制, 04 行政征收, 05 行政给付, 06 行政检查, "
        "07 行政确认, 08 行政奖励, 09 行政裁决, 10 其他行政权力, 20 公共服务） [schema]",
        f"{GUIDE}:7:17: exercise_level: “乡级”不是允许的取值（修改建议：是不是要写“镇（乡、街道）级”？请填写以下代码之一或其名称："
        "1 国家级, 2 省级, 3 市级, 4 县级, 5 镇（乡、街道）级, 6 村（社区）级, 7 其他） [schema]",
        f"{GUIDE}:13:19: service_objects[0]: “自然”不是允许的取值（修改建议：是不是要写“自然人”？"
        "请填写以下代码之一或其名称：1 自然人, 2 企业法人, 3 事业法人, 4 社会组织法人, 5 非法人企业, 6 行政机关） [schema]",
    ]  # fmt: skip


def test_an_indentation_error_is_explained_in_chinese_at_its_line(library: Library) -> None:
    library.edit(
        GUIDE,
        "materials:\n",
        "materials:\n  - material: jumin-shenfenzheng\n - material: zhaopian\n",
    )
    assert _lines(library) == [
        f"{GUIDE}:20:2: 本行的缩进与上面的行对不齐（修改建议：同一层级的字段请缩进相同的空格数"
        "（每级 2 个空格），列表的每一项“- ”写在所属字段之下） [yaml-syntax]"
    ]


def test_a_line_pyyaml_cannot_place_gets_no_english_words(library: Library) -> None:
    library.edit(GUIDE, "id: ", "  stray: 1\nid: ")
    (line,) = _lines(library)
    assert line.startswith(f"{GUIDE}:3:1: 本行的缩进与上面的行对不齐")
    assert not any("a" <= c.lower() <= "z" for c in line.split("[")[0].split(":", 3)[3])
