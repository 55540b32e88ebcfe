"""`guides export --format xlsx`: a library (or one department's guides) in the import template.

Every value the template has a column for is written, as `guides import` reads it back: codes as
their labels (行政许可, 市级), lists one entry a line, time limits as ``20 个工作日``, pending fields
as 待补充, facts the guide does not state as a blank cell. An unedited export imported into the same
library changes nothing; an edited one changes exactly what was edited (see docs/import.md).

Values without a column (FAQ, windows, a step's time limit, blank forms …) stay in the library:
`guides import` keeps what its source does not mention.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.styles import Alignment
from openpyxl.utils.exceptions import IllegalCharacterError

from guidesrc.errors import GuidesError
from guidesrc.i18n import _
from guidesrc.importer import apply
from guidesrc.importer import normalise as norm
from guidesrc.importer import sheet_columns as sheet
from guidesrc.importer.sheet_template import write_template
from guidesrc.model import codes

PENDING = norm.PENDING
_LABELS: dict[str, dict[Any, str]] = {
    "item_type": codes.ITEM_TYPES,
    "exercise_level": codes.EXERCISE_LEVELS,
    "implementing_body.nature": codes.BODY_NATURES,
    "service_objects": codes.SERVICE_OBJECTS,
    "handling_forms": codes.HANDLING_FORMS,
    "online.depth": codes.ONLINE_DEPTHS,
}


def export_xlsx(library: Path, target: Path, department: str | None = None) -> int:
    """Write the library's guides (or those of ``department``, the implementing body's name) to
    ``target``; the number of guides written."""
    existing = apply.load_existing(library)
    if existing.is_new:
        raise GuidesError(_("{path}: not a library (no library.yaml)").format(path=library))
    guides = sorted(existing.guides.values())
    if department is not None:
        bodies = sorted({_body(data) for _rel, data in guides} - {""})
        guides = [(rel, data) for rel, data in guides if _body(data) == department]
        if not guides:
            raise GuidesError(
                _('no guide has the implementing body "{name}"; the bodies are: {names}').format(
                    name=department, names="、".join(bodies)
                )
            )
    writer = _Writer(existing.catalogues)
    for rel, data in guides:
        writer.guide(Path(rel).stem, data)
    try:
        writer.save(target)
    except OSError as exc:
        raise GuidesError(
            _("{file}: cannot write: {error}").format(file=target, error=exc.strerror or exc)
        ) from exc
    return len(guides)


def _body(data: dict[str, Any]) -> str:
    body = data.get("implementing_body")
    return str(body.get("name") or "") if isinstance(body, dict) else ""


class _Writer:
    def __init__(self, catalogues: dict[str, dict[str, Any]]) -> None:
        self.catalogues = catalogues
        self.rows: dict[str, list[dict[str, Any]]] = {name: [] for name in sheet.SHEETS}
        self.legal_used: dict[str, None] = {}
        self.offices_used: dict[str, None] = {}

    # -- the 事项 sheet ---------------------------------------------------------------------

    def guide(self, gid: str, data: dict[str, Any]) -> None:
        row: dict[str, Any] = {}
        for column in sheet.ITEM_COLUMNS:
            row[column.header] = self._item_cell(column, gid, data)
        self.rows[sheet.ITEMS].append(row)
        self._materials(data)

    def _item_cell(self, column: sheet.Column, gid: str, data: dict[str, Any]) -> Any:
        key = column.key
        if key == "id":
            return gid
        if key in ("legal_basis", "fee_basis", "places", "results", "result_kind"):
            return getattr(self, f"_{key}")(data)
        *parents, name = key.split(".")
        holder: Any = data
        for parent in parents:
            holder = holder.get(parent) if isinstance(holder, dict) else None
        if not isinstance(holder, dict):
            return None
        if name in holder.get("pending", ()):
            return PENDING
        return _cell(column, key, holder.get(name))

    def _legal_basis(self, data: dict[str, Any]) -> Any:
        if "legal_basis" in data.get("pending", ()):
            return PENDING
        return self._legal_lines(data.get("legal_basis") or [])

    def _fee_basis(self, data: dict[str, Any]) -> Any:
        """The fee items' basis when they share one; else blank (each item keeps its own)."""
        fees = data.get("fees") or {}
        bases = {tuple(item.get("legal_basis") or []) for item in fees.get("items") or []}
        return self._legal_lines(bases.pop()) if len(bases) == 1 else None

    def _legal_lines(self, ids: Iterable[str]) -> str | None:
        lines = []
        for entry_id in ids:
            entry = self.catalogues.get("legal-bases", {}).get(entry_id) or {}
            self.legal_used[entry_id] = None
            lines.append(str(entry.get("title", entry_id)) + str(entry.get("article") or ""))
        return "\n".join(lines) or None

    def _places(self, data: dict[str, Any]) -> Any:
        if "places" in data.get("pending", ()):
            return PENDING
        names = []
        for office_id in data.get("places") or []:
            self.offices_used[office_id] = None
            names.append(self._office_name(office_id))
        return "\n".join(names) or None

    def _office_name(self, office_id: str) -> str:
        office = self.catalogues.get("offices", {}).get(office_id) or {}
        return str(office.get("name") or office.get("address") or office_id)

    def _results(self, data: dict[str, Any]) -> Any:
        if "results" in data.get("pending", ()):
            return PENDING
        return "\n".join(str(r.get("name")) for r in data.get("results") or []) or None

    def _result_kind(self, data: dict[str, Any]) -> Any:
        kinds = {r.get("kind") for r in data.get("results") or []}
        return kinds.pop() if len(kinds) == 1 else None

    # -- the 申请材料 sheet ---------------------------------------------------------------------

    def _materials(self, data: dict[str, Any]) -> None:
        code = data.get("implementation_code")
        if "materials" in data.get("pending", ()):
            self.rows[sheet.MATERIALS].append({"实施编码": code, "材料名称": PENDING})
        for requirement in data.get("materials") or []:
            entry = self.catalogues.get("materials", {}).get(requirement.get("material")) or {}
            row: dict[str, Any] = {}
            for column in sheet.MATERIAL_COLUMNS:
                key = column.key
                if key == "code":
                    row[column.header] = code
                elif key == "legal_basis":
                    pending = "legal_basis" in entry.get("pending", ())
                    row[column.header] = (
                        PENDING if pending else self._legal_lines(entry.get("legal_basis") or [])
                    )
                else:
                    holder = (
                        entry if key in ("name", "kind", "issuer", "description") else requirement
                    )
                    value = holder.get(key)
                    row[column.header] = (
                        PENDING if key in holder.get("pending", ()) else _cell(column, key, value)
                    )
            self.rows[sheet.MATERIALS].append(row)

    # -- the 法律法规 and 办理地点 sheets, and the workbook --------------------------------------

    def _catalogue_rows(self) -> None:
        for entry_id in self.legal_used:
            entry = self.catalogues.get("legal-bases", {}).get(entry_id)
            if isinstance(entry, dict):
                self.rows[sheet.LEGAL].append(_entry_row(sheet.LEGAL_COLUMNS, entry))
        for office_id in self.offices_used:
            office = self.catalogues.get("offices", {}).get(office_id)
            if isinstance(office, dict):
                row = _entry_row(sheet.PLACE_COLUMNS, office)
                row["地点名称"] = self._office_name(office_id)
                self.rows[sheet.PLACES].append(row)

    def save(self, target: Path) -> None:

        self._catalogue_rows()
        write_template(target)
        book = load_workbook(target)
        wrap = Alignment(wrap_text=True, vertical="top")
        for name, rows in self.rows.items():
            ws = book[name]
            headers = [c.header for c in sheet.COLUMNS[name]]
            for row in rows:
                try:
                    ws.append([row.get(h) for h in headers])
                except IllegalCharacterError as exc:
                    where = row.get("标识") or row.get("实施编码") or row.get(headers[0])
                    raise GuidesError(
                        _(
                            "{where}: a value holds a control character, which a workbook cannot hold; remove it (guides check: hidden-characters)"
                        ).format(where=where)
                    ) from exc
            for cells in ws.iter_rows(min_row=2):
                for cell in cells:
                    if isinstance(cell.value, str):
                        cell.number_format = "@"  # text: codes and dates stay as written
                        if "\n" in cell.value:
                            cell.alignment = wrap
        book.save(target)


