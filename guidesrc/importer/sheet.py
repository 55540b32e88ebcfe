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

import csv
import datetime as dt
import difflib
import io
import re
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from guidesrc.check.identifiers import credit_code_check_char, is_credit_code
from guidesrc.errors import GuidesError
from guidesrc.i18n import N_, _
from guidesrc.importer import legaltext
from guidesrc.importer import normalise as norm
from guidesrc.importer.apply import CLEARED
from guidesrc.importer.catalogues import legal_key
from guidesrc.importer.records import Item, LegalRef, MaterialRef, PlaceRef, Problem, ReadResult
from guidesrc.model import catalogues as cat_model
from guidesrc.model import codes
from guidesrc.model.common import ID_RE
from guidesrc.model.guide import CODE_PATTERN, CREDIT_CODE_PATTERN, Guide

ITEMS, MATERIALS, LEGAL, PLACES = "事项", "申请材料", "法律法规", "办理地点"
SHEETS = (ITEMS, MATERIALS, LEGAL, PLACES)
_ABSENT = object()  # a blank optional cell
_PENDING = object()  # a blank required cell, or 待补充
#: Optional guide fields that can still be marked 待补充 (the guide model's pending names).
_PENDABLE = frozenset(typing.get_args(typing.get_args(Guide.model_fields["pending"].annotation)[0]))


@dataclass(frozen=True, slots=True)
class Column:
    header: str  # the GB/T 39046 element name
    key: str  # where the value goes (see _item, _material …)
    kind: str  # how the cell is read: text, lines, list, code, codes, int, bool, limit, date, …
    required: bool  # blank means 待补充 (else: left out)
    note: str  # for editors: what to write (the template's header notes, docs/import.md)
    choices: tuple[tuple[str, Any], ...] = ()  # label → value, for code columns


def _labels(table: dict[Any, str]) -> tuple[tuple[str, Any], ...]:
    return tuple((label, code) for code, label in table.items())


def _same(*values: str) -> tuple[tuple[str, Any], ...]:
    return tuple((v, v) for v in values)


