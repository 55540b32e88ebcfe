"""Text as the de-identification rules read it, with each character's place in the original.

``１３８ 1234-5678``, ``138\u200b12345678`` and ``138·1234·5678`` are the same number to a reader;
the rules match them once the text is normalised:

- compatibility forms to ASCII (NFKC of one character: full-width digits, letters and ``＠``,
  mathematical digits), decimal digits of every script to 0–9;
- every space (Unicode Zs, tab) to " ", every dash (Pd, the minus sign) to "-", the middle dots
  to "."; what separates digits is then one of three characters;
- hidden characters (:mod:`guidesrc.check.hidden`) removed.

Each step but the last keeps the length, so a match's position in the normalised text maps back
to the original through :attr:`Normalised.origin` (None while nothing was removed).
"""

from __future__ import annotations

import functools
import unicodedata
from typing import NamedTuple

from guidesrc.check.hidden import HIDDEN_RE

# Where compatibility forms and digits of other scripts live (scanned once, on first use).
_SCAN = ((0xA0, 0x33FF), (0xA620, 0xABFF), (0xFE00, 0xFFEF), (0x104A0, 0x1FBFF))
_DOTS = "\u00b7\u2022\u2027\u30fb\uff65"  # · • ‧ ・ ･


@functools.cache
def _table() -> dict[int, str]:
    table: dict[int, str] = {ord("\t"): " "}
    for low, high in _SCAN:
        for code in range(low, high + 1):
            char = chr(code)
            mapped = _one(char)
            if mapped is not None and mapped != char:
                table[code] = mapped
    return table


def _one(char: str) -> str | None:
    digit = unicodedata.decimal(char, None)
    if digit is not None:
        return str(digit)
    category = unicodedata.category(char)
    if category == "Zs":
        return " "
    if category == "Pd" or char == "\u2212":
        return "-"
    if char in _DOTS:
        return "."
    folded = unicodedata.normalize("NFKC", char)
    return folded if len(folded) == 1 and folded.isascii() and folded.isprintable() else None


class Normalised(NamedTuple):
    text: str
    #: index in the original of each character of ``text``; None: the same index
    origin: list[int] | None

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original's [start, end) of the normalised text's [start, end)."""
        if self.origin is None:
            return start, end
        return self.origin[start], self.origin[end - 1] + 1


def normalise(text: str) -> Normalised:
    folded = text if text.isascii() and "\t" not in text else text.translate(_table())
    if HIDDEN_RE.search(folded) is None:
        return Normalised(folded, None)
    origin = [n for n, char in enumerate(folded) if HIDDEN_RE.match(char) is None]
    return Normalised(HIDDEN_RE.sub("", folded), origin)
