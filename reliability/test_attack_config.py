"""Attacks through the library's configuration (issue 16, reproduction 3).

An editor with commit rights changes ``library.yaml``: a new http channel that reads a secret of
the publishing machine, ``personal-data: off``, a look-alike ``base_url``, a channel folder in
``.guides``. Before configuration was content, ``guides diff --published`` said 没有变更 and the next
``guides publish`` applied each change. Now each change shows in the diff, needs an approval by
someone else, is refused by ``guides check`` where it asks for what the deployment does not allow,
and ``guides publish`` uses only the configuration the ledger recorded as approved.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import GUIDE, Library, invoke
from tests.test_push import Receiver

pytestmark = pytest.mark.section("Attacks from inside the service centre")

SECRET = "hall-secret-5c1e7a90d2"
LOOKALIKE = "zwfw.examp1e-gov.cn"
ID_NUMBER = "11010519491231002X"


def _approve(lib: Library, *args: str) -> Any:
    return invoke("approve", str(lib.root), "--effective", "today", "--note", "x", *args)


def _baseline(lib: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    """The library as approved and published: the editor is 编辑甲, the approver 审核员乙."""
    monkeypatch.setenv("GUIDES_USER", "编辑甲")
    run = _approve(lib)
    assert run.exit_code == 0, run.stderr
    assert invoke("publish", str(lib.root)).exit_code == 0


def _edit_guide(lib: Library, marker: str) -> None:
    lib.edit(GUIDE, "name: 居民身份证换领", f"name: 居民身份证换领{marker}")


def _files_holding(folder: Path, needle: bytes) -> int:
    count = 0
    for path in folder.rglob("*") if folder.exists() else []:
        if path.is_file() and needle in path.read_bytes():
            count += 1
    return count


def test_a_secret_of_the_publishing_machine_never_reaches_an_outside_receiver(
    library: Library, receiver: Receiver, monkeypatch: pytest.MonkeyPatch, figures: Any
) -> None:
    _baseline(library, monkeypatch)
    monkeypatch.setenv("GUIDES_HALL_SECRET", SECRET)
    channel = (
        "  portal:\n    type: http\n    settings:\n"
        f"      base: {receiver.base}\n      auth: bearer\n      token_env: GUIDES_HALL_SECRET\n"
        "      max_attempts: 1\n"
    )
    library.edit("library.yaml", "rules: {}", channel + "rules: {}")
    _edit_guide(library, "（新）")
    # The change shows in the review; check refuses the variable with its line, so no approval
    # is possible, and publishing uses the approved configuration (no such channel).
    shown = invoke("diff", str(library.root), "--published")
    check = library.check()
    everything = _approve(library)
    first_publish = invoke("publish", str(library.root))
    # With the one name allowed (GUIDES_TOKEN_PORTAL, which the machine does not set), a colleague
    # approves the guide alone: publishing still does not take up the unapproved channel.
    library.edit("library.yaml", "GUIDES_HALL_SECRET", "GUIDES_TOKEN_PORTAL")
    guide_only = _approve(library, "--guide", "jumin-shenfenzheng-huanling")
    publish = invoke("publish", str(library.root))
    leaked = sum(
        SECRET in str(seen.headers) or SECRET.encode() in seen.body for seen in receiver.seen
    )
    figures.add("secret sent to an outside receiver by a library channel", leaked, "0")
    figures.add("requests to the library's unapproved channel", len(receiver.seen), "0")
    assert leaked == 0 and receiver.seen == []
    assert "channels.portal.settings.token_env" in shown.stdout
    assert check.exit_code == 1
    assert "library.yaml:17:18: channels.portal.settings.token_env:" in check.stdout
    assert "GUIDES_TOKEN_PORTAL" in check.stdout
    assert everything.exit_code != 0
    assert first_publish.exit_code == 0, first_publish.stderr
    assert guide_only.exit_code == 0, guide_only.stderr
    assert publish.exit_code == 0, publish.stderr


def test_the_personal_data_rule_cannot_be_switched_off_from_the_library(
    library: Library, monkeypatch: pytest.MonkeyPatch, figures: Any
) -> None:
    _baseline(library, monkeypatch)
    library.edit("library.yaml", "rules: {}", "rules:\n  personal-data: off")
    text = library.read(GUIDE)
    library.write(
        GUIDE, text.replace("name: 居民身份证换领", f"name: 居民身份证换领（{ID_NUMBER}）", 1)
    )
    check = library.check()
    approval = _approve(library)
    invoke("publish", str(library.root))
    published = _files_holding(library.root / ".guides/published", ID_NUMBER.encode())
    figures.add("ID number published with personal-data: off in library.yaml", published, "0")
    assert published == 0
    assert check.exit_code == 1
    assert (
        "library.yaml:13:18: rules.personal-data: 规则 personal-data 保护群众权益，library.yaml 不能把它设为 off"
        in check.stdout
    )
    assert "[personal-data]" in check.stdout  # the ID number itself is still reported
    assert approval.exit_code != 0


def test_an_unapproved_base_url_reaches_no_published_file(
    library: Library, monkeypatch: pytest.MonkeyPatch, figures: Any
) -> None:
    site = "  site:\n    type: site\n    settings:\n      path: .guides/site\n"
    library.edit("library.yaml", "rules: {}", site + "rules: {}")
    _baseline(library, monkeypatch)
    library.edit("library.yaml", "zwfw.example.gov.cn", LOOKALIKE)
    _edit_guide(library, "（修订）")
    shown = invoke("diff", str(library.root), "--published")
    approval = _approve(library, "--guide", "jumin-shenfenzheng-huanling")
    assert approval.exit_code == 0, approval.stderr
    assert invoke("publish", str(library.root)).exit_code == 0
    before = _files_holding(library.root / ".guides", LOOKALIKE.encode())
    figures.add("files carrying an unapproved look-alike base_url", before, "0")
    assert before == 0
    assert (
        f"修改 网站地址 base_url：https://zwfw.example.gov.cn → https://{LOOKALIKE}" in shown.stdout
    )
    # Once another person approves it, the next publish uses it.
    assert _approve(library).exit_code == 0
    _edit_guide(library, "（再修订）")
    assert _approve(library).exit_code == 0
    assert invoke("publish", str(library.root)).exit_code == 0
    assert _files_holding(library.root / ".guides/site", LOOKALIKE.encode()) > 0


def test_the_tool_folder_is_never_published(
    library: Library, monkeypatch: pytest.MonkeyPatch, figures: Any
) -> None:
    leak = "  leak:\n    type: directory\n    settings:\n      path: .guides/leak\n"
    library.edit("library.yaml", "rules: {}", leak + "rules: {}")
    assert (
        invoke("keys", "init", "--library", str(library.root)).exit_code == 0
    )  # manifests are signed
    _baseline(library, monkeypatch)
    # In the library: a channel whose folder is .guides.
    library.edit("library.yaml", "path: .guides/leak", "path: .guides")
    check = library.check()
    refused = _approve(library)
    # On the machine: the approved channel's folder replaced by a link to .guides.
    library.edit("library.yaml", "path: .guides\n", "path: .guides/leak\n")
    folder = library.root / ".guides/leak"
    for path in sorted(folder.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    folder.rmdir()
    os.symlink(library.root / ".guides", folder)
    _edit_guide(library, "（新）")
    assert _approve(library).exit_code == 0
    publish = invoke("publish", str(library.root))
    exposed = sum(
        manifest.read_text(encoding="utf-8", errors="replace").count(name)
        for manifest in (library.root / ".guides").rglob("*manifest*.json")
        if "cache" not in manifest.parts
        for name in ("signing-key.pem", "ledger.sqlite")
    )
    figures.add("tool-state files (ledger, signing key) in a channel's signed folder", exposed, "0")
    assert exposed == 0
    assert check.exit_code == 1
    assert (
        "library.yaml:15:13: channels.leak.settings.path: .guides 指向工具文件夹 .guides"
        in check.stdout
    )
    assert refused.exit_code != 0
    assert publish.exit_code != 0
    assert "指向工具文件夹 .guides" in publish.stderr


def test_an_unreviewed_library_yaml_change_is_not_applied(
    library: Library, monkeypatch: pytest.MonkeyPatch, figures: Any
) -> None:
    _baseline(library, monkeypatch)
    library.edit("library.yaml", "path: .guides/published", "path: .guides/elsewhere")
    _edit_guide(library, "（新）")
    shown = invoke("diff", str(library.root), "--published")
    assert _approve(library, "--guide", "jumin-shenfenzheng-huanling").exit_code == 0
    assert invoke("publish", str(library.root)).exit_code == 0
    applied = _files_holding(library.root / ".guides/elsewhere", b"jumin-shenfenzheng-huanling")
    figures.add("unreviewed library.yaml changes applied by publish", applied, "0")
    assert applied == 0
    assert "没有变更" not in shown.stdout
    assert (
        "library.yaml: 修改 发布渠道 channels.archive.settings.path：.guides/published → .guides/elsewhere"
        in shown.stdout
    )
