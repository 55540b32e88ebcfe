"""Each rule of `guides check`, broken once: the exact line an editor sees, and the exit code."""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Callable
from zoneinfo import ZoneInfo

import orjson
import pytest

from guidesrc.check.cachecodec import BadShape, diagnostic, diagnostic_data
from guidesrc.check.rules import RULES
from guidesrc.diagnostics import Diagnostic, RuleId
from tests.conftest import GUIDE, Library

Edit = Callable[[Library], None]


def replace(rel: str, old: str, new: str) -> Edit:
    return lambda lib: lib.edit(rel, old, new)


def write(rel: str, text: str | bytes) -> Edit:
    return lambda lib: lib.write(rel, text)


def _committed(lib: Library) -> None:
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "base"]):
        subprocess.run(["git", *args], cwd=lib.root, check=True)


def both(*edits: Edit) -> Edit:
    def apply(lib: Library) -> None:
        for edit in edits:
            edit(lib)

    return apply


def remove(rel: str) -> Edit:
    return lambda lib: lib.path(rel).unlink()


LEGAL = "catalogues/legal-bases.yaml"
MATERIALS = "catalogues/materials.yaml"
OFFICES = "catalogues/offices.yaml"
FAQ = "catalogues/faq.yaml"
REPEALED = """  old-rule:
    title: 《旧办法》
    issuer: 示例市人民政府
    level: 地方政府规章
    in_force_from: 2001-01-01
    repealed_on: 2020-01-01
    replaced_by: shenfenzheng-fa-11
"""