_YES_NO = (("是", True), ("否", False))
ITEM_COLUMNS = [
    Column("事项名称", "name", "text", True, "规范的事项名称，与实施清单一致。"),
    Column("实施编码", "implementation_code", "code", True, "实施清单中的实施编码，照原样填写（字母、数字和连字符，6–64 位），全库唯一；再次导入时据此找到已有指南。"),
    Column("基本编码", "basic_code", "code", True, "目录清单中的基本编码。"),
    Column("标识", "id", "id", False, "可选：指南文件名，如 hukou-qianru；不填时由实施编码生成。"),
    Column("事项类型", "item_type", "choice", True, "如 行政许可 或 01。", _labels(codes.ITEM_TYPES)),
    Column("行使层级", "exercise_level", "choice", True, "如 市级、县级、乡级、村级 或 3；只填一个。", _labels(codes.EXERCISE_LEVELS)),
    Column("实施主体", "implementing_body.name", "text", True, "实施该事项的机关或组织全称。"),
    Column("实施主体编码", "implementing_body.credit_code", "text", True, "18 位统一社会信用代码。"),
    Column("实施主体性质", "implementing_body.nature", "choice", True, "法定机关、授权组织、受委托组织或其他。", _labels(codes.BODY_NATURES)),
    Column("承办机构", "handling_bodies", "list", False, "多个用顿号或换行分隔。"),
    Column("联办机构", "joint_bodies", "list", False, "多个用顿号或换行分隔。"),
    Column("服务对象", "service_objects", "choices", True, "如 自然人、企业法人；多个用顿号分隔。", _labels(codes.SERVICE_OBJECTS)),
    Column("服务主题", "themes", "list", False, "如 户籍办理；多个用顿号分隔。"),
    Column("设定依据", "legal_basis", "legal", True, "每行一条，如《中华人民共和国行政许可法》第二十九条；条款原文可写在条款之后（“第十条：……”）；详情填在“法律法规”表。"),
    Column("受理条件", "conditions", "lines", True, "每行一条；不用写序号（1、（一）等会去掉，页面自动编号）。"),
    Column("办理流程", "procedure", "steps", True, "每行一个环节，写作“环节名称：办理内容”，如 受理：窗口核验材料。"),
    Column("法定办结时限", "statutory_time_limit", "limit", False, "如 20 个工作日；法律法规未规定时留空。"),
    Column("承诺办结时限", "promised_time_limit", "limit", True, "如 5 个工作日；即办件写 即办。"),
    Column("办件类型", "case_type", "choice", True, "即办件或承诺件；留空时按承诺时限判断（0 天为即办件）。", _same("即办件", "承诺件")),
    Column("是否收费", "fees.charged", "bool", True, "是 或 否。", _YES_NO),
    Column("收费项目", "fees.items", "fees", False, "每行一项，写作“项目名称：收费标准”，如 工本费：每证 20 元。"),
    Column("收费依据", "fee_basis", "legal", False, "收费项目的法律法规依据，写法同设定依据。"),
    Column("办理结果", "results", "lines", False, "每行一个结果名称，如《居民户口簿》。"),
    Column("结果类型", "result_kind", "choice", False, "证照、批文或其他（适用于本行全部结果）。", _same("证照", "批文", "其他")),
    Column("办理地点", "places", "places", True, "地点名称，多个用顿号或换行分隔；地址和时间填在“办理地点”表。"),
    Column("咨询电话", "consult_phones", "phones", True, "如 020-12345678；多个用顿号分隔；可写单位，如 城东派出所：0431-81234567；说明写在号码后的括号里。"),
    Column("监督投诉电话", "complaint_phones", "phones", True, "如 12345。"),
    Column("到办事现场次数", "onsite_visits.count", "int", True, "0 表示零跑动。"),
    Column("必须到现场原因", "onsite_visits.reason", "text", False, "到现场次数大于 0 时填写。"),
    Column("办理形式", "handling_forms", "choices", True, "如 窗口办理、网上办理；多个用顿号分隔。", _labels(codes.HANDLING_FORMS)),
    Column("网上办理地址", "online.url", "url", False, "以 https:// 或 http:// 开头。"),
    Column("网上办理深度", "online.depth", "choice", False, "信息公开、在线预审、在线受理或全程网办。", _labels(codes.ONLINE_DEPTHS)),
    Column("通办范围", "scope", "choice", False, "跨省通办、全省通办、全市通办、全区通办或不通办。", _same("跨省通办", "全省通办", "全市通办", "全区通办", "不通办")),
    Column("支持预约办理", "appointment", "bool", False, "是 或 否。", _YES_NO),
    Column("支持物流快递", "express_delivery", "bool", False, "是 或 否。", _YES_NO),
    Column("支持网上支付", "online_payment", "bool", False, "是 或 否。", _YES_NO),
    Column("公开属性", "disclosure", "choice", False, "主动公开、依申请公开或不予公开。", _same("主动公开", "依申请公开", "不予公开")),
    Column("事项状态", "status", "choice", False, "在用、暂停或已取消。", _same("在用", "暂停", "已取消")),
    Column("具体实施时间", "effective_date", "date", True, "如 2026-12-01。"),
]  # fmt: skip
MATERIAL_COLUMNS = [
    Column("实施编码", "code", "code", True, "所属事项的实施编码（“事项”表中的）。"),
    Column("材料名称", "name", "text", True, "规范名称；同名材料在各事项间共用一个目录条目。整项待补充时写 待补充。"),
    Column("材料类型", "kind", "choice", True, "证件证照、申请表格文书、证明文件或其他。", _same(*typing.get_args(cat_model.MaterialKind))),
    Column("出具单位", "issuer", "text", False, "申请人自备时留空。"),
    Column("材料说明", "description", "text", False, "材料的内容、格式等说明。"),
    Column("材料依据", "legal_basis", "legal", True, "要求提交该材料的法律法规，写法同设定依据。"),
    Column("材料形式", "form", "choice", True, "原件、复印件，或原件和复印件。", _same("原件", "复印件", "原件和复印件")),
    Column("材料载体", "medium", "choice", True, "纸质、电子，或纸质或电子。", _same("纸质", "电子", "纸质或电子")),
    Column("原件份数", "original_count", "int", True, "不需要原件时填 0。"),
    Column("复印件份数", "copy_count", "int", True, "不需要复印件时填 0。"),
    Column("来源渠道", "source", "choice", True, "申请人自备、政府部门核发或其他。", _same("申请人自备", "政府部门核发", "其他")),
    Column("必要性", "necessity", "choice", True, "必要、非必要或容缺后补。", _same("必要", "非必要", "容缺后补")),
    Column("适用情形", "condition", "text", False, "仅某种情形下需要时填写，如 委托他人办理的。"),
    Column("填报须知", "notes", "text", False, "签字盖章等要求。"),
]  # fmt: skip
LEGAL_COLUMNS = [
    Column("依据名称", "title", "text", True, "如《中华人民共和国行政许可法》。"),
    Column("条款", "article", "text", False, "如 第二十九条。"),
    Column("条款内容", "text", "text", False, "依据条款的原文。"),
    Column("制定机关", "issuer", "text", True, "制定或发布该依据的机关。"),
    Column("效力层级", "level", "choice", True, "法律、行政法规、地方性法规、部门规章、地方政府规章、规范性文件或其他。", _same(*typing.get_args(cat_model.LegalLevel))),
    Column("文号", "document_number", "text", False, "如 国务院令第 412 号。"),
    Column("施行日期", "in_force_from", "date", True, "如 2004-07-01。"),
    Column("废止日期", "repealed_on", "date", False, "已废止时填写。"),
]  # fmt: skip
PLACE_COLUMNS = [
    Column("地点名称", "name", "text", True, "与“事项”表“办理地点”列中的名称一致。"),
    Column("地址", "address", "text", True, "详细地址。"),
    Column("大厅楼层", "hall", "text", False, "如 一楼 A 区。"),
    Column("办理时间", "hours", "hours", True, "每行一段，写作“日期 时间”，如 周一至周五 9:00–12:00，13:30–17:30；分季节的时间写成几段（或同一地点名称写几行）。"),
    Column("联系电话", "phones", "phones", False, "多个用顿号分隔。"),
    Column("交通指引", "transport", "text", False, "公交、地铁、停车等。"),
]  # fmt: skip
COLUMNS = {
    ITEMS: ITEM_COLUMNS,
    MATERIALS: MATERIAL_COLUMNS,
    LEGAL: LEGAL_COLUMNS,
    PLACES: PLACE_COLUMNS,
}
#: Columns without which a sheet's rows cannot be imported at all.
IDENTITY = {ITEMS: ("实施编码", "事项名称"), MATERIALS: ("实施编码", "材料名称"),
            LEGAL: ("依据名称",), PLACES: ("地点名称",)}  # fmt: skip
