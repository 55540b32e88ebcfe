"""Read the Guangdong government service portal's export (广东政务服务网): one JSON object a line.

The portal's field names and quirks (see docs/import.md for the full mapping):

- ``handle_time`` holds the 法定办结时限 and ``handle_time_limit`` the 承诺办结时限 (the crawler
  swapped the labels), written ``20(工作日)``; ``无`` where there is none.
- ``TASK_TYPE`` uses the portal's own codes (``21`` 公共服务, ``20`` 其他行政权力); the label
  ``TASK_TYPE_TEXT`` is mapped to the GB/T 39046 code instead.
- Missing values are ``无`` or null; ``material_intro`` is a list of names, or the text ``无``.
- Phone fields hold one or more numbers in many formats, sometimes inside prose.
- ``TASK_CODE`` (实施编码) starts with the implementing body's unified social credit code.

What the export does not hold — legal bases, procedure, fees, results, the implementing body's
nature, the effective date, each material's form and count — is marked 待补充 (pending).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from guidesrc.i18n import N_
from guidesrc.importer import normalise as norm
from guidesrc.importer.records import Item, MaterialRef, PlaceRef, Problem, ReadResult
from guidesrc.model.codes import ITEM_TYPES, SERVICE_OBJECTS
from guidesrc.model.guide import CODE_PATTERN, CREDIT_CODE_PATTERN

WHOLE_LINE = N_("(whole line)")
LEVELS = {"国家级": 1, "省级": 2, "市级": 3, "县级": 4, "镇级": 5, "乡镇级": 5, "村级": 6}
_ITEM_TYPE_BY_LABEL = {label: code for code, label in ITEM_TYPES.items()}
_OBJECT_BY_LABEL = {label: code for code, label in SERVICE_OBJECTS.items()}
_NO_WINDOW = "无线下办理窗口"
_URL_RE = re.compile(r"^https?://[^\s]+$")
_SENTENCE_END = tuple('。；;.!！?？)）」”"》')


def read(path: Path) -> ReadResult:
    result = ReadResult()
    regions: set[str] = set()
    for number, raw in enumerate(path.read_bytes().split(b"\n"), start=1):
        if not raw.strip():
            continue
        result.rows += 1
        record = _decode(raw, path.name, number, result.problems)
        if record is None:
            continue
        item = _item(record, path.name, number, result.problems)
        if item is not None:
            result.items.append(item)
            if isinstance(record.get("AREACODE"), str) and re.fullmatch(
                r"\d{6}", record["AREACODE"]
            ):
                regions.add(record["AREACODE"])
    result.region_code = _common_region(regions)
    return result


def _common_region(codes: set[str]) -> str | None:
    """The one division all items belong to: 440000 for province and city items together."""
    if not codes:
        return None
    if len(codes) == 1:
        return next(iter(codes))
    provinces = {c[:2] for c in codes}
    return f"{provinces.pop()}0000" if len(provinces) == 1 else None


def _decode(raw: bytes, source: str, line: int, problems: list[Problem]) -> dict[str, Any] | None:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("gb18030")
        except UnicodeDecodeError:
            problems.append(
                Problem(source, line, WHOLE_LINE, N_("the line is in no known encoding (UTF-8, GB18030)"),
                        N_("export the file again as UTF-8"))
            )  # fmt: skip
            return None
        problems.append(
            Problem(source, line, WHOLE_LINE, N_("the line is not UTF-8; it was read as GB18030"),
                    N_("save the whole file as UTF-8"), level="warning")
        )  # fmt: skip
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        problems.append(
            Problem(source, line, WHOLE_LINE,
                    N_("the line is not a complete JSON object ({detail} at character {column}); it may be cut short"),
                    N_("export this item again, or delete the line"),
                    args={"detail": exc.msg, "column": exc.colno})
        )  # fmt: skip
        return None
    if not isinstance(record, dict):
        problems.append(
            Problem(source, line, WHOLE_LINE, N_("the line holds no JSON object"),
                    N_("each line must be one item: {{...}}"))
        )  # fmt: skip
        return None
    return record


def _text(record: dict[str, Any], name: str) -> str | None:
    value = record.get(name)
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or norm.is_nothing(value):
        return None
    return norm.clean(value)


class _Row:
    """One record being mapped: the guide data, its pending fields, its problems."""

    def __init__(self, record: dict[str, Any], source: str, line: int, problems: list[Problem]):
        self.record, self.source, self.line, self.problems = record, source, line, problems
        self.data: dict[str, Any] = {}
        self.pending: list[str] = []

    def warn(self, field: str, message: str, hint: str, **args: Any) -> None:
        self.problems.append(
            Problem(self.source, self.line, field, message, hint, level="warning", args=args)
        )

    def gap(self, name: str) -> None:
        self.pending.append(name)


def _item(record: dict[str, Any], source: str, line: int, problems: list[Problem]) -> Item | None:
    code = _text(record, "TASK_CODE")
    name = _text(record, "TASK_NAME") or _text(record, "matter_name")
    if code is None or not re.fullmatch(CODE_PATTERN, code):
        problems.append(
            Problem(source, line, "TASK_CODE",
                    N_("no valid implementation code (实施编码): {value}") if code else N_("the implementation code (实施编码) is missing"),
                    N_("the item cannot be told apart from others without it; export it again"),
                    args={"value": code or ""})
        )  # fmt: skip
        return None
    if name is None:
        problems.append(
            Problem(source, line, "TASK_NAME", N_("the item name (事项名称) is missing"),
                    N_("export the item again with its name"))
        )  # fmt: skip
        return None
    row = _Row(record, source, line, problems)
    row.data = {"name": name, "implementation_code": code}
    _codes(row)
    _body(row, code)
    _texts(row)
    _limits(row)
    materials = _materials(row)
    places = _places(row)
    _contacts_and_forms(row, places)
    row.data["fees"] = {"pending": ["charged"]}
    row.pending += ["legal_basis", "procedure", "results", "effective_date"]
    order = {name: n for n, name in enumerate(_PENDING_ORDER)}
    row.data["pending"] = sorted(dict.fromkeys(row.pending), key=lambda n: order.get(n, 99))
    return Item(source, line, code, row.data, materials=materials, places=places)


_PENDING_ORDER = [
    "basic_code", "item_type", "exercise_level", "service_objects", "legal_basis", "conditions",
    "materials", "procedure", "statutory_time_limit", "promised_time_limit", "case_type",
    "results", "places", "consult_phones", "complaint_phones", "handling_forms", "effective_date",
]  # fmt: skip


def _codes(row: _Row) -> None:
    basic = _text(row.record, "CATAID")
    if basic and re.fullmatch(CODE_PATTERN, basic):
        row.data["basic_code"] = basic
    else:
        row.gap("basic_code")
    label = _text(row.record, "TASK_TYPE_TEXT")
    portal_code = _text(row.record, "TASK_TYPE")
    if label in _ITEM_TYPE_BY_LABEL:
        row.data["item_type"] = _ITEM_TYPE_BY_LABEL[label]
    elif label is None and portal_code in ITEM_TYPES:
        row.data["item_type"] = portal_code
    else:
        row.gap("item_type")
        row.warn("TASK_TYPE_TEXT", N_('"{value}" is not an item type of GB/T 39046'),
                 N_("choose the item type (事项类型) in the guide"), value=label or portal_code or "")  # fmt: skip
    level = _text(row.record, "matter_level") or _text(row.record, "district")
    if level in LEVELS:
        row.data["exercise_level"] = LEVELS[level]
    else:
        row.gap("exercise_level")


def _body(row: _Row, code: str) -> None:
    body: dict[str, Any] = {}
    dept = _text(row.record, "DEPT_NAME")
    if dept:
        body["name"] = dept
    # An implementation code starts with the body's unified social credit code (GB 32100).
    if re.fullmatch(CREDIT_CODE_PATTERN, code[:18]):
        body["credit_code"] = code[:18]
    body["pending"] = [f for f in ("name", "credit_code", "nature") if f not in body]
    row.data["implementing_body"] = body
    joint = _text(row.record, "co_department")
    if joint:
        row.data["joint_bodies"] = norm.split_list(joint)
    objects = row.record.get("service_object_name")
    codes: list[int] = []
    for label in objects if isinstance(objects, list) else []:
        if label in _OBJECT_BY_LABEL:
            codes.append(_OBJECT_BY_LABEL[label])
        elif isinstance(label, str) and not norm.is_nothing(label):
            row.warn("service_object_name", N_('"{value}" is not a service object of GB/T 39046; left out'),
                     N_("if it matters, add the matching code to service_objects by hand"), value=label)  # fmt: skip
    if codes:
        row.data["service_objects"] = sorted(set(codes))
    else:
        row.gap("service_objects")
    themes = row.record.get("theme_category")
    if isinstance(themes, list):
        names = [norm.clean(t) for t in themes if isinstance(t, str) and not norm.is_nothing(t)]
        if names:
            row.data["themes"] = list(dict.fromkeys(names))


def _texts(row: _Row) -> None:
    conditions = _text(row.record, "accept_standard")
    raw = row.record.get("accept_standard")
    if conditions is None:
        row.gap("conditions")
        return
    row.data["conditions"] = [
        norm.unnumbered(line) for line in norm.lines(raw if isinstance(raw, str) else conditions)
    ]
    if not conditions.endswith(_SENTENCE_END) and len(conditions) > 30:
        row.warn("accept_standard", N_("the acceptance conditions may be cut short: …{tail}"),
                 N_("compare them with the department's published guide and complete them"),
                 tail=conditions[-12:])  # fmt: skip


def _limits(row: _Row) -> None:
    for field, target, required in (
        ("handle_time", "statutory_time_limit", False),  # 法定办结时限 (labels swapped)
        ("handle_time_limit", "promised_time_limit", True),  # 承诺办结时限
    ):
        text = _text(row.record, field)
        parsed = norm.time_limit(text) if text else None
        if parsed is not None:
            row.data[target] = {"value": parsed[0], "unit": parsed[1]}
            continue
        if text is not None:
            row.warn(field, N_('"{value}" is not a time limit'),
                     N_("write the number of days and the unit, e.g. 20 工作日"), value=text)  # fmt: skip
        if required or text is not None:
            row.gap(target)
    promised = row.data.get("promised_time_limit")
    if promised is None:
        row.gap("case_type")
    else:  # the rules make it so: 0 days is an immediate case, more is a promised one
        row.data["case_type"] = "即办件" if promised["value"] == 0 else "承诺件"


_REQUIREMENT_GAPS = ["form", "medium", "original_count", "copy_count", "source", "necessity"]


def _materials(row: _Row) -> list[MaterialRef]:
    names = row.record.get("material_intro")
    if not isinstance(names, list):
        names = []
    refs: list[MaterialRef] = []
    seen: set[str] = set()
    for name in names:
        if not isinstance(name, str) or norm.is_nothing(name):
            continue
        key = norm.name_key(name)
        if key in seen:
            continue
        seen.add(key)
        refs.append(MaterialRef(norm.clean(name), requirement={"pending": list(_REQUIREMENT_GAPS)}))
    if not refs:
        row.gap("materials")
    return refs


def _places(row: _Row) -> list[PlaceRef]:
    text = _text(row.record, "handle_location")
    if text is None or text == _NO_WINDOW:
        row.gap("places")
        return []
    address = re.sub(r"^(办理地点|地址)[:：]\s*", "", text)
    consult = tuple(p for p, _note in norm.phones(row.record.get("consult_phone") or ""))
    return [PlaceRef(address=address, guide_phones=consult)]


def _contacts_and_forms(row: _Row, places: list[PlaceRef]) -> None:
    for field, target in (
        ("consult_phone", "consult_phones"),
        ("complain_phone", "complaint_phones"),
    ):
        raw = row.record.get(field)
        found = norm.phones(raw) if isinstance(raw, str) else []
        if found:
            row.data[target] = [
                {"phone": phone, **({"note": note} if note else {})} for phone, note in found
            ]
            continue
        row.gap(target)
        if isinstance(raw, str) and not norm.is_nothing(raw):
            row.warn(field, N_('no phone number recognised in "{value}"'),
                     N_("write the number in the guide, e.g. 020-12345678"), value=norm.clean(raw)[:40])  # fmt: skip
    visits = _text(row.record, "visit_number") or _text(row.record, "LIMIT_SCENE_NUM")
    if visits is not None and visits.isdigit() and int(visits) <= 9:
        count = int(visits)
        row.data["onsite_visits"] = {"count": count, **({"pending": ["reason"]} if count else {})}
    else:
        row.data["onsite_visits"] = {"pending": ["count"]}
    forms = [1] if places else []
    url = _text(row.record, "URL")
    online = _text(row.record, "ONLINECHECK") == "1"
    if url and _URL_RE.match(url):
        row.data["online"] = {"url": url}
    if online:
        forms.append(2)
    if forms:
        row.data["handling_forms"] = forms
    else:
        row.gap("handling_forms")
    if _text(row.record, "online_book") == "是":
        row.data["appointment"] = True
    if _text(row.record, "courier_service") == "是":
        row.data["express_delivery"] = True
