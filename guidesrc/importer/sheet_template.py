"""``guides import --template``: the empty import sheets with every column, a note on each header
and a 说明 sheet; and the columns as a Markdown table for docs/import.md."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from guidesrc.errors import GuidesError
from guidesrc.i18n import _
from guidesrc.importer.sheet_columns import COLUMNS, ITEMS, SHEET_NOTES

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
