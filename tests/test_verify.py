"""Signed manifests, `guides keys` and `guides verify`: every tampering is detected and named.

Real files, a real ledger (SQLite and PostgreSQL: the ``database`` fixture), a real web server on
127.0.0.1 for ``--url`` (the standard library's, serving the site's folder) and the push
contract's receiver from ``tests/test_push.py`` for the http channel. The commands auditors are
told to run (docs/verify.md) run here with Debian's openssl.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from guidesrc.channel_audit import store_signed
from guidesrc.ledger import open_ledger
from guidesrc.manifest import MANIFEST, cache_path, hash_folder, record_pairs, write_manifest
from guidesrc.manifest_shards import (
    manifest_bytes,
    read_manifest,
    shard_bodies,
    shard_file,
    shard_of,
)
from guidesrc.signing import SigningKey, public_keys, signing_key
from tests.conftest import REPO, Library, Run, invoke
from tests.test_push import SECRET, SECRET_ENV, Receiver, _serve, allow_hall

GID = "jumin-shenfenzheng-huanling"
GUIDE = f"guides/{GID}.yaml"
DOC = REPO / "docs" / "verify.md"

FILE_CHANNELS = """channels:
  archive:
    type: directory
    settings:
      path: .guides/published
  site:
    type: site
    settings:
      path: .guides/site
  app:
    type: mobile
    settings:
      path: .guides/mobile
"""
PRINT_CHANNEL = """  print:
    type: pdf
    settings:
      path: .guides/print
