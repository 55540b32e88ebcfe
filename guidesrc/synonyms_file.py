"""A synonyms dictionary read and checked: the library's ``catalogues/synonyms.yaml`` (optional)
and the built-in ``guidesrc/search/synonyms.yaml`` share one format and one set of rules.

Beyond the schema (:class:`guidesrc.model.synonyms.SynonymsFile`): a group has at least two
different words, and a word belongs to one group only (in a symmetric dictionary two groups
sharing a word are one group, written twice). Words are compared as search compares text:
NFKC-normalised, lower-cased, without surrounding spaces. A bottom module, like
:mod:`guidesrc.approvers_file`, so that `guides check` reads the file without the search engine.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from guidesrc.check.schema_errors import validated_file
from guidesrc.diagnostics import Diagnostic, RuleId
from guidesrc.i18n import N_
from guidesrc.model.synonyms import SynonymsFile
from guidesrc.yamlio import Source

_HINT = N_(
    "each group lists two or more words that mean the same, canonical name first, "
    "e.g. words: [社会保险, 社保]"
)


def word_key(word: str) -> str:
    """How two words are compared: as search compares text."""
    return unicodedata.normalize("NFKC", word).strip().lower()


def parse_synonyms(source: Source) -> tuple[list[list[str]] | None, list[Diagnostic]]:
    """The groups of a decoded synonyms file (each: its words, as written) and its problems."""
    model, problems = validated_file(source, SynonymsFile, empty={})
    if model is None:
        return None, problems
    groups = [list(group.words) for group in model.synonyms]
    return groups, synonyms_rules(groups, source.rel)


def synonyms_rules(groups: list[list[str]], rel: str) -> list[Diagnostic]:
    """What the schema cannot say: no group without a synonym, no word in two groups."""
    problems: list[Diagnostic] = []
    owner: dict[str, tuple[int, int]] = {}  # word key → (group, position) where first written
    for n, words in enumerate(groups):
        distinct: list[str] = []
        for i, word in enumerate(words):
            key = word_key(word)
            if not key:
                problems.append(_problem(rel, (n, "words", i), N_("holds no visible character")))
                continue
            first = owner.setdefault(key, (n, i))
            if first == (n, i):
                distinct.append(word)
            elif first[0] == n:
                problems.append(
                    _problem(rel, (n, "words", i), N_("{word} is already in this group"), word=word)
                )
            else:
                problems.append(
                    _problem(
                        rel,
                        (n, "words", i),
                        N_(
                            "{word} is also in synonyms[{other}]: a word belongs to one group; "
                            "merge the two groups"
                        ),
                        word=word,
                        other=first[0],
                    )
                )
        if len(distinct) < 2:
            problems.append(_few_words(rel, n, distinct))
    return problems


def _few_words(rel: str, n: int, words: list[str]) -> Diagnostic:
    if not words:
        return _problem(rel, (n, "words"), N_("the group has no words"))
    return _problem(
        rel,
        (n, "words"),
        N_("the group has only one word ({word}): a word alone has no synonym"),
        word=words[0],
    )


def _problem(rel: str, path: tuple[str | int, ...], message: str, **args: Any) -> Diagnostic:
    return Diagnostic(RuleId.SYNONYMS, "error", rel, ("synonyms", *path), message, _HINT, args)
