"""Configuration is content: diffs of library.yaml, its approval, and what a library may not ask."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from guidesrc.ledger import open_ledger
from guidesrc.ledger.models import ConfigVersion
from tests.conftest import GUIDE, Library, invoke
from tests.test_identity import Keys, commit, first_approval, keys  # noqa: F401 (a fixture)


@pytest.fixture(autouse=True)
def _zero_setup(monkeypatch: pytest.MonkeyPatch) -> None:
    """No deployment file unless a test writes one (another module's fixture may set one)."""
    monkeypatch.delenv("GUIDES_DEPLOYMENT", raising=False)


def approve(lib: Library, *args: str) -> object:
    """Approved by whoever runs the tests (their OS account): not 编辑甲, who edits here."""
    return invoke("approve", str(lib.root), "--effective", "today", "--note", "x", *args)


@pytest.fixture
def approved(library: Library, monkeypatch: pytest.MonkeyPatch, database: str) -> Library:
    """The library with its first approval (which recorded the configuration)."""
    run = approve(library)
    assert run.exit_code == 0, run.stderr  # type: ignore[attr-defined]
    return library


def test_diff_published_before_the_first_approval_says_the_configuration_is_recorded(
    library: Library,
) -> None:
    run = invoke("diff", str(library.root), "--published", "--no-color")
    assert run.stdout.splitlines()[-2:] == [
        "配置变更（审核通过后才用于发布）：",
        "  library.yaml：尚无已审核的配置，首次审核通过即按原样记录此文件（共 6 项设置）：审核前请通读该文件",
    ]


def test_the_first_approval_records_the_configuration(approved: Library) -> None:
    ledger = open_ledger(approved.root)
    with ledger.engine.connect() as conn:
        rows = conn.execute(sa.select(ConfigVersion.version, ConfigVersion.files)).all()
    ledger.close()
    assert [r[0] for r in rows] == [1]
    assert rows[0][1]["library.yaml"] == approved.read("library.yaml")
    run = invoke("diff", str(approved.root), "--published", "--exit-code")
    assert (run.exit_code, run.stdout) == (0, "已审核版本（台账） 与 工作区 之间没有变更\n")


def test_diff_published_shows_each_changed_setting(approved: Library) -> None:
    approved.edit("library.yaml", "zwfw.example.gov.cn", "zwfw.examp1e.gov.cn")
    approved.edit("library.yaml", "timezone: Asia/Shanghai\n", "")
    approved.edit("library.yaml", "rules: {}", "publish_deadline: {working_days: 2}\nrules: {}")
    run = invoke("diff", str(approved.root), "--published", "--exit-code", "--no-color")
    assert run.exit_code == 1
    assert run.stdout == (
        "配置变更（审核通过后才用于发布）：\n"
        "  library.yaml: 修改 网站地址 base_url：https://zwfw.example.gov.cn → https://zwfw.examp1e.gov.cn\n"
        "  library.yaml: 新增 发布时限 publish_deadline.working_days：2\n"
        "  library.yaml: 删除 时区 timezone：Asia/Shanghai\n"
    )
    change_set = run.stderr.split("变更集 ", 1)[1][:12]
    body = json.loads(invoke("diff", str(approved.root), "--published", "--format", "json").stdout)
    assert body["config"]["files"] == ["library.yaml"]
    assert body["config"]["changes"][0] == {
        "file": "library.yaml",
        "path": "base_url",
        "status": "changed",
        "old": "https://zwfw.example.gov.cn",
        "new": "https://zwfw.examp1e.gov.cn",
    }
    # The change-set id covers the configuration: approving it records version 2.
    run = approve(approved, "--change-set", change_set)
    assert run.exit_code == 0, run.stderr  # type: ignore[attr-defined]
    assert "配置已审核通过，为第 2 版（library.yaml）" in run.stderr  # type: ignore[attr-defined]


def test_a_configuration_change_needs_a_second_person(keys: Keys) -> None:  # noqa: F811
    first_approval(keys)
    keys.lib.edit("library.yaml", "zwfw.example.gov.cn", "zwfw.examp1e.gov.cn")
    commit(keys.lib, "编辑甲", "look-alike address")
    keys.use("编辑甲")
    run = approve(keys.lib)
    assert run.exit_code == 2  # type: ignore[attr-defined]
    assert run.stderr.startswith(
        "错误：四眼原则：编辑甲 修改过待审核的内容（编辑甲 <jia@example.invalid> 的提交 "
    )  # type: ignore[attr-defined]
    keys.use("审核员乙")
    assert approve(keys.lib).exit_code == 0  # type: ignore[attr-defined]


def test_approving_one_guide_leaves_the_configuration_pending(approved: Library) -> None:
    approved.edit("library.yaml", "path: .guides/published", "path: .guides/elsewhere")
    approved.edit(GUIDE, "name: 居民身份证换领", "name: 居民身份证换领（新）")
    run = approve(approved, "--guide", "jumin-shenfenzheng-huanling")
    assert run.exit_code == 0
    shown = invoke("diff", str(approved.root), "--published", "--no-color").stdout
    assert shown.splitlines() == [
        "配置变更（审核通过后才用于发布）：",
        "  library.yaml: 修改 发布渠道 channels.archive.settings.path：.guides/published → .guides/elsewhere",
    ]
    assert invoke("publish", str(approved.root)).exit_code == 0
    assert (approved.root / ".guides/published/index.json").exists()
    assert not (approved.root / ".guides/elsewhere").exists()


def _channel(lib: Library, settings: str, name: str = "hall") -> None:
    lib.edit("library.yaml", "rules: {}", f"  {name}:\n{settings}rules: {{}}")


HTTP = "    type: http\n    settings:\n      base: https://hall.example.gov.cn/api\n      auth: bearer\n"


@pytest.mark.parametrize("variable", ["GUIDES_DATABASE_URL", "HOME", "GUIDES_TOKEN_OTHER"])
def test_check_refuses_a_variable_the_deployment_does_not_allow(
    library: Library, variable: str
) -> None:
    _channel(library, HTTP + f"      token_env: {variable}\n")
    run = library.check()
    assert run.exit_code == 1
    assert run.stdout == (
        f"library.yaml:17:18: channels.hall.settings.token_env: 渠道 hall 不得读取环境变量 {variable}："
        "渠道读取哪些密钥由部署决定，不由资料库决定（修改建议：请写 GUIDES_TOKEN_HALL，并在发布服务器上设置该变量；"
        "或由管理员在部署文件（GUIDES_DEPLOYMENT）中为该渠道允许其他变量；guidesrc 自身的 GUIDES_* 设置"
        "（如 GUIDES_DATABASE_URL）永远不能作为令牌） [channel]\n"
    )


def test_the_zero_setup_variable_is_allowed(library: Library) -> None:
    _channel(library, HTTP + "      token_env: GUIDES_TOKEN_HALL\n")
    assert library.check().exit_code == 0


def _deployment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> Path:
    path = tmp_path / "deployment.yaml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("GUIDES_DEPLOYMENT", str(path))
    return path


def test_the_deployment_file_names_variables_addresses_and_roots(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _deployment(
        tmp_path,
        monkeypatch,
        f"output_roots: [{tmp_path / 'www'}]\n"
        "channels:\n  hall:\n    env: [HALL_PUSH_TOKEN]\n    urls: [https://hall.example.gov.cn/api]\n",
    )
    _channel(library, HTTP + "      token_env: HALL_PUSH_TOKEN\n")
    _channel(
        library,
        f"    type: directory\n    settings:\n      path: {tmp_path / 'www/guides'}\n",
        "www",
    )
    assert library.check().exit_code == 0
    library.edit("library.yaml", "https://hall.example.gov.cn/api", "https://hall.examp1e.cn/api")
    run = library.check()
    assert run.stdout == (
        "library.yaml:15:13: channels.hall.settings.base: 渠道 hall 推送到 https://hall.examp1e.cn/api，"
        "部署不允许该地址（修改建议：请使用 https://hall.example.gov.cn/api 之一，"
        "或请管理员在部署文件（GUIDES_DEPLOYMENT）中允许该地址） [channel]\n"
    )


def test_a_deployment_file_cannot_hand_a_guides_setting_to_a_channel(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _deployment(
        tmp_path, monkeypatch, "channels:\n  hall:\n    env: [GUIDES_DATABASE_URL]\n"
    )
    _channel(library, HTTP + "      token_env: GUIDES_DATABASE_URL\n")
    run = library.check()
    assert run.exit_code == 2
    assert run.stderr.startswith(f"错误：{path}：部署文件无效：")
    assert "GUIDES_DATABASE_URL is a guidesrc setting, never a channel's secret" in run.stderr


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (
            ".guides",
            ".guides 指向工具文件夹 .guides（台账、签名密钥、缓存）：该渠道会把它们发布出去",
        ),
        (
            ".guides/cache",
            ".guides/cache 指向工具文件夹 .guides（台账、签名密钥、缓存）：该渠道会把它们发布出去",
        ),
        (".", ". 不在渠道允许写入的文件夹内"),
        ("../www", "../www 不在渠道允许写入的文件夹内"),
        ("/srv/www", "/srv/www 不在渠道允许写入的文件夹内"),
        ("guides", "guides 是资料库自身的内容：渠道会覆盖它"),
    ],
)
def test_check_refuses_a_channel_folder_outside_the_allowed_roots(
    library: Library, path: str, message: str
) -> None:
    library.edit("library.yaml", "path: .guides/published", f"path: {path}")
    run = library.check()
    assert run.exit_code == 1
    assert run.stdout.startswith(
        f"library.yaml:11:13: channels.archive.settings.path: {message}（修改建议："
    )


@pytest.mark.parametrize("level", ["off", "warning"])
def test_check_refuses_lowering_a_rule_that_protects_the_public(
    library: Library, level: str
) -> None:
    library.edit(
        "library.yaml", "rules: {}", f"rules:\n  legal-basis-repealed: {level}\n  unused-entry: off"
    )
    run = library.check()
    assert run.exit_code == 1
    assert run.stdout == (
        f"library.yaml:13:25: rules.legal-basis-repealed: 规则 legal-basis-repealed 保护群众权益，"
        f"library.yaml 不能把它设为 {level}（修改建议：请删除这一行；无论资料库如何设置，"
        "legal-basis-repealed 始终是错误级别） [protected-rule]\n"
    )