"""


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    for name in ("GUIDES_SIGNING_KEY", "GUIDES_SIGNING_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(SECRET_ENV, SECRET)


def _channels(lib: Library, extra: str = "") -> None:
    text = lib.read("library.yaml")
    start, end = text.index("channels:"), text.index("rules: {}")
    lib.write("library.yaml", text[:start] + FILE_CHANNELS + extra + text[end:])


def approve(lib: Library, note: str = "首次发布", effective: str = "today") -> None:
    run = invoke("approve", str(lib.root), "--effective", effective, "--note", note)
    assert run.exit_code == 0, run.stderr


def publish(lib: Library) -> Run:
    run = invoke("publish", str(lib.root))
    assert run.exit_code == 0, run.stdout + run.stderr
    return run


def verify(lib: Library, *args: str) -> Run:
    return invoke("verify", str(lib.root), *args)


def change_guide(lib: Library) -> None:
    lib.edit(GUIDE, "promised_time_limit: {value: 20", "promised_time_limit: {value: 10")
    approve(lib, "压缩时限")


@pytest.fixture
def signed(library: Library, database: str) -> Library:
    """The `guides init` library with a directory, a site and a mobile channel, a key pair, its
    guide approved and published."""
    _channels(library)
    assert invoke("keys", "init", "--library", str(library.root)).exit_code == 0
    approve(library)
    publish(library)
    return library


def findings(run: Run) -> list[str]:
    """``kind where`` of each finding line (``where: label: message [kind]``)."""
    found = []
    for line in run.stdout.splitlines():
        match = re.fullmatch(r"(.+?): [^:]+: .* \[(\w+)\]", line)
        assert match, line
        found.append(f"{match[2]} {match[1]}")
    return found


def flip(path: Path, old: bytes, new: bytes) -> None:
    """Change one character (the first ``old``) of a published file in place."""
    data = path.read_bytes()
    assert old in data, f"{old!r} not in {path}"
    path.write_bytes(data.replace(old, new, 1))


# --- a clean publish --------------------------------------------------------------------------


def test_verify_a_clean_publish_is_exit_0_and_every_manifest_is_signed(signed: Library) -> None:
    run = verify(signed)
    assert run.exit_code == 0, run.stdout + run.stderr
    assert run.stdout == ""
    assert "archive：与签名清单和台账一致（1 项指南，2 个文件）" in run.stderr
    assert "app：与签名清单和台账一致（1 项指南，" in run.stderr
    assert "site：与签名清单和台账一致（1 项指南，" in run.stderr
    (kid,) = public_keys(signed.root)
    for folder in (".guides/published", ".guides/site", ".guides/mobile"):
        out = signed.path(folder)
        body = read_manifest(out.resolve())
        assert body["format"] == 3 and body["shards"]  # a signed top file and its shards
        assert body["key"] == kid
        assert body["channel"] in ("archive", "site", "app")
        assert body["guides"][GID]["state"] == "current"
        assert body["guides"][GID]["version"] == 1
        assert (out / "guides-public-key.pem").read_bytes() == signed.path(
            f"keys/{kid}.pub.pem"
        ).read_bytes()
    site = read_manifest(signed.path(".guides/site").resolve())
    assert f"guides/{GID}.html" in site["files"]
    # Every file is listed, the site's own state too (a file nobody signed is a finding).
    assert "_state/manifest.json" in site["files"]
    assert not [p for p in site["files"] if p.startswith(".") or "/." in p]
    report = json.loads(verify(signed, "--format", "json").stdout)
    assert report["ok"] is True
    assert {c["channel"]: c["findings"] for c in report["channels"]} == {
        "archive": [],
        "site": [],
        "app": [],
        "approvals": [],  # every recorded approval, against approvers.yaml
    }


def test_the_private_key_is_0600_and_keys_init_twice_is_refused(signed: Library) -> None:
    key = signed.path(".guides/signing-key.pem")
    assert key.stat().st_mode & 0o777 == 0o600
    before = key.read_bytes()
    run = invoke("keys", "init", "--library", str(signed.root))
    assert run.exit_code == 2
    assert run.stderr == (
        f"错误：{key} 已存在：密钥对已经生成。如需更换（密钥轮换），请运行 guides keys init --force\n"
    )
    assert key.read_bytes() == before


def test_rotation_retires_the_old_key_and_old_manifests_still_verify(signed: Library) -> None:
    (old,) = public_keys(signed.root)
    run = invoke("keys", "init", "--library", str(signed.root), "--force")
    assert run.exit_code == 0, run.stderr
    keys = public_keys(signed.root)
    (new,) = set(keys) - {old}
    assert keys[old].retired is not None and keys[new].retired is None
    # The manifests on disk were signed by the old key before it was retired: still valid.
    assert verify(signed).exit_code == 0
    # The next run signs them again with the new key, even with nothing to deliver.
    publish(signed)
    body = json.loads(signed.path(".guides/site/guides-manifest.json").read_bytes())
    assert body["key"] == new
    assert verify(signed).exit_code == 0


def test_a_retired_key_that_still_signs_is_a_signature_finding(
    signed: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_pem = signed.path(".guides/signing-key.pem").read_text()
    assert invoke("keys", "init", "--library", str(signed.root), "--force").exit_code == 0
    monkeypatch.setenv("GUIDES_SIGNING_KEY", old_pem)  # a server still set to the old key
    change_guide(signed)
    publish(signed)
    run = verify(signed, "--channel", "archive")
    assert run.exit_code == 1
    assert findings(run) == ["signature .guides/published/guides-manifest.json.sig"]
    assert "之后签名" in run.stdout


# --- tampering, each detected and named --------------------------------------------------------


def test_one_character_changed_in_a_site_page_is_modified(signed: Library) -> None:
    flip(signed.path(f".guides/site/guides/{GID}.html"), "受理条件".encode(), "受理条伴".encode())
    run = verify(signed)
    assert run.exit_code == 1
    assert findings(run) == [f"modified .guides/site/guides/{GID}.html"]
    assert run.stdout.startswith(
        f".guides/site/guides/{GID}.html: 被修改: 内容与签名清单不符（SHA-256 "
    )
    (site,) = [c for c in json.loads(verify(signed, "--format", "json").stdout)["channels"]
               if c["channel"] == "site"]  # fmt: skip
    assert site["findings"][0]["guide"] == GID
    assert site["findings"][0]["path"] == f"guides/{GID}.html"


@pytest.mark.parametrize(
    "rel", [f".guides/published/guides/{GID}.json", f".guides/mobile/guides/{GID}.json"]
)
def test_one_character_changed_in_a_json_document_is_modified(signed: Library, rel: str) -> None:
    flip(signed.path(rel), "身份证".encode(), "身份正".encode())
    run = verify(signed)
    assert run.exit_code == 1
    assert findings(run) == [f"modified {rel}"]


def test_one_character_changed_in_the_manifest_is_a_signature_finding(signed: Library) -> None:
    flip(signed.path(".guides/site/guides-manifest.json"), b'"Ed25519"', b'"Ed25518"')
    run = verify(signed)
    assert run.exit_code == 1
    found = findings(run)
    assert found[0] == "signature .guides/site/guides-manifest.json.sig"
    assert "签名与清单不符：清单在签名后被改动，或者不是用密钥" in run.stdout
    assert found[1:] == []  # its shards are still the ones it named


# --- the manifest's shards ----------------------------------------------------------------------


def _shard(out: Path, key: str) -> Path:
    """The shard file that lists the guide id or path ``key``, as the folder's top file names it."""
    top = json.loads((out / "guides-manifest.json").read_bytes())
    return out / shard_file(shard_of(key), top["shards"][shard_of(key)])


