"""Turn pydantic validation errors into diagnostics an editor can act on.

pydantic reports a location (``("materials", 2, "form")``) and an error type; each type gets a
message and a fix hint, and the hint names the allowed values or the expected format.
"""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from guidesrc.diagnostics import Diagnostic, PathPart, RuleId
from guidesrc.i18n import N_
from guidesrc.model.code_labels import BY_FIELD
from guidesrc.yamlio import Source, parse

M = TypeVar("M", bound=BaseModel)

# Format hints for pattern errors, by the name of the field (or of the mapping holding ids).
_PATTERN_HINTS: dict[str, str] = {
    "id": N_(
        'use 1–64 lower-case letters, digits, "-" or "_", e.g. hukou-qianru; "/" and ".." are not allowed'
    ),
    "credit_code": N_("write the 18-character unified social credit code, e.g. 11440300MB2C12345X"),
    "basic_code": N_(
        "write the code from the catalogue: 6–64 letters, digits or hyphens, in quotes"
    ),
    "implementation_code": N_(
        "write the code from the catalogue: 6–64 letters, digits or hyphens, in quotes"
    ),
    "phone": N_("write a phone number such as 0755-12345678, 0755-12345678转123 or 12345"),
    "url": N_("write a full address starting with https:// or http://"),
    "base_url": N_("write a full address starting with https:// or http://"),
    "region_code": N_('write the 6-digit administrative division code in quotes, e.g. "440300"'),
    "file": N_("write a path inside the library's files/ folder, e.g. files/apply-form.pdf"),
    "date": N_("write the date as YYYY-MM-DD, e.g. 2026-12-01"),
    "site_code": N_(
        'write the 网站标识码 from the government website register in quotes: 10 digits, e.g. "4403000001", or bm and 8 digits'
    ),
    "icp": N_("write the ICP 备案号 as registered, e.g. 粤ICP备12345678号 or 粤ICP备12345678号-1"),
    "police": N_(
        "write the 公安机关备案号 as registered, e.g. 粤公网安备 44030002000001号 (14 digits)"
    ),
    "conac_id": N_(
        "write the 32-character id of the site's 开办网站标识 (党政机关网站标识), from its address on bszs.conac.cn"
    ),
}
_FILE_FIELDS = {"blank_form", "sample_form", "sample"}
_ID_FIELDS = {
    "id", "material", "legal_basis", "places", "faq", "replaced_by", "items", "entries",
    "windows", "channels", "type",
}  # fmt: skip


def validated_file(
    source: Source, model: type[M], empty: Any = None
) -> tuple[M | None, list[Diagnostic]]:
    """A decoded catalogue file parsed and validated against ``model`` (an empty file read as
    ``empty``), or None and its problems (the file's own, YAML, then the schema's)."""
    if source.problem is not None:
        return None, [source.problem]
    data, problem = parse(source)
    if problem is not None:
        return None, [problem]
    try:
        return model.model_validate(empty if data is None else data), []
    except ValidationError as exc:
        return None, diagnostics_from(exc, source.rel, model)


def diagnostics_from(error: ValidationError, rel: str, model: type[BaseModel]) -> list[Diagnostic]:
    items = error.errors(include_url=False)
    missing: dict[tuple[PathPart, ...], list[str]] = {}
    for item in items:
        if item["type"] == "missing":
            missing.setdefault(tuple(item["loc"][:-1]), []).append(str(item["loc"][-1]))
    out = [_one(item, rel, model) for item in items if item["type"] != "missing"]
    for parent, fields in missing.items():
        out.append(_missing(rel, parent, fields))
    return out


def _missing(rel: str, parent: tuple[PathPart, ...], fields: list[str]) -> Diagnostic:
    """All required fields missing from one mapping, in one line."""
    if len(fields) == 1:
        message, hint = N_('the required field "{field}" is missing'), N_('add "{field}:" here')
    else:
        message, hint = N_("{count} required fields are missing: {fields}"), N_("add them here")
    args = {"field": fields[0], "fields": ", ".join(fields), "count": len(fields)}
    return Diagnostic(
        RuleId.SCHEMA, "error", rel, path=parent, message=message, hint=hint, args=args
    )


