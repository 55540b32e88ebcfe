"""The cache of library files (guidesrc.libfiles): a file is not read again while its identity is
as recorded, and a changed file or a tampered cache never lets an error through."""

from __future__ import annotations

import pytest

from guidesrc import cachekey, libfiles
from guidesrc.check.engine import LAST_FILE, check_library
from tests.conftest import GUIDE, Library

CODE = "7000107001000"


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files count as settled at once (a test cannot wait for their change time to age), and
    each check starts like a new process (nothing kept in this one)."""
    monkeypatch.setattr(libfiles, "RACY_SECONDS", 0)
    monkeypatch.setattr(libfiles, "_KNOWN", {})


def _new_process() -> None:
    libfiles._KNOWN.clear()


def _copy(library: Library, n: int, code: str) -> str:
    rel = f"guides/copies/copy-{n}.yaml"
    text = library.read(GUIDE).replace("id: jumin-shenfenzheng-huanling", f"id: copy-{n}")
    library.write(rel, text.replace(CODE, code))
    return rel


def test_unchanged_files_are_not_read_again(library: Library, settled: None) -> None:
    check_library(library.root)
    _new_process()
    files = libfiles.LibraryFiles(library.root)
    assert files.hashes(GUIDE) is not None
    assert files._data == {}  # known by its identity: not read


def test_a_duplicate_code_brought_by_the_one_changed_file_is_found(
    library: Library, settled: None
) -> None:
    other = _copy(library, 1, "7000107001999")
    assert check_library(library.root).errors == 0
    _new_process()
    library.edit(other, "7000107001999", CODE)  # now the code of the library's first guide
    report = check_library(library.root)
    assert report.analysed == 1
    # reported in the unchanged guide, which sorts after the changed one
    found = [(d.rule, d.file, d.args["other"]) for d in report.diagnostics]
    assert found == [("duplicate-code", GUIDE, other)]


def test_a_tampered_file_cache_is_ignored(library: Library, settled: None) -> None:
    check_library(library.root)
    path = library.root / ".guides" / libfiles.CACHE_FILE
    sealed = path.read_bytes()
    library.edit(GUIDE, "case_type: 承诺件", "case_type: 即办件")
    info = library.path(GUIDE).stat()
    key = cachekey.machine_key()
    assert key is not None
    payload = cachekey.unseal(key, path.name.encode(), sealed)
    assert payload is not None
    # The old hashes claimed for the file as it is now, without the machine's key.
    entry = payload.split(f'"{GUIDE}":['.encode(), 1)[1].split(b",", 5)
    new = f"{info.st_size},{info.st_mtime_ns},{info.st_ctime_ns},{info.st_ino},{info.st_dev}"
    forged = payload.replace(b",".join(entry[:5]), new.encode())
    assert forged != payload
    path.write_bytes(sealed[: cachekey.MAC_BYTES] + forged)
    (library.root / ".guides" / LAST_FILE).unlink()
    _new_process()
    report = check_library(library.root)
    assert [d.rule for d in report.diagnostics] == ["immediate-case"]


def test_a_file_changed_while_recorded_is_read_again(library: Library, settled: None) -> None:
    check_library(library.root)
    _new_process()
    library.edit(GUIDE, "case_type: 承诺件", "case_type: 即办件")
    assert [d.rule for d in check_library(library.root).diagnostics] == ["immediate-case"]


def test_recent_files_are_not_recorded(library: Library) -> None:
    check_library(library.root)  # the fixture's files were written just now
    assert not (library.root / ".guides" / libfiles.CACHE_FILE).exists()
