"""Read guides from a spreadsheet whose columns carry the GB/T 39046 element names in Chinese.

A workbook (``.xlsx``) has up to four sheets; a CSV source is one file per sheet, the others
beside it with the sheet's name after a hyphen (``指南.csv``, ``指南-申请材料.csv`` …)::

    事项       one row per service item (事项名称, 实施编码, …)             required
    申请材料   one row per material an item requires (实施编码, 材料名称, …)  optional
    法律法规   one row per legal basis the other sheets cite (依据名称, 条款, …) optional
    办理地点   one row per office the items name (地点名称, 地址, 办理时间, …)  optional

`guides import --template FILE.xlsx` (or ``.csv``) writes the empty sheets with every column, a
note on each header, and a 说明 sheet. A blank cell of a required element, or the text 待补充, marks
the field 待补充; nothing is filled in for it. CSV files may be UTF-8 (with or without a byte-order
mark), GB18030/GBK, or UTF-16 with a byte-order mark; a file mixing UTF-8 and GBK lines is read
line by line, with a warning for each GBK line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from guidesrc.check.identifiers import credit_code_check_char, is_credit_code
from guidesrc.i18n import N_
from guidesrc.importer import normalise as norm
from guidesrc.importer.apply import CLEARED
from guidesrc.importer.catalogues import legal_key
from guidesrc.importer.records import Item, LegalRef, MaterialRef, PlaceRef, Problem, ReadResult
from guidesrc.importer.sheet_cells import ABSENT, LIST_SEPARATORS, PENDING_CELL, Cells, cell_text
from guidesrc.importer.sheet_columns import (
    ITEM_COLUMNS,
    ITEMS,
    LEGAL,
    LEGAL_COLUMNS,
    MATERIAL_COLUMNS,
    MATERIALS,
    PLACE_COLUMNS,
    PLACES,
    Column,
    Row,
)
from guidesrc.importer.sheet_files import checked_table, csv_sheets, xlsx_sheets
from guidesrc.model.guide import CODE_PATTERN, CREDIT_CODE_PATTERN


def read(path: Path, fmt: str) -> ReadResult:
    problems: list[Problem] = []
    sheets = xlsx_sheets(path, problems) if fmt == "xlsx" else csv_sheets(path, problems)
    result = ReadResult(problems=problems)
    if ITEMS not in sheets:
        return result
    tables = {name: checked_table(name, *sheets[name], problems) for name in sheets}
    legal = _legal_rows(tables.get(LEGAL), problems)
    places = _place_rows(tables.get(PLACES), problems)
    materials = _material_rows(tables.get(MATERIALS), legal, problems)
    source, header_ok, rows = tables[ITEMS]
    result.rows = len(rows)
    if not header_ok:
        return result
    for line, values in rows:
        item = _item(source, line, values, legal, places, problems)
        if item is not None:
            result.items.append(item)
    _unused_places(places, problems)
    known = {item.code: item for item in result.items}
    for code, refs in materials.items():
        item = known.get(code)
        if item is None:
            for source_name, line, _ref in refs:
                problems.append(
                    Problem(source_name, line, "实施编码",
                            N_('no item with the implementation code "{code}" was imported; the material was skipped'),
                            N_("use the code of an item on the 事项 sheet"), args={"code": code})
                )  # fmt: skip
            continue
        item.materials = [ref for _s, _l, ref in refs if ref is not None]
        if any(ref is None for _s, _l, ref in refs):
            item.data.setdefault("pending", []).append("materials")
    return result


def _put(data: dict[str, Any], key: str, value: Any) -> None:
    """Set ``a.b`` in ``data``; PENDING_CELL goes into the pending list of the object that holds it."""
    if value is ABSENT:
        return
    *parents, name = key.split(".")
    target = data
    for parent in parents:
        target = target.setdefault(parent, {})
    if value is PENDING_CELL:
        target.setdefault("pending", []).append(name)
    elif value is not ABSENT:
        target[name] = value


_SPECIAL = {
    "implementation_code",
    "name",
    "id",
    "legal_basis",
    "fee_basis",
    "places",
    "results",
    "result_kind",
}


def _item(
    source: str,
    line: int,
    values: dict[str, Any],
    legal: dict[str, LegalRef],
    places: dict[str, _PlaceRow],
    problems: list[Problem],
) -> Item | None:
    cells = Cells(source, line, values, problems)
    code, name = cell_text(values.get("实施编码")), norm.clean(cell_text(values.get("事项名称")))
    if not code or not re.fullmatch(CODE_PATTERN, norm.clean(code)):
        problems.append(
            Problem(source, line, "实施编码",
                    N_('"{value}" is not an implementation code; the row was not imported') if code
                    else N_("the implementation code is missing; the row was not imported"),
                    N_("copy the code from the implementation list (6–64 letters, digits or hyphens)"),
                    args={"value": code})
        )  # fmt: skip
        return None
    if not name or name == norm.PENDING:
        problems.append(
            Problem(source, line, "事项名称", N_("the item name is missing; the row was not imported"),
                    N_("write the item's name as in the implementation list"))
        )  # fmt: skip
        return None
    code = norm.clean(code)
    data: dict[str, Any] = {"name": name, "implementation_code": code}
    by_key = {c.key: c for c in ITEM_COLUMNS}
    for column in ITEM_COLUMNS:
        if column.key not in _SPECIAL and (column.header in values or column.required):
            _put(data, column.key, cells.get(column))
    for group in ("implementing_body", "fees", "onsite_visits"):
        data.setdefault(group, {})
    _derive(data)
    _check_credit_code(cells, data["implementing_body"])
    _charged_without_items(data)
    item = Item(source, line, code, data)
    gid = cells.get(by_key["id"])
    item.guide_id = gid if isinstance(gid, str) else None
    item.legal_basis = _refs(cells.get(by_key["legal_basis"]), legal, data, "legal_basis")
    item.fee_basis = _refs(cells.get(by_key["fee_basis"]), legal, {}, "fee_basis")
    item.places = _places(cells.get(by_key["places"]), places, data)
    _results(cells, by_key, data)
    item.cleared = [key for key in cells.cleared if key not in ("id", "result_kind", "fee_basis")]
    return item


def _check_credit_code(cells: Cells, body: dict[str, Any]) -> None:
    """A unified social credit code with the wrong form is 待补充; one whose check character
    (GB 32100) is wrong is kept, with a warning here and the credit-code error in guides check."""
    code = body.get("credit_code")
    if not isinstance(code, str):
        return
    column = "实施主体编码"
    if not re.fullmatch(CREDIT_CODE_PATTERN, code):
        del body["credit_code"]
        body.setdefault("pending", []).append("credit_code")
        cells.warn(column, N_('"{value}" is not a unified social credit code (18 characters); marked 待补充'),
                   N_("copy the 18-character code from the body's certificate"), value=code)  # fmt: skip
    elif not is_credit_code(code):
        cells.warn(column, N_('the check character of "{value}" is wrong (should be {char}): the code has a typo'),
                   N_("copy the 18-character code from the body's certificate"),
                   value=code, char=credit_code_check_char(code[:17]))  # fmt: skip


def _charged_without_items(data: dict[str, Any]) -> None:
    """是否收费 是 without 收费项目: charged, its items 待补充 (not a free service, not an error)."""
    fees = data["fees"]
    if fees.get("charged") is True and not fees.get("items"):
        fees.setdefault("pending", []).append("items")


def _derive(data: dict[str, Any]) -> None:
    """What the sheet implies: the case type from the promised days; a missing reason for
    on-site visits is 待补充."""
    pending = data.setdefault("pending", [])
    promised = data.get("promised_time_limit")
    if "case_type" in pending and isinstance(promised, dict):
        pending.remove("case_type")
        data["case_type"] = "即办件" if promised["value"] == 0 else "承诺件"
    visits = data["onsite_visits"]
    if visits.get("count") and not visits.get("reason"):
        visits.setdefault("pending", []).append("reason")


def _refs(
    value: Any, legal: dict[str, LegalRef], data: dict[str, Any], field: str
) -> list[LegalRef]:
    if value is PENDING_CELL:
        data.setdefault("pending", []).append(field)
        return []
    if value is ABSENT:
        return []
    out = []
    for ref in value:
        whole = legal.get(_whole_key(ref.title, ref.article))
        if whole is not None:  # the line names a row of the 法律法规 sheet: title and article
            out.append(LegalRef(whole.title, whole.article, whole.details))
            continue
        known = legal.get(legal_key(ref.title, ref.article)) or legal.get(
            legal_key(ref.title, None)
        )
        out.append(
            LegalRef(known.title, ref.article or known.article, {**ref.details, **known.details})
            if known
            else ref
        )
    return out


def _whole_key(title: str, article: str | None) -> str:
    """A 法律法规 row by its title and article written as one line, as a cell cites it."""
    return "whole|" + norm.name_key(title + (article or ""))


def _places(value: Any, places: dict[str, _PlaceRow], data: dict[str, Any]) -> list[PlaceRef]:
    if value is PENDING_CELL:
        data.setdefault("pending", []).append("places")
        return []
    if value is ABSENT:
        return []
    out = []
    for line in value:
        # A line that is a place of the 办理地点 sheet is one place, even with 、 in its name.
        names = [line] if norm.name_key(line) in places else norm.split_list(line, LIST_SEPARATORS)
        for name in names:
            row = places.get(norm.name_key(name))
            if row is None:
                out.append(PlaceRef(name=name))
                continue
            row.used = True
            out.append(row.ref)
    return out


def _results(cells: Cells, by_key: dict[str, Column], data: dict[str, Any]) -> None:
    names = cells.get(by_key["results"])
    kind = cells.get(by_key["result_kind"])
    if names is PENDING_CELL:
        data.setdefault("pending", []).append("results")
    elif names is not ABSENT:
        data["results"] = [
            {"name": name, **({"kind": kind} if isinstance(kind, str) else {"pending": ["kind"]})}
            for name in names
        ]


def _rows(table: tuple[str, bool, list[Row]] | None) -> Iterator[tuple[str, int, dict[str, Any]]]:
    if table is None or not table[1]:
        return
    source, _ok, rows = table
    for line, values in rows:
        yield source, line, values


def _named_rows(
    table: tuple[str, bool, list[Row]] | None, problems: list[Problem], columns: list[Column]
) -> Iterator[tuple[str, int, str, dict[str, Any], Cells]]:
    """The rows with a name in their first column: where each is, its name, its other columns
    read, and its cells."""
    for source, line, values in _rows(table):
        cells = Cells(source, line, values, problems)
        name = norm.clean(cell_text(values.get(columns[0].header)))
        if not name:
            continue
        details: dict[str, Any] = {}
        for column in columns[1:]:
            _put(details, column.key, cells.get(column))
        yield source, line, name, details, cells


def _legal_rows(
    table: tuple[str, bool, list[Row]] | None, problems: list[Problem]
) -> dict[str, LegalRef]:
    out: dict[str, LegalRef] = {}
    for _source, _line, title, details, _cells in _named_rows(table, problems, LEGAL_COLUMNS):
        article = details.pop("article", None)
        ref = out.setdefault(legal_key(title, article), LegalRef(title, article, details))
        out.setdefault(_whole_key(title, article), ref)
    return out


@dataclass(slots=True)
class _PlaceRow:
    source: str
    line: int
    ref: PlaceRef
    used: bool = False


def _place_rows(
    table: tuple[str, bool, list[Row]] | None, problems: list[Problem]
) -> dict[str, _PlaceRow]:
    """The offices of the 办理地点 sheet by the key of their name and of their address. Several rows
    of one name are one office with the hours of each row (seasonal hours, a Saturday row)."""
    out: dict[str, _PlaceRow] = {}
    for source, line, name, details, cells in _named_rows(table, problems, PLACE_COLUMNS):
        address = details.get("address")
        known = out.get(norm.name_key(name))
        details.pop("address", None)
        if known is not None:
            details["address"] = address
            _more_of_the_same_place(known, details, cells)
            continue
        row = _PlaceRow(source, line, PlaceRef(name=name, address=address, details=details))
        out[norm.name_key(name)] = row
        if address:
            out.setdefault(norm.name_key(address), row)
    return out


def _more_of_the_same_place(known: _PlaceRow, details: dict[str, Any], cells: Cells) -> None:
    """A second row of a place's name adds its hours and phones to the first row's office."""
    first = known.ref.details
    for key in ("hours", "phones"):
        extra = [v for v in details.get(key, []) if v not in first.get(key, [])]
        if extra:
            first[key] = [*first.get(key, []), *extra]
            if key == "hours" and "hours" in first.get("pending", []):
                first["pending"].remove("hours")
    if details.get("address") in (None, known.ref.address):
        return
    cells.warn(
        "地点名称", N_("the place is also on line {line} with another address; its hours and phones were added to that office"),
        N_("nothing to do if this row gives more hours of the same office; else give it its own name"),
        line=known.line,
    )  # fmt: skip


def _unused_places(places: dict[str, _PlaceRow], problems: list[Problem]) -> None:
    for row in {id(row): row for row in places.values()}.values():
        if not row.used:
            problems.append(
                Problem(row.source, row.line, "地点名称",
                        N_('no item names the place "{name}" in its 办理地点; the row was not imported'),
                        N_("write the place's name in the 办理地点 column of its items (several separated by 、)"),
                        level="warning", args={"name": row.ref.name})
            )  # fmt: skip


_REQUIREMENT = (
    "form",
    "medium",
    "original_count",
    "copy_count",
    "source",
    "necessity",
    "condition",
    "notes",
)


_ENTRY = ("kind", "issuer", "description")


def _material_rows(
    table: tuple[str, bool, list[Row]] | None, legal: dict[str, LegalRef], problems: list[Problem]
) -> dict[str, list[tuple[str, int, MaterialRef | None]]]:
    """实施编码 → the materials its rows list (None for a 待补充 row)."""
    out: dict[str, list[tuple[str, int, MaterialRef | None]]] = {}
    by_key = {c.key: c for c in MATERIAL_COLUMNS}
    for source, line, values in _rows(table):
        cells = Cells(source, line, values, problems)
        code = norm.clean(cell_text(values.get("实施编码")))
        name = norm.clean(cell_text(values.get("材料名称")))
        if not code:
            continue
        if not name or name == norm.PENDING:
            out.setdefault(code, []).append((source, line, None))
            continue
        requirement: dict[str, Any] = {}
        details: dict[str, Any] = {}
        for key in _REQUIREMENT:
            _put(requirement, key, cells.get(by_key[key]))
        cleared = list(cells.cleared)
        if cleared:  # （清空） in a requirement's cell: see apply.CLEARED
            requirement[CLEARED] = cleared
        for key in _ENTRY:
            _put(details, key, cells.get(by_key[key]))
        basis = cells.get(by_key["legal_basis"])
        refs = _refs(basis, legal, details, "legal_basis") if basis is not PENDING_CELL else []
        if basis is PENDING_CELL:
            details.setdefault("pending", []).append("legal_basis")
        out.setdefault(code, []).append(
            (source, line, MaterialRef(name, requirement, details, refs))
        )
    return out
