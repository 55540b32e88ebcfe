"""Which characters the printed sheets can show: the code points of the print fonts' cmaps.

The pdf channel gives Typst one folder of fonts (Debian's ``fonts-noto-cjk``, else where
fontconfig has Noto Sans CJK SC: ``guidesrc.print.fonts``). A character none of them maps (an
emoji, Tibetan, a rare CJK Extension B ideograph) makes Typst refuse the PDF/A sheet, on every
retry; Typst's own built-in fonts (New Computer Modern, DejaVu Sans Mono) are not counted: what
only they can show would print in a stray font the sheet's design does not promise (a private-use
code point even as a meaningless glyph). So `guides check` refuses what these fonts cannot map.

The cmaps are read here with ``struct`` (OpenType ``cmap`` formats 4 and 12, in .otf/.ttf files
and .ttc collections): 20–30 ms for Debian's four Noto CJK collections, once per set of fonts; their
coverage is kept as JSON ranges in the user's cache folder, from which a process makes its
character class in about 7 ms, lazily: only when a file holds a character outside ASCII and is not
in the check cache. The fonts' identity
(path, size, modification time) is part of the check cache's key (``identity``), so installing
other fonts re-checks every file.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import json
import mmap
import os
import re
import struct
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path

import orjson

from guidesrc.check import hidden
from guidesrc.fsio import write_atomic
from guidesrc.print.fontdirs import DEBIAN_DIR, fontconfig_folders

FONT_SUFFIXES = (".otf", ".ttf", ".otc", ".ttc")


def font_files() -> tuple[str, ...]:
    """The font files the pdf channel gives Typst by default (none when they are not installed).

    Debian's folder when it holds fonts, else the folders where fontconfig has the family, as
    ``guidesrc.print.fonts.find_fonts`` looks for them (without importing Typst).
    """
    found = _fonts_in([DEBIAN_DIR])
    if found:
        return found
    return _fonts_in(fontconfig_folders())


def _fonts_in(folders: list[str]) -> tuple[str, ...]:
    return tuple(
        sorted(
            str(path)
            for folder in folders
            if os.path.isdir(folder)
            for path in Path(folder).iterdir()
            if path.suffix.lower() in FONT_SUFFIXES
        )
    )


@cache
def identity() -> str:
    """What the printable set depends on: each font file's path, size and modification time."""
    digest = hashlib.sha256()
    for name in font_files():
        try:
            st = os.stat(name)
        except OSError:
            continue
        digest.update(f"{name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


@cache
def printable() -> frozenset[str] | None:
    """Every character some print font maps, or None when no print font is installed."""
    points = _points()
    return None if points is None else frozenset(map(chr, points)) | _ALWAYS


@cache
def _points() -> set[int] | None:
    ranges = _ranges()
    return None if ranges is None else {p for start, end in ranges for p in range(start, end + 1)}


@cache
def _ranges() -> list[tuple[int, int]] | None:
    """The print fonts' code points as sorted, disjoint ranges (first, last): from the JSON
    cache (a millisecond), else read from the fonts' cmaps and stored there."""
    files = font_files()
    if not files:
        return None
    ranges = _cached(identity())
    if ranges is None:
        points: set[int] = set()
        seen: set[bytes] = set()  # the same cmap in several files is read once
        for name in files:
            try:
                with (
                    open(name, "rb") as fh,
                    mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data,
                ):
                    points.update(code_points(data, seen))  # reads only the cmaps' pages
            except (OSError, ValueError, struct.error):
                continue  # not a font Typst could read either
        ranges = as_ranges(points)
        _store(identity(), ranges)
    return ranges


def as_ranges(points: Iterable[int]) -> list[tuple[int, int]]:
    """Code points as sorted, disjoint ranges (first, last), adjacent ones joined."""
    ranges: list[list[int]] = []
    for point in sorted(set(points)):
        if ranges and ranges[-1][1] == point - 1:
            ranges[-1][1] = point
        else:
            ranges.append([point, point])
    return [(start, end) for start, end in ranges]


@cache
def _printable_run() -> re.Pattern[str] | None:
    """A run of characters some print font maps (or that need none, ``_ALWAYS`` and
    ``IGNORED``): one character class repeated, matched in C.

    Matching a run of the class is twice as fast as searching for one character outside it (the
    negated class: sre tries a match at every position), and the class is written with the
    characters themselves rather than ``\\U`` escapes, which the parser takes five times faster
    (5 ms instead of 26 for the 2,000 ranges of Debian's Noto CJK)."""
    ranges = _ranges()
    if ranges is None:
        return None
    extra = [(ord(c), ord(c)) for c in _ALWAYS | IGNORED]
    joined: list[list[int]] = []
    for start, end in sorted([*ranges, *extra]):
        if joined and start <= joined[-1][1] + 1:
            joined[-1][1] = max(joined[-1][1], end)
        else:
            joined.append([start, end])
    members = "".join(
        _member(start) if start == end else f"{_member(start)}-{_member(end)}"
        for start, end in joined
    )
    return re.compile(f"[{members}]*")


def _member(point: int) -> str:
    """A code point as written in a character class: itself, escaped where the class syntax
    gives it a meaning (and ``& ~ |``, which doubled would warn), control characters and
    surrogates by number."""
    char = chr(point)
    if point < 0x20 or 0xD800 <= point <= 0xDFFF or point == 0x7F:
        return f"\\U{point:08x}"
    return "\\" + char if char in "\\]-[^&~|" else char


# Layout characters (line breaks, tabs) and variation selectors, which Typst applies or drops.
_ALWAYS = frozenset(
    "\t\n\r" + "".join(map(chr, [*range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)]))
)


