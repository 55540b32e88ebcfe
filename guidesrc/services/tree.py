"""The use cases on a library's working tree alone (no ledger): what changed between two
revisions, and which guides use a catalogue entry."""

from __future__ import annotations

from pathlib import Path

from guidesrc.check.engine import code_fingerprint, library_facts
from guidesrc.check.library_rules import where_used as find_users
from guidesrc.diff.changeset import ChangeSet, change_set
from guidesrc.errors import GuidesError
from guidesrc.i18n import _
from guidesrc.library import STATE_DIR
from guidesrc.parsecache import ParseCache
from guidesrc.state import GitTree, WorkingTree, load_state


def changes(root: Path, *, base: str | None = None, head: str | None = None) -> ChangeSet:
    """What changed in the guides from the git revision ``base`` (default: HEAD) to ``head``
    (default: the working tree), field by field."""
    base_tree = GitTree(root, base or "HEAD")
    head_tree = GitTree(root, head) if head else WorkingTree(root, label=_("working tree"))
    cache = ParseCache(root / STATE_DIR, code_fingerprint())
    old = load_state(base_tree, cache)
    new = load_state(head_tree, cache, like=old)  # unchanged catalogues are parsed once
    policy = new.config.change_policy if new.config else None
    found = change_set(old, new, policy)
    cache.flush()
    return found


def where_used(root: Path, entry: str) -> list[tuple[str, str]]:
    """The guides (file, name) that use the catalogue entry ``entry``."""
    kinds, guides = find_users(library_facts(root), entry)
    if not kinds:
        raise GuidesError(_('"{id}" is not in any catalogue').format(id=entry))
    return guides
