"""The index as the site's static files (``search/`` in the site), read by ``static/search.js``.

The first query downloads ``meta.json`` (counts, synonyms, the traditional→simplified table,
themes, name lengths, the hotline) and the posting shards of its terms; letters also fetch the
pinyin shard of their first two letters; the hits then fetch the document shards holding them::

    meta.json    {"format", "docs", "term_shards", "doc_shard_size", "pinyin_shards", …}
    t<k>.json    term → [doc delta, mask, doc delta, mask, …] for the terms hashed to k
    p<xy>.json   pinyin key starting with xy → words
    d<k>.json    documents k·size … (k+1)·size−1 (see guidesrc.search.build)

A document's number is its rank in id order, so the files are a function of the guides (and the
synonyms) alone: an incremental publish rewrites exactly the files whose bytes change. The hash
is the one ``static/search.js`` computes: h = h·31 + code point (mod 2³²) over the term.
"""

from __future__ import annotations

import math
from typing import Any

import orjson

from guidesrc.search.build import FORMAT, IndexData

DOC_SHARD_SIZE = 20
POSTINGS_PER_SHARD = 12_000  # (doc, mask) pairs: a shard is about 20 KB gzip
MAX_TERM_SHARDS = 4096


def term_hash(term: str) -> int:
    h = 0
    for char in term:
        h = (h * 31 + ord(char)) & 0xFFFFFFFF
    return h


def term_shards(data: IndexData) -> int:
    pairs = sum(len(p) for p in data.postings.values()) // 2
    return max(1, min(MAX_TERM_SHARDS, math.ceil(pairs / POSTINGS_PER_SHARD)))


def _dump(body: Any) -> bytes:
    return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)


def _deltas(postings: list[int]) -> list[int]:
    out, previous = [], 0
    for i in range(0, len(postings), 2):
        out += [postings[i] - previous, postings[i + 1]]
        previous = postings[i]
    return out


def files(data: IndexData) -> dict[str, bytes]:
    """Every file of ``search/``, by its path in the site."""
    shards = term_shards(data)
    by_shard: list[dict[str, list[int]]] = [{} for _ in range(shards)]
    for term, postings in data.postings.items():
        by_shard[term_hash(term) % shards][term] = _deltas(postings)
    out = {f"search/t{k}.json": _dump(body) for k, body in enumerate(by_shard)}
    pinyin: dict[str, dict[str, list[str]]] = {}
    for key, words in data.pinyin.items():
        if len(key) >= 2:
            pinyin.setdefault(key[:2], {})[key] = words
    out |= {f"search/p{prefix}.json": _dump(body) for prefix, body in pinyin.items()}
    for k in range(max(1, math.ceil(len(data.docs) / DOC_SHARD_SIZE))):
        out[f"search/d{k}.json"] = _dump(data.docs[k * DOC_SHARD_SIZE : (k + 1) * DOC_SHARD_SIZE])
    out["search/meta.json"] = _dump(
        {
            "format": FORMAT,
            "docs": len(data.docs),
            "term_shards": shards,
            "doc_shard_size": DOC_SHARD_SIZE,
            "pinyin_shards": sorted(pinyin),
            "synonyms": data.synonyms,
            "trad": data.trad,
            "themes": data.themes,
            "lengths": data.lengths,
            "hotline": data.hotline,
        }
    )
    return out
