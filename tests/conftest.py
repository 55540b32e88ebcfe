"""Shared fixtures: a fresh library made by `guides init`, and a way to run the CLI on it."""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import settings

from guidesrc.cli import cli
from guidesrc.i18n import DEFAULT_LANG, set_lang
from guidesrc.scaffold import create_library

#: What `guides publish` says while the library has no signing key (`guides keys init`).
NO_KEY = (
    "没有签名密钥：各渠道文件夹不会写入签名清单，guides verify 无法证明其内容；"
    "请用 guides keys init 创建密钥（每个资料库只提示一次，记录在 .guides/no-signing-key-noted）\n"
)
#: The year-end warning (guidesrc/cli/year_end.py): shown or not by the real date, so tests
#: about other output take it out (tests/test_calendar.py shows it on dates of its own).
YEAR_END = re.compile(
    r"警告：(?:还)?没有 \d+ 年的放假调休数据.*?      # … 通知中的每个节日各写一项，连同它的调休上班日\n",
    re.S,
)


def said(stderr: str) -> str:
    """``stderr`` without the year-end warning."""
    return YEAR_END.sub("", stderr)


REPO = Path(__file__).resolve().parent.parent
#: git's identity in every test's checkout (below ``git -c``, above the developer's files).
EDITOR_GIT_CONFIG = {
    "GIT_CONFIG_COUNT": "2",
    "GIT_CONFIG_KEY_0": "user.name",
    "GIT_CONFIG_VALUE_0": "编辑甲",
    "GIT_CONFIG_KEY_1": "user.email",
    "GIT_CONFIG_VALUE_1": "editor@example.invalid",
}

# Property-based tests: a fixed example count and seed in CI (reproducible, within the time
# budget), a few examples for everyday runs, many more on demand (HYPOTHESIS_PROFILE=thorough).
settings.register_profile("ci", max_examples=25, derandomize=True, deadline=None)
settings.register_profile("dev", max_examples=8, deadline=None)
settings.register_profile("thorough", max_examples=300, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))
EXAMPLE = REPO / "example"
GUIDE = "guides/jumin-shenfenzheng-huanling.yaml"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test sees the developer's language, database or approver key or deployment settings; whoever works
    in a test's checkout is 编辑甲 (git's identity), and approvals are by the OS account."""
    for name in (
        "GUIDES_LANG",
        "GUIDES_DATABASE_URL",
        "GUIDES_USER",
        "GUIDES_FAULT",
        "LANGUAGE",
        "GUIDES_APPROVER_KEY",
        "GUIDES_DEPLOYMENT",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in EDITOR_GIT_CONFIG.items():
        monkeypatch.setenv(name, value)
    yield
    set_lang(DEFAULT_LANG)


def channel_entries(**channels: str) -> str:
    """The entries under ``channels:`` in library.yaml, each given as "type path [key=value …]"."""
    out = []
    for name, spec in channels.items():
        kind, path, *extra = spec.split()
        out.append(f"  {name}:\n    type: {kind}\n    settings:\n      path: {path}\n")
        out.extend(f"      {key}: {value}\n" for key, value in (e.split("=", 1) for e in extra))
    return "".join(out)


#: The three export channels, each writing to out/<name>.
EXPORTS = {name: f"{name} out/{name}" for name in ("hotline", "mobile", "cpsv")}


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def lines(self) -> list[str]:
        return self.stdout.splitlines()


def invoke(*args: str) -> Run:
    """Run a command in this process; its stderr without the year-end warning, which the real
    date decides (tests/test_year_end.py shows it)."""
    run = invoke_raw(*args)
    return Run(run.exit_code, run.stdout, said(run.stderr))


def invoke_raw(*args: str) -> Run:
    """:func:`invoke` with stderr as the command wrote it."""
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return Run(result.exit_code, result.stdout, result.stderr)


@dataclass
class Library:
    root: Path

    def path(self, rel: str) -> Path:
        return self.root / rel

    def read(self, rel: str) -> str:
        return self.path(rel).read_text(encoding="utf-8")

    def write(self, rel: str, text: str | bytes) -> None:
        target = self.path(rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            target.write_bytes(text)
        else:
            target.write_text(text, encoding="utf-8")

    def edit(self, rel: str, old: str, new: str) -> None:
        text = self.read(rel)
        assert old in text, f"{old!r} not in {rel}"
        self.write(rel, text.replace(old, new, 1))

    def check(self, *args: str) -> Run:
        return invoke("check", str(self.root), *args)


#: The site and pdf channels `guides init` and the example configure (``make demo`` shows the
#: halls); the ``library`` and ``example`` fixtures leave them out, so that each test adds the
#: channels it is about (tests/test_example.py and tests/test_cli_library.py publish with them).
HALL_CHANNELS = re.compile(
    r"  # 网站渠道：.*?\n  print:\n    type: pdf\n    settings:\n      path: \.guides/print\n", re.S
)


def directory_only(root: Path) -> None:
    """Leave only the directory channel in ``root``'s library.yaml."""
    config = root / "library.yaml"
    text, count = HALL_CHANNELS.subn("", config.read_text(encoding="utf-8"))
    assert count == 1, "the site and pdf channels of library.yaml changed: update HALL_CHANNELS"
    config.write_text(text, encoding="utf-8")


