"""Word-level redlines of one text field: exactly what changed in a sentence.

:func:`redline` compares two versions of a field (a reworded 受理条件, a changed time limit) and
returns :class:`Span` runs that are equal, deleted or inserted; the ``render_*`` functions show
them as plain text, Markdown, HTML or ANSI colour::

    >>> render_text(redline("承诺办结时限为20个工作日。", "承诺办结时限为10个工作日。"))
    '承诺办结时限为[-20-]{+10+}个工作日。'

Tokenization. Chinese has no spaces between words, and a segmenter such as jieba would add a
dictionary of tens of megabytes and a second or so of load time to every command that shows a
diff. A redline does not need real words: every CJK ideograph is its own token, runs of ASCII
letters and numbers (``20``, ``3.5``, full-width ``２０２６``) stay whole, every punctuation mark is
its own token and whitespace runs are tokens. Readability comes from cleaning up the token diff:

* a pure insertion or deletion that could sit in several places slides to the one that best
  follows punctuation and whitespace (``原件{+及复印件+}，`` rather than ``原{+件及复印+}件，``);
* a change that touches a number grows to the whole number, Chinese numerals included
  (``[-二十-]{+十+}个工作日``, never ``[-二-]十个工作日``);
* a lone ideograph left between a replacement and punctuation joins the replacement
  (``[-本市户籍居民-]{+中国公民+}，`` rather than ``[-本市户籍居-]{+中国公+}民，``);
* an equal run between two changes is folded into them when it is no longer than the changes on
  either side (the rule of diff-match-patch's semantic cleanup), so a reworded phrase reads as one
  replacement instead of confetti; runs that end a sentence (。；！？ or a line break) are never
  folded, so each sentence keeps its own changes.

When the part between the common prefix and suffix is longer than :data:`LONG_INPUT_TOKENS`,
it is first diffed sentence by sentence (split after 。；！？ and line breaks), and only changed
sentences are diffed token by token, because :class:`difflib.SequenceMatcher` is quadratic in the
worst case; a changed block that is still too long is shown as replaced whole.
"""

from __future__ import annotations

import html
import re
import string
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal, NamedTuple

__all__ = [
    "LONG_INPUT_TOKENS",
    "Span",
    "redline",
    "render_ansi",
    "render_html",
    "render_markdown",
    "render_text",
    "tokenize",
]

#: Above this many tokens on either side, diff by sentence first.
LONG_INPUT_TOKENS = 5_000

Op = Literal["equal", "insert", "delete"]


class Span(NamedTuple):
    """A run of text that is unchanged (``equal``), only in the new text or only in the old."""

    op: Op
    text: str


# Whitespace runs, numbers (one decimal point), ASCII or full-width Latin letter runs; anything
# else (an ideograph, a punctuation mark, any other character) is a token on its own.
_TOKEN = re.compile(
    r"\s+|[0-9０-９]+(?:[.．][0-9０-９]+)?|[A-Za-zＡ-Ｚａ-ｚ]+|.",
    re.DOTALL,
)
_DIGITS = frozenset("0123456789０１２３４５６７８９")
_CHINESE_NUMERALS = frozenset("〇零一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟")
_SENTENCE_ENDS = frozenset("。；！？")
_IDEOGRAPH = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]")
_OPENERS = frozenset("（(《【[{“‘〈「『〔")


def tokenize(text: str) -> list[str]:
    """Split ``text`` into redline tokens; ``"".join(tokenize(text)) == text``."""
    return _TOKEN.findall(text)


@dataclass(slots=True)
class _Equal:
    tokens: list[str]


@dataclass(slots=True)
class _Change:
    old: list[str]
    new: list[str]


_Hunk = _Equal | _Change


def redline(old: str, new: str) -> list[Span]:
    """The changes that turn ``old`` into ``new``; deletions come before insertions."""
    hunks = _diff_tokens(tokenize(old), tokenize(new))
    hunks = _snap_numbers(_slide_pure_changes(hunks))
    # Folding can give a change a new edge (a folded run at the end of an empty side): snap again.
    hunks = _snap_numbers(_fold_short_equals(_absorb_dangling(hunks)))
    return _to_spans(hunks)


# --- token diff ---------------------------------------------------------------------------------


def _diff_tokens(a: list[str], b: list[str]) -> list[_Hunk]:
    """Diff with the common prefix and suffix trimmed first (cheap, and most edits are small)."""
    head = _common_prefix(a, b)
    tail = _common_prefix(a[head:][::-1], b[head:][::-1])
    mid_a, mid_b = a[head : len(a) - tail], b[head : len(b) - tail]
    if max(len(mid_a), len(mid_b)) > LONG_INPUT_TOKENS:
        body = _diff_by_sentence(mid_a, mid_b)
    else:
        body = _diff_opcodes(mid_a, mid_b)
    return _normalize([_Equal(a[:head]), *body, _Equal(a[len(a) - tail :])])


