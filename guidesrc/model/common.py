"""Types shared by the guide and catalogue models.

Every field carries a Chinese ``title`` and ``description``: they become the JSON Schema that editors
see in VS Code, so they are written for service-centre editors, not for programmers.
"""

from __future__ import annotations

import datetime as dt
import re
import typing
from collections.abc import Mapping, Sequence
from types import UnionType
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, model_validator
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


def coded(table: Mapping[Any, str]) -> tuple[BeforeValidator, WithJsonSchema]:
    """A code field that also takes the code's name (``公共服务`` for ``"20"``), as the import
    sheets do: the name is read as its code, so check, compile and diff only ever see the code.
    The JSON Schema lists the codes and the names alike (exact text only, as the model reads it)."""
    by_label = {label: code for code, label in table.items()}

    def to_code(value: Any) -> Any:
        return by_label.get(value, value) if type(value) is str else value

    values: list[Any] = [*table, *by_label]
    schema: dict[str, Any] = {"enum": values}
    if all(isinstance(code, str) for code in table):
        schema["type"] = "string"
    return BeforeValidator(to_code), WithJsonSchema(schema)


class Model(BaseModel):
    """Base of every content model: unknown fields are errors, types are not coerced.

    Strict mode makes the models accept exactly what the generated JSON Schema accepts (no "1" for
    1, no 1 for "01"); a test holds the two to the same verdicts.
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)


def pending_field(**kwargs: Any) -> Any:
    """The ``pending`` (待补充) field of a :class:`Completable` model; declare it first."""
    return Field(
        default_factory=list,
        exclude_if=lambda value: not value,  # absent from compiled guides (and hashes) when empty
        title="待补充",
        description=(
            "来源中缺少、尚待补充的字段（如导入时省级平台没有提供的内容）。列在这里的必填字段可以暂时不填；"
            "补充后请从这里删除。guides check 以 to-complete 规则列出全部待补充内容。"
        ),
        **kwargs,
    )


_ABSENT = object()


class Completable(Model):
    """A model whose fields may be marked 待补充 (to be completed) in its ``pending`` list.

    A required field named in ``pending`` may be left out: it then holds ``None`` (a list: ``[]``).
    A required field not named there may not be left out, nor be ``null`` or ``[]`` (an empty
    required field is a missing one). The subclass declares ``pending`` first, typed
    ``list[Literal[...names...]]``; the names it allows are the fields that can be pending. The
    JSON Schema says the same with one ``if``/``else`` per required field.
    """

    model_config = ConfigDict(json_schema_extra=lambda schema, cls: _pending_schema(schema, cls))

    #: required fields that may be pending → their value when left out (None, or [] for lists)
    pending_empty: ClassVar[dict[str, Any]] = {}

    if typing.TYPE_CHECKING:  # declared by each subclass, with the names it allows

        @property
        def pending(self) -> Sequence[str]: ...

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        names = typing.get_args(typing.get_args(cls.model_fields["pending"].annotation)[0])
        cls.pending_empty = {
            name: []
            if typing.get_origin(_bare(cls.model_fields[name].annotation)) is list
            else None
            for name in names
            if cls.model_fields[name].is_required()
        }

    @model_validator(mode="before")
    @classmethod
    def _pending_gaps(cls, data: Any) -> Any:
        """Fill in the pending fields left out; take out empty required ones (so they are missing)."""
        if type(data) is not dict:
            return data
        pending = data.get("pending")
        pending = (
            set(pending)
            if isinstance(pending, list) and all(isinstance(p, str) for p in pending)
            else ()
        )
        out = None
        for name, empty in cls.pending_empty.items():
            value = data.get(name, _ABSENT)
            if name in pending:
                if value is _ABSENT:
                    out = out if out is not None else dict(data)
                    out[name] = empty
            elif value is None or (type(value) is list and not value):
                out = out if out is not None else dict(data)
                del out[name]
        return data if out is None else out


def _bare(annotation: Any) -> Any:
    """``X | None`` → ``X``."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    return (
        args[0]
        if typing.get_origin(annotation) in (typing.Union, UnionType) and len(args) == 1
        else annotation
    )


def _pending_schema(schema: dict[str, Any], cls: Any) -> None:
    """Required unless pending, in JSON Schema: one ``if pending contains x … else required x``."""
    rules = []
    for name, empty in cls.pending_empty.items():
        schema["required"].remove(name)
        prop = schema["properties"][name]
        strict: dict[str, Any] = (
            {"minItems": 1}
            if empty == []
            else next(a for a in prop["anyOf"] if a != {"type": "null"})
        )
        rules.append(
            {
                "if": {
                    "required": ["pending"],
                    "properties": {"pending": {"contains": {"const": name}}},
                },
                "else": {"required": [name], "properties": {name: strict}},
            }
        )
    if not schema["required"]:
        del schema["required"]
    if rules:
        schema["allOf"] = rules


TimeUnit = Literal["工作日", "自然日"]


class TimeLimit(Model, title="办结时限"):
    value: int = Field(ge=0, le=3650, title="时限数值", description="天数，0 表示即时办结。")
    unit: TimeUnit = Field(title="时限单位", description="工作日或自然日。")
    note: str | None = Field(
        default=None, title="时限说明", description="不计入时限的情形等补充说明。"
    )