@pytest.fixture
def library(tmp_path: Path) -> Library:
    """The library `guides init` creates (one guide and its catalogues, all valid), with its
    directory channel only."""
    root = tmp_path / "lib"
    create_library(root)
    directory_only(root)
    return Library(root)


@pytest.fixture
def example(tmp_path: Path) -> Library:
    """A private copy of the bundled example library, with its directory channel only."""
    root = tmp_path / "example"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".guides"))
    directory_only(root)
    return Library(root)


@pytest.fixture
def demo(tmp_path: Path) -> Library:
    """A private copy of the bundled example library as ``make demo`` publishes it."""
    root = tmp_path / "example"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".guides"))
    return Library(root)


#: The PostgreSQL server ledger tests use (a fresh schema per test). CI starts one (.ci/run);
#: GUIDES_TEST_POSTGRES=skip runs the suite on SQLite only.
PG_URL = os.environ.get("GUIDES_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run the test on both ledgers: the default SQLite file in the library, and PostgreSQL
    through GUIDES_DATABASE_URL (a schema of its own, dropped afterwards)."""
    if request.param == "sqlite":
        yield "sqlite"
        return
    if PG_URL == "skip":
        pytest.skip("GUIDES_TEST_POSTGRES=skip")
    import sqlalchemy as sa

    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = sa.create_engine(PG_URL)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as exc:
        pytest.fail(f"PostgreSQL is not reachable at {PG_URL} ({exc.orig}); .ci/run starts one")
    monkeypatch.setenv("GUIDES_DATABASE_URL", f"{PG_URL}?options=-csearch_path%3D{schema}")
    try:
        yield "postgresql"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def withdraw(root: Path, guide_id: str, reason: str) -> Run:
    """Withdraw a guide as two people do it: 编辑甲 requests, 审核员乙 approves. Through the ledger
    API, since a test runs as one OS account (tests/test_identity.py drives the command itself)."""
    import datetime as dt

    from guidesrc.approvers import Approver
    from guidesrc.identity import Person
    from guidesrc.ledger import open_ledger
    from guidesrc.withdrawals import approve_withdrawal, request_withdrawal
    from guidesrc.workdays import load_calendar, read_config

    config = read_config(root)
    now = dt.datetime.now(dt.UTC)
    ledger = open_ledger(root)
    try:
        request_withdrawal(ledger, guide_id, reason, Approver(Person("编辑甲")), now)
        done = approve_withdrawal(
            ledger,
            guide_id,
            Approver(Person("审核员乙")),
            now,
            load_calendar(root, config).deadline(now),
            config.channels,
            config.timezone,
        )
    finally:
        ledger.close()
    return Run(0, "", f"{guide_id} withdrawn (v{done.version})")
