"""`guides diff`: exact change items, their class and the change notice, for each kind of change."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from guidesrc.compile import content_hash
from guidesrc.state import WorkingTree, load_state
from tests.conftest import EXAMPLE, Library, directory_only, invoke

H = "guides/hukou-qianru-fuqi-toukao.yaml"
HUKOU = "hukou-qianru-fuqi-toukao"
# The guide's effective_date (2026-03-01) has passed and is not changed with these changes: the
# notices are dated today, as approving them today would (a new guide's past date stays: see
# tests/test_effective_date.py for the refusal).
TODAY = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
TAIL = f"自 {TODAY.year} 年 {TODAY.month} 月 {TODAY.day} 日起实施。"
FILE_TAIL = "自 2026 年 3 月 1 日起实施。"


def git(root: Path, *args: str) -> str:
    env_args = ["-c", "user.name=编辑甲", "-c", "user.email=editor@example.invalid"]
    return subprocess.run(
        ["git", *env_args, *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Library:
    """The example library as a git repository with one commit."""
    root = tmp_path / "library"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".guides"))
    directory_only(root)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    return Library(root)


def diff_json(lib: Library, *args: str) -> dict[str, Any]:
    run = invoke("diff", str(lib.root), "--format", "json", *args)
    assert run.exit_code == 0, run.stderr
    return json.loads(run.stdout)  # type: ignore[no-any-return]


def only_guide(body: dict[str, Any]) -> dict[str, Any]:
    (guide,) = body["guides"]
    return guide  # type: ignore[no-any-return]


def scalar_changes(guide: dict[str, Any]) -> list[tuple[str, str, Any, Any, str]]:
    return [(c["path"], c["action"], c["old"], c["new"], c["class"]) for c in guide["changes"]]


def test_material_added_is_one_added_item(repo: Library) -> None:
    repo.edit(H, "procedure:\n", "  - material: jiankang-tijian-zhengming\n    form: 原件\n    medium: 纸质\n"
              "    original_count: 1\n    copy_count: 0\n    source: 申请人自备\n    necessity: 容缺后补\nprocedure:\n")  # fmt: skip
    body = diff_json(repo)
    guide = only_guide(body)
    assert [(c["path"], c["action"], c["class"]) for c in guide["changes"]] == [
        ("materials.jiankang-tijian-zhengming", "added", "major")
    ]
    assert guide["changes"][0]["new"]["name"] == "申请前 6 个月内的健康体检证明"
    assert body["notices"][0]["text"] == "申请材料：新增《申请前 6 个月内的健康体检证明》。" + TAIL


def test_material_removed(repo: Library) -> None:
    repo.edit(H, "  - material: shouquan-weituoshu\n    form: 原件\n    medium: 纸质\n    original_count: 1\n"
              "    copy_count: 0\n    source: 申请人自备\n    necessity: 必要\n    condition: 委托他人代为办理的。\n", "")  # fmt: skip
    body = diff_json(repo)
    assert [(c["path"], c["action"]) for c in only_guide(body)["changes"]] == [
        ("materials.shouquan-weituoshu", "removed")
    ]
    assert body["notices"][0]["text"] == "申请材料：删除《授权委托书》。" + TAIL


def test_material_count_changed(repo: Library) -> None:
    repo.edit(H, "    original_count: 2\n    copy_count: 0\n    source: 政府部门核发\n    necessity: 必要\n    notes: 夫妻双方的居民户口簿",
              "    original_count: 1\n    copy_count: 0\n    source: 政府部门核发\n    necessity: 必要\n    notes: 夫妻双方的居民户口簿")  # fmt: skip
    body = diff_json(repo)
    assert scalar_changes(only_guide(body)) == [
        ("materials.jumin-hukoubu.original_count", "changed", 2, 1, "major")
    ]
    assert (
        body["notices"][0]["text"] == "申请材料：《居民户口簿》原件份数由 2 份调整为 1 份。" + TAIL
    )


def test_material_details_and_listed_values_say_what_happened(repo: Library) -> None:
    repo.edit(H, "    condition: 委托他人代为办理的。\n", "")
    repo.edit(H, "    form: 原件\n    medium: 纸质\n    original_count: 1\n",
              "    form: 原件\n    medium: 纸质或电子\n    original_count: 1\n")  # fmt: skip
    repo.edit(H, "    necessity: 必要\n    notes: 夫妻双方的居民身份证",
              "    necessity: 必要\n    condition: 本人办理的。\n    notes: 夫妻双方的居民身份证")  # fmt: skip
    repo.edit(H, "themes: [户籍办理]", "themes: [户籍办理, 婚育收养]")
    repo.edit(H, '  - phone: "12345"\n', "")
    texts = [n["text"] for n in diff_json(repo)["notices"]]
    assert texts == [
        "申请材料：《结婚证》材料载体由“纸质”调整为“纸质或电子”；"
        "《居民身份证》适用情形由待补充调整为“本人办理的”；"
        "《授权委托书》适用情形由“委托他人代为办理的”调整为待补充。"
        "监督投诉电话：删除“12345”。服务主题：新增“婚育收养”。" + TAIL
    ]


def test_condition_reworded_is_one_change(repo: Library) -> None:
    old = "被投靠方在示例市有合法稳定住所，申请迁入该住所落户。"
    new = "被投靠方在示例市有合法稳定住所（含租赁），申请迁入该住所落户。"
    repo.edit(H, old, new)
    body = diff_json(repo)
    assert scalar_changes(only_guide(body)) == [(f"conditions.{old}", "changed", old, new, "major")]
    assert only_guide(body)["changes"][0]["redline"] == [
        ["equal", "被投靠方在示例市有合法稳定住所"],
        ["insert", "（含租赁）"],
        ["equal", "，申请迁入该住所落户。"],
    ]
    assert body["notices"][0]["text"] == f"受理条件：“{old[:-1]}”修改为“{new[:-1]}”。" + TAIL


def test_time_limit_changed(repo: Library) -> None:
    repo.edit(
        H,
        "promised_time_limit: {value: 10, unit: 工作日}",
        "promised_time_limit: {value: 5, unit: 工作日}",
    )
    body = diff_json(repo)
    assert scalar_changes(only_guide(body)) == [
        ("promised_time_limit.value", "changed", 10, 5, "major")
    ]
    assert body["notices"][0]["text"] == "承诺办结时限：由 10 个工作日调整为 5 个工作日。" + TAIL


def test_fee_added(repo: Library) -> None:
    repo.edit(H, "fees:\n  charged: false\n", "fees:\n  charged: true\n  items:\n    - name: 户口簿工本费\n"
              "      standard: 每本 8 元\n      legal_basis: [hukou-tiaoli-10]\n")  # fmt: skip
    body = diff_json(repo)
    changes = only_guide(body)["changes"]
    assert [(c["path"], c["action"], c["class"]) for c in changes] == [
        ("fees.charged", "changed", "major"),
        ("fees.items.户口簿工本费", "added", "major"),
    ]
    assert (
        body["notices"][0]["text"]
        == "收费：由不收费调整为收费；新增收费项目“户口簿工本费”（每本 8 元）。" + TAIL
    )


def test_office_hours_changed_in_catalogue_lists_every_dependent_guide(repo: Library) -> None:
    repo.edit("catalogues/offices.yaml", "        hours: 8:30–12:00，14:00–17:30\n      - days: 周六",
              "        hours: 8:30–12:00，13:30–17:30\n      - days: 周六")  # fmt: skip
    body = diff_json(repo)
    assert [g["id"] for g in body["guides"]] == [
        "chusheng-dengji",
        HUKOU,
        "jumin-shenfenzheng-huanling",
        "linshi-jumin-shenfenzheng",
    ]
    for guide in body["guides"]:
        assert scalar_changes(guide) == [
            (
                "places.minsheng-paichusuo.hours.0.hours",
                "changed",
                "8:30–12:00，14:00–17:30",
                "8:30–12:00，13:30–17:30",
                "major",
            )
        ]
    assert body["notices"][1]["text"] == (
        "办理地点：“示例市公安局中心区分局民生派出所”办理时间调整为周一至周五（法定节假日除外） 8:30–12:00，13:30–17:30，"
        "周六 9:00–12:00（仅办理居民身份证业务）。" + TAIL
    )
    run = invoke("where-used", "minsheng-paichusuo", "--library", str(repo.root))
    assert [line.split("\t")[0] for line in run.lines] == [
        f"guides/{g['id']}.yaml" for g in body["guides"]
    ]


def test_legal_basis_repealed(repo: Library) -> None:
    repo.edit(
        "catalogues/legal-bases.yaml",
        "    in_force_from: 2014-07-24\n",
        "    in_force_from: 2014-07-24\n    repealed_on: 2026-11-01\n",
    )
    body = diff_json(repo)
    assert scalar_changes(only_guide(body)) == [
        (
            "materials.hefa-wending-zhusuo-zhengming.legal_basis.huji-gaige-yijian.repealed_on",
            "changed",
            None,
            "2026-11-01",
            "major",
        ),
        ("legal_basis.huji-gaige-yijian.repealed_on", "changed", None, "2026-11-01", "major"),
    ]
    title = "《国务院关于进一步推进户籍制度改革的意见》"
    assert body["notices"][0]["text"] == (
        f"申请材料：《合法稳定住所证明》的依据{title}已于 2026-11-01 废止。设定依据：{title}已于 2026-11-01 废止。"
        + TAIL
    )


def test_guide_added_and_removed(repo: Library) -> None:
    text = repo.read(H)
    repo.path(H).unlink()
    repo.write("guides/hukou-qianru-xin.yaml", text.replace(f"id: {HUKOU}", "id: hukou-qianru-xin"))
    repo.edit("catalogues/offices.yaml", f"items: [{HUKOU},", "items: [hukou-qianru-xin,")
    body = diff_json(repo)
    assert [(g["id"], g["status"], g["class"]) for g in body["guides"]] == [
        ("hukou-qianru-fuqi-toukao", "removed", "major"),
        ("hukou-qianru-xin", "added", "major"),
    ]
    assert [n["text"] for n in body["notices"]] == [
        "“夫妻投靠户口迁入”事项办事指南不再有效。",
        "新增“夫妻投靠户口迁入”事项办事指南。" + FILE_TAIL,
    ]
    assert body["summary"] == {"added": 1, "removed": 1, "changed": 0, "major": 2}


def test_minor_change_by_policy_and_library_override(repo: Library) -> None:
    repo.edit(
        H,
        "notes: 可通过婚姻登记信息共享核验的，免于提交。",
        "notes: 可通过婚姻登记信息共享核验的，免予提交。",
    )
    guide = only_guide(diff_json(repo))
    assert (guide["class"], guide["changes"][0]["class"]) == ("minor", "minor")
    repo.edit("library.yaml", "rules: {}", "rules: {}\nchange_policy:\n  materials.*.notes: major")
    assert only_guide(diff_json(repo))["class"] == "major"


def test_reordering_and_reformatting_change_nothing(repo: Library) -> None:
    before = load_state(WorkingTree(repo.root))
    text = repo.read(H)
    # reorder two materials, two conditions and top-level keys; requote; add comments
    block_a = text[
        text.index("  - material: jumin-shenfenzheng\n") : text.index(
            "  - material: jumin-hukoubu\n"
        )
    ]
    block_b = text[
        text.index("  - material: jumin-hukoubu\n") : text.index("  - material: jiehunzheng\n")
    ]
    text = text.replace(block_a + block_b, block_b + block_a)
    text = text.replace("  - 申请人与示例市常住户口居民依法登记结婚。\n  - 被投靠方在示例市有合法稳定住所，申请迁入该住所落户。\n",
                        "  - 被投靠方在示例市有合法稳定住所，申请迁入该住所落户。\n  - '申请人与示例市常住户口居民依法登记结婚。'\n")  # fmt: skip
    text = text.replace(
        "name: 夫妻投靠户口迁入\n", '# 事项名称\nname: "夫妻投靠户口迁入"  # 与实施清单一致\n'
    )
    text = text.replace("exercise_level: 4\n", "") + "exercise_level: 4\n"
    text = text.replace("service_objects: [1]", "service_objects:\n  - 1")
    repo.write(H, text)
    after = load_state(WorkingTree(repo.root))
    from guidesrc.compile import compile_guide

    def hash_of(state: Any) -> str:
        return content_hash(compile_guide(state.guides[HUKOU], state.catalogues))

    assert hash_of(before) == hash_of(after)
    run = invoke("diff", str(repo.root), "--exit-code")
    assert run.exit_code == 0
    assert run.stdout.startswith("HEAD (")  # "HEAD (…) 与 工作区 之间没有变更"
    assert "之间没有变更" in run.stdout


def test_exit_code_option_and_revisions(repo: Library) -> None:
    repo.edit(
        H,
        "promised_time_limit: {value: 10, unit: 工作日}",
        "promised_time_limit: {value: 5, unit: 工作日}",
    )
    assert invoke("diff", str(repo.root), "--exit-code").exit_code == 1
    git(repo.root, "commit", "-qam", "shorter")
    assert invoke("diff", str(repo.root), "--exit-code").exit_code == 0
    body = diff_json(repo, "--base", "HEAD~1", "--head", "HEAD")
    assert scalar_changes(only_guide(body)) == [
        ("promised_time_limit.value", "changed", 10, 5, "major")
    ]


def test_terminal_and_markdown_output(repo: Library) -> None:
    repo.edit(
        H,
        "promised_time_limit: {value: 10, unit: 工作日}",
        "promised_time_limit: {value: 5, unit: 工作日}",
    )
    repo.edit(H, "申请人未在其他城市办理过同类投靠落户", "申请人未在其他城市办理过投靠落户")
    lines = invoke("diff", str(repo.root), "--no-color").lines
    assert lines[2] == f"变更 夫妻投靠户口迁入（{HUKOU}）{H} [实质性变更]"
    assert "  修改 受理条件：申请人未在其他城市办理过[-同类-]投靠落户且未被注销户口。" in lines
    assert "  修改 承诺办结时限 › 数值：10 → 5" in lines
    assert lines[-1] == "变更 1 项，新增 0 项，删除 0 项；其中实质性变更 1 项"
    markdown = invoke("diff", str(repo.root), "--format", "markdown").stdout
    assert markdown.startswith("### 办事指南变更：1 项（实质性变更 1 项）\n")
    assert f"| 夫妻投靠户口迁入 | `{H}` | 变更 | 实质性变更 | {TODAY} |" in markdown
    assert "申请人未在其他城市办理过~~同类~~投靠落户且未被注销户口。" in markdown


def test_revision_that_does_not_exist(repo: Library) -> None:
    run = invoke("diff", str(repo.root), "--base", "v9.9")
    assert (run.exit_code, run.stdout) == (2, "")
    assert run.stderr == f"错误：{repo.root} 中不存在版本“v9.9”\n"


def test_library_that_is_not_a_git_repository(library: Library) -> None:
    run = invoke("diff", str(library.root))
    assert run.exit_code == 2
    assert run.stderr == f"错误：{library.root} 不在 git 仓库中；请先在该目录运行 git init\n"


def test_base_state_that_no_longer_validates(repo: Library) -> None:
    repo.edit(H, "case_type: 承诺件", "case_type: 承诺")
    git(repo.root, "commit", "-qam", "broken")
    repo.edit(H, "case_type: 承诺", "case_type: 承诺件")
    run = invoke("diff", str(repo.root))
    assert run.exit_code == 2
    assert run.stderr.startswith("错误：HEAD (")
    assert run.stderr.endswith(f"：有 1 个文件未通过 guides check（如 {H}），请先修正\n")


def test_pre_commit_hooks_name_real_commands() -> None:
    import yaml

    from tests.conftest import REPO

    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert {h["id"] for h in hooks} == {"guides-check", "guides-diff"}
    for hook in hooks:
        program, command = hook["entry"].split()
        assert program == "guides"
        assert invoke(command, "--help").exit_code == 0


def test_worker_processes_give_the_same_change_set(
    repo: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    from guidesrc.diff import changeset

    repo.edit(
        "catalogues/offices.yaml",
        "        hours: 8:30–12:00，14:00–17:30\n",
        "        hours: 8:30–11:30，14:00–17:30\n",
    )
    one = diff_json(repo)
    monkeypatch.setattr(changeset, "PARALLEL_MIN_GUIDES", 1)
    (repo.root / ".guides" / "cache" / "guides.sqlite").unlink()  # workers validate and hash
    assert diff_json(repo) == one
    assert diff_json(repo) == one  # from what the workers added to the cache
    assert len(one["guides"]) == 4


def test_parse_cache_is_only_an_optimisation(repo: Library) -> None:
    repo.edit(
        H,
        "promised_time_limit: {value: 10, unit: 工作日}",
        "promised_time_limit: {value: 5, unit: 工作日}",
    )
    first = diff_json(repo)
    cache = repo.root / ".guides" / "cache" / "guides.sqlite"
    assert cache.stat().st_size > 0
    assert diff_json(repo) == first  # from the cache
    cache.write_bytes(b"this is not a database")
    assert diff_json(repo) == first
    cache.unlink()
    cache.parent.chmod(0o500)
    try:
        assert diff_json(repo) == first
    finally:
        cache.parent.chmod(0o700)


def test_catalogues_from_the_parse_cache_give_the_same_changes(repo: Library) -> None:
    repo.edit("catalogues/offices.yaml", "        hours: 8:30–12:00，14:00–17:30\n      - days: 周六",
              "        hours: 8:30–12:00，13:30–17:30\n      - days: 周六")  # fmt: skip
    first = diff_json(repo)  # parses both states' catalogues and keeps their data
    assert [g["id"] for g in first["guides"]] == [
        "chusheng-dengji",
        HUKOU,
        "jumin-shenfenzheng-huanling",
        "linshi-jumin-shenfenzheng",
    ]
    db = sqlite3.connect(repo.root / ".guides" / "cache" / "guides.sqlite")
    try:
        kept = db.execute("SELECT count(*) FROM parsed WHERE id LIKE 'catalogue %'").fetchone()
        assert kept == (5,)  # four catalogues at HEAD, and the changed offices file
        assert diff_json(repo) == first  # each entry validated from the kept data when used
        # Rows not written by this machine (their MAC fails) are not believed: parsed again.
        db.execute("UPDATE parsed SET data = ? WHERE id LIKE 'catalogue %'", (b'{"entries": {}}',))
        db.commit()
        assert diff_json(repo) == first
    finally:
        db.close()


def test_where_used_follows_legal_bases_through_materials(example: Library) -> None:
    run = invoke("where-used", "huji-gaige-yijian", "--library", str(example.root))
    assert run.lines == [f"{H}\t夫妻投靠户口迁入"]
    assert run.stderr == "1 个办事指南使用了 huji-gaige-yijian\n"


def test_where_used_unknown_entry(example: Library) -> None:
    run = invoke("where-used", "no-such-entry", "--library", str(example.root))
    assert (run.exit_code, run.stderr) == (2, "错误：目录中没有“no-such-entry”\n")


def test_release_notice_gathers_every_guide(repo: Library) -> None:
    repo.edit(
        "catalogues/offices.yaml",
        "        hours: 8:30–12:00，14:00–17:30\n",
        "        hours: 8:30–11:30，14:00–17:30\n",
    )
    release = diff_json(repo)["release_notice"]
    assert release["summary"] == "本次调整办事指南 4 项（变更 4 项）。"
    lines = release["text"].splitlines()
    assert lines[:2] == ["办事指南变更公告", "本次调整办事指南 4 项（变更 4 项）。"]
    assert lines[2].startswith("一、出生登记：办理地点：")
    assert lines[5].startswith("四、临时居民身份证")


def test_chinese_ordinals() -> None:
    from guidesrc.diff.notice import _ordinal

    assert [_ordinal(n) for n in (1, 9, 10, 11, 20, 42, 99, 100)] == [
        "一",
        "九",
        "十",
        "十一",
        "二十",
        "四十二",
        "九十九",
        "100",
    ]


def test_inserting_a_step_moves_no_other_and_a_swap_is_one_move(repo: Library) -> None:
    step = "  - name: 预约\n    description: 申请人通过网上办事大厅预约办理时间。\n"
    repo.edit(H, "procedure:\n", "procedure:\n" + step)
    changes = only_guide(diff_json(repo))["changes"]
    assert [(c["path"], c["action"]) for c in changes] == [("procedure.预约", "added")]
    repo.edit(H, "procedure:\n" + step, "procedure:\n")
    text = repo.read(H)
    first = text[text.index("  - name: 受理\n") : text.index("  - name: 审查\n")]
    second = text[text.index("  - name: 审查\n") : text.index("  - name: 决定\n")]
    repo.write(H, text.replace(first + second, second + first))
    body = diff_json(repo)
    assert [(c["path"], c["action"], c["class"]) for c in only_guide(body)["changes"]] == [
        ("procedure.审查", "moved", "major")
    ]
    assert body["notices"][0]["text"] == "办理流程：调整“审查”环节的顺序。" + TAIL


def test_content_hash_is_the_sha256_of_the_canonical_bytes(example: Library) -> None:
    import hashlib

    from guidesrc.compile import canonical_bytes, compile_guide

    state = load_state(WorkingTree(example.root))
    for guide in state.guides.values():
        compiled = compile_guide(guide, state.catalogues)
        expected = hashlib.sha256(canonical_bytes(compiled)).hexdigest()
        assert content_hash(compiled) == content_hash(compiled, {}) == expected


def test_faq_answer_changed_in_the_knowledge_base_is_minor_everywhere(repo: Library) -> None:
    repo.edit(
        "catalogues/faq.yaml",
        "办结后系统会以短信通知申请人。",
        "办结后系统会以短信和站内信通知申请人。",
    )
    body = diff_json(repo)
    assert len(body["guides"]) == 11
    for guide in body["guides"]:
        assert [(c["path"], c["class"]) for c in guide["changes"]] == [
            ("faq.jindu-chaxun.answer", "minor")
        ]
        assert guide["class"] == "minor"
    assert body["notices"][0]["text"].startswith(
        "常见问题：“提交申请后，怎么查询办到哪一步了？”的解答已更新。"
    )


def test_material_renamed_in_the_catalogue(repo: Library) -> None:
    repo.edit(
        "catalogues/materials.yaml", "    name: 结婚证\n", "    name: 结婚证（电子证照可替代）\n"
    )
    body = diff_json(repo)
    assert [g["id"] for g in body["guides"]] == ["chusheng-dengji", HUKOU]
    for guide in body["guides"]:
        assert scalar_changes(guide) == [
            ("materials.jiehunzheng.name", "changed", "结婚证", "结婚证（电子证照可替代）", "major")
        ]
    assert "申请材料：《结婚证》更名为《结婚证（电子证照可替代）》。" in body["notices"][1]["text"]


def test_guide_with_its_own_edit_beside_an_office_change(repo: Library) -> None:
    """A guide whose file changed is compared whole: its own edit and the office's new hours."""
    repo.edit("catalogues/offices.yaml", "        hours: 8:30–12:00，14:00–17:30\n      - days: 周六",
              "        hours: 8:30–12:00，13:30–17:30\n      - days: 周六")  # fmt: skip
    repo.edit(
        H,
        "promised_time_limit: {value: 10, unit: 工作日}",
        "promised_time_limit: {value: 5, unit: 工作日}",
    )
    hours = ("places.minsheng-paichusuo.hours.0.hours", "changed", "8:30–12:00，14:00–17:30",
             "8:30–12:00，13:30–17:30", "major")  # fmt: skip
    for _run in ("compiled and hashed", "hashes from the parse cache"):
        body = diff_json(repo)
        by_id = {g["id"]: g for g in body["guides"]}
        assert list(by_id) == [
            "chusheng-dengji",
            HUKOU,
            "jumin-shenfenzheng-huanling",
            "linshi-jumin-shenfenzheng",
        ]
        assert scalar_changes(by_id[HUKOU]) == [
            ("promised_time_limit.value", "changed", 10, 5, "major"),
            hours,
        ]
        assert scalar_changes(by_id["chusheng-dengji"]) == [hours]
        assert body["notices"][1]["text"].startswith(
            "承诺办结时限：由 10 个工作日调整为 5 个工作日。办理地点："
        )
        assert_hashes_of_whole_guides(repo, body)


