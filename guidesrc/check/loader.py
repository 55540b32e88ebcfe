"""Read one decoded YAML file into its model: the one way ``guides check``, the configuration, the
calendar and the working-tree state load a file (a bottom module: it knows no rule beyond the
file's own text and schema).

:func:`load_bytes` keeps what it loaded by the file's bytes for the rest of the process: the
configuration and the calendar, asked for by the command, the working-tree state and the
working-day calendar in turn, are parsed and validated once.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Any

from pydantic import BaseModel, ValidationError

from guidesrc.check import text_rules
from guidesrc.check.schema_errors import closest_field, diagnostics_from
from guidesrc.diagnostics import Diagnostic, RuleId, file_error
from guidesrc.i18n import N_
from guidesrc.library import size_limit
from guidesrc.model.library import LibraryConfig
from guidesrc.yamlio import Source, decode, parse

#: How many loaded files a process keeps (the configuration, the calendar, their approved forms).
_KEEP = 16
_LOADED: OrderedDict[tuple[Any, ...], tuple[Source, BaseModel | None, list[Diagnostic]]] = (
    OrderedDict()
)


def load_bytes(
    data: bytes, rel: str, model: type[BaseModel], size: int | None = None
) -> tuple[Source, BaseModel | None, list[Diagnostic]]:
    """:func:`load` of a file given as its bytes (``size``: the file's, when only part of it was
    read), done once per process for the same bytes; each caller gets its own copy of the model."""
    size = len(data) if size is None else size
    key = (model, rel, size, hashlib.sha256(data).digest())
    if key in _LOADED:
        _LOADED.move_to_end(key)
    else:
        source = decode(data, rel, size_limit(rel), size)
        _LOADED[key] = (source, *load(source, model))
        if len(_LOADED) > _KEEP:
            _LOADED.popitem(last=False)
    source, loaded, problems = _LOADED[key]
    return source, None if loaded is None else loaded.model_copy(deep=True), list(problems)


def load(source: Source, model: type[BaseModel]) -> tuple[BaseModel | None, list[Diagnostic]]:
    """Parse and validate one decoded file against ``model``."""
    if source.problem is not None:
        return None, [source.problem]
    data, problem = parse(source)
    if problem is not None:
        return None, [problem]
    if not isinstance(data, dict):
        return None, [_structure_problem(source.rel, data)]
    text_problems = text_rules.hidden_characters(source, data)
    text_problems += text_rules.personal_data(source, data)
    # published text: the guides, the catalogues, and the library's name (on every sheet)
    published = {"name": data.get("name")} if model is LibraryConfig else data
    text_problems += text_rules.unprintable(source, published)
    try:
        return model.model_validate(data), text_problems
    except ValidationError as exc:
        return None, diagnostics_from(exc, source.rel, model) + text_problems


def repaired(source: Source, model: type[BaseModel]) -> BaseModel | None:
    """The model of a file whose only schema errors are unknown fields, read as the editor most
    likely meant it: a misspelt field under the name it is closest to (``handling_form`` →
    ``handling_forms``) when that field is absent, other unknown fields left out. The rules then
    still report the file's other problems ("all problems at once"); None when the file needs
    more than that."""
    if source.problem is not None or source.text is None:
        return None
    data, problem = parse(source)
    if problem is not None or not isinstance(data, dict):
        return None
    for _attempt in range(2):  # renaming may leave nothing but the fields it fills in
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            unknown = [e["loc"] for e in exc.errors() if e["type"] == "extra_forbidden"]
            others = [e for e in exc.errors() if e["type"] not in {"extra_forbidden", "missing"}]
            if not unknown or others:
                return None
            for loc in unknown:
                _rename_or_drop(data, tuple(loc), model)
    return None


def _rename_or_drop(data: dict[str, Any], loc: tuple[Any, ...], model: type[BaseModel]) -> None:
    holder: Any = data
    for part in loc[:-1]:
        holder = holder[part]
    if not isinstance(holder, dict):
        return
    value = holder.pop(loc[-1])
    close = closest_field(model, loc)
    if close is not None and close not in holder:
        holder[close] = value


def _structure_problem(rel: str, data: Any) -> Diagnostic:
    if data is None:
        return file_error(
            RuleId.YAML_STRUCTURE,
            rel,
            N_("the file is empty"),
            N_("fill in the fields, or delete the file"),
        )
    return file_error(
        RuleId.YAML_STRUCTURE,
        rel,
        N_('the file must hold fields ("key: value" lines), not {found}'),
        N_('start each top-level line with a field name and a colon, e.g. "name: 户口迁移"'),
        found=N_("a list") if isinstance(data, list) else N_("a single value"),
    )
