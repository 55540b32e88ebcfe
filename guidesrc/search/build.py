"""The search index of a set of guides, as plain data (what Python searches in memory and what the
site writes as shards for ``static/search.js``).

A guide is searched by **fields**, each with its weight and its bit in a posting's mask::

    name 16 · themes 8 · results 6 · department (implementing body) 5 · FAQ (questions, tags) 4 ·
    materials 3 · conditions 2 · body 1 (handling bodies, the procedure's steps, codes)

The data (:class:`IndexData`): ``docs`` — the guides sorted by id, each
``[id, name, department, themes, results, faq, materials, conditions]`` (texts for snippets,
each cut to :data:`SNIPPET_FIELD`); ``postings`` — term → ``[doc, mask, doc, mask, …]``;
``pinyin`` — full pinyin and initials of the names, of their words of two to four characters,
of the themes and synonyms → those words;
``synonyms``; ``trad`` — traditional → simplified for the characters of the index; ``themes`` —
[theme, guides] most first; ``lengths`` — each name's length (ranking ties).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from opencc_purepy import OpenCC
from pypinyin import lazy_pinyin
from pypinyin.constants import PHRASES_DICT

from guidesrc.gaps import UNKNOWN_BODY
from guidesrc.search.synonyms import Groups
from guidesrc.search.text import LETTERS, RUN, index_terms, normalize

FORMAT = 2
#: field → (mask bit, weight); the order is the order of a doc record's snippet texts
FIELDS: dict[str, tuple[int, int]] = {
    "name": (1, 16),
    "themes": (2, 8),
    "results": (4, 6),
    "department": (128, 5),
    "faq": (8, 4),
    "materials": (16, 3),
    "conditions": (32, 2),
    "body": (64, 1),
}
SNIPPET_FIELDS = ("themes", "results", "faq", "materials", "conditions")
SNIPPET_FIELD = 160  # characters of a field kept for snippets
HOTLINE = "12345"

Document = Mapping[str, Any]  # id, name, department, and a list of texts per field


@dataclass
class IndexData:
    docs: list[list[str]] = field(default_factory=list)
    postings: dict[str, list[int]] = field(default_factory=dict)
    pinyin: dict[str, list[str]] = field(default_factory=dict)
    synonyms: Groups = field(default_factory=list)
    trad: dict[str, str] = field(default_factory=dict)
    themes: list[tuple[str, int]] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)
    hotline: str = HOTLINE


def field_texts(doc: Document, name: str) -> list[str]:
    if name in ("name", "department"):  # a department not known (待补充) is not searched
        return [doc[name]] if doc.get(name) and doc[name] != UNKNOWN_BODY else []
    return [t for t in doc.get(name, ()) if t]


def record(doc: Document) -> list[str]:
    """A guide's entry in ``docs``: id, name, department, then its snippet texts."""
    texts = ["、".join(field_texts(doc, f))[:SNIPPET_FIELD] for f in SNIPPET_FIELDS]
    return [doc["id"], doc["name"], doc.get("department") or "", *texts]


def doc_masks(doc: Document) -> dict[str, int]:
    """term → the mask of the fields holding it."""
    masks: dict[str, int] = {}
    for name, (bit, _weight) in FIELDS.items():
        chars = name in ("name", "themes")  # one-character queries: the name and the themes
        for text in field_texts(doc, name):
            for term in index_terms(text, chars):
                masks[term] = masks.get(term, 0) | bit
    return masks


@cache
def _syllable(char: str) -> str:
    return lazy_pinyin(char)[0]


def pinyin_keys(word: str) -> tuple[str, str]:
    """A word's full pinyin and its initials (letters only), e.g. 社保 → shebao, sb: a word of
    pypinyin's phrase dictionary as it reads it (银行 yinhang), else character by character."""
    syllables = lazy_pinyin(word) if word in PHRASES_DICT else [_syllable(c) for c in word]
    letters = [s for s in syllables if LETTERS.fullmatch(s)]
    return "".join(letters), "".join(s[0] for s in letters)


def pinyin_table(words: Iterable[str]) -> dict[str, list[str]]:
    table: dict[str, set[str]] = {}
    for word in words:
        for key in pinyin_keys(word):
            if key:
                table.setdefault(key, set()).add(word)
    return {key: sorted(found) for key, found in sorted(table.items())}


@cache
def trad_table() -> dict[str, str]:
    """Traditional → simplified for the common characters (GB 2312), as OpenCC writes them: a
    fixed table, the same for every index."""
    to_traditional = OpenCC("s2t")
    out: dict[str, str] = {}
    for code in range(0x4E00, 0xA000):
        char = chr(code)
        try:
            char.encode("gb2312")
        except UnicodeEncodeError:
            continue
        trad = to_traditional.convert(char)
        if len(trad) == 1 and trad != char:
            out.setdefault(trad, char)
    return dict(sorted(out.items()))


def build(documents: Iterable[Document], synonyms: Groups) -> IndexData:
    docs = sorted(documents, key=lambda d: d["id"])
    data = IndexData(synonyms=[list(g) for g in synonyms], trad=trad_table())
    for number, doc in enumerate(docs):
        data.docs.append(record(doc))
        data.lengths.append(len(normalize(doc["name"])))
        for term, mask in sorted(doc_masks(doc).items()):
            data.postings.setdefault(term, []).extend((number, mask))
    data.themes = theme_counts(docs)
    data.pinyin = pinyin_table(vocabulary([d[1] for d in data.docs], data.themes, data.synonyms))
    return data


def theme_counts(docs: Iterable[Document]) -> list[tuple[str, int]]:
    themes: Counter[str] = Counter()
    for doc in docs:
        themes.update(set(field_texts(doc, "themes")))
    return sorted(themes.items(), key=lambda kv: (-kv[1], kv[0]))


def name_words(name: str) -> set[str]:
    """A name and its words of two to four characters (结婚 in 内地居民结婚登记)."""
    name = normalize(name)
    return {name} | {g for run in RUN.findall(name) if not run.isascii() for g in grams(run)}


def vocabulary(names: Iterable[str], themes: Iterable[tuple[str, int]], groups: Groups) -> set[str]:
    """The words pinyin finds: the names and their words, the themes, the synonyms."""
    words = {w for name in names for w in name_words(name)}
    words |= {normalize(t) for t, _n in themes} | {w for group in groups for w in group}
    return {w for w in words if len(w) >= 2 and not w.isascii()}


def grams(run: str, most: int = 4) -> set[str]:
    """The words of two to ``most`` characters in a run of ideographs."""
    return {run[i : i + k] for k in range(2, most + 1) for i in range(len(run) - k + 1)}


def dictionary(data: IndexData) -> list[str]:
    """The words a query is corrected to and suggested from: themes and synonyms."""
    words = {normalize(t) for t, _n in data.themes} | {w for g in data.synonyms for w in g}
    return sorted(words)


def weight(mask: int) -> int:
    """The weight of the best field in a mask."""
    for bit, value in FIELDS.values():
        if mask & bit:
            return value
    return 0
