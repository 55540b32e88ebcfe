"""The hotline's FAQ state in shards (guidesrc/adapters/hotline_faq.py): a run that changes one
guide reads and writes only the FAQ shards of the entries that guide gives, the FAQ files are
what a full rebuild writes after entries are added, changed, moved and removed, and the state
of the one-file layout is taken over. Every test runs on both ledgers."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlmodel import select

from guidesrc.adapters import Delivery, make_adapters
from guidesrc.adapters.shards import shard_of
from guidesrc.ledger import open_ledger
from guidesrc.ledger.models import Approval, GuideVersion, Publication
from guidesrc.workdays import read_config
from tests.conftest import Library, withdraw
from tests.test_exports import (
    GID,
    approve,
    full_rebuild,
    out,
    publish,
    snapshot_of,
    validate_all,
    with_exports,
    written,
)

pytestmark = pytest.mark.usefixtures("database")


@pytest.fixture
def lib(example: Library) -> Library:
    """The example library with the export channels, all 18 guides approved and published."""
    return with_exports(example)


def state_files(lib: Library) -> dict[str, bytes]:
    return {
        rel: data
        for rel, data in snapshot_of(out(lib, "hotline")).items()
        if rel.startswith("_state/") or rel.startswith(".")
    }


def faq_shards(lib: Library) -> dict[str, int]:
    top = json.loads(out(lib, "hotline/.hotline-manifest.json").read_text(encoding="utf-8"))
    return dict(top["faq_state"])


def faq_of(lib: Library, gid: str) -> list[str]:
    """The FAQ ids the published FAQ lists ``gid`` under."""
    body = json.loads(out(lib, "hotline/json/faq.json").read_text(encoding="utf-8"))
    return sorted(q["id"].removeprefix("faq:") for q in body["faq"] if gid in q["guides"])


def pending(lib: Library, gid: str, later: dt.timedelta = dt.timedelta(0)) -> Delivery:
    """The last hotline delivery of ``gid`` the ledger holds (approved, not yet published), as
    if approved ``later`` than the ledger says."""
    ledger = open_ledger(lib.root)
    with ledger.session() as session:
        query = select(Publication).where(Publication.channel == "hotline")
        pub = max(
            (p for p in session.exec(query).all() if p.guide_id == gid),
            key=lambda p: p.id or 0,
        )
        version = session.get(GuideVersion, pub.version_id)
        assert version is not None
        approval = session.get(Approval, version.approval_id)
        assert approval is not None
        delivery = Delivery.of(pub.action, version, approval.approved_at + later, pub.deadline)
    ledger.close()
    return delivery


def deliver(lib: Library, gid: str, unread: set[str]) -> dict[str, bytes]:
    """Deliver ``gid``'s pending version to the hotline, approved a minute later than the
    ledger says (the approval time is kept to the second: the fixture's approval may share
    it), with the FAQ shards ``unread`` unreadable (a run that read one would fail); the state
    files as they were before."""
    before = state_files(lib)
    generations = faq_shards(lib)
    others = [out(lib, f"hotline/_state/hotline-faq-{hh}.{generations[hh]}.json") for hh in unread]
    for path in others:
        path.write_bytes(b"unreadable")
    adapters = make_adapters(lib.root, read_config(lib.root))
    results = adapters["hotline"].deliver_many(
        [(pending(lib, gid, dt.timedelta(minutes=1)), False)]
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    for path in others:
        path.write_bytes(before[str(path.relative_to(out(lib, "hotline")))])
    return before


def written_state(lib: Library, before: dict[str, bytes], gid: str, faq: set[str]) -> None:
    """The run wrote, of the state, the manifest's top file, a new generation of ``gid``'s
    shard and of the FAQ shards ``faq``, and removed the generations they supersede."""
    after = state_files(lib)
    generations = {hh: n - 1 if hh in faq else n for hh, n in faq_shards(lib).items()}
    hh = shard_of(gid)
    new = {f"hotline-{hh}.2.json"} | {f"hotline-faq-{s}.{generations[s] + 1}.json" for s in faq}
    gone = {f"hotline-{hh}.1.json"} | {f"hotline-faq-{s}.{generations[s]}.json" for s in faq}
    assert after.keys() - before.keys() == {f"_state/{n}" for n in new}
    assert before.keys() - after.keys() == {f"_state/{n}" for n in gone}
    same = before.keys() & after.keys()
    assert {k for k in same if before[k] != after[k]} == {".hotline-manifest.json"}


def hotline_rebuild(lib: Library) -> dict[str, bytes]:
    return {k: v for k, v in full_rebuild(lib).items() if k.startswith("hotline/")}


def test_one_changed_guide_reads_and_writes_only_its_faq_shards(lib: Library) -> None:
    """A guide approved again gives its FAQ entry with a new approval time: the run reads and
    writes only that entry's FAQ shard (every other one is unreadable during the run), and
    leaves the FAQ files as they are (the entry did not change)."""
    assert faq_of(lib, GID) == ["shenfenzheng-yidi"]
    text = lib.read(f"guides/{GID}.yaml")
    lib.write(f"guides/{GID}.yaml", text.replace("每证 10 元", "每证 5 元"))
    approve(lib, "--effective", "today", "--note", "降低工本费")
    mine = {shard_of("shenfenzheng-yidi")}
    assert len(faq_shards(lib)) > len(mine)
    faq_files = {k: v for k, v in written(lib, "hotline").items() if "faq" in k}
    before = deliver(lib, GID, set(faq_shards(lib)) - mine)
    written_state(lib, before, GID, mine)
    assert {k: v for k, v in written(lib, "hotline").items() if "faq" in k} == faq_files
    assert written(lib, "hotline") == hotline_rebuild(lib)


def test_a_guide_giving_one_more_entry_writes_only_the_faq_shards_of_its_entries(
    lib: Library,
) -> None:
    """The guide gives a second entry (which another guide gives too): the FAQ files are made
    again (the entry lists one guide more), and only the shards of the guide's two entries are
    written."""
    text = lib.read(f"guides/{GID}.yaml")
    lib.write(
        f"guides/{GID}.yaml",
        text.replace("faq: [shenfenzheng-yidi]", "faq: [shenfenzheng-yidi, jubao-baomi]"),
    )
    approve(lib, "--effective", "today", "--note", "增加常见问题")
    before = deliver(lib, GID, set())
    written_state(lib, before, GID, {shard_of("shenfenzheng-yidi"), shard_of("jubao-baomi")})
    assert faq_of(lib, GID) == ["jubao-baomi", "shenfenzheng-yidi"]
    assert written(lib, "hotline") == hotline_rebuild(lib)


def rebuilt(lib: Library) -> None:
    """The hotline's files are a full rebuild's, and the FAQ state holds every guide's
    contributions, no more (its shards name only entries some guide gives)."""
    assert written(lib, "hotline", "mobile") == full_rebuild(lib)
    body = json.loads(out(lib, "hotline/json/faq.json").read_text(encoding="utf-8"))
    kept: dict[str, Any] = {}
    for hh, n in faq_shards(lib).items():
        path = out(lib, f"hotline/_state/hotline-faq-{hh}.{n}.json")
        kept |= orjson.loads(path.read_bytes())["entries"]
    assert [record["entry"] for _fid, record in sorted(kept.items())] == body["faq"]
    names = {p.name for p in out(lib, "hotline/_state").glob("hotline-faq*")}
    assert names == {f"hotline-faq-{hh}.{n}.json" for hh, n in faq_shards(lib).items()}


def answer(lib: Library, fid: str, new: str) -> None:
    """Give the catalogue's entry ``fid`` the answer ``new``."""
    text = lib.read("catalogues/faq.yaml")
    start = text.index(f"  {fid}:\n")
    at = text.index("    answer: ", start)
    end = text.index("\n", at)
    lib.write("catalogues/faq.yaml", text[:at] + f"    answer: {new}" + text[end:])


