"""Crash safety and concurrency of `guides publish`, with real processes on both ledgers.

A third-party adapter (installed the way any would be: a distribution with an entry point on the
path) appends one line per delivery to a journal, so a duplicate or a lost delivery shows. The
publisher is killed with SIGKILL, or made to fail, at every step of a delivery; the next run must
end with exactly one delivery per channel and version.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from guidesrc.ledger import open_ledger
from guidesrc.print.sheets_manifest import read_whole
from tests.conftest import Library, invoke, said

pytestmark = [pytest.mark.usefixtures("database"), pytest.mark.slow]

JOURNAL_MODULE = '''
"""A test channel: one journal line per delivery; knows which deliveries it has."""
import os
from pathlib import Path

from guidesrc import faults
from guidesrc.adapters import Adapter, AdapterSettings


class JournalSettings(AdapterSettings):
    path: str


class JournalAdapter(Adapter):
    Settings = JournalSettings

    @property
    def journal(self):
        return self.library / self.settings.path

    def deliver(self, delivery):
        with self.journal.open("a", encoding="utf-8") as handle:
            handle.write(f"{delivery.key} {delivery.content_hash}\\n")
            handle.flush()
            os.fsync(handle.fileno())
        faults.point("journal.appended")
        return {"key": delivery.key}

    def lookup(self, delivery):
        if self.journal.exists():
            for line in self.journal.read_text(encoding="utf-8").splitlines():
                if line.split()[0] == delivery.key:
                    return {"key": delivery.key, "found": True}
        return None
'''

POINTS = [
    "publish.locked",
    "publish.claimed",
    "directory.written",
    "journal.appended",
    "publish.delivered",
    "publish.recorded",
]


@pytest.fixture
def plugin(tmp_path: Path) -> Path:
    """A folder holding an installed third-party adapter distribution (for PYTHONPATH)."""
    site = tmp_path / "site"
    dist = site / "guidesrc_journal-1.0.dist-info"
    dist.mkdir(parents=True)
    (site / "guidesrc_journal.py").write_text(JOURNAL_MODULE, encoding="utf-8")
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: guidesrc-journal\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[guidesrc.adapters]\njournal = guidesrc_journal:JournalAdapter\n"
    )
    return site


@pytest.fixture
def approved(example: Library, plugin: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Library]:
    """The example library with a second channel (the journal), all 18 guides approved."""
    from guidesrc.adapters import adapter_types

    monkeypatch.syspath_prepend(str(plugin))  # installed here too: `guides check` knows it
    adapter_types.cache_clear()
    example.edit(
        "library.yaml",
        "      path: .guides/published\n",
        "      path: .guides/published\n"
        + textwrap.indent("journal:\n  type: journal\n  settings:\n    path: journal.txt\n", "  "),
    )
    run = invoke(
        "approve",
        str(example.root),
        "--effective",
        "today",
        "--note",
        "首次发布",
    )
    assert run.exit_code == 0, run.stderr
    return example


def with_plugin(plugin: Path) -> str:
    """PYTHONPATH for a run with the plugin installed (and the checkout under test, if set)."""
    return os.pathsep.join(p for p in (str(plugin), os.environ.get("PYTHONPATH")) if p)


def publish(lib: Library, plugin: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "PYTHONPATH": with_plugin(plugin), **env}
    return subprocess.run(
        [sys.executable, "-m", "guidesrc", "publish", str(lib.root), *args],
        capture_output=True,
        text=True,
        env=environ,
        check=False,
    )


def assert_exactly_once(lib: Library) -> None:
    journal = (lib.root / "journal.txt").read_text(encoding="utf-8").splitlines()
    keys = [line.split()[0] for line in journal]
    assert len(keys) == len(set(keys)) == 18, "a delivery was lost or duplicated"
    index = json.loads((lib.root / ".guides/published/index.json").read_text(encoding="utf-8"))
    assert len(index["guides"]) == 18
    for guide_id, entry in index["guides"].items():
        doc = json.loads(
            (lib.root / f".guides/published/guides/{guide_id}.json").read_text(encoding="utf-8")
        )
        assert doc["content_hash"] == entry["content_hash"]
    counts = publication_counts(lib)
    assert sorted(counts) == [
        ("archive", "delivered", 18),
        ("journal", "delivered", 18),
    ]


@pytest.mark.parametrize("point", POINTS)
def test_a_publisher_killed_at_any_step_resumes_without_duplicates(
    approved: Library, plugin: Path, point: str
) -> None:
    crashed = publish(approved, plugin, GUIDES_FAULT=point)
    assert crashed.returncode == -9, crashed.stderr  # SIGKILL: no clean-up ran
    resumed = publish(approved, plugin)
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stderr.endswith("失败 0 次；留待以后运行 0 次（尚未到期或待重试）\n")
    assert_exactly_once(approved)


@pytest.mark.parametrize(
    "point", [p for p in POINTS if p not in ("publish.locked", "publish.recorded")]
)
def test_a_failure_at_any_step_is_recorded_and_retried(
    approved: Library, plugin: Path, point: str
) -> None:
    failed = publish(approved, plugin, GUIDES_FAULT=f"{point}:raise")
    assert failed.returncode == 1
    # Staff read what to do; IT find the injected exception in guides status.
    assert "失败\t" in failed.stdout and "InjectedFault" not in failed.stdout
    status = subprocess.run(
        [sys.executable, "-m", "guidesrc", "status", str(approved.root), "--format", "json"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": with_plugin(plugin)},
        check=False,
    )
    details = [d["error_detail"] for d in json.loads(status.stdout)["deliveries"]]
    assert any("InjectedFault: injected failure at " + point in (d or "") for d in details)
    retried = publish(approved, plugin, "--retry-now")
    assert retried.returncode == 0, retried.stdout + retried.stderr
    assert_exactly_once(approved)


def test_two_publishers_at_once_deliver_each_thing_once(
    approved: Library, plugin: Path, tmp_path: Path
) -> None:
    ready, resume = tmp_path / "ready", tmp_path / "resume"
    os.mkfifo(ready)
    os.mkfifo(resume)
    environ = {
        **os.environ,
        "PYTHONPATH": with_plugin(plugin),
        "GUIDES_FAULT": "publish.locked:pause",
        "GUIDES_FAULT_READY": str(ready),
        "GUIDES_FAULT_RESUME": str(resume),
    }
    first = subprocess.Popen(
        [sys.executable, "-m", "guidesrc", "publish", str(approved.root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environ,
    )
    with ready.open() as handle:  # blocks until the first publisher holds the lock
        assert handle.readline() == "publish.locked\n"
    second = publish(approved, plugin)
    assert second.returncode == 0
    assert second.stdout == ""
    assert (
        said(second.stderr)
        == "另一个 guides publish 正在运行；本次不发布，直接退出（用 --wait 等它结束）\n"
    )
    waiting = subprocess.Popen(
        [sys.executable, "-m", "guidesrc", "publish", str(approved.root), "--wait"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": with_plugin(plugin)},
    )
    with resume.open("w") as handle:
        handle.write("go\n")
    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert out.count("已送达\t") == 36
    out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err
    assert (
        out == ""
        and said(err)
        == "本次：已送达 0 次，0 次已印入换页批次、待大厅工作人员张贴，失败 0 次；留待以后运行 0 次（尚未到期或待重试）\n"
    )  # the key: said once, by the first
    assert_exactly_once(approved)


@pytest.mark.parametrize(
    "point", ["publish.recorded@2", "publish.delivered@2:raise", "print.parts", "print.manifest"]
)
def test_the_pdf_channel_beside_the_others_crashes_and_fails_safely(
    demo: Library, plugin: Path, point: str
) -> None:
    """The pdf channel is delivered in a thread beside the site and the directory: a run
    killed, or failing, at the second channel to get there (or killed between the pdf
    manifest's parts and its top file, or just after the top file) leaves each channel to the
    next run, which delivers every guide once to each; no part or run file of the manifest is
    left that its top file does not name."""
    run = invoke("approve", str(demo.root), "--effective", "today", "--note", "首次发布")
    assert run.exit_code == 0, run.stderr
    first = publish(demo, plugin, GUIDES_FAULT=point)
    assert first.returncode == (1 if point.endswith(":raise") else -9), first.stderr
    again = publish(demo, plugin, "--retry-now")
    assert again.returncode == 0, again.stdout + again.stderr
    done = {(channel, status): count for channel, status, count in publication_counts(demo)}
    assert done[("archive", "delivered")] == done[("site", "delivered")] == 18
    # Every sheet is posted; the ones served at a window wait for hall staff's confirmation.
    assert done.get(("print", "delivered"), 0) + done.get(("print", "awaiting"), 0) == 18
    assert set(done) <= {(c, "delivered") for c in ("archive", "site", "print")} | {
        ("print", "awaiting")
    }
    manifest = read_whole(demo.root / ".guides/print")
    assert len(manifest["guides"]) == 18
    top = json.loads((demo.root / ".guides/print/manifest.json").read_text("utf-8"))
    state = {p.name for p in (demo.root / ".guides/print/_state").iterdir()}
    assert state == {f"guides-{d}.json" for d in top["parts"].values()} | {
        Path(run["file"]).name for run in top["runs"]
    }
    assert all(
        (demo.root / ".guides/print" / sheet["file"]).is_file()
        for entry in manifest["guides"].values()
        for slot, sheet in entry.items()
        if slot in ("current", "upcoming", "withdrawn")
    )


def publication_counts(lib: Library) -> list[tuple[str, str, int]]:
    """(channel, status, deliveries) rows of the library's ledger."""
    ledger = open_ledger(lib.root)
    with ledger.engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT channel, status, count(*) FROM publication GROUP BY channel, status")
        ).all()
    ledger.close()
    return [(str(c), str(s), int(n)) for c, s, n in rows]