def assert_hashes_of_whole_guides(repo: Library, body: dict[str, Any]) -> None:
    """The hashes in a change set are those of the guides compiled whole in each state."""
    from guidesrc.compile import compile_guide
    from guidesrc.state import GitTree

    for state, key in ((load_state(GitTree(repo.root, "HEAD")), "old_hash"),
                       (load_state(WorkingTree(repo.root)), "new_hash")):  # fmt: skip
        for guide in body["guides"]:
            compiled = compile_guide(state.guides[guide["id"]], state.catalogues)
            assert guide[key] == content_hash(compiled)


def test_reordering_a_list_in_a_catalogue_entry_changes_nothing(repo: Library) -> None:
    repo.edit(
        "catalogues/offices.yaml",
        "phones: [0990-66001111]",
        "phones: [0990-66001111, 0990-66001112]",
    )
    git(repo.root, "commit", "-qam", "a second phone")
    repo.edit(
        "catalogues/offices.yaml",
        "phones: [0990-66001111, 0990-66001112]",
        "phones: [0990-66001112, 0990-66001111]",
    )
    assert diff_json(repo)["guides"] == []


def test_working_tree_files_have_their_git_blob_ids(repo: Library) -> None:
    """So that comparing HEAD with the working tree skips the files as they were committed."""
    from guidesrc.state import GitTree

    rels = [H, "catalogues/offices.yaml"]
    repo.edit(H, "name: 夫妻投靠户口迁入\n", "name: 夫妻投靠户口迁入（修订）\n")
    head = GitTree(repo.root, "HEAD").content_ids(rels)
    here = WorkingTree(repo.root).content_ids(rels)
    assert here["catalogues/offices.yaml"] == head["catalogues/offices.yaml"]  # as committed
    assert here[H] != head[H]
    assert here[H] == git(repo.root, "hash-object", H).strip()
