"""Word-level redlines of Chinese guide text: tokens, readable changes, and the four renderings."""

from __future__ import annotations

import re
import string
from difflib import SequenceMatcher
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guidesrc.diff import redline as redline_module
from guidesrc.diff.redline import (
    LONG_INPUT_TOKENS,
    Span,
    redline,
    render_ansi,
    render_html,
    render_markdown,
    render_text,
    tokenize,
)

TIME_LIMIT = "承诺办结时限为20个工作日。"
CONDITION = (
    "申请人应当携带本人居民身份证、户口簿及近期免冠照片，"
    "到户籍所在地派出所户籍窗口提出申请，经审核符合条件的，当场受理。"
)

# Guide-like characters, so that generated texts share tokens and the diff has work to do.
GUIDE_ALPHABET = (
    "申请人提交材料身份证户口簿工作日个受理二十三百千万0123456789.，。；、（）《》 \nPDFab*_<>&"
)
guide_text = st.text(alphabet=GUIDE_ALPHABET, max_size=60)
any_text = st.text(max_size=60)
texts = st.one_of(any_text, guide_text)


def text_of(spans: list[Span], *ops: str) -> str:
    return "".join(span.text for span in spans if span.op in ops)


# --- tokenize -----------------------------------------------------------------------------------


def test_redline_tokenize_splits_ideographs_numbers_latin_and_punctuation() -> None:
    assert tokenize("时限为20个工作日（含PDF版）3.5元。") == [
        "时", "限", "为", "20", "个", "工", "作", "日", "（", "含", "PDF", "版", "）",
        "3.5", "元", "。",
    ]  # fmt: skip


def test_redline_tokenize_keeps_full_width_numbers_and_whitespace_runs_whole() -> None:
    assert tokenize("２０２６年  1月\n\n“OFD”…") == [
        "２０２６", "年", "  ", "1", "月", "\n\n", "“", "OFD", "”", "…",
    ]  # fmt: skip


def test_redline_tokenize_gives_each_punctuation_mark_its_own_token() -> None:
    assert tokenize("——……!?") == ["—", "—", "…", "…", "!", "?"]


def test_redline_tokenize_of_empty_text_is_empty() -> None:
    assert tokenize("") == []


@given(texts)
def test_redline_tokenize_round_trips_any_text(text: str) -> None:
    tokens = tokenize(text)
    assert "".join(tokens) == text
    assert all(tokens)


# --- redline: exact output on guide sentences ---------------------------------------------------


def test_redline_number_change_replaces_the_whole_number() -> None:
    spans = redline(TIME_LIMIT, "承诺办结时限为10个工作日。")
    assert spans == [
        Span("equal", "承诺办结时限为"),
        Span("delete", "20"),
        Span("insert", "10"),
        Span("equal", "个工作日。"),
    ]
    assert render_text(spans) == "承诺办结时限为[-20-]{+10+}个工作日。"


def test_redline_decimal_and_full_width_numbers_are_replaced_whole() -> None:
    assert render_text(redline("办结时限3.5个工作日", "办结时限12个工作日")) == (
        "办结时限[-3.5-]{+12+}个工作日"
    )
    assert render_text(redline("每份２０元", "每份１５元")) == "每份[-２０-]{+１５+}元"


def test_redline_chinese_numeral_change_replaces_the_whole_numeral() -> None:
    assert render_text(
        redline("自受理之日起二十个工作日内办结。", "自受理之日起十个工作日内办结。")
    ) == ("自受理之日起[-二十-]{+十+}个工作日内办结。")
    assert render_text(redline("三十日内", "四十日内")) == "[-三十-]{+四十+}日内"
    assert render_text(redline("二十日内", "二十五日内")) == "[-二十-]{+二十五+}日内"