#: Values of the wrong type: (message, hint) per pydantic error type.
_EXPECTED: dict[str, tuple[str, str]] = {
    **dict.fromkeys(
        ("int_type", "int_parsing", "int_from_float"),
        (
            N_("expected a whole number, found {found}"),
            N_("write a whole number without quotation marks, e.g. 20"),
        ),
    ),
    **dict.fromkeys(
        ("bool_type", "bool_parsing"),
        (
            N_("expected true or false, found {found}"),
            N_("write true or false (是/否 and yes/no are not accepted)"),
        ),
    ),
    **dict.fromkeys(
        ("list_type", "tuple_type"),
        (
            N_("expected a list, found {found}"),
            N_('write each item on its own line, starting with "- "'),
        ),
    ),
    **dict.fromkeys(
        ("dict_type", "model_type", "model_attributes_type"),
        (
            N_("expected fields (key: value), found {found}"),
            N_('write "key: value" lines, indented under this field'),
        ),
    ),
}


def _one(item: Any, rel: str, model: type[BaseModel]) -> Diagnostic:
    loc: tuple[PathPart, ...] = tuple(item["loc"])
    kind: str = item["type"]
    ctx = item.get("ctx") or {}
    value = item.get("input")
    at_key = False
    if loc and loc[-1] == "[key]":  # a mapping key (an id) is wrong, not its value
        loc, at_key = loc[:-1], True
    field = _field_name(loc)
    args: dict[str, Any] = {"field": field, "value": _show(value), "found": _kind_of(value)}

    if kind == "extra_forbidden":
        return _unknown_field(rel, loc, model, args)
    if kind in {"string_type", "str_type"}:
        hint = (
            N_('put the value in quotation marks: "{value}"')
            if isinstance(value, int | float)
            else N_("write text here")
        )
        return _diag(rel, loc, N_("expected text, found {found}"), hint, args, at_key)
    if kind in _EXPECTED:
        message, hint = _EXPECTED[kind]
        return _diag(rel, loc, message, hint, args, at_key)
    said = _constraint(kind, ctx, value, _pattern_topic(loc, at_key), args)
    if said is not None:
        return _diag(rel, loc, said[0], said[1], args, at_key)
    if kind == "value_error" and field_is_date(ctx, item):
        return _diag(
            rel, loc, N_("{value} is not a valid date"), _PATTERN_HINTS["date"], args, at_key
        )
    args["detail"] = item.get("msg", kind)
    return _diag(rel, loc, N_("invalid value: {detail}"), N_("correct this value"), args, at_key)


def _unknown_field(
    rel: str, loc: tuple[PathPart, ...], model: type[BaseModel], args: dict[str, Any]
) -> Diagnostic:
    allowed = _allowed_fields(model, loc[:-1])
    close = closest_field(model, loc)
    if close:
        args["suggestion"] = close
        hint = N_('did you mean "{suggestion}"?')
    else:
        args["allowed"] = ", ".join(f for f in allowed if f != "pending")  # 待补充: import
        hint = N_("remove it, or use one of: {allowed}")
    return _diag(rel, loc, N_('unknown field "{field}"'), hint, args, at_key=True)


def closest_field(model: type[BaseModel], loc: tuple[PathPart, ...]) -> str | None:
    """The field an unknown field at ``loc`` most likely means (None: none is close)."""
    close = difflib.get_close_matches(
        str(loc[-1]), _allowed_fields(model, loc[:-1]), n=1, cutoff=0.6
    )
    return close[0] if close else None


def _constraint(
    kind: str, ctx: dict[str, Any], value: Any, topic: str, args: dict[str, Any]
) -> tuple[str, str] | None:
    """(message, hint) for a value of the right type that breaks a constraint (an allowed value,
    a format, a length, a limit, a time zone); None for other kinds. Fills ``args``."""
    if kind == "literal_error":
        return _not_allowed(ctx, value, topic, args)
    if kind == "string_pattern_mismatch":
        args["pattern"] = ctx.get("pattern", "")
        hint = _PATTERN_HINTS.get(topic, N_("expected the format {pattern}"))
        return N_("{value} is not in the expected format"), hint
    if kind in {"string_too_short", "too_short"}:
        args["min"] = ctx.get("min_length", 1)
        message = (
            N_("must not be empty")
            if kind == "string_too_short"
            else N_("needs at least {min} item(s)")
        )
        return message, N_("fill in this field or remove it")
    if kind in {"string_too_long", "too_long"}:
        args["max"] = ctx.get("max_length")
        return N_("is too long (at most {max})"), N_("shorten it")
    if kind in {"greater_than_equal", "greater_than", "less_than_equal", "less_than"}:
        args["limit"] = ctx.get("ge", ctx.get("gt", ctx.get("le", ctx.get("lt"))))
        message = (
            N_("must be at least {limit}")
            if kind.startswith("greater")
            else N_("must be at most {limit}")
        )
        return message, N_("correct the number")
    if kind == "timezone":
        return N_('"{value}" is not a known time zone'), N_(
            "write a time zone name such as Asia/Shanghai"
        )
    return None