def test_a_changed_missing_or_added_manifest_shard_is_found(signed: Library) -> None:
    out = signed.path(".guides/site").resolve()
    shard = _shard(out, f"guides/{GID}.html")
    rel = shard.relative_to(out).as_posix()
    flip(shard, b'"size":', b'"size": ')  # one space: still valid JSON, another hash
    run = verify(signed, "--channel", "site")
    assert run.exit_code == 1
    assert findings(run)[0] == f"modified .guides/site/{rel}"
    assert "分片的 SHA-256 与签名清单给出的不同" in run.stdout
    shard.unlink()
    planted = out / "guides-manifest.d/00.0000000000000000.json"
    planted.write_bytes(b'{"files":{}}')
    found = findings(verify(signed, "--channel", "site"))
    assert f"missing .guides/site/{rel}" in found
    assert f"unexpected .guides/site/guides/{GID}.html" in found  # no signed shard lists it
    assert "unexpected .guides/site/guides-manifest.d/00.0000000000000000.json" in found
    publish(signed)  # the next publish signs the folder again: every shard written, the plant gone
    assert verify(signed, "--channel", "site").exit_code == 0
    assert not planted.exists()


def test_an_older_shard_put_back_is_found(signed: Library) -> None:
    """A shard from an earlier publish (genuinely signed once) is not the one the newest top
    file names: under the new name it is modified, under its own an extra file."""
    out = signed.path(".guides/published").resolve()
    old = _shard(out, GID)
    old_rel, old_data = old.relative_to(out).as_posix(), old.read_bytes()
    change_guide(signed)
    publish(signed)
    new = _shard(out, GID)
    assert new != old and not old.exists()  # named by its content; the old one removed
    new.write_bytes(old_data)
    found = findings(verify(signed, "--channel", "archive"))
    assert f"modified .guides/published/{new.relative_to(out).as_posix()}" in found
    publish(signed)
    assert verify(signed, "--channel", "archive").exit_code == 0
    old.write_bytes(old_data)
    found = findings(verify(signed, "--channel", "archive"))
    assert found == [f"unexpected .guides/published/{old_rel}"]


def test_a_manifest_in_one_file_is_taken_over_by_the_next_publish(signed: Library) -> None:
    """A folder signed before manifests were sharded (format 2: one file listing everything)
    still verifies, and the next publish, even with nothing to deliver, replaces it by a
    sharded one."""
    out = signed.path(".guides/published").resolve()
    body = read_manifest(out)
    header = {k: body[k] for k in ("channel", "library", "created_at", "key", "algorithm")}
    data = manifest_bytes(
        {"format": 2, **header}, {"guides": body["guides"], "files": body["files"]}
    )
    key = signing_key(signed.root)
    assert key is not None
    shutil.rmtree(out / "guides-manifest.d")
    (out / "guides-manifest.json").write_bytes(data)
    (out / "guides-manifest.json.sig").write_bytes(key.sign(data))
    ledger = open_ledger(signed.root)
    try:  # what a publish of format 2 recorded
        now = dt.datetime.now(dt.UTC)
        with ledger.engine.begin() as conn:
            pairs = [("guides-manifest.json", hashlib_sha256(data))]
            record_pairs(conn, "archive", pairs, now)
            store_signed(conn, "archive", data, now)
    finally:
        ledger.close()
    cache_path(signed.root, "archive").unlink()
    assert verify(signed, "--channel", "archive").exit_code == 0
    run = publish(signed)
    assert run.exit_code == 0, run.stdout + run.stderr
    top = json.loads((out / "guides-manifest.json").read_bytes())
    assert top["format"] == 3 and "files" not in top and "guides" not in top
    assert read_manifest(out)["files"] == body["files"]
    assert verify(signed, "--channel", "archive").exit_code == 0


def test_a_deleted_page_is_missing_and_an_added_page_is_unexpected(signed: Library) -> None:
    signed.path(f".guides/site/guides/{GID}.html").unlink()
    signed.path(".guides/site/guides/fake.html").write_text("<h1>假指南</h1>", encoding="utf-8")
    run = verify(signed)
    assert run.exit_code == 1
    assert findings(run) == [
        "unexpected .guides/site/guides/fake.html",
        f"missing .guides/site/guides/{GID}.html",
    ]
    assert "清单中列出，但不存在" in run.stdout
    assert "清单未列出的文件" in run.stdout


