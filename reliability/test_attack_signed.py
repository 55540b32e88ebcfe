"""Attacks from inside the service centre on the signed record (issue 16, reproductions 1 and 5):
someone who can write to a channel's folder plants or replaces files and waits for the next
publish to sign them, or swaps a printed sheet (and its entry in the pdf channel's manifest)
for the kiosk or the printer channel to print. Each attack must fail: nothing tampered is signed,
nothing swapped is printed (a real CUPS scheduler, tests/cups_server.py, prints to files: nothing
may appear there), and staff are told (`guides publish` and `guides status` exit 1)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from guidesrc.adapters.pdf_manifest import Manifest
from guidesrc.errors import SheetProblem
from guidesrc.kiosk.server import Kiosk
from guidesrc.ledger import open_ledger
from guidesrc.manifest_shards import read_manifest
from guidesrc.print.bundle import Bundle
from guidesrc.print.queue import Queue
from tests.conftest import GUIDE, Library, Run, invoke
from tests.cups_server import Cups, cups  # noqa: F401  (the fixture)

pytestmark = pytest.mark.section("Attacks from inside the service centre")

CHANGED = "jiehun-dengji"  # the guide an editor changes and an approver approves
VICTIM = "chusheng-dengji"  # a guide whose published page the attacker replaces
PHISHING = "<html><body>请扫码缴纳加急费：https://pay.example.net/</body></html>".encode()
CHANNELS = """channels:
  archive:
    type: directory
    settings: {path: .guides/published}
  site:
    type: site
    settings: {path: .guides/site}
  hotline:
    type: hotline
    settings: {path: .guides/hotline}