def _not_allowed(
    ctx: dict[str, Any], value: Any, field: str, args: dict[str, Any]
) -> tuple[str, str]:
    """A value outside the allowed ones: the codes with their meanings (``01 行政许可``), either
    of which may be written; the name it is closest to when it looks like a misspelt name."""
    expected = str(ctx.get("expected", "")).replace("'", "").replace(" or ", ", ")
    labels = _code_labels(field, expected)
    args["expected"] = (
        ", ".join(f"{code} {label}" for code, label in labels.items()) if labels else expected
    )
    if not labels:
        return N_("{value} is not an allowed value"), N_("use one of: {expected}")
    hint = N_("write one of these codes or its name: {expected}")
    close = _closest_label(value, list(labels.values()))
    if close is not None:
        args["label"] = close
        hint = N_("did you mean {label}? write one of these codes or its name: {expected}")
    elif _is_number(value) and f"'{value:02d}'" in str(ctx.get("expected")):
        args["quoted"] = f"{value:02d}"
        hint = N_('codes are text: write "{quoted}" with quotation marks')
    return N_("{value} is not an allowed value"), hint


def _closest_label(value: Any, labels: list[str]) -> str | None:
    """The name ``value`` most likely misspells: the one holding (nearly) all of its characters
    (``乡级`` → ``镇（乡、街道）级``, ``公共服务类`` → ``公共服务``), the closer spelling first."""
    if not isinstance(value, str) or not value.strip():
        return None
    chars = set(value.strip())
    need = 1.0 if len(chars) <= 2 else 0.75

    def score(label: str) -> tuple[float, float]:
        held = len(chars & set(label)) / len(chars)
        return held, difflib.SequenceMatcher(None, value, label).ratio()

    best = max(labels, key=score)
    return best if score(best)[0] >= need else None


def _code_labels(field: str, expected: str) -> dict[str, str]:
    """The meanings of the codes of ``field``, when its allowed values are those codes."""
    table = BY_FIELD.get(field, {})
    shown = {str(code): label for code, label in table.items()}
    return shown if set(shown) == set(expected.split(", ")) else {}


def field_is_date(ctx: dict[str, Any], item: Any) -> bool:
    return "date" in str(item.get("msg", "")) or "date" in str(ctx.get("error", ""))


def _diag(
    rel: str,
    loc: tuple[PathPart, ...],
    message: str,
    hint: str,
    args: dict[str, Any],
    at_key: bool,
) -> Diagnostic:
    return Diagnostic(
        RuleId.SCHEMA, "error", rel, path=loc, message=message, hint=hint, args=args, at_key=at_key
    )


def _field_name(loc: tuple[PathPart, ...]) -> str:
    for part in reversed(loc):
        if isinstance(part, str):
            return part
    return ""


def _pattern_topic(loc: tuple[PathPart, ...], at_key: bool) -> str:
    name = _field_name(loc)
    if at_key or name in _ID_FIELDS:
        return "id"
    if name in _FILE_FIELDS:
        return "file"
    if name == "phones" or name == "phone":
        return "phone"
    return name


def _kind_of(value: Any) -> str:
    """What was found, as a message id (formatted with ``value`` when shown)."""
    if isinstance(value, bool):
        return N_("true/false")
    if isinstance(value, int | float):
        return N_("the number {value}")
    if isinstance(value, str):
        return N_('the text "{value}"')
    if isinstance(value, list):
        return N_("a list")
    if isinstance(value, dict):
        return N_("fields")
    return N_("nothing")


def _show(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "…"


def _allowed_fields(model: type[BaseModel], loc: tuple[PathPart, ...]) -> list[str]:
    """Field names of the model found at ``loc`` inside ``model``."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(part, int) or not _is_model(current):  # a list item or a mapping entry
            current = _element(current)
            continue
        field = current.model_fields.get(part)
        if field is None:
            return []
        current = field.annotation
    current = _unwrap(current)
    return sorted(current.model_fields) if _is_model(current) else []


def _is_number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _unwrap(tp: Any) -> Any:
    """Strip Optional / Annotated around a type."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            tp = args[0] if len(args) == 1 else tp
            if len(args) != 1:
                return tp
        else:
            return tp


def _element(tp: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin is list:
        return typing.get_args(tp)[0]
    if origin is dict:
        return typing.get_args(tp)[1]
    return tp
