"""The signed record is what was approved: a file channel whose folder holds files no publish
wrote is not signed, `guides status` and `guides publish` say so in Chinese (exit 1), and the
operator recovers by putting the folder back or with `guides publish --rebuild CHANNEL`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from guidesrc.channel_audit import Baseline, Finding, audit, snapshot
from guidesrc.ledger import open_ledger
from guidesrc.status import events
from tests.conftest import Library, Run, invoke

CHANNELS = """channels:
  archive:
    type: directory
    settings: {path: .guides/published}
"""
ARCHIVE = ".guides/published"


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GUIDES_SIGNING_KEY", "GUIDES_SIGNING_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)


def cli(*args: str) -> Run:
    run = invoke(*args)
    assert run.exit_code == 0, run.stdout + run.stderr
    return run


@pytest.fixture
def signed(library: Library, database: str) -> Library:
    text = library.read("library.yaml")
    start, end = text.index("channels:"), text.index("rules: {}")
    library.write("library.yaml", text[:start] + CHANNELS + text[end:])
    cli("keys", "init", "--library", str(library.root))
    cli("approve", str(library.root), "--effective", "today", "--note", "首次")
    cli("publish", str(library.root))
    return library


def kinds(lib: Library) -> list[str]:
    ledger = open_ledger(lib.root)
    try:
        return [e.kind for e in events(ledger) if e.kind.startswith("manifest.")]
    finally:
        ledger.close()


def test_status_names_the_channel_and_the_files_and_exits_1(signed: Library) -> None:
    assert invoke("status", str(signed.root)).exit_code == 0
    signed.write(f"{ARCHIVE}/guides/pay.json", "{}")
    signed.write(f"{ARCHIVE}/.htaccess", "Redirect 302 / https://pay.example.net/\n")
    run = invoke("publish", str(signed.root))
    line = (
        f"archive：未签名：{signed.root / ARCHIVE} 中有既非发布写入、也不在上次签名清单中的文件："
        ".htaccess（多出的文件）、guides/pay.json（多出的文件）。请删除或恢复这些文件"
        "（guides verify 会逐一列出），或用 guides publish --rebuild archive 按台账重写该渠道；"
        "之后的发布会重新签名"
    )
    assert run.exit_code == 1
    assert line in run.stderr.splitlines()
    status = invoke("status", str(signed.root))
    assert status.exit_code == 1
    assert line in status.stderr.splitlines()
    body = json.loads(invoke("status", str(signed.root), "--format", "json").stdout)
    assert body["signing"] == [line]
    # A second cron run logs the same alert once only.
    assert invoke("publish", str(signed.root)).exit_code == 1
    assert kinds(signed).count("manifest.refused") == 1


def test_removing_the_planted_file_lets_the_next_publish_sign(signed: Library) -> None:
    planted = signed.path(f"{ARCHIVE}/guides/pay.json")
    planted.parent.mkdir(parents=True, exist_ok=True)
    planted.write_text("{}")
    (signed.path(ARCHIVE) / "guides-manifest.json").unlink()  # no licence to sign again
    assert invoke("publish", str(signed.root)).exit_code == 1
    assert not (signed.path(ARCHIVE) / "guides-manifest.json").exists()
    planted.unlink()
    run = invoke("publish", str(signed.root))
    assert run.exit_code == 0, run.stderr
    assert (signed.path(ARCHIVE) / "guides-manifest.json").exists()  # signed again, as before
    assert kinds(signed)[-2:] == ["manifest.clean", "manifest.signed"]
    assert invoke("status", str(signed.root)).exit_code == 0
    assert invoke("verify", str(signed.root)).exit_code == 0


def test_rebuild_quarantines_the_folder_and_signs_what_the_ledger_says(signed: Library) -> None:
    signed.write(f"{ARCHIVE}/guides/pay.json", "{}")
    assert invoke("publish", str(signed.root)).exit_code == 1
    run = invoke("publish", str(signed.root), "--rebuild", "archive")
    assert run.exit_code == 0, run.stderr
    assert "archive：已按台账重写（1 次送达）并签名" in run.stderr
    (kept,) = signed.path(".guides/quarantine").iterdir()
    assert (kept / "guides" / "pay.json").exists()  # kept for inspection, not served
    assert not signed.path(f"{ARCHIVE}/guides/pay.json").exists()
    assert invoke("verify", str(signed.root)).exit_code == 0
    assert invoke("status", str(signed.root)).exit_code == 0


def test_rebuild_refuses_a_channel_without_a_folder(signed: Library) -> None:
    run = invoke("publish", str(signed.root), "--rebuild", "nosuch")
    assert run.exit_code != 0
    assert "--rebuild：nosuch 不是有文件夹的渠道；可选：archive" in run.stderr


def test_links_special_files_and_removed_files_are_findings(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    (folder / "guides").mkdir(parents=True)
    (folder / "guides" / "a.json").write_text("a")
    (folder / "gone.json").write_text("g")
    before = snapshot(folder, frozenset())
    (folder / "gone.json").unlink()  # removed before the run: snapshot taken after
    before = snapshot(folder, frozenset())
    os.symlink("/etc/passwd", folder / "passwd.html")
    os.mkfifo(folder / "pipe")
    baseline = Baseline({"guides/a.json": {"x"}, "gone.json": {"y"}})
    found = audit(folder, frozenset(), before, baseline, {})
    assert sorted(found.findings, key=lambda f: f.path) == [
        Finding("removed", "gone.json"),
        Finding("modified", "guides/a.json"),
        Finding("link", "passwd.html"),
        Finding("special", "pipe"),
    ]
    assert "passwd.html" not in found.files
