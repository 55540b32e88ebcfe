"""Change sets: what changed between two states of a library, guide by guide, field by field.

Guides whose content hash did not change are skipped; the others are compared with deepdiff on a
*keyed* form of the compiled guide, where each list is turned into a mapping by the identity of
its items (a material by its catalogue id, a step by its name, a condition by its text). So
inserting one material is one "added" item, not nine "changed" ones, and reordering an order-free
list is no change at all. Each change is classed 实质性变更 (major) or 一般性修改 (minor) by a
declared per-field policy that a library can override in ``library.yaml`` (``change_policy``).
"""

from __future__ import annotations

import difflib
import fnmatch
import multiprocessing as mp
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import orjson
from deepdiff import DeepDiff  # imported only when something changed

from guidesrc.compile import FIELDS_FED_BY, ORDERLESS
from guidesrc.diff import similar
from guidesrc.diff.redline import redline
from guidesrc.forksafe import can_fork
from guidesrc.parsecache import CacheEntries
from guidesrc.state import LibraryState
from guidesrc.statuses import ChangeStatus, FieldAction

PathPart = str | int

#: Field path pattern → class; the most specific (longest) matching pattern wins. ``*`` matches
#: one path part (an item's identity). Anything not listed is major: when unsure, tell the public.
DEFAULT_POLICY: dict[str, str] = {
    "*": "major",
    "name": "minor",
    "themes": "minor",
    "handling_bodies": "minor",
    "joint_bodies": "minor",
    "version": "minor",
    "faq": "minor",
    "legal_basis.*.text": "minor",
    "legal_basis.*.document_number": "minor",
    "materials.*.notes": "minor",
    "materials.*.description": "minor",
    "materials.*.legal_basis.*.text": "minor",
    "procedure.*.description": "minor",
    "places.*.transport": "minor",
    "places.*.hall": "minor",
    "places.*.windows": "minor",
    "consult_phones.*.note": "minor",
    "complaint_phones.*.note": "minor",
    "statutory_time_limit.note": "minor",
    "promised_time_limit.note": "minor",
    "effective_date": "minor",  # announced with every change anyway
}

#: The policy as (pattern, class) pairs: hashable, so that classing a path can be memoised.
Rules = tuple[tuple[str, str], ...]

#: Ordered lists keyed by an item field; their items carry their position as "order".
_ORDERED_KEYED = {"procedure": "name"}


@dataclass(frozen=True, slots=True)
class FieldChange:
    path: tuple[PathPart, ...]  # identity path, e.g. ("materials", "hukou-bu", "copy_count")
    action: FieldAction
    old: Any = None
    new: Any = None
    major: bool = True

    @property
    def field(self) -> str:
        return str(self.path[0])

    def as_dict(self) -> dict[str, Any]:
        body = {
            "path": ".".join(str(p) for p in self.path),
            "action": self.action,
            "old": self.old,
            "new": self.new,
            "class": "major" if self.major else "minor",
        }
        if isinstance(self.old, str) and isinstance(self.new, str):
            body["redline"] = [list(span) for span in _redline(self.old, self.new)]
        return body


@dataclass(slots=True)
class GuideChange:
    id: str
    name: str
    status: ChangeStatus
    file: str
    old_hash: str | None
    new_hash: str | None
    effective_date: str | None  # of the new state (the old one's for a removed guide)
    changes: list[FieldChange] = field(default_factory=list)
    old: dict[str, Any] | None = None  # compiled guides, for the notice
    new: dict[str, Any] | None = None
    # The date an approval gives it and why (guidesrc.diff.effective; None: not assigned)
    effective_from: str | None = None
    file_effective_date: str | None = None

    @property
    def major(self) -> bool:
        return self.status != ChangeStatus.CHANGED or any(c.major for c in self.changes)

    @property
    def stale_effective_date(self) -> bool:
        """A changed guide whose 具体实施时间 was not updated with the change."""
        return self.status == ChangeStatus.CHANGED and all(
            c.field != "effective_date" for c in self.changes
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "file": self.file,
            "class": "major" if self.major else "minor",
            "old_hash": self.old_hash,
            "new_hash": self.new_hash,
            "effective_date": self.effective_date,
            "effective_date_updated": not self.stale_effective_date,
            **(
                {
                    "effective_from": self.effective_from,
                    "file_effective_date": self.file_effective_date,
                }
                if self.effective_from is not None
                else {}
            ),
            "changes": [c.as_dict() for c in self.changes],
        }


