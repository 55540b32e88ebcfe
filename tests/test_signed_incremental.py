"""A publish signs what it changed without reading every file or guide again (the stat cache's
parts and its delta, the guides changed since the last signature), and still refuses a file
it did not write: planted, or put in place of a signed one, beside the files it wrote."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

import guidesrc.manifest_cache_save as cache_save
from guidesrc.ledger import open_ledger
from guidesrc.manifest import cache_path, hash_folder
from guidesrc.manifest_shards import read_manifest, shard_of
from guidesrc.shown import shown_guides, shown_since
from guidesrc.statuses import EventKind
from tests.conftest import Library, invoke
from tests.test_verify import (
    GID,
    GUIDE,
    _environment,  # noqa: F401 (a fixture)
    approve,
    cached,
    change_guide,
    findings,
    flip,
    publish,
    signed,  # noqa: F401 (a fixture)
    verify,
)

ARCHIVE = ".guides/published"


@pytest.mark.parametrize("limit", ["delta", "folded"])
def test_changes_kept_in_the_delta_or_folded_into_the_parts_sign_what_a_whole_read_gives(
    signed: Library,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    limit: str,
) -> None:
    """Two changed guides published one after the other: the manifests list what a whole read of
    the ledger gives, the cache's entries are the files' hashes now, and verify is clean, whether
    the changes stay in the cache's delta or are folded into its parts at once."""
    if limit == "folded":
        monkeypatch.setattr(cache_save, "DELTA_LIMIT", 0)
    for old, new in (("20", "10"), ("10", "20")):
        limit_text = "promised_time_limit: {value: "
        signed.edit(GUIDE, limit_text + old, limit_text + new)
        approve(signed, "改时限")
        publish(signed)
    ledger = open_ledger(signed.root)
    try:
        for channel, folder in (("site", ".guides/site"), ("archive", ARCHIVE)):
            out = signed.path(folder).resolve()
            assert read_manifest(out)["guides"] == shown_guides(ledger, channel)
            head, files = cached(signed.root, channel)
            assert ("delta" in head["parts"]) == (limit == "delta")
            whole = hash_folder(out, {}).files
            assert {rel: entry[3] for rel, entry in files.items()} == {
                rel: entry["sha256"] for rel, entry in whole.items()
            }
    finally:
        ledger.close()
    assert verify(signed).exit_code == 0


def _replace(path: Path, data: bytes) -> None:
    """Put a new file (another inode) in place of ``path``, as a tool writing aside would."""
    aside = path.with_name(f".{path.name}.new")
    aside.write_bytes(data)
    os.replace(aside, path)


def test_a_file_planted_or_put_in_place_beside_the_files_a_publish_writes_is_refused(
    signed: Library,  # noqa: F811
) -> None:
    """The site's notices: the publish of a change writes the new notice and the index there;
    a page planted beside them and the old notice replaced by another file are found."""
    folder = signed.path(".guides/site").resolve() / "notices"
    old = folder / f"{GID}-v1.html"
    change_guide(signed)
    (folder / "pay.html").write_text("<p>pay</p>")
    _replace(old, old.read_bytes() + b"<!-- x -->")
    run = invoke("publish", str(signed.root))
    assert run.exit_code == 1
    assert "notices/pay.html（多出的文件）" in run.stderr, run.stderr
    assert f"notices/{old.name}（被改动）" in run.stderr, run.stderr
    assert f"{GID}-v2.html" in {p.name for p in folder.iterdir()}  # delivered all the same
    found = findings(verify(signed, "--channel", "site"))
    assert f"modified .guides/site/notices/{old.name}" in found


def test_a_file_removed_a_folder_planted_or_a_file_made_a_folder_beside_the_run_is_refused(
    signed: Library,  # noqa: F811
) -> None:
    """The site's notices again, listed again because the publish writes there: a signed page
    removed, a folder planted and a signed page put back as a folder (its files planted) are
    each found, and nothing of them is signed. The two pages are change notices of earlier
    versions, which the run does not write (a release page it may: approvals made within the
    same second are one release)."""
    folder = signed.path(".guides/site").resolve() / "notices"
    change_guide(signed)  # a second version, published and signed
    publish(signed)
    gone, old = folder / f"{GID}-v1.html", folder / f"{GID}-v2.html"
    signed.edit(GUIDE, "promised_time_limit: {value: 10", "promised_time_limit: {value: 8")
    approve(signed, "再压缩时限")
    gone.unlink()
    (folder / "extra").mkdir()
    (folder / "extra" / "pay.html").write_text("<p>pay</p>")
    old.unlink()
    old.mkdir()
    (old / "pay.html").write_text("<p>pay</p>")
    run = invoke("publish", str(signed.root))
    assert run.exit_code == 1
    for path, kind in (
        (f"notices/{gone.name}", "被删除"),
        (f"notices/{old.name}", "被删除"),
        ("notices/extra/pay.html", "多出的文件"),
        (f"notices/{old.name}/pay.html", "多出的文件"),
    ):
        assert f"{path}（{kind}）" in run.stderr, run.stderr
    found = findings(verify(signed, "--channel", "site"))
    assert f"missing .guides/site/notices/{gone.name}" in found, found
    assert "unexpected .guides/site/notices/extra/pay.html" in found, found


def test_a_forged_delta_part_never_lets_a_changed_file_be_signed_unhashed(
    signed: Library,  # noqa: F811
) -> None:
    """The cache's delta part vouches for the files a publish changed: forged to give a record
    edited in place (its folder untouched) its signed hash, it makes the whole cache lost, and
    the next publish hashes every file and refuses to sign the edited record."""
    change_guide(signed)
    publish(signed)
    head, files = cached(signed.root, "archive")
    assert "delta" in head["parts"]
    rel = f"guides/{GID}.json"
    record = signed.path(f"{ARCHIVE}/{rel}")
    flip(record, "受理".encode(), "受难".encode())
    part = cache_path(signed.root, "archive").with_suffix(".d") / "delta.json"
    delta = json.loads(part.read_bytes())
    st = record.stat()
    forged = [st.st_size, st.st_mtime_ns, st.st_ino, files[rel][3], st.st_ctime_ns]
    delta["f"].setdefault(shard_of(rel), {}).setdefault("files", {})[rel] = forged
    part.write_bytes(json.dumps(delta).encode())
    run = invoke("publish", str(signed.root))
    assert run.exit_code == 1
    assert f"{rel}（被改动）" in run.stderr, run.stderr


def test_another_channels_deliveries_are_not_read_again_where_a_channel_is_signed(
    signed: Library,  # noqa: F811
) -> None:
    """What a channel shows is read again for the guides with events since its last signature:
    events of that channel or of none (an approval). Another channel's deliveries (after a
    first publish, every guide has some) change nothing it shows, so its state is kept as is;
    a change approved since is read again, and a whole read gives the same."""
    ledger = open_ledger(signed.root)
    try:
        now = dt.datetime.now(dt.UTC)
        last = shown_since(ledger, "archive", None)
        with ledger.session() as session:
            ledger.log(session, EventKind.DELIVERED, "test", at=now, guide_id=GID, channel="site")
            session.commit()
        assert shown_since(ledger, "archive", last) is last
        with ledger.session() as session:
            ledger.log(session, EventKind.APPROVED, "test", at=now, guide_id=GID, version=1)
            session.commit()
        again = shown_since(ledger, "archive", last)
        assert again.changes(last) == {GID}
        assert dict(again.guides) == shown_guides(ledger, "archive")
    finally:
        ledger.close()