def test_an_older_page_put_back_is_stale(signed: Library) -> None:
    page = signed.path(f".guides/site/guides/{GID}.html")
    doc = signed.path(f".guides/published/guides/{GID}.json")
    old_page, old_doc = page.read_bytes(), doc.read_bytes()
    change_guide(signed)
    publish(signed)
    assert verify(signed).exit_code == 0
    page.write_bytes(old_page)
    doc.write_bytes(old_doc)
    run = verify(signed)
    assert run.exit_code == 1
    assert findings(run) == [
        f"stale .guides/published/guides/{GID}.json",
        f"stale .guides/site/guides/{GID}.html",
    ]
    assert "该文件的早先版本（发布于 " in run.stdout


def test_an_older_manifest_put_back_is_stale(signed: Library) -> None:
    out = signed.path(".guides/published")
    names = ["guides-manifest.json", "guides-manifest.json.sig"]
    names += [p.relative_to(out).as_posix() for p in (out / "guides-manifest.d").iterdir()]
    saved = {n: (out / n).read_bytes() for n in names}
    saved[f"guides/{GID}.json"] = (out / f"guides/{GID}.json").read_bytes()
    saved["index.json"] = (out / "index.json").read_bytes()
    change_guide(signed)
    publish(signed)
    shutil.rmtree(out / "guides-manifest.d")
    (out / "guides-manifest.d").mkdir()
    for name, data in saved.items():  # the whole folder as it was: a valid, signed, old state
        (out / name).write_bytes(data)
    run = verify(signed, "--channel", "archive")
    assert run.exit_code == 1
    assert findings(run) == [
        "stale .guides/published/guides-manifest.json",
        "stale .guides/published/guides-manifest.json",
    ]
    assert f"指南 {GID}：显示第 1 版（现行" in run.stdout
    assert "台账为第 2 版（现行" in run.stdout


def test_a_forged_signature_is_named(signed: Library) -> None:
    out = signed.path(".guides/site")
    other = Ed25519PrivateKey.generate()
    data = (out / "guides-manifest.json").read_bytes()
    (out / "guides-manifest.json.sig").write_bytes(base64.b64encode(other.sign(data)) + b"\n")
    run = verify(signed, "--channel", "site")
    assert run.exit_code == 1
    assert findings(run) == ["signature .guides/site/guides-manifest.json.sig"]


def test_a_forged_manifest_signed_with_another_key_is_named(signed: Library) -> None:
    """The attacker changes a page, lists its new hash, signs with a key of their own and puts
    that key's public half beside it: the library's keys/ decide, not the folder."""
    out = signed.path(".guides/site")
    page = out / f"guides/{GID}.html"
    flip(page, "受理条件".encode(), "受理条伴".encode())
    body = read_manifest(out.resolve())  # rewritten as one file (format 2), no shards
    body["files"][f"guides/{GID}.html"]["sha256"] = hashlib_sha256(page.read_bytes())
    forger = SigningKey(Ed25519PrivateKey.generate(), "forger")
    body["key"] = forger.id
    body["format"] = 2
    del body["shards"]
    shutil.rmtree(out / "guides-manifest.d")
    data = json.dumps(body, ensure_ascii=False).encode()
    (out / "guides-manifest.json").write_bytes(data)
    (out / "guides-manifest.json.sig").write_bytes(forger.sign(data))
    (out / "guides-public-key.pem").write_bytes(forger.public_pem)
    run = verify(signed, "--channel", "site")
    assert run.exit_code == 1
    assert findings(run) == ["signature .guides/site/guides-manifest.json.sig"]
    assert f"用密钥 {forger.id} 签名，但它不是本资料库的密钥（keys/）" in run.stdout


def hashlib_sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def signed_print(library: Library) -> Path:
    """The library on a signed pdf channel, approved, published and verified: its folder."""
    _channels(library, PRINT_CHANNEL)
    assert invoke("keys", "init", "--library", str(library.root)).exit_code == 0
    approve(library)
    publish(library)
    assert verify(library, "--channel", "print").exit_code == 0
    return library.path(".guides/print")


