"""Concurrency: three editors approving and publishing at once on one PostgreSQL ledger, 50
rounds. No duplicate publication, no lost approval, every conflict reported clearly."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from guidesrc.ledger import open_ledger
from tests.conftest import EXAMPLE, directory_only
from tests.test_publish_crash import with_plugin

pytestmark = pytest.mark.section("Concurrency")

ROUNDS = 50
EDITORS = 3
CONFLICT = "在本次审核过程中另一项审核已经记录"


def _checkouts(tmp_path: Path, journal: Path) -> list[Path]:
    roots = []
    for n in range(EDITORS):
        root = tmp_path / f"editor{n}"
        shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".guides"))
        directory_only(root)
        config = root / "library.yaml"
        text = config.read_text(encoding="utf-8").replace(
            "      path: .guides/published\n",
            "      path: .guides/published\n"
            + textwrap.indent(
                f"journal:\n  type: journal\n  settings:\n    path: {journal}\n", "  "
            ),
        )
        config.write_text(text, encoding="utf-8")
        roots.append(root)
    return roots


def _edit(root: Path, guide: str, mark: str) -> None:
    path = root / "guides" / f"{guide}.yaml"
    text = path.read_text(encoding="utf-8")
    text = re.sub(
        r"(^conditions:\n  - )(.*?)(（修订 .*?）)?$",
        rf"\g<1>\g<2>（修订 {mark}）",
        text,
        count=1,
        flags=re.M,
    )
    path.write_text(text, encoding="utf-8")


def _start(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "guidesrc", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_editors_approve_and_publish_at_once(
    tmp_path: Path, plugin: Path, figures: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import PG_URL

    if PG_URL == "skip":
        pytest.skip("GUIDES_TEST_POSTGRES=skip")
    schema = f"concurrency_{os.getpid()}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    monkeypatch.setenv("GUIDES_DATABASE_URL", url)
    deployment = tmp_path / "deployment.yaml"  # the journal lies outside the checkouts
    deployment.write_text(f"output_roots: [{json.dumps(str(tmp_path))}]\n", encoding="utf-8")
    env = {
        **os.environ,
        "GUIDES_DEPLOYMENT": str(deployment),
        "PYTHONPATH": with_plugin(plugin),
        "GUIDES_DATABASE_URL": url,
        "GIT_AUTHOR_NAME": "编辑",
        "GIT_COMMITTER_NAME": "编辑",
    }
    journal = tmp_path / "journal.txt"
    roots = _checkouts(tmp_path, journal)
    guides = sorted(p.stem for p in (roots[0] / "guides").glob("*.yaml"))
    first = _start(
        env,
        "approve",
        str(roots[0]),
        "--effective",
        "today",
        "--note",
        "首次发布",
    )
    _out, err = first.communicate(timeout=300)
    tally: Counter[str] = Counter()
    unclear: list[str] = []
    try:
        assert first.returncode == 0, err
        for r in range(ROUNDS):
            same = r % 2 == 1  # odd rounds: two editors approve the same guide at once
            picks = [guides[(3 * r + n) % len(guides)] for n in range(EDITORS)]
            if same:
                picks[1] = picks[0]
            for n, (root, guide) in enumerate(zip(roots, picks, strict=True)):
                _edit(root, guide, f"{r}-{n}")
            procs = [
                _start(
                    env,
                    "approve",
                    str(root),
                    "--guide",
                    guide,
                    "--effective",
                    "today",
                    "--note",
                    f"第 {r} 轮",
                )
                for n, (root, guide) in enumerate(zip(roots, picks, strict=True))
            ]
            procs += [
                _start(env, "publish", str(roots[n]), "--wait")
                for n in ((0, 1) if same else (r % EDITORS,))
            ]
            for n, proc in enumerate(procs):
                out, err = proc.communicate(timeout=300)
                if n >= EDITORS:
                    tally["publish runs"] += 1
                    if proc.returncode != 0 or "Traceback" in err:
                        unclear.append(f"publish: {proc.returncode} {err[-300:]}")
                    continue
                tally["approvals tried"] += 1
                if proc.returncode == 0:
                    tally["approvals recorded"] += 1
                    tally[f"versions:{out.strip()}"] += 1
                elif CONFLICT in err or "待审核的变更已不是" in err:
                    tally["conflicts reported"] += 1
                else:
                    unclear.append(f"approve: {proc.returncode} {err[-300:]}")
        final = _start(env, "publish", str(roots[0]), "--wait")
        _out, err = final.communicate(timeout=300)
        assert final.returncode == 0, err
        ledger = open_ledger(roots[0])
        with ledger.engine.connect() as conn:
            versions = conn.execute(sa.text("SELECT guide_id, version FROM guide_version")).all()
            dup_versions = conn.execute(
                sa.text(
                    "SELECT count(*) FROM (SELECT guide_id, version FROM guide_version GROUP BY 1, 2 HAVING count(*) > 1) d"
                )
            ).scalar()
            pubs = conn.execute(
                sa.text("SELECT status, count(*) FROM publication GROUP BY status")
            ).all()
            events = conn.execute(
                sa.text("SELECT count(*) FROM event WHERE kind = 'delivered'")
            ).scalar()
        ledger.close()
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
    recorded_versions = {
        (line.split("\t")[0], int(line.split("\t")[1][1:]))
        for key in tally
        if key.startswith("versions:")
        for line in key[9:].splitlines()
        if line
    }
    lost = len(recorded_versions - {(g, v) for g, v in versions})
    keys = Counter(line.split()[0] for line in journal.read_text(encoding="utf-8").splitlines())
    duplicates = sum(n - 1 for n in keys.values())
    status = dict(pubs)
    delivered = status.get("delivered", 0)
    journal_expected = sum(1 for _ in keys)
    figures.add(
        "rounds × editors approving at once (PostgreSQL), plus 1–2 publishers per round",
        f"{ROUNDS} × {EDITORS}",
    )
    figures.add(
        "approvals tried / recorded / refused as a conflict",
        f"{tally['approvals tried']} / {tally['approvals recorded']} / {tally['conflicts reported']}",
    )
    figures.add("conflicts without a clear message (or any traceback)", len(unclear), "0")
    figures.add("lost approvals (reported recorded, not in the ledger)", lost, "0")
    figures.add("duplicate versions", dup_versions, "0")
    figures.add("duplicate publications (a delivery made twice)", duplicates, "0")
    figures.add(
        "deliveries recorded / delivered events / journal entries",
        f"{delivered} / {events} / {journal_expected}",
    )
    assert unclear == []
    assert (lost, dup_versions, duplicates) == (0, 0, 0)
    assert status.keys() <= {"delivered", "superseded"}
    assert events == delivered
