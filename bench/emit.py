"""A small, deterministic YAML writer for generated content.

PyYAML's emitter costs about a millisecond per guide and writes CJK text escaped unless told
otherwise; this writer produces the layout an editor would write by hand (block mappings, short
lists and time limits in flow style) in a few microseconds. The same data always gives the same
bytes, so a guide parsed and written again is unchanged except where it was edited.

Strings are written plain when YAML 1.1 and 1.2 parsers both read them back as the same string,
otherwise double-quoted (a JSON string is a valid YAML double-quoted scalar).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

_RESERVED = {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"}
_BAD_FIRST = set("-?:,[]{}#&*!|>'\"%@` +.")
_FLOW_INDICATORS = set(",[]{}")
_FLOW_WIDTH = 64  # a flow collection longer than this is written as a block
_FLOW_ITEM = 20  # lists of longer items (conditions, notes) are always blocks
_FLOW_KEYS = 2  # mappings of more fields are always blocks, as editors write them


def dump(doc: Mapping[str, Any], header: str | None = None) -> str:
    """The YAML text of a mapping, optionally after a comment line such as a ``$schema`` hint."""
    lines = [header] if header else []
    _mapping(doc, 0, lines)
    return "\n".join(lines) + "\n"


def scalar(value: Any, flow: bool = False) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return value if _plain_ok(value, flow) else json.dumps(value, ensure_ascii=False)
    raise TypeError(f"cannot write {type(value).__name__} as a YAML scalar")


def _plain_ok(text: str, flow: bool) -> bool:
    if not text or text != text.strip() or text.lower() in _RESERVED:
        return False
    if text[0] in _BAD_FIRST or text[0].isdigit():
        return False  # indicators, and anything that could read as a number or a date
    if ": " in text or " #" in text or text.endswith(":") or "\n" in text or "\t" in text:
        return False
    return not (flow and not _FLOW_INDICATORS.isdisjoint(text))


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | bool | dt.date)


def _flow(value: Any) -> str | None:
    """The one-line flow form of a short list or mapping of scalars, or None."""
    if isinstance(value, list):
        if not all(_is_scalar(v) and len(str(v)) <= _FLOW_ITEM for v in value):
            return None
        text = "[" + ", ".join(scalar(v, flow=True) for v in value) + "]"
    elif isinstance(value, Mapping):
        if len(value) > _FLOW_KEYS or not all(_is_scalar(v) for v in value.values()):
            return None
        text = "{" + ", ".join(f"{k}: {scalar(v, flow=True)}" for k, v in value.items()) + "}"
    else:
        return None
    return text if len(text) <= _FLOW_WIDTH or not value else None


def _mapping(doc: Mapping[str, Any], indent: int, out: list[str]) -> None:
    pad = " " * indent
    for key, value in doc.items():
        prefix = f"{pad}{key}:"
        if _is_scalar(value):
            out.append(f"{prefix} {scalar(value)}")
        elif (flow := _flow(value)) is not None:
            out.append(f"{prefix} {flow}")
        elif isinstance(value, Mapping):
            out.append(prefix)
            _mapping(value, indent + 2, out)
        else:
            out.append(prefix)
            _sequence(value, indent + 2, out)


def _sequence(items: list[Any], indent: int, out: list[str]) -> None:
    pad = " " * indent
    for item in items:
        if _is_scalar(item):
            out.append(f"{pad}- {scalar(item)}")
        elif isinstance(item, Mapping) and item:
            start = len(out)
            _mapping(item, indent + 2, out)
            out[start] = f"{pad}- {out[start][indent + 2 :]}"
        else:
            out.append(f"{pad}- {_flow(item) or json.dumps(item, ensure_ascii=False)}")