def test_redline_reworded_condition_reads_as_one_phrase() -> None:
    old = "年满十六周岁的本市户籍居民，可以申请换领居民身份证。"
    new = "年满十六周岁的中国公民，可以申请换领居民身份证。"
    assert render_text(redline(old, new)) == (
        "年满十六周岁的[-本市户籍居民-]{+中国公民+}，可以申请换领居民身份证。"
    )


def test_redline_short_equal_run_between_changes_is_folded() -> None:
    assert render_text(redline("提交身份证、户口簿", "提交居住证、结婚证")) == (
        "提交[-身份证、户口簿-]{+居住证、结婚证+}"
    )
    assert render_text(redline("申请人须提交身份证原件", "申请人应提供户口簿复印件")) == (
        "申请人[-须提交身份证原件-]{+应提供户口簿复印件+}"
    )


def test_redline_changes_in_different_sentences_stay_apart() -> None:
    old = "需提交原件。需本人到场。"
    new = "需提交复印件。可委托代理人。"
    assert render_text(redline(old, new)) == (
        "需提交[-原件-]{+复印件+}。[-需本人到场-]{+可委托代理人+}。"
    )


def test_redline_changes_on_different_lines_stay_apart() -> None:
    assert render_text(redline("身份证\n户口簿", "居住证\n结婚证")) == (
        "[-身份证-]{+居住证+}\n[-户口簿-]{+结婚证+}"
    )


def test_redline_clause_inserted_in_a_long_sentence() -> None:
    new = CONDITION.replace("派出所户籍窗口", "派出所户籍窗口或者通过政务服务网")
    assert render_text(redline(CONDITION, new)) == (
        "申请人应当携带本人居民身份证、户口簿及近期免冠照片，"
        "到户籍所在地派出所户籍窗口{+或者通过政务服务网+}提出申请，经审核符合条件的，当场受理。"
    )


def test_redline_list_item_inserted_in_a_long_sentence() -> None:
    new = CONDITION.replace("户口簿及", "户口簿、居住证及")
    assert render_text(redline(CONDITION, new)) == (
        "申请人应当携带本人居民身份证、户口簿{+、居住证+}及近期免冠照片，"
        "到户籍所在地派出所户籍窗口提出申请，经审核符合条件的，当场受理。"
    )


def test_redline_clause_deleted_with_its_punctuation() -> None:
    new = CONDITION.replace("经审核符合条件的，", "")
    assert render_text(redline(CONDITION, new)) == (
        "申请人应当携带本人居民身份证、户口簿及近期免冠照片，"
        "到户籍所在地派出所户籍窗口提出申请，[-经审核符合条件的，-]当场受理。"
    )


def test_redline_clause_appended_at_the_end() -> None:
    assert render_text(redline("材料齐全的，当场办结", "材料齐全的，当场办结，并出具受理凭证")) == (
        "材料齐全的，当场办结{+，并出具受理凭证+}"
    )


def test_redline_insertion_slides_to_end_at_punctuation() -> None:
    # The matcher could align this as 原{+件及复印+}件，; the redline shows the readable form.
    old = "原件，经审核后由窗口工作人员当场办理。"
    new = "原件及复印件，经审核后由窗口工作人员当场办理。"
    assert render_text(redline(old, new)) == "原件{+及复印件+}，经审核后由窗口工作人员当场办理。"


def test_redline_punctuation_only_change() -> None:
    assert redline("需要提交材料，本人到场", "需要提交材料；本人到场") == [
        Span("equal", "需要提交材料"),
        Span("delete", "，"),
        Span("insert", "；"),
        Span("equal", "本人到场"),
    ]


def test_redline_latin_word_change_replaces_the_word() -> None:
    assert (
        render_text(redline("材料格式为PDF。", "材料格式为OFD。")) == "材料格式为[-PDF-]{+OFD+}。"
    )


def test_redline_short_text_replaced_whole() -> None:
    assert redline("窗口办理", "网上申请") == [
        Span("delete", "窗口办理"),
        Span("insert", "网上申请"),
    ]
    assert render_text(redline("不收费", "免费")) == "[-不收费-]{+免费+}"


