"""The reliability suite: bad input at volume, crashes, outages, concurrency, full disks, secrets.

Each test records the figures it measured with the ``figures`` fixture; ``make reliability`` runs
the suite and writes them to ``docs/reliability.md`` (``--reliability-report PATH``) with the date
and machine. Every figure that must be 0 is also asserted, so the suite fails when one is not.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

# The fixtures of the test suite, and those of the crash and push tests (a third-party adapter
# installed for the duration of a test; a push receiver on 127.0.0.1; approvers with keys).
pytest_plugins = [
    "tests.conftest",
    "tests.test_publish_crash",
    "tests.test_push",
    "tests.test_identity",
]

_FIGURES: dict[str, list[tuple[str, str, str]]] = {}
_ORDER = [
    "Bad input at volume",
    "Crashes",
    "Outages",
    "Concurrency",
    "Disk full and read-only output",
    "Secrets and personal data",
    "Attacks from inside the service centre",
    "De-identification (去标识化)",
]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--reliability-report",
        metavar="PATH",
        help="write the figures of this run as Markdown (docs/reliability.md)",
    )


class Figures:
    def __init__(self, section: str, backend: str | None = None) -> None:
        self.section = section
        self.backend = backend  # a test run on both ledgers says which one a figure is from

    def add(self, label: str, value: object, requirement: str = "") -> None:
        if self.backend is not None and not label.startswith(f"{self.backend}"):
            label = f"{self.backend}: {label}"
        _FIGURES.setdefault(self.section, []).append((label, str(value), requirement))


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Iterator[Figures]:
    marker = request.node.get_closest_marker("section")
    assert marker is not None, "a reliability test names its section: @pytest.mark.section(...)"
    callspec = getattr(request.node, "callspec", None)
    backend = callspec.params.get("database") if callspec is not None else None
    yield Figures(marker.args[0], backend)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "section(name): the report section a test's figures go to")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    path = session.config.getoption("--reliability-report")
    if not path or not _FIGURES:
        return
    Path(path).write_text(_report(exitstatus), encoding="utf-8")


def _machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    pg = subprocess.run(
        ["psql", "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return f"{os.cpu_count()} × {cpu}, {platform.system()} {platform.release()}, Python {platform.python_version()}, {pg or 'no psql'}"


def _report(exitstatus: int) -> str:
    now = dt.datetime.now(dt.UTC)
    lines = [
        "# Reliability and security figures",
        "",
        "Written by `make reliability` (the suite in `reliability/`, run in CI after the tests).",
        f"Run: {now:%Y-%m-%d %H:%M} UTC on {_machine()}. "
        f"Outcome: {'all requirements held' if exitstatus == 0 else 'SOME REQUIREMENTS FAILED'}.",
        "",
        "Each figure below was measured in this run; a figure with a requirement is also asserted by",
        "the suite, so a run in which one does not hold fails.",
    ]
    for section in sorted(_FIGURES, key=lambda s: _ORDER.index(s) if s in _ORDER else 99):
        lines += ["", f"## {section}", "", "| figure | value | required |", "|---|---|---|"]
        lines += [f"| {label} | {value} | {req} |" for label, value, req in _FIGURES[section]]
    return "\n".join(lines) + "\n"
