"""Reading YAML source files: a fast path for every file, a precise path for files with problems.

Measured per 3.8 KB guide (docs/benchmarks.md): yaml-rs parses in ~0.1 ms, PyYAML's C loader in
~1 ms, ruamel.yaml in 12–16 ms. yaml-rs (YAML 1.2: ``no``/``on`` stay text, ``010`` is ten) parses
every file; it rejects duplicate keys and bounds alias expansion. Positions are only needed for
files that have a problem: :func:`locate` composes those with PyYAML's C composer, which keeps a
line and column for every node, and walks to the field path.

Lines and columns are 1-based and count characters, as editors do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml
import yaml_rs

from guidesrc.diagnostics import Diagnostic, PathPart, RuleId, file_error
from guidesrc.i18n import N_

MiB = 1024 * 1024
_ALIAS_LIMITS = yaml_rs.AliasLimits(
    max_total_replayed_events=100_000,
    max_replay_stack_depth=32,
    max_alias_expansions_per_anchor=100,
)
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, slots=True)
class Source:
    """The text of one file, decoded, or the diagnostic that says why it could not be."""

    rel: str
    text: str | None
    problem: Diagnostic | None = None
    data: bytes = b""  # the file's bytes, for byte-level prefilters


def decode(data: bytes, rel: str, limit: int, size: int | None = None) -> Source:
    """Decode UTF-8 (a UTF-8 byte-order mark is allowed and dropped), refusing oversized files.

    ``size`` is the file's size when only part of it was read.
    """
    size = len(data) if size is None else size
    if size > limit:
        return Source(
            rel,
            None,
            file_error(
                RuleId.FILE_TOO_LARGE,
                rel,
                N_("file is {size}, more than the {limit} one file may hold"),
                N_("split the content; put attachments under files/ and refer to them"),
                size=_size(size),
                limit=_size(limit),
            ),
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return Source(rel, None, _encoding_problem(rel, 1, 1, "UTF-16"))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return Source(rel, None, _encoding_problem(rel, line, column, f"0x{data[exc.start]:02X}"))
    if text.startswith("\ufeff"):
        text = text[1:]
    return Source(rel, text, data=data)


def _encoding_problem(rel: str, line: int, column: int, found: str) -> Diagnostic:
    return Diagnostic(
        RuleId.ENCODING,
        "error",
        rel,
        message=N_("the file is not UTF-8 text (found {found})"),
        hint=N_('save the file with the encoding "UTF-8" (in Notepad: Save As → Encoding → UTF-8)'),
        args={"found": found},
        line=line,
        column=column,
    )


def _size(n: int) -> str:
    return f"{n / MiB:.1f} MB" if n >= MiB else f"{n / 1024:.0f} KB"


def parse_bytes(data: bytes) -> Any:
    """The fast path for files already checked: bytes to data, or an exception."""
    return yaml_rs.loads(
        data.decode("utf-8-sig"),
        parse_datetime=False,
        alias_limits=_ALIAS_LIMITS,
        duplicate_key_policy=yaml_rs.DuplicateKeyPolicy.Error,
    )


def parse(source: Source) -> tuple[Any, Diagnostic | None]:
    """Parse one YAML document into plain data (text dates stay text for the models to check)."""
    assert source.text is not None
    try:
        data = yaml_rs.loads(
            source.text,
            parse_datetime=False,
            alias_limits=_ALIAS_LIMITS,
            duplicate_key_policy=yaml_rs.DuplicateKeyPolicy.Error,
        )
    except yaml_rs.YAMLDecodeError as exc:
        return None, _syntax_problem(source, str(exc))
    except RecursionError:
        return None, _syntax_problem(source, "nesting too deep")
    if isinstance(data, list) and _is_multi_document(source.text):
        return None, file_error(
            RuleId.YAML_STRUCTURE,
            source.rel,
            N_("the file holds more than one YAML document"),
            N_('remove the "---" separator lines: one file holds one document'),
        )
    return data, None


def _is_multi_document(text: str) -> bool:
    return re.search(r"^---\s*$", text, re.M) is not None and text.count("\n---") >= 1


_YAML_RS_POS = re.compile(r"line (\d+), column (\d+)")


def _syntax_problem(source: Source, detail: str) -> Diagnostic:
    """Turn a parser error into a diagnostic with the most useful position and a Chinese hint."""
    assert source.text is not None
    if detail.startswith("duplicate mapping key"):
        return _duplicate_key_problem(source, detail)
    line = column = 1
    original = detail
    found = _YAML_RS_POS.search(detail)
    if found:
        line, column = int(found.group(1)), int(found.group(2))
    # PyYAML reports where a construct *started* (the opening quote, the "[") as well as where it
    # failed; that is where an editor has to look.
    try:
        yaml.compose(source.text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        opened = "quoted scalar" in (exc.context or "") or "flow" in (exc.context or "")
        mark = (exc.context_mark if opened else None) or exc.problem_mark or exc.context_mark
        if mark is not None:
            line, column = mark.line + 1, mark.column + 1
        detail = f"{exc.context or ''} {exc.problem or ''}".strip() or detail
    except Exception:
        pass
    message, hint = _explain(f"{original} {detail}")
    return Diagnostic(
        RuleId.YAML_SYNTAX,
        "error",
        source.rel,
        message=message,
        hint=hint,
        args={"detail": detail.splitlines()[0][:200]},
        line=line,
        column=column,
    )


def _explain(detail: str) -> tuple[str, str]:
    text = detail.lower()
    if "\\t" in detail or "tabs disallowed" in text or "found a tab" in text:
        return N_("a tab character is used for indentation"), N_(
            "indent with spaces only (2 spaces per level); most editors can convert tabs to spaces"
        )
    if "quoted scalar" in text:
        return N_("a quotation mark is opened here but never closed"), N_(
            "add the closing quotation mark, or remove the opening one"
        )
    if "flow sequence" in text or "flow mapping" in text:
        return N_("a bracket is opened here but never closed"), N_(
            'close it with the matching "]" or "}}", or write one item per line with "- "'
        )
    if "mapping values are not allowed" in text or "could not find expected ':'" in text:
        return N_("a colon is out of place"), N_(
            'write "key: value" with a space after the colon; quote text that contains ": "'
        )
    if any(words in text for words in _INDENTATION_WORDS):
        return N_("the indentation of this line does not match the lines above"), N_(
            'indent fields of the same level by the same number of spaces (2 per level), and each list item "- " under its field'
        )
    if "alias" in text and ("limit" in text or "exceeded" in text):
        return N_("aliases (*name) expand to too much content"), N_(
            "write the content out instead of nesting anchors (&) and aliases (*)"
        )
    if "nesting depth" in text or "recursion" in text or "too deep" in text:
        return N_("the content is nested too deeply"), N_(
            "a guide needs only a few levels of indentation; check the brackets and indentation"
        )
    return N_("this line cannot be read as YAML"), N_(
        "check indentation, colons and quotation marks on this line and the one above"
    )


#: What PyYAML says when a line is indented more or less than its neighbours.
_INDENTATION_WORDS = (
    "did not find expected key",
    "expected <block end>",
    "did not find expected '-' indicator",
    "block sequence entries are not allowed",
    "block mapping entries are not allowed",
    "<document start>",
)


def _duplicate_key_problem(source: Source, detail: str) -> Diagnostic:
    key = detail.split(":", 1)[1].strip().strip("'\"") if ":" in detail else "?"
    line = column = first_line = None
    try:
        found = _find_duplicate(yaml.compose(source.text or "", Loader=_Loader))
    except yaml.YAMLError:
        found = None
    if found is not None:
        key, line, column, first_line = found
    return Diagnostic(
        RuleId.DUPLICATE_KEY,
        "error",
        source.rel,
        message=N_(
            'the key "{key}" appears twice in the same mapping (first on line {first_line})'
        ),
        hint=N_("keep one of the two; other tools would silently use only the last one"),
        args={"key": key, "first_line": first_line or "?"},
        line=line or 1,
        column=column or 1,
    )


def _find_duplicate(node: yaml.Node | None) -> tuple[str, int, int, int] | None:
    """The first repeated key, visiting each node once: an alias shares its anchor's node, so
    walking aliases again would take time exponential in the length of a chain of them."""
    stack = [node]
    seen_nodes: set[int] = set()
    while stack:
        current = stack.pop()
        if id(current) in seen_nodes:
            continue
        seen_nodes.add(id(current))
        if isinstance(current, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key_node, value_node in current.value:
                key = str(key_node.value)
                if key in seen:
                    mark = key_node.start_mark
                    return key, mark.line + 1, mark.column + 1, seen[key]
                seen[key] = key_node.start_mark.line + 1
                stack.append(value_node)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
    return None


# Characters PyYAML refuses to read; replaced by spaces (same length) before composing, so that a
# file with a stray control character can still be located in.
_UNPRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)


def compose(text: str) -> yaml.Node | None:
    """The node tree of ``text`` with positions, or None when PyYAML cannot read it."""
    try:
        return yaml.compose(_UNPRINTABLE.sub(" ", text), Loader=_Loader)
    except (yaml.YAMLError, RecursionError):
        return None


def locate(root: yaml.Node | None, path: tuple[PathPart, ...], at_key: bool) -> tuple[int, int]:
    """Line and column of the deepest node on ``path`` (the key itself when ``at_key``)."""
    if root is None:
        return 1, 1
    node: yaml.Node = root
    mark = node.start_mark
    for index, part in enumerate(path):
        last = index == len(path) - 1
        if isinstance(node, yaml.MappingNode):
            match = next((kv for kv in node.value if str(kv[0].value) == str(part)), None)
            if match is None:
                break
            key_node, node = match
            mark = key_node.start_mark if (last and at_key) else node.start_mark
            if last and not at_key and isinstance(node, yaml.MappingNode | yaml.SequenceNode):
                mark = key_node.start_mark  # a whole block: point at its key, where it starts
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if not 0 <= part < len(node.value):
                break
            node = node.value[part]
            mark = node.start_mark
        else:
            break
    return mark.line + 1, mark.column + 1