"""
GID = "jumin-shenfenzheng-huanling"  # served at window A03 (guides init)
PDF_CHANNEL = "  print:\n    type: pdf\n    settings:\n      path: .guides/print\n"
_queues = iter(range(1, 10**6))


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GUIDES_SIGNING_KEY", "GUIDES_SIGNING_KEY_FILE", "GUIDES_USER"):
        monkeypatch.delenv(name, raising=False)


def cli(*args: str) -> Run:
    run = invoke(*args)
    assert run.exit_code == 0, run.stdout + run.stderr
    return run


def approve(lib: Library, note: str) -> None:
    cli("approve", str(lib.root), "--effective", "today", "--note", note)


@pytest.fixture
def hall(example: Library, database: str) -> Library:
    """The example library on a directory, a site and a hotline channel, signed and published."""
    text = example.read("library.yaml")
    start, end = text.index("channels:"), text.index("rules: {}")
    example.write("library.yaml", text[:start] + CHANNELS + text[end:])
    cli("keys", "init", "--library", str(example.root))
    approve(example, "首次发布")
    cli("publish", str(example.root))
    return example


def signed_files(folder: Path) -> dict[str, Any]:
    files: dict[str, Any] = read_manifest(folder.resolve())["files"]  # the top file and its shards
    return files


def change_a_guide(lib: Library) -> None:
    guide = f"guides/{CHANGED}.yaml"
    lib.edit(guide, "未自备的可在登记处现场拍摄", "未自备的可在登记处免费拍摄")
    approve(lib, "承诺时限调整")


def refused(run: Run, channel: str) -> bool:
    return run.exit_code == 1 and f"{channel}：未签名" in run.stderr


def test_a_planted_page_is_not_signed_by_the_next_publish(hall: Library, figures: Any) -> None:
    site = hall.path(".guides/site").resolve()
    archive = hall.path(".guides/published")
    (site / "guides" / "pay.html").write_bytes(PHISHING)
    (archive / "guides" / "pay.json").write_bytes(PHISHING)
    change_a_guide(hall)  # the next publish delivers an unrelated guide to both channels
    run = invoke("publish", str(hall.root))
    signed = 0
    for channel, folder, rel in (("site", ".guides/site", "guides/pay.html"),
                                 ("archive", ".guides/published", "guides/pay.json")):  # fmt: skip
        out = hall.path(folder).resolve()
        signed += rel in signed_files(out) if (out / rel).exists() else 0
        assert refused(run, channel) or not (out / rel).exists(), run.stderr
    assert "guides/pay.json（多出的文件）" in run.stderr
    status = invoke("status", str(hall.root))
    assert status.exit_code == 1 and "archive：未签名" in status.stderr
    assert "guides publish --rebuild archive" in status.stderr
    verify = invoke("verify", str(hall.root))
    assert verify.exit_code == 1 and "guides/pay.json" in verify.stdout
    figures.add("planted page in a channel folder signed by the next publish", signed, "0")
    assert signed == 0


def test_a_replaced_page_is_not_signed_by_the_next_publish(hall: Library, figures: Any) -> None:
    # An edit in place (same inode) in a folder that did not change: the next publish keeps
    # the signed SHA-256 of the file (it is never signed as it is now); `guides verify` finds it.
    site = hall.path(".guides/site").resolve()
    page = site / "guides" / f"{VICTIM}.html"
    page.write_bytes(page.read_bytes().replace("出生".encode(), "死亡".encode()))
    record = hall.path(f".guides/published/guides/{VICTIM}.json")
    record.write_bytes(record.read_bytes().replace("出生".encode(), "死亡".encode()))
    tampered = {hashlib.sha256(p.read_bytes()).hexdigest() for p in (page, record)}
    change_a_guide(hall)
    invoke("publish", str(hall.root))
    listed = [
        entry["sha256"]
        for folder in (".guides/site", ".guides/published")
        for entry in signed_files(hall.path(folder).resolve()).values()
    ]
    signed = sum(digest in tampered for digest in listed)
    verify = invoke("verify", str(hall.root))
    assert verify.exit_code == 1
    assert f"guides/{VICTIM}.html" in verify.stdout and f"guides/{VICTIM}.json" in verify.stdout
    figures.add("replaced page signed by the next publish", signed, "0")
    assert signed == 0


def test_a_page_replaced_by_a_rename_is_found_by_the_next_publish(
    hall: Library, figures: Any
) -> None:
    # Replaced by a rename (a new inode, the folder changes), as editors and `mv` save a file.
    record = hall.path(f".guides/published/guides/{VICTIM}.json")
    forged = record.with_name(".forged")
    forged.write_bytes(record.read_bytes().replace("出生".encode(), "死亡".encode()))
    forged.replace(record)
    tampered = hashlib.sha256(record.read_bytes()).hexdigest()
    change_a_guide(hall)
    run = invoke("publish", str(hall.root))
    assert refused(run, "archive"), run.stderr
    assert f"guides/{VICTIM}.json（被改动）" in run.stderr
    listed = signed_files(hall.path(".guides/published").resolve()).values()
    signed = sum(entry["sha256"] == tampered for entry in listed)
    figures.add("page replaced by a rename signed by the next publish", signed, "0")
    assert signed == 0


@pytest.mark.parametrize("which", ["a shard's csv", "the index"])
def test_an_idle_publish_does_not_sign_an_edited_hotline_csv_after_the_manifest_is_deleted(
    hall: Library, figures: Any, which: str
) -> None:
    # The knowledge items are in one CSV per shard (items/<hh>.csv), the index that names their
    # hashes at the top. An edit in place of a shard's CSV, in a folder that did not change, is
    # never signed as it is (the signed SHA-256 stays) and `guides verify` finds it; the index is
    # a file of the top folder, checked by its status: the channel is refused, nothing signed.
    folder = hall.path(".guides/hotline")
    if which == "the index":
        edited_file = folder / "index.json"
        fake = b" "
    else:
        edited_file = sorted(folder.glob("items/*.csv"))[0]
        fake = "guide:pay,缴费,加急办理,请拨打 400-000-0000 缴纳加急费,,,,,1,2026-12-01,现行,,\n".encode()
    edited_file.write_bytes(edited_file.read_bytes() + fake)
    edited = hashlib.sha256(edited_file.read_bytes()).hexdigest()
    for name in ("guides-manifest.json", "guides-manifest.json.sig"):
        (folder / name).unlink()
    run = invoke("publish", str(hall.root))  # a cron run: nothing due
    assert "本次：已送达 0 次" in run.stderr, run.stderr
    manifest = folder / "guides-manifest.json"
    signed = manifest.exists() and any(e["sha256"] == edited for e in signed_files(folder).values())
    if which == "the index":
        assert refused(run, "hotline"), run.stderr
        assert not manifest.exists()  # the previous signature stays missing: nothing is signed
        assert invoke("status", str(hall.root)).exit_code == 1
    else:
        verify = invoke("verify", str(hall.root))
        assert verify.exit_code == 1
        assert f"items/{edited_file.name}" in verify.stdout, verify.stdout
    figures.add(f"edited hotline {which} signed by an idle publish after deleting the manifest",
                int(signed), "0")  # fmt: skip
    assert not signed


@pytest.mark.parametrize("how", ["in place", "by a rename"])
def test_an_edited_export_state_file_is_not_built_on(hall: Library, figures: Any, how: str) -> None:
    # The hotline export's own state, in its folder: a part of its manifest, what the next run
    # would build a shard's cards from. Edited, it holds the channel (no delivery builds on it)
    # and stops its signing.
    folder = hall.path(".guides/hotline")
    state = sorted(folder.glob("_state/hotline-??.*.json"))[0]
    body = json.loads(state.read_bytes())
    gid = sorted(body["guides"])[0]
    body["guides"][gid]["current"]["data"]["title"] = "请拨打 400-000-0000 缴纳加急费"
    data = json.dumps(body, ensure_ascii=False).encode()
    if how == "in place":
        state.write_bytes(data)
    else:
        (folder / ".forged").write_bytes(data)
        (folder / ".forged").replace(state)
    edited = hashlib.sha256(data).hexdigest()
    change_a_guide(hall)
    run = invoke("publish", str(hall.root))
    assert refused(run, "hotline"), run.stderr
    assert f"_state/{state.name}（被改动）" in run.stderr
    assert "jiehun-dengji v2\thotline" not in run.stdout  # held: nothing delivered there
    assert all("400-000-0000" not in p.read_text("utf-8") for p in folder.glob("json/*.json"))
    built_on = hashlib.sha256(state.read_bytes()).hexdigest() != edited
    signed = sum(e["sha256"] == edited for e in signed_files(folder).values())
    assert invoke("status", str(hall.root)).exit_code == 1
    figures.add(f"export state file edited {how}, built on or signed by the next publish",
                int(built_on) + signed, "0")  # fmt: skip
    assert not built_on and signed == 0


def test_a_planted_htaccess_is_flagged_and_never_signed(hall: Library, figures: Any) -> None:
    site = hall.path(".guides/site").resolve()
    (site / ".htaccess").write_text("Redirect 302 / https://pay.example.net/\n")
    (site / ".well-known").mkdir()
    (site / ".well-known" / "pay.html").write_bytes(PHISHING)
    verify = invoke("verify", str(hall.root))
    assert verify.exit_code == 1
    assert ".guides/site/.htaccess" in verify.stdout
    assert ".guides/site/.well-known/pay.html" in verify.stdout
    change_a_guide(hall)
    run = invoke("publish", str(hall.root))
    assert refused(run, "site"), run.stderr
    listed = signed_files(site)
    signed = (".htaccess" in listed) + (".well-known/pay.html" in listed)
    figures.add("hidden files (.htaccess, .well-known/) signed by the next publish", signed, "0")
    assert signed == 0
    # The operator's way out: rewrite the channel from the ledger; then it verifies clean.
    rebuilt = invoke("publish", str(hall.root), "--rebuild", "site")
    assert rebuilt.exit_code == 0, rebuilt.stdout + rebuilt.stderr
    assert "site：已按台账重写" in rebuilt.stderr
    assert not (hall.path(".guides/site").resolve() / ".htaccess").exists()
    assert invoke("verify", str(hall.root)).exit_code == 0
    assert invoke("status", str(hall.root)).exit_code == 0
    ledger = open_ledger(hall.root)
    try:
        from guidesrc.signing_alerts import alerts

        assert alerts(ledger, ["archive", "site", "hotline"]) == []
    finally:
        ledger.close()


# --- printing: a swapped PDF, its hash written into the pdf channel's manifest too ---


def swap_sheet(lib: Library) -> bytes:
    """Replace the published sheet by another PDF and write its hash into the channel's manifest
    (its part, and the top file naming the new part), as an attacker with write access to the pdf
    channel's folder would."""
    folder = lib.path(".guides/print")
    sheet = folder / "current" / f"{GID}.pdf"
    forged = sheet.read_bytes().replace(b"%%EOF", b"% forged\n%%EOF")
    sheet.write_bytes(forged)
    manifest = Manifest.load(folder)  # the part that holds the guide, and the top naming it
    entry = manifest.guides[GID]
    entry["current"] = {**entry["current"], "sha256": hashlib.sha256(forged).hexdigest()}
    manifest.guides[GID] = entry
    manifest.save(folder)
    return forged


