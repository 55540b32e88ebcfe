"""What an editor reads from ``guides check`` (issue 18, "Editors"): every problem of a file at
once even with a misspelt field, codes with their meanings, the code of a name written instead,
and indentation errors in Chinese with their line."""

from __future__ import annotations

import subprocess

from tests.conftest import GUIDE, Library, invoke


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
        f"{GUIDE}:6:12: item_type: “30”不是允许的取值（修改建议：请使用以下取值之一："
        "01 行政许可, 02 行政处罚, 03 行政强制, 04 行政征收, 05 行政给付, 06 行政检查, "
        "07 行政确认, 08 行政奖励, 09 行政裁决, 10 其他行政权力, 20 公共服务） [schema]"
    ]


def test_a_name_written_for_a_code_is_answered_with_the_code(library: Library) -> None:
    library.edit(GUIDE, 'item_type: "20"', "item_type: 公共服务")
    library.edit(GUIDE, "exercise_level: 4", "exercise_level: 县级")
    library.edit(GUIDE, "service_objects: [1]", "service_objects: [自然人]")
    assert _lines(library) == [
        f"{GUIDE}:6:12: item_type: “公共服务”不是允许的取值（修改建议：“公共服务”是代码 \"20\" 的名称：请填写代码 \"20\"） [schema]",
        f"{GUIDE}:7:17: exercise_level: “县级”不是允许的取值（修改建议：“县级”是代码 4 的名称：请填写代码 4） [schema]",
        f"{GUIDE}:13:19: service_objects[0]: “自然人”不是允许的取值（修改建议：“自然人”是代码 1 的名称：请填写代码 1） [schema]",
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


def test_diff_says_which_date_a_notice_will_carry(library: Library) -> None:
    """A notice previewed with the file's effective_date that has passed says that the approval's
    date applies; one with a date still ahead does not."""
    subprocess.run(["git", "init", "-q"], cwd=library.root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=library.root, check=True)
    subprocess.run(["git", "commit", "-qm", "base"], cwd=library.root, check=True)
    library.edit(GUIDE, "promised_time_limit: {value: 20", "promised_time_limit: {value: 10")
    library.edit(GUIDE, "effective_date: 2026-01-01", "effective_date: 2020-01-01")
    run = invoke("diff", str(library.root))
    assert "自 2020 年 1 月 1 日起实施" in run.stdout
    assert run.stderr == (
        "居民身份证换领（jumin-shenfenzheng-huanling）：上面的公告按文件中的具体实施时间 "
        "2020-01-01 预览，该日期已过；实际公布的公告以 guides approve --effective 给出的日期"
        "（今天或以后）为准\n"
    )
    library.edit(GUIDE, "effective_date: 2020-01-01", "effective_date: 2999-01-01")
    assert invoke("diff", str(library.root)).stderr == ""
