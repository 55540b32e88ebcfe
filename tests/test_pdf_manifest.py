"""The pdf channel's manifest in parts: a publish reads and writes only the parts of the guides
it changes; a manifest in one file (format 1) is taken over; a crash between the parts and the
top file leaves the old manifest; a part edited by hand is refused by the readers."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from guidesrc.adapters.pdf import PdfAdapter, PdfSettings
from guidesrc.compile import canonical_bytes
from guidesrc.errors import SheetProblem
from guidesrc.faults import InjectedFault
from guidesrc.print.bundle import Bundle
from guidesrc.print.sheets_manifest import MANIFEST, STATE, read_whole, shard_of
from guidesrc.state import WorkingTree, load_state
from guidesrc.workdays import read_config
from tests.conftest import EXAMPLE, Library, invoke
from tests.test_pdf import delivery
from tests.test_verify import (
    GID,
    _environment,  # noqa: F401  (autouse: the signing secret, no proxies)
    change_guide,
    findings,
    publish,
    signed_print,
    verify,
)

#: Three guides in three shards, and one more in the first one's shard (b4).
A, B, C, SAME_AS_A = (
    "danwei-shebao-dengji",
    "jiehun-dengji",
    "gaoling-jintie",
    "linghuo-jiuye-canbao-dengji",
)


@pytest.fixture(scope="module")
def compiled() -> dict[str, dict[str, Any]]:
    state = load_state(WorkingTree(EXAMPLE))
    return {gid: orjson.loads(canonical_bytes(state.compiled(gid))) for gid in (A, B, C, SAME_AS_A)}


@pytest.fixture
def channel(tmp_path: Path) -> Iterator[PdfAdapter]:
    (tmp_path / "library.yaml").write_text((EXAMPLE / "library.yaml").read_text("utf-8"), "utf-8")
    adapter = PdfAdapter(
        "print", PdfSettings(path="print", batches=False), tmp_path, read_config(tmp_path)
    )
    yield adapter
    adapter.close()


def state_files(out: Path) -> dict[str, tuple[int, int, bytes]]:
    """Each file of ``_state/``: (inode, mtime, bytes)."""
    found = {}
    for path in sorted((out / STATE).iterdir()):
        st = path.stat()
        found[path.name] = (st.st_ino, st.st_mtime_ns, path.read_bytes())
    return found


def named(out: Path) -> set[str]:
    """The ``_state/`` files the top file names."""
    top = orjson.loads((out / MANIFEST).read_bytes())
    parts = {f"guides-{digest}.json" for digest in top["parts"].values()}
    return parts | {Path(run["file"]).name for run in top["runs"]}


def test_a_one_change_publish_leaves_every_other_part_untouched(
    channel: PdfAdapter, compiled: dict[str, dict[str, Any]]
) -> None:
    assert shard_of(A) == shard_of(SAME_AS_A) != shard_of(B)
    channel.deliver_many([(delivery(compiled[g]), False) for g in (A, B, C, SAME_AS_A)])
    out = channel.out
    before = state_files(out)
    assert set(before) == named(out) and len(before) == 3 + 1  # three parts, one run
    channel.deliver(delivery(compiled[A], "announce", 2))
    after = state_files(out)
    assert set(after) == named(out)  # the replaced part is removed
    gone, new = set(before) - set(after), set(after) - set(before)
    assert len(gone) == 1 and sorted(n.split("-")[0] for n in new) == ["guides", "run"]
    assert all(after[name] == before[name] for name in set(before) & set(after))
    whole = read_whole(out)
    assert whole["guides"][A]["upcoming"]["version"] == 2
    assert set(whole["guides"][SAME_AS_A]) == {"name", "current"}
    assert [(r["seq"], len(r["changes"])) for r in whole["runs"]] == [(1, 4), (2, 1)]
    # The kiosk and the printer channel find a sheet by its guide's part alone.
    sheet = Bundle(out).sheet(A, "upcoming")
    assert sheet is not None and Bundle(out).read(sheet) == (out / f"upcoming/{A}.pdf").read_bytes()


def test_a_manifest_in_one_file_is_read_and_written_in_parts_by_the_next_publish(
    channel: PdfAdapter, compiled: dict[str, dict[str, Any]]
) -> None:
    out = channel.out
    first = delivery(compiled[A])
    receipt = channel.deliver(first)
    channel.deliver(delivery(compiled[B]))
    whole = read_whole(out)
    # As an older guidesrc wrote it: everything in manifest.json.
    single = {"format": 1, "guides": whole["guides"], "runs": whole["runs"]}
    for path in (out / STATE).iterdir():
        path.unlink()
    (out / MANIFEST).write_bytes(orjson.dumps(single, option=orjson.OPT_INDENT_2))
    assert read_whole(out) == single
    sheet = Bundle(out).sheet(A, "current")
    assert sheet is not None and sheet.sha256 == receipt["sha256"]
    assert channel.lookup(first) == receipt
    channel.deliver(delivery(compiled[C]))
    top = orjson.loads((out / MANIFEST).read_bytes())
    assert top["format"] == 2 and "guides" not in top
    assert set(os.listdir(out / STATE)) == named(out)
    again = read_whole(out)
    assert set(again["guides"]) == {A, B, C}
    assert again["runs"][:2] == whole["runs"] and again["runs"][2]["seq"] == 3
    assert channel.lookup(first) == receipt


def test_a_crash_between_the_parts_and_the_top_file_leaves_the_old_manifest(
    channel: PdfAdapter, compiled: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = channel.out
    channel.deliver_many([(delivery(compiled[g]), False) for g in (A, B)])
    old = read_whole(out)
    monkeypatch.setenv("GUIDES_FAULT", "print.parts:raise")
    with pytest.raises(InjectedFault):
        channel.deliver(delivery(compiled[A], "announce", 2))
    assert read_whole(out) == old  # the new part is there, but no top file names it
    assert len(os.listdir(out / STATE)) > len(named(out))
    monkeypatch.delenv("GUIDES_FAULT")
    channel.deliver(delivery(compiled[A], "announce", 2))
    assert set(os.listdir(out / STATE)) == named(out)  # what the crash left is removed
    assert read_whole(out)["guides"][A]["upcoming"]["version"] == 2


def test_a_part_edited_by_hand_is_refused_by_the_readers(
    channel: PdfAdapter, compiled: dict[str, dict[str, Any]]
) -> None:
    out = channel.out
    channel.deliver_many([(delivery(compiled[g]), False) for g in (A, B)])
    bundle = Bundle(out)
    assert bundle.sheet(B, "current") is not None
    part = (
        out
        / STATE
        / f"guides-{orjson.loads((out / MANIFEST).read_bytes())['parts'][shard_of(A)]}.json"
    )
    entries = orjson.loads(part.read_bytes())
    pdf = out / f"current/{A}.pdf"
    pdf.write_bytes(b"%PDF-1.7 forged")
    entries[A]["current"]["sha256"] = hashlib.sha256(b"%PDF-1.7 forged").hexdigest()
    part.write_bytes(orjson.dumps(entries, option=orjson.OPT_SORT_KEYS))
    with pytest.raises(SheetProblem) as caught:
        bundle.sheet(A, "current")
    assert str(caught.value) == (
        f"打印稿清单的分片 {STATE}/{part.name} 不是已发布的版本（其 SHA-256 与清单记录不符）"
    )
    assert bundle.sheet(B, "current") is not None  # the other parts are read as they are


def test_a_part_that_is_missing_is_refused_by_the_readers_with_the_fix(
    channel: PdfAdapter, compiled: dict[str, dict[str, Any]]
) -> None:
    """An old top file put back without its parts (or a part deleted): the readers say which
    part is missing and how to rewrite the bundle, instead of failing with a traceback."""
    out = channel.out
    channel.deliver_many([(delivery(compiled[g]), False) for g in (A, B)])
    digest = orjson.loads((out / MANIFEST).read_bytes())["parts"][shard_of(A)]
    (out / STATE / f"guides-{digest}.json").unlink()
    with pytest.raises(SheetProblem) as caught:
        Bundle(out).sheet(A, "current")
    assert str(caught.value) == (
        f"打印稿清单列出的分片 {STATE}/guides-{digest}.json 不在文件夹中：打印稿目录与发布时不一致；"
        "请用 guides publish --rebuild 渠道名 重新生成"
    )
    assert Bundle(out).sheet(B, "current") is not None  # the other parts are read as they are


@pytest.mark.slow
def test_the_parts_are_signed_an_edited_one_is_found_and_a_rebuild_rewrites_them(
    library: Library,
) -> None:
    out = signed_print(library)
    change_guide(library)  # one guide: one part replaced, the others as they were
    publish(library)
    assert verify(library, "--channel", "print").exit_code == 0
    top = orjson.loads((out / MANIFEST).read_bytes())
    part = out / STATE / f"guides-{top['parts'][shard_of(GID)]}.json"
    part.write_bytes(part.read_bytes().replace(b'"pages":', b'"pages": '))
    run = verify(library, "--channel", "print")
    assert run.exit_code == 1
    assert findings(run) == [f"modified .guides/print/{STATE}/{part.name}"]
    run = invoke("publish", str(library.root))  # the channel is held, not signed as it is
    assert run.exit_code == 1 and part.name in run.stdout + run.stderr, run.stdout + run.stderr
    run = invoke("publish", str(library.root), "--rebuild", "print")
    assert run.exit_code == 0, run.stdout + run.stderr
    assert verify(library, "--channel", "print").exit_code == 0
    assert read_whole(out)["guides"][GID]["current"]["version"] == 2
    assert set(os.listdir(out / STATE)) == named(out)
