"""Text as the de-identification rules read it, with each character's place in the original.

``１３８１２３４５６７８``, ``138\u200b12345678`` and ``𝟏𝟑𝟖12345678`` are the same number to a reader; the
rules match them once the text is normalised:

- compatibility forms of digits, Latin letters, ``@`` and ``.`` to ASCII (NFKC of one
  character: full-width, mathematical, circled, superscript), and the decimal digits of every
  script to 0–9; other characters (Chinese punctuation, dashes, spaces) stay as they are: the
  detectors' patterns name the separators they accept;
- hidden characters (:mod:`guidesrc.check.hidden`) removed.

Folding keeps the length, so a match's position in the normalised text maps back to the original
through :attr:`Normalised.origin` (None while nothing was removed). The common text has none of
these characters and is returned as it is, after one look at its set of characters.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Set
from typing import NamedTuple

from guidesrc.check import hidden

# The zero of each script's decimal digits (Unicode Nd) beyond ASCII; ``tests/test_deid.py``
# checks the list against unicodedata.
_DIGIT_ZEROS = (
    0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66, 0xBE6, 0xC66, 0xCE6, 0xD66, 0xDE6,
    0xE50, 0xED0, 0xF20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50,
    0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10,
    0x104A0, 0x10D30, 0x11066, 0x110F0, 0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0, 0x11650,
    0x116C0, 0x11730, 0x118E0, 0x11950, 0x11C50, 0x11D50, 0x11DA0, 0x16A60, 0x16AC0, 0x16B50,
    0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6, 0x1E140, 0x1E2F0, 0x1E950, 0x1FBF0,
)  # fmt: skip
# Where compatibility forms of Latin letters and digits live.
_COMPATIBILITY = ((0xA0, 0xFF), (0x2070, 0x24FF), (0x2776, 0x2793), (0xFF01, 0xFF5E),
                  (0x1D400, 0x1D7FF), (0x1F100, 0x1F1FF))  # fmt: skip
_KEEP = frozenset("0123456789@.ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


@functools.cache
def _table() -> dict[int, str]:
    table = {zero + n: str(n) for zero in _DIGIT_ZEROS for n in range(10)}
    for low, high in _COMPATIBILITY:
        for code in range(low, high + 1):
            folded = unicodedata.normalize("NFKC", chr(code))
            if folded in _KEEP:
                table[code] = folded
    return table


@functools.cache
def _folded() -> frozenset[str]:
    return frozenset(map(chr, _table()))


class Normalised(NamedTuple):
    text: str
    #: index in the original of each character of ``text``; None: the same index
    origin: list[int] | None

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original's [start, end) of the normalised text's [start, end)."""
        if self.origin is None:
            return start, end
        return self.origin[start], self.origin[end - 1] + 1


def normalise(text: str, chars: Set[str] | None = None) -> Normalised:
    """``chars``: the set of ``text``'s characters, when the caller has it already."""
    if text.isascii() and text.isprintable():
        return Normalised(text, None)
    chars = set(text) if chars is None else chars
    if chars.isdisjoint(_folded()) and not hidden.may_hold(chars):
        return Normalised(text, None)
    folded = text.translate(_table())
    if hidden.HIDDEN_RE.search(folded) is None:
        return Normalised(folded, None)
    origin = [n for n, char in enumerate(folded) if hidden.HIDDEN_RE.match(char) is None]
    return Normalised(hidden.HIDDEN_RE.sub("", folded), origin)
