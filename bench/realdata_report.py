"""The real-data table of docs/import.md: each data set through import, check, approve, publish.

    .venv/bin/python bench/realdata_report.py [--limit N] [--set NAME ...] [--keep DIR]

For each data set registered in ``tests/realdata.py`` (whole, or ``--limit`` guides spread over
it): guides in, imported, check findings by rule, approved, delivered and failed per channel
(site, pdf, hotline, mobile, cpsv, directory), the causes of the failures, and how many times
``None``, ``null`` (where a value belongs) and ``undefined`` appear in the published files.
Prints Markdown; the libraries are built in a temporary folder (``--keep`` to look at them).
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.realdata import CHANNELS, DATA_SETS, Result, run_pipeline


def _rules(findings: dict[str, int]) -> str:
    return "<br>".join(f"`{rule}` {n:,}" for rule, n in findings.items()) or "none"


def table(results: list[Result]) -> str:
    head = (
        "| data set | guides in | imported (import problems) | check findings by rule | "
        "approved | " + " | ".join(f"{c} delivered / failed" for c in CHANNELS) + " | "
        "`None` / `null` / `undefined` in outputs |"
    )
    rule = "|" + "---|" * (6 + len(CHANNELS))
    rows = []
    for r in results:
        problems = ", ".join(f"{n:,} {level}" for level, n in r.import_problems.items()) or "none"
        approved = f"{r.approved:,}" + (
            f" (with {', '.join(f'`{x}`' for x in r.downgraded)} set to warning)"
            if r.downgraded
            else ""
        )
        cells = [
            f"{r.data_set} ({r.province})",
            f"{r.guides_in:,}",
            f"{r.imported:,} ({problems})",
            _rules(r.findings),
            approved,
            *(f"{r.delivered.get(c, 0):,} / {r.failed.get(c, 0):,}" for c in CHANNELS),
            " / ".join(f"{r.scan.count(w):,}" for w in ("None", "null", "undefined")),
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join([head, rule, *rows])


def causes(results: list[Result]) -> str:
    """Why deliveries failed (the first line of each cause), and where the words were found."""
    lines = []
    for r in results:
        for channel, errors in sorted(r.errors.items()):
            for error, n in errors.most_common():
                lines.append(f"- {r.data_set}, {channel}: {n:,} × `{error}`")
        for channel in CHANNELS:
            hits = [h for h in r.scan.hits if h[1].startswith(f"{channel}/")]
            if not hits:
                continue
            words = {w: sum(1 for h in hits if h[0] == w) for w in ("None", "null", "undefined")}
            line = f"- {r.data_set}, {channel} files: " + ", ".join(
                f"{n:,} `{w}`" for w, n in words.items() if n
            )
            example = next((h for h in hits if h[0] != "null"), None)
            if example is not None:
                line += f"; e.g. {example[1]}: “{example[2].strip()}”"
            lines.append(line)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="guides per data set")
    parser.add_argument("--set", action="append", choices=sorted(DATA_SETS), dest="sets")
    parser.add_argument("--keep", type=Path, default=None, help="build the libraries here")
    args = parser.parse_args()
    names = args.sets or sorted(DATA_SETS)
    results = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="realdata-") as tmp:
        base = args.keep or Path(tmp)
        for name in names:
            data_set = DATA_SETS[name]
            if not data_set.available:
                print(f"<!-- {name}: not here ({data_set.source}) -->")
                continue
            results.append(run_pipeline(data_set, base / name, args.limit))
    seconds = time.perf_counter() - started
    print(
        f"<!-- {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, "
        f"{platform.machine()}, Python {platform.python_version()}, {seconds:.0f} s -->"
    )
    print(table(results))
    print()
    print(causes(results))


if __name__ == "__main__":
    main()
