"""An incremental update of the site's search files: the guides that changed, edited into the
files present, with exactly the bytes a full build would write (tests/test_search.py).

The documents keep their numbers while the set of guides is the same (a guide added or taken
away renumbers them: the caller builds the index again). A changed guide's terms whose field
mask changed are edited into their postings files; its document file is written again; the
pinyin files get the words that came and lose those no guide, theme or synonym has any more;
``meta.json`` is made again from every guide's document (lengths and themes: cheap).
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import accumulate, chain
from typing import Any, overload

import orjson

from guidesrc.search.build import (
    FORMAT,
    Document,
    IndexData,
    doc_masks,
    found_texts,
    is_first,
    name_words,
    record,
    theme_counts,
    trad_table,
    unfound_groups,
    vocabulary,
)
from guidesrc.search.readings import word_keys
from guidesrc.search.shards import (
    DOC_SHARD_SIZE,
    dump,
    meta,
    term_hash,
    term_shards,
)
from guidesrc.search.synonyms import Groups
from guidesrc.search.text import normalize

Read = Callable[[str], bytes | None]


class Documents(Sequence[Document]):
    """Every guide's search document by number (the guides in id order), each made when it is
    first asked for: a publish that changes a few guides makes a few. ``themes`` gives a guide's
    themes as its document would hold them, without the document (for :meth:`theme_counts`)."""

    def __init__(
        self,
        ids: Sequence[str],
        make: Callable[[str], Document],
        themes: Callable[[str], Iterable[str]],
    ) -> None:
        self.ids = ids
        self.make = make
        self.themes = themes
        self.made: dict[int, Document] = {}

    def __len__(self) -> int:
        return len(self.ids)

    @overload
    def __getitem__(self, n: int) -> Document: ...

    @overload
    def __getitem__(self, n: slice) -> list[Document]: ...

    def __getitem__(self, n: int | slice) -> Document | list[Document]:
        if isinstance(n, slice):
            return [self[k] for k in range(*n.indices(len(self.ids)))]
        if n not in self.made:
            self.made[n] = self.make(self.ids[n])
        return self.made[n]

    def number(self, gid: str) -> int | None:
        n = bisect_left(self.ids, gid)
        return n if n < len(self.ids) and self.ids[n] == gid else None

    def theme_counts(self) -> list[tuple[str, int]]:
        """:func:`~guidesrc.search.build.theme_counts` of every document."""
        themes = Counter(chain.from_iterable({t for t in self.themes(g) if t} for g in self.ids))
        return sorted(themes.items(), key=lambda kv: (-kv[1], kv[0]))


def update(
    read: Read,
    every: Documents,
    old: Mapping[str, Document],
    groups: Groups,
) -> tuple[dict[str, bytes], list[str]] | None:
    """The files that change (and those left empty, to remove) when the guides of ``old`` (their
    documents before) become what ``every`` (every guide's document now) says; None when the
    index must be built again (no index, another format, other synonyms, another number of
    guides)."""
    present = read("search/meta.json")
    before: dict[str, Any] = orjson.loads(present) if present else {}
    if before.get("format") != FORMAT or before.get("synonyms") != groups:
        return None
    if before.get("docs") != len(every) or before.get("term_shards") != term_shards(len(every)):
        return None
    number = {gid: every.number(gid) for gid in old}
    if None in number.values():
        return None
    at = {gid: n for gid, n in number.items() if n is not None}
    new = {gid: every[at[gid]] for gid in old if every[at[gid]] != old[gid]}
    files = _postings(read, {at[g]: (old[g], new[g]) for g in new}, len(every))
    for k in sorted({at[g] // DOC_SHARD_SIZE for g in new}):
        chunk = every[k * DOC_SHARD_SIZE : (k + 1) * DOC_SHARD_SIZE]
        files[f"search/d{k}.json"] = dump([record(d) for d in chunk])
    data = IndexData(synonyms=groups, trad=trad_table(), themes=every.theme_counts())
    data.lengths, data.firsts = _names(before, every, {at[g]: new[g] for g in new})
    same = all(found_texts(old[g]) == found_texts(new[g]) for g in new)
    data.unfound = (
        before["unfound"] if same and "unfound" in before else unfound_groups(every, groups)
    )
    data.docs = [[]] * len(every)  # counted by meta(); the records are in the d files
    files |= _pinyin(read, every, [old[g] for g in new], [new[g] for g in new], data)
    emptied = [rel for rel, body in files.items() if rel.startswith("search/p") and body == b"{}"]
    shards = set(before.get("pinyin_shards", [])) | {r[8:10] for r in files if r[7] == "p"}
    shards -= {rel[8:10] for rel in emptied}
    files["search/meta.json"] = dump(meta(data) | {"pinyin_shards": sorted(shards)})
    changed = {rel: body for rel, body in files.items() if rel not in emptied and read(rel) != body}
    return changed, emptied


def _names(
    before: Mapping[str, Any], every: Sequence[Document], changed: Mapping[int, Document]
) -> tuple[list[int], list[int]]:
    """The names' lengths and the first applications: those of the index present with the
    changed documents' set again (by value: the same after a publish that was cut short and
    is made again), or every document's when the index present has none for this many."""
    lengths, firsts = before.get("lengths"), before.get("firsts")
    if not isinstance(lengths, list) or len(lengths) != len(every) or not isinstance(firsts, list):
        return [len(normalize(d["name"])) for d in every], [
            n for n, d in enumerate(every) if is_first(d["name"])
        ]
    lengths, first = list(lengths), set(firsts)
    for n, doc in changed.items():
        lengths[n] = len(normalize(doc["name"]))
        first.discard(n)
        if is_first(doc["name"]):
            first.add(n)
    return lengths, sorted(first)


