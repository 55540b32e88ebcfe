"""Reading the sharded exports back in tests: the hotline's cards and CSV rows of every shard,
the mobile index's entries of every part (docs/exports.md)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path
from typing import Any


def csv_file(path: Path) -> list[list[str]]:
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM, for Excel"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def hotline_body(folder: Path) -> dict[str, list[Any]]:
    """The cards, FAQ and withdrawals of every file of ``<folder>/json/``, in file order."""
    body: dict[str, list[Any]] = {"cards": [], "faq": [], "withdrawn": []}
    for path in sorted(folder.glob("json/*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for key in body:
            body[key] += data.get(key, [])
    return body


def hotline_rows(folder: Path, part: str = "items") -> list[list[str]]:
    """The header and the rows of every CSV of ``<folder>/<part>/`` (each file has the header)."""
    rows: list[list[str]] = []
    for path in sorted(folder.glob(f"{part}/*.csv")):
        found = csv_file(path)
        rows += found if not rows else found[1:]
    return rows


def mobile_index(folder: Path) -> list[dict[str, Any]]:
    """Every guide's entry in the mobile index (the parts index.json names, each checked against
    its SHA-256 and count there), by id."""
    top = json.loads((folder / "index.json").read_bytes())
    entries = []
    for rel, meta in top["files"].items():
        data = (folder / rel).read_bytes()
        assert hashlib.sha256(data).hexdigest() == meta["sha256"]
        part = json.loads(data)
        assert len(part["guides"]) == meta["items"]
        entries += part["guides"]
    return sorted(entries, key=lambda g: g["id"])