def test_faq_entries_added_changed_moved_and_removed_match_a_full_rebuild(lib: Library) -> None:
    rebuilt(lib)
    # a guide gives an entry it did not (the entry's guides and issuers change) and a new one
    text = lib.read("catalogues/faq.yaml")
    lib.write(
        "catalogues/faq.yaml",
        text.replace(
            "entries:\n",
            "entries:\n  xin-wenti:\n    question: 新的问题？\n    answer: 新的回答。\n"
            "    tags: [新问题]\n",
            1,
        ),
    )
    guide = lib.read(f"guides/{GID}.yaml")
    lib.write(
        f"guides/{GID}.yaml",
        guide.replace(
            "faq: [shenfenzheng-yidi]", "faq: [shenfenzheng-yidi, jubao-baomi, xin-wenti]"
        ),
    )
    approve(lib, "--effective", "today", "--note", "增加常见问题")
    publish(lib)
    assert faq_of(lib, GID) == ["jubao-baomi", "shenfenzheng-yidi", "xin-wenti"]
    rebuilt(lib)
    # an entry's answer changes in one of the two guides that give it: taken from that guide,
    # approved last (the entry moves to it), then from both
    other = "jumin-shenfenzheng-huanling"
    answer(lib, "shenfenzheng-yidi", "可以，在任一受理窗口申请。")
    approve(lib, "--guide", other, "--effective", "today", "--note", "更新问答")
    publish(lib)
    body = json.loads(out(lib, "hotline/json/faq.json").read_text(encoding="utf-8"))
    (entry,) = [q for q in body["faq"] if q["id"] == "faq:shenfenzheng-yidi"]
    assert entry["text"] == "可以，在任一受理窗口申请。" and entry["guides"] == [other, GID]
    rebuilt(lib)
    approve(lib, "--effective", "today", "--note", "更新问答")
    publish(lib)
    rebuilt(lib)
    # the guide is withdrawn: the entry only it gave leaves the FAQ, the others lose it
    assert withdraw(lib.root, GID, "该事项已划转").exit_code == 0
    publish(lib)
    assert faq_of(lib, GID) == []
    ids = [q["id"] for q in json.loads(out(lib, "hotline/json/faq.json").read_text())["faq"]]
    assert "faq:xin-wenti" not in ids and "faq:jubao-baomi" in ids
    rebuilt(lib)
    validate_all(lib)