@pytest.mark.slow
def test_one_byte_changed_in_a_pdf_is_modified_and_the_footer_hash_is_in_the_manifest(
    library: Library, database: str
) -> None:
    out = signed_print(library)
    # A printout: the footer's short content hash is the guide's content hash in the manifest.
    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(out / f"current/{GID}.pdf").pages)
    signed_hash = read_manifest(out.resolve())["guides"][GID]
    short = signed_hash["content_hash"][:12]
    assert short in re.findall(r"[0-9a-f]{12}", text)  # printed in the footer
    grep = subprocess.run(  # as docs/verify.md says: in the shard files the top file names
        ["bash", "-c", f'grep -h \'"content_hash":"{short}\' guides-manifest.d/*.json'],
        cwd=out,
        capture_output=True,
        text=True,
        check=True,
    )
    assert grep.stdout.startswith(f'"{GID}":{{"content_hash":"{short}')
    assert '"state":"current","version":1}' in grep.stdout
    pdf = out / f"current/{GID}.pdf"
    data = bytearray(pdf.read_bytes())
    data[len(data) // 2] ^= 0x01
    pdf.write_bytes(bytes(data))
    run = verify(library, "--channel", "print")
    assert run.exit_code == 1
    assert findings(run) == [f"modified .guides/print/current/{GID}.pdf"]


@pytest.mark.slow
def test_a_changed_removed_or_added_reprint_batch_is_named(library: Library, database: str) -> None:
    out = signed_print(library)
    [batch] = sorted((out / "batches").glob("*.pdf"))
    data = bytearray(batch.read_bytes())
    data[len(data) // 2] ^= 0x01
    batch.write_bytes(bytes(data))
    (out / "batches/extra.pdf").write_bytes(b"%PDF-1.7 forged")
    run = verify(library, "--channel", "print")
    assert run.exit_code == 1
    assert findings(run) == [
        f"modified .guides/print/batches/{batch.name}",
        "unexpected .guides/print/batches/extra.pdf",
    ]
    batch.unlink()
    run = verify(library, "--channel", "print")
    assert f"missing .guides/print/batches/{batch.name}" in findings(run)


# --- over HTTP ----------------------------------------------------------------------------------


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def web_server(folder: Path) -> Iterator[str]:
    """The folder served by the standard library's web server on 127.0.0.1."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/guides"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_verify_url_fetches_the_site_and_names_a_changed_page(
    signed: Library, tmp_path: Path
) -> None:
    public = tmp_path / "www"
    public.mkdir()
    (public / "guides").symlink_to(signed.path(".guides/site").resolve())
    with web_server(public) as url:
        run = verify(signed, "--channel", "site", "--url", f"site={url}/")
        assert run.exit_code == 0, run.stdout + run.stderr
        assert "通过 HTTP 只能取回清单列出的文件" in run.stderr
        flip(signed.path(f".guides/site/guides/{GID}.html"), "受理".encode(), "受难".encode())
        signed.path(".guides/site/feed.xml").unlink()
        run = verify(signed, "--url", f"site={url}", "--channel", "site")
    assert run.exit_code == 1
    assert findings(run) == [f"missing {url}/feed.xml", f"modified {url}/guides/{GID}.html"]


def test_verify_url_that_cannot_be_reached_is_exit_2(signed: Library) -> None:
    run = verify(signed, "--channel", "site", "--url", "site=http://127.0.0.1:9/guides")
    assert run.exit_code == 2
    assert findings(run) == ["error http://127.0.0.1:9/guides"]


# --- the http channel --------------------------------------------------------------------------


@pytest.fixture
def hall(
    library: Library,
    database: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Library, Receiver]]:
    allow_hall(monkeypatch, tmp_path_factory)
    for receiver in _serve(Receiver()):
        _channels(library)
        library.edit(
            "library.yaml",
            "rules: {}",
            "  hall:\n    type: http\n    settings:\n"
            f"      base: {receiver.base}\n      auth: hmac\n      secret_env: {SECRET_ENV}\n"
            "      max_attempts: 1\nrules: {}",
        )
        assert invoke("keys", "init", "--library", str(library.root)).exit_code == 0
        approve(library)
        publish(library)
        yield library, receiver


def test_an_http_receiver_that_lost_a_guide_or_holds_an_older_version(
    hall: tuple[Library, Receiver],
) -> None:
    lib, receiver = hall
    run = verify(lib, "--channel", "hall")
    assert run.exit_code == 0, run.stdout + run.stderr
    assert "推送接口无法列出接收方持有的内容" in run.stderr
    older = dict(receiver.held[GID]["current"])
    change_guide(lib)
    publish(lib)
    assert verify(lib, "--channel", "hall").exit_code == 0
    where = f"{receiver.base}/guides/{GID}"
    receiver.held[GID]["current"] = older  # the receiver restored a backup
    run = verify(lib, "--channel", "hall")
    assert run.exit_code == 1
    assert findings(run) == [f"stale {where}"]
    assert f"指南 {GID}：显示第 1 版（现行" in run.stdout
    del receiver.held[GID]  # the receiver lost it
    run = verify(lib, "--channel", "hall")
    assert findings(run) == [f"missing {where}"]
    assert f"指南 {GID}：接收方没有该指南；台账为第 2 版（现行" in run.stdout
    receiver.held[GID] = {
        "current": None,
        "upcoming": None,
        "withdrawn": {"version": 2, "reason": "误操作"},
    }
    assert findings(verify(lib, "--channel", "hall")) == [f"withdrawn {where}"]


# --- keys, ledger and the printer ----------------------------------------------------------------


def test_without_a_private_key_no_manifest_is_written_and_verify_says_so(
    library: Library, database: str
) -> None:
    _channels(library)
    approve(library)
    publish(library)  # publishing does not wait for a key
    run = invoke("keys", "status", "--library", str(library.root))
    assert run.exit_code == 1
    assert run.stderr.startswith("没有私钥：既没有 GUIDES_SIGNING_KEY，也没有 ")
    assert not list(library.path(".guides").rglob("guides-manifest.json*"))
    assert verify(library).stderr == (
        "错误：keys/ 中没有公钥，无法核验任何签名：请运行 guides keys init，然后运行 guides publish\n"
    )
    # A public key committed, but this machine has no private key: still nothing signed.
    assert invoke("keys", "init", "--library", str(library.root)).exit_code == 0
    library.path(".guides/signing-key.pem").unlink()
    publish(library)
    run = verify(library, "--channel", "archive")
    assert run.exit_code == 1
    assert run.stdout == (
        ".guides/published/guides-manifest.json: 缺失: 没有清单，无法核验该渠道的文件"
        "（guides publish 只在配置了签名密钥时写入清单：见 guides keys status） [missing]\n"
    )


def test_a_missing_private_key_file_is_named(
    signed: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = signed.path("secrets/nope.pem")
    monkeypatch.setenv("GUIDES_SIGNING_KEY_FILE", str(missing))
    run = invoke("keys", "status", "--library", str(signed.root))
    assert run.exit_code == 2
    assert run.stderr == f"错误：GUIDES_SIGNING_KEY_FILE 指向 {missing}，但该文件不存在\n"
    # Publishing goes on (the deliveries are made); the log records why no manifest was signed.
    change_guide(signed)
    publish(signed)
    log = invoke("log", str(signed.root), "--format", "json")
    failed = [e for e in json.loads(log.stdout) if e["kind"] == "manifest.failed"]
    assert {e["channel"] for e in failed} == {"archive", "site", "app"}
    assert "GUIDES_SIGNING_KEY_FILE 指向" in failed[0]["detail"]["error"]
    # …and verify names the manifests that no longer say what the ledger says.
    run = verify(signed, "--channel", "archive")
    assert run.exit_code == 1
    assert "modified .guides/published/index.json" in findings(run)
    assert "stale .guides/published/guides-manifest.json" in findings(run)


def test_verify_without_a_ledger_is_exit_2(library: Library) -> None:
    assert invoke("keys", "init", "--library", str(library.root)).exit_code == 0
    run = verify(library)
    assert run.exit_code == 2
    assert run.stderr.startswith("错误：没有台账 ")
    assert not library.path(".guides/ledger.sqlite").exists()


def test_the_printer_channel_has_nothing_to_read_back(signed: Library) -> None:
    signed.edit(
        "library.yaml",
        "rules: {}",
        "  printers:\n    type: printer\n    settings:\n      source: archive\nrules: {}",
    )
    run = verify(signed, "--channel", "printers")  # verify knows the approved channels only
    assert run.stderr.startswith("错误：library.yaml 中没有名为 printers 的渠道")
    approve(signed, "打印渠道")
    run = verify(signed, "--channel", "printers", "--format", "json")
    assert run.exit_code == 0
    (check,) = json.loads(run.stdout)["channels"]
    assert check["method"] == "none"
    assert check["notes"][0].startswith("打印渠道没有可读回的内容：打印件是大厅里的纸张。")


# --- the auditor's check --------------------------------------------------------------------------


def _documented(marker: str) -> str:
    """The shell block of docs/verify.md that contains ``marker``."""
    blocks = re.findall(r"```sh\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    (block,) = [b for b in blocks if marker in b]
    return block


def test_the_documented_openssl_commands_verify_a_page(signed: Library, tmp_path: Path) -> None:
    """What docs/verify.md tells a citizen to run, with only the published files."""
    out = signed.path(".guides/site")
    work = tmp_path / "auditor"
    work.mkdir()
    for name in ("guides-manifest.json", "guides-manifest.json.sig", "guides-public-key.pem"):
        shutil.copy(out / name, work / name)
    shutil.copy(out / f"guides/{GID}.html", work / "page.html")
    shard = _documented("cut -c1-2").replace("guides/ID.html", f"guides/{GID}.html")
    found = subprocess.run(["bash", "-c", shard], cwd=work, capture_output=True, text=True)
    (line,) = found.stdout.splitlines()  # the top file's line for the page's shard
    hh, digest = re.fullmatch(r'"([0-9a-f]{2})":"([0-9a-f]{64})",?', line).groups()  # type: ignore[union-attr]
    shutil.copy(out / shard_file(hh, digest), work / "shard.json")
    script = _documented("openssl pkeyutl")
    run = subprocess.run(
        ["bash", "-c", script], cwd=work, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr
    assert "Signature Verified Successfully" in run.stdout
    assert f'"guides/{GID}.html":{{"sha256":"' in run.stdout
    flip(work / "shard.json", b'"size":', b'"size": ')  # a shard changed: its hash is not signed
    run = subprocess.run(["bash", "-c", script], cwd=work, capture_output=True, text=True)
    assert run.returncode != 0 and f'"guides/{GID}.html"' not in run.stdout
    (kid,) = public_keys(signed.root)
    run = subprocess.run(
        ["bash", "-c", _documented("outform DER")], cwd=work, capture_output=True, text=True
    )
    assert run.stdout.split() == [kid]  # the key id, as keys/ and the manifest name it
    flip(work / "guides-manifest.json", b'"Ed25519"', b'"Ed25518"')
    run = subprocess.run(
        ["bash", "-c", script], cwd=work, capture_output=True, text=True, check=False
    )
    assert run.returncode != 0
    assert "Signature Verification Failure" in run.stdout + run.stderr


def test_verify_file_checks_a_page_with_only_the_manifest_and_the_key(
    signed: Library, tmp_path: Path
) -> None:
    out = signed.path(".guides/site")
    page = tmp_path / "page.html"
    shutil.copy(out / f"guides/{GID}.html", page)
    args = ["--manifest", str(out / "guides-manifest.json"), "--key"]
    run = invoke("verify-file", str(page), *args, str(out / "guides-public-key.pem"))
    assert run.exit_code == 0, run.stdout + run.stderr
    assert run.stdout.startswith(f"{page}：与 guides/{GID}.html 一致（SHA-256 ")
    flip(page, "受理".encode(), "受难".encode())
    run = invoke("verify-file", str(page), *args, str(out / "guides-public-key.pem"))
    assert run.exit_code == 1
    assert run.stdout.startswith(f"{page}：不在清单中：")
    other = tmp_path / "other.pem"
    other.write_bytes(SigningKey(Ed25519PrivateKey.generate(), "x").public_pem)
    run = invoke("verify-file", str(page), *args, str(other))
    assert run.exit_code == 1
    assert "签名无效" in run.stdout


# --- incremental hashing ------------------------------------------------------------------------


def cached(root: Path, channel: str) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """The stat cache's head and every file's entry, from its parts (and its delta's changes)."""
    head = json.loads(cache_path(root, channel).read_bytes())
    parts = cache_path(root, channel).with_suffix(".d")
    files: dict[str, list[Any]] = {}
    for name in head["parts"]:
        if name.startswith("f-"):
            files.update(json.loads((parts / f"{name}.json").read_bytes())["files"])
    if "delta" in head["parts"]:
        for shard in json.loads((parts / "delta.json").read_bytes())["f"].values():
            files.update(shard.get("files", {}))
    files = {rel: entry for rel, entry in files.items() if entry is not None}
    return head, files


def test_a_publish_hashes_only_the_files_it_changed(signed: Library) -> None:
    site = signed.path(".guides/site").resolve()
    head, files = cached(signed.root, "site")
    assert head["root"] == str(site)
    assert set(files) == set(hash_folder(site, {}).files)
    change_guide(signed)
    ledger = open_ledger(signed.root)
    key = signing_key(signed.root)
    assert key is not None
    try:
        before = {rel: entry[3] for rel, entry in files.items()}
        publish(signed)
        head_after, after = cached(signed.root, "site")
        changed = {rel for rel, entry in after.items() if before.get(rel) != entry[3]}
        assert f"guides/{GID}.html" in changed
        assert len(changed) < len(after) / 2
        # Only the cache parts of what changed were written again: the others kept as they were.
        kept = {n for n, e in head_after["parts"].items() if head["parts"].get(n) == e}
        rewritten = head_after["parts"].keys() - kept
        assert kept and len(rewritten) < len(head_after["parts"]) / 2
        # Written again with nothing changed: nothing is hashed.
        from guidesrc.manifest import shown_guides

        again = write_manifest(
            ledger,
            "site",
            signed.root,
            signed.path(".guides/site"),
            shown_guides(ledger, "site"),
            key,
            dt.datetime.now(dt.UTC),
        )
        assert again is not None and again.hashed == 0 and again.files == len(after)
    finally:
        ledger.close()


def test_the_guides_a_publish_signs_after_a_change_are_what_the_ledger_shows(
    signed: Library,
) -> None:
    """The manifest lists the guides from the last signature plus those changed since (read by
    the guides' index): after a change they equal a whole read of the channel's publications."""
    from guidesrc.manifest import shown_guides

    channels = (
        ("site", ".guides/site"),
        ("archive", ".guides/published"),
        ("app", ".guides/mobile"),
    )
    tops = {c: json.loads(signed.path(f).joinpath(MANIFEST).read_bytes()) for c, f in channels}
    change_guide(signed)
    publish(signed)
    for channel, folder in channels:
        listed = read_manifest(signed.path(folder).resolve())
        # Built again only where something changed, the top file names what a whole build makes.
        whole_build = shard_bodies(listed["guides"], listed["files"])
        shards = {s: hashlib_sha256(data) for s, data in whole_build.items()}
        assert listed["shards"] == shards
        kept = {s for s, d in shards.items() if tops[channel]["shards"].get(s) == d}
        assert kept or channel != "site"  # the site's many files: most shards stay as they were
        ledger = open_ledger(signed.root)
        try:
            whole = shown_guides(ledger, channel)
        finally:
            ledger.close()
        assert listed["guides"] == whole
        assert listed["guides"][GID]["version"] == 2


@pytest.mark.parametrize("tamper", ["forged", "removed", "another part's bytes"])
def test_a_tampered_cache_part_never_lets_a_changed_file_be_signed_unhashed(
    signed: Library, tamper: str
) -> None:
    """A page edited in place keeps its inode and its folder's ctime: only its cache entry could
    vouch for it. A cache part forged to give the edited file's status with the signed hash,
    removed, or holding another part's bytes makes the whole cache lost: the next publish (a
    cron run, nothing to deliver) hashes every file and refuses to sign the edited page."""
    rel = f"guides/{GID}.json"
    record = signed.path(f".guides/published/{rel}")
    flip(record, "受理".encode(), "受难".encode())
    head, _files = cached(signed.root, "archive")
    parts = cache_path(signed.root, "archive").with_suffix(".d")
    name = next(n for n in head["parts"] if n.startswith("f-") and rel in read_part(parts, n))
    part = parts / f"{name}.json"
    if tamper == "forged":
        body = json.loads(part.read_bytes())
        st = record.stat()
        body["files"][rel][:3], body["files"][rel][4] = (
            [st.st_size, st.st_mtime_ns, st.st_ino],
            (st.st_ctime_ns),
        )
        part.write_bytes(json.dumps(body).encode())
    elif tamper == "removed":
        part.unlink()
    else:
        other = next(n for n in head["parts"] if n.startswith("f-") and n != name)
        part.write_bytes((parts / f"{other}.json").read_bytes())
    run = invoke("publish", str(signed.root))
    assert run.exit_code == 1
    assert f"{rel}（被改动）" in run.stderr, run.stderr
    assert findings(verify(signed, "--channel", "archive")) == [f"modified .guides/published/{rel}"]


def read_part(parts: Path, name: str) -> dict[str, Any]:
    return dict(json.loads((parts / f"{name}.json").read_bytes())["files"])
