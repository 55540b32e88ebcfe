"""The ranking, step for step the same as ``site/static/search.js`` (a test compares them).

1. The query is cleaned (:func:`~guidesrc.search.text.clean`) and its stop phrases taken out
   (:func:`~guidesrc.search.text.strip_stop`). Letters alone are also read as pinyin: the
   names, themes and synonyms whose full pinyin or initials are the letters (else, from three
   letters on, start with them; at most :data:`PINYIN_WORDS`) are searched for; letters in
   pieces also each piece as a word (:func:`searched_texts`).
2. Each searched text is expanded with the synonym groups: a word of a group in it is replaced
   by each other word of the group, in a short text also in the variants already made (at
   most :data:`MAX_VARIANTS` texts).
3. A variant's terms are looked up; the terms no guide has (a wrong character makes such
   bigrams) are dropped: of up to four terms at most half, of more all but two (a question's
   own words are in no guide); of a correction none. A guide must have all the
   others, or from four on three fifths of them weighed by rarity (below). Its
   score is the sum over its terms of the weight of the best field holding the term times the
   term's rarity (1 + bit length of guides ÷ guides with the term), plus 100 when the name holds
   every term of the variant, 200 when the name is the variant. A guide's score is its best.
4. No name holds the query (nor a variant): the query is also corrected — to the themes and
   synonyms one edit away; and (up to ten characters) with a
   character taken as wrong (each in turn) or as missing (each gap): the text on each side of
   it, when two characters or more, must be in the guide — at half the score; a guide keeps
   its better score.
5. Ties: a first application (:data:`~guidesrc.search.build.FIRST_WORDS`), then the shorter
   name, then id.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import product

from guidesrc.search.build import IndexData, dictionary, offered, weight
from guidesrc.search.text import LETTERS, clean, edit_distance, query_terms, strip_stop

MAX_VARIANTS = 16
MAX_VARIANT_TERMS = 20  # a text's variants' terms together (the postings files fetched)
MAX_SPLIT = 10  # longer queries: a wrong character only drops bigrams (step 3)
PINYIN_WORDS = 8
SYLLABLE_WORDS = 3  # words kept for each space-separated piece of a pinyin query
EXACT_BONUS, NAME_BONUS = 200, 100

Found = dict[int, tuple[int, str]]  # doc number → score, the variant that gave it


def pinyin_words(data: IndexData, letters: str) -> list[str]:
    """The words whose pinyin or initials are ``letters`` — only the dictionary's (themes and
    synonyms) when it has some: sfz is 身份证, not the 示范镇 inside a name; else, from three
    letters on, those whose pinyin or initials begin with them (shortest first)."""
    if len(letters) < 2:
        return []
    exact = data.pinyin.get(letters, [])
    known = set(dictionary(data))
    words = [w for w in exact if w in known] or exact
    if words or len(letters) < 3:
        return words[:PINYIN_WORDS]
    keys = sorted((k for k in data.pinyin if k.startswith(letters)), key=lambda k: (len(k), k))
    out: list[str] = []
    for key in keys:
        out.extend(w for w in data.pinyin[key] if w not in out)
    return out[:PINYIN_WORDS]


def expand(text: str, groups: list[list[str]]) -> list[str]:
    """``text`` and its variants: a word of a group replaced by the group's canonical (first)
    word, then — in a text of up to :data:`MAX_SPLIT` characters — by each other word; in a
    short text also in the variants already made (残疾证到期换证 → 残疾人证换领). Those, and the
    variants of a longer text, are kept while the variants hold :data:`MAX_VARIANT_TERMS` terms
    at most (the postings files to fetch), the canonical words first."""
    out = [text]
    terms = set(query_terms(text))
    combine = len(text) <= MAX_SPLIT
    for canonical in (True, False) if combine else (True,):
        for group in groups:
            for base in list(out) if combine else [text]:
                for word in group:
                    if word not in base or _inside(word, group, base):
                        continue
                    for other in group[:1] if canonical else group[1:]:
                        variant = base.replace(word, other)
                        more = terms.union(query_terms(variant))
                        if variant in out or len(out) >= MAX_VARIANTS:
                            continue
                        free = combine and base == text  # a short text's own variants
                        if free or len(more) <= max(len(terms), MAX_VARIANT_TERMS):
                            out.append(variant)
                            terms = more
    return out


def _inside(word: str, group: list[str], text: str) -> bool:
    """Whether a longer word of the group holding ``word`` is in the text (身份证 in 居民身份证:
    the longer word is the one replaced)."""
    return any(len(w) > len(word) and word in w and w in text for w in group)


def score_variant(
    data: IndexData, variant: str, found: Found, halve: bool, named: set[int] | None = None
) -> None:
    """Score the guides holding ``variant`` into ``found``; ``named`` gets those whose name
    holds all of it."""
    terms = query_terms(variant)
    present = [(t, data.postings[t]) for t in terms if t in data.postings]
    m = len(present)
    few = 2 * m < len(terms) if len(terms) <= 4 else m < 2
    if m == 0 or few or (halve and m < len(terms)):
        return  # a short variant must have half its terms in the index, a correction all
    total = len(data.docs)
    rarities = [1 + (total // (len(p) // 2)).bit_length() for _t, p in present]
    need = sum(rarities) if m <= 3 else (3 * sum(rarities) + 4) // 5
    acc: dict[int, list[int]] = {}
    for (_term, postings), rarity in zip(present, rarities, strict=True):
        for i in range(0, len(postings), 2):
            number, mask = postings[i], postings[i + 1]
            a = acc.setdefault(number, [0, 0, 0])
            a[0] += rarity
            a[1] += weight(mask) * rarity
            a[2] += mask & 1
    length = len(variant.replace(" ", ""))
    for number, (covered, score, in_name) in acc.items():
        if covered < need:
            continue
        if in_name == len(terms):
            score += EXACT_BONUS if data.lengths[number] == length else NAME_BONUS
            if named is not None:
                named.add(number)
        if halve:
            score //= 2
        if score > found.get(number, (0, ""))[0]:
            found[number] = (score, variant)


def searched_texts(data: IndexData, query: str) -> list[str]:
    """The query and, in letters, the words its pinyin reads as: all its letters as one word;
    typed with spaces (gongshang beian), each piece as a word too, the pieces' words combined
    (工伤 备案; the first :data:`SYLLABLE_WORDS` of each, at most :data:`PINYIN_WORDS`)."""
    compact = query.replace(" ", "")
    if not LETTERS.fullmatch(compact):
        return [query]
    words = pinyin_words(data, compact)
    pieces = [pinyin_words(data, piece)[:SYLLABLE_WORDS] for piece in query.split(" ")]
    if len(pieces) > 1 and all(pieces):
        for combined in product(*pieces):
            text = " ".join(combined)
            if text not in words and len(words) < 2 * PINYIN_WORDS:
                words.append(text)
    return [*words, query]


def match(data: IndexData, query: str) -> tuple[Found, bool]:
    """The guides found, and whether a name holds the query (or a variant of it)."""
    found: Found = {}
    named: set[int] = set()
    for text in searched_texts(data, query):
        for variant in expand(text, data.synonyms):
            score_variant(data, variant, found, False, named)
    return found, bool(named)


def corrections(data: IndexData, query: str) -> list[str]:
    """The dictionary words one edit away from the query."""
    compact = query.replace(" ", "")
    near = [w for w in dictionary(data) if abs(len(w) - len(compact)) <= 1]
    return [w for w in near if edit_distance(w, compact) == 1]


def fuzzy(data: IndexData, query: str) -> Found:
    """The query with a character wrong or missing, and the dictionary words one edit away (only
    when no name holds the query nor a variant: 医保 finds its names, it never becomes 低保)."""
    found: Found = {}
    words = corrections(data, query)
    texts = [v for w in words for v in expand(w, data.synonyms)]
    compact = query.replace(" ", "")
    if 3 <= len(compact) <= MAX_SPLIT and not compact.isascii():
        texts += [_sides(compact[:i], compact[i + 1 :]) for i in range(len(compact))]
        texts += [_sides(compact[:i], compact[i:]) for i in range(1, len(compact))]
    for text in texts:
        if text:
            score_variant(data, text, found, halve=True)
    return found


def _sides(left: str, right: str) -> str:
    """The two sides of a wrong or missing character, each kept when two characters or more."""
    return " ".join(side for side in (left, right) if len(side) >= 2)


def search(data: IndexData, query: str) -> tuple[str, Found]:
    """The cleaned query and the guides found, unranked."""
    cleaned = strip_stop(clean(query, data.trad))
    if not cleaned:
        return cleaned, {}
    found, named = match(data, cleaned)
    if not named:  # no name holds it: maybe a character is wrong or missing (残疾证, 户口迁移)
        for number, best in fuzzy(data, cleaned).items():
            if best[0] > found.get(number, (0, ""))[0]:
                found[number] = best
    return cleaned, found


def ranked(data: IndexData, found: Found) -> list[int]:
    firsts = set(data.firsts)
    return sorted(found, key=lambda n: (-found[n][0], n not in firsts, data.lengths[n], n))


def suggestions(data: IndexData, query: str, most: int = 5) -> list[str]:
    """The nearest spellings among the words that find a guide (:func:`offered`): sharing a
    character, fewest edits first."""
    compact = strip_stop(clean(query, data.trad)).replace(" ", "")
    near = [(edit_distance(w, compact), w) for w in offered(data) if set(w) & set(compact)]
    return [w for _d, w in sorted(near)[:most]]


def marked(text: str, terms: Iterable[str]) -> str | None:
    """``text`` with the characters of the terms in 【】, cut to 40 around the first; None when
    no term is in it."""
    chars = list(text)
    lower = [c.lower() if c.isascii() else c for c in chars]
    hit = [False] * len(chars)
    for term in terms:
        k = len(term)
        for i in range(len(chars) - k + 1):
            if "".join(lower[i : i + k]) == term:
                hit[i : i + k] = [True] * k
    if True not in hit:
        return None
    start = max(0, hit.index(True) - 10)
    end = min(len(chars), start + 40)
    out = "…" if start > 0 else ""
    for i in range(start, end):
        opens = hit[i] and (i == start or not hit[i - 1])
        closes = hit[i] and (i == end - 1 or not hit[i + 1])
        out += ("【" if opens else "") + chars[i] + ("】" if closes else "")
    return out + ("…" if end < len(chars) else "")
