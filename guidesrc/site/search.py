"""Search without a server: a character n-gram index, as static JSON files, for Chinese queries.

Chinese has no spaces between words, so the index does not need words: every CJK ideograph of a
guide's searchable text is a term, and so is every pair of neighbouring ideographs (bigram);
runs of ASCII letters and digits (codes, "12345") are whole terms. A query is cut the same way
(a one-character query looks up the character, a longer one each of its bigrams) and a guide
matches when it has every term: "身份证" finds 身份 ∧ 份证. Text is NFKC-normalised and lower-cased
on both sides, so full-width digits and letters match half-width ones.

Files (``search/`` in the site)::

    meta.json        {"format", "docs", "term_shards", "doc_shard_size"}
    t<k>.json        term → posting list (document numbers, delta-encoded), for the terms whose
                     hash is k modulo term_shards
    d<k>.json        documents k·size … (k+1)·size−1: [id, name, department]

A document's number is its rank among the listed guides sorted by id, so the index is a function
of the guides alone (an incremental update writes the same bytes a full build would). The hash is
computed the same way by ``static/search.js``: h = h·31 + code point (mod 2³²) over the term.

What is searched: the name, the implementing body and the handling bodies, the themes, the names
of the results, the basic and implementation codes. Materials are left out on purpose: they would
multiply the index several times for few useful hits.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import orjson

from guidesrc.gaps import UNKNOWN_BODY

FORMAT = 1
DOC_SHARD_SIZE = 500
GUIDES_PER_TERM_SHARD = 200
MAX_TERM_SHARDS = 64

_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]+|[0-9a-z]+")


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def terms(text: str) -> set[str]:
    """The index terms of ``text``: ideographs, ideograph bigrams, ASCII words."""
    out: set[str] = set()
    for run in _RUN.findall(normalize(text)):
        if run.isascii():
            out.add(run)
        else:
            out.update(run)
            out.update(run[i : i + 2] for i in range(len(run) - 1))
    return out


def term_hash(term: str) -> int:
    h = 0
    for char in term:
        h = (h * 31 + ord(char)) & 0xFFFFFFFF
    return h


def term_shards(docs: int) -> int:
    return max(1, min(MAX_TERM_SHARDS, math.ceil(docs / GUIDES_PER_TERM_SHARD)))


def searchable_text(listing: Mapping[str, Any]) -> str:
    """The text of a guide's listing entry that search looks at."""
    # an unknown value (a manifest written before gaps had words) is skipped, never joined
    return " ".join(t for t in (listing["name"], listing["department"], *listing["search"]) if t)


def _dump(body: Any) -> bytes:
    return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)


def _deltas(numbers: Iterable[int]) -> list[int]:
    out, previous = [], 0
    for n in sorted(numbers):
        out.append(n - previous)
        previous = n
    return out


def _undelta(deltas: list[int]) -> list[int]:
    out, total = [], 0
    for d in deltas:
        total += d
        out.append(total)
    return out


def build_index(listings: Mapping[str, Mapping[str, Any]]) -> dict[str, bytes]:
    """Every file of ``search/`` for these listed guides (id → listing entry)."""
    ids = sorted(listings)
    shards = term_shards(len(ids))
    postings: dict[str, list[int]] = {}
    for number, guide_id in enumerate(ids):
        for term in terms(searchable_text(listings[guide_id])):
            postings.setdefault(term, []).append(number)
    files: dict[str, bytes] = {}
    by_shard: list[dict[str, list[int]]] = [{} for _ in range(shards)]
    for term, numbers in postings.items():
        by_shard[term_hash(term) % shards][term] = _deltas(numbers)
    for k, body in enumerate(by_shard):
        files[f"search/t{k}.json"] = _dump(body)
    for k in range(max(1, math.ceil(len(ids) / DOC_SHARD_SIZE))):
        chunk = ids[k * DOC_SHARD_SIZE : (k + 1) * DOC_SHARD_SIZE]
        files[f"search/d{k}.json"] = _dump([_doc(i, listings[i]) for i in chunk])
    files["search/meta.json"] = _dump(
        {
            "format": FORMAT,
            "docs": len(ids),
            "term_shards": shards,
            "doc_shard_size": DOC_SHARD_SIZE,
        }
    )
    return files


def _doc(guide_id: str, listing: Mapping[str, Any]) -> list[str]:
    return [guide_id, listing["name"], listing["department"] or UNKNOWN_BODY]


def update_index(
    read: Callable[[str], bytes],
    before: Mapping[str, Mapping[str, Any]],
    after: Mapping[str, Mapping[str, Any]],
    changed: Iterable[str],
) -> dict[str, bytes] | None:
    """The files of ``search/`` that change when the guides ``changed`` go from ``before`` to
    ``after`` (both: every listed guide), reading the current files with ``read``; None when the
    set of listed guides changed, which renumbers the documents (build the index again)."""
    if before.keys() != after.keys():
        return None
    ids = sorted(after)
    number = {guide_id: n for n, guide_id in enumerate(ids)} if changed else {}
    shards = term_shards(len(ids))
    edits: dict[int, dict[str, tuple[set[int], set[int]]]] = {}
    doc_shards: set[int] = set()
    for guide_id in changed:
        old, new = before[guide_id], after[guide_id]
        if old == new:
            continue
        n = number[guide_id]
        if _doc(guide_id, old) != _doc(guide_id, new):
            doc_shards.add(n // DOC_SHARD_SIZE)
        old_terms, new_terms = terms(searchable_text(old)), terms(searchable_text(new))
        for term, gone in [(t, True) for t in old_terms - new_terms] + [
            (t, False) for t in new_terms - old_terms
        ]:
            removed, added = edits.setdefault(term_hash(term) % shards, {}).setdefault(
                term, (set(), set())
            )
            (removed if gone else added).add(n)
    files: dict[str, bytes] = {}
    for k, shard_edits in edits.items():
        rel = f"search/t{k}.json"
        body: dict[str, list[int]] = orjson.loads(read(rel))
        for term, (removed, added) in shard_edits.items():
            numbers = (set(_undelta(body.get(term, []))) - removed) | added
            if numbers:
                body[term] = _deltas(numbers)
            else:
                body.pop(term, None)
        files[rel] = _dump(body)
    for k in doc_shards:
        chunk = ids[k * DOC_SHARD_SIZE : (k + 1) * DOC_SHARD_SIZE]
        files[f"search/d{k}.json"] = _dump([_doc(i, after[i]) for i in chunk])
    return files