SHEET_NOTES = {
    ITEMS: "一行一个事项。",
    MATERIALS: "一行一项申请材料，用实施编码对应到事项。",
    LEGAL: "一行一条依据（可选）：其他表引用的依据在这里写明制定机关、效力层级和施行日期。",
    PLACES: "一行一个办理地点（可选）。",
}

Row = tuple[int, dict[str, Any]]  # (line, header → raw value)


# ---------------------------------------------------------------------------------------------
# Reading the sheets


def read(path: Path, fmt: str) -> ReadResult:
    problems: list[Problem] = []
    sheets = _xlsx_sheets(path, problems) if fmt == "xlsx" else _csv_sheets(path, problems)
    result = ReadResult(problems=problems)
    if ITEMS not in sheets:
        return result
    tables = {name: _table(name, *sheets[name], problems) for name in sheets}
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


def _xlsx_sheets(path: Path, problems: list[Problem]) -> dict[str, tuple[str, list[Row]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise GuidesError(
            _("{file}: not a readable XLSX workbook ({error})").format(file=path.name, error=exc)
        ) from exc
    try:
        names = [ws.title for ws in book.worksheets]
        chosen = {name: name for name in SHEETS if name in names}
        if ITEMS not in chosen:
            others = [n for n in names if n not in SHEETS and n != "说明"]
            if others:
                chosen[ITEMS] = others[0]
        out = {}
        for sheet, title in chosen.items():
            rows: list[Row] = []
            header: list[str] | None = None
            for number, values in enumerate(book[title].iter_rows(values_only=True), start=1):
                if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                    continue
                if header is None:
                    header = [norm.clean(str(v)) if v is not None else "" for v in values]
                    rows.append((number, {h: h for h in header}))
                    continue
                rows.append(
                    (
                        number,
                        {
                            header[i]: v
                            for i, v in enumerate(values)
                            if i < len(header) and header[i]
                        },
                    )
                )
            out[sheet] = (f"{path.name}[{title}]", rows)
        if ITEMS not in out:
            problems.append(
                Problem(path.name, 1, ITEMS, N_("the workbook has no sheet of items"),
                        N_('name the sheet "事项"; guides import --template FILE.xlsx writes one'))
            )  # fmt: skip
        return out
    finally:
        book.close()


def _csv_sheets(path: Path, problems: list[Problem]) -> dict[str, tuple[str, list[Row]]]:
    out = {ITEMS: (path.name, _csv_rows(path, problems))}
    for sheet in SHEETS[1:]:
        sibling = path.with_name(f"{path.stem}-{sheet}{path.suffix}")
        if sibling.is_file():
            out[sheet] = (sibling.name, _csv_rows(sibling, problems))
    return out


def _csv_rows(path: Path, problems: list[Problem]) -> list[Row]:
    text = _decode_csv(path, problems)
    rows: list[Row] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    # Problems name the record (the row a spreadsheet shows), not the physical line: a cell
    # with line breaks spans several lines of the file but is one row.
    for line, values in enumerate(reader, start=1):
        if not any(v.strip() for v in values):
            continue
        if header is None:
            header = [norm.clean(v) for v in values]
            rows.append((line, {h: h for h in header}))
            continue
        rows.append(
            (line, {header[i]: v for i, v in enumerate(values) if i < len(header) and header[i]})
        )
    return rows


def _decode_csv(path: Path, problems: list[Problem]) -> str:
    """The file's text: UTF-16 with a byte-order mark, else line by line UTF-8 or GB18030."""
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    data = data.removeprefix(b"\xef\xbb\xbf")
    lines = data.split(b"\n")
    decoded, legacy, utf8 = [], [], False
    for number, raw in enumerate(lines, start=1):
        try:
            decoded.append(raw.decode("utf-8"))
            utf8 = utf8 or not raw.isascii()
        except UnicodeDecodeError:
            try:
                decoded.append(raw.decode("gb18030"))
                legacy.append(number)
            except UnicodeDecodeError:
                decoded.append(raw.decode("utf-8", "replace"))
                problems.append(
                    Problem(path.name, number, N_("(whole line)"),
                            N_("the line is in no known encoding (UTF-8, GB18030); unreadable characters became �"),
                            N_("save the file as UTF-8 (in Excel: Save As → CSV UTF-8)"))
                )  # fmt: skip
    if legacy and not utf8:
        problems.append(
            Problem(path.name, legacy[0], N_("(whole file)"),
                    N_("the file is not UTF-8; it was read as GB18030 (GBK)"),
                    N_("nothing to do; to avoid the question, save as CSV UTF-8"), level="warning")
        )  # fmt: skip
    else:
        for number in legacy:
            problems.append(
                Problem(path.name, number, N_("(whole line)"),
                        N_("the line is not UTF-8 like the rest of the file; it was read as GB18030"),
                        N_("check the line's Chinese text; save the whole file as CSV UTF-8"), level="warning")
            )  # fmt: skip
    return "\n".join(decoded)


def _table(
    sheet: str, source: str, rows: list[Row], problems: list[Problem]
) -> tuple[str, bool, list[Row]]:
    """(source, whether the rows can be imported, the data rows) after checking the header."""
    if not rows:
        return source, False, []
    line, header_map = rows[0]
    header = [h for h in header_map.values() if h]
    known = {c.header for c in COLUMNS[sheet]}
    ok = True
    for column in COLUMNS[sheet]:
        if column.header in header:
            continue
        identity = column.header in IDENTITY[sheet]
        ok = ok and not identity
        problems.append(
            Problem(source, line, column.header,
                    N_("the column is missing; no row can be imported without it") if identity
                    else N_("the column is missing; the field is 待补充 in every guide") if column.required
                    else N_("the column is missing; the field is left empty"),
                    N_('add a column headed "{header}" (guides import --template writes every column)'),
                    args={"header": column.header})
        )  # fmt: skip
    for name in header:
        if name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.5)
            problems.append(
                Problem(source, line, name, N_("unknown column; ignored"),
                        N_('did you mean "{suggestion}"?') if close else N_("remove it, or rename it to an element of the template"),
                        level="warning", args={"suggestion": close[0] if close else ""})
            )  # fmt: skip
    return source, ok, rows[1:]


# ---------------------------------------------------------------------------------------------
# Cells


class _Cells:
    """One row's cells, read by column kind, with problems reported at ``source:line``."""

    def __init__(self, source: str, line: int, values: dict[str, Any], problems: list[Problem]):
        self.source, self.line, self.values, self.problems = source, line, values, problems
        self.cleared: list[str] = []  # keys of the cells that say （清空）

    def warn(self, header: str, message: str, hint: str, **args: Any) -> None:
        self.problems.append(
            Problem(self.source, self.line, header, message, hint, level="warning", args=args)
        )

    def get(self, column: Column) -> Any:
        """The cell's value for the model; _ABSENT (blank, optional) or _PENDING (blank and
        required, 待补充, or not readable — with a warning)."""
        raw = self.values.get(column.header)
        text = _cell_text(raw)
        if text == norm.PENDING:
            return _PENDING
        if norm.clean(text) in norm.CLEAR:  # the library's value goes; a required one is 待补充
            self.cleared.append(column.key)
            return _PENDING if column.required else _ABSENT
        if not text:
            return _PENDING if column.required else _ABSENT
        if column.required and norm.clean(text).lower() in norm.NOTHING:
            # 无 / 暂无 / - in a required element says nothing known (a service always has a
            # place, a phone, a procedure): a gap, never an empty list published as "none"
            self.warn(
                column.header,
                N_('"{value}" gives no value for a required element; marked 待补充'),
                N_("write the element as the source should have it, or 待补充 until it is known"),
                value=text[:40],
            )
            return _PENDING
        try:
            value = _READERS[column.kind](raw, text, column)
            if column.kind == "legal" and any(ref.whole for ref in value):
                self.warn(
                    column.header,
                    N_('"{value}" cites no 《title》 and article; kept whole as one legal basis'),
                    N_("write each basis on its own line as 《名称》第X条 (the article's text in the 法律法规 sheet)"),
                    value=text[:40],
                )  # fmt: skip
            return value
        except _Unreadable as exc:
            self.warn(column.header, exc.message, exc.hint, value=text[:40], **exc.fields)
            # the source said something we cannot read: a gap wherever the guide can hold one
            # (a statutory time limit left out would say "the law sets none")
            return _PENDING if column.required or column.key in _PENDABLE else _ABSENT


class _Unreadable(Exception):
    def __init__(self, message: str, hint: str, **fields: Any) -> None:
        super().__init__(message)
        self.message, self.hint, self.fields = message, hint, fields


def _cell_text(raw: Any) -> str:
    if raw is None:
        return ""
    if isinstance(raw, dt.datetime):
        return raw.date().isoformat()
    if isinstance(raw, dt.date):
        return raw.isoformat()
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw).strip()


