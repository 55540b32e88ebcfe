"""The check cache: keyed by content hash, never trusted blindly."""

from __future__ import annotations

import os
import sqlite3

import orjson

from guidesrc import cachekey
from guidesrc.check.engine import LAST_FILE, check_library, code_fingerprint
from guidesrc.check.resultcache import CACHE_FILE
from tests.conftest import GUIDE, Library


def test_second_run_analyses_nothing(library: Library) -> None:
    first = check_library(library.root)
    second = check_library(library.root)
    assert first.analysed == first.files == 6
    assert second.analysed == 0
    assert second.diagnostics == first.diagnostics == []


def test_changed_content_is_analysed_again_even_with_the_old_mtime(library: Library) -> None:
    check_library(library.root)
    path = library.path(GUIDE)
    stat = path.stat()
    library.edit(GUIDE, "case_type: 承诺件", "case_type: 即办件")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # as if nothing had changed
    report = check_library(library.root)
    assert report.analysed == 1
    assert [d.rule for d in report.diagnostics] == ["immediate-case"]


def test_cached_problems_are_shown_again(library: Library) -> None:
    library.edit(GUIDE, "case_type: 承诺件", "case_type: 即办件")
    first = library.check()
    second = library.check()
    assert second.lines == first.lines
    assert len(second.lines) == 1


def test_catalogue_change_rechecks_cross_file_rules_without_reanalysing_guides(
    library: Library,
) -> None:
    check_library(library.root)
    library.edit("catalogues/materials.yaml", "    legal_basis: [shenfenzheng-fa-11]\n", "")
    report = check_library(library.root)
    assert report.analysed == 1  # only the catalogue
    assert [d.rule for d in report.diagnostics] == ["material-legal-basis"]


def test_damaged_cache_is_rebuilt(library: Library) -> None:
    check_library(library.root)
    for name in (CACHE_FILE, LAST_FILE):
        (library.root / ".guides" / name).write_bytes(b"not a cache")
    report = check_library(library.root)
    assert report.analysed == report.files
    assert check_library(library.root).analysed == 0


def test_no_cache_option_analyses_everything(library: Library) -> None:
    check_library(library.root)
    assert check_library(library.root, use_cache=False).analysed == 6


def test_read_only_library_still_checks(library: Library) -> None:
    state = library.root / ".guides"
    state.mkdir()
    state.chmod(0o500)
    try:
        assert library.check().exit_code == 0
    finally:
        state.chmod(0o700)


def test_worker_processes_find_exactly_what_one_process_finds(library: Library) -> None:
    from guidesrc.check.analysing import PARALLEL_MIN_FILES

    text = library.read(GUIDE)
    for n in range(PARALLEL_MIN_FILES + 10):
        guide = text.replace("id: jumin-shenfenzheng-huanling", f"id: copy-{n}").replace(
            "7000107001000", f"7{n:012d}"
        )
        if n % 50 == 0:
            guide = guide.replace("case_type: 承诺件", "case_type: 即办件")
        library.write(f"guides/copies/copy-{n}.yaml", guide)
    one = check_library(library.root, use_cache=False, jobs=1)
    two = check_library(library.root, use_cache=False, jobs=2)
    assert two.analysed == one.analysed == PARALLEL_MIN_FILES + 16
    assert two.diagnostics == one.diagnostics
    assert [d.rule for d in one.diagnostics] == ["immediate-case"] * 9


def test_unchanged_library_reuses_the_last_report_until_something_changes(library: Library) -> None:
    library.edit(GUIDE, "case_type: 承诺件", "case_type: 即办件")
    first = library.check()
    again = library.check()
    assert again.lines == first.lines and again.exit_code == first.exit_code == 1
    assert library.check("--strict").exit_code == 1
    library.write("files/new-form.pdf", b"%PDF-1.7")  # an attachment counts as a change
    report = check_library(library.root)
    assert report.analysed == 0  # no source file changed: per-file results from the cache
    assert [d.rule for d in report.diagnostics] == ["immediate-case"]


def test_last_report_is_not_reused_on_another_day(library: Library) -> None:
    import datetime as dt

    library.edit(
        "catalogues/legal-bases.yaml",
        "    in_force_from: 2004-01-01\n  shenfenzheng-gongbenfei",
        "    in_force_from: 2099-01-01\n  shenfenzheng-gongbenfei",
    )
    assert check_library(library.root).errors == 3
    later = check_library(library.root, today=dt.date(2099, 6, 1))
    assert later.errors == 0


