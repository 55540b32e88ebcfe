"""The search index of a set of guides, as plain data (what Python searches in memory and what the
site writes as shards for ``static/search.js``).

A guide is searched by **fields**, each with its weight and its bit in a posting's mask::

    name 16 · themes 8 · results 6 · department (implementing body) 5 · FAQ (questions, tags) 4 ·
    materials 3 · conditions 2 · body 1 (handling bodies, the procedure's steps, codes)

The data (:class:`IndexData`): ``docs`` — the guides sorted by id, each
``[id, name, department, themes, results, faq, materials, conditions]`` (texts for snippets,
each cut to :data:`SNIPPET_FIELD`); ``postings`` — term → ``[doc, mask, doc, mask, …]``;
``pinyin`` — full pinyin and initials of the names, of their words of two to four characters,
of the themes and synonyms (every reading of a polyphonic character: 重名 chongming and
zhongming; ü as v and as u: lvshi, lushi) → those words;
``synonyms``; ``trad`` — traditional → simplified for the characters of the index; ``themes`` —
[theme, guides] most first; ``lengths`` — each name's length, ``firsts`` — the guides whose name
says it is a first application (:data:`FIRST_WORDS`; both for ranking ties); ``unfound`` — the
synonym groups none of whose words is in a guide's name, themes or results (not suggested).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from guidesrc.gaps import UNKNOWN_BODY
from guidesrc.search.readings import pinyin_table
from guidesrc.search.synonyms import Groups
from guidesrc.search.text import RUN, index_terms, normalize
from guidesrc.search.trad import PAIRS

FORMAT = 3
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
#: A name holding one of these is a first application (残疾人证新办证申请, 驾驶证初次申领, 首次办理):
#: among guides of the same score it comes before the renewal, the replacement, the change …
#: — unless the name also holds a word of :data:`LOOKUP_WORDS` (首次办理普通护照办证进度查询 is
#: a lookup, not the application).
FIRST_WORDS = ("初次", "首次", "新办")
LOOKUP_WORDS = ("查询",)

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
    firsts: list[int] = field(default_factory=list)
    unfound: list[int] = field(default_factory=list)
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
        terms = frozenset[str]().union(*(index_terms(t, chars) for t in field_texts(doc, name)))
        for term in terms:  # each term of the field once, however many of its texts hold it
            masks[term] = masks.get(term, 0) | bit
    return masks


@cache
def trad_table() -> dict[str, str]:
    """Traditional → simplified for the common characters (GB 2312), as OpenCC writes them: a
    fixed table, the same for every index (:mod:`guidesrc.search.trad`, generated)."""
    return dict(zip(PAIRS[0::2], PAIRS[1::2], strict=True))


def build(documents: Iterable[Document], synonyms: Groups) -> IndexData:
    docs = sorted(documents, key=lambda d: d["id"])
    data = IndexData(synonyms=[list(g) for g in synonyms], trad=trad_table())
    for number, doc in enumerate(docs):
        data.docs.append(record(doc))
        data.lengths.append(len(normalize(doc["name"])))
        if is_first(doc["name"]):
            data.firsts.append(number)
        for term, mask in doc_masks(doc).items():  # the files sort the terms (shards.dump)
            data.postings.setdefault(term, []).extend((number, mask))
    data.themes = theme_counts(docs)
    data.unfound = unfound_groups(docs, data.synonyms)
    data.pinyin = pinyin_table(vocabulary([d[1] for d in data.docs], data.themes, data.synonyms))
    return data


def unfound_groups(docs: Iterable[Document], groups: Groups) -> list[int]:
    """The groups none of whose words is in a guide's name, themes or results: a word of the
    others is in a name, themes or results, so it finds that guide when searched."""
    texts = "\n".join(text for doc in docs for text in found_texts(doc))
    return [i for i, group in enumerate(groups) if not any(word in texts for word in group)]


def found_texts(doc: Document) -> list[str]:
    """The texts a synonym group's word must be in to find the guide (:func:`unfound_groups`)."""
    return [normalize(t) for f in ("name", "themes", "results") for t in field_texts(doc, f)]


def is_first(name: str) -> bool:
    return any(w in name for w in FIRST_WORDS) and not any(w in name for w in LOOKUP_WORDS)


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


def offered(data: IndexData) -> list[str]:
    """The words suggested when nothing is found: the themes, the words of the groups that find
    a guide (not :attr:`IndexData.unfound`)."""
    unfound = set(data.unfound)
    words = {normalize(t) for t, _n in data.themes}
    words |= {w for i, g in enumerate(data.synonyms) if i not in unfound for w in g}
    return sorted(words)


def weight(mask: int) -> int:
    """The weight of the best field in a mask."""
    for bit, value in FIELDS.values():
        if mask & bit:
            return value
    return 0