#: Other names the sources use for a code (GB/T 39046 levels as the provinces write them).
ALIASES: dict[str, dict[str, Any]] = {
    "exercise_level": {
        "国家": 1, "中央": 1, "部级": 1, "省": 2, "省本级": 2, "自治区级": 2, "直辖市级": 2,
        "市": 3, "地市级": 3, "设区的市级": 3, "市本级": 3, "州级": 3, "盟级": 3,
        "县": 4, "区级": 4, "县区级": 4, "县（市、区）级": 4, "县（区）级": 4, "县市区级": 4,
        "镇级": 5, "乡级": 5, "街道级": 5, "乡镇级": 5, "乡镇街道级": 5, "乡（镇、街道）级": 5,
        "乡镇（街道）级": 5, "镇（街道）级": 5, "镇（乡）级": 5,
        "村级": 6, "社区级": 6, "村居级": 6, "村（居）级": 6, "村（居委会）级": 6,
    },
}  # fmt: skip


def _choice(raw: Any, text: str, column: Column) -> Any:
    value = norm.clean(text)
    for label, code in column.choices:
        code_text = str(code)
        if value in (label, code_text, f"{code_text} {label}", f"{code_text}{label}") or (
            code_text.isdigit() and value.isdigit() and int(value) == int(code_text)
        ):
            return code
    alias = ALIASES.get(column.key, {})
    unbracketed = value.replace("(", "（").replace(")", "）")
    if unbracketed in alias:
        return alias[unbracketed]
    labels = "、".join(label for label, _c in column.choices)
    parts = norm.split_list(value)
    if len(parts) > 1:
        raise _Unreadable(
            N_('"{value}" gives {count} values; one is allowed ({choices}); marked 待补充'),
            N_("write the one value that applies (a guide per level when the item is exercised at several)"),
            count=len(parts), choices=labels,
        )  # fmt: skip
    if value.isdigit() and any(str(code).isdigit() for _l, code in column.choices):
        codes_ = "、".join(f"{code} {label}" for label, code in column.choices)
        raise _Unreadable(
            N_('"{value}" is not one of the codes {choices}; marked 待补充'),
            N_("write one of the codes listed, or its name"), choices=codes_,
        )  # fmt: skip
    raise _Unreadable(
        N_('"{value}" is not one of: {choices}; marked 待补充'), N_("write one of the values listed"),
        choices=labels,
    )  # fmt: skip


