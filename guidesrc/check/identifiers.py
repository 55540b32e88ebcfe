"""Check digits of Chinese identifiers: the resident ID number and the unified social credit code."""

from __future__ import annotations

import datetime as dt
import re

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

# 18-character resident ID number (GB 11643): not part of a longer run of letters or digits.
ID_NUMBER_RE = re.compile(r"(?<![0-9A-Za-z])[1-8]\d{16}[0-9Xx](?![0-9A-Za-z])")
# Mainland mobile number: 1[3-9] and nine digits, not part of a longer number.
MOBILE_RE = re.compile(r"(?<![0-9])1[3-9]\d{9}(?![0-9])")


# Byte-level prefilter (a few microseconds for a 4 KB guide, where the precise patterns above take
# ~100): keep digits and X, blank everything else, and look at the lengths of the digit runs.
_DIGITS_ONLY = bytes(c if 48 <= c <= 57 or c in b"Xx" else 32 for c in range(256))
_CANDIDATE_LENGTHS = frozenset((11, 17, 18))  # a mobile number; an ID number without/with its X


def may_hold_personal_numbers(data: bytes) -> bool:
    """False when ``data`` surely holds no mobile or ID number (true may be a false alarm)."""
    return not _CANDIDATE_LENGTHS.isdisjoint(map(len, data.translate(_DIGITS_ONLY).split()))


def is_id_number(candidate: str) -> bool:
    """True for a resident ID number with a valid check digit and birth date."""
    if len(candidate) != 18 or not candidate[:17].isdigit():
        return False
    total = sum(int(c) * w for c, w in zip(candidate[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != candidate[17].upper():
        return False
    try:
        born = dt.date(int(candidate[6:10]), int(candidate[10:12]), int(candidate[12:14]))
    except ValueError:
        return False
    return dt.date(1900, 1, 1) <= born


_CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_char(first17: str) -> str:
    """The 18th character of a unified social credit code (GB 32100-2015)."""
    total = sum(_CREDIT_CHARS.index(c) * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return _CREDIT_CHARS[(31 - total % 31) % 31]


def is_credit_code(code: str) -> bool:
    if len(code) != 18 or any(c not in _CREDIT_CHARS for c in code):
        return False
    return credit_code_check_char(code[:17]) == code[17]


def mask(value: str) -> str:
    """Show enough of a personal number to find it, not enough to reuse it."""
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
