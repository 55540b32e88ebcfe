"""Readable ids from Chinese names (居民身份证 → jumin-shenfenzheng), through pypinyin: a module of
its own, so that only the import that makes new catalogue entries loads pypinyin's dictionaries."""

from __future__ import annotations

import re

from pypinyin import lazy_pinyin
from pypinyin.seg.simpleseg import seg

from guidesrc.importer.normalise import name_key


def slug(text: str, limit: int = 40) -> str:
    """A readable id from a Chinese name: 居民身份证 → jumin-shenfenzheng (pinyin of each word;
    single characters in a row are joined), cut at a word boundary; "" when nothing is left."""
    text = name_key(text)
    words: list[str] = []
    run = ""
    for segment in seg(text):
        syllables = "".join(lazy_pinyin(segment))
        word = re.sub(r"[^a-z0-9]", "", syllables.lower())
        if len(segment) == 1 and word and not segment.isascii():
            run += word
            continue
        if run:
            words.append(run)
            run = ""
        if word:
            words.append(word)
    if run:
        words.append(run)
    out = ""
    for word in words:
        candidate = f"{out}-{word}" if out else word
        if len(candidate) > limit:
            break
        out = candidate
    return out or (words[0][:limit] if words else "")