def _choices(raw: Any, text: str, column: Column) -> Any:
    out = [_choice(part, part, column) for part in norm.split_list(text)]
    return sorted(set(out)) if out else _PENDING


def _int(raw: Any, text: str, column: Column) -> Any:
    value = norm.clean(text)
    if re.fullmatch(r"\d{1,2}(?:\.0+)?", value):  # 1.0: a count as a JSON or Excel export writes it
        return int(float(value))
    raise _Unreadable(
        N_('"{value}" is not a whole number; marked 待补充'), N_("write a number such as 0 or 1")
    )


def _bool(raw: Any, text: str, column: Column) -> Any:
    value = norm.clean(text).lower()
    if value in ("是", "收费", "支持", "true", "yes", "y", "1"):
        return True
    if value in ("否", "不收费", "不支持", "false", "no", "n", "0"):
        return False
    raise _Unreadable(N_('"{value}" is neither 是 nor 否; marked 待补充'), N_("write 是 or 否"))


def _limit(raw: Any, text: str, column: Column) -> Any:
    parsed = norm.time_limit(text)
    if parsed is None:
        raise _Unreadable(
            N_('"{value}" is not a time limit with its unit; marked 待补充'),
            N_("write the days and the unit, e.g. 20 个工作日 or 30 个自然日"),
        )
    return {"value": parsed[0], "unit": parsed[1]}