# rule id → (edit, exact stdout lines)
# rule id → (edit, exact stdout lines); {GUIDE} is the guide's path, {today} today's date.
CASES: dict[str, tuple[Edit, list[str]]] = {
    "encoding": (
        write(GUIDE, "id: x\nname: 居民身份证\n".encode("gbk")),
        [
            "{GUIDE}:2:7: 文件不是 UTF-8 编码的文本（发现 0xBE）（修改建议：请以“UTF-8”编码保存文件（记事本：另存为 → 编码 → UTF-8）） [encoding]",
        ],
    ),
    "file-too-large": (
        write(GUIDE, "# " + "x" * (3 * 1024 * 1024) + "\n"),
        [
            "{GUIDE}:1:1: 文件大小为 3.0 MB，超过单个文件上限 1.0 MB（修改建议：请拆分内容；附件放到 files/ 目录下再引用） [file-too-large]",
        ],
    ),
    "yaml-syntax": (
        replace(GUIDE, "name: 居民身份证换领", 'name: "居民身份证换领'),
        [
            "{GUIDE}:4:14: 此处的引号没有闭合（修改建议：请补上右引号，或删除左引号） [yaml-syntax]",
        ],
    ),
    "yaml-structure": (
        write(GUIDE, "- 居民身份证换领\n"),
        [
            "{GUIDE}:1:1: 文件内容应为字段（“字段: 值”的形式），而不是列表（修改建议：顶层每行以字段名和冒号开头，例如“name: 户口迁移”） [yaml-structure]",
        ],
    ),
    "duplicate-key": (
        replace(GUIDE, 'item_type: "20"\n', 'item_type: "20"\nname: 重复\n'),
        [
            "{GUIDE}:7:1: 同一层级中字段“name”出现了两次（第一次在第 3 行）（修改建议：请只保留一个；其他工具会悄悄只采用后一个） [duplicate-key]",
        ],
    ),
    "schema": (
        replace(GUIDE, "  nature: 1\n", "  nature: 1\n  natrue: 1\n"),
        [
            "{GUIDE}:12:3: implementing_body.natrue: 未知字段“natrue”（修改建议：是不是要写“nature”？） [schema]",
        ],
    ),
    "channel": (
        replace(
            "library.yaml",
            "      path: .guides/published\n",
            "      path: .guides/published\n      colour: blue\n",
        ),
        [
            "library.yaml:12:7: channels.archive.settings.colour: 未知字段“colour”（修改建议：请删除，或使用以下字段之一：path） [channel]",
        ],
    ),
    "file-name": (
        both(
            replace(GUIDE, "id: jumin-shenfenzheng-huanling", "id: Bad_Name"),
            lambda lib: lib.path(GUIDE).rename(lib.path("guides/Bad_Name.yaml")),
        ),
        [
            "catalogues/offices.yaml:10:17: entries.zhongxin-dating.windows.a-03.items[0]: 未知的办事指南“jumin-shenfenzheng-huanling”（修改建议：请在 guides/ 中登记，或更正标识） [unknown-reference]",
            "guides/Bad_Name.yaml:1:1: 文件名“Bad_Name”不是合法的标识（修改建议：请重命名文件：1–64 个小写字母、数字、“-”或“_”，扩展名为 .yaml） [file-name]",
            "guides/Bad_Name.yaml:2:5: id: “Bad_Name”的格式不正确（修改建议：请使用 1–64 个小写字母、数字、“-”或“_”，例如 hukou-qianru；不能包含“/”和“..”） [schema]",
        ],
    ),
    "id-mismatch": (
        replace(GUIDE, "id: jumin-shenfenzheng-huanling", "id: shenfenzheng"),
        [
            "catalogues/offices.yaml:10:17: entries.zhongxin-dating.windows.a-03.items[0]: 未知的办事指南“jumin-shenfenzheng-huanling”（修改建议：请在 guides/ 中登记，或更正标识） [unknown-reference]",
            "{GUIDE}:2:5: id: 标识“shenfenzheng”与文件名“jumin-shenfenzheng-huanling”不一致（修改建议：请把文件改名为 shenfenzheng.yaml，或把 id 改为“jumin-shenfenzheng-huanling”） [id-mismatch]",
        ],
    ),
    "duplicate-id": (
        lambda lib: lib.write(
            "guides/more/jumin-shenfenzheng-huanling.yaml",
            lib.read(GUIDE).replace(
                "11990100MB1A00010Q7000107001000", "11990100MB1A00010Q7000107001001"
            ),
        ),
        [
            "guides/more/jumin-shenfenzheng-huanling.yaml:2:5: id: 标识“jumin-shenfenzheng-huanling”已被 {GUIDE} 使用（修改建议：每个指南的标识必须不同；标识是其网页地址的一部分） [duplicate-id]",
        ],
    ),
    "duplicate-code": (
        lambda lib: lib.write(
            "guides/jumin-shenfenzheng-buling.yaml",
            lib.read(GUIDE).replace(
                "id: jumin-shenfenzheng-huanling", "id: jumin-shenfenzheng-buling"
            ),
        ),
        [
            "{GUIDE}:5:22: implementation_code: 实施编码 11990100MB1A00010Q7000107001000 已被 guides/jumin-shenfenzheng-buling.yaml 使用（修改建议：每个事项都有自己的实施编码，请核对实施清单） [duplicate-code]",
        ],
    ),
    "credit-code": (
        replace(GUIDE, "credit_code: 11990100MB1A00010Q", "credit_code: 11990100MB1A00010R"),
        [
            "{GUIDE}:10:16: implementing_body.credit_code: 统一社会信用代码 11990100MB1A00010R 的校验码不正确（修改建议：请从营业执照或机构登记信息中重新抄录该代码） [credit-code]",
        ],
    ),
    "material-legal-basis": (
        replace(MATERIALS, "    legal_basis: [shenfenzheng-fa-11]\n", ""),
        [
            "{GUIDE}:19:5: materials[0]: 材料“居民身份证”没有现行有效的法律法规依据（证明材料没有法律法规依据的一律取消）（修改建议：请在 catalogues/materials.yaml 的 jumin-shenfenzheng 中补充依据，或取消该材料） [material-legal-basis]",
        ],
    ),
    "legal-basis-repealed": (
        both(
            lambda lib: lib.write(LEGAL, lib.read(LEGAL) + REPEALED),
            replace(GUIDE, "legal_basis: [shenfenzheng-fa-11]", "legal_basis: [old-rule]"),
        ),
        [
            "{GUIDE}:15:15: legal_basis[0]: 《旧办法》已于 2020-01-01 废止（修改建议：请改为引用《中华人民共和国居民身份证法》（shenfenzheng-fa-11）） [legal-basis-repealed]",
        ],
    ),
    "legal-basis-not-in-force": (
        replace(
            LEGAL,
            "    in_force_from: 2004-01-01\n  shenfenzheng-gongbenfei",
            "    in_force_from: 2099-01-01\n  shenfenzheng-gongbenfei",
        ),
        [
            "catalogues/materials.yaml:7:19: entries.jumin-shenfenzheng.legal_basis[0]: 《中华人民共和国居民身份证法》自 2099-01-01 起才施行，晚于 {today}（修改建议：请引用现行有效的依据，或把指南的 effective_date 设为 2099-01-01 或之后） [legal-basis-not-in-force]",
            "{GUIDE}:15:15: legal_basis[0]: 《中华人民共和国居民身份证法》自 2099-01-01 起才施行，晚于 {today}（修改建议：请引用现行有效的依据，或把指南的 effective_date 设为 2099-01-01 或之后） [legal-basis-not-in-force]",
            "{GUIDE}:19:5: materials[0]: 材料“居民身份证”没有现行有效的法律法规依据（证明材料没有法律法规依据的一律取消）（修改建议：请在 catalogues/materials.yaml 的 jumin-shenfenzheng 中补充依据，或取消该材料） [material-legal-basis]",
        ],
    ),
    "reference-cycle": (
        both(
            lambda lib: lib.write(
                LEGAL,
                lib.read(LEGAL)
                + REPEALED.replace("replaced_by: shenfenzheng-fa-11", "replaced_by: old-rule-2")
                + REPEALED.replace("old-rule:", "old-rule-2:").replace(
                    "replaced_by: shenfenzheng-fa-11", "replaced_by: old-rule"
                ),
            ),
            replace(
                GUIDE,
                "legal_basis: [shenfenzheng-fa-11]",
                "legal_basis: [shenfenzheng-fa-11, old-rule]",
            ),
        ),
        [
            "catalogues/legal-bases.yaml:29:18: entries.old-rule-2.replaced_by: replaced_by 形成了循环：old-rule → old-rule-2 → old-rule（修改建议：依据不能直接或间接地被自身取代，请更正 replaced_by） [reference-cycle]",
            "{GUIDE}:15:35: legal_basis[1]: 《旧办法》已于 2020-01-01 废止（修改建议：请删除，或改为引用现行有效的依据） [legal-basis-repealed]",
        ],
    ),
    "unknown-reference": (
        replace(GUIDE, "  - material: jumin-shenfenzheng\n", "  - material: jumin-shenfenzhen\n"),
        [
            "catalogues/materials.yaml:3:3: entries.jumin-shenfenzheng: 警告：“jumin-shenfenzheng”没有被任何办事指南使用（修改建议：请删除该条目，或在需要它的指南中引用） [unused-entry]",
            "{GUIDE}:19:15: materials[0].material: 未知的材料“jumin-shenfenzhen”（修改建议：是不是要写“jumin-shenfenzheng”？） [unknown-reference]",
        ],
    ),
    "missing-file": (
        replace(
            GUIDE,
            "    notes: 交回原居民身份证。\n",
            "    notes: 交回原居民身份证。\n    blank_form: files/shenqingbiao.pdf\n",
        ),
        [
            "{GUIDE}:27:17: materials[0].blank_form: 资料库中没有文件 files/shenqingbiao.pdf（修改建议：请把文件放到 files/ 目录下，或更正路径） [missing-file]",
        ],
    ),
    "unused-entry": (
        lambda lib: lib.write(
            FAQ,
            lib.read(FAQ)
            + "  weiyong:\n    question: 没人引用的问题？\n    answer: 没人引用的解答。\n",
        ),
        [
            "catalogues/faq.yaml:7:3: entries.weiyong: 警告：“weiyong”没有被任何办事指南使用（修改建议：请删除该条目，或在需要它的指南中引用） [unused-entry]",
        ],
    ),
    "to-complete": (
        replace(
            GUIDE, "legal_basis: [shenfenzheng-fa-11]\n", "pending: [legal_basis, effective_date]\n"
        ),
        [
            "{GUIDE}:15:1: pending: 警告：待补充 2 项：设定依据、具体实施时间（修改建议：请向承办部门核实后补充，并从 pending 中删除） [to-complete]",
            "{GUIDE}:15:24: pending[1]: 警告：具体实施时间（effective_date）已经填写，但仍列在待补充（pending）中（修改建议：请从 pending 中删除“effective_date”） [to-complete]",
        ],
    ),
    "incomplete-guide": (
        replace(
            GUIDE,
            "consult_phones:\n  - phone: 0990-12345678\n    note: 工作日 9:00–17:00\n",
            "pending: [consult_phones]\n",
        ),
        [
            "{GUIDE}:47:1: pending: 警告：咨询电话尚待补充：资料库要求审核前必须已知，guides approve 将拒绝审核通过本指南（修改建议：请向责任部门核实后补充；如需先行发布（页面注明“部分内容正在完善中”），在 library.yaml 中设置 completeness.allow_incomplete: true） [incomplete-guide]",
            "{GUIDE}:47:1: pending: 警告：待补充 1 项：咨询电话（修改建议：请向承办部门核实后补充，并从 pending 中删除） [to-complete]",
        ],
    ),
    "window-place": (
        lambda lib: lib.write(
            OFFICES,
            lib.read(OFFICES)
            + "  fenting:\n    name: 示例市政务服务中心东区分厅\n    address: 示例市东区 2 号\n    windows:\n      c-01:\n        name: C01 窗口\n        items: [jumin-shenfenzheng-huanling]\n    hours:\n      - days: 周一至周五\n        hours: 9:00–12:00\n",
        ),
        [
            "catalogues/offices.yaml:15:3: entries.fenting: 警告：“fenting”没有被任何办事指南使用（修改建议：请删除该条目，或在需要它的指南中引用） [unused-entry]",
            "catalogues/offices.yaml:21:17: entries.fenting.windows.c-01.items[0]: 窗口“c-01”办理“jumin-shenfenzheng-huanling”，但该指南的办理地点中没有 fenting（修改建议：请在该指南的 places 中加入 fenting，或从该窗口的事项中删除它） [window-place]",
        ],
    ),
    "time-limit-exceeds": (
        replace(
            GUIDE,
            "promised_time_limit: {value: 20, unit: 自然日}",
            "promised_time_limit: {value: 90, unit: 自然日}",
        ),
        [
            "{GUIDE}:35:30: promised_time_limit.value: 承诺办结时限（90 个自然日）超过了法定办结时限（60 个自然日）（修改建议：承诺时限不得超过法定时限，请缩短） [time-limit-exceeds]",
        ],
    ),
    "time-limit-units": (
        replace(
            GUIDE,
            "promised_time_limit: {value: 20, unit: 自然日}",
            "promised_time_limit: {value: 20, unit: 工作日}",
        ),
        [
            "{GUIDE}:35:40: promised_time_limit.unit: 法定办结时限以自然日计，承诺办结时限却以工作日计（修改建议：请用同一单位填写两个时限） [time-limit-units]",
        ],
    ),
    "immediate-case": (
        replace(GUIDE, "case_type: 承诺件", "case_type: 即办件"),
        [
            "{GUIDE}:35:30: promised_time_limit.value: 即办件应当场办结，但承诺办结时限为 20 个自然日（修改建议：请把 promised_time_limit.value 改为 0，或把 case_type 改为承诺件） [immediate-case]",
        ],
    ),
    "promised-case": (
        replace(
            GUIDE,
            "promised_time_limit: {value: 20, unit: 自然日}",
            "promised_time_limit: {value: 0, unit: 自然日}",
        ),
        [
            "{GUIDE}:35:30: promised_time_limit.value: 承诺件的承诺办结时限至少为 1 天（修改建议：请填写承诺办结天数，或把 case_type 改为即办件） [promised-case]",
        ],
    ),
    "fee-items": (
        replace(GUIDE, "  charged: true\n", "  charged: false\n"),
        [
            "{GUIDE}:38:12: fees.charged: 标明不收费（charged: false），却列出了收费项目（修改建议：请删除收费项目，或设置 charged: true） [fee-items]",
        ],
    ),
    "fee-basis": (
        replace(GUIDE, "      legal_basis: [shenfenzheng-gongbenfei]\n", ""),
        [
            "catalogues/legal-bases.yaml:10:3: entries.shenfenzheng-gongbenfei: 警告：“shenfenzheng-gongbenfei”没有被任何办事指南使用（修改建议：请删除该条目，或在需要它的指南中引用） [unused-entry]",
            "{GUIDE}:40:7: fees.items[0]: 收费项目“居民身份证工本费”没有收费依据（修改建议：请从 catalogues/legal-bases.yaml 中引用该项收费的依据） [fee-basis]",
        ],
    ),
    "material-count": (
        both(
            replace(GUIDE, "    form: 原件\n", "    form: 原件和复印件\n"),
            replace(GUIDE, "    original_count: 1\n", "    original_count: 0\n"),
        ),
        [
            "{GUIDE}:22:21: materials[0].original_count: 材料形式为原件和复印件，但原件份数为 0（修改建议：请填写所需原件份数，或更正材料形式） [material-count]",
            "{GUIDE}:23:17: materials[0].copy_count: 材料形式为原件和复印件，但复印件份数为 0（修改建议：请填写所需复印件份数，或更正材料形式） [material-count]",
        ],
    ),
    "onsite-reason": (
        replace(GUIDE, "  reason: 需现场采集人像和指纹信息。\n", ""),
        [
            "{GUIDE}:53:10: onsite_visits.count: 需要到现场 1 次，但没有说明必须到现场的原因（修改建议：请说明申请人必须到现场的原因，或把到现场次数改为 0） [onsite-reason]",
        ],
    ),
    "online-url": (
        replace(GUIDE, "handling_forms: [1]", "handling_forms: [1, 2]"),
        [
            "{GUIDE}:55:1: handling_forms: 办理形式包含网上办理（2），但没有填写网上办理地址（修改建议：请在 online.url 填写网上办事大厅中的办理地址，或从 handling_forms 中删除 2） [online-url]",
        ],
    ),
    "hidden-characters": (
        replace(GUIDE, "notes: 交回原居民身份证。", "notes: 交回原居民\u202e身份证。"),
        [
            "{GUIDE}:26:17: materials[0].notes: 文字中含有不可见的控制字符（U+202E）"
            "（修改建议：请删除：重新输入该段文字，或以纯文本方式粘贴） [hidden-characters]"
        ],
    ),
    "unprintable": (
        replace(GUIDE, "notes: 交回原居民身份证。", "notes: 交回原居民身份证😀。"),
        [
            "{GUIDE}:26:20: materials[0].notes: 字符“😀”（U+1F600）无法打印：打印字体中没有这个字符，打印的办事指南会因此失败"
            "（修改建议：改用常用字符书写：表情符号或特殊符号改用文字说明，生僻字改用通用写法或加以描述（如“左土右冓”）；其他文字需要打印字体支持） [unprintable]"
        ],
    ),
    "personal-data": (
        replace(
            GUIDE,
            "notes: 交回原居民身份证。",
            "notes: 交回原居民身份证，如 11010519491231002X，或联系 13912345678。",
        ),
        [
            "{GUIDE}:26:23: materials[0].notes: 文字中含有居民身份证号码（110***********002X）（修改建议：请删除个人信息（去标识化）；示例可写作 110101********1234） [personal-data]",
            "{GUIDE}:26:46: materials[0].notes: 联系电话字段以外的文字中含有手机号码（139****5678）（修改建议：请删除个人号码；服务电话应填在 consult_phones 中） [personal-data]",
        ],
    ),
    "missing-catalogue": (
        remove(FAQ),
        [
            "catalogues/faq.yaml:1:1: 缺少该目录文件（修改建议：请新建该文件，内容为“entries: {{}}”（guides init 会创建全部目录）） [missing-catalogue]",
        ],
    ),
    "empty-library": (
        remove(GUIDE),
        [
            "catalogues/faq.yaml:3:3: entries.shenfenzheng-yidi: 警告：“shenfenzheng-yidi”没有被任何办事指南使用（修改建议：请删除该条目，或在需要它的指南中引用） [unused-entry]",
            "catalogues/legal-bases.yaml:10:3: entries.shenfenzheng-gongbenfei: 警告：“shenfenzheng-gongbenfei”没有被任何办事指南使用（修改建议：请删除该条目，或在需要它的指南中引用） [unused-entry]",
            "catalogues/materials.yaml:3:3: entries.jumin-shenfenzheng: 警告：“jumin-shenfenzheng”没有被任何办事指南使用（修改建议：请删除该条目，或在需要它的指南中引用） [unused-entry]",
            "catalogues/offices.yaml:3:3: entries.zhongxin-dating: 警告：“zhongxin-dating”没有被任何办事指南使用（修改建议：请删除该条目，或在需要它的指南中引用） [unused-entry]",
            "catalogues/offices.yaml:10:17: entries.zhongxin-dating.windows.a-03.items[0]: 未知的办事指南“jumin-shenfenzheng-huanling”（修改建议：请在 guides/ 中登记，或更正标识） [unknown-reference]",
            "guides/:1:1: 资料库中没有任何办事指南（修改建议：请在 guides/ 下为每个事项建立一个 YAML 文件，例如 guides/hukou-qianru.yaml） [empty-library]",
        ],
    ),
    "approvers": (
        write(
            "approvers.yaml",
            "approvers:\n"
            "  - name: 审核员乙\n"
            f"    key: ed25519:{'A' * 43}=\n"
            "    identities: [yi@example.invalid]\n"
            '  - name: "编辑\\u200b甲"\n'
            f"    key: ed25519:{'A' * 43}=\n"
            "    identities: [YI@example.invalid]\n",
        ),
        [
            "approvers.yaml:5:11: approvers[1].name: 含有不可见或特殊字符；请写作 编辑甲（修改建议：每名审核人须有姓名、公钥和其 git 身份（用 guides approvers key 生成）） [approvers]",
            "approvers.yaml:6:10: approvers[1].key: 与 approvers[0] 的密钥相同（修改建议：每名审核人须有姓名、公钥和其 git 身份（用 guides approvers key 生成）） [approvers]",
            "approvers.yaml:7:18: approvers[1].identities[0]: YI@example.invalid 也是 approvers[0] 的身份：一个身份只能属于一个人（修改建议：每名审核人须有姓名、公钥和其 git 身份（用 guides approvers key 生成）） [approvers]",
        ],
    ),
    "synonyms": (
        write(
            "catalogues/synonyms.yaml",
            "synonyms:\n"
            "  - words: [社会保险, 社保]\n"
            "  - words: [低保]\n"
            "  - words: [医保, 基本医疗保险, 医保]\n"
            "  - words: [社保, 社保卡]\n",
        ),
        [
            "catalogues/synonyms.yaml:3:5: synonyms[1].words: 这一组只有一个词（低保）：请补上它的同义词，或删除这一组（修改建议：每组列出两个或更多意思相同的词，规范名称在前，如 words: [社会保险, 社保]） [synonyms]",
            "catalogues/synonyms.yaml:4:25: synonyms[2].words[2]: “医保”在本组中重复出现，请删除重复的词（修改建议：每组列出两个或更多意思相同的词，规范名称在前，如 words: [社会保险, 社保]） [synonyms]",
            "catalogues/synonyms.yaml:5:5: synonyms[3].words: 这一组只有一个词（社保卡）：请补上它的同义词，或删除这一组（修改建议：每组列出两个或更多意思相同的词，规范名称在前，如 words: [社会保险, 社保]） [synonyms]",
            "catalogues/synonyms.yaml:5:13: synonyms[3].words[0]: “社保”也在 synonyms[0] 中：一个词只能属于一组，请把这两组合并为一组（修改建议：每组列出两个或更多意思相同的词，规范名称在前，如 words: [社会保险, 社保]） [synonyms]",
        ],
    ),
    "protected-rule": (
        replace("library.yaml", "rules: {}", "rules:\n  hidden-characters: warning"),
        [
            "library.yaml:13:22: rules.hidden-characters: 规则 hidden-characters 保护群众权益，library.yaml 不能把它设为 warning（修改建议：请删除这一行；无论资料库如何设置，hidden-characters 始终是错误级别） [protected-rule]",
        ],
    ),
    "government-site": (
        # a site channel that gives two of the five marks of a government website
        replace(
            "library.yaml",
            "      path: .guides/published\n",
            "      path: .guides/published\n  site:\n    type: site\n    settings:\n"
            "      path: .guides/site\n      government:\n        sponsor: 示例市人民政府办公室\n"
            "        icp: 示ICP备12345678号\n",
        ),
        [
            "library.yaml:16:7: channels.site.settings.government: 警告：网上办事大厅未写明网站标识码、公安机关备案号、党政机关网站标识；政府网站应在页脚展示这些信息（《政府网站发展指引》，国办发〔2017〕47号）（修改建议：请在 channels.site.settings.government 下补充（见 docs/site.md）；如该网站不是政府网站，请在 library.yaml 的 rules: 下设置 government-site: off） [government-site]",
        ],
    ),
    "effective-date-past": (
        # committed as it is, then changed with its effective_date (2026-01-01) left in the past
        both(
            _committed,
            replace(GUIDE, "promised_time_limit: {value: 20", "promised_time_limit: {value: 10"),
        ),
        [
            "{GUIDE}:59:1: effective_date: 警告：指南已修改，但其具体实施时间 2026-01-01 已过（今天是 {today}）：guides approve 对与现行版本相同的日期按今天实施，对新写的过去日期拒绝审核（修改建议：请写上变更实施的日期，今天或以后） [effective-date-past]",
        ],
    ),
    "template-placeholder": (
        # a guide of a real region (Jilin, 220100) in a library that kept the template's values
        replace(GUIDE, '"11990100MB1A00010Q7000107001000"', '"11220100MB1A00010Q7000107001000"'),
        [
            "library.yaml:2:7: name: 警告：资料库名称仍是模板中的“示例市政务服务中心办事指南库”；页面、打印件和二维码都会带上它（修改建议：请在 library.yaml 中填写本中心自己的值（新建资料库时可用 guides import 的 --name、--region-code、--base-url 设置）） [template-placeholder]",
            "library.yaml:3:14: region_code: 警告：行政区划代码仍是模板中的“990100”；页面、打印件和二维码都会带上它（修改建议：请在 library.yaml 中填写本中心自己的值（新建资料库时可用 guides import 的 --name、--region-code、--base-url 设置）） [template-placeholder]",
            "library.yaml:4:11: base_url: 警告：网站地址仍是模板中的“https://zwfw.example.gov.cn”；页面、打印件和二维码都会带上它（修改建议：请在 library.yaml 中填写本中心自己的值（新建资料库时可用 guides import 的 --name、--region-code、--base-url 设置）） [template-placeholder]",
        ],
    ),
}


