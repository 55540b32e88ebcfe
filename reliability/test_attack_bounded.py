"""Attacks from inside the service centre: small committed files that ran code, hung or crashed.

An editor with commit rights controls every byte of the library, ``.guides/`` included (``git add
-f``). Each test commits what such an editor could, and runs the real ``guides`` command in a
subprocess with a generous timeout: a command that does not end within it counts as a hang.
"""

from __future__ import annotations

import os
import pickle
import random
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.conftest import EXAMPLE

pytestmark = pytest.mark.section("Attacks from inside the service centre")

TIMEOUT = 60  # seconds; every command here ends in a few once bounded
MARRIAGE = "guides/jiehun-dengji.yaml"


@dataclass
class Result:
    code: int | None  # None: killed at the timeout (a hang)
    out: str
    err: str

    @property
    def hung(self) -> bool:
        return self.code is None

    @property
    def traceback(self) -> bool:
        return "Traceback" in self.err or "Traceback" in self.out


class Repo:
    def __init__(self, root: Path, cache_home: Path) -> None:
        self.root = root
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("GUIDES_")},
            "XDG_CACHE_HOME": str(cache_home),  # this machine's cache key lives here
            "GUIDES_LANG": "zh_CN",
        }

    def git(self, *args: str, author: str = "编辑甲") -> None:
        who = ["-c", f"user.name={author}", "-c", "user.email=editor@example.invalid"]
        subprocess.run(["git", *who, *args], cwd=self.root, check=True, capture_output=True)

    def commit(self, message: str, author: str = "编辑甲") -> None:
        self.git("add", "-A", "-f", author=author)
        self.git("commit", "-qm", message, author=author)

    def guides(self, *args: str, timeout: float = TIMEOUT) -> Result:
        try:
            run = subprocess.run(
                [sys.executable, "-m", "guidesrc", *args],
                cwd=self.root,
                env=self.env,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired as exc:
            return Result(None, _text(exc.stdout), _text(exc.stderr))
        return Result(run.returncode, run.stdout, run.stderr)

    def approve(self, note: str = "首次发布") -> Result:
        return self.guides("approve", ".", "--effective", "today", "--note", note)


def _text(data: bytes | str | None) -> str:
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else data or ""


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    root = tmp_path / "library"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".guides"))
    lib = Repo(root, tmp_path / "home-cache")
    lib.git("init", "-q")
    lib.commit("base")
    return lib


# --- 1. a planted cache file ---------------------------------------------------------------------


class _Payload:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (f"touch {self.marker}",))


def test_planted_cache_files_neither_run_code_nor_count(
    repo: Repo, tmp_path: Path, figures: Any
) -> None:
    assert repo.guides("diff", ".", "--published", "--format", "json").code == 0  # caches made
    marker = tmp_path / "pwned"
    cache = repo.root / ".guides" / "cache"
    for name in ("check.pickle", "check-last.pickle", "check.json", "check-last.json"):
        (cache / name).write_bytes(pickle.dumps({"x": _Payload(marker)}, protocol=2))
    # Forged validated data in the parse cache, whichever table this version keeps it in.
    with sqlite3.connect(cache / "guides.sqlite") as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        for table in {"guides", "parsed"} & tables:
            db.execute(f"UPDATE {table} SET data = replace(data, '结婚登记', '伪造事项')")
    db.close()
    repo.commit("cache", author="编辑甲")
    # Another machine (a reviewer's clone): a key of its own.
    repo.env["XDG_CACHE_HOME"] = str(tmp_path / "reviewer-cache")
    check = repo.guides("check", ".")
    diff = repo.guides("diff", ".", "--published", "--format", "json")
    ran = int(marker.exists())
    forged = int("伪造事项" in diff.out)
    figures.add("planted cache file ran code (check, diff)", ran, "0")
    figures.add("forged cache entries believed", forged, "0")
    assert (ran, forged) == (0, 0)
    assert check.code == 0 and diff.code == 0, check.err + diff.err
    assert "结婚登记" in diff.out


# --- 2. an alias bomb with a duplicate key -------------------------------------------------------


def alias_bomb(depth: int = 28) -> str:
    """A duplicate key the locator reaches last, behind a chain of aliases (2^depth paths)."""
    lines = ["z: {k: 1, k: 2}", "a0: &a0 [x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]" for i in range(1, depth)]
    return "\n".join(lines) + "\n"


def test_alias_bomb_with_a_duplicate_key_is_located_at_once(repo: Repo, figures: Any) -> None:
    text = alias_bomb()
    (repo.root / "guides" / "bomb.yaml").write_text(text, encoding="utf-8")
    repo.commit("bomb")
    check = repo.guides("check", ".")
    figures.add(f"alias bomb ({len(text.encode())} bytes) hung check", int(check.hung), "0")
    assert not check.hung
    assert check.code == 1 and "guides/bomb.yaml:1:11:" in check.out
    assert "字段“k”出现了两次" in check.out


# --- 3. a committed symbolic link ----------------------------------------------------------------


