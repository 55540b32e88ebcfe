"""What a new user meets first (issue 18, "First contact"): ``make demo`` publishes the example to
the site, the printed sheets and the directory and says where to look; ``guides init`` makes a
library with the same channels; the counts say what they count; the no-signing-key note is said
once per library."""

from __future__ import annotations

import datetime as dt
import re
import shlex
from pathlib import Path
from zoneinfo import ZoneInfo

from guidesrc.scaffold import create_library
from tests.conftest import GUIDE, NO_KEY, REPO, Library, invoke

BIN = "$(BIN)/guides"


def _demo_recipe() -> list[str]:
    """The commands of the Makefile's demo target, as written."""
    text = (REPO / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^demo:.*\n((?:\t.*\n)+)", text, re.M)
    assert recipe is not None
    return [line.strip().lstrip("-") for line in recipe.group(1).splitlines()]


def test_make_demo_publishes_the_halls_and_says_where_to_look(demo: Library) -> None:
    recipe = _demo_recipe()
    commands = [line for line in recipe if line.startswith(BIN)]
    runs = []
    for command in commands:
        words = shlex.split(command, comments=True)[1:]
        args = [str(demo.root) if a == "example" else a for a in words]
        runs.append(invoke(*args))
        assert runs[-1].exit_code == 0, (command, runs[-1].stderr)
    _check, approve, publish, status = runs
    assert (
        "；已排队 54 次送达（每项指南每个渠道一次；以后才实施的指南两次：现在发布预告，"
        "实施当天切换），须在 "
    ) in approve.stderr.splitlines()[0]
    assert publish.stderr.startswith(NO_KEY)
    assert (
        "本次：已送达 36 次，18 次已印入换页批次、待大厅工作人员张贴，失败 0 次；"
        "留待以后运行 0 次（尚未到期或待重试）\n"
    ) in publish.stderr
    assert status.stderr.splitlines()[0] == (
        "共 54 次送达：已送达 36 次，18 次已打印、待大厅工作人员张贴确认，"
        "0 次按实施日期排期，0 次已到期未送达（其中超期 0 次）"
    )
    # The closing lines name places that now exist, and how to preview the site.
    said = [line.removeprefix("@echo").strip().strip('"') for line in recipe if "@echo" in line]
    paths = [m for line in said for m in re.findall(r"example/[^\s（）]*", line)]
    assert {p.split("/")[2] for p in paths} == {"site", "print", "published"}
    for path in paths:
        assert (demo.root / path.removeprefix("example/")).exists(), path
    assert any(line.endswith("guides serve example") for line in said)
    # The batches are listed with the library given as for every other command.
    listed = invoke("print", "list", str(demo.root))
    assert listed.exit_code == 0 and listed.stderr.startswith("待张贴的批次")
    assert len(listed.stdout.splitlines()) == 14


def test_readme_names_the_fonts_the_sheets_need() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    apt = re.search(r"apt-get install ([^`]*)`", readme)
    assert apt is not None and "fonts-noto-cjk" in apt.group(1).split()
    assert "missing+=(fonts-noto-cjk)" in (REPO / ".ci/run").read_text(encoding="utf-8")


def test_guides_init_makes_a_library_with_the_site_and_the_sheets(tmp_path: Path) -> None:
    root = tmp_path / "new"
    create_library(root)
    lib = Library(root)
    assert invoke("approve", str(root), "--effective", "today", "--note", "首次发布").exit_code == 0
    run = invoke("publish", str(root))
    assert run.exit_code == 0, run.stderr
    assert run.stderr.startswith(NO_KEY)
    gid = "jumin-shenfenzheng-huanling"
    assert sorted(line.split("\t")[2] for line in run.stdout.splitlines()) == [
        "archive",
        "print",
        "site",
    ]
    assert (root / f".guides/site/guides/{gid}.html").is_file()
    assert (root / f".guides/print/current/{gid}.pdf").is_file()
    assert (root / f".guides/published/guides/{gid}.json").is_file()
    # The note about the signing key is said once per library, not on every publish.
    lib.edit(GUIDE, "promised_time_limit: {value: 20", "promised_time_limit: {value: 10")
    assert invoke("approve", str(root), "--effective", "today", "--note", "压缩时限").exit_code == 0
    again = invoke("publish", str(root))
    assert again.exit_code == 0 and "签名密钥" not in again.stderr
    assert "本次：已送达 2 次，1 次已印入换页批次" in again.stderr


def test_status_counts_a_scheduled_switch_apart_from_what_is_late(library: Library) -> None:
    root = str(library.root)
    assert invoke("approve", root, "--effective", "today", "--note", "首次发布").exit_code == 0
    assert invoke("publish", root).exit_code == 0
    library.edit(GUIDE, "promised_time_limit: {value: 20", "promised_time_limit: {value: 10")
    later = (dt.datetime.now(ZoneInfo("Asia/Shanghai")).date() + dt.timedelta(days=5)).isoformat()
    assert invoke("approve", root, "--effective", later, "--note", "压缩时限").exit_code == 0
    assert invoke("publish", root).exit_code == 0
    run = invoke("status", root)
    assert run.exit_code == 0, run.stderr
    assert run.stderr.splitlines()[0] == (
        "共 2 次送达：已送达 1 次，0 次已打印、待大厅工作人员张贴确认，"
        "1 次按实施日期排期，0 次已到期未送达（其中超期 0 次）"
    )