def _today() -> str:
    return dt.datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()


@pytest.mark.parametrize("rule", sorted(CASES))
def test_check_rule_reports_exact_line(library: Library, rule: str) -> None:
    edit, expected = CASES[rule]
    edit(library)
    run = library.check()
    assert run.lines == [line.format(GUIDE=GUIDE, today=_today()) for line in expected]
    assert run.exit_code == (1 if RULES[rule].severity == "error" else 0)


def test_every_rule_has_a_case() -> None:
    assert set(CASES) == set(RULES)


def test_every_rule_id_is_declared_once() -> None:
    """Diagnostics name their rule by a RuleId constant (a typo fails at import); every one has
    a severity and a title here, except calendar.yaml's problems, which stop the command."""
    assert set(RULES) == set(RuleId) - {RuleId.CALENDAR}
    assert all(rule.id is key for key, rule in RULES.items())


def test_a_cached_diagnostic_keeps_its_rule_id_and_refuses_an_unknown_one() -> None:
    sent = Diagnostic(RuleId.FEE_BASIS, "error", "guides/a.yaml", ("fees", 0), "m", "h")
    data = orjson.loads(orjson.dumps(diagnostic_data(sent)))
    assert data[0] == "fee-basis"
    back = diagnostic(data)
    assert back == sent and back.rule is RuleId.FEE_BASIS
    data[0] = "fee-bases"
    with pytest.raises(BadShape):
        diagnostic(data)


def test_warnings_alone_exit_zero_and_strict_makes_them_errors(library: Library) -> None:
    CASES["unused-entry"][0](library)
    assert library.check().exit_code == 0
    strict = library.check("--strict")
    assert strict.exit_code == 1
    assert "警告" not in strict.stdout
    assert strict.lines[0].endswith("[unused-entry]")


def test_rule_levels_from_library_config(library: Library) -> None:
    CASES["credit-code"][0](library)
    library.edit("library.yaml", "rules: {}", "rules:\n  credit-code: warning")
    run = library.check()
    assert run.exit_code == 0
    assert "警告：统一社会信用代码" in run.stdout
    library.edit("library.yaml", "credit-code: warning", "credit-code: off")
    assert library.check().lines == []


def test_charged_without_items_names_the_items_field(library: Library) -> None:
    library.edit(
        GUIDE,
        "  items:\n    - name: 居民身份证工本费\n      standard: 每证 20 元\n      legal_basis: [shenfenzheng-gongbenfei]\n",
        "",
    )
    run = library.check()
    assert f"{GUIDE}:38:3: fees.items: 标明收费，但没有列出收费项目" in run.stdout