def _common_prefix(a: list[str], b: list[str]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _diff_opcodes(a: list[str], b: list[str]) -> list[_Hunk]:
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    hunks: list[_Hunk] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            hunks.append(_Equal(a[i1:i2]))
        else:
            hunks.append(_Change(a[i1:i2], b[j1:j2]))
    return hunks


def _diff_by_sentence(a: list[str], b: list[str]) -> list[_Hunk]:
    """Match whole sentences, then diff tokens only inside the sentences that changed."""
    old, new = _sentences(a), _sentences(b)
    keys_a, keys_b = ["".join(s) for s in old], ["".join(s) for s in new]
    matcher = SequenceMatcher(None, keys_a, keys_b, autojunk=False)
    hunks: list[_Hunk] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        old_tokens, new_tokens = _flatten(old[i1:i2]), _flatten(new[j1:j2])
        if tag == "equal":
            hunks.append(_Equal(old_tokens))
        elif max(len(old_tokens), len(new_tokens)) <= LONG_INPUT_TOKENS:
            hunks.extend(_diff_opcodes(old_tokens, new_tokens))
        else:
            hunks.append(_Change(old_tokens, new_tokens))
    return hunks


def _sentences(tokens: list[str]) -> list[list[str]]:
    """Cut after 。；！？ and after any whitespace token holding a line break."""
    out: list[list[str]] = [[]]
    for token in tokens:
        out[-1].append(token)
        if _ends_sentence(token):
            out.append([])
    return [s for s in out if s]


def _ends_sentence(token: str) -> bool:
    return token in _SENTENCE_ENDS or "\n" in token


def _flatten(groups: Sequence[list[str]]) -> list[str]:
    return [token for group in groups for token in group]


def _normalize(hunks: list[_Hunk]) -> list[_Hunk]:
    """Drop empty hunks and merge neighbours of one kind, so equal and change alternate."""
    out: list[_Hunk] = []
    for hunk in hunks:
        last = out[-1] if out else None
        if isinstance(hunk, _Equal):
            if not hunk.tokens:
                continue
            if isinstance(last, _Equal):
                out[-1] = _Equal(last.tokens + hunk.tokens)
                continue
        else:
            if not hunk.old and not hunk.new:
                continue
            if isinstance(last, _Change):
                out[-1] = _Change(last.old + hunk.old, last.new + hunk.new)
                continue
        out.append(hunk)
    return out


# --- cleanup: slide, snap numbers, fold ---------------------------------------------------------


def _slide_pure_changes(hunks: list[_Hunk]) -> list[_Hunk]:
    """Move each pure insertion or deletion to its most readable equivalent position."""
    hunks = [_Equal([]), *hunks, _Equal([])]  # room to slide to either end of the text
    for i, hunk in enumerate(hunks):
        if isinstance(hunk, _Change) and not (hunk.old and hunk.new):
            before = _equal_at(hunks, i - 1)
            after = _equal_at(hunks, i + 1)
            _slide(before, hunk, after)
    return _normalize(hunks)


def _equal_at(hunks: list[_Hunk], i: int) -> _Equal:
    """The equal hunk at ``i``, or a detached empty one at either end of the list."""
    if 0 <= i < len(hunks):
        hunk = hunks[i]
        if isinstance(hunk, _Equal):
            return hunk
    return _Equal([])


def _slide(before: _Equal, change: _Change, after: _Equal) -> None:
    """Shift ``change`` inside ``before + edit + after`` to the best-scoring position.

    The edit of ``n`` tokens can move one step right when the token leaving it equals the token
    entering it (``seq[p] == seq[p + n]``); every such position leaves the same text outside.
    """
    edit = change.old or change.new
    seq, n = before.tokens + edit + after.tokens, len(edit)
    lo = len(before.tokens)
    while lo > 0 and seq[lo - 1] == seq[lo - 1 + n]:
        lo -= 1
    hi = lo
    while hi + n < len(seq) and seq[hi] == seq[hi + n]:
        hi += 1
    best = max(range(lo, hi + 1), key=lambda p: _position_score(seq, p, n))
    before.tokens[:] = seq[:best]
    edit[:] = seq[best : best + n]
    after.tokens[:] = seq[best + n :]


def _position_score(seq: list[str], p: int, n: int) -> int:
    left = _boundary_score(seq[p - 1] if p > 0 else None, seq[p])
    right = _boundary_score(seq[p + n - 1], seq[p + n] if p + n < len(seq) else None)
    return left + right


def _boundary_score(left: str | None, right: str | None) -> int:
    """How good a place for an edit boundary lies between two tokens (higher is better)."""
    if left is None or right is None:
        return 4
    score = 0
    if _is_break(left) and left not in _OPENERS:
        score += 2  # after a clause: "，" then the edit
    if _is_break(right):
        score += 1
    return score


def _is_break(token: str) -> bool:
    return token.isspace() or unicodedata.category(token[0]).startswith("P")


def _snap_numbers(hunks: list[_Hunk]) -> list[_Hunk]:
    """Grow every change that touches a number so that it covers the whole number.

    Growing can empty an equal run and merge two changes into one with new edges, so repeat
    until nothing moves.
    """
    grown = True
    while grown:
        grown = False
        for i, hunk in enumerate(hunks):
            if isinstance(hunk, _Change):
                grown |= _absorb_left(_equal_at(hunks, i - 1), hunk)
                grown |= _absorb_right(hunk, _equal_at(hunks, i + 1))
        hunks = _normalize(hunks)
    return hunks


def _absorb_left(equal: _Equal, change: _Change) -> bool:
    start = len(equal.tokens)
    while equal.tokens and _is_numeral(equal.tokens[-1]) and _edge_is_numeral(change, 0):
        token = equal.tokens.pop()
        change.old.insert(0, token)
        change.new.insert(0, token)
    return len(equal.tokens) != start


def _absorb_right(change: _Change, equal: _Equal) -> bool:
    start = len(equal.tokens)
    while equal.tokens and _is_numeral(equal.tokens[0]) and _edge_is_numeral(change, -1):
        token = equal.tokens.pop(0)
        change.old.append(token)
        change.new.append(token)
    return len(equal.tokens) != start


def _edge_is_numeral(change: _Change, index: int) -> bool:
    return any(side and _is_numeral(side[index]) for side in (change.old, change.new))


def _is_numeral(token: str) -> bool:
    return token[0] in _DIGITS or token in _CHINESE_NUMERALS


def _absorb_dangling(hunks: list[_Hunk]) -> list[_Hunk]:
    """Pull a lone ideograph between a replacement and punctuation into the replacement.

    ``[-本市户籍居-]{+中国公+}民，`` becomes ``[-本市户籍居民-]{+中国公民+}，``: one character
    left between an edit and the end of a clause is nearly always part of the edited word.
    """
    for i, hunk in enumerate(hunks):
        if isinstance(hunk, _Change) and hunk.old and hunk.new:
            before, after = _equal_at(hunks, i - 1), _equal_at(hunks, i + 1)
            if _dangles(before.tokens[::-1]) and _edges_are_words(hunk, 0):
                token = before.tokens.pop()
                hunk.old.insert(0, token)
                hunk.new.insert(0, token)
            if _dangles(after.tokens) and _edges_are_words(hunk, -1):
                token = after.tokens.pop(0)
                hunk.old.append(token)
                hunk.new.append(token)
    return _normalize(hunks)


def _dangles(tokens: list[str]) -> bool:
    """One ideograph, then a break or nothing (``tokens`` runs away from the change)."""
    if not tokens or not _is_word_char(tokens[0]):
        return False
    return len(tokens) == 1 or _is_break(tokens[1])


def _edges_are_words(change: _Change, index: int) -> bool:
    return _is_word_char(change.old[index]) and _is_word_char(change.new[index])


def _is_word_char(token: str) -> bool:
    """A CJK ideograph that is not a numeral."""
    return _IDEOGRAPH.fullmatch(token) is not None and token not in _CHINESE_NUMERALS


def _fold_short_equals(hunks: list[_Hunk]) -> list[_Hunk]:
    """Fold each equal run between two changes that is no longer than either change."""
    out: list[_Hunk] = []
    for hunk in hunks:
        out.append(_fold_into(out, hunk) if isinstance(hunk, _Change) else hunk)
    return out


def _fold_into(out: list[_Hunk], change: _Change) -> _Change:
    """Pop ``[change, equal]`` pairs off ``out`` while the equal run is short; merge them."""
    while len(out) >= 2:
        previous, equal = out[-2], out[-1]
        if not (isinstance(previous, _Change) and isinstance(equal, _Equal)):
            break
        if not _is_short(equal, previous, change):
            break
        del out[-2:]
        change = _Change(
            previous.old + equal.tokens + change.old, previous.new + equal.tokens + change.new
        )
    return change


def _is_short(equal: _Equal, before: _Change, after: _Change) -> bool:
    if any(_ends_sentence(token) for token in equal.tokens):
        return False
    width = _width(equal.tokens)
    return width <= _change_width(before) and width <= _change_width(after)


def _change_width(change: _Change) -> int:
    return max(_width(change.old), _width(change.new))


def _width(tokens: list[str]) -> int:
    return sum(len(token) for token in tokens)


def _to_spans(hunks: list[_Hunk]) -> list[Span]:
    spans: list[Span] = []
    for hunk in hunks:
        if isinstance(hunk, _Equal):
            _append(spans, "equal", "".join(hunk.tokens))
            continue
        old, new = "".join(hunk.old), "".join(hunk.new)
        if old == new:  # a fold can rebuild the same text on both sides
            _append(spans, "equal", old)
        else:
            _append(spans, "delete", old)
            _append(spans, "insert", new)
    return spans


def _append(spans: list[Span], op: Op, text: str) -> None:
    if not text:
        return
    if spans and spans[-1].op == op:
        spans[-1] = Span(op, spans[-1].text + text)
    else:
        spans.append(Span(op, text))


# --- rendering ----------------------------------------------------------------------------------


def _render(
    spans: list[Span],
    escape: Callable[[str], str],
    deleted: tuple[str, str],
    inserted: tuple[str, str],
) -> str:
    parts: list[str] = []
    for op, text in spans:
        body = escape(text)
        if op == "delete":
            body = deleted[0] + body + deleted[1]
        elif op == "insert":
            body = inserted[0] + body + inserted[1]
        parts.append(body)
    return "".join(parts)


def render_text(spans: list[Span]) -> str:
    """Plain text like ``git diff --word-diff=plain``: ``[-deleted-]{+inserted+}``."""
    return _render(spans, str, ("[-", "-]"), ("{+", "+}"))


def render_html(spans: list[Span]) -> str:
    """``<del>``/``<ins>`` markup; every piece of text is HTML-escaped."""
    return _render(spans, html.escape, ("<del>", "</del>"), ("<ins>", "</ins>"))


_ANSI_RED, _ANSI_GREEN, _ANSI_RESET = "\x1b[31m", "\x1b[32m", "\x1b[0m"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def render_ansi(spans: list[Span]) -> str:
    """Deletions in red, insertions in green, for a terminal.

    Control characters in the text (other than tab and newline) are shown as symbols (ESC as
    ``␛``), so guide text cannot send its own escape sequences to the terminal.
    """
    return _render(spans, _show_controls, (_ANSI_RED, _ANSI_RESET), (_ANSI_GREEN, _ANSI_RESET))


def _show_controls(text: str) -> str:
    return _CONTROL.sub(lambda m: _control_symbol(m.group()), text)


def _control_symbol(char: str) -> str:
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # Unicode "control pictures": ␀ … ␟
    return "\u2421" if code == 0x7F else "\ufffd"


_MD_SPECIAL = re.compile("[" + re.escape(string.punctuation) + "]")


def render_markdown(spans: list[Span]) -> str:
    """``~~deleted~~`` and ``**inserted**``; all ASCII punctuation in the text is escaped.

    CommonMark only accepts ``**`` before punctuation when whitespace or punctuation precedes
    it (likewise for closing), which Chinese text often breaks: ``提交**《营业执照》**`` does
    not render as bold. Such spans, and spans with whitespace at an edge, fall back to inline
    ``<del>``/``<ins>`` tags, which GitHub-flavoured Markdown renders.
    """
    bodies = [_escape_markdown(span.text) for span in spans]
    parts: list[str] = []
    for i, span in enumerate(spans):
        if span.op == "equal":
            parts.append(bodies[i])
            continue
        # cmark-gfm looks through "~" when it checks what precedes a delimiter run.
        before = parts[-1].rstrip("~")[-1:] if parts else ""
        parts.append(_markdown_change(span.op, bodies[i], before, _next_char(spans, bodies, i)))
    return "".join(parts)


def _escape_markdown(text: str) -> str:
    return _MD_SPECIAL.sub(lambda m: "\\" + m.group(), text)


def _next_char(spans: list[Span], bodies: list[str], i: int) -> str:
    """First character rendered after span ``i`` ("" at the end of the text)."""
    if i + 1 == len(spans):
        return ""
    if spans[i + 1].op == "equal":
        return bodies[i + 1][0]
    return "*"  # a change starts with "~", "*" or "<": punctuation either way


def _markdown_change(op: Op, body: str, before: str, after: str) -> str:
    marker, tag = ("~~", "del") if op == "delete" else ("**", "ins")
    if _can_open(before, body[0]) and _can_close(body[-1], after):
        return marker + body + marker
    return f"<{tag}>{body}</{tag}>"


def _can_open(before: str, first: str) -> bool:
    """A left-flanking delimiter run (CommonMark 0.31, section 6.2)."""
    return not _md_space(first) and (not _md_punct(first) or _md_space(before) or _md_punct(before))


def _can_close(last: str, after: str) -> bool:
    """A right-flanking delimiter run."""
    return not _md_space(last) and (not _md_punct(last) or _md_space(after) or _md_punct(after))


def _md_space(char: str) -> bool:
    return char == "" or char.isspace()


def _md_punct(char: str) -> bool:
    return unicodedata.category(char)[0] in "PS"