@pytest.fixture
def printed(library: Library, database: str) -> Library:
    """The `guides init` library on a signed pdf channel, published."""
    library.edit("library.yaml", "rules: {}", PDF_CHANNEL + "rules: {}")
    cli("keys", "init", "--library", str(library.root))
    cli(
        "approve",
        str(library.root),
        "--effective",
        "today",
        "--note",
        "首次发布",
    )
    cli("publish", str(library.root))
    return library


def test_the_kiosk_does_not_print_a_swapped_pdf(
    printed: Library,
    cups: Cups,  # noqa: F811
    figures: Any,
) -> None:
    queue = f"kiosk-{next(_queues)}"
    output = cups.add_queue(queue)
    swap_sheet(printed)
    ledger = open_ledger(printed.root)
    kiosk = Kiosk(
        bundle=Bundle(printed.path(".guides/print"), printed.root, "print"),
        queue=Queue(queue, cups.server),
        ledger=ledger,
        base_url="https://zwfw.example.gov.cn/guides",
        timezone="Asia/Shanghai",
    )
    try:
        entry = kiosk.catalog.entries[GID]
        with pytest.raises(SheetProblem, match="SHA-256 与签名清单所列不符"):
            kiosk.start_print(entry)
    finally:
        ledger.close()
    jobs = len(kiosk.jobs) + output.exists()
    status = invoke("status", str(printed.root))
    assert status.exit_code == 1
    assert f"kiosk:{queue}：已拒绝打印：未打印 current/{GID}.pdf" in status.stderr
    figures.add("swapped PDF printed by the kiosk", jobs, "0")
    assert jobs == 0