def test_redline_empty_old_text_is_one_insertion() -> None:
    assert redline("", "新增办理地点") == [Span("insert", "新增办理地点")]


def test_redline_empty_new_text_is_one_deletion() -> None:
    assert redline("取消现场核验", "") == [Span("delete", "取消现场核验")]


def test_redline_of_two_empty_texts_is_empty() -> None:
    assert redline("", "") == []


def test_redline_identical_texts_are_one_equal_span() -> None:
    assert redline(CONDITION, CONDITION) == [Span("equal", CONDITION)]


# --- redline: long inputs -----------------------------------------------------------------------


def _long_guide() -> list[str]:
    return [f"第{i}项：申请人应当在{i % 30 + 1}个工作日内提交材料。" for i in range(400)]


def test_redline_long_input_is_diffed_sentence_by_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    sizes: list[int] = []

    def recording_matcher(
        junk: Any, a: list[str], b: list[str], autojunk: bool
    ) -> SequenceMatcher[str]:
        sizes.append(max(len(a), len(b)))
        return SequenceMatcher(junk, a, b, autojunk=autojunk)

    monkeypatch.setattr(redline_module, "SequenceMatcher", recording_matcher)
    old_lines = _long_guide()
    new_lines = list(old_lines)
    new_lines[1] = new_lines[1].replace("2个工作日", "5个工作日")
    new_lines[398] = new_lines[398].replace("提交材料", "提交申请材料")
    old, new = "".join(old_lines), "".join(new_lines)
    assert len(tokenize(old)) > LONG_INPUT_TOKENS

    spans = redline(old, new)

    assert [span for span in spans if span.op != "equal"] == [
        Span("delete", "2"),
        Span("insert", "5"),
        Span("insert", "申请"),
    ]
    assert text_of(spans, "equal", "delete") == old
    assert text_of(spans, "equal", "insert") == new
    assert max(sizes) <= LONG_INPUT_TOKENS


def test_redline_long_input_without_sentences_is_replaced_whole() -> None:
    old, new = "的" * (LONG_INPUT_TOKENS + 1), "是" * (LONG_INPUT_TOKENS + 1)
    assert redline(old, new) == [Span("delete", old), Span("insert", new)]


# --- redline: invariants ------------------------------------------------------------------------


@settings(max_examples=300)
@given(texts, texts)
def test_redline_rebuilds_both_texts(old: str, new: str) -> None:
    spans = redline(old, new)
    assert text_of(spans, "equal", "delete") == old
    assert text_of(spans, "equal", "insert") == new


@settings(max_examples=300)
@given(texts, texts)
def test_redline_spans_are_non_empty_and_never_repeat_an_op(old: str, new: str) -> None:
    spans = redline(old, new)
    assert all(span.text for span in spans)
    assert all(a.op != b.op for a, b in pairwise(spans))
    assert all(not (a.op == "insert" and b.op == "delete") for a, b in pairwise(spans))


@given(texts)
def test_redline_of_a_text_with_itself_is_all_equal(text: str) -> None:
    assert redline(text, text) == ([Span("equal", text)] if text else [])


NUMERALS = set("0123456789０１２３４５６７８９〇零一二两三四五六七八九十百千万亿")


def _cuts_a_number(spans: list[Span], side: str) -> bool:
    """True when, on one side of the diff, a change starts or ends inside a number."""
    shown = [span for span in spans if span.op in ("equal", side)]
    return any(
        a.op != b.op and a.text[-1] in NUMERALS and b.text[0] in NUMERALS
        for a, b in pairwise(shown)
    )


@settings(max_examples=300)
@given(
    st.text(alphabet="一二三十百千万两0123456789.日个工作", max_size=20),
    st.text(alphabet="一二三十百千万两0123456789.日个工作", max_size=20),
)
def test_redline_never_cuts_a_number(old: str, new: str) -> None:
    spans = redline(old, new)
    assert not _cuts_a_number(spans, "delete")
    assert not _cuts_a_number(spans, "insert")