def test_symlink_to_dev_zero_is_refused_by_every_command(repo: Repo, figures: Any) -> None:
    assert repo.approve().code == 0
    faq = repo.root / "catalogues" / "faq.yaml"
    faq.unlink()
    faq.symlink_to("/dev/zero")
    repo.commit("link")
    runs = {
        "check": repo.guides("check", "."),
        "diff": repo.guides("diff", "."),
        "diff --published": repo.guides("diff", ".", "--published"),
        "approve": repo.approve("再次"),
    }
    refused = {name: "catalogues/faq.yaml：是符号链接" in r.err for name, r in runs.items()}
    config = repo.root / "library.yaml"
    config.unlink()
    config.symlink_to("/dev/zero")
    # publish works from the approved configuration in the ledger, so the link is never
    # followed: it delivers what was approved, or names the link if it reads the file at all
    runs["publish"] = repo.guides("publish", ".")
    publish = runs["publish"]
    refused["publish"] = publish.code == 0 or "library.yaml：是符号链接" in publish.err
    hung = [name for name, r in runs.items() if r.hung]
    crashed = [name for name, r in runs.items() if r.traceback]
    figures.add("symlink to /dev/zero: commands hung", len(hung), "0")
    figures.add("symlink to /dev/zero: commands crashed", len(crashed), "0")
    assert (hung, crashed) == ([], [])
    assert refused == dict.fromkeys(runs, True), {name: r.err for name, r in runs.items()}
    assert all(r.code == 2 for name, r in runs.items() if name != "publish")


# --- 4. one long condition edited in one place ---------------------------------------------------


def long_condition(chars: int) -> str:
    rng = random.Random(16)
    alphabet = "的一是在不了有和人这中大为上们个国我以要他时来用生到作地于出就分对成会可也"
    sentences = [
        "".join(rng.choice(alphabet) for _ in range(39)) + "。" for _ in range(chars // 40)
    ]
    return "".join(sentences)


def test_a_300k_condition_edited_once_diffs_and_approves(repo: Repo, figures: Any) -> None:
    path = repo.root / MARRIAGE
    text = long_condition(300_000)
    path.write_text(
        path.read_text(encoding="utf-8").replace("  - 男女双方完全自愿。", f"  - {text}", 1),
        encoding="utf-8",
    )
    repo.commit("long condition")
    assert repo.approve().code == 0
    middle = len(text) // 2
    edited = text[:middle] + "已修改" + text[middle + 3 :]
    path.write_text(path.read_text(encoding="utf-8").replace(text, edited), encoding="utf-8")
    repo.commit("edit")
    diff = repo.guides("diff", ".", "--published", "--format", "json")
    approve = repo.approve("修改条件")
    hung = int(diff.hung) + int(approve.hung)
    figures.add("300K-character condition edited once: commands hung", hung, "0")
    assert hung == 0
    assert diff.code == 0 and approve.code == 0, diff.err + approve.err
    (guide,) = orjson.loads(diff.out)["guides"]
    (change,) = guide["changes"]
    changed = [span for span in change["redline"] if span[0] != "equal"]
    assert changed == [["delete", text[middle : middle + 3]], ["insert", "已修改"]]


# --- 5. a corrupted ledger -----------------------------------------------------------------------


def test_a_corrupted_ledger_is_noticed_by_every_command(repo: Repo, figures: Any) -> None:
    assert repo.approve().code == 0
    ledger = repo.root / ".guides" / "ledger.sqlite"
    size = ledger.stat().st_size
    with ledger.open("r+b") as handle:
        handle.seek(size // 2)
        handle.write(b"\xff" * 8192)
    runs = {name: repo.guides(name, ".") for name in ("status", "publish", "log")}
    unnoticed = [name for name, r in runs.items() if r.code == 0]
    crashed = [name for name, r in runs.items() if r.traceback]
    figures.add("corrupted ledger: commands that went on (exit 0)", len(unnoticed), "0")
    figures.add("corrupted ledger: tracebacks", len(crashed), "0")
    assert (unnoticed, crashed) == ([], [])
    for name, r in runs.items():
        assert "ledger.sqlite：台账数据库已损坏" in r.err, (name, r.err)


# --- 6. extreme dates ----------------------------------------------------------------------------


def test_extreme_dates_are_clean_errors(repo: Repo, figures: Any) -> None:
    runs = [
        repo.guides("approve", ".", "--note", "x", "--effective", day)
        for day in ("9999-12-31", "0001-01-01", "3000-01-01")
    ]
    runs += [
        repo.guides("report", ".", "--from", "0001-01-01", "--to", "9999-12-31"),
        repo.guides("calendar", "deadline", "9999-12-31T23:00+08:00"),
        repo.guides("calendar", "deadline", "0001-01-01"),
    ]
    crashed = sum(r.traceback for r in runs)
    figures.add("extreme dates (9999-12-31, 0001-01-01): tracebacks", crashed, "0")
    assert crashed == 0
    assert all(r.code == 2 and "超出了 guidesrc 可计算的日期范围" in r.err for r in runs), [
        r.err for r in runs
    ]
