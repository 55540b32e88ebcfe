"""Bad input never crashes `guides check`: each gives a clear message and an exit code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import GUIDE, Library, invoke


def test_tab_indent_points_at_the_tab(library: Library) -> None:
    library.edit(GUIDE, "  name: 示例市公安局\n", "\tname: 示例市公安局\n")
    assert library.check().lines == [
        f"{GUIDE}:9:1: 缩进中使用了制表符（Tab）"
        "（修改建议：请只用空格缩进（每级 2 个空格）；多数编辑器可以把 Tab 转换为空格） [yaml-syntax]"
    ]


def test_unclosed_bracket_points_at_the_opening(library: Library) -> None:
    library.edit(GUIDE, "service_objects: [1]", "service_objects: [1")
    run = library.check()
    assert run.lines == [
        f"{GUIDE}:13:18: 此处的括号没有闭合"
        "（修改建议：请用对应的“]”或“}”闭合，或改为每行一项、以“- ”开头） [yaml-syntax]"
    ]
    assert run.exit_code == 1


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "exercise_level: 4",
            'exercise_level: "4"',
            "7:17: exercise_level: “4”不是允许的取值（修改建议：请填写以下代码之一或其名称：1 国家级, 2 省级, 3 市级, 4 县级, 5 镇（乡、街道）级, 6 村（社区）级, 7 其他）",
        ),
        (
            'basic_code: "000107001000"',
            "basic_code: 107001000",
            '4:13: basic_code: 此处应为文字，实际为数字 107001000（修改建议：请给值加上引号："107001000"）',
        ),
        (
            "express_delivery: true",
            "express_delivery: 是",
            "57:19: express_delivery: 此处应为 true 或 false，实际为文字“是”"
            "（修改建议：请填写 true 或 false（不能写“是/否”或 yes/no））",
        ),
        (
            "conditions:\n  - 居民身份证有效期满，或者登记内容有变更、更正，或者证件严重损坏不能辨认的。",
            "conditions: 居民身份证有效期满。",
            "16:13: conditions: 此处应为列表，实际为文字“居民身份证有效期满。”"
            "（修改建议：请每行写一项，以“- ”开头）",
        ),
        (
            "    original_count: 1\n",
            "    original_count: 一份\n",
            "22:21: materials[0].original_count: 此处应为整数，实际为文字“一份”"
            "（修改建议：请填写不带引号的整数，例如 20）",
        ),
    ],
)
def test_wrong_types_say_what_was_expected(
    library: Library, old: str, new: str, expected: str
) -> None:
    library.edit(GUIDE, old, new)
    assert library.check().lines == [f"{GUIDE}:{expected} [schema]"]


def test_unknown_top_level_field_suggests_the_right_one(library: Library) -> None:
    library.edit(GUIDE, "scope: 全省通办", "scoop: 全省通办")
    assert library.check().lines == [
        f"{GUIDE}:56:1: scoop: 未知字段“scoop”（修改建议：是不是要写“scope”？） [schema]"
    ]


def test_unknown_field_without_a_near_name_lists_the_allowed_ones(library: Library) -> None:
    library.edit(GUIDE, "onsite_visits:\n  count: 1\n", "onsite_visits:\n  count: 1\n  zzz: 1\n")
    assert library.check().lines == [
        f"{GUIDE}:54:3: onsite_visits.zzz: 未知字段“zzz”（修改建议：请删除，或使用以下字段之一：count, reason） [schema]"
    ]


def test_missing_required_fields_come_in_one_line(library: Library) -> None:
    library.edit(GUIDE, "promised_time_limit: {value: 20, unit: 自然日}", "promised_time_limit: {}")
    assert library.check().lines == [
        f"{GUIDE}:35:1: promised_time_limit: 缺少 2 个必填字段：value, unit（修改建议：请在此处补充） [schema]"
    ]


@pytest.mark.parametrize(
    ("old", "new", "line"),
    [
        ("id: jumin-shenfenzheng-huanling", "id: ../../etc/passwd", "2:5: id"),
        ("  - material: jumin-shenfenzheng", "  - material: a/b", "19:15: materials[0].material"),
        ("places: [zhongxin-dating]", "places: [..]", "46:10: places[0]"),
    ],
)
def test_path_tricks_in_ids_are_refused(library: Library, old: str, new: str, line: str) -> None:
    library.edit(GUIDE, old, new)
    run = library.check()
    value = new.split(": ", 1)[1].strip("[]")
    assert run.lines[0] == (
        f"{GUIDE}:{line}: “{value}”的格式不正确（修改建议：请使用 1–64 个小写字母、数字、“-”或“_”，"
        "例如 hukou-qianru；不能包含“/”和“..”） [schema]"
    )
    assert run.exit_code == 1


def test_file_references_cannot_leave_the_library(library: Library) -> None:
    library.edit(
        GUIDE,
        "    notes: 交回原居民身份证。\n",
        "    notes: 交回。\n    blank_form: ../../etc/passwd\n",
    )
    assert library.check().lines == [
        f"{GUIDE}:27:17: materials[0].blank_form: “../../etc/passwd”的格式不正确"
        "（修改建议：请填写资料库 files/ 目录下的路径，例如 files/apply-form.pdf） [schema]"
    ]


def test_catalogue_key_with_a_slash_is_refused_at_the_key(library: Library) -> None:
    library.edit("catalogues/faq.yaml", "  shenfenzheng-yidi:", "  shenfenzheng/yidi:")
    run = library.check()
    assert run.lines[0].startswith(
        "catalogues/faq.yaml:3:3: entries.shenfenzheng/yidi: “shenfenzheng/yidi”的格式不正确"
    )


def test_guides_behind_symbolic_links_are_refused_not_read(
    library: Library, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text("id: outside\n", encoding="utf-8")
    os.symlink(outside, library.path("guides/outside.yaml"))
    run = library.check()
    assert run.exit_code == 2
    assert run.stderr.startswith("错误：guides/outside.yaml：是符号链接")


def test_utf8_byte_order_mark_is_accepted(library: Library) -> None:
    library.write(GUIDE, b"\xef\xbb\xbf" + library.read(GUIDE).encode("utf-8"))
    assert library.check().lines == []


def test_utf16_file_is_refused(library: Library) -> None:
    library.write(GUIDE, library.read(GUIDE).encode("utf-16"))
    assert library.check().lines == [
        f"{GUIDE}:1:1: 文件不是 UTF-8 编码的文本（发现 UTF-16）"
        "（修改建议：请以“UTF-8”编码保存文件（记事本：另存为 → 编码 → UTF-8）） [encoding]"
    ]


def test_alias_bomb_is_stopped(library: Library) -> None:
    bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 10)
    )
    library.write(GUIDE, bomb)
    assert library.check().lines == [
        f"{GUIDE}:1:1: 别名（*名称）展开后的内容过多"
        "（修改建议：请直接写出内容，不要嵌套使用锚点（&）和别名（*）） [yaml-syntax]"
    ]


def test_deep_nesting_is_refused(library: Library) -> None:
    library.write(GUIDE, "id: x\nname: " + "[" * 50_000 + "]" * 50_000 + "\n")
    run = library.check()
    assert run.exit_code == 1
    assert "内容嵌套层级过深" in run.lines[0]


def test_empty_and_multi_document_files(library: Library) -> None:
    library.write("guides/empty.yaml", "")
    library.write("guides/multi.yaml", "id: a\n---\nid: b\n")
    run = library.check()
    assert (
        "guides/empty.yaml:1:1: 文件是空的（修改建议：请填写内容，或删除该文件） [yaml-structure]"
        in run.lines
    )
    assert (
        "guides/multi.yaml:1:1: 文件中包含多个 YAML 文档"
        "（修改建议：请删除“---”分隔行：一个文件只写一个文档） [yaml-structure]"
    ) in run.lines


def test_folder_without_library_config_is_a_usage_error(tmp_path: Path) -> None:
    run = invoke("check", str(tmp_path))
    assert run.exit_code == 2
    assert run.stdout == ""
    assert run.stderr == (
        f"错误：{tmp_path}：不是办事指南资料库（此处及上级目录均没有 library.yaml）；"
        "可用 guides init 目录 新建资料库\n"
    )


def test_missing_folder_is_a_usage_error(tmp_path: Path) -> None:
    run = invoke("check", str(tmp_path / "nope"))
    assert (run.exit_code, run.stderr) == (2, f"错误：{tmp_path / 'nope'}：文件夹不存在\n")


def test_broken_library_config_is_reported_like_any_file(library: Library) -> None:
    library.edit("library.yaml", 'region_code: "990100"', "region_code: 990100")
    assert library.check().lines == [
        'library.yaml:3:14: region_code: 此处应为文字，实际为数字 990100（修改建议：请给值加上引号："990100"） [schema]'
    ]


@pytest.mark.slow
def test_fifty_megabyte_file_is_refused_without_a_traceback(library: Library) -> None:
    """A real process, as an editor would run it: no traceback, bounded time, exit 1."""
    with library.path("guides/huge.yaml").open("w", encoding="utf-8") as fh:
        line = "# " + "很长的注释" * 20 + "\n"
        for _ in range(50 * 1024 * 1024 // len(line.encode())):
            fh.write(line)
    result = subprocess.run(
        [sys.executable, "-m", "guidesrc", "check", str(library.root)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stdout.startswith(
        "guides/huge.yaml:1:1: 文件大小为 50.0 MB，超过单个文件上限 1.0 MB"
    )


def test_unknown_time_zone_is_refused(library: Library) -> None:
    library.edit("library.yaml", "timezone: Asia/Shanghai", "timezone: Asia/Beijing")
    assert library.check().lines == [
        "library.yaml:5:11: timezone: “Asia/Beijing”不是已知的时区（修改建议：请填写时区名称，例如 Asia/Shanghai） [schema]"
    ]


@pytest.mark.parametrize("char", ["\u200b", "\u200d", "\u2060", "\ufeff"])
def test_zero_width_characters_are_refused(library: Library, char: str) -> None:
    """A name with an invisible character looks right and is found by no search."""
    library.edit(GUIDE, "name: 居民身份证换领", f"name: 居民身份证{char}换领")
    run = library.check()
    assert run.exit_code == 1
    assert run.stdout == (
        f"{GUIDE}:3:12: name: 文字中含有不可见的控制字符（U+{ord(char):04X}）"
        "（修改建议：请删除：重新输入该段文字，或以纯文本方式粘贴） [hidden-characters]\n"
    )