def test_last_report_from_yesterday_is_not_trusted(library: Library) -> None:
    import datetime as dt

    import orjson

    from guidesrc import cachekey

    library.edit(GUIDE, "case_type: 承诺件", "case_type: 即办件")
    check_library(library.root)
    path = library.root / ".guides" / LAST_FILE
    key = cachekey.machine_key()
    assert key is not None
    context = path.name.encode()
    stored = orjson.loads(cachekey.unseal(key, context, path.read_bytes()) or b"")
    stored["own"] = {}  # a doctored report: if it were reused, no error would show
    path.write_bytes(cachekey.seal(key, context, orjson.dumps(stored)))
    assert check_library(library.root).errors == 0
    day = dt.date.fromisoformat(stored["made_on"]) - dt.timedelta(days=1)
    stored["made_on"] = day.isoformat()
    path.write_bytes(cachekey.seal(key, context, orjson.dumps(stored)))
    assert check_library(library.root).errors == 1


def test_no_fork_while_other_threads_run(library: Library) -> None:
    import threading

    from guidesrc.forksafe import can_fork

    assert can_fork()
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not can_fork()
        assert check_library(library.root).analysed == 6  # still checks, in this process
    finally:
        stop.set()
        thread.join()


def test_a_planted_pickle_is_never_loaded(library: Library, tmp_path: os.PathLike[str]) -> None:
    import pickle
    from pathlib import Path

    marker = Path(tmp_path) / "ran"

    class Payload:
        def __reduce__(self) -> tuple[object, ...]:
            return (os.system, (f"touch {marker}",))

    cache = library.root / ".guides" / "cache"
    cache.mkdir(parents=True)
    for name in ("check.pickle", "check-last.pickle", "check.json", "check-last.json"):
        (cache / name).write_bytes(pickle.dumps(Payload()))
    report = check_library(library.root)
    assert report.analysed == report.files and not marker.exists()


def _rows(library: Library) -> list[tuple[str, str, bytes]]:
    with sqlite3.connect(library.root / ".guides" / CACHE_FILE) as db:
        return db.execute("SELECT rel, digest, data FROM results").fetchall()


def _reseal(library: Library, key: bytes, rows: list[tuple[str, str, bytes]]) -> None:
    """Write the rows back, each with a MAC under ``key``."""
    fingerprint = code_fingerprint().encode()
    with sqlite3.connect(library.root / ".guides" / CACHE_FILE) as db:
        for rel, digest, data in rows:
            tag = cachekey.mac(key, fingerprint, rel.encode(), digest.encode(), data)
            db.execute("UPDATE results SET data = ?, mac = ? WHERE rel = ?", (data, tag, rel))


def test_a_cache_sealed_on_another_machine_is_not_believed(library: Library) -> None:
    library.edit(GUIDE, "case_type: 承诺件", "case_type: 即办件")
    assert check_library(library.root).errors == 1
    # The same files, with the findings removed, sealed under another machine's key.
    other = b"k" * 32
    forged = [
        (rel, d, data.replace(b'"immediate-case"', b'"to-complete"'))
        for rel, d, data in _rows(library)
    ]
    _reseal(library, other, forged)
    path = library.root / ".guides" / LAST_FILE
    key = cachekey.machine_key()
    assert key is not None
    payload = cachekey.unseal(key, path.name.encode(), path.read_bytes())
    assert payload is not None
    path.write_bytes(
        cachekey.seal(other, path.name.encode(), payload.replace(b"immediate-case", b"to-complete"))
    )
    report = check_library(library.root)
    assert report.analysed == report.files
    assert [d.rule for d in report.diagnostics] == ["immediate-case"]


def test_a_sealed_cache_of_the_wrong_shape_is_rebuilt(library: Library) -> None:
    check_library(library.root)
    key = cachekey.machine_key()
    assert key is not None
    wrong = orjson.dumps([[["a rule", "fatal", 1]], ["guide", None]])  # wrong shapes throughout
    _reseal(library, key, [(rel, digest, wrong) for rel, digest, _data in _rows(library)])
    (library.root / ".guides" / LAST_FILE).unlink()
    report = check_library(library.root)
    assert report.analysed == report.files and report.diagnostics == []


def test_a_check_after_one_changed_guide_reads_its_row_only(library: Library) -> None:
    text = library.read(GUIDE).replace("id: jumin-shenfenzheng-huanling", "id: other")
    library.write("guides/other.yaml", text.replace("7000107001000", "7000107001999"))
    check_library(library.root)
    library.edit(GUIDE, "case_type: 承诺件", "case_type: 即办件")
    # every other row unreadable: the check after one change must not need them
    key = cachekey.machine_key()
    assert key is not None
    _reseal(
        library,
        key,
        [
            (rel, d, b"[]")
            for rel, d, _ in _rows(library)
            if rel.startswith("guides/") and rel != GUIDE
        ],
    )
    report = check_library(library.root)
    assert report.analysed == 1
    assert [d.rule for d in report.diagnostics] == ["immediate-case"]
