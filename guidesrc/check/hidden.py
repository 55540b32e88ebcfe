"""Hidden characters: what makes two texts that look the same differ, or read differently.

Control characters (Unicode Cc: C0, DEL and C1), format characters (Cf: zero-width spaces and
joiners, the direction marks and overrides of "Trojan Source", the soft hyphen, U+061C, tag
characters), private-use characters (Co), the line and paragraph separators (Zl, Zp, U+2028/9),
and the blank look-alikes no category names: variation selectors, Hangul fillers, the combining
grapheme joiner, the Mongolian free variation selectors and the invisible Khmer vowels. A name
with one of them is another name to a search, a duplicate check or a four-eyes comparison.

The ranges are written out (scanning every code point at start-up would cost 0.1 s);
``tests/test_deid.py`` checks them against :mod:`unicodedata` of the running Python.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Set

_RANGES = (
    # Cc: C0 controls, DEL, C1 controls (tab, newline and carriage return are let through below)
    (0x00, 0x1F), (0x7F, 0x9F),
    # Cf
    (0xAD, 0xAD), (0x600, 0x605), (0x61C, 0x61C), (0x6DD, 0x6DD), (0x70F, 0x70F),
    (0x890, 0x891), (0x8E2, 0x8E2), (0x180E, 0x180E), (0x200B, 0x200F), (0x202A, 0x202E),
    (0x2060, 0x2064), (0x2066, 0x206F), (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0x110BD, 0x110BD),
    (0x110CD, 0x110CD), (0x13430, 0x1343F), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A),
    (0xE0000, 0xE007F),  # tag characters
    # Zl, Zp
    (0x2028, 0x2029),
    # Co (private use) and Cs (surrogates, which only a broken decoder lets through)
    (0xD800, 0xF8FF), (0xF0000, 0xFFFFD), (0x100000, 0x10FFFD),
    # blank look-alikes of other categories
    (0xFE00, 0xFE0F), (0xE0100, 0xE01EF),  # variation selectors
    (0x180B, 0x180D), (0x180F, 0x180F),  # Mongolian free variation selectors
    (0x115F, 0x1160), (0x3164, 0x3164), (0xFFA0, 0xFFA0),  # Hangul fillers
    (0x34F, 0x34F),  # combining grapheme joiner
    (0x17B4, 0x17B5),  # Khmer inherent vowels (invisible)
)  # fmt: skip

HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Zl", "Zp"})


def _char_class(allowed: str) -> str:
    parts = []
    for low, high in _RANGES:
        cuts = [c for c in map(ord, allowed) if low <= c <= high]
        start = low
        for cut in sorted(cuts):
            if start < cut:
                parts.append(_span(start, cut - 1))
            start = cut + 1
        if start <= high:
            parts.append(_span(start, high))
    return "[" + "".join(parts) + "]"


def _span(low: int, high: int) -> str:
    return re.escape(chr(low)) if low == high else f"{re.escape(chr(low))}-{re.escape(chr(high))}"


#: One hidden character; guide text may hold tab, newline and carriage return.
HIDDEN_RE = re.compile(_char_class("\t\n\r"))
#: The same for a one-line value (a name given on the command line): no line breaks either.
HIDDEN_IN_LINE_RE = re.compile(_char_class(""))


def is_hidden(char: str) -> bool:
    return HIDDEN_IN_LINE_RE.match(char) is not None


@functools.cache
def _hidden_bmp() -> frozenset[str]:
    """The hidden characters below U+10000 (a set lookup is quicker than a regular expression
    over the text); tab, newline and carriage return left out."""
    return frozenset(
        chr(code)
        for low, high in _RANGES
        for code in range(low, min(high, 0xFFFF) + 1)
        if chr(code) not in "\t\n\r"
    )


def may_hold(chars: Set[str]) -> bool:
    """False when a text of these distinct characters surely holds no hidden character (tab,
    newline and carriage return allowed)."""
    return not chars.isdisjoint(_hidden_bmp()) or max(chars, default="") > "\uffff"


def hidden_characters(text: str, allow_lines: bool = True) -> list[tuple[int, str]]:
    """(index, character) of each hidden character of ``text``."""
    pattern = HIDDEN_RE if allow_lines else HIDDEN_IN_LINE_RE
    return [(m.start(), m.group()) for m in pattern.finditer(text)]


def describe(char: str) -> str:
    """U+200E (LEFT-TO-RIGHT MARK): how a message names a character no one can see."""
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" {name}" if name else "")
