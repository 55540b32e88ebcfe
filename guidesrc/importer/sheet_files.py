"""An import spreadsheet's sheets as rows: a workbook's sheets, or one CSV file per sheet (in
UTF-8, GB18030/GBK or UTF-16), each header checked against the sheet's columns."""

from __future__ import annotations

import csv
import difflib
import io
from pathlib import Path

from openpyxl import load_workbook

from guidesrc.errors import GuidesError
from guidesrc.i18n import N_, _
from guidesrc.importer import normalise as norm
from guidesrc.importer.records import Problem
from guidesrc.importer.sheet_columns import COLUMNS, IDENTITY, ITEMS, SHEETS, Row


def xlsx_sheets(path: Path, problems: list[Problem]) -> dict[str, tuple[str, list[Row]]]:

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


def csv_sheets(path: Path, problems: list[Problem]) -> dict[str, tuple[str, list[Row]]]:
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


def checked_table(
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