def _postings(
    read: Read, changes: Mapping[int, tuple[Document, Document]], docs: int
) -> dict[str, bytes]:
    shards = term_shards(docs)
    edits: dict[int, dict[str, dict[int, int]]] = {}
    for n, (before, after) in changes.items():
        old_masks, new_masks = doc_masks(before), doc_masks(after)
        for term in old_masks.keys() | new_masks.keys():
            if old_masks.get(term) != new_masks.get(term):
                shard = edits.setdefault(term_hash(term) % shards, {})
                shard.setdefault(term, {})[n] = new_masks.get(term, 0)
    files: dict[str, bytes] = {}
    for k, terms in edits.items():
        rel = f"search/t{k}.json"
        body: dict[str, list[int]] = orjson.loads(read(rel) or b"{}")
        for term, masks in terms.items():
            encoded = body.get(term, [])
            for n, mask in masks.items():
                encoded = edit(encoded, n, mask)
            if encoded:
                body[term] = encoded
            else:
                body.pop(term, None)
        files[rel] = dump(body)
    return files


def edit(encoded: list[int], number: int, mask: int) -> list[int]:
    """A delta-encoded posting list with document ``number``'s mask set (0: taken out); only
    the neighbouring deltas change."""
    numbers = list(accumulate(encoded[0::2]))
    i = bisect_left(numbers, number)
    out = list(encoded)
    if i < len(numbers) and numbers[i] == number:
        if mask:
            out[2 * i + 1] = mask
            return out
        if i + 1 < len(numbers):
            out[2 * i + 2] += out[2 * i]
        del out[2 * i : 2 * i + 2]
        return out
    if not mask:
        return out
    previous = numbers[i - 1] if i > 0 else 0
    if i < len(numbers):
        out[2 * i] = numbers[i] - number
    out[2 * i : 2 * i] = [number - previous, mask]
    return out


def _pinyin(
    read: Read,
    every: Sequence[Document],
    before: Sequence[Document],
    after: Sequence[Document],
    data: IndexData,
) -> dict[str, bytes]:
    """The pinyin files that gain or lose words."""
    came = vocabulary([d["name"] for d in after], theme_counts(after), [])
    went = vocabulary([d["name"] for d in before], theme_counts(before), [])
    touched = came ^ went
    if not touched:
        return {}
    names = [normalize(d["name"]) for d in every]
    kept = vocabulary([], data.themes, data.synonyms)
    tables: dict[str, dict[str, list[str]]] = {}
    for word in sorted(touched):
        present = word in kept or any(_has(n, word) for n in names)
        wanted = word_keys(word) if present else set()
        for key in sorted(word_keys(word)):
            rel = f"search/p{key[:2]}.json"
            if rel not in tables:
                tables[rel] = orjson.loads(read(rel) or b"{}")
            current = set(tables[rel].get(key, []))
            current = current | {word} if key in wanted else current - {word}
            if current:
                tables[rel][key] = sorted(current)
            else:
                tables[rel].pop(key, None)
    return {rel: dump(dict(sorted(body.items()))) for rel, body in tables.items()}


def _has(name: str, word: str) -> bool:
    return word in name and word in name_words(name)