@dataclass(slots=True)
class ChangeSet:
    base: str
    head: str
    guides: list[GuideChange] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.guides)

    def as_dict(self) -> dict[str, Any]:
        counts = {s.value: sum(g.status == s for g in self.guides) for s in ChangeStatus}
        return {
            "base": self.base,
            "head": self.head,
            "summary": {**counts, "major": sum(g.major for g in self.guides)},
            "guides": [g.as_dict() for g in self.guides],
        }


def change_set(
    old: LibraryState, new: LibraryState, policy: Mapping[str, str] | None = None
) -> ChangeSet:
    """Every guide added, removed or changed from ``old`` to ``new``.

    Only the guides whose file changed, or whose file mentions a catalogue entry that changed, are
    read, compiled and compared; the rest are the same by construction. A guide whose file did not
    change is compiled only in the fields that the changed catalogues feed, and its content
    hashes come from the parse cache when a run before this one took them.
    """
    rules: Rules = tuple({**DEFAULT_POLICY, **(policy or {})}.items())
    result = ChangeSet(old.label, new.label)
    candidates = _candidates(old, new)
    old.prefetch(candidates)  # one git process and one cache query per state, not one per guide
    for guide_id in candidates:
        new.share(guide_id, old)  # the same bytes: the same validated data
    new.prefetch(candidates)
    result.guides = _compare_all(candidates, old, new, rules, fields_fed_by_changes(old, new))
    return result


#: Below this many guides to validate or hash, worker processes cost more than they save.
PARALLEL_MIN_GUIDES = 400
_work: tuple[list[str], LibraryState, LibraryState, Rules, tuple[str, ...]] | None = (
    None  # inherited by workers
)


