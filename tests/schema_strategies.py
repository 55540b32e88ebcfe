"""Hypothesis strategies that make content libraries from the JSON Schemas in ``schemas/``.

The strategies walk the language-neutral schemas (not the pydantic models), so a field added to
the schema is generated without touching this module. Per object they choose which pending-capable
fields are pending (待补充) and left out, which optional fields are left out, and fill the rest:
enums from their values, patterns from their regular expressions, free text from an alphabet of
hostile-but-valid characters (HTML and Typst markup, quotes, braces, long runs). References are
the one thing a schema cannot say: a guide's ``materials``, ``places``, ``legal_basis`` and
``faq`` name entries of the generated catalogues, and windows name the generated guides.

A few facts are cross-field rules of ``guides check`` rather than schema (promised within
statutory time limits, fee items when charged …): :func:`_consistent` brings a generated guide in
line with them where the schema alone would let a library through that check refuses anyway.
"""

from __future__ import annotations

import datetime as dt
import json
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from guidesrc.check.identifiers import credit_code_check_char
from guidesrc.model.code_labels import BY_FIELD

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"

# Text an editor could write that check accepts: CJK of everyday guides, Latin, digits in short
# runs (long digit runs look like phone or ID numbers to the personal-data rule), the markup
# characters of HTML, Jinja, Typst and Markdown, quotes and the full-width punctuation of Chinese.
_CJK = "办理申请材料身份证户口簿结婚登记社会保险医疗最低生活保障窗口中心街道营业执照食品经营许可证明表格原件复印件"
_HOSTILE = "<>&\"'`#$*_[]{}()\\/@=;:!?%~^|+-"
_PUNCT = "，。、；：（）《》“”‘’——…·！？【】"
ALPHABET = _CJK + string.ascii_letters + _HOSTILE + _PUNCT + " "
# Fragments that have broken renderers elsewhere: markup that must stay text.
_PAYLOADS = (
    "<script>alert(1)</script>",
    "{{ 7*7 }}",
    "#set page(width: 1cm)",
    "$x^2$",
    '"]; #panic("x") //',
    "</td></tr></table>",
    "None",
    "null",
    "*粗体* _斜体_",
    "\\u0000",
)


def _text(min_size: int = 1, max_size: int | None = None) -> st.SearchStrategy[str]:
    cap = 300 if max_size is None else max_size
    plain = st.text(alphabet=ALPHABET, min_size=min_size, max_size=min(cap, 60))
    long = st.text(alphabet=_CJK + "，。", min_size=min(cap, 120), max_size=cap)
    mixed = st.lists(st.one_of(plain, st.sampled_from(_PAYLOADS)), min_size=1, max_size=4).map(
        "".join
    )
    return (
        st.one_of(plain, plain, plain, mixed, long)
        .map(str.strip)
        .filter(lambda s: min_size <= len(s) <= cap and (min_size == 0 or bool(s)))
    )


@cache
def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    return data


@dataclass
class Refs:
    """What references may name: the ids of the generated catalogues and guides."""

    materials: list[str] = field(default_factory=list)
    legal: list[str] = field(default_factory=list)
    offices: list[str] = field(default_factory=list)
    faq: list[str] = field(default_factory=list)
    guides: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


