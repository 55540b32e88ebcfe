"""Four eyes by identity: editors from git, approvers by key (approvers.yaml), withdrawals by two
people, approvals checked by `guides verify`, hall staff named explicitly."""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from guidesrc.identity import identity_key
from tests.conftest import GUIDE, Library, Run, invoke

GID = "jumin-shenfenzheng-huanling"
PEOPLE = {
    "编辑甲": ("编辑甲", "jia@example.invalid"),
    "审核员乙": ("审核员乙", "yi@example.invalid"),
}


def git(root: Path, name: str, email: str, *args: str) -> None:
    subprocess.run(
        ["git", "-c", f"user.name={name}", "-c", f"user.email={email}", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


def commit(lib: Library, person: str, message: str) -> None:
    name, email = PEOPLE.get(person, (person, "x@example.invalid"))
    git(lib.root, name, email, "add", "-A")
    git(lib.root, name, email, "commit", "-qm", message)


@dataclass
class Keys:
    """Key mode: approvers.yaml lists 编辑甲 and 审核员乙, each with a key outside the library."""

    lib: Library
    folder: Path
    monkeypatch: pytest.MonkeyPatch

    def path(self, person: str) -> Path:
        return self.folder / f"{PEOPLE[person][1]}.pem"

    def use(self, person: str) -> None:
        self.monkeypatch.setenv("GUIDES_APPROVER_KEY", str(self.path(person)))


@pytest.fixture
def keys(library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Keys:
    folder = tmp_path / "keys"
    made = Keys(library, folder, monkeypatch)
    lines = ["approvers:"]
    for person, (name, email) in PEOPLE.items():
        made.use(person)
        run = invoke(
            "approvers", "key", "--name", name, "--identity", email, "--library", str(library.root)
        )
        assert run.exit_code == 0, run.stderr
        lines.append(run.stdout.rstrip("\n"))
    library.write("approvers.yaml", "\n".join(lines) + "\n")
    git(library.root, "编辑甲", PEOPLE["编辑甲"][1], "init", "-q")
    commit(library, "编辑甲", "guides")
    return made


def approve(lib: Library, *args: str) -> Run:
    return invoke("approve", str(lib.root), "--effective", "today", "--note", "说明", *args)


def first_approval(keys: Keys) -> None:
    keys.use("审核员乙")
    run = approve(keys.lib)
    assert run.exit_code == 0, run.stderr


def test_identity_key_removes_invisible_characters_and_case() -> None:
    assert identity_key("编辑\u200b甲") == identity_key("编辑甲")
    assert identity_key("编辑\u2060甲\ufe0f") == identity_key("编辑甲")
    assert identity_key(" Jia@Example.INVALID\u00a0") == identity_key("jia@example.invalid")
    assert identity_key("ｊｉａ") == identity_key("jia")
    assert identity_key("编辑 甲") == identity_key("编辑甲")
    assert identity_key("编辑乙") != identity_key("编辑甲")


def test_approvers_key_prints_the_entry_and_keeps_the_key_private(keys: Keys) -> None:
    path = keys.path("编辑甲")
    assert path.stat().st_mode & 0o777 == 0o600
    text = keys.lib.read("approvers.yaml")
    assert "  - name: 编辑甲\n    key: ed25519:" in text
    assert "    identities: [jia@example.invalid]\n" in text
    keys.use("编辑甲")
    run = invoke("approvers", "whoami", "--library", str(keys.lib.root))
    assert run.stdout.startswith("编辑甲（审核密钥 ") and "身份：jia@example.invalid" in run.stdout
    run = invoke("approvers", "key", "--library", str(keys.lib.root))
    assert run.exit_code == 2
    assert run.stderr == (
        f"错误：{path} 已存在：您已有审核密钥；用 guides approvers key --show 显示其条目\n"
    )


def test_the_last_commit_is_not_the_only_editor(keys: Keys) -> None:
    first_approval(keys)
    keys.lib.edit(GUIDE, "promised_time_limit: {value: 20", "promised_time_limit: {value: 10")
    commit(keys.lib, "编辑甲", "shorter time limit")
    keys.lib.write(GUIDE, keys.lib.read(GUIDE) + "# 审核员乙补充的注释\n")
    commit(keys.lib, "审核员乙", "a comment")
    keys.use("编辑甲")
    run = approve(keys.lib)
    assert run.exit_code == 2
    assert run.stderr.startswith(
        "错误：四眼原则：编辑甲 修改过待审核的内容（编辑甲 <jia@example.invalid> 的提交 "
    )
    assert run.stderr.endswith(
        "），不能审核自己的修改；须由另一人审核（紧急情况下可用 --force --reason 说明理由，日志会标记）\n"
    )
    keys.use("审核员乙")
    assert approve(keys.lib).stderr.startswith("错误：四眼原则：审核员乙 修改过待审核的内容")


def test_an_identity_with_a_zero_width_space_is_the_same_person(keys: Keys) -> None:
    first_approval(keys)
    keys.lib.edit(GUIDE, "promised_time_limit: {value: 20", "promised_time_limit: {value: 10")
    git(keys.lib.root, "编辑\u200b甲", "jia\u200b@example.invalid", "commit", "-qam", "x")
    keys.use("编辑甲")
    run = approve(keys.lib)
    assert run.exit_code == 2 and "四眼原则：编辑甲 修改过待审核的内容" in run.stderr
    keys.use("审核员乙")
    run = approve(keys.lib)
    assert run.exit_code == 0, run.stderr
    assert "审核人 审核员乙" in run.stderr


def test_uncommitted_changes_belong_to_whoever_works_here(keys: Keys) -> None:
    first_approval(keys)
    keys.lib.edit(GUIDE, "promised_time_limit: {value: 20", "promised_time_limit: {value: 10")
    keys.lib.edit(
        "approvers.yaml",
        "identities: [jia@example.invalid]",
        "identities: [editor@example.invalid]",
    )
    commit(keys.lib, "审核员乙", "approvers")  # the guide stays uncommitted: git's identity here
    keys.lib.edit(GUIDE, "promised_time_limit: {value: 10", "promised_time_limit: {value: 9")
    keys.use("编辑甲")
    run = approve(keys.lib)
    assert run.exit_code == 2
    assert "本工作副本中未提交的修改（编辑甲 <editor@example.invalid>）" in run.stderr


def test_an_unknown_base_commit_counts_every_edit_since_the_approval(keys: Keys) -> None:
    first_approval(keys)
    db = sqlite3.connect(keys.lib.root / ".guides/ledger.sqlite")
    db.execute("UPDATE approval SET source = 'f' || substr(source, 2)")  # history rewritten
    db.commit()
    db.close()
    keys.lib.edit(GUIDE, "promised_time_limit: {value: 20", "promised_time_limit: {value: 10")
    commit(keys.lib, "编辑甲", "shorter")
    keys.use("编辑甲")
    assert "四眼原则：编辑甲" in approve(keys.lib).stderr


def test_by_is_refused_with_the_reason(keys: Keys) -> None:
    for command in (["approve", str(keys.lib.root), "--effective", "today"], ["withdraw", GID]):
        run = invoke(*command, "--by", "审核员乙")
        assert run.exit_code == 2
        assert run.stderr == (
            "错误：不再接受 --by：审核人是运行命令的人，由其审核密钥证明（approvers.yaml，guides approvers key），"
            "没有 approvers.yaml 时为其操作系统账户；见 docs/security.md\n"
        )


def test_a_key_not_in_approvers_yaml_inside_the_library_or_readable_is_refused(
    keys: Keys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stranger = tmp_path / "stranger.pem"
    monkeypatch.setenv("GUIDES_APPROVER_KEY", str(stranger))
    assert invoke("approvers", "key", "--library", str(keys.lib.root)).exit_code == 0
    run = approve(keys.lib)
    assert run.exit_code == 2 and "不在 approvers.yaml 中：只有名单中的审核人可以审核" in run.stderr
    stranger.chmod(0o644)
    run = approve(keys.lib)
    assert (
        run.stderr
        == f"错误：{stranger}：他人可以读取该审核密钥；请用 chmod 600 {stranger} 设为仅本人可读\n"
    )
    inside = keys.lib.root / "key.pem"
    monkeypatch.setenv("GUIDES_APPROVER_KEY", str(inside))
    run = invoke("approvers", "key", "--library", str(keys.lib.root))
    assert run.exit_code == 2 and "审核密钥位于资料库内" in run.stderr
    assert not inside.exists()


def test_a_withdrawal_needs_a_second_person(keys: Keys) -> None:
    first_approval(keys)
    root = str(keys.lib.root)
    run = invoke("withdraw", GID, "--reason", "该事项已划转至市公安局办理", "--library", root)
    assert run.stderr == (
        f"已申请撤回 {GID}（#1，申请人 审核员乙）；另一人审核前不会撤下任何内容："
        f"guides withdraw {GID} --approve\n"
    )
    run = invoke("withdraw", GID, "--approve", "--library", root)
    assert run.exit_code == 2
    assert run.stderr == (
        f"错误：四眼原则：审核员乙 是该撤回申请（#1）的申请人，不能审核；"
        f"须由另一人用 guides withdraw {GID} --approve 审核\n"
    )
    keys.use("编辑甲")
    run = invoke("withdraw", GID, "--approve", "--library", root)
    assert run.exit_code == 0, run.stderr
    assert run.stderr.startswith(
        f"{GID} 已撤回（v2；申请人 审核员乙，审核人 编辑甲，原因：该事项已划转至市公安局办理）"
    )
    log = invoke("log", root).stdout
    assert "申请撤回" in log and "该事项已划转至市公安局办理（审核员乙 申请）" in log
    run = invoke("withdraw", GID, "--library", root)
    assert run.exit_code == 2 and "请给出以下之一" in run.stderr


def _verify(lib: Library) -> Run:
    return invoke("verify", str(lib.root))


def _published(keys: Keys) -> Callable[[str], None]:
    assert invoke("keys", "init", "--library", str(keys.lib.root)).exit_code == 0
    first_approval(keys)
    assert invoke("publish", str(keys.lib.root)).exit_code == 0

    def sql(statement: str) -> None:
        db = sqlite3.connect(keys.lib.root / ".guides/ledger.sqlite")
        db.execute(statement)
        db.commit()
        db.close()

    return sql


def test_verify_checks_every_approval_signature(keys: Keys) -> None:
    sql = _published(keys)
    run = _verify(keys.lib)
    assert run.exit_code == 0, run.stdout + run.stderr
    assert "审核记录：1 条中 1 条有签名，签名全部有效" in run.stderr
    sql("UPDATE approval SET note = '另一个说明'")
    run = _verify(keys.lib)
    assert run.exit_code == 1
    assert (
        "审核记录 #1: 签名无效: 审核员乙 的签名与台账记录不符"
        "（审核后变更集、日期、说明或审核人被改动） [signature]"
    ) in run.stdout


def test_verify_finds_an_approval_written_without_a_key(keys: Keys) -> None:
    sql = _published(keys)
    sql(
        "INSERT INTO approval (kind, approved_by, approved_at, note, effective_date, deadline,"
        " editors, change_set_id, release_notice) SELECT kind, '审核员乙', approved_at, note,"
        " effective_date, deadline, editors, 'forged', release_notice FROM approval"
    )
    run = _verify(keys.lib)
    assert run.exit_code == 1
    assert run.stdout.startswith("审核记录 #2: 未签名: 记录为 审核员乙 于 ")
    assert run.stderr.endswith("approvals：发现 1 处问题\n")


def test_print_done_needs_the_hall_staff_member_by_name(library: Library) -> None:
    run = invoke("print", "done", "A1-v1", "--library", str(library.root))
    assert run.exit_code == 2
    assert run.stderr == (
        "错误：print done 须用 --by 姓名 写明张贴该批次的大厅工作人员（不会取自 git 或计算机账户）\n"
    )
    run = invoke("print", "done", "A1-v1", "--by", "  ", "--library", str(library.root))
    assert run.exit_code == 2 and "print done 须用 --by 姓名" in run.stderr
    run = invoke("print", "done", "A1-v1", "--by", "\u200b", "--library", str(library.root))
    assert run.exit_code == 2 and "不可见的控制字符（U+200B）" in run.stderr
