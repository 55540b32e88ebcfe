"""The real data sets the de-identification detectors must leave alone, and the scan over them.

Every string of every record is read as ``guides check`` reads a guide's text: the portal's phone
fields as contact fields (a mobile or an e-mail there is a service's contact), everything else as
free text. Shared by ``tests/test_deid.py`` (0 findings) and ``reliability/test_deid.py``
(figures). Real data is read where it lies; a set that is absent is skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from guidesrc.check import personal
from tests.realdata import GD_JSONL, SH_SAMPLE

EXAMPLE = Path(__file__).resolve().parent.parent / "example"


@dataclass(frozen=True)
class RealSet:
    name: str
    path: Path
    #: fields holding contacts (phones, e-mails), where a mobile number is the point
    contact_fields: frozenset[str] = frozenset()

    @property
    def available(self) -> bool:
        return self.path.exists()


REAL_SETS = (
    RealSet("gdzwfw-2021", GD_JSONL, frozenset({"consult_phone", "complain_phone"})),
    RealSet("shanghai-zwdt-2026", SH_SAMPLE),
)


@dataclass
class Scan:
    records: int = 0
    strings: int = 0
    #: (record number, field path, kind, masked value)
    findings: list[tuple[int, str, str, str]] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(1 for f in self.findings if f[2] == kind)


def scan(real: RealSet) -> Scan:
    result = Scan()
    for number, line in enumerate(real.path.read_text("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        result.records += 1
        for path, value in _strings(json.loads(line), ()):
            result.strings += 1
            contact = path[0] in real.contact_fields
            result.findings += [
                (number, ".".join(map(str, path)), f.kind, f.masked)
                for f in personal.find(value, contact)
            ]
    return result


def _strings(node: Any, path: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, (*path, key))
    elif isinstance(node, list):
        for n, value in enumerate(node):
            yield from _strings(value, (*path, n))