def _pendable(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Fields required unless pending → the strict schema of each (the ``else`` of its rule)."""
    out = {}
    for rule in schema.get("allOf", []):
        if "if" in rule and "else" in rule:
            (name,) = rule["else"]["required"]
            strict = rule["else"]["properties"][name]
            if not {"type", "$ref", "enum"} & strict.keys():  # {"minItems": 1} of a list
                strict = {**schema["properties"][name], **strict}
            out[name] = strict
    return out


class Walker:
    """Strategies for one schema file, references resolved against its ``$defs``."""

    def __init__(self, root: dict[str, Any], refs: Refs) -> None:
        self.root = root
        self.refs = refs

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = self.root["$defs"][schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    def value(self, schema: dict[str, Any], name: str) -> st.SearchStrategy[Any]:
        """A value for the property ``name`` (its name chooses the reference it must name)."""
        ref = self._reference(name)
        if ref is not None:
            return ref
        schema = self.resolve(schema)
        if "anyOf" in schema:
            options = [self.resolve(s) for s in schema["anyOf"] if s != {"type": "null"}]
            return st.one_of(*(self.value(s, name) for s in options))
        if "enum" in schema:
            return st.sampled_from(schema["enum"])
        if "const" in schema:
            return st.just(schema["const"])
        kind = schema.get("type")
        if kind == "object":
            return self.object(schema)
        if kind == "array":
            return self.array(schema, name)
        if kind == "boolean":
            return st.booleans()
        if kind == "integer":
            low = schema.get("minimum", 0)
            return st.integers(low, min(schema.get("maximum", low + 30), low + 30))
        if kind == "string":
            return self.string(schema, name)
        raise NotImplementedError(f"{name}: {schema}")

    def string(self, schema: dict[str, Any], name: str) -> st.SearchStrategy[str]:
        if schema.get("format") == "date":
            return st.dates(dt.date(2000, 1, 1), dt.date(2026, 6, 30)).map(dt.date.isoformat)
        if name == "credit_code":  # GB 32100: the 18th character is a check character
            return st.from_regex(
                r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{9}", fullmatch=True
            ).map(lambda s: s + credit_code_check_char(s))
        if name == "url":  # check wants an address a browser opens, not any non-space run
            return st.from_regex(
                r"https://[a-z]{2,10}\.gov\.cn(/[a-z0-9_-]{1,12}){0,3}", fullmatch=True
            )
        if "pattern" in schema:
            # ASCII digits: Python's \\d also matches other scripts' digits
            ascii_pattern = schema["pattern"].replace("\\d", "[0-9]")
            return st.from_regex(ascii_pattern, fullmatch=True).filter(
                lambda s: "\n" not in s and len(s) < 120
            )
        return _text(schema.get("minLength", 0) or 1, schema.get("maxLength"))

    def array(self, schema: dict[str, Any], name: str) -> st.SearchStrategy[list[Any]]:
        items = self.resolve(schema.get("items", {}))
        # lists of ids name entries of a catalogue (fee items, a list of objects, do not)
        reference = _ITEM_NAMES.get(name) if items.get("type") == "string" else None
        strategy = self.value(items, reference or name)
        unique = "enum" in items or reference is not None
        low = schema.get("minItems", 0)
        if strategy.is_empty:  # a reference to a catalogue with no entries
            return st.just([])
        return (
            # a code and its name are one value (1 and 自然人): never both in a list
            st.lists(strategy, min_size=low, max_size=max(low, 3), unique_by=code_of(name))
            if unique
            else st.lists(strategy, min_size=low, max_size=max(low, 3))
        )

    def object(self, schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
        schema = self.resolve(schema)
        props: dict[str, Any] = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        if not isinstance(extra, dict) and "patternProperties" in schema:
            (extra,) = schema["patternProperties"].values()
        if not props and isinstance(extra, dict):  # a mapping: id → entry (windows)
            return st.dictionaries(
                st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True),
                self.value(extra, "window"),
                max_size=3,
            )
        required = set(schema.get("required", []))
        pendable = _pendable(schema)
        # Pending-capable names as the schema lists them (its "pending" enum).
        can_pend = list(pendable) if "pending" in props else []

        @st.composite
        def build(draw: st.DrawFn) -> dict[str, Any]:
            pending = draw(st.lists(st.sampled_from(can_pend), unique=True)) if can_pend else []
            out: dict[str, Any] = {}
            if pending:
                out["pending"] = pending
            for prop, sub in props.items():
                if prop == "pending":
                    continue
                if prop in pendable:
                    if prop in pending and draw(st.integers(0, 3)):
                        continue  # pending and left out (mostly), or pending and still written
                    out[prop] = draw(self.value(pendable[prop], prop))
                elif prop in required:
                    out[prop] = draw(self.value(sub, prop))
                elif draw(st.booleans()):
                    value = draw(self.value(sub, prop))
                    if value is not None:
                        out[prop] = value
            return out

        return build()

    def _reference(self, name: str) -> st.SearchStrategy[Any] | None:
        pools = {
            "material": self.refs.materials,
            "legal_ref": self.refs.legal,
            "place_ref": self.refs.offices,
            "faq_ref": self.refs.faq,
            "guide_ref": self.refs.guides,
            "replaced_by": [],
        }
        if name in ("blank_form", "sample_form", "sample"):
            return st.sampled_from(self.refs.files) if self.refs.files else st.none()
        if name not in pools:
            return None
        pool = pools[name]
        return st.sampled_from(pool) if pool else st.nothing()


def code_of(name: str) -> Callable[[Any], Any]:
    """The code a value of the field ``name`` stands for: the code of a name (公共服务 → "20"),
    any other value itself."""
    by_label = {label: code for code, label in BY_FIELD.get(name, {}).items()}
    return lambda value: by_label.get(value, value) if isinstance(value, str) else value


# An array property → the name its items are generated under (references by kind).
_ITEM_NAMES = {
    "legal_basis": "legal_ref",
    "places": "place_ref",
    "faq": "faq_ref",
    "items": "guide_ref",  # a window's items (fee items are objects: not affected)
}


def entries(schema_name: str, refs: Refs, ids: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """A catalogue file's data: ``{"entries": {id: entry}}`` for the given ids."""
    root = load(schema_name)
    walker = Walker(root, refs)
    (entry_schema,) = root["properties"]["entries"]["patternProperties"].values()
    return st.fixed_dictionaries({i: walker.value(entry_schema, "entry") for i in ids}).map(
        lambda e: {"entries": e}
    )


def guide(refs: Refs, gid: str, code: str) -> st.SearchStrategy[dict[str, Any]]:
    """One guide file's data, with its id and implementation code given (both must be unique)."""
    walker = Walker(load("guide.schema.json"), refs)
    return walker.object(load("guide.schema.json")).map(lambda g: _consistent(g, gid, code))


def _consistent(data: dict[str, Any], gid: str, code: str) -> dict[str, Any]:
    """The cross-field rules of ``guides check`` that the schema cannot state."""
    data = {**data, "id": gid, "implementation_code": code}
    for key in ("status", "disclosure"):
        data.pop(key, None)  # in use and published: a suspended or private guide shows nothing
    fees = data.get("fees") or {}
    if fees.get("charged") is True:
        items = fees.get("items") or [{"name": "工本费", "standard": "每证 10 元"}]
        # an item without a basis takes the guide's first, else another item's (check: fee-basis)
        given = [i["legal_basis"][:1] for i in items if i.get("legal_basis")]
        fallback = data.get("legal_basis", [])[:1] or (given[0] if given else [])
        fees["items"] = [{**i, "legal_basis": i.get("legal_basis") or fallback} for i in items]
        if not fallback:
            fees.pop("charged")
            fees["items"] = []
            fees["pending"] = ["charged"]
    elif "items" in fees:
        fees["items"] = []
    data["fees"] = fees
    # Time limits: one unit; promised within statutory; case type agrees with the promise.
    promised, statutory = data.get("promised_time_limit"), data.get("statutory_time_limit")
    if promised and statutory:
        data["statutory_time_limit"] = {
            **statutory,
            "unit": promised["unit"],
            "value": max(statutory["value"], promised["value"]),
        }
    if promised and "case_type" in data:
        data["case_type"] = "即办件" if promised["value"] == 0 else "承诺件"
    visits = data.get("onsite_visits") or {}
    if visits.get("count") and not visits.get("reason"):
        visits["reason"] = "核验原件"
    online = data.get("online") or {}
    if 2 in map(code_of("handling_forms"), data.get("handling_forms", [])) and not online.get(
        "url"
    ):
        online["url"] = "https://zwfw.example.gov.cn/item"
        data["online"] = online
    for material in data.get("materials", []):
        form = material.get("form")
        if form == "原件":
            material.update(copy_count=0, original_count=max(1, material.get("original_count", 1)))
        elif form == "复印件":
            material.update(original_count=0, copy_count=max(1, material.get("copy_count", 1)))
        elif form == "原件和复印件":
            material.update(
                original_count=max(1, material.get("original_count", 1)),
                copy_count=max(1, material.get("copy_count", 1)),
            )
    return data


Fix = Callable[[dict[str, Any]], dict[str, Any]]
