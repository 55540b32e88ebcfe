"""去标识化 and hidden characters: each kind of personal data refused with its exact line, written
every way an editor might (separators, full-width, prefixes, invisible characters), nothing
refused in the real data sets, and the free-text options checked like guide text."""

from __future__ import annotations

import sys
import unicodedata

import pytest

from guidesrc.check import hidden, normalise, personal
from tests.conftest import GUIDE, Library, invoke
from tests.deid_data import REAL_SETS, RealSet, scan

NOTES = "notes: 交回原居民身份证。"


def with_notes(library: Library, text: str) -> None:
    library.edit(GUIDE, NOTES, f"notes: {text}")


# --- the character sets are complete ---------------------------------------------------------------


def test_hidden_characters_cover_their_unicode_categories() -> None:
    missed = [
        f"U+{code:04X}"
        for code in range(sys.maxunicode + 1)
        if unicodedata.category(chr(code)) in hidden.HIDDEN_CATEGORIES
        and chr(code) not in "\t\n\r"
        and not hidden.HIDDEN_RE.match(chr(code))
    ]
    assert missed == []
    assert not hidden.HIDDEN_RE.match("\n") and hidden.HIDDEN_IN_LINE_RE.match("\n")


@pytest.mark.parametrize(
    "char",
    ["\u200e", "\u200f", "\u061c", "\u00ad", "\u115f", "\u1160", "\u3164", "\uffa0", "\ufe0f",
     "\U000e0100", "\U000e0041", "\x85", "\x9f", "\u2028", "\u2029", "\ue000", "\U000f0000"],
)  # fmt: skip
def test_the_invisible_characters_of_the_issue_are_hidden(char: str) -> None:
    assert hidden.is_hidden(char)
    assert hidden.may_hold(set(f"居民{char}身份证"))


def test_every_scripts_digits_are_folded() -> None:
    zeros = [
        code
        for code in range(0x80, sys.maxunicode + 1)
        if unicodedata.decimal(chr(code), None) == 0
    ]
    assert list(normalise._DIGIT_ZEROS) == zeros


def test_normalised_positions_map_back_to_the_original() -> None:
    text = "电话：１３８\u200b1234\u2060５６７８。"
    [found] = personal.find(text)
    assert text[found.start : found.end] == "１３８\u200b1234\u2060５６７８"


# --- each kind, refused by guides check with its exact line -----------------------------------------

