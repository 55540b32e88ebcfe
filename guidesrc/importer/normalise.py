"""Text as the sources write it, made comparable and valid: names, phone numbers, time limits, ids.

Every function here is deterministic: the same text gives the same result on every run and every
machine, so re-importing an export finds the entries it made before.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from guidesrc.model.common import ID_RE, PHONE_PATTERN

#: What the sources write for "nothing here".
NOTHING = frozenset({"", "无", "暂无", "null", "none", "/", "-", "—", "——", "无。"})
#: The editors' marker: a cell or value that is to be completed.
PENDING = "待补充"
#: The editors' marker that clears a value on re-import (a blank cell keeps the library's value).
CLEAR = frozenset({"（清空）", "(清空)"})

_BRACKETS = str.maketrans({"（": "(", "）": ")", "【": "[", "】": "]", "〔": "[", "〕": "]"})
_SPACE_RE = re.compile(r"\s+")


#: Full-width letters and digits to ASCII; Chinese punctuation (，：（）) stays as written.
_HALF_WIDTH = {
    c: c - 0xFEE0
    for r in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
    for c in range(r[0], r[1] + 1)
}


def clean(text: str) -> str:
    """Text for display: full-width letters and digits to half-width, runs of white space
    (the ideographic space too) to one space, trimmed. Punctuation is left as written."""
    return _SPACE_RE.sub(" ", text.translate(_HALF_WIDTH)).strip()


def is_nothing(value: object) -> bool:
    return value is None or (isinstance(value, str) and clean(value).lower() in NOTHING)


def name_key(name: str) -> str:
    """The key under which two names are the same entry: 《居民身份证》, 居民身份证 and
    “居民 身份证” match; （复印件） and (复印件) match."""
    text = unicodedata.normalize("NFKC", clean(name)).translate(_BRACKETS)
    text = re.sub(r"[《》〈〉<>“”\"'‘’「」『』]", "", text)
    text = text.replace(" ", "").rstrip("。.;；,，、")
    while re.fullmatch(r"\([^()]*\)|\[[^\[\]]*\]", text):  # a name wrapped whole in brackets
        text = text[1:-1]
    return text.lower()


def display_name(name: str) -> str:
    """A name as written into the catalogue: cleaned, without a trailing full stop."""
    return clean(name).rstrip("。;；,，、") or clean(name)


# ---------------------------------------------------------------------------------------------
# Ids


def short_hash(text: str, length: int = 6) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def unique_id(base: str, key: str, taken: set[str], prefix: str) -> str:
    """``base`` if free, else ``base-<hash of key>``: the same key gets the same id whatever the
    order entries are met in. ``prefix`` stands in for a base with no letters (e.g. all symbols)."""
    base = base or f"{prefix}-{short_hash(key)}"
    candidates = [base, f"{base[:53]}-{short_hash(key)}", f"{prefix}-{short_hash(key, 12)}"]
    for candidate in candidates:
        if candidate not in taken and ID_RE.match(candidate):
            return candidate
    n = 2
    while f"{prefix}-{short_hash(key, 12)}-{n}" in taken:
        n += 1
    return f"{prefix}-{short_hash(key, 12)}-{n}"


def guide_id(code: str) -> str:
    """A guide's id from its implementation code: stable across exports and re-imports, unique
    like the code, and the same key the provincial portal's own addresses use."""
    return re.sub(r"[^a-z0-9]+", "-", code.lower()).strip("-")[:64].strip("-")


# ---------------------------------------------------------------------------------------------
# Phone numbers

_PHONE_RE = re.compile(PHONE_PATTERN)
# An optional area code — 020-, (020), （0662）, 8620 — then the number, then extension groups.
_PHONE_TOKEN = re.compile(
    r"(?<![\d])(?:(?:\(|（)?(?:(0\d{2,3})|86[\s\-]?([1-9]\d{1,2}))(?:\)|）)?[\s\-–—]*)?"
    r"((?:1\d{10})|(?:400[\s\-]?\d{3,4}[\s\-]?\d{3,4})|(?:\d{3,4}[\s]?\d{4})|(?:\d{5}))"
    r"((?:\s*(?:[-–—]|转)\s*\d{1,6})*)(?![\d])"
)


def phones(text: str) -> list[tuple[str, str | None]]:
    """The phone numbers in a source's text, each as (number in the schema's format, note).

    ``020-12333-9-3`` → ("020-12333", "转9-3"); ``020-87300569-825`` → ("020-87300569转825");
    ``（0662）3681111`` → ("0662-3681111"); ``400-7000-690`` → ("400-7000690"). Text around the
    numbers (labels, hours) is left out: it is not a number.
    """
    out: list[tuple[str, str | None]] = []
    seen: set[str] = set()
    for match in _PHONE_TOKEN.finditer(clean(text)):
        area = match.group(1) or (f"0{match.group(2)}" if match.group(2) else None)
        number, extra = re.sub(r"[\s\-]", "", match.group(3)), match.group(4)
        if number.startswith("400") and len(number) == 10:
            area, number = "400", number[3:]
        if number.startswith("1") and len(number) == 11:
            area = None  # a mobile number has no area code
        groups = re.findall(r"\d+", extra or "")
        base = f"{area}-{number}" if area else number
        note = None
        if len(groups) == 1 and _PHONE_RE.fullmatch(f"{base}转{groups[0]}"):
            base = f"{base}转{groups[0]}"
        elif groups:
            note = "转" + "-".join(groups)
        if _PHONE_RE.fullmatch(base) and base not in seen:
            seen.add(base)
            out.append((base, note))
    return out


