"""What leaves the machine: secrets are never logged, stored in the ledger or written into any
output; outputs hold no personal data the de-identification rule flags."""

from __future__ import annotations

import os
import re
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from guidesrc.check import personal
from guidesrc.ledger import open_ledger
from tests.conftest import Library, invoke, withdraw
from tests.test_push import Receiver, _serve

pytestmark = pytest.mark.section("Secrets and personal data")

SECRET = "hmac-秘钥-7f3a9c2e51d8"
TOKEN = "bearer-token-b41d9e6a0c77"
PASSWORD = "pg-pass-c0ffee5eed"
_DIGEST = re.compile(r"\b[0-9a-f]{40,}\b")  # SHA-1/SHA-256 hex digests


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from _serve(Receiver())


def _channels(receiver: Receiver) -> str:
    return textwrap.indent(
        textwrap.dedent(
            f"""\
            site:
              type: site
              settings: {{path: out/site}}
            print:
              type: pdf
              settings: {{path: out/pdf}}
            hotline:
              type: hotline
              settings: {{path: out/hotline}}
            mobile:
              type: mobile
              settings: {{path: out/mobile}}
            cpsv:
              type: cpsv
              settings: {{path: out/cpsv}}
            hall:
              type: http
              settings: {{base: "{receiver.base}", auth: hmac, secret_env: HALL_PUSH_SECRET, connect_timeout: 10, read_timeout: 10, max_attempts: 1}}
            hall2:
              type: http
              settings: {{base: "{receiver.base}", auth: bearer, token_env: GUIDES_TOKEN_HALL2, connect_timeout: 10, read_timeout: 10, max_attempts: 1}}
            """
        ),
        "  ",
    )


def test_secrets_never_leave_and_outputs_hold_no_personal_data(
    example: Library,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
    figures: Any,
    database: str,
) -> None:
    monkeypatch.setenv("HALL_PUSH_SECRET", SECRET)  # channel hall: allowed by the deployment file
    monkeypatch.setenv("GUIDES_TOKEN_HALL2", TOKEN)  # channel hall2: the zero set-up name
    example.edit("library.yaml", "rules: {}", _channels(receiver) + "rules: {}")
    outputs: list[str] = []

    def cli(*args: str) -> Any:
        run = invoke(*args)
        outputs.append(run.stdout + run.stderr)
        return run

    assert (
        cli(
            "approve",
            str(example.root),
            "--effective",
            "today",
            "--note",
            "首次发布",
        ).exit_code
        == 0
    )
    receiver.plan = ["500"] * 3 + ["401-like"]  # failures are logged with their errors
    cli("publish", str(example.root))
    receiver.plan = []
    cli("publish", str(example.root), "--retry-now")
    withdraw(example.root, "jiehun-dengji", "划转")
    cli("publish", str(example.root))
    for args in (
        ("status", str(example.root)),
        ("log", str(example.root)),
        ("status", str(example.root), "--format", "json"),
        ("log", str(example.root), "--format", "json"),
        ("report", str(example.root), "--format", "csv"),
    ):
        cli(*args)
    # A database URL with a password, unreachable: the error must not show the password.
    ledger_url = os.environ.get("GUIDES_DATABASE_URL")
    monkeypatch.setenv(
        "GUIDES_DATABASE_URL", f"postgresql+psycopg://guides:{PASSWORD}@127.0.0.1:1/none"
    )
    run = cli("status", str(example.root))
    assert run.exit_code == 2
    if ledger_url is None:
        monkeypatch.delenv("GUIDES_DATABASE_URL")
    else:
        monkeypatch.setenv("GUIDES_DATABASE_URL", ledger_url)

    ledger = open_ledger(example.root)
    with ledger.engine.connect() as conn:
        dump = "\n".join(
            str(tuple(row))
            for table in ("approval", "guide_version", "publication", "event", "handover")
            for row in conn.execute(sa.text(f"SELECT * FROM {table}"))
        )
    ledger.close()
    files = [p for p in example.root.rglob("*") if p.is_file()]
    texts = {str(p): _text(p) for p in files if ".git" not in p.parts}
    secrets = (SECRET, TOKEN, PASSWORD)
    leaks = [
        f"{where}: {s}"
        for where, text in [("CLI output", "\n".join(outputs)), ("ledger", dump), *texts.items()]
        for s in secrets
        if s in text
    ]
    # Hex digests (content hashes, file SHA-256s) are left out of the scan: one in fifty holds a
    # run like 13812345678 between two letters, which is a hash, not a phone number.
    published = {
        k: _DIGEST.sub(" ", v) for k, v in texts.items() if "/out/" in k or "/published/" in k
    }
    # the detectors of `guides check` (guidesrc.check.personal): one implementation
    found = [(k, f.kind, f.masked) for k, v in published.items() for f in personal.find(v)]
    ids = [f for f in found if f[1] in ("id18", "id15")]
    mobiles = [f for f in found if f[1] == "mobile"]
    others = [f for f in found if f[1] not in ("id18", "id15", "mobile")]
    figures.add(
        "places searched for the secrets (HMAC secret, bearer token, database password)",
        f"{len(outputs)} CLI outputs, {len(dump.splitlines())} ledger rows, {len(texts)} files (outputs, caches, ledger file)",
    )
    figures.add(f"{database}: secrets found in logs, ledger or outputs", len(leaks), "0")
    figures.add(
        "published files scanned for personal data (HTML, JSON, CSV, JSON-LD, PDF text)",
        len(published),
    )
    figures.add(
        f"{database}: resident ID numbers (18 and 15 digits) in published files", len(ids), "0"
    )
    figures.add(f"{database}: mobile numbers in published files", len(mobiles), "0")
    figures.add(
        f"{database}: bank cards, e-mails, passports, names with home address in published files",
        len(others),
        "0",
    )
    assert leaks == []
    assert ids == [] and mobiles == [] and others == []


def _text(path: Path) -> str:
    if path.suffix == ".pdf":
        return subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, text=True, check=False
        ).stdout
    return path.read_bytes().decode("utf-8", "replace")
