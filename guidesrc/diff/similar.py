"""How alike two texts are, with the work bounded whatever their length.

:class:`difflib.SequenceMatcher` is quadratic in the worst case: one 300,000-character condition
edited in one place took minutes to compare with its old self. Here the common prefix and suffix
are matched first (linear, and most edits are small); only a middle of at most
:data:`MIDDLE_CHARS` characters on each side is compared character by character, and a longer
middle counts as unmatched, so two long texts rewritten throughout score as different (they are
then shown as one item removed and one added, which is still correct).

:class:`Budget` caps the characters compared over many pairs (a list of thousands of reworded
items): once spent, no more pairs are compared, and the items left are shown as removed and
added.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

#: Longest middle part (after the common prefix and suffix) compared character by character.
MIDDLE_CHARS = 1_000
#: Steps (characters scanned, character pairs matched) over all the pairs of one diff: a few
#: seconds at most; an ordinary guide's lists need a few thousand.
PAIRING_BUDGET = 20_000_000


@dataclass(slots=True)
class Budget:
    left: int = PAIRING_BUDGET

    def spend(self, steps: int) -> bool:
        """Take ``steps`` from the budget; False (and nothing taken) when too few are left."""
        if steps > self.left:
            return False
        self.left -= steps
        return True


def similarity(a: str, b: str, budget: Budget) -> float | None:
    """A number from 0 to 1 like :meth:`difflib.SequenceMatcher.ratio`, in bounded time; None
    when ``budget`` is spent."""
    total = len(a) + len(b)
    if total == 0:
        return 1.0
    if not budget.spend(total):
        return None
    head = common_prefix(a, b)
    tail = common_prefix(a[head:][::-1], b[head:][::-1])
    mid_a, mid_b = a[head : len(a) - tail], b[head : len(b) - tail]
    matched = head + tail
    if mid_a and mid_b and max(len(mid_a), len(mid_b)) <= MIDDLE_CHARS:
        if not budget.spend(len(mid_a) * len(mid_b)):  # the matcher's worst case
            return None
        matcher = difflib.SequenceMatcher(None, mid_a, mid_b, autojunk=False)
        matched += sum(block.size for block in matcher.get_matching_blocks())
    return 2.0 * matched / total


def common_prefix(a: str, b: str) -> int:
    """Length of the longest common prefix: a binary search of slice comparisons (done in C)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        mid = (low + high + 1) // 2
        if a[low:mid] == b[low:mid]:
            low = mid
        else:
            high = mid - 1
    return low


def upper_bound(a: str, b: str) -> float:
    """No two texts of these lengths are more alike than this (costs nothing)."""
    total = len(a) + len(b)
    return 1.0 if total == 0 else 2.0 * min(len(a), len(b)) / total
