"""The library every command acts on: the positional ``[LIBRARY]`` everywhere, the hidden
``--library`` alias where commands took it before, and what ``guides check`` does not import."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO, Library, invoke

GID = "jumin-shenfenzheng-huanling"
MATERIAL = "jumin-shenfenzheng"


@pytest.mark.parametrize("how", ["argument", "option"])
def test_library_as_argument_or_as_the_old_option(library: Library, how: str) -> None:
    where = [str(library.root)] if how == "argument" else ["--library", str(library.root)]
    run = invoke("where-used", MATERIAL, *where)
    assert (run.exit_code, run.stdout) == (0, f"guides/{GID}.yaml\t居民身份证换领\n")
    run = invoke("print", "list", *where)
    assert (run.exit_code, run.stderr) == (0, "待张贴的批次 0 个\n")
    run = invoke("calendar", "deadline", "2026-09-30T16:00+08:00", *where)
    assert run.exit_code == 0 and run.lines[1].startswith("公开期限：2026-10-08 24:00")
    run = invoke("withdraw", GID, *where, "--cancel")
    assert (run.exit_code, run.stderr) == (
        2,
        f"错误：{GID} 没有待处理的撤回申请：请用 guides withdraw {GID} --reason 原因 申请\n",
    )
    run = invoke("keys", "status", *where)
    assert run.exit_code == 1 and "没有私钥" in run.stderr


def test_library_given_twice_is_refused(library: Library, tmp_path: object) -> None:
    run = invoke("print", "list", str(library.root), "--library", "elsewhere")
    assert run.exit_code == 2
    assert (
        run.stderr == f"错误：资料库给了两次（{library.root} 和 --library elsewhere）：只需给一次\n"
    )
    same = invoke("print", "list", str(library.root), "--library", str(library.root))
    assert same.exit_code == 0


def test_the_old_option_stays_hidden(library: Library) -> None:
    run = invoke("print", "list", "--help")
    assert "[LIBRARY]" in run.stdout and "--library" not in run.stdout


def test_dates_are_parsed_one_way(library: Library) -> None:
    root = str(library.root)
    run = invoke("report", root, "--from", "2026-13-01")
    assert (run.exit_code, run.stderr) == (
        2,
        "错误：--from：2026-13-01 不是日期，应写成 2026-12-01 这样（或 today）\n",
    )
    run = invoke("calendar", "check", root, "--today", "12/01")
    assert (run.exit_code, run.stderr) == (
        2,
        "错误：--today：12/01 不是日期，应写成 2026-12-01 这样（或 today）\n",
    )
    assert invoke("report", root, "--from", "today").exit_code == 0
    assert invoke("calendar", "check", root, "--today", "today").exit_code in (0, 1)


CHECK_IMPORTS = """
import sys
from guidesrc.cli import main
sys.argv = ["guides", "check", sys.argv[1]]
try:
    main()
except SystemExit:
    pass
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("sqlalchemy", "typst", "uvicorn",
    "starlette") or m.startswith(("guidesrc.ledger", "guidesrc.web", "guidesrc.services")))
print(" ".join(heavy))
"""


def test_check_loads_neither_the_ledger_nor_a_server_nor_typst(library: Library) -> None:
    """`guides check` on a library it has checked before (the cache warm): the command's own
    modules import no database, web server or PDF renderer."""
    for _run in range(2):
        done = subprocess.run(
            [sys.executable, "-c", CHECK_IMPORTS, str(library.root)],
            capture_output=True,
            text=True,
            cwd=REPO,
            check=True,
        )
    assert done.stdout.strip() == ""
