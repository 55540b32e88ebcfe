"""The pinyin the site and the search index need, with pypinyin loaded only when it must be.

pypinyin's dictionaries take ≈ 0.4 s to load, more than the rest of a one-change publish's
site work. The site keeps the pinyin it has already worked out (the lists' order of every name
and label: :attr:`guidesrc.site.data.Manifest.pinyin` and each listing's ``sort``); a publish
hands them to :func:`learn`, and :func:`collation` asks :mod:`guidesrc.search.pinyin_source` (the
only module importing pypinyin) only for a text it does not know. That module is imported the
first time one of its names is used (:mod:`guidesrc.deferred`): imported with this one, it would
load the dictionaries on every run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from guidesrc.deferred import deferred

if TYPE_CHECKING:
    from guidesrc.search import pinyin_source
else:
    pinyin_source = deferred("guidesrc.search.pinyin_source")

KNOWN_LIMIT = 200_000  # texts whose collation pinyin is kept in memory (a long-running server)


_known: dict[str, str] = {}


def learn(known: Mapping[str, str]) -> None:
    """Collation pinyin worked out before (text → :func:`collation`), kept for this process."""
    if len(_known) + len(known) > KNOWN_LIMIT:
        _known.clear()
    _known.update(known)


def collation(text: str) -> str:
    """``民政局`` → ``min2 zheng4 ju2`` (:func:`guidesrc.search.pinyin_source.collation`): known,
    or worked out by pypinyin (and kept)."""
    found = _known.get(text)
    if found is None:
        if len(_known) >= KNOWN_LIMIT:
            _known.clear()
        found = _known[text] = pinyin_source.collation(text)
    return found


def word_keys(word: str) -> set[str]:
    """Every pinyin key a word is found by (:func:`guidesrc.search.pinyin_source.word_keys`)."""
    return pinyin_source.word_keys(word)


def pinyin_keys(word: str) -> tuple[str, str]:
    """A word's full pinyin and initials (:func:`guidesrc.search.pinyin_source.pinyin_keys`)."""
    return pinyin_source.pinyin_keys(word)


def pinyin_table(words: Iterable[str]) -> dict[str, list[str]]:
    """Pinyin key → the words it finds, in key order, each list sorted."""
    table: dict[str, set[str]] = {}
    for word in words:
        for key in word_keys(word):
            table.setdefault(key, set()).add(word)
    return {key: sorted(found) for key, found in sorted(table.items())}