def _cache_file(key: str) -> Path:
    """Outside the library (a library folder holds the source only): the user's cache folder."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "guidesrc" / f"print-coverage-{key[:32]}.json"


def _cached(key: str) -> list[tuple[int, int]] | None:
    """The code point ranges stored for these font files, as JSON (never pickle)."""
    try:
        stored = orjson.loads(_cache_file(key).read_bytes())
        if stored.get("identity") != key:
            return None
        ranges = [(int(start), int(end)) for start, end in stored["ranges"]]
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None
    return ranges if _sane(ranges) else None


def _sane(ranges: list[tuple[int, int]]) -> bool:
    """Sorted, disjoint, within Unicode: what :func:`as_ranges` writes."""
    last = -2
    for start, end in ranges:
        if not last + 1 < start <= end <= 0x10FFFF:
            return False
        last = end
    return True


def _store(key: str, ranges: list[tuple[int, int]]) -> None:
    path = _cache_file(key)
    body = json.dumps({"identity": key, "ranges": ranges}).encode()
    with contextlib.suppress(OSError):  # a read-only home: computed again next time
        write_atomic(path, body, 0o644, durable=False)


def unprintable(text: str) -> list[str]:
    """The distinct characters of ``text`` no print font can show, in order of appearance.

    ASCII is always printable here (its control characters are the rule hidden-characters'
    business, as are the invisible characters of :mod:`guidesrc.check.hidden`). The common case,
    a text with none, is one match of :func:`_printable_run` over the whole text (2–6 µs a guide).
    """
    if text.isascii():
        return []
    if len(text) <= SHORT:
        return _unprintable_few(text)
    run = _printable_run()
    if run is None:
        return []
    end = _run_end(run, text, 0)
    if end == len(text):
        return []
    found: dict[str, None] = {}
    while end < len(text):
        found[text[end]] = None
        end = _run_end(run, text, end + 1)
    return [c for c in found if not hidden.is_hidden(c)]


#: A text this long or shorter (a library.yaml, a name) is checked character by character in the
#: ranges, which spares a process that checks nothing longer the character class (≈ 6 ms).
SHORT = 4096


def _unprintable_few(text: str) -> list[str]:
    """:func:`unprintable` of a short text: each distinct character looked up in the ranges."""
    ranges = _ranges()
    if ranges is None:
        return []
    starts = _starts()
    found = []
    for char in dict.fromkeys(text):
        if char in _ALWAYS or char in IGNORED:
            continue
        at = bisect.bisect_right(starts, ord(char)) - 1
        if at < 0 or ranges[at][1] < ord(char):
            found.append(char)
    return [c for c in found if not hidden.is_hidden(c)]


@cache
def _starts() -> list[int]:
    return [start for start, _end in _ranges() or []]


def _run_end(run: re.Pattern[str], text: str, start: int) -> int:
    """Where the run of printable characters from ``start`` ends."""
    match = run.match(text, start)
    return match.end() if match else start  # "*" always matches, if only the empty run


# The commonest invisible characters, which the rule hidden-characters reports (allowed here so
# that a text holding one needs no second look).
IGNORED = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\u200c\u200d\u2060\ufeff"
)


def code_points(data: bytes | mmap.mmap, seen: set[bytes] | None = None) -> set[int]:
    """The code points the Unicode cmaps of a font file map to a glyph.

    ``data`` is an OpenType/TrueType font or a collection (``ttcf``). A cmap subtable whose
    bytes are in ``seen`` (the fonts of a collection, a family's weights) is not read again.
    """
    seen = set() if seen is None else seen
    if data[:4] == b"ttcf":
        (count,) = struct.unpack_from(">I", data, 8)
        offsets: Iterable[int] = struct.unpack_from(f">{count}I", data, 12)
    else:
        offsets = (0,)
    points: set[int] = set()
    for offset in offsets:
        cmap = _table(data, offset, b"cmap")
        if cmap is None:
            continue
        for fmt, sub in _subtables(data, cmap):
            if fmt == 12:
                (length,) = struct.unpack_from(">I", data, sub + 4)
            else:
                (length,) = struct.unpack_from(">H", data, sub + 2)
            body = bytes(data[sub : sub + length])
            if body in seen:
                continue
            seen.add(body)
            points.update(_format12(body) if fmt == 12 else _format4(body))
    return points


def _table(data: bytes | mmap.mmap, font: int, tag: bytes) -> int | None:
    (tables,) = struct.unpack_from(">H", data, font + 4)
    for n in range(tables):
        record = font + 12 + 16 * n
        if data[record : record + 4] == tag:
            (offset,) = struct.unpack_from(">I", data, record + 8)
            return int(offset)
    return None


def _subtables(data: bytes | mmap.mmap, cmap: int) -> list[tuple[int, int]]:
    """The Unicode subtables of a cmap: format 12 (all planes) if there is one, else format 4."""
    (count,) = struct.unpack_from(">H", data, cmap + 2)
    found: dict[int, set[int]] = {4: set(), 12: set()}
    for n in range(count):
        platform, encoding, offset = struct.unpack_from(">HHI", data, cmap + 4 + 8 * n)
        # Unicode platform, or Windows Unicode BMP (1) / full repertoire (10)
        if platform == 0 or (platform == 3 and encoding in (1, 10)):
            (fmt,) = struct.unpack_from(">H", data, cmap + offset)
            if fmt in found:
                found[fmt].add(cmap + offset)
    fmt = 12 if found[12] else 4
    return [(fmt, sub) for sub in sorted(found[fmt])]


def _format12(body: bytes) -> Iterator[int]:
    (groups,) = struct.unpack_from(">I", body, 12)
    for start, end, glyph in struct.iter_unpack(">III", body[16 : 16 + 12 * groups]):
        if start == end:
            if glyph:
                yield start
        else:
            yield from range(start if glyph else start + 1, end + 1)  # glyph 0 is .notdef


def _format4(body: bytes) -> Iterator[int]:
    (seg_x2,) = struct.unpack_from(">H", body, 6)
    segs = seg_x2 // 2
    ends = struct.unpack_from(f">{segs}H", body, 14)
    starts = struct.unpack_from(f">{segs}H", body, 16 + seg_x2)
    deltas = struct.unpack_from(f">{segs}H", body, 16 + 2 * seg_x2)
    range_at = 16 + 3 * seg_x2
    range_offsets = struct.unpack_from(f">{segs}H", body, range_at)
    for n in range(segs):
        if starts[n] == 0xFFFF:
            continue
        for code in range(starts[n], ends[n] + 1):
            if range_offsets[n] == 0:
                glyph = (code + deltas[n]) & 0xFFFF
            else:
                at = range_at + 2 * n + range_offsets[n] + 2 * (code - starts[n])
                (glyph,) = struct.unpack_from(">H", body, at)
                glyph = (glyph + deltas[n]) & 0xFFFF if glyph else 0
            if glyph:
                yield code
