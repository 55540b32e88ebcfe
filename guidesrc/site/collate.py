"""The order of names on the site's lists: by pinyin (pypinyin, with the readings of words, so
重庆 is chóng and 银行 háng), not by code point (婚 before 户 before 居 there)."""

from __future__ import annotations

from functools import lru_cache

from pypinyin import Style, lazy_pinyin


@lru_cache(maxsize=65536)
def pinyin(text: str) -> str:
    """``民政局`` → ``min2 zheng4 ju2``: sorts in dictionary order (hu before hun before ju),
    the tone after the syllable. About 0.25 ms a name: a guide's is kept in its listing."""
    return " ".join(lazy_pinyin(text, style=Style.TONE3))


def pinyin_key(text: str) -> tuple[str, str]:
    """Sorts by pinyin, then by the text itself (two names read alike keep a fixed order)."""
    return (pinyin(text), text)