def _date(raw: Any, text: str, column: Column) -> Any:
    found = re.fullmatch(
        r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?", norm.clean(text)
    )
    if found:
        try:
            return dt.date(*map(int, found.groups())).isoformat()
        except ValueError:
            pass
    raise _Unreadable(
        N_('"{value}" is not a date; marked 待补充'), N_("write the date as 2026-12-01")
    )


def _phones(raw: Any, text: str, column: Column) -> Any:
    found = norm.labelled_phones(text)
    if not found:
        raise _Unreadable(
            N_('no phone number recognised in "{value}"'), N_("write the number, e.g. 020-12345678")
        )
    if column.key == "phones":
        return [phone for phone, _note in found]
    return [{"phone": phone, **({"note": note} if note else {})} for phone, note in found]


def _code(raw: Any, text: str, column: Column) -> Any:
    value = norm.clean(text)
    if re.fullmatch(CODE_PATTERN, value):
        return value
    raise _Unreadable(
        N_('"{value}" is not a code (6–64 letters, digits or hyphens)'),
        N_("copy the code from the catalogue"),
    )


def _id(raw: Any, text: str, column: Column) -> Any:
    value = norm.clean(text)
    if ID_RE.match(value):
        return value
    raise _Unreadable(
        N_('"{value}" is not a valid id; the id is made from the implementation code'),
        N_('use lower-case letters, digits and "-", e.g. hukou-qianru'),
    )


def _url(raw: Any, text: str, column: Column) -> Any:
    value = norm.clean(text)
    if re.fullmatch(r"https?://[^\s]+", value):
        return value
    raise _Unreadable(
        N_('"{value}" is not a web address; left out'),
        N_("write a full address starting with https://"),
    )


#: a numbered step written on in the same line: “（一）申请。……（二）受理。……”, “1、申请；2、受理”
_NEXT_STEP = re.compile(
    r"(?<=[。；;])\s*(?=[（(][一二三四五六七八九十]{1,3}[)）]|\d{1,2}(?:[、)）]|[.．](?!\d)))"
)
#: a step's name when the source gives none: its first sentence when short (“申请。申请人……”)
_STEP_HEADING = 12


def _steps(raw: Any, text: str, column: Column) -> Any:
    """One step a line (or a numbered step after a full stop), numbering stripped. A step written
    as 名称：内容 keeps both; else its name is its first sentence when short (“提出申请。……”),
    or its first clause, and its description the rest or, with no rest, the step's own text."""
    steps = []
    for line in re.split(r"[\r\n]+", text):
        for part in _NEXT_STEP.split(norm.clean(line)):
            if not part:
                continue
            step = norm.unnumbered(part)
            if re.fullmatch(r"[（(]?(?:\d{1,3}|[一二三四五六七八九十]{1,3})[)）、.．]?", step):
                raise _Unreadable(
                    N_('the step "{step}" has a number but no content; marked 待补充'),
                    N_("write each step on its own line as 名称：内容"), step=part[:20],
                )  # fmt: skip
            steps.append(_step(step))
    return steps


def _step(step: str) -> dict[str, str]:
    found = re.match(r"^([^：:。；;，,]{1,30})[：:](.+)$", step)
    if found:
        return {"name": found.group(1).strip(), "description": found.group(2).strip()}
    heading = re.match(rf"^([^。；;，,：:]{{1,{_STEP_HEADING}}})[。；;]\s*(.+)$", step)
    if heading:
        return {"name": heading.group(1).strip(), "description": heading.group(2).strip()}
    name = re.split(r"[。；;，,：:]", step, maxsplit=1)[0].strip()
    return {"name": name or step, "description": step}


