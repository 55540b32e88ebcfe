"""The incremental check (guidesrc.check.incremental) finds exactly what the whole check finds,
edit after edit, and takes the short way only when guide files alone changed."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from guidesrc import cachekey
from guidesrc.check.engine import check_library
from tests.conftest import Library
from tests.test_check_cache import _reseal, _rows

JUMIN = "guides/jumin-shenfenzheng-huanling.yaml"
LINSHI = "guides/linshi-jumin-shenfenzheng.yaml"
JUMIN_CODE = "11990100MB1A00010Q7000107001000"
LINSHI_CODE = "11990100MB1A00010Q7000107002000"


def _add_copy(library: Library) -> None:
    text = library.read(JUMIN).replace("id: jumin-shenfenzheng-huanling", "id: jumin-copy")
    library.write(
        "guides/extra/jumin-copy.yaml", text.replace(JUMIN_CODE, "11990100MB1A00010Q7000107009000")
    )


def _edits(library: Library, *edits: tuple[str, str, str]) -> None:
    for rel, old, new in edits:
        library.edit(rel, old, new)


def _remove_jumin(library: Library) -> None:
    library.path(JUMIN).unlink()


def _edit(rel: str, old: str, new: str) -> Callable[[Library], None]:
    return lambda library: library.edit(rel, old, new)


#: name → the edit; each is made on the example library, checked, then undone and checked again.
EDITS: dict[str, tuple[Callable[[Library], None], bool]] = {
    # guide files only: the incremental way
    "duplicate code introduced": (_edit(LINSHI, LINSHI_CODE, JUMIN_CODE), True),
    "duplicate id introduced": (
        _edit(LINSHI, "id: linshi-jumin-shenfenzheng", "id: jumin-shenfenzheng-huanling"),
        True,
    ),
    "reference to a missing faq entry, one unused": (
        _edit(JUMIN, "faq: [shenfenzheng-yidi, weituo-daiban]", "faq: [shenfenzheng-yidii]"),
        True,
    ),
    "every use of an entry removed": (
        lambda lib: _edits(
            lib,
            (JUMIN, "faq: [shenfenzheng-yidi, weituo-daiban]", "faq: [weituo-daiban]"),
            (LINSHI, "faq: [shenfenzheng-yidi]", "faq: []"),
        ),
        True,
    ),
    "a guide leaves a place whose window serves it": (
        _edit(
            JUMIN, "places: [zhongxin-dating, minsheng-paichusuo]", "places: [minsheng-paichusuo]"
        ),
        True,
    ),
    "an unknown legal basis cited": (
        _edit(JUMIN, "legal_basis: [shenfenzheng-fa-11,", "legal_basis: [shenfenzheng-fa-99,"),
        True,
    ),
    "a guide made unreadable": (
        _edit(JUMIN, "name: 居民身份证换领", "name: [居民身份证换领"),
        True,
    ),
    "a guide of the template region given a real code": (
        _edit(JUMIN, JUMIN_CODE, "11110100MB1A00010Q7000107001000"),
        True,
    ),
    "a guide added": (_add_copy, True),
    "a guide removed": (_remove_jumin, True),
    # anything else: the whole check
    "a catalogue entry removed": (
        _edit("catalogues/faq.yaml", "  shenfenzheng-yidi:", "  shenfenzheng-yidi-old:"),
        False,
    ),
    "library.yaml's rule levels changed": (
        _edit("library.yaml", "rules: {}", "rules: {unused-entry: error}"),
        False,
    ),
}


def _same_as_whole(library: Library, incremental: bool, before: dict[str, bytes]) -> None:
    """The check after an edit (from ``before``) finds what the whole check finds; the
    incremental one reads no row but those of the guides changed (the others are spoilt)."""
    now = _sources(library)
    changed = {rel for rel in now.keys() | before.keys() if now.get(rel) != before.get(rel)}
    if incremental:
        key = cachekey.machine_key()
        assert key is not None
        spoilt = [(rel, d, b"[]") for rel, d, _ in _rows(library) if rel not in changed]
        _reseal(library, key, [row for row in spoilt if row[0].startswith("guides/")])
    found = check_library(library.root)
    whole = check_library(library.root, use_cache=False)
    assert found.diagnostics == whole.diagnostics
    assert (found.guides, found.files) == (whole.guides, whole.files)
    if incremental:
        assert found.analysed == len(changed & now.keys())


@pytest.mark.parametrize("name", list(EDITS))
def test_incremental_check_equals_the_whole_check(example: Library, name: str) -> None:
    edit, incremental = EDITS[name]
    before = _sources(example)
    assert check_library(example.root).errors == 0
    edit(example)
    _same_as_whole(example, incremental, before)
    after = _sources(example)
    for rel in after.keys() - before.keys():
        example.path(rel).unlink()
    for rel, data in before.items():
        if after.get(rel) != data:
            example.write(rel, data)
    _same_as_whole(example, incremental, after)
    assert check_library(example.root).errors == 0


def test_edits_one_after_another_keep_equal_to_the_whole_check(example: Library) -> None:
    check_library(example.root)
    for name, (edit, _incremental) in EDITS.items():
        if name in ("every use of an entry removed", "a guide removed"):
            continue  # they edit what an earlier edit changed
        edit(example)
        found = check_library(example.root)
        assert found.diagnostics == check_library(example.root, use_cache=False).diagnostics, name


def _sources(library: Library) -> dict[str, bytes]:
    return {
        str(path.relative_to(library.root)): path.read_bytes()
        for folder in ("guides", "catalogues")
        for path in (library.root / folder).rglob("*.yaml")
    } | {"library.yaml": library.path("library.yaml").read_bytes()}
