"""What a source reader hands on: one :class:`Item` per service item, and :class:`Problem` lines.

An item's ``data`` is a guide in the model's shape (field names, codes), except that references to
catalogue entries are still descriptions (:class:`MaterialRef`, :class:`LegalRef`,
:class:`PlaceRef`): the catalogue builder turns them into ids. Fields the source lacks are named in
``data["pending"]`` (and in the nested ``pending`` lists), never filled in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from guidesrc.i18n import _

ProblemLevel = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One line of the import report: ``source:line: field: message（修改建议：hint）``.

    An error means the row (or the file) was not imported; a warning that it was, with the value
    named left out or marked 待补充.
    """

    source: str
    line: int
    element: str  # the source's field or column name (or "(whole line)")
    message: str  # message id (English), translated when shown
    hint: str
    level: ProblemLevel = "error"
    args: dict[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        message = _(self.message).format(**self.args)
        hint = _(self.hint).format(**self.args)
        prefix = _("warning: ") if self.level == "warning" else ""
        return _("{location}: {field}: {prefix}{message} (fix: {hint})").format(
            location=f"{self.source}:{self.line}",
            field=_(self.element),
            prefix=prefix,
            message=message,
            hint=hint,
        )


@dataclass(slots=True)
class LegalRef:
    """A legal basis as a source names it, with what else the source says about it."""

    title: str
    article: str | None = None
    details: dict[str, Any] = field(default_factory=dict)  # issuer, level, text … (catalogue)
    whole: bool = False  # prose that is no citation: kept whole as one entry, with a warning


@dataclass(slots=True)
class MaterialRef:
    """A material an item requires: its catalogue description and the requirement's own fields."""

    name: str
    requirement: dict[str, Any] = field(default_factory=dict)  # form, medium … and pending
    details: dict[str, Any] = field(default_factory=dict)  # kind, issuer, description, pending
    legal_basis: list[LegalRef] = field(default_factory=list)  # of the catalogue entry


@dataclass(slots=True)
class PlaceRef:
    """An office as a source gives it: a name, an address, or both; hours and phones if known."""

    name: str | None = None
    address: str | None = None
    details: dict[str, Any] = field(default_factory=dict)  # hall, hours, phones, transport
    #: phones of the guide at this place: an office's phones are those most of its guides give
    guide_phones: tuple[str, ...] = ()


@dataclass(slots=True)
class Item:
    """One service item read from a source, at ``source:line``."""

    source: str
    line: int
    code: str  # 实施编码: the item's identity across exports
    data: dict[str, Any]
    guide_id: str | None = None  # from the source (a sheet's 标识 column), else from the code
    legal_basis: list[LegalRef] = field(default_factory=list)
    fee_basis: list[LegalRef] = field(default_factory=list)
    materials: list[MaterialRef] = field(default_factory=list)
    places: list[PlaceRef] = field(default_factory=list)
    #: fields (``a.b``) whose cell says （清空）: the library's value is removed on re-import
    cleared: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ReadResult:
    items: list[Item] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    rows: int = 0  # rows (lines) read, good and bad
    region_code: str | None = None  # the source's administrative division, when it says
