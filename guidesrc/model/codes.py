"""Labels of the codes the guide schema uses (GB/T 39046-2020), and field titles for messages."""

from __future__ import annotations

from functools import cache

from guidesrc.model.code_labels import (
    BODY_NATURES,
    EXERCISE_LEVELS,
    HANDLING_FORMS,
    ITEM_TYPES,
    ONLINE_DEPTHS,
    SERVICE_OBJECTS,
)
from guidesrc.model.guide import Guide

__all__ = [
    "BODY_NATURES",
    "EXERCISE_LEVELS",
    "HANDLING_FORMS",
    "ITEM_TYPES",
    "ONLINE_DEPTHS",
    "SERVICE_OBJECTS",
    "field_title",
]


@cache
def field_title(name: str) -> str:
    """The Chinese title of a top-level guide field, e.g. ``materials`` → 申请材料."""

    info = Guide.model_fields.get(name)
    return (info.title if info and info.title else None) or name