def _fees(raw: Any, text: str, column: Column) -> Any:
    items = []
    for line in norm.lines(text, _NEWLINES):
        line = norm.unnumbered(line)
        name, _sep, standard = line.partition("：") if "：" in line else line.partition(":")
        if not standard.strip():
            raise _Unreadable(N_('the fee "{fee}" has no standard after "："; left out'),
                              N_("write each fee as 名称：标准, e.g. 工本费：每证 20 元"), fee=line[:20])  # fmt: skip
        items.append({"name": name.strip(), "standard": standard.strip()})
    return items


def _hours(raw: Any, text: str, column: Column) -> Any:
    hours = []
    for line in norm.lines(text):
        found = re.match(r"^(.*?)[\s：:]*(\d{1,2}[:：]\d{2}.*)$", line)
        if not found or not found.group(1).strip():
            raise _Unreadable(N_('"{value}" is not written as 日期 时间; marked 待补充'),
                              N_("write e.g. 周一至周五 9:00–12:00，13:30–17:30"))  # fmt: skip
        hours.append({"days": found.group(1).strip(), "hours": found.group(2).strip()})
    return hours


#: Where a list cell is split (the template's notes: 多个用顿号或换行分隔); commas and semicolons
#: are part of names (“某某局（受理，审核）”, “A 路 1 号，B 楼”).
LIST_SEPARATORS = "、"
_NEWLINES = r"[\r\n]+"


def _lines(text: str) -> list[str]:
    """One entry a line (受理条件、办理结果), without the source's own numbering."""
    return [norm.unnumbered(line) for line in norm.lines(text, _NEWLINES)]


def legal_refs(text: str) -> list[LegalRef]:
    """The legal bases a cell cites (:mod:`guidesrc.importer.legaltext`): title and article,
    the article's text when the cell gives it; prose that cites no title is one entry, flagged."""
    out = []
    for c in legaltext.parse(text):
        details = {"text": c.text, "level": c.level, "document_number": c.document_number}
        out.append(
            LegalRef(c.title, c.article, {k: v for k, v in details.items() if v}, whole=c.whole)
        )
    return out


_READERS: dict[str, Callable[[Any, str, Column], Any]] = {
    "text": lambda raw, text, column: norm.clean(text),
    "lines": lambda raw, text, column: _lines(text),
    "list": lambda raw, text, column: norm.split_list(text, LIST_SEPARATORS),
    "places": lambda raw, text, column: norm.lines(text, _NEWLINES),
    "legal": lambda raw, text, column: legal_refs(text),
    "choice": _choice, "choices": _choices, "int": _int, "bool": _bool, "limit": _limit,
    "date": _date, "phones": _phones, "code": _code, "id": _id, "url": _url, "steps": _steps,
    "fees": _fees, "hours": _hours,
}  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Rows to items and catalogue descriptions


def _put(data: dict[str, Any], key: str, value: Any) -> None:
    """Set ``a.b`` in ``data``; _PENDING goes into the pending list of the object that holds it."""
    if value is _ABSENT:
        return
    *parents, name = key.split(".")
    target = data
    for parent in parents:
        target = target.setdefault(parent, {})
    if value is _PENDING:
        target.setdefault("pending", []).append(name)
    elif value is not _ABSENT:
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
    cells = _Cells(source, line, values, problems)
    code, name = _cell_text(values.get("实施编码")), norm.clean(_cell_text(values.get("事项名称")))
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


def _check_credit_code(cells: _Cells, body: dict[str, Any]) -> None:
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
    if value is _PENDING:
        data.setdefault("pending", []).append(field)
        return []
    if value is _ABSENT:
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
    if value is _PENDING:
        data.setdefault("pending", []).append("places")
        return []
    if value is _ABSENT:
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


def _results(cells: _Cells, by_key: dict[str, Column], data: dict[str, Any]) -> None:
    names = cells.get(by_key["results"])
    kind = cells.get(by_key["result_kind"])
    if names is _PENDING:
        data.setdefault("pending", []).append("results")
    elif names is not _ABSENT:
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


def _legal_rows(
    table: tuple[str, bool, list[Row]] | None, problems: list[Problem]
) -> dict[str, LegalRef]:
    out: dict[str, LegalRef] = {}
    for source, line, values in _rows(table):
        cells = _Cells(source, line, values, problems)
        title = norm.clean(_cell_text(values.get("依据名称")))
        if not title:
            continue
        details: dict[str, Any] = {}
        for column in LEGAL_COLUMNS[1:]:
            _put(details, column.key, cells.get(column))
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
    for source, line, values in _rows(table):
        cells = _Cells(source, line, values, problems)
        name = norm.clean(_cell_text(values.get("地点名称")))
        if not name:
            continue
        details: dict[str, Any] = {}
        for column in PLACE_COLUMNS[1:]:
            _put(details, column.key, cells.get(column))
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


