"""Types shared by the guide and catalogue models.

Every field carries a Chinese ``title`` and ``description``: they become the JSON Schema that editors
see in VS Code, so they are written for service-centre editors, not for programmers.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

# Identifiers end up in file names and URLs: lower-case ASCII only, so that case-insensitive
# file systems cannot hold two ids that collide, and no id can contain "/" or "..".
ID_PATTERN = r"^[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?$"
ID_RE = re.compile(ID_PATTERN)

Id = Annotated[
    str,
    Field(
        pattern=ID_PATTERN,
        title="标识",
        description="小写英文字母、数字、连字符或下划线，1–64 个字符，例如 hukou-qianru。",
    ),
]

PHONE_PATTERN = r"^(?:\d{3,4}-)?\d{5,8}(?:转\d{1,6})?$|^1\d{10}$|^\d{5}$"


def _iso_date(value: Any) -> Any:
    """Accept only ISO dates written as text (YYYY-MM-DD), as JSON Schema's format "date" does."""
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError("invalid calendar date") from exc
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    raise ValueError("date must be written as YYYY-MM-DD")


IsoDate = Annotated[
    dt.date,
    BeforeValidator(_iso_date),
    WithJsonSchema({"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}),
]

NonEmptyText = Annotated[str, Field(min_length=1)]


def not_bool(value: Any) -> Any:
    """Numeric codes refuse true/false, which Python would otherwise take for 1 and 0."""
    if isinstance(value, bool):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


NotBool = BeforeValidator(not_bool)


class Model(BaseModel):
    """Base of every content model: unknown fields are errors, types are not coerced.

    Strict mode makes the models accept exactly what the generated JSON Schema accepts (no "1" for
    1, no 1 for "01"); a test holds the two to the same verdicts.
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


TimeUnit = Literal["工作日", "自然日"]


class TimeLimit(Model, title="办结时限"):
    value: int = Field(ge=0, le=3650, title="时限数值", description="天数，0 表示即时办结。")
    unit: TimeUnit = Field(title="时限单位", description="工作日或自然日。")
    note: str | None = Field(
        default=None, title="时限说明", description="不计入时限的情形等补充说明。"
    )
