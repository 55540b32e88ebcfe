"""Attacks from inside the service centre on four eyes (issue 16, reproduction 4): an editor
approving their own change, a look-alike identity, a typed approver, a one-person withdrawal and a
forged approval in the ledger. Each attack is tried; none may succeed."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from tests.conftest import GUIDE, invoke
from tests.test_identity import GID, Keys, approve, commit, first_approval, git

pytestmark = pytest.mark.section("Attacks from inside the service centre")


def _edit(keys: Keys) -> None:
    keys.lib.edit(GUIDE, "promised_time_limit: {value: 20", "promised_time_limit: {value: 10")


def _approvals(keys: Keys) -> int:
    db = sqlite3.connect(keys.lib.root / ".guides/ledger.sqlite")
    try:
        return int(db.execute("SELECT count(*) FROM approval").fetchone()[0])
    finally:
        db.close()


def test_an_editor_cannot_approve_own_change_behind_a_comment_commit(
    keys: Keys, figures: Any
) -> None:
    first_approval(keys)
    _edit(keys)
    commit(keys.lib, "编辑甲", "shorter time limit")
    keys.lib.write(GUIDE, keys.lib.read(GUIDE) + "# 注释\n")
    commit(keys.lib, "审核员乙", "comment only")
    keys.use("编辑甲")
    run = approve(keys.lib)
    succeeded = int(run.exit_code == 0)
    figures.add("甲 approved his own change behind 乙's comment-only commit", succeeded, "0")
    assert succeeded == 0 and "四眼原则：编辑甲" in run.stderr


def test_a_zero_width_look_alike_is_the_same_person(keys: Keys, figures: Any) -> None:
    first_approval(keys)
    _edit(keys)
    look_alikes = ["编辑\u200b甲", "编辑\u2060甲", "编辑\ufeff甲", "编辑 甲", "编辑\u3000甲"]
    succeeded = 0
    keys.use("编辑甲")
    for name in look_alikes:
        git(keys.lib.root, name, "JIA@example.invalid", "commit", "-qam", name, "--allow-empty")
        succeeded += approve(keys.lib).exit_code == 0
    keys.lib.edit("approvers.yaml", "name: 编辑甲", 'name: "编辑\\u200b甲"')
    succeeded += approve(keys.lib).exit_code == 0  # the list itself refuses the look-alike
    figures.add("look-alike identities (zero-width, space, full-width) tried", len(look_alikes) + 1)
    figures.add("look-alike identities accepted as another person", succeeded, "0")
    assert succeeded == 0


def test_a_typed_approver_is_refused(keys: Keys, figures: Any) -> None:
    first_approval(keys)
    _edit(keys)
    commit(keys.lib, "编辑甲", "shorter")
    keys.use("编辑甲")
    tries = [
        ["approve", str(keys.lib.root), "--by", "审核员乙", "--effective", "today", "--note", "x"],
        ["withdraw", GID, "--by", "审核员乙", "--reason", "x", "--library", str(keys.lib.root)],
    ]
    succeeded = sum(invoke(*args).exit_code == 0 for args in tries)
    figures.add("typed --by accepted", succeeded, "0")
    assert succeeded == 0 and _approvals(keys) == 1


def test_one_person_cannot_withdraw_a_guide(keys: Keys, figures: Any) -> None:
    first_approval(keys)
    root = str(keys.lib.root)
    keys.use("编辑甲")
    assert invoke("withdraw", GID, "--reason", "并入其他事项", "--library", root).exit_code == 0
    run = invoke("withdraw", GID, "--approve", "--library", root)
    succeeded = int(run.exit_code == 0)
    figures.add("withdrawals by one person", succeeded, "0")
    assert succeeded == 0 and _approvals(keys) == 1


def test_forged_approvals_are_found_by_verify(keys: Keys, figures: Any) -> None:
    assert invoke("keys", "init", "--library", str(keys.lib.root)).exit_code == 0
    first_approval(keys)
    assert invoke("publish", str(keys.lib.root)).exit_code == 0
    assert invoke("verify", str(keys.lib.root)).exit_code == 0
    forgeries = [
        "UPDATE approval SET note = '改过的说明'",
        "UPDATE approval SET approved_by = '编辑甲'",
        "UPDATE approval SET effective_date = '2020-01-01'",
        "UPDATE approval SET signature = 'AAAA' || substr(signature, 5)",
        "UPDATE approval SET key_id = '0000000000000000'",
        "UPDATE approval SET key_id = NULL, signature = NULL",
    ]
    unnoticed = 0
    for statement in forgeries:
        db = sqlite3.connect(keys.lib.root / ".guides/ledger.sqlite")
        db.execute("SAVEPOINT forged")
        original = db.execute("SELECT * FROM approval").fetchall()
        db.execute(statement)
        db.commit()
        run = invoke("verify", str(keys.lib.root))
        unnoticed += run.exit_code == 0
        db.execute("DELETE FROM approval WHERE id = 1")
        db.execute("PRAGMA foreign_keys = OFF")
        marks = ",".join("?" * len(original[0]))
        db.execute(f"INSERT INTO approval VALUES ({marks})", original[0])
        db.commit()
        db.close()
    figures.add("forged approvals tried (ledger rows edited)", len(forgeries))
    figures.add("forged approval signatures unnoticed by verify", unnoticed, "0")
    assert unnoticed == 0


def test_an_editor_cannot_add_his_own_key_and_approve_with_it(
    keys: Keys, figures: Any, tmp_path: Any
) -> None:
    """编辑甲 lists a second key of his as a new approver 丙 (with an identity not his) and
    approves his own change with it: the key is not on the approved list, so it counts for
    nothing until somebody on that list has approved the edit of approvers.yaml."""
    first_approval(keys)
    _edit(keys)
    keys.monkeypatch.setenv("GUIDES_APPROVER_KEY", str(tmp_path / "bing.pem"))
    made = invoke(
        "approvers", "key", "--name", "丙", "--identity", "bing@example.invalid",
        "--library", str(keys.lib.root),
    )  # fmt: skip
    assert made.exit_code == 0, made.stderr
    keys.lib.write("approvers.yaml", keys.lib.read("approvers.yaml") + made.stdout)
    commit(keys.lib, "编辑甲", "shorter time limit; a new approver")
    before = _approvals(keys)
    run = approve(keys.lib)
    succeeded = int(run.exit_code == 0 or _approvals(keys) != before)
    figures.add(
        "an editor's own new key, added to approvers.yaml, approved his change", succeeded, "0"
    )
    assert succeeded == 0
    assert "不在 approvers.yaml" in run.stderr or "approvers.yaml" in run.stderr, run.stderr
    keys.use("审核员乙")  # someone on the approved list reviews both the change and the new key
    assert approve(keys.lib).exit_code == 0
