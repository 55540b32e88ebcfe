"""The synonym groups search expands a query with: the built-in dictionary of colloquial terms and
abbreviations (``synonyms.yaml`` beside this module) and the library's ``catalogues/synonyms.yaml``,
both in the same form::

    synonyms:
      - words: [社保, 社会保险]   # a symmetric group: any word finds the others; first = canonical
        source: "…"              # optional: where the usage comes from

A missing file is an empty dictionary. The library's file is checked by ``guides check`` like the
other catalogues; here an entry that is not a list of words is left out, never guessed at.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from guidesrc.search.text import clean
from guidesrc.yamlio import parse_bytes

BUILT_IN = Path(__file__).with_name("synonyms.yaml")
LIBRARY_FILE = "catalogues/synonyms.yaml"

Groups = list[list[str]]


def groups_of(data: Any) -> Groups:
    """The groups of a parsed synonyms file: each a list of at least two cleaned words."""
    entries = data.get("synonyms") if isinstance(data, dict) else None
    out: Groups = []
    for entry in entries if isinstance(entries, list) else []:
        words = entry.get("words") if isinstance(entry, dict) else None
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            continue
        group: list[str] = []
        for word in words:
            cleaned = clean(word, {}).replace(" ", "")
            if cleaned and cleaned not in group:
                group.append(cleaned)
        if len(group) >= 2:
            out.append(group)
    return out


def read_groups(path: Path) -> Groups:
    if not path.is_file():
        return []
    return groups_of(parse_bytes(path.read_bytes()))


def merge(*sources: Groups) -> Groups:
    """The groups of all sources; groups sharing a word are joined (the first one's order)."""
    merged: Groups = []
    where: dict[str, list[str]] = {}  # word → the merged group holding it
    for groups in sources:
        for group in groups:
            joined: list[list[str]] = []
            for word in group:
                found = where.get(word)
                if found is not None and all(found is not g for g in joined):
                    joined.append(found)
            joined.sort(key=lambda g: next(i for i, m in enumerate(merged) if m is g))
            target = joined[0] if joined else []
            for other in joined[1:]:
                target.extend(w for w in other if w not in target)
                merged.remove(other)
            target.extend(w for w in group if w not in target)
            if not joined:
                merged.append(target)
            for word in target:
                where[word] = target
    return merged


def load(library: Path | None) -> Groups:
    """The built-in groups and, with a library root, the library's own."""
    own = read_groups(library / LIBRARY_FILE) if library is not None else []
    return merge(read_groups(BUILT_IN), own)
