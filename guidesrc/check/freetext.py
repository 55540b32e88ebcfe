"""Free text typed on the command line passes the rules of guide text.

A withdrawal's ``--reason`` is published on every channel; an approval's ``--note`` and
``--reason``, and who approved, withdrew or posted a sheet (``--by``), are kept in the ledger
and shown in the log and the handover report; ``guides import --name`` names the library on every
printed sheet. Each is checked like a guide's text: no personal data (去标识化, the detectors of
:mod:`guidesrc.check.personal`, with no contact field to excuse a phone number) and no hidden
characters (a name with a zero-width space is another name to the four-eyes comparison).

Wire an option with ``callback=free_text`` (:mod:`guidesrc.cli.options`), or call
:func:`check_free_text`.
"""

from __future__ import annotations

from guidesrc.check import hidden, personal
from guidesrc.check.text_rules import PERSONAL_MESSAGES
from guidesrc.errors import FreeTextError
from guidesrc.i18n import N_, _

#: Options that name someone or something: one line. The others (notes, reasons) may hold several.
ONE_LINE = frozenset({"--by", "--name"})

_MESSAGES = {
    **{kind: message for kind, (message, _hint) in PERSONAL_MESSAGES.items()},
    "mobile": N_("the text contains a mobile phone number ({masked})"),
    "email": N_("the text contains an e-mail address ({masked})"),
}


def check_free_text(text: str, option: str) -> str:
    """``text`` as given; raises :class:`FreeTextError` naming ``option``, what was found (masked)
    and the fix."""
    one_line = option in ONE_LINE
    found = hidden.hidden_characters(text, allow_lines=not one_line)
    if found:
        _index, char = found[0]
        problem = _("the text contains an invisible control character (U+{code:04X})").format(
            code=ord(char)
        )
        raise FreeTextError(
            _("{option}: {problem} (fix: {hint})").format(
                option=option,
                problem=problem,
                hint=_("retype it without the invisible character, or paste it as plain text"),
            )
        )
    findings = personal.find(text)
    if findings:
        finding = findings[0]
        problem = _(_MESSAGES[finding.kind]).format(masked=finding.masked)
        raise FreeTextError(
            _("{option}: {problem} (fix: {hint})").format(
                option=option,
                problem=problem,
                hint=_(
                    "remove personal data (去标识化): this text is kept in the ledger and may be published"
                ),
            )
        )
    return text
