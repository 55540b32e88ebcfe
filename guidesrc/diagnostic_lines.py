"""One diagnostic as one line for people: ``file:line:col: field.path: message（修改建议：hint）[rule]``.

A bottom module: everything that reports a problem in a file (``guides check``, the configuration
and calendar loaders, the channel set-up) formats it here, so none of them imports the checker.
"""

from __future__ import annotations

from guidesrc import yamlio
from guidesrc.diagnostics import Diagnostic
from guidesrc.i18n import _
from guidesrc.yamlio import Source

#: Arguments that are themselves message ids (and may use the other arguments).
_TRANSLATED_ARGS = ("found", "kind")


def message_of(d: Diagnostic) -> tuple[str, str]:
    """The translated message and fix hint of a diagnostic."""
    args = dict(d.args)
    for key in _TRANSLATED_ARGS:
        if isinstance(args.get(key), str):
            args[key] = _(args[key]).format(**d.args)
    return _(d.message).format(**args), _(d.hint).format(**args) if d.hint else ""


def format_line(d: Diagnostic) -> str:
    """``file:line:col: field.path: message（修改建议：hint）[rule]``"""
    message, hint = message_of(d)
    where = f"{d.file}:{d.line or 1}:{d.column or 1}: "
    if d.path:
        where += f"{d.field_path}: "
    if d.severity == "warning":
        message = _("warning: {message}").format(message=message)
    if hint:
        message = _("{message} (fix: {hint})").format(message=message, hint=hint)
    return f"{where}{message} [{d.rule}]"


def located_lines(source: Source, problems: list[Diagnostic]) -> str:
    """Problems of one file as `guides check` prints them, located in it: ``file:line:col: …``."""
    tree = yamlio.compose(source.text) if source.text is not None else None
    located = [
        d if d.line is not None else d.located(*yamlio.locate(tree, d.path, d.at_key))
        for d in problems
    ]
    return "\n".join(format_line(d) for d in sorted(located, key=Diagnostic.sort_key))