def _compare_all(
    candidates: list[str], old: LibraryState, new: LibraryState, rules: Rules, fed: tuple[str, ...]
) -> list[GuideChange]:
    workers = min(os.cpu_count() or 1, 8)
    # What the parse cache had is cheap to compare; the rest is worth spreading over processes.
    work = sum(not (old.ready(g) and new.ready(g)) for g in candidates)
    if workers < 2 or work < PARALLEL_MIN_GUIDES or not can_fork():
        return [c for g in candidates if (c := _compare(g, old, new, rules, fed)) is not None]
    global _work
    _work = (candidates, old, new, rules, fed)
    step = -(-len(candidates) // (workers * 4))  # a few slices per worker balance the load
    slices = [(start, start + step) for start in range(0, len(candidates), step)]
    try:
        with mp.get_context("fork").Pool(workers) as pool:
            parts = pool.map(_compare_slice, slices, chunksize=1)
    finally:
        _work = None
    for _changes, entries in parts:  # what the workers validated and hashed, for the cache
        new.remember(entries)
    return [change for changes, _entries in parts for change in changes]


def _compare_slice(bounds: tuple[int, int]) -> tuple[list[GuideChange], CacheEntries]:
    assert _work is not None
    candidates, old, new, rules, fed = _work
    start, stop = bounds
    changes = [
        c for g in candidates[start:stop] if (c := _compare(g, old, new, rules, fed)) is not None
    ]
    entries = old.unsaved()
    entries.update(new.unsaved())
    return changes, entries


def _candidates(old: LibraryState, new: LibraryState) -> list[str]:
    ids = old.guide_files.keys() | new.guide_files.keys()
    same = {g for g in ids if new.same_file(g, old)}
    candidates = ids - same
    needles = changed_entries(old, new)
    if needles and same:
        # A guide whose file did not change is affected only through an entry it names.
        files = new.tree.mentioning(sorted(needles), [new.guide_files[g] for g in same])
        candidates |= {g for g in same if new.guide_files[g] in files}
    return sorted(candidates)


def changed_entries(old: LibraryState, new: LibraryState) -> set[str]:
    """Ids of catalogue entries that differ, with the materials that cite a changed legal basis."""
    changed: set[str] = set()
    for name in ("materials", "legal_bases", "offices", "faq"):
        before, after = getattr(old.catalogues, name), getattr(new.catalogues, name)
        if before != after:  # at once when both states hold the same entries (an unchanged file)
            changed |= {i for i in before.keys() | after.keys() if before.get(i) != after.get(i)}
    for catalogue in (old.catalogues, new.catalogues):
        changed |= {
            m for m, entry in catalogue.materials.items() if changed & set(entry.legal_basis)
        }
    return changed


def _compare(
    guide_id: str, old: LibraryState, new: LibraryState, rules: Rules, fed: tuple[str, ...]
) -> GuideChange | None:
    if new.same_file(guide_id, old):
        return _compare_same_file(guide_id, old, new, rules, fed)
    before = old.compiled(guide_id) if guide_id in old.guide_files else None
    after = new.compiled(guide_id) if guide_id in new.guide_files else None
    old_hash = old.content_hash(guide_id, before) if before is not None else None
    new_hash = new.content_hash(guide_id, after) if after is not None else None
    if old_hash == new_hash:
        return None
    file = new.guide_files.get(guide_id) or old.guide_files[guide_id]
    change = guide_change(guide_id, file, before, after, (old_hash, new_hash), rules)
    if before is not None and after is not None:
        _keep_for_notice(change, before, after)
    else:
        change.old, change.new = before, after
    return change


def guide_change(
    guide_id: str,
    file: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    hashes: tuple[str | None, str | None],
    rules: Rules,
) -> GuideChange:
    """The change of one guide between two compiled versions (None: it does not exist there),
    with its field changes when it exists on both sides; named and dated by the newer side."""
    current = after or before
    assert current is not None
    change = GuideChange(
        id=guide_id,
        name=current["name"],
        status=ChangeStatus.between(before, after),
        file=file,
        old_hash=hashes[0],
        new_hash=hashes[1],
        effective_date=current["effective_date"],
    )
    if before is not None and after is not None:
        change.changes = list(field_changes(before, after, rules))
    return change


#: Compiled fields that notices and labels read whatever changed.
_LABELS = ("id", "name", "effective_date")


def _compare_same_file(
    guide_id: str, old: LibraryState, new: LibraryState, rules: Rules, fed: tuple[str, ...]
) -> GuideChange | None:
    """A guide whose file did not change: it can differ only in the fields that the changed
    catalogues feed, so only those are compiled (and the rest only when a hash is not known)."""
    before = old.compiled(guide_id, (*_LABELS, *fed))
    new.share(guide_id, old)  # validated once
    after = new.compiled(guide_id, (*_LABELS, *fed))
    if before == after:
        return None
    if new.known_hash(guide_id) is None or old.known_hash(guide_id) is None:
        full = old.compiled(guide_id)
        shared: dict[tuple[str, int], Any] = {}  # fields both versions share: put in order once
        old.content_hash(guide_id, full, shared)
        new.content_hash(guide_id, {**full, **after}, shared)
    old_hash, new_hash = old.content_hash(guide_id), new.content_hash(guide_id)
    if old_hash == new_hash:
        return None  # e.g. only the order of an order-free list changed
    change = GuideChange(
        id=guide_id,
        name=after["name"],
        status=ChangeStatus.CHANGED,
        file=new.guide_files[guide_id],
        old_hash=old_hash,
        new_hash=new_hash,
        effective_date=after["effective_date"],
        changes=list(field_changes(before, after, rules)),
    )
    _keep_for_notice(change, before, after)
    return change


def _keep_for_notice(change: GuideChange, before: dict[str, Any], after: dict[str, Any]) -> None:
    """Keep of each compiled guide what notices and labels read: the changed fields, and names."""
    keep = {c.field for c in change.changes} | set(_LABELS)
    change.old = {k: v for k, v in before.items() if k in keep}
    change.new = {k: v for k, v in after.items() if k in keep}


def fields_fed_by_changes(old: LibraryState, new: LibraryState) -> tuple[str, ...]:
    """The compiled fields that changed catalogues feed: all a same-file guide can differ in."""
    fields: dict[str, None] = {}
    for name, fed in FIELDS_FED_BY.items():
        if getattr(old.catalogues, name) != getattr(new.catalogues, name):
            fields |= dict.fromkeys(fed)
    return tuple(fields)


def field_changes(
    before: dict[str, Any], after: dict[str, Any], policy: Rules
) -> Iterator[FieldChange]:
    """Field-level changes between two compiled guides, items matched by identity."""
    raw: list[FieldChange] = []
    for name in before.keys() | after.keys():
        if name in ("format", "gaps") or before.get(name) == after.get(name):
            continue
        for path, action in _differences(name, before.get(name), after.get(name)):
            old = None if action == FieldAction.ADDED else lookup(before, path)
            new = None if action == FieldAction.REMOVED else lookup(after, path)
            raw.append(FieldChange(path, action, old, new, _is_major(path, policy)))
    yield from sorted(
        _pair_rewordings(raw, policy), key=lambda c: (_field_rank(c.field), _path_key(c.path))
    )


def _differences(
    name: str, before: Any, after: Any
) -> Iterator[tuple[tuple[PathPart, ...], FieldAction]]:
    """The differences in one top-level field. A list of identified items (materials, places …)
    is compared item by item, so that one changed catalogue entry is diffed once, not once per
    combination of entries that guides happen to list."""
    ident = _ORDERED_KEYED.get(name) or ORDERLESS.get(name)
    if not (ident and isinstance(before, list) and isinstance(after, list)):
        yield from _field_diff(name, _frozen(before), _frozen(after))
        return
    old = {item[ident]: item for item in before}
    new = {item[ident]: item for item in after}
    moved = _moved(list(old), list(new)) if name in _ORDERED_KEYED else set()
    for key in old.keys() | new.keys():
        if key not in new:
            yield (name, key), FieldAction.REMOVED
        elif key not in old:
            yield (name, key), FieldAction.ADDED
        else:
            if key in moved:
                yield (name, key), FieldAction.MOVED
            if old[key] != new[key]:
                yield from _field_diff(name, _frozen([old[key]]), _frozen([new[key]]))


def _moved(before: list[str], after: list[str]) -> set[str]:
    """Items kept in both whose place in the sequence changed: those outside the longest run of
    items that kept their relative order (inserting one step moves no other)."""
    kept_before = [k for k in before if k in set(after)]
    kept_after = [k for k in after if k in set(before)]
    matcher = difflib.SequenceMatcher(None, kept_before, kept_after, autojunk=False)
    stable = {
        k
        for block in matcher.get_matching_blocks()
        for k in kept_before[block.a : block.a + block.size]
    }
    return set(kept_before) - stable


@lru_cache(maxsize=4096)
def _redline(old: str, new: str) -> tuple[tuple[str, str], ...]:

    return tuple((span.op, span.text) for span in redline(old, new))


def _frozen(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


@lru_cache(maxsize=4096)
def _field_diff(
    name: str, before: str, after: str
) -> tuple[tuple[tuple[PathPart, ...], FieldAction], ...]:
    """(path, action) of each difference in one top-level field; memoised, because a catalogue
    change makes the same difference in every guide that uses the entry."""

    old, new = orjson.loads(before), orjson.loads(after)
    diff = DeepDiff(
        keyed({name: old} if old is not None else {}),
        keyed({name: new} if new is not None else {}),
        view="tree",
        threshold_to_diff_deeper=0,
    )
    out: list[tuple[tuple[PathPart, ...], FieldAction]] = []
    for report, levels in diff.items():
        for level in levels:
            path = tuple(level.path(output_format="list"))
            action = _ACTIONS.get(report, FieldAction.CHANGED)
            if path[-1] == "order":
                continue  # moves are found by comparing positions (_differences)
            out.append((path, action))
    return tuple(out)


_ACTIONS: dict[str, FieldAction] = {
    "dictionary_item_added": FieldAction.ADDED,
    "iterable_item_added": FieldAction.ADDED,
    "dictionary_item_removed": FieldAction.REMOVED,
    "iterable_item_removed": FieldAction.REMOVED,
    "values_changed": FieldAction.CHANGED,
    "type_changes": FieldAction.CHANGED,
}


def keyed(value: Any, key: str | None = None) -> Any:
    """Lists become mappings by item identity; ordered keyed lists keep their position as "order"."""
    if isinstance(value, dict):
        return {k: keyed(v, k) for k, v in value.items()}
    if not isinstance(value, list):
        return value
    if key in _ORDERED_KEYED:
        order_key = _ORDERED_KEYED[key]
        return {item[order_key]: {**keyed(item), "order": n} for n, item in enumerate(value)}
    if key in ORDERLESS:
        ident = ORDERLESS[key]
        return {
            (item[ident] if ident and isinstance(item, dict) else str(item)): keyed(item)
            for item in value
        }
    return [keyed(v) for v in value]


def lookup(compiled: Any, path: tuple[PathPart, ...]) -> Any:
    """The value at an identity path (as :func:`keyed` names it) in a compiled guide."""
    node = compiled
    key: str | None = None
    for part in path:
        if isinstance(node, dict):
            node, key = node.get(str(part)), str(part)
        elif isinstance(node, list):
            node = _item(node, key, part)
        else:
            return None
    return node


def _item(items: list[Any], key: str | None, part: PathPart) -> Any:
    ident = _ORDERED_KEYED.get(key or "") or (ORDERLESS.get(key or "") if key in ORDERLESS else "")
    if key not in _ORDERED_KEYED and key not in ORDERLESS:
        return items[int(part)] if 0 <= int(part) < len(items) else None
    for item in items:
        value = item.get(ident) if ident and isinstance(item, dict) else str(item)
        if value == part:
            return item
    return None


@lru_cache(maxsize=8192)
def _is_major(path: tuple[PathPart, ...], policy: Rules) -> bool:
    text = ".".join(str(p) for p in path)
    best, best_len = "major", -1
    for pattern, klass in policy:
        if _matches(pattern, path, text) and _specificity(pattern) > best_len:
            best, best_len = klass, _specificity(pattern)
    return best == "major"


def _matches(pattern: str, path: tuple[PathPart, ...], text: str) -> bool:
    if pattern == "*":
        return True
    parts = pattern.split(".")
    if len(parts) > len(path):
        return False
    return all(fnmatch.fnmatchcase(str(p), q) for p, q in zip(path, parts, strict=False))


def _specificity(pattern: str) -> int:
    return 0 if pattern == "*" else len(pattern.split(".")) * 2 - pattern.count("*")


def _pair_rewordings(changes: list[FieldChange], policy: Rules) -> list[FieldChange]:
    """A text item removed and a similar one added in the same list is one item reworded."""
    out: list[FieldChange] = []
    removed = [
        c
        for c in changes
        if c.action == FieldAction.REMOVED and isinstance(c.old, str) and len(c.path) == 2
    ]
    added = [
        c
        for c in changes
        if c.action == FieldAction.ADDED and isinstance(c.new, str) and len(c.path) == 2
    ]
    paired: set[int] = set()
    budget = similar.Budget()
    for gone in removed:
        best, score = None, 0.5
        for candidate in added:
            if id(candidate) in paired or candidate.path[0] != gone.path[0]:
                continue
            if similar.upper_bound(gone.old, candidate.new) <= score:
                continue
            ratio = similar.similarity(gone.old, candidate.new, budget)
            if ratio is None:
                break  # the budget is spent: the rest stay removed and added
            if ratio > score:
                best, score = candidate, ratio
        if best is not None:
            paired |= {id(gone), id(best)}
            path = (gone.path[0], gone.path[1])
            change = FieldChange(
                path, FieldAction.CHANGED, gone.old, best.new, _is_major(path, policy)
            )
            out.append(change)
    out.extend(c for c in changes if id(c) not in paired)
    return out


_FIELD_ORDER = [
    "name", "status", "disclosure", "item_type", "implementing_body", "service_objects", "conditions",
    "materials", "procedure", "statutory_time_limit", "promised_time_limit", "case_type", "fees",
    "results", "places", "consult_phones", "complaint_phones", "onsite_visits", "handling_forms",
    "online", "scope", "appointment", "express_delivery", "online_payment", "legal_basis", "faq",
]  # fmt: skip


def _field_rank(name: str) -> int:
    return _FIELD_ORDER.index(name) if name in _FIELD_ORDER else len(_FIELD_ORDER)


def _path_key(path: tuple[PathPart, ...]) -> tuple[str, ...]:
    return tuple(str(p) for p in path)
