"""Read one decoded YAML file into its model: the one way ``guides check``, the configuration, the
calendar and the working-tree state load a file (a bottom module: it knows no rule beyond the
file's own text and schema)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from guidesrc.check import text_rules
from guidesrc.check.schema_errors import diagnostics_from
from guidesrc.diagnostics import Diagnostic, RuleId
from guidesrc.i18n import N_
from guidesrc.model.library import LibraryConfig
from guidesrc.yamlio import Source, parse


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


def _structure_problem(rel: str, data: Any) -> Diagnostic:
    if data is None:
        return Diagnostic(
            RuleId.YAML_STRUCTURE,
            "error",
            rel,
            message=N_("the file is empty"),
            hint=N_("fill in the fields, or delete the file"),
            line=1,
            column=1,
        )
    return Diagnostic(
        RuleId.YAML_STRUCTURE,
        "error",
        rel,
        message=N_('the file must hold fields ("key: value" lines), not {found}'),
        hint=N_('start each top-level line with a field name and a colon, e.g. "name: 户口迁移"'),
        args={"found": N_("a list") if isinstance(data, list) else N_("a single value")},
        line=1,
        column=1,
    )
