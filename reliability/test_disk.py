"""A full disk and a read-only output folder during a site build and a PDF build: the error is
clear, the previous published state stays as it was (still served), and the delivery goes
through once there is room again. Real file systems: a small tmpfs, remounted full or read-only."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Library, invoke

pytestmark = pytest.mark.section("Disk full and read-only output")

CHANNELS = {
    "site": "  site:\n    type: site\n    settings:\n      path: mnt/site\n",
    "pdf": "  print:\n    type: pdf\n    settings:\n      path: mnt/pdf\n",
}
GUIDE = "guides/jiehun-dengji.yaml"


def _mount(path: Path, options: str) -> None:
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], check=True, capture_output=True
    )


@pytest.fixture
def tmpfs(example: Library) -> Iterator[Path]:
    mnt = example.root / "mnt"
    mnt.mkdir()
    try:
        _mount(mnt, "size=64m")
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"cannot mount a tmpfs here ({exc}); CI runs as root")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False, capture_output=True)


def _digest(folder: Path) -> str:
    """Every file a reader can be served; an adapter's own bookkeeping (``_state``) and hidden
    temporary files of an unfinished build are not served content."""
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if path.is_file() and not any(part.startswith((".", "_state")) for part in rel.parts):
            h.update(str(rel).encode() + path.read_bytes())
    return h.hexdigest()


def _used(mnt: Path) -> int:
    usage = shutil.disk_usage(mnt)
    return usage.used


_SEEN: dict[str, str] = {}


@pytest.mark.parametrize("channel", ["site", "pdf"])
@pytest.mark.parametrize("trouble", ["full", "read-only"])
def test_a_failed_build_leaves_the_published_state(
    example: Library, tmpfs: Path, channel: str, trouble: str
) -> None:
    example.edit("library.yaml", "rules: {}", CHANNELS[channel] + "rules: {}")
    run = invoke(
        "approve",
        str(example.root),
        "--effective",
        "today",
        "--note",
        "首次发布",
    )
    assert run.exit_code == 0, run.stderr
    run = invoke("publish", str(example.root))
    assert run.exit_code == 0, run.stdout + run.stderr
    before = _digest(tmpfs)
    example.edit(GUIDE, "conditions:\n  - ", "conditions:\n  - （本条已修订）")
    run = invoke(
        "approve",
        str(example.root),
        "--effective",
        "today",
        "--note",
        "修订条件",
    )
    assert run.exit_code == 0, run.stderr
    if trouble == "full":
        size = _used(tmpfs) + 8 * 1024  # room for a few KB, not for a build
        subprocess.run(["mount", "-o", f"remount,size={size}", str(tmpfs)], check=True)
        expected = "磁盘已满"
    else:
        subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], check=True)
        expected = "输出文件夹所在的文件系统是只读的"
    run = invoke("publish", str(example.root))
    assert run.exit_code == 1
    failed = [line for line in run.stdout.splitlines() if line.startswith("失败")]
    assert failed and all(expected in line for line in failed), run.stdout
    subprocess.run(["mount", "-o", "remount,rw,size=64m", str(tmpfs)], check=True)
    assert _digest(tmpfs) == before  # what readers are served is as it was
    status = invoke("status", str(example.root), "--format", "json").stdout
    assert '"status": "failed"' in status
    run = invoke("publish", str(example.root), "--retry-now")
    assert run.exit_code == 0, run.stdout + run.stderr
    assert _digest(tmpfs) != before
    _SEEN[f"{channel} {trouble}"] = failed[0].split("\t")[-1][:120]


def test_disk_figures(figures: Any) -> None:
    for channel in ("site", "pdf"):
        for trouble in ("full", "read-only"):
            figures.add(
                f"{channel} build, output folder {'full' if trouble == 'full' else 'read-only'}",
                f"previous state kept; delivery failed with: {_SEEN.get(f'{channel} {trouble}', 'not run')}; delivered after --retry-now once fixed",
                "previous state kept",
            )
