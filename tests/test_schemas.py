"""The JSON Schemas in schemas/ are generated from the models, and both give the same verdicts."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml_rs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from guidesrc.model.code_labels import BY_FIELD
from guidesrc.model.guide import Guide
from guidesrc.schemagen import SCHEMAS, render
from tests import schema_strategies as gen
from tests.conftest import EXAMPLE, REPO

SCHEMA_DIR = REPO / "schemas"
SKELETON = REPO / "guidesrc" / "skeleton"
HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_committed_schema_is_generated_from_the_models(name: str) -> None:
    committed = (SCHEMA_DIR / name).read_text(encoding="utf-8")
    assert committed == render(name), f"schemas/{name} is out of date: run `make schemas`"


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_every_field_has_a_chinese_title_and_description(name: str) -> None:
    schema = json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    defs = schema.get("$defs", {})
    missing = []
    for owner, node in [("", schema), *defs.items()]:
        for field, spec in node.get("properties", {}).items():
            target = defs.get(spec.get("$ref", "").rsplit("/", 1)[-1], {})
            title = spec.get("title") or target.get("title", "")
            description = spec.get("description") or target.get("description", "")
            if not (HAN.search(title) and HAN.search(description)):
                missing.append(f"{owner}.{field}")
    assert missing == []


def _validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def _load(path: Path) -> Any:
    return yaml_rs.loads(path.read_text(encoding="utf-8"), parse_datetime=False)


def _sources() -> list[tuple[str, Path]]:
    found = []
    for root in (SKELETON, EXAMPLE):
        found += [("guide.schema.json", p) for p in sorted((root / "guides").rglob("*.yaml"))]
        found += [
            (f"{p.stem}.schema.json", p) for p in sorted((root / "catalogues").glob("*.yaml"))
        ]
        found.append(("library.schema.json", root / "library.yaml"))
        found.append(("calendar.schema.json", root / "calendar.yaml"))
    return [(name, path) for name, path in found if path.exists()]


@pytest.mark.parametrize(("name", "path"), _sources(), ids=lambda v: str(v)[-40:])
def test_library_files_are_valid_for_both(name: str, path: Path) -> None:
    data = _load(path)
    _validator(name).validate(data)
    SCHEMAS[name][0].model_validate(data)


def _valid(model: type[BaseModel], data: Any) -> bool:
    try:
        model.model_validate(data)
    except ValidationError:
        return False
    return True


# Values a mutation may put anywhere. Floats with an integral value are left out: JSON Schema
# counts 20.0 as an integer, the models (strict) do not. YAML editors write 20, not 20.0.
_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-3, max_value=4000),
    st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: not f.is_integer()),
    st.sampled_from(["", "01", "20", "x", "工作日", "必要", "承诺件", "2026-12-01", "2026-02-30",
                     "a/b", "../x", "0990-12345678", "https://example.org/x", "11990100MB1A00010Q",
                     "公共服务", "县级", "法定机关", "自然人", "窗口办理", "全程网办", "其他",
                     "公共服务类", " 公共服务", "乡级"]),
    st.lists(st.sampled_from([1, "x", "jumin-shenfenzheng", "自然人", "网上办理"]), max_size=2),
    st.dictionaries(st.sampled_from(["value", "unit", "name", "zzz"]), st.sampled_from([1, "工作日"]), max_size=2),
)  # fmt: skip


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out += _paths(value, (*prefix, index))
    return out


@st.composite
def _mutated(draw: st.DrawFn, data: Any) -> Any:
    data = copy.deepcopy(data)
    path = draw(st.sampled_from(_paths(data)[1:]))
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    action = draw(st.sampled_from(["set", "delete", "add"]))
    if action == "set":
        parent[path[-1]] = draw(_VALUES)
    elif action == "delete":
        del parent[path[-1]]
    elif isinstance(parent, dict):
        parent[draw(st.sampled_from(["zzz", "Name", "id"]))] = draw(_VALUES)
    else:
        parent.append(draw(_VALUES))
    return data


_GUIDE = _load(SKELETON / "guides" / "jumin-shenfenzheng-huanling.yaml")
_OFFICES = _load(SKELETON / "catalogues" / "offices.yaml")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutated(_GUIDE))
def test_models_and_schema_agree_on_mutated_guides(data: Any) -> None:
    model = SCHEMAS["guide.schema.json"][0]
    assert _valid(model, data) == _validator("guide.schema.json").is_valid(data)


@settings(max_examples=200, deadline=None)
@given(_mutated(_OFFICES))
def test_models_and_schema_agree_on_mutated_catalogues(data: Any) -> None:
    model = SCHEMAS["offices.schema.json"][0]
    assert _valid(model, data) == _validator("offices.schema.json").is_valid(data)


_CALENDAR = yaml_rs.loads(
    """
notices:
  - year: 2027
    title: 国务院办公厅关于2027年部分节假日安排的通知
    holidays:
      - name: 元旦
        first_day: 2027-01-01
        last_day: 2027-01-03
      - name: 春节
        first_day: 2027-02-05
        makeup_working_days: [2027-02-20, 2027-02-21]
""",
    parse_datetime=False,
)


@settings(max_examples=200, deadline=None)
@given(_mutated(_CALENDAR))
def test_models_and_schema_agree_on_mutated_calendars(data: Any) -> None:
    model = SCHEMAS["calendar.schema.json"][0]
    assert _valid(model, data) == _validator("calendar.schema.json").is_valid(data)


# Where the guide holds codes: (path to the holder, field); a list field's items are codes.
_CODED = [((), "item_type"), ((), "exercise_level"), (("implementing_body",), "nature"),
          ((), "service_objects"), ((), "handling_forms"), (("online",), "depth")]  # fmt: skip
_REFS = gen.Refs(materials=["m1"], legal=["l1"], offices=["o1"], faq=["q1"], files=["a.pdf"])


def _written(data: dict[str, Any], as_name: Any) -> dict[str, Any]:
    """``data`` with each code written as its name where ``as_name(field)`` says so, else as
    the code (whatever the generated guide had)."""
    data = copy.deepcopy(data)
    for path, name in _CODED:
        holder = data
        for part in path:
            holder = holder.get(part) or {}
        if holder.get(name) is None:
            continue
        table = BY_FIELD[name]
        code_of = gen.code_of(name)

        def write(value: Any, field: str = name, table: Any = table, code_of: Any = code_of) -> Any:
            code = code_of(value)
            return table[code] if as_name(field) else code

        value = holder[name]
        holder[name] = [write(v) for v in value] if isinstance(value, list) else write(value)
    return data


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(gen.guide(_REFS, "g1", "code-0001"), st.data())
def test_a_code_and_its_name_give_the_same_guide(data: dict[str, Any], draw: st.DataObject) -> None:
    """Any guide: its codes written as codes, as names, or mixed, validate to the same data (all
    the compiler reads from the file: the compiled guide and its hash follow), with the codes in
    it, and the schema accepts all three."""
    mixed = draw.draw(st.sets(st.sampled_from([name for _p, name in _CODED])))
    forms = [_written(data, lambda _f: False), _written(data, lambda _f: True)]
    forms.append(_written(data, lambda field: field in mixed))
    validated = [Guide.model_validate(form).model_dump(mode="json") for form in forms]
    assert validated[0] == validated[1] == validated[2]
    assert validated[0]["item_type"] in (None, *BY_FIELD["item_type"])
    for form in forms:
        _validator("guide.schema.json").validate(form)
