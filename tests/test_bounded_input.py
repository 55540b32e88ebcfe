"""Bounded work on any input: links, sizes by kind of file, aliases, long texts, extreme dates."""

from __future__ import annotations

import os
import random

import yaml

from guidesrc.check.engine import check_library
from guidesrc.diff.redline import redline
from guidesrc.diff.similar import Budget, common_prefix, similarity
from guidesrc.library import MAX_CALENDAR_BYTES, MAX_CONFIG_BYTES, size_limit
from tests.conftest import GUIDE, Library, invoke

LINK_HINT = "资料库中只能有普通文件和文件夹：请用文件本身替换这个链接"


# --- links and other files that are not plain files ----------------------------------------------


def test_a_linked_catalogue_is_refused_with_its_name(library: Library) -> None:
    faq = library.path("catalogues/faq.yaml")
    faq.unlink()
    faq.symlink_to("/dev/zero")
    run = library.check()
    assert run.exit_code == 2
    assert run.stderr.startswith("错误：catalogues/faq.yaml：是符号链接；" + LINK_HINT)
    assert "git rm --cached catalogues/faq.yaml" in run.stderr


def test_a_linked_guide_is_refused_not_skipped(library: Library) -> None:
    library.path("guides/copy.yaml").symlink_to(library.path(GUIDE))
    run = library.check()
    assert run.exit_code == 2
    assert run.stderr.startswith("错误：guides/copy.yaml：是符号链接")


def test_a_linked_folder_is_refused(library: Library) -> None:
    catalogues = library.path("catalogues")
    catalogues.rename(library.path("elsewhere"))
    catalogues.symlink_to(library.path("elsewhere"))
    run = library.check()
    assert run.exit_code == 2
    assert run.stderr.startswith("错误：catalogues：是符号链接")


def test_a_linked_library_yaml_is_refused_by_diff(library: Library) -> None:
    config = library.path("library.yaml")
    config.rename(library.path("real.yaml"))
    config.symlink_to(library.path("real.yaml"))
    run = invoke("diff", str(library.root), "--published")
    assert run.exit_code == 2
    assert run.stderr.startswith("错误：library.yaml：是符号链接")


def test_a_pipe_is_refused_without_waiting_for_a_writer(library: Library) -> None:
    faq = library.path("catalogues/faq.yaml")
    faq.unlink()
    os.mkfifo(faq)
    run = library.check()
    assert run.exit_code == 2
    assert (
        run.stderr == "错误：catalogues/faq.yaml：不是普通文件（是设备、管道或文件夹）；请删除它\n"
    )


# --- size limits by kind -------------------------------------------------------------------------


def test_size_limits_by_kind_of_file() -> None:
    assert size_limit("library.yaml") == MAX_CONFIG_BYTES == 256 * 1024
    assert size_limit("calendar.yaml") == MAX_CALENDAR_BYTES == 256 * 1024
    assert size_limit("catalogues/faq.yaml") == 32 * 1024 * 1024
    assert size_limit("guides/a/b.yaml") == 1024 * 1024


def test_an_oversized_library_yaml_is_one_file_level_error(library: Library) -> None:
    text = library.read("library.yaml") + "# " + "x" * (300 * 1024) + "\n"
    library.write("library.yaml", text)
    run = library.check()
    assert run.exit_code == 1
    assert run.lines[0] == (
        "library.yaml:1:1: 文件大小为 300 KB，超过单个文件上限 256 KB"
        "（修改建议：请拆分内容；附件放到 files/ 目录下再引用） [file-too-large]"
    )


# --- the duplicate-key locator -------------------------------------------------------------------


def test_a_duplicate_key_behind_an_alias_chain_is_located(library: Library) -> None:
    lines = ["z: {k: 1, k: 2}", "a0: &a0 [x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]" for i in range(1, 40)]  # 2^40 paths
    library.write("guides/bomb.yaml", "\n".join(lines) + "\n")
    report = check_library(library.root, use_cache=False)
    (found,) = [d for d in report.diagnostics if d.file == "guides/bomb.yaml"]
    assert (found.rule, found.line, found.column) == ("duplicate-key", 1, 11)
    assert found.args == {"key": "k", "first_line": 1}


def test_the_locator_visits_a_shared_node_once() -> None:
    from guidesrc.yamlio import _find_duplicate

    text = "a0: &a0 [x]\n" + "".join(f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]\n" for i in range(1, 60))
    assert _find_duplicate(yaml.compose(text)) is None  # 2^60 paths, 61 nodes


# --- long texts ----------------------------------------------------------------------------------


def _long_text(chars: int) -> str:
    rng = random.Random(3)
    return "".join(
        "".join(rng.choice("办理材料条件时限地点窗口") for _ in range(29)) + "。"
        for _ in range(chars // 30)
    )


def test_similarity_agrees_with_difflib_on_short_texts() -> None:
    import difflib

    pairs = [("男女双方完全自愿。", "男女双方完全自愿，且均无配偶。"), ("abc", "xyz"), ("", "a")]
    for a, b in pairs:
        expected = difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()
        assert similarity(a, b, Budget()) == expected


def test_similarity_of_a_300k_text_edited_once_is_bounded_and_high() -> None:
    text = _long_text(300_000)
    edited = text[:150_000] + "已修改" + text[150_003:]
    budget = Budget()
    score = similarity(text, edited, budget)
    assert score is not None and score > 0.99
    # spent: the two lengths, and the 3×3 middle left after the common prefix and suffix
    assert Budget().left - budget.left == len(text) + len(edited) + 9


def test_a_spent_budget_compares_no_more() -> None:
    assert similarity("甲" * 10, "乙" * 10, Budget(left=5)) is None


def test_common_prefix() -> None:
    assert [common_prefix(a, b) for a, b in [("abc", "abd"), ("", "a"), ("aa", "aa")]] == [2, 0, 2]


def test_redline_of_a_300k_text_shows_the_one_change() -> None:
    text = _long_text(300_000)
    edited = text[:150_000] + "已修改" + text[150_003:]
    changed = [span for span in redline(text, edited) if span.op != "equal"]
    assert [(s.op, s.text) for s in changed] == [
        ("delete", text[150_000:150_003]),
        ("insert", "已修改"),
    ]


# --- extreme dates -------------------------------------------------------------------------------


def test_an_effective_date_outside_the_counted_years_is_refused(library: Library) -> None:
    for day in ("9999-12-31", "0001-01-01"):
        run = invoke("approve", str(library.root), "--note", "x", "--effective", day)
        assert run.exit_code == 2
        assert run.stderr == (
            f"错误：--effective: {day} 超出了 guidesrc 可计算的日期范围（1900-01-01 至 2999-12-31）\n"
        )


def test_report_and_calendar_dates_outside_the_counted_years_are_refused(library: Library) -> None:
    run = invoke("report", str(library.root), "--from", "0001-01-01", "--to", "2026-12-31")
    assert run.exit_code == 2
    assert "--from: 0001-01-01 超出了 guidesrc 可计算的日期范围" in run.stderr
    run = invoke("calendar", "deadline", "9999-12-31T23:00+08:00", "--library", str(library.root))
    assert run.exit_code == 2
    assert (
        "9999-12-31T23:00+08:00 超出了 guidesrc 可计算的日期范围（1900-01-01 至 2999-12-31）"
        in (run.stderr)
    )
