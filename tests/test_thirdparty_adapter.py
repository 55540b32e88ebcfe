"""A third-party adapter written from docs/publishing.md, installed as a package and published
through by the CLI: the contract needs nothing private (tests/thirdparty/guidesrc-example-adapter).
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

import guidesrc.adapters
from guidesrc.adapters import Adapter, FileAdapter, adapter_types
from guidesrc.compile import content_hash
from guidesrc.ledger import open_ledger
from guidesrc.state import WorkingTree, load_state
from tests.conftest import REPO, Library

PACKAGE = REPO / "tests" / "thirdparty" / "guidesrc-example-adapter"
MODULE = PACKAGE / "src" / "guidesrc_board" / "__init__.py"
DOCS = REPO / "docs" / "publishing.md"
GID = "jumin-shenfenzheng-huanling"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example package installed (offline, as pip installs any package) into a folder of
    its own, which the CLI's subprocesses get on their PYTHONPATH."""
    target = tmp_path_factory.mktemp("site")
    build = tmp_path_factory.mktemp("build")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--no-build-isolation",
            "--target",
            str(target),
            str(PACKAGE),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=build,
        env={**os.environ, "PIP_NO_CACHE_DIR": "1", "TMPDIR": str(build)},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return target


def guides(site: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """The CLI in a process of its own, with the installed package on its path."""
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run(
        [sys.executable, "-m", "guidesrc", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )


def test_a_third_party_channel_is_installed_configured_and_published_through(
    library: Library, installed: Path
) -> None:
    library.edit(
        "library.yaml",
        "      path: .guides/published\n",
        "      path: .guides/published\n"
        "  board:\n    type: board\n    settings:\n      path: .guides/board\n"
        "      heading: 大厅公告栏\n",
    )
    root = library.root
    for command in (["check", root], ["keys", "init", "--library", root]):
        run = guides(installed, *command)
        assert run.returncode == 0, run.stdout + run.stderr
    run = guides(installed, "approve", root, "--effective", "today", "--note", "首次发布")
    assert run.returncode == 0, run.stdout + run.stderr
    run = guides(installed, "publish", root)
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"{GID} v1\tboard" in run.stdout

    compiled = load_state(WorkingTree(library.root)).compiled(GID)
    digest = content_hash(compiled)
    board = library.path(".guides/board")
    assert sorted(p.name for p in board.iterdir()) == [
        "guides-manifest.d",  # a file channel: guides publish signs its folder (the shards)
        "guides-manifest.json",
        "guides-manifest.json.sig",
        "guides-public-key.pem",
        f"{GID}.txt",
    ]
    assert board.joinpath(f"{GID}.txt").read_text(encoding="utf-8").splitlines() == [
        "大厅公告栏（示例市政务服务中心办事指南库）",
        f"name: {compiled['name']}",
        f"key: {GID}@1:publish",
        "state: current",
        "version: 1",
        f"content_hash: {digest}",
        "reason: ",
    ]
    ledger = open_ledger(library.root)
    with ledger.engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT status, receipt FROM publication WHERE channel = 'board'")
        ).all()
    assert [(status, _json(receipt)) for status, receipt in rows] == [
        ("delivered", {"file": f"{GID}.txt", "key": f"{GID}@1:publish"})
    ]
    # A file channel of its own: signed by the publish, read back and proven by verify.
    run = guides(installed, "verify", root, "--channel", "board")
    assert run.returncode == 0, run.stdout + run.stderr


def _json(value: object) -> object:
    return json.loads(value) if isinstance(value, str) else value


def test_the_example_in_the_docs_is_the_package_s_code() -> None:
    """docs/publishing.md shows the module verbatim, and its pyproject's entry point."""
    docs = DOCS.read_text(encoding="utf-8")
    blocks = re.findall(r"```(\w+)\n(.*?)```", docs, flags=re.S)
    assert ("python", MODULE.read_text(encoding="utf-8")) in blocks
    pyproject = (PACKAGE / "pyproject.toml").read_text(encoding="utf-8")
    start = pyproject.index('[project.entry-points."guidesrc.adapters"]')
    entry = pyproject[start:].split("\n\n")[0]  # the section, to the blank line after it
    assert ("toml", entry + "\n") in blocks


def test_the_example_uses_only_public_names_of_guidesrc() -> None:
    tree = ast.parse(MODULE.read_text(encoding="utf-8"))
    imported = [
        (node.module, alias.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("guidesrc")
        for alias in node.names
    ]
    assert imported and all(module == "guidesrc.adapters" for module, _name in imported)
    assert all(name in guidesrc.adapters.__all__ for _module, name in imported)


def test_the_built_in_channels_declare_what_they_are() -> None:
    kinds = adapter_types()
    declared = {
        name: (kind.files, kind.readable, kind.incremental, kind.printable)
        for name, kind in kinds.items()
        if name in {"directory", "site", "pdf", "hotline", "mobile", "cpsv", "http", "printer"}
    }
    assert declared == {
        "directory": (True, False, True, False),
        "site": (True, False, True, False),
        "pdf": (True, False, True, True),
        "hotline": (True, False, True, False),
        "mobile": (True, False, True, False),
        "cpsv": (True, False, False, False),
        "http": (False, True, True, False),
        "printer": (False, False, True, False),
    }
    assert all(issubclass(kinds[n], FileAdapter) == kinds[n].files for n in declared)


def test_a_channel_class_must_deliver_and_a_printable_one_has_a_folder() -> None:
    with pytest.raises(TypeError, match="implements neither deliver nor deliver_many"):
        type("Mute", (Adapter,), {})
    with pytest.raises(TypeError, match="printable but not a file channel"):
        type("Paper", (Adapter,), {"printable": True, "deliver": lambda self, d: {}})


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """An installed package whose adapter module fails on import."""
    site = tmp_path / "broken-site"
    dist = site / "guidesrc_broken-1.0.dist-info"
    dist.mkdir(parents=True)
    (site / "guidesrc_broken.py").write_text("raise ImportError('no module named hall_sdk')\n")
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: guidesrc-broken\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[guidesrc.adapters]\nbroken = guidesrc_broken:HallAdapter\n"
    )
    return site


def test_a_broken_adapter_no_channel_uses_stops_nothing(library: Library, broken: Path) -> None:
    root = library.root
    approval = ("--effective", "today", "--note", "首次发布")
    for command in (("check", root), ("approve", root, *approval), ("publish", root)):
        run = guides(broken, *command)
        assert run.returncode == 0, run.stdout + run.stderr
    assert f"{GID} v1\t" in run.stdout  # the publish delivered


def test_a_broken_adapter_a_channel_uses_is_named_without_a_traceback(
    library: Library, broken: Path
) -> None:
    library.edit(
        "library.yaml",
        "      path: .guides/published\n",
        "      path: .guides/published\n  hall:\n    type: broken\n    settings: {}\n",
    )
    run = guides(broken, "check", library.root)
    assert run.returncode != 0
    assert (
        "library.yaml:13:11: channels.hall.type: 已安装的适配器“broken”无法加载：no module "
        "named hall_sdk（修改建议：请重新安装或升级提供它的软件包，或删除这个渠道） [channel]"
    ) in (run.stdout + run.stderr)
    assert "Traceback" not in run.stderr
