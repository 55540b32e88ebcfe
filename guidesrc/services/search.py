"""Search a library's guides as citizens ask (``guides search``, hotline operators): the same index
and ranking as the site and the kiosk (:mod:`guidesrc.search`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from guidesrc.search.index import Hit, SearchIndex


@dataclass(frozen=True, slots=True)
class Found:
    hits: list[Hit]
    #: when nothing is found: the nearest spellings, the themes (most guides first), the hotline
    suggestions: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    hotline: str = ""


def search(root: Path, query: str, limit: int = 10) -> Found:
    """The guides of the library's working tree that answer ``query``, best first."""
    index = SearchIndex.from_library(root)
    hits = index.search(query, limit)
    if hits:
        return Found(hits)
    themes = [name for name, _count in index.themes]
    return Found([], index.suggestions(query), themes, index.hotline)
