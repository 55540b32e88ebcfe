"""Personal data in text (去标识化): what ``guides check`` and the free-text options refuse.

Every detector reads the text normalised (:mod:`guidesrc.check.normalise`): full-width forms,
separators and hidden characters do not hide a number. Each finding names its kind, where it
stands in the original text, and the value masked for the message.

- ``mobile``: 1[3-9] and nine digits, also after 86, +86 or 0086; digits with letters on one
  side count (``wx13812345678``), with letters on both sides they are part of a code or a hash;
  allowed in contact fields (a service's consult number may be a mobile).
- ``id18`` / ``id15``: resident ID numbers (GB 11643) with a known province, a real birth date,
  and for 18 digits the check character.
- ``bank-card``: 13–19 digits whose issuer prefix is a card scheme's (UnionPay 62, Visa 4,
  Mastercard 51–55 and 2221–2720, American Express 34/37, JCB 35, Discover 60/64/65) and
  whose Luhn check digit holds; the number stands on its own (not glued to letters).
- ``email``: an address at a domain outside government (``.gov.cn``) and the reserved example
  domains; allowed in contact fields.
- ``passport``: a passport or travel permit number (a letter or two and 7–10 digits) with
  护照, 通行证, 回乡证 or 旅行证 a few characters before or after it.
- ``name-address``: a person's name followed by a home address with a house number
  (:mod:`guidesrc.check.personal_names`). Placeholders (张某, 李XX) are examples, not people.

A run of digits separated by spaces, dashes or dots is read group by group: every sequence of
whole groups is a candidate, so ``电话 020 12345678 13812345678`` still holds a mobile. A run
with one dot and nothing else between its digits is a decimal number (a coordinate, an amount).
Codes with their own rules (implementation, basic and credit codes) are not read
(:mod:`guidesrc.check.text_rules`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import NamedTuple

from guidesrc.check.identifiers import is_id_number
from guidesrc.check.normalise import Normalised, normalise
from guidesrc.check.personal_names import may_name_address, names_with_address

KINDS = ("mobile", "id18", "id15", "bank-card", "email", "passport", "name-address")

# Contact fields: a phone number or an e-mail address there is the point, not personal data.
CONTACT_FIELDS = frozenset({"consult_phones", "complaint_phones", "phones", "phone"})


class Finding(NamedTuple):
    kind: str
    start: int  # in the original text
    end: int
    masked: str


# What may stand between the digits of one number: spaces, dashes, dots (ASCII, full-width,
# ideographic), at most three in a row; an ID number's X may end the run.
_SEP = (
    "[ \t.\\-\u00a0\u2000-\u200a\u202f\u205f\u3000\u2010-\u2015\u2212"
    "\u00b7\u2022\u2027\u30fb\uff0d\uff0e\uff65\ufe58\ufe63]"
)
_LONG_RE = re.compile(f"[0-9](?:{_SEP}{{0,3}}[0-9]){{10}}")  # 11 digits: a run worth reading
_RUN_RE = re.compile(f"[0-9]+(?:{_SEP}{{1,3}}[0-9]+)*(?:[Xx](?![A-Za-z0-9]))?")
_GROUP_RE = re.compile(r"[0-9]+[Xx]?")
_MOBILE_RE = re.compile(r"(?:0086|86)?(1[3-9][0-9]{9})")
_MAX_DIGITS = 19
_PROVINCES = frozenset(
    ["11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
     "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
     "65", "71", "81", "82"]
)  # fmt: skip
_CARD_PREFIX = r"62|4|5[1-5]|2[2-7]|3[47]|35|6[045]"
_CARD_PREFIX_RE = re.compile(_CARD_PREFIX)
# What a run of digits alone may be (a quick first look; :func:`_kind` decides).
_ONE_GROUP_RE = re.compile(
    r"(?:0086|86)?1[3-9][0-9]{9}|[1-8][0-9]{14}(?:[0-9]{2}[0-9Xx])?"
    f"|(?:{_CARD_PREFIX})[0-9]{{10,18}}"
)

_AT_WORD = r"[\[(（［{] ?at ?[\])）］}]"
_AT_WORD_RE = re.compile(_AT_WORD)
_AT = f"(?:@| ?{_AT_WORD} ?)"
_EMAIL_RE = re.compile(
    r"(?<![A-Za-z0-9._%+\-])([A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}) ?"
    + _AT
    + r" ?((?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24})(?![A-Za-z0-9\-])"
)
_PUBLIC_DOMAINS = re.compile(
    r"(?:^|\.)(?:gov\.cn|gov|example\.(?:com|org|net)|example|test|invalid|localhost)$"
)
_PASSPORT_RE = re.compile(f"(?<![A-Za-z0-9])[A-Za-z]{{1,2}}(?:{_SEP}?[0-9]){{7,10}}(?![0-9])")
_TRAVEL_DOCUMENTS = ("护照", "通行证", "回乡证", "旅行证", "assport", "ASSPORT")
_TRAVEL_DOCUMENT_RE = re.compile("|".join(_TRAVEL_DOCUMENTS))
_CONTEXT = 12  # characters either side of a passport number where the word is looked for
_FOLDED_LINE_RE = re.compile(r"\n[ \t]*")


def find(text: str, contact: bool = False) -> list[Finding]:
    """The personal data in ``text``; ``contact``: a contact field (phones, e-mails allowed)."""
    norm = normalise(text)
    plain = norm.text
    found = list(_numbers(norm, contact)) if _LONG_RE.search(plain) else []
    if any(word in plain for word in _TRAVEL_DOCUMENTS):
        found += _passports(norm)
    if not contact and ("@" in plain or _AT_WORD_RE.search(plain)):
        found += _emails(norm)
    if may_name_address(plain):
        found += _names_with_address(norm)
    return sorted(found, key=lambda f: (f.start, f.kind))


def may_hold(text: str) -> bool:
    """False when the file ``text`` surely holds no personal data in any of its values.

    The values are read as YAML folds them (a line break and the next line's indentation are
    one space); a file with escapes (``\\u0031``) is always read value by value."""
    return "\\" in text or bool(find(_FOLDED_LINE_RE.sub(" ", text)))


def _numbers(norm: Normalised, contact: bool) -> Iterator[Finding]:
    text = norm.text
    pos = 0
    while (long := _LONG_RE.search(text, pos)) is not None:
        run = _RUN_RE.match(text, long.start())
        assert run is not None  # the long match starts a run
        pos = run.end()
        digits = run.group()
        if digits.isdigit():  # one group: a code, a phone number (the common case)
            if not _ONE_GROUP_RE.fullmatch(digits):
                continue
            glued = _glued(text, run.start(), run.end())
            one = _kind(digits, glued == 1, contact) if glued < 2 else None
            if one is not None:
                yield Finding(one[0], *norm.span(run.start(), run.end()), mask(one[1]))
            continue
        glued = _glued(text, run.start(), run.end())
        if glued == 2 or _decimal(digits):
            continue  # letters on both sides: part of a code or a hash; 12200307.39133804
        groups = [
            (m.start() + run.start(), m.end() + run.start())
            for m in _GROUP_RE.finditer(run.group())
        ]
        i = 0
        while i < len(groups):
            hit = _first_hit(text, groups, i, glued == 1, contact)
            if hit is None:
                i += 1
                continue
            kind, j, value = hit
            start, end = norm.span(groups[i][0], groups[j][1])
            yield Finding(kind, start, end, mask(value))
            i = j + 1


def _glued(text: str, start: int, end: int) -> int:
    """On how many sides (0–2) the run touches a Latin letter."""
    before, after = text[start - 1 : start], text[end : end + 1]
    return sum(1 for c in (before, after) if c.isascii() and c.isalpha())


def _decimal(run: str) -> bool:
    """12200307.39133804: one dot and nothing else between the digits is a decimal number."""
    if "." not in run and "．" not in run:
        return False
    return sum(1 for c in run if not c.isdigit()) == 1


def _first_hit(
    text: str, groups: list[tuple[int, int]], i: int, glued: bool, contact: bool
) -> tuple[str, int, str] | None:
    digits = ""
    for j in range(i, len(groups)):
        digits += text[groups[j][0] : groups[j][1]]
        if len(digits) > _MAX_DIGITS:
            return None
        if len(digits) < 11:
            continue
        if digits[-1] in "Xx" and j < len(groups) - 1:
            return None
        hit = _kind(digits.upper(), glued, contact)
        if hit is not None:
            return hit[0], j, hit[1]
    return None


def _kind(digits: str, glued: bool, contact: bool) -> tuple[str, str] | None:
    """The kind of number ``digits`` is, and the number itself (a mobile without its 86)."""
    if len(digits) == 18 and digits[:2] in _PROVINCES and is_id_number(digits):
        return ("id18", digits) if _born(digits[6:14]) else None
    if not contact and (mobile := _MOBILE_RE.fullmatch(digits)):
        return "mobile", mobile.group(1)
    if not digits.isdigit() or glued:
        return None
    if len(digits) == 15 and digits[:2] in _PROVINCES and _born("19" + digits[6:12]):
        return "id15", digits
    if 13 <= len(digits) <= 19 and _CARD_PREFIX_RE.match(digits) and luhn(digits):
        return "bank-card", digits
    return None


def _born(yyyymmdd: str) -> bool:
    try:
        born = dt.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return False
    return dt.date(1900, 1, 1) <= born <= dt.date.today()


def luhn(digits: str) -> bool:
    total = 0
    for n, char in enumerate(reversed(digits)):
        value = int(char) * (2 if n % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _emails(norm: Normalised) -> Iterator[Finding]:
    for match in _EMAIL_RE.finditer(norm.text):
        domain = match.group(2).lower()
        if _PUBLIC_DOMAINS.search(domain):
            continue
        start, end = norm.span(match.start(), match.end())
        yield Finding("email", start, end, f"{match.group(1)[:1]}***@{domain}")


def _passports(norm: Normalised) -> Iterator[Finding]:
    text = norm.text
    for match in _PASSPORT_RE.finditer(text):
        around = text[max(0, match.start() - _CONTEXT) : match.end() + _CONTEXT]
        if _TRAVEL_DOCUMENT_RE.search(around) is None:
            continue
        value = "".join(c for c in match.group() if c.isalnum()).upper()
        start, end = norm.span(match.start(), match.end())
        yield Finding("passport", start, end, value[:2] + "*" * (len(value) - 4) + value[-2:])


def _names_with_address(norm: Normalised) -> Iterator[Finding]:
    for name, at, until in names_with_address(norm.text):
        start, end = norm.span(at, until)
        yield Finding("name-address", start, end, name[0] + "*" * (len(name) - 1))


def mask(value: str) -> str:
    """Show enough of a personal number to find it, not enough to reuse it."""
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