def test_the_printer_channel_does_not_print_a_swapped_pdf(
    printed: Library,
    cups: Cups,  # noqa: F811
    figures: Any,
) -> None:
    queue = f"window-{next(_queues)}"
    output = cups.add_queue(queue)
    swap_sheet(printed)
    printers = (
        "  printers:\n    type: printer\n    settings:\n      source: print\n"
        f"      server: '{cups.server}'\n      wait: 120\n"
        f"      queues:\n        zhongxin-dating/a-03: {queue}\n"
    )
    printed.edit("library.yaml", "rules: {}", printers + "rules: {}")
    cli("approve", str(printed.root), "--effective", "today", "--note", "窗口打印机")
    run = invoke("publish", str(printed.root), "--wait")
    assert run.exit_code == 1
    assert f"未打印 current/{GID}.pdf：其 SHA-256 与签名清单所列不符" in run.stdout
    jobs = int(output.exists())
    assert invoke("status", str(printed.root)).exit_code == 1
    figures.add("swapped PDF sent to the printer queue", jobs, "0")
    assert jobs == 0
    # Put back by the operator (rewritten from the ledger): the sheet prints.
    cli("publish", str(printed.root), "--rebuild", "print")
    cli("publish", str(printed.root), "--retry-now", "--wait")
    assert output.read_bytes() == printed.path(f".guides/print/current/{GID}.pdf").read_bytes()
    assert Path(output).stat().st_size > 0


