"""The index as the site's static files (``search/`` in the site), read by ``static/search.js``.

The first query downloads ``meta.json`` (counts, synonyms, the traditional→simplified table,
themes, name lengths, first applications, the hotline, the stop phrases) and the posting shards of its terms; letters also fetch the
pinyin shard of their first two letters; the hits then fetch the document shards holding them::

    meta.json    {"format", "docs", "term_shards", "doc_shard_size", "pinyin_shards", "stop", …}
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
from guidesrc.search.text import STOP_PHRASES

DOC_SHARD_SIZE = 20
GUIDES_PER_TERM_SHARD = 25  # about 4,000 postings, 8 KB gzip a file
MAX_TERM_SHARDS = 4096


def term_hash(term: str) -> int:
    h = 0
    for char in term:
        h = (h * 31 + ord(char)) & 0xFFFFFFFF
    return h


def term_shards(docs: int) -> int:
    """How many postings files: a function of the number of guides alone, so that an
    incremental update keeps the shard of every term."""
    return max(1, min(MAX_TERM_SHARDS, math.ceil(docs / GUIDES_PER_TERM_SHARD)))


def dump(body: Any) -> bytes:
    return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)


def deltas(postings: list[int]) -> list[int]:
    out, previous = [], 0
    for i in range(0, len(postings), 2):
        out += [postings[i] - previous, postings[i + 1]]
        previous = postings[i]
    return out


def pinyin_shards(table: dict[str, list[str]]) -> dict[str, dict[str, list[str]]]:
    out: dict[str, dict[str, list[str]]] = {}
    for key, words in table.items():
        if len(key) >= 2:
            out.setdefault(key[:2], {})[key] = words
    return out


def meta(data: IndexData) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "docs": len(data.docs),
        "term_shards": term_shards(len(data.docs)),
        "doc_shard_size": DOC_SHARD_SIZE,
        "pinyin_shards": sorted(pinyin_shards(data.pinyin)),
        "synonyms": data.synonyms,
        "trad": data.trad,
        "themes": data.themes,
        "lengths": data.lengths,
        "firsts": data.firsts,
        "unfound": data.unfound,
        "hotline": data.hotline,
        "stop": list(STOP_PHRASES),
    }


def files(data: IndexData) -> dict[str, bytes]:
    """Every file of ``search/``, by its path in the site."""
    shards = term_shards(len(data.docs))
    by_shard: list[dict[str, list[int]]] = [{} for _ in range(shards)]
    for term, postings in data.postings.items():
        by_shard[term_hash(term) % shards][term] = deltas(postings)
    out = {f"search/t{k}.json": dump(body) for k, body in enumerate(by_shard)}
    out |= {f"search/p{xy}.json": dump(b) for xy, b in pinyin_shards(data.pinyin).items()}
    for k in range(max(1, math.ceil(len(data.docs) / DOC_SHARD_SIZE))):
        out[f"search/d{k}.json"] = dump(data.docs[k * DOC_SHARD_SIZE : (k + 1) * DOC_SHARD_SIZE])
    out["search/meta.json"] = dump(meta(data))
    return out