# ---------------------------------------------------------------------------------------------
# Time limits

_LIMIT_RE = re.compile(r"^(\d{1,4})\s*(?:个)?\s*[\(（]?\s*(工作日|自然日|日|天)\s*[\)）]?$")


def time_limit(text: str) -> tuple[int, str] | None:
    """``20(工作日)``, ``20 个工作日``, ``20工作日`` → (20, "工作日"); 即办/即时办结 → (0, "工作日");
    None when the text is not a time limit with its unit (天 and 日 are 自然日)."""
    value = clean(text)
    if value in ("即办", "即时办结", "当场办结", "即来即办"):
        return 0, "工作日"
    found = _LIMIT_RE.match(value)
    if not found:
        return None
    unit = found.group(2)
    return int(found.group(1)), "工作日" if unit == "工作日" else "自然日"


def lines(text: str, separators: str = r"[\r\n]+|；|;") -> list[str]:
    """One item a line (or a ；-separated part), cleaned, empty ones dropped."""
    parts = re.split(separators, text)
    return [p for p in (clean(part) for part in parts) if p]


#: Numbering a source writes before list items: 1、 1. (1) （一） 一、 ① 第一，
_NUMBERING = re.compile(
    r"^(?:[（(]\s*(?:\d{1,3}|[一二三四五六七八九十]{1,3})\s*[)）]|"
    r"(?:\d{1,3}|[一二三四五六七八九十]{1,3})\s*(?:[、)）]|[.．](?!\d))|"
    r"[①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳]|第[一二三四五六七八九十]{1,3}[，,、：:])\s*"
)


def unnumbered(text: str) -> str:
    """``1、申请人…``, ``（一）申请人…``, ``1. 1、申请人…`` → ``申请人…``: the guide numbers its
    lists itself, so the source's numbering would be printed twice."""
    for _ in range(3):
        found = _NUMBERING.match(text)
        if not found or found.end() == len(text):
            break
        text = text[found.end() :]
    return text


def split_list(text: str, separators: str = "、，,；;") -> list[str]:
    """Items separated by ``separators`` or new lines, not inside brackets."""
    out, depth, current = [], 0, ""
    for char in text:
        if char in "（(【[《":
            depth += 1
        elif char in "）)】]》":
            depth = max(depth - 1, 0)
        if depth == 0 and (char in separators or char in "\n\r"):
            out.append(current)
            current = ""
        else:
            current += char
    out.append(current)
    return [c for c in (clean(item) for item in out) if c and not is_nothing(c)]


_GENERIC_LABEL = re.compile(r"(?:咨询|投诉|监督投诉|联系|办公|服务)?(?:电话|热线|号码|方式)?$")


def labelled_phones(text: str) -> list[tuple[str, str | None]]:
    """The numbers of a phone cell with the label each is written under:
    ``某派出所电话：0431-1234567；某分局电话：0431-7654321`` → the two numbers, noted 某派出所 and
    某分局; a note in brackets right after a number is its note too (``12345（工作日 9:00–17:00）``).
    A label that only says what a phone is (咨询电话：) is not kept; an extension path (转9-3)
    stays in the note."""
    out: list[tuple[str, str | None]] = []
    seen: set[str] = set()
    for segment in re.split(r"[；;\r\n]+", clean(text)):
        first = _PHONE_TOKEN.search(segment)
        if first is None:
            continue
        head = re.sub(r"[\s：:，,、]+$", "", segment[: first.start()]).strip()
        label = _GENERIC_LABEL.sub("", head).strip(" ：:，,、") or None
        for match in _PHONE_TOKEN.finditer(segment):
            found = phones(match.group(0))
            if not found or found[0][0] in seen:
                continue
            phone, extension = found[0]
            seen.add(phone)
            parts = (label, extension, _bracketed(segment[match.end() :]))
            out.append((phone, " ".join(p for p in parts if p) or None))
    return out


def _bracketed(text: str) -> str | None:
    """The text of the bracket that ``text`` starts with (brackets inside it kept), if any."""
    text = text.lstrip()
    if not text.startswith(("（", "(")):
        return None
    depth = 0
    for n, char in enumerate(text):
        depth += char in "（("
        depth -= char in "）)"
        if depth == 0:
            return text[1:n].strip() or None
    return None
