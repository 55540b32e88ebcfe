"""The working tree of a library as a library state (what ``guides approve``, ``guides diff
--published`` and the preview compare with the ledger)."""

from __future__ import annotations

from pathlib import Path

from guidesrc.check.engine import code_fingerprint
from guidesrc.i18n import _
from guidesrc.library import STATE_DIR
from guidesrc.parsecache import ParseCache
from guidesrc.state import LibraryState, WorkingTree, load_state


def working_state(root: Path) -> tuple[LibraryState, ParseCache]:
    """The working tree as a library state, with the parse cache (flush it when done)."""
    cache = ParseCache(root / STATE_DIR, code_fingerprint())
    return load_state(WorkingTree(root, label=_("working tree")), cache), cache
