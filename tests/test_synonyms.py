"""The synonyms dictionaries: the built-in one (guidesrc/search/synonyms.yaml) and a library's
catalogues/synonyms.yaml, read and checked by one parser (guidesrc.synonyms_file)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from guidesrc.search.synonyms import merge
from guidesrc.synonyms_file import parse_synonyms, word_key
from guidesrc.yamlio import decode
from tests.conftest import Library

REPO = Path(__file__).resolve().parent.parent
BUILTIN = REPO / "guidesrc" / "search" / "synonyms.yaml"
SCHEMA = REPO / "schemas" / "synonyms.schema.json"
HINT = "（修改建议：每组列出两个或更多意思相同的词，规范名称在前，如 words: [社会保险, 社保]） [synonyms]"


def _builtin() -> tuple[list[list[str]] | None, list[object]]:
    data = BUILTIN.read_bytes()
    return parse_synonyms(decode(data, "guidesrc/search/synonyms.yaml", len(data)))


def test_the_builtin_dictionary_passes_the_library_rule_and_has_100_groups_with_sources() -> None:
    groups, problems = _builtin()
    assert problems == []
    assert groups is not None and len(groups) >= 100
    raw = yaml.safe_load(BUILTIN.read_text(encoding="utf-8"))["synonyms"]
    assert all(g.get("source", "").strip() for g in raw), "every group names its source"


@pytest.mark.parametrize(
    ("colloquial", "official"),
    [
        ("社保", "社会保险"),
        ("医保", "基本医疗保险"),
        ("低保", "最低生活保障"),
        ("失业金", "失业保险金"),
        ("出生证", "出生医学证明"),
        ("上户口", "户口登记"),
        ("公积金", "住房公积金"),
        ("营业执照", "设立登记"),
        ("身份证", "居民身份证"),
        ("驾照", "机动车驾驶证"),
        ("准生证", "生育登记"),
        ("残疾证", "残疾人证"),
        ("老年证", "老年人优待证"),
        ("暂住证", "居住证"),
        ("退休", "基本养老金"),
        ("办证", "许可证"),
    ],
)
def test_the_builtin_dictionary_joins_what_the_issue_names(colloquial: str, official: str) -> None:
    groups, _ = _builtin()
    assert groups is not None
    (group,) = [g for g in groups if colloquial in g]
    assert group[0] == official, "the canonical (official) name comes first"


def test_the_json_schema_accepts_the_builtin_dictionary_and_refuses_a_bad_group() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.validate(yaml.safe_load(BUILTIN.read_text(encoding="utf-8")), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"synonyms": [{"words": ["低保"]}]}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"synonyms": [{"words": ["a", "b"], "note": "x"}]}, schema)


def test_words_are_compared_as_search_compares_text(library: Library) -> None:
    assert word_key(" ＳＢ ") == "sb"
    library.write(
        "catalogues/synonyms.yaml", "synonyms:\n  - words: [SB, 社保]\n  - words: [ｓｂ, 失败]\n"
    )
    run = library.check()
    assert run.lines == [
        "catalogues/synonyms.yaml:3:5: synonyms[1].words: 这一组只有一个词（失败）：请补上它的同义词，或删除这一组"
        + HINT,
        "catalogues/synonyms.yaml:3:13: synonyms[1].words[0]: “ｓｂ”也在 synonyms[0] 中：一个词只能属于一组，请把这两组合并为一组"
        + HINT,
    ]


def test_format_errors_empty_groups_and_blank_words_are_reported(library: Library) -> None:
    library.write(
        "catalogues/synonyms.yaml",
        'synonyms:\n  - words: []\n  - words: [" ", 甲, 乙]\n  - words: 社保\n    note: x\n',
    )
    run = library.check()
    assert run.exit_code == 1
    assert run.lines == [
        "catalogues/synonyms.yaml:4:12: synonyms[2].words: 此处应为列表，实际为文字“社保”（修改建议：请每行写一项，以“- ”开头） [schema]",
        "catalogues/synonyms.yaml:5:5: synonyms[2].note: 未知字段“note”（修改建议：请删除，或使用以下字段之一：source, words） [schema]",
    ]
    library.write(
        "catalogues/synonyms.yaml", 'synonyms:\n  - words: []\n  - words: [" ", 甲, 乙]\n'
    )
    assert library.check().lines == [
        "catalogues/synonyms.yaml:2:5: synonyms[0].words: 这一组没有任何词" + HINT,
        "catalogues/synonyms.yaml:3:13: synonyms[1].words[0]: 不含任何可见字符" + HINT,
    ]


def test_a_library_without_the_file_and_with_a_valid_one_checks_clean(library: Library) -> None:
    assert library.check().exit_code == 0
    library.write(
        "catalogues/synonyms.yaml", "synonyms:\n  - words: [社会保险, 社保]\n    source: 口语\n"
    )
    run = library.check()
    assert run.exit_code == 0 and "[synonyms]" not in run.stdout
    library.write(
        "catalogues/synonyms.yaml",
        "synonyms:\n  - words: [社会保险, 社保]\n  - words: [社保, 社保卡]\n",
    )
    assert "[synonyms]" in library.check().stdout, "a changed file is checked again (cache)"


def _merged_by_definition(*sources: list[list[str]]) -> list[list[str]]:
    """Groups sharing a word joined, comparing every pair (the definition merge must keep): the
    joined group stands where the first of them stood, with their words in that order and then
    the new group's."""
    merged: list[list[str]] = []
    for group in (g for groups in sources for g in groups):
        hits = [i for i, old in enumerate(merged) if set(old) & set(group)]
        words = [w for i in hits for w in merged[i]] + group
        if not hits:
            merged.append(list(dict.fromkeys(words)))
            continue
        merged[hits[0]] = list(dict.fromkeys(words))
        for i in reversed(hits[1:]):
            del merged[i]
    return merged


_WORDS = st.sampled_from(
    ["社保", "社会保险", "医保", "医疗保险", "低保", "最低生活保障", "公积金", "户口", "户籍"]
)
_GROUPS = st.lists(st.lists(_WORDS, min_size=2, max_size=4, unique=True), max_size=8)


@settings(max_examples=300)  # pure and quick: many cases cost milliseconds
@given(builtin=_GROUPS, own=_GROUPS)
@example(builtin=[["社保", "社会保险"], ["医保", "医疗保险"]], own=[["医保", "社保"]])
def test_merging_joins_every_group_sharing_a_word_in_the_order_first_seen(
    builtin: list[list[str]], own: list[list[str]]
) -> None:
    expected = _merged_by_definition([list(g) for g in builtin], [list(g) for g in own])
    assert merge([list(g) for g in builtin], [list(g) for g in own]) == expected
    words = [w for g in expected for w in g]
    assert len(words) == len(set(words))  # every word in one group only
