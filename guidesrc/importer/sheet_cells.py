"""One row's cells read by their column's kind (text, lines, codes, dates, time limits, fees,
steps, legal references …), a cell that cannot be read becoming 待补充 with a warning."""

from __future__ import annotations

import datetime as dt
import re
import typing
from collections.abc import Callable
from typing import Any

from guidesrc.i18n import N_
from guidesrc.importer import legaltext
from guidesrc.importer import normalise as norm
from guidesrc.importer.records import LegalRef, Problem
from guidesrc.importer.sheet_columns import Column
from guidesrc.model.common import ID_RE
from guidesrc.model.guide import CODE_PATTERN, Guide

ABSENT = object()  # a blank optional cell


PENDING_CELL = object()  # a blank required cell, or 待补充


#: Optional guide fields that can still be marked 待补充 (the guide model's pending names).
_PENDABLE = frozenset(typing.get_args(typing.get_args(Guide.model_fields["pending"].annotation)[0]))


class Cells:
    """One row's cells, read by column kind, with problems reported at ``source:line``."""

    def __init__(self, source: str, line: int, values: dict[str, Any], problems: list[Problem]):
        self.source, self.line, self.values, self.problems = source, line, values, problems
        self.cleared: list[str] = []  # keys of the cells that say （清空）

    def warn(self, header: str, message: str, hint: str, **args: Any) -> None:
        self.problems.append(
            Problem(self.source, self.line, header, message, hint, level="warning", args=args)
        )

    def get(self, column: Column) -> Any:
        """The cell's value for the model; ABSENT (blank, optional) or PENDING_CELL (blank and
        required, 待补充, or not readable — with a warning)."""
        raw = self.values.get(column.header)
        text = cell_text(raw)
        if text == norm.PENDING:
            return PENDING_CELL
        if norm.clean(text) in norm.CLEAR:  # the library's value goes; a required one is 待补充
            self.cleared.append(column.key)
            return PENDING_CELL if column.required else ABSENT
        if not text:
            return PENDING_CELL if column.required else ABSENT
        if column.required and norm.clean(text).lower() in norm.NOTHING:
            # 无 / 暂无 / - in a required element says nothing known (a service always has a
            # place, a phone, a procedure): a gap, never an empty list published as "none"
            self.warn(
                column.header,
                N_('"{value}" gives no value for a required element; marked 待补充'),
                N_("write the element as the source should have it, or 待补充 until it is known"),
                value=text[:40],
            )
            return PENDING_CELL
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
            return PENDING_CELL if column.required or column.key in _PENDABLE else ABSENT


class _Unreadable(Exception):
    def __init__(self, message: str, hint: str, **fields: Any) -> None:
        super().__init__(message)
        self.message, self.hint, self.fields = message, hint, fields


def cell_text(raw: Any) -> str:
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
    return sorted(set(out)) if out else PENDING_CELL


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


def _matching(
    test: Callable[[str], object], message: str, hint: str
) -> Callable[[Any, str, Column], Any]:
    """A reader of text that must have a form (a code, an id, a web address)."""

    def read(raw: Any, text: str, column: Column) -> Any:
        value = norm.clean(text)
        if test(value):
            return value
        raise _Unreadable(message, hint)

    return read


_code = _matching(
    re.compile(CODE_PATTERN).fullmatch,
    N_('"{value}" is not a code (6–64 letters, digits or hyphens)'),
    N_("copy the code from the catalogue"),
)
_id = _matching(
    ID_RE.match,
    N_('"{value}" is not a valid id; the id is made from the implementation code'),
    N_('use lower-case letters, digits and "-", e.g. hukou-qianru'),
)
_url = _matching(
    re.compile(r"https?://[^\s]+").fullmatch,
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
