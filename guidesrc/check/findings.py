"""The last stages of `guides check`, shared by the whole check and the incremental one: the
library's own findings (missing catalogues, no guide), rule levels, line and column, order."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from guidesrc import yamlio
from guidesrc.check.library_rules import CATALOGUE_FILES
from guidesrc.check.rules import RULES
from guidesrc.diagnostics import Diagnostic, RuleId, file_error
from guidesrc.i18n import N_

#: A diagnostic without its line and column (where it is located depends on nothing else but
#: the bytes of its file).
Unlocated = tuple[Any, ...]


def today_in(timezone: str | None) -> dt.date:
    try:
        zone = ZoneInfo(timezone or "Asia/Shanghai")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("Asia/Shanghai")
    return dt.datetime.now(zone).date()


def library_own(sources: Collection[str], guides: int) -> list[Diagnostic]:
    """What the library as a whole lacks: a catalogue file, any guide."""
    found = [
        file_error(
            RuleId.MISSING_CATALOGUE,
            rel,
            N_("the catalogue file is missing"),
            N_('create it with "entries: {{}}" (guides init creates all catalogues)'),
        )
        for rel in CATALOGUE_FILES.values()
        if rel not in sources
    ]
    if not guides:
        found.append(
            file_error(
                RuleId.EMPTY_LIBRARY,
                "guides/",
                N_("the library holds no guides"),
                N_(
                    "add one YAML file per service item under guides/, e.g. guides/hukou-qianru.yaml"
                ),
            )
        )
    return found


def apply_levels(
    diagnostics: Iterable[Diagnostic], levels: dict[str, str], strict: bool
) -> list[Diagnostic]:
    out = []
    for d in diagnostics:
        level = levels.get(d.rule, RULES[d.rule].severity)
        if level == "off":
            continue
        if strict and level == "warning":
            level = "error"
        out.append(d if d.severity == level else replace(d, severity=level))  # type: ignore[arg-type]
    return out


def unlocated(d: Diagnostic) -> Unlocated:
    """What identifies a diagnostic but for its line and column."""
    return (d.rule, d.severity, d.file, d.path, d.message, d.hint, sorted(d.args.items()), d.at_key)


class Locator:
    """Gives diagnostics a line and column; each file is composed once, and only if needed.

    ``known``: diagnostics located before in files whose bytes have not changed since, taken
    as they are."""

    def __init__(self, read: Callable[[str], bytes], known: Iterable[Diagnostic] = ()) -> None:
        self._read = read
        self._trees: dict[str, Any] = {}
        self._known = {repr(unlocated(d)): d for d in known}

    def __call__(self, diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
        out = []
        for d in diagnostics:
            if d.line is None:
                before = self._known.get(repr(unlocated(d))) if self._known else None
                if before is not None:
                    out.append(before)
                    continue
                if d.file not in self._trees:
                    data = self._read(d.file)
                    text = data.decode("utf-8", "replace").lstrip("\ufeff")
                    self._trees[d.file] = yamlio.compose(text)
                d = d.located(*yamlio.locate(self._trees[d.file], d.path, d.at_key))
            out.append(d)
        return out


def ordered(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """As `guides check` lists them: by file, line, column, field and rule (then message and
    arguments, so that the order never depends on how they were found)."""
    return sorted(diagnostics, key=lambda d: (*d.sort_key(), d.message, repr(d.args)))
