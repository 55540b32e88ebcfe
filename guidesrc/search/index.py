"""The search index as Python searches it (``guides search``, the kiosk): built from compiled
guides or a library's working tree, searched and ranked as the site's script does."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from guidesrc.search import rank, synonyms
from guidesrc.search.build import IndexData, build
from guidesrc.search.documents import document
from guidesrc.search.snippet import snippet
from guidesrc.state import WorkingTree, load_state


@dataclass(frozen=True, slots=True)
class Hit:
    """A guide found. ``snippet``: plain text, the matched characters between 【 and 】."""

    id: str
    name: str
    department: str
    score: float
    snippet: str

    def json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "score": self.score, "snippet": self.snippet}


class SearchIndex:
    def __init__(self, data: IndexData) -> None:
        self.data = data

    @classmethod
    def from_documents(
        cls, documents: Iterable[Mapping[str, Any]], groups: synonyms.Groups
    ) -> SearchIndex:
        return cls(build(documents, groups))

    @classmethod
    def from_guides(
        cls, guides: Iterable[Mapping[str, Any]], library: Path | None = None
    ) -> SearchIndex:
        """From compiled guides, with the built-in synonyms and those of ``library``."""
        return cls.from_documents((document(g) for g in guides), synonyms.load(library))

    @classmethod
    def from_library(cls, root: Path) -> SearchIndex:
        """The library's guides as they are in its working tree, with its catalogues."""
        state = load_state(WorkingTree(root))
        return cls.from_guides((state.compiled(g) for g in sorted(state.guide_files)), root)

    def search(self, query: str, limit: int = 10) -> list[Hit]:
        _cleaned, found = rank.search(self.data, query)
        hits = []
        for number in rank.ranked(self.data, found)[:limit]:
            record = self.data.docs[number]
            score, variant = found[number]
            hits.append(
                Hit(record[0], record[1], record[2], float(score), snippet(record, variant))
            )
        return hits

    def suggestions(self, query: str) -> list[str]:
        """The nearest spellings of a query that found nothing."""
        return rank.suggestions(self.data, query)

    @property
    def themes(self) -> list[tuple[str, int]]:
        return self.data.themes

    @property
    def hotline(self) -> str:
        return self.data.hotline