# --- rendering ----------------------------------------------------------------------------------


def test_redline_render_text_uses_word_diff_markers() -> None:
    spans = [Span("equal", "时限"), Span("delete", "20"), Span("insert", "10"), Span("equal", "日")]
    assert render_text(spans) == "时限[-20-]{+10+}日"


def test_redline_render_markdown_marks_changes() -> None:
    assert render_markdown(redline(TIME_LIMIT, "承诺办结时限为10个工作日。")) == (
        "承诺办结时限为~~20~~**10**个工作日。"
    )


def test_redline_render_markdown_escapes_markup_in_the_text() -> None:
    spans = redline("格式：*.pdf", "格式：_ofd_ [链接](x) <b>`~")
    assert render_markdown(spans) == (
        "格式：~~\\*\\.pdf~~<ins>\\_ofd\\_ \\[链接\\]\\(x\\) \\<b\\>\\`\\~</ins>"
    )
    assert render_markdown([Span("equal", "a**b** <i>&amp;</i>")]) == (
        "a\\*\\*b\\*\\* \\<i\\>\\&amp\\;\\<\\/i\\>"
    )


def test_redline_render_markdown_uses_tags_where_emphasis_would_not_render() -> None:
    # CommonMark will not open ** between an ideograph and punctuation such as 《 or ，.
    assert render_markdown(redline("提交身份证。", "提交身份证《营业执照》。")) == (
        "提交身份证<ins>《营业执照》</ins>。"
    )
    assert render_markdown(redline("需要提交材料，本人到场", "需要提交材料；本人到场")) == (
        "需要提交材料<del>，</del><ins>；</ins>本人到场"
    )
    assert render_markdown([Span("equal", "a"), Span("delete", " b")]) == "a<del> b</del>"


@given(texts, texts)
def test_redline_render_markdown_leaves_no_unescaped_markup(old: str, new: str) -> None:
    rendered = render_markdown(redline(old, new))
    unescaped = re.sub(r"\\[" + re.escape(string.punctuation) + "]", "", rendered)
    bare = re.sub(r"~~|\*\*|</?(?:del|ins)>", "", unescaped)
    assert not set(bare) & set(string.punctuation)


def test_redline_render_html_escapes_the_text() -> None:
    spans = redline("请上传<script>alert(1)</script>文件", "请上传PDF & OFD文件")
    assert render_html(spans) == (
        "请上传<del>&lt;script&gt;alert(1)&lt;/script&gt;</del><ins>PDF &amp; OFD</ins>文件"
    )
    assert render_html([Span("equal", "\"<script>'")]) == "&quot;&lt;script&gt;&#x27;"


@given(texts, texts)
def test_redline_render_html_has_no_tags_but_its_own(old: str, new: str) -> None:
    rendered = render_html(redline(old, new))
    assert "<" not in re.sub(r"</?(?:del|ins)>", "", rendered)


def test_redline_render_ansi_colours_deletions_red_and_insertions_green() -> None:
    assert render_ansi(redline(TIME_LIMIT, "承诺办结时限为10个工作日。")) == (
        "承诺办结时限为\x1b[31m20\x1b[0m\x1b[32m10\x1b[0m个工作日。"
    )


def test_redline_render_ansi_neutralises_control_characters_in_the_text() -> None:
    spans = [Span("equal", "a\x1b[2Jb\tc\n"), Span("insert", "\x07\x7f\x9b")]
    assert render_ansi(spans) == "a␛[2Jb\tc\n\x1b[32m␇\u2421\ufffd\x1b[0m"


def test_redline_renderers_of_no_spans_are_empty() -> None:
    assert render_text([]) == render_markdown([]) == render_html([]) == render_ansi([]) == ""