def _more_of_the_same_place(known: _PlaceRow, details: dict[str, Any], cells: _Cells) -> None:
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
        cells = _Cells(source, line, values, problems)
        code = norm.clean(_cell_text(values.get("实施编码")))
        name = norm.clean(_cell_text(values.get("材料名称")))
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
        refs = _refs(basis, legal, details, "legal_basis") if basis is not _PENDING else []
        if basis is _PENDING:
            details.setdefault("pending", []).append("legal_basis")
        out.setdefault(code, []).append(
            (source, line, MaterialRef(name, requirement, details, refs))
        )
    return out


# ---------------------------------------------------------------------------------------------
# The template

INSTRUCTIONS = [
    "guidesrc 办事指南导入模板（guides import）",
    "",
    "“事项”表一行一个事项；“申请材料”表一行一项材料，用实施编码对应到事项；“法律法规”和“办理地点”表可选，"
    "写明其他表引用的依据和地点的详情。",
    "列名是 GB/T 39046 的要素名称，请不要改动；每个列名上的批注说明怎么填。",
    "必填要素暂时不知道时，留空或写“待补充”：导入后该字段标为待补充，guides check 会列出，不会凭空填写。",
    "多个值用顿号（、）分隔；多条内容（受理条件、办理流程）每条占一行（单元格内换行：Alt+Enter）。",
    "同名材料（不计书名号、括号的全角半角和空格）在各事项间共用材料目录中的一个条目。",
    "导入：guides import 本文件.xlsx --into 资料库目录；再次导入同一实施编码的事项会更新原指南，用 guides diff 查看变化。",
]


def write_template(path: Path) -> list[Path]:
    """An empty template: the four sheets with every column (``.xlsx``: one workbook with a note
    on each header and drop-down lists; ``.csv``: one UTF-8 file per sheet)."""
    try:
        return _template(path)
    except OSError as exc:
        raise GuidesError(
            _("{file}: cannot write: {error}").format(file=path, error=exc.strerror or exc)
        ) from exc


def _template(path: Path) -> list[Path]:
    if path.suffix.lower() == ".xlsx":
        _xlsx_template(path)
        return [path]
    if path.suffix.lower() != ".csv":
        raise GuidesError(_("{file}: the template is written as .xlsx or .csv").format(file=path))
    written = []
    for sheet, columns in COLUMNS.items():
        target = path if sheet == ITEMS else path.with_name(f"{path.stem}-{sheet}{path.suffix}")
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerow([c.header for c in columns])
        target.write_text("\ufeff" + buffer.getvalue(), encoding="utf-8")
        written.append(target)
    return written


def _xlsx_template(path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    notes = book.active
    assert notes is not None
    notes.title = "说明"
    for row, text in enumerate(INSTRUCTIONS, start=1):
        notes.cell(row=row, column=1, value=text)
    notes.column_dimensions["A"].width = 120
    for sheet, columns in COLUMNS.items():
        ws = book.create_sheet(sheet)
        for n, column in enumerate(columns, start=1):
            cell = ws.cell(row=1, column=n, value=column.header)
            cell.font = Font(bold=True, color="FFFFFF" if column.required else "000000")
            cell.fill = PatternFill("solid", fgColor="1F5C99" if column.required else "D9E2F3")
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            required = "（必填：不知道时留空或写 待补充）" if column.required else "（可选）"
            cell.comment = Comment(column.note + required, "guidesrc", width=320, height=120)
            letter = cell.column_letter
            ws.column_dimensions[letter].width = max(12, len(column.header) * 2 + 4)
            choices = ",".join(label for label, _code in column.choices)
            if column.kind == "choice" and choices and len(choices) < 250:
                check = DataValidation(
                    type="list", formula1=f'"{choices},待补充"', allow_blank=True
                )
                check.add(f"{letter}2:{letter}5000")
                ws.add_data_validation(check)
        ws.freeze_panes = "A2"
    book.save(path)


def columns_markdown() -> str:
    """The template's columns as Markdown tables (docs/import.md)."""
    lines = []
    for sheet, columns in COLUMNS.items():
        lines += [
            f"### {sheet}",
            "",
            SHEET_NOTES[sheet],
            "",
            "| 列 | 必填 | 字段 | 怎么填 |",
            "|---|---|---|---|",
        ]
        for c in columns:
            lines.append(f"| {c.header} | {'是' if c.required else ''} | `{c.key}` | {c.note} |")
        lines.append("")
    return "\n".join(lines)
