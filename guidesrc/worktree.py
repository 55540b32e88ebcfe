"""The working tree of a library as a library state (what ``guides approve``, ``guides diff
--published`` and the preview compare with the ledger)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from guidesrc.check.engine import Checked, CheckReport, check_pass, code_fingerprint
from guidesrc.i18n import _
from guidesrc.library import STATE_DIR
from guidesrc.parsecache import ParseCache
from guidesrc.state import LibraryState, WorkingTree, load_state


def working_state(root: Path) -> tuple[LibraryState, ParseCache]:
    """The working tree as a library state, with the parse cache (flush it when done)."""
    cache = ParseCache(root / STATE_DIR, code_fingerprint())
    return load_state(WorkingTree(root, label=_("working tree")), cache), cache


@dataclass(slots=True)
class CheckedTree:
    """The working tree as `guides check` just saw it (one scan, one hash of each file)."""

    report: CheckReport  # as ``guides check`` without ``--strict`` reports it
    _checked: Checked

    def state(self) -> tuple[LibraryState, ParseCache]:
        """The working tree as a library state, made of the files the check saw, with the
        parse cache (flush it when done). Ask for it only when the report has no error."""
        checked = self._checked
        cache = ParseCache(checked.layout.state_dir, checked.fingerprint)
        tree = WorkingTree(
            checked.layout.root, _("working tree"), layout=checked.layout, files=checked.files
        )
        return load_state(tree, cache), cache


def checked_tree(root: Path) -> CheckedTree:
    """Check the working tree; its state follows from the same pass (:meth:`CheckedTree.state`)."""
    checked = check_pass(root)
    return CheckedTree(checked.report, checked)