def _entry_row(columns: list[sheet.Column], entry: dict[str, Any]) -> dict[str, Any]:
    pending = entry.get("pending", ())
    return {
        c.header: PENDING if c.key in pending else _cell(c, c.key, entry.get(c.key))
        for c in columns
    }


def _cell(column: sheet.Column, key: str, value: Any) -> Any:
    """A value as the import reads it back; None (a blank cell) for a value not given."""
    if value is None or value == []:
        return None
    kind = column.kind
    if kind in ("choice", "choices"):
        labels = _LABELS.get(key)
        values = value if isinstance(value, list) else [value]
        texts = [labels.get(v, str(v)) if labels else str(v) for v in values]
        return "、".join(texts)
    if kind == "bool":
        return "是" if value else "否"
    if kind == "limit" and isinstance(value, dict):
        return f"{value.get('value')} 个{value.get('unit')}"
    if kind == "steps":
        return "\n".join(f"{s.get('name')}：{s.get('description')}" for s in value)
    if kind == "fees":
        return "\n".join(f"{f.get('name')}：{f.get('standard')}" for f in value)
    if kind == "hours":
        return "\n".join(f"{h.get('days')} {h.get('hours')}" for h in value)
    if kind == "phones":
        return "\n".join(_phone(p) for p in value)
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    if isinstance(value, bool):
        return "是" if value else "否"
    return value if isinstance(value, int) else str(value)


def _phone(contact: Any) -> str:
    if isinstance(contact, dict):
        note = contact.get("note")
        return f"{contact.get('phone')}（{note}）" if note else str(contact.get("phone"))
    return str(contact)
