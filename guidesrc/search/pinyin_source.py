"""The pinyin of names and words, from pypinyin's dictionaries (≈ 0.4 s to load): reached only
through :mod:`guidesrc.search.readings`, which loads this module the first time a pinyin it does
not know is asked for, so that a publish that needs no new pinyin never loads pypinyin."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from itertools import islice, product

from pypinyin import Style, lazy_pinyin, pinyin
from pypinyin.constants import PHRASES_DICT
from pypinyin.seg.simpleseg import seg

from guidesrc.search.text import LETTERS

MAX_READINGS = 4  # readings of a word with polyphonic characters kept as keys


def collation(text: str) -> str:
    """``民政局`` → ``min2 zheng4 ju2``: sorts in dictionary order (hu before hun before ju),
    the tone after the syllable, with the readings of words (重庆 chóng, 银行 háng)."""
    return " ".join(syllable for word in seg(text) for syllable in _word_collation(word))


@cache
def _word_collation(word: str) -> tuple[str, ...]:
    """``lazy_pinyin(text)`` is the pinyin of each word pypinyin cuts the text into (``seg``), and
    a word is cut into itself again: names share their words, each is converted once."""
    return tuple(lazy_pinyin(word, style=Style.TONE3))


@cache
def _syllable(char: str) -> str:
    return lazy_pinyin(char)[0]


@cache
def _readings(char: str) -> tuple[str, ...]:
    """A character's usual reading first, then its other readings (polyphones: 重 zhong, chong)."""
    others = pinyin(char, heteronym=True, style=Style.NORMAL)[0]
    return tuple(dict.fromkeys([_syllable(char), *others]))


def _letters(syllables: Iterable[str]) -> list[str]:
    return [s for s in syllables if LETTERS.fullmatch(s)]


def pinyin_keys(word: str) -> tuple[str, str]:
    """A word's full pinyin and its initials (letters only), e.g. 社保 → shebao, sb: a word of
    pypinyin's phrase dictionary as it reads it (银行 yinhang), else character by character."""
    syllables = lazy_pinyin(word) if word in PHRASES_DICT else [_syllable(c) for c in word]
    letters = _letters(syllables)
    return "".join(letters), "".join(s[0] for s in letters)


def word_keys(word: str) -> set[str]:
    """Every key a word is found by: its full pinyin and initials (:func:`pinyin_keys`), its
    other readings (the first :data:`MAX_READINGS` combinations of its characters' readings),
    each with ü written v and u."""
    full, first = pinyin_keys(word)
    combos = islice(product(*map(_readings, word)), MAX_READINGS)
    readings = {full} | {"".join(_letters(r)) for r in combos}
    keys = readings | {r.replace("v", "u") for r in readings} | {first}
    return {k for k in keys if len(k) >= 2}
