"""The rules on the text of a file, whatever its kind: personal data (去标识化), hidden characters,
and characters the print fonts lack. Each finding points at its character in the file.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from typing import Any

from guidesrc import yamlio
from guidesrc.check import hidden, personal, printable
from guidesrc.diagnostics import Diagnostic, PathPart, RuleId
from guidesrc.i18n import N_
from guidesrc.yamlio import Source

Path_ = tuple[PathPart, ...]

#: Codes with their own format and check rules (a 31-digit implementation code is no card number).
CODE_FIELDS = frozenset({"implementation_code", "basic_code", "credit_code"})

#: kind → (message, hint) of the personal-data rule
PERSONAL_MESSAGES: dict[str, tuple[str, str]] = {
    "id18": (
        N_("the text contains a resident ID number ({masked})"),
        N_("remove personal data (去标识化); write an example such as 110101********1234"),
    ),
    "id15": (
        N_("the text contains an old 15-digit resident ID number ({masked})"),
        N_("remove personal data (去标识化); write an example such as 110101********1234"),
    ),
    "mobile": (
        N_("the text contains a mobile phone number ({masked}) outside the contact fields"),
        N_("remove personal numbers; service numbers belong in consult_phones"),
    ),
    "bank-card": (
        N_("the text contains a bank card number ({masked})"),
        N_(
            "remove personal data (去标识化); to say where a fee is paid, name the account holder and bank"
        ),
    ),
    "email": (
        N_("the text contains an e-mail address ({masked}) outside the contact fields"),
        N_(
            "remove private addresses (去标识化); an office's address belongs in a contact's note (consult_phones), or use its government domain (.gov.cn)"
        ),
    ),
    "passport": (
        N_("the text contains a passport or travel permit number ({masked})"),
        N_("remove personal data (去标识化); write an example such as E1234****"),
    ),
    "name-address": (
        N_("the text names a person ({masked}) together with a home address"),
        N_("remove personal data (去标识化); write a placeholder such as 张某，住某市某路某号"),
    ),
}


def personal_data(source: Source, data: Any) -> list[Diagnostic]:
    """Personal data anywhere (去标识化); phone numbers and e-mails are allowed in contact fields."""
    text = source.text or ""
    if not personal.may_hold(text):
        return []  # the common case: no walk over the strings
    found = []
    for path, value in strings(data, ()):
        names = {p for p in path if isinstance(p, str)}
        if not names.isdisjoint(CODE_FIELDS):
            continue
        contact = not names.isdisjoint(personal.CONTACT_FIELDS)
        for finding in personal.find(value, contact):
            message, hint = PERSONAL_MESSAGES[finding.kind]
            diagnostic = _rule(
                RuleId.PERSONAL_DATA, source.rel, path, message, hint, finding.masked
            )
            found.append((diagnostic, value[finding.start : finding.end], len(value)))
    return at_text(text, found)


def _rule(rule: RuleId, rel: str, path: Path_, message: str, hint: str, masked: str) -> Diagnostic:
    return Diagnostic(
        rule, "error", rel, path=path, message=message, hint=hint, args={"masked": masked}
    )


def hidden_characters(source: Source, data: Any) -> list[Diagnostic]:
    text = source.text or ""
    if "\\" not in text and not hidden.may_hold(set(text)):
        return []  # the common case: one look at the file's set of characters (and no escapes)
    found = []
    for path, value in strings(data, ()):
        match = hidden.HIDDEN_RE.search(value)
        if match is not None:
            diagnostic = Diagnostic(
                RuleId.HIDDEN_CHARACTERS,
                "error",
                source.rel,
                path=path,
                message=N_("the text contains an invisible control character (U+{code:04X})"),
                hint=N_("delete it: retype the text, or paste it as plain text"),
                args={"code": ord(match.group())},
            )
            found.append((diagnostic, match.group(), len(value)))
    return at_text(text, found)


def unprintable(source: Source, data: Any) -> list[Diagnostic]:
    """Each character of the published text that no print font can show, where it stands."""
    text = source.text or ""
    if "\\" not in text and (text.isascii() or not printable.unprintable(text)):
        return []  # the common case: one set difference over the file (escapes are in values)
    found = [
        (
            Diagnostic(
                RuleId.UNPRINTABLE,
                "error",
                source.rel,
                path=path,
                message=N_(
                    'the character "{char}" (U+{code:04X}) cannot be printed: the print fonts do not have it, and the printed sheet would fail'
                ),
                hint=N_(
                    "write it with common characters: an emoji or symbol in words, a rare character by its common form or described (e.g. 左土右冓); text in another script needs a print font that has it"
                ),
                args={"char": char, "code": ord(char)},
            ),
            char,
            len(value),
        )
        for path, value in strings(data, ())
        for char in printable.unprintable(value)
    ]
    return at_text(text, found)


def at_text(text: str, found: list[tuple[Diagnostic, str, int]]) -> list[Diagnostic]:
    """Point each finding (diagnostic, the text found, the length of its field's value) at the
    text it found (its first line) in the file, searched from where its field starts (after the
    previous finding in the same field); where the text is not in the file as it is (written
    with escapes), at the field."""
    if not found:
        return []
    tree = yamlio.compose(text)
    starts = [0, *(n + 1 for n, c in enumerate(text) if c == "\n")]
    cursor: dict[Path_, int] = {}
    out = []
    for diagnostic, needle, size in found:
        line, column = yamlio.locate(tree, diagnostic.path, False)
        field_start = starts[min(line, len(starts)) - 1] + column - 1
        start = cursor.get(diagnostic.path, field_start)
        # quoting, escapes and folded lines make a field longer in the file than its value
        at = text.find(needle.split("\n", 1)[0], start, field_start + 2 * size + 200)
        if at >= 0:
            cursor[diagnostic.path] = at + 1
            line = bisect.bisect_right(starts, at)
            column = at - starts[line - 1] + 1
        out.append(diagnostic.located(line, column))
    return out


def strings(node: Any, path: Path_) -> Iterator[tuple[Path_, str]]:
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from strings(value, (*path, str(key)))
    elif isinstance(node, list):
        for n, value in enumerate(node):
            yield from strings(value, (*path, n))
