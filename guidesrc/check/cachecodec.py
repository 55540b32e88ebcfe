"""The check cache's results as JSON data, and back, checking their shape on the way in.

A cache file is data from a folder others can write to (:mod:`guidesrc.cachekey`): decoding
builds only the plain values below, each checked for its exact shape, and raises
:class:`BadShape` on anything else, so a damaged file is ignored and its files analysed again.

::

    result      [diagnostics, facts]
    diagnostic  [rule, severity, file, path, message, hint, args, line, column, at_key]
    facts       null | ["guide", …GuideFacts] | ["catalogue", kind, entries, refs]
                     | ["config", timezone, rules, diagnostics]
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from guidesrc.check.facts import (
    CatalogueFacts,
    ConfigFacts,
    FileResult,
    GuideFacts,
    LegalFacts,
    Ref,
)
from guidesrc.diagnostics import Diagnostic, PathPart, RuleId


class BadShape(ValueError):
    """The cached data is not what this code writes."""


_RULE_IDS = {rule.value: rule for rule in RuleId}  # a rule id read back (no longer known: BadShape)


# --- writing ---------------------------------------------------------------------------------


def result_data(result: FileResult) -> list[Any]:
    return [[diagnostic_data(d) for d in result.diagnostics], _facts_data(result.facts)]


def diagnostic_data(d: Diagnostic) -> list[Any]:
    return [
        d.rule,
        d.severity,
        d.file,
        d.path,
        d.message,
        d.hint,
        d.args,
        d.line,
        d.column,
        d.at_key,
    ]


def _facts_data(facts: GuideFacts | CatalogueFacts | ConfigFacts | None) -> list[Any] | None:
    if isinstance(facts, GuideFacts):
        return ["guide", *facts]
    if isinstance(facts, CatalogueFacts):
        return ["catalogue", *facts]
    if isinstance(facts, ConfigFacts):
        return [
            "config",
            facts.timezone,
            facts.rules,
            [diagnostic_data(d) for d in facts.placeholders],
        ]
    return None


# --- reading ---------------------------------------------------------------------------------


def _fail(what: str) -> BadShape:
    return BadShape(what)


def _str(value: Any) -> str:
    if type(value) is not str:
        raise _fail("text expected")
    return value


def _opt_str(value: Any) -> str | None:
    return None if value is None else _str(value)


def _opt_int(value: Any) -> int | None:
    if value is not None and type(value) is not int:
        raise _fail("number expected")
    return value


def _list(value: Any, length: int | None = None) -> list[Any]:
    if type(value) is not list or (length is not None and len(value) != length):
        raise _fail("list expected")
    return value


def _strs(value: Any) -> tuple[str, ...]:
    if type(value) is not list or not all(type(v) is str for v in value):
        raise _fail("list of text expected")
    return tuple(value)


def _dict(value: Any) -> dict[str, Any]:
    if type(value) is not dict:
        raise _fail("mapping expected")
    return value


def _date(value: Any) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(_str(value))
    except ValueError:
        raise _fail("date expected") from None


def _path(value: Any) -> tuple[PathPart, ...]:
    if type(value) is not list:
        raise _fail("path expected")
    for part in value:
        if type(part) is not str and type(part) is not int:
            raise _fail("path part expected")
    return tuple(value)


def _triple(value: Any) -> list[Any]:
    return _list(value, 3)


def _refs(value: Any) -> tuple[Ref, ...]:
    """The hot loop of a cached run (~10 per guide): checks written out, no helper calls."""
    out = []
    for ref in _list(value):
        if type(ref) is not list or len(ref) != 3:
            raise _fail("reference expected")
        kind, target, path = ref
        if type(kind) is not str or type(target) is not str:
            raise _fail("reference expected")
        out.append((kind, target, _path(path)))
    return tuple(out)


def diagnostic(value: Any) -> Diagnostic:
    rule, severity, file, path, message, hint, args, line, column, at_key = _list(value, 10)
    rule_id = _RULE_IDS.get(rule) if type(rule) is str else None
    if rule_id is None or severity not in ("error", "warning") or type(at_key) is not bool:
        raise _fail("diagnostic expected")
    for arg in _dict(args).values():
        if arg is not None and type(arg) not in (str, int, float):
            raise _fail("argument expected")
    return Diagnostic(
        rule_id,
        severity,
        _str(file),
        _path(path),
        _str(message),
        _str(hint),
        args,
        _opt_int(line),
        _opt_int(column),
        at_key,
    )


def diagnostics(value: Any) -> list[Diagnostic]:
    return [diagnostic(d) for d in _list(value)]


def last_report(value: Any) -> tuple[str, str | None, str, int, int, list[Diagnostic]]:
    """``[state key, time zone, made on, guides, files, diagnostics]`` of the last report."""
    key, timezone, made_on, guides, files, found = _list(value, 6)
    if type(guides) is not int or type(files) is not int:
        raise _fail("counts expected")
    return _str(key), _opt_str(timezone), _str(made_on), guides, files, diagnostics(found)


def result(value: Any) -> FileResult:
    found, facts = _list(value, 2)
    return FileResult(diagnostics(found), _facts(facts))


def _facts(value: Any) -> GuideFacts | CatalogueFacts | ConfigFacts | None:
    if value is None:
        return None
    kind, *fields = _list(value)
    if kind == "guide" and len(fields) == 7:
        return _guide(*fields)
    if kind == "catalogue" and len(fields) == 3:
        return CatalogueFacts(_str(fields[0]), _entries(fields[0], fields[1]), _refs(fields[2]))
    if kind == "config" and len(fields) == 3:
        rules = {_str(k): _str(v) for k, v in _dict(fields[1]).items()}
        return ConfigFacts(_str(fields[0]), rules, tuple(diagnostics(fields[2])))
    raise _fail("facts expected")


def _guide(*fields: Any) -> GuideFacts:
    id_, name, code, effective, places, materials, refs = fields
    return GuideFacts(
        _str(id_),
        _str(name),
        _str(code),
        _date(effective),
        _strs(places),
        tuple((_path(p), _str(m), _strs(b)) for p, m, b in map(_triple, _list(materials))),
        _refs(refs),
    )


def _entries(kind: str, value: Any) -> dict[str, Any]:
    entries = _dict(value)
    if kind == "materials":
        return {k: _material(v) for k, v in entries.items()}
    if kind == "legal-bases":
        return {k: _legal(v) for k, v in entries.items()}
    if kind == "offices":
        return {k: {w: _strs(g) for w, g in _dict(v).items()} for k, v in entries.items()}
    if kind == "faq":
        if not all(type(v) is str for v in entries.values()):
            raise _fail("text expected")
        return entries
    raise _fail("catalogue expected")


def _material(value: Any) -> tuple[str, tuple[str, ...] | None]:
    name, bases = _list(value, 2)
    return _str(name), None if bases is None else _strs(bases)


def _legal(value: Any) -> LegalFacts:
    title, in_force_from, repealed_on, replaced_by = _list(value, 4)
    return LegalFacts(_str(title), _date(in_force_from), _date(repealed_on), _opt_str(replaced_by))