def test_the_kiosk_does_not_print_an_older_signed_sheet_put_back(
    printed: Library,
    cups: Cups,  # noqa: F811
    figures: Any,
) -> None:
    """Version 1's sheet and its genuinely signed manifest, put back after version 2 was
    published: every signature verifies, but it is not what the ledger signed last."""
    folder = printed.path(".guides/print")
    saved = {
        p.relative_to(folder): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file()
        and (
            p.name.startswith(("guides-manifest", "manifest"))
            or GID in p.name
            or p.parent.name == "guides-manifest.d"  # the old manifest's shards too
            or p.parent.name == "_state"  # the pdf channel's own manifest's parts and runs
        )
    }
    printed.edit(GUIDE, "name: 居民身份证换领", "name: 居民身份证换领（新版）")
    cli("approve", str(printed.root), "--effective", "today", "--note", "第二版")
    cli("publish", str(printed.root))
    for rel, data in saved.items():
        (folder / rel).write_bytes(data)
    queue = f"kiosk-{next(_queues)}"
    output = cups.add_queue(queue)
    ledger = open_ledger(printed.root)
    kiosk = Kiosk(
        bundle=Bundle(folder, printed.root, "print"),
        queue=Queue(queue, cups.server),
        ledger=ledger,
        base_url="https://zwfw.example.gov.cn/guides",
        timezone="Asia/Shanghai",
    )
    try:
        with pytest.raises(SheetProblem, match="不是台账记录的最新一份"):
            kiosk.start_print(kiosk.catalog.entries[GID])
    finally:
        ledger.close()
    jobs = len(kiosk.jobs) + output.exists()
    figures.add("older signed sheet put back, printed by the kiosk", jobs, "0")
    assert jobs == 0


def test_a_forged_hash_cache_does_not_hide_a_replaced_record(hall: Library, figures: Any) -> None:
    """The attacker replaces a record and edits the publisher's hash cache (.guides/cache, the
    part that holds the record's entry) so that it gives the new file's size, times and inode
    with the old hash: a publish that trusted the cache would take the record for the signed one
    and sign without a word."""
    record = hall.path(f".guides/published/guides/{VICTIM}.json")
    record.write_bytes(record.read_bytes().replace("出生".encode(), "死亡".encode()))
    rel = f"guides/{VICTIM}.json"
    parts = hall.path(".guides/cache/manifest-archive.d")
    cache_file = next(p for p in parts.glob("f-*.json") if rel in p.read_text(encoding="utf-8"))
    cache = json.loads(cache_file.read_bytes())
    entry = cache["files"][rel]
    st = record.stat()
    entry[:3], entry[4] = [st.st_size, st.st_mtime_ns, st.st_ino], st.st_ctime_ns
    cache_file.write_text(json.dumps(cache, ensure_ascii=False), encoding="utf-8")
    run = invoke("publish", str(hall.root))  # a cron run: nothing due
    hidden = int(not refused(run, "archive"))
    assert f"guides/{VICTIM}.json（被改动）" in run.stderr, run.stderr
    figures.add("replaced record hidden from the publish by a forged hash cache", hidden, "0")
    assert hidden == 0