def test_the_one_file_faq_state_is_taken_over_by_the_next_publish(lib: Library) -> None:
    """A hotline whose FAQ state is one file (``_state/hotline-faq.<n>.json``, the manifest's
    ``faq_state`` its generation): the next publish reads it once, writes the shards, and
    removes it after the commit; the files are a full rebuild's."""
    folder = out(lib, "hotline")
    top = json.loads((folder / ".hotline-manifest.json").read_text(encoding="utf-8"))
    by: dict[str, Any] = {}
    entries: dict[str, Any] = {}
    for hh, n in top["faq_state"].items():
        path = folder / f"_state/hotline-faq-{hh}.{n}.json"
        for fid, record in orjson.loads(path.read_bytes())["entries"].items():
            by[fid], entries[fid] = record["by"], record["entry"]
        path.unlink()
    old = folder / "_state/hotline-faq.7.json"
    old.write_bytes(orjson.dumps({"by": by, "entries": entries}, option=orjson.OPT_SORT_KEYS))
    top["faq_state"] = 7
    (folder / ".hotline-manifest.json").write_bytes(orjson.dumps(top))
    # an announcement (the guide's entries keep their source) and a withdrawal (they lose it)
    text = lib.read(f"guides/{GID}.yaml")
    lib.write(f"guides/{GID}.yaml", text.replace("每证 10 元", "每证 5 元"))
    approve(lib, "--effective", "today", "--note", "降低工本费")
    assert withdraw(lib.root, "shipin-anquan-jubao-jiangli", "该事项已划转").exit_code == 0
    run_and_check_takeover(lib, old)


def run_and_check_takeover(lib: Library, old: Path) -> None:
    publish(lib)
    assert not old.exists()
    shards = faq_shards(lib)
    assert len(shards) == len({shard_of(fid) for fid in faq_ids(lib)} | set(shards)) > 1
    ids = [q["id"] for q in json.loads(out(lib, "hotline/json/faq.json").read_text())["faq"]]
    assert "faq:jubao-baomi" not in ids
    rebuilt(lib)


def faq_ids(lib: Library) -> list[str]:
    body = json.loads(out(lib, "hotline/json/faq.json").read_text(encoding="utf-8"))
    return [q["id"].removeprefix("faq:") for q in body["faq"]]
