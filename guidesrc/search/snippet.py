"""The snippet of a hit: the first field (themes, results, FAQ, materials, conditions) that
holds a term of the query, labelled, with the matched characters in 【】; else the name so
marked; else nothing (the guide was found by its body text)."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from guidesrc.search.rank import marked
from guidesrc.search.text import query_terms

LABELS = ("主题", "结果", "问答", "材料", "条件")


def snippet(record: Sequence[str], variant: str) -> str:
    terms = query_terms(variant)
    for label, text in zip(LABELS, record[3:], strict=True):
        shown = marked(text, terms) if text else None
        if shown is not None:
            return f"{label}：{shown}"
    return marked(record[1], terms) or ""


def html(shown: str) -> Markup:
    """A snippet as HTML: escaped, its 【marked】 characters in ``<mark>``."""
    return Markup(str(escape(shown)).replace("【", "<mark>").replace("】", "</mark>"))
