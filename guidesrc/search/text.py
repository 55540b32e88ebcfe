"""How text becomes search terms, the same way in Python and in ``site/static/search.js``.

Chinese has no spaces between words, so the index does not need words: a run of ideographs
gives its bigrams (a one-character run, the character), a run of ASCII letters and digits is one
term. Before that, text is NFKC-normalised, lower-cased and written in simplified characters
(:func:`simplify` with the index's traditional→simplified table).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff"
RUN = re.compile(f"[{_CJK}]+|[0-9a-z]+")
LETTERS = re.compile(r"[a-z]+")


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def simplify(text: str, trad: Mapping[str, str]) -> str:
    return "".join(trad.get(c, c) for c in text)


def clean(query: str, trad: Mapping[str, str]) -> str:
    """A query as searched: normalised, simplified, its runs of terms separated by one space."""
    return " ".join(RUN.findall(simplify(normalize(query), trad)))


#: The words of a question that say nothing about the service asked for (我想, 需要什么材料, 怎么,
#: 在哪里办, 多少钱 …): taken out of a query before it is searched, longest first. The list is
#: written into the index (``meta.json``) so that ``static/search.js`` takes out the same.
STOP_PHRASES: tuple[str, ...] = tuple(
    sorted(
        {
            "我想", "我要", "我们", "请问", "想问", "想去", "想要",
            "需要什么材料", "需要哪些材料", "需要什么手续", "要什么材料", "要带什么", "带什么",
            "需要什么", "要什么", "什么材料", "什么手续", "什么条件", "要办什么证",
            "怎么办理", "怎么办", "怎么样", "怎么", "如何", "怎样", "咋办",
            "在哪里办", "在哪里", "在哪儿", "在哪", "去哪里", "去哪", "哪里", "到哪了", "哪一步",
            "的地方", "多少钱", "能不能", "可不可以", "可以吗", "吗", "呢", "了没", "好了没",
        },
        key=lambda p: (-len(p), p),
    )
)  # fmt: skip


def strip_stop(cleaned: str, phrases: Iterable[str] = STOP_PHRASES) -> str:
    """A cleaned query without its stop phrases (the query itself when nothing else is left)."""
    text = cleaned
    for phrase in phrases:
        text = text.replace(phrase, " ")
    stripped = " ".join(RUN.findall(text))
    return stripped or cleaned


def run_terms(run: str) -> list[str]:
    if run.isascii() or len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


MAX_TERMS = 12  # a long question is searched by its first twelve terms


def query_terms(text: str) -> list[str]:
    """The terms of a cleaned query, first occurrence order, no repeats, at most
    :data:`MAX_TERMS`."""
    out: list[str] = []
    for run in text.split(" "):
        for term in run_terms(run) if run else []:
            if term not in out and len(out) < MAX_TERMS:
                out.append(term)
    return out


@lru_cache(maxsize=65536)  # materials, conditions and bodies repeat from guide to guide
def index_terms(text: str, chars: bool = True) -> frozenset[str]:
    """The terms a text is found by: every bigram of its ideograph runs and, with ``chars``,
    every character (one-character queries look characters up), every ASCII word."""
    out: set[str] = set()
    for run in RUN.findall(normalize(text)):
        out.update(run_terms(run))
        if chars and not run.isascii():
            out.update(run)
    return frozenset(out)


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (code points)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]
