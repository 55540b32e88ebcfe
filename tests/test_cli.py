"""The `guides` command: output formats, languages, exit codes, `init` and `rules`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from guidesrc.check.findings import today_in
from guidesrc.check.rules import RULES
from tests.conftest import GUIDE, Library, invoke


def test_clean_library_prints_only_the_summary(library: Library) -> None:
    run = library.check()
    assert (run.exit_code, run.stdout) == (0, "")
    assert run.stderr == "已检查 6 个文件中的 1 个办事指南：0 个错误，0 个警告\n"


def test_json_format_for_machines(library: Library) -> None:
    library.edit(GUIDE, "case_type: 承诺件", "case_type: 即办件")
    run = library.check("--format", "json")
    assert run.exit_code == 1
    body = json.loads(run.stdout)
    assert body["errors"] == 1 and body["warnings"] == 0 and body["guides"] == 1
    assert body["diagnostics"] == [
        {
            "file": GUIDE,
            "line": 35,
            "column": 30,
            "path": "promised_time_limit.value",
            "rule": "immediate-case",
            "severity": "error",
            "message": "即办件应当场办结，但承诺办结时限为 20 个自然日",
            "hint": "请把 promised_time_limit.value 改为 0，或把 case_type 改为承诺件",
        }
    ]


def test_english_with_lang_option_and_environment(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    library.edit(GUIDE, "case_type: 承诺件", "case_type: 即办件")
    expected = (
        f"{GUIDE}:35:30: promised_time_limit.value: an immediate case (即办件) must be finished "
        "at once, but the promised time limit is 20 自然日 (fix: set promised_time_limit.value "
        "to 0, or change case_type to 承诺件) [immediate-case]"
    )
    assert invoke("--lang", "en", "check", str(library.root)).lines == [expected]
    monkeypatch.setenv("GUIDES_LANG", "en")
    assert library.check().lines == [expected]


def test_check_finds_the_library_from_a_sub_folder(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(library.path("guides"))
    run = invoke("check")
    assert run.exit_code == 0


def test_init_creates_a_library_that_passes(tmp_path: Path) -> None:
    run = invoke("init", str(tmp_path / "new"))
    assert run.exit_code == 0
    assert "已创建资料库" in run.stdout
    assert (tmp_path / "new" / "schemas" / "guide.schema.json").is_file()
    check = invoke("check", str(tmp_path / "new"))
    assert check.exit_code == 0, check.stdout
    # Its site lacks what only the centre can fill in: the government-website marks (warned).
    assert [line.rsplit(" ", 1)[-1] for line in check.stdout.splitlines()] == ["[government-site]"]
    # The sample guide is dated the day init ran: a first approval takes that date as proposed.
    sample = (tmp_path / "new" / GUIDE).read_text(encoding="utf-8")
    assert f"effective_date: {today_in('Asia/Shanghai').isoformat()}\n" in sample
    approval = invoke("approve", str(tmp_path / "new"), "--note", "首次发布")
    assert approval.exit_code == 0, approval.stderr


def test_init_refuses_a_folder_with_content(library: Library) -> None:
    run = invoke("init", str(library.root))
    assert run.exit_code == 2
    assert run.stderr == f"错误：{library.root}：文件夹已存在且不为空，请指定一个新文件夹\n"


def test_init_schema_comments_point_at_the_copied_schemas(tmp_path: Path) -> None:
    invoke("init", str(tmp_path / "new"))
    for path in (tmp_path / "new").rglob("*.yaml"):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        target = first.split("$schema=", 1)[1]
        assert (path.parent / target).resolve().is_file(), path


def test_rules_lists_every_rule() -> None:
    run = invoke("rules")
    assert run.exit_code == 0
    assert [line.split()[0] for line in run.lines] == list(RULES)
    assert (
        "material-legal-basis       错误       每项申请材料都有现行有效的法律法规依据" in run.lines
    )


def _guides(*args: str) -> subprocess.CompletedProcess[str]:
    """The real entry point, in a process of its own (as an editor runs it)."""
    return subprocess.run(
        [sys.executable, "-m", "guidesrc", *args], capture_output=True, text=True, check=False
    )


def test_installed_command_translates_help_and_usage_errors() -> None:
    """Through the real entry point: click's own words are Chinese too, and no traceback."""
    help_run = _guides("check", "--help")
    assert help_run.returncode == 0
    assert help_run.stdout.startswith("用法： guides check [OPTIONS] [LIBRARY]")
    assert "忽略缓存，重新分析每个文件。" in help_run.stdout
    bad = _guides("check", "--bogus")
    assert bad.returncode == 2
    assert "错误：没有选项 '--bogus'。" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_version() -> None:
    from guidesrc import __version__

    assert invoke("--version").stdout == f"guides，版本 {__version__}\n"


def test_rules_document_is_current() -> None:
    from guidesrc.check.docs import rules_markdown
    from tests.conftest import REPO

    assert (REPO / "docs" / "rules.md").read_text(encoding="utf-8") == rules_markdown(), (
        "run `make docs`"
    )
