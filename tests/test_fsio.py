"""Atomic writes made together (guidesrc.fsio.staged): a reader sees the old files until the end
of the block, then the new ones; a failure leaves every file as it was. Real files."""

from __future__ import annotations

from pathlib import Path

import pytest

from guidesrc import fsio


def listing(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.mark.parametrize("count", [3, fsio.FEW + 5])  # synced one by one; by one syncfs
def test_staged_files_appear_together_at_the_end_of_the_block(tmp_path: Path, count: int) -> None:
    (tmp_path / "a.json").write_bytes(b"old")
    names = ["a.json", *(f"part/{n}.json" for n in range(count - 1))]
    with fsio.journal() as written, fsio.staged():
        for name in names:
            fsio.write_atomic(tmp_path / name, name.encode(), 0o644)
        # nothing replaced yet: the old file, and the new ones only under hidden names
        assert (tmp_path / "a.json").read_bytes() == b"old"
        shown = [p for p in tmp_path.rglob("*") if p.is_file() and not p.name.startswith(".")]
        assert shown == [tmp_path / "a.json"]
    assert listing(tmp_path) == {name: name.encode() for name in names}
    assert written == {str((tmp_path / name).resolve()) for name in names}
    assert (tmp_path / "part/0.json").stat().st_mode & 0o777 == 0o644


def test_a_failure_in_the_block_leaves_every_file_as_it_was(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_bytes(b"old")
    with pytest.raises(RuntimeError), fsio.staged():
        fsio.write_atomic(tmp_path / "a.json", b"new")
        fsio.write_atomic(tmp_path / "b.json", b"new")
        raise RuntimeError("the run fails before its end")
    assert listing(tmp_path) == {"a.json": b"old"}


def test_writes_outside_a_block_and_in_other_blocks_are_their_own(tmp_path: Path) -> None:
    with fsio.staged():
        fsio.write_atomic(tmp_path / "outer.json", b"1")
        with fsio.staged():
            fsio.write_atomic(tmp_path / "inner.json", b"2")
        assert (tmp_path / "inner.json").read_bytes() == b"2"  # the inner block has ended
        assert not (tmp_path / "outer.json").exists()
    fsio.write_atomic(tmp_path / "after.json", b"3")
    assert listing(tmp_path) == {"after.json": b"3", "inner.json": b"2", "outer.json": b"1"}