HINT_ID = "（修改建议：请删除个人信息（去标识化）；示例可写作 110101********1234） [personal-data]"
CASES = {
    "mobile, spaced, +86": (
        "请拨打 +86 138 1234 5678 咨询",
        "26:17: materials[0].notes: 联系电话字段以外的文字中含有手机号码（138****5678）"
        "（修改建议：请删除个人号码；服务电话应填在 consult_phones 中） [personal-data]",
    ),
    "mobile, full-width": (
        "微信１３８－１２３４－５６７８",
        "26:14: materials[0].notes: 联系电话字段以外的文字中含有手机号码（138****5678）"
        "（修改建议：请删除个人号码；服务电话应填在 consult_phones 中） [personal-data]",
    ),
    "mobile, after letters": (
        "wx13812345678",
        "26:14: materials[0].notes: 联系电话字段以外的文字中含有手机号码（138****5678）"
        "（修改建议：请删除个人号码；服务电话应填在 consult_phones 中） [personal-data]",
    ),
    "ID 18, spaced": (
        "身份证 110105 19491231 002X",
        f"26:16: materials[0].notes: 文字中含有居民身份证号码（110***********002X）{HINT_ID}",
    ),
    "ID 15": (
        "旧证号 110105491231002",
        f"26:16: materials[0].notes: 文字中含有 15 位旧版居民身份证号码（110********1002）{HINT_ID}",
    ),
    "bank card": (
        "转账至 6222 0212 3456 7890 128",
        "26:16: materials[0].notes: 文字中含有银行卡号（622************0128）"
        "（修改建议：请删除个人信息（去标识化）；说明缴费去向时，请写明收款单位和开户银行） [personal-data]",
    ),
    "e-mail": (
        "发送至 zhangsan＠qq.com",
        "26:16: materials[0].notes: 联系电话字段以外的文字中含有电子邮箱地址（z***@qq.com）"
        "（修改建议：请删除个人邮箱（去标识化）；单位邮箱请写在联系电话的说明（consult_phones 的 note）中，"
        "或使用政府域名（.gov.cn）的邮箱） [personal-data]",
    ),
    "passport": (
        "护照号码 E 1234 5678",
        "26:17: materials[0].notes: 文字中含有护照或通行证号码（E1*****78）"
        "（修改建议：请删除个人信息（去标识化）；示例可写作 E1234****） [personal-data]",
    ),
    "name and home address": (
        "如陈建国，住广州市天河区体育东路112号",
        "26:13: materials[0].notes: 文字中写有个人姓名（陈**）及其住址"
        "（修改建议：请删除个人信息（去标识化）；示例可写作“张某，住某市某路某号”） [personal-data]",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_personal_data_is_refused_where_it_stands(library: Library, case: str) -> None:
    text, line = CASES[case]
    with_notes(library, text)
    run = library.check()
    assert run.lines == [f"{GUIDE}:{line}"]
    assert run.exit_code == 1


def test_a_hidden_character_is_refused_where_it_stands(library: Library) -> None:
    with_notes(library, "交回原居民身份证\u200e。")
    assert library.check().lines == [
        f"{GUIDE}:26:20: materials[0].notes: 文字中含有不可见的控制字符（U+200E）"
        "（修改建议：请删除：重新输入该段文字，或以纯文本方式粘贴） [hidden-characters]"
    ]


def test_contact_fields_may_hold_mobiles_and_emails(library: Library) -> None:
    library.edit(
        GUIDE,
        "    note: 工作日 9:00–17:00",
        "    note: 工作日 9:00–17:00，或 13812345678、ban@qq.com",
    )
    assert library.check().lines == []


@pytest.mark.parametrize(
    "text",
    [
        "如 110101********1234",  # a masked example
        "张某，住某市某路12号",  # a placeholder name
        "护照号码示例 E1234****",
        "联系 138****5678",
        "来函请寄 bangongshi@gd.gov.cn 或 someone@example.com",  # government, reserved domains
        "应向居住地公安机关申请，到1号窗口办理",
        "坐标 12200307.39133804,2426795.6744905473",  # decimals, not a card number
        "流水号 84e33bac491d4b19879544841cbafd6f",  # a hash, not a mobile
        "实施编码 11440000006939756B2440101007000",
    ],
)
def test_examples_placeholders_and_codes_are_not_personal_data(library: Library, text: str) -> None:
    with_notes(library, text)
    assert library.check().lines == []


# --- free-text options ------------------------------------------------------------------------------


def test_approve_note_with_a_mobile_number_is_refused(library: Library) -> None:
    run = invoke(
        "approve", str(library.root), "--effective", "today", "--note", "已电话确认 138 1234 5678"
    )
    assert run.exit_code == 2
    assert run.stderr == (
        "错误：--note：文字中含有手机号码（138****5678）"
        "（修改建议：请删除个人信息（去标识化）：这段文字会记入台账，并可能公开）\n"
    )


def test_force_reason_with_a_zero_width_space_is_refused(library: Library) -> None:
    run = invoke(
        "approve", str(library.root), "--effective", "today", "--force", "--reason", "紧急\u200b"
    )
    assert run.exit_code == 2
    assert run.stderr == (
        "错误：--reason：文字中含有不可见的控制字符（U+200B）"
        "（修改建议：请重新输入，不要带不可见字符，或以纯文本方式粘贴）\n"
    )


def test_withdraw_reason_with_an_id_number_is_refused(library: Library) -> None:
    run = invoke(
        "withdraw", "jumin-shenfenzheng-huanling", "--library", str(library.root),
        "--reason", "经 11010519491231002X 申请撤回",
    )  # fmt: skip
    assert run.exit_code == 2
    assert run.stderr == (
        "错误：--reason：文字中含有居民身份证号码（110***********002X）"
        "（修改建议：请删除个人信息（去标识化）：这段文字会记入台账，并可能公开）\n"
    )


def test_withdraw_reason_with_a_direction_override_is_refused(library: Library) -> None:
    run = invoke(
        "withdraw", "jumin-shenfenzheng-huanling", "--library", str(library.root),
        "--reason", "事项\u202e已划转",
    )  # fmt: skip
    assert run.exit_code == 2
    assert "--reason：文字中含有不可见的控制字符（U+202E）" in run.stderr


def test_print_done_by_with_a_direction_mark_is_refused(library: Library) -> None:
    run = invoke("print", "done", "x", "--library", str(library.root), "--by", "大厅\u200f乙")
    assert run.exit_code == 2
    assert "错误：--by：文字中含有不可见的控制字符（U+200F）" in run.stderr


def test_a_multi_line_note_is_free_text(library: Library) -> None:
    from guidesrc.check.freetext import check_free_text

    assert check_free_text("第一行\n第二行", "--note") == "第一行\n第二行"


# --- no false positive on real data -----------------------------------------------------------------


@pytest.mark.parametrize("real", REAL_SETS, ids=lambda r: r.name)
def test_no_false_positive_on_real_data(real: RealSet) -> None:
    if not real.available:
        pytest.skip(f"{real.path} is not on this machine (real data is not in the repository)")
    result = scan(real)
    assert result.strings > 0
    assert result.findings == []


def test_no_false_positive_on_the_example_library(example: Library) -> None:
    run = example.check()
    assert "[personal-data]" not in run.stdout and "[hidden-characters]" not in run.stdout
