"""The order of names on the site's lists: by pinyin (pypinyin, with the readings of words, so
重庆 is chóng and 银行 háng), not by code point (婚 before 户 before 居 there).

The pinyin of a name or label is worked out once and kept by the site (each listing's ``sort``,
the manifest's ``pinyin``): a publish hands what the site has to :func:`remember`, and pypinyin
is loaded only for a text it does not know (:mod:`guidesrc.search.readings`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from guidesrc.search.readings import collation, learn


def pinyin(text: str) -> str:
    """``民政局`` → ``min2 zheng4 ju2``: sorts in dictionary order (hu before hun before ju),
    the tone after the syllable. About 0.05 ms a name worked out: a guide's is kept in its
    listing."""
    return collation(text)


def pinyin_key(text: str) -> tuple[str, str]:
    """Sorts by pinyin, then by the text itself (two names read alike keep a fixed order)."""
    return (collation(text), text)


def remember(guides: Mapping[str, Mapping[str, Any]], stored: Mapping[str, str]) -> None:
    """The pinyin a site has: its listings' ``sort`` and the texts ``stored`` in its manifest."""
    learn(stored)
    learn(
        {
            listing["name"]: listing["sort"]
            for rec in guides.values()
            if (listing := rec["listing"]) is not None and listing.get("sort")
        }
    )


def stored(texts: Iterable[str]) -> dict[str, str]:
    """What the manifest keeps: the pinyin of the labels and names sorted without a listing."""
    return {text: collation(text) for text in sorted(set(texts))}
