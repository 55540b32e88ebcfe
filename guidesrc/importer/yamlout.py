"""Write guides and catalogues as YAML that reads like the hand-written example library.

Fields come in the model's order (a guide's ``pending`` list right after its name, where an editor
sees it first); short lists of ids and codes and time limits are written on one line
(``legal_basis: [a, b]``, ``{value: 20, unit: 工作日}``); every file starts with the
``$schema`` comment that gives editors completion and field titles.
"""

from __future__ import annotations

import re
import types
import typing
from typing import Any

import yaml
import yaml_rs
from pydantic import BaseModel

from guidesrc.model import catalogues as cat
from guidesrc.model.common import ID_RE
from guidesrc.model.guide import Guide

CATALOGUE_MODELS: dict[str, type[BaseModel]] = {
    "materials": cat.Material,
    "legal-bases": cat.LegalBasis,
    "offices": cat.Office,
    "faq": cat.FaqEntry,
}


class _Flow(list[Any]):
    pass


class _FlowMap(dict[str, Any]):
    pass


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """The C emitter (LibYAML) where PyYAML has it: the import of the 2,262 real guides
    takes half the time it takes with the pure-Python one."""


def _flow_list(dumper: yaml.SafeDumper, data: _Flow) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)


def _flow_map(dumper: yaml.SafeDumper, data: _FlowMap) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=True)


def _plain_dict(dumper: yaml.SafeDumper, data: dict[str, Any]) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=False)


# Plain scalars that YAML 1.2 (yaml-rs, which reads every file) would not read as text: PyYAML
# follows YAML 1.1 and writes "08" or "1144E2440" unquoted, which 1.2 reads as 8 and infinity.
_YAML12_NOT_TEXT = re.compile(
    r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+"
    r"|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|~|null|Null|NULL|true|True|TRUE|false|False|FALSE)$"
)


def _text(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = "'" if _YAML12_NOT_TEXT.match(data) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _text)
_Dumper.add_representer(_Flow, _flow_list)
_Dumper.add_representer(_FlowMap, _flow_map)
_Dumper.add_representer(dict, _plain_dict)


def dump(data: Any) -> str:
    return yaml.dump(
        data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=4096, indent=2
    )


def _is_short_scalar(value: Any) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, str) and ID_RE.match(value) is not None
    )


def _model_of(annotation: Any) -> tuple[str, type[BaseModel] | None]:
    """("model" | "list" | "dict" | "", the model inside) for a field's annotation."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        annotation = args[0] if len(args) == 1 else annotation
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _model_of(typing.get_args(annotation)[0])
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "model", annotation
    if origin is list:
        inner = typing.get_args(annotation)[0]
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return "list", inner
    if origin is dict:
        inner = typing.get_args(annotation)[1]
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return "dict", inner
    return "", None


def shaped(data: Any, model: type[BaseModel] | None, top: bool = False) -> Any:
    """``data`` with keys in the model's order and the one-line styles applied."""
    if isinstance(data, list):
        if model is None and data and all(_is_short_scalar(v) for v in data):
            return _Flow(data)
        return [shaped(v, model) for v in data]
    if not isinstance(data, dict):
        return data
    if model is None:
        return {k: shaped(v, None) for k, v in data.items()}
    if set(data) <= {"value", "unit"} and "value" in data:
        return _FlowMap(data)
    fields = list(model.model_fields)
    if "pending" in fields:
        fields.remove("pending")
        fields.insert(
            fields.index("name") + 1 if top and "name" in fields else len(fields), "pending"
        )
    out: dict[str, Any] = {}
    for name in [*fields, *(k for k in data if k not in model.model_fields)]:
        if name not in data:
            continue
        value = data[name]
        info = model.model_fields.get(name)
        kind, inner = _model_of(info.annotation) if info else ("", None)
        if kind == "dict" and isinstance(value, dict):
            out[name] = {k: shaped(v, inner) for k, v in value.items()}
        elif kind and kind != "dict":
            out[name] = shaped(value, inner)
        else:
            out[name] = shaped(value, None)
    return out


def header(schema: str, depth: int) -> str:
    return f"# yaml-language-server: $schema={'../' * depth}schemas/{schema}\n"


def _read_back(text: str, data: Any) -> str:
    """``text``, after making sure it reads back as ``data`` (a YAML 1.2 reader, as check uses)."""
    if yaml_rs.loads(text, parse_datetime=False) != data:
        raise AssertionError(f"YAML written does not read back as written:\n{text}")
    return text


def guide_text(data: dict[str, Any], rel: str) -> str:
    text = header("guide.schema.json", rel.count("/")) + dump(shaped(data, Guide, top=True))
    return _read_back(text, data)


def catalogue_text(kind: str, entries: dict[str, Any]) -> str:
    body = {k: shaped(v, CATALOGUE_MODELS[kind]) for k, v in entries.items()}
    text = dump({"entries": body}) if body else "entries: {}\n"
    return _read_back(header(f"{kind}.schema.json", 1) + text, {"entries": entries})


def appended_entries(kind: str, entries: dict[str, Any]) -> str:
    """New entries as lines to append below an existing catalogue's ``entries:`` block."""
    text = dump({k: shaped(v, CATALOGUE_MODELS[kind]) for k, v in entries.items()})
    return "".join(f"  {line}\n" if line else "\n" for line in text.splitlines())
