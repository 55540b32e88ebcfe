"""Search as citizens and hotline operators ask (guidesrc.search, `guides search`): the example
library, with the test dictionary tests/data/search/synonyms.yaml as the library's synonyms file
(the built-in dictionary is another helper's data: these tests do not depend on its words) and
the guide it lacks for 离婚 (tests/data/search/lihun-dengji.yaml), and
static/search.js run by node on the very index files the site publishes, query for query."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from guidesrc.search import synonyms
from guidesrc.search.build import dictionary, offered
from guidesrc.search.index import SearchIndex
from guidesrc.search.shards import files
from guidesrc.search.text import STOP_PHRASES
from guidesrc.site import search as site_search
from tests.conftest import EXAMPLE, invoke

HERE = Path(__file__).parent
DICTIONARY = HERE / "data/search/synonyms.yaml"
DIVORCE = HERE / "data/search/lihun-dengji.yaml"  # a guide the example lacks
SEARCH_JS = HERE.parent / "guidesrc/site/static/search.js"

#: What citizens type (issue 19), and the guide that must come first.
CITIZENS = {
    "社保": "danwei-shebao-dengji",
    "医保": "yidi-jiuyi-beian",
    "低保": "zuidi-shenghuo-baozhang",
    "失业金": "shiye-baoxianjin-shenling",
    "出生证": "chusheng-yixue-zhengming-bufa",
    "身份证补办": "jumin-shenfenzheng-huanling",
    "离婚": "lihun-dengji",
    "结婚": "jiehun-dengji",
    "shebao": "danwei-shebao-dengji",  # the pinyin of a synonym
    "sb": "danwei-shebao-dengji",  # its initials
    "dibao": "zuidi-shenghuo-baozhang",
    "shiye": "shiye-baoxianjin-shenling",  # the start of a name's pinyin
    "醫保": "yidi-jiuyi-beian",  # traditional characters
    "最低生活保證": "zuidi-shenghuo-baozhang",
    "失业保验金": "shiye-baoxianjin-shenling",  # a wrong character
    "失业保金申领": "shiye-baoxianjin-shenling",  # a missing one
    "医宝": "yidi-jiuyi-beian",  # a wrong character in a dictionary word
    "我想办理失业金需要什么材料": "shiye-baoxianjin-shenling",  # a question
    "护士执业注册": "hushi-zhiye-zhuce",
    "民政局": "jiehun-dengji",  # a department (its guides tie: the shortest name first)
}


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("search") / "lib"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".guides"))
    shutil.copy(DICTIONARY, root / synonyms.LIBRARY_FILE)
    shutil.copy(DIVORCE, root / "guides")
    return root


@pytest.fixture(scope="module")
def index(library: Path) -> SearchIndex:
    return SearchIndex.from_library(library)


@pytest.mark.parametrize(("query", "first"), CITIZENS.items())
def test_what_citizens_type_finds_their_guide_first(
    index: SearchIndex, query: str, first: str
) -> None:
    hits = index.search(query)
    assert hits and hits[0].id == first, [(h.id, h.score) for h in hits]
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_the_name_outranks_materials_and_the_snippet_marks_the_words(index: SearchIndex) -> None:
    hits = index.search("结婚")
    assert hits[0].id == "jiehun-dengji" and hits[0].department == "示例市民政局"
    # 结婚证 is a material of 夫妻投靠户口迁入: found, below, its snippet says where
    others = {h.id: h for h in hits[1:]}
    assert others["hukou-qianru-fuqi-toukao"].snippet.startswith("材料：")
    assert "【结婚】证" in others["hukou-qianru-fuqi-toukao"].snippet
    assert index.search("失业金")[0].snippet == "结果：【失业保险】待遇核定结果"


def test_nothing_found_gives_the_nearest_spellings_themes_and_hotline(
    library: Path, index: SearchIndex
) -> None:
    assert index.search("火星移民") == []
    assert index.search("医疗保障局长") != []  # a department with a stray character
    assert index.search("婚介所") == []
    near = index.suggestions("婚介所")
    assert "婚姻登记" in near and len(near) <= 5
    # 车管所 and 律所 are as near in the dictionary, but no guide of this library answers to them
    assert {"车管所", "律所"} <= set(dictionary(index.data))
    assert "车管所" not in near and "律所" not in near
    assert all(index.search(word, 1) for word in offered(index.data))  # any word it may offer
    run = invoke("search", "火星移民", str(library))
    assert run.exit_code == 1
    assert "社会保障" in run.stdout and "12345" in run.stdout


def test_without_the_built_in_dictionary_search_still_works(
    library: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(synonyms, "BUILT_IN", library / "no-such-file.yaml")
    assert synonyms.load(None) == []
    bare = SearchIndex.from_guides([{"id": "a", "name": "失业保险金申领"}])
    assert [h.id for h in bare.search("失业保险")] == ["a"]
    assert [h.id for h in bare.search("失业金")] == ["a"]  # 业金: in no guide, left out


def test_questions_pinyin_and_near_identical_names_as_people_type_them() -> None:
    def guide(gid: str, name: str) -> dict[str, object]:
        return {"id": gid, "name": name, "department": "示例市政务服务中心"}

    names = {
        "a": "居民身份证办理进度查询",
        "b": "乡村旅游示范镇名录查询",
        "c": "工伤事故备案",
        "d": "重名查询",
        "e": "专职律师执业许可",
        "f": "残疾人证迁出",
        "g": "残疾人证换领",
        "h": "残疾人证新办证申请",
        "i": "首次办理残疾人证进度查询",
    }
    groups = [["居民身份证", "身份证"], ["残疾人证", "残疾证"], ["换领", "到期换证"]]
    index = SearchIndex.from_documents([guide(g, n) for g, n in names.items()], groups)

    def first(query: str) -> str | None:
        hits = index.search(query)
        return hits[0].id if hits else None

    # a question's own words are left out
    assert first("身份证办好了没") == first("身份证在哪里办") == "a"
    assert first("我想办理工伤事故备案需要什么材料") == "c"
    # initials find the dictionary's 身份证, not the 示范镇 inside a name
    assert [h.id for h in index.search("sfz")] == ["a"]
    assert first("gongshang beian") == "c"  # pinyin typed in pieces
    assert first("chongming") == first("zhongming") == "d"  # 重 read chong (and zhong)
    assert first("lvshi") == first("lushi") == "e"  # ü typed v or u
    # nine 残疾人证 guides tie: the first application (not the lookup of one) comes first
    assert [h.id for h in index.search("残疾证")][:2] == ["h", "f"]
    assert first("残疾证到期换证") == "g"  # synonyms of two groups in one query
    assert first("身分证") == "a"  # a wrong character, corrected to the dictionary's word


def test_the_library_synonyms_join_the_built_in_ones(tmp_path: Path) -> None:
    (tmp_path / "catalogues").mkdir()
    (tmp_path / synonyms.LIBRARY_FILE).write_text(
        "synonyms:\n  - words: [上户口, 登户口]\n    source: 窗口常见说法\n"
        "  - words: [户口登记, 落户]\n  - words: 不是列表\n  - words: [粤省事, 粤省事小程序]\n",
        encoding="utf-8",
    )
    groups = synonyms.load(tmp_path)
    built_in = next(g for g in synonyms.load(None) if "户口登记" in g)
    assert "上户口" in built_in and "登户口" not in built_in
    # the library's 户口 words join the built-in 户口登记 group: one group, its own word added
    assert [g for g in groups if {"上户口", "户口登记", "落户", "登户口"} & set(g)] == [
        [*built_in, "登户口"]
    ]
    assert groups[-1] == [
        "粤省事",
        "粤省事小程序",
    ]  # a group of the library's own, after the built-in


def test_guides_search_prints_json_in_rank_order(library: Path, index: SearchIndex) -> None:
    run = invoke("search", "社保", str(library), "--format", "json", "--limit", "3")
    assert run.exit_code == 0, run.stderr
    body = json.loads(run.stdout)
    assert [h["id"] for h in body] == [h.id for h in index.search("社保", 3)]
    assert set(body[0]) == {"id", "name", "score", "snippet"}
    assert body[0]["score"] >= body[-1]["score"]
    text = invoke("search", "低保", str(library)).stdout
    assert text.startswith("1. 最低生活保障审核确认  [zuidi-shenghuo-baozhang]  示例市民政局")


def run_node(folder: Path, queries: list[str], limit: int = 10) -> list[dict[str, object]]:
    (folder / "queries.json").write_text(json.dumps(queries), encoding="utf-8")
    out = subprocess.run(
        ["node", str(HERE / "search_node.js"), str(SEARCH_JS), str(folder / "search"),
         str(folder / "queries.json"), str(limit)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(out.stdout)  # type: ignore[no-any-return]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_javascript_ranks_as_python_does(index: SearchIndex, tmp_path: Path) -> None:
    for rel, data in files(index.data).items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(data)
    queries = [
        *CITIZENS,
        "火星移民",
        "婚介所",
        "户口本丢了",
        "社保卡",
        "证",
        "登记",
        "12345",
        "yibao",
        "hs",
        "身份 证",
        "ＳＨＥＢＡＯ",
        "shiye jin",
        "lushi",
        "低保在哪里办",
        "补办出生证明需要什么材料",
    ]
    answers = run_node(tmp_path, queries)
    for query, answer in zip(queries, answers, strict=True):
        python = [(h.id, h.score, h.snippet) for h in index.search(query)]
        script = [(h["id"], float(h["score"]), h["snippet"]) for h in answer["hits"]]  # type: ignore[index]
        assert script == python, query
        if not python:
            assert answer["suggestions"] == index.suggestions(query), query


def test_an_incremental_update_writes_what_a_full_build_writes() -> None:
    def listing(name: str, themes: list[str], conditions: list[str]) -> dict[str, object]:
        fields = {"themes": themes, "conditions": conditions}
        return {"name": name, "department": "示例市公安局", "search": fields}

    before = {
        f"g{i:04d}": listing(f"居民身份证换领{i}", ["户籍办理"], ["本市户籍居民。"])
        for i in range(300)
    }
    full = site_search.build_index(before, [])
    for gid, entry in [
        ("g0007", listing("临时居民身份证申领", ["证件办理"], ["本市户籍居民。"])),
        ("g0123", listing("居民身份证换领123", ["户籍办理"], ["有效期满。"])),  # a condition
        ("g0299", listing("婚姻登记", ["户籍办理"], [])),
    ]:
        after = {**before, gid: entry}
        changed, gone = site_search.update_index(full.get, full, {gid: before[gid]}, after, [])
        expected = site_search.build_index(after, [])
        assert {**{k: v for k, v in full.items() if k not in gone}, **changed} == expected, gid
        number = int(gid[1:])  # the guides' ids are in number order
        assert {r for r in changed if r.startswith("search/d")} == {f"search/d{number // 20}.json"}
    # a guide taken away renumbers the guides: the index is built again
    fewer = {k: v for k, v in before.items() if k != "g0100"}
    changed, gone = site_search.update_index(full.get, full, {"g0100": None}, fewer, [])
    assert {**{k: v for k, v in full.items() if k not in gone}, **changed} == (
        site_search.build_index(fewer, [])
    )


def test_the_stop_phrases_are_the_documented_ones() -> None:
    docs = (HERE.parent / "docs/search.md").read_text(encoding="utf-8")
    block = docs[docs.index("### Stop phrases") : docs.index("## The synonym dictionaries")]
    quoted = " ".join(line for line in block.splitlines() if line.startswith(">"))
    assert set(quoted.replace(">", " ").replace("·", " ").split()) == set(STOP_PHRASES)
